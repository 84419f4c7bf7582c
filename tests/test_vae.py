"""course_lib.models.vae: the KL, the ELBO and the IWAE bound checked against closed forms; training; errors; the CLI."""
from __future__ import annotations

import json
import math

import pytest
import torch

from course_lib import cli, load_offline_mnist
from course_lib.checkpoint import load_training_state, read_card
from course_lib.models.vae import (ConvVAE, DeepConvVAE, LatentMixture, LinearGaussianVAE, MLPVAE, iwae_bounds_per_prior, evaluate_vae, gaussian_kl,
                                   VAETask, iwae_bound, load_vae, log_likelihood, negative_elbo, reparameterize,
                                   train_vae)
from course_lib.optim import warmup_cosine_lr
from course_lib.seed import make_generator
from course_lib.training import train_loop



# ------------------------------------------------------------------------------------------------- KL
def test_gaussian_kl_closed_form_matches_monte_carlo():
    g = make_generator(1)
    mu = torch.randn(4, 3, generator=g, dtype=torch.float64)
    logvar = torch.randn(4, 3, generator=g, dtype=torch.float64)
    closed = gaussian_kl(mu, logvar)
    n = 200_000
    z = reparameterize(mu.expand(n, -1, -1), logvar.expand(n, -1, -1), generator=make_generator(2))
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    terms = (q.log_prob(z) - p.log_prob(z)).sum(-1)  # (n, 4)
    mc, se = terms.mean(0), terms.std(0) / math.sqrt(n)
    assert closed.shape == (4,)
    assert torch.all((closed - mc).abs() < 4 * se), (closed, mc, se)
    # and against torch.distributions' own closed form
    ref = torch.distributions.kl_divergence(q, p).sum(-1)
    torch.testing.assert_close(closed, ref)
    # zero exactly at the prior
    assert float(gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5)).abs().max()) == 0.0


def test_reparameterize_moments_and_gradient():
    mu = torch.tensor([[1.0, -2.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, math.log(4.0)]], requires_grad=True)
    z = reparameterize(mu.expand(100_000, -1), logvar.expand(100_000, -1), generator=make_generator(0))
    assert torch.allclose(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.03)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 2.0]), atol=0.03)
    z.sum().backward()  # gradients flow through mu and logvar
    assert mu.grad is not None and torch.allclose(mu.grad, torch.full((1, 2), 100_000.0))
    assert logvar.grad is not None and logvar.grad.abs().sum() > 0
    # the same generator seed gives the same draw
    a = reparameterize(torch.zeros(3, 2), torch.zeros(3, 2), generator=make_generator(5))
    b = reparameterize(torch.zeros(3, 2), torch.zeros(3, 2), generator=make_generator(5))
    assert torch.equal(a, b)


# ------------------------------------------------------------------------------------- linear-Gaussian
def _linear_model(seed: int = 0, D: int = 5, d: int = 2) -> tuple[LinearGaussianVAE, torch.Tensor]:
    g = make_generator(seed)
    W = torch.randn(D, d, generator=g, dtype=torch.float64)
    b = torch.randn(D, generator=g, dtype=torch.float64)
    model = LinearGaussianVAE(W, b, sigma=0.7)
    z = torch.randn(6, d, generator=g, dtype=torch.float64)
    x = z @ W.T + b + 0.7 * torch.randn(6, D, generator=g, dtype=torch.float64)
    return model, x


def test_log_px_equals_elbo_plus_kl_to_posterior():
    model, x = _linear_model()
    with torch.no_grad():
        model.c.add_(0.3)  # a deliberately imperfect encoder
        log_px, elbo, gap = model.log_marginal(x), model.elbo(x), model.kl_to_posterior(x)
    torch.testing.assert_close(log_px, elbo + gap, atol=1e-10, rtol=0)
    assert torch.all(gap > 1e-3)  # a diagonal, shifted q is not the posterior


