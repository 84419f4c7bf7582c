"""Headless Chromium for the printed book and the browser tests: one way to find it, launch it and serve pages.

`make pdf` (print_pdf.py) and the browser tests (tests/book/test_browser.py, test_lab.py) open the book in
Debian's `chromium` through Playwright. They share, from here:

* :func:`find_chromium` — the binary (``$CHROMIUM``, then ``chromium``, ``chromium-browser``), or ``None``;
* :data:`LAUNCH_ARGS` — headless, no sandbox (containers run as root), no GPU, no background network;
* :func:`no_cjk_env` — an environment whose fontconfig hides every system font that covers Chinese, so that
  the page shows the CJK font the book serves, as a reader without one sees it;
* :func:`serve` — a quiet HTTP server on 127.0.0.1 for a folder, as a context manager yielding its base URL.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

NO_CJK_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <selectfont><rejectfont>
    <pattern><patelt name="lang"><string>zh-cn</string></patelt></pattern>
    <pattern><patelt name="lang"><string>zh-tw</string></patelt></pattern>
    <pattern><patelt name="lang"><string>ja</string></patelt></pattern>
  </rejectfont></selectfont>
</fontconfig>
"""


def find_chromium() -> str | None:
    """The Chromium binary: ``$CHROMIUM`` if set, else ``chromium`` or ``chromium-browser`` on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def no_cjk_env(folder: Path) -> dict[str, str]:
    """``os.environ`` plus ``FONTCONFIG_FILE`` pointing at a config (written into ``folder``) without CJK fonts."""
    conf = Path(folder) / "fonts.conf"
    conf.write_text(NO_CJK_FONTS, encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that logs nothing and ignores clients that hang up mid-response."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free port of 127.0.0.1 while the ``with`` block runs; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
