"""The shape of course_lib's imports: no cycles, and imports at the top of each module.

The graph is built from the source (the AST of every module), with every kind of edge Python follows at run
time: module-level imports, imports inside functions, the registry's ``"course_lib.x:attr"`` strings (imported
on first use) and a submodule's parent package (imported before it). Only ``if TYPE_CHECKING:`` blocks are left
out: they never run.

The layers this keeps (read from the bottom): seed, device, data, stats, text, optim, distributed, fonts,
plotting → checkpoint, training → models (each with its Task), metrics → registry → evaluator → audit → cli.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_lib"

#: Third-party packages a function may import when it runs, and why (everything else is imported at the top).
LAZY_THIRD_PARTY = {
    "opacus": "3.8 s to import; only the DP-SGD task needs it",
    "scipy": "0.75 s to import; only the interval functions of stats.py need it",
    "IPython": "present only inside Jupyter; setup_notebook() needs it",
    "sklearn": "1.4 s to import; only fitting a VAE's mixture prior (LatentMixture.fit) needs it",
}
#: The command line may defer these too: `python -m course_lib --help` answers in a tenth of a second because
#: it imports a subcommand's modules (PyTorch, matplotlib, course_lib's own) only when that subcommand runs.
LAZY_IN_CLI = {"torch", "matplotlib", "course_lib"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` with the ``if TYPE_CHECKING:`` blocks left out, with the enclosing function (or None)."""
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, fn = stack.pop()
        yield node, fn
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend((c, fn) for c in child.orelse)
                continue
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else fn
            stack.append((child, inner))


def import_graph(root: Path = PACKAGE) -> tuple[dict[str, dict[str, int]], list[tuple[str, int, str, str]]]:
    """``(edges, function_imports)`` of the package at ``root``.

    ``edges[a][b]`` is a line of ``a`` that makes ``b`` load; ``function_imports`` lists
    ``(module, line, function, imported module)`` for every import inside a function.
    """
    files = {(_module_name(p, root)): p for p in root.rglob("*.py")}
    top = root.name
    edges: dict[str, dict[str, int]] = {m: {} for m in files}
    fn_imports: list[tuple[str, int, str, str]] = []
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        if "." in mod:
            edges[mod].setdefault(mod.rpartition(".")[0], 0)  # the parent package runs first
        for node, fn in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                    rf"{top}(\.\w+)+:\w+", node.value):
                targets = [node.value.split(":")[0]]
            else:
                continue
            if fn is not None and isinstance(node, (ast.Import, ast.ImportFrom)):
                fn_imports.append((mod, node.lineno, fn, targets[0]))
            for t in targets:
                while t and t not in files and "." in t:  # "pkg.mod.attr" → "pkg.mod"
                    t = t.rpartition(".")[0]
                if t in files and t != mod:
                    edges[mod].setdefault(t, node.lineno)
    return edges, fn_imports


def find_cycle(edges: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle of the graph as ``[a, b, …, a]``, or ``None``."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(edges.get(v, {})):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := visit(w)):
                return found
        state[v] = 2
        path.pop()
        return None

    for v in sorted(edges):
        if v not in state and (found := visit(v)):
            return found
    return None


def _describe(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    return " → ".join(f"{a} (line {edges[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" → {cycle[-1]}"


def test_course_lib_has_no_import_cycle() -> None:
    edges, _ = import_graph()
    assert len(edges) > 30, "the package was not found"
    cycle = find_cycle(edges)
    assert cycle is None, f"import cycle: {_describe(cycle, edges)}"


def test_functions_import_only_what_must_wait() -> None:
    _, fn_imports = import_graph()
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for mod, line, fn, target in fn_imports:
        root = target.split(".")[0]
        allowed = LAZY_THIRD_PARTY.keys() | (LAZY_IN_CLI if mod == "course_lib.cli" else set())
        if root in stdlib or root not in allowed:
            bad.append(f"{mod}:{line} {fn}() imports {target}")
    assert not bad, ("imports inside functions (move them to the top of the module; only slow or optional "
                     "packages may wait, see LAZY_THIRD_PARTY):\n" + "\n".join(bad))


def test_the_checker_finds_cycles_through_functions_and_registry_strings(tmp_path: Path) -> None:
    """The graph sees what Python runs: a cycle closed by an import inside a function, or by a registry string,
    is found; one closed only under TYPE_CHECKING is not."""
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    assert find_cycle(import_graph(pkg)[0]) is None
    (pkg / "b.py").write_text("def f():\n    from .a import x\n")
    edges, fn_imports = import_graph(pkg)
    assert find_cycle(edges) in (["toy.a", "toy.b", "toy.a"], ["toy.b", "toy.a", "toy.b"])
    assert fn_imports == [("toy.b", 2, "f", "toy.a")]
    (pkg / "b.py").write_text("TABLE = {'x': 'toy.sub.c:thing'}\n")
    (pkg / "sub" / "c.py").write_text("from ..a import y\n")
    assert find_cycle(import_graph(pkg)[0]) is not None


def test_light_entry_points_load_neither_torch_nor_matplotlib() -> None:
    """`import course_lib`, the command line's --help, the registry's table and JupyterLab's font extension
    (which starts with every Jupyter server) stay light."""
    code = ("import sys, course_lib, course_lib.cli, course_lib.registry, course_lib.lab\n"
            "course_lib.cli.build_parser()\n"
            "print(sorted({'torch', 'matplotlib', 'opacus', 'scipy'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"heavy packages loaded by the light entry points: {out.strip()}"


@pytest.mark.parametrize("name", ["training", "registry", "checkpoint"])
def test_the_spine_stays_below_the_models(name: str) -> None:
    """The spine names no model: a model imports the spine, never the other way round."""
    edges, _ = import_graph()
    reach, todo = set(), [f"course_lib.{name}"]
    while todo:
        for w in edges[todo.pop()]:
            if w not in reach:
                reach.add(w)
                todo.append(w)
    models = {m for m in reach if m.startswith("course_lib.models.") or m.startswith("course_lib.responsible.")}
    if name == "registry":  # the registry names every model (as strings, imported on first use): that is its job
        assert "course_lib.models.vae" in models
    else:
        assert not models, f"course_lib.{name} reaches {sorted(models)}"
