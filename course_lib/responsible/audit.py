"""Audit cards: chapter 6's measurements, written by code into each generative model's model card. Start here.

:func:`audit_checkpoint` measures one checkpoint and returns its ``"audit"`` section; :func:`write_audit` writes
it into the card (``card["audit"]``, atomically, every other field kept). ``python -m course_lib audit NAME``
(or ``--all``, :func:`auditable_checkpoints`) does both. What is measured depends on the card's ``kind``, through
its entry in :mod:`course_lib.registry` (``audit`` and ``membership``), and each kind's measurements have a module:

* **image generators** (``audit="images"``), :mod:`course_lib.responsible.audit_images`: the membership attack the
  entry names (:mod:`course_lib.responsible.membership`: the loss-threshold attack for the image VAEs, chapter 6
  §1; LOGAN on the DCGAN's discriminator; the denoising loss for the diffusion model) on the model's own training
  digits, rebuilt from its card (:func:`training_set`), the class shares of ``n_samples`` samples as the evaluator
  classifier labels them, their KL divergence to the uniform distribution and to the training set's class
  distribution, how close the samples come to their training digits (:func:`copying`), and their Fréchet distance
  to the training digits;
* **GPTs** (``audit="text"``: ``gpt``, ``canary_gpt``), :mod:`course_lib.responsible.audit_text`: for a canary GPT
  (a card with ``canaries``), the exact exposure and the greedy extraction of every canary recorded in its card
  (:mod:`course_lib.responsible.canary`); for every GPT, a note that the keyed text watermark exists
  (:mod:`course_lib.responsible.text_watermark`) and is not applied by default.

Every audit also records, from this module, the privacy guarantee (the card's ``dp`` section, or none: ε = ∞),
provenance (samples carry no label or watermark unless the caller adds one), the data (source, per-class counts),
the protocol of every number in words, the command that filled it, a timestamp, the library versions and its own
run time. The section in words, English or Chinese (:func:`describe`, :func:`headline`), is
:mod:`course_lib.responsible.audit_words`. Every public name of the four modules is importable from this one.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from .. import registry
from ..checkpoint import CHECKPOINT_DIR, CheckpointError, library_versions, read_card
from ..device import get_device
from ..evaluator import load_any
from .audit_images import (COPY_QUANTILE, TrainingSet, copying, display_name, image_audit, kl_divergence,
                           training_set)
from .audit_text import text_audit
from .audit_words import PROVENANCE, TEXT_PROVENANCE, describe, headline

__all__ = ["copying", "COPY_QUANTILE", "AuditError", "TrainingSet", "PROVENANCE", "TEXT_PROVENANCE", "resolve_checkpoint", "auditable_checkpoints", "training_set",
           "kl_divergence", "audit_checkpoint", "write_audit", "describe", "headline"]


class AuditError(ValueError):
    """A checkpoint that cannot be audited (not generative, unknown kind, unreadable)."""


# ------------------------------------------------------------------------------------------ which checkpoints
def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """The checkpoint stem (path without suffix) of a shipped checkpoint's name or a path; a clear error if none."""
    p = Path(name_or_path)
    stem = p.with_suffix("") if p.suffix in (".json", ".safetensors") else p
    if stem.with_suffix(".json").is_file():
        return stem
    shipped = CHECKPOINT_DIR / str(name_or_path)
    if "/" not in str(name_or_path) and shipped.with_suffix(".json").is_file():
        return shipped
    names = sorted(c.stem for c in CHECKPOINT_DIR.glob("*.json"))
    raise CheckpointError(f"no checkpoint at {name_or_path}: there is no model card {stem.with_suffix('.json')}, "
                          f"and it is not a shipped checkpoint ({', '.join(names)}). Give a path written by "
                          f"`python -m course_lib train ...` or one of those names.")


def auditable_checkpoints(folder: str | Path | None = None) -> list[Path]:
    """Stems of every checkpoint in ``folder`` (default: the shipped ones) whose card kind is registered and
    generative (an image generator or a GPT), sorted by name."""
    folder = CHECKPOINT_DIR if folder is None else Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"--dir {folder}: no such folder")
    known = set(registry.card_kinds())
    out = []
    for card_path in sorted(folder.glob("*.json")):
        try:
            kind = json.loads(card_path.read_text(encoding="utf-8")).get("kind")
        except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
            continue
        if kind in known and kind in registry.audited_card_kinds():
            out.append(card_path.with_suffix(""))
    return out


# ------------------------------------------------------------------------------------------ sections every audit has
def _privacy(card: dict[str, Any]) -> dict[str, Any]:
    dp = card.get("dp")
    if not isinstance(dp, dict):
        return {"guarantee": "none (ε = ∞)",
                "note": "trained without differential privacy: no bound on what any attack can learn"}
    eps = dp.get("epsilon")
    eps_out: Any = round(float(eps), 3) if isinstance(eps, (int, float)) and math.isfinite(eps) else "∞"
    return {"guarantee": "(ε, δ)-differential privacy for each training digit (DP-SGD, Opacus)"
                         if eps_out != "∞" else "none (ε = ∞): the DP-SGD baseline without noise",
            "epsilon": eps_out, "delta": dp.get("delta"),
            **{k: dp[k] for k in ("noise_multiplier", "max_grad_norm", "sample_rate", "steps", "accountant") if k in dp}}


