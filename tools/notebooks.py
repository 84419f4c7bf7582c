"""Build the twin notebooks from ``notebooks/src`` and execute them in place.

    python tools/notebooks.py build   [NAME ...]   # write notebooks/{en,zh}/NAME.ipynb from notebooks/src/NAME.py
    python tools/notebooks.py execute [NAME ...]   # run them and store fresh outputs (prints the time of each)

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


def build(names: list[str]) -> None:
    for name in names:
        cells = _load_cells(name)
        for lang in LANGS:
            path = ROOT / "notebooks" / lang / f"{name}.ipynb"
            nb = build_notebook(name, cells, lang)
            nbformat.write(nb, path)
            print(f"built {path.relative_to(ROOT)}")


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
            nbformat.write(nb, path)
            dt = time.perf_counter() - t0
            print(f"executed {path.relative_to(ROOT)} in {dt:.1f} s" + (f" ({env_threads} threads)" if env_threads else ""))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("build", "execute"):
        print(__doc__)
        return 2
    names = _names(argv[1:])
    (build if argv[0] == "build" else execute)(names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
