"""Chapter 4's network: attention, positions, the decoder block and the GPT itself (pure ``nn.Module``s).

The pieces, in the order the chapter builds them:

* :func:`attention` — scaled dot-product attention ``softmax(Q Kᵀ / √d_k + mask) V``, written out so that a
  reader can follow it; the model itself calls :func:`torch.nn.functional.scaled_dot_product_attention`
  (same numbers, fused kernels), and the tests check the two agree;
* :func:`causal_mask`, :class:`MultiHeadAttention`;
* :func:`sinusoidal_positions` (Vaswani et al. 2017) and :func:`offset_matrix`, the fixed linear map that takes
  PE(p) to PE(p + k); the model uses **learned** positions (GPT-2) by default, sinusoidal on request;
* :class:`Block` — pre-LayerNorm: ``x + Attn(LN(x))`` then ``x + MLP(LN(x))``; :class:`GPT` — token and
  position embeddings, L blocks, a final LayerNorm and a head tied to the token embedding. There is no
  encoder and no cross-attention; :func:`parameter_breakdown` counts its parameters by kind.

How it is trained is :mod:`course_lib.models.gpt_training`, how text comes out of it
:mod:`course_lib.models.gpt_sampling` (``GPT.sample`` calls its :func:`~course_lib.models.gpt_sampling.generate`);
:mod:`course_lib.models.gpt` gathers all three under one name and loads the shipped checkpoint.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .gpt_sampling import generate

__all__ = [
    "attention",
    "causal_mask",
    "sinusoidal_positions",
    "offset_matrix",
    "MultiHeadAttention",
    "MLP",
    "Block",
    "GPT",
    "parameter_breakdown",
]


# --------------------------------------------------------------------------------------------- attention


def causal_mask(t: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Boolean ``(t, t)`` mask, ``True`` where query i may attend to key j, i.e. ``j <= i``."""
    return torch.ones(t, t, dtype=torch.bool, device=device).tril()


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              causal: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention, step by step.

    Args:
        q: queries ``(..., T_q, d_k)``.
        k: keys ``(..., T_k, d_k)``.
        v: values ``(..., T_k, d_v)``.
        mask: optional boolean mask broadcastable to ``(..., T_q, T_k)``; ``True`` = may attend.
        causal: also forbid attending to later positions (query i sees keys ``j <= i``).

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``; each row of ``weights`` sums to 1.
    """
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"queries and keys need the same last dimension d_k, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"keys and values need the same length T_k, got {k.shape[-2]} and {v.shape[-2]}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    allowed = None
    if causal:
        allowed = causal_mask(scores.shape[-1], scores.device)[-scores.shape[-2]:]
    if mask is not None:
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be boolean (True = may attend), got {mask.dtype}")
        allowed = mask if allowed is None else allowed & mask
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = scores.softmax(dim=-1)
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention.

    ``d_model`` is split into ``n_head`` heads of ``d_k = d_model / n_head``; each head attends on its own,
    the results are concatenated and mixed by an output projection. Parameters: ``W_qkv (d, 3d)``,
    ``W_o (d, d)`` and their biases: ``4d² + 4d``.
    """

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % n_head:
            raise ValueError(f"d_model={d_model} must be a multiple of n_head={n_head}")
        self.d_model, self.n_head, self.d_k = d_model, n_head, d_model // n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.resid_drop = nn.Dropout(dropout)

    def split_heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(B, T, d)`` -> q, k, v of shape ``(B, n_head, T, d_k)``."""
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(self.d_model, dim=-1)
        return tuple(z.view(b, t, self.n_head, self.d_k).transpose(1, 2) for z in (q, k, v))  # type: ignore[return-value]

    def forward(self, x: torch.Tensor, return_weights: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``x (B, T, d)`` -> ``(B, T, d)``; with ``return_weights`` also the weights ``(B, n_head, T, T)``."""
        b, t, d = x.shape
        q, k, v = self.split_heads(x)
        if return_weights:  # the readable path, for looking inside
            y, w = attention(q, k, v, causal=True)
        else:  # the fused path: same result, faster, less memory
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                               dropout_p=self.dropout if self.training else 0.0)
        y = self.resid_drop(self.proj(y.transpose(1, 2).reshape(b, t, d)))
        return (y, w) if return_weights else y


# --------------------------------------------------------------------------------------------- positions


