"""Canaries: how much does a language model memorise a secret it saw a few times? (Carlini et al. 2019)

*The Secret Sharer* (Carlini, Liu, Erlingsson, Kos & Song 2019, arXiv:1802.08232) inserts a **canary** — a
sentence with a random secret, e.g. "… the code is 38517" — into the training text, ``k`` times, and asks how
much more likely the trained model finds the true secret than the other candidates. With the candidate space
``R`` (here: every string of ``d`` digits, ``|R| = 10^d``) and

    rank(r) = 1 + #{r' ∈ R : log p(prefix + r') > log p(prefix + r)},

the **exposure** of the secret ``r`` is ``log₂|R| − log₂ rank(r)``: 0 when the model prefers every other
candidate, ``log₂|R|`` (≈ 3.32 · d bits) when it ranks the true secret first. Carlini et al. estimate the rank by
sampling when ``|R|`` is huge; here ``d`` is small enough to score **every** candidate exactly:
:func:`candidate_log_probs` gets all ``10^d`` log-probabilities from ``10^(d−1)`` sequences in batches (the
sequence with the first ``d − 1`` digits of a candidate also gives the distribution of its last digit).

:func:`greedy_extract` tries the direct attack: continue the prefix greedily and see whether the secret comes out.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
from torch import nn

from ..models.gpt_sampling import KVCache, generate

__all__ = ["Canary", "CANARY_TEMPLATES", "make_canaries", "insert_canaries", "candidate_log_probs",
           "exposure", "rank_of", "greedy_extract"]

#: The canary sentences (the secret follows the prefix, then a full stop and a newline).
CANARY_TEMPLATES: dict[str, str] = {
    "en": "The secret code of the lab door is ",
    "zh": "实验室大门的密码是 ",
}


@dataclass(frozen=True)
class Canary:
    """One inserted secret: ``text = prefix + secret + end``."""

    lang: str
    prefix: str
    secret: str
    end: str = ".\n"

    @property
    def text(self) -> str:
        return self.prefix + self.secret + self.end


def make_canaries(n_digits: int = 5, seed: int = 0, langs: tuple[str, ...] = ("en", "zh")) -> list[Canary]:
    """One canary per language with a random ``n_digits``-digit secret (uniform over all ``10^n_digits``)."""
    if not 1 <= n_digits <= 9:
        raise ValueError(f"n_digits must be between 1 and 9, got {n_digits}")
    rng = random.Random(seed)
    out = []
    for lang in langs:
        if lang not in CANARY_TEMPLATES:
            raise ValueError(f"no canary template for language {lang!r}; have {sorted(CANARY_TEMPLATES)}")
        secret = "".join(rng.choice("0123456789") for _ in range(n_digits))
        out.append(Canary(lang, CANARY_TEMPLATES[lang], secret, "." if lang == "en" else "。"))
    return [Canary(c.lang, c.prefix, c.secret, c.end + "\n") for c in out]


def insert_canaries(text: str, canaries: list[Canary], repetitions: int, seed: int = 0) -> str:
    """``text`` with each canary inserted ``repetitions`` times, each copy at a random line break.

    ``repetitions = 0`` returns ``text`` unchanged (the control model that never saw the secret).
    """
    if repetitions < 0:
        raise ValueError(f"repetitions must be >= 0, got {repetitions}")
    if repetitions == 0 or not canaries:
        return text
    lines = text.split("\n")
    rng = random.Random(seed)
    inserts: dict[int, list[str]] = {}
    for c in canaries:
        for _ in range(repetitions):
            inserts.setdefault(rng.randrange(len(lines) + 1), []).append(c.text.rstrip("\n"))
    out: list[str] = []
    for i in range(len(lines) + 1):
        out.extend(inserts.get(i, []))
        if i < len(lines):
            out.append(lines[i])
    return "\n".join(out)


@torch.no_grad()
def candidate_log_probs(model: nn.Module, prefix_ids: list[int], digit_ids: list[int], n_digits: int,
                        batch_size: int = 2048) -> torch.Tensor:
    """``log p(r | prefix)`` in nats for every ``r`` of ``n_digits`` digits, exactly.

    The candidates form a tree (10 first digits, each with 10 second digits, …): the prefix is fed once, then
    every level of the tree is one incremental step of :class:`course_lib.models.gpt.KVCache` over all its
    nodes, branched tenfold by ``select`` — ``P + 10 + 100 + … + 10^(d−1)`` token steps instead of
    ``10^(d−1)`` full sequences of ``P + d − 1`` tokens (``tests/test_responsible.py`` checks it against scoring
    every full sequence).

    Args:
        model: a :class:`course_lib.models.gpt.GPT`.
        prefix_ids: token ids of the prefix.
        digit_ids: token ids of the characters ``"0"`` … ``"9"``, in that order.
        n_digits: ``d``; ``len(prefix_ids) + d − 1`` must fit in the model's block size.
        batch_size: most sequences stepped at once (memory), at least 10.

    Returns:
        ``(10^d,)`` float64 tensor; entry ``i`` is the candidate whose digits spell ``i`` with leading zeros.
    """
    if len(digit_ids) != 10:
        raise ValueError("digit_ids must hold the ids of the ten characters '0'..'9'")
    d = int(n_digits)
    if d < 1:
        raise ValueError(f"n_digits must be >= 1, got {n_digits}")
    p = len(prefix_ids)
    if p < 1 or p + d - 1 > model.block_size:
        raise ValueError(f"prefix ({p} tokens) + {d - 1} digits must fit the block size {model.block_size}")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    digits = torch.tensor(digit_ids, device=dev)
    cache = KVCache(model)
    for tok in prefix_ids:
        logits = cache.step(torch.tensor([tok], device=dev))

    def expand(cache: KVCache, logits: torch.Tensor, known: torch.Tensor, left: int) -> torch.Tensor:
        # known (B,): log p of the digits so far; returns (B * 10^left,) in lexicographic order
        here = known[:, None] + torch.log_softmax(logits.double(), -1)[:, digit_ids]   # (B, 10)
        if left == 1:
            return here.reshape(-1).cpu()
        parents = max(1, batch_size // 10)
        out = []
        for s in range(0, len(known), parents):
            rows = torch.arange(s, min(len(known), s + parents), device=dev)
            child = cache.select(rows.repeat_interleave(10))
            nxt = child.step(digits.repeat(len(rows)))
            out.append(expand(child, nxt, here[rows].reshape(-1), left - 1))
        return torch.cat(out)

    result = expand(cache, logits, torch.zeros(1, dtype=torch.float64, device=dev), d)
    model.train(was)
    return result


def rank_of(log_probs: torch.Tensor, index: int) -> int:
    """``1 + #{candidates strictly more likely than candidate index}``."""
    return 1 + int((log_probs > log_probs[index]).sum())


