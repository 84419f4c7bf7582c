"""Chapter 7's ε-network for MNIST: a small class-conditional UNet.

* :class:`UNet` — the network alone, ``ε_θ(x_t, t, y)``: ``forward(x, t, y)`` and nothing else;
* :class:`DiffusionUNet` — the UNet with its :class:`~course_lib.models.diffusion_sampler.DiffusionSampler` (the
  noise schedule, ``T`` and the default number of sampling steps are part of a checkpoint's config, so a
  checkpoint samples itself: :meth:`DiffusionUNet.sample` returns ``(n, 1, 28, 28)`` in ``[0, 1]`` like every
  generator of the book). Its weights are the UNet's alone, so the ``diffusion_unet`` checkpoints load unchanged.

:func:`timestep_embedding` (the Transformer's sinusoidal encoding of ``t``) is shared with the 2-D toy.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .diffusion import Schedule, make_schedule
from .diffusion_sampler import DiffusionSampler

__all__ = ["NULL_CLASS", "timestep_embedding", "ResBlock", "UNet", "DiffusionUNet"]

NULL_CLASS = 10  #: the class index meaning "no label" (classifier-free guidance's unconditional model)


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


class UNet(nn.Module):
    """ε_θ(x_t, t, y): a two-level UNet for 28 × 28 images with a time embedding and a class embedding.

    Layout (``c = channels``): ``(B,1,28,28)`` → conv → ResBlock(c) @28 → down → ResBlock(2c) @14 → down →
    ResBlock(2c) @7 → middle ResBlock(2c) @7 → up (with skips) … → ``(B,1,28,28)``. The time ``t`` enters as a
    sinusoidal embedding through a small MLP; the class ``y ∈ {0 … 9}`` or the null class ``10`` (no label)
    through an embedding added to it, so one network is both the conditional and the unconditional model
    that classifier-free guidance combines. With ``patch = 2`` the image is first pixel-unshuffled to
    ``(B, 4, 14, 14)`` (fast on a CPU); ``patch = 1`` keeps the full resolution and adds a third level.
    """

    def __init__(self, channels: int = 32, emb_dim: int = 128, num_classes: int = 10, patch: int = 2) -> None:
        super().__init__()
        if channels < 8 or channels % 8:
            raise ValueError(f"channels must be a positive multiple of 8, got {channels}")
        if patch not in (1, 2):
            raise ValueError(f"patch must be 1 (full 28x28 resolution) or 2 (pixel-unshuffle to 14x14), got {patch}")
        self.config: dict[str, Any] = dict(channels=channels, emb_dim=emb_dim, num_classes=num_classes, patch=patch)
        self.num_classes = num_classes
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


class DiffusionUNet(UNet):
    """The :class:`UNet` with its :class:`~course_lib.models.diffusion_sampler.DiffusionSampler`: what a
    ``diffusion_unet`` checkpoint rebuilds from its config, and what the chapters, the evaluator and the audit
    sample from. ``forward`` is the UNet's; :meth:`eps`, :meth:`reverse` and :meth:`sample` hand the network
    to :attr:`sampler` (the one reverse loop of :mod:`course_lib.models.diffusion_sampler`).

    Args (besides the UNet's): ``T`` and ``schedule`` (``"cosine"`` or ``"linear"``), the noise schedule;
    ``sample_steps``, DDIM's steps when :meth:`sample` is given none.
    """

    def __init__(self, channels: int = 32, emb_dim: int = 128, T: int = 1000, schedule: str = "cosine",
                 num_classes: int = 10, sample_steps: int = 50, patch: int = 2) -> None:
        super().__init__(channels=channels, emb_dim=emb_dim, num_classes=num_classes, patch=patch)
        self.config = dict(channels=channels, emb_dim=emb_dim, T=T, schedule=schedule, num_classes=num_classes,
                           sample_steps=sample_steps, patch=patch)
        self.sampler = DiffusionSampler(make_schedule(schedule, T), sample_steps=sample_steps,
                                        null_class=num_classes)
        self.sample_steps = sample_steps

    @property
    def schedule(self) -> Schedule:
        return self.sampler.schedule

    def eps(self, x: Tensor, t: int, y: Tensor | None = None, guidance: float = 0.0) -> Tensor:
        """ε̂ at integer time ``t``; with labels ``y`` and ``guidance = w > 0`` the guided
        ``(1 + w) ε(x, y) − w ε(x, ∅)`` (:meth:`DiffusionSampler.eps`)."""
        return self.sampler.eps(self, x, t, y, guidance)

    def reverse(self, n: int, *, steps: int | None = None, method: str = "ddim", eta: float = 0.0,
                y: Tensor | None = None, guidance: float = 0.0, generator: torch.Generator | None = None,
                return_path: bool = False, clip: float | None = 1.0) -> Tensor | tuple[Tensor, list[int], list[Tensor]]:
        """``n`` images in data units (``[−1, 1]``) by :meth:`DiffusionSampler.sample` (DDIM with
        ``sample_steps`` steps unless ``steps`` / ``method`` say otherwise; see there for the arguments)."""
        return self.sampler.sample(self, (n, 1, 28, 28), method=method, steps=steps, eta=eta, y=y,
                                   guidance=guidance, generator=generator, clip=clip, return_path=return_path)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, batch_size: int = 500,
               **kwargs: Any) -> Tensor:
        """``n`` unconditional images ``(n, 1, 28, 28)`` in ``[0, 1]`` (DDIM with ``sample_steps`` steps unless
        ``steps=`` / ``method=`` say otherwise; ``y=``, ``guidance=`` for conditional samples), in eval mode."""
        was = self.training
        self.eval()
        y = kwargs.pop("y", None)
        out = []
        for i in range(0, n, batch_size):
            yi = None if y is None else y[i:i + batch_size]
            out.append(self.reverse(min(batch_size, n - i), generator=generator, y=yi, **kwargs))
        self.train(was)
        return ((torch.cat(out) + 1) / 2).clamp(0, 1)
