"""The self-checks of the book's exercises whose answer is a number or a tensor (the machinery is
:mod:`course_lib.selfcheck`).

A chapter sets its ``check`` up after the exercise list::

    from course_lib.exercises import self_checks
    check = self_checks(2, globals(), lang="en")
    check()       # which exercises have a check, and the names each reads
    check(3)      # after exercise 3: right, close or wrong, with a hint

Each check below reads the learner's names and computes what it compares them with on its own — a closed form,
a root found by bisection, the library's reference function — not from the book's solution, and its hints say
where to look, never what the answer is. ``tests/test_solutions.py`` runs every check on the chapter's state
before the solution (it must not say *right*) and after it (it must), and ``tests/test_selfcheck.py`` feeds each
one the plausible mistakes its hints name.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .responsible import membership
from .selfcheck import REGISTRY, Close, SelfChecks, Wrong, as_array, compare, exercise, read

__all__ = ["self_checks", "REGISTRY"]


def self_checks(chapter: int, namespace: Mapping[str, Any], lang: str = "en") -> SelfChecks:
    """The chapter's ``check``: ``check = self_checks(3, globals(), lang="en")``; ``check()`` lists what each
    exercise's check reads, ``check(n)`` gives the verdict on exercise ``n``."""
    return SelfChecks(chapter, namespace, lang)


def _near(value: Any, want: float, rel: float = 1e-6) -> bool:
    return abs(float(value) - want) <= rel * max(1.0, abs(want))


# ---------------------------------------------------------------------------------------------- chapter 0


@exercise(0, 1, reads=("ink",), en="for each training image, in the order of `x_train`, its number of pixels above 0.5",
          zh="每张训练图像（按 `x_train` 的顺序）中取值大于 0.5 的像素个数")
def _ink(ns: Mapping[str, Any]) -> None:
    ink, x_train = read(ns, "ink", "x_train")
    images = x_train.detach().cpu().flatten(1)
    got = as_array("ink", ink)
    if got.ndim == 1 and len(got) == 10:
        raise Wrong("`ink` has 10 numbers: keep one count per training image; the averages per digit come from it",
                    "`ink` 只有 10 个数：请为每张训练图像保留一个计数，每类数字的平均值由它再求出")
    got = as_array("ink", ink, (len(images),))
    if np.array_equal(got, (images >= 0.5).sum(1).double().numpy()) and not np.array_equal(
            got, (images > 0.5).sum(1).double().numpy()):
        raise Close("you counted pixels >= 0.5; the exercise counts those strictly above 0.5",
                    "你统计的是 >= 0.5 的像素；练习要求严格大于 0.5")
    compare("ink", got, (images > 0.5).sum(1).double().numpy(), right=0.0, close=0.0)


# ---------------------------------------------------------------------------------------------- chapter 2


