"""The built book, opened page by page in a real headless Chromium with the network closed.

`make booktest` runs this after `make book`. Every page of `_build/html` (or of the folder named by the
environment variable BOOK_HTML) is served from 127.0.0.1 by a thread of this process and opened in
Debian's Chromium driven by Playwright. Every request to anything but that server is aborted and
recorded. The tests then assert, over all pages: no external and no failed requests, no console errors,
math typeset wherever there is math, every image loaded, every internal link (and anchor) resolving, the
twin link present on every chapter page, no broken widget on the page; and that the search page finds
the right pages for English and Chinese queries.

Beyond loading: the Chinese text of the page chrome is drawn with a real CJK font (Chromium's own report of
the fonts it used, via the DevTools protocol), with the system's CJK fonts hidden from Chromium (a fontconfig
file that rejects them), so the test sees what a reader without a CJK font sees; every page fits a 390 px
phone screen, except boxes that scroll and show a cue; the search can be limited to one language and shows
text, not TeX; the language switch lands on the same section of the twin.

Set BOOK_SCREENSHOTS=/some/folder to also save light- and dark-theme screenshots of one English and
one Chinese chapter page. Set CHROMIUM to use another Chromium binary.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from headless import LAUNCH_ARGS, find_chromium, no_cjk_env, serve  # noqa: E402  (shared with make pdf)

HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
PAGE_TIMEOUT_MS = 30_000
# What a widget looks like when it did not render: its Python repr or the html-manager's placeholder.
BROKEN_WIDGET = re.compile(
    r"\b(?:interactive|IntSlider|FloatSlider|Dropdown|VBox|HBox|Output|Button|Checkbox|ToggleButtons)"
    r"\((?:children|value|description|layout)=|Loading widget|Error displaying widget"
)
_META_REFRESH = re.compile(r'<meta\s+http-equiv="Refresh"\s+content="\d+;\s*url=([^"]+)"', re.I)
# TeX that MathJax should have replaced (code blocks are excluded before this is applied; typeset math
# shows as ⟨math⟩ there, so "$⟨math⟩$" is a formula whose dollar signs were left on the page as text).
RAW_TEX = re.compile(r"\\\[|\\\]|\\\(|\\\)|\$\$|\\begin\{|\\frac\{|\$⟨math⟩|⟨math⟩\$")


pytestmark = [
    pytest.mark.skipif(
        not (HTML / "index.html").exists(), reason=f"no built book in {HTML}: run `make book` first"
    ),
    # In CI (.ci/run installs Chromium) a missing browser is an error, not a skip: see `browser`.
    pytest.mark.skipif(
        find_chromium() is None and not os.environ.get("CI"),
        reason="no Chromium installed (Debian: `apt-get install chromium`; .ci/run installs it); "
        "the browser test of the built book did not run",
    ),
]


# --------------------------------------------------------------------------------------------------
# Serving the book and driving the browser


@pytest.fixture(scope="module")
def server():
    with serve(HTML) as base:
        yield base


# Chromium sees no system CJK font: the system's fontconfig setup, plus a rule that rejects every font that
# covers Chinese. So the font test below checks the font the book serves, on any machine.


@pytest.fixture(scope="module")
def no_cjk_fontconfig(tmp_path_factory) -> dict[str, str]:
    env = no_cjk_env(tmp_path_factory.mktemp("fontconfig"))
    if shutil.which("fc-list"):
        import subprocess

        seen = subprocess.run(["fc-list", ":lang=zh"], env=env, capture_output=True, text=True).stdout.strip()
        assert not seen, f"fontconfig still offers CJK fonts to the browser: {seen[:300]}"
    return env


@pytest.fixture(scope="module")
def browser(no_cjk_fontconfig):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
    )
    if find_chromium() is None:
        pytest.fail("CI is set but no Chromium is installed: .ci/run should have installed it")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS, env=no_cjk_fontconfig)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Visit:
    """What one page did in the browser."""

    rel: str
    external: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    math_sources: int = 0
    math_rendered: int = 0
    math_errors: list[str] = field(default_factory=list)
    raw_tex: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    images: int = 0
    links: list[str] = field(default_factory=list)
    article_links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    widget_views: int = 0
    widget_notes: int = 0
    widget_run_links: int = 0
    broken_widgets: list[str] = field(default_factory=list)
    lang_switch: str | None = None
    html_lang: str = ""


def _new_context(browser, base: str, log: dict[str, list[str]], **kwargs):
    """A browser context whose only reachable host is the local server; everything else is aborted."""
    context = browser.new_context(**kwargs)
    context.set_default_timeout(PAGE_TIMEOUT_MS)

    def route(r):
        url = r.request.url
        if url.startswith(base + "/") or url == base:
            r.continue_()
        else:
            log["external"].append(url)
            r.abort()

    context.route("**/*", route)
    return context


def _watch(page, base: str, log: dict[str, list[str]]) -> None:
    """Record the page's failed requests and console errors into `log`."""

    def on_failed(request):
        # A file that is missing answers 404 (on_response). net::ERR_ABORTED on the local server only
        # means the browser dropped a request it no longer needed: the tab icon or a font of the
        # previous page when the test opens the next one, or the page a redirect leaves.
        if request.url.startswith(base) and request.failure != "net::ERR_ABORTED":
            log["failed"].append(f"{request.url} ({request.failure})")

    def on_response(response):
        if response.url.startswith(base) and response.status >= 400:
            log["failed"].append(f"{response.url} (HTTP {response.status})")

    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("console", lambda m: log["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["console"].append(f"uncaught: {e}"))


# Runs in the page after `load`: waits for MathJax and every image, then reports what the page shows.
_INSPECT = """
async () => {
  const mathNodes = document.querySelectorAll('.math, .MathJax_Preview, script[type^="math/tex"]');
  if (mathNodes.length) {
    const t0 = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - t0 < 20000)
      await new Promise((r) => setTimeout(r, 50));
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  const images = Array.from(document.images);
  for (const img of images) img.loading = 'eager';
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  await document.fonts.ready;
  const article = document.querySelector('main') || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, .highlight, textarea').forEach((n) => n.remove());
  clone.querySelectorAll('mjx-container').forEach((n) => n.replaceWith('⟨math⟩'));
  const text = clone.textContent;
  const twinArea = document.querySelector('article') || document.body;
  const sw = document.querySelector('.language-switch');
  return {
    mathSources: mathNodes.length,
    mathRendered: document.querySelectorAll('mjx-container').length,
    mathErrors: Array.from(document.querySelectorAll('mjx-merror'))
                     .map((e) => e.getAttribute('data-mjx-error') || e.textContent),
    text: text,
    images: images.length,
    brokenImages: images.filter((img) => !(img.complete && img.naturalWidth > 0))
                        .map((img) => img.currentSrc || img.src),
    links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
    articleLinks: Array.from(twinArea.querySelectorAll('a[href]')).map((a) => a.href),
    ids: Array.from(document.querySelectorAll('[id]')).map((e) => e.id)
           .concat(Array.from(document.querySelectorAll('a[name]')).map((e) => e.name)),
    widgetViews: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
    widgetNotes: document.querySelectorAll('.widget-static-note').length,
    widgetRunLinks: Array.from(document.querySelectorAll('.widget-static-note a[href="#run-this-chapter"]'))
                      .filter(() => document.getElementById('run-this-chapter')).length,
    langSwitch: sw ? sw.href : null,
    htmlLang: document.documentElement.lang,
  };
}
"""


def _pages() -> list[str]:
    skip = {"_static", "_sources", "_images", "_downloads"}
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not skip.intersection(p.relative_to(HTML).parts)
    )


def _snippets(pattern: re.Pattern[str], text: str, limit: int = 3) -> list[str]:
    return [text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ") for m in pattern.finditer(text)][
        :limit
    ]


@pytest.fixture(scope="module")
def visits(browser, server) -> dict[str, Visit]:
    """Open every page of the book once; the tests below judge what was recorded."""
    started = time.monotonic()
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log)
    page = context.new_page()
    _watch(page, server, log)
    result: dict[str, Visit] = {}
    for rel in _pages():
        for key in log:
            log[key].clear()
        refresh = _META_REFRESH.search((HTML / rel).read_text(encoding="utf-8"))
        page.goto(f"{server}/{rel}", wait_until="load")
        if refresh:  # a redirect page (the root index.html): judge the page it leads to
            target = urljoin(f"{server}/{rel}", refresh.group(1))
            page.wait_for_url(target, wait_until="load")
        info = page.evaluate(_INSPECT)
        v = Visit(rel=rel)
        if refresh:
            info["links"].append(target)
        v.external, v.failed, v.console_errors = list(log["external"]), list(log["failed"]), list(log["console"])
        v.math_sources, v.math_rendered = info["mathSources"], info["mathRendered"]
        v.math_errors = info["mathErrors"]
        v.raw_tex = _snippets(RAW_TEX, info["text"])
        v.broken_images, v.images = info["brokenImages"], info["images"]
        v.links, v.article_links, v.ids = info["links"], info["articleLinks"], set(info["ids"])
        v.widget_views, v.widget_notes = info["widgetViews"], info["widgetNotes"]
        v.widget_run_links = info["widgetRunLinks"]
        v.broken_widgets = _snippets(BROKEN_WIDGET, info["text"])
        v.lang_switch, v.html_lang = info["langSwitch"], info["htmlLang"]
        result[rel] = v
    context.close()
    elapsed = time.monotonic() - started
    print(f"\nopened {len(result)} pages in Chromium in {elapsed:.1f} s")
    return result


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {items}" for page, items in sorted(problems.items()) if items)