def test_elbo_below_iwae_below_log_px():
    model, x = _linear_model(3)
    with torch.no_grad():
        model.c.add_(0.5)  # an imperfect encoder, so that the gap is wide (about 1 to 3 nats here)
        model.logvar.add_(0.5)
        log_px, elbo = model.log_marginal(x), model.elbo(x)
        assert torch.all(log_px - elbo > 0.5)
        reps = 2000  # independent estimates per point, drawn in one call on x repeated
        draws = {k: iwae_bound(model, x.repeat(reps, 1), k=k, generator=make_generator(k)).view(reps, -1) for k in (1, 10, 100)}
        means = {k: d.mean(0) for k, d in draws.items()}
    # k = 1 is an unbiased estimate of the ELBO (within 4 standard errors)
    assert torch.all((means[1] - elbo).abs() < 4 * draws[1].std(0) / math.sqrt(reps))
    # ordering, with a margin where the gap is large enough to see
    assert torch.all(means[10] > elbo + 0.1) and torch.all(means[100] > means[10])
    assert torch.all(means[100] <= log_px + 0.01)
    assert torch.all((log_px - means[100]) < 0.5 * (log_px - elbo))  # more samples, most of the gap closed


def test_exact_posterior_makes_bounds_tight():
    # Orthogonal columns of W: the posterior covariance is diagonal, so the default encoder *is* the posterior.
    W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    model = LinearGaussianVAE(W, torch.zeros(3, dtype=torch.float64), sigma=0.5)
    x = torch.tensor([[1.0, -0.5, 0.2], [0.0, 2.0, -1.0]], dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(model.elbo(x), model.log_marginal(x))
        torch.testing.assert_close(model.kl_to_posterior(x), torch.zeros(2, dtype=torch.float64), atol=1e-12, rtol=0)
        # every importance weight equals p(x): the IWAE estimate is exact for any k and any draw
        torch.testing.assert_close(iwae_bound(model, x, k=7, generator=make_generator(0)), model.log_marginal(x))


# ------------------------------------------------------------------------------------------ the loss
def test_negative_elbo_is_reconstruction_plus_beta_kl():
    g = make_generator(0)
    x = torch.rand(3, 1, 28, 28, generator=g)
    logits = torch.randn(3, 1, 28, 28, generator=g)
    mu, logvar = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
    kl = gaussian_kl(mu, logvar)
    torch.testing.assert_close(negative_elbo(x, logits, mu, logvar), bce + kl)
    torch.testing.assert_close(negative_elbo(x, logits, mu, logvar, beta=4.0), bce + 4 * kl)
    torch.testing.assert_close(negative_elbo(x, logits, mu, logvar, beta=0.0), bce)  # autoencoder loss
    # Gaussian, fixed sigma: squared error / (2 sigma^2) + D log sigma + D/2 log 2 pi
    s = 0.2
    sse = (x - torch.sigmoid(logits)).pow(2).sum((1, 2, 3))
    expected = sse / (2 * s**2) + 784 * (math.log(s) + 0.5 * math.log(2 * math.pi)) + kl
    torch.testing.assert_close(negative_elbo(x, logits, mu, logvar, likelihood="gaussian", sigma=s), expected)


def test_models_shapes_and_sampling():
    x = torch.rand(5, 1, 28, 28)
    for model in (MLPVAE(z_dim=3, hidden=32), ConvVAE(z_dim=4, channels=8), DeepConvVAE(5, channels=4, hidden=16)):
        logits, mu, logvar = model(x)
        assert logits.shape == (5, 1, 28, 28) and mu.shape == logvar.shape == (5, model.z_dim)
        s1, s2 = model.sample(6, generator=make_generator(1)), model.sample(6, generator=make_generator(1))
        assert s1.shape == (6, 1, 28, 28) and torch.equal(s1, s2)
        assert float(s1.min()) >= 0.0 and float(s1.max()) <= 1.0
    conv = ConvVAE(z_dim=4, channels=8)
    h = conv.dec_in(torch.zeros(1, 4)).view(1, 16, 7, 7)
    assert conv.dec[2](h).shape == (1, 8, 14, 14)  # 7 -> 14 -> 28 with transposed convolutions


def test_clear_errors_for_bad_input():
    model = MLPVAE(z_dim=2, hidden=16)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\).*view"):
        model.encode(torch.rand(4, 784))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        model.decode(torch.zeros(4, 3))
    x = torch.rand(2, 1, 28, 28)
    logits, mu, logvar = model(x)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        negative_elbo(x * 255, logits, mu, logvar)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        negative_elbo(x - 0.5, logits, mu, logvar)
    negative_elbo(x - 0.5, logits, mu, logvar, likelihood="gaussian")  # fine for a Gaussian
    with pytest.raises(ValueError, match="same shape"):
        negative_elbo(x, logits[:, :, :14], mu, logvar)
    with pytest.raises(ValueError, match="mu and logvar"):
        negative_elbo(x, logits, mu, logvar[:, :1])
    with pytest.raises(ValueError, match="beta"):
        negative_elbo(x, logits, mu, logvar, beta=-1.0)
    with pytest.raises(ValueError, match="likelihood"):
        negative_elbo(x, logits, mu, logvar, likelihood="poisson")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_vae(model, x * 2, epochs=1, device="cpu")
    with pytest.raises(ValueError, match="k must be"):
        iwae_bound(model, x, k=0)