def _gap_1d(x: np.ndarray) -> np.ndarray:
    """p_data − p_g of chapter 2's one-dimensional pair, from the densities' definitions."""
    def pdf(v: np.ndarray, mu: float, s: float) -> np.ndarray:
        return np.exp(-0.5 * ((v - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    return 0.5 * pdf(x, -1.5, 0.5) + 0.5 * pdf(x, 1.0, 0.6) - pdf(x, 0.0, 1.5)


def _roots(f: Any, lo: float, hi: float, n: int = 80_001) -> np.ndarray:
    """Every sign change of ``f`` on a fine grid of [lo, hi], refined by 60 bisections."""
    x = np.linspace(lo, hi, n)
    v = f(x)
    i = np.nonzero(np.sign(v[:-1]) * np.sign(v[1:]) < 0)[0]
    a, b = x[i], x[i + 1]
    for _ in range(60):
        m = (a + b) / 2
        left = np.sign(f(a)) * np.sign(f(m)) <= 0
        a, b = np.where(left, a, m), np.where(left, m, b)
    return (a + b) / 2


@exercise(2, 1, reads=("crossings",), en="the points of [-4, 4] where D*(x) = 1/2, to within the grid step of `xs`",
          zh="[-4, 4] 中 D*(x) = 1/2 的点，精确到 `xs` 的网格间距")
def _crossings(ns: Mapping[str, Any]) -> None:
    got = np.sort(as_array("crossings", read(ns, "crossings")).reshape(-1))
    roots = _roots(_gap_1d, -4.0, 4.0)
    if len(got) != len(roots):
        raise Wrong(f"you found {len(got)} point(s): D* = 1/2 wherever p_data = p_g, so count every sign change of "
                    "p_data - p_g over [-4, 4], in the tails as well as between the modes",
                    f"你找到 {len(got)} 个点：凡是 p_data = p_g 的地方都有 D* = 1/2，请数出 p_data - p_g 在 [-4, 4] 上的每一次变号，"
                    "两侧尾部和两个模式之间都要看")
    compare("crossings", got, roots, right=0.02, close=0.1)


@exercise(2, 2, reads=("c_of_theta",), en="a function of θ: C(G) for p_g uniform on [θ, θ + 1], in closed form",
          zh="θ 的函数：p_g 为 [θ, θ + 1] 上的均匀分布时 C(G) 的闭式解")
def _c_of_theta(ns: Mapping[str, Any]) -> None:
    f = read(ns, "c_of_theta")
    if not callable(f):
        raise Wrong("`c_of_theta` should be a function: it takes theta and returns C(G)",
                    "`c_of_theta` 应当是一个函数：输入 theta，返回 C(G)")
    thetas = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
    got = np.array([float(f(t)) for t in thetas])
    overlap = np.array([1 - min(t, 1.0) for t in thetas])
    want = -overlap * math.log(4)
    if np.allclose(got, -want, atol=1e-3) and not np.allclose(got, want, atol=1e-3):
        raise Wrong("mind the sign: log D* <= 0 and log(1 - D*) <= 0, so C(G) <= 0",
                    "注意符号：log D* <= 0，log(1 - D*) <= 0，所以 C(G) <= 0")
    if np.allclose(got, want / 2, atol=1e-3):
        raise Wrong("on the overlap both terms of C(G) contribute log(1/2), not just one",
                    "在重叠部分，C(G) 的两项都贡献 log(1/2)，不只是一项")
    if np.abs(got[thetas.index(1.5):]).max() > 1e-3:
        raise Wrong("for theta > 1 the two intervals do not overlap: where is D* neither 0 nor 1 then?",
                    "theta > 1 时两个支撑集不相交：这时 D* 在哪里既不是 0 也不是 1？")
    compare("c_of_theta(theta)", got, want, right=1e-3, close=0.05)


@exercise(2, 3, reads=("g",), en="the gradient of the non-saturating loss at l = -8 (the last one your loop computes)",
          zh="非饱和损失在 l = -8 处的梯度（循环最后计算的那个）")
def _ns_gradient(ns: Mapping[str, Any]) -> None:
    g = as_array("g", read(ns, "g")).reshape(-1)
    if len(g) != 1:
        raise Wrong("`g` should be one number: the gradient at the single logit l = -8",
                    "`g` 应当是一个数：在单个 logit l = -8 处的梯度")
    sig = 1 / (1 + math.exp(8.0))
    if _near(g[0], -sig):
        raise Wrong("that is the saturating loss's gradient, -sigmoid(l); the exercise ends with the non-saturating one",
                    "这是饱和损失的梯度 -sigmoid(l)；练习最后要的是非饱和损失的梯度")
    if _near(g[0], 1 - sig):
        raise Wrong("mind the sign: -log sigmoid(l) falls as l grows", "注意符号：-log sigmoid(l) 随 l 增大而减小")
    compare("g", g, [sig - 1], right=1e-5, close=1e-2)


# ---------------------------------------------------------------------------------------------- chapter 3


@exercise(3, 1, reads=("m1", "s1", "m2", "s2", "by_hand"),
          en="two different Gaussians N(m1, s1²), N(m2, s2²) and `by_hand`, your closed form of KL(N1 || N2)",
          zh="两个不同的高斯分布 N(m1, s1²)、N(m2, s2²)，以及 `by_hand`：你推导出的 KL(N1 || N2) 闭式解")
def _kl_1d(ns: Mapping[str, Any]) -> None:
    m1, s1, m2, s2, by_hand = (float(v) for v in read(ns, "m1", "s1", "m2", "s2", "by_hand"))
    if min(s1, s2) <= 0 or (m1, s1) == (m2, s2):
        raise Wrong("pick two different Gaussians with positive standard deviations s1, s2",
                    "请选两个不同的高斯分布，标准差 s1、s2 都要为正")
    normal = torch.distributions.Normal
    f64 = torch.float64
    want = float(torch.distributions.kl_divergence(normal(torch.tensor(m1, dtype=f64), torch.tensor(s1, dtype=f64)),
                                                   normal(torch.tensor(m2, dtype=f64), torch.tensor(s2, dtype=f64))))
    reverse = float(torch.distributions.kl_divergence(normal(torch.tensor(m2, dtype=f64), torch.tensor(s2, dtype=f64)),
                                                      normal(torch.tensor(m1, dtype=f64), torch.tensor(s1, dtype=f64))))
    if _near(by_hand, reverse) and not _near(by_hand, want):
        raise Wrong("that is KL(N2 || N1): the expectation is under the first Gaussian",
                    "这是 KL(N2 || N1)：期望是在第一个高斯分布下取的")
    compare("by_hand", by_hand, want, right=1e-6, close=1e-2, relative=True)


@exercise(3, 2, reads=("g_base",), en="one row of gradient estimates w.r.t. (mu, logvar) per sample, on `lin_off` at `x0`",
          zh="在 `lin_off` 和 `x0` 上，每个样本一行对 (mu, logvar) 的梯度估计")
def _baseline(ns: Mapping[str, Any]) -> None:
    g_base, exact, g_sf = read(ns, "g_base", "exact", "g_sf")
    est = as_array("g_base", g_base, (-1, int(exact.shape[0])))
    if len(est) < 1000:
        raise Wrong("use at least 1,000 samples: the variance needs them", "请至少用 1,000 个样本：估计方差需要这么多")
    se = est.std(0, ddof=1) / math.sqrt(len(est))
    z = np.abs((est.mean(0) - exact.detach().double().numpy()) / se)
    if z.max() > 5:
        raise Wrong("the estimator is biased: b must not depend on the sample it multiplies (leave that sample out)",
                    "估计量有偏：b 不能依赖于它所乘的那个样本（把该样本留出）")
    if not (est.var(0, ddof=1) < g_sf.detach().double().numpy().var(0, ddof=1)).all():
        raise Wrong("unbiased, but the baseline does not reduce the score function's variance: is b the mean of f?",
                    "无偏，但基线没有降低得分函数估计量的方差：b 是 f 的均值吗？")


@exercise(3, 3, reads=("gap", "recovered"),
          en="the ELBO gap of section 3.8's table and what k = 100 recovers of it, in nats",
          zh="3.8 节表格中的 ELBO 差距，以及 k = 100 收回的部分，单位奈特")
def _iwae_gap(ns: Mapping[str, Any]) -> None:
    gap, recovered, table = read(ns, "gap", "recovered", "table")
    rows = {label: float(v.double().mean()) for label, v in table}
    if float(gap) <= 0 or float(recovered) <= 0:
        raise Wrong("both are positive: -ELBO is the largest row of the table", "两者都为正：-ELBO 是表中最大的一行")
    if float(recovered) >= float(gap):
        raise Wrong("k = 100 recovers part of the gap, not all of it: L_100 is still a lower bound",
                    "k = 100 只收回差距的一部分：L_100 仍然是下界")
    compare("recovered", recovered, rows["-ELBO"] - rows["-L_100 (IWAE)"], right=0.01, close=0.1)
    # the table's last two rows are -log p(x) on two grids: accept the gap to either
    best = min((rows["-ELBO"] - float(v.double().mean()) for _, v in table[-2:]), key=lambda w: abs(float(gap) - w))
    compare("gap", gap, best, right=0.01, close=0.1)


# ---------------------------------------------------------------------------------------------- chapter 4


@exercise(4, 2, reads=("word_ppl",), en="the per-word perplexity that the shipped GPT's `gpt_bpc` corresponds to",
          zh="与检查点 GPT 的 `gpt_bpc` 相当的每词困惑度")
def _word_perplexity(ns: Mapping[str, Any]) -> None:
    word_ppl, bpc = read(ns, "word_ppl", "gpt_bpc")
    got, h = float(as_array("word_ppl", word_ppl, ())), float(bpc)
    if _near(got, 2 ** (5.5 * h), 1e-2):
        raise Wrong("the space after a word is a character the model predicts too", "单词后面的空格也是模型要预测的字符")
    if _near(got, math.exp(6.5 * h), 1e-2):
        raise Wrong("H is in bits, so the base is 2", "H 的单位是比特，所以底数是 2")
    compare("word_ppl", got, 2 ** (6.5 * h), right=1e-2, close=0.1, relative=True)


@exercise(4, 3, reads=("ya", "yb"), en="the first layer's attention outputs, without the mask, for the two sentences",
          zh="去掉掩码后，第一层注意力对两个句子的输出")
def _no_mask(ns: Mapping[str, Any]) -> None:
    ya, yb, model, mha, x, pos = read(ns, "ya", "yb", "model", "mha", "x", "pos")
    with torch.no_grad():
        q, k, v = mha.split_heads(model.blocks[0].ln1(x))
        full = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v
    a = as_array("ya", ya, tuple(full.shape))
    as_array("yb", yb, tuple(full.shape))
    if np.abs(a - full.double().numpy()).max() > 1e-4:
        raise Wrong("`ya` is not attention over every position: is the causal mask still on?",
                    "`ya` 不是对所有位置的注意力：因果掩码还在吗？")
    moved = (torch.as_tensor(ya) - torch.as_tensor(yb)).abs().amax(dim=(0, 1, 3))
    if float(moved[:int(pos)].min()) <= 1e-6:
        raise Wrong("without the mask every position before the change should move: did `yb` use the second sentence?",
                    "去掉掩码后，改动之前的每个位置都应当变化：`yb` 用的是第二个句子吗？")


@exercise(4, 4, reads=("keep_80", "keep_81"),
          en="how many tokens top-p keeps of (0.5, 0.3, 0.15, 0.05) for p = 0.8 and for p = 0.81",
          zh="对 (0.5, 0.3, 0.15, 0.05)，p = 0.8 和 p = 0.81 时 top-p 各保留几个词元")
def _top_p(ns: Mapping[str, Any]) -> None:
    k80, k81 = (float(as_array(n, v, ())) for n, v in zip(("keep_80", "keep_81"), read(ns, "keep_80", "keep_81")))
    if (k80, k81) == (3.0, 3.0):
        raise Wrong("top-p keeps the smallest set whose probability *reaches* p: is 0.5 + 0.3 enough for p = 0.8?",
                    "top-p 保留的是总概率*达到* p 的最小集合：p = 0.8 时，0.5 + 0.3 够不够？")
    if k80 != 2.0 or k81 != 3.0:
        raise Wrong("sort the probabilities, add them up from the largest, and stop as soon as the sum reaches p",
                    "把概率从大到小排序并逐个累加，累计和一达到 p 就停下")


# ---------------------------------------------------------------------------------------------- chapter 6


@exercise(6, 2, reads=("by_hand",), en="the TPR at 1 % FPR, interpolated by hand between two points of `vae_roc`",
          zh="在 `vae_roc` 的两个点之间手工线性插值得到的、1% 假阳性率下的真阳性率")
def _tpr_at_fpr(ns: Mapping[str, Any]) -> None:
    by_hand, roc = read(ns, "by_hand", "vae_roc")
    got = float(as_array("by_hand", by_hand, ()))
    if not 0.0 <= got <= 1.0:
        raise Wrong("a true-positive rate lies in [0, 1]", "真阳性率在 [0, 1] 之内")
    compare("by_hand", got, membership.tpr_at_fpr(roc, 0.01), right=1e-6, close=0.02)


# ---------------------------------------------------------------------------------------------- chapter 7


def _alpha_bars(name: str, T: int = 1000) -> np.ndarray:
    """ᾱ_t for t = 0 … T from the schedules' formulas (Ho et al. 2020; Nichol & Dhariwal 2021), float64."""
    if name == "linear":
        betas = np.concatenate([[0.0], np.linspace(1e-4, 0.02, T)])
        return np.cumprod(1 - betas)
    f = np.cos((np.arange(T + 1) / T + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.concatenate([[0.0], np.minimum(1 - f[1:] / f[:-1], 0.999)])
    return np.cumprod(1 - betas)


@exercise(7, 1, reads=("snr_mid", "t_half"),
          en="SNR(T/2) of the (linear, cosine) schedules, T = 1000, and the first t where each one's ᾱ_t < 0.5",
          zh="（线性，余弦）两种调度在 T = 1000 时的 SNR(T/2)，以及各自 ᾱ_t < 0.5 的第一个 t")
def _snr(ns: Mapping[str, Any]) -> None:
    snr_mid, t_half = read(ns, "snr_mid", "t_half")
    got_snr, got_t = as_array("snr_mid", snr_mid, (2,)), as_array("t_half", t_half, (2,))
    bars = [_alpha_bars("linear"), _alpha_bars("cosine")]
    with np.errstate(divide="ignore"):  # t = 0: the data itself, SNR infinite
        snr = [ab / (1 - ab) for ab in bars]
    want_snr = np.array([s[500] for s in snr])
    want_t = np.array([float(np.nonzero(ab < 0.5)[0][0]) for ab in bars])
    for off in (-1, 1):
        if np.allclose(got_snr, [s[500 + off] for s in snr], rtol=1e-6) or np.array_equal(got_t, want_t + off):
            raise Close("off by one step: t runs from 1 to T, and index 0 of `alpha_bars` is t = 0",
                        "差了一步：t 从 1 到 T，`alpha_bars` 的下标 0 对应 t = 0")
    compare("snr_mid", got_snr, want_snr, right=1e-6, close=1e-2, relative=True)
    compare("t_half", got_t, want_t, right=0.0, close=0.0)
