"""A student's and an instructor's first minutes in JupyterLab, in headless Chromium (about 1-2 minutes).

Chapter 3 (Chinese), taken from the book's download (the bundle zip) when the book is built, else from the
repository, is trusted as the bundle's README and `make lab` say, JupyterLab is started on a temporary folder
with the kernel `make venv` installs, and Chromium sees no system CJK font (as on a bare Linux, WSL or a Docker
JupyterHub image). The test checks what the reader sees on opening it: the notebook is not marked modified (its
stored kernelspec is the one a plain install has: "Python 3 (ipykernel)"), no widget shows as raw text, the title
shows once (jupyterlab-myst repeats a title that does not open the first cell), the citations are rendered (not
raw `{cite:p}`), and the Chinese headings, text and code comments are drawn with the CJK font that course_lib
serves to JupyterLab (course_lib/lab.py), not as boxes. Then it runs all cells, moves a slider of the latent
explorer and checks that the figure changed, and that the printed Chinese output has the font too.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHAPTER = ROOT / "notebooks" / "zh" / "03_vae.ipynb"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from headless import LAUNCH_ARGS, find_chromium, no_cjk_env  # noqa: E402  (shared with make pdf and the browser test)

BUNDLE = ROOT / "_build" / "html" / "bundle"
CJK_FONT = ("WenQuanYi", "Noto Sans CJK", "Source Han", "PingFang", "YaHei", "SimHei")


pytestmark = [
    pytest.mark.skipif(not (BIN / "jupyter-lab").exists(), reason="JupyterLab is not installed (make venv)"),
    pytest.mark.skipif(find_chromium() is None and not os.environ.get("CI"), reason="no Chromium installed"),
]


@contextlib.contextmanager
def start_lab(tmp_path: Path, notebook: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab on ``tmp_path`` (``notebook`` trusted), offline, with the kernel and extensions of this venv; yields
    its base URL and its token."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    subprocess.run([str(BIN / "jupyter"), "trust", str(notebook)], check=True, env=env, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(12)
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        t0 = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t0 > 90:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-2000:])
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/", token
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def lab(tmp_path):
    folder = tmp_path / "notebooks" / "zh"
    folder.mkdir(parents=True)
    notebook = folder / CHAPTER.name
    zips = sorted(BUNDLE.glob("*.zip"))
    if zips:  # the notebook a student downloads
        with zipfile.ZipFile(zips[0]) as z:
            notebook.write_bytes(z.read(next(n for n in z.namelist() if n.endswith(f"notebooks/zh/{CHAPTER.name}"))))
    else:
        shutil.copy2(CHAPTER, notebook)
    with start_lab(tmp_path, notebook) as (base, token):
        yield f"{base}lab/tree/notebooks/zh/{CHAPTER.name}?token={token}", tmp_path


_MARK = """
(selectors) => {
  const cjk = /[\u4e00-\u9fff]/;
  const out = [];
  for (const [what, selector] of selectors) {
    const el = Array.from(document.querySelectorAll(selector)).find((e) =>
      cjk.test(Array.from(e.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join("")));
    if (!el) { out.push({what, id: null}); continue; }
    el.scrollIntoView({block: "center"});  // JupyterLab lays out (and draws) only the cells near the view
    // a path of child positions (React re-renders the cells and drops attributes set on its elements)
    const steps = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement)
      steps.unshift(`${e.tagName.toLowerCase()}:nth-child(${Array.from(e.parentElement.children).indexOf(e) + 1})`);
    out.push({what, id: "html > " + steps.join(" > "), text: el.textContent.trim().slice(0, 20)});
  }
  return out;
}
"""


def _cjk_fonts(page, selectors: list[tuple[str, str]], tries: int = 3) -> dict[str, object]:
    """For each (name, selector): the fonts Chromium drew the first element's own Chinese text with.

    JupyterLab re-renders cells now and then; a node that went away between marking and asking is marked again."""
    for attempt in range(tries):
        try:
            return _cjk_fonts_once(page, selectors)
        except Exception:  # noqa: BLE001 - playwright's "Could not find node with given id"
            if attempt == tries - 1:
                raise
            page.wait_for_timeout(500)
    raise AssertionError("unreachable")


def _cjk_fonts_once(page, selectors: list[tuple[str, str]]) -> dict[str, object]:
    marked = page.evaluate(_MARK, selectors)
    page.wait_for_timeout(300)
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    fonts: dict[str, object] = {}
    for m in marked:
        if m["id"] is None:
            fonts[m["what"]] = "no Chinese element found"
            continue
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": m["id"]})["nodeId"]
        fonts[m["what"]] = {f["familyName"]: f["glyphCount"] for f in cdp.send("CSS.getPlatformFontsForNode",
                                                                               {"nodeId": node})["fonts"]}
    return fonts


def _without_cjk_font(fonts: dict[str, object]) -> dict[str, object]:
    return {what: f for what, f in fonts.items()
            if not isinstance(f, dict) or not any(name.startswith(CJK_FONT) for name in f)}


def test_a_chapter_opens_clean_in_chinese_runs_and_its_slider_redraws(lab):
    url, tmp_path = lab
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS,
                                    env=no_cjk_env(tmp_path))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.jp-Toolbar-kernelName, .jp-KernelName'))"
            ".some((e) => /Python/.test(e.textContent))", timeout=90_000)
        page.wait_for_timeout(1500)
        kernel = page.evaluate("Array.from(document.querySelectorAll('.jp-Toolbar-kernelName, .jp-KernelName'))"
                               ".map((e) => e.textContent.trim())")
        dirty = page.evaluate("document.querySelectorAll('.jp-mod-dirty').length")
        text = page.inner_text(".jp-Notebook")
        assert "Python 3 (ipykernel)" in kernel, f"kernel shown: {kernel}"
        assert dirty == 0, "the notebook opens marked as modified (stored kernelspec differs from the installed one?)"
        assert "VBox(children" not in text and "FloatSlider(" not in text, "a widget shows as raw text before a run"
        h1s = page.evaluate("Array.from(document.querySelectorAll('.jp-Notebook h1'))"
                            ".map((e) => e.textContent.replace('¶', '').trim())")
        assert h1s and h1s.count(h1s[0]) == 1, f"the chapter title is shown more than once: {h1s}"
        assert "{cite:p}" not in text and "{cite" not in text, "citations show as raw MyST (is jupyterlab-myst installed?)"
        page.evaluate("document.fonts.ready")
        try:
            page.wait_for_function("Array.from(document.fonts).some((f) => f.family.replace(/\"/g, '') === "
                                   "'Book CJK fallback' && f.status === 'loaded')", timeout=30_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            pytest.fail("JupyterLab never loaded the CJK font that course_lib serves: is the server extension "
                        "course_lib.lab enabled (<prefix>/etc/jupyter/jupyter_server_config.d/course_lib.json)?")
        # A node laid out before the web font arrived is drawn again once it has: ask until every one is drawn with
        # it (or 15 s have passed, when the boxes are there to stay).
        for _ in range(15):
            fonts = _cjk_fonts(page, [("heading", ".jp-Notebook h1"),
                                      ("text", ".jp-Notebook .jp-MarkdownCell p, .jp-Notebook .jp-MarkdownCell li"),
                                      ("code comment", ".jp-Notebook .jp-CodeCell .cm-content *")])
            bad = _without_cjk_font(fonts)
            if not bad:
                break
            page.wait_for_timeout(1000)
        assert not bad, f"Chinese drawn without a CJK font in JupyterLab (boxes): {bad}; all: {fonts}"

        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        page.wait_for_function(
            "document.querySelectorAll('.jp-Notebook .widget-hslider .noUi-handle').length >= 2 && "
            "document.querySelector('.jp-Notebook .widget-image')", timeout=300_000)
        errors = page.evaluate("document.querySelectorAll('.jp-Notebook [data-mime-type=\"application/vnd.jupyter.error\"]').length")
        assert errors == 0, "a cell raised an error"
        before = page.evaluate("document.querySelector('.jp-Notebook .widget-image').src")
        handle = page.query_selector(".jp-Notebook .widget-hslider .noUi-handle")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("(src) => document.querySelector('.jp-Notebook .widget-image').src !== src",
                               arg=before, timeout=60_000)
        printed = _without_cjk_font(_cjk_fonts(page, [("printed output", ".jp-Notebook .jp-OutputArea-output pre")]))
        assert not printed, f"Chinese printed output without a CJK font: {printed}"
        browser.close()
