"""Training chapter 7's diffusion model on MNIST: the Task behind ``python -m course_lib train diffusion``
(registry entry ``"diffusion"``), and the loaders of the shipped checkpoint and of the samples ``bench/diffusion.py``
stores beside it (``NAME.samples.safetensors``).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import Tensor, nn

from ..checkpoint import CheckpointError, load_checkpoint, shipped_checkpoint
from ..data import check_images, minibatch_indices, select_training_set
from ..device import get_device
from ..distributed import batch_mean, shard, world
from ..optim import warmup_cosine_lr
from ..stats import row_interval
from ..training import Task, autocast, train_loop
from .diffusion_unet import NULL_CLASS, DiffusionUNet

__all__ = ["KIND", "NULL_CLASS", "WARMUP_STEPS", "DiffusionTask", "train_diffusion", "task_from_run", "card_extra",
           "config_of", "load_factory", "load_diffusion", "load_samples", "sampling_row", "row_interval"]

KIND = "diffusion_unet"
#: the learning rate's linear warm-up, in optimiser steps (then a cosine decay to ``lr / 10``)
WARMUP_STEPS = 200


# ----------------------------------------------------------------------------------------------------------
# training on MNIST
# ----------------------------------------------------------------------------------------------------------
# Training (Ho et al. 2020, Algorithm 1, with classifier-free guidance's label dropout, Ho & Salimans 2022):
# draw x_0 from the data (scaled to [-1, 1]), t ~ U{1..T}, eps ~ N(0, I); replace the label by the null class
# with probability p_uncond; take an AdamW step on ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t, y)||^2.
# The weights saved (and sampled from) are an exponential moving average of the trained ones.
#
# The shipped checkpoint ``course_lib/checkpoints/diffusion_offline`` was made by the command in its model card
# (``python -m course_lib train diffusion --data offline ...``); the arithmetic and the RNG use below are those it
# was trained with (its per-epoch generator was seeded ``seed * 100_003 + epoch``, which for its seed 0 equals the
# loop's ``training.epoch_seed``; EMA starts after 100 steps). Its
# learning rate came from an earlier copy of warmup_cosine_lr that differed from it in the last bit of some rates.

@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - decay)


def load_factory(**config: Any) -> DiffusionUNet:
    """What the registry rebuilds a ``diffusion_unet`` checkpoint with: a float32 :class:`DiffusionUNet` (float16
    weights, ``--fp16``, are cast to float32 by ``load_state_dict``, which copies each tensor into the
    parameter's dtype)."""
    return DiffusionUNet(**config)


def config_of(model: nn.Module) -> dict[str, Any]:
    """The keyword arguments that rebuild ``model`` (saved in its model card)."""
    if not isinstance(model, DiffusionUNet):
        raise ValueError(f"not a DiffusionUNet: {type(model).__name__}")
    return dict(model.config)


class DiffusionTask(Task):
    """Training a :class:`DiffusionUNet` on ``L_simple`` with label dropout and an EMA of the weights.

    Args:
        model: the network trained (moved to the device in place); ``ema``: the averaged copy that is saved
            (default: a copy of ``model``; a resumed run passes the checkpoint's weights).
        x_train: ``(N, 1, 28, 28)`` in ``[0, 1]``; ``y_train``: ``(N,)`` labels ``0..9``.
        epochs: total epochs of the run (the learning-rate curve spans them).
        p_uncond: probability that a label is replaced by the null class (the unconditional model for CFG).
        ema_decay: decay of the weight average that is saved and sampled from.
        seed: the run's seed; the loop seeds each epoch's generator with ``training.epoch_seed(seed, epoch)``:
            shuffling, times, noise, label dropout.
        fp16: store the final epoch's weights in float16.
    """

    kind = KIND
    drop_last = True

    def __init__(self, model: DiffusionUNet, x_train: Tensor, y_train: Tensor, *, epochs: int, batch_size: int = 128,
                 lr: float = 2e-3, p_uncond: float = 0.2, ema_decay: float = 0.999, seed: int = 0,
                 device: Any = "auto", compile: bool = False, ema: DiffusionUNet | None = None,
                 fp16: bool = False) -> None:
        check_images(x_train, "x_train")
        if len(y_train) != len(x_train):
            raise ValueError(f"x_train has {len(x_train)} images but y_train {len(y_train)} labels")
        if not 0.0 <= p_uncond <= 1.0:
            raise ValueError(f"p_uncond must be in [0, 1], got {p_uncond}")
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"the EMA decay must be in [0, 1), got {ema_decay}")
        if not 1 <= batch_size <= len(x_train):
            raise ValueError(f"--batch-size {batch_size} must be between 1 and the {len(x_train)} training images")
        super().__init__(model, device, compile)
        self.ema = (ema if ema is not None else copy.deepcopy(model)).to(self.device).eval().requires_grad_(False)
        self.x = x_train.to(self.device)  # the digits in [0, 1], as loaded (the card hashes them); scaled per batch
        self.y = y_train.to(self.device).long()
        self.batch_size, self.lr, self.p_uncond, self.ema_decay = batch_size, lr, p_uncond, ema_decay
        self.seed, self.epochs, self.fp16 = seed, epochs, fp16
        self.steps_per_epoch = len(self.x) // batch_size
        self.total = epochs * self.steps_per_epoch
        self.gen = torch.Generator(device=self.device)
        self.optimizer(lr=lr, kind="adamw", weight_decay=0.0)  # fused on CPU and CUDA, as the shipped run
        self._step = 0
        self._epochs_done = 0

    def batches(self, epoch: int):  # type: ignore[override]
        self._step = epoch * self.steps_per_epoch
        for idx in minibatch_indices(len(self.x), self.batch_size, self.device, self.gen, drop_last=True):
            yield shard(idx), len(idx)

    def step(self, idx: Tensor, global_n: int) -> dict[str, Tensor]:
        opt = self.optimizers["opt"]
        for g in opt.param_groups:
            g["lr"] = self.learning_rate(self._step)
        sampler = self.model.sampler
        dev, T = self.device, sampler.T
        # times, noise and label dropout for the global minibatch; this rank's rows (all of them in one process)
        t = shard(torch.randint(1, T + 1, (global_n,), device=dev, generator=self.gen))
        eps = shard(torch.randn((global_n, *self.x.shape[1:]), device=dev, generator=self.gen))
        drop = shard(torch.rand(global_n, device=dev, generator=self.gen) < self.p_uncond)
        x0, yb = self.x[idx] * 2 - 1, self.y[idx].clone()
        yb[drop] = NULL_CLASS
        opt.zero_grad(set_to_none=True)
        with autocast(dev):
            if world()[1] == 1:  # one process: L_simple, the mean over the minibatch
                loss = sampler.loss(self.net, x0, t, eps, yb)
                record = loss.detach()
            else:  # DDP: the mean over the global minibatch (see batch_mean)
                per = sampler.loss(self.net, x0, t, eps, yb, per_example=True)
                loss, record = batch_mean(per, global_n), per.detach().mean()
        loss.backward()
        opt.step()
        _ema_update(self.ema, self.model, self.ema_decay if self._step > 100 else 0.0)
        self._step += 1
        return {"loss": record}

    def learning_rate(self, step: int) -> float:
        """Linear warm-up over :data:`WARMUP_STEPS` steps, then cosine decay to ``lr / 10`` at the last step
        (:func:`course_lib.optim.warmup_cosine_lr`)."""
        return warmup_cosine_lr(step, self.total, self.lr, WARMUP_STEPS, floor=self.lr / 10)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        record = super().train_epoch(epoch)
        self._epochs_done = epoch + 1
        return {**record, "lr": self.optimizers["opt"].param_groups[0]["lr"]}

    def weights_for_saving(self) -> nn.Module:
        """The EMA weights; float16 after the last epoch with ``fp16``."""
        if self.fp16 and self._epochs_done >= self.epochs:
            return copy.deepcopy(self.ema).half()
        return self.ema

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "model": self.model.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "optimizer" in state and "optimizer_opt" not in state:  # resume state written by the first trainer
            state = {**state, "optimizer_opt": state["optimizer"], "torch_rng": torch.get_rng_state()}
        self.model.load_state_dict(state["model"])
        super().load_state_dict(state)


