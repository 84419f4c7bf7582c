"""A class-conditional diffusion model (DDPM objective, DDIM sampling) for MNIST — ``train diffusion``.

Training (Ho et al. 2020, Algorithm 1, with classifier-free guidance's label dropout, Ho & Salimans 2022):
draw ``x_0`` from the data (scaled to ``[−1, 1]``), ``t ~ U{1..T}``, ``ε ~ N(0, I)``; replace the label by the null
class with probability ``p_uncond``; take a gradient step on ``||ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t, y)||²``. The
weights saved are an exponential moving average of the trained ones (the usual practice for diffusion models).

Command line: ``python -m course_lib train diffusion [--data full] ...``. The shipped checkpoint was made by::

    python -m course_lib train diffusion --data offline --name diffusion_offline --out course_lib/checkpoints ...

(the exact command is in its model card).
"""
from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path
from typing import Any

import torch

from ..checkpoint import CheckpointError, load_checkpoint, save_checkpoint, save_training_state
from ..device import DeviceLike, get_device
from ..training import (Timer, autocast, check_images, checkpoint_stem, load_split, maybe_compile,
                        minibatch_indices, progress, run_card, spread_subset)
from .diffusion import KIND, NULL_CLASS, DiffusionUNet, q_sample, simple_loss

__all__ = ["train_diffusion", "load_diffusion", "load_samples", "add_train_arguments", "train_from_args", "lr_at"]


def lr_at(lr: float, step: int, total: int, warmup: int = 200) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to ``lr / 10`` at step ``total``."""
    if step < warmup:
        return lr * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - decay)


def train_diffusion(model: DiffusionUNet, x_train: torch.Tensor, y_train: torch.Tensor, epochs: int,
                    batch_size: int = 128, lr: float = 2e-3, p_uncond: float = 0.2, ema_decay: float = 0.999,
                    device: DeviceLike = "auto", seed: int = 0, progress_bar: bool = False, compile: bool = False,
                    ema: DiffusionUNet | None = None, optimizer: torch.optim.Optimizer | None = None,
                    start_epoch: int = 0, on_epoch_end: Any = None) -> tuple[DiffusionUNet, list[dict[str, float]]]:
    """Train ``model`` on ``L_simple``; returns ``(ema_model, history)``.

    Args:
        x_train: ``(N, 1, 28, 28)`` in ``[0, 1]``; ``y_train``: ``(N,)`` labels ``0..9``.
        p_uncond: probability that a label is replaced by the null class (the unconditional model for CFG).
        ema_decay: decay of the weight average that is saved and sampled from.
        on_epoch_end: ``callback(epoch, model, ema, optimizer, history)``.
    """
    check_images(x_train, "x_train")
    if not 0.0 <= p_uncond <= 1.0:
        raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
    dev = get_device(device)
    model.to(dev).train()
    ema = ema if ema is not None else copy.deepcopy(model)
    ema.to(dev).eval().requires_grad_(False)
    x = (x_train.to(dev) * 2 - 1)
    y = y_train.to(dev).long()
    opt = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0,
                                         fused=dev.type in ("cpu", "cuda"))
    run = maybe_compile(model, compile)
    gen = torch.Generator(device=dev)
    T = model.schedule.T
    steps_per_epoch = len(x) // batch_size
    total = epochs * steps_per_epoch
    history: list[dict[str, float]] = []
    for epoch in progress(range(start_epoch, epochs), progress_bar, "diffusion", total=epochs - start_epoch):
        gen.manual_seed(seed * 100_003 + epoch)
        losses = []
        for i, idx in enumerate(minibatch_indices(len(x), batch_size, dev, gen, drop_last=True)):
            for g in opt.param_groups:
                g["lr"] = lr_at(lr, epoch * steps_per_epoch + i, total)
            x0, yb = x[idx], y[idx].clone()
            t = torch.randint(1, T + 1, (len(idx),), device=dev, generator=gen)
            eps = torch.randn(x0.shape, device=dev, generator=gen)
            drop = torch.rand(len(idx), device=dev, generator=gen) < p_uncond
            yb[drop] = NULL_CLASS
            with autocast(dev):
                loss = simple_loss(run(q_sample(x0, t, model.schedule, eps), t, yb).float(), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            _ema_update(ema, model, ema_decay if epoch * steps_per_epoch + i > 100 else 0.0)
            losses.append(loss.detach())
        row = {"epoch": epoch + 1, "loss": round(float(torch.stack(losses).mean()), 5),
               "lr": round(opt.param_groups[0]["lr"], 6)}
        history.append(row)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, ema, opt, history)
    model.eval()
    return ema, history


def load_diffusion(path: str | Path | None = None, device: DeviceLike = "cpu") -> tuple[DiffusionUNet, dict[str, Any]]:
    """Load a diffusion checkpoint (default: the shipped ``diffusion_offline``); fp16 weights are cast to float32."""
    from ..evaluator import shipped_checkpoint

    path = shipped_checkpoint("diffusion_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, _factory, KIND, device="cpu")
    return model.float().to(get_device(device)).eval(), card  # type: ignore[return-value]


def load_samples(path: str | Path | None = None) -> torch.Tensor:
    """The 1,000 samples that ``bench/diffusion.py`` drew with the checkpoint's default sampler (the ones its
    Fréchet distance was measured on), as ``(1000, 1, 28, 28)`` float in ``[0, 1]``."""
    from safetensors.torch import load_file

    from ..evaluator import shipped_checkpoint

    stem = shipped_checkpoint("diffusion_offline") if path is None else Path(path).with_suffix("")
    file = stem.with_suffix(".samples.safetensors")
    if not file.is_file():
        raise CheckpointError(f"No stored samples at {file}; make them with `python bench/diffusion.py {stem}`.")
    return load_file(str(file))["images"].float().div(255).unsqueeze(1)


def _factory(**config: Any) -> DiffusionUNet:
    return _HalfTolerant(**config)


class _HalfTolerant(DiffusionUNet):
    """A DiffusionUNet whose ``load_state_dict`` accepts fp16 tensors (shipped weights) and casts them."""

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        state = {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}
        return super().load_state_dict(state, strict=strict, assign=assign)


# ----------------------------------------------------------------------------------------------------------
# command line: python -m course_lib train diffusion
# ----------------------------------------------------------------------------------------------------------
def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``train diffusion``."""
    g = parser.add_argument_group("diffusion")
    g.add_argument("--channels", type=int, default=32, help="UNet width c (28x28 level c, 14 and 7 levels 2c; default 32)")
    g.add_argument("--emb-dim", type=int, default=128, help="time/class embedding width (default 128)")
    g.add_argument("--T", type=int, default=1000, help="diffusion steps T (default 1000)")
    g.add_argument("--schedule", choices=["cosine", "linear"], default="cosine", help="noise schedule (default cosine)")
    g.add_argument("--p-uncond", type=float, default=0.2, help="label dropout for classifier-free guidance (default 0.2)")
    g.add_argument("--ema", type=float, default=0.999, help="EMA decay of the saved weights (default 0.999)")
    g.add_argument("--patch", type=int, choices=[1, 2], default=2,
                   help="2: pixel-unshuffle to 14x14 first (fast on a CPU, default); 1: full 28x28 resolution")
    g.add_argument("--sample-steps", type=int, default=50, help="DDIM steps of the model's default sampler (default 50)")
    g.add_argument("--fp16", action="store_true", help="store the final weights in float16 (half the size)")
    g.add_argument("--train-size", type=int, default=None, help="use only N evenly spaced training images (quick runs)")


