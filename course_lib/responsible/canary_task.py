"""The canary GPTs of chapter 6: the book's GPT task on a copy of the corpus with secrets inserted.

``python -m course_lib train canary_gpt --repeats K`` trains a (tiny) character-level GPT exactly as
``train gpt`` does, except that the training text holds each canary of :func:`course_lib.responsible.canary.make_canaries`
``K`` times (``K = 0``: the control model). The model card records the canaries, so that chapter 6 can measure
their exposure.
"""
from __future__ import annotations

from typing import Any

from ..models import gpt as _gpt
from ..text import load_corpus, train_val_text
from .canary import Canary, insert_canaries, make_canaries

__all__ = ["KIND", "CanaryGPTTask", "task_from_run", "data_card", "card_extra"]

KIND = "canary_gpt"


class CanaryGPTTask(_gpt.GPTRunTask):
    """The GPT run whose card says what it is, a GPT that carries canaries (:func:`course_lib.models.gpt.load_gpt`
    loads both kinds), and lists them."""

    kind = KIND

    def __init__(self, *args: Any, canaries: list[Canary], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.canaries = canaries


def task_from_run(run: Any) -> CanaryGPTTask:
    o = run.options
    canaries = make_canaries(o["secret_digits"], seed=o["canary_seed"])
    train_text, val_text = train_val_text(o["corpus"])
    train_text = insert_canaries(train_text, canaries, o["repeats"], seed=o["canary_seed"])
    # the vocabulary covers the corpus and the canaries, whatever the number of repetitions (0 included)
    vocab_text = load_corpus(o["corpus"]) + "".join(c.text for c in canaries)
    task = _gpt.run_task(run, train_text, val_text, vocab_text, CanaryGPTTask, keep_best=False, canaries=canaries)
    assert isinstance(task, CanaryGPTTask)
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
