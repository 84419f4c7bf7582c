"""The evaluator: classifier shapes, augmentation, KL to uniform, Fréchet distance, the shipped checkpoint."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib import load_offline_mnist
from course_lib.evaluator import (ClassifierFeatures, accuracy, class_coverage, class_histogram, coverage_over_draws,
                                  features, frechet_distance,
                                  kl_to_uniform, load_classifier, predict, predict_proba, recognisable_share,
                                  shipped_checkpoint)
from course_lib.models.classifier import MNISTClassifier, random_shift, train_classifier
from course_lib.data import check_images, minibatch_indices, spread_subset


@pytest.fixture(scope="module")
def shipped():
    return load_classifier()[0]


@pytest.fixture(scope="module")
def heldout():
    return load_offline_mnist("heldout")


def test_classifier_features_are_the_layer_below_the_logits_in_eval_mode():
    torch.manual_seed(0)
    m = MNISTClassifier(channels=8, hidden=16, dropout=0.5).eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        feats = m.features(x)
        torch.testing.assert_close(m(x), m.head(feats))  # the logits are read from these features
    assert feats.shape == (5, 16)
    f = ClassifierFeatures(m)
    m.train()  # features are taken in eval mode (batch-norm running statistics, no dropout) whatever the mode
    assert f.num_features == 16
    torch.testing.assert_close(f(x), feats)
    torch.testing.assert_close(f(x), feats)


def test_kl_to_uniform_known_values():
    assert kl_to_uniform(torch.full((10,), 7)) == pytest.approx(0.0, abs=1e-12)
    assert kl_to_uniform(torch.tensor([5, 0, 0, 0, 0, 0, 0, 0, 0, 0])) == pytest.approx(math.log(10))
    p = np.array([0.5, 0.25, 0.25])
    assert kl_to_uniform(torch.tensor([2, 1, 1])) == pytest.approx(float((p * np.log(p * 3)).sum()))
    with pytest.raises(ValueError):
        kl_to_uniform(torch.zeros(10))


def test_random_shift_moves_a_dot_within_range():
    x = torch.zeros(200, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    y = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and torch.all(y.sum(dim=(1, 2, 3)) == 1)
    rows, cols = torch.nonzero(y[:, 0], as_tuple=True)[1:]
    assert rows.min() == 12 and rows.max() == 16 and cols.min() == 12 and cols.max() == 16
    assert torch.equal(random_shift(x, 0), x)


def test_minibatches_cover_everything_once():
    idx = torch.cat(list(minibatch_indices(103, 10, "cpu", torch.Generator().manual_seed(1))))
    assert sorted(idx.tolist()) == list(range(103))
    assert len(list(minibatch_indices(103, 10, drop_last=True))) == 10
    assert spread_subset(4000, 10).tolist()[0] == 0 and spread_subset(4000, 10).tolist()[-1] == 3999


def test_check_images_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        check_images(torch.rand(3, 28, 28))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_images(torch.rand(3, 1, 28, 28) * 255)
    with pytest.raises(ValueError, match="float"):
        check_images(torch.zeros(3, 1, 28, 28, dtype=torch.uint8))


def test_frechet_distance_matches_the_formula(shipped, heldout):
    """torchmetrics' FD with our features equals ||mu1-mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2) computed here."""
    x = heldout[0][torch.randperm(1000, generator=torch.Generator().manual_seed(0))]   # mixed digits
    a, b = x[:500], x[500:]
    fd = frechet_distance(a, b, shipped)
    fa, fb = features(shipped, a).double().numpy(), features(shipped, b).double().numpy()
    mu1, mu2 = fa.mean(0), fb.mean(0)
    s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T                    # S1^(1/2)
    m = r1 @ s2 @ r1
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()   # Tr((S1 S2)^1/2)
    manual = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert fd == pytest.approx(manual, rel=1e-3)
    assert frechet_distance(a, a, shipped) == pytest.approx(0.0, abs=1e-2 * fd)
    assert frechet_distance(a, 1.0 - a, shipped) > 10 * fd             # inverted digits: far away


def test_shipped_classifier_reaches_target(shipped, heldout):
    x, y = heldout
    assert accuracy(shipped, x, y) >= 0.97
    cov = class_coverage(x, shipped)
    assert cov["classes_present"] == 10 and cov["kl_to_uniform"] < 0.01
    assert sum(cov["histogram"]) == 1000
    # real held-out digits: the classifier is sure of most of them (the yardstick of a generator's samples)
    assert 0.9 <= cov["recognisable"] <= 1.0


