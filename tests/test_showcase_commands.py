"""Issue 26, item 4: the showcase models' commands run unchanged on another device.

Each showcase card records the command that made it (on a CPU). Shrunk to one epoch on a few hundred offline
digits, with everything that makes the recipe (width, architecture, loss, prior, privacy budget, schedule) kept
as the card records it, the command must train a model of the same configuration on the CPU here (CI) and on a
CUDA GPU where one is present (``pytest -m gpu``), and the new card must say which device made it.
"""
from __future__ import annotations

import json
import shlex

import pytest
import torch

from course_lib.checkpoint import CHECKPOINT_DIR, read_card
from course_lib.cli import main
from course_lib.evaluator import load_any

SHOWCASES = ("dcgan_full_deep", "deep_conv_vae_full", "diffusion_full", "dp_vae_full_eps8")
#: where, how long and on which data: the options a shrunk run replaces (each takes a value)
_BUDGET = {"--data", "--epochs", "--threads", "--out", "--name", "--device", "--eval-size"}
#: a VAE's card measures its held-out bound: on 64 digits, not 1,000
_EVAL_BUDGET = {"vae": ["--eval-size", "64"]}
#: flags that only say how the original run was sat through
_SITTING = {"--resume", "--no-progress"}


def shrunk_command(command: str, device: str, out: str, train_size: int = 256) -> list[str]:
    """The card's ``python -m course_lib train …`` command with its recipe kept and its budget cut to one epoch
    on ``train_size`` offline digits (at least four minibatches), run on ``device``."""
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "course_lib", "train"], command
    kept, i = [], 3
    while i < len(words):
        if words[i] in _BUDGET:
            i += 2
            continue
        if words[i] not in _SITTING:
            kept.append(words[i])
        i += 1
    if "--batch-size" in kept:     # several minibatches an epoch (DP-SGD's sampling rate q = batch / N below 1)
        train_size = max(train_size, 4 * int(kept[kept.index("--batch-size") + 1]))
    return kept + _EVAL_BUDGET.get(words[4], []) + ["--data", "offline", "--train-size", str(train_size), "--epochs", "1", "--device", device,
                   "--threads", "2", "--out", out, "--name", "shrunk", "--no-progress"]


def test_shrinking_keeps_the_recipe_and_replaces_the_budget() -> None:
    argv = shrunk_command("python -m course_lib train dcgan --data full --epochs 20 --channels 64 --deep-generator "
                          "--threads 1 --out runs --name x --no-progress --resume", "cuda", "/tmp/o")
    assert argv[:4] == ["train", "dcgan", "--channels", "64"] and argv[4] == "--deep-generator"
    assert argv.count("--epochs") == 1 and argv[argv.index("--epochs") + 1] == "1" and "--resume" not in argv
    assert argv[argv.index("--device") + 1] == "cuda" and argv[argv.index("--data") + 1] == "offline"
    dp = shrunk_command("python -m course_lib train dp_vae --epsilon 8 --batch-size 256 --epochs 10", "cpu", "/tmp/o")
    assert dp[dp.index("--train-size") + 1] == "1024" and dp[dp.index("--epsilon") + 1] == "8"


def _run_showcase_recipe(name: str, device: str, tmp_path) -> None:
    shipped = read_card(CHECKPOINT_DIR / name)
    assert main(shrunk_command(shipped["command"], device, str(tmp_path))) == 0
    card = json.loads((tmp_path / "shrunk.json").read_text(encoding="utf-8"))
    assert card["kind"] == shipped["kind"] and card["device"].startswith(device), card["device"]
    # the recipe is the shipped one: every model option the card records, except the training set's size
    mine = {k: v for k, v in card["config"].items() if k != "train_size"}
    assert mine == {k: v for k, v in shipped["config"].items() if k != "train_size"}
    model, _ = load_any(tmp_path / "shrunk", device=device)
    x = model.sample(4, generator=torch.Generator(device=device).manual_seed(0))
    assert x.device.type == device and x.shape == (4, 1, 28, 28)


@pytest.mark.parametrize("name", SHOWCASES)
def test_each_showcase_recipe_runs_shrunk_on_the_cpu(name: str, tmp_path) -> None:
    _run_showcase_recipe(name, "cpu", tmp_path)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", SHOWCASES)
def test_each_showcase_recipe_runs_unchanged_on_cuda(name: str, tmp_path) -> None:
    _run_showcase_recipe(name, "cuda", tmp_path)


def test_a_showcase_command_asked_for_cuda_without_a_gpu_says_so(tmp_path, capsys) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    argv = shrunk_command(read_card(CHECKPOINT_DIR / "dcgan_full_deep")["command"], "cuda", str(tmp_path))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no CUDA GPU" in err and "Traceback" not in err and not (tmp_path / "shrunk.json").exists()
