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


def _cited_keys(text: str) -> list[str]:
    return [k.strip() for group in CITE.findall(text) for k in group.split(",")]


def test_each_language_cites_its_own_bibliography():
    """Chinese text cites ``zh-key`` (its readers land in the Chinese bibliography), English text plain ``key``."""
    wrong = []
    for path in sorted((ROOT / "notebooks" / "src").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for lang, block in re.findall(r'\b(en|zh)=r?"""(.*?)"""', text, flags=re.S):
            for key in _cited_keys(block):
                if key.startswith("zh-") != (lang == "zh"):
                    wrong.append(f"{path.name} ({lang}): {key}")
    for lang in ("en", "zh"):
        for path in sorted((ROOT / "book" / lang).rglob("*.md")):
            for key in _cited_keys(path.read_text(encoding="utf-8")):
                if key.startswith("zh-") != (lang == "zh"):
                    wrong.append(f"{path.relative_to(ROOT)}: {key}")
    assert not wrong, "citations into the other language's bibliography: " + "; ".join(wrong)


def test_language_check_sees_both_languages():
    text = (ROOT / "notebooks" / "src" / "06_responsible_generation.py").read_text(encoding="utf-8")
    langs = {lang for lang, block in re.findall(r'\b(en|zh)=r?"""(.*?)"""', text, flags=re.S) if _cited_keys(block)}
    assert langs == {"en", "zh"}
