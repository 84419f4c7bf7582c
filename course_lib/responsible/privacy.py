"""Privacy, measured: memorisation by nearest-neighbour distance, and the Laplace mechanism of differential privacy.

Two small tools that chapters 1 and 6 share.

* **Memorisation.** A generative model that copies its training data produces samples that lie much closer to
  some *training* image than to any image it has never seen. :func:`nearest_neighbour_distance` measures the
  Euclidean distance from each sample to its nearest neighbour in a reference set, and
  :func:`memorisation_ratio` compares the distance to the training set with the distance to an equally large
  held-out set drawn from the same distribution: a ratio near 0 means copying, a ratio near 1 means the
  samples are no closer to the training images than to fresh ones.
* **Differential privacy** (Dwork, McSherry, Nissim & Smith 2006). A query whose answer changes by at most
  ``sensitivity`` when one person's record is added or removed becomes ε-differentially private when
  Laplace noise of scale ``sensitivity / ε`` is added to it (:func:`laplace_mechanism`). A count has
  sensitivity 1 (:func:`noisy_count`).
"""
from __future__ import annotations

import math

import torch

__all__ = [
    "nearest_neighbour_distance",
    "memorisation_ratio",
    "laplace_scale",
    "laplace_mechanism",
    "noisy_count",
]


def _flat(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, ...) with at least 2 dimensions, got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one item")
    return x.reshape(x.shape[0], -1).float()


def nearest_neighbour_distance(samples: torch.Tensor, reference: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Euclidean distance from each sample to its nearest neighbour in ``reference``.

    Args:
        samples: ``(N, ...)``, e.g. generated images ``(N, 1, 28, 28)``.
        reference: ``(M, ...)`` with the same trailing size, e.g. training images; on the same device.
        batch_size: samples compared at once (memory is ``batch_size × M`` floats).

    Returns:
        ``(N,)`` distances, on the device of ``samples``.
    """
    a, b = _flat(samples, "samples"), _flat(reference, "reference")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"samples have {a.shape[1]} values per item and reference {b.shape[1]}: compare items of the same shape"
        )
    if a.device != b.device:
        raise ValueError(f"samples are on {a.device} and reference on {b.device}: move both to one device")
    out = []
    for i in range(0, a.shape[0], batch_size):
        chunk = a[i : i + batch_size]
        # The fast matrix-product form of cdist finds the neighbour; the distance to it is then recomputed
        # directly, so that an exact copy gets exactly 0 (the fast form leaves rounding noise of ~1e-3).
        nearest = torch.cdist(chunk, b).argmin(dim=1)
        out.append((chunk - b[nearest]).norm(dim=1))
    return torch.cat(out)


def memorisation_ratio(samples: torch.Tensor, train: torch.Tensor, heldout: torch.Tensor) -> torch.Tensor:
    """Per-sample ratio ``d(sample, train) / d(sample, held-out)`` of nearest-neighbour distances.

    Near 0: the sample sits on top of a training item (copying). Near 1 (or above): it is no closer to the
    training set than to unseen data. Use reference sets of **equal size**: the nearest neighbour in a larger
    set is closer just because there are more candidates.

    Args:
        samples: ``(N, ...)``.
        train: ``(M, ...)`` training items.
        heldout: ``(M, ...)`` held-out items from the same distribution, as many as ``train``.

    Returns:
        ``(N,)`` ratios.
    """
    if train.shape[0] != heldout.shape[0]:
        raise ValueError(
            f"train has {train.shape[0]} items and heldout {heldout.shape[0]}: use equally many of each "
            f"(e.g. a random subset of train) so that the two distances are comparable"
        )
    d_train = nearest_neighbour_distance(samples, train)
    d_held = nearest_neighbour_distance(samples, heldout)
    return d_train / d_held.clamp_min(1e-12)


def laplace_scale(sensitivity: float, epsilon: float) -> float:
    """Scale ``b = sensitivity / ε`` of the Laplace noise that makes a query ε-differentially private."""
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive finite number (smaller = more private), got {epsilon!r}")
    if not (isinstance(sensitivity, (int, float)) and math.isfinite(sensitivity) and sensitivity > 0):
        raise ValueError(f"sensitivity must be a positive finite number, got {sensitivity!r}")
    return float(sensitivity) / float(epsilon)


def laplace_mechanism(
    value: float | torch.Tensor,
    sensitivity: float,
    epsilon: float,
    n_draws: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Release ``value + Laplace(0, sensitivity / ε)``.

    Args:
        value: the true answer of the query (a number or a tensor of answers).
        sensitivity: the most the answer can change when one record is added or removed.
        epsilon: the privacy parameter ε > 0.
        n_draws: if given, return that many independent releases (shape ``(n_draws, *value.shape)``), to study
            the mechanism; a real release is a single draw.
        generator: a ``torch.Generator`` for reproducible noise.

    Returns:
        The noisy answer(s), float64.
    """
    b = laplace_scale(sensitivity, epsilon)
    v = torch.as_tensor(value, dtype=torch.float64)
    shape = v.shape if n_draws is None else (int(n_draws), *v.shape)
    if n_draws is not None and n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    # Inverse-CDF sampling with our own generator: u ~ U(-1/2, 1/2), noise = -b·sign(u)·log(1 − 2|u|).
    u = torch.rand(shape, dtype=torch.float64, generator=generator, device=v.device) - 0.5
    noise = -b * torch.sign(u) * torch.log1p(-2.0 * u.abs())
    return v + noise


def noisy_count(
    mask: torch.Tensor,
    epsilon: float,
    n_draws: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """An ε-differentially private count of the ``True`` entries of ``mask`` (sensitivity 1).

    Args:
        mask: ``(N,)`` booleans, one per record ("does this person have the property?").
        epsilon: the privacy parameter ε > 0.
        n_draws: number of independent releases to return (see :func:`laplace_mechanism`).
        generator: for reproducible noise.

    Returns:
        The noisy count(s), float64.
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.ndim != 1:
        raise ValueError(
            "mask must be a 1-D boolean tensor with one entry per record, e.g. labels == 7; "
            f"got {type(mask).__name__} {getattr(mask, 'dtype', '')} {tuple(getattr(mask, 'shape', ()))}"
        )
    return laplace_mechanism(mask.sum().item(), 1.0, epsilon, n_draws=n_draws, generator=generator)
