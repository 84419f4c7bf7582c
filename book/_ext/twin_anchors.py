"""Stable section anchors shared by the twin pages (en/X and zh/X get the same ids).

Sphinx numbers anonymous sections ``#id4`` and slugs Chinese titles to things like ``#kl``: meaningless, and
different in each language, so the "中文 / English" switch could only land at the top of the other page.
Here every section of a twin page (``notebooks/{en,zh}/X`` and ``book/{en,zh}/X``) gets, as its first id,
the slug of the *English* heading at the same position, read from the English twin's source:

    "## 3.2 The evidence lower bound (ELBO)"  ->  #the-evidence-lower-bound-elbo   (on both pages)

Leading section numbers are dropped, so renumbering a chapter keeps its links. An explicit label written
just before the English heading, ``(my-anchor)=``, overrides the slug (a leading ``en-`` is dropped), so a
heading can be reworded without breaking shared links. The old ids stay on the page as extra anchors.
The twins must have the same headings at the same levels (the house rule); if not, a warning says where.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from docutils import nodes
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
TWIN = re.compile(r"^(notebooks|book)/(en|zh)/([^/]+)$")
_GREEK = {ch: f" {name} " for ch, name in zip(
    "αβγδεζηθικλμνξπρστυφχψωΣΔ",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi "
    "psi omega sigma delta".split(),
)}
_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d*)\s*(?:·|:|\.|—|-)?\s*")


def slugify(text: str) -> str:
    """'3.2 The evidence lower bound (ELBO)' -> 'the-evidence-lower-bound-elbo'."""
    text = _NUMBER.sub("", text)
    text = re.sub(r"\$[^$]*\$", lambda m: re.sub(r"[^A-Za-z0-9]+", " ", m.group(0)), text)
    text = "".join(_GREEK.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").use(colon_fence_plugin).use(dollarmath_plugin).use(myst_block_plugin)


def english_headings(source: Path) -> list[tuple[int, str, str | None]]:
    """(level, text, explicit label or None) of every heading of a .md or .ipynb source, in order."""
    if source.suffix == ".ipynb":
        nb = json.loads(source.read_text(encoding="utf-8"))
        texts = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"]
            if c["cell_type"] == "markdown"
        ]
    else:
        text = source.read_text(encoding="utf-8")
        if text.startswith("---"):  # front matter
            end = text.find("\n---", 3)
            text = text[end + 4 :] if end > 0 else text
        texts = [text]
    out: list[tuple[int, str, str | None]] = []
    md = _parser()
    for text in texts:
        tokens = md.parse(text)
        label = None
        for i, tok in enumerate(tokens):
            if tok.type == "myst_target":
                label = tok.content.strip()
                continue
            if tok.type == "heading_open":
                inline = tokens[i + 1]
                words = "".join(
                    ch.content for ch in (inline.children or []) if ch.type in ("text", "code_inline", "math_inline")
                )
                out.append((int(tok.tag[1]), words, label))
            if tok.type not in ("heading_close", "inline"):
                label = None
    return out


def anchors_for(source: Path) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for _level, text, label in english_headings(source):
        slug = re.sub(r"^en-", "", label) if label else slugify(text)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.append(slug if n == 0 else f"{slug}-{n + 1}")
    return result


def _english_source(app: Sphinx, docname: str) -> Path | None:
    m = TWIN.match(docname)
    if not m:
        return None
    kind, _lang, stem = m.groups()
    for suffix in (".ipynb", ".md"):
        path = Path(app.srcdir) / kind / "en" / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def assign_anchors(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    source = _english_source(app, docname)
    if source is None:
        return
    sections = list(doctree.findall(nodes.section))
    anchors = anchors_for(source)
    if len(anchors) != len(sections):
        logger.warning(
            f"twin anchors: {docname} has {len(sections)} sections but its English twin {source.name} has "
            f"{len(anchors)} headings; the twins should have the same headings (anchors left as they were)",
            location=docname,
            type="twin_anchors",
        )
        return
    for section, anchor in zip(sections, anchors):
        if section["ids"] and section["ids"][0] == anchor:
            continue
        owner = doctree.ids.get(anchor)
        if owner is not None and owner is not section:
            logger.warning(f"twin anchors: #{anchor} already names another element in {docname}",
                           location=docname, type="twin_anchors")
            continue
        if anchor in section["ids"]:
            section["ids"].remove(anchor)
        section["ids"].insert(0, anchor)
        doctree.ids[anchor] = section


def setup(app: Sphinx) -> dict[str, object]:
    # before the table-of-contents collector (priority 500) reads the section ids
    app.connect("doctree-read", assign_anchors, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
