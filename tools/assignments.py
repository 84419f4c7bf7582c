"""Write the book's exercises as nbgrader assignments, from the same ``notebooks/src`` as the notebooks.

    python tools/assignments.py [--out DIR] [NAME ...]     # make assignments (DIR defaults to _build/assignments)

For each language it writes an nbgrader course directory, ``DIR/<lang>/``: a ``nbgrader_config.py`` and, for
every chapter, the instructor's source notebook ``source/<chapter>/<chapter>.ipynb``. From there nbgrader does
the rest (run in ``DIR/<lang>``): ``nbgrader generate_assignment <chapter>`` writes the student version into
``release/`` (solutions replaced by stubs, hidden tests removed), and ``nbgrader autograde <chapter>`` grades
what students hand in under ``submitted/<student>/<chapter>/``.

A source notebook is the whole chapter, so it runs alone: the chapter's code cells (read-only: autograde restores
them as written) and prose, and at the end, instead of the exercise list and the hidden solutions, each exercise
as nbgrader cells, all taken from the chapter's ``solution(n, ..., grade=, points=, written=)``
(``tools/twins.py``):

* the exercise's text, read-only (``exercise-N``);
* the solution code as an answer cell between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (``exercise-N-code``;
  nbgrader's release puts its code stub there);
* with ``grade``: an autograder test cell worth ``points`` (``exercise-N-test``) — the test code, whose
  ``### BEGIN HIDDEN TESTS`` part (all of it, without markers) only the autograder sees — and, with ``written``, a
  hand-graded written answer beside it (``exercise-N-answer``, the solution's prose as its model answer);
* without ``grade`` (a discussion, or a result no test can pin down): the answer is graded by hand — a markdown
  answer cell worth ``points`` holding the solution's prose, or, where the solution has no prose, the code
  cell itself.

The two languages' assignments run the same code; the exercise text, the prose, the comments and the messages of
the tests (``T("...", "...")``) are in the assignment's language, and so are the stubs nbgrader writes.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import _load_cells, _names  # noqa: E402
from twins import LANGS, Cell, chapter_file, join_cjk_lines, render_code, render_objectives  # noqa: E402

DEFAULT_OUT = ROOT / "_build" / "assignments"
EXERCISES = {"en": "Exercises", "zh": "练习"}
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
#: what nbgrader's release puts in place of a solution (its defaults in English)
CODE_STUB = {"en": "# YOUR CODE HERE\nraise NotImplementedError()", "zh": "# 在这里写你的代码\nraise NotImplementedError()"}
TEXT_STUB = {"en": "YOUR ANSWER HERE", "zh": "在这里写你的答案"}
TEST_HEADER = {
    "en": "# Tests of exercise {n} ({points} point{s}): the autograder adds hidden tests here.",
    "zh": "# 练习 {n} 的测试（{points} 分）：自动评分时会在这里加入隐藏的测试。",
}
WRITTEN = {"en": "**Your answer to exercise {n}** ({points} point{s}, graded by hand):",
           "zh": "**练习 {n} 的答案**（{points} 分，人工评分）："}
#: nbgrader's course configuration, one per language (the course root is the folder it lies in)
CONFIG = '''\
# nbgrader configuration of the book's {lang} assignments, written by tools/assignments.py.
# Run nbgrader in this folder: nbgrader generate_assignment NAME, nbgrader autograde NAME.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "generative-ai-{lang}"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# a chapter's cell may train a small model for a minute on a slow CPU (nbgrader's default is 30 s)
c.Execute.timeout = 600
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
'''


@dataclass
class Exercises:
    """A chapter's exercise section: the prose before it (its summary), its heading and intro, and the text of
    each numbered exercise."""

    before: str
    heading: str
    items: dict[int, str]


def split_exercises(text: str, lang: str) -> Exercises | None:
    """The exercises listed under the ``## Exercises`` (``## 练习``) heading of a markdown cell, or ``None``.

    The list runs to the end of the cell (every chapter ends its exercise cell with it); each item is the line
    ``N. ...`` and the indented lines after it."""
    m = re.search(rf"^##\s+{EXERCISES[lang]}\s*$", text, re.M)
    if not m:
        return None
    before, rest = text[:m.start()].rstrip(), text[m.start():]
    first = re.search(r"^\d+\. ", rest, re.M)
    if not first:
        raise ValueError(f"an exercise heading with no numbered exercises under it:\n{rest}")
    items: dict[int, str] = {}
    for item in re.finditer(r"^(\d+)\. .*?(?=^\d+\. |\Z)", rest[first.start():], re.M | re.S):
        items[int(item.group(1))] = item.group(0).rstrip()
    return Exercises(before=before, heading=rest[:first.start()].rstrip(), items=items)


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: int | None = None) -> dict:
    """nbgrader's cell metadata (schema 3)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


def grade_code(cell: Cell, lang: str) -> str:
    """The test cell of a graded solution: a header, then the test with its hidden part marked (all of it when
    the test has no markers of its own)."""
    test = render_code(cell.grade, lang)
    if BEGIN_HIDDEN not in test:
        test = f"{BEGIN_HIDDEN}\n{test}\n{END_HIDDEN}"
    header = TEST_HEADER[lang].format(n=cell.number, points=cell.points, s=_plural(cell.points))
    return f"{header}\n{test}"


