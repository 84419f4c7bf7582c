"""The student edition of the book: the same book with every exercise's solution left out.

    python tools/student_edition.py stage OUT     # write the student edition's source tree into OUT
    python tools/student_edition.py needles       # print how many solution strings the leak checks look for

``make book EDITION=student`` runs ``stage _build/student/src`` and builds that tree with Jupyter Book into
``_build/student/html``; the default edition (``make book``) is built from the repository itself, unchanged.

**Why a staged source tree.** Solutions must be gone *before* Sphinx reads anything: everything the build
publishes is derived from the source files it reads (the pages, the search index, the ``_sources`` copies behind
the download buttons, myst-nb's ``jupyter_execute`` copies, the bundle of notebooks, and the PDF printed from the
pages). Removing solutions later (a doctree hook, a rewrite of the output) would have to find every one of those
paths, and each new one would leak. The staged tree is the repository's book with two differences:

* ``notebooks/{en,zh}/*.ipynb`` are the stored notebooks with their solution cells removed
  (:func:`strip_solutions`): each chapter's solutions (the hidden-toggle admonitions that ``tools/twins.py``
  writes) are replaced by one note, in the reader's language, saying that this edition leaves them out. Every
  other cell is kept as it is, code cells with their stored outputs and ids, so nbval still passes on them.
* the pages listed in :data:`PAGE_EDITS` (the preface, which promised solutions behind a toggle) get the
  sentence that is true of this edition.

Everything else is a symbolic link into the repository (``_config.yml``, ``_toc.yml``, the book's other pages,
its extensions and static files), so the two editions cannot drift apart. Files are rewritten only when their
content changes, so a second student build is incremental like a second ``make book``.

:func:`needles` gives the strings that must not reach a student: every solution's code lines and the plain-text
runs of its prose, in both languages, taken from ``notebooks/src`` through ``tools/twins.py`` (not from the
notebooks this module strips, so a stripping bug cannot hide itself). ``tests/book/test_student_edition.py``
looks for them in the built student edition (and in the default one, where they must be) and
``book/_ext/print_pdf.py --student`` in its PDFs.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from twins import LANGS, SOLUTION_TITLE, Cell, join_cjk_lines, render_solution  # noqa: E402

#: The first lines of a solution cell as tools/twins.py (render_solution) writes it: a dropdown admonition
#: titled "Solution N" / "答案 N".
SOLUTION_CELL = {lang: re.compile(rf"\A:::\{{admonition\}} {re.escape(title)} (\d+)\n:class: dropdown\n")
                 for lang, title in SOLUTION_TITLE.items()}

#: What the student edition says where a chapter's solutions were (a note, not a toggle).
NOTICE = {
    "en": ":::{admonition} Student edition\n:class: note\n"
          "This is the student edition of the book: it leaves out the solutions to these exercises. "
          "They are in the instructor edition; ask your instructor.\n:::",
    "zh": ":::{admonition} 学生版\n:class: note\n"
          "这是本书的学生版，不含这些练习的答案。答案收在教师版中，可向任课教师索取。\n:::",
}
NOTICE_ID = "{lang}-student-edition"

#: Sentences of the book's own pages that are true of the default edition only, and what the student edition
#: says instead (page, old, new). Staging fails if an old sentence is no longer on its page.
PAGE_EDITS: tuple[tuple[str, str, str], ...] = (
    ("book/en/preface.md", "exercises whose solutions are hidden behind a toggle.",
     "exercises (this student edition leaves out their solutions)."),
    ("book/zh/preface.md", "以及答案隐藏在折叠按钮之后的练习。", "以及练习（学生版不附答案）。"),
)

#: What the staged tree links to in the repository (beside the notebooks and edited pages it writes).
LINKED = ("_config.yml", "_toc.yml")


class StagingError(RuntimeError):
    """The student edition cannot be staged: the stored notebooks or pages are not what this module expects."""


def solution_number(cell: nbformat.NotebookNode, lang: str) -> int | None:
    """The exercise number of a solution cell of a ``lang`` notebook, or None for any other cell."""
    if cell.cell_type != "markdown":
        return None
    m = SOLUTION_CELL[lang].match(cell.source)
    return int(m.group(1)) if m else None


def strip_solutions(nb: nbformat.NotebookNode, lang: str) -> tuple[nbformat.NotebookNode, list[int]]:
    """A copy of ``nb`` without its solution cells, and the numbers of the solutions removed.

    The first solution cell is replaced by the :data:`NOTICE` note; the others are dropped. Every other cell
    (and the notebook's metadata) is kept unchanged."""
    out = copy.deepcopy(nb)
    cells, removed = [], []
    for cell in out.cells:
        number = solution_number(cell, lang)
        if number is None:
            cells.append(cell)
            continue
        if not removed:
            notice = nbformat.v4.new_markdown_cell(NOTICE[lang])
            notice["id"] = NOTICE_ID.format(lang=lang)
            cells.append(notice)
        removed.append(number)
    out.cells = cells
    return out, removed


def _load_cells(name: str) -> list[Cell]:
    spec = importlib.util.spec_from_file_location(f"chapter_{name}", ROOT / "notebooks" / "src" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CELLS


def chapters() -> list[str]:
    return sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


@dataclass(frozen=True)
class Solution:
    """One solution as a reader of the default edition sees it (from notebooks/src)."""

    chapter: str
    lang: str
    number: int
    markdown: str  # the solution cell's markdown, as tools/twins.py writes it into the notebook


def solutions() -> list[Solution]:
    """Every solution of every chapter, in both languages, rendered from notebooks/src by tools/twins.py."""
    out = []
    for name in chapters():
        for cell in _load_cells(name):
            if cell.kind != "solution":
                continue
            for lang in LANGS:
                text = render_solution(cell, lang)
                out.append(Solution(name, lang, cell.number, join_cjk_lines(text) if lang == "zh" else text))
    return out


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces (HTML, PDF text and markdown wrap lines differently)."""
    return re.sub(r"\s+", " ", text).strip()


_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```\s*$", re.M | re.S)
# Where a prose run is cut: markdown and MyST syntax, math, and the characters that Sphinx's smart quotes or the
# renderer change ("..." and ' become curly quotes, -- a dash, ... an ellipsis).
_CUT = re.compile(r"[`*_$\[\]()<>|#{}:\\\"'~=]|--|\.\.\.|https?\S+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def needles_of(solution: Solution) -> list[str]:
    """The strings of one solution a reader must not find in the student edition: each code line of at least
    12 characters, and each run of plain prose (between markdown syntax, math and quotes) of at least 24
    characters, or 8 Chinese characters; whitespace normalised (:func:`normalise`)."""
    body = solution.markdown.split("\n", 2)[2].rsplit("\n:::", 1)[0]  # without the admonition's first lines
    found: list[str] = []
    for block in _FENCE.findall(body):
        found += [normalise(line) for line in block.splitlines() if len(line.strip()) >= 12]
    prose = _FENCE.sub("\n", body)
    for run in _CUT.split(prose):
        run = normalise(run).strip(" ,.;，。；、")
        if len(run) >= 24 or len(_CJK.findall(run)) >= 8:
            found.append(run)
    return list(dict.fromkeys(found))


def _text_of_notebook(nb: nbformat.NotebookNode) -> str:
    """Every cell's source and every text output of a notebook, as one string."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            for value in (output.get("data") or {}).values():
                if isinstance(value, str) and len(value) < 200_000:
                    parts.append(value)
    return "\n".join(parts)


def needles() -> dict[Solution, list[str]]:
    """:func:`needles_of` each solution, less those that the book also says outside its solutions (a code line
    that repeats a line of the chapter, a phrase of the prose): those are not the solution's to leak."""
    elsewhere = []
    for lang in LANGS:
        for path in sorted((ROOT / "notebooks" / lang).glob("*.ipynb")):
            stripped, _ = strip_solutions(nbformat.read(path, as_version=4), lang)
            elsewhere.append(_text_of_notebook(stripped))
        elsewhere += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book" / lang).glob("*.md"))]
    corpus = normalise("\n".join(elsewhere))
    return {s: [n for n in needles_of(s) if n not in corpus] for s in solutions()}


# --------------------------------------------------------------------------------------------------
# Staging


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it holds it already (so that Sphinx sees an unchanged file as such)."""
    if path.is_symlink():
        path.unlink()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _link(path: Path, target: Path) -> None:
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        raise StagingError(f"{path} is a folder where the staged tree needs a link to {target}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove what a previous staging left in ``folder`` that this one does not write (a renamed chapter)."""
    for entry in folder.iterdir():
        if entry.name not in keep and (entry.is_symlink() or entry.is_file()):
            entry.unlink()


def stage(out: Path, root: Path = ROOT) -> dict[str, list[int]]:
    """Write the student edition's source tree into ``out`` (see the module docstring); returns, for each
    notebook written, the numbers of the solutions it left out. Raises :class:`StagingError` where a notebook's
    solutions are not those of its chapter in notebooks/src, or a :data:`PAGE_EDITS` sentence is missing."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        _link(out / name, root / name)
    # the book's folder: its pages, extensions and static files linked, the edited pages written
    edited = {page: [] for page, _, _ in PAGE_EDITS}
    for page, old, new in PAGE_EDITS:
        edited[page].append((old, new))
    for entry in sorted((root / "book").iterdir()):
        if entry.name in LANGS:
            (out / "book" / entry.name).mkdir(parents=True, exist_ok=True)
            for page in sorted(entry.iterdir()):
                rel = f"book/{entry.name}/{page.name}"
                if rel in edited:
                    text = page.read_text(encoding="utf-8")
                    for old, new in edited[rel]:
                        if old not in text:
                            raise StagingError(f"{rel} no longer says {old!r}: update PAGE_EDITS in {__file__}")
                        text = text.replace(old, new)
                    _write(out / rel, text)
                else:
                    _link(out / rel, page)
            _prune(out / "book" / entry.name, {p.name for p in entry.iterdir()})
        else:
            _link(out / "book" / entry.name, entry)
    _prune(out / "book", {p.name for p in (root / "book").iterdir()})
    # the notebooks, without their solutions
    expected = {name: sorted(c.number for c in _load_cells(name) if c.kind == "solution") for name in chapters()}
    removed: dict[str, list[int]] = {}
    for lang in LANGS:
        folder = out / "notebooks" / lang
        folder.mkdir(parents=True, exist_ok=True)
        paths = sorted((root / "notebooks" / lang).glob("*.ipynb"))
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            stripped, numbers = strip_solutions(nb, lang)
            if sorted(numbers) != expected.get(path.stem, []):
                raise StagingError(
                    f"notebooks/{lang}/{path.name} holds solutions {numbers}, notebooks/src/{path.stem}.py "
                    f"{expected.get(path.stem)}: rebuild the notebooks (make notebooks)")
            nbformat.validate(stripped)
            text = nbformat.writes(stripped)
            _write(folder / path.name, text if text.endswith("\n") else text + "\n")
            removed[f"notebooks/{lang}/{path.name}"] = numbers
        _prune(folder, {p.name for p in paths})
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_stage = sub.add_parser("stage", help="write the student edition's source tree")
    p_stage.add_argument("out", type=Path)
    sub.add_parser("needles", help="count the solution strings the leak checks look for")
    args = parser.parse_args(argv)
    if args.command == "stage":
        try:
            removed = stage(args.out)
        except StagingError as e:
            print(f"student edition: {e}", file=sys.stderr)
            return 1
        total = sum(len(v) for v in removed.values())
        print(f"student edition staged in {args.out}: {total} solutions left out of {len(removed)} notebooks")
    else:
        found = needles()
        print(f"{sum(map(len, found.values()))} strings from {len(found)} solutions "
              f"({sum(1 for v in found.values() if not v)} with none of their own)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
