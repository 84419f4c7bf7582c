"""The instructor's guide, book/{en,zh}/instructors.md: its generated blocks are what tools/guide.py writes from
notebooks/timings.json and notebooks/src today; the two languages have the same sections and the same numbers;
every chapter has learning objectives in both languages; and the run times come from a complete measurement."""
from __future__ import annotations

import json
import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import guide  # noqa: E402
from notebooks import TIMINGS, _load_cells, _names  # noqa: E402
from test_twin_structure import headings  # noqa: E402

NAMES = _names([])


@pytest.mark.parametrize("lang", guide.LANGS)
def test_generated_blocks_are_current(lang):
    page = guide.PAGES[lang].read_text(encoding="utf-8")
    assert guide.render(page, guide.blocks(lang)) == page, (
        f"book/{lang}/instructors.md is stale: run `python tools/guide.py` (after `python tools/notebooks.py time` "
        "if the notebooks changed)")


def _numbers(text: str) -> list[str]:
    """The numbers of a text outside link targets (chapter file names), in order."""
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_the_languages_have_the_same_sections_and_numbers():
    pages = {lang: guide.PAGES[lang].read_text(encoding="utf-8") for lang in guide.LANGS}
    assert headings(pages["en"]) == headings(pages["zh"])
    keys = {lang: [m.group("key") for m in guide.BLOCK.finditer(p)] for lang, p in pages.items()}
    assert keys["en"] == keys["zh"], "the generated blocks stand in another order"
    en, zh = guide.blocks("en"), guide.blocks("zh")
    prose = {guide.WORDS["en"]["exercise"], guide.WORDS["en"]["topics"]}  # columns of words, not of data
    for key in en:
        rows = {lang: [line.strip("| ").split(" | ") for line in b[key].splitlines() if line.startswith("|")]
                for lang, b in (("en", en), ("zh", zh))}
        assert len(rows["en"]) == len(rows["zh"]), f"{key}: tables of another length"
        header: list[str] = []
        for i, (a, b) in enumerate(zip(rows["en"], rows["zh"])):
            assert len(a) == len(b), f"{key}: rows of another width: {a} vs {b}"
            if i + 1 < len(rows["en"]) and rows["en"][i + 1][0].startswith("---"):
                header = a  # a table starts: its columns' names
            for column, x, y in zip(header, a, b):
                if column not in prose:
                    assert _numbers(x) == _numbers(y), f"{key}, column {column!r}: {x!r} vs {y!r}"
        if not rows["en"]:  # a block of prose: the same numbers in the same order
            assert _numbers(en[key]) == _numbers(zh[key]), key


@pytest.mark.parametrize("name", NAMES)
def test_every_chapter_has_objectives_in_both_languages(name):
    (obj,) = [c for c in _load_cells(name) if c.kind == "objectives"]
    assert obj.items["en"] and len(obj.items["en"]) == len(obj.items["zh"])
    assert all(re.search(r"[\u4e00-\u9fff]", item) for item in obj.items["zh"]), "a zh objective without Chinese"
    assert all(n < int(name[:2]) for n in obj.requires), "a chapter builds only on earlier chapters"
    for lang in guide.LANGS:  # drawn under the chapter's title in both twins
        first = next(c for c in json.loads((ROOT / "notebooks" / lang / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
                     if c["cell_type"] == "markdown")
        text = "".join(first["source"])
        assert all(item in text for item in obj.items[lang]), f"{lang}/{name}: objectives not under the title"


def test_timings_cover_every_chapter_and_say_where_they_were_measured():
    data = json.loads(TIMINGS.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "torch_threads_default", "torch"} <= set(data["machine"])
    for name in NAMES:
        t = data["notebooks"][name][guide.TIMED_LANG]
        assert t["total_s"] >= t["cells_s"] > 0 and len(t["load_start"]) == len(t["load_end"]) == 3
        assert t["torch_threads"] >= 1
        assert t["slowest"] == sorted(t["slowest"], key=lambda c: -c["seconds"])


def test_a_stale_or_missing_block_is_seen():
    page = guide.PAGES["en"].read_text(encoding="utf-8")
    stale = page.replace("% END generated: overview", "| 1 | 2 |\n% END generated: overview")
    assert guide.render(stale, guide.blocks("en")) == page
    with pytest.raises(ValueError, match="generated blocks"):
        guide.render(re.sub(r"% BEGIN generated: plan-6.*?% END generated: plan-6\n", "", page, flags=re.S),
                     guide.blocks("en"))
