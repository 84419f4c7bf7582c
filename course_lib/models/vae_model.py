"""Variational autoencoders (VAE), the models and their mathematics: MLP and convolutional VAEs for 28 × 28
images, the ELBO, the IWAE bound, and a linear-Gaussian VAE whose ``log p(x)`` is known in closed form.


The generative model is ``z ~ N(0, I)``, ``x | z ~ p_θ(x | z)``: the **decoder maps a sampled latent z to the
parameters of a distribution over images** (here Bernoulli logits, one per pixel). The encoder ``q_φ(z | x) =
N(μ_φ(x), diag exp(logvar_φ(x)))`` approximates the intractable posterior. Training minimises the **negative
ELBO**, reconstruction **plus** KL::

    −ELBO(x) = E_q[−log p_θ(x | z)] + β · KL(q_φ(z | x) ‖ N(0, I))        (β = 1: the true bound)

**The prior hole.** The KL term pulls each ``q(z | x)`` towards ``N(0, I)``, but the *aggregate* posterior
``q(z) = (1/N) Σ_i q(z | x_i)``, where the decoder has learnt to draw digits, never fills ``N(0, I)`` exactly: a
draw from the prior can land where no training code lies, and decodes to a smudge. :class:`LatentMixture` is
the remedy of *ex-post density estimation* (Ghosh et al. 2020, arXiv:1903.12436): after training, fit a Gaussian
mixture to the training digits' codes and draw ``z`` from it instead. The decoder is unchanged; the model is
``z ~ mixture``, ``x | z ~ p_θ(x | z)``, whose likelihood :func:`iwae_bound` still bounds from below.

With ``β = 0`` the KL term is gone and the model is a (noisy) autoencoder, not a generative model: nothing ties
the codes to the prior, so ``decode(z)`` for ``z ~ N(0, I)`` need not look like data.

Shapes: images ``x`` are ``(N, 1, 28, 28)`` with values in ``[0, 1]``; latents ``z``, ``mu`` and ``logvar`` are
``(N, z_dim)``; decoder outputs are logits ``(N, 1, 28, 28)``. Every loss is **per image**, shape ``(N,)``, in
nats (natural-log units), summed over pixels and latent dimensions.

:class:`LinearGaussianVAE` has a closed-form ``log p(x)`` and posterior, used to check the ELBO and the IWAE bound
exactly. How the image VAEs are trained and loaded (the Task, ``train_vae``, ``load_vae``) is
:mod:`course_lib.models.vae`, which also re-exports every name defined here.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import check_images

__all__ = ["MLPVAE", "ConvVAE", "DeepConvVAE", "LinearGaussianVAE", "LatentMixture", "reparameterize", "gaussian_kl",
           "log_likelihood", "negative_elbo", "iwae_bound", "iwae_bounds_per_prior", "GAUSSIAN_SIGMA", "IMAGE_SHAPE"]

#: Default standard deviation of the fixed-variance Gaussian likelihood (pixels in [0, 1]).
GAUSSIAN_SIGMA = 0.1
_LOG_2PI = math.log(2.0 * math.pi)
IMAGE_SHAPE = (1, 28, 28)


# ----------------------------------------------------------------------------------------------- checks

def _at_least_float32(t: Tensor) -> Tensor:
    """``t`` in float32, or kept in float64 (a model trained in double precision stays in it)."""
    return t if t.dtype == torch.float64 else t.float()


def _check_images(x: Tensor, name: str = "x") -> None:
    check_images(x, name, values=False)


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
def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None,
                   eps: Tensor | None = None) -> Tensor:
    """The reparameterisation trick: ``z = mu + exp(logvar / 2) · ε`` with ``ε ~ N(0, I)``.

    ``z`` is a differentiable function of ``(mu, logvar)``; the randomness sits in ``ε``.

    Args:
        mu, logvar: ``(..., z_dim)`` mean and log-variance of the diagonal Gaussian ``q(z | x)``.
        generator: optional ``torch.Generator`` for reproducible noise.
        eps: the noise itself, shape of ``mu`` (drawn here when not given).

    Returns:
        ``z`` with the shape of ``mu``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    if eps is None:
        eps = _standard_normal(tuple(mu.shape), mu, generator)
    elif eps.shape != mu.shape:
        raise ValueError(f"eps must have the shape of mu, {tuple(mu.shape)}, got {tuple(eps.shape)}")
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
        logits = _at_least_float32(logits)  # the loss is always summed in (at least) float32
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
    return recon + beta * gaussian_kl(_at_least_float32(mu), _at_least_float32(logvar))


