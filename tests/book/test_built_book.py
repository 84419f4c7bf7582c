"""Checks of the built HTML book (`make book` first; `make test` runs it after the build)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="build the book first (make book)")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and a["id"]:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key])


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return files


def test_every_toc_entry_has_a_page():
    for f in _toc_files():
        assert (HTML / f"{f}.html").is_file(), f"{f} was not built"


def test_internal_links_and_anchors_resolve():
    pages = [p for p in HTML.rglob("*.html") if "_static" not in p.parts]
    parsed = {p.resolve(): _parse(p) for p in pages}
    broken = []
    for page, info in parsed.items():
        for link in info.links:
            u = urlparse(link)
            if u.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(u.path)).resolve() if u.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(HTML.resolve())} -> {link}")
                continue
            if u.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if u.fragment not in ids:
                    broken.append(f"{page.relative_to(HTML.resolve())} -> {link} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


def test_chapter_pages_link_to_their_twin():
    for f in _toc_files():
        m = re.match(r"(notebooks|book)/(en|zh)/(.+)", f)
        if not m:
            continue
        kind, lang, stem = m.groups()
        other = "zh" if lang == "en" else "en"
        page = HTML / f"{f}.html"
        assert f"../{other}/{stem}.html" in _parse(page).links, f"{f} has no link to its {other} twin"


def test_landing_page_links_to_both_parts():
    links = _parse(HTML / "book" / "index.html").links
    assert any("/en/" in link or link.startswith("en/") for link in links)
    assert any("/zh/" in link or link.startswith("zh/") for link in links)