# ------------------------------------------------------------------------------------------- training
def test_short_training_lowers_heldout_negative_elbo():
    torch.manual_seed(0)
    x_train, _ = load_offline_mnist("train")
    x_held, _ = load_offline_mnist("heldout")
    x_train, x_held = x_train[:1000], x_held[:200]
    model = MLPVAE(z_dim=8, hidden=128)
    before = evaluate_vae(model, x_held)["neg_elbo"]
    hist = train_vae(model, x_train, epochs=3, batch_size=64, device="cpu", x_eval=x_held)
    after = hist[-1]["eval_neg_elbo"]
    # An untrained decoder scores about 784 log 2 ≈ 543 nats; three short epochs must cut at least 250.
    assert before > 500
    assert after < before - 250, (before, hist)
    assert [r["epoch"] for r in hist] == [1, 2, 3] and hist[-1]["train_loss"] < hist[0]["train_loss"]
    json.dumps(hist)  # the history is plain numbers
    # IWAE (k = 20) is a tighter bound than the ELBO on the trained model: its -bound is lower on average
    with torch.no_grad():
        neg_iwae = -iwae_bound(model, x_held, k=20, generator=make_generator(0)).mean()
    assert float(neg_iwae) < after


def train_from_args(argv: list[str]):
    """``python -m course_lib train vae ARGV`` through the spine; returns the .safetensors path."""
    from course_lib import registry
    from course_lib.training import fit

    args = cli.build_parser().parse_args(["train", "vae", *argv])
    return fit(cli.config_from_args(args, ["train", "vae", *argv]), registry.get("vae"))


def test_train_from_args_round_trip_and_resume(tmp_path):
    common = ["--arch", "mlp", "--z-dim", "2", "--hidden", "32", "--train-size", "256", "--eval-size", "64",
              "--iwae-k", "5", "--batch-size", "64", "--out", str(tmp_path), "--name", "tiny", "--device", "cpu",
              "--no-progress"]
    path = train_from_args(common + ["--epochs", "1"])
    assert path == tmp_path / "tiny.safetensors" and path.is_file()
    card = read_card(path)
    assert card["kind"] == "mlp_vae" and card["config"] == {"z_dim": 2, "hidden": 32} and card["epochs"] == 1
    for key in ("data", "seed", "wall_time_s", "device", "command"):
        assert key in card
    assert card["train_examples"] == 256 and len(card["data_sha256"]) == 64 and "train vae" in card["command"]
    assert card["world_size"] == 1 and card["optimizer"]["opt"]["fused"] is True
    m = card["metrics"]
    assert m["heldout_neg_elbo_nats_per_image"] > 0 and "heldout_neg_iwae_k5_nats_per_image" in m
    model, _ = load_vae(path)
    assert isinstance(model, MLPVAE) and model.z_dim == 2
    first = {k: v.clone() for k, v in model.state_dict().items()}

    path2 = train_from_args(common + ["--epochs", "2", "--resume"])
    card2 = read_card(path2)
    assert card2["epochs"] == 2 and [r["epoch"] for r in card2["history"]] == [1, 2]
    assert card2["history"][0] == card["history"][0]
    assert load_training_state(path2)["epoch"] == 2
    model2, _ = load_vae(path2)
    assert any(not torch.equal(first[k], v) for k, v in model2.state_dict().items())  # it trained on


