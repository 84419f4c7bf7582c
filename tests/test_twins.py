"""Twins: every chapter exists in en/ and zh/ with the same code, and the zh prose really is Chinese."""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

EN = ROOT / "notebooks" / "en"
ZH = ROOT / "notebooks" / "zh"
NAMES = sorted(p.name for p in EN.glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _code_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def code_skeleton(src: str) -> list[str]:
    """The tokens of a cell with comments and string literals set aside (they may differ between twins)."""
    src = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.STRING or tok.type in {getattr(tokenize, n, -1) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")}:
            out.append("<str>")
            continue
        out.append(tok.string)
    return out


def test_there_are_chapters():
    assert NAMES, "no notebooks in notebooks/en"


def test_same_notebooks_in_both_languages():
    assert NAMES == sorted(p.name for p in ZH.glob("*.ipynb"))


@pytest.mark.parametrize("name", NAMES)
def test_same_code_cells_in_same_order(name):
    en, zh = _code_cells(EN / name), _code_cells(ZH / name)
    assert len(en) == len(zh), f"{name}: {len(en)} code cells in en, {len(zh)} in zh"
    for i, (a, b) in enumerate(zip(en, zh)):
        assert code_skeleton(a) == code_skeleton(b), f"{name}: code cell {i} differs beyond comments and strings"


@pytest.mark.parametrize("name", NAMES)
def test_zh_markdown_is_chinese_and_en_is_not(name):
    for lang, path in (("en", EN / name), ("zh", ZH / name)):
        nb = nbformat.read(path, as_version=4)
        md = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert md, f"{path}: no prose"
        for i, text in enumerate(md):
            # Drop code, math, links' targets and the twin link before counting.
            prose = re.sub(r"```.*?```|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<small>.*?</small>", "", text, flags=re.S)
            prose = re.sub(r"^:::.*$|^:[a-z-]+:.*$|\{[a-z:]+\}`[^`]*`", "", prose, flags=re.M)  # MyST directives, roles
            letters = re.findall(r"[A-Za-z\u4e00-\u9fff]", prose)
            if len(letters) < 20:
                continue
            share = len(CJK.findall(prose)) / len(letters)
            if lang == "zh":
                assert share > 0.3, f"{path} markdown cell {i} is mostly not Chinese ({share:.0%} CJK)"
            else:
                assert share < 0.05, f"{path} markdown cell {i} has Chinese in the English twin ({share:.0%})"


@pytest.mark.parametrize("name", NAMES)
def test_first_cell_links_to_twin(name):
    stem = name.removesuffix(".ipynb")
    for lang, other in (("en", "zh"), ("zh", "en")):
        nb = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
        assert nb.cells[0].cell_type == "markdown"
        assert f"(../{other}/{stem}.ipynb)" in nb.cells[0].source


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_match_their_source(name):
    """The notebooks are generated from notebooks/src; a hand edit that bypassed the source is caught here."""
    from notebooks import _load_cells  # tools/notebooks.py
    from twins import build_notebook

    stem = name.removesuffix(".ipynb")
    if not (ROOT / "notebooks" / "src" / f"{stem}.py").exists():
        pytest.skip("no source file")
    cells = _load_cells(stem)
    for lang in ("en", "zh"):
        built = build_notebook(stem, cells, lang)
        stored = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
        assert [c.source for c in built.cells] == [c.source for c in stored.cells], (
            f"notebooks/{lang}/{name} differs from notebooks/src/{stem}.py: run `make notebooks`"
        )


@pytest.mark.parametrize("name", NAMES)
def test_executed_in_order_with_clean_outputs(name):
    for lang in ("en", "zh"):
        nb = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert None not in counts, f"{lang}/{name}: a code cell was never executed (run `make notebooks`)"
        assert counts == list(range(1, len(counts) + 1)), f"{lang}/{name}: cells were not run top to bottom"
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            assert "NBVAL_SKIP" not in c.source, f"{lang}/{name}: NBVAL_SKIP hides a cell from the tests"
            for out in c.get("outputs", []):
                assert out.output_type != "error", f"{lang}/{name}: a cell raised an error"
                text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                assert "missing from font" not in text, f"{lang}/{name}: a glyph is missing (boxes in a figure)"
                assert "image/svg+xml" not in out.get("data", {}), f"{lang}/{name}: keep figures PNG"
