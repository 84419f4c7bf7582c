"""`make pdf`: the whole book as one PDF per language, printed by Chromium from the built HTML, offline.

    python book/_ext/print_pdf.py [--html _build/html] [--out _build/pdf]

For each language the pages are the landing page and then that language's part of `_toc.yml`, in order.
Each page is opened in headless Chromium (Debian's `chromium`, driven by Playwright, as in the browser test),
served from 127.0.0.1 with every other request refused, with the system's CJK fonts hidden (so the PDF
carries the font the book serves, WenQuanYi Micro Hei, embedded, whatever the machine has); MathJax typesets
the math and the web fonts load before Chromium prints the page (A4, print stylesheet: no sidebars); the
pages are then joined with pypdf into `book-en.pdf` and `book-zh.pdf`, with one outline entry per page.

Before each page prints, print CSS is added (PRINT_CSS) and every code frame (a notebook cell's input, an
output, a code block; see FRAME_SELECTOR) is measured at the width of the paper: a frame shorter than a page
is kept whole, and a longer one, with everything in it, may break anywhere. (The theme keeps `div.highlight`
whole, but not the bordered `div.cell_input` around it: a block that did not fit on the page, short or taller
than a page, went on to the next one and left the top of its frame, empty, at the foot of this one.) The
landing page, the first page of each book, gets FRONT_CSS as well so that it fits on one sheet. After
joining, every page but the first gets its number (1..N in each book) at the foot: Chromium prints one page
of N sheets that carry only their numbers, and each is laid over its page.

With ``--student`` (``make pdf EDITION=student``: ``--html _build/student/html --out _build/student/pdf``) the PDFs
are also searched for solutions (:func:`solutions_in`): no solution toggle's title and no string of a solution's
code or prose may be in their text.

The result is then checked (and the command fails if a check fails): at least one PDF page per book page, the
Chinese book's text is Chinese, no U+FFFD in the text, and every font embedded (a font that is referenced
but not embedded would be replaced, or drawn as boxes, by the reader's viewer); the landing page is one page
(the second outline entry starts on page 2); the last text drawn on page k (k >= 2) is "k", in the bottom
margin, and page 1 has none there; and no page ends with an empty frame: a box filled or stroked down to the
bottom margin with no text or image in it (found in the page's content stream, see `empty_frames`).
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from headless import LAUNCH_ARGS, find_chromium, no_cjk_env, serve  # book/_ext, beside this script

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext
    from pypdf import PageObject, PdfWriter

ROOT = Path(__file__).resolve().parents[2]
READY = """
async () => {
  const t0 = Date.now();
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - t0 < 20000)
      await new Promise((r) => setTimeout(r, 50));
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  for (const img of document.images) img.loading = 'eager';
  await Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => null)));
  await document.fonts.ready;
  if (/[\u4e00-\u9fff]/.test(document.body.innerText))
    await document.fonts.load('16px "Book CJK fallback"', '中文');
  // hidden solutions stay hidden on paper as on screen; the "Run this chapter" box prints open
  document.querySelectorAll('details.run-box').forEach((d) => { d.open = true; });
  return document.title;
}
"""

# A4 with these margins; Chromium lays a printed page out at the width inside the margins, in CSS pixels
# (96 per inch), and the viewport is set to that size so that what is measured before printing is what prints.
MARGIN_MM = {"top": 16, "bottom": 16, "left": 14, "right": 14}
A4_MM = (210, 297)
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4
CONTENT_PX = {"width": round((A4_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) * PX_PER_MM),
              "height": round((A4_MM[1] - MARGIN_MM["top"] - MARGIN_MM["bottom"]) * PX_PER_MM)}
# a frame at most this tall is kept whole on one page; a taller one breaks where the page ends
WHOLE_UP_TO = 0.9

# Boxes drawn with a border or a background around code and its output: a notebook cell's input, each output,
# a code block outside cells and its `pre`, the "Run this chapter" box.
FRAME_SELECTOR = ", ".join(
    f".bd-article {sel}" for sel in ("div.cell_input", "div.cell_output .output", "div[class*='highlight-']",
                                     "div.highlight", "pre", "details.run-box"))
# Marks, before printing, each frame ("print-whole": short enough to move whole to the next page) and each box
# taller than a page that the theme keeps whole ("print-split", with all it holds: it must start where it is
# and break at the foot of the page, or its frame would be left empty on the page before).
MARK_FRAMES = """
([selector, limit]) => {
  const frames = new Set(document.querySelectorAll(selector));
  let whole = 0, split = 0;
  for (const el of document.querySelectorAll('.bd-article *')) {
    const isFrame = frames.has(el);
    if (!isFrame && !getComputedStyle(el).breakInside.startsWith('avoid')) continue;
    const height = el.getBoundingClientRect().height;
    if (height > limit) { el.classList.add('print-split'); split++; }
    else if (isFrame) { el.classList.add('print-whole'); whole++; }
  }
  return [whole, split];
}
"""
# Print CSS for every page, from the classes MARK_FRAMES sets: a box taller than a page, and what it holds, may
# break anywhere, except a short frame inside it (kept whole, by the more specific rule) and a table's parts
# (Chromium repeats a table's header on every page only while the header is kept whole: with `auto` on it, the
# glossary's header printed on its first page only).
PRINT_CSS = """
@media print {
  .print-split, .print-split :not(table *) { break-inside: auto !important; }
  .bd-article .print-whole { break-inside: avoid !important; }
}
"""
# Print CSS for the landing page only, so that it fits on one sheet: the title, which the theme prints in its
# print-only header (`#jb-print-docs-body h1`, 3em: five lines for the English and Chinese titles), smaller.
FRONT_CSS = """
@media print {
  .bd-main .bd-content #jb-print-docs-body h1 { font-size: 2em !important; line-height: 1.3; margin: 0 0 1.5rem; }
}
"""
# One sheet per book page with only its number, to be laid over that page: grey, small, centred in the bottom
# margin. Each sheet is a box NUMBER_FROM_BOTTOM_MM shorter than A4, the number at its foot, and a forced break
# after it (printed without margins).
NUMBERS_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><style>
  html, body { margin: 0; padding: 0; background: transparent; }
  .sheet { height: %(sheet_mm).1fmm; position: relative; break-after: page; }
  .sheet:last-child { break-after: auto; }
  .sheet span { position: absolute; left: 0; right: 0; bottom: 0; text-align: center;
                font: 9pt/1 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #777; }
</style></head><body>%(sheets)s</body></html>
"""
NUMBER_FROM_BOTTOM_MM = 8


