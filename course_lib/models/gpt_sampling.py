"""How text comes out of chapter 4's GPT: the next-token distribution, incremental decoding, the sampling loop.

* :func:`filter_distribution` — temperature, top-k and top-p (nucleus) filtering of the next-token logits
  (``temperature=0``: greedy);
* :class:`KVCache` — one token's forward pass per step instead of the whole context's (chapter 6's canaries and
  text watermark decode with it);
* :func:`generate` — the loop: continue a prompt one sampled token at a time.

The network itself is :mod:`course_lib.models.gpt_model`; this module needs nothing of it but its attributes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from .gpt_model import GPT

__all__ = ["filter_distribution", "KVCache", "generate"]


# --------------------------------------------------------------------------------------------- sampling


def filter_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                        top_p: float | None = None) -> torch.Tensor:
    """The next-token distribution after temperature, top-k and top-p (nucleus) filtering.

    Args:
        logits: ``(..., V)`` unnormalised log-probabilities.
        temperature: divides the logits; ``< 1`` sharpens, ``> 1`` flattens; ``0`` means greedy (all mass on
            the arg-max).
        top_k: keep only the k most probable tokens.
        top_p: keep the smallest set of most probable tokens whose probability reaches ``top_p``
            (Holtzman et al. 2020).

    Returns:
        Probabilities ``(..., V)`` that sum to 1.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    logits = logits.float()
    if temperature == 0:
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = logits.softmax(-1)
    if top_p is not None and top_p < 1.0:
        sorted_p, order = probs.sort(dim=-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p  # mass of the strictly more probable tokens
        keep_sorted = before < top_p  # keeps the top token always
        keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
        probs = probs * keep
        probs = probs / probs.sum(-1, keepdim=True)
    return probs


class KVCache:
    """Incremental decoding for :class:`GPT`: each new token attends to cached keys and values, so a step costs
    one token's forward pass instead of the whole context's (the same logits as ``model(idx)``, up to rounding).

    ``step(tok (B,)) -> logits (B, V)`` feeds one token per sequence at the next position; ``select(index)`` keeps
    (and repeats) rows of the batch — e.g. ``repeat_interleave`` to branch every sequence into several
    continuations that share their past (chapter 6 scores all 10^d digit strings after one prefix this way).
    """

    def __init__(self, model: "GPT") -> None:
        self.model, self.kv = model, [None] * len(model.blocks)
        self.pos = 0

    def select(self, index: torch.Tensor) -> "KVCache":
        """A new cache whose batch is ``self``'s rows ``index`` (the same position)."""
        out = KVCache(self.model)
        out.pos = self.pos
        out.kv = [None if kv is None else (kv[0][index], kv[1][index]) for kv in self.kv]
        return out

    def step(self, tok: torch.Tensor) -> torch.Tensor:
        """Feed tokens ``(B,)`` at the next position; return the next-token logits ``(B, V)``."""
        m = self.model
        if self.pos >= m.block_size:
            raise ValueError(f"incremental decoding stops at the block size ({m.block_size} tokens)")
        x = m.tok_emb(tok[:, None]) + m.position_table()[self.pos:self.pos + 1]
        b, _, d = x.shape
        for i, blk in enumerate(m.blocks):
            q, k, v = blk.attn.split_heads(blk.ln1(x))
            if self.kv[i] is not None:
                k, v = torch.cat([self.kv[i][0], k], 2), torch.cat([self.kv[i][1], v], 2)
            self.kv[i] = (k, v)
            y = F.scaled_dot_product_attention(q, k, v)  # one query sees every earlier key: causal by construction
            x = x + blk.attn.proj(y.transpose(1, 2).reshape(b, 1, d))
            x = x + blk.mlp(blk.ln2(x))
        self.pos += 1
        return (m.ln_f(x) @ m.tok_emb.weight.T)[:, 0]


@torch.no_grad()
def generate(model: GPT, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Continue ``idx (B, t)`` by ``max_new_tokens`` tokens, one at a time (``temperature=0``: greedy).

    Returns:
        ``(B, t + max_new_tokens)`` token ids.
    """
    if idx.dim() == 1:
        idx = idx[None]
    if idx.shape[1] == 0:
        raise ValueError("the prompt is empty: give at least one token")
    was_training = model.training
    model.eval()
    for _ in range(max_new_tokens):
        logits, _ = model(idx[:, -model.block_size:])
        probs = filter_distribution(logits[:, -1], temperature, top_k, top_p)
        if temperature == 0:
            nxt = probs.argmax(-1, keepdim=True)
        else:
            nxt = torch.multinomial(probs.cpu(), 1, generator=generator).to(idx.device)
        idx = torch.cat([idx, nxt], dim=1)
    model.train(was_training)
    return idx
