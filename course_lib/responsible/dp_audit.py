"""Auditing differential privacy: an empirical **lower** bound on ε from a membership attack's scores.

A training run that is (ε, δ)-DP bounds every membership attack: for any threshold ``t`` of any score,

    TPR(t) ≤ e^ε · FPR(t) + δ     and     TNR(t) ≤ e^ε · FNR(t) + δ,

so an attack that *measures* a TPR and an FPR proves ε ≥ log((TPR − δ) / FPR). The accountant's ε is an upper
bound (the worst case over all datasets, neighbours and attacks); an audit gives a lower bound that holds with a
stated confidence. Two audits are here, both at a confidence ``level`` (0.95 by default):

* :func:`epsilon_lower_bound` — Jagielski, Ullman & Oprea (2020, arXiv:2006.07709, their Algorithm 2): one-sided
  Clopper–Pearson bounds ``TPR_lo`` and ``FPR_hi`` (each at ``(1 − level) / 2``, so that both hold together with
  probability ``≥ level``), then ε ≥ max(log((TPR_lo − δ) / FPR_hi), log((TNR_lo − δ) / FNR_hi)), and 0 when
  both are negative (an audit never proves ε < 0). The threshold must not be chosen on the counts it is bounded
  with. ``selection="split"`` (the default) picks it on a seeded random half of the members and of the
  non-members and bounds the other halves at that one threshold; ``selection="bonferroni"`` tries every distinct
  score and divides ``1 − level`` by the number of thresholds tried.
  Jagielski et al. train one model per trial; reading the members and non-members of *one* model as independent
  trials is a shortcut (they share one training run), which the next audit avoids.
* :func:`one_run_epsilon_lower_bound` — Steinke, Nasr & Jagielski (2023, arXiv:2305.08846): ``m`` candidate
  examples ("canaries"), each put into the training set by an independent fair coin; after **one** training run
  the auditor guesses "in" for the ``k₊`` highest scores and "out" for the ``k₋`` lowest and counts ``v`` correct
  of ``r = k₊ + k₋`` guesses. For an ε-DP run, ``v`` is stochastically dominated by Binomial(r, e^ε / (1 + e^ε))
  (their main theorem); for (ε, δ)-DP the tail gains a term in δ (:func:`one_run_p_value`). The bound is the
  largest ε that this test rejects at ``1 − level``. With several ``k`` tried, ``1 − level`` is divided among them
  (Bonferroni).

However strong the attack, ``n`` members and ``n`` non-members cap what can be proved:
:func:`max_auditable_epsilon` (perfectly separated scores) is about ``log(n / log(2 / (1 − level)))`` — a few
units of ε for a thousand examples, whatever the true ε.

Every function is deterministic (the split draws from a seeded NumPy generator) and works in float64.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["EpsilonBound", "clopper_pearson_upper", "clopper_pearson_lower", "epsilon_from_rates", "epsilon_lower_bound",
           "max_auditable_epsilon", "one_run_p_value", "one_run_epsilon", "one_run_epsilon_lower_bound",
           "randomized_response_scores"]


@dataclass(frozen=True)
class EpsilonBound:
    """An empirical lower bound on ε: with probability ``≥ level``, the run is not (ε', δ)-DP for any ε' < ``epsilon``.

    ``method`` names the audit; ``threshold`` is the score above which the attack says "member" (``None`` for the
    one-run audit, which guesses by rank). For the Clopper–Pearson audit ``tpr_low`` / ``fpr_high`` are the
    confidence bounds at that threshold and ``members`` / ``nonmembers`` how many scores they were computed from;
    ``direction`` is ``"tpr/fpr"`` or ``"tnr/fnr"`` (which inequality gave the bound). For the one-run audit
    ``guesses`` and ``correct`` are ``r`` and ``v``, and ``members + nonmembers`` is ``m``.
    """

    epsilon: float
    level: float
    delta: float
    method: str
    members: int
    nonmembers: int
    threshold: float | None = None
    tpr_low: float | None = None
    fpr_high: float | None = None
    direction: str | None = None
    guesses: int | None = None
    correct: int | None = None
    tried: int = 1


def _check(level: float, delta: float) -> None:
    if not 0.5 <= level < 1:
        raise ValueError(f"level must be in [0.5, 1), e.g. 0.95; got {level}")
    if not 0 <= delta < 1:
        raise ValueError(f"delta must be in [0, 1), got {delta}")


def clopper_pearson_upper(k: int | np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided Clopper–Pearson **upper** bound of a proportion: the ``p`` with ``P[Binomial(n, p) ≤ k] = alpha``.

    Args:
        k: successes, an integer or an array of them (each in ``0 .. n``).
        n: trials (``≥ 1``).
        alpha: the chance that the true proportion lies above the bound (e.g. 0.025).

    Returns:
        Array of the shape of ``k``: ``Beta(1 − alpha; k + 1, n − k)`` quantile, and 1 where ``k = n``.
    """
    from scipy.stats import beta

    k = np.asarray(k)
    if n < 1 or np.any(k < 0) or np.any(k > n):
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    safe = np.minimum(k, n - 1)
    return np.where(k < n, beta.ppf(1 - alpha, safe + 1, n - safe), 1.0)


def clopper_pearson_lower(k: int | np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided Clopper–Pearson **lower** bound: ``1 − clopper_pearson_upper(n − k, n, alpha)`` (0 where ``k = 0``)."""
    return 1.0 - clopper_pearson_upper(n - np.asarray(k), n, alpha)


def epsilon_from_rates(tpr_low: float | np.ndarray, fpr_high: float | np.ndarray, delta: float) -> np.ndarray:
    """``log((tpr_low − δ) / fpr_high)`` from (ε, δ)-DP's ``TPR ≤ e^ε · FPR + δ``; ``−inf`` where ``tpr_low ≤ δ``.

    Args and result may be arrays of the same shape; ``fpr_high > 0`` (a Clopper–Pearson upper bound always is).
    """
    t, f = np.asarray(tpr_low, dtype=np.float64), np.asarray(fpr_high, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > delta, np.log(np.maximum(t - delta, 1e-300)) - np.log(f), -np.inf)


def _counts(s_in: np.ndarray, s_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every distinct score ``t`` (descending) and the counts of members / non-members with ``score >= t``."""
    thr = np.unique(np.concatenate([s_in, s_out]))[::-1]
    tp = len(s_in) - np.searchsorted(np.sort(s_in), thr, side="left")
    fp = len(s_out) - np.searchsorted(np.sort(s_out), thr, side="left")
    return thr, tp, fp


def _bounds(tp: np.ndarray, fp: np.ndarray, n_in: int, n_out: int, alpha: float, delta: float,
            two_sided: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per threshold: ε bound, the direction that gave it (0: TPR/FPR, 1: TNR/FNR), TPR_lo and FPR_hi.

    ``alpha`` is the failure chance of the pair of bounds (FPR_hi and FNR_hi, each at ``alpha / 2``); TPR_lo is
    ``1 − FNR_hi`` and TNR_lo is ``1 − FPR_hi``, so the second direction costs no extra confidence.
    """
    fnr_hi = clopper_pearson_upper(n_in - tp, n_in, alpha / 2)
    fpr_hi = clopper_pearson_upper(fp, n_out, alpha / 2)
    tpr_lo, tnr_lo = 1.0 - fnr_hi, 1.0 - fpr_hi
    e1 = epsilon_from_rates(tpr_lo, fpr_hi, delta)
    e2 = epsilon_from_rates(tnr_lo, fnr_hi, delta) if two_sided else np.full_like(e1, -np.inf)
    return np.maximum(e1, e2), (e2 > e1).astype(int), tpr_lo, fpr_hi


def _as_scores(x: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().double().numpy()
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size < 2:
        raise ValueError(f"{name} needs at least 2 scores, got {a.size}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite scores")
    return a


def epsilon_lower_bound(member_scores: Sequence[float] | np.ndarray, nonmember_scores: Sequence[float] | np.ndarray,
                        *, delta: float, level: float = 0.95, selection: str = "split", two_sided: bool = True,
                        seed: int = 0) -> EpsilonBound:
    """Jagielski et al.'s empirical lower bound on ε from an attack's scores (higher score = "member").

    Args:
        member_scores: ``(M,)`` scores of examples the run trained on (a tensor or an array).
        nonmember_scores: ``(N,)`` scores of examples it did not.
        delta: the δ of the guarantee being audited (the accountant's δ).
        level: confidence of the bound (0.95: it is wrong at most 5 % of the time).
        selection: ``"split"`` — the threshold maximising the bound on a seeded random half of each set, the bound
            computed on the other halves (confidence exactly ``level``, half the data); ``"bonferroni"`` — every
            distinct score tried on all the data, each at confidence ``1 − (1 − level) / T`` for ``T`` thresholds.
        two_sided: also use ``TNR ≤ e^ε · FNR + δ`` (the same two confidence bounds serve both inequalities).
        seed: seeds the split.

    Returns:
        :class:`EpsilonBound` (``epsilon`` is ``≥ 0``; 0 means the attack proves nothing).
    """
    _check(level, delta)
    s_in, s_out = _as_scores(member_scores, "member_scores"), _as_scores(nonmember_scores, "nonmember_scores")
    alpha = 1.0 - level
    if selection == "split":
        rng = np.random.default_rng(seed)
        p_in, p_out = rng.permutation(len(s_in)), rng.permutation(len(s_out))
        pick_in, bound_in = s_in[p_in[: len(s_in) // 2]], s_in[p_in[len(s_in) // 2:]]
        pick_out, bound_out = s_out[p_out[: len(s_out) // 2]], s_out[p_out[len(s_out) // 2:]]
        thr, tp, fp = _counts(pick_in, pick_out)
        eps, _, _, _ = _bounds(tp, fp, len(pick_in), len(pick_out), alpha, delta, two_sided)
        j = int(np.argmax(eps))  # the first (highest) of tied thresholds
        # any t in (thr[j + 1], thr[j]] counts the picking halves alike: the midpoint, away from both scores
        t = float(thr[j]) if j + 1 == len(thr) else float((thr[j] + thr[j + 1]) / 2)
        tp1 = np.array([int((bound_in >= t).sum())])
        fp1 = np.array([int((bound_out >= t).sum())])
        e, d, tlo, fhi = _bounds(tp1, fp1, len(bound_in), len(bound_out), alpha, delta, two_sided)
        n_in, n_out, tried, i = len(bound_in), len(bound_out), 1, 0
    elif selection == "bonferroni":
        thr, tp, fp = _counts(s_in, s_out)
        tried = len(thr)
        e, d, tlo, fhi = _bounds(tp, fp, len(s_in), len(s_out), alpha / tried, delta, two_sided)
        i = int(np.argmax(e))
        t, n_in, n_out = float(thr[i]), len(s_in), len(s_out)
    else:
        raise ValueError(f"selection must be 'split' or 'bonferroni', got {selection!r}")
    return EpsilonBound(epsilon=max(0.0, float(e[i])), level=level, delta=delta,
                        method=f"clopper-pearson ({selection})", members=n_in, nonmembers=n_out, threshold=t,
                        tpr_low=float(tlo[i]), fpr_high=float(fhi[i]), direction=("tpr/fpr", "tnr/fnr")[int(d[i])],
                        tried=tried)


def max_auditable_epsilon(n_members: int, n_nonmembers: int | None = None, *, delta: float = 0.0,
                          level: float = 0.95, selection: str = "split") -> float:
    """The largest bound :func:`epsilon_lower_bound` can return: a perfect attack (every member above every
    non-member), in closed form.

    With ``a = (1 − level) / 2`` and ``n``, ``n'`` the members and non-members the bound is computed on (half of
    each for ``"split"``): ``TPR_lo = a^(1/n)``, ``FPR_hi = 1 − a^(1/n')`` and ε = log((TPR_lo − δ) / FPR_hi),
    about ``log(n / log(1/a))``. For ``"bonferroni"``, ``a`` is divided by the ``n + n'`` thresholds tried.
    """
    _check(level, delta)
    n_out = n_members if n_nonmembers is None else n_nonmembers
    if selection == "split":
        n_in, n_out, a = n_members - n_members // 2, n_out - n_out // 2, (1 - level) / 2
    elif selection == "bonferroni":
        n_in, a = n_members, (1 - level) / 2 / (n_members + n_out)
    else:
        raise ValueError(f"selection must be 'split' or 'bonferroni', got {selection!r}")
    tpr_lo, fpr_hi = a ** (1 / n_in), 1 - a ** (1 / n_out)
    return max(0.0, float(epsilon_from_rates(tpr_lo, fpr_hi, delta)))


def one_run_p_value(m: int, r: int, v: int, epsilon: float, delta: float) -> float:
    """Steinke et al.'s p-value: an upper bound on ``P[v or more correct of r guesses]`` for an (ε, δ)-DP run
    with ``m`` canaries, each included by an independent fair coin.

    With ``q = e^ε / (1 + e^ε)`` and ``f(u) = P[Binomial(r, q) ≥ u]``:

        p = f(v) + 2 m δ · max over i = 1 .. v of (f(v − i) − f(v)) / i       (capped at 1)

    (for δ = 0 this is the binomial tail of their main theorem; the δ term is their extension to approximate DP).
    """
    if not 0 <= v <= r <= m:
        raise ValueError(f"need 0 <= v <= r <= m, got v={v}, r={r}, m={m}")
    if epsilon < 0 or not 0 <= delta <= 1:
        raise ValueError(f"need epsilon >= 0 and delta in [0, 1], got {epsilon}, {delta}")
    from scipy.stats import binom

    q = 1.0 / (1.0 + math.exp(-epsilon))
    tail = float(binom.sf(v - 1, r, q))
    if delta == 0 or v == 0:
        return min(1.0, tail)
    i = np.arange(1, v + 1)
    gain = float(np.max((binom.sf(v - i - 1, r, q) - tail) / i))
    return min(1.0, tail + 2 * m * delta * gain)


def one_run_epsilon(m: int, r: int, v: int, *, delta: float, alpha: float = 0.05, step: float = 0.05,
                    tol: float = 1e-6) -> float:
    """The one-run lower bound: the largest ε such that :func:`one_run_p_value` is ``≤ alpha`` for **every**
    ε' in ``[0, ε]``; 0 if it is not even at ε' = 0.

    For δ = 0 the p-value rises with ε and this is where it crosses ``alpha``. For δ > 0 it need not rise
    (the δ term weighs the binomial mass just below ``v``), so it is scanned upward from 0 in steps of ``step``
    and the first crossing is bisected to ``tol``. Stopping at the first crossing keeps the bound valid: it exceeds
    the true ε only if the p-value at the true ε is ``≤ alpha``, which happens with probability ``≤ alpha``.
    """
    def rejected(e: float) -> bool:
        return one_run_p_value(m, r, v, e, delta) <= alpha

    if not rejected(0.0):
        return 0.0
    lo = 0.0
    while rejected(lo + step):
        lo += step
        if lo > 50:  # every guess right with r large: beyond any ε worth printing
            return float("inf")
    hi = lo + step
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rejected(mid) else (lo, mid)
    return lo


def one_run_epsilon_lower_bound(member_scores: Sequence[float] | np.ndarray,
                                nonmember_scores: Sequence[float] | np.ndarray, *, delta: float,
                                k: Sequence[int] = (25, 50, 100, 200), level: float = 0.95) -> EpsilonBound:
    """Steinke et al.'s one-run bound: guess "in" for the ``kk`` highest scores and "out" for the ``kk`` lowest,
    for each ``kk`` in ``k``, and keep the best bound; ``1 − level`` is split evenly over the ``len(k)`` tries.

    Args:
        member_scores: ``(M,)`` scores of the canaries that were included (higher = "member").
        nonmember_scores: ``(N,)`` scores of those left out; ``m = M + N`` canaries in all.
        delta: the δ of the guarantee being audited.
        k: guesses on each side to try (each ``≤ (M + N) / 2``), fixed before looking at the scores.
        level: confidence of the bound.

    Ties in score are broken by position (members first), so the result is a function of the scores alone.
    """
    _check(level, delta)
    s_in, s_out = _as_scores(member_scores, "member_scores"), _as_scores(nonmember_scores, "nonmember_scores")
    m = len(s_in) + len(s_out)
    ks = [int(x) for x in k]
    if not ks or any(not 1 <= x <= m // 2 for x in ks):
        raise ValueError(f"each k must be between 1 and {m // 2}, got {ks}")
    scores = np.concatenate([s_in, s_out])
    is_in = np.concatenate([np.ones(len(s_in), bool), np.zeros(len(s_out), bool)])
    order = np.argsort(-scores, kind="stable")  # descending score; ties keep members first
    alpha = (1.0 - level) / len(ks)
    best: EpsilonBound | None = None
    for kk in ks:
        v = int(is_in[order[:kk]].sum() + (~is_in[order[m - kk:]]).sum())
        eps = one_run_epsilon(m, 2 * kk, v, delta=delta, alpha=alpha)
        if best is None or eps > best.epsilon:
            best = EpsilonBound(epsilon=eps, level=level, delta=delta, method="one run (Steinke et al.)",
                                members=len(s_in), nonmembers=len(s_out), guesses=2 * kk, correct=v, tried=len(ks))
    assert best is not None
    return best


def randomized_response_scores(epsilon: float, n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores of the ε-DP mechanism with the tightest trade-off: randomized response on one bit.

    A member's run outputs 1 with probability ``e^ε / (1 + e^ε)``, a non-member's with ``1 / (1 + e^ε)``
    (``n`` independent runs of each); the score is the output. It is exactly ε-DP (δ = 0) and its TPR / FPR at
    the threshold 1 is exactly ``e^ε``, so an audit of it should approach ε as ``n`` grows and never exceed it
    (but with probability ``1 − level``). Returns ``(member_scores, nonmember_scores)``, each ``(n,)`` float64.
    """
    rng = np.random.default_rng(seed)
    q = 1.0 / (1.0 + math.exp(-epsilon))
    return ((rng.random(n) < q).astype(np.float64), (rng.random(n) < 1 - q).astype(np.float64))