def test_deepconv_arch_from_the_command_line(tmp_path):
    argv = ["--arch", "deepconv", "--channels", "4", "--hidden", "16", "--train-size", "128", "--eval-size", "32",
            "--iwae-k", "0", "--epochs", "1", "--out", str(tmp_path), "--name", "deep", "--device", "cpu",
            "--no-progress"]
    path = train_from_args(argv)
    card = read_card(path)
    assert card["kind"] == "deep_conv_vae" and card["config"] == {"z_dim": 16, "channels": 4, "hidden": 16}
    model, _ = load_vae(path)
    assert isinstance(model, DeepConvVAE) and model.decode(torch.zeros(2, 16)).shape == (2, 1, 28, 28)
    # the recorded command rebuilds the same architecture
    assert "--arch deepconv" in card["command"] and "--hidden 16" in card["command"]


def test_deepconv_decoder_refines_at_full_resolution():
    model = DeepConvVAE(z_dim=3, channels=4, hidden=8)
    convs = [m for m in model.dec if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1 and convs[0].kernel_size == (3, 3) and convs[0].in_channels == 4
    with pytest.raises(ValueError, match="hidden must be >= 1|must be >= 1"):
        DeepConvVAE(hidden=0)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    from course_lib.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="no checkpoint"):
        train_from_args(["--out", str(tmp_path), "--resume", "--device", "cpu", "--train-size", "8",
                         "--eval-size", "8", "--epochs", "1", "--no-progress"])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_with_bf16_autocast():
    x_train, _ = load_offline_mnist("train")
    x_held, _ = load_offline_mnist("heldout")
    model = ConvVAE()
    hist = train_vae(model, x_train, epochs=2, device="cuda", x_eval=x_held)
    assert hist[-1]["eval_neg_elbo"] < 300
    assert next(model.parameters()).device.type == "cuda"
    assert log_likelihood(x_held[:4].cuda(), model.decode(torch.zeros(4, 16, device="cuda"))).shape == (4,)


def test_cosine_schedule_warms_up_peaks_and_decays_to_zero():
    total = 1000
    lrs = [warmup_cosine_lr(t, total, 2e-3, 100) for t in range(total)]
    assert lrs[0] == pytest.approx(2e-3 / 100) and lrs[99] == pytest.approx(2e-3)  # 10 % warm-up, linear
    assert all(a < b for a, b in zip(lrs[:99], lrs[1:100]))
    assert all(a >= b for a, b in zip(lrs[100:], lrs[101:]))                      # then never increases
    assert lrs[550] == pytest.approx(1e-3, rel=1e-2) and lrs[-1] < 1e-7           # half-way: half; end: ~0
    floored = [warmup_cosine_lr(t, total, 2e-3, 100, floor=2e-4) for t in range(total)]
    assert min(floored[100:]) > 2e-4 and floored[-1] == pytest.approx(2e-4, rel=1e-3)   # the GPT's floor: lr / 10
    with pytest.raises(ValueError, match="step"):
        warmup_cosine_lr(10, 10, 1e-3, 1)