# --------------------------------------------------------------------------------------------------
# Every page


def test_every_toc_entry_was_opened(visits):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    missing = [f for f in files if f"{f}.html" not in visits]
    assert not missing, f"pages in _toc.yml that the built book lacks: {missing}"


def test_no_request_leaves_the_local_server(visits):
    external = {rel: v.external for rel, v in visits.items()}
    assert not any(external.values()), "pages fetch from outside the book:\n" + _report(external)


def test_no_failed_requests(visits):
    failed = {rel: v.failed for rel, v in visits.items()}
    assert not any(failed.values()), "requests that failed:\n" + _report(failed)


def test_no_console_errors(visits):
    errors = {rel: v.console_errors for rel, v in visits.items()}
    assert not any(errors.values()), "console errors:\n" + _report(errors)


def test_math_is_typeset_on_every_page_with_math(visits):
    problems: dict[str, list[str]] = {}
    for rel, v in visits.items():
        items = []
        if v.math_sources and v.math_rendered < v.math_sources:
            items.append(f"{v.math_sources} math elements, {v.math_rendered} typeset by MathJax")
        items += [f"TeX error: {e}" for e in v.math_errors]
        items += [f"raw TeX left: ...{s}..." for s in v.raw_tex]
        problems[rel] = items
    assert not any(problems.values()), "math not rendered:\n" + _report(problems)
    assert any(v.math_rendered for v in visits.values()), "no page of the book has typeset math at all"


