"""Denoising diffusion models: the mathematics (schedules, forward process, posterior, parameterisations,
DDPM and DDIM updates, guidance, losses, the variational bound in bits/dim) and a small class-conditional UNet.

Conventions (the book's, chapter 7). Time runs ``t = 0, 1, …, T``; ``t = 0`` is the data. Every schedule is a
:class:`Schedule` whose arrays have length ``T + 1`` and are indexed by ``t`` itself:

* ``betas[t] = β_t`` with ``β_0 = 0``; ``alphas[t] = α_t = 1 − β_t``;
* ``alpha_bars[t] = ᾱ_t = ∏_{s ≤ t} α_s`` with ``ᾱ_0 = 1``;
* forward process ``q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I)``, closed form ``q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)``;
* signal-to-noise ratio ``SNR(t) = ᾱ_t / (1 − ᾱ_t)``.

(``diffusers`` numbers the same steps ``0 … T−1``: its ``alphas_cumprod[k]`` is our ``alpha_bars[k + 1]``.)

Images enter the model scaled to ``[−1, 1]`` (``x = 2·pixel − 1``); :meth:`DiffusionUNet.sample` returns
``(n, 1, 28, 28)`` in ``[0, 1]`` like every generator of the book.

Shapes: ``x`` is ``(B, …)`` (any trailing shape: ``(B, 2)`` for the 2-D toy, ``(B, 1, 28, 28)`` for MNIST);
``t`` is an ``int64`` tensor ``(B,)`` or a Python int; per-example coefficients broadcast over the trailing
dimensions (:func:`expand`).

References: Sohl-Dickstein et al. 2015 (diffusion probabilistic models), Ho, Jain & Abbeel 2020 (DDPM, the
ε-parameterisation and ``L_simple``), Song, Meng & Ermon 2021 (DDIM), Nichol & Dhariwal 2021 (the cosine
schedule), Ho & Salimans 2022 (classifier-free guidance), Song et al. 2021 (the score SDE view), Vincent 2011
(denoising score matching).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor, nn

from ..checkpoint import CheckpointError, load_checkpoint, shipped_checkpoint
from ..data import check_images, minibatch_indices, select_training_set
from ..device import get_device
from ..distributed import batch_mean, shard, world
from ..training import Task, autocast, train_loop

__all__ = [
    "Schedule", "linear_schedule", "cosine_schedule", "make_schedule", "expand", "snr",
    "q_sample", "q_step", "posterior", "eps_to_x0", "x0_to_eps", "eps_to_score", "score_to_eps",
    "predict_x0_and_eps", "ddpm_step", "ddim_step", "ddim_timesteps", "guided_eps", "simple_loss",
    "normal_kl", "discretized_gaussian_log_likelihood", "vlb_terms", "nats_to_bits_per_dim", "likelihood_bound",
    "DiffusionUNet", "KIND", "NULL_CLASS", "timestep_embedding", "ToyDenoiser", "train_toy", "sample_toy",
    "DiffusionTask", "train_diffusion", "load_diffusion", "load_samples", "lr_at",
]

KIND = "diffusion_unet"
NULL_CLASS = 10  #: the class index meaning "no label" (classifier-free guidance's unconditional model)


# ----------------------------------------------------------------------------------------------------------
# schedules
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A noise schedule: ``betas``, ``alphas``, ``alpha_bars``, all ``(T + 1,)`` float64, indexed by ``t``."""

    betas: Tensor
    name: str = "custom"

    def __post_init__(self) -> None:
        b = self.betas
        if b.dim() != 1 or len(b) < 2:
            raise ValueError(f"betas must be a 1-D tensor of length T + 1 >= 2, got shape {tuple(b.shape)}")
        if float(b[0]) != 0.0:
            raise ValueError("betas[0] must be 0 (t = 0 is the data itself)")
        if bool((b[1:] <= 0).any()) or bool((b[1:] >= 1).any()):
            raise ValueError("every beta_t for t >= 1 must lie in (0, 1)")

    @property
    def T(self) -> int:
        return len(self.betas) - 1

    @property
    def alphas(self) -> Tensor:
        return 1.0 - self.betas

    @property
    def alpha_bars(self) -> Tensor:
        return torch.cumprod(self.alphas, 0)

    @property
    def posterior_variance(self) -> Tensor:
        """``β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t`` for ``t ≥ 1`` (``β̃_0 = 0``), shape ``(T + 1,)``."""
        ab = self.alpha_bars
        out = torch.zeros_like(ab)
        out[1:] = (1 - ab[:-1]) / (1 - ab[1:]) * self.betas[1:]
        return out


