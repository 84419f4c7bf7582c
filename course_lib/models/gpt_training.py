"""Training chapter 4's GPT, and the number it is judged by: bits per character.

* :func:`bits_per_char` — the mean cross-entropy in bits of every character given what precedes it
  (non-overlapping windows), comparable with the n-gram baselines of :mod:`course_lib.text`;
* :class:`GPTTask` — next-character prediction on random windows of one token tensor kept on the device: AdamW,
  warm-up then cosine learning rate, gradient clipping, bf16 autocast on CUDA, an evaluation every
  ``eval_every`` steps (the spine's :class:`~course_lib.training.Task`);
* :func:`train_gpt` — the function the chapter calls: the task through :func:`course_lib.training.train_loop`.

The command line's run of the same task (tokenizer and n-gram baselines in the card, float16 weights) is
:class:`course_lib.models.gpt.GPTRunTask`.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..device import DeviceLike
from ..distributed import all_sum, shard, world
from ..optim import warmup_cosine_lr
from ..training import Callback, Task, autocast, train_loop
from .gpt_model import GPT

__all__ = ["KIND", "bits_per_char", "GPTTask", "train_gpt"]

KIND = "gpt"


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
        self.gen = torch.Generator(device=self.device)  # seeded by the loop before every evaluation period
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
        val = (bits_per_char(self.model, self.val_ids, batch_size=self.batch_size) if self.val_ids is not None
               else math.nan)
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
