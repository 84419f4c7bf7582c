"""Denoising diffusion: the mathematics (schedules, forward process, posterior, parameterisations, DDPM and
DDIM updates, guidance, losses, the variational bound in bits/dim). Pure functions of tensors and a
:class:`Schedule`; the networks and the loops that use them live beside this module, as in ``diffusers``
(the network apart from the scheduler):

* :mod:`course_lib.models.diffusion_sampler` — :class:`~course_lib.models.diffusion_sampler.DiffusionSampler`,
  the one object that owns a schedule for an ε-network: the training loss and the one reverse loop (DDPM, DDIM
  with any ``eta``, classifier-free guidance), used by the UNet, the 2-D toy and ``bench/diffusion.py`` alike;
* :mod:`course_lib.models.diffusion_unet` — the class-conditional UNet, a pure ε-network (``UNet``), and
  ``DiffusionUNet``, the UNet with its sampler (what a ``diffusion_unet`` checkpoint rebuilds);
* :mod:`course_lib.models.diffusion_toy` — chapter 7's 2-D toy (an MLP ε-network trained through the spine);
* :mod:`course_lib.models.diffusion_task` — the Task behind ``python -m course_lib train diffusion``, and the
  loaders of the shipped checkpoint and of the samples ``bench/diffusion.py`` stores beside it.

Conventions (the book's, chapter 7). Time runs ``t = 0, 1, …, T``; ``t = 0`` is the data. Every schedule is a
:class:`Schedule` whose arrays have length ``T + 1`` and are indexed by ``t`` itself:

* ``betas[t] = β_t`` with ``β_0 = 0``; ``alphas[t] = α_t = 1 − β_t``;
* ``alpha_bars[t] = ᾱ_t = ∏_{s ≤ t} α_s`` with ``ᾱ_0 = 1``;
* forward process ``q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I)``, closed form ``q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)``;
* signal-to-noise ratio ``SNR(t) = ᾱ_t / (1 − ᾱ_t)``.

(``diffusers`` numbers the same steps ``0 … T−1``: its ``alphas_cumprod[k]`` is our ``alpha_bars[k + 1]``.)

Images enter the model scaled to ``[−1, 1]`` (``x = 2·pixel − 1``); ``DiffusionUNet.sample`` returns
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

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import check_images

__all__ = [
    "Schedule", "ScheduleTable", "linear_schedule", "cosine_schedule", "make_schedule", "expand", "snr",
    "q_sample", "q_step", "posterior", "eps_to_x0", "x0_to_eps", "eps_to_score", "score_to_eps",
    "predict_x0_and_eps", "ddpm_step", "ddim_step", "ddim_timesteps", "guided_eps", "simple_loss",
    "normal_kl", "discretized_gaussian_log_likelihood", "vlb_terms", "nats_to_bits_per_dim", "likelihood_bound",
]

# ----------------------------------------------------------------------------------------------------------
# schedules
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleTable:
    """Every per-step coefficient of a :class:`Schedule`, ``(T + 1,)`` float64 on one device, indexed by ``t``."""

    betas: Tensor
    alphas: Tensor
    alpha_bars: Tensor
    sqrt_alphas: Tensor               #: ``√α_t`` (one step of the chain)
    sqrt_betas: Tensor                #: ``√β_t``
    sqrt_alpha_bars: Tensor           #: ``√ᾱ_t`` (the signal in ``x_t``)
    sqrt_one_minus_alpha_bars: Tensor  #: ``√(1 − ᾱ_t)`` (the noise in ``x_t``)
    posterior_coef_x0: Tensor         #: ``√ᾱ_{t−1} β_t / (1 − ᾱ_t)`` (1 at ``t = 0``)
    posterior_coef_xt: Tensor         #: ``√α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)`` (0 at ``t = 0``)
    posterior_variance: Tensor        #: ``β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t`` (0 at ``t = 0``)

    @classmethod
    def of(cls, betas: Tensor) -> "ScheduleTable":
        a = 1.0 - betas
        ab = torch.cumprod(a, 0)
        ab_prev = torch.cat([ab.new_ones(1), ab[:-1]])
        c0 = ab_prev.sqrt() * betas / (1 - ab)
        ct = a.sqrt() * (1 - ab_prev) / (1 - ab)
        c0[0], ct[0] = 1.0, 0.0  # t = 0: nothing to undo
        var = torch.zeros_like(ab)
        var[1:] = (1 - ab[:-1]) / (1 - ab[1:]) * betas[1:]
        return cls(betas, a, ab, a.sqrt(), betas.sqrt(), ab.sqrt(), (1 - ab).sqrt(), c0, ct, var)

    def to(self, device: torch.device) -> "ScheduleTable":
        return ScheduleTable(*[getattr(self, f).to(device) for f in self.__dataclass_fields__])


@dataclass(frozen=True)
class Schedule:
    """A noise schedule: ``betas``, ``alphas``, ``alpha_bars``, all ``(T + 1,)`` float64, indexed by ``t``.

    Every coefficient is computed once (on the CPU, in float64) and kept, with a copy per device it is asked
    for (:meth:`table`): the functions of this module index the copy on their input's device, so a step of a
    sampler on a GPU copies nothing. Treat the tensors as read-only.
    """

    betas: Tensor
    name: str = "custom"
    _tables: dict[torch.device, ScheduleTable] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        b = self.betas
        if b.dim() != 1 or len(b) < 2:
            raise ValueError(f"betas must be a 1-D tensor of length T + 1 >= 2, got shape {tuple(b.shape)}")
        if float(b[0]) != 0.0:
            raise ValueError("betas[0] must be 0 (t = 0 is the data itself)")
        if bool((b[1:] <= 0).any()) or bool((b[1:] >= 1).any()):
            raise ValueError("every beta_t for t >= 1 must lie in (0, 1)")

    def table(self, device: torch.device | str | None = None) -> ScheduleTable:
        """The coefficients on ``device`` (default: where ``betas`` live), computed and copied there once."""
        dev = self.betas.device if device is None else torch.device(device)
        if dev not in self._tables:
            home = self.betas.device
            if home not in self._tables:
                self._tables[home] = ScheduleTable.of(self.betas)
            if dev != home:
                self._tables[dev] = self._tables[home].to(dev)
        return self._tables[dev]

    @property
    def T(self) -> int:
        return len(self.betas) - 1

    @property
    def alphas(self) -> Tensor:
        return self.table().alphas

    @property
    def alpha_bars(self) -> Tensor:
        return self.table().alpha_bars

    @property
    def posterior_variance(self) -> Tensor:
        """``β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t`` for ``t ≥ 1`` (``β̃_0 = 0``), shape ``(T + 1,)``."""
        return self.table().posterior_variance


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
    """``coef[t]`` as a tensor of ``like``'s dtype and device, shaped ``(B, 1, …, 1)`` to broadcast over ``like``
    (``coef`` is best already on ``like``'s device: :meth:`Schedule.table`)."""
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
    c = schedule.table(x_prev.device)
    return expand(c.sqrt_alphas, t, x_prev) * x_prev + expand(c.sqrt_betas, t, x_prev) * noise


def q_sample(x0: Tensor, t: Tensor | int, schedule: Schedule, noise: Tensor) -> Tensor:
    """Jump straight to step ``t``: ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` with ``ε ~ N(0, I)`` given as ``noise``."""
    c = schedule.table(x0.device)
    return expand(c.sqrt_alpha_bars, t, x0) * x0 + expand(c.sqrt_one_minus_alpha_bars, t, x0) * noise


def posterior(x0: Tensor, xt: Tensor, t: Tensor | int, schedule: Schedule) -> tuple[Tensor, Tensor]:
    """``q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I)`` for ``t ≥ 1``:

    ``μ̃_t = √ᾱ_{t−1} β_t / (1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · x_t``,
    ``β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t``.

    Returns ``(mean like x0, variance broadcastable to x0)``.
    """
    c = schedule.table(x0.device)
    mean = expand(c.posterior_coef_x0, t, x0) * x0 + expand(c.posterior_coef_xt, t, xt) * xt
    return mean, expand(c.posterior_variance, t, x0)


def eps_to_x0(xt: Tensor, eps: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t``."""
    c = schedule.table(xt.device)
    return (xt - expand(c.sqrt_one_minus_alpha_bars, t, xt) * eps) / expand(c.sqrt_alpha_bars, t, xt)


def x0_to_eps(xt: Tensor, x0: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``ε = (x_t − √ᾱ_t x_0) / √(1 − ᾱ_t)``."""
    c = schedule.table(xt.device)
    return (xt - expand(c.sqrt_alpha_bars, t, xt) * x0) / expand(c.sqrt_one_minus_alpha_bars, t, xt)


def eps_to_score(eps: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """Score of the noisy marginal, ``∇ log q_t(x_t) = −E[ε | x_t] / √(1 − ᾱ_t)`` (Tweedie / Vincent 2011)."""
    return -eps / expand(schedule.table(eps.device).sqrt_one_minus_alpha_bars, t, eps)


def score_to_eps(score: Tensor, t: Tensor | int, schedule: Schedule) -> Tensor:
    """``ε = −√(1 − ᾱ_t) · score``."""
    return -score * expand(schedule.table(score.device).sqrt_one_minus_alpha_bars, t, score)


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
def likelihood_bound(model: nn.Module, images: Tensor, *, times: int | None = None, batch_size: int = 100,
                     generator: torch.Generator | None = None, bins: int = 256) -> dict[str, Any]:
    """The variational bound on ``−log p(x_0)`` of 8-bit images under the unconditional model (null class).

    Args:
        model: a trained ``DiffusionUNet`` (evaluated in ``eval`` mode, on its own device): any module with a
            ``schedule`` whose ``model(x_t, t)`` is the unconditional ``ε̂``.
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
