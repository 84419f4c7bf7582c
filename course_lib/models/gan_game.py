"""The GAN game: each player's loss and one alternating update, shared by chapter 2's toy and chapter 5's DCGAN.

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
(``d_steps`` discriminator steps, then one generator step) for any pair of networks: the 2-D toy of chapter 2
(:mod:`course_lib.models.gan`, which re-exports all of this) and the MNIST DCGAN of chapter 5
(:mod:`course_lib.models.dcgan`).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.optim import Optimizer

from ..training import autocast

__all__ = ["GeneratorLossKind", "discriminator_loss", "generator_loss", "gan_train_step"]

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
    noise: Callable[[int], Tensor] | None = None,
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
        noise: optional ``noise(B) -> (B, z_dim)``, called for each draw instead of ``torch.randn`` from
            ``generator_rng`` (under DDP: this process's rows of the noise of the global minibatch, see
            :class:`course_lib.models.dcgan.DCGANTask`).

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

    def draw() -> Tensor:
        if noise is None:
            return _sample_z(batch, z_dim, device, generator_rng)
        z = noise(batch)
        if tuple(z.shape) != (batch, z_dim):
            raise ValueError(f"noise({batch}) gave shape {tuple(z.shape)}, expected {(batch, z_dim)}")
        return z

    generator.train()
    discriminator.train()

    loss_d = torch.zeros((), device=device)
    d_real = d_fake = torch.zeros((), device=device)
    for _ in range(d_steps):
        z = draw()
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

    z = draw()
    d_for_g = discriminator if discriminator_for_g is None else discriminator_for_g
    with _frozen(d_for_g):
        with autocast(device):
            fake_logits = d_for_g(generator(z))
        loss_g = generator_loss(fake_logits.float(), kind)  # type: ignore[arg-type]
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "d_real": d_real, "d_fake": d_fake}