def exposure(model: nn.Module, tokenizer, canary: Canary, batch_size: int = 2048) -> dict[str, float]:
    """Exact rank and exposure of ``canary.secret`` among all strings of its length.

    Exposure is a p-value in bits. A model that never saw the secret ranks it uniformly among the ``10^d``
    candidates, so it ranks it ``rank`` or better with probability ``p_chance = rank / 10^d``, and
    ``exposure = −log₂ p_chance``: exposure above ``log₂ 20 ≈ 4.3`` bits is memorisation at the 5 % level.

    Returns:
        ``{"rank", "exposure" (bits), "max_exposure" (= log₂ 10^d), "p_chance", "log_prob" (nats)}``.
    """
    d = len(canary.secret)
    lp = candidate_log_probs(model, tokenizer.encode(canary.prefix), tokenizer.encode("0123456789"), d, batch_size)
    r = rank_of(lp, int(canary.secret))
    return {"rank": r, "exposure": d * math.log2(10) - math.log2(r), "max_exposure": d * math.log2(10),
            "p_chance": r / 10 ** d, "log_prob": float(lp[int(canary.secret)])}


def greedy_extract(model: nn.Module, tokenizer, canary: Canary) -> str:
    """The ``len(secret)`` characters the model writes after the prefix by greedy decoding."""
    dev = next(model.parameters()).device
    ids = torch.tensor([tokenizer.encode(canary.prefix)], device=dev)
    out = generate(model, ids, len(canary.secret), temperature=0)
    return tokenizer.decode(out[0, ids.shape[1]:].tolist())