def sinusoidal_positions(n_positions: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The sinusoidal encoding of Vaswani et al. (2017), shape ``(n_positions, d_model)``.

    ``PE[p, 2i] = sin(p / base^(2i/d))`` and ``PE[p, 2i+1] = cos(p / base^(2i/d))``: p is the position,
    i indexes the pair of dimensions (``0 <= i < d/2``).
    """
    if d_model % 2:
        raise ValueError(f"d_model must be even for sin/cos pairs, got {d_model}")
    p = torch.arange(n_positions, dtype=torch.float64)[:, None]
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    angle = p / base ** (two_i / d_model)  # (P, d/2)
    pe = torch.empty(n_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.float()


def offset_matrix(k: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The ``(d, d)`` matrix M_k with ``PE(p + k) = M_k @ PE(p)`` for every position p.

    It is block-diagonal: on the pair ``(2i, 2i+1)`` it rotates by the angle ``k ω_i``, ``ω_i = base^(-2i/d)``
    (sin(a+b) = sin a cos b + cos a sin b, cos(a+b) = cos a cos b − sin a sin b). It depends on the
    offset k only, not on p.
    """
    omega = 1.0 / base ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    c, s = torch.cos(k * omega), torch.sin(k * omega)
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    idx = torch.arange(0, d_model, 2)
    m[idx, idx], m[idx, idx + 1] = c, s  # new sin = sin·cos(kω) + cos·sin(kω)
    m[idx + 1, idx], m[idx + 1, idx + 1] = -s, c  # new cos = cos·cos(kω) − sin·sin(kω)
    return m.float()


# --------------------------------------------------------------------------------------------- the model


class MLP(nn.Module):
    """Position-wise feed-forward network ``d -> 4d -> d`` with GELU: ``8d² + 5d`` parameters."""

    def __init__(self, d_model: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """A pre-LayerNorm decoder block: ``x = x + Attn(LN₁(x))``, then ``x = x + MLP(LN₂(x))``."""

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = MultiHeadAttention(d_model, n_head, dropout)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """A decoder-only Transformer language model (GPT-2 layout, small).

    Args:
        vocab_size: number of tokens V.
        block_size: the longest context T the model reads.
        n_layer: number of blocks L.
        d_model: width d.
        n_head: attention heads per block (``d_model % n_head == 0``).
        dropout: dropout on attention weights and residual branches (0 at evaluation).
        positions: ``"learned"`` (a trained ``(T, d)`` table, as in GPT) or ``"sinusoidal"`` (fixed).

    ``forward(idx)`` maps token ids ``(B, t)`` with ``t <= block_size`` to next-token logits ``(B, t, V)``.
    """

    def __init__(self, vocab_size: int, block_size: int = 128, n_layer: int = 4, d_model: int = 128,
                 n_head: int = 4, dropout: float = 0.0, positions: str = "learned") -> None:
        super().__init__()
        if positions not in ("learned", "sinusoidal"):
            raise ValueError(f"positions must be 'learned' or 'sinusoidal', got {positions!r}")
        for name, val in (("vocab_size", vocab_size), ("block_size", block_size), ("n_layer", n_layer),
                          ("d_model", d_model), ("n_head", n_head)):
            if not isinstance(val, int) or val <= 0:
                raise ValueError(f"{name} must be a positive int, got {val!r}")
        self.vocab_size, self.block_size, self.positions = vocab_size, block_size, positions
        self.config = {"vocab_size": vocab_size, "block_size": block_size, "n_layer": n_layer, "d_model": d_model,
                       "n_head": n_head, "dropout": dropout, "positions": positions}
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        if positions == "learned":
            self.pos_emb = nn.Parameter(torch.zeros(block_size, d_model))
        else:
            self.register_buffer("pos_table", sinusoidal_positions(block_size, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(d_model, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.apply(self._init)
        if positions == "learned":
            nn.init.normal_(self.pos_emb, std=0.02)
        for name, p in self.named_parameters():  # GPT-2: scale the residual projections by 1/sqrt(2L)
            if name.endswith("proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def position_table(self) -> torch.Tensor:
        """The ``(block_size, d)`` position vectors added to the token embeddings."""
        return self.pos_emb if self.positions == "learned" else self.pos_table

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits ``(B, t, V)``, and the mean cross-entropy in nats when ``targets (B, t)`` are given."""
        if idx.dim() != 2:
            raise ValueError(f"idx must be (batch, time) token ids, got shape {tuple(idx.shape)}")
        t = idx.shape[1]
        if t > self.block_size:
            raise ValueError(f"sequence of length {t} is longer than block_size={self.block_size}; "
                             f"crop it to the last {self.block_size} tokens")
        if idx.dtype != torch.long:
            raise ValueError(f"idx must hold int64 token ids, got {idx.dtype}")
        x = self.drop(self.tok_emb(idx) + self.position_table()[:t])
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.tok_emb.weight.T  # the head is tied to the token embedding (GPT-2)
        loss = None
        if targets is not None:
            # the loss in (at least) float32; a float64 model (a portable small experiment) stays in float64
            loss = F.cross_entropy(logits.to(torch.promote_types(logits.dtype, torch.float32)).reshape(-1, logits.shape[-1]),
                                   targets.reshape(-1))
        return logits, loss


    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, length: int | None = None,
               start: int = 0, temperature: float = 1.0) -> torch.Tensor:
        """``n`` sampled texts as token ids: an int64 tensor ``(n, 1 + length)`` (``length`` defaults to
        ``block_size``), each beginning with the token ``start`` (id 0 of a :class:`~course_lib.text.CharTokenizer`
        is its first character in sorted order, for the book's corpus the line break). Decode with the tokenizer of
        the model card (``load_gpt``). See :func:`generate` for prompts, top-k and top-p."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        dev = next(self.parameters()).device
        idx = torch.full((n, 1), start, dtype=torch.long, device=dev)
        return generate(self, idx, self.block_size if length is None else length, temperature=temperature,
                        generator=generator)


def parameter_breakdown(model: GPT) -> dict[str, int]:
    """Parameters by kind: the block weight matrices (12·L·d²), biases, LayerNorms, embeddings; and the total.

    The output head reuses the token embedding (weight tying), so it adds no parameters.
    """
    seen: set[int] = set()
    out = {"block weight matrices": 0, "block biases": 0, "LayerNorms": 0, "token embedding": 0,
           "position embedding": 0}
    for name, p in model.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        if name.startswith("blocks.") and ".ln" not in name:
            out["block weight matrices" if name.endswith("weight") else "block biases"] += p.numel()
        elif ".ln" in name or name.startswith("ln_f"):
            out["LayerNorms"] += p.numel()
        elif name.startswith("tok_emb"):
            out["token embedding"] += p.numel()
        elif name == "pos_emb":
            out["position embedding"] += p.numel()
        else:  # pragma: no cover - a new kind of parameter
            out[name] = p.numel()
    out["total"] = sum(out.values())
    return out