def test_every_image_loads(visits):
    broken = {rel: v.broken_images for rel, v in visits.items()}
    assert not any(broken.values()), "images that did not load:\n" + _report(broken)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def test_every_internal_link_resolves(visits, server):
    static_ids: dict[str, set[str]] = {}
    broken: dict[str, list[str]] = {}
    for rel, v in visits.items():
        for href in sorted(set(v.links)):
            if not href.startswith(server + "/"):
                continue
            u = urlparse(href)
            target = unquote(u.path).lstrip("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            if not (HTML / target).is_file():
                broken.setdefault(rel, []).append(href[len(server) :])
                continue
            if u.fragment and target.endswith(".html"):
                if target in visits:
                    ids = visits[target].ids
                else:
                    if target not in static_ids:
                        parser = _Ids()
                        parser.feed((HTML / target).read_text(encoding="utf-8"))
                        static_ids[target] = parser.ids
                    ids = static_ids[target]
                if unquote(u.fragment) not in ids:
                    broken.setdefault(rel, []).append(f"{href[len(server):]} (no such anchor)")
    assert not broken, "broken internal links:\n" + _report(broken)


_TWIN = re.compile(r"^(?:book|notebooks)/(en|zh)/(.+\.html)$")


def test_every_chapter_page_links_to_its_twin(visits, server):
    problems: dict[str, list[str]] = {}
    for rel, v in visits.items():
        m = _TWIN.match(rel)
        if not m:
            continue
        lang, name = m.groups()
        other = "zh" if lang == "en" else "en"
        twin = f"{server}/{rel.split('/')[0]}/{other}/{name}"
        items = []
        if twin not in {h.split("#")[0] for h in v.article_links}:
            items.append(f"the page text has no link to its twin {twin[len(server):]}")
        if v.lang_switch != twin:
            items.append(f"header language switch is {v.lang_switch!r}, not the twin")
        if twin[len(server) + 1 :] not in visits:
            items.append("the twin page was not built")
        expected_lang = "zh-CN" if lang == "zh" else "en"
        if v.html_lang != expected_lang:
            items.append(f'<html lang="{v.html_lang}">, expected {expected_lang}')
        problems[rel] = items
    assert problems, "no chapter pages under book/en|zh or notebooks/en|zh were found"
    assert not any(problems.values()), "language-switch problems:\n" + _report(problems)


def test_landing_page_links_to_both_parts(visits, server):
    landing = visits["book/index.html"]
    for lang in ("en", "zh"):
        assert any(
            re.match(rf"{re.escape(server)}/(book|notebooks)/{lang}/", h) for h in landing.article_links
        ), f"the landing page has no link into the {lang} part"


def test_widgets_show_a_static_note_and_no_broken_placeholder(visits):
    problems: dict[str, list[str]] = {}
    for rel, v in visits.items():
        items = [f"widget shown as text: ...{s}..." for s in v.broken_widgets]
        if v.widget_notes != v.widget_run_links:
            items.append(f"{v.widget_notes} widget notes but {v.widget_run_links} link to the 'Run this chapter' box")
        if v.widget_notes != v.widget_views:
            items.append(f"{v.widget_views} widget outputs but {v.widget_notes} notes saying they are live in JupyterLab")
        if v.widget_views and not v.images:
            items.append("a live widget but no static figure on the page")
        problems[rel] = items
    assert not any(problems.values()), "widget problems:\n" + _report(problems)


# --------------------------------------------------------------------------------------------------
# Search, in both languages


def _page_texts() -> dict[str, str]:
    """Visible-ish text of each chapter's main content, from the static HTML (for expected hits)."""
    texts = {}
    for rel in _pages():
        if not _TWIN.match(rel):
            continue
        html = (HTML / rel).read_text(encoding="utf-8")
        m = re.search(r"<main.*?</main>", html, flags=re.S)
        body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", m.group(0) if m else html, flags=re.S)
        texts[rel] = re.sub(r"<[^>]+>", " ", body)
    return texts


def _expected_hit(term: str, lang: str, texts: dict[str, str]) -> str | None:
    """The page of `lang`'s part that uses `term` most often (chapters before prose pages)."""
    cjk = re.search(r"[^\x00-\x7f]", term)
    pattern = re.compile(re.escape(term) if cjk else rf"\b{re.escape(term)}(?:s|es)?\b", flags=re.I)
    counts = {rel: len(pattern.findall(t)) for rel, t in texts.items() if f"/{lang}/" in rel}
    counts = {rel: n for rel, n in counts.items() if n}
    if not counts:
        return None
    chapters = {rel: n for rel, n in counts.items() if rel.startswith("notebooks/")}
    pool = chapters or counts
    return max(sorted(pool), key=lambda rel: pool[rel])


_JS_RESULTS = """
() => {
  const s = document.querySelector('#search-results .search-summary, #search-results > p');
  if (!s) return null;
  const t = s.textContent;
  if (!/found|did not match|搜索完成|找到|没有/i.test(t)) return null;
  return Array.from(document.querySelectorAll('#search-results ul.search li a'))
              .map((a) => a.getAttribute('href'));
}
"""


@pytest.mark.parametrize(
    ("query", "lang"),
    [("attention", "en"), ("注意力", "zh"), ("生成对抗网络", "zh"), ("GAN", "en"), ("判别器", "zh"), ("去噪", "zh")],
)
def test_search_finds_the_right_pages(browser, server, query, lang):
    expected = _expected_hit(query, lang, _page_texts())
    if expected is None:
        pytest.skip(f"no page of the {lang} part uses {query!r} yet")
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log)
    page = context.new_page()
    _watch(page, server, log)
    page.goto(f"{server}/search.html?q={query}", wait_until="load")
    page.wait_for_function(_JS_RESULTS, timeout=PAGE_TIMEOUT_MS)
    hits = [urlparse(h).path.lstrip("/") for h in page.evaluate(_JS_RESULTS)]
    context.close()
    assert not (log["external"] or log["failed"] or log["console"]), log
    print(f"\nsearch {query!r}: {len(hits)} pages, expected {expected} at rank "
          f"{hits.index(expected) + 1 if expected in hits else None}: {hits[:6]}")
    assert expected in hits, f"searching {query!r} should find {expected}; it found {hits}"


