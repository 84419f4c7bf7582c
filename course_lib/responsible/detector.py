"""Telling generated digits from real ones: a small CNN detector.

A binary classifier (label 1 = generated) trained on real training digits against samples of one generator.
Chapter 6 asks how well it does on held-out samples of that generator and on samples of a generator it never
saw — detection as a safeguard only works if it generalises.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..checkpoint import library_versions, load_study, save_study, shipped_checkpoint
from ..data import load_offline_mnist, minibatch_indices
from ..device import DeviceLike, get_device
from ..models.dcgan import load_dcgan

__all__ = ["RealFakeCNN", "DetectorFit", "fit_detector", "train_detector", "as_8bit", "run_detector_study",
           "save_detector_study", "load_detector_study", "SHIPPED_DETECTOR", "DETECTOR_SETTINGS", "predict_generated", "detector_accuracy"]


class RealFakeCNN(nn.Module):
    """``(N, 1, 28, 28)`` → one logit per image (> 0: "generated"). Two strided convolutions and a linear layer."""

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.LeakyReLU(0.2),           # 28 -> 14
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.LeakyReLU(0.2),       # 14 -> 7
            nn.Flatten(), nn.Linear(2 * c * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"the detector takes images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        return self.net(x).squeeze(1)


@dataclass
class DetectorFit:
    """What :func:`fit_detector` returns: the model at its best epoch and the validation curve that chose it."""

    model: RealFakeCNN
    val_accuracy: list[float]
    """balanced accuracy on the validation images after each epoch"""
    best_epoch: int
    """1-based epoch whose weights ``model`` holds (0 = no validation: the last epoch's)"""


def fit_detector(real: torch.Tensor, fake: torch.Tensor, max_epochs: int = 50, patience: int = 3,
                 val_fraction: float = 0.2, batch_size: int = 64, lr: float = 1e-3, seed: int = 0,
                 channels: int = 16, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu") -> DetectorFit:
    """Train a :class:`RealFakeCNN` with Adam on ``real`` (label 0) and ``fake`` (label 1) images in ``[0, 1]``
    until its balanced accuracy on held-back validation images stops improving.

    Args:
        real, fake: ``(N, 1, 28, 28)`` images; a random ``val_fraction`` of each (drawn with ``seed``) is held back
            for validation (``0``: train on all of them for exactly ``max_epochs`` epochs).
        max_epochs: at most this many epochs.
        patience: stop after this many epochs without a better validation accuracy; the best epoch's weights are kept.
        dtype: ``torch.float64`` by default: the detector is small, and in double precision its trained weights (so
            the accuracies printed from it) are the same on every CPU.

    Returns:
        :class:`DetectorFit`.
    """
    for name, t in (("real", real), ("fake", fake)):
        if t.dim() != 4 or tuple(t.shape[1:]) != (1, 28, 28) or len(t) == 0:
            raise ValueError(f"{name} must be a non-empty (N, 1, 28, 28) tensor, got {tuple(t.shape)}")
    if not 0 <= val_fraction < 1 or max_epochs < 1 or patience < 1:
        raise ValueError(f"need 0 <= val_fraction < 1, max_epochs >= 1, patience >= 1; got {val_fraction}, "
                         f"{max_epochs}, {patience}")
    n_val_r, n_val_f = int(len(real) * val_fraction), int(len(fake) * val_fraction)
    if val_fraction > 0 and min(n_val_r, n_val_f, len(real) - n_val_r, len(fake) - n_val_f) < 1:
        raise ValueError("too few images to hold back a validation part of each set")
    # a random part of each set (seeded), not its tail: sets are often ordered (by class, by time)
    split = torch.Generator().manual_seed(seed)
    real = real[torch.randperm(len(real), generator=split)]
    fake = fake[torch.randperm(len(fake), generator=split)]
    real_tr, real_val = real[:len(real) - n_val_r], real[len(real) - n_val_r:]
    fake_tr, fake_val = fake[:len(fake) - n_val_f], fake[len(fake) - n_val_f:]
    dev = get_device(device)
    torch.manual_seed(seed)
    model = RealFakeCNN(channels).to(device=dev, dtype=dtype)
    x = torch.cat([real_tr, fake_tr]).to(device=dev, dtype=dtype)
    y = torch.cat([torch.zeros(len(real_tr)), torch.ones(len(fake_tr))]).to(device=dev, dtype=dtype)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    curve: list[float] = []
    best, best_epoch, best_state = -1.0, 0, None
    for epoch in range(1, max_epochs + 1):
        model.train()
        for idx in minibatch_indices(len(x), batch_size, dev, gen):
            loss = F.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if val_fraction == 0:
            continue
        acc = detector_accuracy(model, real_val, fake_val)["accuracy"]
        curve.append(acc)
        if acc > best:
            best, best_epoch = acc, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    return DetectorFit(model.eval(), curve, best_epoch)


def train_detector(real: torch.Tensor, fake: torch.Tensor, epochs: int = 5, batch_size: int = 64,
                   lr: float = 1e-3, seed: int = 0, channels: int = 16, device: DeviceLike = "cpu") -> RealFakeCNN:
    """Train a :class:`RealFakeCNN` for exactly ``epochs`` epochs on all of ``real`` and ``fake`` (no validation;
    :func:`fit_detector` stops when held-back accuracy stops improving)."""
    return fit_detector(real, fake, max_epochs=epochs, val_fraction=0.0, batch_size=batch_size, lr=lr, seed=seed,
                        channels=channels, device=device).model


@torch.no_grad()
def predict_generated(model: RealFakeCNN, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``(N,)`` booleans: does the detector call each image generated?"""
    p = next(model.parameters())
    model.eval()
    return torch.cat([model(x[i:i + batch_size].to(device=p.device, dtype=p.dtype)).cpu() > 0
                      for i in range(0, len(x), batch_size)])


def detector_accuracy(model: RealFakeCNN, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
    """``{"accuracy", "real_correct", "fake_caught"}`` on equal-weight real and generated sets (balanced accuracy)."""
    real_ok = float((~predict_generated(model, real)).float().mean())
    fake_ok = float(predict_generated(model, fake).float().mean())
    return {"accuracy": (real_ok + fake_ok) / 2, "real_correct": real_ok, "fake_caught": fake_ok}


# ----------------------------------------------------------------------------------------------------------
# chapter 6's detector, trained once by the command line: python -m course_lib study detector
# ----------------------------------------------------------------------------------------------------------
SHIPPED_DETECTOR = Path(__file__).resolve().parents[1] / "studies" / "detector.safetensors"
DETECTOR_SETTINGS = {"channels": 32, "lr": 1e-3, "max_epochs": 80, "patience": 8, "val_fraction": 0.2,
                     "fake_seed": 7, "seed": 0}
"""the shipped detector's recipe: all 4,000 offline training digits against 4,000 DCGAN samples (8-bit)"""


def as_8bit(x: torch.Tensor) -> torch.Tensor:
    """Images in ``[0, 1]`` rounded to the 256 grey levels an 8-bit image file holds (real MNIST digits are 8-bit;
    unrounded generator outputs would give themselves away by never being exactly 0)."""
    return (x * 255).round() / 255


def run_detector_study(settings: dict | None = None) -> DetectorFit:
    """Train chapter 6's detector: the offline training digits against as many samples of the shipped
    ``dcgan_offline`` (8-bit), until the validation accuracy has not improved for ``patience`` epochs."""

    s = dict(DETECTOR_SETTINGS, **(settings or {}))
    x_train, _ = load_offline_mnist("train")
    dcgan, _ = load_dcgan(shipped_checkpoint("dcgan_offline"))
    fake = as_8bit(dcgan.sampling_generator.sample(len(x_train), generator=torch.Generator().manual_seed(s["fake_seed"])))
    return fit_detector(x_train, fake, max_epochs=s["max_epochs"], patience=s["patience"],
                        val_fraction=s["val_fraction"], lr=s["lr"], seed=s["seed"], channels=s["channels"])


def save_detector_study(fit: DetectorFit, path: str | Path, command: str | None = None,
                        settings: dict | None = None) -> Path:
    """Write the detector's weights (float64) and its validation curve to one safetensors file."""
    header = {"settings": dict(DETECTOR_SETTINGS, **(settings or {})), "val_accuracy": fit.val_accuracy,
              "best_epoch": fit.best_epoch, "command": command, "versions": library_versions()}
    return save_study(path, dict(fit.model.state_dict()), "detector_study", header)


def load_detector_study(path: str | Path | None = None) -> tuple[DetectorFit, dict]:
    """The detector written by :func:`save_detector_study` (default: the shipped one) and its header."""
    path = Path(path) if path is not None else SHIPPED_DETECTOR
    state, header = load_study(path, "detector_study", f"python -m course_lib study detector --out {path}")
    model = RealFakeCNN(header["settings"]["channels"]).double()
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ValueError(f"{path} does not fit RealFakeCNN({header['settings']['channels']}): {exc}") from None
    return DetectorFit(model.eval(), list(header["val_accuracy"]), int(header["best_epoch"])), header
