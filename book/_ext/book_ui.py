"""The reader's side of the book: a Chinese interface on Chinese pages, and a way from every chapter to running code.

1. **One book, two interfaces.** The book is one Sphinx build whose pages are English (``*/en/*``) or Chinese
   (``*/zh/*``). For each Chinese page the template strings come from the themes' own zh_CN message catalogs
   (Sphinx, pydata-sphinx-theme, sphinx-book-theme: "上一页/下一页", "目录", "搜索"…), and the toggle
   button of hidden solutions says "点击显示"; English pages keep English. Previous/next links never cross
   into the other language, and the tab title is "<page> — <the book's title in the page's language>".
2. **Run this chapter.** Every chapter page (``notebooks/{en,zh}/*``) gets a short box, in its language, with
   the two ways to run it: from a clone of the repository (its URL is the one setting ``repository: url`` in
   ``_config.yml``; empty, the box says how to get the source instead of showing a dead link; filled, launch
   links for Binder and Colab (GitHub) and a JupyterHub (``launch_buttons: jupyterhub_url``) appear too), and
   from the book alone: the build publishes ``bundle/`` (the notebooks of both languages, a wheel of
   course_lib *with its shipped checkpoints*, a requirements file and a README, also zipped as one file).
"""
from __future__ import annotations

import gettext
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
LANG_PAGE = re.compile(r"^(?:notebooks|book)/(en|zh)/([^/]+)$")
CHAPTER = re.compile(r"^notebooks/(en|zh)/([^/]+)$")
BUNDLE_DIR = "bundle"
BUNDLE_ZIP = "generative-ai-book-notebooks.zip"
TITLES = {
    "en": "Generative AI — the mathematics, the code and the ethics",
    "zh": "生成式人工智能：数学、代码与伦理",
}


def page_language(pagename: str) -> str | None:
    m = LANG_PAGE.match(pagename)
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------------
# 1. The Chinese interface


def _zh_translations() -> gettext.NullTranslations:
    """Sphinx's, pydata-sphinx-theme's and sphinx-book-theme's zh_CN catalogs, chained."""
    import pydata_sphinx_theme
    import sphinx
    import sphinx_book_theme

    sources = [
        ("booktheme", Path(sphinx_book_theme.__file__).parent / "theme" / "sphinx_book_theme" / "static" / "locales"),
        ("sphinx", Path(pydata_sphinx_theme.__file__).parent / "locale"),
        ("sphinx", Path(sphinx.__file__).parent / "locale"),
    ]
    chain: gettext.NullTranslations | None = None
    for domain, localedir in sources:
        try:
            t = gettext.translation(domain, localedir=str(localedir), languages=["zh_CN", "zh"])
        except OSError:
            logger.warning(f"no zh_CN catalog '{domain}' in {localedir}", type="book_ui")
            continue
        if chain is None:
            chain = t
        else:
            chain.add_fallback(t)
    return chain or gettext.NullTranslations()


ZH_EXTRA = {  # strings the catalogs lack or translate in a way that reads oddly here
    "Click to show": "点击显示",
    "Click to hide": "点击隐藏",
    "Contents": "目录",
    # the theme's buttons, which no zh_CN catalog translates (their titles and labels showed in English)
    "Toggle primary sidebar": "显示或隐藏章节目录",
    "Toggle secondary sidebar": "显示或隐藏本页目录",
    "Color mode": "配色模式",
    "System Settings": "跟随系统",
    "Light": "亮色",
    "Dark": "暗色",
    "Download this page": "下载本页",
    "Print to PDF": "打印成 PDF",        # the catalog's 列印 is Taiwan usage
    "Main": "主导航",
    "Page": "页面",
}


class _ZhTranslations(gettext.NullTranslations):
    def __init__(self, chain: gettext.NullTranslations) -> None:
        super().__init__()
        self.chain = chain

    def gettext(self, message: str) -> str:
        return ZH_EXTRA.get(message) or self.chain.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.chain.ngettext(singular, plural, n)


def _link_language(app: Sphinx, link: dict[str, Any] | None, pagename: str) -> str | None:
    """The language of the page a prev/next link points to (None: a bilingual page such as the landing page)."""
    if not link or "link" not in link:
        return None
    target = link["link"].split("#")[0]
    path = os.path.normpath(os.path.join(os.path.dirname(pagename), target)).replace(os.sep, "/")
    m = re.match(r"(?:notebooks|book)/(en|zh)/[^/]+$", path)
    return m.group(1) if m else None


