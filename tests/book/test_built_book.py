"""Checks of the built HTML book (`make book` first; `make test` runs it after the build)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from html_links import broken_links, parse

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="build the book first (make book)")


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
    broken = broken_links(HTML)
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


def test_chapter_pages_link_to_their_twin():
    for f in _toc_files():
        m = re.match(r"(notebooks|book)/(en|zh)/(.+)", f)
        if not m:
            continue
        kind, lang, stem = m.groups()
        other = "zh" if lang == "en" else "en"
        page = HTML / f"{f}.html"
        assert f"../{other}/{stem}.html" in parse(page).links, f"{f} has no link to its {other} twin"


def test_landing_page_links_to_both_parts():
    links = parse(HTML / "book" / "index.html").links
    assert any("/en/" in link or link.startswith("en/") for link in links)
    assert any("/zh/" in link or link.startswith("zh/") for link in links)


# A source line break between two Chinese characters is drawn as a space ("破坏： 每一步"): the book's text has none
# (tools/twins.py joins the notebooks' lines, book/_ext/book_ui.py the book pages').
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(f"[{_CJK}][ \t]*\n[ \t]*[{_CJK}]")


class _ProseText(HTMLParser):
    """The text of the article (not code or scripts; the caller removes the math)."""

    SKIP = {"pre", "code", "script", "style", "math", "svg"}

    def __init__(self) -> None:
        super().__init__()
        self.depth_article = 0
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth_article += 1
        if tag in self.SKIP:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth_article -= 1
        if tag in self.SKIP:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth_article and not self.skip:
            self.chunks.append(data)


def test_chinese_prose_has_no_line_breaks_between_characters():
    bad = {}
    for f in _toc_files():
        if "/zh/" not in f:
            continue
        html = (HTML / f"{f}.html").read_text(encoding="utf-8")
        html = re.sub(r'<span class="math[^"]*">.*?</span>|<div class="math[^"]*">.*?</div>', "x", html, flags=re.S)
        p = _ProseText()
        p.feed(html)
        # within one text node (between two elements, a break may be a block boundary, drawn as nothing)
        hits = [m.group(0).replace("\n", "⏎") for chunk in p.chunks for m in _CJK_BREAK.finditer(chunk)]
        if hits:
            bad[f] = hits[:5]
    assert not bad, f"line breaks between Chinese characters (drawn as spaces): {bad}"


# --------------------------------------------------------------------------------------------------
# Chinese search finds every glossary term and the words of every heading, on the page that uses them.
# The query is split as bilingual.js splits it (the longest terms the index knows, left to right) and a page is a
# result when it holds every term, as Sphinx's searchtools.js requires; tests/book/test_browser.py runs real
# queries in the browser.

_CJK_RUN = re.compile(f"[{_CJK}]+")


def _search_index() -> dict:
    import json

    text = (HTML / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def _split_query(query: str, vocab: set[str], longest: int) -> list[str]:
    """bilingual.js's splitQuery for a Chinese query (forward maximum matching with the index's vocabulary)."""
    if query in vocab:
        return [query]
    out, i = [], 0
    while i < len(query):
        for n in range(min(longest, len(query) - i), 1, -1):
            if query[i:i + n] in vocab:
                out.append(query[i:i + n])
                i += n
                break
        else:
            i += 1
    return out or [query]


def _search(index: dict, query: str) -> set[str]:
    tables = [index["terms"], index["titleterms"]]
    vocab = {t for table in tables for t in table if _CJK_RUN.search(t)}
    words = _split_query(query, vocab, max(map(len, vocab)))
    found: dict[int, set[str]] = {}
    for w in words:
        for table in tables:
            keys = [w] if w in table or len(w) <= 2 else [k for k in table if w in k]
            for k in keys:
                files = table.get(k, [])
                for f in [files] if isinstance(files, int) else files:
                    found.setdefault(f, set()).add(w)
    need = {len(set(words)), len({w for w in words if len(w) > 2})}
    return {index["docnames"][f] for f, ws in found.items() if len(ws) in need}


def _zh_pages() -> dict[str, str]:
    pages = {}
    for f in _toc_files():
        if "/zh/" in f:
            html = (HTML / f"{f}.html").read_text(encoding="utf-8")
            m = re.search(r"<article.*?</article>", html, flags=re.S)
            pages[f] = m.group(0) if m else html
    return pages


def test_chinese_search_finds_every_glossary_term():
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from book_ui import search_words

    index, pages = _search_index(), _zh_pages()
    texts = {f: re.sub(r"<[^>]+>", "", html) for f, html in pages.items()}
    missed = {}
    for word in search_words():
        uses = {f: t.count(word) for f, t in texts.items() if not f.endswith("glossary") and t.count(word)}
        if not uses:
            continue
        best = max(sorted(uses), key=lambda f: (f.startswith("notebooks/"), uses[f]))
        hits = _search(index, word)
        in_glossary = word in texts["book/zh/glossary"]  # a form with its bracket dropped may not be written there
        if best not in hits or (in_glossary and "book/zh/glossary" not in hits):
            missed[word] = f"expected {best} and the glossary, found {sorted(hits)[:5]}"
    assert not missed, f"glossary terms that Chinese search does not find where they are used: {missed}"


def test_chinese_search_finds_the_words_of_every_heading():
    import jieba

    dictionary = ROOT / "_build" / ".doctrees" / "search_words.txt"
    if dictionary.is_file():
        jieba.load_userdict(str(dictionary))
    index = _search_index()
    missed = []
    for f, html in _zh_pages().items():
        for heading in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, flags=re.S):
            text = re.sub(r"<[^>]+>|¶|#", "", heading)
            for word in {w for w in jieba.cut_for_search(text) if len(w) > 1 and _CJK_RUN.fullmatch(w)}:
                if f not in _search(index, word):
                    missed.append(f"{word} ({f}: {text.strip()[:30]})")
    assert not missed, f"{len(missed)} heading words that Chinese search does not find on their page: {missed[:20]}"