def _log_normal(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last dimension."""
    return -0.5 * (((z - mu) ** 2) * torch.exp(-logvar) + logvar + _LOG_2PI).sum(-1)


def iwae_bound(model: nn.Module, x: Tensor, k: int = 50, generator: torch.Generator | None = None,
               likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA, chunk: int = 16384,
               standard_prior: bool = False) -> Tensor:
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
        standard_prior: for a model with a fitted :class:`LatentMixture` ``prior``, bound the likelihood under
            ``N(0, I)`` (the prior it was trained with) instead of under the mixture (the prior it samples from).

    Returns:
        ``(N,)`` lower bounds on ``log p(x)``.
    """
    return iwae_bounds_per_prior(model, x, k, generator, likelihood, sigma, chunk, (standard_prior,))[0]


def iwae_bounds_per_prior(model: nn.Module, x: Tensor, k: int = 50, generator: torch.Generator | None = None,
                          likelihood: str = "bernoulli", sigma: float = GAUSSIAN_SIGMA, chunk: int = 16384,
                          standard_priors: tuple[bool, ...] = (False,)) -> list[Tensor]:
    """:func:`iwae_bound` under several priors from **one** pass of the decoder: the draws ``z ~ q(z | x)`` and
    ``log p(x | z)`` are shared, only ``log p(z)`` differs. One ``(N,)`` bound per entry of ``standard_priors``
    (``True``: ``N(0, I)``; ``False``: the model's own prior), each equal to what :func:`iwae_bound` gives with
    the same generator state; the bounds are paired (the same draws), so their difference has no sampling noise
    from different ``z``."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    mu, logvar = model.encode(x)
    mu, logvar = _at_least_float32(mu), _at_least_float32(logvar)
    n = x.shape[0]
    per = max(1, chunk // max(n, 1))  # samples per decoder call
    custom = getattr(model, "log_px_given_z", None)
    mixture = getattr(model, "prior", None)
    log_priors = [mixture.log_prob if mixture is not None and not standard else None for standard in standard_priors]
    log_w: list[list[Tensor]] = [[] for _ in standard_priors]
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
        log_qz = _log_normal(z, mu, logvar).reshape(m * n)
        for out, log_prior in zip(log_w, log_priors):
            log_pz = log_prior(zf) if log_prior is not None else -0.5 * (zf.pow(2) + _LOG_2PI).sum(-1)
            out.append((log_px + log_pz - log_qz).reshape(m, n))
        done += m
    return [torch.logsumexp(torch.cat(out, 0), dim=0) - math.log(k) for out in log_w]


# ----------------------------------------------------------------------------------------------- models
class LatentMixture(nn.Module):
    """A Gaussian mixture density over the latent space: the prior a VAE samples from after *ex-post density
    estimation* (Ghosh et al. 2020, arXiv:1903.12436; see the module's note on the prior hole).

    ``p(z) = Σ_k w_k N(z; m_k, L_k L_kᵀ)`` with ``K`` components, full covariances given by their lower
    Cholesky factors ``L_k``. The parameters are buffers (saved with the model's weights, never trained by the
    optimiser): ``log_weights (K,)``, ``means (K, d)``, ``scale_tril (K, d, d)``. A new mixture is the standard
    normal repeated ``K`` times until :meth:`fit` (or loaded weights) sets it.

    Args:
        components: ``K`` ≥ 1.
        dim: ``d``, the latent dimension.
    """

    def __init__(self, components: int, dim: int) -> None:
        super().__init__()
        if components < 1 or dim < 1:
            raise ValueError(f"a latent mixture needs components >= 1 and dim >= 1, got {components} and {dim}")
        self.components, self.dim = components, dim
        self.register_buffer("log_weights", torch.full((components,), -math.log(components)))
        self.register_buffer("means", torch.zeros(components, dim))
        self.register_buffer("scale_tril", torch.eye(dim).repeat(components, 1, 1))

    @classmethod
    def fit(cls, z: Tensor, components: int, seed: int = 0, max_iter: int = 200) -> "LatentMixture":
        """Fit ``components`` full-covariance Gaussians to the codes ``z`` ``(N, d)`` by EM (scikit-learn's
        ``GaussianMixture``, k-means initialisation seeded ``seed``), in float64; returns a mixture on ``z``'s
        device. Needs more codes than components."""
        from sklearn.mixture import GaussianMixture

        if z.dim() != 2 or z.shape[0] <= components:
            raise ValueError(f"fitting {components} components needs codes of shape (N, d) with N > {components}, "
                             f"got {tuple(z.shape)}")
        if not torch.isfinite(z).all():
            raise ValueError("the codes to fit contain NaN or inf: the encoder diverged; fit a finished model")
        gm = GaussianMixture(components, covariance_type="full", random_state=seed, max_iter=max_iter)
        gm.fit(z.detach().double().cpu().numpy())
        mixture = cls(components, z.shape[1])
        cov = torch.from_numpy(gm.covariances_)
        mixture.log_weights.copy_(torch.from_numpy(gm.weights_).log())
        mixture.means.copy_(torch.from_numpy(gm.means_))
        mixture.scale_tril.copy_(torch.linalg.cholesky(0.5 * (cov + cov.transpose(1, 2))))
        return mixture.to(z.device)

    def log_prob(self, z: Tensor) -> Tensor:
        """``log p(z)`` ``(N,)`` of latents ``z`` ``(N, d)``, in nats."""
        if z.dim() != 2 or z.shape[1] != self.dim:
            raise ValueError(f"z must have shape (N, {self.dim}), got {tuple(z.shape)}")
        diff = (z[:, None, :] - self.means).unsqueeze(-1)                      # (N, K, d, 1)
        # whiten each component's residual: L_k^{-1} (z - m_k)
        white = torch.linalg.solve_triangular(self.scale_tril, diff, upper=False).squeeze(-1)
        log_det = self.scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)     # (K,) = ½ log det Σ_k
        log_comp = -0.5 * (white.pow(2).sum(-1) + self.dim * _LOG_2PI) - log_det
        return torch.logsumexp(self.log_weights + log_comp, dim=-1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` latents ``(n, d)``: a component ``k ~ w``, then ``z = m_k + L_k ε`` with ``ε ~ N(0, I)``,
        both drawn from ``generator`` (on its device) and moved to the mixture's."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        dev = generator.device if generator is not None else self.means.device
        k = torch.multinomial(self.log_weights.exp().to(dev), n, replacement=True, generator=generator)
        k = k.to(self.means.device)
        eps = _standard_normal((n, self.dim, 1), self.means, generator)
        return self.means[k] + (self.scale_tril[k] @ eps).squeeze(-1)


class _VAEBase(nn.Module):
    """Shared ``encode`` / ``forward`` / ``sample`` of the image VAEs.

    Subclasses define ``enc`` (images → features), the linear heads ``enc_mu`` and ``enc_logvar``, and ``decode``.
    """

    z_dim: int
    enc: nn.Module
    enc_mu: nn.Linear
    enc_logvar: nn.Linear
    #: the prior :meth:`sample` draws from: ``None`` for ``N(0, I)``, or a fitted :class:`LatentMixture`
    prior: LatentMixture | None

    def _init_prior(self, prior_components: int) -> None:
        """Make room for a ``prior_components``-component mixture prior (0: the standard normal only)."""
        if prior_components < 0:
            raise ValueError(f"prior_components must be >= 0, got {prior_components}")
        self.prior = LatentMixture(prior_components, self.z_dim) if prior_components else None

    def fit_prior(self, x: Tensor, components: int, seed: int = 0, batch_size: int = 1000) -> LatentMixture:
        """Ex-post density estimation: encode the images ``x`` ``(N, 1, 28, 28)``, draw one code per image from
        ``q(z | x)`` (a generator seeded ``seed``), fit a ``components``-component :class:`LatentMixture` to
        those codes and make it this model's :attr:`prior`. One draw per image, not the means: the mixture then
        estimates the aggregate posterior ``q(z)`` itself, so it is as wide as the codes the decoder was trained
        on in every direction (also the latent directions the model does not use, where ``q(z | x) ≈ N(0, 1)``).
        """
        _check_images(x)
        was_training = self.training
        self.eval()
        ref = next(self.parameters())
        gen = torch.Generator(device=ref.device).manual_seed(seed)
        with torch.no_grad():
            codes = []
            for s in range(0, len(x), batch_size):
                mu, logvar = self.encode(x[s:s + batch_size].to(ref.device, ref.dtype))
                codes.append(reparameterize(_at_least_float32(mu), _at_least_float32(logvar), gen))
        self.train(was_training)
        self.prior = LatentMixture.fit(torch.cat(codes), components, seed=seed).to(ref.device)
        return self.prior

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, 1, 28, 28)`` images → ``(mu, logvar)``, each ``(N, z_dim)``."""
        _check_images(x)
        h = self.enc(x)
        return self.enc_mu(h), self.enc_logvar(h)

    def _check_z(self, z: Tensor) -> None:
        if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            shape = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (N, {self.z_dim}) for this model (z_dim={self.z_dim}), got {shape}")

    def forward(self, x: Tensor, generator: torch.Generator | None = None,
                eps: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Encode, draw ``z ~ q(z | x)`` by reparameterisation (with noise ``eps`` if given), decode **that sample**.

        Returns:
            ``(logits (N, 1, 28, 28), mu (N, z_dim), logvar (N, z_dim))``.
        """
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator, eps)
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None, standard_prior: bool = False) -> Tensor:
        """``n`` images from the model: ``z`` from its prior, returned as ``sigmoid(decode(z))``,
        ``(n, 1, 28, 28)`` in [0, 1].

        The prior is ``N(0, I)``, or the fitted :class:`LatentMixture` when the model has one (``standard_prior
        = True`` draws from ``N(0, I)`` all the same: the same decoder, the prior it was trained with). These are
        the Bernoulli means (grey levels), the usual way to show VAE samples.
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        ref = _at_least_float32(next(self.parameters()))
        prior = getattr(self, "prior", None)
        if prior is not None and not standard_prior:
            z = prior.sample(n, generator).to(ref.dtype)
        else:
            z = _standard_normal((n, self.z_dim), ref, generator)
        return torch.sigmoid(_at_least_float32(self.decode(z)))


class MLPVAE(_VAEBase):
    """A VAE with one hidden layer in the encoder and in the decoder (as in pytorch/examples' ``vae``).

    Encoder ``784 → hidden → (mu, logvar)``; decoder ``z_dim → hidden → 784`` logits. ReLU activations.

    Args:
        z_dim: latent dimension (2 gives a latent space one can draw).
        hidden: width of the hidden layers.
        prior_components: ``K`` > 0 makes room for a fitted :class:`LatentMixture` prior (set by :meth:`fit_prior`
            or loaded with the weights); 0 (default): ``N(0, I)``.
    """

    def __init__(self, z_dim: int = 20, hidden: int = 400, prior_components: int = 0) -> None:
        super().__init__()
        if z_dim < 1 or hidden < 1:
            raise ValueError(f"z_dim and hidden must be >= 1, got z_dim={z_dim}, hidden={hidden}")
        self.z_dim, self.hidden = z_dim, hidden
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU())
        self.enc_mu = nn.Linear(hidden, z_dim)
        self.enc_logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784))
        self._init_prior(prior_components)

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
        prior_components: ``K`` > 0 makes room for a fitted :class:`LatentMixture` prior (set by :meth:`fit_prior`
            or loaded with the weights); 0 (default): ``N(0, I)``.
    """

    def __init__(self, z_dim: int = 16, channels: int = 32, prior_components: int = 0) -> None:
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
        self._init_prior(prior_components)

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
        prior_components: ``K`` > 0 makes room for a fitted :class:`LatentMixture` prior (set by :meth:`fit_prior`
            or loaded with the weights); 0 (default): ``N(0, I)``.
    """

    def __init__(self, z_dim: int = 16, channels: int = 32, hidden: int = 256, prior_components: int = 0) -> None:
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
        self._init_prior(prior_components)

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
