"""The diffusion sampler: one object that owns a noise schedule for an ε-network — the training loss and the one
reverse loop (DDPM, DDIM with any ``eta``, classifier-free guidance) — as ``diffusers`` puts a scheduler beside
a network. The UNet (:class:`~course_lib.models.diffusion_unet.DiffusionUNet`), chapter 7's 2-D toy
(:mod:`course_lib.models.diffusion_toy`) and ``bench/diffusion.py`` all sample through :meth:`DiffusionSampler.sample`.

The network is any callable ``net(x_t, t)`` or ``net(x_t, t, y)`` returning ``ε̂`` shaped like ``x_t``, with ``t`` an
int64 ``(B,)`` tensor; the mathematics of each step is :mod:`course_lib.models.diffusion`'s.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from .diffusion import (Schedule, ScheduleTable, ddim_step, ddim_timesteps, ddpm_step, guided_eps, q_sample,
                        simple_loss)

__all__ = ["DiffusionSampler", "METHODS"]

#: the reverse processes :meth:`DiffusionSampler.sample` runs
METHODS = ("ddim", "ddpm")


def _device_of(net: Any) -> torch.device:
    p = next(net.parameters(), None) if hasattr(net, "parameters") else None
    return p.device if p is not None else torch.device("cpu")


class DiffusionSampler:
    """A schedule and what an ε-network does with it: the training loss, ``ε̂`` with guidance, the reverse loop.

    Args:
        schedule: the noise schedule (its coefficients are cached per device: :meth:`table`).
        sample_steps: DDIM's number of steps when :meth:`sample` is given none.
        null_class: the label meaning "no label" (classifier-free guidance's unconditional model); ``None`` for an
            unconditional network, which cannot be guided.
    """

    def __init__(self, schedule: Schedule, sample_steps: int = 50, null_class: int | None = None) -> None:
        if not 1 <= sample_steps:
            raise ValueError(f"sample_steps must be >= 1, got {sample_steps}")
        self.schedule, self.sample_steps, self.null_class = schedule, sample_steps, null_class

    def __repr__(self) -> str:
        return (f"DiffusionSampler({self.schedule.name}, T={self.T}, sample_steps={self.sample_steps}, "
                f"null_class={self.null_class})")

    @property
    def T(self) -> int:
        return self.schedule.T

    def table(self, device: torch.device | str | None = None) -> ScheduleTable:
        """The schedule's coefficients on ``device`` (computed once, copied there once)."""
        return self.schedule.table(device)

    def timesteps(self, method: str = "ddim", steps: int | None = None) -> list[int]:
        """The times ``t`` at which the network is evaluated, descending: all ``T … 1`` for DDPM; for DDIM
        ``steps`` (default :attr:`sample_steps`) evenly spaced ones (:func:`~course_lib.models.diffusion.ddim_timesteps`)."""
        if method == "ddpm":
            if steps not in (None, self.T):
                raise ValueError(f"DDPM takes all T = {self.T} steps; use method='ddim' for {steps} steps")
            return list(range(self.T, 0, -1))
        if method == "ddim":
            return ddim_timesteps(self.T, steps or self.sample_steps)
        raise ValueError(f"method must be 'ddim' or 'ddpm', got {method!r}")

    # ---- training -----------------------------------------------------------------------------------------
    def loss(self, net: Any, x0: Tensor, t: Tensor, noise: Tensor, y: Tensor | None = None, *,
             per_example: bool = False) -> Tensor:
        """``L_simple = ||ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t, y)||²`` (Ho et al. 2020, eq. 14): the mean over the
        batch and the dimensions, or with ``per_example`` the ``(B,)`` means over each example's dimensions."""
        xt = q_sample(x0, t, self.schedule, noise)
        pred = (net(xt, t) if y is None else net(xt, t, y)).float()
        if per_example:
            return (pred - noise).pow(2).flatten(1).mean(1)
        return simple_loss(pred, noise)

    # ---- sampling -----------------------------------------------------------------------------------------
    @torch.no_grad()
    def eps(self, net: Any, x: Tensor, t: int, y: Tensor | None = None, guidance: float = 0.0) -> Tensor:
        """``ε̂`` at integer time ``t`` for a batch; with labels ``y`` and ``guidance = w > 0``, the classifier-free
        guided ``(1 + w) ε(x, y) − w ε(x, ∅)`` (one batched forward pass of size ``2B``)."""
        tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
        if y is None or guidance == 0.0:
            return net(x, tt) if y is None else net(x, tt, y)
        if self.null_class is None:
            raise ValueError("guidance needs a conditional network: this sampler has no null class")
        null = torch.full_like(y, self.null_class)
        e_c, e_u = net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null])).chunk(2)
        return guided_eps(e_c, e_u, guidance)

    @torch.no_grad()
    def sample(self, net: Any, shape: Sequence[int], *, method: str = "ddim", steps: int | None = None,
               eta: float = 0.0, y: Tensor | None = None, guidance: float = 0.0,
               generator: torch.Generator | None = None, clip: float | None = 1.0, device: Any = None,
               return_path: bool = False) -> Tensor | tuple[Tensor, list[int], list[Tensor]]:
        """Run the reverse process from ``x_T ~ N(0, I)`` of ``shape`` to ``x_0`` (data units).

        Args:
            net: the ε-network (left in the mode it is in: call ``eval()`` first where that matters).
            method: ``"ddim"`` (``steps`` evenly spaced times, default :attr:`sample_steps`; ``eta`` sets the noise,
                0 = deterministic, 1 with every step = DDPM's ancestral step) or ``"ddpm"`` (ancestral, all ``T``
                steps, ``σ_t² = β̃_t``; ``steps`` must be ``None`` or ``T``).
            y: labels ``(n,)`` (``None`` = unconditional); ``guidance``: the CFG weight ``w``.
            generator: draws ``x_T`` and then each step's noise (DDPM: none at ``t = 1``; DDIM: only when
                ``eta > 0``), on ``device`` (default: the network's).
            clip: ``x̂_0`` clamped to ``[−clip, clip]`` in each step (``None``: not clipped).
            return_path: also return the times and the states ``x_t`` visited (on the CPU), from ``x_T`` to ``x_0``.
        """
        ts = self.timesteps(method, steps)
        dev = _device_of(net) if device is None else torch.device(device)
        x = torch.randn(tuple(shape), generator=generator, device=dev)
        if y is not None:
            y = y.to(dev)
        path_t, path_x = [self.T], ([x.cpu()] if return_path else [])
        for i, t in enumerate(ts):
            t_prev = ts[i + 1] if i + 1 < len(ts) else 0
            if method == "ddpm":
                noise = torch.randn(x.shape, generator=generator, device=dev) if t > 1 else None
                x = ddpm_step(x, self.eps(net, x, t, y, guidance), t, self.schedule, noise, clip=clip)
            else:
                noise = torch.randn(x.shape, generator=generator, device=dev) if eta > 0 else None
                x = ddim_step(x, self.eps(net, x, t, y, guidance), t, t_prev, self.schedule, eta, noise, clip=clip)
            if return_path:
                path_t.append(t_prev)
                path_x.append(x.cpu())
        return (x, path_t, path_x) if return_path else x