def _data(card: dict[str, Any], ts: TrainingSet | None) -> dict[str, Any]:
    out: dict[str, Any] = {"source": card.get("data_source"), "description": card.get("data")}
    if card.get("kind") in registry.audited_card_kinds("text"):
        out["source"] = out["source"] or "book"
        out.update({k: card[k] for k in ("corpus", "data_sha256", "repeats") if k in card})
        return out
    assert ts is not None
    if ts.x is not None:
        out.update({"training_examples": len(ts.x), "class_counts": ts.class_counts, "rebuilt_as": ts.recipe,
                    "check": ts.check})
    else:
        out["training_set"] = f"cannot be rebuilt: {ts.problem}"
        if card.get("train_examples") is not None:
            out["training_examples"] = card["train_examples"]
        counts = (card.get("skew") or {}).get("class_counts")
        if counts is not None:
            out["class_counts"] = counts
    if isinstance(card.get("skew"), dict):
        out["skew"] = {k: card["skew"][k] for k in ("rare_digit", "rare_factor") if k in card["skew"]}
    return out


# ------------------------------------------------------------------------------------------ the entry points
def audit_checkpoint(path: str | Path, *, classifier: Any = None, n_samples: int = 1000, seed: int = 0,
                     n_members: int = 1000, device: Any = "cpu", command: str | None = None) -> dict[str, Any]:
    """Measure a generative checkpoint as chapter 6 does; return its ``"audit"`` section (nothing is written).

    Args:
        path: a checkpoint path (with or without suffix) or a shipped checkpoint's name.
        classifier: the evaluator that labels samples: a loaded classifier, a checkpoint path, or ``None`` for the
            shipped ``classifier_<data>`` (``classifier_offline`` when there is none).
        n_samples: samples for the class shares and the Fréchet distance (image models).
        seed: seeds the samples and the attacks' noise.
        n_members: training digits attacked (spread evenly; all of them when fewer).
        device: where to run (default CPU).
        command: the command line recorded as having filled the section (default: the ``audit`` command that
            reproduces it).

    Returns:
        The audit section: ``kind``, the measurements of the kind (``membership``, ``class_shares``,
        ``frechet_distance``, ``canaries``, ``text_watermark``), ``privacy``, ``provenance``, ``data``,
        ``protocol`` (each number's protocol in words), ``settings`` (the arguments above, to repeat it),
        ``headline`` (one line), ``command``, ``audited_at``,
        ``audit_time_s``, ``library_versions``.

    Raises:
        CheckpointError: no such checkpoint. AuditError: not a generative model this module can audit.
    """

    t0 = time.perf_counter()
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 (the Fréchet distance needs two samples), got {n_samples}")
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    stem = resolve_checkpoint(path)
    card = read_card(stem)
    kind = card.get("kind")
    if kind not in registry.card_kinds():
        raise AuditError(f"{stem} holds a {kind!r} model, which no registered model loads; "
                         f"known kinds: {', '.join(registry.card_kinds())}")
    if kind not in registry.audited_card_kinds():
        raise AuditError(f"{stem} is a {kind!r} model, not a generative one: there is nothing to audit "
                         f"(audited kinds: {', '.join(registry.audited_card_kinds())})")
    dev = get_device(device)
    audit: dict[str, Any] = {"kind": kind}
    if kind in registry.audited_card_kinds("text"):
        measured, protocol = text_audit(stem, card, dev)
        ts = None
    else:
        ts = training_set(card)
        model, _ = load_any(stem, device=dev)
        model = model.float()
        measured, protocol = image_audit(stem, model, card, ts, classifier=classifier, n_samples=n_samples,
                                          n_members=n_members, seed=seed, device=dev)
    audit.update(measured)
    audit["privacy"] = _privacy(card)
    audit["provenance"] = TEXT_PROVENANCE if kind in registry.audited_card_kinds("text") else PROVENANCE
    audit["data"] = _data(card, ts)
    protocol["privacy"] = ("copied from the card's dp section (the Opacus accountant's ε at the card's δ)" if
                           isinstance(card.get("dp"), dict) else "the card has no dp section: trained without DP")
    audit["protocol"] = protocol
    audit["settings"] = {"n_samples": n_samples, "seed": seed, "n_members": n_members,
                         "classifier": classifier if classifier is None or isinstance(classifier, str) else
                         str(classifier) if isinstance(classifier, Path) else "given by the caller"}
    audit["headline"] = headline(audit)
    opts = (f" --samples {n_samples}" if n_samples != 1000 else "") + (f" --seed {seed}" if seed else "")
    audit["command"] = command or f"python -m course_lib audit {display_name(stem)}{opts}"
    audit["audited_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    audit["audit_time_s"] = round(time.perf_counter() - t0, 1)
    audit["library_versions"] = library_versions()
    return audit


def write_audit(path: str | Path, **kwargs: Any) -> dict[str, Any]:
    """:func:`audit_checkpoint` (same keyword arguments), written into the card as ``card["audit"]``.

    The card is re-read just before writing and every other field kept as it is; the new card is written to a
    temporary file and renamed over the old one (atomic on one file system). Returns the audit section.
    """
    audit = audit_checkpoint(path, **kwargs)
    stem = resolve_checkpoint(path)
    card_path = stem.with_suffix(".json")
    card = read_card(stem)
    card["audit"] = audit
    tmp = card_path.with_name(card_path.name + ".tmp")
    tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, card_path)
    return audit
