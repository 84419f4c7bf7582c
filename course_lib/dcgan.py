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

The training step is :func:`course_lib.gan.gan_train_step` (non-saturating generator loss by default).
Command line: ``python -m course_lib train dcgan [--data full] ...``.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import (CheckpointError, load_checkpoint, save_checkpoint, save_training_state)
from .device import DeviceLike, get_device
from .training import (Timer, check_images, checkpoint_stem, load_split, maybe_compile, minibatch_indices,
                       progress, run_card, spread_subset)

__all__ = [
    "DCGANGenerator",
    "DCGANDiscriminator",
    "train_dcgan",
    "load_dcgan",
    "add_train_arguments",
    "train_from_args",
    "KIND",
]

KIND = "dcgan"


class DCGANGenerator(nn.Module):
    """``z (N, z_dim)`` → images ``(N, 1, 28, 28)`` in ``[0, 1]`` (upsampling 7 → 14 → 28).

    Args:
        z_dim: noise dimension.
        channels: ``c``; the 7 × 7 map has ``2c`` channels, the 14 × 14 map ``c``.
    """

    def __init__(self, z_dim: int = 32, channels: int = 32) -> None:
        super().__init__()
        if z_dim < 1 or channels < 1:
            raise ValueError(f"z_dim and channels must be >= 1, got z_dim={z_dim}, channels={channels}")
        self.z_dim, self.channels = z_dim, channels
        c = channels
        self.project = nn.Sequential(nn.Linear(z_dim, 2 * c * 7 * 7, bias=False), nn.BatchNorm1d(2 * c * 7 * 7),
                                     nn.ReLU(), nn.Unflatten(1, (2 * c, 7, 7)))
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),                                               # 14 -> 28
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
                 ema: bool = False) -> None:
        super().__init__()
        self.generator = DCGANGenerator(z_dim, channels)
        self.discriminator = DCGANDiscriminator(d_channels, pack)
        self.generator_ema: DCGANGenerator | None = None
        if ema:
            self.generator_ema = DCGANGenerator(z_dim, channels)
            self.generator_ema.load_state_dict(self.generator.state_dict())
            self.generator_ema.requires_grad_(False)

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
               seed: int = 0) -> DCGAN:
    """A freshly initialised :class:`DCGAN` (reproducible for a given ``seed``)."""
    torch.manual_seed(seed)
    model = DCGAN(z_dim, channels, d_channels, pack, ema)
    model.apply(_init_weights)
    if model.generator_ema is not None:
        model.generator_ema.load_state_dict(model.generator.state_dict())
    return model


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).cpu()


def train_dcgan(model: DCGAN, x_train: torch.Tensor, epochs: int = 30, batch_size: int = 64, lr: float = 2e-4,
                device: DeviceLike = "auto", seed: int = 0, kind: str = "non_saturating",
                progress_bar: bool = False, compile: bool = False, optimizers: tuple[Any, Any] | None = None,
                start_epoch: int = 0, on_epoch_end: Any = None, ema_decay: float = 0.998) -> list[dict[str, float]]:
    """Train a DCGAN with Adam(lr, betas=(0.5, 0.999)) and :func:`course_lib.gan.gan_train_step`.

    The images stay on ``device`` as one tensor; minibatches are drawn by index.

    Args:
        model: a :class:`DCGAN` (moved to ``device``).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        epochs: total epochs (``start_epoch`` of them already done when resuming).
        optimizers: ``(opt_g, opt_d)`` to continue with; new ones otherwise.
        on_epoch_end: ``callback(epoch, model, (opt_g, opt_d), history)`` after each epoch.
        ema_decay: decay of the generator's moving average (used when the model has ``generator_ema``).

    Returns:
        One dict per epoch with the mean ``loss_d``, ``loss_g``, ``d_real``, ``d_fake``.
    """
    from .gan import gan_train_step

    check_images(x_train, "x_train")
    dev = get_device(device)
    model.to(dev).train()
    x = x_train.to(dev)
    g, d = model.generator, model.discriminator
    if optimizers is None:
        opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    else:
        opt_g, opt_d = optimizers
    g_run, d_run = maybe_compile(g, compile), maybe_compile(d, compile)
    gen = torch.Generator(device=dev)
    history: list[dict[str, float]] = []
    for epoch in progress(range(start_epoch, epochs), progress_bar, "dcgan", total=epochs - start_epoch):
        gen.manual_seed(seed * 1000 + epoch)
        stats: dict[str, list[torch.Tensor]] = {}
        for idx in minibatch_indices(len(x), batch_size, dev, gen, drop_last=True):
            out = gan_train_step(g_run, d_run, opt_g, opt_d, x[idx], g.z_dim, kind=kind, generator_rng=gen)
            model.update_ema(ema_decay)
            for k, v in out.items():
                stats.setdefault(k, []).append(v)
        model.recalibrate_ema(gen)
        # One device-to-host copy per epoch (not one per step); summed in Python, in step order.
        row = {"epoch": epoch + 1, **{k: sum(torch.stack(v).tolist()) / len(v) for k, v in stats.items()}}
        history.append(row)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, (opt_g, opt_d), history)
    model.eval()
    return history


