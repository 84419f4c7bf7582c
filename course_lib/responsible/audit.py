"""Audit cards: chapter 6's measurements, written by code into each generative model's model card.

:func:`audit_checkpoint` measures one checkpoint and returns its ``"audit"`` section; :func:`write_audit` writes
it into the card (``card["audit"]``, atomically, every other field kept). ``python -m course_lib audit NAME``
(or ``--all``) does both. What is measured depends on the card's ``kind``, through its entry in
:mod:`course_lib.registry` (``audit`` and ``membership``):

* **image generators** (``audit="images"``): the membership attack the entry names
  (:mod:`course_lib.responsible.membership`: the loss-threshold attack for the image VAEs, chapter 6 §1; LOGAN on
  the DCGAN's discriminator; the denoising loss for the diffusion model), the class shares of ``n_samples``
  samples as the evaluator classifier labels them, their KL divergence to the uniform distribution and to the
  training set's class distribution, how close the samples come to their training digits (:func:`copying`), and
  their Fréchet distance to the training digits;
* **GPTs** (``audit="text"``: ``gpt``, ``canary_gpt``): for a canary GPT (a card with ``canaries``), the exact
  exposure and the greedy extraction of every canary recorded in its card (:mod:`course_lib.responsible.canary`);
  for every GPT, a note that the keyed text watermark exists (:mod:`course_lib.responsible.text_watermark`) and is
  not applied by default.

Every audit also records the privacy guarantee (the card's ``dp`` section, or none: ε = ∞), provenance (samples
carry no label or watermark unless the caller adds one), the data (source, per-class counts), the protocol of
every number in words, the command that filled it, a timestamp, the library versions and its own run time.

**Members are exactly the training digits.** The attack's members are ``n_members`` (1,000) digits spread evenly
(:func:`course_lib.data.spread_subset`) over the model's own training set, which :func:`training_set`
rebuilds from the card as training did: the ``data_source`` split, then
:func:`course_lib.data.select_training_set` with the card's ``options`` (``train_size`` evenly spaced digits,
then the ``skew``), the one function every task selects its digits with. The rebuilt set is checked against the card's
``data_sha256``, ``train_examples`` and ``skew.class_counts`` where the card has them; if it cannot be rebuilt
or does not match, the audit says so and measures no membership, rather than attack the wrong digits.
Non-members are the held-out digits (1,000; spread evenly over the test set for full MNIST) less the 4 spread
evenly that the LOGAN attack packs every image with (its anchors), for every kind, exactly as in chapter 6.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .. import registry
from ..checkpoint import CHECKPOINT_DIR, CheckpointError, library_versions, load_checkpoint, read_card
from ..data import load_mnist, load_offline_mnist, select_training_set, sha256_of, spread_subset
from ..device import get_device
from ..evaluator import (FrechetToReference, checkpoint_fd, class_histogram, frechet_distance, kl_to_uniform, load_any,
                         load_classifier, sample_checkpoint)
from ..models.gpt import GPT
from ..stats import bootstrap_interval, proportion_interval
from ..text import CharTokenizer
from . import membership
from .canary import Canary, exposure, greedy_extract
from .membership import attack_summary
from .privacy import nearest_neighbour_distance

__all__ = ["copying", "COPY_QUANTILE", "AuditError", "TrainingSet", "PROVENANCE", "TEXT_PROVENANCE", "resolve_checkpoint", "auditable_checkpoints", "training_set",
           "kl_divergence", "audit_checkpoint", "write_audit", "describe", "headline"]


#: What every audit of an image model says about provenance.
PROVENANCE = ("samples carry no label/watermark unless the caller adds course_lib.responsible.labels "
              "(explicit and implicit labels) / watermark (keyed image watermark)")
#: ... and of a GPT.
TEXT_PROVENANCE = ("generated text carries no label/watermark unless the caller adds "
                   "course_lib.responsible.text_watermark (keyed green-list watermark)")

_TEXT_WATERMARK = ("not applied by default; course_lib.responsible.text_watermark.watermarked_generate adds a keyed "
                   "green-list watermark to the sampler (Kirchenbauer et al. 2023, arXiv:2301.10226) and "
                   "text_watermark.detect finds it with a one-sided z-test, from the key and the text alone")



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


def _display_name(stem: Path) -> str:
    """The shipped checkpoint's name, or the path as given."""
    try:
        if stem.resolve().parent == CHECKPOINT_DIR.resolve():
            return stem.name
    except OSError:
        pass
    return str(stem)


