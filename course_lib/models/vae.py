"""Variational autoencoders (VAE): MLP and convolutional models for 28 × 28 images, the ELBO, the IWAE bound.

The model, its loss (the negative ELBO, reconstruction **plus** β · KL) and the shapes are described in
:mod:`course_lib.models.vae_model`.

The models and their mathematics (the networks, the ELBO, the IWAE bound, :class:`LinearGaussianVAE` whose
``log p(x)`` is known in closed form) are :mod:`course_lib.models.vae_model`; this module re-exports them and adds
how a VAE is trained, evaluated and loaded: :class:`VAETask` (the command line's ``python -m course_lib train
vae --arch conv``), :func:`train_vae`, :func:`evaluate_vae`, :func:`load_vae`.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..checkpoint import CheckpointError, load_checkpoint, read_card
from ..data import select_training_set, spread_subset, to_unit_float
from ..device import DeviceLike
from ..distributed import batch_mean, shard
from ..optim import LR_SCHEDULES, warmup_cosine_lr
from ..stats import bootstrap_interval
from ..training import Callback, Task, autocast, train_loop
from .vae_model import (GAUSSIAN_SIGMA, MLPVAE, ConvVAE, DeepConvVAE, LatentMixture, LinearGaussianVAE,
                        _at_least_float32, _check_images, _check_pixel_range, _VAEBase, gaussian_kl, iwae_bound,
                        iwae_bounds_per_prior, log_likelihood, negative_elbo, reparameterize)

__all__ = [
    "MLPVAE",
    "ConvVAE",
    "DeepConvVAE",
    "LinearGaussianVAE",
    "LatentMixture",
    "reparameterize",
    "gaussian_kl",
    "log_likelihood",
    "negative_elbo",
    "iwae_bound",
    "iwae_bounds_per_prior",
    "evaluate_vae",
    "VAETask",
    "train_vae",
    "load_vae",
    "kind_of",
    "config_of",
    "GAUSSIAN_SIGMA",
    "VAE_KINDS",
]


# --------------------------------------------------------------------------------------------- training
#: model-card kind -> class; ``dp_mlp_vae`` is an MLP VAE trained with DP-SGD (``course_lib.responsible.dp``)
VAE_KINDS: dict[str, type[_VAEBase]] = {"mlp_vae": MLPVAE, "conv_vae": ConvVAE, "deep_conv_vae": DeepConvVAE,
                                        "dp_mlp_vae": MLPVAE}


def kind_of(model: nn.Module) -> str:
    """The model-card kind of a course_lib image VAE (``"conv_vae"``, …)."""
    for kind, cls in VAE_KINDS.items():
        if type(model) is cls:
            return kind
    raise ValueError(f"not a course_lib image VAE: {type(model).__name__}")


def config_of(model: nn.Module) -> dict[str, int]:
    """The keyword arguments that rebuild ``model`` (saved in its model card); ``prior_components`` only for a
    model with a fitted mixture prior, so that the cards of the others are unchanged."""
    if isinstance(model, MLPVAE):
        config = {"z_dim": model.z_dim, "hidden": model.hidden}
    elif isinstance(model, ConvVAE):
        config = {"z_dim": model.z_dim, "channels": model.channels}
    elif isinstance(model, DeepConvVAE):
        config = {"z_dim": model.z_dim, "channels": model.channels, "hidden": model.hidden}
    else:
        raise ValueError(f"not a course_lib image VAE: {type(model).__name__}")
    if model.prior is not None:
        config["prior_components"] = model.prior.components
    return config


@torch.no_grad()
def evaluate_vae(model: nn.Module, x: Tensor, batch_size: int = 1000, seed: int = 0,
                 likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA) -> dict[str, float]:
    """Held-out numbers of a VAE, per image in nats, with β = 1 (the true ELBO), reproducibly.

    One reparameterised sample per image from a generator seeded with ``seed`` (the KL is exact).

    Returns:
        ``{"neg_elbo": ..., "recon": ..., "kl": ...}`` averaged over the images of ``x`` ``(N, 1, 28, 28)``.
    """
    _check_images(x)
    if likelihood == "bernoulli":
        _check_pixel_range(x)
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    tot = {"neg_elbo": 0.0, "recon": 0.0, "kl": 0.0}
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(dev)
        with autocast(dev):
            mu, logvar = model.encode(xb)
            z = reparameterize(_at_least_float32(mu), _at_least_float32(logvar), gen)
            logits = model.decode(z)
        recon = -log_likelihood(xb, logits, likelihood, sigma, validate=False)
        kl = gaussian_kl(_at_least_float32(mu), _at_least_float32(logvar))
        tot["recon"] += float(recon.sum())
        tot["kl"] += float(kl.sum())
    model.train(was_training)
    n = x.shape[0]
    out = {k: v / n for k, v in tot.items()}
    out["neg_elbo"] = out["recon"] + out["kl"]
    return out


class VAETask(Task):
    """Training a VAE on the negative ELBO: one Adam step per minibatch (the task behind :func:`train_vae`)."""

    def __init__(self, model: nn.Module, x_train: Tensor, *, epochs: int, batch_size: int = 128, lr: float = 1e-3,
                 beta: float = 1.0, device: DeviceLike = "auto", x_eval: Tensor | None = None, compile: bool = False,
                 likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA,
                 optimizer: torch.optim.Optimizer | None = None, lr_schedule: str = "constant",
                 y_train: Tensor | None = None, iwae_k: int = 0, seed: int = 0, prior_components: int = 0) -> None:
        _check_images(x_train, "x_train")
        if likelihood == "bernoulli" and x_train.dtype != torch.uint8:  # uint8 grey levels are in [0, 1] as floats
            _check_pixel_range(x_train, "x_train")
        if x_eval is not None:
            _check_images(x_eval, "x_eval")
        if batch_size < 1 or not lr > 0 or beta < 0:
            raise ValueError(f"need batch_size >= 1, lr > 0 and beta >= 0; got {batch_size}, {lr}, {beta}")
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
        super().__init__(model, device, compile)
        self.kind = kind_of(model) if type(model) in VAE_KINDS.values() else type(model).__name__
        # the model's own floating type: float32, or float64 for a model made double (portable small experiments)
        dtype = next(model.parameters()).dtype if next(model.parameters()).dtype == torch.float64 else torch.float32
        # uint8 grey levels stay uint8 (a quarter of the memory) and become floats a minibatch at a time
        self.x = x_train.to(self.device) if x_train.dtype == torch.uint8 else x_train.to(self.device, dtype)
        self.dtype = dtype
        # the epoch's shuffling and the reparameterisation noise; the loop seeds it with epoch_seed(seed, epoch)
        self.seed, self.gen = seed, torch.Generator(device=self.device)
        self.x_eval = x_eval.to(self.device, dtype) if x_eval is not None else None
        self.batch_size, self.lr, self.beta, self.lr_schedule = batch_size, lr, beta, lr_schedule
        self.likelihood, self.sigma = likelihood, sigma
        self.iwae_k = iwae_k
        if prior_components < 0:
            raise ValueError(f"prior_components must be >= 0, got {prior_components}")
        self.prior_components = prior_components
        if y_train is not None:
            self.class_counts = torch.bincount(y_train.long(), minlength=10).tolist()
        self.steps_per_epoch = math.ceil(len(self.x) / batch_size)
        self.total_steps = max(1, epochs * self.steps_per_epoch)
        self.warmup_steps = max(1, round(0.1 * self.total_steps))
        self._step = 0
        if optimizer is not None:
            self.optimizers["opt"] = optimizer
        else:
            self.optimizer(lr=lr)  # fused Adam on CPU and CUDA

    def train_epoch(self, epoch: int) -> dict[str, float]:
        self._step = epoch * self.steps_per_epoch
        return super().train_epoch(epoch)

    def step(self, idx: Tensor, global_n: int) -> dict[str, Tensor]:
        opt = self.optimizers["opt"]
        if self.lr_schedule == "cosine":
            for group in opt.param_groups:
                group["lr"] = warmup_cosine_lr(self._step, self.total_steps, self.lr, self.warmup_steps)
        self._step += 1
        xb = to_unit_float(self.x[idx], self.dtype)  # the very values of the float32 digits
        # the noise of the global minibatch, this rank's rows: under torchrun the same numbers as in one process
        eps = shard(torch.randn(global_n, self.model.z_dim, device=self.device, dtype=self.dtype, generator=self.gen))
        with autocast(self.device):
            logits, mu, logvar = self.net(xb, eps=eps)
        loss = negative_elbo(xb, logits, mu, logvar, likelihood=self.likelihood, beta=self.beta, sigma=self.sigma,
                             validate=False)  # x_train was checked once, in __init__
        opt.zero_grad(set_to_none=True)
        batch_mean(loss, global_n).backward()
        opt.step()
        return {"train_loss": loss.detach().mean()}

    def evaluate(self) -> dict[str, Any]:
        if self.x_eval is None:
            return {}
        ev = evaluate_vae(self.model, self.x_eval, likelihood=self.likelihood, sigma=self.sigma)
        return {"eval_neg_elbo": ev["neg_elbo"], "eval_recon": ev["recon"], "eval_kl": ev["kl"]}


    def finish(self) -> dict[str, float]:
        """After the last epoch. With ``prior_components`` > 0, first fit the mixture prior to the training
        digits' codes (:meth:`fit_prior <course_lib.models.vae_model._VAEBase.fit_prior>`, seeded with the run's
        seed). Then, for the model card: the held-out −ELBO of the final weights and its terms (under
        ``N(0, I)``, the prior the model was trained with: its KL term is exact only there), and the IWAE bound
        with ``iwae_k`` importance samples (when ``iwae_k > 0``), under the prior the model samples from and,
        for a mixture prior, under ``N(0, I)`` too; the bounds need held-out images."""
        metrics: dict[str, float] = {}
        if self.prior_components:
            t0 = time.perf_counter()
            self.model.fit_prior(to_unit_float(self.x, self.dtype), self.prior_components, seed=self.seed)
            metrics["prior_fit_s"] = round(time.perf_counter() - t0, 1)
        if self.x_eval is None:
            return metrics
        metrics.update(heldout_neg_elbo(self.model, self.x_eval))
        if self.iwae_k > 0:
            names = ("", "_standard_prior") if self.prior_components else ("",)
            gen = torch.Generator(device=self.device)
            gen.manual_seed(0)
            with torch.no_grad():     # one decoder pass for both priors: the same draws z ~ q(z | x), paired
                chunks = [iwae_bounds_per_prior(self.model, self.x_eval[s:s + 500], k=self.iwae_k, generator=gen,
                                                standard_priors=tuple(bool(name) for name in names))
                          for s in range(0, len(self.x_eval), 500)]
            per_image = {name: torch.cat([c[i] for c in chunks]).double().cpu() for i, name in enumerate(names)}
            for name, bound in per_image.items():
                metrics[f"heldout_neg_iwae_k{self.iwae_k}{name}_nats_per_image"] = round(-float(bound.mean()), 3)
            if len(per_image) == 2:
                # what the mixture gains over N(0, I) per held-out image, with a bootstrap interval over the images
                gain = bootstrap_interval((per_image[""] - per_image["_standard_prior"]).numpy(), seed=0)
                metrics["heldout_iwae_gain_of_prior_nats_per_image"] = [round(gain.estimate, 3),
                                                                        round(gain.low, 3), round(gain.high, 3)]
        return metrics


def train_vae(model: nn.Module, x_train: Tensor, epochs: int, batch_size: int = 128, lr: float = 1e-3,
              beta: float = 1.0, device: DeviceLike = "auto", x_eval: Tensor | None = None, progress: bool = False,
              compile: bool = False, likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA,
              optimizer: torch.optim.Optimizer | None = None, start_epoch: int = 0,
              callback: Callback | None = None, lr_schedule: str = "constant", seed: int = 0) -> list[dict[str, Any]]:
    """Train a VAE with Adam on the negative ELBO (reconstruction + β·KL), through :func:`~course_lib.training.train_loop`.

    The training images are moved to the device **once**, as one tensor; each epoch draws a random permutation
    of indices (on the device) and slices minibatches from it. On CUDA the forward pass runs under bfloat16
    autocast (the loss is computed in float32).

    Args:
        model: an :class:`MLPVAE`, :class:`ConvVAE` or :class:`DeepConvVAE` (anything with
            ``forward(x) -> (logits, mu, logvar)``); moved to the device in place.
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]`` (or ``uint8`` grey levels, converted a minibatch at a time).
        epochs: train until this many epochs are done in total (``start_epoch`` counts as done).
        batch_size, lr: minibatch size and Adam's learning rate.
        beta: KL weight in the training loss (held-out numbers always use β = 1).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, …
        x_eval: optional held-out images; after each epoch their −ELBO (nats/image, β = 1) is recorded.
        progress: show a tqdm bar over epochs.
        compile: run the forward pass through ``torch.compile``.
        likelihood, sigma: see :func:`log_likelihood`.
        optimizer: an existing optimizer to continue with; a new fused Adam otherwise
            (:func:`course_lib.optim.make_optimizer`).
        start_epoch: epochs already done (resuming).
        callback: ``callback(epoch_done, record, model)`` after each epoch.
        lr_schedule: ``"constant"`` or ``"cosine"`` (:func:`course_lib.optim.warmup_cosine_lr`: warm-up over
            the first 10 % of the steps, then a cosine decay to 0 over ``epochs``), set before every step.
        seed: the run's seed: each epoch's shuffling and noise come from a generator that the loop seeds with
            :func:`course_lib.training.epoch_seed` ``(seed, epoch)``, so a run resumed at ``start_epoch`` (with its
            ``optimizer``) draws the minibatches and noise of an uninterrupted one. (The initial weights come from
            the caller's model.)

    Returns:
        The history: one dict per epoch with ``epoch``, ``train_loss`` (mean training loss per image),
        ``eval_neg_elbo`` / ``eval_recon`` / ``eval_kl`` (if ``x_eval``) and ``epoch_time_s``.
    """
    task = VAETask(model, x_train, epochs=epochs, batch_size=batch_size, lr=lr, beta=beta, device=device,
                   x_eval=x_eval, compile=compile, likelihood=likelihood, sigma=sigma, optimizer=optimizer,
                   lr_schedule=lr_schedule, seed=seed)
    return train_loop(task, epochs, start_epoch=start_epoch, progress_bar=progress, callback=callback, desc="VAE")


def load_vae(path: str | Path, device: DeviceLike = "cpu") -> tuple[_VAEBase, dict[str, Any]]:
    """Load an image VAE checkpoint written by ``python -m course_lib train vae`` (any architecture).

    Returns:
        ``(model in eval mode, model card)``.
    """
    kind = read_card(path).get("kind")
    if kind not in VAE_KINDS:
        raise CheckpointError(f"{path} holds a {kind!r} model, not a VAE (expected one of {sorted(VAE_KINDS)}).")
    model, card = load_checkpoint(path, VAE_KINDS[kind], kind=kind, device=device)
    return model, card  # type: ignore[return-value]


# ------------------------------------------------------------------------------------ the registry's hooks
def task_from_run(run: Any) -> VAETask:
    """The :class:`VAETask` of ``python -m course_lib train vae`` (see :mod:`course_lib.registry`)."""
    o = run.options
    x_train, y_train = run.load("train", torch.uint8)  # converted a minibatch at a time (VAETask.step)
    x_eval, _ = run.load("heldout")
    # Evenly spaced subsets: the offline split is ordered by digit, so "the first N" would be all zeros.
    x_train, y_train = select_training_set(x_train, y_train, train_size=o["train_size"], rare_digit=o["rare_digit"],
                                           rare_factor=o["rare_factor"])
    if o["eval_size"] is not None:
        x_eval = x_eval[spread_subset(len(x_eval), o["eval_size"], x_eval.device)]
    model = run.model
    if model is None:
        arch = o["arch"]
        z_dim = o["z_dim"] if o["z_dim"] is not None else {"conv": 16, "deepconv": 16, "mlp": 20}[arch]
        if arch == "conv":
            model = ConvVAE(z_dim, o["channels"])  # no fully connected layer: --hidden is not used
        elif arch == "deepconv":
            model = DeepConvVAE(z_dim, o["channels"], o["hidden"] if o["hidden"] is not None else 256)
        else:
            model = MLPVAE(z_dim, o["hidden"] if o["hidden"] is not None else 400)
    return VAETask(model, x_train, epochs=run.epochs, batch_size=run.batch_size, lr=run.lr, beta=o["beta"],
                   device=run.device, x_eval=x_eval, compile=run.config.compile, lr_schedule=o["lr_schedule"],
                   y_train=y_train, iwae_k=o["iwae_k"], seed=run.seed, prior_components=o["prior_components"])


def card_extra(run: Any, task: VAETask) -> dict[str, Any]:
    return {"description": f"{type(task.model).__name__} (Bernoulli likelihood on grey-level pixels), trained on "
                           f"the negative ELBO with beta={task.beta}",
            "beta": task.beta, "likelihood": task.likelihood, "lr_schedule": task.lr_schedule}


def heldout_neg_elbo(model: nn.Module, x_heldout: Tensor, y_heldout: Tensor | None = None) -> dict[str, float]:
    """The held-out −ELBO and its two terms, in nats per image: what a VAE's model card records and what
    ``python -m course_lib evaluate`` adds for it (``y_heldout`` is not used: the registry's hook signature)."""
    ev = evaluate_vae(model, x_heldout.to(next(model.parameters()).device))
    return {"heldout_neg_elbo_nats_per_image": round(ev["neg_elbo"], 3),
            "heldout_recon_nats_per_image": round(ev["recon"], 3),
            "heldout_kl_nats_per_image": round(ev["kl"], 3)}
