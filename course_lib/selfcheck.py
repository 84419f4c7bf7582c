"""Self-checks for learners who work alone: ``check(n)`` says *right*, *close* or *wrong*, with a hint, and never
prints the answer.

A chapter's exercises are checked in the reader's own kernel, the way Kaggle Learn's ``q1.check()`` does it: the
learner solves exercise ``n`` in a cell of their own, storing the answer under the names the exercise's check
reads, then runs ``check(n)``. The chapter sets ``check`` up once, after its exercise list::

    check = self_checks(3, globals(), lang="en")
    check()        # lists the exercises that have a check and the names each one reads
    check(1)       # after exercise 1: right, close or wrong, with a hint

The checks themselves live in :mod:`course_lib.exercises`, one function per exercise: each reads the learner's
names from the namespace and computes what it compares them with from first principles (a closed form, a root, an
integral), not from the book's solution. A check raises :class:`Close` or :class:`Wrong` with a hint in both
languages; helpers here (:func:`read`, :func:`compare`) cover the common cases — a missing name, a wrong shape, a
number within the tolerance or only near it.

This module is the machinery only and imports no model (nor torch); :mod:`course_lib.exercises` registers its
checks with :func:`exercise` and gives the chapters ``self_checks(chapter, namespace, lang)``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["Verdict", "Close", "Wrong", "Unanswered", "Exercise", "exercise", "read", "as_array", "compare",
           "SelfChecks", "REGISTRY"]

Status = Literal["right", "close", "wrong", "unanswered"]
LANGS = ("en", "zh")


class _Outcome(Exception):
    """A check's outcome other than *right*, with its hint in each language."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.hint = {"en": en, "zh": zh}


class Close(_Outcome):
    """The answer is near the expected one but outside the tolerance (a rounding, an off-by-one, float32)."""


class Wrong(_Outcome):
    """The answer is wrong: its hint says what to look at, not what the answer is."""


class Unanswered(Exception):
    """A name the check reads is not defined yet."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(", ".join(names))
        self.names = names


@dataclass(frozen=True)
class Verdict:
    """What ``check(n)`` found: ``status`` is ``"right"``, ``"close"``, ``"wrong"`` or ``"unanswered"``;
    ``hint`` is in the reader's language (empty when right)."""

    chapter: int
    number: int
    status: Status
    hint: str = ""

    @property
    def right(self) -> bool:
        return self.status == "right"


@dataclass(frozen=True)
class Exercise:
    """One exercise's self-check: the names it reads, what they hold (one line per language) and the test."""

    chapter: int
    number: int
    reads: tuple[str, ...]
    what: Mapping[str, str]
    test: Callable[[Mapping[str, Any]], None]


#: chapter -> exercise number -> its check (filled by :mod:`course_lib.exercises`)
REGISTRY: dict[int, dict[int, Exercise]] = {}


def exercise(chapter: int, number: int, *, reads: tuple[str, ...], en: str, zh: str
             ) -> Callable[[Callable[[Mapping[str, Any]], None]], Callable[[Mapping[str, Any]], None]]:
    """Register the decorated function as the check of exercise ``number`` of chapter ``chapter``.

    ``reads`` are the names it takes from the learner's namespace; ``en``/``zh`` say what they must hold."""
    if not reads:
        raise ValueError(f"exercise {chapter}.{number}: a check reads at least one name")

    def register(test: Callable[[Mapping[str, Any]], None]) -> Callable[[Mapping[str, Any]], None]:
        chapter_checks = REGISTRY.setdefault(chapter, {})
        if number in chapter_checks:
            raise ValueError(f"exercise {chapter}.{number} has a check already")
        chapter_checks[number] = Exercise(chapter, number, tuple(reads), {"en": en, "zh": zh}, test)
        return test

    return register


def read(ns: Mapping[str, Any], *names: str) -> Any:
    """The values of ``names`` in the learner's namespace (one value for one name, else a tuple); raises
    :class:`Unanswered` naming every one that is missing."""
    missing = tuple(n for n in names if n not in ns)
    if missing:
        raise Unanswered(missing)
    values = tuple(ns[n] for n in names)
    return values[0] if len(values) == 1 else values


