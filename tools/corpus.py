"""The book's corpus snapshots for chapter 4's GPT: build a new frozen version, or check a shipped one.

    python tools/corpus.py build --root . --version v2      # write course_lib/corpus/book_v2.{txt,json}
    python tools/corpus.py check --version v1               # verify the shipped snapshot's SHA-256

The corpus is the book's own prose: the markdown cells of every ``notebooks/src/*.py`` (read with ``ast``,
without running it) and every page ``book/**/*.md``. Determinism: sorted paths, NFC, ``\\n`` line ends, tabs to
spaces, no trailing spaces, blank-line runs collapsed, documents joined by a blank line. Loading a snapshot
(and the tokenizer) is :mod:`course_lib.text`.
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import textwrap
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from course_lib.text import (CORPUS_DIR, DEFAULT_VERSION, SEPARATOR, CorpusError, Document, _sha256, load_corpus,
                             snapshot_info)

__all__ = ["normalise_text", "markdown_of_source", "collect_documents", "build_snapshot", "main"]


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` line ends, tabs to 4 spaces, no trailing spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def markdown_of_source(path: str | Path) -> dict[str, list[str]]:
    """The markdown cells ``md(en=..., zh=...)`` of a chapter source, per language, without running it.

    Args:
        path: a file ``notebooks/src/NN_name.py``.

    Returns:
        ``{"en": [cell, ...], "zh": [cell, ...]}`` in cell order, each dedented and stripped as
        ``tools/twins.py`` does.
    """
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {"en": [], "zh": []}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "md":
            for kw in node.keywords:
                if kw.arg in out and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    out[kw.arg].append((kw.value.lineno, textwrap.dedent(kw.value.value).strip()))  # type: ignore[arg-type]
    return {lang: [t for _, t in sorted(cells)] for lang, cells in out.items()}  # type: ignore[misc]


def _lang_of_page(rel: str) -> str:
    parts = Path(rel).parts
    return parts[1] if len(parts) > 2 and parts[1] in ("en", "zh") else "mixed"


def collect_documents(root: str | Path) -> list[Document]:
    """Every document of the book under ``root``, in a fixed order (sorted paths, then en before zh)."""
    root = Path(root)
    if not (root / "notebooks" / "src").is_dir() or not (root / "book").is_dir():
        raise CorpusError(f"{root} does not look like the book's repository (no notebooks/src or book folder). "
                          f"Pass --root pointing at the repository root.")
    docs: list[Document] = []
    for path in sorted((root / "book").rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        text = normalise_text(path.read_text(encoding="utf-8"))
        if text:
            docs.append(Document(rel, _lang_of_page(rel), text))
    for path in sorted((root / "notebooks" / "src").glob("[0-9][0-9]_*.py")):
        rel = path.relative_to(root).as_posix()
        cells = markdown_of_source(path)
        for lang in ("en", "zh"):
            text = normalise_text("\n\n".join(cells[lang]))
            if text:
                docs.append(Document(rel, lang, text))
    docs.sort(key=lambda d: (d.source, {"en": 0, "zh": 1, "mixed": 2}[d.lang]))
    return docs


def build_snapshot(root: str | Path, version: str, out_dir: str | Path = CORPUS_DIR,
                   overwrite: bool = False) -> Path:
    """Write ``book_<version>.txt`` and ``book_<version>.json`` from the book under ``root``.

    Returns:
        The path of the text file.

    Raises:
        CorpusError: the version exists already (snapshots are frozen; pick a new version) or no text found.
    """
    if not re.fullmatch(r"v\d+", version):
        raise CorpusError(f"version must look like 'v1', 'v2', … — got {version!r}")
    out_dir = Path(out_dir)
    txt, meta = out_dir / f"book_{version}.txt", out_dir / f"book_{version}.json"
    if txt.exists() and not overwrite:
        raise CorpusError(f"{txt} exists: snapshots are frozen so that the chapter's numbers stay put. "
                          f"Write a new version (e.g. --version v{int(version[1:]) + 1}).")
    root = Path(root)
    docs = collect_documents(root)
    if not docs:
        raise CorpusError(f"no prose found under {root}")
    pieces, entries, offset = [], [], 0
    for d in docs:
        if pieces:
            offset += len(SEPARATOR)
        entries.append({"source": d.source, "lang": d.lang, "start": offset, "end": offset + len(d.text),
                        "source_sha256": _sha256((root / d.source).read_bytes())})
        pieces.append(d.text)
        offset += len(d.text)
    text = SEPARATOR.join(pieces) + "\n"
    data = text.encode("utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    txt.write_bytes(data)
    info = {
        "version": version,
        "file": txt.name,
        "sha256": _sha256(data),
        "characters": len(text),
        "bytes": len(data),
        "vocabulary": len(set(text)),
        "documents": entries,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": f"python tools/corpus.py build --root . --version {version}",
        "rules": "markdown cells of notebooks/src/*.py (en, zh) and book/**/*.md; sorted paths; NFC; "
                 "tabs to spaces; trailing spaces removed; blank-line runs collapsed; documents joined by a blank line",
        "validation": "the last 10% of every document (a contiguous tail of each)",
    }
    meta.write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return txt


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python tools/corpus.py", description="The book's corpus snapshots.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write course_lib/corpus/book_VERSION.{txt,json} from the book's sources")
    b.add_argument("--root", default=".", help="repository root (default: .)")
    b.add_argument("--version", required=True, help="snapshot version, e.g. v2 (existing versions are frozen)")
    b.add_argument("--out", default=str(CORPUS_DIR), help="output folder (default: the package's corpus folder)")
    b.add_argument("--overwrite", action="store_true", help="replace an existing version (do not, once shipped)")
    c = sub.add_parser("check", help="verify a snapshot's SHA-256 and print its size")
    c.add_argument("--version", default=DEFAULT_VERSION)
    args = p.parse_args(argv)
    try:
        if args.command == "build":
            path = build_snapshot(args.root, args.version, args.out, overwrite=args.overwrite)
            info = snapshot_info(args.version, args.out)
            print(f"{path}: {info['characters']} characters, {len(info['documents'])} documents, "
                  f"sha256 {info['sha256']}")
        else:
            text = load_corpus(args.version)
            info = snapshot_info(args.version)
            print(f"{info['file']}: OK, {len(text)} characters, sha256 {info['sha256']}")
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
