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
* **The real-vs-real floor** (:func:`real_vs_real_floor`): the same Fréchet distance between *held-out real*
  digits and the training digits. A perfect generator cannot beat it at that sample size, so it gives the
  other numbers a scale.

Command line: ``python -m course_lib train classifier [--data full] ...``.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint, save_training_state
from .device import DeviceLike, get_device
from .training import (Timer, autocast, check_images, checkpoint_stem, load_split, maybe_compile,
                       minibatch_indices, progress, resume_state, run_card, spread_subset)

__all__ = [
    "MNISTClassifier",
    "ClassifierFeatures",
    "train_classifier",
    "accuracy",
    "predict",
    "features",
    "frechet_distance",
    "FrechetToReference",
    "class_histogram",
    "class_coverage",
    "kl_to_uniform",
    "real_vs_real_floor",
    "load_classifier",
    "shipped_checkpoint",
    "random_shift",
    "add_train_arguments",
    "train_from_args",
]

KIND = "mnist_classifier"
CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


def shipped_checkpoint(name: str) -> Path:
    """Path (without suffix) of a checkpoint shipped with course_lib, e.g. ``shipped_checkpoint("classifier_offline")``."""
    return CHECKPOINT_DIR / name


class MNISTClassifier(nn.Module):
    """A small CNN: two conv blocks (28 → 14 → 7, each conv + batch norm + ReLU + max-pool) and a hidden layer whose activations are the features.

    Args:
        channels: channels of the first block (the second has twice as many).
        hidden: width of the feature layer (the dimension of the Fréchet-distance features).
        dropout: dropout before the output layer (training only).

    Shapes: ``forward(x)`` maps ``(N, 1, 28, 28)`` in ``[0, 1]`` to logits ``(N, 10)``;
    ``features(x)`` maps it to ``(N, hidden)``.
    """

    def __init__(self, channels: int = 32, hidden: int = 128, dropout: float = 0.3) -> None:
        super().__init__()
        c = channels
        self.config = {"channels": channels, "hidden": hidden, "dropout": dropout}
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.MaxPool2d(2),                                             # 28 -> 14
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.MaxPool2d(2),                                             # 14 -> 7
            nn.Flatten(),
            nn.Linear(2 * c * 7 * 7, hidden), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, 10))
        self.hidden = hidden

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 28, 28)`` → penultimate activations ``(N, hidden)``."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, 28, 28)`` → logits ``(N, 10)``."""
        return self.head(self.body(x))


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


