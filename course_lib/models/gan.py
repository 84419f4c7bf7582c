"""Generative adversarial networks (GANs): the losses, one training step, and a 2-D toy to watch them work.

Goodfellow et al. (2014) set up a two-player game with the value

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))],

which the discriminator D maximises and the generator G minimises. This module keeps the two sides apart,
because they are different losses:

* :func:`discriminator_loss` — D's side, the binary cross-entropy ``-[log D(x) + log(1 - D(G(z)))]``
  (that is ``-V``), real samples labelled 1 and generated ones 0;
* :func:`generator_loss` — G's side: ``log(1 - D(G(z)))`` (the "saturating" loss of the minimax game) or
  ``-log D(G(z))`` (the "non-saturating" loss that practice uses).

Both work on **logits** (``D(x) = sigmoid(logit)``) through ``F.binary_cross_entropy_with_logits``, which is
numerically stable where ``D`` is close to 0 or 1. :func:`gan_train_step` performs one alternating update
(``d_steps`` discriminator steps, then one generator step) and is shared by the 2-D toy of chapter 2 and the
MNIST DCGAN of chapter 5. The rest is the chapter-2 toy: :class:`MLPGenerator`, :class:`MLPDiscriminator`,
:func:`ring_of_gaussians` (8 Gaussians on a circle), :func:`mode_coverage` (how many modes a generator
covers, and how evenly), :func:`energy_distance` and the loop :func:`train_gan`.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer

from ..device import DeviceLike, get_device
from ..optim import make_optimizer
from ..training import Task, autocast, train_loop

__all__ = [
    "GeneratorLossKind",
    "discriminator_loss",
    "generator_loss",
    "gan_train_step",
    "MLPGenerator",
    "MLPDiscriminator",
    "ring_centers",
    "ring_of_gaussians",
    "ModeCoverage",
    "mode_coverage",
    "energy_distance",
    "fit_discriminator",
    "GANHistory",
    "GANToyTask",
    "train_gan",
]

GeneratorLossKind = Literal["non_saturating", "saturating"]
_KINDS = ("non_saturating", "saturating")


# ----------------------------------------------------------------------------------------------- losses
def _check_logits(name: str, logits: Tensor) -> None:
    if not isinstance(logits, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of logits, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of logits, got dtype {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty: pass the discriminator's logits for a non-empty minibatch")


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's loss: mean binary cross-entropy ``-[log D(x) + log(1 - D(G(z)))]``.

    Real samples carry the label 1 and generated ones the label 0, so this is ``-V(D, G)`` estimated on a
    minibatch. It is **only the discriminator's side** of the game; the generator has its own loss
    (:func:`generator_loss`).

    Args:
        real_logits: discriminator logits on real samples, any shape, e.g. ``(B,)`` or ``(B, 1)``.
        fake_logits: discriminator logits on generated samples, any shape (its size may differ from
            ``real_logits``).

    Returns:
        A scalar tensor: ``mean(-log sigmoid(real_logits)) + mean(-log(1 - sigmoid(fake_logits)))``,
        computed stably from logits.
    """
    _check_logits("real_logits", real_logits)
    _check_logits("fake_logits", fake_logits)
    loss_real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    loss_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return loss_real + loss_fake


def generator_loss(fake_logits: Tensor, kind: GeneratorLossKind = "non_saturating") -> Tensor:
    """The generator's loss, from the discriminator's logits on generated samples.

    Args:
        fake_logits: discriminator logits on ``G(z)``, any shape.
        kind: ``"non_saturating"`` — mean ``-log D(G(z))`` (what practice uses; strong gradients when D
            rejects the fakes); ``"saturating"`` — mean ``log(1 - D(G(z)))``, the generator's term of the
            minimax value ``V`` (its gradient vanishes when D rejects the fakes).

    Returns:
        A scalar tensor. The saturating loss is ``<= 0``; the non-saturating one is ``>= 0``.
    """
    _check_logits("fake_logits", fake_logits)
    if kind == "non_saturating":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind == "saturating":
        # log(1 - sigmoid(l)) = -BCE(l, label 0)
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")


