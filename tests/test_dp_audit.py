"""course_lib.responsible.dp_audit: empirical lower bounds on ε, checked against closed forms and exact mechanisms."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from course_lib.responsible import dp_audit as A


def _perfect(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every member scores 1, every non-member 0: a perfect attack (ties make the split irrelevant)."""
    return np.ones(n), np.zeros(n)


def _closed_form(n_bound: int, a: float, delta: float) -> float:
    """ε of a perfect attack bounded on n_bound members and n_bound non-members, each bound one-sided at a."""
    return math.log((a ** (1 / n_bound) - delta) / (1 - a ** (1 / n_bound)))


def test_clopper_pearson_one_sided_against_the_binomial_tail():
    # the upper bound p solves P[Binomial(n, p) <= k] = alpha: one-sided, at alpha (not alpha / 2)
    for k, n, alpha in ((0, 10, 0.05), (3, 50, 0.025), (17, 200, 0.01)):
        p = float(A.clopper_pearson_upper(k, n, alpha))
        assert binom.cdf(k, n, p) == pytest.approx(alpha, rel=1e-6)
        lo = float(A.clopper_pearson_lower(k, n, alpha))
        assert lo <= k / n < p
        if k > 0:
            assert binom.sf(k - 1, n, lo) == pytest.approx(alpha, rel=1e-6)  # P[Binomial(n, lo) >= k] = alpha
        else:
            assert lo == 0
    assert float(A.clopper_pearson_upper(5, 5, 0.05)) == 1.0
    assert float(A.clopper_pearson_upper(0, 1000, 0.025)) == pytest.approx(1 - 0.025 ** (1 / 1000))


def test_perfect_attack_on_1000_digits_gives_the_closed_form():
    s_in, s_out = _perfect(1000)
    split = A.epsilon_lower_bound(s_in, s_out, delta=0.0, level=0.95)
    # split: 500 and 500 bounded, each rate one-sided at 2.5 %: log(a^(1/500) / (1 - a^(1/500))) = 4.9056
    assert split.epsilon == pytest.approx(_closed_form(500, 0.025, 0.0), abs=1e-9)
    assert split.epsilon == pytest.approx(4.9056, abs=1e-4)
    assert (split.members, split.nonmembers, split.direction) == (500, 500, "tpr/fpr")
    assert split.tpr_low == pytest.approx(0.025 ** (1 / 500)) and split.fpr_high == pytest.approx(1 - 0.025 ** (1 / 500))
    # Bonferroni: all 1,000 + 1,000 bounded, at 2.5 % divided by the 2 distinct scores tried
    bonf = A.epsilon_lower_bound(s_in, s_out, delta=0.0, level=0.95, selection="bonferroni")
    assert bonf.tried == 2
    assert bonf.epsilon == pytest.approx(_closed_form(1000, 0.025 / 2, 0.0), abs=1e-9)
    assert A.max_auditable_epsilon(1000, delta=0.0) == pytest.approx(split.epsilon, abs=1e-9)
    # about log n: far below an accountant's ε = 8 for n = 1,000, whatever the attack
    assert split.epsilon < math.log(1000) < 8


def test_delta_is_subtracted_from_the_tpr():
    s_in, s_out = _perfect(1000)
    for delta in (1e-3, 0.05):
        b = A.epsilon_lower_bound(s_in, s_out, delta=delta)
        assert b.epsilon == pytest.approx(_closed_form(500, 0.025, delta), abs=1e-9)
        assert b.epsilon < A.epsilon_lower_bound(s_in, s_out, delta=0.0).epsilon
    assert A.max_auditable_epsilon(1000, delta=0.05) == pytest.approx(_closed_form(500, 0.025, 0.05), abs=1e-9)


def test_higher_confidence_gives_a_lower_bound():
    s_in, s_out = _perfect(1000)
    assert A.epsilon_lower_bound(s_in, s_out, delta=0, level=0.99).epsilon == pytest.approx(
        _closed_form(500, 0.005, 0.0), abs=1e-9)


def test_no_signal_proves_nothing_and_reversed_scores_prove_nothing():
    rng = np.random.default_rng(0)
    for seed in range(5):
        x, y = rng.normal(size=1000), rng.normal(size=1000)
        assert A.epsilon_lower_bound(x, y, delta=1e-3, seed=seed).epsilon < 0.25
        assert A.epsilon_lower_bound(x, y, delta=1e-3, selection="bonferroni").epsilon == 0.0
        assert A.one_run_epsilon_lower_bound(x, y, delta=0.0).epsilon < 0.25
    # members scoring *lower* are not evidence for "score >= t means member": no absolute value taken
    s_in, s_out = _perfect(1000)
    assert A.epsilon_lower_bound(s_out, s_in, delta=0.0, two_sided=False).epsilon == 0.0
    assert A.one_run_epsilon_lower_bound(s_out, s_in, delta=0.0).epsilon == 0.0


