"""DistributedDataParallel under torchrun: 2 CPU processes (gloo) with per-rank batch B/2 train exactly the run of
one process with batch B — the same per-step losses and the same final weights, to float tolerance."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from conftest import ROOT

# One optimiser step per epoch (64 images, batch 64), so the per-epoch history is the per-step loss history.
# MLPVAE has no BatchNorm, so the two ranks' halves of a minibatch do not see different normalisations.
ARGS = ["train", "vae", "--arch", "mlp", "--z-dim", "2", "--hidden", "32", "--train-size", "64", "--eval-size", "32",
        "--iwae-k", "0", "--batch-size", "64", "--lr", "1e-2", "--epochs", "4", "--device", "cpu", "--no-progress",
        "--threads", "1"]


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


@pytest.mark.skipif(not torch.distributed.is_available(), reason="this PyTorch has no torch.distributed")
def test_two_processes_train_like_one_with_the_whole_batch(tmp_path):
    _run([sys.executable, "-m", "course_lib", *ARGS, "--out", str(tmp_path / "one")])
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          "-m", "course_lib", *ARGS, "--out", str(tmp_path / "two")])
    cards = {k: json.loads((tmp_path / k / "vae_offline.json").read_text()) for k in ("one", "two")}
    assert cards["one"]["world_size"] == 1 and cards["two"]["world_size"] == 2
    assert cards["two"]["batch_size"] == 64 and cards["two"]["epochs"] == 4
    # rank 0 alone wrote: one checkpoint, no temporary files left behind
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["vae_offline.json", "vae_offline.safetensors",
                                                                     "vae_offline.state.pt"]
    losses = {k: [r["train_loss"] for r in c["history"]] for k, c in cards.items()}
    assert len(losses["one"]) == 4
    torch.testing.assert_close(torch.tensor(losses["two"]), torch.tensor(losses["one"]), rtol=1e-5, atol=1e-3)
    assert losses["one"][-1] < losses["one"][0]  # it trained
    w1 = load_file(str(tmp_path / "one" / "vae_offline.safetensors"))
    w2 = load_file(str(tmp_path / "two" / "vae_offline.safetensors"))
    assert w1.keys() == w2.keys()
    diff = max(float((w1[k] - w2[k]).abs().max()) for k in w1)
    print(f"largest weight difference, 2 processes vs 1: {diff:.3g}")
    assert diff < 1e-5, diff
    # --resume under torchrun continues the run
    more = list(ARGS)
    more[more.index("--epochs") + 1] = "5"
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          "-m", "course_lib", *more, "--out", str(tmp_path / "two"), "--resume"])
    card = json.loads((tmp_path / "two" / "vae_offline.json").read_text())
    assert card["epochs"] == 5 and [r["epoch"] for r in card["history"]] == [1, 2, 3, 4, 5]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="this PyTorch has no torch.distributed")
def test_under_torchrun_the_prior_is_fitted_to_every_training_digit(tmp_path):
    """Each rank holds all the training digits (only the minibatches are split between the ranks), so the mixture
    prior that rank 0 fits after training and saves is the one a single process fits: a refit on all 64 digits
    from the saved weights matches it, and a fit on half of them does not."""
    import copy

    from course_lib import load_offline_mnist
    from course_lib.models.vae import load_vae

    args = list(ARGS) + ["--prior-components", "2"]
    args[args.index("--epochs") + 1] = "2"
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          "-m", "course_lib", *args, "--out", str(tmp_path)])
    model, card = load_vae(tmp_path / "vae_offline")
    assert card["world_size"] == 2 and model.prior is not None and model.prior.components == 2
    x = load_offline_mnist("train")[0]
    x = x[torch.linspace(0, len(x) - 1, 64).round().long()]          # the digits --train-size 64 picks
    refit, half = copy.deepcopy(model), copy.deepcopy(model)
    refit.fit_prior(x, 2, seed=card["seed"])
    torch.testing.assert_close(refit.prior.means, model.prior.means, atol=1e-4, rtol=0)
    half.fit_prior(x[::2], 2, seed=card["seed"])
    assert not torch.allclose(half.prior.means, model.prior.means, atol=1e-3)
