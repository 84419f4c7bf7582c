"""A keyed green-list watermark in the GPT's sampler (Kirchenbauer et al. 2023, arXiv:2301.10226).

At every step the previous token ``w_{t−1}`` and a secret ``key`` seed a pseudo-random split of the vocabulary:
a **green list** of ``γ·|V|`` tokens and a red list of the rest. The sampler adds ``δ`` to the logits of the green
tokens ("soft" watermark), so that the text leans green without forcing any one token.

Detection needs only the key and the text, not the model. Among the ``T`` scored tokens (every token after the
first), count the green ones, ``|s|_G``. Without the watermark each token is green with probability ``γ``
whatever the text (the split is random and independent of it), so under that null hypothesis

    z = (|s|_G − γ T) / √(T γ (1 − γ))

is approximately standard normal, and the **one-sided** test ``z > threshold`` (default 4) flags watermarked text:
only an excess of green tokens is evidence; a deficit is not. A false positive at ``z > 4`` has probability
about 3·10⁻⁵ under the normal approximation, for a key drawn independently of the text.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..models.gpt_sampling import KVCache, filter_distribution

__all__ = ["green_lists", "watermarked_generate", "green_count", "z_score", "detect", "false_positive_rate"]


def green_lists(key: int, vocab_size: int, gamma: float = 0.5) -> torch.Tensor:
    """The green lists of ``key``: a ``(V, V)`` boolean matrix whose row ``a`` marks the green tokens after token ``a``.

    Row ``a`` is the first ``round(γ V)`` entries of a random permutation drawn from a generator seeded with
    ``key · 1,000,003 + a`` — the same on every machine.
    """
    if not isinstance(key, int) or key < 0:
        raise ValueError(f"key must be a non-negative int, got {key!r}")
    if not 0.0 < gamma < 1.0:
        raise ValueError(f"gamma (the green fraction) must be in (0, 1), got {gamma}")
    if vocab_size < 2:
        raise ValueError(f"vocab_size must be >= 2, got {vocab_size}")
    n_green = max(1, round(gamma * vocab_size))
    g = torch.Generator()
    out = torch.zeros(vocab_size, vocab_size, dtype=torch.bool)
    for a in range(vocab_size):
        g.manual_seed(key * 1_000_003 + a)
        out[a, torch.randperm(vocab_size, generator=g)[:n_green]] = True
    return out


@torch.no_grad()
def watermarked_generate(model: nn.Module, idx: torch.Tensor, max_new_tokens: int, green: torch.Tensor | None,
                         delta: float = 2.0, temperature: float = 1.0, top_k: int | None = None,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """Sample ``max_new_tokens`` tokens after ``idx (B, t)``, adding ``delta`` to the green tokens' logits.

    Decoding is incremental (cached keys and values), so prompt and continuation together must fit the model's
    block size.

    Args:
        model: a :class:`course_lib.models.gpt.GPT`.
        green: the ``(V, V)`` matrix of :func:`green_lists`; ``None`` (or ``delta = 0``) samples without a watermark.
        delta: the logit bonus of green tokens (0 = no watermark).
        temperature, top_k: as in :func:`course_lib.models.gpt.filter_distribution` (temperature > 0).
        generator: a CPU ``torch.Generator`` for reproducible samples.

    Returns:
        ``(B, t + max_new_tokens)`` token ids.
    """
    if temperature <= 0:
        raise ValueError("the watermark changes the sampling distribution: use temperature > 0")
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    if idx.dim() == 1:
        idx = idx[None]
    if idx.shape[1] < 1:
        raise ValueError("the prompt is empty: give at least one token")
    if idx.shape[1] + max_new_tokens > model.block_size:
        raise ValueError(f"prompt ({idx.shape[1]}) + {max_new_tokens} new tokens exceed the block size "
                         f"{model.block_size}; generate fewer tokens")
    if green is not None and tuple(green.shape) != (model.vocab_size, model.vocab_size):
        raise ValueError(f"green lists are for a vocabulary of {green.shape[0]}, the model has {model.vocab_size}: "
                         f"make them with green_lists(key, model.vocab_size)")
    was = model.training
    model.eval()
    green_dev = green.to(idx.device) if green is not None and delta > 0 else None
    cache = KVCache(model)
    for j in range(idx.shape[1]):
        logits = cache.step(idx[:, j])
    out = [idx]
    last = idx[:, -1]
    for _ in range(max_new_tokens):
        logits = logits.float()
        if green_dev is not None:
            logits = logits + delta * green_dev[last].float()
        probs = filter_distribution(logits, temperature, top_k)
        last = torch.multinomial(probs.cpu(), 1, generator=generator)[:, 0].to(idx.device)
        out.append(last[:, None])
        logits = cache.step(last)
    model.train(was)
    return torch.cat(out, dim=1)


def green_count(ids: torch.Tensor | list[int], green: torch.Tensor, ignore_repeated: bool = False) -> tuple[int, int]:
    """``(|s|_G, T)``: how many of the ``T`` scored tokens are green given their predecessor.

    Every token after the first is scored (``T = len(ids) − 1``). Natural text repeats pairs of characters
    ("th", "的"), and a repeated pair is green or red every time it occurs, so repeats break the independence the
    z-test assumes; with ``ignore_repeated=True`` each distinct (previous, current) pair is scored once.
    """
    ids = torch.as_tensor(ids, dtype=torch.long).flatten().cpu()
    if len(ids) < 2:
        raise ValueError("need at least two tokens to score one")
    pairs = torch.stack([ids[:-1], ids[1:]], 1)
    if ignore_repeated:
        pairs = torch.unique(pairs, dim=0)
    return int(green[pairs[:, 0], pairs[:, 1]].sum()), len(pairs)


def z_score(n_green: int, n_scored: int, gamma: float) -> float:
    """``(|s|_G − γT) / √(Tγ(1 − γ))``."""
    if n_scored < 1:
        raise ValueError("n_scored must be >= 1")
    return (n_green - gamma * n_scored) / math.sqrt(n_scored * gamma * (1 - gamma))


def detect(ids: torch.Tensor | list[int], green: torch.Tensor, gamma: float = 0.5, threshold: float = 4.0,
           ignore_repeated: bool = False) -> tuple[bool, float]:
    """One-sided test: ``(z > threshold, z)`` (see :func:`green_count` for ``ignore_repeated``)."""
    g, t = green_count(ids, green, ignore_repeated)
    z = z_score(g, t, gamma)
    return z > threshold, z


def false_positive_rate(threshold: float) -> float:
    """``P(Z > threshold)`` for a standard normal ``Z``: the test's nominal false-positive rate."""
    return 0.5 * math.erfc(threshold / math.sqrt(2))
