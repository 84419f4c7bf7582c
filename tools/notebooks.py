"""Build the twin notebooks from ``notebooks/src`` and execute them in place.

    python tools/notebooks.py build   [NAME ...]   # write notebooks/{en,zh}/NAME.ipynb from notebooks/src/NAME.py
                                                   # (outputs kept when no code cell changed; else execute NAME)
    python tools/notebooks.py execute [NAME ...]   # run them and store fresh outputs (prints the time of each)
    python tools/notebooks.py tidy    [NAME ...]   # merge each cell's consecutive prints (execute does it too)

With no NAME, every chapter. ``make notebooks`` runs both steps.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks" / "src"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from twins import LANGS, build_notebook  # noqa: E402


def _names(args: list[str]) -> list[str]:
    if args:
        return [Path(a).stem for a in args]
    return sorted(p.stem for p in SRC.glob("[0-9][0-9]_*.py"))


def _load_cells(name: str):
    spec = importlib.util.spec_from_file_location(f"chapter_{name}", SRC / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.CELLS


#: notebook metadata that the build writes from the source (the kernel and RISE's slideshow settings): a rebuild
#: replaces it, while the rest (what the kernel wrote when it ran) is kept with the outputs
FROM_SOURCE = ("kernelspec", "rise")


def keep_outputs(new: nbformat.NotebookNode, old: nbformat.NotebookNode) -> bool:
    """Give ``new`` the outputs of ``old`` when their code cells are the same, in the same order (an edit of the
    prose only); returns whether it did. The outputs of code that changed are not kept: run ``execute``."""
    new_code = [c for c in new.cells if c.cell_type == "code"]
    old_code = [c for c in old.cells if c.cell_type == "code"]
    if [c.source for c in new_code] != [c.source for c in old_code]:
        return False
    for n, o in zip(new_code, old_code):
        n.outputs = o.get("outputs", [])
        n.execution_count = o.get("execution_count")
    for key, value in old.metadata.items():  # the kernel's language_info and the widgets' saved state
        if key not in FROM_SOURCE:
            new.metadata[key] = value
    return True


def build(names: list[str]) -> None:
    for name in names:
        cells = _load_cells(name)
        for lang in LANGS:
            path = ROOT / "notebooks" / lang / f"{name}.ipynb"
            nb = build_notebook(name, cells, lang)
            kept = path.exists() and keep_outputs(nb, nbformat.read(path, as_version=4))
            nbformat.write(nb, path)
            print(f"built {path.relative_to(ROOT)}" + (" (code unchanged: outputs kept)" if kept else
                                                        f" without outputs: run `python tools/notebooks.py execute {name}`"))


def coalesce_streams(nb: nbformat.NotebookNode) -> int:
    """Merge consecutive stdout (or stderr) outputs of each cell into one (nbconvert's
    ``CoalesceStreamsPreprocessor``); returns how many were merged.

    A kernel sends a cell's prints in several messages when time passes between them (a table's header, then
    its rows as they are computed), and the book would draw each piece as a box of its own, splitting a table.
    nbval merges them the same way before it compares, so merging changes no check.
    """
    before = sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    return before - sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")


def tidy(names: list[str]) -> None:
    for name in names:
        for lang in LANGS:
            path = ROOT / "notebooks" / lang / f"{name}.ipynb"
            nb = nbformat.read(path, as_version=4)
            merged = coalesce_streams(nb)
            nbformat.write(nb, path)
            print(f"tidied {path.relative_to(ROOT)}: {merged} print(s) merged into the one before")


def execute(names: list[str], timeout: int = 900) -> None:
    env_threads = os.environ.get("COURSE_LIB_THREADS")
    for name in names:
        for lang in LANGS:
            path = ROOT / "notebooks" / lang / f"{name}.ipynb"
            nb = nbformat.read(path, as_version=4)
            t0 = time.perf_counter()
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                record_timing=False,
            )
            client.execute()
            coalesce_streams(nb)
            nbformat.write(nb, path)
            dt = time.perf_counter() - t0
            print(f"executed {path.relative_to(ROOT)} in {dt:.1f} s" + (f" ({env_threads} threads)" if env_threads else ""))


def main(argv: list[str]) -> int:
    commands = {"build": build, "execute": execute, "tidy": tidy}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    commands[argv[0]](_names(argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
