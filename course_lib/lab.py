"""JupyterLab shows the chapters' Chinese with the book's own font, also where the system has no CJK font.

On a bare Linux, WSL or a Docker JupyterHub image, the browser finds no font with Chinese glyphs and JupyterLab
draws every heading, sentence, comment, printed line and slider label of a Chinese notebook as boxes (the
figures are fine: :mod:`course_lib.plotting` gives matplotlib the font). This module is a Jupyter server
extension that serves that font, WenQuanYi Micro Hei (from the dependency ``paperang-p2-fonts-cjk``), to
JupyterLab with a ``custom.css`` that puts it last in JupyterLab's font lists: a reader's own CJK font, where
there is one, still comes first, and Latin text keeps its usual look.

It is switched on by ``jupyter-config/course_lib.json``, which installing course_lib puts in
``<prefix>/etc/jupyter/jupyter_server_config.d/``. By hand::

    jupyter lab --ServerApp.jpserver_extensions='{"course_lib.lab": True}'

JupyterLab links a ``custom.css`` into its page, served from the server's ``static_custom_path`` folders, when its
option ``LabApp.custom_css`` is on. The extension turns that option on (JupyterLab reads no ``.d`` config folder
of its own, so a file cannot) and writes the CSS and the font into a cache folder once, which it puts first in
the list (so a ``custom.css`` of the user's own in ``~/.jupyter/custom`` is no longer read: say so in an issue if
that matters to you). Extensions load in alphabetical order: ``course_lib.lab`` before ``jupyterlab``, which
reads both when it builds its page and its handlers.

RISE (``jupyterlab_rise``, the slideshow of the book's ``book`` extra) shows the slides in a page of its own (a
small JupyterLab served under ``/rise/``, in JupyterLab's "preview" panel), which links no ``custom.css``: when the
server has started, the extension adds the link to that page's template too (:func:`add_custom_css_link`), so the
Chinese slides get the font as well; ``custom.css`` gives reveal.js's slides the same font fallback.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from fontTools.ttLib import TTCollection
from jinja2 import BaseLoader, Environment

from .fonts import bundled_font_file

__all__ = ["FONT_FAMILY", "custom_css", "write_web_font", "write_custom_folder", "add_custom_css_link"]

#: The family name under which the font is served (to JupyterLab here, to the HTML book by book/_ext).
FONT_FAMILY = "Book CJK fallback"
WEB_FONT_NAME = "wqy-microhei.ttf"


def write_web_font(dest: Path) -> Path | None:
    """Write the bundled CJK font as a plain TrueType file a browser accepts; ``None`` when it is not installed.

    The package ships a TrueType collection (.ttc) whose FFTM table browsers' font sanitizer rejects ("OTS
    parsing error: FFTM: misaligned table"), so the first face ("WenQuanYi Micro Hei"; the second is its
    monospaced variant) is written out with fontTools (a matplotlib dependency) without FFTM.
    """
    src = bundled_font_file()
    if src is None:
        return None
    if dest.is_file() and dest.stat().st_mtime >= src.stat().st_mtime:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    face = TTCollection(str(src)).fonts[0]
    if "FFTM" in face:
        del face["FFTM"]  # a FontForge timestamp, no use to anyone, and fatal to the browser's sanitizer
    tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
    face.save(str(tmp))
    tmp.replace(dest)
    return dest


def custom_css(font_url: str = WEB_FONT_NAME) -> str:
    """JupyterLab's ``custom.css``: the served font appended to its UI, content and code font lists."""
    fallback = f'"{FONT_FAMILY}"'
    return f"""/* course_lib.lab: Chinese text in JupyterLab where the system has no CJK font (served, offline). */
@font-face {{
  font-family: {fallback};
  src: url("{font_url}") format("truetype");
  font-display: swap;
}}
/* on body, not :root: JupyterLab's theme stylesheet loads after this one and sets these on :root */
body {{
  --jp-ui-font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif, "Noto Sans CJK SC",
    "PingFang SC", "Microsoft YaHei", {fallback};
  --jp-content-font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif,
    "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", {fallback};
  --jp-code-font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace, "Noto Sans Mono CJK SC", {fallback};
}}
/* RISE's slides (reveal.js, the book's "white" theme, whose fonts ship with RISE): the theme's fonts, then the
   CJK ones; more specific than the theme's ".reveal" rules, which RISE adds after this stylesheet */
body .reveal, body .reveal h1, body .reveal h2, body .reveal h3, body .reveal h4, body .reveal h5, body .reveal h6 {{
  font-family: "Source Sans Pro", Helvetica, sans-serif, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
    {fallback};
}}
/* and reveal.js's code font ("monospace") on printed output and inline code: JupyterLab's, with the CJK fallback */
body .reveal pre, body .reveal code, body .reveal kbd, body .reveal samp {{
  font-family: var(--jp-code-font-family);
}}
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "course_lib" / "jupyterlab-custom"


def write_custom_folder(folder: Path | None = None) -> Path | None:
    """Write ``custom.css`` and the font into ``folder`` (a cache folder by default); ``None`` without the font."""
    folder = folder or _cache_dir()
    if write_web_font(folder / WEB_FONT_NAME) is None:
        return None
    css = folder / "custom.css"
    text = custom_css()
    if not css.is_file() or css.read_text(encoding="utf-8") != text:
        css.write_text(text, encoding="utf-8")
    return folder


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "course_lib.lab"}]


def _extension_apps(serverapp: Any) -> list[Any]:
    """The extension applications (JupyterLab's LabApp among them) of a Jupyter server."""
    manager = getattr(serverapp, "extension_manager", None)
    apps = []
    for package in (manager.extensions.values() if manager is not None else []):
        for point in package.extension_points.values():
            if getattr(point, "app", None) is not None:
                apps.append(point.app)
    return apps


#: the link to ``custom.css`` added to RISE's page (``base_url`` is in the namespace its template is rendered with)
CUSTOM_CSS_LINK = '<link rel="stylesheet" href="{{ base_url | e }}custom/custom.css">'


class _WithCustomCss(BaseLoader):
    """A Jinja loader that serves another loader's templates, with :data:`CUSTOM_CSS_LINK` added to the
    ``<head>`` of ``index.html`` (a page template that has no link to ``custom.css`` of its own)."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template == "index.html" and "custom/custom.css" not in source and "</head>" in source:
            source = source.replace("</head>", f"    {CUSTOM_CSS_LINK}\n</head>", 1)
        return source, filename, uptodate


def add_custom_css_link(settings: dict[str, Any], app_name: str = "rise") -> bool:
    """Make the page of the server's extension application ``app_name`` (RISE's slideshow by default) link
    ``custom.css``, by wrapping the loader of its Jinja environment (``<name>_jinja2_env`` in the server's
    settings); returns whether it did (``False`` where that application is not installed)."""
    env = settings.get(f"{app_name}_jinja2_env")
    if not isinstance(env, Environment) or env.loader is None:
        return False
    if not isinstance(env.loader, _WithCustomCss):
        env.loader = _WithCustomCss(env.loader)  # (Jinja caches templates per loader: none is stale)
    return True


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Put the folder with ``custom.css`` and the font first in the server's ``static_custom_path`` and turn
    on JupyterLab's ``custom_css`` (before JupyterLab loads: see the module's docstring)."""
    try:
        folder = write_custom_folder()
    except OSError as err:  # a read-only home: JupyterLab still works, with the system's fonts
        serverapp.log.warning(f"course_lib.lab: could not write the CJK font for JupyterLab ({err})")
        return
    if folder is None:
        serverapp.log.warning("course_lib.lab: no CJK font to serve (install the package paperang-p2-fonts-cjk)")
        return
    paths = serverapp.web_app.settings.setdefault("static_custom_path", [])
    if str(folder) not in paths:
        paths.insert(0, str(folder))
    for app in _extension_apps(serverapp):
        if app.__class__.__name__ == "LabApp" and hasattr(app, "custom_css"):
            app.custom_css = True
    serverapp.log.info(f"course_lib.lab: JupyterLab gets the CJK font {FONT_FAMILY!r} from {folder}")


async def _start_jupyter_server_extension(serverapp: Any) -> None:
    """Once every extension is loaded (RISE's after this one): the CJK font for RISE's slides too."""
    if add_custom_css_link(serverapp.web_app.settings):
        serverapp.log.info("course_lib.lab: RISE's slideshow gets the CJK font too")
