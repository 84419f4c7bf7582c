"""A lecturer presents a chapter as slides from JupyterLab (RISE, offline), in headless Chromium (about 40 s).

Chapter 0 in Chinese, with its stored outputs cleared, is opened in JupyterLab (started as in test_lab.py: offline,
and Chromium sees no system CJK font); Alt+R (RISE's "preview" command) opens the slideshow beside it. The test
checks that a reveal.js deck appears whose first slide is the chapter's title, drawn with the CJK font that
course_lib serves (course_lib/lab.py also links it into RISE's page), that the deck has the slides that
``tools/twins.py`` set in the notebook, that the keys move to the slide below (the chapter's setup cell) and to
the next slide, that Shift+Enter on a slide runs its code cell (its Chinese output appears, with the CJK font), and
that nothing was fetched from outside the machine. ``SLIDES_SCREENSHOT=path.png`` saves a screenshot of the deck.
"""
from __future__ import annotations

import importlib.util
import os
import time

import nbformat
import pytest

from test_lab import BIN, CJK_FONT, LAUNCH_ARGS, ROOT, find_chromium, no_cjk_env, start_lab

CHAPTER = ROOT / "notebooks" / "zh" / "00_getting_started.ipynb"
TITLE = "0 · 入门"

pytestmark = [
    pytest.mark.skipif(not (BIN / "jupyter-lab").exists(), reason="JupyterLab is not installed (make venv)"),
    pytest.mark.skipif(importlib.util.find_spec("jupyterlab_rise") is None,
                       reason="RISE is not installed (the book extra's jupyterlab-rise: make venv)"),
    pytest.mark.skipif(find_chromium() is None and not os.environ.get("CI"), reason="no Chromium installed"),
]

#: the slide on show: the innermost present <section> of the deck, its heading, code cells and text
_PRESENT = """() => {
  const s = Array.from(document.querySelectorAll('.reveal .slides section.present')).pop();
  if (!s) return null;
  const h = s.querySelector('h1, h2, h3');
  return {heading: h ? h.textContent.replace('¶', '').trim() : null, code: s.querySelectorAll('.jp-CodeCell').length,
          output: Array.from(s.querySelectorAll('.jp-OutputArea-output')).map((e) => e.innerText).join('\\n')};
}"""


def _fonts_in_frame(page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the first element that matches ``selector`` in RISE's iframe with (family: glyphs)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]

    def frame_document(node):
        if node.get("nodeName") == "IFRAME" and "/rise/" in " ".join(node.get("attributes", [])):
            return node["contentDocument"]["nodeId"]
        for child in node.get("children", []):
            found = frame_document(child)
            if found:
                return found
        return None

    document = frame_document(root)
    assert document, "RISE's iframe is not in the page"
    node = cdp.send("DOM.querySelector", {"nodeId": document, "selector": selector})["nodeId"]
    assert node, f"nothing matches {selector!r} in the slideshow"
    return {f["familyName"]: f["glyphCount"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}


def _has_cjk_font(fonts: dict[str, int]) -> bool:
    return any(name.startswith(CJK_FONT) for name in fonts)


def test_a_chapter_is_presented_as_slides_offline_and_its_cells_run(tmp_path):
    from playwright.sync_api import sync_playwright

    folder = tmp_path / "notebooks" / "zh"
    folder.mkdir(parents=True)
    nb = nbformat.read(CHAPTER, as_version=4)
    slides = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    for cell in nb.cells:  # a lecturer's fresh deck: an output on a slide is one the test made appear
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, folder / CHAPTER.name)

    t0 = time.monotonic()
    with start_lab(tmp_path, folder / CHAPTER.name) as (base, token), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS,
                                    env=no_cjk_env(tmp_path))
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        outside: list[str] = []

        def only_this_machine(route):  # the network is closed: a request for anything elsewhere fails, and is noted
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_machine)
        page = context.new_page()
        page.goto(f"{base}lab/tree/notebooks/zh/{CHAPTER.name}?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.jp-Toolbar-kernelName, .jp-KernelName'))"
            ".some((e) => /Python/.test(e.textContent))", timeout=90_000)
        page.click(".jp-Notebook .jp-MarkdownCell >> nth=0")
        page.keyboard.press("Escape")  # command mode: where RISE's shortcut works
        page.keyboard.press("Alt+r")  # RISE:preview, the slideshow beside the notebook

        deck = page.frame_locator("iframe[src*='/rise/']")
        deck.locator(".reveal .slides section.present h1").wait_for(timeout=60_000)
        frame = next(f for f in page.frames if "/rise/" in f.url)
        first = frame.evaluate(_PRESENT)
        assert first["heading"] == TITLE, f"the first slide is not the chapter's title: {first}"
        # reveal.js: a <section> per slide, holding a <section> per subslide (the slide itself is the first one)
        stacks = frame.evaluate("document.querySelectorAll('.reveal .slides > section').length")
        inner = frame.evaluate("document.querySelectorAll('.reveal .slides > section > section').length")
        assert stacks == slides.count("slide") and inner == stacks + slides.count("subslide"), (
            f"{stacks} slides and {inner} subslides in the deck, {slides.count('slide')} and "
            f"{slides.count('subslide')} in the notebook's metadata")
        page.evaluate("document.fonts.ready")
        frame.wait_for_function("Array.from(document.fonts).some((f) => f.family.replace(/\"/g, '') === "
                                "'Book CJK fallback' && f.status === 'loaded')", timeout=30_000)
        title_fonts = _fonts_in_frame(page, ".reveal .slides section.present h1")
        assert _has_cjk_font(title_fonts), f"the Chinese title is drawn without a CJK font (boxes): {title_fonts}"

        deck.locator(".reveal .slides section.present .jp-MarkdownCell").first.click()
        page.keyboard.press("Escape")
        page.keyboard.press("ArrowDown")  # the subslide below the title: the chapter's setup cell
        frame.wait_for_function(f"({_PRESENT})().code === 1 && ({_PRESENT})().heading === null", timeout=10_000)
        page.keyboard.press("Shift+Enter")  # RISE runs the cell, and moves on to the next slide
        deck.locator(".jp-CodeCell .jp-OutputArea-output", has_text="随机种子 0").wait_for(timeout=60_000)
        now = frame.evaluate(_PRESENT)
        assert now["heading"] == "运行环境", f"Shift+Enter did not move on to the next slide: {now}"
        page.keyboard.press("PageUp")  # reveal.js's previous slide: back to the cell that ran
        frame.wait_for_function(f"({_PRESENT})().output.includes('中文字体')", timeout=10_000)
        output_fonts = _fonts_in_frame(page, ".reveal .slides section.present .jp-OutputArea-output pre")
        assert _has_cjk_font(output_fonts), f"the Chinese output is drawn without a CJK font: {output_fonts}"
        errors = frame.evaluate("document.querySelectorAll('[data-mime-type=\"application/vnd.jupyter.error\"]').length")
        assert errors == 0, "a cell raised an error"
        if os.environ.get("SLIDES_SCREENSHOT"):
            page.wait_for_timeout(500)
            page.screenshot(path=os.environ["SLIDES_SCREENSHOT"])
        browser.close()
    assert not outside, f"the slides fetched from outside the machine: {outside}"
    assert time.monotonic() - t0 < 90, f"the slides test took {time.monotonic() - t0:.0f} s"
