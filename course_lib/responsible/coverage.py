"""Class shares of generated samples, corrected for the classifier's own mistakes (black-box shift estimation).

A classifier that labels generated digits is an instrument with errors of its own. If it calls 2 % of the
non-zeros "0", a generator that never draws a zero still seems to draw 2 % of them: misclassification adds to
the count, it does not multiply it, so dividing by the share a balanced model gets does not remove it.
Black-box shift estimation (Lipton, Wang & Smola 2018, arXiv:1802.03916) removes it under the *label-shift*
assumption — the classifier errs on a generated digit of class ``j`` as it errs on a real one:

    μ = C q,    C[i, j] = P(classifier says i | true class j)   (estimated on held-out real digits),

where ``μ`` is the share of each label among the samples and ``q`` the true class shares of the samples, so
``q̂ = C⁻¹ μ̂`` (clipped at 0 and renormalised). The assumption is the weak point for blurry samples, whose
errors need not look like those on real digits; the correction is therefore a second reading beside the raw
one, not a replacement for looking at the samples.

:func:`rare_share_intervals` gives both readings of one class's share with bootstrap intervals that resample
the samples *and* the held-out digits that estimate ``C``.
"""
from __future__ import annotations

import numpy as np

from ..stats import Interval, bootstrap_interval_multi

__all__ = ["confusion_matrix", "corrected_shares", "rare_share_intervals"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """``C`` of shape ``(classes, classes)`` with ``C[i, j] = P(pred = i | true = j)``: each column sums to 1.

    Raises:
        ValueError: a class has no held-out example (its column cannot be estimated).
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} and {y_pred.shape}")
    counts = np.zeros((classes, classes))
    np.add.at(counts, (y_pred, y_true), 1.0)
    per_class = counts.sum(0)
    if (per_class == 0).any():
        raise ValueError(f"no held-out example of class(es) {np.flatnonzero(per_class == 0).tolist()}")
    return counts / per_class


def corrected_shares(pred_generated: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """True class shares ``q̂ = C⁻¹ μ̂`` of samples whose predicted labels are ``pred_generated`` ``(N,)``;
    negative solutions are clipped to 0 and the shares renormalised to sum to 1. Returns ``(classes,)``."""
    k = confusion.shape[0]
    mu = np.bincount(np.asarray(pred_generated, dtype=np.int64), minlength=k) / len(pred_generated)
    q = np.linalg.lstsq(confusion, mu, rcond=None)[0]
    q = np.clip(q, 0.0, None)
    return q / q.sum() if q.sum() > 0 else mu


def rare_share_intervals(pred_generated: np.ndarray, y_held: np.ndarray, pred_held: np.ndarray, digit: int,
                         classes: int = 10, n_resamples: int = 1000, seed: int = 0) -> dict[str, Interval]:
    """The share of class ``digit`` among generated samples, read two ways, each with a 95% bootstrap interval.

    Args:
        pred_generated: ``(N,)`` labels the classifier gives the samples.
        y_held, pred_held: ``(M,)`` true and predicted labels of held-out real digits (they estimate ``C``).
        digit: the class whose share is wanted.

    Returns:
        ``{"raw": share of samples labelled digit, "corrected": the BBSE estimate}``; the corrected interval
        resamples the samples and the held-out digits independently.
    """
    pred_generated = np.asarray(pred_generated, dtype=np.int64)
    held = np.stack([np.asarray(y_held, dtype=np.int64), np.asarray(pred_held, dtype=np.int64)], axis=1)
    raw = bootstrap_interval_multi((pred_generated,), lambda p: float(np.mean(p == digit)),
                                   n_resamples=n_resamples, seed=seed)

    def corrected(p: np.ndarray, h: np.ndarray) -> float:
        c = confusion_matrix(h[:, 0], h[:, 1], classes)
        return float(corrected_shares(p, c)[digit])

    return {"raw": raw, "corrected": bootstrap_interval_multi((pred_generated, held), corrected,
                                                              n_resamples=n_resamples, seed=seed,
                                                              method="percentile")}