# ------------------------------------------------------------------------------------------ the training set
@dataclass
class TrainingSet:
    """The digits a checkpoint trained on, rebuilt from its card (``x``/``y`` ``None`` when that failed).

    ``recipe``: how it was rebuilt, in words; ``check``: what it was checked against; ``problem``: why it could
    not be rebuilt (then ``x`` is ``None``); ``source``: ``"offline"`` or ``"full"``.
    """

    source: str | None
    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    recipe: str = ""
    check: str = ""
    problem: str | None = None
    class_counts: list[int] | None = None
    notes: list[str] = field(default_factory=list)


def training_set(card: dict[str, Any]) -> TrainingSet:
    """Rebuild the training digits of an image model from its card, as its training run selected them.

    The recipe mirrors the registry's tasks: the ``data_source`` training split; ``train_size`` evenly spaced
    digits (:func:`~course_lib.data.spread_subset`); then, for the DCGAN and the VAEs, the skew
    (:func:`~course_lib.data.skewed_subset` with the card's ``skew`` ``rare_digit`` / ``rare_factor``).
    The result is checked against the card's ``data_sha256`` (of the training tensor, as the task held it),
    ``train_examples`` and ``skew.class_counts`` when recorded. Never raises for a card it cannot follow:
    the returned ``problem`` says why.
    """

    kind = card.get("kind")
    source = card.get("data_source")
    out = TrainingSet(source=source)
    if source not in ("offline", "full"):
        out.problem = f"the card's data_source is {source!r}; only the MNIST splits 'offline' and 'full' can be rebuilt"
        return out
    if not isinstance(card.get("options"), dict):
        out.problem = ("the card records no training options (cards written by `python -m course_lib train` "
                       "have them): retrain with the card's command")
        return out
    options = dict(card["options"])
    skew = card.get("skew") if isinstance(card.get("skew"), dict) else None
    rare_digit = options.get("rare_digit")
    rare_factor = options.get("rare_factor", 10)
    if skew is not None:
        if rare_digit is not None and (rare_digit, rare_factor) != (skew.get("rare_digit"), skew.get("rare_factor")):
            out.problem = (f"the card's skew {skew} disagrees with its options (rare_digit {rare_digit}, "
                           f"rare_factor {rare_factor})")
            return out
        rare_digit, rare_factor = skew.get("rare_digit"), skew.get("rare_factor", 10)
    entry = registry.for_card_kind(str(kind), missing_ok=True)
    if rare_digit is not None and (entry is None or "rare_digit" not in {o.dest for o in entry.options}):
        out.problem = f"a skewed training set is recorded, but {kind!r} training has no skew option"
        return out
    try:
        x, y = load_mnist(source, "train")  # type: ignore[arg-type]
    except Exception as exc:  # MNISTDataError and friends: say so, do not guess
        out.problem = f"the {source} training split is not available here ({type(exc).__name__}: {exc})"
        return out
    train_size = options.get("train_size")
    n_split = len(x)
    x, y = select_training_set(x, y, train_size=train_size,
                               rare_digit=None if rare_digit is None else int(rare_digit), rare_factor=int(rare_factor))
    n_spread = n_split if train_size is None else min(int(train_size), n_split)
    steps = [f"the {source} training split ({n_split:,} digits)" if n_spread == n_split else
             f"{n_spread:,} evenly spaced digits of the {source} training split (train_size {train_size})"]
    if rare_digit is not None:
        steps.append(f"digit {rare_digit} made {rare_factor}x rarer (skewed_subset)")
    out.recipe = ", ".join(steps)
    out.class_counts = torch.bincount(y.long(), minlength=10).tolist()
    checks, failed = [], []
    if "train_examples" in card:
        (checks if int(card["train_examples"]) == len(x) else failed).append(
            f"train_examples {card['train_examples']}" + ("" if int(card["train_examples"]) == len(x) else f" (rebuilt: {len(x)})"))
    if skew is not None and skew.get("class_counts") is not None:
        ok = list(skew["class_counts"]) == out.class_counts
        (checks if ok else failed).append("skew.class_counts" + ("" if ok else f" {skew['class_counts']} (rebuilt: {out.class_counts})"))
    if card.get("data_sha256"):
        ok = sha256_of(x.float()) == card["data_sha256"]
        (checks if ok else failed).append("data_sha256" + ("" if ok else " (the rebuilt digits hash differently)"))
    if failed:
        out.problem = ("the rebuilt training set does not match the card: " + "; ".join(failed) +
                       f" (rebuilt as: {out.recipe})")
        out.class_counts = None
        return out
    out.check = ("matches the card's " + ", ".join(checks)) if checks else \
        "nothing in the card to check it against (no data_sha256 / train_examples): rebuilt from the command alone"
    out.x, out.y = x, y
    return out


