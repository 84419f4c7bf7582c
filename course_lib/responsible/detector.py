"""Telling generated digits from real ones: a small CNN detector.

A binary classifier (label 1 = generated) trained on real training digits against samples of one generator.
Chapter 6 asks how well it does on held-out samples of that generator and on samples of a generator it never
saw — detection as a safeguard only works if it generalises.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..device import DeviceLike, get_device
from ..training import minibatch_indices

__all__ = ["RealFakeCNN", "train_detector", "predict_generated", "detector_accuracy"]


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


def train_detector(real: torch.Tensor, fake: torch.Tensor, epochs: int = 5, batch_size: int = 64,
                   lr: float = 1e-3, seed: int = 0, channels: int = 16, device: DeviceLike = "cpu") -> RealFakeCNN:
    """Train a :class:`RealFakeCNN` with Adam on ``real`` (label 0) and ``fake`` (label 1) images in ``[0, 1]``."""
    for name, t in (("real", real), ("fake", fake)):
        if t.dim() != 4 or tuple(t.shape[1:]) != (1, 28, 28) or len(t) == 0:
            raise ValueError(f"{name} must be a non-empty (N, 1, 28, 28) tensor, got {tuple(t.shape)}")
    dev = get_device(device)
    torch.manual_seed(seed)
    model = RealFakeCNN(channels).to(dev)
    x = torch.cat([real, fake]).to(dev)
    y = torch.cat([torch.zeros(len(real)), torch.ones(len(fake))]).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for idx in minibatch_indices(len(x), batch_size, dev, gen):
            loss = F.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def predict_generated(model: RealFakeCNN, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``(N,)`` booleans: does the detector call each image generated?"""
    dev = next(model.parameters()).device
    model.eval()
    return torch.cat([model(x[i:i + batch_size].to(dev)).cpu() > 0 for i in range(0, len(x), batch_size)])


def detector_accuracy(model: RealFakeCNN, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
    """``{"accuracy", "real_correct", "fake_caught"}`` on equal-weight real and generated sets (balanced accuracy)."""
    real_ok = float((~predict_generated(model, real)).float().mean())
    fake_ok = float(predict_generated(model, fake).float().mean())
    return {"accuracy": (real_ok + fake_ok) / 2, "real_correct": real_ok, "fake_caught": fake_ok}
