"""The training spine: the one loop and the one run that every model of ``course_lib`` trains through.

Two layers, so that a notebook can train a model it holds and the command line can train one by name:

* :func:`train_loop` — **the loop**. ``for epoch: record = task.train_epoch(epoch) | task.evaluate()``, a tqdm
  bar, one JSON-serialisable history (a list of per-epoch dicts) and one callback signature,
  ``callback(epoch_done, record, model)``. The library functions ``train_vae``, ``train_dcgan``,
  ``train_classifier``, ``train_gpt`` and ``train_gan`` are this loop with their model's :class:`Task`.
* :func:`fit` — **the run** behind ``python -m course_lib train MODEL``: it owns the seed, the device, the CPU
  threads, the output name (``{model}_{data}`` unless ``--name``), resuming, atomic checkpoints (temporary file,
  then ``os.replace``: a run killed while saving keeps its last good checkpoint), the model card (exact command,
  data and its SHA-256, seed, wall time, device, world size, optimiser, library versions, metrics, history) and
  :class:`~torch.nn.parallel.DistributedDataParallel` under ``torchrun`` (rank 0 alone writes files).

Also here: :func:`autocast` (bf16 on CUDA), :func:`maybe_compile` and :func:`progress`. Elsewhere, one module per
idea: the optimiser factory and the learning-rate schedule in :mod:`course_lib.optim`; minibatch order,
training subsets, the image check and what a card says of the data in :mod:`course_lib.data`
(:func:`~course_lib.data.minibatch_indices`, :func:`~course_lib.data.spread_subset`,
:func:`~course_lib.data.check_images`, :func:`~course_lib.data.data_description`,
:func:`~course_lib.data.sha256_of`); several processes in
:mod:`course_lib.distributed` (:func:`~course_lib.distributed.world`, :func:`~course_lib.distributed.shard`,
:func:`~course_lib.distributed.batch_mean`, :func:`~course_lib.distributed.all_sum`).

How to add a model — one module and one registry entry
-------------------------------------------------------
Put the ``nn.Module`` (and its maths) in ``course_lib/models/NAME.py``; write a :class:`Task` (how to build the
model, one epoch of training, evaluation); register it in :mod:`course_lib.registry` (what the command line, the
evaluator and the audit need of it: options, defaults, hooks such as a membership attack). The shortest complete
example (``tests/test_registry.py`` runs exactly this through the command line)::

    import torch
    from torch import nn
    from course_lib.registry import ModelKind, Option, register
    from course_lib.distributed import batch_mean
    from course_lib.training import Task

    class Toy(nn.Module):                              # models/: a pure nn.Module with sample(n, *, generator)
        def __init__(self, width: int = 8):
            super().__init__()
            self.width, self.net = width, nn.Linear(width, 784)
        def forward(self, z): return torch.sigmoid(self.net(z)).view(-1, 1, 28, 28)
        @torch.no_grad()
        def sample(self, n, *, generator=None):
            return self(torch.randn(n, self.width, generator=generator))

    class ToyTask(Task):
        kind = "toy"                                   # the model card's "kind"
        def __init__(self, model, x, batch_size=64, lr=1e-3, device="cpu"):
            super().__init__(model, device)
            self.x, self.batch_size = x.to(self.device), batch_size
            self.opt = self.optimizer(lr=lr)           # make_optimizer: fused Adam on CPU/CUDA
        def step(self, idx, global_n):                 # one optimiser step on this process's x[idx]
            z = torch.randn(len(idx), self.model.width, device=self.device)
            per_image = (self.net(z) - self.x[idx]).pow(2).flatten(1).mean(1)
            self.opt.zero_grad()
            batch_mean(per_image, global_n).backward()  # the mean over the global minibatch (also under DDP)
            self.opt.step()
            return {"loss": per_image.mean().detach()}  # the mean over idx; the loop averages the epoch

    register(ModelKind(
        name="toy", card_kinds={"toy": Toy},
        options=[Option("--width", int, 8, "noise width")],
        defaults={"epochs": 2, "batch_size": 64, "lr": 1e-3},
        make_task=lambda run: ToyTask(run.model or Toy(run.options["width"]), run.load("train")[0],
                                      run.batch_size, run.lr, run.device),
        config=lambda m: {"width": m.width},
        audit="images"))                               # python -m course_lib audit measures its samples

``Task.train_epoch`` (default: every minibatch of :meth:`Task.batches` through :meth:`Task.step`, averaging the
returned losses) and ``Task.evaluate`` (default: nothing) are overridden where a model needs more — a GAN's
``step`` makes a discriminator and a generator step with two optimisers; the GPT's "epoch" is ``eval_every``
optimiser steps on random windows.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm.auto import tqdm

from .checkpoint import CheckpointError, load_checkpoint, load_training_state, read_card, save_checkpoint, weights_epoch
from .data import data_description, images_sha256, load_mnist, minibatch_indices
from .device import DeviceLike, describe_device, get_device
from .distributed import all_sum, join_process_group, shard, world
from .optim import make_optimizer, optimizer_description
from .seed import set_seed

if TYPE_CHECKING:  # the registry sits above the models, which sit above this module: a type only
    from .registry import ModelKind

__all__ = [
    "TrainConfig",
    "Task",
    "Run",
    "fit",
    "train_loop",
    "epoch_seed",
    "autocast",
    "maybe_compile",
    "progress",
    "Callback",
]

#: ``callback(epoch_done, record, model)`` after every epoch (``record`` is the history's newest dict).
Callback = Callable[[int, dict[str, Any], nn.Module], None]


# ------------------------------------------------------------------------------------------------ pieces
def autocast(device: torch.device | str) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast on CUDA; a no-op context elsewhere (CPU and MPS stay in float32)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def maybe_compile(model: nn.Module, enabled: bool) -> nn.Module:
    """``torch.compile(model)`` when ``enabled``; the model itself otherwise (save ``model``, not the wrapper)."""
    return torch.compile(model) if enabled else model  # type: ignore[return-value]


def progress(iterable: Any, enabled: bool, desc: str = "", total: int | None = None) -> Any:
    """Wrap ``iterable`` in a tqdm bar (to stderr) when ``enabled``."""
    if not enabled:
        return iterable

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch`` (0-based) of a run seeded ``seed``: ``seed * 1_000_003 + epoch``.

    The one per-epoch seeding scheme: :func:`train_loop` seeds a task's :attr:`Task.gen` with it before every
    epoch, so that an epoch's shuffling and noise depend on ``(seed, epoch)`` only and a resumed run continues
    exactly. (Two runs of different seeds share no epoch seed below a million epochs.)
    """
    return seed * 1_000_003 + epoch


