"""What a reader of the built HTML gets beyond the pages (`make book` first; `make booktest` runs this):

* every chapter page's "Run this chapter" box, and the bundle it offers: the notebooks, a wheel of course_lib
  with its shipped checkpoints, requirements.txt; a chapter notebook runs against that wheel alone;
* a Chinese interface on Chinese pages, previous/next within a language, well-formed tab titles;
* section anchors shared by the twins.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
BUNDLE = HTML / "bundle"
pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="build the book first (make book)")

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = (CONFIG.get("repository") or {}).get("url", "")


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def _chapters(lang: str | None = None) -> list[str]:
    return [f for f in _toc_files() if re.match(rf"notebooks/{lang or '(en|zh)'}/", f)]


def _read(page: str) -> str:
    return (HTML / f"{page}.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Run this chapter


def _run_box(page: str) -> str:
    m = re.search(r'<details class="run-box" id="run-this-chapter">.*?</details>', _read(page), flags=re.S)
    assert m, f"{page} has no 'Run this chapter' box"
    return m.group(0)


@pytest.mark.parametrize("page", _chapters())
def test_every_chapter_has_a_run_box(page):
    box = _run_box(page)
    lang, stem = re.match(r"notebooks/(en|zh)/(.+)", page).groups()
    assert f"notebooks/{lang}/{stem}.ipynb" in box, "the box should name this chapter's notebook"
    assert "make lab" in box
    if REPO_URL:
        assert f"git clone {REPO_URL}" in box
    else:  # no dead link: the box says where the source comes from, and shows no clone command
        assert "git clone" not in box and "mybinder" not in box and "colab" not in box.lower()
        assert ("no public repository" in box) if lang == "en" else ("没有公开的代码仓库" in box)
    for href in re.findall(r'href="([^"#]+)"', box):
        if href.startswith("http"):
            continue
        target = (HTML / page).parent / href
        assert target.resolve().is_file(), f"{page}: the box links to {href}, which the build did not publish"
    if lang == "zh":  # the Chinese box speaks Chinese (commands and file names aside)
        prose = re.sub(r"<pre>.*?</pre>|<[^>]+>", " ", box, flags=re.S)
        words = set(re.findall(r"\b[A-Za-z]{4,}\b", prose)) - {"Jupyter", "JupyterLab", "course_lib", "wheel", "requirements", "notebooks", "ipynb", "PyTorch", "install", "make", "generative", "book", "whl", "course", "lib", "txt", "zip", "none", "any"}
        assert not words, f"English words in the Chinese run box: {sorted(words)}"


def test_bundle_has_notebooks_wheel_with_checkpoints_and_requirements():
    (zip_path,) = BUNDLE.glob("*.zip")
    (wheel,) = BUNDLE.glob("course_lib-*.whl")
    shipped = sorted(p.name for p in (ROOT / "course_lib" / "checkpoints").iterdir()
                     if p.suffix in (".safetensors", ".json"))
    assert shipped, "course_lib/checkpoints is empty?"
    with zipfile.ZipFile(wheel) as w:
        in_wheel = {Path(n).name for n in w.namelist() if "/checkpoints/" in n}
    missing = sorted(set(shipped) - in_wheel)
    assert not missing, f"the wheel lacks shipped checkpoints: {missing}"
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
    for lang in ("en", "zh"):
        for nb in (ROOT / "notebooks" / lang).glob("*.ipynb"):
            assert any(n.endswith(f"notebooks/{lang}/{nb.name}") for n in names), f"{lang}/{nb.name} not in the bundle"
    assert any(n.endswith(wheel.name) for n in names)
    req = next(n for n in names if n.endswith("requirements.txt"))
    with zipfile.ZipFile(zip_path) as z:
        text = z.read(req).decode()
    assert wheel.name in text and "jupyterlab" in text
    assert "jupyterlab-myst" in text, "without jupyterlab-myst, citations and the hidden solutions show as raw text"
    with zipfile.ZipFile(wheel) as w:
        data = [n for n in w.namelist() if n.endswith("etc/jupyter/jupyter_server_config.d/course_lib.json")]
    assert data, "the wheel does not switch on JupyterLab's CJK font (course_lib/lab.py)"
    with zipfile.ZipFile(zip_path) as z:
        readme = z.read(next(n for n in names if n.endswith("README.txt"))).decode()
    for step in ("pip install -r requirements.txt", "jupyter trust", "download.pytorch.org/whl/cpu", "Python 3 (ipykernel)"):
        assert step in readme, f"the bundle's README does not say {step!r}"


def test_every_downloaded_chapter_runs_against_the_wheel_alone(tmp_path):
    """Every chapter of both languages, unzipped from the book's download into an empty folder laid out as the
    zip lays it out, runs with course_lib from the bundle's wheel and nothing of the repository: a chapter that
    read a file the bundle lacks (chapters 5 and 7 once read ../../bench/results.json) fails here.

    A fresh virtual environment gets the wheel (`pip install --no-deps --no-index --prefix`, offline: its data
    files land in the venv's etc/jupyter as a student's install puts them) and this environment's packages as its
    dependencies, through a `.pth` line: Python appends that folder without running the `.pth` files inside it,
    so the repository's editable course_lib stays out. The notebooks run in that venv's own kernel; a first cell
    added to each proves which Python ran it and which course_lib it imported. Two kernels at a time, one thread
    each (about 5 minutes on 2 cores).
    """
    from concurrent.futures import ThreadPoolExecutor

    import site as site_module

    (wheel,) = BUNDLE.glob("course_lib-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "dependencies.pth").write_text("".join(f"{p}\n" for p in site_module.getsitepackages()), encoding="utf-8")
    # --ignore-installed: without it pip would first uninstall the course_lib of THIS environment (the editable one)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--ignore-installed", "--prefix",
                    str(venv), str(wheel)], check=True)
    assert (venv / "etc" / "jupyter" / "jupyter_server_config.d" / "course_lib.json").is_file(), \
        "installing the wheel does not switch on JupyterLab's CJK font (course_lib.lab)"
    student = tmp_path / "generative-ai-book"
    paths = []
    with zipfile.ZipFile(next(BUNDLE.glob("*.zip"))) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".ipynb")):
            nb = nbformat.reads(z.read(name).decode(), as_version=4)
            nb.cells.insert(0, nbformat.v4.new_code_cell("import sys, course_lib; print(course_lib.__file__); print(sys.prefix)"))
            path = student / name.split("/", 1)[1]
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            paths.append(path)
    expected = {f"{lang}/{nb.name}" for lang in ("en", "zh") for nb in (ROOT / "notebooks" / lang).glob("*.ipynb")}
    assert {f"{p.parent.name}/{p.name}" for p in paths} == expected, "the download lacks chapters, or has others"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(OMP_NUM_THREADS="1", PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    execute = [str(python), "-c", "import sys; from nbclient.cli import main; sys.argv[0] = 'jupyter-execute'; main()"]

    def run(path: Path) -> tuple[Path, str]:
        proc = subprocess.run([*execute, "--inplace", "--timeout=600", path.name],
                              cwd=path.parent, env=env, capture_output=True, text=True)
        return path, (proc.stderr[-1500:] if proc.returncode else "")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, paths))
    failed = {f"{p.parent.name}/{p.name}": err for p, err in results if err}
    assert not failed, "chapters that fail from the download:\n" + "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())
    for path, _ in results:
        nb = nbformat.read(path, as_version=4)
        where, prefix = nb.cells[0].outputs[0]["text"].split()
        assert Path(prefix).resolve() == venv.resolve(), f"{path.name}: the kernel ran in {prefix}, not the fresh venv"
        assert Path(where).resolve().is_relative_to(site.resolve()), f"{path.name}: the kernel imported {where}, not the wheel"


# --------------------------------------------------------------------------------------------------
# The Chinese interface, previous/next, the tab title


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self._in_title = False
        self.prev_next: list[str] = []
        self.section_ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._in_title = True
        cls = a.get("class") or ""
        if tag == "a" and ("left-prev" in cls or "right-next" in cls):
            self.prev_next.append(a.get("href", ""))
        if tag == "section" and a.get("id"):
            self.section_ids.append(a["id"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(_read(page))
    return p


@pytest.mark.parametrize("page", [f for f in _toc_files()])
def test_tab_title_is_well_formed_and_in_the_page_language(page):
    title = _parse(page).title.strip()
    assert not re.search(r"[A-Za-z][\u4e00-\u9fff]|[\u4e00-\u9fff][A-Za-z]", title), f"run-together title: {title!r}"
    if "/zh/" in page:
        assert title.endswith("生成式人工智能：数学、代码与伦理") and "Generative AI" not in title, title
    if "/en/" in page:
        assert title.endswith("the code and the ethics") and "生成式" not in title, title


@pytest.mark.parametrize("page", [f for f in _toc_files() if re.match(r"(notebooks|book)/(en|zh)/", f)])
def test_previous_and_next_stay_in_the_page_language(page):
    lang = re.match(r"(?:notebooks|book)/(en|zh)/", page).group(1)
    for href in _parse(page).prev_next:
        target = ((HTML / page).parent / href.split("#")[0]).resolve().relative_to(HTML).as_posix()
        m = re.match(r"(?:notebooks|book)/(en|zh)/", target)
        assert m is None or m.group(1) == lang, f"{page}: previous/next leads to {target}"


@pytest.mark.parametrize("page", _chapters("zh") + ["book/zh/glossary"])
def test_chinese_pages_have_a_chinese_interface(page):
    html = _read(page)
    chrome = re.sub(r'<main.*?</main>', " ", html, flags=re.S)  # the theme's own words, not the content
    for english in ("Contents", ">Previous<", ">Next<", "Download this page", "Toggle navigation", "Search this book",
                    "Link to this heading", "Toggle primary sidebar", "Toggle secondary sidebar", '"Color mode"',
                    "System Settings", 'aria-label="Main"', 'aria-label="Page"', "列印"):
        assert english not in chrome, f"{page}: the interface says {english!r}"
    assert "Link to this heading" not in html
    assert re.search(r'<html lang="zh-CN"', html), f"{page}: the HTML does not declare itself Chinese"
    assert "toggleHintShow = '点击显示'" in html, f"{page}: hidden solutions would say 'Click to show'"
    nav = re.search(r'class="prev-next-area".*?</div>\s*</footer>|class="prev-next-area".*', html, flags=re.S)
    if nav and ("left-prev" in nav.group(0) or "right-next" in nav.group(0)):
        assert "上一页" in nav.group(0) or "下一页" in nav.group(0)


# --------------------------------------------------------------------------------------------------
# Anchors shared by the twins


@pytest.mark.parametrize("page", [f for f in _toc_files() if re.match(r"(notebooks|book)/en/", f)])
def test_twins_share_their_section_anchors(page):
    twin = page.replace("/en/", "/zh/")
    en, zh = _parse(page).section_ids, _parse(twin).section_ids
    assert en == zh, f"{page} and {twin} name their sections differently:\n{en}\n{zh}"
    assert en and not any(re.fullmatch(r"id\d+", s) for s in en), f"{page}: anonymous section ids {en}"
