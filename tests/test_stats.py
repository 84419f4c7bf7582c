"""course_lib.stats: each interval against its textbook formula, and the verdict rule's branches."""
from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.stats import Interval, bootstrap_interval, proportion_interval, seed_interval, verdict


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (17, 20), (1, 1)])
def test_proportion_interval_is_wilsons(k, n):
    iv = proportion_interval(k, n)
    lo, hi = wilson(k, n)
    assert iv.estimate == k / n and iv.n == n and iv.method == "wilson"
    assert iv.low == pytest.approx(max(lo, 0.0), abs=1e-12) and iv.high == pytest.approx(min(hi, 1.0), abs=1e-12)


def test_proportion_interval_known_value_and_level():
    # k = 0 of 10 at 95%: Wilson's upper bound is 0.2775 (a textbook value)
    assert proportion_interval(0, 10).high == pytest.approx(0.27753, abs=1e-4)
    assert proportion_interval(3, 10, level=0.9).high < proportion_interval(3, 10, level=0.99).high


@pytest.mark.parametrize("k,n", [(11, 10), (-1, 10), (0, 0), (2.5, 10), (True, 10)])
def test_proportion_interval_rejects_bad_counts(k, n):
    with pytest.raises(ValueError):
        proportion_interval(k, n)


def test_seed_interval_is_student_t_with_sample_std():
    # mean 2, sample std (ddof = 1) 1, t_{0.975, 2} = 4.302653
    iv = seed_interval([1.0, 2.0, 3.0])
    assert iv.estimate == 2.0
    assert iv.high - 2.0 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert 2.0 - iv.low == pytest.approx(iv.high - 2.0)
    # the mean, not the median
    assert seed_interval([0.0, 0.0, 9.0]).estimate == 3.0


def test_seed_interval_is_cut_to_the_bounds_of_the_quantity():
    free = seed_interval([0.0, 0.0, 0.1])
    cut = seed_interval([0.0, 0.0, 0.1], bounds=(0.0, 1.0))
    assert free.low < 0 and cut.low == 0.0 and cut.high == free.high and cut.estimate == free.estimate
    assert seed_interval([1.0, 0.9, 1.0], bounds=(0.0, 1.0)).high == 1.0
    with pytest.raises(ValueError):
        seed_interval([0.5, 1.5], bounds=(0.0, 1.0))


def test_seed_interval_rejects_too_few_or_bad_values():
    for bad in ([1.0], [], [[1.0, 2.0]], [1.0, float("nan")]):
        with pytest.raises(ValueError):
            seed_interval(bad)


def test_bootstrap_interval_matches_normal_theory_and_is_deterministic():
    x = np.random.default_rng(1).normal(5.0, 2.0, size=400)
    iv = bootstrap_interval(x)
    half = 1.959964 * x.std(ddof=1) / math.sqrt(len(x))
    assert iv.estimate == pytest.approx(x.mean())
    assert iv.low == pytest.approx(x.mean() - half, abs=0.1 * half)
    assert iv.high == pytest.approx(x.mean() + half, abs=0.1 * half)
    assert bootstrap_interval(x) == iv
    assert bootstrap_interval(x, seed=1) != iv


def test_bootstrap_interval_uses_the_statistic_and_whole_rows():
    x = np.random.default_rng(2).exponential(1.0, size=300)
    med = bootstrap_interval(x, np.median)
    assert med.estimate == pytest.approx(np.median(x)) and med.estimate < bootstrap_interval(x).estimate - 0.1
    # rows stay whole: the statistic of a 2-column array sees (k, 2) resamples
    pairs = np.stack([x, 2 * x], axis=1)
    ratio = bootstrap_interval(pairs, lambda r: float(r[:, 1].sum() / r[:, 0].sum()))
    assert ratio.low == pytest.approx(2.0) and ratio.high == pytest.approx(2.0)


def test_bootstrap_interval_of_constant_data_is_a_point():
    iv = bootstrap_interval([3.0] * 10)
    assert (iv.low, iv.estimate, iv.high) == (3.0, 3.0, 3.0)


