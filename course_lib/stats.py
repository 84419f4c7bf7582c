"""Intervals for the book's verdicts: bootstrap, seed spread and proportions, and the rule that names a winner.

A comparison the book draws ("A beats B") rests on an interval for each side; a winner is named only where the
two intervals do not overlap, and otherwise the verdict is "no difference at this budget". Three sources of
intervals cover every comparison in the book:

* :func:`bootstrap_interval` — one model, many samples (a Fréchet distance, a coverage KL, a ROC AUC): resample
  the samples with replacement and recompute the statistic (BCa or percentile bootstrap, :func:`scipy.stats.bootstrap`).
* :func:`seed_interval` — one number per seed (a GAN's modes covered, a trained model's loss): Student's t
  interval of the mean over the seeds.
* :func:`proportion_interval` — "k of n" (seeds that collapse, attacks that succeed): Wilson's score interval
  (:meth:`scipy.stats.binomtest`'s ``proportion_ci``), which stays inside [0, 1] and is sane at k = 0 and k = n.

:func:`verdict` compares two intervals. Every function is deterministic: the bootstrap draws from a seeded
NumPy generator, whose streams are the same on every platform.

    >>> a = proportion_interval(9, 10); b = proportion_interval(1, 10)
    >>> verdict(a, b, names=("B collapses", "A collapses"), higher_is_better=True).winner
    'B collapses'
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Interval", "Verdict", "bootstrap_interval", "bootstrap_interval_multi", "seed_interval", "proportion_interval", "verdict",
           "row_interval", "interval_row"]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval ``[low, high]`` at ``level`` (e.g. 0.95).

    ``method`` says how it was made (``"bootstrap-bca"``, ``"seeds-t"``, ``"wilson"`` …) and ``n`` from how many
    samples, seeds or trials.
    """

    estimate: float
    low: float
    high: float
    level: float
    method: str
    n: int

    def __post_init__(self) -> None:
        if not (self.low <= self.estimate <= self.high):
            raise ValueError(f"interval [{self.low}, {self.high}] does not contain its estimate {self.estimate}")

    def overlaps(self, other: Interval) -> bool:
        """True if the two intervals share a point (then no winner is named)."""
        return self.low <= other.high and other.low <= self.high

    def format(self, digits: int = 2) -> str:
        """``"0.85 [0.80, 0.90]"``: the estimate and the interval, at ``digits`` decimals."""
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`verdict`: ``winner`` is a name, or ``None`` where the intervals overlap."""

    winner: str | None
    loser: str | None
    a: Interval
    b: Interval

    @property
    def decided(self) -> bool:
        return self.winner is not None


def _check_level(level: float) -> None:
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be in [0.5, 1), e.g. 0.95; got {level}")


#: resamples (and jackknife samples) per call of scipy's bootstrap: bounds its memory, not its result
_BATCH = 200


def bootstrap_interval(
    samples: Sequence[float] | np.ndarray,
    statistic: Callable[..., float] | None = None,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    method: str = "BCa",
    seed: int = 0,
) -> Interval:
    """Bootstrap interval of ``statistic`` (default: the mean) over ``samples``.

    Args:
        samples: shape ``(N,)`` for a scalar per sample, or ``(N, ...)``: the statistic receives index arrays'
            rows, i.e. ``statistic(samples[idx])`` with ``idx`` of shape ``(N,)``.
        statistic: a function of an array of samples returning a float; ``None`` for the mean.
        n_resamples: bootstrap resamples.
        level: confidence level.
        method: ``"BCa"`` (bias-corrected and accelerated, the default) or ``"percentile"``.
        seed: seeds the resampling (the same interval on every machine).

    Returns:
        :class:`Interval` with the statistic on all the samples as its estimate.
    """
    from scipy.stats import bootstrap

    _check_level(level)
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"need at least 2 samples along the first axis, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("samples contain NaN or infinity")
    stat = (lambda v: float(np.mean(v))) if statistic is None else statistic
    estimate = float(stat(x))
    if x.ndim == 1 and np.ptp(x) == 0:
        return Interval(estimate, estimate, estimate, level, f"bootstrap-{method.lower()}", len(x))

    def on_indices(idx: np.ndarray) -> float:
        return float(stat(x[idx.astype(np.int64)]))

    def mean_on_indices(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        # the mean of many resamples in one call (the same sums, row by row, as one call per resample)
        return x[idx.astype(np.int64)].mean(axis=axis)

    # Resample indices, so that statistics of several columns (or of images) work the same way. In batches of
    # _BATCH resamples: BCa's jackknife over N samples would otherwise build an N x (N - 1) array at once (800 MB
    # for N = 10,000); the batches draw the same random numbers in the same order, so the interval is the same.
    with warnings.catch_warnings():  # a degenerate BCa (all resamples equal) falls back to the percentile method
        warnings.simplefilter("ignore")
        res = bootstrap((np.arange(len(x)),), mean_on_indices if statistic is None and x.ndim == 1 else on_indices,
                        n_resamples=n_resamples, confidence_level=level, method=method,
                        vectorized=statistic is None and x.ndim == 1, batch=_BATCH, rng=np.random.default_rng(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)) and method != "percentile":
        return bootstrap_interval(x, statistic, n_resamples=n_resamples, level=level, method="percentile", seed=seed)
    return Interval(estimate, min(low, estimate), max(high, estimate), level, f"bootstrap-{method.lower()}", len(x))


def bootstrap_interval_multi(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., float],
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    method: str = "BCa",
    seed: int = 0,
) -> Interval:
    """Bootstrap interval of ``statistic(*samples)`` where the samples are independent sets (e.g. a model's
    samples and the held-out digits that calibrate the instrument): each set is resampled on its own.

    Args:
        samples: a tuple of arrays, each of shape ``(N_k, ...)``; rows are resampled, never split.
        statistic: a function of as many arrays as ``samples`` holds, returning a float.
        n_resamples, level, method, seed: as for :func:`bootstrap_interval`.
    """
    from scipy.stats import bootstrap

    _check_level(level)
    arrays = [np.asarray(x) for x in samples]
    if not arrays or any(a.ndim < 1 or a.shape[0] < 2 for a in arrays):
        raise ValueError(f"need at least one set, each of at least 2 rows, got shapes {[a.shape for a in arrays]}")
    estimate = float(statistic(*arrays))

    def on_indices(*idx: np.ndarray) -> float:
        return float(statistic(*(a[i.astype(np.int64)] for a, i in zip(arrays, idx))))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap(tuple(np.arange(len(a)) for a in arrays), on_indices, n_resamples=n_resamples,
                        confidence_level=level, method=method, vectorized=False, paired=False,
                        rng=np.random.default_rng(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        if method == "percentile":
            return Interval(estimate, estimate, estimate, level, "bootstrap-percentile", min(len(a) for a in arrays))
        return bootstrap_interval_multi(samples, statistic, n_resamples=n_resamples, level=level,
                                        method="percentile", seed=seed)
    return Interval(estimate, min(low, estimate), max(high, estimate), level, f"bootstrap-{method.lower()}",
                    min(len(a) for a in arrays))


def seed_interval(values: Sequence[float] | np.ndarray, *, level: float = 0.95,
                  bounds: tuple[float, float] | None = None) -> Interval:
    """Student's t interval of the mean of one number per seed (``values``, shape ``(n_seeds,)``, n ≥ 2).

    ``bounds``: the range the quantity cannot leave (e.g. ``(0, 1)`` for a fraction); the interval is cut to it.
    """
    from scipy.stats import t as student_t

    _check_level(level)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(f"need one value per seed for at least 2 seeds, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("values contain NaN or infinity")
    mean = float(v.mean())
    half = float(student_t.ppf(0.5 + level / 2, df=len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    low, high = mean - half, mean + half
    if bounds is not None:
        slack = 1e-9 * max(1.0, abs(bounds[0]), abs(bounds[1]))   # rounding of a value at its bound
        if not bounds[0] - slack <= v.min() <= v.max() <= bounds[1] + slack:
            raise ValueError(f"values lie outside their stated bounds {bounds}")
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, level, "seeds-t", len(v))


def proportion_interval(k: int, n: int, *, level: float = 0.95) -> Interval:
    """Wilson score interval of a proportion: ``k`` successes in ``n`` trials (e.g. seeds that collapse)."""
    from scipy.stats import binomtest

    _check_level(level)
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"k and n must be whole numbers, got {k!r} and {n!r}")
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    p = k / n
    return Interval(p, min(float(ci.low), p), max(float(ci.high), p), level, "wilson", int(n))


def verdict(a: Interval, b: Interval, *, names: tuple[str, str] = ("A", "B"), higher_is_better: bool) -> Verdict:
    """Name the better of two measurements only where their intervals separate.

    Args:
        a, b: the two intervals (same quantity, same level).
        names: what to call ``a`` and ``b``.
        higher_is_better: ``True`` for accuracies, coverage, AUCs; ``False`` for distances and losses.

    Returns:
        :class:`Verdict` with ``winner`` ``None`` where the intervals overlap ("no difference at this budget").
    """
    if a.level != b.level:
        raise ValueError(f"compare intervals at the same level, got {a.level} and {b.level}")
    if a.overlaps(b):
        return Verdict(None, None, a, b)
    a_higher = a.low > b.high
    a_wins = a_higher == higher_is_better
    return Verdict(names[0] if a_wins else names[1], names[1] if a_wins else names[0], a, b)


#: a study row's keys for each measure: estimate, low, high
_ROW_KEYS = {"fd": ("fd", "fd_low", "fd_high"), "kl": ("kl_to_uniform", "kl_low", "kl_high"),
             "recognisable": ("recognisable", "recognisable_low", "recognisable_high")}


def row_interval(row: Mapping[str, Any], measure: str = "fd", draws: int | None = None) -> Interval:
    """A measure of a study row stored in a model card (``"fd"``, ``"kl"`` or ``"recognisable"``, with its
    ``_low``/``_high`` keys) with its 95% interval over the seeds of its draws (``bench/diffusion.py``'s and
    ``bench/recognisable.py --update``'s rows).

    ``draws`` is for rows that do not record theirs (the class-mix rows: their table records it once).
    """
    estimate, low, high = (row[k] for k in _ROW_KEYS[measure])
    return Interval(estimate, low, high, 0.95, "seeds-t", row["draws"] if draws is None else draws)


def interval_row(iv: Interval, measure: str = "fd") -> dict[str, float]:
    """The inverse of :func:`row_interval`: ``iv`` as a study row's three keys (``fd``, ``fd_low``, ``fd_high`` for
    ``"fd"``; ``kl_to_uniform``, ``kl_low``, ``kl_high`` for ``"kl"``; ``recognisable…`` for ``"recognisable"``).

    The values are stored at full precision (JSON keeps every bit of a float): a row rounded when it is stored and
    again when the book prints it can print a different last digit from the interval it came from (0.72347 stored
    as 0.7235 prints as 0.724, the interval as 0.723), and a stored rounding could decide a verdict.
    """
    if measure not in _ROW_KEYS:
        raise ValueError(f"measure must be one of {sorted(_ROW_KEYS)}, got {measure!r}")
    return dict(zip(_ROW_KEYS[measure], (float(iv.estimate), float(iv.low), float(iv.high))))