def test_train_vae_follows_the_schedule_and_resumes_on_it():
    x, _ = load_offline_mnist("train")
    x = x[::40][:96]                                   # 96 digits: 3 steps of 32 per epoch
    model = MLPVAE(z_dim=2, hidden=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train_vae(model, x, epochs=2, batch_size=32, lr=1e-2, device="cpu", lr_schedule="cosine", optimizer=opt)
    assert opt.param_groups[0]["lr"] == pytest.approx(warmup_cosine_lr(5, 6, 1e-2, 1))
    train_vae(model, x, epochs=4, start_epoch=2, batch_size=32, lr=1e-2, device="cpu", lr_schedule="cosine",
              optimizer=opt)
    assert opt.param_groups[0]["lr"] == pytest.approx(warmup_cosine_lr(11, 12, 1e-2, 1))
    with pytest.raises(ValueError, match="lr_schedule"):
        train_vae(model, x, epochs=1, device="cpu", lr_schedule="step")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_uint8_digits_train_the_very_weights_of_the_float_digits(dtype):
    """VAETask holds uint8 grey levels as they are (what `train vae` loads: 47 MB for full MNIST, not 188 MB) and
    converts each minibatch; the weights come out bit for bit as from the float32 digits, also in float64."""
    xf, yf = load_offline_mnist("train")
    keep = torch.arange(0, 4000, 25)
    xu = load_offline_mnist("train", dtype=torch.uint8)[0][keep]
    weights = []
    for x in (xf[keep], xu):
        torch.manual_seed(0)
        model = MLPVAE(4, 32).to(dtype)
        task = VAETask(model, x, epochs=1, batch_size=32, device="cpu", y_train=yf[keep])
        assert task.x.dtype == (torch.uint8 if x is xu else dtype)
        torch.manual_seed(1)
        train_loop(task, 2)
        weights.append(model.state_dict())
    for k, v in weights[0].items():
        assert torch.equal(v, weights[1][k]), k


# ------------------------------------------------------------------------------- the fitted mixture prior
def _random_mixture(components: int = 3, dim: int = 2, seed: int = 0) -> LatentMixture:
    g = make_generator(seed)
    mix = LatentMixture(components, dim)
    mix.log_weights.copy_(torch.softmax(torch.randn(components, generator=g), 0).log())
    mix.means.copy_(3 * torch.randn(components, dim, generator=g))
    a = 0.5 * torch.randn(components, dim, dim, generator=g)
    mix.scale_tril.copy_(torch.linalg.cholesky(a @ a.transpose(1, 2) + 0.3 * torch.eye(dim)))
    return mix


def test_latent_mixture_log_prob_matches_torch_distributions():
    mix = _random_mixture()
    ref = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=mix.log_weights),
        torch.distributions.MultivariateNormal(mix.means, scale_tril=mix.scale_tril))
    z = torch.randn(50, 2, generator=make_generator(1)) * 4
    torch.testing.assert_close(mix.log_prob(z), ref.log_prob(z), rtol=1e-5, atol=1e-5)
    # a fresh mixture is the standard normal
    fresh = LatentMixture(4, 3)
    torch.testing.assert_close(fresh.log_prob(z[:, :1].repeat(1, 3)),
                               torch.distributions.Normal(0.0, 1.0).log_prob(z[:, :1].repeat(1, 3)).sum(-1))
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        mix.log_prob(torch.zeros(5, 3))


def test_latent_mixture_samples_have_its_weights_means_and_covariances():
    mix = _random_mixture()
    mix.means.copy_(torch.tensor([[8.0, 0.0], [-8.0, 0.0], [0.0, 8.0]]))   # far apart: every draw's own component
    z = mix.sample(60_000, make_generator(2))
    assert z.shape == (60_000, 2)
    comp = torch.stack([torch.distributions.MultivariateNormal(m, scale_tril=L).log_prob(z)
                        for m, L in zip(mix.means, mix.scale_tril)], 1).argmax(1)
    shares = torch.bincount(comp, minlength=3).double() / len(z)
    torch.testing.assert_close(shares, mix.log_weights.exp().double(), atol=0.02, rtol=0)
    # mean and covariance of the whole mixture: Σ w m and Σ w (Σ_k + m mᵀ) − mean meanᵀ
    w = mix.log_weights.exp()
    mean = (w[:, None] * mix.means).sum(0)
    cov_k = mix.scale_tril @ mix.scale_tril.transpose(1, 2)
    second = (w[:, None, None] * (cov_k + mix.means[:, :, None] * mix.means[:, None, :])).sum(0)
    torch.testing.assert_close(z.mean(0), mean, atol=0.06, rtol=0)
    torch.testing.assert_close(torch.cov(z.T), second - torch.outer(mean, mean), atol=0.25, rtol=0.03)
    # reproducible from a seed
    assert torch.equal(mix.sample(10, make_generator(3)), mix.sample(10, make_generator(3)))


