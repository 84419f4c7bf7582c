"""Any checkpoint, through the registry: load it, sample it, measure it — what ``python -m course_lib evaluate`` and
``sample`` run, and the one Fréchet distance the book prints for a shipped generator.

* :func:`load_any` — the card's ``kind`` picks the model class in :mod:`course_lib.registry`;
* :func:`sample_checkpoint` — reproducible samples of a generator checkpoint;
* :func:`checkpoint_fd` — a generator's Fréchet distance with its interval over draws (chapter 5's protocol);
* :func:`evaluate_checkpoint` — a classifier's held-out accuracy, or a generator's Fréchet distance, the
  **real-vs-real floor** (the same distance between *held-out real* digits and the training digits: a perfect
  generator cannot beat it at that sample size, so it gives the other numbers a scale) and class coverage;
* :data:`SHOWCASE_BAR`, :func:`showcase_bar`, :func:`meets_bar` — the bar a showcase model clears: a recognisable
  share by family, with all ten digits drawn evenly beside it (``bench/recognisable.py`` and the chapters that
  open with a showcase model judge by it).

The measuring instrument and the metrics live below the registry, beside the models that use them while they
train: the classifier in :mod:`course_lib.models.classifier`, the Fréchet distance and class coverage in
:mod:`course_lib.metrics`. The chapters import all of these from here (``from course_lib.evaluator import
frechet_distance, load_classifier, sample_checkpoint``), so this module names them in its ``__all__``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import registry
from .checkpoint import CHECKPOINT_DIR, CheckpointError, load_checkpoint, read_card, shipped_checkpoint
from .data import load_mnist, load_offline_mnist
from .device import DeviceLike, get_device
from .metrics import (RECOGNISABLE_AT, ClassifierFeatures, Coverage, FrechetToReference, class_coverage,
                      class_histogram, coverage_over_draws, frechet_distance, frechet_over_draws, kl_to_uniform,
                      recognisable_share)
from .models.classifier import (MNISTClassifier, accuracy, features, heldout_accuracy, load_classifier, predict,
                                predict_proba)
from .stats import Interval

__all__ = [
    # defined here
    "load_any", "sample_checkpoint", "checkpoint_fd", "evaluate_checkpoint", "SHOWCASE_BAR", "SHOWCASE_KL_BAR",
    "showcase_bar", "meets_bar",
    # the instrument (course_lib.models.classifier) and the metrics (course_lib.metrics), for the chapters
    "MNISTClassifier", "predict", "predict_proba", "accuracy", "features", "load_classifier", "heldout_accuracy",
    "ClassifierFeatures", "frechet_distance", "FrechetToReference", "frechet_over_draws", "class_histogram",
    "class_coverage", "Coverage", "coverage_over_draws", "kl_to_uniform", "recognisable_share", "RECOGNISABLE_AT",
    "shipped_checkpoint", "CHECKPOINT_DIR",
]


#: The recognisable share (:func:`recognisable_share`, the mean over seeds) a showcase model must reach, by family
#: (a substring of the card's ``kind``): a GAN's or a diffusion model's samples near the real digits' 0.94, a
#: VAE's, whose samples are smoother, lower.
SHOWCASE_BAR: dict[str, float] = {"dcgan": 0.85, "diffusion": 0.85, "vae": 0.60}
#: ... with all ten digits present and ``KL(classes || uniform)`` at most this many nats: a share alone would pass a
#: model that draws one digit well (the classifier is sure of things that are not digits).
SHOWCASE_KL_BAR = 0.05


def showcase_bar(kind: str) -> float | None:
    """The :data:`SHOWCASE_BAR` for a card's ``kind`` (``"deep_conv_vae"`` → 0.60), ``None`` for a non-generator."""
    return next((bar for family, bar in SHOWCASE_BAR.items() if family in kind), None)


def meets_bar(recognisable: Interval, kl: Interval, classes_present: int, bar: float) -> bool:
    """Whether a model clears the showcase bar, read off the intervals over seeds: the recognisable share's
    *lower* end at least ``bar``, the KL's *upper* end at most :data:`SHOWCASE_KL_BAR`, and all ten digits drawn
    in every seed (``classes_present``: the fewest digits present over the seeds)."""
    if not 0.0 < bar <= 1.0:
        raise ValueError(f"bar must be a share in (0, 1], got {bar}")
    return recognisable.low >= bar and kl.high <= SHOWCASE_KL_BAR and classes_present == 10


def load_any(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, dict[str, Any]]:
    """Load any checkpoint written by ``course_lib``: the card's ``kind`` picks the model class in
    :mod:`course_lib.registry`.

    Returns:
        ``(model in eval mode, model card)``.

    Raises:
        CheckpointError: missing or corrupt files, or a kind no registered model writes.
    """
    card = read_card(path)
    kind = card.get("kind")
    if kind not in registry.card_kinds():
        raise CheckpointError(f"{path} holds a {kind!r} model, which no registered model loads "
                              f"(known kinds: {', '.join(registry.card_kinds())}).")
    return load_checkpoint(path, registry.factory(kind), kind, device=device)


# ----------------------------------------------------------------------------------------------------------
# any checkpoint: samples and the numbers of `python -m course_lib evaluate`
# ----------------------------------------------------------------------------------------------------------
def sample_checkpoint(path: str | Path, n: int, seed: int = 0, device: DeviceLike = "cpu",
                      batch_size: int = 1000) -> torch.Tensor:
    """``n`` images ``(n, 1, 28, 28)`` in ``[0, 1]`` from the generator checkpoint at ``path``, reproducibly.

    The model is loaded through :func:`load_any` and sampled with its
    ``sample(n, *, generator=None)``, in chunks of ``batch_size`` from one ``torch.Generator`` seeded ``seed``.
    """
    kind = read_card(path).get("kind")
    if kind not in registry.generator_kinds():
        raise CheckpointError(f"{path} is a {kind!r} model, not a generator: nothing to sample "
                              f"(generators: {', '.join(registry.generator_kinds())}).")
    model, _ = load_any(path, device=get_device(device))
    return _sampler(model, batch_size)(n, seed)