# ----------------------------------------------------------------------------------------------- one step
@contextlib.contextmanager
def _frozen(module: nn.Module) -> Iterator[None]:
    """Temporarily stop gradients from accumulating in ``module``'s parameters."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


def _sample_z(batch: int, z_dim: int, device: torch.device, rng: torch.Generator | None) -> Tensor:
    return torch.randn(batch, z_dim, device=device, generator=rng)


def gan_train_step(
    generator: nn.Module,
    discriminator: nn.Module,
    opt_g: Optimizer,
    opt_d: Optimizer,
    real: Tensor,
    z_dim: int,
    kind: str = "non_saturating",
    d_steps: int = 1,
    generator_rng: torch.Generator | None = None,
    discriminator_for_g: nn.Module | None = None,
) -> dict[str, Tensor]:
    """One alternating GAN update: ``d_steps`` discriminator steps, then one generator step.

    Each discriminator step draws fresh noise ``z ~ N(0, I)`` of shape ``(B, z_dim)``, makes fakes
    ``G(z)`` without tracking the generator's gradients, and descends :func:`discriminator_loss`. The
    generator step draws fresh noise and descends :func:`generator_loss` of the given ``kind``, with the
    discriminator's parameters frozen (gradients flow *through* D into G, but D is not changed).
    On CUDA the forward passes run under bf16 autocast; the losses are computed in float32.

    Args:
        generator: maps ``(B, z_dim)`` noise to samples of the same shape as ``real``.
        discriminator: maps samples ``(B, ...)`` to logits ``(B,)`` or ``(B, 1)`` (or fewer, for a packing
            discriminator).
        opt_g, opt_d: optimisers over the generator's and the discriminator's parameters.
        real: a minibatch of real samples, shape ``(B, ...)``, on the device the models live on.
        z_dim: the noise dimension.
        kind: the generator loss, ``"non_saturating"`` (default) or ``"saturating"``.
        d_steps: discriminator steps per generator step (>= 1); the same ``real`` minibatch is used for each.
        generator_rng: an optional ``torch.Generator`` on ``real.device`` for the noise (reproducible runs).
        discriminator_for_g: the module the generator step calls (default ``discriminator``). Under
            DistributedDataParallel pass the unwrapped discriminator here: its parameters are frozen in that step,
            and a DDP wrapper would wait for their gradients.

    Returns:
        ``{"loss_d", "loss_g", "d_real", "d_fake"}`` as detached 0-dim tensors on the device (turning them into
        Python floats every step would force a GPU synchronisation per step; callers convert when they log): the
        last discriminator loss, the
        generator loss, and the mean ``D(x)`` on the real and mean ``D(G(z))`` on the generated samples
        seen by the last discriminator step (before its update).
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if not isinstance(real, Tensor) or real.dim() < 2 or real.shape[0] == 0:
        shape = tuple(real.shape) if isinstance(real, Tensor) else type(real).__name__
        raise ValueError(f"real must be a minibatch tensor of shape (B, ...) with B >= 1, got {shape}")
    if not isinstance(z_dim, int) or z_dim < 1:
        raise ValueError(f"z_dim must be a positive int, got {z_dim!r}")
    if not isinstance(d_steps, int) or d_steps < 1:
        raise ValueError(f"d_steps must be an int >= 1, got {d_steps!r}")
    device = real.device
    if generator_rng is not None and generator_rng.device.type != device.type:
        raise ValueError(
            f"generator_rng lives on {generator_rng.device} but real is on {device}: "
            "create the torch.Generator on the same device as the data"
        )
    for name, module in (("generator", generator), ("discriminator", discriminator)):
        p = next(module.parameters(), None)
        if p is not None and p.device.type != device.type:
            raise ValueError(f"the {name} is on {p.device} but real is on {device}: move both to one device")
    batch = real.shape[0]
    generator.train()
    discriminator.train()

    loss_d = torch.zeros((), device=device)
    d_real = d_fake = torch.zeros((), device=device)
    for _ in range(d_steps):
        z = _sample_z(batch, z_dim, device, generator_rng)
        with torch.no_grad(), autocast(device):
            fake = generator(z)
        if fake.shape != real.shape:
            raise ValueError(f"the generator made samples of shape {tuple(fake.shape)}, but real has shape "
                             f"{tuple(real.shape)}: they must match")
        with autocast(device):
            real_logits = discriminator(real)
            fake_logits = discriminator(fake)
        real_logits, fake_logits = real_logits.float(), fake_logits.float()
        loss_d = discriminator_loss(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d_real = torch.sigmoid(real_logits.detach()).mean()
        d_fake = torch.sigmoid(fake_logits.detach()).mean()

    z = _sample_z(batch, z_dim, device, generator_rng)
    d_for_g = discriminator if discriminator_for_g is None else discriminator_for_g
    with _frozen(d_for_g):
        with autocast(device):
            fake_logits = d_for_g(generator(z))
        loss_g = generator_loss(fake_logits.float(), kind)  # type: ignore[arg-type]
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "d_real": d_real, "d_fake": d_fake}