# ------------------------------------------------------------------------------------------ measurements
def kl_divergence(p_counts: Any, q_counts: Any) -> float:
    """``KL(p || q)`` in nats between two histograms (normalised here): ``sum_k p_k log(p_k / q_k)``, with
    ``0 log 0 = 0``; ``inf`` when some ``p_k > 0`` has ``q_k = 0``."""
    p = torch.as_tensor(p_counts, dtype=torch.float64)
    q = torch.as_tensor(q_counts, dtype=torch.float64)
    if p.shape != q.shape or p.dim() != 1 or (p < 0).any() or (q < 0).any() or p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("p_counts and q_counts must be 1-D histograms of the same length, non-negative, "
                         "each with a positive total")
    p, q = p / p.sum(), q / q.sum()
    if ((p > 0) & (q == 0)).any():
        return math.inf
    m = p > 0
    return float((p[m] * torch.log(p[m] / q[m])).sum())


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [round(c / total, 3) for c in counts]


def _membership_result(s_in: torch.Tensor, s_out: torch.Tensor, attack: str, protocol: str) -> dict[str, Any]:
    r = attack_summary(s_in, s_out, fpr=0.01)
    return {"attack": attack, "auc": round(r["auc"], 3), "tpr_at_1pct_fpr": round(r["tpr_at_fpr"], 3),
            "members": r["members"], "nonmembers": r["nonmembers"]}


