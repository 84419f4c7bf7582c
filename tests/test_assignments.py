"""The nbgrader assignments (``make assignments``, tools/assignments.py) grade for real, in both languages.

For one fast chapter per language: write its source notebook, let nbgrader's ``generate_assignment`` make the
student version (no solution and no hidden test may be left in it), hand in two submissions made from that
release — one with every answer right, one with a plausible mistake in one exercise — and let nbgrader's
``autograde`` run them offline, in a kernel of the Python running this test. The gradebook must give the right
submission every autograded point and the wrong one exactly that exercise's points less; the failing test speaks
the assignment's language. About 30 s per language on 2 CPU cores.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (it is in the test extra: pip install -e '.[test]')")
from nbgrader.api import Gradebook  # noqa: E402

from conftest import ROOT  # noqa: E402

from assignments import CODE_STUB, TEXT_STUB, build_assignment, model_answer, split_exercises, write  # noqa: E402
from notebooks import _load_cells, _names  # noqa: E402
from test_twins import code_skeleton  # noqa: E402
from twins import Cell, render_code, solutions  # noqa: E402

CHAPTER = "00_getting_started"  # runs in seconds
#: the wrong submission: exercise 1 counts every pixel with any ink, not those above 0.5
WRONG_EXERCISE, WRONG = 1, ("x_train > 0.5", "x_train > 0")
CJK = re.compile("[\u4e00-\u9fff]")


def _solutions() -> dict[int, Cell]:
    return {s.number: s for s in solutions(_load_cells(CHAPTER))}


def _nbgrader(args: list[str], course: Path, env: dict[str, str]) -> None:
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"


def _kernel_env(tmp: Path) -> dict[str, str]:
    """The environment nbgrader runs in: this Python's scripts first on PATH (nbgrader calls ``alembic``), a
    kernel "python3" that is this Python, found before any other (JUPYTER_PATH is searched first), and this
    repository's course_lib importable in it."""
    spec = tmp / "jupyter" / "kernels" / "python3" / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                "display_name": "Python 3 (ipykernel)", "language": "python"}))
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_PATH"] = str(tmp / "jupyter")
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _submission(release: nbformat.NotebookNode, lang: str, wrong: bool) -> nbformat.NotebookNode:
    """What a student hands in: the release with its answers filled in (the written ones with the model answer:
    they wait for a grader)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    sols = _solutions()
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        m = re.fullmatch(r"exercise-(\d+)-(code|answer)", grade_id)
        if not m:
            continue
        number = int(m.group(1))
        if m.group(2) == "answer":
            cell.source = model_answer(sols[number], lang)
            continue
        code = render_code(sols[number].src, lang)
        if wrong and number == WRONG_EXERCISE:
            assert WRONG[0] in code, "the planted mistake no longer applies to the solution"
            code = code.replace(*WRONG)
        cell.source = code
    return nb


@pytest.fixture(scope="module", params=["en", "zh"])
def graded(request, tmp_path_factory):
    """A course in one language, its release, and two autograded submissions ("right", "wrong")."""
    lang = request.param
    tmp = tmp_path_factory.mktemp(f"nbgrader_{lang}")
    write([CHAPTER], tmp / "course", (lang,))
    course = tmp / "course" / lang
    env = _kernel_env(tmp)
    _nbgrader(["generate_assignment", CHAPTER, "--force"], course, env)
    release = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    for student, wrong in (("right", False), ("wrong", True)):
        path = course / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(_submission(release, lang, wrong), path)
    _nbgrader(["autograde", CHAPTER, "--force", "--create"], course, env)
    return lang, course, release


def _points() -> dict[str, int]:
    """The autograded test cells and their points, as the chapter source states them."""
    return {f"exercise-{s.number}-test": s.points for s in _solutions().values() if s.grade}


def test_release_has_no_solutions_and_no_hidden_tests(graded):
    lang, course, release = graded
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    for s in _solutions().values():
        for line in render_code(s.src, lang).splitlines():
            if len(line.strip()) > 12 and not line.strip().startswith("#"):
                assert line.strip() not in text, f"solution {s.number}'s code is in the release: {line}"
        hidden = render_code(s.grade, lang).split("### BEGIN HIDDEN TESTS")[-1]
        for line in hidden.splitlines():
            if len(line.strip()) > 12 and "END HIDDEN" not in line:
                assert line.strip() not in text, f"solution {s.number}'s hidden test is in the release: {line}"
    assert text.count(CODE_STUB[lang]) == sum(1 for s in _solutions().values() if s.src)
    assert TEXT_STUB[lang] in text


def test_right_submission_gets_every_autograded_point(graded):
    lang, course, _ = graded
    points = _points()
    assert points, f"{CHAPTER} has no autograded exercise"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for cell, worth in points.items():
            grade = gb.find_grade(cell, CHAPTER, CHAPTER, "right")
            assert grade.max_score == worth
            assert grade.auto_score == worth, f"{lang}: {cell} gave {grade.auto_score} of {worth}"
        sub = gb.find_submission(CHAPTER, "right")
        assert sub.score == sum(points.values())
        # the written answers are left to the grader, and count in the maximum
        assert sub.needs_manual_grade
        assert sub.max_score == sum(points.values()) + sum(s.written for s in _solutions().values())


def test_wrong_submission_loses_exactly_that_exercises_points(graded):
    lang, course, _ = graded
    points = _points()
    failing = f"exercise-{WRONG_EXERCISE}-test"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for cell, worth in points.items():
            assert gb.find_grade(cell, CHAPTER, CHAPTER, "wrong").auto_score == (0 if cell == failing else worth)
        assert gb.find_submission(CHAPTER, "wrong").score == sum(points.values()) - points[failing]
    # the student reads why, in the assignment's language
    nb = nbformat.read(course / "autograded" / "wrong" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == failing)
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "AssertionError"
    assert bool(CJK.search(errors[0].evalue)) == (lang == "zh"), errors[0].evalue


def test_every_chapter_makes_an_assignment_in_both_languages():
    """The source notebook of every chapter: one read-only exercise cell per exercise, in order, tests with the
    points the chapter gives them, hand-graded answers worth the rest; the same code in both languages (tests
    included)."""
    for name in _names([]):
        cells = _load_cells(name)
        sols = solutions(cells)
        code = {}
        for lang in ("en", "zh"):
            nb = build_assignment(name, cells, lang)
            meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
            ids = [m["grade_id"] for m in meta if m]
            assert len(ids) == len(set(ids)), f"{name} ({lang}): grade ids repeat"
            assert [int(i.split("-")[1]) for i in ids if re.fullmatch(r"exercise-\d+", i)] == [s.number for s in sols]
            for s in sols:
                tests = [m for m in meta if m.get("grade_id") == f"exercise-{s.number}-test"]
                assert (tests[0]["points"] if tests else None) == (s.points if s.grade else None)
                graded_by_hand = sum(m.get("points", 0) for m in meta if m.get("grade_id", "").startswith(
                    f"exercise-{s.number}-") and m.get("solution"))
                assert graded_by_hand == (s.written if s.grade else s.points), f"{name} exercise {s.number}"
            code[lang] = [code_skeleton(c.source) for c in nb.cells if c.cell_type == "code"]
        assert code["en"] == code["zh"], f"{name}: the assignments' code differs beyond comments and strings"


def test_split_exercises():
    text = "Summary.\n\n## Exercises\n\nDo these.\n\n1. First,\n   two lines.\n2. Second."
    found = split_exercises(text, "en")
    assert found is not None and found.before == "Summary." and found.heading == "## Exercises\n\nDo these."
    assert found.items == {1: "1. First,\n   two lines.", 2: "2. Second."}
    assert split_exercises("## Exercises of old\n\n1. x", "en") is None
