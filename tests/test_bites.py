"""Tests that bite (2): each one fails on a bug planted in course_lib that the rest of the unit suite let through.

Every bug below was planted in a scratch copy of ``course_lib`` (never in the working tree); the existing tests that
exercise the module (``tests/test_<module>.py`` and the others that import it) were run on the mutant and **passed**,
and the test named here **failed** on it and passes on the real code. Bugs of these kinds that the suite already
caught (e.g. ``rank_of`` with ``>=``, ``tpr_at_fpr`` on the low end of a vertical step, the DDIM times shifted, the
decoder's variance used as its standard deviation, a swapped ``fit_discriminator`` loss, δ ≠ 1/N) have no test here.

1. A preprocessing step dropped before a statistic is computed.

   * ``responsible/watermark.py:watermark_score`` — the image no longer centred (``c = x − mean(x)`` removed):
     ``test_watermark_score_is_centred``.
   * ``models/dcgan.py:_to_uint8`` (the per-epoch snapshots) — ``255·x`` truncated instead of rounded:
     ``test_dcgan_snapshots_round_to_8bit``.
   * ``models/diffusion.py:vlb_terms`` — ``x̂_0`` not clipped to ``[−1, 1]`` before the KL and decoder terms:
     ``test_likelihood_bound_terms_in_closed_form``.
   * ``evaluator.py:features`` — ``.eval()`` removed (batch norm on the batch's statistics):
     ``test_classifier_features_use_eval_mode``.
   * ``responsible/membership.py:discriminator_scores`` — ``discriminator.eval()`` removed (LOGAN scores then depend
     on the batch): ``test_discriminator_scores_do_not_depend_on_the_batch``.
   * ``models/dcgan.py:DCGAN.recalibrate_ema`` — ``m.momentum = None`` (cumulative average) removed, or
     ``m.reset_running_stats()`` removed: ``test_recalibrate_ema_is_a_cumulative_average_of_fresh_batches``.
   * ``models/diffusion.py:DiffusionUNet.sample`` — ``(x + 1) / 2`` dropped (data units returned as pixels):
     ``test_unet_sample_uses_sample_steps_and_maps_to_pixels``.
   * ``models/diffusion.py:load_samples`` and ``models/dcgan.py:load_snapshots`` — ``.div(255)`` dropped:
     ``test_stored_samples_and_snapshots_are_scaled_to_pixels``.

2. An off-by-one in a count threshold or in the range of a sum.

   * ``models/gan.py:mode_coverage`` — ``counts >= share·N`` → ``>``:
     ``test_mode_coverage_threshold_is_at_least_a_quarter_of_the_fair_share``.
   * ``models/diffusion.py:vlb_terms`` — the sum over ``t = 2..T`` estimated as ``T · mean`` instead of
     ``(T − 1) · mean``: ``test_likelihood_bound_terms_in_closed_form``.
   * ``training.py:skewed_subset`` — ``ceil(n / factor)`` → ``n // factor``:
     ``test_skewed_subset_keeps_ceil_of_the_rare_class``.
   * ``models/diffusion.py:DiffusionTask.step`` — training times ``randint(1, T + 1)`` → ``randint(0, T)``:
     ``test_diffusion_task_step_times_and_label_dropout``; the same in ``train_toy``:
     ``test_train_toy_draws_times_1_to_T``.
   * ``models/gan.py:GANToyTask.epochs`` — ``ceil(steps / snapshot_every)`` → ``steps // snapshot_every`` (the
     last steps never taken): ``test_train_gan_takes_every_step_and_snapshots_the_last``.
   * ``responsible/text_watermark.py:detect`` — ``z > threshold`` → ``>=``:
     ``test_text_watermark_test_is_strict_at_the_threshold``.
   * ``models/diffusion.py:lr_at`` (now ``models/diffusion_task.py:DiffusionTask.learning_rate``) — warm-up while
     ``step < warmup`` → ``<=``: ``test_diffusion_learning_rate_by_hand``.

3. Two symmetric branches swapped.

   * ``models/gan.py:GANToyTask`` — the two players' learning rates swapped (``lr_d`` for the generator's Adam,
     ``lr_g`` for the discriminator's): ``test_train_gan_gives_each_player_its_own_learning_rate``.
   * ``models/diffusion.py:DiffusionUNet.eps`` — the conditional and unconditional halves of the guided batch
     swapped (``(1 + w) ε(x, ∅) − w ε(x, c)``): ``test_unet_guidance_weights_the_conditional_prediction``.
   * ``responsible/detector.py:detector_accuracy`` — ``real_correct`` and ``fake_caught`` swapped:
     ``test_detector_accuracy_names_each_side``.
   * ``models/gan_game.py:gan_train_step`` — ``d_real`` and ``d_fake`` swapped:
     ``test_gan_train_step_reports_d_real_and_d_fake_of_their_own_inputs``.

4. A hyper-parameter recorded by one convention and used by another.

   * ``responsible/dp.py:DPVAETask`` — ``sample_rate`` recorded (and used by the ε = ∞ baseline) as ``B / N`` while
     Opacus samples with ``1 / ceil(N / B)``: ``test_dp_records_the_sampling_rate_opacus_uses``.
   * ``models/gpt.py:GPTTask.train_epoch`` — the learning rate decayed to 0 while the card says "cosine decay to
     lr/10"; ``train_bpc`` recorded in nats: ``test_gpt_task_lr_curve_and_train_bpc``.
   * ``models/diffusion.py:lr_at`` (now ``DiffusionTask.learning_rate``) — the decay to 0 instead of the documented
     floor ``lr / 10``: ``test_diffusion_learning_rate_by_hand``.
   * ``models/diffusion.py:DiffusionUNet.reverse`` — DDIM with ``min(T, 50)`` steps instead of the ``sample_steps``
     that the card's sampler records: ``test_unet_sample_uses_sample_steps_and_maps_to_pixels``.
   * ``models/diffusion.py:DiffusionTask.step`` — labels dropped with probability ``1 − p_uncond`` (``rand >
     p_uncond``) instead of ``p_uncond``: ``test_diffusion_task_step_times_and_label_dropout``.
   * ``models/diffusion.py:_ema_update`` — ``decay`` used as the weight of the new weights (``lerp(p, decay)``)
     instead of the old average's: ``test_ema_updates_use_decay_as_the_weight_of_the_average``.

Every test is seeded, runs on one CPU thread, and checks a closed form, a hand computation or an independent
computation (NumPy / SciPy / Opacus / the raw safetensors files) rather than the function under test.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from course_lib.seed import make_generator

pytestmark = pytest.mark.usefixtures("one_thread")



def _grid_images(n: int, seed: int) -> torch.Tensor:
    """``n`` images on the 8-bit grid, in ``[0, 1]``."""
    return torch.randint(0, 256, (n, 1, 28, 28), generator=make_generator(seed)).float() / 255


# ================================================================================================ class 1
def test_watermark_score_is_centred():
    """``z = ⟨x − mean(x), p⟩ / ‖x − mean(x)‖``: checked against NumPy, and unchanged by a uniform brightening."""
    from course_lib.responsible.watermark import embed_watermark, watermark_pattern, watermark_score

    x = 0.2 + 0.3 * torch.rand(6, 1, 28, 28, generator=make_generator(0))
    x[3:] = embed_watermark(x[3:], key=5, strength=0.05)
    p = watermark_pattern(5).numpy().reshape(-1).astype(np.float64)
    want = []
    for img in x.numpy().reshape(6, -1).astype(np.float64):
        c = img - img.mean()
        want.append(c @ p / np.linalg.norm(c))
    got = watermark_score(x, 5)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(watermark_score(x + 0.4, 5).numpy(), got.numpy(), rtol=1e-4, atol=1e-4)
    assert (got[:3].abs() < 4).all() and (got[3:] > 4).all()


def test_dcgan_snapshots_round_to_8bit():
    """The per-epoch snapshots store ``round(255 · G(z))`` of the sampling generator, not a truncation."""
    from course_lib.models.dcgan import DCGANTask, make_dcgan

    model = make_dcgan(z_dim=4, channels=4, d_channels=4, seed=0)
    task = DCGANTask(model, _grid_images(8, 1), batch_size=4, device="cpu")
    task.z_fixed = torch.randn(6, 4, generator=make_generator(2))
    task.evaluate()
    got = task.snapshots[0]
    g = copy.deepcopy(model.sampling_generator).eval()
    with torch.no_grad():
        want = np.clip(np.round(g(task.z_fixed).double().numpy()[:, 0] * 255), 0, 255).astype(np.uint8)
    assert got.dtype == torch.uint8 and got.shape == (6, 28, 28)
    np.testing.assert_array_equal(got.numpy(), want)


class _ConstantX0(nn.Module):
    """A stand-in for the UNet whose ε-prediction always implies ``x̂_0 = k`` (so every KL term is known)."""

    def __init__(self, k: torch.Tensor, schedule) -> None:
        super().__init__()
        self.k, self.schedule = k, schedule
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, xt: torch.Tensor, t: torch.Tensor, y=None) -> torch.Tensor:
        ab = self.schedule.alpha_bars.to(xt.dtype)[t].view(-1, 1, 1, 1)
        return (xt - ab.sqrt() * self.k.to(xt.dtype)) / (1 - ab).sqrt()


def test_likelihood_bound_terms_in_closed_form():
    """For a model whose ``x̂_0`` is a fixed image ``k`` (partly outside ``[−1, 1]``), each term of the bound is a
    closed form in the schedule, computed here with NumPy/SciPy from the betas:

    * prior ``KL(N(√ᾱ_T x_0, 1 − ᾱ_T) ‖ N(0, 1))``;
    * ``Σ_{t=2}^{T} L_{t−1}`` with ``L_{t−1} = Σ c0_t² (x_0 − clip(k))² / (2 β̃_t)``,
      ``c0_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t)`` — exactly ``T − 1`` terms;
    * decoder: the mass of ``N(clip(k), β_1)`` (standard deviation ``√β_1``) on the 8-bit bin of each pixel.

    Off-grid images must be rounded onto the grid first."""
    from scipy.stats import norm

    from course_lib.models import diffusion as D

    T = 12
    s = D.linear_schedule(T, 1e-3, 0.25)
    k = torch.linspace(-1.4, 1.3, 784, dtype=torch.float64).view(1, 1, 28, 28)
    model = _ConstantX0(k, s)
    # images within a few grey levels of clip(k), so that every decoder bin holds a well-conditioned probability
    level = ((k.clamp(-1, 1) + 1) / 2 * 255).round()
    offsets = torch.randint(-2, 3, (3, 1, 28, 28), generator=make_generator(0)).double()
    imgs = (level + offsets).clamp(0, 255) / 255
    off_grid = (imgs + 0.3 / 255).clamp(0, 1)
    out = D.likelihood_bound(model, off_grid, generator=make_generator(0), batch_size=2)

    b = s.betas.numpy()
    ab = np.cumprod(1 - b)
    x0 = imgs.double().numpy().reshape(3, -1) * 2 - 1
    kc = np.clip(k.double().numpy().reshape(-1), -1, 1)
    v = 1 - ab[T]
    prior = (0.5 * (-np.log(v) + v + ab[T] * x0 ** 2 - 1)).sum(1)
    diffusion = np.zeros(3)
    for t in range(2, T + 1):
        c0 = np.sqrt(ab[t - 1]) * b[t] / (1 - ab[t])
        var = (1 - ab[t - 1]) / (1 - ab[t]) * b[t]
        diffusion += (c0 ** 2 * (x0 - kc) ** 2 / (2 * var)).sum(1)
    sd, half = np.sqrt(b[1]), 1 / 255
    upper = np.where(x0 > 1 - 1e-3, 1.0, norm.cdf((x0 + half - kc) / sd))
    lower = np.where(x0 < -1 + 1e-3, 0.0, norm.cdf((x0 - half - kc) / sd))
    decoder = -np.log(np.maximum(upper - lower, 1e-12)).sum(1)

    assert out["times"] == T - 1
    terms = out["terms_nats"]
    assert terms["prior"] == pytest.approx(prior.mean(), rel=1e-6)
    assert terms["diffusion"] == pytest.approx(diffusion.mean(), rel=1e-6)
    assert terms["decoder"] == pytest.approx(decoder.mean(), rel=1e-6)
    total = prior + diffusion + decoder
    assert out["nats_per_image"] == pytest.approx(total.mean(), rel=1e-6)
    assert out["bits_per_dim"] == pytest.approx(total.mean() / (784 * math.log(2)), rel=1e-6)


def test_classifier_features_use_eval_mode():
    """``features`` and ``predict_proba`` use the running batch-norm statistics (and no dropout), whatever mode the
    classifier is in: one image alone gets the same features as in a batch, equal to an eval-mode forward pass."""
    from course_lib.evaluator import features, predict_proba
    from course_lib.models.classifier import MNISTClassifier

    torch.manual_seed(0)
    clf = MNISTClassifier(channels=4, hidden=8)
    x = _grid_images(6, 3)
    clf.train()
    with torch.no_grad():                     # move the running statistics away from (0, 1)
        for _ in range(3):
            clf(x * 3)
    ref = copy.deepcopy(clf).eval()
    with torch.no_grad():
        want_f, want_p = ref.features(x), ref(x).softmax(1)
    clf.train()
    torch.testing.assert_close(features(clf, x), want_f, rtol=1e-5, atol=1e-6)
    clf.train()
    torch.testing.assert_close(features(clf, x[2:3]), want_f[2:3], rtol=1e-5, atol=1e-6)
    clf.train()
    torch.testing.assert_close(predict_proba(clf, x), want_p, rtol=1e-5, atol=1e-6)


def test_discriminator_scores_do_not_depend_on_the_batch():
    """LOGAN scores are the eval-mode logits: the same for an image alone or in a batch, and the discriminator's
    training flag is restored."""
    from course_lib.models.dcgan import DCGANDiscriminator
    from course_lib.responsible.membership import discriminator_scores

    torch.manual_seed(0)
    d = DCGANDiscriminator(channels=4)
    x = _grid_images(5, 4)
    d.train()
    with torch.no_grad():
        for _ in range(3):
            d(x * 0.5)
    ref = copy.deepcopy(d).eval()
    with torch.no_grad():
        want = ref(x).double()
    d.train()
    got = discriminator_scores(d, x)
    assert d.training
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    alone = torch.cat([discriminator_scores(d, x[i:i + 1]) for i in range(5)])
    torch.testing.assert_close(alone, want, rtol=1e-5, atol=1e-6)


def test_recalibrate_ema_is_a_cumulative_average_of_fresh_batches():
    """After ``recalibrate_ema`` the first batch norm of the averaged generator holds the plain mean, over the
    ``batches`` fresh noise batches, of each batch's mean and unbiased variance — nothing of its old statistics."""
    from course_lib.models.dcgan import make_dcgan

    model = make_dcgan(z_dim=4, channels=2, d_channels=2, ema=True, seed=0)
    g = model.generator_ema
    g.train()
    with torch.no_grad():                     # old statistics that must be forgotten
        for _ in range(2):
            g(5 * torch.randn(16, 4, generator=make_generator(9)) + 3)
    model.recalibrate_ema(make_generator(3), batches=3, batch_size=16)
    assert not g.training
    rng = make_generator(3)
    lin = g.project[0].weight.detach().double().numpy()
    means, variances = [], []
    for _ in range(3):
        h = torch.randn(16, 4, generator=rng).double().numpy() @ lin.T
        means.append(h.mean(0))
        variances.append(h.var(0, ddof=1))
    bn = g.project[1]
    np.testing.assert_allclose(bn.running_mean.double().numpy(), np.mean(means, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_var.double().numpy(), np.mean(variances, 0), rtol=1e-4, atol=1e-5)


def _randomised_unet(**kw):
    from course_lib.models.diffusion_unet import DiffusionUNet

    torch.manual_seed(0)
    model = DiffusionUNet(channels=8, emb_dim=16, **kw)
    with torch.no_grad():   # the zero-initialised output layers would make ε̂ ≡ 0 and the class embedding invisible
        for p in model.parameters():
            if not p.abs().sum():
                p.normal_(0, 0.05, generator=make_generator(1))
    return model.eval()


def test_unet_sample_uses_sample_steps_and_maps_to_pixels():
    """``sample`` runs DDIM with the model's ``sample_steps`` network evaluations (what the card's sampler says) and
    returns ``(x_0 + 1) / 2`` clipped to ``[0, 1]`` of the reverse process."""
    model = _randomised_unet(T=20, sample_steps=4)
    calls = []
    h = model.register_forward_hook(lambda m, inp, out: calls.append(int(inp[1][0])))
    try:
        got = model.sample(3, generator=make_generator(5))
    finally:
        h.remove()
    assert calls == [20, 15, 10, 5]
    x0 = model.reverse(3, generator=make_generator(5))
    torch.testing.assert_close(got, ((x0 + 1) / 2).clamp(0, 1))
    assert got.min() >= 0 and got.max() <= 1 and 0.2 < float(got.mean()) < 0.8


def test_stored_samples_and_snapshots_are_scaled_to_pixels():
    """The shipped diffusion samples and DCGAN snapshots are stored as 8-bit integers; the loaders return them
    divided by 255 (images in ``[0, 1]``), read here straight from the safetensors files."""
    from safetensors.torch import load_file

    from course_lib.checkpoint import shipped_checkpoint
    from course_lib.models.dcgan import load_snapshots
    from course_lib.models.diffusion_task import load_samples

    raw = load_file(str(shipped_checkpoint("diffusion_offline").with_suffix(".samples.safetensors")))["images"]
    got = load_samples()
    assert raw.dtype == torch.uint8 and got.shape == (len(raw), 1, 28, 28)
    torch.testing.assert_close(got, raw.double().div(255).unsqueeze(1).float())
    assert got.max() <= 1 and got.max() > 0.9

    raw = load_file(str(shipped_checkpoint("dcgan_offline").with_suffix(".snapshots.safetensors")))
    epochs, imgs = load_snapshots()
    assert torch.equal(epochs, raw["epochs"]) and imgs.shape == (*raw["images"].shape[:2], 1, 28, 28)
    torch.testing.assert_close(imgs, raw["images"].double().div(255).unsqueeze(2).float())
    assert imgs.max() <= 1 and imgs.max() > 0.9


# ================================================================================================ class 2
def test_mode_coverage_threshold_is_at_least_a_quarter_of_the_fair_share():
    """A mode is covered when it holds *at least* ``min_share · N`` high-quality samples (default 1/(4K))."""
    from course_lib.models.gan import mode_coverage, ring_centers

    c = ring_centers(8, 2.0)
    x = torch.cat([c, c[:1].expand(24, 2)])               # N = 32: one sample on each mode, 25 on mode 0
    cov = mode_coverage(x)                                # threshold 32 / 32 = 1 sample
    assert cov.counts == [25, 1, 1, 1, 1, 1, 1, 1]
    assert cov.modes_covered == 8
    # N = 16: 2 samples on modes 0-3, 1 on modes 4-7, 4 low-quality ones at the origin
    x2 = torch.cat([c[:4].repeat_interleave(2, 0), c[4:], torch.zeros(4, 2)])
    assert mode_coverage(x2, min_share=2 / 16).modes_covered == 4      # threshold 2 samples
    assert mode_coverage(x2, min_share=1 / 16).modes_covered == 8      # threshold 1 sample


def test_skewed_subset_keeps_ceil_of_the_rare_class():
    """``ceil(n / factor)`` evenly spaced examples of the rare digit, every example of the others."""
    from course_lib.data import skewed_subset

    y = torch.tensor([3] * 15 + [1] * 5)
    keep = skewed_subset(y, 3, 10)
    assert int((y[keep] == 3).sum()) == 2 and int((y[keep] == 1).sum()) == 5
    assert keep[:2].tolist() == [0, 14]
    y2 = torch.tensor([7, 2] * 9)                         # nine 7s, factor 4: ceil(9 / 4) = 3
    assert int((y2[skewed_subset(y2, 7, 4)] == 7).sum()) == 3


def test_train_toy_draws_times_1_to_T():
    """The toy denoiser trains on ``t ~ U{1, …, T}``: never ``t = 0`` (the data itself), and ``T`` included."""
    from course_lib.models.diffusion import cosine_schedule
    from course_lib.models.diffusion_toy import train_toy

    seen = []

    class Stub(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(()))

        def forward(self, x, t):
            seen.append(t.clone())
            return x * self.w

    data = torch.randn(64, 2, generator=make_generator(0))
    train_toy(Stub(), data, cosine_schedule(4), steps=3, batch_size=256, seed=0)
    t = torch.cat(seen)
    assert int(t.min()) == 1 and int(t.max()) == 4
    assert set(t.tolist()) == {1, 2, 3, 4}


def test_diffusion_task_step_times_and_label_dropout():
    """One training step of the diffusion task draws ``t ∈ {1, …, T}`` and replaces a fraction ``p_uncond`` (not
    ``1 − p_uncond``) of the labels by the null class, keeping the others."""
    from course_lib.models.diffusion_task import DiffusionTask
    from course_lib.models.diffusion_unet import NULL_CLASS, DiffusionUNet

    torch.manual_seed(0)
    n, T = 400, 5
    x = _grid_images(n, 6)
    y = torch.randint(0, 10, (n,), generator=make_generator(7))
    task = DiffusionTask(DiffusionUNet(channels=8, emb_dim=16, T=T), x, y, epochs=1, batch_size=n, p_uncond=0.25,
                         device="cpu")
    seen = {}

    class Recorder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(()))

        def forward(self, xt, t, yb):
            seen.update(t=t.clone(), y=yb.clone())
            return xt * self.w

    task.net = Recorder()
    task.gen.manual_seed(0)
    idx = torch.arange(n)
    task.step(idx, n)
    t, yb = seen["t"], seen["y"]
    assert set(t.tolist()) == set(range(1, T + 1))
    dropped = yb == NULL_CLASS
    assert 0.18 < float(dropped.float().mean()) < 0.32        # 0.25 ± 3.3 standard errors
    assert torch.equal(yb[~dropped], y[idx][~dropped])


