"""course_lib.models.diffusion: every formula, checked against an independent computation, and against the
schedulers of ``diffusers`` (a test-only dependency that needs no network)."""
from __future__ import annotations

import math

import pytest
import torch

from course_lib.checkpoint import read_card, shipped_checkpoint
from course_lib.models import diffusion as D
from course_lib.models import diffusion_task as DT
from course_lib.models import diffusion_unet as DU
from course_lib.seed import make_generator

torch.set_default_dtype(torch.float32)



# ---------------------------------------------------------------------------------------------- schedules
def test_linear_schedule_values() -> None:
    s = D.linear_schedule(1000)
    assert s.T == 1000 and len(s.betas) == 1001
    assert float(s.betas[0]) == 0.0
    assert float(s.betas[1]) == pytest.approx(1e-4) and float(s.betas[1000]) == pytest.approx(0.02)
    assert float(s.alpha_bars[0]) == 1.0
    # alpha_bar is the running product of alphas
    assert torch.allclose(s.alpha_bars[1:], torch.cumprod(1 - s.betas[1:], 0))
    assert float(s.alpha_bars[-1]) < 1e-4  # x_T is almost pure noise


def test_cosine_schedule_matches_its_closed_form() -> None:
    T, sc = 1000, D.cosine_schedule(1000)
    f = lambda t: math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (1, 10, 500, 900):  # away from the clip at the very end
        assert float(sc.alpha_bars[t]) == pytest.approx(f(t) / f(0), rel=1e-9)
    assert float(sc.betas.max()) <= 0.999


def test_snr_is_decreasing_and_cosine_keeps_more_signal_midway() -> None:
    lin, cos = D.snr(D.linear_schedule()), D.snr(D.cosine_schedule())
    assert bool((lin[1:] < lin[:-1]).all()) and bool((cos[1:] < cos[:-1]).all())
    assert float(cos[499]) > float(lin[499])  # the linear schedule destroys information faster
    ab = D.linear_schedule().alpha_bars[1:]
    assert torch.allclose(lin, ab / (1 - ab))


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="betas\\[0\\]"):
        D.Schedule(torch.tensor([0.1, 0.2], dtype=torch.float64))
    with pytest.raises(ValueError, match="unknown schedule"):
        D.make_schedule("quadratic")
    with pytest.raises(ValueError, match="T must be"):
        D.linear_schedule(0)


# ------------------------------------------------------------------------------------- forward process
def test_q_sample_equals_the_simulated_chain_in_distribution() -> None:
    s, g = D.linear_schedule(100, 1e-3, 0.05), make_generator(1)
    x0 = torch.full((200_000, 1), 1.5)
    x = x0.clone()
    for t in range(1, 61):
        x = D.q_step(x, t, s, torch.randn(x.shape, generator=g))
    ab = float(s.alpha_bars[60])
    assert float(x.mean()) == pytest.approx(math.sqrt(ab) * 1.5, abs=0.01)
    assert float(x.var()) == pytest.approx(1 - ab, abs=0.01)
    direct = D.q_sample(x0, 60, s, torch.randn(x0.shape, generator=g))
    assert float(direct.mean()) == pytest.approx(float(x.mean()), abs=0.01)


def test_q_sample_per_example_times() -> None:
    s = D.cosine_schedule(50)
    x0, eps = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    t = torch.tensor([1, 25, 50])
    out = D.q_sample(x0, t, s, eps)
    for i in range(3):
        ab = float(s.alpha_bars[int(t[i])])
        assert torch.allclose(out[i], math.sqrt(ab) * x0[i] + math.sqrt(1 - ab) * eps[i], atol=1e-6)
    with pytest.raises(ValueError, match="\\(B,\\) tensor"):
        D.q_sample(x0, torch.tensor([1, 2]), s, eps)