def load_dcgan(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[DCGAN, dict[str, Any]]:
    """Load a DCGAN checkpoint (default: the shipped ``dcgan_offline``). Returns ``(model, card)``;
    ``model.sampling_generator.sample(n)`` draws images."""
    from .evaluator import shipped_checkpoint

    path = shipped_checkpoint("dcgan_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, DCGAN, KIND, device=device)
    return model, card  # type: ignore[return-value]


def load_snapshots(path: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The samples saved after each epoch by the command line (same noise every epoch).

    Returns:
        ``(epochs (E,), images (E, K, 1, 28, 28) float in [0, 1])``.
    """
    from safetensors.torch import load_file

    from .evaluator import shipped_checkpoint

    stem = shipped_checkpoint("dcgan_offline") if path is None else Path(path).with_suffix("")
    file = stem.with_suffix(".snapshots.safetensors")
    if not file.is_file():
        raise CheckpointError(f"No snapshots at {file}; train with `python -m course_lib train dcgan` (snapshots on).")
    t = load_file(str(file))
    return t["epochs"], t["images"].float().div(255).unsqueeze(2)


# ----------------------------------------------------------------------------------------------------------
# command line: python -m course_lib train dcgan
# ----------------------------------------------------------------------------------------------------------
def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train dcgan``."""
    parser.add_argument("--z-dim", type=int, default=32, help="noise dimension (default 32)")
    parser.add_argument("--channels", type=int, default=32, help="generator width c (7x7 map has 2c; default 32)")
    parser.add_argument("--d-channels", type=int, default=32, help="discriminator width (default 32)")
    parser.add_argument("--pack", type=int, default=2,
                        help="PacGAN packing: the discriminator judges this many images at once (default 2; 1 = plain)")
    parser.add_argument("--ema", type=float, default=0.998,
                        help="decay of the generator's exponential moving average, sampled from (default 0.998; 0 = none)")
    parser.add_argument("--loss", choices=["non_saturating", "saturating"], default="non_saturating",
                        help="generator loss (default non_saturating)")
    parser.add_argument("--evaluator", default=None,
                        help="classifier checkpoint for the per-epoch quality curve (default: the shipped "
                             "classifier_<data> if present; 'none' to skip)")
    parser.add_argument("--eval-samples", type=int, default=1000,
                        help="samples per epoch for the quality curve (default 1000)")
    parser.add_argument("--train-size", type=int, default=None, help="use only N evenly spaced training images (quick runs)")
    parser.add_argument("--snapshots", type=int, default=16, help="samples saved per epoch, same noise (0 = none)")


def _quality(model: DCGAN, classifier: Any, x_ref: torch.Tensor, n: int, seed: int) -> dict[str, float]:
    from .evaluator import class_coverage, frechet_distance

    gen = torch.Generator(device=next(model.parameters()).device)
    gen.manual_seed(seed)
    fake = model.sampling_generator.sample(n, gen)
    cov = class_coverage(fake, classifier)
    return {"fd": round(frechet_distance(x_ref, fake, classifier), 3),
            "kl_to_uniform": round(cov["kl_to_uniform"], 4), "classes_present": cov["classes_present"]}


def train_from_args(args: argparse.Namespace) -> Path:
    """Train a DCGAN as the command line asks; checkpoint, model card and snapshots after every epoch."""
    from safetensors.torch import save_file

    from .checkpoint import load_training_state, read_card
    from .evaluator import load_classifier, shipped_checkpoint
    from .seed import set_seed

    args.epochs = args.epochs or 30
    args.batch_size = args.batch_size or 64
    args.lr = args.lr or 2e-4
    set_seed(args.seed, deterministic=False)
    dev = get_device(args.device)
    stem = checkpoint_stem(args, "dcgan")
    x_train, _ = load_split(args.data, "train", dev)
    if args.train_size is not None:
        x_train = x_train[spread_subset(len(x_train), args.train_size, dev)]
    config = {"z_dim": args.z_dim, "channels": args.channels, "d_channels": args.d_channels, "pack": args.pack,
              "ema": args.ema > 0}
    if args.batch_size % args.pack:
        raise ValueError(f"--batch-size {args.batch_size} must be a multiple of --pack {args.pack}")

    classifier = None
    if (args.evaluator or "").lower() != "none":
        ev_path = Path(args.evaluator) if args.evaluator else shipped_checkpoint(f"classifier_{args.data}")
        if ev_path.with_suffix(".json").is_file():
            classifier, _ = load_classifier(ev_path, device=dev)
        elif args.evaluator:
            raise CheckpointError(f"--evaluator {args.evaluator}: no classifier checkpoint there. Train one with "
                                  f"`python -m course_lib train classifier`, or pass --evaluator none.")
    x_ref = x_train if len(x_train) <= 10_000 else x_train[:10_000]

    start, prior_hist, wall0, snaps = 0, [], 0.0, {}
    opts = None
    if args.resume:
        if not stem.with_suffix(".json").is_file():
            raise CheckpointError(f"--resume: no checkpoint at {stem}.json. Start without --resume.")
        model, card = load_checkpoint(stem, DCGAN, KIND, device=dev)
        state = load_training_state(stem)
        start, prior_hist, wall0 = int(state["epoch"]), list(card.get("history", [])), float(card.get("wall_time_s", 0))
        opt_g = torch.optim.Adam(model.generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))
        opt_g.load_state_dict(state["optimizer"])
        opt_d.load_state_dict(state["optimizer_d"])
        opts = (opt_g, opt_d)
        snap_file = stem.with_suffix(".snapshots.safetensors")
        if snap_file.is_file():
            from safetensors.torch import load_file

            t = load_file(str(snap_file))
            snaps = {int(e): img for e, img in zip(t["epochs"].tolist(), t["images"])}
        if start >= args.epochs:
            raise CheckpointError(f"{stem} already finished {start} of {args.epochs} epochs; nothing to resume.")
        config = read_card(stem)["config"]
    else:
        model = make_dcgan(**config, seed=args.seed)
    timer = Timer(wall0)
    z_fixed = torch.randn(args.snapshots, model.generator.z_dim,
                          generator=torch.Generator().manual_seed(12345)).to(dev) if args.snapshots else None

    def save(epoch: int, m: DCGAN, o: tuple[Any, Any], history: list[dict[str, float]]) -> None:
        row = {k: round(v, 4) for k, v in history[-1].items()}
        if classifier is not None:
            row.update(_quality(m, classifier, x_ref, args.eval_samples, seed=args.seed + 7))
            m.train()
        prior_hist.append(row)
        if z_fixed is not None:
            m.sampling_generator.eval()
            with torch.no_grad():
                snaps[epoch] = _to_uint8(m.sampling_generator(z_fixed))[:, 0]
            m.train()
            eps = sorted(snaps)
            save_file({"epochs": torch.tensor(eps), "images": torch.stack([snaps[e] for e in eps])},
                      str(stem.with_suffix(".snapshots.safetensors")))
        metrics = {k: row[k] for k in ("fd", "kl_to_uniform", "classes_present") if k in row}
        if metrics:
            metrics["quality_protocol"] = (f"{args.eval_samples} samples vs {len(x_ref)} training digits, "
                                           f"features of the classifier_{args.data} evaluator")
        card = run_card(args, model="DCGAN (transposed-conv generator 7->14->28, conv discriminator)",
                        epochs_done=epoch, epochs_total=args.epochs, wall_time_s=timer(), metrics=metrics,
                        extra={"loss": args.loss, "ema_decay": args.ema, "history": prior_hist})
        save_checkpoint(m, stem, KIND, config, card)
        save_training_state(stem, o[0], epoch, {"optimizer_d": o[1].state_dict()})

    train_dcgan(model, x_train, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, device=dev,
                seed=args.seed, kind=args.loss, progress_bar=not args.no_progress, compile=args.compile,
                optimizers=opts, start_epoch=start, on_epoch_end=save, ema_decay=args.ema)
    return stem.with_suffix(".safetensors")