def train_diffusion(model: DiffusionUNet, x_train: Tensor, y_train: Tensor, epochs: int, batch_size: int = 128,
                    lr: float = 2e-3, p_uncond: float = 0.2, ema_decay: float = 0.999, device: Any = "auto",
                    seed: int = 0, progress_bar: bool = False, compile: bool = False,
                    callback: Any = None) -> tuple[DiffusionUNet, list[dict[str, Any]]]:
    """Train ``model`` on ``L_simple`` through :func:`course_lib.training.train_loop`; returns
    ``(ema_model, history)`` (see :class:`DiffusionTask` for the arguments)."""
    task = DiffusionTask(model, x_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, p_uncond=p_uncond,
                         ema_decay=ema_decay, seed=seed, device=device, compile=compile)
    history = train_loop(task, epochs, progress_bar=progress_bar, callback=callback, desc="diffusion")
    return task.ema, history


def task_from_run(run: Any) -> DiffusionTask:
    """The :class:`DiffusionTask` of ``python -m course_lib train diffusion`` (see :mod:`course_lib.registry`)."""
    o = run.options
    x_train, y_train = run.load("train")
    x_train, y_train = select_training_set(x_train, y_train, train_size=o["train_size"])
    ema = None
    if run.model is not None:  # resuming: the checkpoint holds the EMA; the trained weights come from the state
        ema = run.model.float()
        model = DiffusionUNet(**config_of(ema))
    else:
        model = DiffusionUNet(channels=o["channels"], emb_dim=o["emb_dim"], T=o["T"], schedule=o["schedule"],
                              num_classes=10, sample_steps=o["sample_steps"], patch=o["patch"])
    return DiffusionTask(model, x_train, y_train, epochs=run.epochs, batch_size=run.batch_size, lr=run.lr,
                         p_uncond=o["p_uncond"], ema_decay=o["ema"], seed=run.seed, device=run.device,
                         compile=run.config.compile, ema=ema, fp16=o["fp16"])