def test_recognisable_share_counts_confident_samples_only(shipped, heldout):
    x, _ = heldout
    x = x[:200]
    conf = predict_proba(shipped, x).amax(1)
    assert recognisable_share(x, shipped) == pytest.approx(float((conf >= 0.9).double().mean()))
    # the threshold is used, not a constant: at the median confidence, half the digits are kept
    median = float(conf.median())
    assert recognisable_share(x, shipped, threshold=median) == pytest.approx(float((conf >= median).double().mean()))
    assert recognisable_share(x, shipped, threshold=0.5) >= recognisable_share(x, shipped, threshold=0.99)
    # class_coverage reads digit and confidence from one pass of the classifier: the same share, the same histogram
    cov = class_coverage(x, shipped)
    assert cov["recognisable"] == recognisable_share(x, shipped)
    assert cov["histogram"] == class_histogram(x, shipped).tolist()
    # why the KL goes beside it: uniform noise is "recognised" with confidence, all as the same digit or two
    noise = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    cov = class_coverage(noise, shipped)
    assert cov["recognisable"] > 0.5 and cov["kl_to_uniform"] > 1.5 and cov["classes_present"] <= 3
    with pytest.raises(ValueError, match="threshold"):
        recognisable_share(x, shipped, threshold=1.0)
    with pytest.raises(ValueError, match="shape"):
        recognisable_share(x[:, 0], shipped)


def test_coverage_over_draws_summarises_each_draw(shipped, heldout):
    """The mean share and mean KL over the draws, each inside its interval, and the *fewest* digits of any draw
    (one draw of a single digit is enough to say "not all ten")."""
    from course_lib.stats import seed_interval

    x, y = heldout
    draws = [x[:300], x[300:600], x[y == 7][:100]]
    covs = [class_coverage(d, shipped) for d in draws]
    cov = coverage_over_draws(draws, shipped)
    rec, kl, present = cov                                             # a named tuple: unpacks like the old triple
    assert rec.estimate == pytest.approx(np.mean([c["recognisable"] for c in covs]))
    assert kl.estimate == pytest.approx(np.mean([c["kl_to_uniform"] for c in covs]))
    assert rec == seed_interval([c["recognisable"] for c in covs], bounds=(0.0, 1.0))
    assert present == cov.classes_present == min(c["classes_present"] for c in covs) < 10
    assert 0.0 <= kl.low <= kl.estimate <= kl.high <= math.log(10)   # the KL cannot leave [0, log 10]
    with pytest.raises(ValueError, match="at least 2 draws"):
        coverage_over_draws([x[:100]], shipped)


def test_training_learns_something():
    x, y = load_offline_mnist("train")
    keep = spread_subset(len(x), 600)
    torch.manual_seed(0)
    m = MNISTClassifier(channels=8, hidden=32)
    hist = train_classifier(m, x[keep], y[keep], epochs=3, batch_size=64, lr=3e-3, device="cpu", augment=0)
    assert hist[-1]["loss"] < hist[0]["loss"]
    xh, yh = load_offline_mnist("heldout")
    assert accuracy(m, xh, yh) > 0.6


def test_predict_proba_is_the_softmax_of_the_logits_in_batches(shipped, heldout):
    x, _ = heldout
    x = x[:250]
    p = predict_proba(shipped, x, batch_size=64)
    assert p.shape == (250, 10) and torch.allclose(p.sum(1), torch.ones(250), atol=1e-5)
    shipped.eval()
    with torch.no_grad():
        assert torch.allclose(p, torch.softmax(shipped(x), 1), atol=1e-6)
    assert torch.equal(p.argmax(1), predict(shipped, x))
    with pytest.raises(ValueError, match="shape"):
        predict_proba(shipped, x[:, 0])


def test_shipped_card_documents_the_run():
    from course_lib.checkpoint import read_card

    card = read_card(shipped_checkpoint("classifier_offline"))
    assert card["command"].startswith("python -m course_lib train classifier")
    assert card["metrics"]["heldout_accuracy"] >= 0.97


def test_frechet_to_reference_equals_the_pairwise_function(shipped, heldout):
    from course_lib.evaluator import FrechetToReference

    x = heldout[0]
    ref = FrechetToReference(x[:600], shipped)
    assert ref(x[600:]) == pytest.approx(frechet_distance(x[:600], x[600:], shipped), rel=1e-6)
    assert ref(x[600:800]) == pytest.approx(frechet_distance(x[:600], x[600:800], shipped), rel=1e-6)
