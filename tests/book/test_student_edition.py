"""The student edition (`make book EDITION=student`) holds no solution, anywhere a reader can reach.

The strings looked for are every solution's code lines and the plain-text runs of its prose, in both languages,
taken from notebooks/src through tools/twins.py (tools/student_edition.py, `needles`). They are looked for in
every file of the built student edition: the pages (their markup and their text, tags removed), the scripts
(the search index and the Chinese search data included, \\uXXXX escapes decoded), the `_sources` copies behind
the download buttons, every other text file, and every member of the bundle's zip (each notebook, and the
course_lib wheel inside it). The search index is also checked word by word: the words that only the solutions
use, split and stemmed as the book's Chinese search does, are not in it. So that none of this can pass
vacuously, the default edition (`_build/html`, or BOOK_HTML) must show every solution (at least one of its
strings found in the built pages) and its search index must hold those words; where the default edition has
not been built, the module skips and says so.

The student edition is built by the test itself into a temporary folder (staging plus a Jupyter Book build,
about a minute), unless STUDENT_BOOK_HTML names one already built (`make test` passes `_build/student/html`,
which it has just built). A Chromium test opens a chapter of each language and checks that it has no solution
toggle, that its exercises are there with the student edition's note, and that the default edition's page has
the toggles.
"""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import student_edition as se  # noqa: E402
from headless import LAUNCH_ARGS, find_chromium, serve  # noqa: E402
from html_links import broken_links  # noqa: E402

DEFAULT_HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mo", ".pdf",
          ".safetensors", ".pt"}
SOLUTION_TITLE = re.compile(r"(?:Solution|答案) \d+")

pytestmark = pytest.mark.skipif(
    not (DEFAULT_HTML / "index.html").exists(),
    reason=f"no default edition in {DEFAULT_HTML} (make book): the student edition's checks also look for every "
    "solution there, so that they cannot pass vacuously",
)


# --------------------------------------------------------------------------------------------------
# The two editions and what their files say


def build_student_edition(out: Path) -> Path:
    """Stage the student edition in ``out/src`` and build it with Jupyter Book as `make book EDITION=student`
    does; returns its HTML folder."""
    src = out / "src"
    se.stage(src)
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(src), "--path-output", str(src), "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"the student edition's build failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return src / "_build" / "html"


@pytest.fixture(scope="module")
def student_html(tmp_path_factory) -> Path:
    given = os.environ.get("STUDENT_BOOK_HTML")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").is_file(), f"STUDENT_BOOK_HTML={given} holds no built book"
        return path
    t0 = time.perf_counter()
    path = build_student_edition(tmp_path_factory.mktemp("student-edition"))
    print(f"student edition built in {time.perf_counter() - t0:.0f} s")
    return path


def _json_strings(value, skip=("image/png", "image/jpeg")) -> list[str]:
    """Every string inside a parsed JSON value (but not base64 images)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v, skip)]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _json_strings(v, skip)]
    return []


_TAG = re.compile(r"<[^>]+>")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def text_of(name: str, data: bytes) -> str | None:
    """What a reader can read in a file, normalised (see student_edition.normalise); None for a binary file.
    HTML: its markup and its text without tags, entities decoded; JSON (notebooks, the search index): every
    string in it; scripts: with \\uXXXX escapes decoded."""
    suffix = Path(name).suffix.lower()
    if suffix in BINARY or b"\0" in data[:4096]:
        return None
    if suffix == ".inv":  # Sphinx's object inventory: four header lines, then zlib
        head, _, body = data.partition(b"\n# The remainder of this file is compressed using zlib.\n")
        data = head + b"\n" + (zlib.decompress(body) if body else b"")
    text = data.decode("utf-8", errors="replace")
    if suffix in {".html", ".htm"}:
        return se.normalise(html.unescape(text) + "\n" + html.unescape(_TAG.sub("", text)))
    if suffix in {".ipynb", ".json", ".map"} or Path(name).name == "searchindex.js":
        payload = text[text.index("(") + 1:text.rindex(")")] if suffix == ".js" else text
        try:
            return se.normalise("\n".join(_json_strings(json.loads(payload))))
        except ValueError:
            pass
    if suffix == ".js":
        text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return se.normalise(text)


def _zip_texts(name: str, data: bytes) -> dict[str, str]:
    import io

    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for member in z.namelist():
            if member.endswith("/"):
                continue
            content = z.read(member)
            out.update(_texts(f"{name}!{member}", content))
    return out


def _texts(name: str, data: bytes) -> dict[str, str]:
    if Path(name).suffix.lower() in {".zip", ".whl"}:
        return _zip_texts(name, data)
    text = text_of(name, data)
    return {} if text is None else {name: text}


def tree_texts(root: Path) -> dict[str, str]:
    """The text of every file under ``root`` (zip and wheel members included), by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out.update(_texts(str(path.relative_to(root)), path.read_bytes()))
    return out


