"""A minimal invisible watermark for images: a keyed ±1 pattern added to the pixels, found again by correlation.

This is the classic *spread-spectrum* idea, small enough to read in one sitting. A secret integer ``key``
seeds a pseudo-random pattern ``p`` of ±1 values with the shape of one image. Embedding adds ``strength · p``
and clips to ``[0, 1]``. Detection centres the image, ``c = x − mean(x)``, and computes the score

    z = ⟨c, p⟩ / ‖c‖.

If the image does not carry the pattern (its pixels do not depend on the key), ``⟨c, p⟩`` is a sum of
independent ±c_i terms: mean 0 and variance ‖c‖², so ``z`` has mean 0 and variance 1, and Hoeffding's
inequality bounds the false-positive rate of the test ``z > t`` by ``exp(−t²/2)`` whatever the image.
A watermarked image scores about ``strength · (number of pixels) / ‖c‖``.

Its limits are real and chapter 1 measures them: the score falls with noise, coarse quantisation and
blurring, and a shift of a single pixel misaligns the pattern; anyone who knows the key can remove it.
"""
from __future__ import annotations

import math

import torch

__all__ = ["WatermarkError", "watermark_pattern", "embed_watermark", "watermark_score", "detect_watermark",
           "false_positive_bound"]


class WatermarkError(ValueError):
    """Images of the wrong shape or range, or a bad key or strength."""


def _check_images(images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 1:
        raise WatermarkError(
            f"images must be a tensor of shape (N, 1, H, W) (greyscale, channel first); "
            f"got {type(images).__name__} {tuple(getattr(images, 'shape', ()))}"
        )
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise WatermarkError("image values must lie in [0, 1]; divide 8-bit images by 255 first")


def watermark_pattern(key: int, shape: tuple[int, int] = (28, 28), device: str | torch.device = "cpu") -> torch.Tensor:
    """The ±1 pattern of ``key``: a ``(1, 1, H, W)`` float32 tensor, the same on every machine."""
    if not isinstance(key, int) or key < 0:
        raise WatermarkError(f"key must be a non-negative int, got {key!r}")
    gen = torch.Generator(device="cpu")
    gen.manual_seed(key)
    bits = torch.randint(0, 2, (1, 1, *shape), generator=gen)
    return (2.0 * bits - 1.0).float().to(device)


def embed_watermark(images: torch.Tensor, key: int, strength: float = 0.1) -> torch.Tensor:
    """``clip(images + strength · pattern(key), 0, 1)``.

    Args:
        images: ``(N, 1, H, W)`` in ``[0, 1]``.
        key: the secret key.
        strength: the amplitude added to each pixel (0.1 = a tenth of the grey range).

    Returns:
        Watermarked images, same shape, in ``[0, 1]``.
    """
    _check_images(images)
    if not (0 < strength <= 1):
        raise WatermarkError(f"strength must be in (0, 1], got {strength!r}")
    p = watermark_pattern(key, tuple(images.shape[-2:]), images.device)
    return (images + strength * p).clamp(0.0, 1.0)


def watermark_score(images: torch.Tensor, key: int) -> torch.Tensor:
    """The detection score ``z = ⟨x − mean(x), p⟩ / ‖x − mean(x)‖`` of each image: ``(N,)``.

    About N(0, 1) for an image without the watermark of ``key``; large and positive for one with it.
    A constant image (no contrast at all) scores 0.
    """
    _check_images(images)
    p = watermark_pattern(key, tuple(images.shape[-2:]), images.device).flatten()
    c = images.flatten(1).float()
    c = c - c.mean(dim=1, keepdim=True)
    norm = c.norm(dim=1)
    return torch.where(norm > 0, (c @ p) / norm.clamp_min(1e-12), torch.zeros_like(norm))


def detect_watermark(images: torch.Tensor, key: int, threshold: float = 4.0) -> torch.Tensor:
    """``(N,)`` booleans: does each image carry the watermark of ``key``? (score above ``threshold``)."""
    return watermark_score(images, key) > threshold


def false_positive_bound(threshold: float) -> float:
    """Hoeffding's bound ``exp(−t²/2)`` on the chance that an unmarked image scores above ``t``."""
    if threshold <= 0:
        raise WatermarkError(f"threshold must be positive, got {threshold!r}")
    return math.exp(-threshold**2 / 2)
