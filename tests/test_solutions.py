"""Every exercise's solution runs: its code (written once in notebooks/src with ``solution(...)``) is executed
after the chapter's own code, in the chapter's kernel, so it sees the state a reader has when they reach the
exercises; the test that grades it in the nbgrader assignment (``solution(grade=...)``) passes right after it. The Chinese rendering of the code must at least compile (it differs only in strings and comments).

This executes each chapter once more (about a minute each on 2 CPU cores).
"""
from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import ROOT
from notebooks import _load_cells, _names  # tools/notebooks.py
from twins import build_notebook, render_code, solutions

CHAPTERS = [n for n in _names([]) if any(s.src for s in solutions(_load_cells(n)))]


def test_solutions_are_numbered_like_the_exercises():
    for name in _names([]):
        numbers = [s.number for s in solutions(_load_cells(name))]
        assert numbers == list(range(1, len(numbers) + 1)), f"{name}: solutions numbered {numbers}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_solution_code_compiles_in_both_languages(name):
    for s in solutions(_load_cells(name)):
        for lang in ("en", "zh"):
            if s.src:
                compile(render_code(s.src, lang), f"{name} solution {s.number} ({lang})", "exec")
            if s.grade:
                compile(render_code(s.grade, lang), f"{name} solution {s.number}'s test ({lang})", "exec")


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_run_against_the_chapter(name):
    """Each solution runs after the chapter, and its nbgrader test (``solution(grade=...)``, the whole of it:
    visible and hidden parts) passes against it."""
    cells = _load_cells(name)
    nb = build_notebook(name, cells, "en")
    first = len(nb.cells)
    runs: list[tuple[str, int]] = []  # (what, exercise) of each cell appended
    for s in solutions(cells):
        if s.src:
            nb.cells.append(nbformat.v4.new_code_cell(render_code(s.src, "en")))
            runs.append(("code", s.number))
        if s.grade:
            nb.cells.append(nbformat.v4.new_code_cell(render_code(s.grade, "en")))
            runs.append(("test", s.number))
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks" / "en")}})
    try:
        client.execute()
    except CellExecutionError as err:
        index = next((i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        if index is not None and index >= first:
            what, number = runs[index - first]
            part = "the code" if what == "code" else "the nbgrader test"
            pytest.fail(f"{name}: {part} of solution {number} fails:\n{err}")
        pytest.fail(f"{name}: the chapter itself fails before its solutions run:\n{err}")
    for (what, number), cell in zip(runs, nb.cells[first:]):
        assert cell.execution_count is not None, f"{name}: the {what} of solution {number} did not run"