# ------------------------------------------------------------------------------------------- posterior
def test_posterior_is_bayes_on_1d_gaussians() -> None:
    """q(x_{t-1} | x_t, x_0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x_0): product of two Gaussians in x_{t-1}."""
    s = D.linear_schedule(200)
    x0, xt = torch.tensor([[0.7]]), torch.tensor([[-0.3]])
    for t in (2, 50, 200):
        a, b, ab_prev = float(s.alphas[t]), float(s.betas[t]), float(s.alpha_bars[t - 1])
        # likelihood in x_{t-1}: N(x_t; sqrt(a) x_{t-1}, b) -> precision a/b, mean x_t/sqrt(a)
        prec = a / b + 1 / (1 - ab_prev)
        mean = (math.sqrt(a) / b * float(xt) + math.sqrt(ab_prev) / (1 - ab_prev) * float(x0)) / prec
        m, v = D.posterior(x0, xt, t, s)
        assert float(m) == pytest.approx(mean, rel=1e-5)
        assert float(v) == pytest.approx(1 / prec, rel=1e-5)


def test_posterior_by_grid_integration() -> None:
    s = D.cosine_schedule(100)
    t, x0, xt = 30, 0.4, 0.9
    grid = torch.linspace(-6, 6, 200_001, dtype=torch.float64)
    a, b, ab_prev = s.alphas[t], s.betas[t], s.alpha_bars[t - 1]
    logp = (-(xt - a.sqrt() * grid) ** 2 / (2 * b) - (grid - ab_prev.sqrt() * x0) ** 2 / (2 * (1 - ab_prev)))
    w = torch.softmax(logp, 0)
    mean = float((w * grid).sum())
    var = float((w * (grid - mean) ** 2).sum())
    m, v = D.posterior(torch.tensor([x0], dtype=torch.float64), torch.tensor([xt], dtype=torch.float64), t, s)
    assert float(m) == pytest.approx(mean, rel=1e-6) and float(v) == pytest.approx(var, rel=1e-4)


# ---------------------------------------------------------------------------------- parameterisations
def test_eps_x0_score_round_trips() -> None:
    s = D.cosine_schedule(100)
    x0, eps, t = torch.randn(4, 3), torch.randn(4, 3), torch.tensor([1, 10, 50, 99])
    xt = D.q_sample(x0, t, s, eps)
    assert torch.allclose(D.eps_to_x0(xt, eps, t, s), x0, atol=1e-4)
    assert torch.allclose(D.x0_to_eps(xt, x0, t, s), eps, atol=1e-4)
    assert torch.allclose(D.score_to_eps(D.eps_to_score(eps, t, s), t, s), eps, atol=1e-6)


def test_tweedie_score_of_a_gaussian_mixture() -> None:
    """For x_0 from a 1-D two-component mixture, q_t is a mixture with known score; the ε that the
    conversion gives from it equals E[ε | x_t] estimated by Monte Carlo (binning)."""
    s, t = D.linear_schedule(100), 40
    ab = float(s.alpha_bars[t])
    mus, sd = torch.tensor([-2.0, 1.0]), 0.3
    g = make_generator(3)
    n = 400_000
    comp = torch.randint(0, 2, (n,), generator=g)
    x0 = mus[comp] + sd * torch.randn(n, generator=g)
    eps = torch.randn(n, generator=g)
    xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
    # closed-form score of q_t = 1/2 sum_k N(sqrt(ab) mu_k, ab sd² + 1 - ab)
    var = ab * sd ** 2 + 1 - ab

    def score(x: torch.Tensor) -> torch.Tensor:
        logw = -(x[:, None] - math.sqrt(ab) * mus[None]) ** 2 / (2 * var)
        w = torch.softmax(logw, 1)
        return (w * (math.sqrt(ab) * mus[None] - x[:, None]) / var).sum(1)

    for centre in (-1.5, 0.0, 0.8):
        sel = (xt - centre).abs() < 0.02
        mc, se = float(eps[sel].mean()), float(eps[sel].std()) / math.sqrt(int(sel.sum()))
        formula = float(D.score_to_eps(score(torch.tensor([centre])), t, s))
        assert abs(formula - mc) < 4 * se + 0.005, (centre, formula, mc, se)