def test_train_gan_takes_every_step_and_snapshots_the_last():
    """``steps = 5`` with a snapshot every 2 steps: 5 recorded steps, snapshots at 0, 2, 4 and 5, 3 periods."""
    from course_lib.models.gan import MLPDiscriminator, MLPGenerator, ring_of_gaussians, train_gan

    torch.manual_seed(0)
    g, d = MLPGenerator(hidden=8, layers=2), MLPDiscriminator(hidden=8, layers=2)
    h = train_gan(ring_of_gaussians(64, generator=make_generator(0)), g, d, steps=5, batch_size=16, snapshot_every=2,
                  n_snapshot=4, device="cpu")
    assert len(h.loss_g) == len(h.loss_d) == len(h.d_real) == 5
    assert h.snapshot_steps == [0, 2, 4, 5]
    assert [p["step"] for p in h.periods] == [2, 4, 5]


def test_text_watermark_test_is_strict_at_the_threshold():
    """48 green pairs out of 64 at γ = ½ give ``z = (48 − 32) / √16 = 4`` exactly: not above 4, so not flagged."""
    from course_lib.responsible.text_watermark import detect, green_count, z_score

    green = torch.tensor([[True, False], [False, True]])   # green: the token repeats its predecessor
    ids = [0] * 49 + [1, 0] * 8                           # 48 repeats, then 16 changes
    assert green_count(ids, green) == (48, 64)
    assert z_score(48, 64, 0.5) == 4.0
    flagged, z = detect(ids, green, gamma=0.5, threshold=4.0)
    assert z == 4.0 and not flagged
    assert detect(ids, green, gamma=0.5, threshold=3.999)[0]


