"""Render the two glossary pages from the one glossary, ``book/glossary.yml``.

    python tools/glossary.py          # rewrite book/en/glossary.md and book/zh/glossary.md
    python tools/glossary.py --check  # exit 1 if either page differs from what the data gives

``tests/test_terms.py`` runs the check, and uses :func:`load` for the terminology test (rejected variants).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "glossary.yml"
PAGES = {"en": ROOT / "book" / "en" / "glossary.md", "zh": ROOT / "book" / "zh" / "glossary.md"}
FIELDS = ("en", "zh", "rejected", "en_def", "zh_def")

HEAD = {
    "en": """\
# Glossary · English → 中文

<small>[阅读中文版 · Read in Chinese](../zh/glossary.md)</small>

% Generated from book/glossary.yml by tools/glossary.py: edit the data file, then run the tool.

The terms of the book with the Chinese terms used in the 中文 part, so that a reader of either language can
follow lectures or papers in the other. The Chinese chapters use exactly these Chinese terms; the tests reject
the variants listed in `book/glossary.yml`.

| English | 中文 | meaning |
| --- | --- | --- |
""",
    "zh": """\
# 术语表 · 中文 → English

<small>[Read in English · 阅读英文版](../en/glossary.md)</small>

% Generated from book/glossary.yml by tools/glossary.py: edit the data file, then run the tool.

本书使用的术语及其英文原文。中文部分统一使用下表中的译名，方便读者阅读英文论文或听英文课程。
同一概念的其他常见译法在本书中一律不用，测试会检查这一点。

| 中文 | English | 释义 |
| --- | --- | --- |
""",
}


class GlossaryError(ValueError):
    pass


def load(path: Path = DATA) -> list[dict]:
    """The entries of the glossary, checked: every field present, no term twice, no term rejected elsewhere."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GlossaryError(f"{path} is missing: it is the one source of the glossary pages") from None
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list) or not terms:
        raise GlossaryError(f"{path}: expected a mapping with a non-empty list under 'terms'")
    seen: dict[str, str] = {}
    for i, t in enumerate(terms):
        missing = [f for f in FIELDS if f not in t]
        if missing:
            raise GlossaryError(f"{path}: entry {i} ({t.get('en', '?')}) lacks {', '.join(missing)}")
        for key in ("en", "zh"):
            if t[key] in seen:
                raise GlossaryError(f"{path}: '{t[key]}' appears twice (entries '{seen[t[key]]}' and '{t['en']}')")
            seen[t[key]] = t["en"]
        if not re.search(r"[\u4e00-\u9fff]", t["zh_def"]):
            if not re.fullmatch(r"[$\\\w\s()|{}^_,.;:=+\-*/<>'`≤≥]*", t["zh_def"]):
                raise GlossaryError(f"{path}: the Chinese definition of '{t['en']}' is not Chinese")
    accepted = {f for t in terms for f in accepted_forms(t)}
    for t in terms:
        for r in t["rejected"]:
            if r in accepted:
                raise GlossaryError(f"{path}: '{r}' is both a term and a rejected variant (entry '{t['en']}')")
    return terms


def accepted_forms(term: dict) -> list[str]:
    """The Chinese strings that are right for a term: its parts (split at ' / ', brackets dropped) and ``accept``."""
    forms = [term["zh"]]
    for part in term["zh"].split(" / "):
        forms.append(part.strip())
        forms.append(re.sub(r"（[^）]*）", "", part).strip())
    forms += term.get("accept", [])
    return sorted({f for f in forms if f}, key=len, reverse=True)


def _cell(text: str) -> str:
    return text.replace("\n", " ").strip()


def render(terms: list[dict], lang: str) -> str:
    rows = []
    for t in terms:
        if lang == "en":
            rows.append(f"| {_cell(t['en'])} | {_cell(t['zh'])} | {_cell(t['en_def'])} |")
        else:
            rows.append(f"| {_cell(t['zh'])} | {_cell(t['en'])} | {_cell(t['zh_def'])} |")
    return HEAD[lang] + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    terms = load()
    stale = []
    for lang, page in PAGES.items():
        text = render(terms, lang)
        if "--check" in argv:
            if not page.exists() or page.read_text(encoding="utf-8") != text:
                stale.append(str(page.relative_to(ROOT)))
        else:
            page.write_text(text, encoding="utf-8")
            print(f"wrote {page.relative_to(ROOT)} ({len(terms)} terms)")
    if stale:
        print(f"stale: {', '.join(stale)}; run `python tools/glossary.py`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
