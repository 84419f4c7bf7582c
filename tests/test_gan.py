"""course_lib.models.gan: the GAN losses against hand-computed values, the optimal discriminator, and a short
training run on the ring of Gaussians that must bring the generated samples closer to the data."""
from __future__ import annotations

import math

import pytest
import torch

from course_lib.models.gan import (
    MLPDiscriminator,
    MLPGenerator,
    discriminator_loss,
    energy_distance,
    fit_discriminator,
    gan_train_step,
    generator_loss,
    mode_coverage,
    ring_centers,
    ring_of_gaussians,
    train_gan,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


# ----------------------------------------------------------------------------------------------- losses
def test_discriminator_loss_matches_hand_computed_bce():
    # D(x) = 0.9 and 0.6 on two real samples, D(G(z)) = 0.2 and 0.3 on two fakes
    real = torch.tensor([_logit(0.9), _logit(0.6)])
    fake = torch.tensor([_logit(0.2), _logit(0.3)])
    want = -(math.log(0.9) + math.log(0.6)) / 2 - (math.log(0.8) + math.log(0.7)) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(want, rel=1e-6)


def test_discriminator_loss_at_equilibrium_is_log_4():
    # D = 1/2 everywhere (logit 0): the loss is -[log 1/2 + log 1/2] = log 4, i.e. V = -log 4
    zeros = torch.zeros(7, 1)
    assert discriminator_loss(zeros, zeros[:3]).item() == pytest.approx(math.log(4), rel=1e-6)


def test_generator_losses_match_hand_computed_values():
    fake = torch.tensor([_logit(0.2), _logit(0.5), _logit(0.01)])
    d = torch.tensor([0.2, 0.5, 0.01], dtype=torch.float64)
    assert generator_loss(fake).item() == pytest.approx(float((-d.log()).mean()), rel=1e-5)
    assert generator_loss(fake, "non_saturating").item() == pytest.approx(float((-d.log()).mean()), rel=1e-5)
    assert generator_loss(fake, "saturating").item() == pytest.approx(float((1 - d).log().mean()), rel=1e-5)


def test_losses_are_stable_for_extreme_logits():
    big = torch.tensor([80.0, -80.0])
    assert torch.isfinite(discriminator_loss(big, big)).item()
    # D(G(z)) = sigmoid(-80): -log D = 80 exactly, log(1 - D) = -sigmoid(80)-ish ~ -1.8e-35
    assert generator_loss(torch.tensor([-80.0])).item() == pytest.approx(80.0, rel=1e-6)
    assert generator_loss(torch.tensor([-80.0]), "saturating").item() == pytest.approx(0.0, abs=1e-30)


def test_generator_loss_gradients_when_d_rejects_fakes():
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) -> 0 (saturates); d/dl -log sigmoid(l) = -(1 - sigmoid(l)) -> -1
    logit = torch.tensor([-6.0], requires_grad=True)
    (g_sat,) = torch.autograd.grad(generator_loss(logit, "saturating"), logit)
    (g_ns,) = torch.autograd.grad(generator_loss(logit, "non_saturating"), logit)
    s = torch.sigmoid(torch.tensor(-6.0))
    assert g_sat.item() == pytest.approx(-s.item(), rel=1e-5)
    assert g_ns.item() == pytest.approx(-(1 - s).item(), rel=1e-5)
    assert abs(g_ns.item()) > 100 * abs(g_sat.item())


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="kind"):
        generator_loss(torch.zeros(3), "minimax")
    with pytest.raises(ValueError, match="floating"):
        discriminator_loss(torch.zeros(3, dtype=torch.long), torch.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        generator_loss(torch.zeros(0))
    with pytest.raises(ValueError, match="multiple of 4"):
        MLPDiscriminator(pack=4)(torch.zeros(6, 2))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        MLPGenerator(z_dim=2)(torch.zeros(5, 3))


# ----------------------------------------------------------------------------------------------- D*
def test_trained_discriminator_approaches_optimal_discriminator():
    """p_data = N(-1, 1), p_g = N(1, 1): D*(x) = p_data / (p_data + p_g) = sigmoid(-2x)."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(20000, 1, generator=gen) - 1
    fake = torch.randn(20000, 1, generator=gen) + 1
    disc = MLPDiscriminator(in_dim=1, hidden=32, layers=2)
    fit_discriminator(disc, real, fake, steps=400, batch_size=512, lr=3e-3, seed=0)
    x = torch.linspace(-2.5, 2.5, 101).unsqueeze(1)
    with torch.no_grad():
        d = torch.sigmoid(disc(x))
    d_star = torch.sigmoid(-2 * x.squeeze(1))
    assert float((d - d_star).abs().max()) < 0.06


# ----------------------------------------------------------------------------------------------- toy data and metrics
def test_ring_of_gaussians_shape_and_modes():
    x = ring_of_gaussians(4000, modes=8, radius=2.0, std=0.02, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2)
    assert x.norm(dim=1).sub(2.0).abs().max() < 0.15
    cov = mode_coverage(x, std=0.02)
    assert cov.modes_covered == 8 and cov.high_quality > 0.97 and cov.kl_to_uniform < 0.01


def test_mode_coverage_sees_collapse():
    centers = ring_centers(8, 2.0)
    collapsed = centers[3].repeat(500, 1)
    cov = mode_coverage(collapsed, std=0.02)
    assert cov.modes_covered == 1
    assert cov.kl_to_uniform == pytest.approx(math.log(8), rel=1e-6)
    two = torch.cat([centers[0].repeat(300, 1), centers[5].repeat(100, 1)])
    cov2 = mode_coverage(two, std=0.02)
    assert cov2.modes_covered == 2
    assert cov2.counts == [300, 0, 0, 0, 0, 100, 0, 0]
    p = torch.tensor([0.75, 0.25])
    assert cov2.kl_to_uniform == pytest.approx(math.log(8) + float((p * p.log()).sum()), rel=1e-5)


def test_energy_distance_separates_distributions():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(800, 2, generator=gen), torch.randn(800, 2, generator=gen)
    assert energy_distance(a, b) < 0.02
    assert energy_distance(a, b + 1.0) > 0.5


# ----------------------------------------------------------------------------------------------- training
def test_gan_train_step_returns_stats_and_updates_both_players():
    torch.manual_seed(0)
    g, d = MLPGenerator(hidden=16, layers=2), MLPDiscriminator(hidden=16, layers=2)
    opt_g, opt_d = torch.optim.Adam(g.parameters(), 1e-3), torch.optim.Adam(d.parameters(), 1e-3)
    g0 = [p.clone() for p in g.parameters()]
    d0 = [p.clone() for p in d.parameters()]
    real = ring_of_gaussians(64, generator=torch.Generator().manual_seed(0))
    stats = gan_train_step(g, d, opt_g, opt_d, real, z_dim=2, d_steps=2,
                           generator_rng=torch.Generator().manual_seed(1))
    assert set(stats) == {"loss_d", "loss_g", "d_real", "d_fake"}
    # Tensors left on the device (no per-step host synchronisation), detached from the graph.
    assert all(isinstance(v, torch.Tensor) and v.dim() == 0 and not v.requires_grad for v in stats.values())
    assert 0 < stats["d_real"] < 1 and 0 < stats["d_fake"] < 1
    assert all(not torch.equal(a, b) for a, b in zip(g0, g.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d0, d.parameters()))
    assert all(p.requires_grad for p in d.parameters())  # unfrozen again after the generator step


def test_gan_train_step_is_reproducible_with_a_generator():
    def run() -> dict[str, torch.Tensor]:
        torch.manual_seed(0)
        g, d = MLPGenerator(hidden=16, layers=2), MLPDiscriminator(hidden=16, layers=2)
        opt_g, opt_d = torch.optim.Adam(g.parameters(), 1e-3), torch.optim.Adam(d.parameters(), 1e-3)
        real = ring_of_gaussians(32, generator=torch.Generator().manual_seed(0))
        return gan_train_step(g, d, opt_g, opt_d, real, 2, generator_rng=torch.Generator().manual_seed(5))

    assert run() == run()


def test_gan_train_step_draws_every_noise_from_the_noise_function():
    """``noise`` replaces each draw (d_steps + 1 of them): the DCGAN's torchrun path depends on it; a draw of
    ``randn`` from the same generator gives the very step that ``generator_rng`` gives."""
    def run(**kw) -> tuple[dict[str, torch.Tensor], list[int]]:
        torch.manual_seed(0)
        g, d = MLPGenerator(hidden=16, layers=2), MLPDiscriminator(hidden=16, layers=2)
        opt_g, opt_d = torch.optim.Adam(g.parameters(), 1e-3), torch.optim.Adam(d.parameters(), 1e-3)
        real = ring_of_gaussians(32, generator=torch.Generator().manual_seed(0))
        return gan_train_step(g, d, opt_g, opt_d, real, 2, d_steps=3, **kw), [p.sum().item() for p in g.parameters()]

    calls: list[int] = []
    rng = torch.Generator().manual_seed(5)

    def noise(b: int) -> torch.Tensor:
        calls.append(b)
        return torch.randn(b, 2, generator=rng)

    with_noise = run(noise=noise)
    assert calls == [32] * 4
    assert with_noise == run(generator_rng=torch.Generator().manual_seed(5))
    assert with_noise[1] != run(generator_rng=torch.Generator().manual_seed(6))[1]
    with pytest.raises(ValueError, match=r"noise\(32\) gave shape \(32, 3\)"):
        run(noise=lambda b: torch.zeros(b, 3))


def test_gan_train_step_rejects_mismatched_shapes():
    g, d = MLPGenerator(out_dim=3), MLPDiscriminator(in_dim=3)
    opt_g, opt_d = torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters())
    with pytest.raises(ValueError, match="shape"):
        gan_train_step(g, d, opt_g, opt_d, torch.zeros(8, 2), z_dim=2)
    with pytest.raises(ValueError, match="kind"):
        gan_train_step(g, d, opt_g, opt_d, torch.zeros(8, 3), z_dim=2, kind="wgan")


def test_short_ring_training_brings_samples_closer_to_the_data():
    torch.manual_seed(0)
    data = ring_of_gaussians(4096, std=0.05, generator=torch.Generator().manual_seed(1))
    g, d = MLPGenerator(hidden=64, layers=2), MLPDiscriminator(hidden=64, layers=2)
    hist = train_gan(data, g, d, steps=400, batch_size=128, snapshot_every=400, n_snapshot=1000,
                     seed=0, device="cpu")
    before = energy_distance(hist.snapshots[0], data[:1000])
    after = energy_distance(hist.snapshots[-1], data[:1000])
    assert hist.snapshot_steps == [0, 400]
    assert after < 0.25 * before, (before, after)
    # the samples end up near the ring: mean radius within 0.3 of 2
    assert abs(float(hist.snapshots[-1].norm(dim=1).mean()) - 2.0) < 0.3


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gan_train_step_on_cuda_with_bf16_autocast():
    torch.manual_seed(0)
    dev = torch.device("cuda")
    data = ring_of_gaussians(4096, std=0.05, device=dev)
    g, d = MLPGenerator(hidden=64, layers=2), MLPDiscriminator(hidden=64, layers=2)
    hist = train_gan(data, g, d, steps=400, batch_size=128, snapshot_every=400, seed=0, device=dev)
    assert all(math.isfinite(v) for v in hist.loss_d + hist.loss_g)
    assert energy_distance(hist.snapshots[-1], data[:1000].cpu()) < 0.25 * energy_distance(hist.snapshots[0], data[:1000].cpu())


def test_the_toy_generator_samples_like_every_generator():
    from course_lib.models.gan import MLPGenerator

    torch.manual_seed(0)
    g = MLPGenerator(z_dim=3, out_dim=2)
    a = g.sample(5, generator=torch.Generator().manual_seed(1))
    assert a.shape == (5, 2) and torch.equal(a, g.sample(5, generator=torch.Generator().manual_seed(1)))