# --------------------------------------------------------------------------------------------------
# Chinese text is drawn with a CJK font (bold and semibold included)

_CJK_FONT = re.compile(r"WenQuanYi|Noto Sans CJK|Noto Serif CJK|Source Han|PingFang|Hiragino|YaHei|SimHei|SimSun|Heiti", re.I)
_MARK_CJK = """
(selectors) => {
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]/g;
  const out = [];
  let i = 0;
  for (const [what, selector] of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.checkVisibility()) continue;  // e.g. inside a closed <details>: not drawn, no fonts
      // the element's own text (CSS.getPlatformFontsForNode reports the fonts of a node's own text runs)
      const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join("");
      const n = (own.match(cjk) || []).length;
      if (!n) continue;
      el.dataset.fontCheck = String(++i);
      out.push({ what, id: i, cjk: n, text: own.trim().slice(0, 30),
                 weight: getComputedStyle(el).fontWeight });
    }
  }
  return out;
}
"""
_CHINESE_ELEMENTS = [
    ("sidebar part caption", ".bd-sidebar-primary .caption-text"),
    ("current chapter in the sidebar", ".bd-sidebar-primary a.current"),
    ("chapter title", "article h1"),
    ("section heading", "article h2"),
    ("bold text", "article strong"),
    ("previous/next title", ".prev-next-title"),
    ("previous/next label", ".prev-next-subtitle"),
    ("in-page contents", ".bd-sidebar-secondary a"),
    ("glossary table header", "article th, article th p"),
    ("language switch", ".language-switch"),
    ("Chinese inside a formula", "mjx-utext, mjx-mtext"),
]


