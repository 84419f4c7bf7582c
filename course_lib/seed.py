"""Seeding, so that every notebook prints the same numbers on every run (nbval relies on it)."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["set_seed", "make_generator"]


def set_seed(seed: int = 0, deterministic: bool = True) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every CUDA device).

    Args:
        seed: the seed; every notebook prints it in its first cell.
        deterministic: also ask PyTorch for deterministic kernels where it has them (a warning, not an
            error, where an operation has no deterministic version) and disable cuDNN autotuning.

    Returns:
        The seed, so that ``print(set_seed(0))`` documents it.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return seed


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A private ``torch.Generator`` seeded with ``seed``, for sampling that must not disturb the global RNG."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen
