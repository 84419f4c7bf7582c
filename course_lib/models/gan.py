"""Chapter 2's GAN: a 2-D toy to watch the game work (and fail), and the GAN losses it is played with.

Everything chapter 2 uses is importable from here. The game itself — :func:`discriminator_loss`,
:func:`generator_loss` (saturating or non-saturating) and one alternating update :func:`gan_train_step` — lives in
:mod:`course_lib.models.gan_game`, because chapter 5's DCGAN (:mod:`course_lib.models.dcgan`) plays it too; it is
re-exported here. This module is the toy around it, chapter 2's teaching apparatus (chapter 7 reuses its ring):
:class:`MLPGenerator`, :class:`MLPDiscriminator` (optionally packing, PacGAN), :func:`ring_of_gaussians`
(8 Gaussians on a circle), :func:`mode_coverage` (how many modes a generator covers, and how evenly),
:func:`energy_distance`, :func:`fit_discriminator` (the inner maximisation, the generator frozen) and the loop
:func:`train_gan` (its :class:`GANToyTask` records every step for the chapter's plots). The ring experiments run
over many seeds once and stored (chapters 2 and 7) are :mod:`course_lib.ring_study`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ..device import DeviceLike, get_device
from ..optim import make_optimizer
from ..training import Task, autocast, train_loop
from .gan_game import GeneratorLossKind, discriminator_loss, gan_train_step, generator_loss

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
