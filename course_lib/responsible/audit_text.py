"""What the audit of a GPT measures: the canaries of a canary GPT, and a note on the text watermark.

:func:`text_audit` fills the sections of an ``audit="text"`` kind (:mod:`course_lib.registry`: ``gpt``,
``canary_gpt``): for a canary GPT (a card with ``canaries``), the exact exposure and the greedy extraction of every
canary recorded in its card (:mod:`course_lib.responsible.canary`); for every GPT, a note that the keyed text
watermark exists (:mod:`course_lib.responsible.text_watermark`) and is not applied by default. The assembly of the
whole card section is :mod:`course_lib.responsible.audit`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..checkpoint import load_checkpoint
from ..models.gpt_model import GPT
from ..text import CharTokenizer
from .canary import Canary, exposure, greedy_extract

__all__ = ["text_audit"]

_TEXT_WATERMARK = ("not applied by default; course_lib.responsible.text_watermark.watermarked_generate adds a keyed "
                   "green-list watermark to the sampler (Kirchenbauer et al. 2023, arXiv:2301.10226) and "
                   "text_watermark.detect finds it with a one-sided z-test, from the key and the text alone")


def text_audit(stem: Path, card: dict[str, Any], device: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The measured sections of a GPT's audit and their protocol: ``canaries`` (a canary GPT: each one's exact
    exposure and greedy extraction), ``text_watermark`` (a note) and ``membership`` (why it is not measured)."""
    out: dict[str, Any] = {"text_watermark": _TEXT_WATERMARK}
    protocol: dict[str, str] = {}
    has_canaries = card["kind"] == "canary_gpt"
    if has_canaries:
        if "tokenizer" not in card or not isinstance(card.get("canaries"), list):
            out["canaries"] = {"status": "not measured", "reason": "the card records no tokenizer or no canaries"}
            return out, protocol
        model, _ = load_checkpoint(stem, GPT, card["kind"], device=device)
        model = model.float()
        tok = CharTokenizer.from_dict(card["tokenizer"])
        rows = []
        for c in card["canaries"]:
            canary = Canary(c["lang"], c["prefix"], c["secret"], c.get("end", ".\n"))
            try:
                e = exposure(model, tok, canary)
            except ValueError as exc:  # e.g. the prefix does not fit the context
                rows.append({"lang": canary.lang, "secret": canary.secret, "repeats": card.get("repeats"),
                             "status": "not measured", "reason": str(exc)})
                continue
            got = greedy_extract(model, tok, canary)
            rows.append({"lang": canary.lang, "secret": canary.secret, "repeats": card.get("repeats"),
                         "rank": e["rank"], "exposure_bits": round(e["exposure"], 2),
                         "max_exposure_bits": round(e["max_exposure"], 2),
                         "greedy_extraction": got, "extracted": got == canary.secret})
        out["canaries"] = rows
        protocol["canaries"] = ("for each canary of the card: rank of its secret among all 10^d digit strings by "
                                "log p(prefix + candidate), computed exactly; exposure = log2(10^d) - log2(rank) bits "
                                "(canary.exposure, Carlini et al. 2019, arXiv:1802.08232); greedy_extraction = the d "
                                "characters greedy decoding writes after the prefix (canary.greedy_extract)")
    out["membership"] = {"status": "not measured",
                         "reason": "the training text is this book's public prose; memorisation is measured by "
                                   "inserted canaries (canary_gpt checkpoints)" if not has_canaries else
                                   "memorisation is measured by the canaries' exposure"}
    return out, protocol