def test_diffusion_learning_rate_by_hand():
    """Warm-up ``lr·(s+1)/200`` for ``s < 200``, then cosine from ``lr`` at ``s = 200`` to the floor ``lr/10`` at the
    run's last step (the task's curve is :func:`course_lib.optim.warmup_cosine_lr` with these settings)."""
    from course_lib.models.diffusion_task import DiffusionTask
    from course_lib.models.diffusion_unet import DiffusionUNet

    n = 16
    x, y = _grid_images(n, 3), torch.arange(n) % 10
    task = DiffusionTask(DiffusionUNet(channels=8, emb_dim=16, T=5), x, y, epochs=125, batch_size=2, lr=1.0,
                         device="cpu")
    assert task.total == 1000
    assert task.learning_rate(0) == pytest.approx(1 / 200)
    assert task.learning_rate(199) == pytest.approx(1.0)
    assert task.learning_rate(200) == pytest.approx(1.0)
    task.lr = 2.0
    assert task.learning_rate(600) == pytest.approx(2.0 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 400 / 800))))
    assert task.learning_rate(999) == pytest.approx(0.2, abs=1e-5)
    task.step(torch.arange(2), 2)                       # the optimiser is given the curve's rate
    assert task.optimizers["opt"].param_groups[0]["lr"] == task.learning_rate(0)


