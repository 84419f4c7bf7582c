"""The MNIST classifier used as a measuring instrument, and the metrics built on it.

A generative model is judged by what its samples look like *to a fixed, independent observer*. For MNIST that
observer is a small convolutional classifier, :class:`MNISTClassifier`, trained once and then frozen. Three
numbers come from it:

* **Classifier-feature Fréchet distance** (:func:`frechet_distance`): fit a Gaussian to the classifier's
  penultimate-layer features of the real images and another to those of the generated images, and take the
  Fréchet (2-Wasserstein) distance between the two Gaussians,
  ``FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^{1/2})`` — FID (Heusel et al., 2017) with an MNIST
  classifier in place of Inception. Computed by torchmetrics' ``FrechetInceptionDistance`` with
  :class:`ClassifierFeatures` as its feature extractor.
* **Class coverage** (:func:`class_coverage`): the classifier's labels of the samples, how many of the 10
  digits appear, and ``KL(class histogram || uniform)`` in nats (0 for perfectly balanced samples, ``log 10``
  for a generator that draws one digit only).
* **The real-vs-real floor** (``fd_floor_real_vs_real`` in :func:`evaluate_checkpoint`): the same Fréchet
  distance between *held-out real* digits and the training digits. A perfect generator cannot beat it at that sample size, so it gives the
  other numbers a scale.

The classifier itself is :class:`course_lib.models.classifier.MNISTClassifier`
(``python -m course_lib train classifier [--data full] ...``). :func:`evaluate_checkpoint` is what
``python -m course_lib evaluate`` prints, for any registered kind of checkpoint.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .checkpoint import CHECKPOINT_DIR, CheckpointError, load_any, load_checkpoint, shipped_checkpoint
from .device import DeviceLike, get_device
from .models.classifier import KIND, MNISTClassifier
from .data import check_images

if TYPE_CHECKING:
    from .stats import Interval

__all__ = [
    "ClassifierFeatures",
    "accuracy",
    "predict",
    "predict_proba",
    "features",
    "frechet_distance",
    "FrechetToReference",
    "frechet_over_draws",
    "checkpoint_fd",
    "class_histogram",
    "class_coverage",
    "kl_to_uniform",
    "load_classifier",
    "shipped_checkpoint",
    "evaluate_checkpoint",
    "sample_checkpoint",
    "CHECKPOINT_DIR",
]



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


@torch.no_grad()
def _batched(fn: Any, x: torch.Tensor, batch_size: int, dev: torch.device) -> torch.Tensor:
    outs = [fn(x[i:i + batch_size].to(dev)).float() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)


@torch.no_grad()
def _logits(model: MNISTClassifier, x: torch.Tensor, batch_size: int, device: DeviceLike) -> torch.Tensor:
    check_images(x)
    dev = get_device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    return _batched(model, x, batch_size, dev)


def predict(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000, device: DeviceLike = None) -> torch.Tensor:
    """Predicted digit for each image: ``(N, 1, 28, 28)`` → ``(N,)`` int64 (on the model's device)."""
    return _logits(model, x, batch_size, device).argmax(dim=1)


def predict_proba(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000,
                  device: DeviceLike = None) -> torch.Tensor:
    """The classifier's probability of each digit: ``(N, 1, 28, 28)`` → ``(N, 10)``, rows summing to 1 (on the
    model's device). Its maximum is the classifier's confidence, e.g. to count only the samples it is sure of."""
    return _logits(model, x, batch_size, device).softmax(dim=1)


def accuracy(model: MNISTClassifier, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000,
             device: DeviceLike = None) -> float:
    """Fraction of images whose predicted digit equals the label."""
    pred = predict(model, x, batch_size, device)
    return float((pred == y.to(pred.device)).float().mean())


@torch.no_grad()
def features(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000, device: DeviceLike = None) -> torch.Tensor:
    """Feature-layer activations ``(N, hidden)`` (float32)."""
    check_images(x)
    dev = get_device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    return _batched(model.features, x, batch_size, dev)


def frechet_distance(real: torch.Tensor, fake: torch.Tensor, classifier: MNISTClassifier,
                     batch_size: int = 1000, device: DeviceLike = None) -> float:
    """Classifier-feature Fréchet distance between two sets of images (lower is closer).

    Uses ``torchmetrics.image.fid.FrechetInceptionDistance`` with :class:`ClassifierFeatures` as the feature
    extractor (statistics accumulated in float64). Both sets need at least 2 images; the value is biased
    upwards for small sets, so compare numbers computed with the same set sizes.

    Args:
        real, fake: ``(N, 1, 28, 28)`` and ``(M, 1, 28, 28)`` images in ``[0, 1]``.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

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
        from torchmetrics.image.fid import FrechetInceptionDistance

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
        sample: ``sample(n, seed) -> (n, 1, 28, 28)`` images in ``[0, 1]`` (e.g. from :func:`sample_checkpoint`).
        reference: the reference images (e.g. the training digits), or a :class:`FrechetToReference` built on them.
        classifier: the measuring instrument (not needed with a :class:`FrechetToReference`).
        n: samples per draw (the protocol: as many as the held-out digits).
        draws: independent draws (at least 2).
    """
    from .stats import seed_interval

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


def class_coverage(images: torch.Tensor, classifier: MNISTClassifier, batch_size: int = 1000,
                   device: DeviceLike = None) -> dict[str, Any]:
    """Class coverage of a set of images, as judged by the classifier.

    Returns:
        ``{"histogram": list of 10 counts, "classes_present": digits predicted at least once,
        "min_share": share of the rarest digit, "kl_to_uniform": KL(histogram || uniform) in nats}``.
    """
    counts = class_histogram(images, classifier, batch_size, device)
    return {
        "histogram": counts.tolist(),
        "classes_present": int((counts > 0).sum()),
        "min_share": float(counts.min()) / float(counts.sum()),
        "kl_to_uniform": kl_to_uniform(counts),
    }


def load_classifier(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[MNISTClassifier, dict[str, Any]]:
    """Load a classifier checkpoint (default: the shipped ``classifier_offline``). Returns ``(model, card)``."""
    path = shipped_checkpoint("classifier_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, MNISTClassifier, KIND, device=device)
    return model, card  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------------------
# any checkpoint: samples and the numbers of `python -m course_lib evaluate`
# ----------------------------------------------------------------------------------------------------------
def sample_checkpoint(path: str | Path, n: int, seed: int = 0, device: DeviceLike = "cpu",
                      batch_size: int = 1000) -> torch.Tensor:
    """``n`` images ``(n, 1, 28, 28)`` in ``[0, 1]`` from the generator checkpoint at ``path``, reproducibly.

    The model is loaded through :func:`course_lib.checkpoint.load_any` and sampled with its
    ``sample(n, *, generator=None)``, in chunks of ``batch_size`` from one ``torch.Generator`` seeded ``seed``.
    """
    from . import registry

    from .checkpoint import read_card

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
    from .data import load_offline_mnist

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
      the real-vs-real floor (held-out vs training digits) for the same protocol, and the class coverage of
      ``samples`` samples; plus what the model's registry entry adds (for a VAE the held-out −ELBO).
    """
    from . import registry
    from .data import load_mnist

    if samples < 1:
        raise ValueError(f"--samples must be >= 1, got {samples}")
    dev = get_device(device)
    model, card = load_any(path, device=dev)
    kind = card["kind"]
    entry = registry.for_card_kind(kind)
    data = data or card.get("data_source") or ("full" if "full MNIST" in str(card.get("data", "")) else "offline")
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
        "histogram": cov["histogram"],
        "coverage_samples": samples,
    })
    if entry.evaluate is not None:  # type: ignore[union-attr]
        result.update(entry.evaluate(model, x_held, y_held))  # type: ignore[union-attr]
    return result


def heldout_accuracy(model: MNISTClassifier, x_heldout: torch.Tensor, y_heldout: torch.Tensor) -> dict[str, Any]:
    """What ``python -m course_lib evaluate`` prints for a classifier: its accuracy on the held-out digits."""
    return {"accuracy": round(accuracy(model, x_heldout, y_heldout), 4), "n": len(x_heldout)}
