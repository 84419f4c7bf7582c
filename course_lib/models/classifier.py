"""The MNIST classifier of chapter 5, the measuring instrument behind the Fréchet distance and class coverage.

:class:`MNISTClassifier` is a small CNN; :func:`train_classifier` trains it (Adam with PyTorch's one-cycle
schedule, random shifts as augmentation) through :func:`course_lib.training.train_loop`. The metrics built on it
(Fréchet distance, class coverage) are in :mod:`course_lib.metrics`; what it says about one image (:func:`predict`,
:func:`predict_proba`, :func:`accuracy`, :func:`features`) and :func:`load_classifier` are here.

Command line: ``python -m course_lib train classifier [--data full] ...``.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import load_checkpoint, shipped_checkpoint
from ..data import check_images, minibatch_indices, select_training_set
from ..device import DeviceLike, get_device
from ..distributed import all_sum, batch_mean, world
from ..training import Callback, Task, autocast, train_loop

__all__ = ["MNISTClassifier", "random_shift", "ClassifierTask", "train_classifier", "config_of", "logits",
           "predict", "predict_proba", "accuracy", "features", "load_classifier", "heldout_accuracy"]

KIND = "mnist_classifier"


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


class ClassifierTask(Task):
    """Cross-entropy training of :class:`MNISTClassifier` (the task behind :func:`train_classifier`).

    Adam is PyTorch's default (not fused) and the learning rate follows ``OneCycleLR``: the shipped
    ``classifier_offline`` was trained so, and every Fréchet distance in the book is measured with its features.
    """

    kind = KIND

    def __init__(self, model: MNISTClassifier, x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int,
                 batch_size: int = 128, lr: float = 2e-3, device: DeviceLike = "auto",
                 x_eval: torch.Tensor | None = None, y_eval: torch.Tensor | None = None, augment: int = 2,
                 seed: int = 0, compile: bool = False, optimizer: torch.optim.Optimizer | None = None,
                 eval_name: str = "eval_accuracy") -> None:
        check_images(x_train, "x_train")
        if y_train.shape != (x_train.shape[0],):
            raise ValueError(f"y_train must have shape ({x_train.shape[0]},), got {tuple(y_train.shape)}")
        if batch_size < 1 or epochs < 1:
            raise ValueError(f"need epochs >= 1 and batch_size >= 1, got {epochs} and {batch_size}")
        super().__init__(model, device, compile)
        self.x, self.y = x_train.to(self.device), y_train.to(self.device)
        self.x_eval, self.y_eval, self.eval_name = x_eval, y_eval, eval_name
        self.batch_size, self.augment, self.seed = batch_size, augment, seed
        if optimizer is not None:
            self.optimizers["opt"] = optimizer
        else:
            self.optimizer(lr=lr, fused=False)
        self.steps_per_epoch = math.ceil(len(self.x) / batch_size)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.optimizers["opt"], max_lr=lr,
                                                         total_steps=epochs * self.steps_per_epoch)
        self.gen = torch.Generator(device=self.device)

    def batches(self, epoch: int):  # type: ignore[override]
        with warnings.catch_warnings():  # fast-forward the schedule of a resumed run (no optimizer step yet)
            warnings.simplefilter("ignore", UserWarning)
            while self.sched.last_epoch < epoch * self.steps_per_epoch:
                self.sched.step()
        for idx in minibatch_indices(len(self.x), self.batch_size, self.device, self.gen):
            yield idx, len(idx)  # the global minibatch: the random shifts are drawn for all of it

    def step(self, idx: torch.Tensor, global_n: int) -> dict[str, torch.Tensor]:
        xb, yb = random_shift(self.x[idx], self.augment, self.gen), self.y[idx]
        rank, size = world()
        if size > 1:
            xb, yb = xb.tensor_split(size)[rank], yb.tensor_split(size)[rank]
        with autocast(self.device):
            logits = self.net(xb).float()
        loss = F.cross_entropy(logits, yb) if size == 1 else batch_mean(F.cross_entropy(logits, yb, reduction="none"),
                                                                         global_n)
        opt = self.optimizers["opt"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        self.sched.step()
        return {"loss": loss.detach() if size == 1 else loss.detach() / size}  # summed over ranks: the mean

    def train_epoch(self, epoch: int) -> dict[str, float]:
        sums, count = torch.zeros((), device=self.device), 0
        for idx, global_n in self.batches(epoch):
            sums = sums + self.step(idx, global_n)["loss"] * global_n
            count += global_n
        return {"loss": float(all_sum(sums)) / count}

    def evaluate(self) -> dict[str, Any]:
        if self.x_eval is None or self.y_eval is None:
            return {}
        return {self.eval_name: accuracy(self.model, self.x_eval, self.y_eval, device=self.device)}


def train_classifier(model: MNISTClassifier, x_train: torch.Tensor, y_train: torch.Tensor, epochs: int = 15,
                     batch_size: int = 128, lr: float = 2e-3, device: DeviceLike = "auto",
                     x_eval: torch.Tensor | None = None, y_eval: torch.Tensor | None = None,
                     augment: int = 2, seed: int = 0, progress: bool = False, compile: bool = False,
                     optimizer: torch.optim.Optimizer | None = None, start_epoch: int = 0,
                     callback: Callback | None = None) -> list[dict[str, Any]]:
    """Train the classifier with Adam and a one-cycle learning-rate schedule, data kept on the device.

    Args:
        model: the classifier (moved to ``device``).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``; y_train: ``(N,)`` labels 0–9.
        epochs: total epochs (including ``start_epoch`` already done when resuming).
        augment: random shifts of up to this many pixels (0 = none).
        x_eval, y_eval: optional held-out data; its accuracy is recorded after each epoch.
        seed: each epoch's shuffling and shifts come from a generator seeded ``(seed, epoch)``.
        optimizer: an optimizer to continue with (resuming); a new Adam otherwise.
        callback: ``callback(epoch_done, record, model)`` after each epoch.

    Returns:
        One dict per epoch: ``epoch``, ``loss`` (mean training cross-entropy), ``eval_accuracy`` if given,
        ``epoch_time_s``.
    """
    task = ClassifierTask(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, device=device,
                          x_eval=x_eval, y_eval=y_eval, augment=augment, seed=seed, compile=compile,
                          optimizer=optimizer)
    return train_loop(task, epochs, start_epoch=start_epoch, progress_bar=progress, callback=callback,
                      desc="classifier")


# ------------------------------------------------------------------------------------ using it
@torch.no_grad()
def _batched(fn: Any, x: torch.Tensor, batch_size: int, dev: torch.device) -> torch.Tensor:
    outs = [fn(x[i:i + batch_size].to(dev)).float() for i in range(0, len(x), batch_size)]
    return torch.cat(outs)


@torch.no_grad()
def logits(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000, device: DeviceLike = None) -> torch.Tensor:
    """The classifier's scores before the softmax: ``(N, 1, 28, 28)`` → ``(N, 10)`` float32 (on the model's
    device), computed ``batch_size`` images at a time; :func:`predict` and :func:`predict_proba` read them."""
    check_images(x)
    dev = get_device(device) if device is not None else next(model.parameters()).device
    model.to(dev).eval()
    return _batched(model, x, batch_size, dev)


def predict(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000, device: DeviceLike = None) -> torch.Tensor:
    """Predicted digit for each image: ``(N, 1, 28, 28)`` → ``(N,)`` int64 (on the model's device)."""
    return logits(model, x, batch_size, device).argmax(dim=1)


def predict_proba(model: MNISTClassifier, x: torch.Tensor, batch_size: int = 1000,
                  device: DeviceLike = None) -> torch.Tensor:
    """The classifier's probability of each digit: ``(N, 1, 28, 28)`` → ``(N, 10)``, rows summing to 1 (on the
    model's device). Its maximum is the classifier's confidence, e.g. to count only the samples it is sure of."""
    return logits(model, x, batch_size, device).softmax(dim=1)


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


def load_classifier(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[MNISTClassifier, dict[str, Any]]:
    """Load a classifier checkpoint (default: the shipped ``classifier_offline``). Returns ``(model, card)``."""
    path = shipped_checkpoint("classifier_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, MNISTClassifier, KIND, device=device)
    return model, card  # type: ignore[return-value]


def heldout_accuracy(model: MNISTClassifier, x_heldout: torch.Tensor, y_heldout: torch.Tensor) -> dict[str, Any]:
    """What ``python -m course_lib evaluate`` prints for a classifier: its accuracy on the held-out digits."""
    return {"accuracy": round(accuracy(model, x_heldout, y_heldout), 4), "n": len(x_heldout)}


# ------------------------------------------------------------------------------------ the registry's hooks
def config_of(model: MNISTClassifier) -> dict[str, Any]:
    return {"channels": model.config["channels"], "hidden": model.config["hidden"]}


def task_from_run(run: Any) -> ClassifierTask:
    o = run.options
    x_train, y_train = run.load("train")
    x_held, y_held = run.load("heldout")
    x_train, y_train = select_training_set(x_train, y_train, train_size=o["train_size"])
    model = run.model if run.model is not None else MNISTClassifier(channels=o["channels"], hidden=o["hidden"])
    return ClassifierTask(model, x_train, y_train, epochs=run.epochs, batch_size=run.batch_size, lr=run.lr,
                          device=run.device, x_eval=x_held, y_eval=y_held, augment=o["augment"], seed=run.seed,
                          compile=run.config.compile,
                          eval_name="heldout_accuracy" if run.data == "offline" else "test_accuracy")


def card_extra(run: Any, task: ClassifierTask) -> dict[str, Any]:
    return {"augment_shift_px": task.augment, "lr_schedule": "one-cycle (torch.optim.lr_scheduler.OneCycleLR)"}
