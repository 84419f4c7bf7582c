"""course_lib.responsible.watermark: embed/detect round trip, false positives on clean images, limits."""
from __future__ import annotations

import pytest
import torch

from course_lib import load_offline_mnist
from course_lib.responsible.watermark import (
    WatermarkError,
    detect_watermark,
    embed_watermark,
    false_positive_bound,
    watermark_pattern,
    watermark_score,
)


@pytest.fixture(scope="module")
def digits():
    x, _ = load_offline_mnist("heldout")
    return x[:300]


def test_pattern_is_plus_minus_one_and_fixed_by_the_key():
    p = watermark_pattern(7)
    assert p.shape == (1, 1, 28, 28) and set(p.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(p, watermark_pattern(7))
    assert not torch.equal(p, watermark_pattern(8))


def test_round_trip_detects_every_marked_image(digits):
    marked = embed_watermark(digits, key=1234, strength=0.2)
    assert marked.min() >= 0 and marked.max() <= 1
    assert detect_watermark(marked, key=1234).all()
    assert not detect_watermark(digits, key=1234).any()        # the clean originals
    assert not detect_watermark(marked, key=4321).any()        # a different key does not see it


def test_false_positive_rate_on_clean_images_within_bound(digits):
    scores = torch.cat([watermark_score(digits, k) for k in range(50)])  # 15,000 clean (image, key) pairs
    assert abs(float(scores.mean())) < 0.2 and 0.85 < float(scores.std()) < 1.15
    for t in (2.0, 3.0, 4.0):
        assert float((scores > t).float().mean()) <= false_positive_bound(t)


def test_a_one_pixel_shift_defeats_detection(digits):
    marked = embed_watermark(digits, key=1234, strength=0.2)
    assert not detect_watermark(torch.roll(marked, shifts=1, dims=-1), key=1234).any()


def test_bad_inputs_are_explained(digits):
    with pytest.raises(WatermarkError, match=r"\(N, 1, H, W\)"):
        embed_watermark(digits[:, 0], key=1)
    with pytest.raises(WatermarkError, match=r"\[0, 1\]"):
        watermark_score(digits * 255, key=1)
    with pytest.raises(WatermarkError, match="strength"):
        embed_watermark(digits, key=1, strength=0.0)
    with pytest.raises(WatermarkError, match="key"):
        watermark_pattern(-3)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_same_scores_on_the_gpu(digits):
    cpu = watermark_score(embed_watermark(digits, key=5, strength=0.1), key=5)
    gpu = watermark_score(embed_watermark(digits.cuda(), key=5, strength=0.1), key=5)
    assert gpu.device.type == "cuda"
    assert torch.allclose(cpu, gpu.cpu(), atol=1e-4)
