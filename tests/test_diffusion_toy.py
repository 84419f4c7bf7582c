"""Chapter 7's 2-D toy (ToyDenoiser, train_toy, sample_toy): it learns two well-separated modes, and its sampler
runs the reverse chain it says it runs."""
from __future__ import annotations

import pytest
import torch

from course_lib.models import diffusion as D
from course_lib.models import diffusion_toy as TOY
from course_lib.seed import make_generator

MODES = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])


@pytest.fixture(scope="module")
def trained():
    g = make_generator(0)
    data = MODES[torch.randint(2, (2000,), generator=g)] + 0.1 * torch.randn(2000, 2, generator=g)
    schedule = D.linear_schedule(T=100, beta_1=1e-3, beta_T=0.1)
    torch.manual_seed(0)
    model = TOY.ToyDenoiser(hidden=64, layers=2)
    losses = TOY.train_toy(model, data, schedule, steps=600, batch_size=256, lr=3e-3, seed=0)
    return model, schedule, losses


def test_train_toy_lowers_the_simple_loss(trained):
    _, _, losses = trained
    assert len(losses) == 600
    first, last = sum(losses[:50]) / 50, sum(losses[-50:]) / 50
    assert last < 0.7 * first, f"L_simple did not fall: {first:.3f} -> {last:.3f}"


@pytest.mark.parametrize("steps", [None, 10])
def test_samples_land_on_both_modes(trained, steps):
    model, schedule, _ = trained
    times, states = TOY.sample_toy(model, 400, schedule, steps=steps, eta=0.0 if steps else 1.0,
                                 generator=make_generator(1))
    x = states[-1]
    assert times[0] == schedule.T and times[-1] == 0
    assert len(states) == (schedule.T if steps is None else steps) + 1 and x.shape == (400, 2)
    nearest = torch.cdist(x, MODES).min(1)
    close = (nearest.values < 0.5).float().mean()
    shares = torch.bincount(nearest.indices[nearest.values < 0.5], minlength=2).float() / 400
    assert close > 0.8, f"only {close:.2f} of the samples near a mode"
    assert shares.min() > 0.25, f"a mode is (nearly) dropped: shares {shares.tolist()}"


def test_sampling_is_reproducible_and_ddim_eta0_is_deterministic_given_x_T(trained):
    model, schedule, _ = trained
    a = TOY.sample_toy(model, 50, schedule, generator=make_generator(7))[1][-1]
    b = TOY.sample_toy(model, 50, schedule, generator=make_generator(7))[1][-1]
    c = TOY.sample_toy(model, 50, schedule, generator=make_generator(8))[1][-1]
    assert torch.equal(a, b) and not torch.equal(a, c)
    # DDIM with eta = 0 draws x_T and nothing else: two generators that agree on x_T give the same path
    g1, g2 = make_generator(3), make_generator(3)
    d1 = TOY.sample_toy(model, 50, schedule, steps=5, eta=0.0, generator=g1)[1]
    d2 = TOY.sample_toy(model, 50, schedule, steps=5, eta=0.0, generator=g2)[1]
    assert all(torch.equal(p, q) for p, q in zip(d1, d2))
    assert torch.equal(d1[0], torch.randn((50, 2), generator=make_generator(3))), "x_T is not the first draw"


def test_toy_denoiser_shapes():
    net = TOY.ToyDenoiser(hidden=16, layers=1, emb=8, dim=3)
    out = net(torch.zeros(5, 3), torch.tensor([1, 2, 3, 4, 5]))
    assert out.shape == (5, 3)