def random_shift(x: torch.Tensor, max_shift: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image by a random integer offset in ``[-max_shift, max_shift]`` pixels (zero fill).

    Done for a whole minibatch at once on its device (pad, then gather a shifted 28×28 window per image).
    ``(N, 1, 28, 28)`` → ``(N, 1, 28, 28)``.
    """
    if max_shift <= 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    off = torch.randint(0, 2 * max_shift + 1, (2, n), device=x.device, generator=generator)
    rows = (torch.arange(h, device=x.device)[None, :] + off[0][:, None])         # (N, H)
    cols = (torch.arange(w, device=x.device)[None, :] + off[1][:, None])         # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, 0, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


def train_classifier(model: MNISTClassifier, x_train: torch.Tensor, y_train: torch.Tensor, epochs: int = 15,
                     batch_size: int = 128, lr: float = 2e-3, device: DeviceLike = "auto",
                     x_eval: torch.Tensor | None = None, y_eval: torch.Tensor | None = None,
                     augment: int = 2, seed: int = 0, progress_bar: bool = False, compile: bool = False,
                     optimizer: torch.optim.Optimizer | None = None, start_epoch: int = 0,
                     on_epoch_end: Any = None) -> list[dict[str, float]]:
    """Train the classifier with Adam and a one-cycle learning-rate schedule, data kept on the device.

    Args:
        model: the classifier (moved to ``device``).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``; y_train: ``(N,)`` labels 0–9.
        epochs: total epochs (including ``start_epoch`` already done when resuming).
        augment: random shifts of up to this many pixels (0 = none).
        x_eval, y_eval: optional held-out data; its accuracy is recorded after each epoch.
        optimizer: an optimizer to continue with (resuming); a new Adam otherwise.
        on_epoch_end: optional ``callback(epoch, model, optimizer, history)`` (used to save checkpoints).

    Returns:
        One dict per epoch: ``epoch``, ``loss`` (mean training cross-entropy), ``eval_accuracy`` if given.
    """
    check_images(x_train, "x_train")
    if y_train.shape != (x_train.shape[0],):
        raise ValueError(f"y_train must have shape ({x_train.shape[0]},), got {tuple(y_train.shape)}")
    dev = get_device(device)
    model.to(dev).train()
    x, y = x_train.to(dev), y_train.to(dev)
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps_per_epoch)
    if start_epoch:
        import warnings

        with warnings.catch_warnings():  # fast-forward the schedule of a resumed run (no optimizer step yet)
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(start_epoch * steps_per_epoch):
                sched.step()
    fwd = maybe_compile(model, compile)
    gen = torch.Generator(device=dev)
    history: list[dict[str, float]] = []
    for epoch in progress(range(start_epoch, epochs), progress_bar, "classifier", total=epochs - start_epoch):
        gen.manual_seed(seed * 1000 + epoch)
        model.train()
        total, count = torch.zeros((), device=dev), 0
        for idx in minibatch_indices(len(x), batch_size, dev, gen):
            xb = random_shift(x[idx], augment, gen)
            with autocast(dev):
                loss = F.cross_entropy(fwd(xb).float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.detach() * len(idx)
            count += len(idx)
        row = {"epoch": epoch + 1, "loss": float(total) / count}
        if x_eval is not None and y_eval is not None:
            row["eval_accuracy"] = accuracy(model, x_eval, y_eval, device=dev)
        history.append(row)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, opt, history)
    return history


@torch.no_grad()
def _batched(fn: Any, x: torch.Tensor, batch_size: int, dev: torch.device) -> torch.Tensor:
    outs = [fn(x[i:i + batch_size].to(dev)).float() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)


@torch.no_grad()
def predict(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000, device: DeviceLike = None) -> torch.Tensor:
    """Predicted digit for each image: ``(N, 1, 28, 28)`` → ``(N,)`` int64 (on the model's device)."""
    check_images(x)
    dev = get_device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    return _batched(model, x, batch_size, dev).argmax(dim=1)


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


def real_vs_real_floor(classifier: MNISTClassifier, data: str = "offline", device: DeviceLike = None) -> float:
    """Fréchet distance between held-out real digits and the training digits (the floor for generators).

    With ``data="offline"``: the 1,000 held-out digits against the 4,000 training digits; with ``"full"``:
    the 10,000 test digits against the 60,000 training digits. A generator is compared the same way, with
    as many samples as there are held-out digits, against the same training digits.
    """
    x_train, _ = load_split(data, "train")
    x_held, _ = load_split(data, "heldout")
    return frechet_distance(x_train, x_held, classifier, device=device)


def load_classifier(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[MNISTClassifier, dict[str, Any]]:
    """Load a classifier checkpoint (default: the shipped ``classifier_offline``). Returns ``(model, card)``."""
    path = shipped_checkpoint("classifier_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, MNISTClassifier, KIND, device=device)
    return model, card  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------------------
# command line: python -m course_lib train classifier
# ----------------------------------------------------------------------------------------------------------
def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train classifier`` (the common ones are added by the CLI)."""
    parser.add_argument("--channels", type=int, default=32, help="channels of the first conv block (default 32)")
    parser.add_argument("--hidden", type=int, default=128, help="feature-layer width (default 128)")
    parser.add_argument("--train-size", type=int, default=None, help="use only N evenly spaced training images (quick runs)")
    parser.add_argument("--augment", type=int, default=2, help="random shifts of up to this many pixels (default 2)")


def train_from_args(args: argparse.Namespace) -> Path:
    """Train the classifier as the command line asks; write checkpoint + card after every epoch."""
    from .seed import set_seed

    args.epochs = args.epochs or (15 if args.data == "offline" else 6)
    args.batch_size = args.batch_size or 128
    args.lr = args.lr or 2e-3
    set_seed(args.seed, deterministic=False)
    dev = get_device(args.device)
    stem = checkpoint_stem(args, "classifier")
    config = {"channels": args.channels, "hidden": args.hidden}
    x_train, y_train = load_split(args.data, "train", dev)
    x_held, y_held = load_split(args.data, "heldout", dev)
    if args.train_size is not None:
        keep = spread_subset(len(x_train), args.train_size, dev)
        x_train, y_train = x_train[keep], y_train[keep]
    model, state = resume_state(stem, MNISTClassifier, KIND, args.resume, dev)
    start = 0
    timer = Timer()
    opt = None
    prior: list[dict[str, float]] = []
    if model is None:
        model = MNISTClassifier(**config)  # type: ignore[assignment]
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        opt.load_state_dict(state["optimizer"])  # type: ignore[index]
        start = int(state["epoch"])  # type: ignore[index]
        timer = Timer(float(state.get("wall_time_s", 0.0)))  # type: ignore[union-attr]
        from .checkpoint import read_card

        prior = list(read_card(stem).get("history", []))
    held_name = "heldout_accuracy" if args.data == "offline" else "test_accuracy"

    def save(epoch: int, m: nn.Module, o: torch.optim.Optimizer, history: list[dict[str, float]]) -> None:
        metrics = {held_name: round(history[-1]["eval_accuracy"], 4), "train_loss": round(history[-1]["loss"], 4)}
        card = run_card(args, model="MNISTClassifier (evaluator)", epochs_done=epoch, epochs_total=args.epochs,
                        wall_time_s=timer(), metrics=metrics,
                        extra={"augment_shift_px": args.augment, "history": prior + [
                            {k: round(v, 4) for k, v in row.items()} for row in history]})
        save_checkpoint(m, stem, KIND, config, card)
        save_training_state(stem, o, epoch, {"wall_time_s": timer()})

    if start >= args.epochs:
        raise CheckpointError(f"{stem} already finished {start} of {args.epochs} epochs; nothing to resume.")
    train_classifier(model, x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                     device=dev, x_eval=x_held, y_eval=y_held, augment=args.augment, seed=args.seed,
                     progress_bar=not args.no_progress, compile=args.compile, optimizer=opt, start_epoch=start,
                     on_epoch_end=save)
    return stem.with_suffix(".safetensors")
