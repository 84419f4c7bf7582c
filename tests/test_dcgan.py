"""The DCGAN: shapes (and the 7×7 mistake it avoids), packing, one epoch of training, the shipped checkpoint."""
from __future__ import annotations

import pytest
import torch

from course_lib import load_offline_mnist
from course_lib.models.dcgan import (DCGANDiscriminator, DCGANGenerator, load_dcgan, load_snapshots, make_dcgan,
                              train_dcgan)
from course_lib.evaluator import class_coverage, load_classifier
from course_lib.data import spread_subset


def test_generator_upsamples_7_14_28_into_unit_interval():
    g = DCGANGenerator(z_dim=8, channels=4).eval()
    z = torch.randn(3, 8)
    h = g.project(z)
    assert h.shape == (3, 8, 7, 7)
    assert g.up[0](h).shape == (3, 4, 14, 14)
    x = g(z)
    assert x.shape == (3, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    with pytest.raises(ValueError, match="z must have shape"):
        g(torch.randn(3, 9))


def test_the_deep_generator_draws_its_strokes_at_28_by_28_and_round_trips_through_a_card(tmp_path):
    """``deep=True``: a 3x3 conv at 14x14, a c-channel 28x28 map, then one 3x3 conv to the image; the config
    records it (plain cards stay as they were) and the CLI's checkpoint loads back into the same architecture."""
    from course_lib.cli import main
    from course_lib.evaluator import load_any
    from course_lib.models.dcgan import config_of

    g = DCGANGenerator(z_dim=8, channels=4, deep=True).eval()
    h = g.up[:6](g.project(torch.randn(3, 8)))
    assert h.shape == (3, 4, 14, 14)
    assert g.up[:9](g.project(torch.randn(3, 8))).shape == (3, 4, 28, 28)
    x = g(torch.randn(3, 8))
    assert x.shape == (3, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert sum(p.numel() for p in g.parameters()) > sum(p.numel() for p in DCGANGenerator(8, 4).parameters())
    assert "deep" not in config_of(make_dcgan(8, 4, 4)) and config_of(make_dcgan(8, 4, 4, deep=True))["deep"]
    assert main(["train", "dcgan", "--deep-generator", "--channels", "4", "--d-channels", "4", "--z-dim", "8",
                 "--epochs", "1", "--train-size", "64", "--batch-size", "32", "--evaluator", "none", "--snapshots", "0",
                 "--out", str(tmp_path), "--name", "deep", "--no-progress"]) == 0
    model, card = load_any(tmp_path / "deep")
    assert card["config"]["deep"] is True and model.generator.deep and model.generator_ema.deep
    assert model.sample(2, generator=torch.Generator().manual_seed(0)).shape == (2, 1, 28, 28)


def test_discriminator_packing():
    x = torch.rand(8, 1, 28, 28)
    assert DCGANDiscriminator(4, pack=1)(x).shape == (8,)
    assert DCGANDiscriminator(4, pack=2)(x).shape == (4,)
    with pytest.raises(ValueError, match="multiple"):
        DCGANDiscriminator(4, pack=3)(x)
    with pytest.raises(ValueError, match="28, 28"):
        DCGANDiscriminator(4)(torch.rand(8, 784))


def test_one_epoch_updates_both_players():
    x, _ = load_offline_mnist("train")
    x = x[spread_subset(len(x), 256)]
    m = make_dcgan(z_dim=8, channels=4, d_channels=4, pack=2, seed=0)
    g0 = [p.detach().clone() for p in m.generator.parameters()]
    d0 = [p.detach().clone() for p in m.discriminator.parameters()]
    hist = train_dcgan(m, x, epochs=1, batch_size=64, device="cpu")
    assert len(hist) == 1 and all(torch.isfinite(torch.tensor(v)) for v in hist[0].values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, m.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, m.discriminator.parameters()))


def test_training_is_reproducible():
    x, _ = load_offline_mnist("train")
    x = x[spread_subset(len(x), 128)]
    outs = []
    for _ in range(2):
        m = make_dcgan(z_dim=8, channels=4, d_channels=4, seed=3)
        train_dcgan(m, x, epochs=1, batch_size=32, device="cpu", seed=5)
        outs.append(m.generator.sample(4, torch.Generator().manual_seed(0)))
    assert torch.allclose(outs[0], outs[1])


@pytest.fixture(scope="module")
def shipped_coverage():
    m, card = load_dcgan()
    clf, _ = load_classifier()
    x = m.sampling_generator.sample(10_000, torch.Generator().manual_seed(0))
    assert x.shape == (10_000, 1, 28, 28)
    return class_coverage(x, clf), card


def test_shipped_dcgan_draws_every_digit(shipped_coverage):
    """All 10 digits on 10,000 samples, and no worse than a clearly imbalanced generator (regression guard)."""
    cov, card = shipped_coverage
    assert cov["classes_present"] == 10
    assert cov["min_share"] > 0.01
    assert cov["kl_to_uniform"] < 0.2
    assert card["command"].startswith("python -m course_lib train dcgan")


def test_shipped_dcgan_meets_the_coverage_target(shipped_coverage):
    """The target of chapter 5: KL(class histogram || uniform) <= 0.05 nats on 10,000 samples."""
    cov, _ = shipped_coverage
    assert cov["kl_to_uniform"] <= 0.05


def test_snapshots_over_training():
    epochs, images = load_snapshots()
    assert images.shape[0] == len(epochs) and images.shape[2:] == (1, 28, 28)
    assert epochs.tolist() == sorted(epochs.tolist())


def test_ema_generator_averages_weights_and_recalibrates_batch_norm():
    m = make_dcgan(z_dim=8, channels=4, d_channels=4, ema=True, seed=0)
    assert m.sampling_generator is m.generator_ema
    w_ema = m.generator_ema.up[0].weight
    assert torch.equal(w_ema, m.generator.up[0].weight)
    with torch.no_grad():
        m.generator.up[0].weight.add_(1.0)
    m.update_ema(0.9)
    assert torch.allclose(w_ema, m.generator.up[0].weight - 0.9)      # moved 10% of the way
    m.recalibrate_ema(torch.Generator().manual_seed(0), batches=2, batch_size=64)
    bn = m.generator_ema.up[1]
    assert bn.num_batches_tracked == 2 and not torch.allclose(bn.running_mean, torch.zeros_like(bn.running_mean))
    assert not m.generator_ema.training


def test_the_per_epoch_quality_row_holds_the_recognisable_share_of_its_samples():
    """The curve a DCGAN card records per epoch: FD, coverage and the recognisable share, of the same samples."""
    from course_lib.metrics import frechet_distance, recognisable_share
    from course_lib.models.dcgan import _quality

    m, _ = load_dcgan()
    clf, _ = load_classifier()
    x_ref, _ = load_offline_mnist("heldout")
    row = _quality(m, clf, x_ref, 200, seed=3)
    fake = m.sample(200, generator=torch.Generator().manual_seed(3))
    assert row["recognisable"] == round(recognisable_share(fake, clf), 4)
    assert row["fd"] == round(frechet_distance(x_ref, fake, clf), 3)
    assert row["classes_present"] == class_coverage(fake, clf)["classes_present"]


def test_half_lists_only_the_float32_tensors_it_kept(tmp_path):
    """A DCGAN's batch norms carry integer counters (``num_batches_tracked``): they are neither halved nor "kept
    float32", and the card says so; the shipped showcase DCGAN was stored this way."""
    from safetensors import safe_open

    from course_lib.checkpoint import read_card, save_checkpoint, shipped_checkpoint, store_half
    from course_lib.models.dcgan import config_of

    model = make_dcgan(z_dim=4, channels=2, d_channels=2, ema=True)
    save_checkpoint(model, tmp_path / "g", "dcgan", config_of(model))
    storage = store_half(tmp_path / "g", ("generator_ema.up.",))
    with safe_open(str(tmp_path / "g.safetensors"), framework="pt") as f:
        dtypes = {k: f.get_tensor(k).dtype for k in f.keys()}
    assert storage["float32_kept"] == sorted(k for k, d in dtypes.items() if d == torch.float32)
    assert storage["float32_kept"] and all(k.startswith("generator_ema.up.") for k in storage["float32_kept"])
    assert {dtypes[k] for k in dtypes if k.endswith("num_batches_tracked")} == {torch.int64}
    shipped = read_card(shipped_checkpoint("dcgan_full_deep"))["storage"]
    assert shipped["weights"] == "float16" and shipped["float32_kept"] == []