# ----------------------------------------------------------------------------------------------- models
def _mlp(sizes: list[int], act: type[nn.Module], **act_kwargs: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act(**act_kwargs))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """A small fully connected generator: noise ``(B, z_dim)`` -> samples ``(B, out_dim)``.

    ``layers`` hidden layers of width ``hidden`` with ReLU, and a linear output (samples are unbounded).
    """

    def __init__(self, z_dim: int = 2, out_dim: int = 2, hidden: int = 128, layers: int = 3) -> None:
        super().__init__()
        if min(z_dim, out_dim, hidden, layers) < 1:
            raise ValueError("z_dim, out_dim, hidden and layers must all be >= 1")
        self.z_dim, self.out_dim = z_dim, out_dim
        self.net = _mlp([z_dim] + [hidden] * layers + [out_dim], nn.ReLU)

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"expected noise of shape (B, {self.z_dim}), got {tuple(z.shape)}")
        return self.net(z)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples ``(n, out_dim)`` (points in the plane for the chapter-2 toy) from noise ``z ~ N(0, I)``."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        dev = next(self.parameters()).device
        return self(torch.randn(n, self.z_dim, device=dev, generator=generator))


class MLPDiscriminator(nn.Module):
    """A small fully connected discriminator: samples ``(B, in_dim)`` -> logits ``(B // pack,)``.

    ``D(x) = sigmoid(logit)``. Hidden layers use LeakyReLU(0.2).

    ``pack > 1`` makes it a *packing* discriminator (PacGAN, Lin et al. 2018): it judges ``pack`` samples
    at once, all real or all generated, by concatenating them into one input of size ``pack * in_dim``.
    A generator that puts all its samples on one mode makes packs that look alike, which real packs
    (drawn from all modes) do not, so the discriminator can penalise mode collapse. ``B`` must then be a
    multiple of ``pack``.
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, layers: int = 3, pack: int = 1) -> None:
        super().__init__()
        if min(in_dim, hidden, layers, pack) < 1:
            raise ValueError("in_dim, hidden, layers and pack must all be >= 1")
        self.in_dim, self.pack = in_dim, pack
        self.net = _mlp([in_dim * pack] + [hidden] * layers + [1], nn.LeakyReLU, negative_slope=0.2)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected samples of shape (B, {self.in_dim}), got {tuple(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"a packing discriminator (pack={self.pack}) needs a batch size that is a "
                             f"multiple of {self.pack}, got {x.shape[0]}")
        return self.net(x.reshape(x.shape[0] // self.pack, self.pack * self.in_dim)).squeeze(-1)


# ----------------------------------------------------------------------------------------------- toy data
def ring_centers(modes: int = 8, radius: float = 2.0, device: DeviceLike = "cpu") -> Tensor:
    """The ``modes`` centres ``(radius cos 2πk/K, radius sin 2πk/K)``, shape ``(modes, 2)``."""
    if modes < 1 or radius <= 0:
        raise ValueError(f"need modes >= 1 and radius > 0, got modes={modes}, radius={radius}")
    angles = torch.arange(modes, dtype=torch.float32) * (2 * math.pi / modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).to(get_device(device))


def ring_of_gaussians(
    n: int,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    generator: torch.Generator | None = None,
    device: DeviceLike = "cpu",
) -> Tensor:
    """``n`` samples from an equal-weight mixture of ``modes`` isotropic Gaussians on a circle.

    Args:
        n: number of samples.
        modes, radius: the centres (see :func:`ring_centers`).
        std: standard deviation of each Gaussian.
        generator: optional ``torch.Generator`` (on ``device``) for reproducible samples.
        device: where the samples are made.

    Returns:
        A float32 tensor of shape ``(n, 2)``.
    """
    if n < 1 or std < 0:
        raise ValueError(f"need n >= 1 and std >= 0, got n={n}, std={std}")
    dev = get_device(device)
    centers = ring_centers(modes, radius, dev)
    idx = torch.randint(modes, (n,), generator=generator, device=dev)
    return centers[idx] + std * torch.randn(n, 2, generator=generator, device=dev)


@dataclass
class ModeCoverage:
    """How a set of 2-D samples covers the modes of a ring of Gaussians (see :func:`mode_coverage`)."""

    modes_covered: int
    """modes that received at least ``min_share`` of all samples as high-quality samples"""
    high_quality: float
    """fraction of samples within ``sigmas`` standard deviations of their nearest centre"""
    kl_to_uniform: float
    """KL(p̂ ‖ uniform) in nats, p̂ the share of high-quality samples per mode: 0 when perfectly even,
    log(modes) when all sit on one mode"""
    counts: list[int] = field(default_factory=list)
    """high-quality samples per mode"""


def mode_coverage(
    samples: Tensor,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    sigmas: float = 3.0,
    min_share: float | None = None,
) -> ModeCoverage:
    """Measure mode coverage of 2-D ``samples`` (shape ``(N, 2)``) against a ring of Gaussians.

    A sample is *high quality* if it lies within ``sigmas * std`` of its nearest centre. A mode is *covered*
    if at least ``min_share * N`` high-quality samples sit on it (default ``min_share``: a quarter of the
    fair share ``1 / modes``). Evenness is ``KL(p̂ ‖ uniform) = log K - H(p̂)`` over the high-quality samples.
    """
    if samples.dim() != 2 or samples.shape[1] != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must have shape (N, 2) with N >= 1, got {tuple(samples.shape)}")
    share = 0.25 / modes if min_share is None else min_share
    x = samples.detach().float().cpu()
    centers = ring_centers(modes, radius)
    dist = torch.cdist(x, centers)
    nearest_d, nearest = dist.min(dim=1)
    good = nearest_d <= sigmas * std
    counts = torch.bincount(nearest[good], minlength=modes)
    covered = int((counts >= share * x.shape[0]).sum())
    total = int(counts.sum())
    if total == 0:
        kl = math.log(modes)
    else:
        p = counts.double() / total
        nz = p[p > 0]
        kl = float(math.log(modes) + (nz * nz.log()).sum())
    return ModeCoverage(covered, float(good.float().mean()), kl, counts.tolist())


def energy_distance(x: Tensor, y: Tensor) -> float:
    """The (squared) energy distance ``2 E|X-Y| - E|X-X'| - E|Y-Y'|`` between two samples ``(N, d)``, ``(M, d)``.

    It is >= 0 in expectation and 0 only when the two distributions agree (Székely & Rizzo); here a plug-in
    estimate (V-statistic) on the given samples.
    """
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (N, d) and (M, d) with the same d, got {tuple(x.shape)}, {tuple(y.shape)}")
    x, y = x.detach().double(), y.detach().double().to(x.device)
    return float(2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean())


# ----------------------------------------------------------------------------------------------- training
def fit_discriminator(
    discriminator: nn.Module,
    real: Tensor,
    fake: Tensor,
    steps: int = 500,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """Train ``discriminator`` alone to tell two **fixed** sample sets apart (the generator is frozen).

    This is the inner maximisation of the GAN game: for a fixed ``p_g``, the loss is minimised by
    ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``. Minibatches are drawn by index from ``real`` ``(N, d)``
    and ``fake`` ``(M, d)``, which must live on the discriminator's device.

    Returns:
        The discriminator loss at every step.
    """
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be (N, d) and (M, d), got {tuple(real.shape)} and {tuple(fake.shape)}")
    device = real.device
    rng = torch.Generator(device=device)
    rng.manual_seed(seed)
    opt = make_optimizer(discriminator.parameters(), lr, device, fused=False)  # PyTorch's default Adam
    losses = []
    discriminator.train()
    for _ in range(steps):
        i = torch.randint(real.shape[0], (batch_size,), generator=rng, device=device)
        j = torch.randint(fake.shape[0], (batch_size,), generator=rng, device=device)
        with autocast(device):
            real_logits, fake_logits = discriminator(real[i]), discriminator(fake[j])
        # the loss in (at least) float32; a float64 discriminator (a portable small experiment) stays in float64
        dtype = torch.promote_types(real_logits.dtype, torch.float32)
        loss = discriminator_loss(real_logits.to(dtype), fake_logits.to(dtype))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@dataclass
class GANHistory:
    """What :func:`train_gan` records: the per-step trace of the game and snapshots of samples from a fixed noise batch.

    The chapter studies the game step by step (does D(x) settle at 1/2? does the generator collapse?), so the toy
    keeps every step; :attr:`periods` is the spine's usual history, one dict per ``snapshot_every`` steps.
    """

    loss_d: list[float] = field(default_factory=list)
    loss_g: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[Tensor] = field(default_factory=list)
    """generated samples (on the CPU) at each of ``snapshot_steps``, all from the same noise"""
    periods: list[dict] = field(default_factory=list)
    """the spine's history (:func:`course_lib.training.train_loop`): mean statistics of each period of steps"""


