"""Every citation key used in the chapter sources and the prose pages exists in book/references.bib."""
from __future__ import annotations

import re

from conftest import ROOT

BIB = ROOT / "book" / "references.bib"
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.M))


def _used_keys() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    files = sorted((ROOT / "notebooks" / "src").glob("*.py")) + sorted((ROOT / "book").rglob("*.md"))
    for path in files:
        for group in CITE.findall(path.read_text(encoding="utf-8")):
            for key in group.split(","):
                key = key.strip()
                key = key.removeprefix("zh-")  # the Chinese pages cite the same entries with a prefix
                used.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return used


def test_bib_has_no_duplicate_keys():
    keys = re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.M)
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, f"duplicate BibTeX keys: {sorted(dupes)}"


def test_every_cited_key_is_in_the_bibliography():
    known = _bib_keys()
    missing = {k: sorted(v) for k, v in _used_keys().items() if k not in known}
    assert not missing, f"cited but not in book/references.bib: {missing}"


def test_citations_are_found_at_all():
    assert "lecun1998mnist" in _used_keys()  # chapter 0 cites MNIST; the regex must see it
