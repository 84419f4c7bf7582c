"""A tiny GPT: a decoder-only Transformer with causal self-attention (chapter 4). Start here.

Everything chapter 4 uses is importable from this module (``from course_lib.models import gpt``); it lives in
three modules, one per idea, in the order the chapter builds them:

* :mod:`course_lib.models.gpt_model` — the network: :func:`attention` written out step by step,
  :func:`causal_mask`, :class:`MultiHeadAttention`, :func:`sinusoidal_positions` and :func:`offset_matrix`,
  :class:`MLP`, :class:`Block` (pre-LayerNorm), :class:`GPT` (learned positions by default, head tied to the
  token embedding) and :func:`parameter_breakdown`;
* :mod:`course_lib.models.gpt_training` — :func:`bits_per_char` evaluates; :class:`GPTTask` and :func:`train_gpt`
  train (AdamW, warm-up then cosine learning rate, random windows drawn from one token tensor kept on the device,
  bf16 autocast on CUDA);
* :mod:`course_lib.models.gpt_sampling` — :func:`filter_distribution` (greedy, temperature, top-k, top-p),
  :class:`KVCache` and :func:`generate`.

This module itself holds what ties them to a checkpoint: :func:`load_gpt` (the shipped ``gpt_book`` and chapter
6's canary GPTs), and the registry's hooks for ``python -m course_lib train gpt`` (:class:`GPTRunTask`,
:func:`run_task`, :func:`task_from_run`, :func:`data_card`, :func:`card_extra`, :func:`config_of`; its options are
in :mod:`course_lib.registry`). The tokenizer, the corpus and the n-gram baselines are :mod:`course_lib.text`.

The checkpoint the chapter loads, ``course_lib/checkpoints/gpt_book``, was made with (about 8 minutes on one
shared CPU thread)::

    python -m course_lib train gpt --steps 800 --batch-size 16 --lr 0.003 --warmup 50 --eval-every 100 \
        --threads 1 --half-weights --device cpu --out course_lib/checkpoints

On a GPU, ``--device cuda --steps 5000`` (and more layers or width) goes much further. A run also writes
``NAME.state.pt`` (optimizer state for ``--resume``), which is not shipped.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..checkpoint import CheckpointError, load_checkpoint, read_card, shipped_checkpoint
from ..text import CharTokenizer, best_ngram_bits_per_char, load_corpus, snapshot_info, train_val_text
from .gpt_model import (GPT, MLP, Block, MultiHeadAttention, attention, causal_mask, offset_matrix,
                        parameter_breakdown, sinusoidal_positions)
from .gpt_sampling import KVCache, filter_distribution, generate
from .gpt_training import KIND, GPTTask, bits_per_char, train_gpt

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
GPT_CARD_KINDS = (KIND, "canary_gpt")  #: card kinds whose weights are a GPT (load_gpt loads both)


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
        val = bits_per_char(self.model, self.val_ids, batch_size=self.batch_size)
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