def test_tpr_and_fpr_are_not_swapped():
    # 30 % of members above the threshold, 1 % of non-members: the bound uses log(TPR_lo / FPR_hi) > 0
    n = 20000
    s_in = np.r_[np.ones(int(0.3 * n)), np.zeros(n - int(0.3 * n))]
    s_out = np.r_[np.ones(int(0.01 * n)), np.zeros(n - int(0.01 * n))]
    b = A.epsilon_lower_bound(s_in, s_out, delta=0.0, two_sided=False)
    assert b.direction == "tpr/fpr" and b.threshold == 0.5  # midway between the two scores
    assert 0.28 < b.tpr_low < 0.3 and 0.01 < b.fpr_high < 0.013
    assert b.epsilon == pytest.approx(math.log(b.tpr_low / b.fpr_high), abs=1e-12)
    assert math.log(0.28 / 0.013) < b.epsilon < math.log(30)


@pytest.mark.parametrize("eps", [0.5, 1.0, 2.0, 4.0])
def test_randomized_response_never_beats_its_epsilon_and_approaches_it(eps):
    # randomized response is exactly eps-DP; at 95 % the audit may exceed eps in at most about 5 % of runs
    over = sum(A.epsilon_lower_bound(*A.randomized_response_scores(eps, 2000, seed=s), delta=0.0, seed=s).epsilon > eps
               for s in range(20))
    assert over <= 2
    big = A.epsilon_lower_bound(*A.randomized_response_scores(eps, 1_000_000, seed=0), delta=0.0)
    assert eps - 0.1 < big.epsilon <= eps


def test_gaussian_mechanism_bound_stays_below_its_exact_epsilon():
    # scores N(mu, 1) for members, N(0, 1) for non-members: a mu-GDP mechanism, (eps, delta)-DP on the exact curve
    # delta(eps) = Phi(-eps / mu + mu / 2) - e^eps Phi(-eps / mu - mu / 2) (Dong, Roth & Su); solve it for delta = 1e-3
    from scipy.optimize import brentq

    mu, delta = 2.0, 1e-3
    eps = brentq(lambda e: norm.cdf(-e / mu + mu / 2) - math.exp(e) * norm.cdf(-e / mu - mu / 2) - delta, 0, 20)
    rng = np.random.default_rng(1)
    lbs = [A.epsilon_lower_bound(rng.normal(mu, 1, 5000), rng.normal(0, 1, 5000), delta=delta, seed=s).epsilon
           for s in range(10)]
    assert max(lbs) <= eps and min(lbs) > 1.0


def test_one_run_p_value_is_the_binomial_tail_at_delta_zero():
    m, r, v, eps = 1000, 100, 70, 0.5
    q = math.exp(eps) / (1 + math.exp(eps))
    assert A.one_run_p_value(m, r, v, eps, 0.0) == pytest.approx(binom.sf(v - 1, r, q), rel=1e-12)
    # the delta term adds 2 m delta max_i (P[Bin >= v - i] - P[Bin >= v]) / i
    gain = max((binom.sf(v - i - 1, r, q) - binom.sf(v - 1, r, q)) / i for i in range(1, v + 1))
    assert A.one_run_p_value(m, r, v, eps, 1e-5) == pytest.approx(binom.sf(v - 1, r, q) + 2 * m * 1e-5 * gain, rel=1e-9)


def test_one_run_bound_perfect_guesses_closed_form():
    # r guesses all right at delta = 0: the bound solves q^r = alpha, q = e^eps / (1 + e^eps)
    r, alpha = 400, 0.05 / 4
    q = alpha ** (1 / r)
    expected = math.log(q / (1 - q))
    s_in, s_out = _perfect(1000)
    b = A.one_run_epsilon_lower_bound(s_in, s_out, delta=0.0, k=(25, 50, 100, 200))
    assert (b.guesses, b.correct, b.tried) == (400, 400, 4)
    assert b.epsilon == pytest.approx(expected, abs=1e-5)
    # delta = 1 / N with m = 2,000 canaries (m delta = 2) leaves nothing provable; a small delta costs little
    assert A.one_run_epsilon_lower_bound(s_in, s_out, delta=1e-3).epsilon == 0.0
    assert expected - 0.2 < A.one_run_epsilon_lower_bound(s_in, s_out, delta=1e-5).epsilon < expected


def test_one_run_never_beats_randomized_response():
    for eps in (1.0, 3.0):
        over = 0
        for s in range(10):
            # canaries in by a fair coin; the score is the randomized-response output plus a tie-breaking jitter
            rng = np.random.default_rng(s)
            included = rng.random(2000) < 0.5
            q = 1 / (1 + math.exp(-eps))
            out = np.where(included, rng.random(2000) < q, rng.random(2000) >= q) + 1e-3 * rng.random(2000)
            over += A.one_run_epsilon_lower_bound(out[included], out[~included], delta=0.0).epsilon > eps
        assert over <= 1


def test_bad_arguments():
    with pytest.raises(ValueError):
        A.epsilon_lower_bound([1.0, 2.0], [0.0, 1.0], delta=0.0, selection="best")
    with pytest.raises(ValueError):
        A.epsilon_lower_bound([1.0, 2.0], [0.0, 1.0], delta=0.0, level=1.0)
    with pytest.raises(ValueError):
        A.epsilon_lower_bound([1.0, float("nan")], [0.0, 1.0], delta=0.0)
    with pytest.raises(ValueError):
        A.one_run_epsilon_lower_bound([1.0, 2.0], [0.0, 1.0], delta=0.0, k=(3,))
    with pytest.raises(ValueError):
        A.one_run_p_value(10, 5, 6, 1.0, 0.0)