def _heldout(source: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    x, y = load_mnist(source, "heldout")  # type: ignore[arg-type]
    if len(x) > 1000:
        keep = spread_subset(len(x), 1000)
        return x[keep], y[keep], f"1,000 test digits spread evenly over the {len(x):,} of full MNIST"
    return x, y, f"the {len(x):,} held-out digits of the {source} split"


def _members(ts: TrainingSet, n_members: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    assert ts.x is not None and ts.y is not None
    keep = spread_subset(len(ts.x), n_members)
    what = (f"all {len(keep):,} training digits" if len(keep) == len(ts.x) else
            f"{len(keep):,} of the {len(ts.x):,} training digits, spread evenly (spread_subset)")
    return ts.x[keep], ts.y[keep], what


#: a sample closer to its nearest training digit than this quantile of the real held-out digits' nearest-training
#: distances is "as close as the closest 1 % of real pairs": a model that draws like fresh data has 1 % such samples
COPY_QUANTILE = 0.01


def copying(samples: torch.Tensor, x_train: torch.Tensor, x_held: torch.Tensor, *, seed: int = 0,
            n_closest: int = 3) -> dict[str, Any]:
    """Are generated images closer to the training digits than to unseen ones? (chapter 1's memorisation ratio,
    measured on a model's own samples with an interval).

    ``samples (N, 1, 28, 28)``; ``x_train (M, …)`` the model's training digits, ``x_held (K, …)`` held-out digits of
    the same distribution. Both reference sets are cut to ``n = min(M, K)`` digits spread evenly (a nearest
    neighbour among more candidates is closer just because there are more). Per sample: ``d_train`` and ``d_held``,
    the Euclidean distances (pixels in [0, 1]) to the nearest digit of each set, and ``log(d_train / d_held)``.

    Returns (rounded): the medians of both distances; the mean log-ratio with a bootstrap 95 % interval (< 0: the
    samples sit closer to the training digits than fresh digits would; 0 inside the interval: no difference at this
    budget); ``near_copies``: how many samples are closer to a training digit than the closest ``COPY_QUANTILE`` of
    real held-out digits are (about 1 % expected), with a Wilson interval; and the ``n_closest`` closest pairs
    (sample index, index in ``x_train``, distance).
    """

    n = min(len(x_train), len(x_held))
    keep_train = spread_subset(len(x_train), n)
    train = x_train[keep_train].reshape(n, -1).float().cpu()
    held = x_held[spread_subset(len(x_held), n)].reshape(n, -1).float().cpu()
    s = samples.reshape(len(samples), -1).float().cpu()
    if s.shape[1] != train.shape[1]:
        raise ValueError(f"samples have {s.shape[1]} values each and the training digits {train.shape[1]}")
    d_train, d_held = nearest_neighbour_distance(s, train), nearest_neighbour_distance(s, held)
    log_ratio = torch.log(d_train.clamp_min(1e-6) / d_held.clamp_min(1e-6)).double().numpy()
    ratio = bootstrap_interval(log_ratio, seed=seed)
    # the real-real floor: each held-out digit's distance to its nearest training digit
    floor = float(torch.quantile(nearest_neighbour_distance(held, train).double(), COPY_QUANTILE))
    k = int((d_train < floor).sum())
    near = proportion_interval(k, len(s))
    closest = torch.argsort(d_train)[:n_closest]
    nearest_train = torch.cdist(s[closest], train).argmin(1)
    if ratio.high < 0:
        verdict = "closer to the training digits than to held-out ones"
    elif ratio.low > 0:
        verdict = "closer to held-out digits than to the training ones"
    else:
        verdict = "no difference at this budget"
    return {
        "samples": len(s), "reference": n,
        "median_distance_training": round(float(d_train.median()), 3),
        "median_distance_heldout": round(float(d_held.median()), 3),
        "mean_log_ratio": round(ratio.estimate, 3), "low": round(ratio.low, 3), "high": round(ratio.high, 3),
        "level": ratio.level, "verdict": verdict,
        "near_copies": {"count": k, "share": round(k / len(s), 4), "low": round(near.low, 4),
                        "high": round(near.high, 4), "threshold": round(floor, 3), "expected_share": COPY_QUANTILE},
        "closest": [{"sample": int(i), "training_index": int(keep_train[j]), "distance": round(float(d_train[i]), 3)}
                    for i, j in zip(closest.tolist(), nearest_train.tolist())],
    }


def _image_audit(stem: Path, model: torch.nn.Module, card: dict[str, Any], ts: TrainingSet, *, classifier: Any,
                 n_samples: int, n_members: int, seed: int, device: Any) -> tuple[dict[str, Any], dict[str, str]]:

    kind = card["kind"]
    protocol: dict[str, str] = {}
    out: dict[str, Any] = {}
    # ---- membership
    if ts.x is None:
        out["membership"] = {"status": "not measured", "reason": f"the training set cannot be rebuilt: {ts.problem}"}
    else:
        x_in, y_in, members_what = _members(ts, n_members)
        x_held, y_held, held_what = _heldout(ts.source or "offline")
        hook = registry.for_card_kind(kind).membership  # type: ignore[union-attr]
        if hook is None:
            out["membership"] = {"status": "not measured",
                                 "reason": f"the registry names no membership attack for {kind!r} models"}
        else:
            # chapter 6's non-members: the held-out digits less the LOGAN_ANCHORS anchors that the packing
            # discriminator needs, the same for every attack so that the attacks' rows compare
            scores = hook(model, x_in, y_in, x_held, y_held, seed=seed)
            nonmembers_what = (f"{held_what} less {membership.LOGAN_ANCHORS} spread evenly (the anchors of the LOGAN "
                               f"attack, left out of every attack's non-members)")
            how = f"{scores.score}; members = {members_what}; non-members = {nonmembers_what}"
            out["membership"] = _membership_result(scores.members, scores.nonmembers, scores.attack, how)
            protocol["membership"] = (how + ". AUC = area under the ROC (trapezoids); TPR at 1% FPR read off the ROC "
                                      "by linear interpolation (membership.attack_summary). 0.5 and 0.01 are guessing.")
    # ---- class shares of samples
    ev_path = classifier
    if classifier is None or isinstance(classifier, (str, Path)):
        default = CHECKPOINT_DIR / f"classifier_{ts.source}"
        path = classifier if classifier is not None else (default if default.with_suffix(".json").is_file()
                                                          else CHECKPOINT_DIR / "classifier_offline")
        classifier, _ = load_classifier(path, device=device)
        ev_path = _display_name(Path(path))
    else:
        ev_path = "a classifier given by the caller"
    samples = sample_checkpoint(stem, n_samples, seed=seed, device=device)
    counts = class_histogram(samples, classifier).tolist()
    shares: dict[str, Any] = {"samples": n_samples, "counts": counts, "shares": _shares(counts),
                              "classes_present": sum(c > 0 for c in counts),
                              "kl_to_uniform_nats": round(kl_to_uniform(torch.tensor(counts)), 4)}
    train_counts = ts.class_counts
    if train_counts is not None:
        kl = kl_divergence(counts, train_counts)
        shares["training_shares"] = _shares(train_counts)
        shares["kl_to_training_nats"] = round(kl, 4) if math.isfinite(kl) else "inf"
        rare = (card.get("skew") or {}).get("rare_digit")
        if rare is None and isinstance(card.get("options"), dict):
            rare = card["options"].get("rare_digit")
        if rare is not None:
            p_train = train_counts[rare] / sum(train_counts)
            p_samp = counts[rare] / sum(counts)
            shares["rare_digit"] = {"digit": int(rare), "training_share": round(p_train, 4),
                                    "sample_share": round(p_samp, 4),
                                    "sample_to_training_ratio": round(p_samp / p_train, 3)}
    out["class_shares"] = shares
    protocol["class_shares"] = (
        f"{n_samples:,} samples (evaluator.sample_checkpoint, seed {seed}, the model's default sampler) labelled by "
        f"the classifier {ev_path} (evaluator.class_histogram); shares = counts / {n_samples:,}; "
        f"kl_to_uniform = KL(sample shares || uniform) in nats (evaluator.kl_to_uniform)"
        + ("; kl_to_training = KL(sample shares || training class shares) in nats (kl_divergence)"
           if train_counts is not None else "; the training class shares are unknown (training set not rebuilt)")
        + ("; rare_digit.sample_to_training_ratio = (the rare digit's share in the samples) / (its share in the "
           "training set): 1 = reproduced, < 1 = rarer still, > 1 = repaired" if "rare_digit" in shares else ""))
    if ts.x is not None:
        out["copying"] = copying(samples, ts.x, x_held, seed=seed)  # the membership section's held-out digits
        c = out["copying"]
        protocol["copying"] = (
            f"the same {n_samples:,} samples; each one's Euclidean distance (pixels in [0, 1]) to its nearest digit "
            f"among {c['reference']:,} training digits and among {c['reference']:,} held-out digits ({held_what}), "
            f"both sets spread evenly (spread_subset); mean of log(d_train / d_held) with a bootstrap "
            f"{c['level']:.0%} interval (stats.bootstrap_interval, seed {seed}): below 0 = closer to the training "
            f"digits; near_copies = samples closer to a training digit than the closest {COPY_QUANTILE:.0%} of real "
            f"held-out digits are ({COPY_QUANTILE:.0%} expected), Wilson interval; closest = the nearest pairs "
            f"(sample index, index in the training set) (copying)")
    if (ts.source or "offline") == "offline":
        # the number the chapters print for this model: chapter 5's protocol, from the one function that measures it
        x_ref, _ = load_offline_mnist("train")
        fd, fd_draws = checkpoint_fd(stem, reference=FrechetToReference(x_ref, classifier), device=device)
        out["frechet_distance"] = {"value": round(fd.estimate, 1), "low": round(fd.low, 1), "high": round(fd.high, 1),
                                   "level": fd.level, "draws": [round(v, 1) for v in fd_draws],
                                   "samples": 1000, "reference": len(x_ref)}
        protocol["frechet_distance"] = (f"chapter 5's protocol (evaluator.checkpoint_fd): {len(fd_draws)} draws of 1,000 "
                                        f"samples (seeds 0, 1, …) against the {len(x_ref):,} offline training digits in "
                                        f"the classifier's features; the mean and Student's t {fd.level:.0%} interval "
                                        f"over the draws — the same number the chapters print for this model")
    elif ts.x is not None:
        fd_one = frechet_distance(ts.x, samples, classifier)
        out["frechet_distance"] = {"value": round(fd_one, 1), "samples": n_samples, "reference": len(ts.x)}
        protocol["frechet_distance"] = (f"Fréchet distance between the classifier features of the same {n_samples:,} "
                                        f"samples and of the {len(ts.x):,} training digits (evaluator.frechet_distance; "
                                        f"one draw, no interval; biased upwards for small sets: compare at equal sizes)")
    return out, protocol


def _gpt_audit(stem: Path, card: dict[str, Any], device: Any) -> tuple[dict[str, Any], dict[str, str]]:

    out: dict[str, Any] = {"text_watermark": _TEXT_WATERMARK}
    protocol: dict[str, str] = {}
    has_canaries = card["kind"] == "canary_gpt"
    if has_canaries:
        if "tokenizer" not in card or not isinstance(card.get("canaries"), list):
            out["canaries"] = {"status": "not measured", "reason": "the card records no tokenizer or no canaries"}
            return out, protocol
        model, _ = load_checkpoint(stem, GPT, card["kind"], device=device)
        model = model.float()
        tok = CharTokenizer.from_dict(card["tokenizer"])
        rows = []
        for c in card["canaries"]:
            canary = Canary(c["lang"], c["prefix"], c["secret"], c.get("end", ".\n"))
            try:
                e = exposure(model, tok, canary)
            except ValueError as exc:  # e.g. the prefix does not fit the context
                rows.append({"lang": canary.lang, "secret": canary.secret, "repeats": card.get("repeats"),
                             "status": "not measured", "reason": str(exc)})
                continue
            got = greedy_extract(model, tok, canary)
            rows.append({"lang": canary.lang, "secret": canary.secret, "repeats": card.get("repeats"),
                         "rank": e["rank"], "exposure_bits": round(e["exposure"], 2),
                         "max_exposure_bits": round(e["max_exposure"], 2),
                         "greedy_extraction": got, "extracted": got == canary.secret})
        out["canaries"] = rows
        protocol["canaries"] = ("for each canary of the card: rank of its secret among all 10^d digit strings by "
                                "log p(prefix + candidate), computed exactly; exposure = log2(10^d) - log2(rank) bits "
                                "(canary.exposure, Carlini et al. 2019, arXiv:1802.08232); greedy_extraction = the d "
                                "characters greedy decoding writes after the prefix (canary.greedy_extract)")
    out["membership"] = {"status": "not measured",
                         "reason": "the training text is this book's public prose; memorisation is measured by "
                                   "inserted canaries (canary_gpt checkpoints)" if not has_canaries else
                                   "memorisation is measured by the canaries' exposure"}
    return out, protocol


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


def describe(audit: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """An audit section in words, one entry per measurement, in English or Chinese (``lang="zh"``).

    The keys are those of the section that were measured (``membership``, ``class_shares``, ``copying``,
    ``frechet_distance``, ``canaries``, ``text_watermark``) and always ``privacy`` and ``provenance``; the values
    are what :func:`headline` joins into one line. The Chinese chapter prints these, so that a Chinese reader
    never meets the card's English.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    zh = lang == "zh"
    out: dict[str, str] = {}
    m = audit.get("membership", {})
    if "auc" in m:
        out["membership"] = (f"成员推断 AUC {m['auc']:.3f}，1% 假阳性率处的真阳性率 {m['tpr_at_1pct_fpr']:.3f}"
                             f"（成员 {m['members']} 个，非成员 {m['nonmembers']} 个）" if zh else
                             f"membership AUC {m['auc']:.3f}, TPR@1%FPR {m['tpr_at_1pct_fpr']:.3f} "
                             f"({m['members']} vs {m['nonmembers']})")
    elif m.get("status") and audit.get("kind") not in registry.audited_card_kinds("text"):
        out["membership"] = "未测成员推断" if zh else "membership not measured"
    cs = audit.get("class_shares")
    if cs:
        text = (f"{cs['classes_present']}/10 个类别，到均匀分布的 KL {cs['kl_to_uniform_nats']:.3f}" if zh else
                f"{cs['classes_present']}/10 classes, KL to uniform {cs['kl_to_uniform_nats']:.3f}")
        if "kl_to_training_nats" in cs:
            kt = cs["kl_to_training_nats"]
            kt = f"{kt:.3f}" if isinstance(kt, float) else str(kt)
            text += f"，到训练集的 KL {kt}" if zh else f", to training {kt}"
        if "rare_digit" in cs:
            r = cs["rare_digit"]
            text += (f"，少数类数字 {r['digit']} 的占比 {r['sample_share']:.3f}（训练集中 {r['training_share']:.3f}）" if zh
                     else f", rare digit {r['digit']} share {r['sample_share']:.3f} vs {r['training_share']:.3f} in training")
        out["class_shares"] = text
    cp = audit.get("copying")
    if cp:
        nc = cp["near_copies"]
        verdicts_zh = {"closer to the training digits than to held-out ones": "离训练数字比离留出数字更近",
                       "closer to held-out digits than to the training ones": "离留出数字比离训练数字更近",
                       "no difference at this budget": "在这个预算下看不出差别"}
        out["copying"] = (f"复制检查：样本到最近训练数字与到最近留出数字的距离之比，取对数后均值为 {cp['mean_log_ratio']:+.3f} "
                          f"[{cp['low']:+.3f}, {cp['high']:+.3f}]，{verdicts_zh[cp['verdict']]}；"
                          f"有 {nc['count']} 个样本近乎复制（预期约 {nc['expected_share']:.0%}）" if zh else
                          f"copying: mean log(d_train/d_held) {cp['mean_log_ratio']:+.3f} "
                          f"[{cp['low']:+.3f}, {cp['high']:+.3f}], {cp['verdict']}; {nc['count']} near-cop{'y' if nc['count'] == 1 else 'ies'} "
                          f"(~{nc['expected_share']:.0%} expected)")
    fd = audit.get("frechet_distance")
    if fd:
        interval = f" [{fd['low']:.1f}, {fd['high']:.1f}]" if "low" in fd else ""
        out["frechet_distance"] = f"FD {fd['value']:.1f}{interval}"
    if isinstance(audit.get("canaries"), list):
        names = {"en": "英文金丝雀", "zh": "中文金丝雀"}
        lines = []
        for c in audit["canaries"]:
            name = names.get(c["lang"], f"金丝雀 {c['lang']}") if zh else f"canary {c['lang']}"
            if "rank" not in c:
                lines.append(f"{name}未测" if zh else f"{name} not measured")
            elif zh:
                lines.append(f"{name}：暴露度 {c['exposure_bits']:.1f}/{c['max_exposure_bits']:.1f} 比特，"
                             + ("已被提取" if c["extracted"] else "未被提取"))
            else:
                lines.append(f"{name}: exposure {c['exposure_bits']:.1f}/{c['max_exposure_bits']:.1f} bits, "
                             + ("extracted" if c["extracted"] else "not extracted"))
        out["canaries"] = ("；" if zh else "; ").join(lines)
    if "text_watermark" in audit:
        out["text_watermark"] = "可加文本水印，默认关闭" if zh else "text watermark available, off by default"
    priv = audit["privacy"]
    if "epsilon" in priv:
        out["privacy"] = f"差分隐私 ε = {priv['epsilon']}" if zh else f"ε = {priv['epsilon']}"
    else:
        out["privacy"] = "无差分隐私（ε = ∞）" if zh else "no DP (ε = ∞)"
    text_model = audit.get("kind") in registry.audited_card_kinds("text")
    if zh:
        out["provenance"] = ("生成的文本不带标识或水印，除非调用方用 course_lib.responsible.text_watermark 加上带密钥的绿名单水印"
                             if text_model else
                             "样本不带标识或水印，除非调用方用 course_lib.responsible.labels（显式与隐式标识）"
                             "或 course_lib.responsible.watermark（带密钥的图像水印）加上")
    else:
        out["provenance"] = TEXT_PROVENANCE if text_model else PROVENANCE
    return out


def headline(audit: dict[str, Any], lang: str = "en") -> str:
    """The audit in one line (what ``python -m course_lib audit`` prints and the card stores, in English)."""
    parts = describe(audit, lang)
    parts.pop("provenance")
    return ("；" if lang == "zh" else "; ").join(parts.values())


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
        measured, protocol = _gpt_audit(stem, card, dev)
        ts = None
    else:
        ts = training_set(card)
        model, _ = load_any(stem, device=dev)
        model = model.float()
        measured, protocol = _image_audit(stem, model, card, ts, classifier=classifier, n_samples=n_samples,
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
    audit["command"] = command or f"python -m course_lib audit {_display_name(stem)}{opts}"
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
