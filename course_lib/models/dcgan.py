"""A DCGAN for MNIST: a transposed-convolution generator (7 → 14 → 28) and a convolutional discriminator.

Radford, Metz & Chintala (2016) made GANs train reliably on images with a few rules: the generator
*upsamples* with strided transposed convolutions, the discriminator *downsamples* with strided convolutions,
batch normalisation in both (not on the generator's output or the discriminator's input), ReLU in the
generator, LeakyReLU(0.2) in the discriminator, Adam with ``lr = 2e-4`` and ``beta1 = 0.5``.

Generator ``z (N, z_dim) → Linear → (N, 2c, 7, 7) → ConvT 7→14 → (N, c, 14, 14) → ConvT 14→28 → (N, 1, 28, 28)``,
with a sigmoid at the end so that samples are grey levels in ``[0, 1]`` like the data.

Why not just ``Dense(128·7·7) → reshape(7, 7, 128) → Dense(1)``? A dense layer applied to a ``(7, 7, 128)``
tensor acts on the last axis only, so it gives ``(7, 7, 1)``: a 7 × 7 image, not 28 × 28. Going from 7 to 28
needs layers that *increase* the spatial size — here two transposed convolutions with stride 2.

The training step is :func:`course_lib.models.gan_game.gan_train_step` (non-saturating generator loss by default).
Command line: ``python -m course_lib train dcgan [--data full] ...``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from ..checkpoint import CheckpointError, load_checkpoint, shipped_checkpoint
from ..data import check_images, minibatch_indices, select_training_set
from ..device import DeviceLike
from ..distributed import shard, world
from ..metrics import class_coverage, frechet_distance
from .classifier import load_classifier
from ..training import Callback, Task, maybe_compile, train_loop
from .gan_game import gan_train_step

__all__ = [
    "DCGANGenerator",
    "DCGANDiscriminator",
    "DCGAN",
    "DCGANTask",
    "make_dcgan",
    "train_dcgan",
    "load_dcgan",
    "load_snapshots",
    "config_of",
    "KIND",
]

KIND = "dcgan"


class DCGANGenerator(nn.Module):
    """``z (N, z_dim)`` → images ``(N, 1, 28, 28)`` in ``[0, 1]`` (upsampling 7 → 14 → 28).

    Args:
        z_dim: noise dimension.
        channels: ``c``; the 7 × 7 map has ``2c`` channels, the 14 × 14 map ``c``.
        deep: add a 3 × 3 convolution at 14 × 14 and a ``c``-channel 28 × 28 map with a 3 × 3 convolution to one
            channel (the plain generator goes from ``c`` channels at 14 × 14 to the image in one transposed
            convolution, so its strokes are drawn by a single layer).
    """

    def __init__(self, z_dim: int = 32, channels: int = 32, deep: bool = False) -> None:
        super().__init__()
        if z_dim < 1 or channels < 1:
            raise ValueError(f"z_dim and channels must be >= 1, got z_dim={z_dim}, channels={channels}")
        self.z_dim, self.channels, self.deep = z_dim, channels, deep
        c = channels
        self.project = nn.Sequential(nn.Linear(z_dim, 2 * c * 7 * 7, bias=False), nn.BatchNorm1d(2 * c * 7 * 7),
                                     nn.ReLU(), nn.Unflatten(1, (2 * c, 7, 7)))
        to_14 = [nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        if deep:
            self.up = nn.Sequential(
                *to_14,                                                                                       # 7 -> 14
                nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                nn.ConvTranspose2d(c, c, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),  # 14 -> 28
                nn.Conv2d(c, 1, 3, padding=1),
                nn.Sigmoid(),
            )
        else:
            self.up = nn.Sequential(
                *to_14,                                                                                       # 7 -> 14
                nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),                                           # 14 -> 28
                nn.Sigmoid(),
            )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must have shape (N, {self.z_dim}), got {tuple(z.shape)}")
        return self.up(self.project(z))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, batch_size: int = 1000) -> torch.Tensor:
        """``n`` samples ``(n, 1, 28, 28)`` in ``[0, 1]`` (eval mode: batch norm uses its running statistics)."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        was = self.training
        self.eval()
        dev = next(self.parameters()).device
        z = torch.randn(n, self.z_dim, device=dev, generator=generator)
        out = torch.cat([self(z[i:i + batch_size]).float() for i in range(0, n, batch_size)])
        self.train(was)
        return out