# ------------------------------------------------------------------------------------------------ a task
class Task:
    """What one model adds to the spine: its model, its optimiser(s), one epoch of training, evaluation.

    Subclasses set :attr:`kind` (the model card's kind) and implement :meth:`step` (one optimiser step on a
    minibatch, returning its losses as 0-dim tensors) or, for another notion of an epoch, :meth:`train_epoch`.

    Attributes:
        model: the module that is trained and saved (``nn.Module``; for a GAN, both players in one module).
        net: what the training step calls: ``model``, possibly ``torch.compile``-d and, under ``torchrun``,
            wrapped in ``DistributedDataParallel`` (:meth:`distribute`).
        device: the model's device.
        optimizers: name → optimiser; saved and restored for ``--resume``.
        seed, gen: a task that draws its randomness (shuffling, noise, augmentation) from a ``torch.Generator``
            on its device sets ``gen`` to one; :func:`train_loop` seeds it with :func:`epoch_seed` ``(seed,
            epoch)`` before every epoch. ``gen = None``: the task draws from PyTorch's global generator.
    """

    kind: str = ""
    #: the training examples :meth:`train_epoch` iterates over (``len(x)`` per epoch); set by the subclass (the
    #: model card records their SHA-256 and number; a task on other data, the GPT's, leaves it ``None``)
    x: torch.Tensor | None = None
    #: the training set's examples per class (digits 0-9), recorded on the model card; set by tasks given labels
    class_counts: list[int] | None = None
    batch_size: int = 128
    drop_last: bool = False
    seed: int = 0
    gen: torch.Generator | None = None

    def __init__(self, model: nn.Module, device: DeviceLike = "auto", compile: bool = False) -> None:
        self.device = get_device(device)
        self.model = model.to(self.device)
        self.model.train()
        self.net: nn.Module = maybe_compile(self.model, compile)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    # -- optimisers
    def optimizer(self, params: Any = None, name: str = "opt", **kwargs: Any) -> torch.optim.Optimizer:
        """A :func:`make_optimizer` optimiser over ``params`` (default: the model's), registered as ``name``."""
        opt = make_optimizer(self.model.parameters() if params is None else params, device=self.device, **kwargs)
        self.optimizers[name] = opt
        return opt

    # -- one epoch
    def batches(self, epoch: int) -> Iterator[tuple[torch.Tensor, int]]:
        """``(local indices, global minibatch size)`` for one epoch: a fresh permutation drawn from :attr:`gen`
        (PyTorch's global generator if ``None``). Under DDP each rank gets its :func:`shard` of every minibatch."""
        for idx in minibatch_indices(len(self.x), self.batch_size, self.device, self.gen, drop_last=self.drop_last):
            yield shard(idx), len(idx)

    def step(self, idx: torch.Tensor, global_n: int) -> dict[str, torch.Tensor]:
        """One optimiser step on ``x[idx]``; returns the mean losses over ``idx`` (detached 0-dim tensors).

        ``idx`` is this process's part of a minibatch of ``global_n`` examples (all of it in one process);
        back-propagate :func:`batch_mean` of the per-example loss so that DDP's averaged gradient is the
        gradient of the mean over the global minibatch.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement step() or train_epoch()")

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One epoch: every minibatch through :meth:`step`; each loss averaged over the examples of the epoch
        (summed over the ranks under DDP). Values stay on the device until the end of the epoch: one
        synchronisation per epoch, not one per step."""
        sums: dict[str, torch.Tensor] = {}
        count = 0
        for idx, global_n in self.batches(epoch):
            out = self.step(idx, global_n)
            for k, v in out.items():
                part = v.detach() * len(idx)
                sums[k] = sums[k] + part if k in sums else part
            count += global_n
        return {k: float(all_sum(v)) / count for k, v in sums.items()}

    def evaluate(self) -> dict[str, Any]:
        """Numbers recorded after every epoch (e.g. held-out loss); default none."""
        return {}

    def finish(self) -> dict[str, Any]:
        """Final metrics for the model card, after the last epoch (default: none beyond the history)."""
        return {}

    # -- saving and resuming
    def save_files(self, stem: Path) -> None:
        """Write companion files beside the checkpoint ``stem`` (default none; the DCGAN saves its snapshots)."""

    def weights_for_saving(self) -> nn.Module:
        """The module whose weights the checkpoint stores (default :attr:`model`; the GPT may store float16)."""
        return self.model

    def state_dict(self) -> dict[str, Any]:
        """What ``--resume`` needs besides the weights: the optimisers' states and the RNG."""
        state: dict[str, Any] = {f"optimizer_{k}": v.state_dict() for k, v in self.optimizers.items()}
        state["torch_rng"] = torch.get_rng_state()
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, opt in self.optimizers.items():
            key = f"optimizer_{k}"
            if key not in state:
                raise ValueError(f"the resume state has no {key!r}: it was written by another kind of run")
            opt.load_state_dict(state[key])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)

    def distribute(self) -> None:
        """Wrap :attr:`net` in ``DistributedDataParallel`` (called by :func:`fit` under ``torchrun``).

        BatchNorm layers become ``SyncBatchNorm`` on CUDA (on CPUs PyTorch has no SyncBatchNorm: each rank then
        normalises with its own part of the minibatch). GAN tasks override this (two players, see
        :mod:`course_lib.models.dcgan`).
        """

        if self.device.type == "cuda":
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.net = DDP(self.net, device_ids=ids)


