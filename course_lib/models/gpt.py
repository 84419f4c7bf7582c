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

Trainable from the command line (``python -m course_lib train gpt``; its options are in :mod:`course_lib.cli`). The checkpoint the chapter loads,
``course_lib/checkpoints/gpt_book``, was made with (about 8 minutes on one shared CPU thread)::

    python -m course_lib train gpt --steps 800 --batch-size 16 --lr 0.003 --warmup 50 --eval-every 100 \
        --threads 1 --half-weights --device cpu --out course_lib/checkpoints

On a GPU, ``--device cuda --steps 5000`` (and more layers or width) goes much further. A run also writes
``NAME.state.pt`` (optimizer state for ``--resume``), which is not shipped.
"""
from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import CheckpointError, load_checkpoint, read_card, shipped_checkpoint
from ..device import DeviceLike
from ..distributed import all_sum, shard, world
from ..optim import warmup_cosine_lr
from ..text import CharTokenizer, best_ngram_bits_per_char, load_corpus, snapshot_info, train_val_text
from ..training import Callback, Task, autocast, train_loop

__all__ = [
    "GPTRunTask",
    "run_task",
    "attention",
    "causal_mask",
    "sinusoidal_positions",
    "offset_matrix",
    "MultiHeadAttention",
    "MLP",
    "Block",
    "GPT",
    "KVCache",
    "parameter_breakdown",
    "bits_per_char",
    "GPTTask",
    "train_gpt",
    "filter_distribution",
    "generate",
    "load_gpt",
    "SHIPPED_CHECKPOINT",
    "config_of",
]

SHIPPED_CHECKPOINT = shipped_checkpoint("gpt_book")
KIND = "gpt"
GPT_CARD_KINDS = (KIND, "canary_gpt")  #: card kinds whose weights are a GPT (load_gpt loads both)


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


# --------------------------------------------------------------------------------------------- training


def _random_windows(data: torch.Tensor, block_size: int, batch_size: int,
                    generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets ``(B, T)``: random windows of ``data`` and the same windows shifted by one."""
    # a window needs block_size + 1 tokens, so the last one starts at len(data) - block_size - 1 (randint's high
    # bound is exclusive)
    start = torch.randint(0, len(data) - block_size, (batch_size,), device=data.device, generator=generator)
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
            with autocast(device):
                logits, _ = model(w[:, :-1])
            total += float(F.cross_entropy(logits.to(torch.promote_types(logits.dtype, torch.float32)).reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1),
                                           reduction="sum"))
            count += w[:, 1:].numel()
    model.train(was_training)
    return total / count / math.log(2)


