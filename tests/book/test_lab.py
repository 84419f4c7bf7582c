"""An instructor's first minutes in JupyterLab, in headless Chromium (about 1-2 minutes).

A copy of chapter 3 (Chinese) is trusted as `make lab` trusts the notebooks, JupyterLab is started on a temporary
folder with the kernel `make venv` installs, and the test checks what the instructor sees on opening it:
the notebook is not marked modified (its stored kernelspec is the installed kernel's), the kernel is
"Python 3 (course_lib)", no widget shows as raw text, and the title shows once (jupyterlab-myst repeats a
title that does not open the first cell). Then it runs all cells, moves a slider of the
latent explorer and checks that the figure changed.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHAPTER = ROOT / "notebooks" / "zh" / "03_vae.ipynb"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from headless import LAUNCH_ARGS, find_chromium  # noqa: E402  (shared with make pdf and the browser test)


pytestmark = [
    pytest.mark.skipif(not (BIN / "jupyter-lab").exists(), reason="JupyterLab is not installed (make venv)"),
    pytest.mark.skipif(find_chromium() is None and not os.environ.get("CI"), reason="no Chromium installed"),
]


@pytest.fixture
def lab(tmp_path):
    folder = tmp_path / "notebooks" / "zh"
    folder.mkdir(parents=True)
    notebook = folder / CHAPTER.name
    shutil.copy2(CHAPTER, notebook)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
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
        yield f"http://127.0.0.1:{port}/lab/tree/notebooks/zh/{CHAPTER.name}?token={token}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_a_chapter_opens_clean_runs_and_its_slider_redraws(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(lab)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_function(
            "Array.from(document.querySelectorAll('.jp-Toolbar-kernelName, .jp-KernelName'))"
            ".some((e) => /Python/.test(e.textContent))", timeout=90_000)
        page.wait_for_timeout(1500)
        kernel = page.evaluate("Array.from(document.querySelectorAll('.jp-Toolbar-kernelName, .jp-KernelName'))"
                               ".map((e) => e.textContent.trim())")
        dirty = page.evaluate("document.querySelectorAll('.jp-mod-dirty').length")
        text = page.inner_text(".jp-Notebook")
        assert "Python 3 (course_lib)" in kernel, f"kernel shown: {kernel}"
        assert dirty == 0, "the notebook opens marked as modified (stored kernelspec differs from the installed one?)"
        assert "VBox(children" not in text and "FloatSlider(" not in text, "a widget shows as raw text before a run"
        h1s = page.evaluate("Array.from(document.querySelectorAll('.jp-Notebook h1'))"
                            ".map((e) => e.textContent.replace('¶', '').trim())")
        assert h1s and h1s.count(h1s[0]) == 1, f"the chapter title is shown more than once: {h1s}"

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
        browser.close()
