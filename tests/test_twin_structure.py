"""Structural parity of the twins: the same headings (count and level), the same numbered exercises and the
same number of solutions in both languages, cell by cell; and the same headings on the book's paired pages."""
from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ROOT

NAMES = sorted(p.name for p in (ROOT / "notebooks" / "en").glob("*.ipynb"))
PAGES = sorted(p.name for p in (ROOT / "book" / "en").glob("*.md"))
EXERCISES = {"en": "Exercises", "zh": "练习"}
SOLUTION = {"en": r"^:::+\{admonition\} Solution (\d+)", "zh": r"^:::+\{admonition\} 答案 (\d+)"}


def _no_code(text: str) -> str:
    return re.sub(r"^(```|~~~).*?^\1\s*$", "", text, flags=re.S | re.M)


def headings(text: str) -> list[int]:
    """The levels of the markdown headings, in order."""
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) \S", _no_code(text), re.M)]


def exercises(text: str, lang: str) -> list[int]:
    """The numbers of the exercises listed under the Exercises heading."""
    m = re.search(rf"^#+ {EXERCISES[lang]}\s*$(.*?)(?=^#+ |^:::|\Z)", _no_code(text), re.M | re.S)
    return [int(n) for n in re.findall(r"^(\d+)\. ", m.group(1), re.M)] if m else []


def solutions(text: str, lang: str) -> list[int]:
    return [int(n) for n in re.findall(SOLUTION[lang], text, re.M)]


def structure(text: str, lang: str) -> dict:
    return {"headings": headings(text), "exercises": exercises(text, lang), "solutions": solutions(text, lang)}


def _markdown(lang: str, name: str) -> list[str]:
    nb = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("name", NAMES)
def test_chapter_twins_have_the_same_structure(name):
    en, zh = _markdown("en", name), _markdown("zh", name)
    assert len(en) == len(zh), f"{name}: {len(en)} markdown cells in en, {len(zh)} in zh"
    for i, (a, b) in enumerate(zip(en, zh)):
        sa, sb = structure(a, "en"), structure(b, "zh")
        for key in sa:
            assert sa[key] == sb[key], f"{name} markdown cell {i}: {key} differ: en {sa[key]}, zh {sb[key]}"


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_one_solution(name):
    for lang in ("en", "zh"):
        text = "\n\n".join(_markdown(lang, name))
        ex, sol = exercises(text, lang), solutions(text, lang)
        assert ex == list(range(1, len(ex) + 1)), f"{lang}/{name}: exercises numbered {ex}"
        assert sol == ex, f"{lang}/{name}: exercises {ex} but solutions {sol}"


@pytest.mark.parametrize("page", PAGES)
def test_book_pages_have_the_same_headings(page):
    en = (ROOT / "book" / "en" / page).read_text(encoding="utf-8")
    zh = (ROOT / "book" / "zh" / page).read_text(encoding="utf-8")
    assert headings(en) == headings(zh), f"book/{{en,zh}}/{page}: headings differ: {headings(en)} vs {headings(zh)}"


def test_structure_sees_a_dropped_heading_and_solution():
    en = "## A\n\n### B\n\n## Exercises\n\n1. x\n2. y\n\n:::{admonition} Solution 1\n:::\n:::{admonition} Solution 2\n:::"
    zh = "## 甲\n\n## 练习\n\n1. x\n2. y\n\n:::{admonition} 答案 1\n:::"
    assert structure(en, "en")["headings"] != structure(zh, "zh")["headings"]
    assert structure(en, "en")["exercises"] == structure(zh, "zh")["exercises"] == [1, 2]
    assert structure(en, "en")["solutions"] != structure(zh, "zh")["solutions"]
