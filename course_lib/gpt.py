"""A tiny GPT: a decoder-only Transformer with causal self-attention (chapter 4).

The pieces, in the order the chapter builds them:

* :func:`attention` — scaled dot-product attention ``softmax(Q Kᵀ / √d_k + mask) V``, written out so that a
  reader can follow it; the model itself calls :func:`torch.nn.functional.scaled_dot_product_attention`
  (same numbers, fused kernels), and the tests check the two agree;
* :func:`causal_mask`, :class:`MultiHeadAttention`;
* :func:`sinusoidal_positions` (Vaswani et al. 2017) and :func:`offset_matrix`, the fixed linear map that takes
  PE(p) to PE(p + k); the model uses **learned** positions (GPT-2) by default, sinusoidal on request;
* :class:`Block` — pre-LayerNorm: ``x + Attn(LN(x))`` then ``x + MLP(LN(x))``; :class:`GPT` — token and
  position embeddings, L blocks, a final LayerNorm and a head tied to the token embedding. There is no
  encoder and no cross-attention;
* :func:`train_gpt` — AdamW, warm-up then cosine learning rate, random windows drawn from one token tensor
  kept on the device, bf16 autocast on CUDA; :func:`bits_per_char` evaluates;
* :func:`filter_distribution` and :func:`generate` — greedy, temperature, top-k and top-p sampling.

Trainable from the command line (see :func:`add_train_arguments`). The checkpoint the chapter loads,
``course_lib/checkpoints/gpt_book``, was made with (about 8 minutes on one shared CPU thread)::

    python -m course_lib train gpt --steps 800 --batch-size 16 --lr 0.003 --warmup 50 --eval-every 100 \
        --threads 1 --half-weights --device cpu --out course_lib/checkpoints

On a GPU, ``--device cuda --steps 5000`` (and more layers or width) goes much further. A run also writes
``NAME.state.pt`` (optimizer state for ``--resume``), which is not shipped.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import CheckpointError, load_checkpoint, load_training_state, read_card, save_checkpoint, \
    save_training_state
from .device import describe_device, get_device
from .text import DEFAULT_VERSION, CharTokenizer, best_ngram_bits_per_char, load_corpus, train_val_text

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
    "bits_per_char",
    "train_gpt",
    "filter_distribution",
    "generate",
    "load_gpt",
    "SHIPPED_CHECKPOINT",
    "add_train_arguments",
    "train_from_args",
]

SHIPPED_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "gpt_book"
KIND = "gpt"


def _autocast(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast on CUDA, nothing elsewhere."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


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
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss


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


# --------------------------------------------------------------------------------------------- training


def _random_windows(data: torch.Tensor, block_size: int, batch_size: int,
                    generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets ``(B, T)``: random windows of ``data`` and the same windows shifted by one."""
    start = torch.randint(0, len(data) - block_size - 1, (batch_size,), device=data.device, generator=generator)
    offs = start[:, None] + torch.arange(block_size + 1, device=data.device)
    w = data[offs]
    return w[:, :-1], w[:, 1:]


@torch.no_grad()
def bits_per_char(model: GPT, ids: torch.Tensor, batch_size: int = 64, block_size: int | None = None) -> float:
    """Mean cross-entropy, in bits, of ``ids[1:]`` given what precedes them (non-overlapping windows).

    Every character but the first is scored exactly once, with between 1 and ``block_size`` characters of
    context, like the n-gram baselines of :mod:`course_lib.text`.
    """
    if ids.dim() != 1 or len(ids) < 2:
        raise ValueError(f"ids must be a 1-D tensor of at least 2 token ids, got shape {tuple(ids.shape)}")
    device = next(model.parameters()).device
    ids = ids.to(device)
    t = block_size or model.block_size
    was_training = model.training
    model.eval()
    n_full = (len(ids) - 1) // t  # windows of t inputs and t targets; a shorter one may remain
    groups = [(s, t) for s in range(0, n_full * t, t)]
    if n_full * t < len(ids) - 1:
        groups.append((n_full * t, len(ids) - 1 - n_full * t))
    total, count = 0.0, 0
    for i in range(0, len(groups), batch_size):
        for length in sorted({g[1] for g in groups[i:i + batch_size]}, reverse=True):
            starts = [s for s, n in groups[i:i + batch_size] if n == length]
            offs = torch.tensor(starts, device=device)[:, None] + torch.arange(length + 1, device=device)
            w = ids[offs]
            with _autocast(device):
                logits, _ = model(w[:, :-1])
            total += float(F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1),
                                           reduction="sum"))
            count += w[:, 1:].numel()
    model.train(was_training)
    return total / count / math.log(2)


