"""Saving and loading models safely: weights in safetensors, a human-readable model card in JSON.

A checkpoint is a folder (or a pair of files sharing a stem)::

    NAME.safetensors     the model's weights (no pickled code: safe to load from anywhere)
    NAME.json            the model card: what the model is, how to rebuild it, how it was trained, metrics

``save_checkpoint`` writes both; ``load_checkpoint`` rebuilds the model from the card's ``config`` with the
factory you pass and loads the weights, and explains clearly what is wrong when a file is missing, corrupt
or belongs to a different model. Training state for resuming (optimizer, epoch) goes to ``NAME.state.pt``,
loaded with ``torch.load(weights_only=True)``, which refuses arbitrary pickled objects.
"""
from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

import course_lib

from .device import get_device

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "read_card", "library_versions",
           "load_training_state", "weights_epoch", "shipped_checkpoint", "CHECKPOINT_DIR", "save_study", "load_study"]

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def shipped_checkpoint(name: str) -> Path:
    """Path (without suffix) of a checkpoint shipped with course_lib, e.g. ``shipped_checkpoint("classifier_offline")``."""
    return CHECKPOINT_DIR / name


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or does not fit the model it is loaded into."""


def library_versions() -> dict[str, str]:
    """Versions worth recording in a model card."""

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "course_lib": course_lib.__version__,
    }


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    stem = p.with_suffix("") if p.suffix in (".safetensors", ".json") else p
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def _replace_all(pairs: list[tuple[Path, Path]]) -> None:
    """Rename each finished temporary file onto its target (``os.replace`` is atomic on one file system)."""
    for tmp, target in pairs:
        os.replace(tmp, target)


def save_checkpoint(model: torch.nn.Module, path: str | Path, kind: str, config: dict[str, Any],
                    card: dict[str, Any] | None = None, state: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s weights and its model card (and, with ``state``, the resume state), atomically.

    Every file is first written in full under a temporary name and then renamed over the old one, so a run
    killed while saving keeps its last good checkpoint. The weights and the resume state carry the number of
    finished epochs (``state["epoch"]``), which ``--resume`` checks against each other.

    Args:
        model: the trained model.
        path: ``out/NAME`` (suffixes are added).
        kind: the model family, e.g. ``"dcgan"``, ``"conv_vae"``, ``"gpt"``; checked again at load time.
        config: the keyword arguments that rebuild the model (``factory(**config)``).
        card: everything else worth knowing: data, seed, epochs, wall time, device, metrics, command.
        state: what resuming needs (optimizer states, ``epoch``, RNG state), written to ``NAME.state.pt``.

    Returns:
        The path of the ``.safetensors`` file.
    """
    weights, card_path = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {"kind": kind}
    if state is not None and "epoch" in state:
        meta["epoch"] = str(int(state["epoch"]))
    pairs = []
    tmp = weights.with_name(weights.name + ".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    pairs.append((tmp, weights))
    if state is not None:
        state_path = weights.with_suffix(".state.pt")
        tmp_state = state_path.with_name(state_path.name + ".tmp")
        torch.save(state, tmp_state)
        pairs.append((tmp_state, state_path))
    full = {
        "kind": kind,
        "config": config,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "library_versions": library_versions(),
        **(card or {}),
    }
    tmp_card = card_path.with_name(card_path.name + ".tmp")
    tmp_card.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    pairs.append((tmp_card, card_path))
    _replace_all(pairs)
    return weights


def store_half(path: str | Path, keep_float32: tuple[str, ...] = ("prior.",), command: str | None = None) -> dict[str, Any]:
    """Rewrite a checkpoint's weights with every float32 tensor stored as float16 (half the bytes), except the
    tensors whose names start with one of ``keep_float32`` (e.g. a fitted prior's Cholesky factors, which need
    the precision). Loading is unchanged: ``load_state_dict`` copies the float16 values into the model's float32
    parameters. The card records it under ``"storage"`` (with the float32 file's size and ``command``).
    Whether this loses anything measurable is for the caller to show (measure the model before and after).

    Raises:
        CheckpointError: a tensor that float16 cannot hold (beyond ±65504), or a checkpoint already stored so.
    """
    weights, card_path = _paths(path)
    card = read_card(path)
    if card.get("storage", {}).get("weights") == "float16":
        raise CheckpointError(f"{weights} is already stored as float16.")
    old_size = weights.stat().st_size
    with safe_open(str(weights), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    halved = []
    for k, v in tensors.items():
        if v.dtype == torch.float32 and not k.startswith(keep_float32):
            h = v.half()
            if not torch.isfinite(h).all() and torch.isfinite(v).all():
                raise CheckpointError(f"{k} has values beyond float16's range (±65504); keep it float32.")
            tensors[k] = h
            halved.append(k)
    tmp = weights.with_name(weights.name + ".tmp")
    save_file(tensors, str(tmp), metadata={**meta, "storage": "float16"})
    card["storage"] = {"weights": "float16",
                       "float32_kept": sorted(k for k, v in tensors.items() if v.dtype == torch.float32),
                       "float32_bytes": old_size, "command": command}
    tmp_card = card_path.with_name(card_path.name + ".tmp")
    tmp_card.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _replace_all([(tmp, weights), (tmp_card, card_path)])
    return card["storage"]


def weights_epoch(path: str | Path) -> int | None:
    """The finished epochs recorded in a checkpoint's weights file (``None`` for files written without it)."""

    weights, _ = _paths(path)
    with safe_open(str(weights), framework="pt") as f:
        meta = f.metadata() or {}
    return int(meta["epoch"]) if "epoch" in meta else None


def read_card(path: str | Path) -> dict[str, Any]:
    """The model card of a checkpoint, as a dict."""
    _, card_path = _paths(path)
    if not card_path.is_file():
        raise CheckpointError(f"No model card at {card_path}. Was the checkpoint written by course_lib "
                              f"(save_checkpoint / `python -m course_lib train ...`)?")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"The model card {card_path} is not valid JSON ({exc}); re-create the checkpoint.") from exc


def load_checkpoint(path: str | Path, factory: Callable[..., torch.nn.Module], kind: str,
                    device: str | torch.device = "cpu") -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a model with ``factory(**card["config"])`` and load its weights.

    Args:
        path: the checkpoint (with or without suffix).
        factory: the model class or a function returning the model.
        kind: the expected model family; a checkpoint of another family is refused.
        device: where to put the model.

    Returns:
        ``(model in eval mode, model card)``.

    Raises:
        CheckpointError: missing or corrupt files, another kind of model, or weights that do not fit.
    """
    weights, _ = _paths(path)
    card = read_card(path)
    if card.get("kind") != kind:
        raise CheckpointError(f"{weights} holds a {card.get('kind')!r} model, not a {kind!r} model.")
    if not weights.is_file():
        raise CheckpointError(f"Weights file {weights} is missing (the model card is there). Re-create the checkpoint.")
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({exc}): it is corrupt or truncated. "
                              f"Re-create it with the command in its model card.") from exc
    model = factory(**card.get("config", {}))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(f"{weights} does not fit this model ({first}). The checkpoint was made for a "
                              f"different configuration or version of course_lib.") from exc

    return model.to(get_device(device)).eval(), card


def load_training_state(path: str | Path) -> dict[str, Any]:
    """Load the resume state safely (``weights_only=True``: tensors and plain containers only)."""
    weights, _ = _paths(path)
    state_path = weights.with_suffix(".state.pt")
    if not state_path.is_file():
        raise CheckpointError(f"No training state at {state_path}: nothing to resume. Start without --resume.")
    try:
        return torch.load(state_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for bad files
        raise CheckpointError(f"{state_path} could not be loaded safely ({type(exc).__name__}: {exc}).") from exc


# ----------------------------------------------------------------------------------------------------------
# studies: tensors plus a JSON header in one safetensors file (python -m course_lib study ...)
# ----------------------------------------------------------------------------------------------------------
def save_study(path: str | Path, tensors: dict[str, torch.Tensor], kind: str, header: dict[str, Any]) -> Path:
    """Write ``tensors`` and a JSON ``header`` (under the metadata key ``kind``, e.g. ``"ring_study"``) to one
    ``.safetensors`` file, atomically."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"a study is written as a .safetensors file, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata={kind: json.dumps(header)})
    tmp.replace(path)
    return path