class GANToyTask(Task):
    """The 2-D GAN of chapter 2: alternating steps (:func:`gan_train_step`) on minibatches drawn with replacement.

    One "epoch" of the spine is ``snapshot_every`` generator steps, after which a snapshot of samples from a fixed
    noise batch is taken. Both players use PyTorch's default Adam (the chapter's printed numbers were made so).
    """

    kind = "gan_toy"

    def __init__(self, data: Tensor, generator: nn.Module, discriminator: nn.Module, *, steps: int, batch_size: int,
                 z_dim: int, lr_g: float, lr_d: float, betas: tuple[float, float], loss: GeneratorLossKind,
                 d_steps: int, snapshot_every: int, n_snapshot: int, seed: int, device: DeviceLike) -> None:
        if data.dim() != 2 or data.shape[0] < batch_size:
            raise ValueError(f"data must be (N, d) with N >= batch_size={batch_size}, got {tuple(data.shape)}")
        if steps < 1 or snapshot_every < 1:
            raise ValueError(f"need steps >= 1 and snapshot_every >= 1, got {steps} and {snapshot_every}")
        super().__init__(nn.ModuleDict({"generator": generator, "discriminator": discriminator}), device)
        self.g, self.d = generator, discriminator
        self.data = data.to(self.device)
        self.steps, self.batch_size, self.z_dim, self.loss, self.d_steps = steps, batch_size, z_dim, loss, d_steps
        self.snapshot_every = snapshot_every
        self.rng = torch.Generator(device=self.device)
        self.rng.manual_seed(seed)
        self.z_fixed = torch.randn(n_snapshot, z_dim, generator=self.rng, device=self.device)
        self.optimizer(generator.parameters(), "g", lr=lr_g, betas=betas, fused=False)
        self.optimizer(discriminator.parameters(), "d", lr=lr_d, betas=betas, fused=False)
        self.trace = GANHistory()
        self._step = 0

    @property
    def epochs(self) -> int:
        return math.ceil(self.steps / self.snapshot_every)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        first, last = epoch * self.snapshot_every + 1, min((epoch + 1) * self.snapshot_every, self.steps)
        stats: dict[str, list[Tensor]] = {"loss_d": [], "loss_g": [], "d_real": [], "d_fake": []}
        for _ in range(first, last + 1):
            idx = torch.randint(self.data.shape[0], (self.batch_size,), generator=self.rng, device=self.device)
            out = gan_train_step(self.g, self.d, self.optimizers["g"], self.optimizers["d"], self.data[idx],
                                 self.z_dim, self.loss, self.d_steps, self.rng)
            for k in stats:
                stats[k].append(out[k])
        self._step = last
        record: dict[str, float] = {"step": last}
        for k, values in stats.items():
            floats = torch.stack(values).tolist()  # one device-to-host copy per period
            getattr(self.trace, k).extend(floats)
            record[k] = sum(floats) / len(floats)
        return record

    def snapshot(self) -> None:
        self.g.eval()
        with torch.no_grad(), autocast(self.device):
            self.trace.snapshots.append(self.g(self.z_fixed).float().cpu())
        self.trace.snapshot_steps.append(self._step)

    def evaluate(self) -> dict[str, float]:
        self.snapshot()
        return {}