# ================================================================================================ class 3
def test_train_gan_gives_each_player_its_own_learning_rate():
    """With ``lr_d`` a billion times smaller than ``lr_g``, the discriminator barely moves and the generator does
    (Adam's first steps move each weight by about its learning rate)."""
    from course_lib.models.gan import MLPDiscriminator, MLPGenerator, ring_of_gaussians, train_gan

    torch.manual_seed(0)
    g, d = MLPGenerator(hidden=8, layers=2), MLPDiscriminator(hidden=8, layers=2)
    g0 = [p.detach().clone() for p in g.parameters()]
    d0 = [p.detach().clone() for p in d.parameters()]
    train_gan(ring_of_gaussians(64, generator=make_generator(0)), g, d, steps=3, batch_size=32, lr_g=1e-2, lr_d=1e-11,
              snapshot_every=3, n_snapshot=4, device="cpu")
    moved_g = max(float((p.detach() - q).abs().max()) for p, q in zip(g.parameters(), g0))
    moved_d = max(float((p.detach() - q).abs().max()) for p, q in zip(d.parameters(), d0))
    assert moved_d < 1e-8
    assert 1e-3 < moved_g < 0.1


def test_unet_guidance_weights_the_conditional_prediction():
    """``eps(x, t, y, w) = (1 + w) ε(x, t, y) − w ε(x, t, ∅)``, from two separate forward passes."""
    from course_lib.models.diffusion_unet import NULL_CLASS

    model = _randomised_unet(T=10)
    x = torch.randn(3, 1, 28, 28, generator=make_generator(2))
    y = torch.tensor([1, 4, 7])
    tt = torch.full((3,), 6, dtype=torch.long)
    w = 2.5
    with torch.no_grad():
        e_c, e_u = model(x, tt, y), model(x, tt, torch.full_like(y, NULL_CLASS))
    assert float((e_c - e_u).abs().max()) > 1e-3               # the label matters to this network
    torch.testing.assert_close(model.eps(x, 6, y, guidance=w), (1 + w) * e_c - w * e_u, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.eps(x, 6, y, guidance=0.0), e_c, rtol=1e-5, atol=1e-6)