def _chromium() -> str:
    if path := find_chromium():
        return path
    raise SystemExit("make pdf needs Chromium (Debian: apt-get install chromium)")


def book_pages(lang: str) -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"] if re.match(rf"(notebooks|book)/{lang}/", c["file"])]
    return files


def _margin() -> dict[str, str]:
    """MARGIN_MM as Playwright's `page.pdf` takes it."""
    return {side: f"{mm}mm" for side, mm in MARGIN_MM.items()}


def number_pages(context: BrowserContext, writer: PdfWriter) -> None:
    """Lay each page's number (1..N) over the pages of ``writer``, all but the first: Chromium prints one page
    of N sheets, each with its number at the foot and nothing else, and sheet k is merged onto page k."""
    from pypdf import PdfReader

    n = len(writer.pages)
    sheets = "".join(f'<div class="sheet"><span>{k if k > 1 else ""}</span></div>' for k in range(1, n + 1))
    page = context.new_page()
    page.set_content(NUMBERS_HTML % {"sheet_mm": A4_MM[1] - NUMBER_FROM_BOTTOM_MM, "sheets": sheets})
    page.evaluate("document.fonts.ready.then(() => true)")
    numbers = PdfReader(io.BytesIO(page.pdf(format="A4", margin={side: "0" for side in MARGIN_MM})))
    page.close()
    if len(numbers.pages) != n:
        raise RuntimeError(f"{len(numbers.pages)} number sheets printed for {n} pages")
    for k in range(1, n):
        writer.pages[k].merge_page(numbers.pages[k])
        writer.pages[k].compress_content_streams()  # merging leaves the page's content uncompressed (2x the size)


