"""Write each chapter once, get two twin notebooks.

A chapter source ``notebooks/src/NN_name.py`` defines ``CELLS``, a list built with :func:`md` and :func:`code`:

* ``md(en=..., zh=...)`` — a markdown cell in each language.
* ``code(src)`` — one code cell for both notebooks. Inside ``src``:
    - ``T("English text", "中文文本")`` becomes the English literal in ``en/`` and the Chinese one in ``zh/``
      (both literals may carry an ``f`` prefix);
    - a full-line comment ``# en: ...`` appears only in ``en/`` and ``# zh: ...`` only in ``zh/`` (each
      rewritten as a plain ``# ...`` comment).

* ``solution(n, en=..., zh=..., code=..., en_after=..., zh_after=...)`` — the solution of exercise ``n``:
  prose in each language and code written **once** (``T(...)`` and ``# en:``/``# zh:`` as in ``code``). It
  becomes a markdown cell, the same hidden-toggle admonition in both notebooks (prose, the code as a Python
  block, then the ``*_after`` prose), and ``tests/test_solutions.py`` executes the code after the chapter.
  Three optional arguments say how an nbgrader assignment grades the exercise (``tools/assignments.py``; they
  change nothing in the notebooks): ``grade`` — autograder test code written once like ``code`` (``T(...)``
  for the messages a student reads; lines outside ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``
  markers stay visible to the student, and with no markers the whole test is hidden), ``points`` — what the
  test is worth, or with no ``grade`` what the manually graded answer is worth, and ``written`` — points for a
  written answer graded by hand beside the autograded test (the solution's prose is its model answer).
* ``objectives(en=[...], zh=[...], chapters=(...), maths_en=..., maths_zh=...)`` — the chapter's learning
  objectives and prerequisites (earlier chapters by number, and the mathematics), written once: they are drawn
  as a box under the chapter's title in both notebooks, and the instructor's guide (``tools/guide.py``) reads
  them from here.

**Slides.** Every cell gets RISE's ``"slideshow": {"slide_type": ...}`` metadata, the same in both twins, so
that a lecturer presents a chapter from JupyterLab and runs its cells live (:func:`slide_type` is the rule):

* a markdown cell that opens with a ``#`` or ``##`` heading starts a ``"slide"``, one that opens with ``###`` a
  ``"subslide"`` (reveal.js draws those below their section's slide); any other cell continues the slide (``"-"``);
* a markdown cell with a heading (levels 1-3) after some text is split before that heading, into two cells of
  the notebook, so that every section starts a slide of its own (the book and JupyterLab show the same text);
* a solution is ``"skip"``: the lecturer presents the exercises, not their answers (they stay in the notebook).

``md(..., slide=...)`` and ``code(..., slide=...)`` override the rule for a cell (for a split markdown cell, its
first part). The notebooks also get a ``"rise"`` section (:data:`RISE`): the slideshow's look for the book.

So the code of the twins is the same by construction, apart from comments and the strings shown to the
reader; ``tests/test_twins.py`` checks that on the notebooks themselves. The first markdown cell gets a
link to the twin. ``python tools/notebooks.py build`` writes the notebooks (without outputs), and
``python tools/notebooks.py execute`` runs them; ``make notebooks`` does both.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

LANGS = ("en", "zh")
_STR = r"""[rf]?(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_T = re.compile(rf"T\(\s*({_STR})\s*,\s*({_STR})\s*\)")
_LANG_COMMENT = re.compile(r"^(\s*)#\s*(en|zh):\s?(.*)$")
TWIN_LINK = {
    "en": "<small>[阅读中文版 · Read in Chinese](../zh/{name}.ipynb)</small>",
    "zh": "<small>[Read in English · 阅读英文版](../en/{name}.ipynb)</small>",
}


@dataclass
class Cell:
    kind: str
    text: dict[str, str] = field(default_factory=dict)
    src: str = ""
    tags: tuple[str, ...] = ()
    number: int | None = None  # the exercise a "solution" cell solves
    grade: str = ""  # a solution's autograder test (nbgrader), written once like ``src``
    points: int = 1  # what ``grade`` is worth, or with no ``grade`` what the hand-graded answer is worth
    written: int = 0  # points of a written answer graded by hand beside ``grade``
    slide: str | None = None  # the cell's slide type when the rule (:func:`slide_type`) is wrong for it
    items: dict[str, list[str]] = field(default_factory=dict)  # an "objectives" cell's objectives per language
    requires: tuple[int, ...] = ()  # the chapters an "objectives" cell's chapter builds on


#: RISE's slide types (reveal.js: a new slide, a slide below the last one, a piece shown on the next key press,
#: continuing the slide, left out, speaker notes)
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")


def _check_slide(slide: str | None) -> str | None:
    if slide is not None and slide not in SLIDE_TYPES:
        raise ValueError(f"slide must be one of {SLIDE_TYPES}, got {slide!r}")
    return slide


def md(en: str, zh: str, *, slide: str | None = None) -> Cell:
    """A markdown cell, written in each language; ``slide`` overrides its slide type (see the module docstring)."""
    return Cell("markdown", text={"en": textwrap.dedent(en).strip(), "zh": textwrap.dedent(zh).strip()},
                slide=_check_slide(slide))


def code(src: str, tags: tuple[str, ...] = (), *, slide: str | None = None) -> Cell:
    """A code cell shared by both languages (see the module docstring for ``T(...)`` and ``# en:``); ``slide``
    overrides its slide type."""
    return Cell("code", src=textwrap.dedent(src).strip("\n"), tags=tags, slide=_check_slide(slide))


SOLUTION_TITLE = {"en": "Solution", "zh": "答案"}


def solution(number: int, en: str, zh: str, code: str = "", en_after: str = "", zh_after: str = "", *,
             grade: str = "", points: int = 1, written: int = 0) -> Cell:
    """The solution of exercise ``number``: prose in each language around code written once (executed by a test).
    ``grade``, ``points`` and ``written`` say how an nbgrader assignment grades it (see the module docstring)."""
    if not isinstance(number, int) or number < 1:
        raise ValueError(f"a solution needs the positive number of its exercise, got {number!r}")
    if not code.strip() and not (en.strip() and zh.strip()):
        raise ValueError(f"solution {number}: give its code, or prose in both languages")
    if grade.strip() and not code.strip():
        raise ValueError(f"solution {number}: an autograder test needs solution code to test")
    if points < 1 or written < 0 or (written and not grade.strip()):
        raise ValueError(f"solution {number}: points must be >= 1, and written points go beside a grade test")
    text = {"en": textwrap.dedent(en).strip(), "zh": textwrap.dedent(zh).strip(),
            "en_after": textwrap.dedent(en_after).strip(), "zh_after": textwrap.dedent(zh_after).strip()}
    return Cell("solution", text=text, src=textwrap.dedent(code).strip("\n"), number=number,
                grade=textwrap.dedent(grade).strip("\n"), points=points, written=written)


OBJECTIVES = {
    "en": {"title": "Learning objectives", "lead": "After this chapter you can:", "prereq": "**Prerequisites:** ",
           "chapter": "chapter {n}", "none": "none", "maths": "maths:", "sep": "; "},
    "zh": {"title": "学习目标", "lead": "学完本章，你将能够：", "prereq": "**预备知识**：",
           "chapter": "第 {n} 章", "none": "无", "maths": "数学：", "sep": "；"},
}


def objectives(en: list[str], zh: list[str], *, chapters: tuple[int, ...] = (), maths_en: str, maths_zh: str) -> Cell:
    """A chapter's learning objectives (one per item, the same number in each language) and its prerequisites:
    the earlier ``chapters`` it builds on and the mathematics it assumes (see the module docstring)."""
    items = {"en": [textwrap.dedent(i).strip() for i in en], "zh": [textwrap.dedent(i).strip() for i in zh]}
    if not items["en"] or len(items["en"]) != len(items["zh"]) or not all(items["en"] + items["zh"]):
        raise ValueError("objectives: the same positive number of non-empty items in each language")
    if not (maths_en.strip() and maths_zh.strip()):
        raise ValueError("objectives: say what mathematics the chapter assumes, in both languages")
    return Cell("objectives", text={"en": maths_en.strip(), "zh": maths_zh.strip()}, items=items,
                requires=tuple(chapters))


def chapter_links(numbers: tuple[int, ...], lang: str, link) -> str:
    """``[chapter 2](…), [chapter 3](…)`` (``[第 2 章](…)、[第 3 章](…)``), each target ``link(n)``."""
    words = OBJECTIVES[lang]
    parts = [f"[{words['chapter'].format(n=n)}]({link(n)})" for n in numbers]
    if not parts:
        return words["none"]
    if lang == "zh":
        return "、".join(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def render_prerequisites(cell: Cell, lang: str, link) -> str:
    """One line: the chapters a chapter builds on (linked by ``link(n)``) and the mathematics it assumes."""
    words = OBJECTIVES[lang]
    return (f"{words['prereq']}{chapter_links(cell.requires, lang, link)}{words['sep']}"
            f"{words['maths']}{' ' if lang == 'en' else ''}{cell.text[lang]}")


def render_objectives(cell: Cell, lang: str, link) -> str:
    """The box under a chapter's title: its objectives as a list, then its prerequisites."""
    words = OBJECTIVES[lang]
    lines = [f":::{{admonition}} {words['title']}", ":class: tip", "", words["lead"], ""]
    lines += [f"* {item}" for item in cell.items[lang]]
    lines += ["", render_prerequisites(cell, lang, link), ":::"]
    return "\n".join(lines)


def chapter_file(number: int) -> str:
    """The notebook of chapter ``number`` (``02_gan.ipynb``), found in ``notebooks/src``."""
    src = Path(__file__).resolve().parents[1] / "notebooks" / "src"
    found = sorted(src.glob(f"{number:02d}_*.py"))
    if len(found) != 1:
        raise ValueError(f"no single chapter {number} in {src}")
    return found[0].stem + ".ipynb"


def render_solution(cell: Cell, lang: str) -> str:
    """The markdown of a solution: a dropdown admonition (hidden until the reader opens it)."""
    parts = [f":::{{admonition}} {SOLUTION_TITLE[lang]} {cell.number}", ":class: dropdown", ""]
    body = cell.text[lang]
    if cell.src:
        body = (body + "\n" if body else "") + "```python\n" + render_code(cell.src, lang) + "\n```"
    if cell.text[f"{lang}_after"]:
        body += "\n" + cell.text[f"{lang}_after"]
    return "\n".join(parts) + "\n" + body + "\n:::"


def solutions(cells: list[Cell]) -> list[Cell]:
    """The solution cells of a chapter, in order."""
    return [c for c in cells if c.kind == "solution"]


def render_code(src: str, lang: str) -> str:
    """The code of a cell in one language."""
    pick = 1 if lang == "en" else 2
    out = _T.sub(lambda m: m.group(pick), src)
    lines = []
    for line in out.splitlines():
        m = _LANG_COMMENT.match(line)
        if m:
            if m.group(2) == lang:
                lines.append(f"{m.group(1)}# {m.group(3)}".rstrip())
            continue
        lines.append(line)
    text = "\n".join(lines)
    if re.search(r"(?<![\w.])T\(", text):
        raise ValueError(f"a T(...) marker could not be parsed (two string literals expected) in:\n{src}")
    return text


#: Chinese characters and the full-width punctuation of Chinese text
CJK_CHARS = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_END = re.compile(f"[{CJK_CHARS}]$")
_CJK_START = re.compile(f"^[{CJK_CHARS}]")


def join_cjk_lines(text: str) -> str:
    """Chinese markdown with the line breaks inside a sentence removed: a break between two Chinese characters
    (or a Chinese punctuation mark and a character) is drawn as a space by browsers, in the book and in
    JupyterLab ("破坏： 每一步", "采样、 分类器"); Chinese is written without spaces. A break next to a Latin
    word or a formula stays (it is the space that Chinese typography puts there). Headings, table rows, code
    and display math are left alone."""
    out: list[str] = []
    code = math = False
    for line in text.split("\n"):
        stripped = line.strip()
        if not math and stripped.startswith(("```", "~~~")):
            code = not code
            out.append(line)
            continue
        if not code and line.count("$$") % 2:  # display math opens or closes on this line
            math = not math
            out.append(line)
            continue
        prev = out[-1] if out else ""
        if (not (code or math) and out and _CJK_START.match(line.lstrip()) and _CJK_END.search(prev.rstrip())
                and not prev.lstrip().startswith(("#", "|"))):
            out[-1] = prev.rstrip() + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def with_twin_link(text: str, link: str) -> str:
    """The first cell's text with the link to the twin just under the chapter's title (its first line, when
    that is a heading); a title that opens the cell is the notebook's title in JupyterLab's MyST renderer
    (which shows a heading that comes after other content a second time)."""
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        return f"{first}\n\n{link}\n\n{rest.lstrip(chr(10))}".rstrip("\n")
    return f"{link}\n\n{text}"


_HEADING = re.compile(r"^(#{1,6})\s+\S")
#: the deepest heading that opens a slide of its own (a subslide); deeper ones stay inside their slide
SLIDE_HEADING_LEVEL = 3


def _heading_lines(text: str) -> list[tuple[int, int]]:
    """(line number, level) of each markdown heading of ``text``, outside code blocks and display math."""
    out: list[tuple[int, int]] = []
    fence = ""
    math = False
    for i, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if not math and stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            fence = "" if fence == mark else (fence or mark)
            continue
        if not fence and line.count("$$") % 2:
            math = not math
            continue
        m = _HEADING.match(line)
        if m and not (fence or math):
            out.append((i, len(m.group(1))))
    return out


def split_at_headings(text: str) -> list[str]:
    """``text`` cut before each heading of level 1 to :data:`SLIDE_HEADING_LEVEL` that does not open it, so that
    each part opens with its heading (the first part, with whatever came before)."""
    lines = text.split("\n")
    cuts = [i for i, level in _heading_lines(text) if level <= SLIDE_HEADING_LEVEL and i > 0
            and "\n".join(lines[:i]).strip()]
    bounds = [0, *cuts, len(lines)]
    return ["\n".join(lines[a:b]).strip("\n") for a, b in zip(bounds, bounds[1:])]


def slide_type(cell: Cell, text: str = "") -> str:
    """The rule for a cell's slide type (RISE's ``slideshow.slide_type``); ``text`` is the markdown of a markdown
    cell (or of one part of it, see :func:`markdown_parts`). An override given in the source wins."""
    if cell.slide is not None:
        return cell.slide
    if cell.kind == "solution":
        return "skip"
    if cell.kind == "markdown":
        heads = _heading_lines(text)
        if heads and heads[0][0] == 0:
            level = heads[0][1]
            return "slide" if level <= 2 else "subslide" if level <= SLIDE_HEADING_LEVEL else "-"
    return "-"


def markdown_parts(cell: Cell) -> list[dict[str, str]]:
    """A markdown cell's text in each language, split before its headings (:func:`split_at_headings`) the same
    way in both languages; a ``ValueError`` when the twins' headings do not line up."""
    parts = {lang: split_at_headings(cell.text[lang]) for lang in LANGS}
    levels = {lang: [_heading_lines(p)[0][1] if _heading_lines(p) and _heading_lines(p)[0][0] == 0 else 0
                     for p in parts[lang]] for lang in LANGS}
    if levels["en"] != levels["zh"]:
        raise ValueError("the English and Chinese text of a markdown cell split into different slides "
                         f"(heading levels {levels['en']} vs {levels['zh']}):\n{cell.text['en'][:200]}")
    return [{lang: parts[lang][i] for lang in LANGS} for i in range(len(parts["en"]))]


#: The ``rise`` section of every notebook: RISE's settings for this book's slides (they override RISE's own
#: defaults and a user's settings). "white" is one of reveal.js's themes that loads no web font (its fonts ship
#: with RISE; "simple", RISE's default, imports Google Fonts): the slides look the same offline, and Chinese is
#: drawn with the CJK font that course_lib.lab serves to JupyterLab. Long slides (a derivation, a figure under
#: its code) scroll rather than run off the screen; the slideshow starts where the lecturer's cursor is, and
#: never on its own.
RISE = {
    "autolaunch": False,
    "theme": "white",
    "transition": "none",
    "scroll": True,
    "center": False,
    "slideNumber": "c/t",
    "start_slideshow_at": "selected",
    "enable_chalkboard": False,
}


def _slide_meta(slide: str) -> dict[str, dict[str, str]]:
    return {"slideshow": {"slide_type": slide}}


def build_notebook(name: str, cells: list[Cell], lang: str) -> nbformat.NotebookNode:
    """The notebook ``notebooks/<lang>/<name>.ipynb`` (no outputs)."""
    nb = nbformat.v4.new_notebook()
    # the kernel a plain `pip install ipykernel` provides, which `make venv` also installs (name and display
    # name): JupyterLab opens the notebook unmodified, from the repository and from the book's download alike
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["rise"] = dict(RISE)
    first_md = True
    box = [render_objectives(c, lang, chapter_file) for c in cells if c.kind == "objectives"]
    if len(box) > 1:
        raise ValueError(f"{name}: more than one objectives cell")
    for c in cells:
        if c.kind == "objectives":
            continue  # drawn under the title, in the first markdown cell
        if c.kind == "markdown":
            for k, part in enumerate(markdown_parts(c)):
                text = join_cjk_lines(part[lang]) if lang == "zh" else part[lang]
                if first_md:
                    link = TWIN_LINK[lang].format(name=name)
                    if box:
                        link += "\n\n" + (join_cjk_lines(box[0]) if lang == "zh" else box[0])
                    text = with_twin_link(text, link)
                    first_md = False
                slide = slide_type(c, part["en"]) if k == 0 else slide_type(Cell("markdown"), part["en"])
                nb.cells.append(nbformat.v4.new_markdown_cell(text, metadata=_slide_meta(slide)))
        elif c.kind == "solution":
            text = render_solution(c, lang)
            nb.cells.append(nbformat.v4.new_markdown_cell(join_cjk_lines(text) if lang == "zh" else text,
                                                          metadata=_slide_meta(slide_type(c))))
        else:
            cell = nbformat.v4.new_code_cell(render_code(c.src, lang), metadata=_slide_meta(slide_type(c)))
            if c.tags:
                cell.metadata["tags"] = list(c.tags)
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):  # stable ids, so rebuilding gives the same file
        cell["id"] = f"{lang}-{i:03d}"
    return nb