def test_detector_accuracy_names_each_side():
    """A detector that calls everything generated catches every fake and clears no real image, and vice versa."""
    from course_lib.responsible.detector import RealFakeCNN, detector_accuracy

    real, fake = _grid_images(4, 10), _grid_images(6, 11)
    det = RealFakeCNN(channels=2)
    last = det.net[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(1.0)
    assert detector_accuracy(det, real, fake) == {"accuracy": 0.5, "real_correct": 0.0, "fake_caught": 1.0}
    with torch.no_grad():
        last.bias.fill_(-1.0)
    assert detector_accuracy(det, real, fake) == {"accuracy": 0.5, "real_correct": 1.0, "fake_caught": 0.0}


def test_gan_train_step_reports_d_real_and_d_fake_of_their_own_inputs():
    """``d_real`` is the mean ``D(x)`` on the real batch and ``d_fake`` on the generated one (before D's update)."""
    from course_lib.models.gan import gan_train_step

    class Const(nn.Module):      # G(z) = b, whatever z
        def __init__(self) -> None:
            super().__init__()
            self.b = nn.Parameter(torch.tensor([-1.0, -0.5]))

        def forward(self, z):
            return self.b + 0 * z

    class Lin(nn.Module):        # D(x) = sigmoid(a · (x_1 + x_2))
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Parameter(torch.ones(()))

        def forward(self, x):
            return self.a * x.sum(1)

    g, d = Const(), Lin()
    real = torch.full((8, 2), 1.0)
    out = gan_train_step(g, d, torch.optim.SGD(g.parameters(), lr=0.0), torch.optim.SGD(d.parameters(), lr=0.0),
                         real, z_dim=2, generator_rng=make_generator(0))
    assert float(out["d_real"]) == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-6)
    assert float(out["d_fake"]) == pytest.approx(1 / (1 + math.exp(1.5)), rel=1e-6)
    assert float(out["loss_d"]) == pytest.approx(math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.5)), rel=1e-6)


