"""The metrics that judge a generator of MNIST digits through the classifier (:mod:`course_lib.models.classifier`).

A generative model is judged by what its samples look like *to a fixed, independent observer*. For MNIST that
observer is a small convolutional classifier, trained once and then frozen. Two numbers come from it:

* **Classifier-feature Fréchet distance** (:func:`frechet_distance`): fit a Gaussian to the classifier's
  penultimate-layer features of the real images and another to those of the generated images, and take the
  Fréchet (2-Wasserstein) distance between the two Gaussians,
  ``FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^{1/2})`` — FID (Heusel et al., 2017) with an MNIST
  classifier in place of Inception. Computed by torchmetrics' ``FrechetInceptionDistance`` with
  :class:`ClassifierFeatures` as its feature extractor; :func:`frechet_over_draws` gives it an interval.
* **Class coverage** (:func:`class_coverage`): the classifier's labels of the samples, how many of the 10
  digits appear, and ``KL(class histogram || uniform)`` in nats (0 for perfectly balanced samples, ``log 10``
  for a generator that draws one digit only).
* **Recognisable share** (:func:`recognisable_share`, also in :func:`class_coverage`): the share of samples the
  classifier assigns to one digit with probability at least 0.9 (real held-out digits: about 0.94). Read it with
  the KL beside it: blobs that the classifier calls "8" every time are "recognisable" and cover one digit.
  :func:`coverage_over_draws` gives the share and the KL an interval over several seeded draws.

What these numbers are for a checkpoint (with the real-vs-real floor that gives them a scale) is
:func:`course_lib.evaluator.evaluate_checkpoint`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from .data import check_images
from .device import DeviceLike, get_device
from .models.classifier import MNISTClassifier, logits, predict, predict_proba
from .stats import Interval, seed_interval

__all__ = ["ClassifierFeatures", "frechet_distance", "FrechetToReference", "frechet_over_draws", "class_histogram",
           "kl_to_uniform", "class_coverage", "Coverage", "coverage_over_draws", "recognisable_share",
           "RECOGNISABLE_AT"]

#: the classifier's confidence from which a sample counts as a recognisable digit
RECOGNISABLE_AT = 0.9


class ClassifierFeatures(nn.Module):
    """The classifier's feature layer as a torchmetrics feature extractor: ``(N, 1, 28, 28)`` → ``(N, d)``.

    ``num_features`` tells ``FrechetInceptionDistance`` the dimension without a dummy forward pass. Features
    are computed in float32 and in eval mode whatever the caller's mode.
    """

    def __init__(self, classifier: MNISTClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.classifier.eval()
        with torch.no_grad():
            return self.classifier.features(x.float())


def frechet_distance(real: torch.Tensor, fake: torch.Tensor, classifier: MNISTClassifier,
                     batch_size: int = 1000, device: DeviceLike = None) -> float:
    """Classifier-feature Fréchet distance between two sets of images (lower is closer).

    Uses ``torchmetrics.image.fid.FrechetInceptionDistance`` with :class:`ClassifierFeatures` as the feature
    extractor (statistics accumulated in float64). Both sets need at least 2 images; the value is biased
    upwards for small sets, so compare numbers computed with the same set sizes.

    Args:
        real, fake: ``(N, 1, 28, 28)`` and ``(M, 1, 28, 28)`` images in ``[0, 1]``.
    """
    check_images(real, "real")
    check_images(fake, "fake")
    if len(real) < 2 or len(fake) < 2:
        raise ValueError(f"the Fréchet distance needs at least 2 images per set, got {len(real)} and {len(fake)}")
    dev = get_device(device) if device is not None else next(classifier.parameters()).device
    classifier.to(dev).eval()
    metric = FrechetInceptionDistance(feature=ClassifierFeatures(classifier)).to(dev)
    for imgs, is_real in ((real, True), (fake, False)):
        for i in range(0, len(imgs), batch_size):
            metric.update(imgs[i:i + batch_size].to(dev), real=is_real)
    return float(metric.compute())


class FrechetToReference:
    """Fréchet distances of several image sets to one fixed reference set (e.g. the training digits).

    The reference features are computed once (torchmetrics' ``reset_real_features=False``), so each call
    only runs the classifier on the new images. ``FrechetToReference(x_train, clf)(fake)`` equals
    ``frechet_distance(x_train, fake, clf)``.
    """

    def __init__(self, reference: torch.Tensor, classifier: MNISTClassifier, batch_size: int = 1000,
                 device: DeviceLike = None) -> None:
        check_images(reference, "reference")
        self.dev = get_device(device) if device is not None else next(classifier.parameters()).device
        classifier.to(self.dev).eval()
        self.batch_size = batch_size
        self.metric = FrechetInceptionDistance(feature=ClassifierFeatures(classifier),
                                               reset_real_features=False).to(self.dev)
        for i in range(0, len(reference), batch_size):
            self.metric.update(reference[i:i + batch_size].to(self.dev), real=True)

    def __call__(self, images: torch.Tensor) -> float:
        """Fréchet distance of ``images`` ``(M, 1, 28, 28)`` (M >= 2) to the reference set."""
        check_images(images, "images")
        if len(images) < 2:
            raise ValueError(f"the Fréchet distance needs at least 2 images, got {len(images)}")
        self.metric.reset()
        for i in range(0, len(images), self.batch_size):
            self.metric.update(images[i:i + self.batch_size].to(self.dev), real=False)
        return float(self.metric.compute())


def frechet_over_draws(sample: Callable[[int, int], torch.Tensor], reference: torch.Tensor | FrechetToReference,
                       classifier: MNISTClassifier | None = None, n: int = 1000, draws: int = 3, seed: int = 0,
                       level: float = 0.95) -> tuple[Interval, list[float]]:
    """The Fréchet distance of a generator with an interval over independent draws of samples.

    One set of ``n`` samples gives one FD; another set gives another (the sampling noise of the measurement).
    This draws ``draws`` sets, ``sample(n, seed + d)`` for ``d = 0 … draws − 1``, measures each against the same
    reference, and returns Student's t interval of their mean (:func:`course_lib.stats.seed_interval`) with the
    per-draw values. Every chapter that prints a model's FD calls this with the same arguments, so a model has
    one FD wherever it is printed.

    Args:
        sample: ``sample(n, seed) -> (n, 1, 28, 28)`` images in ``[0, 1]`` (e.g. from :func:`course_lib.evaluator.sample_checkpoint`).
        reference: the reference images (e.g. the training digits), or a :class:`FrechetToReference` built on them.
        classifier: the measuring instrument (not needed with a :class:`FrechetToReference`).
        n: samples per draw (the protocol: as many as the held-out digits).
        draws: independent draws (at least 2).
    """
    if draws < 2:
        raise ValueError(f"an interval needs at least 2 draws, got {draws}")
    if isinstance(reference, FrechetToReference):
        to_ref = reference
    else:
        if classifier is None:
            raise ValueError("give the classifier that measures the features (or a FrechetToReference)")
        to_ref = FrechetToReference(reference, classifier)
    values = [to_ref(sample(n, seed + d)) for d in range(draws)]
    return seed_interval(values, level=level), values


def class_histogram(images: torch.Tensor, classifier: MNISTClassifier, batch_size: int = 1000,
                    device: DeviceLike = None) -> torch.Tensor:
    """How many images the classifier assigns to each digit: ``(10,)`` int64 (on the CPU)."""
    return torch.bincount(predict(classifier, images, batch_size, device).cpu(), minlength=10)


def kl_to_uniform(counts: torch.Tensor) -> float:
    """``KL(p || uniform)`` in nats for a histogram ``counts`` of shape ``(K,)``: ``sum_k p_k log(K p_k)``.

    Empty classes contribute 0 (``0 log 0 = 0``); the maximum, for a single class, is ``log K``.
    """
    counts = torch.as_tensor(counts, dtype=torch.float64)
    if counts.dim() != 1 or counts.sum() <= 0 or (counts < 0).any():
        raise ValueError("counts must be a 1-D histogram of non-negative counts with a positive total")
    p = counts / counts.sum()
    k = len(p)
    return float(torch.where(p > 0, p * torch.log(p * k), torch.zeros_like(p)).sum())


def recognisable_share(images: torch.Tensor, classifier: MNISTClassifier, threshold: float = RECOGNISABLE_AT,
                       batch_size: int = 1000, device: DeviceLike = None) -> float:
    """Share of ``images`` ``(N, 1, 28, 28)`` that the classifier assigns to one digit with probability
    ``>= threshold`` (a value in [0, 1])."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
    confidence = predict_proba(classifier, images, batch_size, device).amax(dim=1)
    return float((confidence >= threshold).double().mean())


def class_coverage(images: torch.Tensor, classifier: MNISTClassifier, batch_size: int = 1000,
                   device: DeviceLike = None) -> dict[str, Any]:
    """Class coverage of a set of images, as judged by the classifier.

    Returns:
        ``{"histogram": list of 10 counts, "classes_present": digits predicted at least once,
        "min_share": share of the rarest digit, "kl_to_uniform": KL(histogram || uniform) in nats,
        "recognisable": share the classifier assigns to one digit with probability >= RECOGNISABLE_AT}``.
    """
    scores = logits(classifier, images, batch_size, device)  # one pass: the same scores give the digit and its probability
    counts = torch.bincount(scores.argmax(dim=1).cpu(), minlength=10)
    confidence = scores.softmax(dim=1).amax(dim=1)
    return {
        "histogram": counts.tolist(),
        "classes_present": int((counts > 0).sum()),
        "min_share": float(counts.min()) / float(counts.sum()),
        "kl_to_uniform": kl_to_uniform(counts),
        "recognisable": float((confidence >= RECOGNISABLE_AT).double().mean()),
    }


class Coverage(NamedTuple):
    """The class coverage of several draws of samples: the mean recognisable share and the mean
    ``KL(classes || uniform)``, each with its 95 % interval over the draws, and the fewest digits any draw shows."""

    recognisable: Interval
    kl_to_uniform: Interval
    classes_present: int


def coverage_over_draws(draws: Sequence[torch.Tensor], classifier: MNISTClassifier, batch_size: int = 1000,
                        device: DeviceLike = None) -> Coverage:
    """:func:`class_coverage` of each draw in ``draws`` (independent sets of samples, each ``(N, 1, 28, 28)``,
    e.g. one per seed), summarised over the draws with Student's t intervals (:func:`stats.seed_interval`).

    The draws are passed in, not sampled here, so that the same samples can also be judged after a change
    (chapter 6 clears DP-SGD's grey speckle and asks again) without drawing them twice.
    """
    if len(draws) < 2:
        raise ValueError(f"need at least 2 draws for an interval over draws, got {len(draws)}")
    covs = [class_coverage(x, classifier, batch_size, device) for x in draws]
    return Coverage(seed_interval([c["recognisable"] for c in covs], bounds=(0.0, 1.0)),
                    seed_interval([c["kl_to_uniform"] for c in covs], bounds=(0.0, math.log(10))),
                    min(c["classes_present"] for c in covs))