def as_array(name: str, value: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` (a number, list, NumPy array or tensor, on any device) as a float64 array; :class:`Wrong` if it is
    not numeric, not finite, or not of ``shape`` (``-1`` in ``shape`` matches any length)."""
    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu().double().numpy()
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"`{name}` should hold numbers; it is a {type(value).__name__}",
                    f"`{name}` 应当是数值，现在却是 {type(value).__name__}") from None
    if shape is not None and (arr.ndim != len(shape)
                              or any(want not in (-1, got) for want, got in zip(shape, arr.shape))):
        want_text = "(" + ", ".join("any" if s == -1 else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        want_zh = want_text.replace("any", "任意")
        raise Wrong(f"`{name}` has shape {tuple(arr.shape)}; the check expects {want_text}",
                    f"`{name}` 的形状是 {tuple(arr.shape)}，检查要求 {want_zh}")
    if not np.isfinite(arr).all():
        raise Wrong(f"`{name}` holds NaN or infinity", f"`{name}` 中有 NaN 或无穷大")
    return arr


def compare(name: str, value: Any, want: Any, *, right: float, close: float, relative: bool = False) -> None:
    """Pass if ``value`` is within ``right`` of ``want`` everywhere (absolute, or relative to ``|want|`` with
    ``relative``), raise :class:`Close` if within ``close``, else :class:`Wrong`. The hints never print ``want``."""
    if not 0 <= right <= close:
        raise ValueError(f"need 0 <= right <= close, got right={right}, close={close}")
    expected = np.asarray(want, dtype=np.float64)
    got = as_array(name, value, tuple(expected.shape))
    err = np.abs(got - expected)
    if relative:
        err = err / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    worst = float(err.max()) if err.size else 0.0
    if worst <= right:
        return
    kind_en, kind_zh = ("relative error", "相对误差") if relative else ("error", "误差")
    if worst <= close:
        raise Close(f"`{name}` is near but not within the tolerance ({kind_en} {worst:.1e} > {right:.1e}): look for a "
                    f"rounded constant, an off-by-one or a float32 step",
                    f"`{name}` 接近但未达到容差（{kind_zh} {worst:.1e} > {right:.1e}）：检查是否有取整的常数、差一错误或 float32 运算")
    raise Wrong(f"`{name}` is off ({kind_en} {worst:.1e}, tolerance {right:.1e})",
                f"`{name}` 不对（{kind_zh} {worst:.1e}，容差 {right:.1e}）")


_TEXT = {
    "en": {"right": "right", "close": "close", "wrong": "not yet", "unanswered": "not answered yet",
           "define": "define {names} first, then run check({n}) again",
           "head": "Self-checks: after exercise n, run check(n). Each check reads these names from your notebook:",
           "none": "No exercise of chapter {c} has a self-check.",
           "unknown": "Exercise {n} of chapter {c} has no self-check; the exercises with one: {have}.",
           "crash": "the check could not read your answer ({err})",
           "ex": "Exercise {n}"},
    "zh": {"right": "正确", "close": "接近", "wrong": "还不对", "unanswered": "尚未作答",
           "define": "请先定义 {names}，再运行 check({n})",
           "head": "自测：做完练习 n 后运行 check(n)。各项检查从你的笔记本中读取这些名字：",
           "none": "第 {c} 章的练习没有自测。",
           "unknown": "第 {c} 章的练习 {n} 没有自测；有自测的练习：{have}。",
           "crash": "检查无法读取你的答案（{err}）",
           "ex": "练习 {n}"},
}


class SelfChecks:
    """The ``check`` of one chapter: ``check()`` lists the exercises and the names each reads, ``check(n)`` prints
    the verdict on exercise ``n``, and :meth:`verdict` returns it (for tests and graders)."""

    def __init__(self, chapter: int, namespace: Mapping[str, Any], lang: str = "en") -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
        self.chapter, self.namespace, self.lang = chapter, namespace, lang
        self.checks = REGISTRY.get(chapter, {})

    def verdict(self, number: int) -> Verdict:
        """Run exercise ``number``'s check on the namespace."""
        text = _TEXT[self.lang]
        if number not in self.checks:
            have = ", ".join(map(str, sorted(self.checks))) or "-"
            raise ValueError(text["unknown"].format(n=number, c=self.chapter, have=have))
        try:
            self.checks[number].test(self.namespace)
        except Unanswered as missing:
            names = ("、" if self.lang == "zh" else ", ").join(f"`{n}`" for n in missing.names)
            return Verdict(self.chapter, number, "unanswered", text["define"].format(names=names, n=number))
        except Close as outcome:
            return Verdict(self.chapter, number, "close", outcome.hint[self.lang])
        except Wrong as outcome:
            return Verdict(self.chapter, number, "wrong", outcome.hint[self.lang])
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, RuntimeError) as err:
            # an answer of an unexpected type: say so rather than show the check's own stack trace
            return Verdict(self.chapter, number, "wrong", text["crash"].format(err=f"{type(err).__name__}: {err}"))
        return Verdict(self.chapter, number, "right")

    def __call__(self, number: int | None = None) -> None:
        text = _TEXT[self.lang]
        if number is None:
            if not self.checks:
                print(text["none"].format(c=self.chapter))
                return
            print(text["head"])
            for n, ex in sorted(self.checks.items()):
                names = ("、" if self.lang == "zh" else ", ").join(f"`{r}`" for r in ex.reads)
                sep = "：" if self.lang == "zh" else ": "
                print(f"  check({n}) {names}{sep}{ex.what[self.lang]}")
            return
        try:
            v = self.verdict(number)
        except ValueError as err:  # no check for that exercise: say which ones have one, without a stack trace
            print(err)
            return
        label = text["ex"].format(n=number)
        sep = "：" if self.lang == "zh" else ": "
        line = f"{label}{sep}{text[v.status]}"
        if v.hint:
            line += ("——" if self.lang == "zh" else " — ") + v.hint
        print(line)
