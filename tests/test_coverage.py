"""course_lib.responsible.coverage: black-box shift estimation against hand-made confusion matrices."""
from __future__ import annotations

import numpy as np
import pytest

from course_lib.responsible.coverage import confusion_matrix, corrected_shares, rare_share_intervals


def test_confusion_matrix_columns_are_the_true_classes():
    y_true = np.array([0, 0, 0, 0, 1, 1])
    y_pred = np.array([0, 0, 0, 1, 1, 1])
    c = confusion_matrix(y_true, y_pred, classes=2)
    # P(pred 1 | true 0) = 1/4; P(pred 0 | true 1) = 0
    np.testing.assert_allclose(c, [[0.75, 0.0], [0.25, 1.0]])
    np.testing.assert_allclose(c.sum(0), 1.0)
    with pytest.raises(ValueError, match="class"):
        confusion_matrix(np.array([0, 0]), np.array([0, 1]), classes=2)


def test_corrected_shares_undo_an_additive_misclassification():
    """A generator that never draws class 0, read by a classifier that calls 10 % of class 1 "0": the raw share
    of 0 is 0.05, the corrected one 0."""
    c = np.array([[1.0, 0.1, 0.0], [0.0, 0.9, 0.0], [0.0, 0.0, 1.0]])
    true_q = np.array([0.0, 0.5, 0.5])
    labels = np.repeat([0, 1, 2], (c @ true_q * 1000).round().astype(int))   # exactly mu = C q
    assert np.mean(labels == 0) == pytest.approx(0.05)
    np.testing.assert_allclose(corrected_shares(labels, c), true_q, atol=1e-12)
    # the shares of a balanced reading stay put when the classifier is perfect
    np.testing.assert_allclose(corrected_shares(np.array([0, 1, 2, 2]), np.eye(3)), [0.25, 0.25, 0.5])


def test_rare_share_intervals_cover_the_truth_and_separate_the_readings():
    rng = np.random.default_rng(0)
    k = 3
    c = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    true_q = np.array([0.05, 0.5, 0.45])
    classes = rng.choice(k, size=5000, p=true_q)
    pred = np.array([rng.choice(k, p=c[:, j]) for j in classes])
    y_held = np.repeat(np.arange(k), 400)
    pred_held = np.array([rng.choice(k, p=c[:, j]) for j in y_held])
    out = rare_share_intervals(pred, y_held, pred_held, digit=0, classes=k, n_resamples=300)
    # the raw share is inflated by the others' errors (about 0.05 * 0.9 + 0.95 * 0.05 = 0.0925)
    assert out["raw"].low > 0.08
    assert out["corrected"].low <= 0.05 <= out["corrected"].high
    assert out["corrected"].high < out["raw"].low
