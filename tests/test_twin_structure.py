"""Structural parity of the twins: the same headings (count and level), the same numbered exercises and the
same number of solutions in both languages, cell by cell; the same slides (RISE's slideshow metadata), cell by
cell; and the same headings on the book's paired pages."""
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


def _slides(lang: str, name: str) -> tuple[list[tuple[str, str]], dict]:
    nb = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
    return [(c.cell_type, c.metadata.get("slideshow", {}).get("slide_type")) for c in nb.cells], nb.metadata.get("rise")


@pytest.mark.parametrize("name", NAMES)
def test_chapter_twins_have_the_same_slides(name):
    """A lecturer's deck is the same in both languages: every cell has a slide type, the same in the twins; the
    deck opens with the chapter's title; each section (##) is a slide and each solution is left out."""
    from twins import SLIDE_TYPES, _heading_lines

    (en, rise_en), (zh, rise_zh) = _slides("en", name), _slides("zh", name)
    assert en == zh, f"{name}: the twins' slides differ: " + str(
        next((i, a, b) for i, (a, b) in enumerate(zip(en, zh)) if a != b) if len(en) == len(zh) else "cell counts")
    assert rise_en == rise_zh and rise_en and rise_en["autolaunch"] is False, f"{name}: RISE settings {rise_en}, {rise_zh}"
    assert all(kind in SLIDE_TYPES for _, kind in en), f"{name}: a cell without a slide type: {en}"
    assert en[0] == ("markdown", "slide"), f"{name}: the first cell (the title) does not open a slide"
    nb = nbformat.read(ROOT / "notebooks" / "en" / name, as_version=4)
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata["slideshow"]["slide_type"]
        if cell.cell_type == "markdown" and re.match(r"#{1,2} \S", cell.source):
            assert kind == "slide", f"{name} cell {i} opens a section but is a {kind!r}: {cell.source[:60]!r}"
        if cell.cell_type == "markdown" and re.match(r":::+\{admonition\} Solution", cell.source):
            assert kind == "skip", f"{name} cell {i} (a solution) is shown on a slide"
        if cell.cell_type == "markdown":  # a heading inside a cell could not open a slide: the build splits there
            inside = [(line, level) for line, level in _heading_lines(cell.source) if line > 0 and level <= 3]
            assert not inside, f"{name} cell {i} holds a heading after its first line: {inside}"


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


def test_the_slide_rule():
    """Headings open slides (# and ## a slide, ### a subslide), a heading after some text splits its cell (not one
    in a code block), solutions are left out, and an override in the source wins."""
    from twins import code, markdown_parts, md, slide_type, solution, split_at_headings

    text = "Wrap-up of §1.\n\n## 2 · Next\n\nText\n\n```python\n# not a heading\n```\n\n### 2.1 · Deeper\n\n#### small"
    assert split_at_headings(text) == ["Wrap-up of §1.", "## 2 · Next\n\nText\n\n```python\n# not a heading\n```",
                                       "### 2.1 · Deeper\n\n#### small"]
    assert split_at_headings("## A\n\ntext") == ["## A\n\ntext"]
    cell = md(en=text, zh="第一节的小结。\n\n## 2 · 下一节\n\n正文\n\n### 2.1 · 更深\n\n#### 小")
    parts = markdown_parts(cell)
    assert [slide_type(cell, p["en"]) for p in parts] == ["-", "slide", "subslide"]
    assert [p["zh"].split("\n")[0] for p in parts] == ["第一节的小结。", "## 2 · 下一节", "### 2.1 · 更深"]
    with pytest.raises(ValueError, match="different slides"):
        markdown_parts(md(en="## A\n\ntext", zh="正文\n\n## 甲"))
    assert slide_type(code("x = 1")) == "-"
    assert slide_type(code("x = 1", slide="subslide")) == "subslide"
    assert slide_type(md(en="## A", zh="## 甲", slide="fragment"), "## A") == "fragment"
    assert slide_type(solution(1, en="Because.", zh="因为。")) == "skip"
    with pytest.raises(ValueError, match="slide must be one of"):
        code("x = 1", slide="Slide")