# -------------------------------------------------------------------------------------------- samplers
def test_ddpm_step_unclipped_equals_algorithm_2() -> None:
    s = D.linear_schedule(100)
    xt, eps, z = torch.randn(5, 2), torch.randn(5, 2), torch.randn(5, 2)
    t = 37
    a, b, ab = float(s.alphas[t]), float(s.betas[t]), float(s.alpha_bars[t])
    sigma = float(s.posterior_variance[t]) ** 0.5
    expect = (xt - b / math.sqrt(1 - ab) * eps) / math.sqrt(a) + sigma * z
    assert torch.allclose(D.ddpm_step(xt, eps, t, s, z, clip=None), expect, atol=1e-5)
    with pytest.raises(ValueError, match="t must be"):
        D.ddpm_step(xt, eps, 0, s, z)


def test_ddim_with_eta_one_and_single_steps_is_ddpm() -> None:
    s = D.cosine_schedule(100)
    xt, eps, z = torch.randn(5, 2), torch.randn(5, 2), torch.randn(5, 2)
    for t in (2, 50, 100):
        assert torch.allclose(D.ddim_step(xt, eps, t, t - 1, s, eta=1.0, noise=z, clip=None),
                              D.ddpm_step(xt, eps, t, s, z, clip=None), atol=1e-5)


def test_ddim_deterministic_step_keeps_x0_and_eps() -> None:
    """With η = 0 and an exact ε, a DDIM jump lands exactly on q_sample(x_0, t', ε)."""
    s = D.cosine_schedule(1000)
    x0, eps = torch.rand(3, 4) * 2 - 1, torch.randn(3, 4)
    xt = D.q_sample(x0, 800, s, eps)
    assert torch.allclose(D.ddim_step(xt, eps, 800, 300, s, eta=0.0), D.q_sample(x0, 300, s, eps), atol=1e-5)
    assert torch.allclose(D.ddim_step(xt, eps, 800, 0, s, eta=0.0), x0, atol=1e-5)


def test_ddim_timesteps() -> None:
    assert D.ddim_timesteps(1000, 10) == [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]
    assert D.ddim_timesteps(10, 10) == list(range(10, 0, -1))
    with pytest.raises(ValueError):
        D.ddim_timesteps(10, 11)


def test_guidance_combination() -> None:
    c, u = torch.randn(4), torch.randn(4)
    assert torch.equal(D.guided_eps(c, u, 0.0), c)
    assert torch.allclose(D.guided_eps(c, u, 2.0), u + 3.0 * (c - u))  # diffusers' guidance_scale = 1 + w


# ---------------------------------------------------------------------------------------------- losses
def test_simple_loss_and_normal_kl() -> None:
    a, b = torch.randn(10), torch.randn(10)
    assert float(D.simple_loss(a, b)) == pytest.approx(float(((a - b) ** 2).mean()))
    m1, v1, m2, v2 = torch.tensor(0.3), torch.tensor(0.5), torch.tensor(-0.2), torch.tensor(2.0)
    p, q = torch.distributions.Normal(m1, v1.sqrt()), torch.distributions.Normal(m2, v2.sqrt())
    assert float(D.normal_kl(m1, v1, m2, v2)) == pytest.approx(float(torch.distributions.kl_divergence(p, q)))


def test_discretized_gaussian_is_a_probability_over_the_grid() -> None:
    grid = torch.linspace(-1, 1, 256, dtype=torch.float64)
    for mean, std in ((0.1, 0.05), (0.99, 0.01), (-1.0, 0.3)):
        p = D.discretized_gaussian_log_likelihood(grid, torch.tensor(mean, dtype=torch.float64), std).exp()
        assert float(p.sum()) == pytest.approx(1.0, abs=1e-9)
    # a narrow Gaussian on a grid value puts almost all mass on that value
    lp = D.discretized_gaussian_log_likelihood(grid[100:101], grid[100:101], 1e-4)
    assert float(lp) == pytest.approx(0.0, abs=1e-6)