def print_book(html: Path, out: Path) -> dict[str, Path]:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    out.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, serve(html) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True, args=LAUNCH_ARGS,
                                    env=no_cjk_env(Path(tmp)))
        # the viewport is the printed page's content box, so that frames are measured as they will print
        context = browser.new_context(viewport=CONTENT_PX)
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        page.emulate_media(media="print")
        for lang in ("en", "zh"):
            writer = PdfWriter()
            docs = book_pages(lang)
            for doc in docs:
                page.goto(f"{base}/{doc}.html", wait_until="load")
                title = page.evaluate(READY)
                page.add_style_tag(content=PRINT_CSS + (FRONT_CSS if doc == docs[0] else ""))
                whole, split = page.evaluate(MARK_FRAMES, [FRAME_SELECTOR, WHOLE_UP_TO * CONTENT_PX["height"]])
                data = page.pdf(format="A4", print_background=True, margin=_margin())
                reader = PdfReader(io.BytesIO(data))
                start = len(writer.pages)
                for pg in reader.pages:
                    writer.add_page(pg)
                writer.add_outline_item(title.split(" — ")[0], start)
                print(f"  {lang}: {doc} ({len(reader.pages)} pages; frames: {whole} kept whole, {split} split)",
                      flush=True)
            number_pages(context, writer)
            writer.add_metadata({"/Title": {"en": "Generative AI — the mathematics, the code and the ethics",
                                            "zh": "生成式人工智能：数学、代码与伦理"}[lang]})
            path = out / f"book-{lang}.pdf"
            with open(path, "wb") as f:
                writer.write(f)
            results[lang] = path
        browser.close()
    return results


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, y up
Matrix = list[float]  # a, b, c, d, e, f as in a PDF `cm`


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m × n (m applied first), as PDF composes `cm` with the current matrix."""
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3], m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def _point(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _intersect(a: Box | None, b: Box) -> Box:
    return b if a is None else (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def _bbox(points: list[tuple[float, float]]) -> Box:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


PAINT_OPS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"S", b"s"}
STROKE_OPS = {b"S", b"s"}
# the colour operators (lower case: fill, upper case: stroke), each with the operands that make it white
COLOUR_OPS = {b"rg": [1, 1, 1], b"RG": [1, 1, 1], b"g": [1], b"G": [1], b"k": [0, 0, 0, 0], b"K": [0, 0, 0, 0]}
SHOW_OPS = {b"Tj", b"TJ", b"'", b'"'}


def drawn(page: PageObject) -> tuple[list[Box], list[Box]]:
    """What a page's content stream draws, as seen on the page (clipped): the boxes of the paths it fills or
    strokes (but not white ones, which are the paper, nor faint ones, less than half opaque or soft-masked: box
    shadows), and the places where it shows text (the origin of each text run) or an image or form (its box).

    Chromium paints a box that runs over a page break on both pages and clips it to each, so the clip path is
    followed (through q/Q) and every box cut to it. Paths are taken by the box around their points (curves by
    their control points), which is what a frame with rounded corners needs; nothing finer is attempted. Text
    and images are clipped too: a text run whose origin lies outside the clip is not on this page."""
    contents = page.get_contents()  # a ContentStream, parsed
    ops = contents.operations if contents is not None else []
    states = (page.get("/Resources") or {}).get("/ExtGState") or {}
    ctm: Matrix = [1, 0, 0, 1, 0, 0]
    clip: Box | None = None
    alpha, masked = 1.0, False  # fill opacity and soft mask: shadows are drawn faint or through a mask
    white = {"fill": False, "stroke": False}  # white on white paper: the page's own background
    stack: list[tuple[Matrix, Box | None, float, bool, dict[str, bool]]] = []
    path: list[tuple[float, float]] = []
    clip_next = False
    tm: Matrix = [1, 0, 0, 1, 0, 0]
    line: Matrix = [1, 0, 0, 1, 0, 0]
    leading = 0.0
    paints: list[Box] = []
    content: list[Box] = []
    for operands, op in ops:
        nums = [float(v) for v in operands] if op in {b"cm", b"m", b"l", b"c", b"v", b"y", b"re", b"Tm", b"Td",
                                                      b"TD", b"TL"} else []
        if op == b"q":
            stack.append((ctm, clip, alpha, masked, dict(white)))
        elif op == b"Q" and stack:
            ctm, clip, alpha, masked, white = stack.pop()
        elif op in COLOUR_OPS:
            white["fill" if op.islower() else "stroke"] = [float(v) for v in operands] == COLOUR_OPS[op]
        elif op == b"gs" and operands[0] in states:
            state = states[operands[0]].get_object()
            alpha = float(state.get("/ca", alpha))
            if "/SMask" in state:
                masked = state["/SMask"] != "/None"
        elif op == b"cm":
            ctm = _mul(nums, ctm)
        elif op in {b"m", b"l", b"c", b"v", b"y"}:
            path += [_point(ctm, nums[i], nums[i + 1]) for i in range(0, len(nums), 2)]
        elif op == b"re":
            x, y, w, h = nums
            path += [_point(ctm, x, y), _point(ctm, x + w, y), _point(ctm, x, y + h), _point(ctm, x + w, y + h)]
        elif op in {b"W", b"W*"}:
            clip_next = True
        elif op in PAINT_OPS or op == b"n":
            if path:
                box = _bbox(path)
                if clip_next:
                    clip = _intersect(clip, box)
                visible = alpha >= 0.5 and not masked and not white["stroke" if op in STROKE_OPS else "fill"]
                if op in PAINT_OPS and visible:
                    seen = _intersect(clip, box)
                    if seen[2] > seen[0] and seen[3] > seen[1]:
                        paints.append(seen)
            path, clip_next = [], False
        elif op == b"BT":
            tm, line = [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0]
        elif op == b"Tm":
            tm, line = nums, list(nums)
        elif op == b"TL":
            leading = nums[0]
        elif op in {b"Td", b"TD", b"T*"}:
            dx, dy = (nums[0], nums[1]) if op != b"T*" else (0.0, -leading)
            if op == b"TD":
                leading = -dy
            line = _mul([1, 0, 0, 1, dx, dy], line)
            tm = list(line)
        elif op in SHOW_OPS or op in {b"Do", b"INLINE IMAGE"}:
            if op in SHOW_OPS:
                x, y = _point(_mul(tm, ctm), 0, 0)
                box = (x, y, x, y)
            else:
                box = _bbox([_point(ctm, x, y) for x in (0, 1) for y in (0, 1)])
            seen = _intersect(clip, box)
            if seen[2] >= seen[0] and seen[3] >= seen[1]:  # not clipped away
                content.append(seen)
    return paints, content


def empty_frames(page: PageObject) -> list[Box]:
    """Boxes painted down to the bottom margin (the foot of the printed area), at least a third of the page
    wide and a few points high, with no text and no image in them: a frame whose content went on to the next
    page without leaving anything on this one."""
    paints, content = drawn(page)
    width = float(page.mediabox.width)
    foot = float(page.mediabox.bottom) + MARGIN_MM["bottom"] * PT_PER_MM
    return [box for box in paints
            if box[1] <= foot + 2 and box[3] - box[1] >= 4 and box[2] - box[0] >= width / 3
            and not any(c[0] <= box[2] and c[2] >= box[0] and c[1] <= box[3] and c[3] >= box[1] for c in content)]


def text_and_foot(page: PageObject) -> tuple[str, str]:
    """A page's text, and the last piece of text drawn on it if that lies in the bottom margin ("" if not): the
    page number, laid over the page after its content. (Text is not clipped here, and a tall formula at the
    foot of a page can reach into the margin, so only the last piece counts.)"""
    foot = float(page.mediabox.bottom) + MARGIN_MM["bottom"] * PT_PER_MM
    pieces: list[tuple[str, float]] = []

    def visit(text: str, cm: Matrix, tm: Matrix, font: object, size: float) -> None:
        if text.strip():
            pieces.append((text.strip(), _point(_mul(tm, cm), 0, 0)[1]))

    text = page.extract_text(visitor_text=visit) or ""
    return text, pieces[-1][0] if pieces and pieces[-1][1] < foot else ""


def check_pdf(path: Path, lang: str) -> list[str]:
    """Problems with one printed book (an empty list when it is fine)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    problems = []
    n_docs = len(book_pages(lang))
    if len(reader.pages) < n_docs:
        problems.append(f"{len(reader.pages)} PDF pages for {n_docs} book pages")
    # the landing page is the first outline entry; the second one starts on the page after it
    starts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    if len(starts) < 2 or starts[:2] != [0, 1]:
        problems.append(f"the front page (the landing page) is not exactly one page: the first two outline "
                        f"entries start on pages {[n + 1 for n in starts[:2]]}")
    texts = []
    misnumbered, framed = [], []
    for number, pg in enumerate(reader.pages, start=1):
        text, foot = text_and_foot(pg)
        texts.append(text)
        if foot != ("" if number == 1 else str(number)):
            misnumbered.append(f"{number}: {foot!r}")
        if empty_frames(pg):
            framed.append(number)
    if misnumbered:
        problems.append(f"{len(misnumbered)} pages do not end with their own number in the bottom margin (the front "
                        f"page with none) (page: the text there): {', '.join(misnumbered[:10])}")
    if framed:
        problems.append(f"{len(framed)} pages end with an empty frame (a box reaching the bottom margin with nothing "
                        f"in it; its content is on the next page): pages {framed}")
    text = "".join(texts)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    if lang == "zh" and cjk < 5000:
        problems.append(f"only {cjk} Chinese characters in the Chinese book")
    if lang == "en" and latin < 20000:
        problems.append(f"only {latin} Latin letters in the English book")
    if "\ufffd" in text:
        problems.append(f"{text.count(chr(0xFFFD))} characters that could not be mapped (U+FFFD) in the text")
    fonts: dict[str, bool] = {}
    for pg in reader.pages:
        resources = pg.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            name = str(font.get("/BaseFont", ""))
            descendants = font.get("/DescendantFonts")
            desc = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            desc = desc.get_object() if desc else {}
            embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")) or font.get("/Subtype") == "/Type3"
            fonts[name] = fonts.get(name, True) and embedded
    missing = sorted(name for name, ok in fonts.items() if not ok)
    if missing:
        problems.append(f"fonts not embedded: {missing}")
    if lang == "zh" and not any("WenQuanYi" in f or "CJK" in f or "Hei" in f for f in fonts):
        problems.append(f"no CJK font embedded; fonts: {sorted(fonts)}")
    print(f"{path.name}: {len(reader.pages)} pages, {path.stat().st_size / 1e6:.1f} MB, {cjk} Chinese characters, "
          f"{len(fonts)} fonts, all embedded: {not missing}; numbered: {not misnumbered}; empty frames at a page's "
          f"foot: {len(framed)}")
    return problems


