"""course_lib.training: the shared pieces of the training loops."""
from __future__ import annotations

import hashlib

import pytest
import torch

from course_lib.data import load_offline_mnist
from course_lib.optim import make_optimizer
from course_lib.data import images_sha256, sha256_of


def adam(params, lr, device, betas=(0.9, 0.999)):
    return make_optimizer(params, lr, device, betas=betas)


def test_adam_is_fused_on_cpu_and_agrees_with_the_default():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(20, 5), torch.nn.Linear(20, 5)
    b.load_state_dict(a.state_dict())
    start = a.weight.detach().clone()
    fused, plain = adam(a.parameters(), 1e-2, "cpu"), torch.optim.Adam(b.parameters(), lr=1e-2)
    assert fused.defaults["fused"] is True and not plain.defaults.get("fused")
    x = torch.randn(64, 20)
    for _ in range(20):
        for model, opt in ((a, fused), (b, plain)):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert (a.weight - start).abs().max() > 1e-2  # both really trained


def test_adam_passes_betas_and_skips_fusion_where_there_is_none():
    p = [torch.nn.Parameter(torch.zeros(3))]
    assert adam(p, 1e-3, "cpu", betas=(0.5, 0.999)).defaults["betas"] == (0.5, 0.999)
    assert not adam(p, 1e-3, "meta").defaults.get("fused")


def test_make_optimizer_keeps_the_default_adam_when_asked_and_records_it():
    from course_lib.optim import optimizer_description

    p = [torch.nn.Parameter(torch.zeros(3))]
    plain = make_optimizer(p, 1e-3, "cpu", fused=False)
    assert not plain.defaults.get("fused") and optimizer_description(plain)["fused"] is False
    w = make_optimizer(p, 1e-3, "cpu", kind="adamw", weight_decay=0.1)
    assert isinstance(w, torch.optim.AdamW) and optimizer_description(w)["weight_decay"] == 0.1
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        make_optimizer(p, 0.0, "cpu")
    with pytest.raises(ValueError, match="kind"):
        make_optimizer(p, 1e-3, "cpu", kind="sgd")


def test_images_sha256_of_uint8_digits_is_the_float32_hash():
    """A task that holds its digits as uint8 records the same data_sha256 as one holding the float32 tensor
    (shipped cards and the audit compare it), hashed chunk by chunk without making the float tensor."""
    xf, _ = load_offline_mnist("train")
    xu, _ = load_offline_mnist("train", dtype=torch.uint8)
    want = hashlib.sha256(xf.numpy().tobytes()).hexdigest()
    assert sha256_of(xf) == want and images_sha256(xf) == want
    assert images_sha256(xu) == want and images_sha256(xu, chunk=7) == want
    assert sha256_of(xu) != want  # the bytes of a uint8 tensor are its own