def test_bits_per_dim_conversion() -> None:
    assert D.nats_to_bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0)


def test_vlb_of_the_exact_denoiser_for_a_point_mass() -> None:
    """If the data is one point x*, the optimal ε-network is (x_t − √ᾱ_t x*)/√(1−ᾱ_t): every diffusion
    KL vanishes and the bound is the prior term plus the decoder term only."""
    s = D.linear_schedule(50, 1e-4, 0.2)
    x_star = torch.tensor([[1 / 255, 1.0, -1.0]])  # values on the 256-level grid
    x0 = x_star.expand(4, 3).clone()

    def oracle(xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return D.x0_to_eps(xt, x_star.expand_as(xt), t, s)

    out = D.vlb_terms(oracle, x0, s, generator=make_generator(0))
    assert float(out["diffusion"].abs().max()) < 1e-3
    ab = float(s.alpha_bars[-1])
    prior = 0.5 * (-math.log(1 - ab) + (1 - ab) + ab * x_star.pow(2) - 1).sum()
    assert torch.allclose(out["prior"], prior.expand(4), atol=1e-5)
    # decoder: N(x*, β_1) integrated over x*'s bin (half-width h = 1/255; the end bins are open)
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    h, sd = 1 / 255, math.sqrt(float(s.betas[1]))
    expect = -(math.log(2 * phi(h / sd) - 1) + 2 * math.log(phi(h / sd)))
    assert torch.allclose(out["decoder"], torch.full((4,), expect), atol=1e-3)
    assert torch.allclose(out["total"], out["prior"] + out["diffusion"] + out["decoder"])


class _PointMassOracle(torch.nn.Module):
    """The exact ε-network when every image is the same 28×28 image ``x_star`` (in ``[−1, 1]``)."""

    def __init__(self, x_star: torch.Tensor, schedule: D.Schedule) -> None:
        super().__init__()
        self.x_star, self.schedule = x_star, schedule
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # a device for the bound to read

    def forward(self, xt: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return D.x0_to_eps(xt, self.x_star.expand_as(xt), t, self.schedule)


def test_likelihood_bound_of_the_exact_denoiser_is_prior_plus_decoder() -> None:
    """Images in [0, 1] go onto the 256-level grid and into [−1, 1]: for a point mass, the bound is the
    closed-form prior term plus the decoder term, every diffusion KL vanishes, and bits/dim = nats / (784 ln 2)."""
    s = D.linear_schedule(30, 1e-4, 0.3)
    img = (torch.arange(784, dtype=torch.float32) % 256 / 255).view(1, 1, 28, 28)
    oracle = _PointMassOracle(img * 2 - 1, s)
    off_grid = (img + 0.3 / 255).clamp(0, 1).expand(5, 1, 28, 28)   # rounds back onto img
    out = D.likelihood_bound(oracle, off_grid, generator=make_generator(0), batch_size=2)
    assert out["images"] == 5 and out["times"] == 29
    assert abs(out["terms_nats"]["diffusion"]) < 1e-2
    ab = float(s.alpha_bars[-1])
    x = img * 2 - 1
    prior = float((0.5 * (-math.log(1 - ab) + (1 - ab) + ab * x.pow(2) - 1)).sum())
    assert out["terms_nats"]["prior"] == pytest.approx(prior, rel=1e-4)
    direct = D.vlb_terms(oracle, x.expand(5, 1, 28, 28), s, ts=[2], generator=make_generator(1))
    assert out["terms_nats"]["decoder"] == pytest.approx(float(direct["decoder"].mean()), rel=1e-3)
    assert out["nats_per_image"] == pytest.approx(sum(out["terms_nats"][k] for k in ("prior", "diffusion", "decoder")))
    assert out["bits_per_dim"] == pytest.approx(out["nats_per_image"] / (784 * math.log(2)))
    assert out["nats_se"] < 1e-2                       # identical images, no time sampling: no spread


def test_likelihood_bound_of_a_network_sums_every_time_or_samples_some() -> None:
    torch.manual_seed(0)
    m = DU.DiffusionUNet(channels=8, emb_dim=16, T=12, patch=2)
    for p in m.parameters():
        if not p.any():
            torch.nn.init.normal_(p, std=0.1)
    x = torch.rand(6, 1, 28, 28)
    m.train()
    full = D.likelihood_bound(m, x, generator=make_generator(0), batch_size=4)
    assert m.training                                    # the caller's mode is restored
    assert full["times"] == 11 and full["images"] == 6
    again = D.likelihood_bound(m, x, generator=make_generator(0), batch_size=4)         # the same seed: the same noise
    assert full["nats_per_image"] == pytest.approx(again["nats_per_image"], rel=1e-6)
    some = D.likelihood_bound(m, x, times=4, generator=make_generator(0))
    assert some["times"] == 4 and some["nats_se"] > 0
    # the time-sampled estimate is unbiased: over many draws its mean approaches the full sum
    draws = [D.likelihood_bound(m, x, times=3, generator=make_generator(k))["terms_nats"]["diffusion"] for k in range(30)]
    spread = torch.tensor(draws)
    assert abs(float(spread.mean()) - full["terms_nats"]["diffusion"]) < 4 * float(spread.std()) / math.sqrt(30) + 1.0
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        D.likelihood_bound(m, x * 255)
    with pytest.raises(ValueError, match="times must be"):
        D.likelihood_bound(m, x, times=12)


# ------------------------------------------------------------------------------------- cross-check: diffusers
@pytest.fixture(scope="module")
def diffusers():
    """The oracle; only these cross-checks skip where it is missing (never the rest of the module)."""
    return pytest.importorskip("diffusers")


@pytest.mark.parametrize("name,theirs", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
def test_schedules_match_diffusers(diffusers, name: str, theirs: str) -> None:
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule=theirs)
    ours = D.make_schedule(name, 1000)
    assert torch.allclose(ours.betas[1:].float(), ref.betas, atol=1e-6)
    assert torch.allclose(ours.alpha_bars[1:].float(), ref.alphas_cumprod, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("clip", [False, True])
def test_ddpm_step_matches_diffusers(diffusers, clip: bool) -> None:
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=clip)
    ours = D.cosine_schedule(1000)
    x, eps = torch.randn(2, 1, 4, 4, generator=make_generator(5)) * 1.5, torch.randn(2, 1, 4, 4, generator=make_generator(6))
    for k in (999, 500, 37, 1, 0):  # diffusers' step k is our t = k + 1
        theirs = ref.step(eps, k, x, generator=make_generator(7)).prev_sample
        z = torch.randn(x.shape, generator=make_generator(7))
        mine = D.ddpm_step(x, eps, k + 1, ours, z, clip=1.0 if clip else None)
        assert torch.allclose(mine, theirs, atol=1e-3), k  # diffusers works in float32, we in float64


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_ddim_step_matches_diffusers(diffusers, eta: float) -> None:
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=True,
                                  set_alpha_to_one=True, timestep_spacing="leading", steps_offset=0)
    ref.set_timesteps(20)
    ours = D.cosine_schedule(1000)
    x, eps = torch.randn(2, 1, 4, 4, generator=make_generator(8)), torch.randn(2, 1, 4, 4, generator=make_generator(9))
    r = 1000 // 20
    for k in ref.timesteps.tolist():
        z = torch.randn(x.shape, generator=make_generator(10))
        theirs = ref.step(eps, k, x, eta=eta, use_clipped_model_output=True, variance_noise=z).prev_sample
        mine = D.ddim_step(x, eps, k + 1, max(k - r + 1, 0), ours, eta=eta, noise=z, clip=1.0)
        assert torch.allclose(mine, theirs, atol=2e-4), k


# --------------------------------------------------------------------------------------------- network
def test_unet_shapes_conditioning_and_sample_range() -> None:
    torch.manual_seed(0)
    for patch in (1, 2):
        m = DU.DiffusionUNet(channels=8, emb_dim=16, T=20, patch=patch, sample_steps=3)
        x, t = torch.randn(3, 1, 28, 28), torch.tensor([1, 10, 20])
        assert m(x, t, torch.tensor([0, 5, DU.NULL_CLASS])).shape == (3, 1, 28, 28)
        for p in m.parameters():  # zero-initialised layers: perturb them to see the conditioning act
            if not p.any():
                torch.nn.init.normal_(p, std=0.1)
        assert not torch.allclose(m(x, t, torch.tensor([0, 0, 0])), m(x, t, torch.tensor([1, 1, 1])))
        assert torch.allclose(m(x, t), m(x, t, torch.full((3,), DU.NULL_CLASS)))
        img = m.sample(4, generator=make_generator(0))
        assert img.shape == (4, 1, 28, 28) and float(img.min()) >= 0 and float(img.max()) <= 1
        a = m.sample(2, generator=make_generator(1), method="ddpm")
        b = m.sample(2, generator=make_generator(1), y=torch.tensor([3, 4]), guidance=2.0, steps=5)
        assert a.shape == b.shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="shape"):
        m(torch.randn(2, 28, 28), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="DDPM takes all"):
        m.reverse(1, method="ddpm", steps=5)
    with pytest.raises(ValueError, match="channels"):
        DU.DiffusionUNet(channels=12)