@pytest.fixture(scope="module")
def needles() -> dict[se.Solution, list[str]]:
    return se.needles()


@pytest.fixture(scope="module")
def default_texts() -> dict[str, str]:
    return tree_texts(DEFAULT_HTML)


@pytest.fixture(scope="module")
def student_texts(student_html) -> dict[str, str]:
    return tree_texts(student_html)


# --------------------------------------------------------------------------------------------------
# Every solution is in the default edition and nowhere in the student edition


def test_every_solution_has_strings_to_look_for(needles):
    bare = [f"{s.chapter} {s.lang} {s.number}" for s, found in needles.items() if not found]
    assert not bare, f"solutions with no code line or prose of their own to look for: {bare}"
    assert len(needles) >= 2 * 30, f"only {len(needles)} solutions found in notebooks/src"


def test_default_edition_shows_every_solution(needles, default_texts):
    pages = {name: text for name, text in default_texts.items() if name.endswith(".html")}
    unseen = [f"{s.chapter} {s.lang} {s.number}" for s, found in needles.items()
              if not any(n in text for n in found for text in pages.values())]
    assert not unseen, f"solutions the default edition's pages do not show (the needles are wrong): {unseen}"
    zipped = [name for name in default_texts if "generative-ai-book-notebooks.zip!" in name]
    assert any(n in default_texts[name] for name in zipped for found in needles.values() for n in found), \
        "the default edition's bundle holds no solution"


#: Files of the student edition allowed to hold solution text, and why. Chapter 4's GPT trains on a frozen snapshot
#: of the book's own text (course_lib/corpus/book_v1.txt, shipped in the course_lib wheel; tools/corpus.py), taken
#: with its solution cells: about half of the solution strings looked for are in it. Leaving them out would change
#: the data the chapter's printed numbers come from, so the snapshot is allowed as it is (its SHA-256, recorded in
#: book_v1.json, pinned here); a new snapshot is not on this list, so it must be made without solutions.
KNOWN_EXPOSURE = {"course_lib/corpus/book_v1.txt": "course_lib/corpus/book_v1.json"}  # file -> its record


def _sha_recorded(record: str) -> str:
    return json.loads((ROOT / record).read_text(encoding="utf-8"))["sha256"]


def test_student_edition_holds_no_solution_text(needles, student_texts):
    everything = [n for found in needles.values() for n in found]
    leaks = {}
    for name, text in student_texts.items():
        known = next((k for k in KNOWN_EXPOSURE if name.endswith(f".whl!{k}")), None)
        if known is not None:
            import hashlib

            shipped = hashlib.sha256((ROOT / known).read_bytes()).hexdigest()
            assert shipped == _sha_recorded(KNOWN_EXPOSURE[known]), f"{known} is not the snapshot allowed here"
            continue
        hits = [n for n in everything if n in text]
        if hits:
            leaks[name] = hits[:3]
    assert not leaks, f"solution text in the student edition ({len(leaks)} files): {dict(list(leaks.items())[:10])}"
    # what was searched: the pages, the search index, the sources behind the download buttons, the bundle
    names = list(student_texts)
    assert "searchindex.js" in names and "_static/search_zh.js" in names
    assert sum(n.startswith("_sources/notebooks/") and n.endswith(".ipynb") for n in names) == 16
    assert sum(n.startswith("bundle/generative-ai-book-notebooks.zip!") and n.endswith(".ipynb") for n in names) == 16
    assert any(n.startswith("bundle/generative-ai-book-notebooks.zip!") and n.endswith(".py") for n in names), \
        "the wheel inside the bundle was not searched"


