"""DP-SGD for the MLP VAE with Opacus (Abadi et al. 2016; Opacus: Yousefpour et al. 2021).

Differentially private SGD changes one thing in training: each example's gradient is **clipped** to norm at most
``C`` (``max_grad_norm``) before the minibatch's gradients are summed, and Gaussian noise of standard deviation
``σ·C`` is added to the sum. Minibatches are drawn by Poisson sampling (each example joins a batch with
probability ``q = batch_size / N``). An **accountant** adds up the privacy loss of all steps; Opacus picks the
noise multiplier ``σ`` that makes the whole run (ε, δ)-differentially private for the requested ε.

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

__all__ = ["train_vae_dp"]


def train_vae_dp(model: torch.nn.Module, x_train: torch.Tensor, epochs: int, target_epsilon: float,
                 delta: float | None = None, batch_size: int = 256, lr: float = 1e-3, max_grad_norm: float = 1.0,
                 accountant: str = "prv", seed: int = 0, x_eval: torch.Tensor | None = None) -> dict[str, Any]:
    """Train a VAE (``model(x) -> (logits, mu, logvar)``) on the negative ELBO with DP-SGD via Opacus, on the CPU.

    Args:
        model: e.g. :class:`course_lib.vae.MLPVAE` (layers Opacus supports: Linear, Conv, no BatchNorm).
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        epochs: passes over the data (in expectation, with Poisson sampling).
        target_epsilon: the ε of the whole run; ``math.inf`` trains without privacy (plain Adam, same batches),
            the baseline.
        delta: δ; default ``1 / N``.
        batch_size: the *expected* batch size ``q·N``.
        lr: Adam's learning rate.
        max_grad_norm: the per-example clipping norm ``C``.
        accountant: ``"prv"`` (Gopi et al. 2021, tight) or ``"rdp"`` (Mironov 2017) — Opacus's accountants.
        seed: seeds the initial draws, the batches and the noise.
        x_eval: held-out images for a per-epoch −ELBO (β = 1).

    Returns:
        ``{"epsilon", "delta", "noise_multiplier", "sample_rate", "steps", "history": [{"epoch", "train_loss",
        "eval_neg_elbo"}]}``; ``epsilon`` is the accountant's ε for the run (``inf`` for the baseline).
    """
    from ..models.vae import evaluate_vae, negative_elbo

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
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(x_train.cpu()), batch_size=batch_size, shuffle=True, generator=gen)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    private = math.isfinite(target_epsilon)
    engine = None
    noise = 0.0
    if private:
        from opacus import PrivacyEngine

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "secure RNG turned off" (fine for a course) and similar notices
            engine = PrivacyEngine(accountant=accountant)
            model, opt, loader = engine.make_private_with_epsilon(
                module=model, optimizer=opt, data_loader=loader, target_epsilon=target_epsilon,
                target_delta=delta, epochs=epochs, max_grad_norm=max_grad_norm, noise_generator=gen)
        noise = float(opt.noise_multiplier)
    history = []
    steps = 0
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for (xb,) in loader:
            if len(xb) == 0:  # Poisson sampling can draw an empty batch
                continue
            logits, mu, logvar = model(xb)
            loss = negative_elbo(xb, logits, mu, logvar).mean()
            opt.zero_grad(set_to_none=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Opacus's hooks fire on outputs whose inputs need no gradient
                loss.backward()
            opt.step()
            steps += 1
            total += float(loss.detach()) * len(xb)
            count += len(xb)
        row = {"epoch": epoch, "train_loss": total / max(count, 1)}
        if x_eval is not None:
            inner = getattr(model, "_module", model)
            row["eval_neg_elbo"] = evaluate_vae(inner, x_eval)["neg_elbo"]
        history.append(row)
    eps = engine.get_epsilon(delta) if engine is not None else math.inf
    inner = getattr(model, "_module", model)
    return {"model": inner, "epsilon": float(eps), "delta": delta, "noise_multiplier": noise,
            "sample_rate": batch_size / n, "steps": steps, "history": history}