def linear_schedule(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> Schedule:
    """Ho et al. (2020): ``β_t`` linear from ``beta_1`` (t = 1) to ``beta_T`` (t = T)."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    b = torch.cat([torch.zeros(1, dtype=torch.float64), torch.linspace(beta_1, beta_T, T, dtype=torch.float64)])
    return Schedule(b, "linear")


def cosine_schedule(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> Schedule:
    """Nichol & Dhariwal (2021): ``ᾱ_t = f(t) / f(0)``, ``f(t) = cos²(π/2 · (t/T + s) / (1 + s))``;
    ``β_t = 1 − ᾱ_t / ᾱ_{t−1}``, clipped at ``max_beta`` (the last steps would otherwise reach β = 1)."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    t = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2
    ab = f / f[0]
    b = torch.zeros(T + 1, dtype=torch.float64)
    b[1:] = (1 - ab[1:] / ab[:-1]).clamp(max=max_beta)
    return Schedule(b, "cosine")


def make_schedule(name: str, T: int = 1000) -> Schedule:
    """``"linear"`` or ``"cosine"``."""
    if name == "linear":
        return linear_schedule(T)
    if name == "cosine":
        return cosine_schedule(T)
    raise ValueError(f"unknown schedule {name!r}; use 'linear' or 'cosine'")


def snr(schedule: Schedule) -> Tensor:
    """``SNR(t) = ᾱ_t / (1 − ᾱ_t)`` for ``t = 1 … T``, shape ``(T,)``."""
    ab = schedule.alpha_bars[1:]
    return ab / (1 - ab)


def expand(coef: Tensor, t: Tensor | int, like: Tensor) -> Tensor:
    """``coef[t]`` as a tensor of ``like``'s dtype and device, shaped ``(B, 1, …, 1)`` to broadcast over ``like``."""
    c = coef.to(like.device)
    if isinstance(t, int):
        return c[t].to(like.dtype)
    t = t.to(like.device)
    if t.dim() != 1 or len(t) != len(like):
        raise ValueError(f"t must be an int or a (B,) tensor with B = {len(like)}, got shape {tuple(t.shape)}")
    return c[t].to(like.dtype).view(-1, *([1] * (like.dim() - 1)))


# ----------------------------------------------------------------------------------------------------------
# forward process, posterior, parameterisations
# ----------------------------------------------------------------------------------------------------------
def q_step(x_prev: Tensor, t: Tensor | int, schedule: Schedule, noise: Tensor) -> Tensor:
    """One step of the chain: ``x_t = √α_t x_{t−1} + √β_t ε``."""
    return expand(schedule.alphas.sqrt(), t, x_prev) * x_prev + expand(schedule.betas.sqrt(), t, x_prev) * noise


def q_sample(x0: Tensor, t: Tensor | int, schedule: Schedule, noise: Tensor) -> Tensor:
    """Jump straight to step ``t``: ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` with ``ε ~ N(0, I)`` given as ``noise``."""
    ab = schedule.alpha_bars
    return expand(ab.sqrt(), t, x0) * x0 + expand((1 - ab).sqrt(), t, x0) * noise


def posterior(x0: Tensor, xt: Tensor, t: Tensor | int, schedule: Schedule) -> tuple[Tensor, Tensor]:
    """``q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I)`` for ``t ≥ 1``:

    ``μ̃_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · x_t``,
    ``β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t``.

    Returns ``(mean like x0, variance broadcastable to x0)``.
    """
    ab, b, a = schedule.alpha_bars, schedule.betas, schedule.alphas
    ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
    c0 = ab_prev.sqrt() * b / (1 - ab)
    ct = a.sqrt() * (1 - ab_prev) / (1 - ab)
    c0[0], ct[0] = 1.0, 0.0  # t = 0: nothing to undo
    mean = expand(c0, t, x0) * x0 + expand(ct, t, xt) * xt
    return mean, expand(schedule.posterior_variance, t, x0)


def eps_to_x0(xt: Tensor, eps: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t``."""
    ab = schedule.alpha_bars
    return (xt - expand((1 - ab).sqrt(), t, xt) * eps) / expand(ab.sqrt(), t, xt)


def x0_to_eps(xt: Tensor, x0: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``ε = (x_t − √ᾱ_t x_0) / √(1 − ᾱ_t)``."""
    ab = schedule.alpha_bars
    return (xt - expand(ab.sqrt(), t, xt) * x0) / expand((1 - ab).sqrt(), t, xt)


def eps_to_score(eps: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """Score of the noisy marginal, ``∇ log q_t(x_t) = −E[ε | x_t] / √(1 − ᾱ_t)`` (Tweedie / Vincent 2011)."""
    return -eps / expand((1 - schedule.alpha_bars).sqrt(), t, eps)


def score_to_eps(score: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``ε = −√(1 − ᾱ_t) · score``."""
    return -score * expand((1 - schedule.alpha_bars).sqrt(), t, score)


def predict_x0_and_eps(eps: Tensor, xt: Tensor, t: Tensor | int, schedule: Schedule,
                       clip: float | None = None) -> tuple[Tensor, Tensor]:
    """``(x̂_0, ε̂)`` from an ε-prediction; with ``clip``, ``x̂_0`` is clamped to ``[−clip, clip]`` and ``ε̂``
    recomputed from it (so that DDIM stays consistent with the clipped ``x̂_0``)."""
    x0 = eps_to_x0(xt, eps, t, schedule)
    if clip is None:
        return x0, eps
    x0 = x0.clamp(-clip, clip)
    return x0, x0_to_eps(xt, x0, t, schedule)


# ----------------------------------------------------------------------------------------------------------
# samplers
# ----------------------------------------------------------------------------------------------------------
def ddpm_step(xt: Tensor, eps: Tensor, t: int, schedule: Schedule, noise: Tensor | None,
              clip: float | None = 1.0, variance: str = "posterior") -> Tensor:
    """One ancestral step ``x_t → x_{t−1}`` of DDPM (Ho et al. 2020, Algorithm 2, in its x̂_0 form):

    ``x̂_0`` from ``ε`` (clipped to the data range when ``clip``), then ``x_{t−1} = μ̃_t(x̂_0, x_t) + σ_t z``,
    ``σ_t² = β̃_t`` (``variance="posterior"``) or ``β_t`` (``"beta"``); no noise at ``t = 1``.
    Without clipping this equals ``(x_t − β_t/√(1 − ᾱ_t) ε) / √α_t + σ_t z``.
    """
    if not 1 <= t <= schedule.T:
        raise ValueError(f"t must be in 1..{schedule.T}, got {t}")
    x0, _ = predict_x0_and_eps(eps, xt, t, schedule, clip)
    mean, _ = posterior(x0, xt, t, schedule)
    if t == 1 or noise is None:
        return mean
    var = schedule.posterior_variance[t] if variance == "posterior" else schedule.betas[t]
    return mean + float(var) ** 0.5 * noise


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` evenly spaced times ``T ≥ τ_S > … > τ_1 ≥ 1``, descending (``τ_i = i·T/steps``, rounded)."""
    if not 1 <= steps <= T:
        raise ValueError(f"steps must be in 1..{T}, got {steps}")
    return sorted({max(1, round(i * T / steps)) for i in range(1, steps + 1)}, reverse=True)


def ddim_step(xt: Tensor, eps: Tensor, t: int, t_prev: int, schedule: Schedule, eta: float = 0.0,
              noise: Tensor | None = None, clip: float | None = 1.0) -> Tensor:
    """One DDIM step ``x_t → x_{t_prev}`` (Song, Meng & Ermon 2021, eq. 12):

    ``x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε̂ + σ z``,
    ``σ = η √((1 − ᾱ_{t'}) / (1 − ᾱ_t)) √(1 − ᾱ_t / ᾱ_{t'})``.

    ``η = 0`` is deterministic; ``η = 1`` with ``t' = t − 1`` is DDPM's ancestral step with ``σ² = β̃_t``.
    """
    if not 0 <= t_prev < t <= schedule.T:
        raise ValueError(f"need 0 <= t_prev < t <= {schedule.T}, got t={t}, t_prev={t_prev}")
    x0, eps = predict_x0_and_eps(eps, xt, t, schedule, clip)
    ab_t, ab_p = float(schedule.alpha_bars[t]), float(schedule.alpha_bars[t_prev])
    sigma = eta * math.sqrt((1 - ab_p) / (1 - ab_t)) * math.sqrt(1 - ab_t / ab_p)
    out = math.sqrt(ab_p) * x0 + math.sqrt(max(1 - ab_p - sigma ** 2, 0.0)) * eps
    if sigma > 0:
        if noise is None:
            raise ValueError("eta > 0 needs noise")
        out = out + sigma * noise
    return out


def guided_eps(eps_cond: Tensor, eps_uncond: Tensor, w: float) -> Tensor:
    """Classifier-free guidance (Ho & Salimans 2022): ``ε̃ = (1 + w) ε(x, c) − w ε(x, ∅)``.

    ``w = 0`` is the plain conditional model; ``diffusers``' ``guidance_scale`` is ``1 + w``.
    """
    return (1 + w) * eps_cond - w * eps_uncond


# ----------------------------------------------------------------------------------------------------------
# losses and the variational bound
# ----------------------------------------------------------------------------------------------------------
def simple_loss(eps_pred: Tensor, eps: Tensor) -> Tensor:
    """``L_simple = E ||ε − ε_θ(x_t, t)||²``, averaged over examples and dimensions (Ho et al. 2020, eq. 14)."""
    return F.mse_loss(eps_pred, eps)


def normal_kl(mean1: Tensor, var1: Tensor, mean2: Tensor, var2: Tensor) -> Tensor:
    """Elementwise ``KL(N(mean1, var1) ‖ N(mean2, var2))`` in nats."""
    return 0.5 * (torch.log(var2 / var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1.0)


def _std_normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def discretized_gaussian_log_likelihood(x: Tensor, mean: Tensor, std: Tensor | float, bins: int = 256) -> Tensor:
    """Elementwise ``log P(x)`` in nats of data ``x`` on the grid ``{−1, −1 + 2/(bins−1), …, 1}`` under
    ``N(mean, std²)`` integrated over each value's bin (width ``2/(bins−1)``; the end bins reach ``±∞``) —
    Ho et al. 2020's decoder ``p(x_0 | x_1)``. The sum over a grid of values is 1, so this is a probability."""
    std_t = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    half = 1.0 / (bins - 1)
    upper = _std_normal_cdf((x + half - mean) / std_t)
    lower = _std_normal_cdf((x - half - mean) / std_t)
    upper = torch.where(x > 1 - 1e-3, torch.ones_like(upper), upper)
    lower = torch.where(x < -1 + 1e-3, torch.zeros_like(lower), lower)
    return torch.log((upper - lower).clamp(min=1e-12))


def nats_to_bits_per_dim(nats_per_example: float | Tensor, dims: int) -> float | Tensor:
    """``bits/dim = nats / (D · ln 2)`` for examples of ``D`` dimensions (784 for MNIST)."""
    return nats_per_example / (dims * math.log(2.0))


def vlb_terms(model_eps: Any, x0: Tensor, schedule: Schedule, ts: list[int] | None = None,
              generator: torch.Generator | None = None, bins: int = 256) -> dict[str, Tensor]:
    """The terms of the variational bound ``−log p(x_0) ≤ L_T + Σ_{t=2}^T L_{t−1} + L_0`` (nats per example):

    * ``L_T = KL(q(x_T | x_0) ‖ N(0, I))`` (no parameters);
    * ``L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t))`` with ``p_θ = N(μ̃_t(x̂_0, x_t), β̃_t I)``;
    * ``L_0 = −log p_θ(x_0 | x_1)``: the discretised Gaussian decoder with mean ``μ_θ(x_1, 1) = x̂_0`` and
      variance ``β_1`` (Ho et al. 2020, §3.3).

    In every term the model's ``x̂_0`` is clipped to the data range ``[−1, 1]`` before it enters the mean, as the
    samplers clip it (``predict_x0_and_eps(clip=1)``): the bound is that of the reverse process the samplers
    run, which is a valid model of its own, so the sum is still an upper bound on ``−log p(x_0)`` for it.

    Args:
        model_eps: ``f(x_t, t) -> ε̂`` with ``t`` a ``(B,)`` int64 tensor.
        x0: data ``(B, …)`` on the grid in ``[−1, 1]``.
        ts: the times ``t ≥ 2`` at which to evaluate ``L_{t−1}`` (default: all). With a subset, the sum is
            estimated as ``(T − 1) · mean`` over the subset (unbiased when the subset is uniform at random).

    Returns:
        ``{"prior": (B,), "decoder": (B,), "diffusion": (B,), "total": (B,), "per_t": (len(ts), B)}``.
    """
    T = schedule.T
    B = x0.shape[0]
    dims = tuple(range(1, x0.dim()))
    ab = schedule.alpha_bars
    mean_T = float(ab[T].sqrt()) * x0
    var_T = torch.full_like(x0, float(1 - ab[T]))
    prior = normal_kl(mean_T, var_T, torch.zeros_like(x0), torch.ones_like(x0)).sum(dims)
    ts = list(range(2, T + 1)) if ts is None else list(ts)
    if any(not 2 <= t <= T for t in ts):
        raise ValueError(f"ts must lie in 2..{T}")
    per_t = []
    for t in ts:
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        tt = torch.full((B,), t, dtype=torch.long, device=x0.device)
        xt = q_sample(x0, tt, schedule, noise)
        eps = model_eps(xt, tt)
        x0_hat = eps_to_x0(xt, eps, t, schedule).clamp(-1, 1)
        m_true, var = posterior(x0, xt, t, schedule)
        m_model, _ = posterior(x0_hat, xt, t, schedule)
        per_t.append(normal_kl(m_true, var.expand_as(x0), m_model, var.expand_as(x0)).sum(dims))
    per = torch.stack(per_t) if per_t else x0.new_zeros(0, B)
    diffusion = per.mean(0) * (T - 1) if per_t else x0.new_zeros(B)
    noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
    t1 = torch.ones(B, dtype=torch.long, device=x0.device)
    x1 = q_sample(x0, t1, schedule, noise)
    x0_hat = eps_to_x0(x1, model_eps(x1, t1), 1, schedule).clamp(-1, 1)
    decoder = -discretized_gaussian_log_likelihood(x0, x0_hat, float(schedule.betas[1]) ** 0.5, bins).sum(dims)
    return {"prior": prior, "decoder": decoder, "diffusion": diffusion, "total": prior + diffusion + decoder,
            "per_t": per}


@torch.no_grad()
def likelihood_bound(model: "DiffusionUNet", images: Tensor, *, times: int | None = None, batch_size: int = 100,
                     generator: torch.Generator | None = None, bins: int = 256) -> dict[str, Any]:
    """The variational bound on ``−log p(x_0)`` of 8-bit images under the unconditional model (null class).

    Args:
        model: a trained :class:`DiffusionUNet` (evaluated in ``eval`` mode, on its own device).
        images: ``(N, 1, 28, 28)`` in ``[0, 1]``; they are put on the 256-level grid (``round(255 x) / 255``)
            and mapped to ``[−1, 1]``.
        times: ``None`` sums ``L_{t−1}`` over every ``t = 2..T`` (``T − 1`` network evaluations per image; the
            standard error is then over the images only). An integer ``k`` draws ``k`` times at random, shared
            by all images, and estimates the sum as ``(T − 1)·mean``: cheaper, and the standard error is that of
            the time sampling, which dominates.
        batch_size: images per forward pass.

    Returns:
        ``images``, ``times`` (the number of times evaluated), ``nats_per_image`` and ``nats_se``,
        ``bits_per_dim`` and ``bits_per_dim_se`` (``nats / (784 ln 2)``), ``terms_nats`` (the means of
        ``prior``, ``diffusion``, ``decoder`` and ``total``) and ``decoder`` (what ``L_0`` is).
    """
    check_images(images, "images")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    T = model.schedule.T
    if times is not None and not 1 <= times <= T - 1:
        raise ValueError(f"times must be None (all T - 1 = {T - 1}) or an integer in 1..{T - 1}, got {times}")
    dev = next(model.parameters()).device
    ts = list(range(2, T + 1)) if times is None else \
        (torch.randperm(T - 1, generator=generator)[:times] + 2).tolist()
    x0 = ((images * 255).round() / 255 * 2 - 1).to(dev)
    was = model.training
    model.eval()
    out: dict[str, list[Tensor]] = {k: [] for k in ("prior", "decoder", "diffusion", "total", "per_t")}
    for i in range(0, len(x0), batch_size):
        noise_gen = None
        if generator is not None:    # the noise on the model's device, seeded from the caller's generator
            noise_gen = torch.Generator(device=dev)
            noise_gen.manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
        r = vlb_terms(lambda xt, t: model(xt, t), x0[i:i + batch_size], model.schedule, ts=ts,
                      generator=noise_gen, bins=bins)
        for k in out:
            out[k].append(r[k].cpu())
    model.train(was)
    terms = {k: torch.cat(v, dim=-1) for k, v in out.items()}
    nats = float(terms["total"].mean())
    n = len(x0)
    if times is None:
        se = float(terms["total"].std()) / math.sqrt(n) if n > 1 else float("nan")
    else:   # the spread of the per-time means over the shared random times
        se = float(terms["per_t"].mean(1).std() * (T - 1) / math.sqrt(len(ts))) if len(ts) > 1 else float("nan")
    return {
        "images": n, "times": len(ts), "nats_per_image": nats, "nats_se": se,
        "bits_per_dim": float(nats_to_bits_per_dim(nats, 784)), "bits_per_dim_se": float(nats_to_bits_per_dim(se, 784)),
        "terms_nats": {k: float(terms[k].mean()) for k in ("prior", "diffusion", "decoder", "total")},
        "decoder": f"discretised Gaussian on {bins} levels, variance beta_1",
    }


# ----------------------------------------------------------------------------------------------------------
# the network: a small class-conditional UNet
# ----------------------------------------------------------------------------------------------------------
def timestep_embedding(t: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Sinusoidal embedding of ``t`` ``(B,)`` → ``(B, dim)`` (the Transformer's positional encoding, chapter 4)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    """``GroupNorm → SiLU → conv3×3 → + emb → GroupNorm → SiLU → conv3×3``, plus a (1×1) skip.
    ``(B, c_in, H, W), (B, emb) → (B, c_out, H, W)``."""

    def __init__(self, c_in: int, c_out: int, emb: int, groups: int = 8) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb, c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class DiffusionUNet(nn.Module):
    """ε_θ(x_t, t, y): a two-level UNet for 28 × 28 images with a time embedding and a class embedding.

    Layout (``c = channels``): ``(B,1,28,28)`` → conv → ResBlock(c) @28 → down → ResBlock(2c) @14 → down →
    ResBlock(2c) @7 → middle ResBlock(2c) @7 → up (with skips) … → ``(B,1,28,28)``. The time ``t`` enters as a
    sinusoidal embedding through a small MLP; the class ``y ∈ {0 … 9}`` or the null class ``10`` (no label)
    through an embedding added to it, so one network is both the conditional and the unconditional model
    that classifier-free guidance combines.

    The noise schedule is part of the model (``schedule``, ``T`` in the config), so a checkpoint samples itself:
    :meth:`sample` returns ``(n, 1, 28, 28)`` in ``[0, 1]``.
    """

    def __init__(self, channels: int = 32, emb_dim: int = 128, T: int = 1000, schedule: str = "cosine",
                 num_classes: int = 10, sample_steps: int = 50, patch: int = 2) -> None:
        super().__init__()
        if channels < 8 or channels % 8:
            raise ValueError(f"channels must be a positive multiple of 8, got {channels}")
        if patch not in (1, 2):
            raise ValueError(f"patch must be 1 (full 28x28 resolution) or 2 (pixel-unshuffle to 14x14), got {patch}")
        self.config = dict(channels=channels, emb_dim=emb_dim, T=T, schedule=schedule, num_classes=num_classes,
                           sample_steps=sample_steps, patch=patch)
        self.schedule = make_schedule(schedule, T)
        self.num_classes = num_classes
        self.sample_steps = sample_steps
        self.patch = patch
        c, e = channels, emb_dim
        self.channels = c
        self.time_mlp = nn.Sequential(nn.Linear(c, e), nn.SiLU(), nn.Linear(e, e))
        self.class_emb = nn.Embedding(num_classes + 1, e)
        p2 = patch * patch
        self.inp = nn.Conv2d(p2, c, 3, padding=1)          # after pixel-unshuffle: (B, p², 28/p, 28/p)
        self.d1 = ResBlock(c, c, e)
        self.down1 = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.d2 = ResBlock(2 * c, 2 * c, e)
        self.mid = ResBlock(2 * c, 2 * c, e)
        self.u2 = ResBlock(4 * c, 2 * c, e)
        self.up1 = nn.Upsample(scale_factor=2, mode="nearest")
        self.u1 = ResBlock(3 * c, c, e)
        self.out_norm = nn.GroupNorm(8, c)
        self.out = nn.Conv2d(c, p2, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        if patch == 1:   # a third level: 28 -> 14 -> 7 needs one more down/up pair
            self.down2 = nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1)
            self.d3 = ResBlock(2 * c, 2 * c, e)
            self.u3 = ResBlock(4 * c, 2 * c, e)
            self.up2 = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x: Tensor, t: Tensor, y: Tensor | None = None) -> Tensor:
        """``x (B,1,28,28)`` in data units (``[−1, 1]`` at ``t = 0``), ``t (B,)`` int64 in ``1..T``,
        ``y (B,)`` int64 in ``0..num_classes`` (``num_classes`` = no label; ``None`` = all unlabelled) → ``ε̂``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (B, 1, 28, 28), got {tuple(x.shape)}")
        if y is None:
            y = torch.full((len(x),), self.num_classes, dtype=torch.long, device=x.device)
        emb = self.time_mlp(timestep_embedding(t, self.channels)) + self.class_emb(y)
        if self.patch == 2:
            x = F.pixel_unshuffle(x, 2)                      # (B, 4, 14, 14)
        h1 = self.d1(self.inp(x), emb)                       # (B, c, R, R), R = 28 / patch
        h2 = self.d2(self.down1(h1), emb)                    # (B, 2c, R/2, R/2)
        if self.patch == 1:
            h3 = self.d3(self.down2(h2), emb)                # (B, 2c, 7, 7)
            h = self.mid(h3, emb)
            h = self.u3(torch.cat([h, h3], 1), emb)
            h = self.up2(h)
        else:
            h = self.mid(h2, emb)
        h = self.u2(torch.cat([h, h2], 1), emb)              # (B, 2c, R/2, R/2)
        h = self.u1(torch.cat([self.up1(h), h1], 1), emb)    # (B, c, R, R)
        out = self.out(F.silu(self.out_norm(h)))             # (B, p², R, R)
        return F.pixel_shuffle(out, 2) if self.patch == 2 else out

    # ---- sampling ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def eps(self, x: Tensor, t: int, y: Tensor | None = None, guidance: float = 0.0) -> Tensor:
        """ε̂ at integer time ``t`` for a batch; with labels ``y`` and ``guidance = w > 0``, the classifier-free
        guided ``(1 + w) ε(x, y) − w ε(x, ∅)`` (one batched forward pass of size ``2B``)."""
        tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
        if y is None or guidance == 0.0:
            return self(x, tt, y)
        null = torch.full_like(y, self.num_classes)
        both = self(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))
        e_c, e_u = both.chunk(2)
        return guided_eps(e_c, e_u, guidance)

    @torch.no_grad()
    def reverse(self, n: int, *, steps: int | None = None, method: str = "ddim", eta: float = 0.0,
                y: Tensor | None = None, guidance: float = 0.0, generator: torch.Generator | None = None,
                return_path: bool = False, clip: float | None = 1.0) -> Tensor | tuple[Tensor, list[int], list[Tensor]]:
        """Run the reverse process from ``x_T ~ N(0, I)`` to ``x_0`` (data units, ``[−1, 1]``).

        Args:
            n: number of images.
            steps: network evaluations (DDIM: that many evenly spaced times; DDPM: every ``T / steps``-th time is
                *not* skipped — DDPM always takes all ``T`` steps, so ``steps`` must be ``None`` or ``T``).
            method: ``"ddim"`` (``eta`` sets the noise, 0 = deterministic) or ``"ddpm"`` (ancestral, all T steps).
            y: labels ``(n,)`` (``None`` = unconditional); ``guidance``: CFG weight ``w``.
            return_path: also return the times and the states ``x_t`` visited (on the CPU).
        """
        dev = next(self.parameters()).device
        T = self.schedule.T
        x = torch.randn((n, 1, 28, 28), generator=generator, device=dev)
        if y is not None:
            y = y.to(dev)
        path_t, path_x = [T], [x.cpu()] if return_path else []
        if method == "ddpm":
            if steps not in (None, T):
                raise ValueError(f"DDPM takes all T = {T} steps; use method='ddim' for {steps} steps")
            for t in range(T, 0, -1):
                noise = torch.randn(x.shape, generator=generator, device=dev) if t > 1 else None
                x = ddpm_step(x, self.eps(x, t, y, guidance), t, self.schedule, noise, clip=clip)
                if return_path:
                    path_t.append(t - 1)
                    path_x.append(x.cpu())
        elif method == "ddim":
            ts = ddim_timesteps(T, steps or self.sample_steps)
            for i, t in enumerate(ts):
                t_prev = ts[i + 1] if i + 1 < len(ts) else 0
                noise = torch.randn(x.shape, generator=generator, device=dev) if eta > 0 else None
                x = ddim_step(x, self.eps(x, t, y, guidance), t, t_prev, self.schedule, eta, noise, clip=clip)
                if return_path:
                    path_t.append(t_prev)
                    path_x.append(x.cpu())
        else:
            raise ValueError(f"method must be 'ddim' or 'ddpm', got {method!r}")
        return (x, path_t, path_x) if return_path else x

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, batch_size: int = 500,
               **kwargs: Any) -> Tensor:
        """``n`` unconditional images ``(n, 1, 28, 28)`` in ``[0, 1]`` (DDIM with ``sample_steps`` steps unless
        ``steps=`` / ``method=`` say otherwise; ``y=``, ``guidance=`` for conditional samples)."""
        was = self.training
        self.eval()
        y = kwargs.pop("y", None)
        out = []
        for i in range(0, n, batch_size):
            yi = None if y is None else y[i:i + batch_size]
            out.append(self.reverse(min(batch_size, n - i), generator=generator, y=yi, **kwargs))
        self.train(was)
        return ((torch.cat(out) + 1) / 2).clamp(0, 1)


# ----------------------------------------------------------------------------------------------------------
# a 2-D toy: an MLP ε-network for points in the plane (chapter 7's ring of Gaussians)
# ----------------------------------------------------------------------------------------------------------
class ToyDenoiser(nn.Module):
    """ε_θ(x_t, t) for 2-D points: ``x (B, 2), t (B,) → (B, 2)``; an MLP on ``[x, embedding(t)]``."""

    def __init__(self, hidden: int = 128, layers: int = 3, emb: int = 32, dim: int = 2) -> None:
        super().__init__()
        self.emb = emb
        sizes = [dim + emb] + [hidden] * layers
        mods: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            mods += [nn.Linear(a, b), nn.SiLU()]
        self.net = nn.Sequential(*mods, nn.Linear(hidden, dim))

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        return self.net(torch.cat([x, timestep_embedding(t, self.emb)], 1))


def train_toy(model: nn.Module, data: Tensor, schedule: Schedule, steps: int = 3000, batch_size: int = 512,
              lr: float = 2e-3, seed: int = 0) -> list[float]:
    """Train ``model`` on ``L_simple`` for ``data (N, D)``; returns the loss of every step."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for i in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = lr * 0.5 * (1 + math.cos(math.pi * i / steps))
        x0 = data[torch.randint(len(data), (batch_size,), generator=g)]
        t = torch.randint(1, schedule.T + 1, (batch_size,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        loss = simple_loss(model(q_sample(x0, t, schedule, eps), t), eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def sample_toy(model: nn.Module, n: int, schedule: Schedule, dim: int = 2, steps: int | None = None,
               eta: float = 1.0, generator: torch.Generator | None = None) -> tuple[list[int], list[Tensor]]:
    """Reverse process for a toy model; ``steps=None`` is DDPM with all ``T`` steps (else DDIM with ``eta``).
    Returns ``(times, states)`` from ``x_T`` to ``x_0``, each state ``(n, dim)``; no clipping."""
    x = torch.randn((n, dim), generator=generator)
    times, states = [schedule.T], [x]
    ts = list(range(schedule.T, 0, -1)) if steps is None else ddim_timesteps(schedule.T, steps)
    for i, t in enumerate(ts):
        tt = torch.full((n,), t, dtype=torch.long)
        eps = model(x, tt)
        t_prev = ts[i + 1] if i + 1 < len(ts) else 0
        if steps is None:
            x = ddpm_step(x, eps, t, schedule, torch.randn(x.shape, generator=generator), clip=None)
        else:
            noise = torch.randn(x.shape, generator=generator) if eta > 0 else None
            x = ddim_step(x, eps, t, t_prev, schedule, eta, noise, clip=None)
        times.append(t_prev)
        states.append(x)
    return times, states


# ----------------------------------------------------------------------------------------------------------
# training on MNIST: the task behind ``python -m course_lib train diffusion`` (registry entry "diffusion")
# ----------------------------------------------------------------------------------------------------------
# Training (Ho et al. 2020, Algorithm 1, with classifier-free guidance's label dropout, Ho & Salimans 2022):
# draw x_0 from the data (scaled to [-1, 1]), t ~ U{1..T}, eps ~ N(0, I); replace the label by the null class
# with probability p_uncond; take an AdamW step on ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t, y)||^2.
# The weights saved (and sampled from) are an exponential moving average of the trained ones.
#
# The shipped checkpoint ``course_lib/checkpoints/diffusion_offline`` was made by the command in its model card
# (``python -m course_lib train diffusion --data offline ...``); the arithmetic and the RNG use below are those it
# was trained with (per-epoch generator seeded ``seed * 100_003 + epoch``; EMA starts after 100 steps).

def lr_at(lr: float, step: int, total: int, warmup: int = 200) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``lr / 10`` at step ``total``.

    The same curve as :func:`course_lib.optim.warmup_cosine_lr` with ``floor = lr / 10``, written as the
    shipped checkpoint was trained (the two differ in the last bit of some rates)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - decay)


class _HalfTolerant(DiffusionUNet):
    """A DiffusionUNet whose ``load_state_dict`` accepts float16 tensors (``--fp16`` weights) and casts them."""

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        state = {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}
        return super().load_state_dict(state, strict=strict, assign=assign)


def load_factory(**config: Any) -> DiffusionUNet:
    """What the registry rebuilds a ``diffusion_unet`` checkpoint with (float32 even from float16 weights)."""
    return _HalfTolerant(**config)


def config_of(model: nn.Module) -> dict[str, Any]:
    """The keyword arguments that rebuild ``model`` (saved in its model card)."""
    if not isinstance(model, DiffusionUNet):
        raise ValueError(f"not a DiffusionUNet: {type(model).__name__}")
    return dict(model.config)


class DiffusionTask(Task):
    """Training a :class:`DiffusionUNet` on ``L_simple`` with label dropout and an EMA of the weights.

    Args:
        model: the network trained (moved to the device in place); ``ema``: the averaged copy that is saved
            (default: a copy of ``model``; a resumed run passes the checkpoint's weights).
        x_train: ``(N, 1, 28, 28)`` in ``[0, 1]``; ``y_train``: ``(N,)`` labels ``0..9``.
        epochs: total epochs of the run (the learning-rate curve spans them).
        p_uncond: probability that a label is replaced by the null class (the unconditional model for CFG).
        ema_decay: decay of the weight average that is saved and sampled from.
        seed: seeds each epoch's generator (``seed * 100_003 + epoch``): shuffling, times, noise, label dropout.
        fp16: store the final epoch's weights in float16.
    """

    kind = KIND
    drop_last = True

    def __init__(self, model: DiffusionUNet, x_train: Tensor, y_train: Tensor, *, epochs: int, batch_size: int = 128,
                 lr: float = 2e-3, p_uncond: float = 0.2, ema_decay: float = 0.999, seed: int = 0,
                 device: Any = "auto", compile: bool = False, ema: DiffusionUNet | None = None,
                 fp16: bool = False) -> None:
        check_images(x_train, "x_train")
        if len(y_train) != len(x_train):
            raise ValueError(f"x_train has {len(x_train)} images but y_train {len(y_train)} labels")
        if not 0.0 <= p_uncond <= 1.0:
            raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"the EMA decay must be in [0, 1), got {ema_decay}")
        if not 1 <= batch_size <= len(x_train):
            raise ValueError(f"--batch-size {batch_size} must be between 1 and the {len(x_train)} training images")
        super().__init__(model, device, compile)
        self.ema = (ema if ema is not None else copy.deepcopy(model)).to(self.device).eval().requires_grad_(False)
        self.x = x_train.to(self.device)  # the digits in [0, 1], as loaded (the card hashes them); scaled per batch
        self.y = y_train.to(self.device).long()
        self.batch_size, self.lr, self.p_uncond, self.ema_decay = batch_size, lr, p_uncond, ema_decay
        self.seed, self.epochs, self.fp16 = seed, epochs, fp16
        self.steps_per_epoch = len(self.x) // batch_size
        self.total = epochs * self.steps_per_epoch
        self.gen = torch.Generator(device=self.device)
        self.optimizer(lr=lr, kind="adamw", weight_decay=0.0)  # fused on CPU and CUDA, as the shipped run
        self._step = 0
        self._epochs_done = 0

    def batches(self, epoch: int):  # type: ignore[override]
        self.gen.manual_seed(self.seed * 100_003 + epoch)
        self._step = epoch * self.steps_per_epoch
        for idx in minibatch_indices(len(self.x), self.batch_size, self.device, self.gen, drop_last=True):
            yield shard(idx), len(idx)

    def step(self, idx: Tensor, global_n: int) -> dict[str, Tensor]:
        opt = self.optimizers["opt"]
        for g in opt.param_groups:
            g["lr"] = lr_at(self.lr, self._step, self.total)
        dev, T = self.device, self.model.schedule.T
        # times, noise and label dropout for the global minibatch; this rank's rows (all of them in one process)
        t = shard(torch.randint(1, T + 1, (global_n,), device=dev, generator=self.gen))
        eps = shard(torch.randn((global_n, *self.x.shape[1:]), device=dev, generator=self.gen))
        drop = shard(torch.rand(global_n, device=dev, generator=self.gen) < self.p_uncond)
        x0, yb = self.x[idx] * 2 - 1, self.y[idx].clone()
        yb[drop] = NULL_CLASS
        with autocast(dev):
            pred = self.net(q_sample(x0, t, self.model.schedule, eps), t, yb).float()
        opt.zero_grad(set_to_none=True)
        if world()[1] == 1:  # one process: the loss exactly as the shipped checkpoint was trained with
            loss = simple_loss(pred, eps)
        else:  # DDP: the mean over the global minibatch (see batch_mean)
            loss = batch_mean((pred - eps).pow(2).flatten(1).mean(1), global_n)
        loss.backward()
        opt.step()
        _ema_update(self.ema, self.model, self.ema_decay if self._step > 100 else 0.0)
        self._step += 1
        return {"loss": (pred - eps).detach().pow(2).mean()}

    def train_epoch(self, epoch: int) -> dict[str, float]:
        record = super().train_epoch(epoch)
        self._epochs_done = epoch + 1
        return {**record, "lr": self.optimizers["opt"].param_groups[0]["lr"]}

    def weights_for_saving(self) -> nn.Module:
        """The EMA weights; float16 after the last epoch with ``fp16``."""
        if self.fp16 and self._epochs_done >= self.epochs:
            return copy.deepcopy(self.ema).half()
        return self.ema

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "model": self.model.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "optimizer" in state and "optimizer_opt" not in state:  # resume state written by the first trainer
            state = {**state, "optimizer_opt": state["optimizer"], "torch_rng": torch.get_rng_state()}
        self.model.load_state_dict(state["model"])
        super().load_state_dict(state)


def train_diffusion(model: DiffusionUNet, x_train: Tensor, y_train: Tensor, epochs: int, batch_size: int = 128,
                    lr: float = 2e-3, p_uncond: float = 0.2, ema_decay: float = 0.999, device: Any = "auto",
                    seed: int = 0, progress_bar: bool = False, compile: bool = False,
                    callback: Any = None) -> tuple[DiffusionUNet, list[dict[str, Any]]]:
    """Train ``model`` on ``L_simple`` through :func:`course_lib.training.train_loop`; returns
    ``(ema_model, history)`` (see :class:`DiffusionTask` for the arguments)."""
    task = DiffusionTask(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, p_uncond=p_uncond,
                         ema_decay=ema_decay, seed=seed, device=device, compile=compile)
    history = train_loop(task, epochs, progress_bar=progress_bar, callback=callback, desc="diffusion")
    return task.ema, history


def task_from_run(run: Any) -> DiffusionTask:
    """The :class:`DiffusionTask` of ``python -m course_lib train diffusion`` (see :mod:`course_lib.registry`)."""
    o = run.options
    x_train, y_train = run.load("train")
    x_train, y_train = select_training_set(x_train, y_train, train_size=o["train_size"])
    ema = None
    if run.model is not None:  # resuming: the checkpoint holds the EMA; the trained weights come from the state
        ema = run.model.float()
        model = DiffusionUNet(**config_of(ema))
    else:
        model = DiffusionUNet(channels=o["channels"], emb_dim=o["emb_dim"], T=o["T"], schedule=o["schedule"],
                              num_classes=10, sample_steps=o["sample_steps"], patch=o["patch"])
    return DiffusionTask(model, x_train, y_train, epochs=run.epochs, batch_size=run.batch_size, lr=run.lr,
                         p_uncond=o["p_uncond"], ema_decay=o["ema"], seed=run.seed, device=run.device,
                         compile=run.config.compile, ema=ema, fp16=o["fp16"])


def card_extra(run: Any, task: DiffusionTask) -> dict[str, Any]:
    half = task.fp16 and task._epochs_done >= task.epochs
    return {"p_uncond": task.p_uncond, "ema_decay": task.ema_decay,
            "weights_dtype": "float16" if half else "float32",
            "sampler": f"DDIM, {task.model.sample_steps} steps, eta 0, unconditional (null class)"}


def load_diffusion(path: Any = None, device: Any = "cpu") -> tuple[DiffusionUNet, dict[str, Any]]:
    """Load a diffusion checkpoint (default: the shipped ``diffusion_offline``) in float32, in eval mode."""

    path = shipped_checkpoint("diffusion_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, load_factory, KIND, device="cpu")
    return model.float().to(get_device(device)).eval(), card  # type: ignore[return-value]


def load_samples(path: Any = None) -> Tensor:
    """The 1,000 samples that ``bench/diffusion.py`` drew with the checkpoint's default sampler (the ones its
    Fréchet distance was measured on), as ``(1000, 1, 28, 28)`` float in ``[0, 1]``."""

    stem = shipped_checkpoint("diffusion_offline") if path is None else Path(path).with_suffix("")
    file = stem.with_suffix(".samples.safetensors")
    if not file.is_file():
        raise CheckpointError(f"No stored samples at {file}; make them with `python bench/diffusion.py {stem}`.")
    return load_file(str(file))["images"].float().div(255).unsqueeze(1)