def _command() -> str | None:
    import sys

    argv = " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith(("__main__.py", "course-lib")) else None
    return f"python -m course_lib {argv}" if argv else None


def train_from_args(args: argparse.Namespace) -> Path:
    """Train as the command line asks; checkpoint (EMA weights), model card and resume state after every epoch."""
    from ..checkpoint import load_training_state, read_card
    from ..seed import set_seed

    args.epochs = args.epochs or 100
    args.batch_size = args.batch_size or 128
    args.lr = args.lr or 2e-3
    set_seed(args.seed, deterministic=False)
    dev = get_device(args.device)
    stem = checkpoint_stem(args, "diffusion")
    x_train, y_train = load_split(args.data, "train", dev)
    if args.train_size is not None:
        keep = spread_subset(len(x_train), args.train_size, dev)
        x_train, y_train = x_train[keep], y_train[keep]
    if len(x_train) < args.batch_size:
        raise ValueError(f"--batch-size {args.batch_size} is larger than the {len(x_train)} training images")
    config = {"channels": args.channels, "emb_dim": args.emb_dim, "T": args.T, "schedule": args.schedule,
              "num_classes": 10, "sample_steps": args.sample_steps, "patch": args.patch}
    start, prior_hist, wall0 = 0, [], 0.0
    ema, opt = None, None
    commands: list[dict[str, Any]] = []   # every command that trained this checkpoint, with its epochs
    if args.resume:
        if not stem.with_suffix(".json").is_file():
            raise CheckpointError(f"--resume: no checkpoint at {stem}.json. Start without --resume.")
        card = read_card(stem)
        config = card["config"]
        ema, _ = load_checkpoint(stem, _factory, KIND, device=dev)
        state = load_training_state(stem)
        model = DiffusionUNet(**config).to(dev)
        model.load_state_dict(state["model"])
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0, fused=dev.type in ("cpu", "cuda"))
        opt.load_state_dict(state["optimizer"])
        start, prior_hist, wall0 = int(state["epoch"]), list(card.get("history", [])), float(card.get("wall_time_s", 0))
        commands = list(card.get("commands") or [{"command": card.get("command"), "epochs": [1, start]}])
        commands[-1]["epochs"] = [commands[-1]["epochs"][0], start]
        if start >= args.epochs:
            raise CheckpointError(f"{stem} already finished {start} of {args.epochs} epochs; nothing to resume.")
    else:
        torch.manual_seed(args.seed)
        model = DiffusionUNet(**config)
    timer = Timer(wall0)

    def save(epoch: int, m: DiffusionUNet, e: DiffusionUNet, o: torch.optim.Optimizer,
             history: list[dict[str, float]]) -> None:
        prior_hist.append(history[-1])
        final = epoch >= args.epochs
        to_save = e
        if final and args.fp16:
            to_save = copy.deepcopy(e).half()
        card = run_card(args, model="class-conditional UNet, DDPM objective (L_simple), DDIM sampler, CFG null class",
                        epochs_done=epoch, epochs_total=args.epochs, wall_time_s=timer(), metrics={},
                        extra={"commands": commands + [{"command": _command(), "epochs": [start + 1, epoch]}],"p_uncond": args.p_uncond, "ema_decay": args.ema, "weights_dtype":
                               "float16" if (final and args.fp16) else "float32",
                               "sampler": f"DDIM, {config['sample_steps']} steps, eta 0, unconditional",
                               "history": prior_hist})
        save_checkpoint(to_save, stem, KIND, config, card)
        save_training_state(stem, o, epoch, {"model": m.state_dict()})

    train_diffusion(model, x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                    p_uncond=args.p_uncond, ema_decay=args.ema, device=dev, seed=args.seed,
                    progress_bar=not args.no_progress, compile=args.compile, ema=ema, optimizer=opt,
                    start_epoch=start, on_epoch_end=save)
    return stem.with_suffix(".safetensors")