# ================================================================================================ class 4
def test_dp_records_the_sampling_rate_opacus_uses():
    """N = 100, B = 30: Opacus turns a loader of batch size B into Poisson sampling with ``q = 1 / len(loader) =
    1 / ceil(N / B) = 1/4`` (not ``B / N = 0.3``). The task records that rate, its baseline (ε = ∞) samples with
    it, and the card's ``dp`` section copies it; ``δ`` defaults to ``1 / N``. (The private path's search for σ takes
    seconds, so the rate Opacus uses is taken from Opacus's own conversion of the same loader.)"""
    from opacus.data_loader import DPDataLoader
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib.models.vae import MLPVAE
    from course_lib.responsible.dp import DPVAETask, card_extra

    torch.manual_seed(0)
    x = torch.rand(100, 1, 28, 28, generator=make_generator(0))
    opacus_q = DPDataLoader.from_data_loader(DataLoader(TensorDataset(x), batch_size=30)).sample_rate
    assert opacus_q == pytest.approx(1 / 4)
    task = DPVAETask(MLPVAE(z_dim=2, hidden=4), x, epochs=1, target_epsilon=math.inf, batch_size=30)
    assert task.sample_rate == pytest.approx(opacus_q)
    assert task.loader.sample_rate == pytest.approx(opacus_q)
    assert task.delta == pytest.approx(1 / 100)
    card = card_extra(None, task)["dp"]
    assert card["sample_rate"] == pytest.approx(1 / 4) and card["delta"] == pytest.approx(1 / 100)


