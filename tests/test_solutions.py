"""Every exercise's solution runs: its code (written once in notebooks/src with ``solution(...)``) is executed
after the chapter's own code, in the chapter's kernel, so it sees the state a reader has when they reach the
exercises; the test that grades it in the nbgrader assignment (``solution(grade=...)``) passes right after it, and
so does the learner's self-check (``check(n)``, :mod:`course_lib.exercises`), which must not already say *right*
before the solution has run. The Chinese rendering of the code must at least compile (it differs only in strings and comments).

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

from course_lib.exercises import REGISTRY

CHAPTERS = [n for n in _names([]) if any(s.src for s in solutions(_load_cells(n)))]


def _self_check(chapter: int, number: int, right: bool) -> str:
    """A cell asserting that exercise ``number``'s self-check says right (or, before the solution, does not)."""
    want = 'v.right' if right else 'not v.right'
    when = "after" if right else "before"
    return (f"from course_lib.exercises import self_checks as _self_checks\n"
            f"v = _self_checks({chapter}, globals()).verdict({number})\n"
            f"assert {want}, f'the self-check of exercise {number} says {{v.status}} {when} the solution: {{v.hint}}'")


def test_every_self_check_has_a_solution_that_runs():
    """A self-check is only proved by the solution it is run against (below)."""
    for chapter, checks in REGISTRY.items():
        names = [n for n in _names([]) if int(n[:2]) == chapter]
        assert names, f"self-checks registered for chapter {chapter}, which does not exist"
        with_code = {s.number for s in solutions(_load_cells(names[0])) if s.src}
        assert set(checks) <= with_code, f"chapter {chapter}: self-checks {sorted(set(checks) - with_code)} have no solution code"


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
    checks = REGISTRY.get(int(name[:2]), {})
    for s in solutions(cells):
        if s.src and s.number in checks:
            nb.cells.append(nbformat.v4.new_code_cell(_self_check(int(name[:2]), s.number, right=False)))
            runs.append(("check before", s.number))
        if s.src:
            nb.cells.append(nbformat.v4.new_code_cell(render_code(s.src, "en")))
            runs.append(("code", s.number))
        if s.src and s.number in checks:
            nb.cells.append(nbformat.v4.new_code_cell(_self_check(int(name[:2]), s.number, right=True)))
            runs.append(("check", s.number))
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
            part = {"code": "the code", "test": "the nbgrader test", "check": "the self-check",
                    "check before": "the self-check (run before the solution)"}[what]
            pytest.fail(f"{name}: {part} of solution {number} fails:\n{err}")
        pytest.fail(f"{name}: the chapter itself fails before its solutions run:\n{err}")
    for (what, number), cell in zip(runs, nb.cells[first:]):
        assert cell.execution_count is not None, f"{name}: the {what} of solution {number} did not run"
