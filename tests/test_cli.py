"""The command line: train (with resume), evaluate, sample, and clear errors for bad checkpoints."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from matplotlib.image import imread

from course_lib.cli import build_parser, main
from course_lib.evaluator import shipped_checkpoint


def test_help_lists_all_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "train" in out and "evaluate" in out and "sample" in out


def test_train_options_include_threads_and_data():
    args = build_parser().parse_args(["train", "dcgan", "--data", "full", "--threads", "1", "--pack", "2"])
    assert args.data == "full" and args.threads == 1 and args.pack == 2


def test_train_classifier_then_resume(tmp_path, capsys):
    common = ["--train-size", "200", "--batch-size", "50", "--out", str(tmp_path), "--no-progress",
              "--device", "cpu", "--channels", "4", "--hidden", "8"]
    assert main(["train", "classifier", "--epochs", "1", *common]) == 0
    card = json.loads((tmp_path / "classifier_offline.json").read_text())
    assert card["epochs"] == 1 and card["finished"] and "heldout_accuracy" in card["metrics"]
    assert {"seed", "wall_time_s", "device", "library_versions", "data"} <= set(card)
    assert main(["train", "classifier", "--epochs", "2", "--resume", *common]) == 0
    card = json.loads((tmp_path / "classifier_offline.json").read_text())
    assert card["epochs"] == 2
    # resuming a run that does not exist is a clear error, not a traceback
    assert main(["train", "classifier", "--epochs", "2", "--resume", "--name", "nothing", *common]) == 2
    assert "no checkpoint" in capsys.readouterr().err.lower()


def test_train_dcgan_writes_card_and_snapshots(tmp_path):
    assert main(["train", "dcgan", "--epochs", "1", "--train-size", "128", "--batch-size", "32", "--z-dim", "4",
                 "--channels", "4", "--d-channels", "4", "--eval-samples", "100", "--snapshots", "4",
                 "--out", str(tmp_path), "--no-progress", "--device", "cpu"]) == 0
    card = json.loads((tmp_path / "dcgan_offline.json").read_text())
    assert card["kind"] == "dcgan" and "fd" in card["history"][0] and card["config"]["pack"] == 2
    assert (tmp_path / "dcgan_offline.snapshots.safetensors").is_file()


def test_evaluate_shipped_dcgan(capsys):
    assert main(["evaluate", str(shipped_checkpoint("dcgan_offline")), "--samples", "500", "--json",
                 "--device", "cpu"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["kind"] == "dcgan" and res["fd"] > res["fd_floor_real_vs_real"] > 0
    assert sum(res["histogram"]) == 500


def test_evaluate_classifier(capsys):
    assert main(["evaluate", str(shipped_checkpoint("classifier_offline")), "--device", "cpu"]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_sample_png(tmp_path):
    out = tmp_path / "grid.png"
    assert main(["sample", str(shipped_checkpoint("dcgan_offline")), "-n", "16", "--nrow", "4", "-o", str(out),
                 "--device", "cpu"]) == 0
    img = imread(out)
    assert img.shape[:2] == (4 * 30 - 2, 4 * 30 - 2) and np.ptp(img) > 0


def test_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "No model card" in err


def test_incompatible_checkpoints_are_clear_errors(tmp_path, capsys):
    # a checkpoint of a kind these commands do not handle
    (tmp_path / "odd.json").write_text(json.dumps({"kind": "gpt", "config": {}}))
    assert main(["sample", str(tmp_path / "odd"), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a generator" in capsys.readouterr().err
    # a DCGAN card whose config does not fit its weights
    src = shipped_checkpoint("dcgan_offline")
    shutil.copy(src.with_suffix(".safetensors"), tmp_path / "bad.safetensors")
    card = json.loads(src.with_suffix(".json").read_text())
    card["config"]["channels"] = 7
    (tmp_path / "bad.json").write_text(json.dumps(card))
    assert main(["sample", str(tmp_path / "bad"), "-o", str(tmp_path / "y.png"), "--device", "cpu"]) == 2
    assert "does not fit" in capsys.readouterr().err
    # a classifier is not a generator
    assert main(["sample", str(shipped_checkpoint("classifier_offline")), "-o", str(tmp_path / "z.png")]) == 2
    assert "not a generator" in capsys.readouterr().err


def test_sample_rejects_bad_output_name(tmp_path, capsys):
    assert main(["sample", str(shipped_checkpoint("dcgan_offline")), "-o", str(tmp_path / "grid.jpg")]) == 2
    assert ".png" in capsys.readouterr().err


def test_cli_loads_and_samples_every_vae_kind(tmp_path):
    import torch

    from course_lib import registry
    from course_lib.checkpoint import save_checkpoint
    from course_lib.evaluator import load_any
    from course_lib.evaluator import sample_checkpoint
    from course_lib.models.vae import VAE_KINDS, DeepConvVAE

    assert {"dcgan", *VAE_KINDS, "diffusion_unet"} <= set(registry.generator_kinds())
    model = DeepConvVAE(z_dim=3, channels=4, hidden=8)
    save_checkpoint(model, tmp_path / "deep", kind="deep_conv_vae", config={"z_dim": 3, "channels": 4, "hidden": 8},
                    card={})
    loaded, card = load_any(str(tmp_path / "deep"))
    assert isinstance(loaded, DeepConvVAE) and card["kind"] == "deep_conv_vae"
    images = sample_checkpoint(tmp_path / "deep", 5, seed=0)
    assert images.shape == (5, 1, 28, 28) and torch.all((images >= 0) & (images <= 1))
    assert torch.equal(images, sample_checkpoint(tmp_path / "deep", 5, seed=0))  # reproducible
