"""Optimisers and learning-rate schedules: the one optimiser factory and the one schedule every task uses.

* :func:`make_optimizer` — Adam or AdamW, fused where the device has a fused kernel (or PyTorch's default where a
  shipped checkpoint depends on it); :func:`optimizer_description` is what a model card records about it.
* :func:`warmup_cosine_lr` — linear warm-up, then cosine decay to a floor; :data:`LR_SCHEDULES` names the
  schedules the command line offers.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from .device import DeviceLike, get_device

__all__ = ["make_optimizer", "optimizer_description", "warmup_cosine_lr", "LR_SCHEDULES"]

#: the learning-rate schedules of ``--lr-schedule``
LR_SCHEDULES = ("constant", "cosine")


def make_optimizer(params: Any, lr: float, device: DeviceLike = "cpu", *, kind: str = "adam",
                   betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0,
                   fused: bool | None = None) -> torch.optim.Optimizer:
    """The one optimiser factory: ``torch.optim.Adam`` or ``AdamW``.

    Args:
        params: parameters or parameter groups.
        lr: learning rate (> 0).
        device: where the parameters live (decides whether a fused kernel exists).
        kind: ``"adam"`` or ``"adamw"``.
        betas, weight_decay: as in PyTorch.
        fused: ``None`` (default) fuses on the devices where PyTorch has a fused kernel (CPU, CUDA): one pass
            over each parameter tensor per step, the same algorithm as the default to rounding error, and
            much faster for small models (``bench/throughput.py``). ``False`` keeps PyTorch's default
            implementation, bit for bit — for trainers whose shipped checkpoints or printed numbers were made
            with it. :func:`optimizer_description` records the choice in the model card.
    """
    if not lr > 0:
        raise ValueError(f"the learning rate must be > 0, got {lr}")
    classes = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if kind not in classes:
        raise ValueError(f"optimizer kind must be one of {sorted(classes)}, got {kind!r}")
    if fused is None:
        fused = torch.device(get_device(device) if isinstance(device, str) and device == "auto" else device).type \
            in ("cpu", "cuda")
    extra: dict[str, Any] = {"weight_decay": weight_decay} if kind == "adamw" or weight_decay else {}
    return classes[kind](params, lr=lr, betas=betas, fused=True if fused else None, **extra)


def optimizer_description(opt: torch.optim.Optimizer) -> dict[str, Any]:
    """What a model card records about an optimiser: class, fused or PyTorch's default, betas, weight decay."""
    d = opt.defaults
    return {"name": type(opt).__name__, "fused": bool(d.get("fused")), "betas": list(d.get("betas", ())),
            "weight_decay": d.get("weight_decay", 0.0)}


def warmup_cosine_lr(step: int, total_steps: int, peak: float, warmup_steps: int, floor: float = 0.0) -> float:
    """The one learning-rate schedule: linear warm-up, then a cosine decay from ``peak`` towards ``floor``.

    ``step`` is 0-based. During the first ``warmup_steps`` steps the rate is ``peak·(step+1)/warmup_steps``
    (``peak/w, 2 peak/w, … peak``); then ``floor + (peak − floor)·½(1 + cos(π (step − w) / (total − w)))``. A pure
    function of the step, so a resumed run continues on exactly the same curve.
    """
    if total_steps < 1 or not 0 <= step < total_steps:
        raise ValueError(f"need 0 <= step < total_steps, got step={step}, total_steps={total_steps}")
    if warmup_steps < 0 or floor < 0:
        raise ValueError(f"need warmup_steps >= 0 and floor >= 0, got {warmup_steps} and {floor}")
    w = warmup_steps
    if step < w:
        return peak * (step + 1) / w
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * (step - w) / max(1, total_steps - w)))