class DCGANDiscriminator(nn.Module):
    """Images ``(N, 1, 28, 28)`` → logits ``(N / pack,)`` (downsampling 28 → 14 → 7, then a linear layer).

    Args:
        channels: ``c``; the 14 × 14 map has ``c`` channels, the 7 × 7 map ``2c``.
        pack: PacGAN packing (Lin et al., 2018): the discriminator judges ``pack`` images at once, stacked as
            channels, and gives one logit per pack. Seeing several samples together lets it notice when they
            are too alike, which pushes the generator to cover more of the data (fewer dropped modes).
            ``pack = 1`` is the plain DCGAN discriminator. ``N`` must be a multiple of ``pack``.
    """

    def __init__(self, channels: int = 32, pack: int = 1) -> None:
        super().__init__()
        if channels < 1 or pack < 1:
            raise ValueError(f"channels and pack must be >= 1, got channels={channels}, pack={pack}")
        self.channels, self.pack = channels, pack
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(pack, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2),                               # 28 -> 14
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2),  # 14 -> 7
            nn.Flatten(), nn.Linear(2 * c * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"the discriminator takes images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"with pack={self.pack} the batch size must be a multiple of {self.pack}, got {x.shape[0]}")
        return self.net(x.reshape(-1, self.pack, 28, 28)).squeeze(1)


class DCGAN(nn.Module):
    """Generator and discriminator in one module, so that one checkpoint holds both (needed to resume).

    With ``ema=True`` it also holds ``generator_ema``, an exponential moving average of the generator's weights
    (updated by :func:`train_dcgan` after every step). GAN training oscillates — the share of each digit
    drifts from epoch to epoch — and the average over many steps is a steadier generator;
    :attr:`sampling_generator` is the one to draw samples from.
    """

    def __init__(self, z_dim: int = 32, channels: int = 32, d_channels: int = 32, pack: int = 1,
                 ema: bool = False, deep: bool = False) -> None:
        super().__init__()
        self.generator = DCGANGenerator(z_dim, channels, deep)
        self.discriminator = DCGANDiscriminator(d_channels, pack)
        self.generator_ema: DCGANGenerator | None = None
        if ema:
            self.generator_ema = DCGANGenerator(z_dim, channels, deep)
            self.generator_ema.load_state_dict(self.generator.state_dict())
            self.generator_ema.requires_grad_(False)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` images ``(n, 1, 28, 28)`` in ``[0, 1]`` from :attr:`sampling_generator` (the moving average)."""
        return self.sampling_generator.sample(n, generator)

    @property
    def sampling_generator(self) -> DCGANGenerator:
        """The generator to sample from: the moving average when there is one, else the trained generator."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def update_ema(self, decay: float) -> None:
        """``ema <- decay * ema + (1 - decay) * generator``, for the weights (not the batch-norm statistics)."""
        if self.generator_ema is None:
            return
        for pe, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
            pe.lerp_(p.detach(), 1.0 - decay)

    @torch.no_grad()
    def recalibrate_ema(self, generator_rng: torch.Generator | None = None, batches: int = 8,
                        batch_size: int = 256) -> None:
        """Re-estimate the batch-norm statistics of ``generator_ema`` for *its own* weights.

        The running means and variances of the trained generator belong to its weights, not to their average,
        so they are recomputed from ``batches`` forward passes on fresh noise (a cumulative average).
        """
        g = self.generator_ema
        if g is None:
            return
        norms = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        g.train()
        dev = next(g.parameters()).device
        for _ in range(batches):
            g(torch.randn(batch_size, g.z_dim, device=dev, generator=generator_rng))
        for m, mom in zip(norms, momenta):
            m.momentum = mom
        g.eval()


def _init_weights(m: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) weights for (transposed) convolutions and linear layers."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def make_dcgan(z_dim: int = 32, channels: int = 32, d_channels: int = 32, pack: int = 1, ema: bool = False,
               seed: int = 0, deep: bool = False) -> DCGAN:
    """A freshly initialised :class:`DCGAN` (reproducible for a given ``seed``)."""
    torch.manual_seed(seed)
    model = DCGAN(z_dim, channels, d_channels, pack, ema, deep)
    model.apply(_init_weights)
    if model.generator_ema is not None:
        model.generator_ema.load_state_dict(model.generator.state_dict())
    return model


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).cpu()


class QualityProbe(NamedTuple):
    """What a DCGAN run measures after every epoch: the Fréchet distance and class coverage of ``samples``
    samples (drawn with ``seed``) against ``reference`` images, through ``classifier``."""

    classifier: nn.Module
    reference: torch.Tensor
    samples: int
    seed: int


class DCGANTask(Task):
    """Alternating discriminator and generator steps (:func:`course_lib.models.gan_game.gan_train_step`), two Adams.

    The optimisers are PyTorch's default Adam with ``betas=(0.5, 0.999)`` (DCGAN's recipe; the shipped
    ``dcgan_offline`` was trained with them). Each epoch's shuffling and noise come from one generator seeded
    ``(seed, epoch)``, so a resumed run continues exactly; under torchrun every process draws the same
    minibatches and the noise of the whole global minibatch from it and keeps its own rows
    (:func:`course_lib.distributed.shard`), as the VAE does.

    Optional, for the command line's runs: ``y_train`` (the labels, counted on the model card), ``quality`` (a
    :class:`QualityProbe` recorded in the history after every epoch), ``snapshots`` (how many fixed-noise samples
    to keep after every epoch, written by :meth:`save_files`; ``snapshots_done``: those of the run being resumed).
    """

    kind = KIND
    drop_last = True

    def __init__(self, model: DCGAN, x_train: torch.Tensor, *, batch_size: int = 64, lr: float = 2e-4,
                 device: DeviceLike = "auto", seed: int = 0, loss: str = "non_saturating", compile: bool = False,
                 optimizers: tuple[Any, Any] | None = None, ema_decay: float = 0.998,
                 y_train: torch.Tensor | None = None, quality: QualityProbe | None = None, snapshots: int = 0,
                 snapshots_done: dict[int, torch.Tensor] | None = None) -> None:
        check_images(x_train, "x_train")
        if batch_size < 1 or batch_size % model.discriminator.pack:
            raise ValueError(f"the batch size ({batch_size}) must be a positive multiple of the discriminator's "
                             f"pack ({model.discriminator.pack})")
        super().__init__(model, device)
        self.x = x_train.to(self.device)
        self.batch_size, self.seed, self.loss, self.ema_decay = batch_size, seed, loss, ema_decay
        g, d = model.generator, model.discriminator
        if optimizers is None:
            self.optimizer(g.parameters(), "g", lr=lr, betas=(0.5, 0.999), fused=False)
            self.optimizer(d.parameters(), "d", lr=lr, betas=(0.5, 0.999), fused=False)
        else:
            self.optimizers["g"], self.optimizers["d"] = optimizers
        self.g_run, self.d_run = maybe_compile(g, compile), maybe_compile(d, compile)
        self.gen = torch.Generator(device=self.device)
        if y_train is not None:
            self.class_counts = torch.bincount(y_train.long(), minlength=10).tolist()
        self.quality = quality
        self.z_fixed = (torch.randn(snapshots, g.z_dim, generator=torch.Generator().manual_seed(12345)).to(self.device)
                        if snapshots else None)  # the noise of the per-epoch snapshots
        self.snapshots: dict[int, torch.Tensor] = dict(snapshots_done or {})
        self._epoch = 0

    def batches(self, epoch: int):  # type: ignore[override]
        for idx in minibatch_indices(len(self.x), self.batch_size, self.device, self.gen, drop_last=True):
            yield shard(idx), len(idx)

    def step(self, idx: torch.Tensor, global_n: int) -> dict[str, torch.Tensor]:
        z_dim = self.model.generator.z_dim

        def noise(_: int) -> torch.Tensor:  # the global minibatch's noise, from the generator every rank shares
            return shard(torch.randn(global_n, z_dim, device=self.device, generator=self.gen))

        out = gan_train_step(self.g_run, self.d_run, self.optimizers["g"], self.optimizers["d"], self.x[idx],
                             z_dim, kind=self.loss, noise=noise, discriminator_for_g=self.model.discriminator)
        self.model.update_ema(self.ema_decay)
        return out

    def train_epoch(self, epoch: int) -> dict[str, float]:
        stats: dict[str, list[torch.Tensor]] = {}
        for idx, global_n in self.batches(epoch):
            for k, v in self.step(idx, global_n).items():
                stats.setdefault(k, []).append(v)
        self.model.recalibrate_ema(self.gen)
        self._epoch = epoch + 1
        # One device-to-host copy per epoch (not one per step); summed in Python, in step order.
        return {k: sum(torch.stack(v).tolist()) / len(v) for k, v in stats.items()}

    def evaluate(self) -> dict[str, Any]:
        row: dict[str, Any] = {}
        if self.quality is not None:
            q = self.quality
            row.update(_quality(self.model, q.classifier, q.reference, q.samples, q.seed))
            self.model.train()
        if self.z_fixed is not None:
            g = self.model.sampling_generator
            g.eval()
            with torch.no_grad():
                self.snapshots[self._epoch] = _to_uint8(g(self.z_fixed))[:, 0]
            self.model.train()
        return row

    def save_files(self, stem: Path) -> None:
        """Write the per-epoch snapshots next to the checkpoint (called by :func:`course_lib.training.fit`)."""
        if not self.snapshots:
            return
        eps = sorted(self.snapshots)
        target = stem.with_suffix(".snapshots.safetensors")
        tmp = target.with_name(target.name + ".tmp")
        save_file({"epochs": torch.tensor(eps), "images": torch.stack([self.snapshots[e] for e in eps])}, str(tmp))
        os.replace(tmp, target)

    def distribute(self) -> None:
        """Both players in ``DistributedDataParallel``; the generator step calls the unwrapped discriminator.

        Each rank takes its part of every (shared) minibatch and draws its own noise. BatchNorm becomes
        SyncBatchNorm on CUDA; on CPUs each rank normalises with its part of the minibatch.
        """
        _, size = world()
        if self.batch_size % (size * self.model.discriminator.pack):
            raise ValueError(f"under torchrun the batch size ({self.batch_size}) must be a multiple of the number of "
                             f"processes times --pack ({size} x {self.model.discriminator.pack})")
        if self.device.type == "cuda":
            self.model.generator = nn.SyncBatchNorm.convert_sync_batchnorm(self.model.generator)
            self.model.discriminator = nn.SyncBatchNorm.convert_sync_batchnorm(self.model.discriminator)
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.g_run = DDP(self.model.generator, device_ids=ids)
        self.d_run = DDP(self.model.discriminator, device_ids=ids)


def train_dcgan(model: DCGAN, x_train: torch.Tensor, epochs: int = 30, batch_size: int = 64, lr: float = 2e-4,
                device: DeviceLike = "auto", seed: int = 0, loss: str = "non_saturating",
                progress: bool = False, compile: bool = False, optimizers: tuple[Any, Any] | None = None,
                start_epoch: int = 0, callback: Callback | None = None,
                ema_decay: float = 0.998) -> list[dict[str, Any]]:
    """Train a DCGAN with Adam(lr, betas=(0.5, 0.999)) and :func:`course_lib.models.gan_game.gan_train_step`.

    The images stay on ``device`` as one tensor; minibatches are drawn by index.

    Args:
        model: a :class:`DCGAN` (moved to ``device``).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        epochs: total epochs (``start_epoch`` of them already done when resuming).
        loss: the generator loss, ``"non_saturating"`` or ``"saturating"``.
        optimizers: ``(opt_g, opt_d)`` to continue with; new ones otherwise.
        callback: ``callback(epoch_done, record, model)`` after each epoch.
        ema_decay: decay of the generator's moving average (used when the model has ``generator_ema``).

    Returns:
        One dict per epoch with ``epoch``, the mean ``loss_d``, ``loss_g``, ``d_real``, ``d_fake`` and
        ``epoch_time_s``.
    """
    task = DCGANTask(model, x_train, batch_size=batch_size, lr=lr, device=device, seed=seed, loss=loss,
                     compile=compile, optimizers=optimizers, ema_decay=ema_decay)
    return train_loop(task, epochs, start_epoch=start_epoch, progress_bar=progress, callback=callback, desc="dcgan")


def load_dcgan(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[DCGAN, dict[str, Any]]:
    """Load a DCGAN checkpoint (default: the shipped ``dcgan_offline``). Returns ``(model, card)``;
    ``model.sampling_generator.sample(n)`` draws images."""
    path = shipped_checkpoint("dcgan_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, DCGAN, KIND, device=device)
    return model, card  # type: ignore[return-value]


def load_snapshots(path: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The samples saved after each epoch by the command line (same noise every epoch).

    Returns:
        ``(epochs (E,), images (E, K, 1, 28, 28) float in [0, 1])``.
    """
    stem = shipped_checkpoint("dcgan_offline") if path is None else Path(path).with_suffix("")
    file = stem.with_suffix(".snapshots.safetensors")
    if not file.is_file():
        raise CheckpointError(f"No snapshots at {file}; train with `python -m course_lib train dcgan` (snapshots on).")
    t = load_file(str(file))
    return t["epochs"], t["images"].float().div(255).unsqueeze(2)


# ------------------------------------------------------------------------------------ the registry's hooks
def _quality(model: DCGAN, classifier: Any, x_ref: torch.Tensor, n: int, seed: int) -> dict[str, float]:
    gen = torch.Generator(device=next(model.parameters()).device)
    gen.manual_seed(seed)
    fake = model.sample(n, generator=gen)
    cov = class_coverage(fake, classifier)
    return {"fd": round(frechet_distance(x_ref, fake, classifier), 3),
            "kl_to_uniform": round(cov["kl_to_uniform"], 4), "classes_present": cov["classes_present"],
            "recognisable": round(cov["recognisable"], 4)}


def config_of(model: DCGAN) -> dict[str, Any]:
    g, d = model.generator, model.discriminator
    config = {"z_dim": g.z_dim, "channels": g.channels, "d_channels": d.channels, "pack": d.pack,
              "ema": model.generator_ema is not None}
    return {**config, "deep": True} if g.deep else config   # the plain generator's cards stay as they were


def task_from_run(run: Any) -> DCGANTask:
    """The :class:`DCGANTask` of ``python -m course_lib train dcgan`` (see :mod:`course_lib.registry`)."""
    o = run.options
    x_train, y_train = run.load("train")
    x_train, y_train = select_training_set(x_train, y_train, train_size=o["train_size"], rare_digit=o["rare_digit"],
                                           rare_factor=o["rare_factor"])
    if run.batch_size % o["pack"]:
        raise ValueError(f"--batch-size {run.batch_size} must be a multiple of --pack {o['pack']}")
    model = run.model
    if model is None:
        model = make_dcgan(o["z_dim"], o["channels"], o["d_channels"], o["pack"], o["ema"] > 0, seed=run.seed,
                           deep=o["deep_generator"])
    quality = None
    if (o["evaluator"] or "").lower() != "none":
        ev_path = Path(o["evaluator"]) if o["evaluator"] else shipped_checkpoint(f"classifier_{run.data}")
        if ev_path.with_suffix(".json").is_file():
            classifier, _ = load_classifier(ev_path, device=run.device)
            x_ref = x_train if len(x_train) <= 10_000 else x_train[:10_000]
            quality = QualityProbe(classifier, x_ref, o["eval_samples"], run.seed + 7)
        elif o["evaluator"]:
            raise CheckpointError(f"--evaluator {o['evaluator']}: no classifier checkpoint there. Train one with "
                                  f"`python -m course_lib train classifier`, or pass --evaluator none.")
    done = None
    snap_file = run.stem.with_suffix(".snapshots.safetensors")
    if o["snapshots"] and run.config.resume and snap_file.is_file():
        t = load_file(str(snap_file))
        done = {int(e): img for e, img in zip(t["epochs"].tolist(), t["images"])}
    return DCGANTask(model, x_train, batch_size=run.batch_size, lr=run.lr, device=run.device, seed=run.seed,
                     loss=o["loss"], compile=run.config.compile, ema_decay=o["ema"], y_train=y_train,
                     quality=quality, snapshots=o["snapshots"], snapshots_done=done)


def card_extra(run: Any, task: DCGANTask) -> dict[str, Any]:
    extra: dict[str, Any] = {"loss": task.loss, "ema_decay": task.ema_decay}
    if task.quality is not None:
        q = task.quality
        extra["quality_protocol"] = (f"{q.samples} samples vs {len(q.reference)} training digits, features of the "
                                     f"classifier_{run.data} evaluator")
    return extra