def model_answer(cell: Cell, lang: str) -> str:
    """The solution's prose (before and after its code), the model answer of a hand-graded cell."""
    parts = [cell.text[lang], cell.text[f"{lang}_after"]]
    text = "\n\n".join(p for p in parts if p)
    return join_cjk_lines(text) if lang == "zh" else text


def exercise_cells(cell: Cell, text: str, lang: str) -> list[nbformat.NotebookNode]:
    """The nbgrader cells of one exercise (see the module docstring)."""
    n, v4 = cell.number, nbformat.v4
    out = [v4.new_markdown_cell(text, metadata=_meta(f"exercise-{n}", locked=True))]
    prose = model_answer(cell, lang)
    by_hand = 0 if cell.grade else cell.points  # a hand-graded answer without a test
    if cell.src:
        body = f"{BEGIN_SOLUTION}\n{render_code(cell.src, lang)}\n{END_SOLUTION}"
        code_graded_by_hand = by_hand and not prose
        out.append(v4.new_code_cell(body, metadata=_meta(
            f"exercise-{n}-code", solution=True, grade=bool(code_graded_by_hand),
            points=cell.points if code_graded_by_hand else None)))
        if code_graded_by_hand:
            by_hand = 0
    if cell.grade:
        out.append(v4.new_code_cell(grade_code(cell, lang), metadata=_meta(
            f"exercise-{n}-test", grade=True, locked=True, points=cell.points)))
    written = cell.written or by_hand
    if written:
        if not prose:
            raise ValueError(f"exercise {n}: a written answer graded by hand needs the solution's prose as its model")
        out.append(v4.new_markdown_cell(WRITTEN[lang].format(n=n, points=written, s=_plural(written)),
                                        metadata=_meta(f"exercise-{n}-prompt", locked=True)))
        out.append(v4.new_markdown_cell(prose, metadata=_meta(
            f"exercise-{n}-answer", solution=True, grade=True, points=written)))
    return out


def build_assignment(name: str, cells: list[Cell], lang: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of chapter ``name`` in ``lang``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    exercises: Exercises | None = None
    code_cells = 0
    for c in cells:
        if c.kind == "markdown":
            text = join_cjk_lines(c.text[lang]) if lang == "zh" else c.text[lang]
            found = split_exercises(text, lang)
            if found is None:
                nb.cells.append(nbformat.v4.new_markdown_cell(text))
                continue
            if exercises is not None:
                raise ValueError(f"{name}: two exercise sections")
            exercises = found
            if found.before:
                nb.cells.append(nbformat.v4.new_markdown_cell(found.before))
            nb.cells.append(nbformat.v4.new_markdown_cell(found.heading))
        elif c.kind == "objectives":  # the box under the title, as in the chapter
            box = render_objectives(c, lang, chapter_file)
            nb.cells.append(nbformat.v4.new_markdown_cell(join_cjk_lines(box) if lang == "zh" else box))
        elif c.kind == "solution":
            if exercises is None or c.number not in exercises.items:
                raise ValueError(f"{name}: solution {c.number} has no exercise {c.number} listed before it")
            nb.cells.extend(exercise_cells(c, exercises.items.pop(c.number), lang))
        else:
            code_cells += 1
            cell = nbformat.v4.new_code_cell(render_code(c.src, lang),
                                             metadata=_meta(f"chapter-{code_cells:03d}", locked=True))
            if c.tags:
                cell.metadata["tags"] = list(c.tags)
            nb.cells.append(cell)
    if exercises is not None and exercises.items:
        raise ValueError(f"{name}: exercises {sorted(exercises.items)} have no solution")
    for i, cell in enumerate(nb.cells):  # stable ids, so rebuilding gives the same file
        cell["id"] = f"{lang}-{i:03d}"
    return nb


def course_config(lang: str) -> str:
    """The ``nbgrader_config.py`` of the course in ``lang``."""
    return CONFIG.format(lang=lang, code_stub=CODE_STUB[lang], text_stub=TEXT_STUB[lang])


def write(names: list[str], out: Path, langs: tuple[str, ...] = LANGS) -> list[Path]:
    """Write the course directories under ``out`` (their config and the source notebooks of ``names``);
    returns the notebooks written."""
    written: list[Path] = []
    for name in names:
        cells = _load_cells(name)
        for lang in langs:
            path = out / lang / "source" / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(build_assignment(name, cells, lang), path)
            written.append(path)
    for lang in langs:
        (out / lang / "nbgrader_config.py").write_text(course_config(lang), encoding="utf-8")
    return written


def coverage(cells: list[Cell]) -> tuple[int, int]:
    """(exercises with an autograder test, exercises) of a chapter."""
    sols = [c for c in cells if c.kind == "solution"]
    return sum(1 for c in sols if c.grade), len(sols)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="chapters (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"course root (default {DEFAULT_OUT})")
    parser.add_argument("--lang", choices=LANGS, action="append", help="one language (default: both)")
    args = parser.parse_args(argv)
    names = _names(args.names)
    langs = tuple(args.lang) if args.lang else LANGS
    for path in write(names, args.out, langs):
        print(f"wrote {path}")
    for name in names:
        graded, total = coverage(_load_cells(name))
        print(f"{name}: {graded} of {total} exercises autograded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