def localise_page(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    lang = page_language(pagename)
    env = app.builder.templates.environment
    if lang == "zh":
        zh = app._book_ui_zh  # type: ignore[attr-defined]
        env.install_gettext_translations(zh)
        context["translate"] = zh.gettext
        context["theme_search_bar_text"] = "搜索本书……"  # a theme option, not a message: no catalog has it
        hint_show, hint_hide = zh.gettext("Click to show"), zh.gettext("Click to hide")
        app.add_js_file(None, body=f"toggleHintShow = {hint_show!r}; toggleHintHide = {hint_hide!r};")
        if "body" in context:  # written by Sphinx's HTML writer, in the build's (English) language
            context["body"] = context["body"].replace(
                'title="Link to this heading"', 'title="链接到此标题"'
            ).replace('title="Link to this equation"', 'title="链接到此公式"')
    elif app.translator is not None:
        env.install_gettext_translations(app.translator)
    # the tab title and the sidebar's title: the book's title in the page's language
    if lang:
        context["docstitle"] = TITLES[lang]
        context["titlesuffix"] = " — " + TITLES[lang]
    elif pagename == app.config.root_doc:  # "<English title> — <Chinese title>"
        context["title"] = TITLES["en"]
        context["docstitle"] = TITLES["zh"]
        context["titlesuffix"] = " — " + TITLES["zh"]
    # previous / next stay within the page's language (the landing page belongs to both)
    if lang:
        for key in ("prev", "next"):
            other = _link_language(app, context.get(key), pagename)
            if other is not None and other != lang:
                context[key] = None
    if pagename == "search":
        app.add_js_file("search_zh.js")


#: Words of the themes' templates written in English, not through a message catalog, and the page's declared
#: language: replaced on zh pages.
ZH_TEMPLATE_WORDS = {
    # the page's own language, in the HTML itself: screen readers, fonts (:lang(zh)) and sphinx-copybutton's
    # "复制到剪贴板" (it reads the language before bilingual.js could set it) need it before any script runs
    '<html lang="en"': '<html lang="zh-CN"',
    'title="Toggle primary sidebar"': 'title="显示或隐藏章节目录"',
    'aria-label="Toggle primary sidebar"': 'aria-label="显示或隐藏章节目录"',
    'title="Toggle secondary sidebar"': 'title="显示或隐藏本页目录"',
    'aria-label="Toggle secondary sidebar"': 'aria-label="显示或隐藏本页目录"',
    'aria-label="Download this page"': 'aria-label="下载本页"',
    'aria-label="Main"': 'aria-label="主导航"',
    'aria-label="Page"': 'aria-label="页面"',
}


def translate_template_words(app: Sphinx, exc: Exception | None) -> None:
    """Replace :data:`ZH_TEMPLATE_WORDS` in the built Chinese pages."""
    if exc is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).glob("*/zh/*.html"):
        html = path.read_text(encoding="utf-8")
        new = html
        for en, zh in ZH_TEMPLATE_WORDS.items():
            new = new.replace(en, zh)
        if new != html:
            path.write_text(new, encoding="utf-8")