def _fonts_used(browser, server, rel: str) -> list[dict]:
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/{rel}", wait_until="load")
    page.evaluate(_INSPECT)
    # the served font (several MB) may still be on its way when document.fonts.ready resolved
    page.wait_for_function(
        "Array.from(document.fonts).some((f) => f.family.includes('Book CJK fallback') && f.status === 'loaded')",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)
    marked = page.evaluate(_MARK_CJK, _CHINESE_ELEMENTS)
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for m in marked:
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-font-check="{m["id"]}"]'})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        m["fonts"] = {f["familyName"]: f["glyphCount"] for f in fonts}
        m["cjk_glyphs"] = sum(n for name, n in m["fonts"].items() if _CJK_FONT.search(name))
    context.close()
    return marked


@pytest.mark.parametrize("rel", ["notebooks/zh/03_vae.html", "book/zh/glossary.html", "notebooks/zh/00_getting_started.html"])
def test_chinese_text_is_drawn_with_a_cjk_font(browser, server, rel):
    if not (HTML / rel).exists():
        pytest.skip(f"{rel} is not in this build")
    marked = _fonts_used(browser, server, rel)
    kinds = {m["what"] for m in marked}
    for required in ("sidebar part caption", "current chapter in the sidebar", "chapter title", "previous/next title"):
        if rel.endswith("glossary.html") and required == "previous/next title":
            continue
        assert required in kinds, f"{rel}: found no Chinese {required} to check (selectors out of date?)"
    if rel.endswith("glossary.html"):
        assert "glossary table header" in kinds, f"{rel}: no Chinese table header found"
    bad = [f'{m["what"]} "{m["text"]}" (weight {m["weight"]}): {m["fonts"]}' for m in marked if m["cjk_glyphs"] < m["cjk"]]
    print(f"\n{rel}: {len(marked)} Chinese elements, fonts {sorted({f for m in marked for f in m['fonts']})}")
    assert not bad, f"{rel}: Chinese characters drawn without a CJK font (boxes on a machine without one):\n" + "\n".join(bad)
    assert any(m["weight"] in ("600", "700") for m in marked), "no bold or semibold Chinese element was checked"


# --------------------------------------------------------------------------------------------------
# A 390 px phone screen

_MOBILE_OVERFLOW = (Path(__file__).parent / "mobile_overflow.js").read_text(encoding="utf-8")


def test_every_page_fits_a_phone_screen(browser, server):
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    cues = 0
    for rel in _pages():
        if _META_REFRESH.search((HTML / rel).read_text(encoding="utf-8")):
            continue  # a redirect (the root index.html): the page it leads to is checked itself
        page.goto(f"{server}/{rel}", wait_until="load")
        page.evaluate(_INSPECT)
        if page.query_selector("article"):
            page.wait_for_function("document.documentElement.dataset.scrollCues === 'ready'", timeout=PAGE_TIMEOUT_MS)
        r = page.evaluate(_MOBILE_OVERFLOW)
        cues += page.evaluate("document.querySelectorAll('.scrolls-x').length")
        items = list(r["bad"])
        if r["scrollWidth"] > r["viewport"]:
            items.insert(0, f"the page is {r['scrollWidth']} px wide")
        problems[rel] = items
    context.close()
    print(f"\n{len(problems)} pages at 390 px; {cues} boxes scroll sideways with a cue")
    assert not any(problems.values()), "wider than a 390 px screen:\n" + _report(problems)