def test_latent_mixture_fit_recovers_two_clusters():
    g = make_generator(4)
    z = torch.cat([torch.randn(3000, 2, generator=g) * 0.5 + torch.tensor([4.0, 0.0]),
                   torch.randn(1000, 2, generator=g) * torch.tensor([1.0, 0.2]) + torch.tensor([-4.0, 2.0])])
    mix = LatentMixture.fit(z, 2, seed=0)
    order = mix.means[:, 0].argsort(descending=True)
    # far-apart clusters: EM's answer is each cluster's own share, mean and (biased) covariance
    torch.testing.assert_close(mix.log_weights.exp()[order], torch.tensor([0.75, 0.25]), atol=1e-3, rtol=0)
    cov = mix.scale_tril @ mix.scale_tril.transpose(1, 2)
    for k, part in zip(order, (z[:3000], z[3000:])):
        torch.testing.assert_close(mix.means[k], part.mean(0), atol=1e-3, rtol=0)
        torch.testing.assert_close(cov[k], torch.cov(part.T, correction=0), atol=2e-3, rtol=0)
    with pytest.raises(ValueError, match="N > 5"):
        LatentMixture.fit(torch.zeros(5, 2), 5)
    with pytest.raises(ValueError, match="NaN"):
        LatentMixture.fit(torch.full((20, 2), float("nan")), 2)


def test_vae_samples_from_its_fitted_prior_and_bounds_with_it():
    torch.manual_seed(0)
    model = ConvVAE(z_dim=2, channels=4).eval()
    x = load_offline_mnist("heldout")[0][:40]
    plain = model.sample(8, generator=make_generator(5))
    model.prior = _random_mixture()
    # N(0, I) when asked: the very samples of the model without the mixture
    assert torch.equal(model.sample(8, generator=make_generator(5), standard_prior=True), plain)
    # the mixture otherwise: decode the mixture's own draws from the same generator
    z = model.prior.sample(8, make_generator(5))
    torch.testing.assert_close(model.sample(8, generator=make_generator(5)), torch.sigmoid(model.decode(z)))
    # the IWAE bound uses the prior it names: with the prior's log-density swapped in by hand, the same numbers
    with torch.no_grad():
        mixed = iwae_bound(model, x, k=4, generator=make_generator(6))
        standard = iwae_bound(model, x, k=4, generator=make_generator(6), standard_prior=True)
        # one decoder pass for both priors gives exactly the two separate bounds (the same draws)
        both = iwae_bounds_per_prior(model, x, k=4, generator=make_generator(6), standard_priors=(False, True))
        model.prior = LatentMixture(1, 2)     # the standard normal, written as a mixture
        as_mixture = iwae_bound(model, x, k=4, generator=make_generator(6))
    torch.testing.assert_close(as_mixture, standard)
    assert not torch.allclose(mixed, standard)
    assert torch.equal(both[0], mixed) and torch.equal(both[1], standard)


