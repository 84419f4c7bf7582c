"""Text for the tiny GPT of chapter 4: the book's own corpus, a character tokenizer, n-gram baselines.

The corpus is **this book's own prose**: the markdown cells of every chapter source ``notebooks/src/*.py``
(English and Chinese) and every page ``book/**/*.md``. Prose changes whenever an author edits a chapter, so
the chapter does not train on the live files: it trains on a **frozen, versioned snapshot** shipped inside
the package (``course_lib/corpus/book_v1.txt``), with a JSON file recording its SHA-256, the sources (with
their own SHA-256) and the date. The snapshot is regenerated, deterministically, by::

    python tools/corpus.py build --root . --version v2      # write course_lib/corpus/book_v2.*
    python tools/corpus.py check --version v1               # verify the shipped snapshot

(the builder reads the book's own ``notebooks/src`` format, so it lives with the book's tools, not here).

Determinism: files are read in sorted order, markdown is taken from the sources without executing them
(``ast``), Unicode is NFC-normalised, line ends become ``\\n``, tabs become spaces, trailing spaces are
removed and runs of blank lines collapse to one. Documents (one per file and language) are joined by a
blank line; their character offsets are kept in the JSON file.

**Validation split.** The last 10 % of *every document* (a contiguous tail of each) is held out, so that the
validation text contains both languages and every chapter, and no validation character is ever seen in
training. The vocabulary is the set of characters of the whole snapshot, so the validation text has no
unknown characters; text from elsewhere may (see :class:`CharTokenizer`).
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

__all__ = [
    "CORPUS_DIR",
    "DEFAULT_VERSION",
    "CorpusError",
    "Document",
    "CharTokenizer",
    "load_corpus",
    "load_documents",
    "snapshot_info",
    "split_documents",
    "train_val_text",
    "ngram_bits_per_char",
    "bigram_bits_per_char",
    "best_ngram_bits_per_char",
]

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
DEFAULT_VERSION = "v1"
SEPARATOR = "\n\n"


class CorpusError(ValueError):
    """The corpus snapshot is missing or altered, or text does not fit the tokenizer."""


@dataclass(frozen=True)
class Document:
    """One document of the corpus: one file in one language."""

    source: str  # path relative to the repository root, e.g. "notebooks/src/04_gpt.py"
    lang: str  # "en", "zh" or "mixed" (book/index.md holds both)
    text: str


# --------------------------------------------------------------------------------------------- building


# --------------------------------------------------------------------------------------------- loading
def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()



def snapshot_info(version: str = DEFAULT_VERSION, corpus_dir: str | Path = CORPUS_DIR) -> dict:
    """The JSON record of a snapshot (checksum, sources, date, document offsets)."""
    meta = Path(corpus_dir) / f"book_{version}.json"
    if not meta.is_file():
        have = sorted(p.stem.removeprefix("book_") for p in Path(corpus_dir).glob("book_v*.json"))
        raise CorpusError(f"no corpus snapshot {version!r} in {corpus_dir} (available: {have or 'none'}). "
                          f"Build one with `python tools/corpus.py build --root . --version {version}`.")
    return json.loads(meta.read_text(encoding="utf-8"))


def load_corpus(version: str = DEFAULT_VERSION, corpus_dir: str | Path = CORPUS_DIR, verify: bool = True) -> str:
    """The text of a snapshot, its SHA-256 checked against the JSON record."""
    info = snapshot_info(version, corpus_dir)
    data = (Path(corpus_dir) / info["file"]).read_bytes()
    if verify and _sha256(data) != info["sha256"]:
        raise CorpusError(f"{info['file']} does not match its recorded SHA-256: the frozen snapshot was edited. "
                          f"Restore it from git, or build a new version with tools/corpus.py build.")
    return data.decode("utf-8")


def load_documents(version: str = DEFAULT_VERSION, corpus_dir: str | Path = CORPUS_DIR) -> list[Document]:
    """The snapshot cut back into its documents."""
    text = load_corpus(version, corpus_dir)
    info = snapshot_info(version, corpus_dir)
    return [Document(e["source"], e["lang"], text[e["start"]:e["end"]]) for e in info["documents"]]


def split_documents(docs: Sequence[Document], val_fraction: float = 0.1) -> tuple[list[str], list[str]]:
    """Cut every document into a head (training) and its last ``val_fraction`` (validation)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    heads, tails = [], []
    for d in docs:
        cut = len(d.text) - max(1, round(len(d.text) * val_fraction))
        heads.append(d.text[:cut])
        tails.append(d.text[cut:])
    return heads, tails


def train_val_text(version: str = DEFAULT_VERSION, val_fraction: float = 0.1,
                   corpus_dir: str | Path = CORPUS_DIR) -> tuple[str, str]:
    """``(training text, validation text)``: heads and tails of every document, each joined by a blank line."""
    heads, tails = split_documents(load_documents(version, corpus_dir), val_fraction)
    return SEPARATOR.join(heads), SEPARATOR.join(tails)


# --------------------------------------------------------------------------------------------- tokenizer