_SIDEBAR_STATE = """
() => {
  const dialog = (id) => { const d = document.getElementById(id);
                           return d ? {open: d.open, links: d.open ? d.querySelectorAll('a[href]').length : 0} : null; };
  const side = document.getElementById('pst-primary-sidebar');
  const r = side ? side.getBoundingClientRect() : null;
  return {primary: dialog('pst-primary-sidebar-modal'), secondary: dialog('pst-secondary-sidebar-modal'),
          sidebarShown: !!(r && r.right > 10 && getComputedStyle(side).visibility !== 'hidden')};
}
"""


def _visible_toggle(page, kind: str):
    buttons = [b for b in page.query_selector_all(f".{kind}-toggle") if b.is_visible()]
    assert buttons, f"no visible {kind} sidebar button on the page"
    return buttons[0]


@pytest.mark.parametrize("rel", ["notebooks/zh/03_vae.html", "notebooks/en/07_diffusion.html"])
def test_sidebar_buttons_open_the_menus_on_a_phone(browser, server, rel):
    """At 390 px, tapping the chapter-list button opens the chapter list, and the page-contents button the
    page's contents (pydata-sphinx-theme 0.17 wired both to hidden duplicates: bilingual.js, item 6)."""
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    _watch(page, server, log)
    page.goto(f"{server}/{rel}", wait_until="load")
    page.evaluate(_INSPECT)
    assert not page.evaluate(_SIDEBAR_STATE)["primary"]["open"]
    _visible_toggle(page, "primary").tap()
    page.wait_for_timeout(400)
    state = page.evaluate(_SIDEBAR_STATE)
    assert state["primary"]["open"] and state["primary"]["links"] >= 8, f"the chapter list did not open: {state}"
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert not page.evaluate(_SIDEBAR_STATE)["primary"]["open"], "Escape does not close the chapter list"
    _visible_toggle(page, "secondary").tap()
    page.wait_for_timeout(400)
    state = page.evaluate(_SIDEBAR_STATE)
    assert state["secondary"]["open"] and state["secondary"]["links"] >= 3, f"the page contents did not open: {state}"
    # a link in the contents goes to its section and closes the menu
    page.locator("#pst-secondary-sidebar-modal a[href^='#']").nth(1).tap()
    page.wait_for_timeout(400)
    assert not page.evaluate(_SIDEBAR_STATE)["secondary"]["open"], "following a contents link leaves the menu open"
    context.close()
    assert not (log["failed"] or log["console"]), log


def test_chapter_list_button_collapses_the_sidebar_on_a_desktop(browser, server):
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/notebooks/zh/05_mnist_project.html", wait_until="load")
    page.evaluate(_INSPECT)
    assert page.evaluate(_SIDEBAR_STATE)["sidebarShown"], "the chapter list should show on a wide screen"
    _visible_toggle(page, "primary").click()
    page.wait_for_timeout(500)
    state = page.evaluate(_SIDEBAR_STATE)
    assert not state["sidebarShown"] and not state["primary"]["open"], f"the button did not collapse the chapter list: {state}"
    _visible_toggle(page, "primary").click()
    page.wait_for_timeout(500)
    assert page.evaluate(_SIDEBAR_STATE)["sidebarShown"], "a second click does not bring the chapter list back"
    context.close()


# --------------------------------------------------------------------------------------------------
# Search by language, snippets without TeX; the language switch keeps the section


