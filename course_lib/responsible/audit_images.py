"""What the audit of an image generator measures (chapter 6's protocols, on one checkpoint).

:func:`image_audit` fills the sections of an ``audit="images"`` kind (:mod:`course_lib.registry`):

* ``membership`` — the membership attack the registry entry names (:mod:`course_lib.responsible.membership`: the
  loss-threshold attack for the image VAEs, chapter 6 §1; LOGAN on the DCGAN's discriminator; the denoising loss
  for the diffusion model), on the model's own training digits against held-out ones;
* ``class_shares`` — the class shares of ``n_samples`` samples as the evaluator classifier labels them, their KL
  divergence to the uniform distribution and (:func:`kl_divergence`) to the training set's class distribution,
  and the recognisable share (the samples it assigns to one digit with probability >= 0.9);
* ``copying`` — how close the samples come to their training digits compared with held-out ones (:func:`copying`);
* ``frechet_distance`` — their Fréchet distance to the 4,000 offline training digits, with its interval (chapter 5's
  protocol, the number the chapters print, for a model of either split).

**Members are exactly the training digits.** The attack's members are ``n_members`` (1,000) digits spread evenly
(:func:`course_lib.data.spread_subset`) over the model's own training set, which :func:`training_set`
rebuilds from the card as training did: the ``data_source`` split, then
:func:`course_lib.data.select_training_set` with the card's ``options`` (``train_size`` evenly spaced digits,
then the ``skew``), the one function every task selects its digits with. The rebuilt set is checked against the card's
``data_sha256``, ``train_examples`` and ``skew.class_counts`` where the card has them; if it cannot be rebuilt
or does not match, the audit says so and measures no membership, rather than attack the wrong digits.
Non-members are the held-out digits (1,000; spread evenly over the test set for full MNIST) less the 4 spread
evenly that the LOGAN attack packs every image with (its anchors), for every kind, exactly as in chapter 6.

The assembly of the whole card section (privacy, provenance, data, protocol, command) is
:mod:`course_lib.responsible.audit`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .. import registry
from ..checkpoint import CHECKPOINT_DIR
from ..data import load_mnist, load_offline_mnist, select_training_set, sha256_of, spread_subset
from ..evaluator import (RECOGNISABLE_AT, FrechetToReference, checkpoint_fd, class_coverage,
                         load_classifier, sample_checkpoint)
from ..stats import bootstrap_interval, proportion_interval
from . import membership
from .membership import attack_summary
from .privacy import nearest_neighbour_distance

__all__ = ["TrainingSet", "training_set", "training_examples", "kl_divergence", "COPY_QUANTILE", "copying", "image_audit",
           "display_name"]


def display_name(stem: Path) -> str:
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
        x, y = load_mnist(source, "train", download=False)  # type: ignore[arg-type]  # an audit never downloads
    except Exception as exc:  # MNISTDataError and friends: say so, do not guess
        out.problem = (f"the {source} training split is not available here ({type(exc).__name__}: {exc}); "
                       f"`python -m course_lib train ... --data full` downloads it")
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


def training_examples(card: dict[str, Any]) -> int:
    """How many digits trained an image model: the card's ``train_examples``, or, for a card written before the
    training run recorded that field (``dcgan_offline``'s), the size of the training set its options rebuild
    (:func:`training_set`). The card itself is not amended: its audit says what it could be checked against.

    Raises:
        ValueError: the card records no size and its training set cannot be rebuilt here (the reason is given).
    """
    if "train_examples" in card:
        return int(card["train_examples"])
    rebuilt = training_set(card)
    if rebuilt.x is None:
        raise ValueError(f"the card of {card.get('kind')!r} records no train_examples, and its training set cannot "
                         f"be rebuilt here: {rebuilt.problem}")
    return len(rebuilt.x)


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


def image_audit(stem: Path, model: torch.nn.Module, card: dict[str, Any], ts: TrainingSet, *, classifier: Any,
                 n_samples: int, n_members: int, seed: int, device: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The measured sections of an image generator's audit and each one's protocol in words: ``membership`` (the
    attack the registry names for the kind), ``class_shares``, ``copying`` and ``frechet_distance``."""
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
        ev_path = display_name(Path(path))
    else:
        ev_path = "a classifier given by the caller"
    samples = sample_checkpoint(stem, n_samples, seed=seed, device=device)
    cov = class_coverage(samples, classifier)
    counts = cov["histogram"]
    shares: dict[str, Any] = {"samples": n_samples, "counts": counts, "shares": _shares(counts),
                              "classes_present": cov["classes_present"],
                              "kl_to_uniform_nats": round(cov["kl_to_uniform"], 4),
                              "recognisable": round(cov["recognisable"], 4), "recognisable_at": RECOGNISABLE_AT}
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
        f"the classifier {ev_path} (evaluator.class_coverage); shares = counts / {n_samples:,}; "
        f"kl_to_uniform = KL(sample shares || uniform) in nats; recognisable = share of the samples the classifier "
        f"assigns to one digit with probability >= {RECOGNISABLE_AT} (read it with the KL: blobs called '8' every "
        f"time are 'recognisable')"
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
    # the number the chapters print for this model, whatever it trained on: chapter 5's protocol, from the one
    # function that measures it (the 4,000 offline training digits are MNIST training digits, on every machine)
    x_ref, _ = load_offline_mnist("train")
    fd, fd_draws = checkpoint_fd(stem, reference=FrechetToReference(x_ref, classifier), device=device)
    out["frechet_distance"] = {"value": round(fd.estimate, 1), "low": round(fd.low, 1), "high": round(fd.high, 1),
                               "level": fd.level, "draws": [round(v, 1) for v in fd_draws],
                               "samples": 1000, "reference": len(x_ref)}
    protocol["frechet_distance"] = (f"chapter 5's protocol (evaluator.checkpoint_fd): {len(fd_draws)} draws of 1,000 "
                                    f"samples (seeds 0, 1, …) against the {len(x_ref):,} offline training digits in "
                                    f"the classifier's features; the mean and Student's t {fd.level:.0%} interval "
                                    f"over the draws — the same number the chapters print for this model"
                                    + ("" if (ts.source or "offline") == "offline" else
                                       "; for a model trained on full MNIST these digits are 4,000 of its 60,000"))
    return out, protocol