def write_search_translations(app: Sphinx, exc: Exception | None) -> None:
    """_static/search_zh.js: Sphinx's zh_CN messages, applied on the search page when ?lang=zh."""
    if exc is not None or app.builder.format != "html":
        return
    import sphinx

    src = Path(sphinx.__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "sphinx.js"
    body = src.read_text(encoding="utf-8") if src.is_file() else ""
    js = (
        "/* Sphinx's zh_CN messages (search page), used when the search comes from a Chinese page. */\n"
        'if (new URLSearchParams(window.location.search).get("lang") === "zh") {\n'
        + body
        + '\n  document.documentElement.lang = "zh-CN";\n}\n'
    )
    (Path(app.outdir) / "_static" / "search_zh.js").write_text(js, encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# 2. Run this chapter


def repository(app: Sphinx) -> tuple[str, str]:
    options = app.config.html_theme_options or {}
    url = (options.get("repository_url") or "").strip().rstrip("/")
    branch = (options.get("repository_branch") or "main").strip() or "main"
    return url, branch


def _launch_links(app: Sphinx, lang: str, stem: str) -> list[tuple[str, str]]:
    url, branch = repository(app)
    if not url:
        return []
    path = f"notebooks/{lang}/{stem}.ipynb"
    links = []
    gh = re.match(r"^https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?$", url)
    if gh:
        owner, repo = gh.groups()
        links.append(("Binder", f"https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?urlpath=lab/tree/{path}"))
        links.append(("Colab", f"https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"))
    hub = ((app.config.html_theme_options or {}).get("launch_buttons") or {}).get("jupyterhub_url", "")
    if hub:
        from urllib.parse import quote

        repo_name = url.rsplit("/", 1)[-1].removesuffix(".git")
        links.append((
            "JupyterHub",
            f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(url, safe='')}&branch={branch}"
            f"&urlpath={quote(f'lab/tree/{repo_name}/{path}', safe='')}",
        ))
    return links


TEXT = {
    "en": {
        "summary": "Run this chapter",
        "intro": "This page is a Jupyter notebook. Run it on your own machine (a CPU is enough, about a minute; no network once installed), in either of two ways.",
        "clone": "From a clone of the repository",
        "clone_cmds": "git clone {url}\ncd {dir}\nmake lab        # a .venv with everything, then JupyterLab; open notebooks/{lang}/{stem}.ipynb",
        "no_repo": "This build of the book names no public repository: get the source from your course page or instructor, then in its folder run",
        "no_repo_cmds": "make lab        # a .venv with everything, then JupyterLab; open notebooks/{lang}/{stem}.ipynb",
        "launch": "Or open it online:",
        "bundle": "From this book alone",
        "bundle_text": "Download {zip} (the notebooks of both languages, the course_lib wheel with its trained checkpoints, requirements.txt), unzip it, and install once (pip fetches PyTorch and the other packages; after that everything runs offline):",
        "bundle_cmds": "cd generative-ai-book\npython3 -m venv .venv && . .venv/bin/activate      # Windows: .venv\\Scripts\\activate\npip install -r requirements.txt\njupyter lab notebooks/{lang}/{stem}.ipynb",
        "page_only": "A notebook downloaded from this page (the download button at the top) runs too once course_lib is installed: pip install {wheel}.",
    },
    "zh": {
        "summary": "运行本章",
        "intro": "本页是一个 Jupyter 笔记本。可以在自己的电脑上运行它（CPU 即可，约一分钟；安装之后无需联网），有以下两种方式。",
        "clone": "从代码仓库克隆",
        "clone_cmds": "git clone {url}\ncd {dir}\nmake lab        # 创建包含全部依赖的 .venv，并启动 JupyterLab；打开 notebooks/{lang}/{stem}.ipynb",
        "no_repo": "本书的这一版本没有公开的代码仓库地址：请从课程主页或任课教师处获取源代码，然后在其目录中运行",
        "no_repo_cmds": "make lab        # 创建包含全部依赖的 .venv，并启动 JupyterLab；打开 notebooks/{lang}/{stem}.ipynb",
        "launch": "也可以在线打开：",
        "bundle": "只用这本书",
        "bundle_text": "下载 {zip}（两种语言的全部笔记本、附带已训练检查点的 course_lib 安装包 wheel、requirements.txt），解压后安装一次（pip 会下载 PyTorch 等依赖包；此后一切都可离线运行）：",
        "bundle_cmds": "cd generative-ai-book\npython3 -m venv .venv && . .venv/bin/activate      # Windows：.venv\\Scripts\\activate\npip install -r requirements.txt\njupyter lab notebooks/{lang}/{stem}.ipynb",
        "page_only": "从本页顶部下载按钮得到的笔记本，在装好 course_lib 之后同样可以运行：pip install {wheel}。",
    },
}


def wheel_name(app: Sphinx) -> str:
    from importlib.metadata import version

    try:
        v = version("course_lib")
    except Exception:  # noqa: BLE001 - not installed: the version in pyproject.toml
        m = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), flags=re.M)
        v = m.group(1) if m else "0.0.0"
    return f"course_lib-{v}-py3-none-any.whl"