def test_search_from_a_chinese_page_finds_chinese_pages_with_text_snippets(browser, server):
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log)
    page = context.new_page()
    _watch(page, server, log)
    page.goto(f"{server}/notebooks/zh/03_vae.html", wait_until="load")
    action = page.evaluate(
        "() => { const f = document.querySelector('form[action$=\"search.html\"]');"
        " return f ? Array.from(f.querySelectorAll('input[name=lang]')).map((i) => i.value) : null; }"
    )
    assert action == ["zh"], f"the search box of a Chinese page should search Chinese pages: {action}"
    page.goto(f"{server}/search.html?q=ELBO&lang=zh", wait_until="load")
    page.wait_for_function(_JS_RESULTS, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function("document.querySelectorAll('#search-results ul.search li .context').length > 0 || "
                           "document.querySelectorAll('#search-results ul.search li').length === 0", timeout=PAGE_TIMEOUT_MS)
    page.wait_for_timeout(500)
    hits = [urlparse(h).path for h in page.evaluate(_JS_RESULTS)]
    summary = page.inner_text("#search-results")
    snippets = page.evaluate("Array.from(document.querySelectorAll('#search-results .context')).map((p) => p.textContent)")
    bar = page.inner_text(".search-language")
    context.close()
    assert not (log["external"] or log["failed"] or log["console"]), log
    assert hits and all("/zh/" in h or h.endswith("book/index.html") for h in hits), hits
    assert "搜索" in summary or "找到" in summary, f"the search page speaks English on a Chinese search: {summary[:200]}"
    assert "中文" in bar and "English" in bar
    tex = [s for s in snippets if re.search(r"\\[a-zA-Z]+|\$", s)]
    assert not tex, f"search snippets show TeX: {tex[:3]}"


_ENGLISH_UI = re.compile(r"[A-Za-z]{3,}")


def test_a_chinese_search_page_speaks_chinese_and_shows_text_snippets(browser, server):
    """A search from a Chinese page: the page's heading, tab title, search box and buttons are Chinese, and the
    snippet of a chapter comes from its text, not from its table of contents (which held the first 扩散)."""
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _watch(page, server, log)
    page.goto(f"{server}/search.html?q=扩散&lang=zh", wait_until="load")
    page.wait_for_function(_JS_RESULTS, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function("Array.from(document.querySelectorAll('#search-results ul.search li'))"
                           ".some((li) => /07_diffusion/.test(li.innerHTML) && li.querySelector('.context'))",
                           timeout=PAGE_TIMEOUT_MS)
    snippet = page.evaluate("Array.from(document.querySelectorAll('#search-results ul.search li'))"
                            ".find((li) => /07_diffusion/.test(li.innerHTML)).querySelector('.context').textContent")
    heading = page.inner_text("article h1, .bd-article h1, main h1")
    title = page.title()
    labels = page.evaluate(
        """() => Array.from(document.querySelectorAll('[title], [aria-label], [placeholder]'))
                 .filter((e) => !e.closest('.bd-sidebar-primary nav'))
                 .flatMap((e) => ['title', 'aria-label', 'placeholder'].map((a) => e.getAttribute(a)).filter(Boolean))""")
    buttons = page.evaluate("Array.from(document.querySelectorAll('.search-button__default-text'))"
                            ".map((e) => e.textContent.trim())")
    context.close()
    assert not (log["external"] or log["failed"] or log["console"]), log
    assert heading.strip() == "搜索", f"the search page's heading on a Chinese search: {heading!r}"
    assert title.startswith("搜索"), title
    english = [t for t in labels + buttons if _ENGLISH_UI.search(t.replace("JavaScript", "").replace("PDF", ""))]
    assert not english, f"English interface words on a Chinese search page: {sorted(set(english))}"
    assert "目录" not in snippet and re.search("[，。]", snippet), f"the chapter's snippet is not its text: {snippet!r}"


def test_language_switch_lands_on_the_same_section(browser, server):
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/notebooks/en/03_vae.html", wait_until="load")
    page.evaluate(_INSPECT)
    sections = page.evaluate("Array.from(document.querySelectorAll('article section[id]')).map((s) => s.id)")
    target = sections[len(sections) // 2]
    page.evaluate("(id) => document.getElementById(id).scrollIntoView({block: 'start'})", target)
    page.wait_for_timeout(300)
    with page.expect_navigation(wait_until="load"):
        page.dispatch_event(".language-switch", "click")
    url = page.url
    landed = page.evaluate("() => { const e = document.getElementById(decodeURIComponent(location.hash.slice(1)));"
                           " return e ? e.id : null; }")
    context.close()
    assert "/notebooks/zh/03_vae.html#" in url, url
    assert landed == target, f"switched from section #{target} but landed on {url}"


# --------------------------------------------------------------------------------------------------
# Screenshots for a person to look at (only when asked for)


def test_screenshots(browser, server):
    out = os.environ.get("BOOK_SCREENSHOTS")
    if not out:
        pytest.skip("set BOOK_SCREENSHOTS=/folder to save light and dark screenshots of two chapter pages")
    Path(out).mkdir(parents=True, exist_ok=True)
    chapters = sorted(rel for rel in _pages() if rel.startswith("notebooks/en/"))
    wanted = os.environ.get("BOOK_SCREENSHOT_PAGE")  # e.g. 02_gan_math.html
    name = wanted if wanted else chapters[-1].split("/")[-1]
    for lang in ("en", "zh"):
        for theme in ("light", "dark"):
            log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
            context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
            context.add_init_script(f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
            page = context.new_page()
            page.goto(f"{server}/notebooks/{lang}/{name}", wait_until="load")
            page.evaluate(_INSPECT)
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            page.screenshot(path=str(Path(out) / f"{lang}_{theme}.png"), full_page=False)
            # BOOK_SCREENSHOT_SCROLL: CSS selectors, comma-separated ("div.math,.widget-static-note"):
            # one more screenshot with the first element matching each one scrolled into view.
            for i, selector in enumerate(filter(None, os.environ.get("BOOK_SCREENSHOT_SCROLL", "").split(","))):
                found = page.evaluate(
                    "(sel) => { const e = document.querySelector(sel); if (!e) return false;"
                    " e.scrollIntoView({block: 'center'}); return true; }",
                    selector.strip(),
                )
                if found:
                    page.screenshot(path=str(Path(out) / f"{lang}_{theme}_{i + 1}.png"), full_page=False)
            context.close()
            assert not (log["external"] or log["failed"] or log["console"]), log


# --------------------------------------------------------------------------------------------------
# Printed tables on Chinese pages: the columns line up

_LINE_ENDS = r"""
([marker, rows]) => {
  const pre = Array.from(document.querySelectorAll("div.cell_output pre")).find((p) => p.textContent.includes(marker));
  if (!pre) return null;
  const nodes = [];
  const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
  let text = "", node;
  while ((node = walker.nextNode())) { nodes.push([node, text.length]); text += node.textContent; }
  const at = (i) => { let k = nodes.length - 1; while (nodes[k][1] > i) k--; return [nodes[k][0], i - nodes[k][1]]; };
  const lines = text.split("\n");
  let start = 0, out = [];
  for (const line of lines) {
    if (out.length || line.includes(marker)) {
      if (out.length === rows) break;
      const end = start + line.replace(/\s+$/, "").length;
      const r = document.createRange();
      const [n0, o0] = at(end - 1), [n1, o1] = at(end - 1);
      r.setStart(n0, o0); r.setEnd(n1, o1 + 1);
      out.push({line: line, right: r.getBoundingClientRect().right});
    }
    start += line.length + 1;
  }
  return out;
}
"""


@pytest.mark.parametrize("rel, marker, rows", [
    ("notebooks/zh/06_responsible_generation.html", "插入次数", 9),   # the canary table: header and 8 rows
    ("notebooks/zh/02_gan.html", "坍塌（少于 4 个）", 4),              # the ring study: header and 3 runs
])
def test_printed_tables_line_up_on_chinese_pages(browser, server, rel, marker, rows):
    """A right-aligned last column ends at the same x on every line of the table: Chinese headers padded by
    display width (course_lib.notebook.pad) and drawn two Latin columns wide (bilingual.css)."""
    if not (HTML / rel).exists():
        pytest.skip(f"{rel} is not in this build")
    log: dict[str, list[str]] = {"external": [], "failed": [], "console": []}
    context = _new_context(browser, server, log, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/{rel}", wait_until="load")
    page.wait_for_function("document.documentElement.lang.startsWith('zh')")
    page.evaluate("document.fonts.load('16px \"Book table CJK\"', '模')")
    page.wait_for_function(
        "Array.from(document.fonts).some((f) => f.family.includes('Book table CJK') && f.status === 'loaded')",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)
    ends = page.evaluate(_LINE_ENDS, [marker, rows])
    context.close()
    assert ends, f"{rel}: no printed table with {marker!r} (has the chapter changed?)"
    assert len(ends) == rows, f"{rel}: found {len(ends)} lines of the table, expected {rows}"
    rights = [e["right"] for e in ends]
    spread = max(rights) - min(rights)
    assert spread < 1.0, f"{rel}: the table's last column ends {spread:.1f} px apart:\n" + "\n".join(
        f"{e['right']:8.1f}  {e['line']}" for e in ends)
