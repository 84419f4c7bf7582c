"""DP-SGD for the MLP VAE with Opacus (Abadi et al. 2016; Opacus: Yousefpour et al. 2021).

Differentially private SGD changes one thing in training: each example's gradient is **clipped** to norm at most
``C`` (``max_grad_norm``) before the minibatch's gradients are summed, and Gaussian noise of standard deviation
``σ·C`` is added to the sum. Minibatches are drawn by Poisson sampling (each example joins a batch with
probability ``q = 1 / ⌈N / batch_size⌉``, one over the number of batches per epoch, as Opacus's
``DPDataLoader`` sets it: 0.125, not 128/1000, for 1,000 examples in batches of 128). An **accountant** adds
up the privacy loss of all steps; Opacus picks the noise multiplier ``σ`` that makes the whole run
(ε, δ)-differentially private for the requested ε.

δ defaults to ``1/N``, a common choice, and the one chapter 6 uses; it sits at the edge of meaningful: a
mechanism that publishes one randomly chosen record in full is (0, 1/N)-differentially private, so a δ of 1/N or
more cannot rule that out, and stricter practice takes δ well below 1/N.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from ..data import select_training_set
from ..models.vae import MLPVAE, evaluate_vae, heldout_neg_elbo, negative_elbo
from ..training import Task, train_loop

__all__ = ["DPVAETask", "train_vae_dp", "task_from_run", "card_extra", "DP_CARD_KIND"]

#: the model card kind of a VAE trained by ``python -m course_lib train dp_vae`` (an MLP VAE; ``load_vae`` reads it)
DP_CARD_KIND = "dp_mlp_vae"


class DPVAETask(Task):
    """A VAE trained on the negative ELBO (β = 1) with DP-SGD through Opacus: the spine's task for ``dp_vae``.

    Args:
        model: a VAE ``model(x) -> (logits, mu, logvar)`` with layers Opacus supports (the MLP VAE).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        epochs: passes over the data (in expectation: Poisson sampling); the accountant needs it up front.
        target_epsilon: the ε of the whole run; ``math.inf`` = the baseline without privacy (the same Poisson
            batches, plain Adam, no clipping, no noise).
        delta: δ; default ``1 / N``.
        batch_size: the batch size ``B`` of the plain loader; Poisson sampling draws each example with
            ``q = 1 / ⌈N / B⌉`` (so the expected batch size ``q·N`` is ``B`` only when ``B`` divides ``N``).
        lr: Adam's learning rate.
        max_grad_norm: the per-example clipping norm ``C``.
        accountant: ``"prv"`` (Gopi et al. 2021, tight) or ``"rdp"`` (Mironov 2017).
        seed: seeds the batches and the noise.
        x_eval: held-out images for a per-epoch −ELBO.

    After training, :attr:`epsilon` is the accountant's ε for the steps taken (``inf`` for the baseline).
    Runs on the CPU (Opacus's per-example gradients); ``--resume`` is refused, because the accountant's history
    is not part of the saved state.
    """

    kind = DP_CARD_KIND

    def __init__(self, model: torch.nn.Module, x_train: torch.Tensor, *, epochs: int, target_epsilon: float,
                 delta: float | None = None, batch_size: int = 256, lr: float = 1e-3, max_grad_norm: float = 1.0,
                 accountant: str = "prv", seed: int = 0, x_eval: torch.Tensor | None = None) -> None:
        n = len(x_train)
        if x_train.dim() != 4 or tuple(x_train.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x_train must be (N, 1, 28, 28), got {tuple(x_train.shape)}")
        if not (target_epsilon > 0):
            raise ValueError(f"target_epsilon must be > 0 (math.inf for no privacy), got {target_epsilon}")
        delta = 1.0 / n if delta is None else float(delta)
        if not 0 < delta < 1:
            raise ValueError(f"delta must be in (0, 1), got {delta}")
        if accountant not in ("prv", "rdp"):
            raise ValueError(f"accountant must be 'prv' or 'rdp', got {accountant!r}")
        if max_grad_norm <= 0:
            raise ValueError(f"max_grad_norm must be > 0, got {max_grad_norm}")
        super().__init__(model, "cpu")
        self.x = x_train.detach().to("cpu", torch.float32)
        self.x_eval = None if x_eval is None else x_eval.detach().to("cpu", torch.float32)
        self.batch_size, self.epochs = batch_size, epochs
        self.target_epsilon, self.delta, self.accountant = float(target_epsilon), delta, accountant
        # Opacus samples each example with probability q = 1 / (batches per epoch); the baseline does the same
        self.max_grad_norm, self.sample_rate = float(max_grad_norm), 1.0 / math.ceil(n / batch_size)
        self.noise_multiplier, self.steps, self.epsilon = 0.0, 0, math.inf
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.engine = None
        if math.isfinite(target_epsilon):
            from opacus import PrivacyEngine

            # Poisson sampling, as the accountant assumes; the baseline below samples its batches the same way
            loader = DataLoader(TensorDataset(self.x), batch_size=batch_size, shuffle=True, generator=gen)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "secure RNG turned off" (fine for a course) and similar notices
                self.engine = PrivacyEngine(accountant=accountant)
                self.net, opt, self.loader = self.engine.make_private_with_epsilon(
                    module=self.model, optimizer=opt, data_loader=loader, target_epsilon=target_epsilon,
                    target_delta=delta, epochs=epochs, max_grad_norm=max_grad_norm, noise_generator=gen)
            self.noise_multiplier = float(opt.noise_multiplier)
        else:
            from opacus.data_loader import DPDataLoader

            self.loader = DPDataLoader(TensorDataset(self.x), sample_rate=self.sample_rate, generator=gen)
        self.optimizers["opt"] = opt

    def train_epoch(self, epoch: int) -> dict[str, float]:
        total, count = 0.0, 0
        opt = self.optimizers["opt"]
        for (xb,) in self.loader:
            if len(xb) == 0:  # Poisson sampling can draw an empty batch
                continue
            logits, mu, logvar = self.net(xb)
            loss = negative_elbo(xb, logits, mu, logvar).mean()
            opt.zero_grad(set_to_none=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Opacus's hooks fire on outputs whose inputs need no gradient
                loss.backward()
            opt.step()
            self.steps += 1
            total += float(loss.detach()) * len(xb)
            count += len(xb)
        if self.engine is not None:
            self.epsilon = float(self.engine.get_epsilon(self.delta))
        return {"train_loss": total / max(count, 1), "epsilon": self.epsilon}

    def evaluate(self) -> dict[str, Any]:
        if self.x_eval is None:
            return {}
        return {"eval_neg_elbo": evaluate_vae(self.model, self.x_eval)["neg_elbo"]}

    def finish(self) -> dict[str, Any]:
        out: dict[str, Any] = {"epsilon": self.epsilon, "delta": self.delta}
        if self.x_eval is not None:
            out.update(heldout_neg_elbo(self.model, self.x_eval))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"torch_rng": torch.get_rng_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise ValueError("a DP-SGD run cannot be resumed (the privacy accountant's history is not saved): "
                         "start it again without --resume")


def train_vae_dp(model: torch.nn.Module, x_train: torch.Tensor, epochs: int, target_epsilon: float,
                 delta: float | None = None, batch_size: int = 256, lr: float = 1e-3, max_grad_norm: float = 1.0,
                 accountant: str = "prv", seed: int = 0, x_eval: torch.Tensor | None = None) -> dict[str, Any]:
    """Train a VAE with DP-SGD in a notebook: :class:`DPVAETask` through :func:`course_lib.training.train_loop`.

    Returns:
        ``{"model", "epsilon", "delta", "noise_multiplier", "sample_rate", "steps", "history"}``; ``epsilon`` is the
        accountant's ε for the run (``inf`` for the baseline); ``history`` one dict per epoch.
    """
    torch.manual_seed(seed)
    task = DPVAETask(model, x_train, epochs=epochs, target_epsilon=target_epsilon, delta=delta,
                     batch_size=batch_size, lr=lr, max_grad_norm=max_grad_norm, accountant=accountant, seed=seed,
                     x_eval=x_eval)
    history = train_loop(task, epochs)
    return {"model": task.model, "epsilon": task.epsilon, "delta": task.delta,
            "noise_multiplier": task.noise_multiplier, "sample_rate": task.sample_rate, "steps": task.steps,
            "history": history}


# ------------------------------------------------------------------------------------ the registry's hooks
def task_from_run(run: Any) -> DPVAETask:
    """The :class:`DPVAETask` of ``python -m course_lib train dp_vae`` (see :mod:`course_lib.registry`)."""

    o = run.options
    if run.device.type != "cpu":
        raise ValueError(f"dp_vae trains on the CPU (Opacus's per-example gradients); got --device {run.device}. "
                         f"Pass --device cpu.")
    x_train, y_train = run.load("train")
    x_eval, _ = run.load("heldout")
    x_train, _ = select_training_set(x_train, y_train, train_size=o["train_size"])
    model = run.model if run.model is not None else MLPVAE(o["z_dim"], o["hidden"])
    return DPVAETask(model, x_train, epochs=run.epochs, target_epsilon=o["epsilon"], delta=o["delta"],
                     batch_size=run.batch_size, lr=run.lr, max_grad_norm=o["max_grad_norm"],
                     accountant=o["accountant"], seed=run.seed, x_eval=x_eval)


def card_extra(run: Any, task: DPVAETask) -> dict[str, Any]:
    return {"description": "MLPVAE (Bernoulli likelihood on grey-level pixels), trained on the negative ELBO with "
                           "DP-SGD (Opacus: per-example clipping, Gaussian noise, Poisson sampling)",
            "dp": {"target_epsilon": task.target_epsilon, "epsilon": task.epsilon, "delta": task.delta,
                   "noise_multiplier": round(task.noise_multiplier, 4), "max_grad_norm": task.max_grad_norm,
                   "sample_rate": task.sample_rate, "steps": task.steps, "accountant": task.accountant},
            "beta": 1.0, "likelihood": "bernoulli"}
