"""Typography of the Chinese edition: what a Chinese copy editor checks, line by line.

Rules (each precise enough not to flag code, math, names or units, which tests/zh_texts.py sets aside):

* quotes    — Chinese quotation marks “…”; no ASCII "…" in zh prose, and none around Chinese text in strings
              or outputs;
* spacing   — no space before full-width punctuation (，。、；：！？）》” …) and, in prose, none after an
              opening full-width bracket or quote; a space between Chinese and Latin letters or digits in prose;
* brackets  — a bracket opened full-width closes full-width, and half-width closes half-width; in prose,
              Chinese text in brackets uses full-width ones;
* percent   — one style, “95%”: no “95 %”, no full-width ％;
* english   — nothing English left on a zh page: no English-only code comment in a zh notebook (give it a
              ``# zh:`` twin in notebooks/src), no English words in what a zh notebook prints, apart from
              names, units, identifiers, commands, Python reprs, library error messages and model samples.
"""
from __future__ import annotations

import functools
import re

import pytest

from zh_texts import context, pieces

CJK = "\u4e00-\u9fff"
FW_CLOSE = "，。、；：！？）》」』”"
_LATIN_WORD = re.compile(r"(?<![\w.\-/'@])[A-Za-z][a-z]{2,}(?![\w(\-/'])")

# Words that may stand in a zh output: names of software, people and fonts; units and symbols.
ALLOWED_WORDS = {
    "Python", "PyTorch", "NumPy", "matplotlib", "torchmetrics", "captum", "opacus", "scikit", "learn", "mlxtend", "torch",
    "WenQuanYi", "Micro", "Hei", "Noto", "Sans", "Tweedie", "True", "False", "None", "nan", "inf", "log", "exp", "max",
    "min", "mean", "sum", "std", "top", "softmax", "sha", "Adam", "numel", "cpu", "cuda", "mps", "float",
    "bfloat", "int", "uint", "attention", "Transformer", "dcgan", "Unflatten", "Flatten", "Tanh", "Sigmoid", "ReLU",
    "alpha", "beta", "sigma", "eps", "delta", "tau", "lambda", "logvar", "dmu", "dlogvar",  # symbols spelled out
}
# Lines of output that are not prose: commands, Python reprs, library error messages (quoted verbatim),
# JSON, and the text a language model wrote.
EXEMPT_LINE = re.compile(
    r"python -m |--[a-z]|^\s*[\"{}\[\]]|\b(?:VBox|HBox|tensor|Size|Sequential|Linear|Conv\w*|ModuleList|dtype)\(|"
    r"\w+Error\b.*→|→ \w+Error|^\w*Error|sha256"
)


@functools.lru_cache(maxsize=None)
def _pieces():
    return pieces()


def _literal_body(s: str) -> str:
    """The text inside a string literal (prefix and delimiters removed)."""
    m = re.match(r"(?is)^[rbuf]*('''|\"\"\"|'|\")(.*)\1$", s, re.S)
    return m.group(2) if m else s


def check_quotes(kind: str, text: str) -> list[tuple[int, int, str]]:
    hits = []
    if kind == "prose":
        for m in re.finditer(r'"', text):
            hits.append((m.start(), m.end(), 'ASCII " in zh prose: use “…”'))
        for m in re.finditer(rf"'[^'\n]*[{CJK}][^'\n]*'", text):
            hits.append((m.start(), m.end(), "ASCII '…' around Chinese: use “…”"))
    elif kind in ("string", "output"):
        body = _literal_body(text) if kind == "string" else text
        for m in re.finditer(rf'"[^"\n]*[{CJK}][^"\n]*"', body):
            line = body[body.rfind("\n", 0, m.start()) + 1:]
            if kind == "output" and re.match(r'\s*"\w+": ', line):  # JSON printed as JSON: its quotes are syntax
                continue
            hits.append((m.start(), m.end(), 'ASCII "…" around Chinese: use “…”'))
    return hits


