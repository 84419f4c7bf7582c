"""The canary GPTs of chapter 6: the book's GPT task on a copy of the corpus with secrets inserted.

``python -m course_lib train canary_gpt --repeats K`` trains a (tiny) character-level GPT exactly as
``train gpt`` does, except that the training text holds each canary of :func:`course_lib.responsible.canary.make_canaries`
``K`` times (``K = 0``: the control model). The model card records the canaries, so that chapter 6 can measure
their exposure.
"""
from __future__ import annotations

import sys
from typing import Any

from ..models import gpt as _gpt
from ..text import CharTokenizer, best_ngram_bits_per_char, load_corpus, train_val_text
from .canary import insert_canaries, make_canaries

__all__ = ["KIND", "task_from_run", "data_card", "card_extra"]

KIND = "canary_gpt"


def task_from_run(run: Any) -> _gpt.GPTTask:
    o = run.options
    if run.config.epochs is not None:
        raise ValueError("the GPT trains for a number of steps, not epochs: use --steps N instead of --epochs")
    canaries = make_canaries(o["secret_digits"], seed=o["canary_seed"])
    train_text, val_text = train_val_text(o["corpus"])
    train_text = insert_canaries(train_text, canaries, o["repeats"], seed=o["canary_seed"])
    # the vocabulary covers the corpus and the canaries, whatever the number of repetitions (0 included)
    tok = CharTokenizer.from_text(load_corpus(o["corpus"]) + "".join(c.text for c in canaries))
    train_ids, val_ids = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
    config = {"vocab_size": tok.vocab_size, "block_size": o["block_size"], "n_layer": o["n_layer"],
              "d_model": o["d_model"], "n_head": o["n_head"], "dropout": o["dropout"], "positions": o["positions"]}
    model = run.model if run.model is not None else _gpt.GPT(**config)
    task = _gpt.GPTTask(model, train_ids, val_ids, steps=o["steps"], batch_size=run.batch_size, lr=run.lr,
                        weight_decay=o["weight_decay"], warmup=o["warmup"], eval_every=o["eval_every"], seed=run.seed,
                        device=run.device, compile=run.config.compile, keep_best=False,
                        log=lambda line: print(line, file=sys.stderr) if run.rank == 0 else None)
    run.epochs = task.epochs
    task.kind = KIND    # the card says what it is: a GPT that carries canaries (load_gpt loads both kinds)
    task.tokenizer, task.half_weights = tok, o["half_weights"]
    task.canaries = canaries
    task.unigram = best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=1)
    task.bigram = best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=2)
    task.finish = lambda: _gpt._final_metrics(task)  # type: ignore[method-assign]
    return task


def data_card(run: Any, task: Any) -> dict[str, Any]:
    out = _gpt.data_card(run, task)
    out["data"] = (f"course_lib/corpus/book_{run.options['corpus']}.txt with each canary inserted "
                   f"{run.options['repeats']} times into the training part; validation = the last 10% of every document")
    return out


def card_extra(run: Any, task: Any) -> dict[str, Any]:
    out = _gpt.card_extra(run, task)
    out["canaries"] = [{"lang": c.lang, "prefix": c.prefix, "secret": c.secret, "end": c.end} for c in task.canaries]
    out["repeats"] = run.options["repeats"]
    return out