def train_gpt(model: GPT, train_ids: torch.Tensor, val_ids: torch.Tensor | None = None, steps: int = 1000,
              batch_size: int = 32, lr: float = 2e-3, weight_decay: float = 0.1, warmup: int = 100,
              eval_every: int = 250, seed: int = 0, device: str | torch.device = "auto",
              keep_best: bool = True, compile: bool = False, start_step: int = 0,
              optimizer_state: dict | None = None, log: Callable[[str], None] | None = None,
              progress: bool = False, on_eval: Callable[[int, torch.optim.Optimizer, dict[str, list[float]]], None] | None = None,
              ) -> dict[str, list[float]]:
    """Train ``model`` on random windows of ``train_ids`` (next-character prediction).

    Args:
        model: a :class:`GPT`; moved to ``device``.
        train_ids, val_ids: 1-D ``int64`` token tensors; moved to the device once, batches are indexed.
        steps: optimiser steps (the last step is ``steps``; with ``start_step`` a run continues).
        batch_size: windows per step, each ``model.block_size`` long.
        lr: peak learning rate (linear warm-up for ``warmup`` steps, then cosine decay to ``lr/10``).
        weight_decay: AdamW decay on weight matrices (not on biases, LayerNorms or position tables).
        eval_every: evaluate validation bits per character every this many steps (and at the end).
        keep_best: at the end, restore the weights with the lowest validation bits per character.
        log: called with one line per evaluation (e.g. ``print``).
        progress: a tqdm bar (command line only; notebooks keep it off).
        on_eval: called as ``on_eval(step, optimizer, history)`` after each evaluation (the CLI saves there).

    Returns:
        History: ``{"step": [...], "train_bpc": [...], "val_bpc": [...]}``; ``train_bpc`` is the mean
        training loss in bits per character since the previous evaluation.
    """
    dev = get_device(device)
    for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
        if ids is not None and (ids.dim() != 1 or ids.dtype != torch.long):
            raise ValueError(f"{name} must be a 1-D int64 tensor of token ids, got {tuple(ids.shape)} {ids.dtype}")
    if len(train_ids) <= model.block_size + 1:
        raise ValueError(f"training text ({len(train_ids)} tokens) is shorter than one window "
                         f"(block_size={model.block_size}); use a smaller block_size")
    model.to(dev).train()
    train_ids = train_ids.to(dev)
    val_ids = val_ids.to(dev) if val_ids is not None else None
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n != "pos_emb"]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n == "pos_emb"]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)

    def lr_at(step: int) -> float:
        if step <= warmup:
            return lr * step / max(1, warmup)
        frac = (step - warmup) / max(1, steps - warmup)
        return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))

    gen = torch.Generator(device=dev)
    gen.manual_seed(seed * 1_000_003 + start_step)
    fwd = torch.compile(model) if compile else model
    hist: dict[str, list[float]] = {"step": [], "train_bpc": [], "val_bpc": []}
    best_val, best_state = math.inf, None
    running, n_running = 0.0, 0
    steps_iter: Any = range(start_step + 1, steps + 1)
    if progress:
        from tqdm.auto import tqdm

        steps_iter = tqdm(steps_iter, desc="gpt", file=sys.stderr, dynamic_ncols=True)
    for step in steps_iter:
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = _random_windows(train_ids, model.block_size, batch_size, gen)
        with _autocast(dev):
            _, loss = fwd(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running += float(loss.detach())
        n_running += 1
        if step % eval_every == 0 or step == steps:
            val = bits_per_char(model, val_ids) if val_ids is not None else math.nan
            model.train()
            hist["step"].append(step)
            hist["train_bpc"].append(running / n_running / math.log(2))
            hist["val_bpc"].append(val)
            running, n_running = 0.0, 0
            if log is not None:
                log(f"step {step:5d}  train {hist['train_bpc'][-1]:.3f}  val {val:.3f} bits/char")
            if keep_best and val < best_val:
                best_val, best_state = val, copy.deepcopy(model.state_dict())
            if on_eval is not None:
                on_eval(step, opt, hist)
    if keep_best and best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return hist


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


# --------------------------------------------------------------------------------------------- loading, CLI


def load_gpt(path: str | Path = SHIPPED_CHECKPOINT, device: str | torch.device = "cpu"
             ) -> tuple[GPT, CharTokenizer, dict[str, Any]]:
    """A trained GPT, its tokenizer and its model card (default: the checkpoint that ships with the book)."""
    model, card = load_checkpoint(path, GPT, KIND, device=device)
    if "tokenizer" not in card:
        raise CheckpointError(f"{path}: the model card has no tokenizer; re-create it with `python -m course_lib train gpt`")
    return model, CharTokenizer.from_dict(card["tokenizer"]), card  # type: ignore[return-value]


#: The settings of the shipped checkpoint (``course_lib/checkpoints/gpt_book.json`` records the full command).
DEFAULTS = {"steps": 800, "batch_size": 16, "lr": 3e-3, "n_layer": 4, "d_model": 128, "n_head": 4,
            "block_size": 128, "dropout": 0.1, "positions": "learned", "eval_every": 100, "warmup": 50,
            "weight_decay": 0.1}


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The GPT's own command-line options (the common ones come from :mod:`course_lib.cli`)."""
    g = parser.add_argument_group("gpt")
    g.add_argument("--steps", type=int, default=DEFAULTS["steps"], help="optimiser steps (default %(default)s)")
    g.add_argument("--n-layer", type=int, default=DEFAULTS["n_layer"], help="blocks L (default %(default)s)")
    g.add_argument("--d-model", type=int, default=DEFAULTS["d_model"], help="width d (default %(default)s)")
    g.add_argument("--n-head", type=int, default=DEFAULTS["n_head"], help="attention heads (default %(default)s)")
    g.add_argument("--block-size", type=int, default=DEFAULTS["block_size"], help="context length T (default %(default)s)")
    g.add_argument("--dropout", type=float, default=DEFAULTS["dropout"], help="dropout (default %(default)s)")
    g.add_argument("--positions", choices=["learned", "sinusoidal"], default=DEFAULTS["positions"])
    g.add_argument("--eval-every", type=int, default=DEFAULTS["eval_every"], help="steps between evaluations")
    g.add_argument("--warmup", type=int, default=DEFAULTS["warmup"], help="learning-rate warm-up steps")
    g.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    g.add_argument("--corpus", default=DEFAULT_VERSION, help="corpus snapshot version (default %(default)s)")
    g.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    g.add_argument("--half-weights", action="store_true",
                   help="store the weights as float16 (half the file size; the card's metrics are measured after rounding)")


def _command(args: argparse.Namespace) -> str:
    parts = ["python -m course_lib train gpt"]
    for flag, key in (("--steps", "steps"), ("--batch-size", "batch_size"), ("--lr", "lr"), ("--n-layer", "n_layer"),
                      ("--d-model", "d_model"), ("--n-head", "n_head"), ("--block-size", "block_size"),
                      ("--dropout", "dropout"), ("--positions", "positions"), ("--eval-every", "eval_every"),
                      ("--warmup", "warmup"), ("--weight-decay", "weight_decay"), ("--corpus", "corpus"),
                      ("--seed", "seed"), ("--device", "device"), ("--out", "out"), ("--name", "name")):
        parts.append(f"{flag} {getattr(args, key)}")
    if getattr(args, "threads", None):
        parts.append(f"--threads {args.threads}")
    if getattr(args, "half_weights", False):
        parts.append("--half-weights")
    if getattr(args, "compile", False):
        parts.append("--compile")
    return " ".join(parts)


def train_from_args(args: argparse.Namespace) -> Path:
    """Train a GPT on the book's corpus snapshot and write ``OUT/NAME.{safetensors,json}``."""
    if getattr(args, "epochs", None) is not None:
        raise ValueError("the GPT trains for a number of steps, not epochs: use --steps N instead of --epochs")
    args.batch_size = args.batch_size or DEFAULTS["batch_size"]
    args.lr = args.lr or DEFAULTS["lr"]
    args.name = args.name or "gpt_book"
    if args.threads:
        torch.set_num_threads(args.threads)
    from .seed import set_seed

    set_seed(args.seed, deterministic=False)
    device = get_device(args.device)
    train_text, val_text = train_val_text(args.corpus)
    tok = CharTokenizer.from_text(load_corpus(args.corpus))
    train_ids, val_ids = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
    config = {"vocab_size": tok.vocab_size, "block_size": args.block_size, "n_layer": args.n_layer,
              "d_model": args.d_model, "n_head": args.n_head, "dropout": args.dropout, "positions": args.positions}
    stem = Path(args.out) / args.name
    model = GPT(**config)
    start, opt_state, history, elapsed = 0, None, {"step": [], "train_bpc": [], "val_bpc": []}, 0.0
    if args.resume:
        if not stem.with_suffix(".json").is_file():
            raise CheckpointError(f"--resume: no checkpoint at {stem}.json. Start without --resume, or pass the "
                                  f"--out/--name of the interrupted run.")
        model, card = load_checkpoint(stem, GPT, KIND, device="cpu")  # type: ignore[assignment]
        if card.get("config") != config:
            raise CheckpointError(f"--resume: {stem} was trained with {card.get('config')}, not {config}")
        state = load_training_state(stem)
        start, opt_state = int(state["epoch"]), state["optimizer"]
        history, elapsed = card.get("history", history), float(card.get("wall_time_s", 0.0))
    unigram, a_uni = best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=1)
    bigram, a_bi = best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=2)
    print(f"corpus {args.corpus}: {len(train_ids)} training / {len(val_ids)} validation characters, "
          f"vocabulary {tok.vocab_size}; unigram {unigram:.3f}, bigram {bigram:.3f} bits/char; "
          f"device {describe_device(device)}", file=sys.stderr)
    t0 = time.perf_counter()

    def card_for(step: int, hist: dict[str, list[float]], metrics: dict[str, Any]) -> dict[str, Any]:
        return {"model": "character-level GPT (decoder-only Transformer, pre-LayerNorm, tied embeddings)",
                "data": f"course_lib/corpus/book_{args.corpus}.txt (this book's prose, en + zh); "
                        f"validation = the last 10% of every document",
                "corpus": args.corpus, "tokenizer": tok.to_dict(), "seed": args.seed, "steps": step, "steps_requested": args.steps,
                "batch_size": args.batch_size, "lr": args.lr, "warmup": args.warmup,
                "weight_decay": args.weight_decay, "device": describe_device(device),
                "wall_time_s": round(elapsed + time.perf_counter() - t0, 1), "command": _command(args),
                "finished": step >= args.steps, "metrics": metrics,
                "history": {k: [round(v, 4) for v in vals] for k, vals in hist.items()}}

    def on_eval(step: int, opt: torch.optim.Optimizer, hist: dict[str, list[float]]) -> None:
        """After each evaluation, save weights and optimizer state, so that --resume can continue."""
        merged = {k: history[k] + hist[k] for k in history}
        save_checkpoint(model, stem, KIND, config, card_for(step, merged, {}))
        save_training_state(stem, opt, step)

    hist = train_gpt(model, train_ids, val_ids, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                     weight_decay=args.weight_decay, warmup=args.warmup, eval_every=args.eval_every,
                     seed=args.seed, device=device, compile=args.compile, start_step=start,
                     optimizer_state=opt_state, keep_best=True,
                     log=lambda s: print(s, file=sys.stderr), progress=not args.no_progress, on_eval=on_eval)
    history = {k: history[k] + hist[k] for k in history}
    model = model.cpu()
    if args.half_weights:  # round to float16 first, so the metrics describe the weights that are stored
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    val = bits_per_char(model, val_ids)
    metrics = {"val_bits_per_char": round(val, 4), "val_perplexity_per_char": round(2 ** val, 3),
               "unigram_val_bits_per_char": round(unigram, 4), "bigram_val_bits_per_char": round(bigram, 4),
               "baselines": f"add-alpha n-grams, best alpha on validation (unigram {a_uni}, bigram {a_bi})",
               "best_step": int(history["step"][int(torch.tensor(history["val_bpc"]).argmin())])}
    to_save = copy.deepcopy(model).half() if args.half_weights else model
    card = card_for(args.steps, history, metrics)
    card["weights_dtype"] = "float16" if args.half_weights else "float32"
    path = save_checkpoint(to_save, stem, KIND, config, card)
    print(f"validation {val:.3f} bits/char (bigram {bigram:.3f}, unigram {unigram:.3f})", file=sys.stderr)
    return path