def test_gpt_task_lr_curve_and_train_bpc():
    """On a text of one repeated character every window is the same, so the first step's loss is known: the
    recorded ``train_bpc`` is that loss in bits (÷ ln 2). After the last of ``S`` steps the learning rate is
    ``lr/10 + 0.9·lr·½(1 + cos(π (S − 1 − w) / (S − w)))``: the cosine decays to ``lr/10``, as the card says."""
    from course_lib.models.gpt import GPT, GPTTask, card_extra

    torch.manual_seed(0)
    model = GPT(vocab_size=3, block_size=4, n_layer=1, d_model=8, n_head=2)
    ids = torch.full((40,), 1, dtype=torch.long)
    x = ids[:4][None]
    with torch.no_grad():
        logits, _ = model(x)
        loss0 = float(F.cross_entropy(logits[0], ids[1:5]))
    task = GPTTask(model, ids, steps=1, batch_size=2, lr=0.01, warmup=0, eval_every=1, device="cpu")
    rec = task.train_epoch(0)
    assert rec["train_bpc"] == pytest.approx(loss0 / math.log(2), rel=1e-5)

    lr, S, w = 0.01, 5, 1
    task = GPTTask(GPT(vocab_size=3, block_size=4, n_layer=1, d_model=8, n_head=2), ids, steps=S, batch_size=2,
                   lr=lr, warmup=w, eval_every=S, device="cpu")
    task.train_epoch(0)
    want = lr / 10 + 0.9 * lr * 0.5 * (1 + math.cos(math.pi * (S - 1 - w) / (S - w)))
    assert task.optimizers["opt"].param_groups[0]["lr"] == pytest.approx(want, rel=1e-9)

    class Run:
        pass

    task.tokenizer, task.half_weights = type("T", (), {"to_dict": lambda self: {}})(), False
    assert "lr/10" in card_extra(Run(), task)["lr_schedule"]


def test_ema_updates_use_decay_as_the_weight_of_the_average():
    """``ema ← decay · ema + (1 − decay) · weights``: from 0 towards 1 with decay 0.9 the average moves to 0.1."""
    from course_lib.models import diffusion_task as DT
    from course_lib.models.dcgan import make_dcgan

    model = make_dcgan(z_dim=2, channels=1, d_channels=1, ema=True, seed=0)
    with torch.no_grad():
        for p in model.generator.parameters():
            p.fill_(1.0)
        for p in model.generator_ema.parameters():
            p.zero_()
    model.update_ema(0.9)
    for p in model.generator_ema.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 0.1))

    ema, net = nn.Linear(3, 2), nn.Linear(3, 2)
    with torch.no_grad():
        for p in ema.parameters():
            p.zero_()
        for p in net.parameters():
            p.fill_(1.0)
    DT._ema_update(ema, net, 0.9)
    for p in ema.parameters():
        torch.testing.assert_close(p.detach(), torch.full_like(p, 0.1))