def test_verdict_names_a_winner_only_where_intervals_separate():
    low = Interval(1.0, 0.5, 1.5, 0.95, "x", 5)
    high = Interval(3.0, 2.5, 3.5, 0.95, "x", 5)
    touching = Interval(2.0, 1.5, 2.5, 0.95, "x", 5)
    # higher is better: the higher one wins, whichever side it is given on
    assert verdict(high, low, names=("H", "L"), higher_is_better=True).winner == "H"
    assert verdict(low, high, names=("L", "H"), higher_is_better=True).winner == "H"
    # lower is better (distances, losses): the other way round
    v = verdict(high, low, names=("H", "L"), higher_is_better=False)
    assert (v.winner, v.loser) == ("L", "H") and v.decided
    # sharing even one point: no winner
    assert verdict(low, touching, higher_is_better=True).winner is None
    assert not verdict(touching, high, higher_is_better=False).decided
    with pytest.raises(ValueError):
        verdict(low, Interval(3.0, 2.5, 3.5, 0.9, "x", 5), higher_is_better=True)


def test_interval_must_contain_its_estimate_and_formats():
    with pytest.raises(ValueError):
        Interval(2.0, 0.0, 1.0, 0.95, "x", 3)
    assert Interval(0.5, 0.25, 0.75, 0.95, "x", 3).format(2) == "0.50 [0.25, 0.75]"


def test_bootstrap_interval_multi_resamples_each_set_on_its_own():
    from course_lib.stats import bootstrap_interval_multi

    rng = np.random.default_rng(3)
    a, b = rng.normal(0.0, 1.0, 400), rng.normal(1.0, 3.0, 100)
    iv = bootstrap_interval_multi((a, b), lambda x, y: float(y.mean() - x.mean()))
    half = 1.959964 * math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    assert iv.estimate == pytest.approx(b.mean() - a.mean())
    assert iv.high - iv.low == pytest.approx(2 * half, rel=0.15)
    # a set that does not vary contributes no width: only b's noise is left
    iv_b = bootstrap_interval_multi((np.zeros(400), b), lambda x, y: float(y.mean() - x.mean()))
    assert iv_b.high - iv_b.low == pytest.approx(2 * 1.959964 * b.std(ddof=1) / 10, rel=0.15)


@pytest.mark.parametrize("n", [2, 7, 300, 10_000])
def test_the_mean_in_one_vectorised_call_gives_the_interval_of_one_call_per_resample(n):
    """The default statistic (the mean) runs on all resamples of a batch at once; any other statistic is called once
    per resample. The two must give the very same interval (same resamples, same sums), to the last bit."""
    rng = np.random.default_rng(n)
    for x in (rng.random(n), (rng.random(n) > 0.9).astype(float) + rng.random(n) * 1e-3):
        for method in ("BCa", "percentile"):
            fast = bootstrap_interval(x, method=method, seed=4)
            one_by_one = bootstrap_interval(x, lambda v: float(np.mean(v)), method=method, seed=4)
            assert (fast.low, fast.estimate, fast.high) == (one_by_one.low, one_by_one.estimate, one_by_one.high)


def test_interval_row_is_row_intervals_inverse_at_full_precision() -> None:
    """A study row keeps every bit of its interval, so the book prints what the interval prints: stored to 4
    decimals, a share of 0.72349 would become 0.7235 and print as 0.724 where the interval prints 0.723."""
    from course_lib.stats import interval_row, row_interval, seed_interval
    iv = seed_interval([0.7231, 0.7238, 0.72345, 0.7232, 0.72395], bounds=(0.0, 1.0))
    for measure, keys in (("fd", ("fd", "fd_low", "fd_high")), ("kl", ("kl_to_uniform", "kl_low", "kl_high")),
                          ("recognisable", ("recognisable", "recognisable_low", "recognisable_high"))):
        row = interval_row(iv, measure)
        assert tuple(row) == keys
        assert row_interval({**row, "draws": iv.n}, measure) == iv     # every bit, and the right keys
    edge = seed_interval([0.72348, 0.72350], bounds=(0.0, 1.0))      # mean 0.72349
    row = interval_row(edge, "recognisable")
    assert row_interval({**row, "draws": 2}, "recognisable").format(3) == edge.format(3)
    assert f"{row['recognisable']:.3f}" == "0.723" and f"{round(row['recognisable'], 4):.3f}" == "0.724"
    with pytest.raises(ValueError, match="measure must be one of"):
        interval_row(iv, "FD")
