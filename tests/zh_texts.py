"""Every Chinese text of the book, cut into pieces that say where they come from.

Used by tests/test_terms.py (glossary terms) and tests/test_zh_typography.py (typography). A piece is
``(where, kind, text)``; ``kind`` is one of

* ``prose``   — a markdown cell of a zh notebook, or a page in book/zh (code spans, code blocks, math,
                link targets, HTML tags and MyST directive lines removed);
* ``string``  — a string literal in a zh code cell (the zh side of ``T(...)``: titles, axis labels, prints);
* ``comment`` — a comment in a zh code cell;
* ``output``  — text a zh notebook printed (stream, text/plain, text/html).
"""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat

from conftest import ROOT

ZH_NOTEBOOKS = sorted((ROOT / "notebooks" / "zh").glob("*.ipynb"))
ZH_PAGES = sorted((ROOT / "book" / "zh").glob("*.md"))

_CODE_BLOCK = re.compile(r"^(```|~~~).*?^\1\s*$", re.S | re.M)
_MATH_BLOCK = re.compile(r"\$\$.*?\$\$", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_INLINE_MATH = re.compile(r"(?<![\\$])\$[^$\n]+?\$")
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_HTML_TAG = re.compile(r"<[^>\n]+>")
_DIRECTIVE = re.compile(r"^\s*(:::+|```+)\s*(\{[^}]*\}.*)?$|^\s*:[a-z-]+:.*$|^%.*$", re.M)
_ROLE = re.compile(r"\{[a-z:]+\}")


def strip_markup(text: str) -> str:
    """Markdown prose without code, math, link targets, HTML tags, directive lines or roles.

    Each removed span leaves a placeholder character (U+FFFC) so that what stood on either side of it is
    not glued together (a role like {cite:p}`x` leaves nothing)."""
    text = _CODE_BLOCK.sub("\n", text)
    text = _MATH_BLOCK.sub("\ufffc", text)
    text = _ROLE.sub("", text)
    text = re.sub(r"\{\}`[^`\n]*`", "", text)
    text = _INLINE_CODE.sub("\ufffc", text)
    text = _INLINE_MATH.sub("\ufffc", text)
    text = _LINK_TARGET.sub("]", text)
    text = _HTML_TAG.sub("", text)
    text = _DIRECTIVE.sub("", text)
    return text


def code_pieces(src: str) -> list[tuple[str, str]]:
    """(kind, text) for every string literal and comment of a code cell."""
    src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
    out = []
    fstring = [getattr(tokenize, n, -1) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")]
    buf = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            out.append(("comment", tok.string.lstrip("#").strip()))
        elif tok.type == tokenize.STRING:
            out.append(("string", tok.string))
        elif tok.type in fstring:
            buf.append(tok.string if tok.type == fstring[1] else "\ufffc")
            if tok.type == fstring[2]:
                out.append(("string", "".join(buf)))
                buf = []
        elif buf and tok.type != tokenize.NL:  # an f-string's {expression}
            pass
    return out


def _outputs(cell) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append(out["text"])
        data = out.get("data", {})
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in data and not (mime == "text/plain" and ("image/png" in data or "application/vnd.jupyter.widget-view+json" in data)):
                texts.append(data[mime])
    return texts


def pieces() -> list[tuple[str, str, str]]:
    out = []
    for path in ZH_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        rel = path.relative_to(ROOT)
        for i, cell in enumerate(nb.cells):
            where = f"{rel} cell {i}"
            if cell.cell_type == "markdown":
                out.append((where, "prose", strip_markup(cell.source)))
            elif cell.cell_type == "code":
                for kind, text in code_pieces(cell.source):
                    out.append((where, kind, text))
                for text in _outputs(cell):
                    out.append((where, "output", text))
    for path in ZH_PAGES:
        out.append((str(path.relative_to(ROOT)), "prose", strip_markup(path.read_text(encoding="utf-8"))))
    return out


def context(text: str, start: int, end: int, width: int = 20) -> str:
    return text[max(0, start - width):end + width].replace("\n", " ")