def solutions_in(path: Path) -> list[str]:
    """The solutions a PDF of the student edition shows (``--student``): a solution toggle's title ("Solution 3",
    "答案 3", which the default edition prints for each hidden solution) or a string of a solution's code or prose
    (tools/student_edition.py, ``needles``), in the PDF's text with whitespace normalised."""
    from pypdf import PdfReader

    sys.path.insert(0, str(ROOT / "tools"))
    import student_edition

    text = student_edition.normalise(" ".join(page.extract_text() or "" for page in PdfReader(path).pages))
    found = [m.group(0) for m in re.finditer(r"(?:Solution|答案) \d+", text)]
    found += [n for strings in student_edition.needles().values() for n in strings if n in text]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf")
    parser.add_argument("--student", action="store_true",
                        help="the student edition (make pdf EDITION=student): also check that no solution is printed")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").exists():
        print(f"no built book in {args.html}: run `make book` first", file=sys.stderr)
        return 2
    paths = print_book(args.html, args.out)
    failed = False
    for lang, path in paths.items():
        for problem in check_pdf(path, lang):
            print(f"{path}: {problem}", file=sys.stderr)
            failed = True
        if args.student:
            shown = solutions_in(path)
            print(f"{path}: solutions printed: {len(shown)}")
            if shown:
                print(f"{path}: the student edition prints solutions: {shown[:10]}", file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