def _index(root: Path) -> dict:
    text = (root / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def _index_words(text: str, lang) -> dict[str, str]:
    """The index terms Sphinx's IndexBuilder.feed makes of ``text`` with the search language ``lang``, each with
    the word it was made from."""
    words = {}
    for word in lang.split(text):
        stemmed = lang.stem(word).lower()
        if not lang.word_filter(stemmed) and lang.word_filter(word):
            stemmed = word
        if lang.word_filter(stemmed):
            words.setdefault(stemmed, word)
    return words


def _readable(nb: nbformat.NotebookNode) -> str:
    """What a notebook's page shows: its cells' sources and the text of their outputs (HTML without tags)."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            parts += [str(output.get("text", "")), str(data.get("text/plain", "")),
                      html.unescape(_TAG.sub(" ", str(data.get("text/html", ""))))]
    return "\n".join(parts)


def test_student_search_index_has_no_word_only_the_solutions_use(student_html, tmp_path):
    """The index terms made from the solutions' text that the rest of the book never uses (neither the term nor
    the word it was made from occurs anywhere in it, even inside a longer word: a conservative test) are in the
    default edition's index and not in the student edition's."""
    from book_ui import SearchChineseGlossary, search_words

    dictionary = tmp_path / "words.txt"
    dictionary.write_text("".join(f"{w}\n" for w in search_words()), encoding="utf-8")
    lang = SearchChineseGlossary({"dict": str(dictionary)})
    solution_words: dict[str, str] = {}
    for s in se.solutions():
        solution_words.update(_index_words(s.markdown, lang))
    # the rest of the book: the staged notebooks (what their pages show) and the book's pages
    staged = tmp_path / "src"
    se.stage(staged)
    other = [_readable(nbformat.read(p, as_version=4)) for p in sorted(staged.glob("notebooks/*/*.ipynb"))]
    other += [p.read_text(encoding="utf-8") for p in sorted(staged.glob("book/*/*.md")) + [staged / "book/index.md"]]
    rest = "\n".join(other).lower()
    own = {term for term, word in solution_words.items() if term not in rest and word.lower() not in rest}
    default, student = _index(DEFAULT_HTML), _index(student_html)
    in_default = {w for w in own if w in default["terms"] or w in default["titleterms"]}
    assert len(in_default) >= 30, f"only {len(in_default)} words of the solutions' own in the default index"
    leaked = sorted(w for w in in_default if w in student["terms"] or w in student["titleterms"])
    assert not leaked, f"words only the solutions use, in the student edition's search index: {leaked[:30]}"


# --------------------------------------------------------------------------------------------------
# The notebooks a student downloads: valid, without solutions, every code cell as in the repository


def _student_notebooks(student_html: Path) -> dict[str, nbformat.NotebookNode]:
    out = {}
    with zipfile.ZipFile(student_html / "bundle" / "generative-ai-book-notebooks.zip") as z:
        for member in z.namelist():
            if member.endswith(".ipynb"):
                out[f"bundle:{member.split('notebooks/', 1)[1]}"] = nbformat.reads(z.read(member).decode(), 4)
    for path in sorted((student_html / "_sources" / "notebooks").glob("*/*.ipynb")):
        out[f"_sources:{path.parent.name}/{path.name}"] = nbformat.read(path, as_version=4)
    return out


def test_student_notebooks_are_the_chapters_without_their_solutions(student_html):
    notebooks = _student_notebooks(student_html)
    assert len(notebooks) == 32, sorted(notebooks)
    for key, nb in notebooks.items():
        rel = key.split(":", 1)[1]
        lang = rel.split("/")[0]
        nbformat.validate(nb)
        original = nbformat.read(ROOT / "notebooks" / rel, as_version=4)
        assert not [c for c in nb.cells if se.solution_number(c, lang) is not None], f"{key}: a solution cell"
        assert [c.source for c in nb.cells].count(se.NOTICE[lang]) == 1, f"{key}: the student edition's note"
        kept = [c for c in original.cells if se.solution_number(c, lang) is None]
        mine = [c for c in nb.cells if c.get("id") != se.NOTICE_ID.format(lang=lang)]
        assert mine == kept, f"{key}: cells other than the solutions changed"
        assert nb.metadata == original.metadata, f"{key}: metadata changed"


# --------------------------------------------------------------------------------------------------
# The student edition's pages


def test_student_pages_say_where_the_solutions_are_and_links_resolve(student_html):
    for name in se.chapters():
        for lang, title in (("en", "Student edition"), ("zh", "学生版")):
            page = (student_html / "notebooks" / lang / f"{name}.html").read_text(encoding="utf-8")
            text = se.normalise(html.unescape(_TAG.sub(" ", page)))
            assert title in text and not SOLUTION_TITLE.search(text), f"{lang}/{name}"
    preface = {lang: se.normalise(html.unescape(_TAG.sub(" ", (student_html / "book" / lang / "preface.html")
                                                         .read_text(encoding="utf-8")))) for lang in ("en", "zh")}
    for page, old, new in se.PAGE_EDITS:
        lang = page.split("/")[1]
        assert se.normalise(new) in preface[lang] and se.normalise(old) not in preface[lang], page
    broken = broken_links(student_html)
    assert not broken, f"broken links in the student edition: {broken[:20]}"


# What a chapter page shows in the browser: its solution toggles (sphinx-togglebutton turns each dropdown
# admonition into a button), the items of its exercise list and the student edition's note.
_PAGE_FACTS = """
(exercises) => {
  const titles = Array.from(document.querySelectorAll('.admonition .admonition-title'), (t) => t.innerText.trim());
  const heading = Array.from(document.querySelectorAll('section h2'))
    .find((h) => h.innerText.replace(/#$/, '').trim() === exercises);
  const list = heading && heading.closest('section').querySelector('ol');
  return {
    toggles: document.querySelectorAll('.admonition.dropdown, button.toggle-button').length,
    solutions: titles.filter((t) => /^(Solution|答案) \\d+/.test(t)).length,
    exercises: list ? list.querySelectorAll(':scope > li').length : 0,
    notes: titles.filter((t) => t === 'Student edition' || t === '学生版').length,
  };
}
"""


@pytest.mark.skipif(find_chromium() is None and not os.environ.get("CI"),
                    reason="no Chromium installed (Debian: `apt-get install chromium`); the browser check of the "
                    "student edition did not run")
def test_student_chapter_in_the_browser(student_html):
    from playwright.sync_api import sync_playwright

    chapter = "02_gan"
    expected = len([c for c in se._load_cells(chapter) if c.kind == "solution"])
    with serve(student_html) as student, serve(DEFAULT_HTML) as default, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((student, default)) else r.abort())
        for lang, exercises in (("en", "Exercises"), ("zh", "练习")):
            page.goto(f"{student}/notebooks/{lang}/{chapter}.html", wait_until="load")
            facts = page.evaluate(_PAGE_FACTS, exercises)
            assert facts == {"toggles": 0, "solutions": 0, "exercises": expected, "notes": 1}, (lang, facts)
            page.goto(f"{default}/notebooks/{lang}/{chapter}.html", wait_until="load")
            facts = page.evaluate(_PAGE_FACTS, exercises)
            assert facts["solutions"] == expected and facts["toggles"] >= expected, ("default", lang, facts)
        browser.close()