def test_training_reduces_the_loss_and_checkpoint_round_trip(tmp_path) -> None:
    from course_lib.checkpoint import save_checkpoint
    from course_lib.evaluator import load_any
    from course_lib.models.diffusion_task import load_diffusion, train_diffusion

    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28).round()
    y = torch.arange(64) % 10
    m = DU.DiffusionUNet(channels=8, emb_dim=16, T=50)
    ema, hist = train_diffusion(m, x, y, epochs=6, batch_size=16, lr=3e-3, device="cpu")
    assert hist[-1]["loss"] < hist[0]["loss"]
    save_checkpoint(ema.half(), tmp_path / "d", DT.KIND, ema.config, {"note": "test"})
    back, card = load_diffusion(tmp_path / "d")
    assert next(back.parameters()).dtype == torch.float32 and card["config"]["T"] == 50
    back2, _ = load_any(tmp_path / "d")  # through the registry: float16 weights come back as float32
    assert next(back2.parameters()).dtype == torch.float32
    assert torch.equal(back2.sample(2, generator=make_generator(0), steps=3), back.sample(2, generator=make_generator(0), steps=3))
    with pytest.raises(ValueError, match="p_uncond"):
        train_diffusion(m, x, y, epochs=1, p_uncond=1.5, device="cpu")


