"""Build the twin notebooks from ``notebooks/src`` and execute them in place.

    python tools/notebooks.py build   [NAME ...]   # write notebooks/{en,zh}/NAME.ipynb from notebooks/src/NAME.py
                                                   # (outputs kept when no code cell changed; else execute NAME)
    python tools/notebooks.py execute [NAME ...]   # run them and store fresh outputs (prints the time of each)
    python tools/notebooks.py tidy    [NAME ...]   # merge each cell's consecutive prints (execute does it too)
    python tools/notebooks.py time    [--lang en|zh ...] [NAME ...]
                                                   # run a copy of each notebook (the stored ones are left as they
                                                   # are), time every cell, write notebooks/timings.json

With no NAME, every chapter. ``make notebooks`` runs both steps.
"""
from __future__ import annotations

import copy
import datetime
import importlib.util
import json
import os
import platform
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


TIMINGS = ROOT / "notebooks" / "timings.json"
SLOWEST = 3  # cells listed per notebook
_PROBE = "import torch\nprint(torch.get_num_threads(), torch.__version__)"


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it (Linux), else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def first_line(source: str) -> str:
    """The first line of a cell that is code (not a comment, not blank), shortened for a table."""
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line if len(line) <= 60 else line[:57] + "..."
    return ""


def _cell_seconds(cell: nbformat.NotebookNode) -> float:
    """Wall-clock seconds of an executed cell, from the timestamps nbclient records (``record_timing``)."""
    ex = cell.metadata.get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def time_notebook(path: Path, timeout: int = 1800) -> tuple[dict, dict]:
    """Execute a copy of the notebook at ``path`` in its folder (the file is not written) and time each cell.
    Returns (its entry of timings.json, the kernel's torch version)."""
    nb = copy.deepcopy(nbformat.read(path, as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE))  # asked after the chapter, not timed with it
    load_start = _load()
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   record_timing=True).execute()
    total = time.perf_counter() - t0
    probe = nb.cells.pop()
    threads, version = "".join(o.get("text", "") for o in probe.outputs).split()
    cells = [(c.execution_count, first_line(c.source), _cell_seconds(c)) for c in nb.cells
             if c.cell_type == "code" and c.source.strip()]
    slowest = sorted(cells, key=lambda c: -c[2])[:SLOWEST]
    entry = {
        "torch_threads": int(threads),  # what the chapter ran on (some set one thread), read after its last cell
        "total_s": round(total, 1),  # wall clock, kernel start included
        "cells_s": round(sum(c[2] for c in cells), 1),
        "code_cells": len(cells),
        "slowest": [{"cell": n, "code": line, "seconds": round(s, 1)} for n, line, s in slowest],
        "load_start": load_start,
        "load_end": _load(),
        "measured": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    return entry, {"torch": version}


def time_notebooks(names: list[str], langs: tuple[str, ...] = ("en",)) -> None:
    """Time ``names`` in ``langs`` and write them into ``notebooks/timings.json`` (other entries are kept when
    they were measured on the same machine)."""
    import torch  # here, not at the top: the other commands do not need it

    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
               "torch_threads_default": torch.get_num_threads()}
    data = json.loads(TIMINGS.read_text(encoding="utf-8")) if TIMINGS.exists() else {}
    if {k: data.get("machine", {}).get(k) for k in machine} != machine:
        data = {}  # another machine: its numbers are not comparable with these
    data.setdefault("notebooks", {})
    for name in names:
        for lang in langs:
            path = ROOT / "notebooks" / lang / f"{name}.ipynb"
            entry, torch_info = time_notebook(path)
            data["machine"] = {**machine, **torch_info}
            data["notebooks"].setdefault(name, {})[lang] = entry
            data["notebooks"] = dict(sorted(data["notebooks"].items()))
            TIMINGS.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"timed {path.relative_to(ROOT)}: {entry['total_s']} s (load {entry['load_start'][0]} -> "
                  f"{entry['load_end'][0]}); slowest: "
                  + ", ".join(f"[{c['cell']}] {c['seconds']} s" for c in entry["slowest"]))


def main(argv: list[str]) -> int:
    commands = {"build": build, "execute": execute, "tidy": tidy}
    if argv and argv[0] == "time":
        langs, rest = [], []
        args = iter(argv[1:])
        for a in args:
            if a == "--lang":
                langs.append(next(args))
            else:
                rest.append(a)
        if any(lang not in LANGS for lang in langs):
            print(__doc__)
            return 2
        time_notebooks(_names(rest), tuple(langs) or ("en",))
        return 0
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    commands[argv[0]](_names(argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
