"""GPU checks (``pytest -m gpu``): run where CUDA is present, skipped elsewhere.

They check that the GPU path really runs on the GPU: data on the device, bf16 autocast in the forward pass,
training steps, ``torch.compile``, and that the on-device loop beats the DataLoader baseline.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

ROOT = Path(__file__).resolve().parents[1]


def _mnist(n: int):
    from course_lib import load_offline_mnist
    from course_lib.data import spread_subset

    x, y = load_offline_mnist("train", device="cuda")
    keep = spread_subset(len(x), n, "cuda")
    return x[keep], y[keep]


def test_autocast_is_bf16_on_cuda():
    from course_lib.training import autocast

    lin = torch.nn.Linear(8, 8).cuda()
    with autocast("cuda"):
        out = lin(torch.randn(4, 8, device="cuda"))
    assert out.dtype == torch.bfloat16


def test_minibatches_live_on_the_gpu():
    from course_lib.data import minibatch_indices

    gen = torch.Generator(device="cuda").manual_seed(0)
    idx = next(iter(minibatch_indices(100, 10, "cuda", gen)))
    assert idx.is_cuda


def test_classifier_and_dcgan_train_on_gpu():
    from course_lib.models.dcgan import make_dcgan, train_dcgan
    from course_lib.evaluator import accuracy
    from course_lib.models.classifier import MNISTClassifier, train_classifier

    x, y = _mnist(1024)
    clf = MNISTClassifier()
    hist = train_classifier(clf, x, y, epochs=3, batch_size=128, device="cuda")
    assert next(clf.parameters()).is_cuda and hist[-1]["loss"] < hist[0]["loss"]
    assert accuracy(clf, x, y) > 0.8
    gan = make_dcgan(pack=2, ema=True)
    train_dcgan(gan, x, epochs=1, batch_size=64, device="cuda")
    s = gan.sample(16)
    assert s.is_cuda and s.shape == (16, 1, 28, 28)


def test_vae_trains_on_gpu_with_compile():
    from course_lib.models.vae import ConvVAE, train_vae

    x, _ = _mnist(1024)
    model = ConvVAE()
    hist = train_vae(model, x, epochs=2, batch_size=128, device="cuda", compile=True)
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]


def test_deep_conv_vae_with_cosine_schedule_and_fused_adam_on_gpu():
    from course_lib.models.vae import DeepConvVAE, VAETask
    from course_lib.optim import warmup_cosine_lr
    from course_lib.training import train_loop

    x, _ = _mnist(1024)
    model = DeepConvVAE()
    task = VAETask(model, x, epochs=2, batch_size=128, lr=2e-3, device="cuda", lr_schedule="cosine")
    hist = train_loop(task, 2)
    opt = task.optimizers["opt"]
    assert opt.defaults["fused"] is True and next(model.parameters()).is_cuda
    assert opt.param_groups[0]["lr"] == pytest.approx(warmup_cosine_lr(15, 16, 2e-3, 2))
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]


def test_on_device_loop_beats_dataloader_baseline():
    spec = importlib.util.spec_from_file_location("throughput", ROOT / "bench" / "throughput.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["throughput"] = bench
    spec.loader.exec_module(bench)
    from course_lib import load_offline_mnist

    x, _ = load_offline_mnist("all")
    x_u8 = (x[:, 0] * 255).round().to(torch.uint8)
    r = bench.measure("conv_vae", x_u8, 128, 30, 2, torch.device("cuda"), compile=False)
    assert r["course_lib"] > 2 * r["baseline"]


def test_diffusion_trains_on_the_gpu_in_bf16_and_samples_there(tmp_path):
    """Chapter 7's model through the CLI on the GPU: data on the device, the forward pass in bf16 autocast,
    the card says cuda, the loss falls, and sampling and the bound run on the device."""
    from course_lib.checkpoint import read_card
    from course_lib.evaluator import load_any
    from course_lib.cli import main
    from course_lib.models import diffusion as D
    from course_lib.models import diffusion_unet as DU

    seen = []
    real_forward = DU.DiffusionUNet.forward

    def spy(self, x, t, y=None):
        out = real_forward(self, x, t, y)
        seen.append((x.device.type, out.dtype, torch.is_autocast_enabled("cuda")))
        return out

    DU.DiffusionUNet.forward = spy
    try:
        assert main(["train", "diffusion", "--epochs", "3", "--channels", "16", "--T", "100",
                     "--sample-steps", "5", "--device", "cuda", "--out", str(tmp_path), "--name", "d",
                     "--no-progress"]) == 0
    finally:
        DU.DiffusionUNet.forward = real_forward
    assert seen and all(dev == "cuda" and dtype == torch.bfloat16 and on for dev, dtype, on in seen[:5])
    card = read_card(tmp_path / "d")
    assert card["device"].startswith("cuda") and card["history"][-1]["loss"] < card["history"][0]["loss"]
    model, _ = load_any(tmp_path / "d", device="cuda")
    x = model.sample(8, generator=torch.Generator(device="cuda").manual_seed(0))
    assert x.is_cuda and x.shape == (8, 1, 28, 28)
    bound = D.likelihood_bound(model, x.clamp(0, 1), times=10, generator=torch.Generator().manual_seed(0))
    assert bound["bits_per_dim"] > 0