# ------------------------------------------------------------------------------------------------ the loop
def train_loop(task: Task, epochs: int, *, start_epoch: int = 0, progress_bar: bool = False,
               callback: Callback | None = None, desc: str | None = None) -> list[dict[str, Any]]:
    """Train ``task`` from epoch ``start_epoch`` until ``epochs`` are done; the one loop of ``course_lib``.

    Before each epoch the task's generator, if it has one, is seeded with :func:`epoch_seed` ``(task.seed,
    epoch)``. After each epoch the record ``{"epoch": e, **task.train_epoch(), **task.evaluate(), "epoch_time_s": t}`` is
    appended to the history and passed to ``callback(e, record, task.model)``. The model is left in eval mode.

    Returns:
        The history of this call: a list of per-epoch dicts of plain numbers (JSON-serialisable).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if not isinstance(start_epoch, int) or not 0 <= start_epoch <= epochs:
        raise ValueError(f"need 0 <= start_epoch <= epochs, got start_epoch={start_epoch}, epochs={epochs}")
    history: list[dict[str, Any]] = []
    bar = progress(range(start_epoch, epochs), progress_bar and world()[0] == 0, desc or task.kind,
                   total=epochs - start_epoch)
    for epoch in bar:
        t0 = time.perf_counter()
        task.model.train()
        record: dict[str, Any] = {"epoch": epoch + 1}
        if task.gen is not None:  # the loop owns the seeding: one scheme for every task
            task.gen.manual_seed(epoch_seed(task.seed, epoch))
        record.update(task.train_epoch(epoch))
        record.update(task.evaluate())
        record["epoch_time_s"] = round(time.perf_counter() - t0, 3)
        history.append(record)
        if progress_bar and hasattr(bar, "set_postfix"):
            bar.set_postfix({k: f"{v:.4g}" for k, v in record.items()
                             if isinstance(v, float) and k != "epoch_time_s"})
        if callback is not None:
            callback(epoch + 1, record, task.model)
    task.model.eval()
    return history


# ------------------------------------------------------------------------------------------------ the run
@dataclass
class TrainConfig:
    """Everything ``python -m course_lib train MODEL`` is told; the fields are the common options.

    ``epochs``, ``batch_size`` and ``lr`` left as ``None`` take the model's defaults (its registry entry);
    ``options`` holds the model's own options (``--z-dim`` → ``options["z_dim"]``).
    """

    model: str
    data: str | None = None  # the model's first data choice ("offline" for the MNIST models, "book" for the GPT)
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    out: str = "runs"
    name: str | None = None
    resume: bool = False
    compile: bool = False
    progress: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    command: str | None = None

    def validate(self) -> None:
        """Clear errors for values that cannot work (the CLI calls this before anything is loaded)."""
        for name in ("epochs", "batch_size", "threads"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{flag} must be a positive whole number, got {v!r}")
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"--lr must be a positive number, got {self.lr!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed must be a non-negative whole number, got {self.seed!r}")


class Run:
    """One ``fit`` in progress: what a registry entry's ``make_task(run)`` reads to build its task.

    Attributes: ``config``; ``kind`` (the registry entry); ``options`` (the model's own options, defaults
    filled in); ``epochs``, ``batch_size``, ``lr`` (defaults filled in); ``device``; ``rank``, ``world_size``;
    ``model`` (the resumed model, or ``None`` for a fresh run); ``card`` (the resumed run's model card); ``stem``
    (``OUT/NAME``, the checkpoint's path without suffix). ``make_task`` may set ``run.epochs`` when the model
    counts its training otherwise (the GPT: ``ceil(steps / eval_every)`` evaluation periods).
    """

    def __init__(self, config: TrainConfig, kind: ModelKind) -> None:
        self.config, self.kind = config, kind
        self.options = {**{o.dest: o.default for o in kind.options}, **config.options}
        d = kind.defaults
        self.epochs = config.epochs if config.epochs is not None else _default(d, "epochs", config.data)
        self.batch_size = config.batch_size if config.batch_size is not None else _default(d, "batch_size", config.data)
        self.lr = config.lr if config.lr is not None else _default(d, "lr", config.data)
        self.data = config.data
        self.seed = config.seed
        self.device = get_device(config.device)
        self.rank, self.world_size = world()
        self.model: nn.Module | None = None
        self.card: dict[str, Any] = {}
        self.stem = Path(config.out) / (config.name or f"{kind.name}_{config.data}")

    def load(self, part: str, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images, labels)`` of the run's data, ``part`` ``"train"`` or ``"heldout"``, on the run's device
        (``dtype=torch.uint8``: the grey levels, see :func:`course_lib.data.to_unit_float`)."""
        return load_mnist(self.data, part, device=self.device, dtype=dtype)  # type: ignore[arg-type]


def _default(defaults: dict[str, Any], key: str, data: str) -> Any:
    v = defaults[key]
    return v(data) if callable(v) else v


def fit(config: TrainConfig, kind: ModelKind) -> Path:
    """Train a model of the kind ``kind`` as the command line asks; return the ``.safetensors`` path.

    ``kind`` is the registry entry named ``config.model`` (the command line passes
    ``course_lib.registry.get(config.model)``; the registry is not imported here, since it names the models,
    which import this module).

    Writes ``OUT/NAME.safetensors`` (weights), ``OUT/NAME.json`` (model card) and ``OUT/NAME.state.pt`` (resume
    state) after every epoch, atomically; ``NAME`` is ``{model}_{data}`` unless ``config.name``. Under
    ``torchrun --nproc_per_node N`` each process runs this function; rank 0 alone writes files.
    """
    config.validate()
    if kind.name != config.model:
        raise ValueError(f"fit: the config asks for {config.model!r} but the model kind given is {kind.name!r}")
    if config.data is None:
        config.data = kind.data_choices[0]
    if config.data not in kind.data_choices:
        raise ValueError(f"--data must be one of {', '.join(kind.data_choices)} for {kind.name}, got {config.data!r}")
    for o in kind.options:
        o.check(config.options.get(o.dest, o.default))
    started = join_process_group(config.device)
    try:
        if config.threads:
            torch.set_num_threads(config.threads)
        run = Run(config, kind)
        if run.device.type == "cuda" and run.world_size > 1:
            run.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        stem = Path(config.out) / (config.name or f"{kind.name}_{config.data}")
        run.stem = stem
        set_seed(config.seed)
        start, prior, wall0, state = 0, [], 0.0, None
        if config.resume:
            if not stem.with_suffix(".json").is_file():
                raise CheckpointError(f"--resume: no checkpoint at {stem}.json to resume from. Start without "
                                      f"--resume, or pass the --out/--name of the interrupted run.")
            card = read_card(stem)
            if card.get("kind") not in kind.card_kinds:
                raise CheckpointError(f"--resume: {stem} holds a {card.get('kind')!r} model, not a "
                                      f"{kind.name} model ({', '.join(kind.card_kinds)}).")
            run.model, run.card = load_checkpoint(stem, kind.card_kinds[card["kind"]], card["kind"], device=run.device)
            state = load_training_state(stem)
            start, wall0 = int(state["epoch"]), float(card.get("wall_time_s", 0.0))
            if weights_epoch(stem) not in (None, start):
                raise CheckpointError(f"--resume: the weights of {stem} are from epoch {weights_epoch(stem)} but "
                                      f"its resume state from epoch {start} (a run killed while saving?). "
                                      f"Start again without --resume.")
            prior = list(card.get("history", [])) if isinstance(card.get("history"), list) else []
            saved = card.get("options") if isinstance(card.get("options"), dict) else {}
            run.options.update({k: saved[k] for k in kind.fixed_on_resume if k in saved})
        task = kind.make_task(run)
        if config.resume and start >= run.epochs:
            raise CheckpointError(f"{stem} already finished {start} of {run.epochs} epochs; nothing to resume. "
                                  f"Ask for more with --epochs.")
        if state is not None:
            task.load_state_dict(state)
        if run.world_size > 1:
            task.distribute()
        data_info = kind.data_card(run, task) if kind.data_card else _images_card(run, task)
        t0 = time.perf_counter()
        history = prior

        def card(epoch: int, metrics: dict[str, Any]) -> dict[str, Any]:
            return {
                "model": kind.description or type(task.model).__name__,
                **data_info,
                "seed": config.seed, "epochs": epoch, "epochs_requested": run.epochs,
                "batch_size": run.batch_size, "lr": run.lr, "options": run.options,
                "optimizer": {k: optimizer_description(o) for k, o in task.optimizers.items()},
                "wall_time_s": round(wall0 + time.perf_counter() - t0, 1),
                "device": describe_device(run.device), "world_size": run.world_size,
                "compiled": config.compile, "command": config.command, "finished": epoch >= run.epochs,
                "metrics": metrics, "history": history,
            }

        def save(epoch: int, record: dict[str, Any], model: nn.Module, metrics: dict[str, Any] | None = None) -> None:
            if run.rank != 0:
                return
            metrics = metrics if metrics is not None else {k: v for k, v in record.items()
                                                           if k not in ("epoch", "epoch_time_s")}
            extra = kind.card_extra(run, task) if kind.card_extra else {}
            save_checkpoint(task.weights_for_saving(), stem, task.kind, kind.config(task.model),
                            {**card(epoch, metrics), **extra}, state={**task.state_dict(), "epoch": epoch})
            task.save_files(stem)

        def on_epoch(epoch: int, record: dict[str, Any], model: nn.Module) -> None:
            history.append(_rounded(record))
            save(epoch, record, model)

        train_loop(task, run.epochs, start_epoch=start, progress_bar=config.progress, callback=on_epoch,
                   desc=kind.name)
        final = task.finish()
        if final:
            save(run.epochs, history[-1], task.model, metrics={**_metrics_of(history[-1]), **final})
        if run.world_size > 1:
            dist.barrier()
        return stem.with_suffix(".safetensors")
    finally:
        if started:
            dist.destroy_process_group()


def _metrics_of(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("epoch", "epoch_time_s")}


def _rounded(record: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}


def _images_card(run: Run, task: Task) -> dict[str, Any]:
    x = task.x
    out: dict[str, Any] = {"data": data_description(run.data), "data_source": run.data}
    if isinstance(x, torch.Tensor):
        out["data_sha256"] = images_sha256(x)
        out["train_examples"] = int(len(x))
    if run.options.get("rare_digit") is not None:
        out["skew"] = {"rare_digit": run.options["rare_digit"], "rare_factor": run.options["rare_factor"],
                       **({"class_counts": task.class_counts} if task.class_counts is not None else {})}
    return out
