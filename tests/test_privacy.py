"""course_lib.responsible.privacy: nearest-neighbour memorisation distance and the Laplace mechanism."""
from __future__ import annotations

import math

import pytest
import torch

from course_lib.responsible.privacy import (
    laplace_mechanism,
    laplace_scale,
    memorisation_ratio,
    nearest_neighbour_distance,
    noisy_count,
)


def test_copies_are_at_distance_zero_and_shifted_copies_at_the_shift():
    gen = torch.Generator().manual_seed(0)
    ref = torch.rand(50, 1, 4, 4, generator=gen) * 10  # points far apart compared with the shift below
    assert torch.allclose(nearest_neighbour_distance(ref[:7], ref), torch.zeros(7))
    offset = torch.zeros(1, 1, 4, 4)
    offset[..., 0, 0] = 0.3
    d = nearest_neighbour_distance(ref[:7] + offset, ref)
    assert torch.allclose(d, torch.full((7,), 0.3), atol=1e-5)


def test_distance_matches_brute_force_in_small_batches():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(33, 5, generator=gen), torch.randn(20, 5, generator=gen)
    brute = torch.tensor([min(float((ai - bj).norm()) for bj in b) for ai in a])
    assert torch.allclose(nearest_neighbour_distance(a, b, batch_size=4), brute, atol=1e-5)


def test_memorisation_ratio_separates_copying_from_fresh_samples():
    gen = torch.Generator().manual_seed(2)
    train, held, fresh = (torch.randn(200, 8, generator=gen) for _ in range(3))
    copies = train[:50] + 0.01 * torch.randn(50, 8, generator=gen)
    assert memorisation_ratio(copies, train, held).median() < 0.05
    assert 0.7 < memorisation_ratio(fresh, train, held).median() < 1.4


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="same shape"):
        nearest_neighbour_distance(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match="empty"):
        nearest_neighbour_distance(torch.zeros(0, 4), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="equally many"):
        memorisation_ratio(torch.zeros(2, 4), torch.zeros(3, 4), torch.zeros(5, 4))
    with pytest.raises(ValueError, match="epsilon"):
        laplace_scale(1.0, 0.0)
    with pytest.raises(ValueError, match="boolean"):
        noisy_count(torch.tensor([1, 0, 1]), 1.0)


@pytest.mark.parametrize("epsilon", [0.1, 1.0, 5.0])
def test_noisy_count_noise_has_laplace_scale_one_over_epsilon(epsilon):
    mask = torch.zeros(1000, dtype=torch.bool)
    mask[:400] = True
    draws = noisy_count(mask, epsilon, n_draws=200_000, generator=torch.Generator().manual_seed(3))
    noise = draws - 400
    b = 1.0 / epsilon
    assert laplace_scale(1.0, epsilon) == pytest.approx(b)
    assert abs(float(noise.mean())) < 0.02 * b                       # unbiased
    assert float(noise.abs().mean()) == pytest.approx(b, rel=0.02)    # E|Lap(b)| = b
    assert float(noise.std()) == pytest.approx(math.sqrt(2) * b, rel=0.02)  # sd = √2·b


def test_laplace_density_ratio_is_bounded_by_exp_epsilon():
    """Neighbouring answers 400 and 399: the output densities differ by at most a factor e^ε anywhere."""
    eps = 1.0
    g = torch.Generator().manual_seed(4)
    a = laplace_mechanism(400.0, 1.0, eps, n_draws=400_000, generator=g)
    b = laplace_mechanism(399.0, 1.0, eps, n_draws=400_000, generator=g)
    edges = torch.linspace(396, 403, 15, dtype=torch.float64)
    ha, hb = torch.histogram(a, edges).hist, torch.histogram(b, edges).hist
    ratio = ha / hb
    assert float(ratio.max()) < math.exp(eps) * 1.05
    assert float(ratio.min()) > math.exp(-eps) / 1.05


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_distances_on_the_gpu_match_the_cpu():
    gen = torch.Generator().manual_seed(5)
    a, b = torch.rand(300, 1, 28, 28, generator=gen), torch.rand(500, 1, 28, 28, generator=gen)
    d_cpu = nearest_neighbour_distance(a, b)
    d_gpu = nearest_neighbour_distance(a.cuda(), b.cuda())
    assert d_gpu.device.type == "cuda"
    assert torch.allclose(d_cpu, d_gpu.cpu(), atol=1e-3)
    with pytest.raises(ValueError, match="one device"):
        nearest_neighbour_distance(a, b.cuda())