def check_spacing(kind: str, text: str) -> list[tuple[int, int, str]]:
    hits = []
    for m in re.finditer(rf"[ \t]+[{FW_CLOSE}]", text):
        hits.append((m.start(), m.end(), "space before full-width punctuation"))
    if kind == "prose":
        for m in re.finditer(r"[（《“][ \t]+", text):
            hits.append((m.start(), m.end(), "space after an opening full-width bracket or quote"))
        for m in re.finditer(rf"(?<=[{CJK}])[ \t]+“|”[ \t]+(?=[{CJK}])", text):
            hits.append((m.start(), m.end(), "space between Chinese and a Chinese quotation mark"))
        for m in re.finditer(rf"[{CJK}](?=[A-Za-z0-9])|(?<=[A-Za-z0-9])[{CJK}]", text):
            hits.append((m.start(), m.end() + 1, "no space between Chinese and Latin letters or digits"))
    return hits


def check_brackets(kind: str, text: str) -> list[tuple[int, int, str]]:
    if kind == "comment":
        return []
    hits = []
    for para in _paragraphs(text):
        start, body = para
        stack = []
        for m in re.finditer(r"[()（）]", body):
            ch = m.group()
            if ch in "(（":
                stack.append((ch, m.start()))
            elif stack:
                opened, at = stack.pop()
                if (opened == "（") != (ch == "）"):
                    hits.append((start + at, start + m.end(), f"bracket opened {opened} but closed {ch}"))
        if kind == "prose":
            for m in re.finditer(rf"\((?=[^()\n]*[{CJK}])[^()\n]*\)", body):
                hits.append((start + m.start(), start + m.end(), "Chinese text in half-width brackets: use （…）"))
    return hits


def _paragraphs(text: str):
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        yield pos, para
        pos += len(para)


def check_percent(kind: str, text: str) -> list[tuple[int, int, str]]:
    hits = [(m.start(), m.end(), 'percent written "95 %"; write "95%"') for m in re.finditer(r"\d[ \t]+%", text)]
    hits += [(m.start(), m.end(), "full-width ％; write 95%") for m in re.finditer(r"％", text)]
    return hits


def check_english(kind: str, text: str) -> list[tuple[int, int, str]]:
    hits = []
    if kind == "comment":
        words = re.findall(r"(?<![\w/.])[A-Za-z]{3,}(?![\w/.(])", text)  # words, not paths or identifiers
        if len(words) >= 2 and not re.search(f"[{CJK}]", text) and not re.match(r"(NBVAL_|noqa|type:|pragma)", text):
            hits.append((0, len(text), "English-only comment in a zh notebook: give it a `# zh:` twin"))
    elif kind == "output":
        pos = 0
        for line in text.splitlines(keepends=True):
            if not EXEMPT_LINE.search(line):
                # Python reprs of strings (prompts, model samples, dict keys) are data, not prose.
                prose = re.sub(r"'(?:[^'\\\n]|\\.)*'", lambda m: " " * len(m.group()), line)
                # so are function calls quoted in a label, e.g. generator_loss(saturating).
                prose = re.sub(r"\b\w+\([^()\n]*\)", lambda m: " " * len(m.group()), prose)
                # and names in a code span, e.g. the variables a self-check reads: `gap`、`recovered`.
                prose = re.sub(r"`[^`\n]+`", lambda m: " " * len(m.group()), prose)
                for m in _LATIN_WORD.finditer(prose):
                    if m.group() not in ALLOWED_WORDS:
                        hits.append((pos + m.start(), pos + m.end(), f"English word '{m.group()}' in a zh output"))
            pos += len(line)
    return hits


RULES = {"quotes": check_quotes, "spacing": check_spacing, "brackets": check_brackets,
         "percent": check_percent, "english": check_english}