def _sampler(model: nn.Module, batch_size: int = 1000) -> Any:
    def sample(n: int, seed: int = 0) -> torch.Tensor:
        dev = next(model.parameters()).device
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        out = [model.sample(min(batch_size, n - i), generator=gen) for i in range(0, n, batch_size)]
        return torch.cat(out).float()

    return sample


def checkpoint_fd(path: str | Path, draws: int = 3, seed: int = 0, reference: FrechetToReference | None = None,
                  device: DeviceLike = "cpu") -> tuple[Interval, list[float]]:
    """A generator checkpoint's Fréchet distance with its interval: the one number the book prints for it.

    The protocol of chapter 5 on the offline split: ``draws`` independent sets of 1,000 samples (as many as
    the held-out digits; :func:`sample_checkpoint` with seeds ``seed, seed + 1, …``) against the 4,000 training
    digits, features of the shipped ``classifier_offline``; :func:`frechet_over_draws` gives the mean and its
    interval. Every chapter calls this with the defaults, so a model has one FD wherever the book prints it.

    Args:
        reference: a :class:`FrechetToReference` on the training digits and the shipped classifier, if the
            caller has one (it is built here otherwise).
    """
    x_held, _ = load_offline_mnist("heldout")
    if reference is None:
        x_train, _ = load_offline_mnist("train")
        classifier, _ = load_classifier(None, device=device)
        reference = FrechetToReference(x_train, classifier)
    return frechet_over_draws(lambda n, s: sample_checkpoint(path, n, seed=s, device=device), reference,
                              n=len(x_held), draws=draws, seed=seed)


def evaluate_checkpoint(path: str | Path, evaluator: str | None = None, data: str | None = None,
                        samples: int = 10_000, seed: int = 0, device: DeviceLike = "cpu") -> dict[str, Any]:
    """The numbers ``python -m course_lib evaluate`` prints, as a dict.

    * classifier: accuracy on the held-out digits (offline) or the test set (full);
    * generator: Fréchet distance of as many samples as there are held-out digits to the training digits,
      the real-vs-real floor (held-out vs training digits) for the same protocol, and the class coverage and the
      recognisable share (classifier confidence >= ``RECOGNISABLE_AT``) of ``samples`` samples; plus what the model's registry entry adds (for a VAE the held-out −ELBO).
    """
    if samples < 1:
        raise ValueError(f"--samples must be >= 1, got {samples}")
    dev = get_device(device)
    model, card = load_any(path, device=dev)
    kind = card["kind"]
    entry = registry.for_card_kind(kind)
    data = data or card.get("data_source")
    if data is None:
        raise CheckpointError(f"{path}: the model card records no data_source; say which MNIST split the model "
                              f"was trained on with --data offline or --data full.")
    if data not in ("offline", "full"):
        raise CheckpointError(f"{path} is a {kind!r} model trained on {data!r}; `evaluate` measures MNIST "
                              f"classifiers and image generators.")
    x_held, y_held = load_mnist(data, "heldout")  # type: ignore[arg-type]
    result: dict[str, Any] = {"checkpoint": str(path), "kind": kind, "data": data}
    if not entry.generator:  # type: ignore[union-attr]
        if entry.evaluate is None:  # type: ignore[union-attr]
            raise CheckpointError(f"{path} is a {kind!r} model: `evaluate` measures MNIST classifiers and image "
                                  f"generators ({', '.join(registry.generator_kinds())}).")
        return {**result, **entry.evaluate(model, x_held, y_held)}  # type: ignore[union-attr]
    ev_path = evaluator or str(shipped_checkpoint(f"classifier_{data}"))
    try:
        classifier, _ = load_classifier(ev_path, device=dev)
    except CheckpointError:
        if evaluator is not None:
            raise
        classifier, _ = load_classifier(None, device=dev)
        ev_path = str(shipped_checkpoint("classifier_offline"))
    x_train, _ = load_mnist(data, "train")  # type: ignore[arg-type]
    sample = _sampler(model)
    fake_fd = sample(len(x_held), seed)
    fake_cov = sample(samples, seed + 1)
    cov = class_coverage(fake_cov, classifier, device=dev)
    result.update({
        "evaluator": ev_path,
        "fd": round(frechet_distance(x_train, fake_fd, classifier, device=dev), 3),
        "fd_floor_real_vs_real": round(frechet_distance(x_train, x_held, classifier, device=dev), 3),
        "fd_protocol": f"{len(x_held)} samples (or held-out digits) vs {len(x_train)} training digits",
        "fd_samples": len(x_held), "fd_reference": len(x_train),
        "classes_present": cov["classes_present"],
        "kl_to_uniform": round(cov["kl_to_uniform"], 4),
        "min_share": round(cov["min_share"], 4),
        "recognisable": round(cov["recognisable"], 4),
        "recognisable_at": RECOGNISABLE_AT,
        "histogram": cov["histogram"],
        "coverage_samples": samples,
    })
    if entry.evaluate is not None:  # type: ignore[union-attr]
        result.update(entry.evaluate(model, x_held, y_held))  # type: ignore[union-attr]
    return result