def load_study(path: str | Path, kind: str, remake: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """``(tensors, header)`` of a file written by :func:`save_study`.

    Raises:
        FileNotFoundError: no file at ``path``; the message names ``remake``, the command that makes one.
        ValueError: the file is not a ``kind`` study, or it is damaged.
    """

    path = Path(path)
    what = kind.replace("_", " ")
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}; make one with `{remake}`")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            if kind not in meta:
                raise ValueError(f"{path} is a safetensors file but not a {what} (no {kind!r} header)")
            header = json.loads(meta[kind])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, json.JSONDecodeError, OSError) as exc:
        raise ValueError(f"{path} is damaged ({exc}); remake it with `{remake}`") from None
    return tensors, header


# ----------------------------------------------------------------------------------------------------------
# the bench's measurements (bench/throughput.py, bench/quality.py --update), shipped with the package
# ----------------------------------------------------------------------------------------------------------
SHIPPED_BENCH = Path(__file__).resolve().parent / "studies" / "bench.json"


def load_bench(path: str | Path | None = None) -> dict[str, Any]:
    """The measurements ``bench/`` made for the book: ``{"throughput": [rows], "full_mnist": [rows], ...}``.

    They ship inside the package (``course_lib/studies/bench.json``), so a chapter downloaded from the book reads
    them as the repository's copy does. ``bench/throughput.py --update`` and ``bench/quality.py --update`` write
    them.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not JSON, or not a table of bench rows.
    """
    path = SHIPPED_BENCH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no bench results at {path}; write them with "
                                f"`python bench/throughput.py --update {path}` or `python bench/quality.py --update {path}`")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); restore it with `git checkout {path}`") from None
    if not isinstance(results, dict) or not all(isinstance(results.get(k), list) for k in ("throughput", "full_mnist")):
        raise ValueError(f"{path} is not the bench's results (a JSON object with 'throughput' and 'full_mnist' rows)")
    return results
