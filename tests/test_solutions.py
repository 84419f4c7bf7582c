"""Every exercise's solution runs: its code (written once in notebooks/src with ``solution(...)``) is executed
after the chapter's own code, in the chapter's kernel, so it sees the state a reader has when they reach the
exercises. The Chinese rendering of the code must at least compile (it differs only in strings and comments).

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


@pytest.mark.parametrize("name", CHAPTERS)
def test_solutions_run_against_the_chapter(name):
    cells = _load_cells(name)
    nb = build_notebook(name, cells, "en")
    first = len(nb.cells)
    runs = [s for s in solutions(cells) if s.src]
    for s in runs:
        nb.cells.append(nbformat.v4.new_code_cell(render_code(s.src, "en")))
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks" / "en")}})
    try:
        client.execute()
    except CellExecutionError as err:
        index = next((i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        if index is not None and index >= first:
            pytest.fail(f"{name}: the code of solution {runs[index - first].number} fails:\n{err}")
        pytest.fail(f"{name}: the chapter itself fails before its solutions run:\n{err}")
    for s, cell in zip(runs, nb.cells[first:]):
        assert cell.execution_count is not None, f"{name}: solution {s.number} did not run"
