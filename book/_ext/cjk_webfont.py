"""Ship a Chinese fallback font with the HTML book, so Chinese text never renders as boxes.

Readers on Windows and macOS (and most Linux desktops set up for Chinese) have a CJK system font, and
`bilingual.css` names the usual ones first, so their browser never fetches this file. Where none is
installed (a bare Linux, WSL), the browser falls through to "Book CJK fallback", i.e. WenQuanYi Micro
Hei (Apache-2.0 or GPLv3 with font exception), served from the built site itself: offline, no CDN.
The font comes from the package `paperang-p2-fonts-cjk`, a dependency that course_lib already uses for
Chinese figure labels; nothing is copied into the repository. The package ships a TrueType collection
(.ttc) whose FFTM table browsers' font sanitizer rejects ("OTS parsing error: FFTM: misaligned table"),
so the first face is written out as a plain .ttf with fontTools (a matplotlib dependency), without FFTM, by
course_lib.lab.write_web_font, which also serves it to JupyterLab.
"""
from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from course_lib.lab import WEB_FONT_NAME, write_web_font  # the same font file JupyterLab gets (course_lib/lab.py)

logger = logging.getLogger(__name__)


def _write_web_font(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    if write_web_font(Path(app.outdir) / "_static" / "fonts" / WEB_FONT_NAME) is None:
        logger.warning(
            "no CJK fallback font: install the package 'paperang-p2-fonts-cjk' (make book does)",
            type="cjk_webfont",
        )


#: The Latin face of the Chinese pages' printed tables (bilingual.css, "Book table Latin"): 0.6 em wide, so that a
#: Chinese character scaled to 1.2 em is exactly two columns. matplotlib, a dependency, ships it; used only where
#: the reader has none of the usual 0.6 em monospaced fonts.
TABLE_LATIN_FONT = "DejaVuSansMono.ttf"


def _write_table_font(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    import shutil

    import matplotlib

    src = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / TABLE_LATIN_FONT
    if not src.is_file():
        logger.warning(f"no {TABLE_LATIN_FONT} in matplotlib's data: tables on Chinese pages fall back to the "
                       "reader's monospaced font", type="cjk_webfont")
        return
    dest = Path(app.outdir) / "_static" / "fonts" / TABLE_LATIN_FONT
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("build-finished", _write_web_font)
    app.connect("build-finished", _write_table_font)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
