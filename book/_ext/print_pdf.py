"""`make pdf`: the whole book as one PDF per language, printed by Chromium from the built HTML, offline.

    python book/_ext/print_pdf.py [--html _build/html] [--out _build/pdf]

For each language the pages are the landing page and then that language's part of `_toc.yml`, in order.
Each page is opened in headless Chromium (Debian's `chromium`, driven by Playwright, as in the browser test),
served from 127.0.0.1 with every other request refused, with the system's CJK fonts hidden (so the PDF
carries the font the book serves, WenQuanYi Micro Hei, embedded, whatever the machine has); MathJax typesets
the math and the web fonts load before Chromium prints the page (A4, print stylesheet: no sidebars); the
pages are then joined with pypdf into `book-en.pdf` and `book-zh.pdf`, with one outline entry per page.

The result is then checked (and the command fails if a check fails): at least one PDF page per book page, the
Chinese book's text is Chinese, no U+FFFD in the text, and every font embedded (a font that is referenced
but not embedded would be replaced, or drawn as boxes, by the reader's viewer).
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from pathlib import Path

import yaml
from headless import LAUNCH_ARGS, find_chromium, no_cjk_env, serve  # book/_ext, beside this script

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


def print_book(html: Path, out: Path) -> dict[str, Path]:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    out.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, serve(html) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True, args=LAUNCH_ARGS,
                                    env=no_cjk_env(Path(tmp)))
        context = browser.new_context(viewport={"width": 1100, "height": 1400})
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = context.new_page()
        page.emulate_media(media="print")
        for lang in ("en", "zh"):
            writer = PdfWriter()
            for doc in book_pages(lang):
                page.goto(f"{base}/{doc}.html", wait_until="load")
                title = page.evaluate(READY)
                data = page.pdf(format="A4", print_background=True,
                                margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
                reader = PdfReader(io.BytesIO(data))
                start = len(writer.pages)
                for pg in reader.pages:
                    writer.add_page(pg)
                writer.add_outline_item(title.split(" — ")[0], start)
                print(f"  {lang}: {doc} ({len(reader.pages)} pages)", flush=True)
            writer.add_metadata({"/Title": {"en": "Generative AI — the mathematics, the code and the ethics",
                                            "zh": "生成式人工智能：数学、代码与伦理"}[lang]})
            path = out / f"book-{lang}.pdf"
            with open(path, "wb") as f:
                writer.write(f)
            results[lang] = path
        browser.close()
    return results


def check_pdf(path: Path, lang: str) -> list[str]:
    """Problems with one printed book (an empty list when it is fine)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    problems = []
    n_docs = len(book_pages(lang))
    if len(reader.pages) < n_docs:
        problems.append(f"{len(reader.pages)} PDF pages for {n_docs} book pages")
    text = "".join(pg.extract_text() or "" for pg in reader.pages)
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
    print(f"{path.name}: {len(reader.pages)} pages, {cjk} Chinese characters, {len(fonts)} fonts, all embedded: {not missing}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf")
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
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
