"""The table of contents lists every notebook and page exactly once per language, in the same order."""
from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT


def _toc():
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def _files(entries):
    for e in entries:
        if "file" in e:
            yield e["file"]
        yield from _files(e.get("sections", []))


def test_toc_structure():
    toc = _toc()
    assert toc["format"] == "jb-book" and toc["root"] == "book/index"
    assert [p["caption"] for p in toc["parts"]] == ["English", "中文"]


def test_every_notebook_and_page_once_per_language():
    toc = _toc()
    parts = {p["caption"]: list(_files(p["chapters"])) for p in toc["parts"]}
    for caption, lang in (("English", "en"), ("中文", "zh")):
        files = parts[caption]
        assert len(files) == len(set(files)), f"{caption}: an entry is listed twice"
        assert all(f"/{lang}/" in f for f in files), f"{caption}: an entry of the other language"
        expected = {f"notebooks/{lang}/{p.stem}" for p in (ROOT / "notebooks" / lang).glob("*.ipynb")}
        expected |= {f"book/{lang}/{p.stem}" for p in (ROOT / "book" / lang).glob("*.md")}
        assert set(files) == expected, f"{caption}: missing {expected - set(files)}, extra {set(files) - expected}"
        for f in files:
            assert any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb")), f"{f} does not exist"


def test_same_chapters_in_the_same_order():
    toc = _toc()
    en, zh = (list(_files(p["chapters"])) for p in toc["parts"])
    assert [f.replace("/en/", "/") for f in en] == [f.replace("/zh/", "/") for f in zh]