def test_cli_trains_resumes_and_samples(tmp_path) -> None:
    from course_lib.checkpoint import read_card
    from course_lib.evaluator import load_any
    from course_lib.cli import main

    common = ["--train-size", "64", "--batch-size", "32", "--channels", "8", "--emb-dim", "16", "--T", "20",
              "--sample-steps", "4", "--out", str(tmp_path), "--name", "d", "--no-progress", "--fp16"]
    assert main(["train", "diffusion", "--epochs", "1", *common]) == 0
    assert main(["train", "diffusion", "--epochs", "2", "--resume", *common]) == 0
    card = read_card(tmp_path / "d")
    assert card["epochs"] == 2 and card["weights_dtype"] == "float16" and len(card["history"]) == 2
    model, card = load_any(str(tmp_path / "d"))
    assert card["kind"] == DT.KIND and model.sample(2).shape == (2, 1, 28, 28)
    assert main(["sample", str(tmp_path / "d"), "-n", "4", "-o", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").is_file()
    assert main(["train", "diffusion", "--epochs", "1", *common, "--batch-size", "999"]) == 2  # > 64 images
    assert main(["train", "diffusion", "--epochs", "1", *common, "--p-uncond", "1.5"]) == 2


def test_registry_entry_keeps_the_old_trainer_flags() -> None:
    """The shipped checkpoint's card records a command of the first trainer: its flags must still parse."""
    from course_lib import registry
    from course_lib.cli import build_parser, config_from_args

    kind = registry.get("diffusion")
    assert registry.for_card_kind(DT.KIND) is kind and DT.KIND in registry.generator_kinds()
    argv = ["train", "diffusion", "--data", "offline", "--epochs", "60", "--channels", "32", "--threads", "1",
            "--out", "course_lib/checkpoints", "--name", "diffusion_offline", "--no-progress", "--resume"]
    cfg = config_from_args(build_parser().parse_args(argv), argv)
    assert cfg.options == {"channels": 32, "emb_dim": 128, "T": 1000, "schedule": "cosine", "p_uncond": 0.2,
                           "ema": 0.999, "patch": 2, "sample_steps": 50, "fp16": False, "train_size": None}
    assert kind.defaults == {"epochs": 100, "batch_size": 128, "lr": 2e-3}


def test_shipped_card_commands_parse_to_its_options() -> None:
    """Every command the shipped checkpoint's card records (one, or one per resumed run) parses with today's
    command line to the model the card describes."""
    import shlex

    from course_lib.checkpoint import read_card, shipped_checkpoint
    from course_lib.cli import build_parser, config_from_args

    stem = shipped_checkpoint("diffusion_offline")
    if not stem.with_suffix(".json").is_file():
        pytest.skip("the shipped diffusion checkpoint is not in this checkout")
    card = read_card(stem)
    commands = [c["command"] for c in card.get("commands") or []] or [card["command"]]
    for command in commands:
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "course_lib"], command
        argv = words[3:]
        cfg = config_from_args(build_parser().parse_args(argv), argv)
        for key, value in card["config"].items():
            if key in cfg.options:
                assert cfg.options[key] == value, (command, key)


def test_shipped_checkpoint_loads_and_samples() -> None:
    from course_lib.evaluator import load_any
    from course_lib.evaluator import sample_checkpoint, shipped_checkpoint

    stem = shipped_checkpoint("diffusion_offline")
    if not stem.with_suffix(".json").is_file():
        pytest.skip("the shipped diffusion checkpoint is not in this checkout")
    model, card = load_any(stem)
    assert isinstance(model, DU.DiffusionUNet) and card["kind"] == DT.KIND and not model.training
    x = sample_checkpoint(stem, 4, seed=0)
    assert x.shape == (4, 1, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1


def test_sampling_row_and_row_interval_read_the_cards_study():
    card = {"config": {"sample_steps": 50}, "study": {"sampling": {"rows": [
        {"sampler": "ddim", "steps": 50, "clip": False, "fd": 90.0, "fd_low": 80.0, "fd_high": 99.0, "draws": 3},
        {"sampler": "ddim", "steps": 50, "clip": True, "fd": 79.7, "fd_low": 76.8, "fd_high": 82.7,
         "kl_to_uniform": 0.035, "kl_low": 0.02, "kl_high": 0.05, "draws": 3},
        {"sampler": "ddpm", "steps": 50, "clip": True, "fd": 70.0, "fd_low": 69.0, "fd_high": 71.0, "draws": 3}]}}}
    row = DT.sampling_row(card)  # the checkpoint's own sampler: DDIM, its sample_steps, clipped
    assert row["fd"] == 79.7 and DT.sampling_row(card, "ddim", steps=50, clip=False)["fd"] == 90.0
    assert DT.sampling_row(card, "ddpm", 50)["fd"] == 70.0
    fd = DT.row_interval(row)
    assert (fd.estimate, fd.low, fd.high, fd.level, fd.method, fd.n) == (79.7, 76.8, 82.7, 0.95, "seeds-t", 3)
    kl = DT.row_interval(row, "kl")
    assert (kl.estimate, kl.low, kl.high) == (0.035, 0.02, 0.05)
    assert DT.row_interval({"fd": 1.0, "fd_low": 0.5, "fd_high": 1.5}, draws=4).n == 4  # class-mix rows
    rec = DT.row_interval({"recognisable": 0.8, "recognisable_low": 0.7, "recognisable_high": 0.9, "draws": 5},
                          "recognisable")  # the recognisable study's rows
    assert (rec.estimate, rec.low, rec.high, rec.n) == (0.8, 0.7, 0.9, 5)
    with pytest.raises(KeyError, match="no row for ddim, 20 steps"):
        DT.sampling_row(card, steps=20)


def test_the_shipped_card_has_the_default_samplers_row():
    row = DT.sampling_row(read_card(shipped_checkpoint("diffusion_offline")))
    assert (row["sampler"], row["steps"], row["clip"]) == ("ddim", 50, True)
    assert DT.row_interval(row).low <= row["fd"] <= DT.row_interval(row).high


def test_the_showcase_cards_test_bound_is_the_bench_tables_row():
    """The bound on MNIST's test digits in diffusion_full's card (bench/diffusion.py --only likelihood) and the
    row of bench.json's full-MNIST table (bench/quality.py) were measured on the same checkpoint: they agree."""
    from course_lib.checkpoint import load_bench

    card = read_card(shipped_checkpoint("diffusion_full"))
    lik = card["study"]["likelihood"]
    assert lik["digits"] == "MNIST test" and lik["unconditional"] and lik["times"] == 999
    row = next(r for r in load_bench()["full_mnist"] if r["what"].startswith("diffusion") and "test bound" in r["what"])
    assert row["command"] == card["command"]
    assert f"{lik['images']} digits" in row["what"]
    assert row["value"] == f"{lik['bits_per_dim']:.3f} ± {lik['bits_per_dim_se']:.3f}"
    # bits per dimension are the nats per image over 784 log 2
    assert lik["bits_per_dim"] == pytest.approx(lik["nats_per_image"] / (784 * math.log(2)), abs=1e-4)


def test_the_showcase_card_records_which_sampler_meets_the_bar():
    """Issue 26's target for the diffusion showcase, read off its card's rows as chapter 7 reads them: the unguided
    marginal (labels drawn from the training shares, w = 0) clears the bar with the ancestral sampler at 100 steps
    and not with the default DDIM; the null class clears it with neither."""
    from course_lib.evaluator import meets_bar, showcase_bar
    from course_lib.stats import row_interval

    card = read_card(shipped_checkpoint("diffusion_full"))
    bar = showcase_bar(card["kind"])
    rows = {(r["labels"], r["w"], r.get("sampler", "ddim")): r for r in card["study"]["recognisable"]["rows"]}
    assert set(rows) == {(None, None, "ddim"), ("prior", 0.0, "ddim"), ("prior", 1.0, "ddim"),
                         (None, None, "ddpm"), ("prior", 0.0, "ddpm")}

    def meets(key):
        r = rows[key]
        return meets_bar(row_interval(r, "recognisable"), row_interval(r, "kl"), r["classes_present"], bar)

    assert meets(("prior", 0.0, "ddpm")) and rows["prior", 0.0, "ddpm"]["steps"] == 100
    assert not meets(("prior", 0.0, "ddim")) and not meets((None, None, "ddim")) and not meets((None, None, "ddpm"))