class GPTTask(Task):
    """Next-character prediction on random windows of one token tensor kept on the device.

    One "epoch" of the spine is ``eval_every`` optimiser steps (the last one may be shorter), followed by an
    evaluation of the validation bits per character. AdamW (PyTorch's default implementation; decay on weight
    matrices only), gradients clipped to norm 1, the learning rate from
    :func:`course_lib.optim.warmup_cosine_lr` (warm-up, then cosine decay to ``lr/10``).
    """

    kind = KIND

    def __init__(self, model: GPT, train_ids: torch.Tensor, val_ids: torch.Tensor | None = None, *, steps: int,
                 batch_size: int = 32, lr: float = 2e-3, weight_decay: float = 0.1, warmup: int = 100,
                 eval_every: int = 250, seed: int = 0, device: DeviceLike = "auto", compile: bool = False,
                 keep_best: bool = True, log: Callable[[str], None] | None = None) -> None:
        for name, ids in (("train_ids", train_ids), ("val_ids", val_ids)):
            if ids is not None and (ids.dim() != 1 or ids.dtype != torch.long):
                raise ValueError(f"{name} must be a 1-D int64 tensor of token ids, got {tuple(ids.shape)} {ids.dtype}")
        if len(train_ids) < model.block_size + 1:
            raise ValueError(f"training text ({len(train_ids)} tokens) is shorter than one window of block_size + 1 "
                             f"(block_size={model.block_size}); use a smaller block_size")
        for name, val in (("steps", steps), ("batch_size", batch_size), ("eval_every", eval_every)):
            if not isinstance(val, int) or val < 1:
                raise ValueError(f"{name} must be a positive int, got {val!r}")
        if warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {warmup}")
        super().__init__(model, device, compile)
        self.train_ids = train_ids.to(self.device)
        self.val_ids = val_ids.to(self.device) if val_ids is not None else None
        self.steps, self.batch_size, self.lr, self.warmup = steps, batch_size, lr, warmup
        self.eval_every, self.seed, self.keep_best, self.log = eval_every, seed, keep_best, log
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and n != "pos_emb"]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n == "pos_emb"]
        self.optimizer([{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                       kind="adamw", lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay, fused=False)
        self.gen: torch.Generator | None = None
        self.best_val, self.best_state = math.inf, None
        self.best_record: list[tuple[int, float]] = []  # (step, validation bits per character) of this call
        self._last_step = 0

    @property
    def epochs(self) -> int:
        """Evaluation periods in ``steps`` optimiser steps."""
        return math.ceil(self.steps / self.eval_every)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        first = epoch * self.eval_every + 1
        last = min((epoch + 1) * self.eval_every, self.steps)
        if self.gen is None:  # the window stream of a run (or of a resumed run) starts here
            self.gen = torch.Generator(device=self.device)
            self.gen.manual_seed(self.seed * 1_000_003 + first - 1)
        opt = self.optimizers["opt"]
        running = torch.zeros((), device=self.device)
        for step in range(first, last + 1):
            for g in opt.param_groups:
                g["lr"] = warmup_cosine_lr(step - 1, self.steps, self.lr, self.warmup, floor=self.lr / 10)
            x, y = _random_windows(self.train_ids, self.model.block_size, self.batch_size, self.gen)
            x, y = shard(x), shard(y)
            with autocast(self.device):
                _, loss = self.net(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            opt.step()
            running += loss.detach()
        self._last_step = last
        mean_loss = float(all_sum(running)) / world()[1] / (last - first + 1)
        return {"step": last, "train_bpc": mean_loss / math.log(2)}

    def evaluate(self) -> dict[str, Any]:
        val = bits_per_char(self.model, self.val_ids) if self.val_ids is not None else math.nan
        self.model.train()
        if self.log is not None:
            self.log(f"step {self._last_step:5d}  val {val:.3f} bits/char")
        self.best_record.append((self._last_step, val))
        if self.keep_best and val < self.best_val:
            self.best_val, self.best_state = val, copy.deepcopy(self.model.state_dict())
        return {"val_bpc": val}

    def restore_best(self) -> None:
        """Load the weights with the lowest validation bits per character seen in this call."""
        if self.keep_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)


def train_gpt(model: GPT, train_ids: torch.Tensor, val_ids: torch.Tensor | None = None, steps: int = 1000,
              batch_size: int = 32, lr: float = 2e-3, weight_decay: float = 0.1, warmup: int = 100,
              eval_every: int = 250, seed: int = 0, device: str | torch.device = "auto",
              keep_best: bool = True, compile: bool = False, start_step: int = 0,
              log: Callable[[str], None] | None = None, progress: bool = False,
              callback: Callback | None = None) -> list[dict[str, Any]]:
    """Train ``model`` on random windows of ``train_ids`` (next-character prediction), through
    :func:`course_lib.training.train_loop` with a :class:`GPTTask`.

    Args:
        model: a :class:`GPT`; moved to ``device``.
        train_ids, val_ids: 1-D ``int64`` token tensors; moved to the device once, batches are indexed.
        steps: optimiser steps (the last step is ``steps``).
        batch_size: windows per step, each ``model.block_size`` long.
        lr: peak learning rate (linear warm-up for ``warmup`` steps, then cosine decay to ``lr/10``).
        weight_decay: AdamW decay on weight matrices (not on biases, LayerNorms or position tables).
        eval_every: evaluate validation bits per character every this many steps (and at the end).
        keep_best: at the end, restore the weights with the lowest validation bits per character.
        start_step: steps already done (a multiple of ``eval_every``; the optimiser starts afresh).
        log: called with one line per evaluation (e.g. ``print``).
        progress: a tqdm bar (command line only; notebooks keep it off).
        callback: ``callback(epoch_done, record, model)`` after each evaluation.

    Returns:
        The history: one dict per evaluation with ``step``, ``train_bpc`` (the mean training loss in bits per
        character since the previous evaluation), ``val_bpc`` and ``epoch_time_s``.
    """
    if start_step % eval_every:
        raise ValueError(f"start_step ({start_step}) must be a multiple of eval_every ({eval_every})")
    task = GPTTask(model, train_ids, val_ids, steps=steps, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                   warmup=warmup, eval_every=eval_every, seed=seed, device=device, compile=compile,
                   keep_best=keep_best, log=log)
    hist = train_loop(task, task.epochs, start_epoch=start_step // eval_every, progress_bar=progress,
                      callback=callback, desc="gpt")
    task.restore_best()
    task.model.eval()
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


# --------------------------------------------------------------------------------------------- loading, CLI


def load_gpt(path: str | Path = SHIPPED_CHECKPOINT, device: str | torch.device = "cpu"
             ) -> tuple[GPT, CharTokenizer, dict[str, Any]]:
    """A trained GPT, its tokenizer and its model card (default: the checkpoint that ships with the book).

    Loads the book's GPT (card kind ``gpt``) and chapter 6's canary GPTs (``canary_gpt``: the same network,
    trained on a text with secrets inserted; their cards list the canaries)."""
    kind = read_card(path).get("kind")
    model, card = load_checkpoint(path, GPT, kind if kind in GPT_CARD_KINDS else KIND, device=device)
    if "tokenizer" not in card:
        raise CheckpointError(f"{path}: the model card has no tokenizer; re-create it with `python -m course_lib train gpt`")
    return model, CharTokenizer.from_dict(card["tokenizer"]), card  # type: ignore[return-value]


# ------------------------------------------------------------------------------------ the registry's hooks
def config_of(model: GPT) -> dict[str, Any]:
    return dict(model.config)


class GPTRunTask(GPTTask):
    """:class:`GPTTask` as ``python -m course_lib train gpt`` runs it.

    Its model card also records the tokenizer and the best add-α unigram and bigram baselines; with
    ``half_weights`` the checkpoint stores float16 weights, and :meth:`finish` rounds the model to them first so
    that the card's metrics describe the weights that are stored.
    """

    def __init__(self, model: GPT, tokenizer: CharTokenizer, train_ids: torch.Tensor, val_ids: torch.Tensor, *,
                 half_weights: bool = False, **kwargs: Any) -> None:
        super().__init__(model, train_ids, val_ids, **kwargs)
        self.tokenizer, self.half_weights = tokenizer, half_weights
        self.unigram = best_ngram_bits_per_char(train_ids, val_ids, tokenizer.vocab_size, order=1)
        self.bigram = best_ngram_bits_per_char(train_ids, val_ids, tokenizer.vocab_size, order=2)
        self._rounded_to_half = False

    def finish(self) -> dict[str, Any]:
        """Validation bits per character of the best weights of this call (rounded to float16 with
        ``half_weights``), beside the n-gram baselines."""
        self.restore_best()
        if self.half_weights:  # round first, so the metrics describe the weights that are stored
            with torch.no_grad():
                for p in self.model.parameters():
                    p.copy_(p.half().float())
            self._rounded_to_half = True
        assert self.val_ids is not None
        val = bits_per_char(self.model, self.val_ids)
        (unigram, a_uni), (bigram, a_bi) = self.unigram, self.bigram
        return {"val_bits_per_char": round(val, 4), "val_perplexity_per_char": round(2 ** val, 3),
                "unigram_val_bits_per_char": round(unigram, 4), "bigram_val_bits_per_char": round(bigram, 4),
                "baselines": f"add-alpha n-grams, best alpha on validation (unigram {a_uni}, bigram {a_bi})",
                "best_step": min(self.best_record, key=lambda r: r[1])[0] if self.best_record else self._last_step}

    def weights_for_saving(self) -> nn.Module:
        """The model, as float16 once :meth:`finish` has rounded it (``half_weights``)."""
        return copy.deepcopy(self.model).half() if self._rounded_to_half else self.model


def run_task(run: Any, train_text: str, val_text: str, vocab_text: str, task_class: type[GPTRunTask] = GPTRunTask,
             keep_best: bool = True, **extra: Any) -> GPTRunTask:
    """The task of a GPT run on ``train_text`` (validation ``val_text``; the vocabulary: the characters of
    ``vocab_text``), built from ``run.options`` (the options of ``gpt`` and ``canary_gpt``, see
    :mod:`course_lib.registry`); ``extra`` goes to ``task_class``."""
    o = run.options
    if run.config.epochs is not None:
        raise ValueError("the GPT trains for a number of steps, not epochs: use --steps N instead of --epochs")
    tok = CharTokenizer.from_text(vocab_text)
    train_ids, val_ids = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
    config = {"vocab_size": tok.vocab_size, "block_size": o["block_size"], "n_layer": o["n_layer"],
              "d_model": o["d_model"], "n_head": o["n_head"], "dropout": o["dropout"], "positions": o["positions"]}
    model = run.model
    if model is None:
        model = GPT(**config)
    elif config_of(model) != config:
        raise CheckpointError(f"--resume: {run.stem} was trained with {config_of(model)}, not {config}")
    task = task_class(model, tok, train_ids, val_ids, half_weights=o["half_weights"], steps=o["steps"],
                      batch_size=run.batch_size, lr=run.lr, weight_decay=o["weight_decay"], warmup=o["warmup"],
                      eval_every=o["eval_every"], seed=run.seed, device=run.device, compile=run.config.compile,
                      keep_best=keep_best, log=lambda line: print(line, file=sys.stderr) if run.rank == 0 else None,
                      **extra)
    run.epochs = task.epochs
    if run.rank == 0:
        print(f"corpus {o['corpus']}: {len(train_ids)} training / {len(val_ids)} validation characters, "
              f"vocabulary {tok.vocab_size}; unigram {task.unigram[0]:.3f}, bigram {task.bigram[0]:.3f} bits/char",
              file=sys.stderr)
    return task


def task_from_run(run: Any) -> GPTRunTask:
    """The task of ``python -m course_lib train gpt`` (see :mod:`course_lib.registry`): the book's text."""
    train_text, val_text = train_val_text(run.options["corpus"])
    return run_task(run, train_text, val_text, load_corpus(run.options["corpus"]))


def data_card(run: Any, task: GPTRunTask) -> dict[str, Any]:
    corpus = run.options["corpus"]
    return {"data": f"course_lib/corpus/book_{corpus}.txt (this book's prose, en + zh); validation = the last 10% "
                    f"of every document", "data_source": "book", "corpus": corpus,
            "data_sha256": snapshot_info(corpus).get("sha256"), "steps_requested": task.steps}


def card_extra(run: Any, task: GPTRunTask) -> dict[str, Any]:
    return {"tokenizer": task.tokenizer.to_dict(), "steps": task._last_step, "warmup": task.warmup,
            "weights_dtype": "float16" if task.half_weights else "float32",
            "lr_schedule": "linear warm-up, cosine decay to lr/10"}
