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
        slides = [(c.metadata.get("slideshow"), c.metadata.get("tags")) for c in built.cells]
        assert slides == [(c.metadata.get("slideshow"), c.metadata.get("tags")) for c in stored.cells] and (
            built.metadata["rise"] == stored.metadata.get("rise")), (
            f"notebooks/{lang}/{name}: slides or tags differ from notebooks/src/{stem}.py: "
            f"run `python tools/notebooks.py build {stem}`")


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


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")


def printed_numbers(cell) -> set[str]:
    """The numbers a code cell printed (stream text and plain-text results), as written."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if "text/plain" in data and "image/png" not in data:
            text += str(data["text/plain"])
    return set(NUMBER.findall(text.replace("−", "-")))


@pytest.mark.parametrize("name", NAMES)
def test_twins_print_the_same_numbers(name):
    """Each code cell prints the same numbers, at the same precision, in both languages.

    The code skeleton test above cannot see inside an f-string or a ``T("…", "…")`` pair, where a format spec
    may differ between the twins; this compares what they printed. It also lets CI's perturbed nbval pass run
    the English notebooks alone: the Chinese ones print the numbers the English ones do.
    """
    en, zh = (nbformat.read(d / name, as_version=4) for d in (EN, ZH))
    for i, (a, b) in enumerate(zip(*([c for c in nb.cells if c.cell_type == "code"] for nb in (en, zh)))):
        na, nb_ = printed_numbers(a), printed_numbers(b)
        assert na == nb_, f"{name}, code cell {i}: only in en {sorted(na - nb_)}, only in zh {sorted(nb_ - na)}"


def test_printed_numbers_sees_precision():
    cell = {"outputs": [{"output_type": "stream", "text": "AUC 0.511 [0.484, 0.535], rank 43,325 of 1e5, −1.5"}]}
    assert printed_numbers(cell) == {"0.511", "0.484", "0.535", "43,325", "1e5", "-1.5"}


@pytest.mark.parametrize("name", NAMES)
def test_chapters_read_nothing_outside_the_download(name):
    """A chapter downloaded from the book (bundle: notebooks + the course_lib wheel) finds everything it reads.

    Files a chapter needs ship inside course_lib (checkpoints, studies, bench results) and are found through it;
    a path that climbs out of the notebook folder (``../../bench/...``) exists only in the repository.
    """
    for path in (EN / name, ZH / name):
        for i, src in enumerate(_code_cells(path)):
            for tok in tokenize.generate_tokens(io.StringIO(src).readline):
                if tok.type == tokenize.STRING and re.search(r"\.\./|\.\.\\\\", tok.string):
                    pytest.fail(f"{path.name} code cell {i} reads {tok.string}, outside the notebook folder: "
                                "ship the file in course_lib and read it from there")


WIDTH_ON_TRANSLATED = re.compile(r"\{[^{}]*\bT\([^{}]*\):[<>^]?\d+\}")


def test_translated_text_is_padded_by_display_width():
    """``f"{T('model', '模型'):<10}"`` pads by characters, so a Chinese column comes out too wide and the
    table drifts apart; a column of translated text goes through ``course_lib.notebook.pad`` instead."""
    bad = [f"{p.name}: {m.group(0)}" for p in sorted((ROOT / "notebooks" / "src").glob("*.py"))
           for m in WIDTH_ON_TRANSLATED.finditer(p.read_text(encoding="utf-8"))]
    assert not bad, "width by characters on translated text (use pad): " + "; ".join(bad[:5])


def test_width_check_sees_the_old_pattern():
    assert WIDTH_ON_TRANSLATED.search("""print(f"{T('model', '模型'):<10}{x:>8.3f}")""")
    assert WIDTH_ON_TRANSLATED.search("""f"{(T('yes', '是') if ok else T('no', '否')):>10}" """)
    assert not WIDTH_ON_TRANSLATED.search("""print(f"{pad(T('model', '模型'), 10, '<')}{x:>8.3f}")""")


@pytest.mark.parametrize("name", NAMES)
def test_each_cells_prints_are_one_output(name):
    """A table printed in several pieces would show as several boxes in the book (tools/notebooks.py merges
    consecutive prints after executing; nbval merges them the same way before comparing)."""
    for lang in ("en", "zh"):
        nb = nbformat.read(ROOT / "notebooks" / lang / name, as_version=4)
        for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            outs = cell.get("outputs", [])
            split = [a.name for a, b in zip(outs, outs[1:])
                     if a.output_type == b.output_type == "stream" and a.name == b.name]
            assert not split, f"{lang}/{name} code cell {i}: its {split[0]} is split (run tools/notebooks.py tidy)"
