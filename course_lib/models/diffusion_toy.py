"""Chapter 7's 2-D toy: an MLP ε-network for points in the plane (the ring of Gaussians), trained through the spine.

* :class:`ToyDenoiser` — ``ε_θ(x_t, t)`` for ``(B, D)`` points;
* :class:`ToyDiffusionTask` — ``L_simple`` on random minibatches with Adam and a cosine learning rate
  (:func:`course_lib.optim.warmup_cosine_lr` without warm-up), one "epoch" of ``steps`` optimiser steps,
  through :func:`course_lib.training.train_loop`; :func:`train_toy` runs it and returns every step's loss;
* :func:`sample_toy` — the reverse process by the same
  :meth:`~course_lib.models.diffusion_sampler.DiffusionSampler.sample` as the MNIST UNet, without clipping.

Used by chapter 7 and by the ring study (:mod:`course_lib.ring_study`, ``python -m course_lib study ring``).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..optim import warmup_cosine_lr
from ..training import Task, train_loop
from .diffusion import Schedule
from .diffusion_sampler import DiffusionSampler
from .diffusion_unet import timestep_embedding

__all__ = ["ToyDenoiser", "ToyDiffusionTask", "train_toy", "sample_toy"]


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


class ToyDiffusionTask(Task):
    """``L_simple`` for a toy ε-network on ``data (N, D)``: one epoch is ``steps`` optimiser steps, each on
    ``batch_size`` points drawn with replacement, ``t ~ U{1..T}`` and ``ε ~ N(0, I)``, all from one generator
    seeded ``seed`` (on the CPU). Adam (PyTorch's default implementation, with which chapter 7's numbers were
    made) with the learning rate ``lr·½(1 + cos(π s / steps))`` at step ``s``. :attr:`losses` keeps every step's
    loss."""

    kind = "diffusion_toy"

    def __init__(self, model: nn.Module, data: Tensor, schedule: Schedule, *, steps: int = 3000,
                 batch_size: int = 512, lr: float = 2e-3, seed: int = 0, device: Any = "cpu") -> None:
        if data.dim() != 2 or len(data) < 1:
            raise ValueError(f"data must be (N, D) points with N >= 1, got shape {tuple(data.shape)}")
        if steps < 1 or batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
        super().__init__(model, device)
        self.x = data.to(self.device)
        self.sampler = DiffusionSampler(schedule)
        self.steps, self.batch_size, self.lr = steps, batch_size, lr
        self.gen = torch.Generator().manual_seed(seed)
        self.optimizer(lr=lr, kind="adam", fused=False)
        self.losses: list[float] = []

    def batches(self, epoch: int):  # type: ignore[override]
        for _ in range(self.steps):
            yield torch.randint(len(self.x), (self.batch_size,), generator=self.gen).to(self.device), self.batch_size

    def step(self, idx: Tensor, global_n: int) -> dict[str, Tensor]:
        opt = self.optimizers["opt"]
        for g in opt.param_groups:
            g["lr"] = warmup_cosine_lr(len(self.losses), self.steps, self.lr, 0)
        x0 = self.x[idx]
        t = torch.randint(1, self.sampler.T + 1, (len(idx),), generator=self.gen).to(self.device)
        eps = torch.randn(x0.shape, generator=self.gen).to(self.device)
        loss = self.sampler.loss(self.net, x0, t, eps)
        opt.zero_grad()
        loss.backward()
        opt.step()
        self.losses.append(float(loss.detach()))
        return {"loss": loss.detach()}


def train_toy(model: nn.Module, data: Tensor, schedule: Schedule, steps: int = 3000, batch_size: int = 512,
              lr: float = 2e-3, seed: int = 0) -> list[float]:
    """Train ``model`` on ``L_simple`` for ``data (N, D)`` (:class:`ToyDiffusionTask` through
    :func:`~course_lib.training.train_loop`, on the CPU); returns the loss of every step."""
    task = ToyDiffusionTask(model, data, schedule, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    train_loop(task, 1, desc="diffusion toy")
    return task.losses


def sample_toy(model: nn.Module, n: int, schedule: Schedule, dim: int = 2, steps: int | None = None,
               eta: float = 1.0, generator: torch.Generator | None = None) -> tuple[list[int], list[Tensor]]:
    """Reverse process for a toy model; ``steps=None`` is DDPM with all ``T`` steps (else DDIM with ``eta``).
    Returns ``(times, states)`` from ``x_T`` to ``x_0``, each state ``(n, dim)``; no clipping."""
    _, times, states = DiffusionSampler(schedule).sample(  # type: ignore[misc]
        model, (n, dim), method="ddpm" if steps is None else "ddim", steps=steps, eta=eta, generator=generator,
        clip=None, return_path=True)
    return times, states
