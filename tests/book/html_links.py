"""The links and anchors of built HTML pages: one parser and one link check for every edition of the book."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse


class Links(HTMLParser):
    """Collects a page's ``href``/``src`` targets (``links``) and its element ids (``ids``)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        self.links += [a[k] for k in ("href", "src") if a.get(k)]


def parse(path: Path) -> Links:
    """The links and ids of the HTML file at ``path``."""
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def broken_links(html_root: Path) -> list[str]:
    """``"page -> link"`` for every internal link of the pages under ``html_root`` (``_static`` aside) whose file
    does not exist or whose ``#anchor`` names no id of an HTML target."""
    root = html_root.resolve()
    parsed = {p.resolve(): parse(p) for p in root.rglob("*.html") if "_static" not in p.parts}
    broken = []
    for page, info in parsed.items():
        for link in info.links:
            u = urlparse(link)
            if u.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(u.path)).resolve() if u.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(root)} -> {link}")
                continue
            if u.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if u.fragment not in ids:
                    broken.append(f"{page.relative_to(root)} -> {link} (no such anchor)")
    return broken
