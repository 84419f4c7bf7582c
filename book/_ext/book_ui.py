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
   The bundle's notebooks are those the build read (``app.srcdir``): the repository's, or in the student edition
   the staged copies without solutions (tools/student_edition.py).
"""
from __future__ import annotations

import functools
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
from sphinx.search.zh import SearchChinese
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
    "Search this book...": "搜索本书……",  # the theme's search_bar_text (an option, not a message)
    "Version warning": "版本提示",
    "Index": "索引",
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


#: what the search page's interface says in English: attributes read by screen readers and shown as tooltips, and
#: the text of its heading, buttons and notes
_UI_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|placeholder)="([^"]+)"')
_UI_TEXTS = re.compile(r"<(?:h1|span|p|a)\b[^>]*>\s*([A-Z][A-Za-z .]+?)\s*</(?:h1|span|p|a)>")


def search_page_words(app: Sphinx, html: str) -> dict[str, str]:
    """English interface words of the built search page and their Chinese (only those a catalog translates)."""
    zh = app._book_ui_zh  # type: ignore[attr-defined]
    words = set(_UI_ATTRIBUTES.findall(html)) | set(_UI_TEXTS.findall(html))
    return {w: zh.gettext(w) for w in sorted(words) if zh.gettext(w) != w}


def write_search_translations(app: Sphinx, exc: Exception | None) -> None:
    """_static/search_zh.js, applied on the search page when ?lang=zh (a search from a Chinese page): Sphinx's
    zh_CN messages (the result summary), and the page's own interface in Chinese (its heading, the search box,
    the theme's buttons and tooltips), from the same catalogs as the Chinese pages."""
    if exc is not None or app.builder.format != "html":
        return
    import json

    import sphinx

    src = Path(sphinx.__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "sphinx.js"
    body = src.read_text(encoding="utf-8") if src.is_file() else ""
    search_html = Path(app.outdir) / "search.html"
    words = search_page_words(app, search_html.read_text(encoding="utf-8")) if search_html.is_file() else {}
    js = (
        "/* Sphinx's zh_CN messages and the search page's interface words, used when the search comes from a\n"
        " * Chinese page (?lang=zh); written by book/_ext/book_ui.py. */\n"
        'if (new URLSearchParams(window.location.search).get("lang") === "zh") {\n'
        + body
        + '\n  document.documentElement.lang = "zh-CN";\n'
        + "  const words = " + json.dumps(words, ensure_ascii=False, indent=2) + ";\n"
        + """  const translate = () => {
    const chapters = document.querySelector(".bd-sidebar-primary nav");  // the chapter list stays bilingual
    for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], [data-bs-original-title]")) {
      for (const name of ["title", "aria-label", "placeholder", "data-bs-original-title"]) {
        const value = el.getAttribute(name);
        if (value && words[value.trim()]) el.setAttribute(name, words[value.trim()]);
      }
    }
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (words[text] && !(chapters && chapters.contains(node))) node.textContent = node.textContent.replace(text, words[text]);
    }
    document.title = document.title.replace(/^Search(?= )/, words["Search"] || "Search");
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", translate);
  else translate();
}
"""
    )
    (Path(app.outdir) / "_static" / "search_zh.js").write_text(js, encoding="utf-8")


def _from_tools(module: str) -> Any:
    """A module of the repository's tools/ folder (the glossary, the twins' build): one definition of each thing."""
    import importlib

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.pop(0)


@functools.lru_cache(maxsize=1)
def search_words() -> list[str]:
    """The Chinese words the search index must keep whole: every form of every glossary term (book/glossary.yml).

    Sphinx's Chinese search cuts the text with jieba, whose dictionary lacks much of the field's vocabulary: it
    cut 去噪 into 去 / 噪 (and one-character terms are not indexed), so a search for 去噪 found nothing, though
    three pages use it. jieba keeps a user-dictionary word whole, and its search mode also indexes the words of
    the dictionary inside it (去噪得分匹配 gives 去噪, 得分, 匹配 and itself)."""
    glossary = _from_tools("glossary")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    words = {form for term in glossary.load() for form in glossary.accepted_forms(term)
             if cjk.search(form) and " " not in form and len(form) > 1}
    return sorted(words)


def use_search_words(app: Sphinx, config) -> None:
    """Hand :func:`search_words` to Sphinx's Chinese search as jieba's user dictionary (html_search_options)."""
    if config.html_search_language != "zh" or (config.html_search_options or {}).get("dict"):
        return
    path = Path(app.doctreedir) / "search_words.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{w}\n" for w in search_words()), encoding="utf-8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(path)}


_CJK = _from_tools("twins").CJK_CHARS  # the characters whose line breaks the notebooks' build joins too
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t]*\\n[ \\t]*(?=[{_CJK}])")


def _skip_text(node: nodes.Node) -> bool:
    return isinstance(node.parent, (nodes.literal_block, nodes.literal, nodes.math, nodes.math_block, nodes.raw,
                                    nodes.comment))