class CharTokenizer:
    """One token per Unicode character: works the same for English letters and Chinese characters.

    The vocabulary is the sorted set of characters of a text (``CharTokenizer.from_text``). A character
    outside the vocabulary raises :class:`CorpusError` (``errors="strict"``, the default) or is dropped
    (``errors="skip"``); there is no ``<unk>`` token, because the model never saw one in training.

    >>> tok = CharTokenizer.from_text("注意力 attention")
    >>> tok.decode(tok.encode("注意 at"))
    '注意 at'
    """

    def __init__(self, chars: Iterable[str]) -> None:
        chars = list(chars)
        if any(len(c) != 1 for c in chars) or len(set(chars)) != len(chars):
            raise ValueError("a vocabulary is a list of distinct single characters")
        if not chars:
            raise ValueError("the vocabulary is empty")
        self.chars: list[str] = chars
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer whose vocabulary is every character of ``text``, sorted by code point."""
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        """The distinct characters of ``text`` that are not in the vocabulary, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.stoi))

    def encode(self, text: str, errors: Literal["strict", "skip"] = "strict") -> list[int]:
        """Token ids of ``text``.

        Raises:
            CorpusError: with ``errors="strict"``, if ``text`` has characters outside the vocabulary.
        """
        if errors not in ("strict", "skip"):
            raise ValueError(f"errors must be 'strict' or 'skip', got {errors!r}")
        bad = self.unknown(text)
        if bad and errors == "strict":
            shown = ", ".join(repr(c) for c in bad[:10]) + (" …" if len(bad) > 10 else "")
            raise CorpusError(f"{len(bad)} character(s) not in the vocabulary of {self.vocab_size}: {shown}. "
                              f"Remove them, or encode with errors='skip' to drop them.")
        return [self.stoi[c] for c in text if c in self.stoi]

    def encode_tensor(self, text: str, device: torch.device | str = "cpu",
                      errors: Literal["strict", "skip"] = "strict") -> torch.Tensor:
        """``encode`` as an ``int64`` tensor of shape ``(len,)`` on ``device``."""
        return torch.tensor(self.encode(text, errors), dtype=torch.long, device=device)

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        """The text of token ids (a list or a 1-D tensor)."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"decode takes a 1-D tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            if not 0 <= int(i) < self.vocab_size:
                raise ValueError(f"token id {i} is outside the vocabulary (0 .. {self.vocab_size - 1})")
            out.append(self.chars[int(i)])
        return "".join(out)

    def to_dict(self) -> dict:
        """A JSON-friendly description (stored in a checkpoint's model card)."""
        return {"type": "char", "chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, d: dict) -> CharTokenizer:
        if d.get("type") != "char":
            raise ValueError(f"not a character tokenizer: {d.get('type')!r}")
        return cls(list(d["chars"]))


# --------------------------------------------------------------------------------------------- baselines


def ngram_bits_per_char(train_ids: Sequence[int] | torch.Tensor, val_ids: Sequence[int] | torch.Tensor,
                        vocab_size: int, order: int, alpha: float = 1.0) -> float:
    """Validation cross-entropy, in bits per character, of an add-``alpha`` smoothed n-gram model.

    ``order=1`` is the unigram model p(x_t); ``order=2`` the bigram model p(x_t | x_{t-1}). Counts come from
    ``train_ids``; every validation character after the first ``order - 1`` is scored, so the numbers
    compare with a GPT scored on the same characters.

    Returns:
        ``-(1/N) Σ log2 p(x_t | context)`` over the N scored validation characters.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order}")
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0 (it keeps unseen pairs possible), got {alpha}")
    tr = torch.as_tensor(train_ids, dtype=torch.long).cpu()
    va = torch.as_tensor(val_ids, dtype=torch.long).cpu()
    if len(va) < 2:
        raise ValueError("need at least two validation characters")
    if order == 1:
        counts = torch.bincount(tr, minlength=vocab_size).double() + alpha
        logp = counts.log() - counts.sum().log()
        lp = logp[va[1:]]
    else:
        counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
        counts.index_put_((tr[:-1], tr[1:]), torch.ones(len(tr) - 1, dtype=torch.float64), accumulate=True)
        counts += alpha
        logp = counts.log() - counts.sum(1, keepdim=True).log()
        lp = logp[va[:-1], va[1:]]
    return float(-lp.mean() / math.log(2))


def bigram_bits_per_char(train_ids, val_ids, vocab_size: int, alpha: float = 0.01) -> float:
    """Bigram baseline (see :func:`ngram_bits_per_char`)."""
    return ngram_bits_per_char(train_ids, val_ids, vocab_size, 2, alpha)


#: The smoothing strengths tried by :func:`best_ngram_bits_per_char`.
ALPHAS: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003)


def best_ngram_bits_per_char(train_ids, val_ids, vocab_size: int, order: int,
                             alphas: Sequence[float] = ALPHAS) -> tuple[float, float]:
    """``(bits per character, alpha)`` of the best add-alpha n-gram model **on the validation text**.

    Choosing alpha on the validation text flatters the baseline; a model that beats it beats every alpha.
    """
    results = {a: ngram_bits_per_char(train_ids, val_ids, vocab_size, order, a) for a in alphas}
    best = min(results, key=results.__getitem__)
    return results[best], best