def test_prior_components_from_the_command_line(tmp_path):
    argv = ["--arch", "deepconv", "--channels", "4", "--hidden", "16", "--z-dim", "3", "--train-size", "256",
            "--eval-size", "32", "--iwae-k", "3", "--epochs", "1", "--prior-components", "4", "--out", str(tmp_path),
            "--name", "mix", "--device", "cpu", "--no-progress"]
    path = train_from_args(argv)
    card = read_card(path)
    assert card["config"] == {"z_dim": 3, "channels": 4, "hidden": 16, "prior_components": 4}
    m = card["metrics"]
    assert m["prior_fit_s"] >= 0
    assert {"heldout_neg_iwae_k3_nats_per_image", "heldout_neg_iwae_k3_standard_prior_nats_per_image"} <= set(m)
    model, _ = load_vae(path)
    assert model.prior is not None and model.prior.components == 4
    # the loaded mixture is the fitted one (not the fresh standard normal) and fits the training digits' codes
    x = load_offline_mnist("train")[0]
    x = x[torch.linspace(0, len(x) - 1, 256).round().long()]
    refit = DeepConvVAE(3, 4, 16)
    refit.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("prior.")})
    refit.fit_prior(x, 4, seed=card["seed"])
    torch.testing.assert_close(refit.prior.means, model.prior.means, atol=1e-4, rtol=0)
    assert not torch.allclose(model.prior.means, torch.zeros(4, 3))
    # the bound under the mixture is taken, and differs from the one under N(0, I)
    assert m["heldout_neg_iwae_k3_nats_per_image"] != m["heldout_neg_iwae_k3_standard_prior_nats_per_image"]
    # the gain of the mixture over N(0, I): the difference of the two means (rounded), inside its interval
    gain, low, high = m["heldout_iwae_gain_of_prior_nats_per_image"]
    assert low <= gain <= high and gain == pytest.approx(m["heldout_neg_iwae_k3_standard_prior_nats_per_image"]
                                                         - m["heldout_neg_iwae_k3_nats_per_image"], abs=2e-3)
    i = argv.index("--prior-components")
    plain = argv[:i] + argv[i + 2:] + ["--name", "plain"]     # the last --name wins
    assert train_from_args(plain).is_file()
    assert "prior_components" not in read_card(tmp_path / "plain.json")["config"]


def test_half_stores_float16_weights_and_keeps_the_prior_float32(tmp_path, capsys):
    from safetensors import safe_open

    argv = ["--arch", "deepconv", "--channels", "4", "--hidden", "16", "--z-dim", "3", "--train-size", "256",
            "--iwae-k", "0", "--epochs", "1", "--prior-components", "2", "--out", str(tmp_path), "--name", "h",
            "--device", "cpu", "--no-progress"]
    path = train_from_args(argv)
    full, _ = load_vae(path)
    size = path.stat().st_size
    assert cli.main(["half", str(tmp_path / "h")]) == 0
    assert "stored as float16" in capsys.readouterr().out
    with safe_open(str(path), framework="pt") as f:
        dtypes = {k: f.get_tensor(k).dtype for k in f.keys()}
    assert {d for k, d in dtypes.items() if k.startswith("prior.")} == {torch.float32}
    assert {d for k, d in dtypes.items() if not k.startswith("prior.")} == {torch.float16}
    assert path.stat().st_size < 0.6 * size
    storage = read_card(path)["storage"]
    assert storage["weights"] == "float16" and storage["float32_bytes"] == size
    assert storage["float32_kept"] == sorted(k for k in dtypes if k.startswith("prior."))
    assert storage["command"].startswith("python -m course_lib half ")
    half, _ = load_vae(path)
    assert next(half.parameters()).dtype == torch.float32        # loaded into the float32 model
    for (k, a), b in zip(full.state_dict().items(), half.state_dict().values()):
        if k.startswith("prior."):
            assert torch.equal(a, b)
        else:
            torch.testing.assert_close(b, a.half().float(), rtol=0, atol=0)
    x = torch.stack([half.sample(16, generator=make_generator(0)), full.sample(16, generator=make_generator(0))])
    assert float((x[0] - x[1]).abs().max()) < 0.02
    # twice is refused; a missing checkpoint is a clear error
    assert cli.main(["half", str(tmp_path / "h")]) == 2
    assert "already stored as float16" in capsys.readouterr().err
    assert cli.main(["half", str(tmp_path / "nothing")]) == 2
    assert "No model card" in capsys.readouterr().err