def run_box_html(app: Sphinx, docname: str) -> str:
    lang, stem = CHAPTER.match(docname).groups()
    t = TEXT[lang]
    url, _branch = repository(app)
    up = "../../"
    zip_href = f"{up}{BUNDLE_DIR}/{BUNDLE_ZIP}"
    wheel = wheel_name(app)
    e = html.escape
    parts = [
        f'<details class="run-box" id="run-this-chapter"><summary>▶ {e(t["summary"])}</summary>',
        f"<p>{e(t['intro'])}</p>",
        f"<p><strong>1 · {e(t['clone'])}</strong></p>",
    ]
    if url:
        directory = url.rsplit("/", 1)[-1].removesuffix(".git")
        parts.append(f'<p><a href="{e(url)}">{e(url)}</a></p>')
        parts.append(f"<pre>{e(t['clone_cmds'].format(url=url, dir=directory, lang=lang, stem=stem))}</pre>")
        links = _launch_links(app, lang, stem)
        if links:
            parts.append(
                f"<p>{e(t['launch'])} "
                + " · ".join(f'<a class="run-box-launch" href="{e(href)}">{e(name)}</a>' for name, href in links)
                + "</p>"
            )
    else:
        parts.append(f"<p>{e(t['no_repo'])}</p>")
        parts.append(f"<pre>{e(t['no_repo_cmds'].format(lang=lang, stem=stem))}</pre>")
    zip_link = f'<a class="run-box-bundle" href="{zip_href}" download>{BUNDLE_ZIP}</a>'
    parts.append(f"<p><strong>2 · {e(t['bundle'])}</strong></p>")
    parts.append("<p>" + e(t["bundle_text"]).replace(e("{zip}"), zip_link) + "</p>")
    parts.append(f"<pre>{e(t['bundle_cmds'].format(lang=lang, stem=stem))}</pre>")
    wheel_link = f'<a class="run-box-wheel" href="{up}{BUNDLE_DIR}/{wheel}" download>{wheel}</a>'
    parts.append("<p>" + e(t["page_only"]).replace(e("{wheel}"), wheel_link) + "</p>")
    parts.append("</details>")
    return "\n".join(parts)


def add_run_box(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not CHAPTER.match(docname):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    title = next(iter(section.findall(nodes.title)), None)
    box = nodes.raw("", run_box_html(app, docname), format="html")
    section.insert(section.index(title) + 1 if title is not None else 0, box)


# --------------------------------------------------------------------------------------------------
# The bundle


def build_wheel(dest: Path) -> Path:
    """A wheel of course_lib from this source tree (checkpoints included), built offline."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(
            ROOT / "course_lib", src / "course_lib",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.state.pt"),
        )
        out = Path(tmp) / "dist"
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
               "--quiet", "-w", str(out), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"building the course_lib wheel failed:\n{proc.stdout}\n{proc.stderr}")
        (wheel,) = out.glob("course_lib-*.whl")
        dest.mkdir(parents=True, exist_ok=True)
        target = dest / wheel.name
        shutil.copy2(wheel, target)
    return target


README = """Generative AI — the mathematics, the code and the ethics · 生成式人工智能：数学、代码与伦理
================================================================================================

The notebooks of the book and the library they import, course_lib (with its trained checkpoints).
本书的全部笔记本，以及它们所用的 course_lib 库（附带已训练好的检查点）。

Install once (needs the network for PyTorch and the other packages), then everything runs offline:
安装一次（需要联网下载 PyTorch 等依赖），之后一切都可离线运行：

    python3 -m venv .venv
    . .venv/bin/activate            # Windows: .venv\\Scripts\\activate
    pip install -r requirements.txt
    jupyter lab notebooks/en/00_getting_started.ipynb      # 中文：notebooks/zh/00_getting_started.ipynb

Python 3.10–3.13. A CPU is enough; each chapter runs in about a minute.
CPU 即可运行，每一章大约一分钟。
"""


def write_bundle(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / BUNDLE_DIR
    if out.exists():
        shutil.rmtree(out)
    wheel = build_wheel(out)
    requirements = (
        "# pip install -r requirements.txt   (run in this folder)\n"
        f"./{wheel.name}\n"
        "jupyterlab>=4.2,<5\n"
        "ipykernel>=6.29\n"
    )
    (out / "requirements.txt").write_text(requirements, encoding="utf-8")
    (out / "README.txt").write_text(README, encoding="utf-8")
    top = "generative-ai-book"
    with zipfile.ZipFile(out / BUNDLE_ZIP, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for lang in ("en", "zh"):
            for nb in sorted((ROOT / "notebooks" / lang).glob("*.ipynb")):
                z.write(nb, f"{top}/notebooks/{lang}/{nb.name}")
        z.write(wheel, f"{top}/{wheel.name}")
        z.writestr(f"{top}/requirements.txt", requirements)
        z.writestr(f"{top}/README.txt", README)
    logger.info(f"bundle: {out.relative_to(Path(app.outdir))}/{BUNDLE_ZIP} ({(out / BUNDLE_ZIP).stat().st_size >> 20} MiB)")


def setup(app: Sphinx) -> dict[str, object]:
    app._book_ui_zh = _ZhTranslations(_zh_translations())  # type: ignore[attr-defined]
    app.connect("doctree-read", add_run_box)
    # after the themes' own handlers (sphinx-book-theme sets `translate`, the prev/next links exist)
    app.connect("html-page-context", localise_page, priority=900)
    app.connect("build-finished", write_search_translations)
    app.connect("build-finished", translate_template_words)
    app.connect("build-finished", write_bundle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
