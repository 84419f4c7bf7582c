"""The learners' self-checks (course_lib.selfcheck, course_lib.exercises): each says right to a right answer,
close to a near miss and wrong to the plausible mistakes its hints name, and never prints the answer.

tests/test_solutions.py runs every check against the chapter's real state, before its solution (not right) and
after it (right); here the checks get small namespaces built by hand, so that each outcome is reached.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import selfcheck
from course_lib.exercises import REGISTRY, _alpha_bars, _gap_1d, self_checks
from course_lib.models import diffusion as D
from course_lib.responsible import membership


def status(chapter: int, number: int, ns: dict, lang: str = "en") -> selfcheck.Verdict:
    return self_checks(chapter, ns, lang).verdict(number)


# ------------------------------------------------------------------------------------------- the machinery


def test_compare_says_right_close_and_wrong():
    selfcheck.compare("x", 1.0 + 1e-9, 1.0, right=1e-6, close=1e-2)
    with pytest.raises(selfcheck.Close):
        selfcheck.compare("x", 1.001, 1.0, right=1e-6, close=1e-2)
    with pytest.raises(selfcheck.Wrong):
        selfcheck.compare("x", 1.1, 1.0, right=1e-6, close=1e-2)
    # relative: 1e-3 off a value of 1,000 is right at a relative tolerance of 1e-5 ...
    selfcheck.compare("x", 1000.001, 1000.0, right=1e-5, close=1e-2, relative=True)
    # ... and wrong at the same absolute one
    with pytest.raises(selfcheck.Close):
        selfcheck.compare("x", 1000.001, 1000.0, right=1e-5, close=1e-2)
    # the worst element decides, not the mean
    with pytest.raises(selfcheck.Wrong):
        selfcheck.compare("x", [1.0, 1.0, 2.0], [1.0, 1.0, 1.0], right=1e-6, close=0.5)
    with pytest.raises(ValueError, match="right <= close"):
        selfcheck.compare("x", 1.0, 1.0, right=0.1, close=0.01)


def test_the_hints_never_print_the_answer():
    want = 0.123456789
    for got in (0.1235, 0.5):
        with pytest.raises((selfcheck.Close, selfcheck.Wrong)) as outcome:
            selfcheck.compare("x", got, want, right=1e-6, close=1e-2)
        for text in outcome.value.hint.values():
            assert "0.123" not in text and "1.23" not in text, text


def test_as_array_explains_shape_type_and_nan():
    assert selfcheck.as_array("t", torch.ones(2, 3), (2, -1)).shape == (2, 3)
    with pytest.raises(selfcheck.Wrong, match=r"shape \(2, 3\); the check expects \(3,\)"):
        selfcheck.as_array("t", torch.ones(2, 3), (3,))
    with pytest.raises(selfcheck.Wrong, match="should hold numbers"):
        selfcheck.as_array("t", {"a": 1})
    with pytest.raises(selfcheck.Wrong, match="NaN"):
        selfcheck.as_array("t", [1.0, math.nan])
    with pytest.raises(selfcheck.Wrong) as outcome:
        selfcheck.as_array("t", torch.ones(2), ())
    assert "形状" in outcome.value.hint["zh"]


def test_a_missing_name_is_unanswered_and_all_missing_names_are_named():
    v = status(3, 1, {"m1": 0.0})
    assert v.status == "unanswered"
    assert all(f"`{n}`" in v.hint for n in ("s1", "m2", "s2", "by_hand")) and "`m1`" not in v.hint


def test_the_listing_and_the_verdict_speak_the_readers_language(capsys):
    check = self_checks(7, {}, "zh")
    check()
    out = capsys.readouterr().out
    assert out.startswith("自测") and "check(1) `snr_mid`、`t_half`：" in out
    check(1)
    assert capsys.readouterr().out.startswith("练习 1：尚未作答——请先定义")
    check = self_checks(7, {}, "en")
    check(1)
    assert capsys.readouterr().out.startswith("Exercise 1: not answered yet — define `snr_mid`, `t_half` first")
    with pytest.raises(ValueError, match="lang"):
        self_checks(7, {}, "fr")


def test_an_exercise_without_a_check_is_a_clear_message_not_a_traceback(capsys):
    self_checks(7, {}, "en")(9)
    assert "Exercise 9 of chapter 7 has no self-check; the exercises with one: 1." in capsys.readouterr().out
    with pytest.raises(ValueError):
        self_checks(7, {}, "en").verdict(9)
    self_checks(5, {}, "en")()
    assert "No exercise of chapter 5 has a self-check." in capsys.readouterr().out


def test_an_answer_of_an_unexpected_type_is_wrong_with_a_reason():
    v = status(2, 2, {"c_of_theta": lambda theta: "a string"})
    assert v.status == "wrong" and "could not read your answer" in v.hint


def test_registering_an_exercise_twice_fails():
    with pytest.raises(ValueError, match="has a check already"):
        selfcheck.exercise(2, 1, reads=("x",), en="", zh="")(lambda ns: None)
    with pytest.raises(ValueError, match="at least one name"):
        selfcheck.exercise(99, 1, reads=(), en="", zh="")


def test_every_check_says_what_it_reads_in_both_languages():
    for chapter, checks in REGISTRY.items():
        for n, ex in checks.items():
            assert ex.what["en"] and any("\u4e00" <= c <= "\u9fff" for c in ex.what["zh"]), (chapter, n)


# ------------------------------------------------------------------------------------------- the checks


def test_ch0_ink_per_image():
    x = torch.rand(50, 1, 28, 28)
    x[0, 0, 0, :3] = 0.5  # pixels exactly at the threshold tell > from >=
    right = (x > 0.5).flatten(1).sum(1)
    assert status(0, 1, {"ink": right, "x_train": x}).right
    assert status(0, 1, {"ink": (x >= 0.5).flatten(1).sum(1), "x_train": x}).status == "close"
    v = status(0, 1, {"ink": torch.arange(10.0), "x_train": x})
    assert v.status == "wrong" and "one count per training image" in v.hint
    assert status(0, 1, {"ink": right.flip(0), "x_train": x}).status == "wrong"


def test_ch2_crossings_are_the_roots_of_p_data_minus_p_g():
    xs = np.linspace(-4, 4, 801)
    diff = _gap_1d(xs)
    right = xs[:-1][np.sign(diff[:-1]) != np.sign(diff[1:])]
    assert len(right) == 4 and status(2, 1, {"crossings": right}).right
    # only the crossings between the modes: the tails are missed
    assert "tails" in status(2, 1, {"crossings": right[1:3]}).hint
    assert status(2, 1, {"crossings": right + 0.05}).status == "close"
    assert status(2, 1, {"crossings": right + 0.5}).status == "wrong"


def test_ch2_c_of_theta():
    def closed(theta):
        return -(1 - min(theta, 1)) * math.log(4)

    assert status(2, 2, {"c_of_theta": closed}).right
    assert "sign" in status(2, 2, {"c_of_theta": lambda t: -closed(t)}).hint
    assert "both terms" in status(2, 2, {"c_of_theta": lambda t: closed(t) / 2}).hint
    assert "do not overlap" in status(2, 2, {"c_of_theta": lambda t: -(1 - t / 2) * math.log(4)}).hint
    assert status(2, 2, {"c_of_theta": lambda t: closed(t) * 1.01}).status == "close"
    assert "function" in status(2, 2, {"c_of_theta": -1.386}).hint


def test_ch2_non_saturating_gradient():
    l = torch.tensor([-8.0], requires_grad=True)
    (g,) = torch.autograd.grad(-torch.nn.functional.logsigmoid(l).sum(), l)
    assert status(2, 3, {"g": g}).right and status(2, 3, {"g": float(g)}).right
    (g_sat,) = torch.autograd.grad(torch.log1p(-torch.sigmoid(l)).sum(), l)
    assert "saturating" in status(2, 3, {"g": g_sat}).hint
    assert "sign" in status(2, 3, {"g": -g}).hint
    assert status(2, 3, {"g": torch.ones(3)}).status == "wrong"
    assert status(2, 3, {"g": torch.Generator()}).status == "wrong"  # chapter 2 also calls a generator g


def test_ch3_kl_of_two_gaussians():
    m1, s1, m2, s2 = 0.3, 0.7, -1.0, 1.5
    kl = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    ns = {"m1": m1, "s1": s1, "m2": m2, "s2": s2}
    assert status(3, 1, {**ns, "by_hand": kl}).right
    assert status(3, 1, {**ns, "by_hand": kl * 1.001}).status == "close"
    reverse = math.log(s1 / s2) + (s2**2 + (m1 - m2) ** 2) / (2 * s1**2) - 0.5
    assert "KL(N2 || N1)" in status(3, 1, {**ns, "by_hand": reverse}).hint
    # the special case N(0, 1) must not pass for general Gaussians
    assert status(3, 1, {**ns, "by_hand": 0.5 * (m1**2 + s1**2 - 1 - math.log(s1**2))}).status == "wrong"
    assert status(3, 1, {**ns, "s2": s1, "m2": m1, "by_hand": 0.0}).status == "wrong"


def test_ch3_baseline_estimator():
    g = torch.Generator().manual_seed(0)
    exact = torch.tensor([1.0, -2.0])
    g_sf = exact + 10 * torch.randn(5000, 2, generator=g)
    ns = {"exact": exact, "g_sf": g_sf}
    assert status(3, 2, {**ns, "g_base": exact + 2 * torch.randn(5000, 2, generator=g)}).right
    assert "biased" in status(3, 2, {**ns, "g_base": exact + 1 + 2 * torch.randn(5000, 2, generator=g)}).hint
    assert "variance" in status(3, 2, {**ns, "g_base": exact + 20 * torch.randn(5000, 2, generator=g)}).hint
    assert "1,000" in status(3, 2, {**ns, "g_base": exact + torch.randn(100, 2, generator=g)}).hint
    assert status(3, 2, {**ns, "g_base": torch.randn(5000, 3, generator=g)}).status == "wrong"


def test_ch3_iwae_gap():
    table = [("-ELBO", torch.tensor([100.0, 102.0])), ("-L_100 (IWAE)", torch.tensor([99.0, 100.0])),
             ("grid 1", torch.tensor([98.0, 99.0])), ("grid 2", torch.tensor([98.2, 99.0]))]
    # -ELBO 101, -L_100 99.5, -log p(x) 98.5 or 98.6: gap 2.5 or 2.4, recovered 1.5
    assert status(3, 3, {"table": table, "gap": 2.5, "recovered": 1.5}).right
    assert status(3, 3, {"table": table, "gap": 2.4, "recovered": 1.5}).right
    assert status(3, 3, {"table": table, "gap": 2.5, "recovered": 1.55}).status == "close"
    assert "part of the gap" in status(3, 3, {"table": table, "gap": 1.5, "recovered": 2.5}).hint
    assert "positive" in status(3, 3, {"table": table, "gap": -2.5, "recovered": -1.5}).hint
    assert status(3, 3, {"table": table, "gap": 3.0, "recovered": 1.5}).status == "wrong"


def test_ch4_word_perplexity():
    h = 2.1
    assert status(4, 2, {"gpt_bpc": h, "word_ppl": 2 ** (6.5 * h)}).right
    assert "space" in status(4, 2, {"gpt_bpc": h, "word_ppl": 2 ** (5.5 * h)}).hint
    assert "base is 2" in status(4, 2, {"gpt_bpc": h, "word_ppl": math.exp(6.5 * h)}).hint
    # H as printed (three decimals) is right; rounded to two it is near, not right
    assert status(4, 2, {"gpt_bpc": h + 0.0005, "word_ppl": 2 ** (6.5 * h)}).right
    assert status(4, 2, {"gpt_bpc": h + 0.01, "word_ppl": 2 ** (6.5 * h)}).status == "close"


def test_ch4_top_p_counts():
    assert status(4, 4, {"keep_80": 2, "keep_81": 3}).right
    assert "reaches" in status(4, 4, {"keep_80": 3, "keep_81": 3}).hint
    assert status(4, 4, {"keep_80": 2, "keep_81": 2}).status == "wrong"
    assert status(4, 4, {"keep_80": [0, 1], "keep_81": 3}).status == "wrong"


def test_ch6_tpr_at_one_percent_fpr():
    g = torch.Generator().manual_seed(0)
    roc = membership.roc_curve(torch.randn(500, generator=g) + 1, torch.randn(500, generator=g))
    want = membership.tpr_at_fpr(roc, 0.01)
    assert status(6, 2, {"vae_roc": roc, "by_hand": want}).right
    assert status(6, 2, {"vae_roc": roc, "by_hand": want + 0.01}).status == "close"
    assert status(6, 2, {"vae_roc": roc, "by_hand": want + 0.1}).status == "wrong"
    assert "[0, 1]" in status(6, 2, {"vae_roc": roc, "by_hand": 1.5}).hint


def test_ch7_schedule_formulas_agree_with_the_library():
    for name, schedule in (("linear", D.linear_schedule(1000)), ("cosine", D.cosine_schedule(1000))):
        np.testing.assert_allclose(_alpha_bars(name), schedule.alpha_bars.numpy(), rtol=1e-12)


def test_ch7_snr_and_half_point():
    snr_mid = [float(D.snr(s)[499]) for s in (D.linear_schedule(1000), D.cosine_schedule(1000))]
    t_half = [int((s.alpha_bars < 0.5).nonzero()[0]) for s in (D.linear_schedule(1000), D.cosine_schedule(1000))]
    assert status(7, 1, {"snr_mid": snr_mid, "t_half": t_half}).right
    assert "off by one" in status(7, 1, {"snr_mid": snr_mid, "t_half": [t + 1 for t in t_half]}).hint
    shifted = [float(D.snr(s)[498]) for s in (D.linear_schedule(1000), D.cosine_schedule(1000))]
    assert status(7, 1, {"snr_mid": shifted, "t_half": t_half}).status == "close"
    assert status(7, 1, {"snr_mid": snr_mid[::-1], "t_half": t_half}).status == "wrong"
    assert status(7, 1, {"snr_mid": snr_mid, "t_half": t_half[:1]}).status == "wrong"