def violations(rule: str) -> list[str]:
    bad = []
    for where, kind, text in _pieces():
        for start, end, why in RULES[rule](kind, text):
            bad.append(f"{where} ({kind}): {why}: …{context(text, start, end)}…")
    return bad


@pytest.mark.parametrize("rule", list(RULES))
def test_zh_typography(rule):
    bad = violations(rule)
    assert not bad, f"{len(bad)} {rule} problems in the Chinese edition:\n" + "\n".join(bad[:80])


@pytest.mark.parametrize("rule, kind, text, n", [
    ("quotes", "prose", '他说"你好"。', 2),
    ("quotes", "prose", "他说“你好”。`\"code\"`", 0),
    ("quotes", "string", '"模型说 \\"你好\\""', 1),
    ("quotes", "output", ' "intended_use": "教学",\n他说 "你好"', 1),
    ("spacing", "prose", "准确率为 0.93 ，很高。", 1),
    ("spacing", "prose", "用PyTorch训练", 2),
    ("spacing", "output", "第 1 步： 0.5", 0),
    ("spacing", "prose", "见 README 的 “Running” 一节", 2),
    ("brackets", "output", "（log2 V = 10.17 )", 1),
    ("brackets", "prose", "模型 (见第 3 章) 很小", 1),
    ("brackets", "prose", "函数 f(x) 与 p(z|x)（后验）", 0),
    ("percent", "prose", "准确率 95 % 与 95％", 2),
    ("english", "comment", "the rows' labels are English", 1),
    ("english", "comment", "NBVAL_IGNORE_OUTPUT", 0),
    ("english", "output", "训练设备 cpu (1 threads)，用时 14 秒", 1),
    ("english", "output", "generator_loss(saturating)   -0.22", 0),
    ("english", "output", "check(3) `gap`、`recovered`：ELBO 差距", 0),
    ("english", "output", "check(3) gap、`recovered`：ELBO 差距", 1),
    ("english", "output", "PyTorch     2.13.0+cpu\n命令： python -m course_lib train vae --epochs 5", 0),
])
def test_rules_see_what_they_should(rule, kind, text, n):
    from zh_texts import strip_markup
    if kind == "prose":
        text = strip_markup(text)
    assert len(RULES[rule](kind, text)) == n, RULES[rule](kind, text)


# --------------------------------------------------------------------------------------------------
# Line breaks inside a Chinese sentence are drawn as spaces by browsers (the book and JupyterLab)


def _join():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from twins import join_cjk_lines

    return join_cjk_lines


def test_join_cjk_lines_joins_inside_sentences_only():
    join = _join()
    assert join("第一行，\n第二行。") == "第一行，第二行。"
    assert join("- 列表项\n  续行。") == "- 列表项续行。"
    assert join("用 GAN\n训练") == "用 GAN\n训练", "a break next to a Latin word is the space typography wants"
    assert join("甲 $x$\n乙") == "甲 $x$\n乙"
    assert join("## 标题\n正文") == "## 标题\n正文", "a heading swallowed its paragraph"
    assert join("| 甲 |\n| 乙 |") == "| 甲 |\n| 乙 |"
    assert join("```\n中文\n代码\n```") == "```\n中文\n代码\n```", "code was joined"
    assert join("$$\n甲\n乙\n$$\n丙\n丁") == "$$\n甲\n乙\n$$\n丙丁", "display math was joined, or the text after it was not"
    assert join("  $$a,\n  b$$\n\n甲，\n乙") == "  $$a,\n  b$$\n\n甲，乙", "math closed mid-line left the rest unjoined"


def test_chinese_notebooks_have_no_line_breaks_inside_sentences():
    import nbformat
    from pathlib import Path

    join = _join()
    unjoined = []
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks" / "zh").glob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "markdown" and join(cell.source) != cell.source:
                unjoined.append(f"{path.name} cell {i}")
    assert not unjoined, f"rebuild with `python tools/notebooks.py build` (it joins the lines): {unjoined}"