def card_extra(run: Any, task: DiffusionTask) -> dict[str, Any]:
    half = task.fp16 and task._epochs_done >= task.epochs
    return {"p_uncond": task.p_uncond, "ema_decay": task.ema_decay,
            "weights_dtype": "float16" if half else "float32",
            "sampler": f"DDIM, {task.model.sample_steps} steps, eta 0, unconditional (null class)"}


def load_diffusion(path: Any = None, device: Any = "cpu") -> tuple[DiffusionUNet, dict[str, Any]]:
    """Load a diffusion checkpoint (default: the shipped ``diffusion_offline``) in float32, in eval mode."""
    path = shipped_checkpoint("diffusion_offline") if path is None else Path(path)
    model, card = load_checkpoint(path, load_factory, KIND, device="cpu")
    return model.float().to(get_device(device)).eval(), card  # type: ignore[return-value]


def load_samples(path: Any = None) -> Tensor:
    """The 1,000 samples that ``bench/diffusion.py`` drew with the checkpoint's default sampler (the ones its
    Fréchet distance was measured on), as ``(1000, 1, 28, 28)`` float in ``[0, 1]``."""
    stem = shipped_checkpoint("diffusion_offline") if path is None else Path(path).with_suffix("")
    file = stem.with_suffix(".samples.safetensors")
    if not file.is_file():
        raise CheckpointError(f"No stored samples at {file}; make them with `python bench/diffusion.py {stem}`.")
    return load_file(str(file))["images"].float().div(255).unsqueeze(1)


#: How ``bench/diffusion.py`` names a measure's estimate and its interval's ends in a row of the card's study.
def sampling_row(card: dict[str, Any], sampler: str = "ddim", steps: int | None = None, clip: bool = True) -> dict[str, Any]:
    """One row of the sampling study that ``bench/diffusion.py`` stores in a diffusion checkpoint's card.

    Args:
        card: the checkpoint's card (:func:`~course_lib.checkpoint.read_card` or :func:`load_diffusion`).
        sampler: ``"ddim"`` (η = 0) or ``"ddpm"`` (η = 1).
        steps: sampling steps; by default the checkpoint's own (``config["sample_steps"]``).
        clip: whether the predicted ``x_0`` was clipped to ``[-1, 1]``.

    Returns:
        The row: ``fd``, ``kl_to_uniform`` (with their intervals, see :func:`row_interval`), ``classes_present``,
        ``seconds_per_image``, ``draws`` ….
    """
    steps = card["config"]["sample_steps"] if steps is None else steps
    rows = card.get("study", {}).get("sampling", {}).get("rows", [])
    for row in rows:
        if row["sampler"] == sampler and row["steps"] == steps and row["clip"] == clip:
            return row
    raise KeyError(f"the card's sampling study has no row for {sampler}, {steps} steps, clip={clip}; "
                   "measure it with `python bench/diffusion.py CHECKPOINT`")