def join_cjk_breaks(app: Sphinx, doctree: nodes.document) -> None:
    """On Chinese pages, drop the source line breaks between two Chinese characters (or punctuation marks): the
    browser draws each as a space ("破坏： 每一步"). The notebooks' markdown is joined when they are built
    (tools/twins.py, join_cjk_lines); this catches the book's own pages. MyST gives a line break inside a paragraph
    its own text node ("\\n") between the texts (or inline elements) around it. Code, math and raw HTML are
    untouched."""
    if page_language(app.env.docname) != "zh":
        return
    cjk_end, cjk_start = re.compile(f"[{_CJK}]$"), re.compile(f"^[{_CJK}]")
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or _skip_text(text):
            continue
        if str(text).strip(" \t") == "\n":  # a soft line break of its own
            i = next(k for k, child in enumerate(parent.children) if child is text)  # not index(): Text == str
            before = parent[i - 1].astext() if i > 0 else ""
            after = parent[i + 1].astext() if i + 1 < len(parent) else ""
            if cjk_end.search(before) and cjk_start.search(after):
                del parent.children[i]
            continue
        joined = _CJK_BREAK.sub("", str(text))
        if joined != str(text):
            i = next(k for k, child in enumerate(parent.children) if child is text)
            parent.children[i] = nodes.Text(joined)
            parent.children[i].parent = parent


class SearchChineseGlossary(SearchChinese):
    """Sphinx's Chinese search, which also indexes every glossary word found inside a longer word.

    jieba's search mode adds the two- and three-character dictionary words inside a long word, not longer ones:
    a page that says 变分自编码器 was not found by 自编码器."""

    def init(self, options: dict[str, str]) -> None:
        super().init(options)
        self.glossary_words = search_words()  # read once per build (cached)

    def split(self, input: str) -> list[str]:
        words = super().split(input)
        return words + [w for word in words if len(word) > 3 for w in self.glossary_words if w != word and w in word]


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
        "bundle_cmds": "cd generative-ai-book\npython3 -m venv .venv && . .venv/bin/activate      # Windows: .venv\\Scripts\\activate\npip install torch --index-url https://download.pytorch.org/whl/cpu   # Linux without an NVIDIA GPU: the small CPU build\npip install -r requirements.txt\njupyter trust notebooks/*/*.ipynb\njupyter lab notebooks/{lang}/{stem}.ipynb",
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
        "bundle_cmds": "cd generative-ai-book\npython3 -m venv .venv && . .venv/bin/activate      # Windows：.venv\\Scripts\\activate\npip install torch --index-url https://download.pytorch.org/whl/cpu   # 没有 NVIDIA GPU 的 Linux：体积小的 CPU 版\npip install -r requirements.txt\njupyter trust notebooks/*/*.ipynb\njupyter lab notebooks/{lang}/{stem}.ipynb",
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
        shutil.copytree(ROOT / "jupyter-config", src / "jupyter-config")  # the JupyterLab font extension's switch
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
    pip install torch --index-url https://download.pytorch.org/whl/cpu
    pip install -r requirements.txt
    jupyter trust notebooks/*/*.ipynb
    jupyter lab notebooks/en/00_getting_started.ipynb      # 中文：notebooks/zh/00_getting_started.ipynb

The torch line is for Linux without an NVIDIA GPU: it installs the small CPU build (plain pip would fetch the
CUDA build, several GB). Skip it on Windows and macOS, or where you want the GPU build
(https://pytorch.org/get-started/locally/). `jupyter trust` lets JupyterLab show the saved sliders and
figures before the first run. The notebooks use the kernel "Python 3 (ipykernel)" that this installs.
torch 那一行适用于没有 NVIDIA GPU 的 Linux：它安装体积小的 CPU 版（直接 pip 安装会下载好几 GB 的 CUDA 版）。
Windows、macOS 或需要 GPU 版时请跳过这一行（见 https://pytorch.org/get-started/locally/）。`jupyter trust`
让 JupyterLab 在首次运行前就显示保存下来的滑块和图。笔记本使用安装后自带的内核“Python 3 (ipykernel)”。

Python 3.10–3.13. A CPU is enough; each chapter runs in about a minute.
CPU 即可运行，每一章大约一分钟。
"""


#: What a student's JupyterLab needs beside the wheel (whose own dependencies pip resolves): the lab, a kernel,
#: and jupyterlab-myst, which draws the chapters' citations, admonitions and hidden solutions.
BUNDLE_REQUIREMENTS = ("jupyterlab>=4.2,<5", "jupyterlab-myst>=2.4,<3", "ipykernel>=6.29")


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
        + "".join(f"{r}\n" for r in BUNDLE_REQUIREMENTS)
    )
    (out / "requirements.txt").write_text(requirements, encoding="utf-8")
    (out / "README.txt").write_text(README, encoding="utf-8")
    top = "generative-ai-book"
    with zipfile.ZipFile(out / BUNDLE_ZIP, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for lang in ("en", "zh"):
            # the notebooks this build read (the student edition's are staged without their solutions)
            for nb in sorted((Path(app.srcdir) / "notebooks" / lang).glob("*.ipynb")):
                z.write(nb, f"{top}/notebooks/{lang}/{nb.name}")
        z.write(wheel, f"{top}/{wheel.name}")
        z.writestr(f"{top}/requirements.txt", requirements)
        z.writestr(f"{top}/README.txt", README)
    logger.info(f"bundle: {out.relative_to(Path(app.outdir))}/{BUNDLE_ZIP} ({(out / BUNDLE_ZIP).stat().st_size >> 20} MiB)")


def setup(app: Sphinx) -> dict[str, object]:
    app._book_ui_zh = _ZhTranslations(_zh_translations())  # type: ignore[attr-defined]
    app.connect("config-inited", use_search_words)
    app.add_search_language(SearchChineseGlossary)
    app.connect("doctree-read", add_run_box)
    app.connect("doctree-read", join_cjk_breaks)
    # after the themes' own handlers (sphinx-book-theme sets `translate`, the prev/next links exist)
    app.connect("html-page-context", localise_page, priority=900)
    app.connect("build-finished", write_search_translations)
    app.connect("build-finished", translate_template_words)
    app.connect("build-finished", write_bundle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