def train_gan(
    data: Tensor,
    generator: nn.Module,
    discriminator: nn.Module,
    steps: int = 2000,
    batch_size: int = 256,
    z_dim: int = 2,
    lr_g: float = 1e-3,
    lr_d: float = 1e-3,
    betas: tuple[float, float] = (0.5, 0.999),
    kind: GeneratorLossKind = "non_saturating",
    d_steps: int = 1,
    snapshot_every: int = 250,
    n_snapshot: int = 1000,
    seed: int = 0,
    device: DeviceLike = "auto",
    progress: bool = False,
) -> GANHistory:
    """Train a GAN with Adam and :func:`gan_train_step` on a data tensor kept on the device, through
    :func:`course_lib.training.train_loop` with a :class:`GANToyTask`.

    Args:
        data: the training set, shape ``(N, d)``; moved to ``device`` once, minibatches drawn by index.
        generator, discriminator: the two networks (moved to ``device``).
        steps: generator updates.
        batch_size: minibatch size (a multiple of the discriminator's ``pack``, if it has one).
        z_dim: noise dimension (must match the generator).
        lr_g, lr_d, betas: Adam settings of each player.
        kind: generator loss, ``"non_saturating"`` or ``"saturating"``.
        d_steps: discriminator steps per generator step.
        snapshot_every: record ``n_snapshot`` generated samples (from one fixed noise batch) every this many
            steps, and at steps 0 and ``steps``.
        seed: seeds the minibatch indices, the noise, and (on the CPU RNG) nothing else; initialise the
            networks under your own seed before calling.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, …
        progress: a tqdm bar over the periods of ``snapshot_every`` steps.

    Returns:
        A :class:`GANHistory`.
    """
    task = GANToyTask(data, generator, discriminator, steps=steps, batch_size=batch_size, z_dim=z_dim, lr_g=lr_g,
                      lr_d=lr_d, betas=betas, loss=kind, d_steps=d_steps, snapshot_every=snapshot_every,
                      n_snapshot=n_snapshot, seed=seed, device=device)
    task.snapshot()  # step 0
    task.trace.periods = train_loop(task, task.epochs, progress_bar=progress, desc="gan")
    return task.trace
