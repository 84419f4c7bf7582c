"""The registry and the spine: a toy model added the documented way goes through train → save → load → sample →
evaluate on the command line; bad arguments are clear errors."""
from __future__ import annotations

import dataclasses
import json
import re

import pytest
import torch

import course_lib.training
from course_lib import registry
from course_lib.cli import main
from course_lib.responsible.membership import MembershipScores


def _docstring_example() -> str:
    """The "shortest complete example" of course_lib/training.py's docstring, as code."""
    doc = course_lib.training.__doc__
    block = doc.split("example (``tests/test_registry.py`` runs exactly this through the command line)::")[1]
    block = block.split("``Task.train_epoch``")[0]
    lines = block.splitlines()
    return "\n".join(line[4:] for line in lines)


@pytest.fixture()
def toy_kind():
    namespace: dict = {}
    exec(compile(_docstring_example(), "training.__doc__", "exec"), namespace)  # registers "toy"
    yield namespace
    registry.REGISTRY.pop("toy", None)


def test_a_toy_model_goes_through_the_command_line(toy_kind, tmp_path, capsys):
    assert "toy" in registry.names() and "toy" in registry.generator_kinds()
    common = ["--out", str(tmp_path), "--device", "cpu", "--no-progress", "--width", "4"]
    assert main(["train", "toy", "--epochs", "1", *common]) == 0
    card = json.loads((tmp_path / "toy_offline.json").read_text())  # the default name: MODEL_DATA
    assert card["kind"] == "toy" and card["config"] == {"width": 4} and card["epochs"] == 1
    assert card["command"] == "python -m course_lib train toy --epochs 1 " + " ".join(common)
    assert card["world_size"] == 1 and len(card["data_sha256"]) == 64 and card["seed"] == 0
    assert {"torch", "course_lib"} <= set(card["library_versions"])
    assert [r["epoch"] for r in card["history"]] == [1] and card["history"][0]["loss"] > 0
    # resume: one more epoch, the history continues
    assert main(["train", "toy", "--epochs", "2", "--resume", *common]) == 0
    card = json.loads((tmp_path / "toy_offline.json").read_text())
    assert [r["epoch"] for r in card["history"]] == [1, 2] and card["finished"]
    capsys.readouterr()
    # load + sample
    png = tmp_path / "toy.png"
    assert main(["sample", str(tmp_path / "toy_offline"), "-n", "4", "--nrow", "2", "-o", str(png),
                 "--device", "cpu"]) == 0
    assert png.is_file()
    # evaluate: the classifier-based numbers every generator gets
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "toy_offline"), "--samples", "100", "--json", "--device", "cpu"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["kind"] == "toy" and res["fd"] > 0 and sum(res["histogram"]) == 100
    # audit: what the registry entry asks for (audit="images"), every section but membership (no attack named)
    capsys.readouterr()
    toy = tmp_path / "toy_offline"
    assert main(["audit", str(toy), "--samples", "50", "--device", "cpu", "--json"]) == 0
    audit = json.loads((tmp_path / "toy_offline.json").read_text())["audit"]
    assert audit["kind"] == "toy" and sum(audit["class_shares"]["counts"]) == 50
    assert audit["membership"]["status"] == "not measured" and "no membership attack" in audit["membership"]["reason"]
    assert audit["data"]["training_examples"] == 4000 and "data_sha256" in audit["data"]["check"]
    assert audit["copying"]["samples"] == 50 and audit["frechet_distance"]["value"] > 0
    # with a membership hook in its entry, the audit runs it on the rebuilt training digits
    calls = []

    def distance_to_mean(model, x_in, y_in, x_held, y_held, seed=0):
        calls.append((len(x_in), len(x_held)))
        centre = model.sample(64, generator=torch.Generator().manual_seed(seed)).mean(0)
        score = lambda x: -(x - centre).flatten(1).pow(2).sum(1)  # noqa: E731
        return MembershipScores(score(x_in), score(x_held), "toy: distance to the mean sample", "score = -distance")

    registry.register(dataclasses.replace(registry.get("toy"), membership=distance_to_mean), replace=True)
    assert main(["audit", str(toy), "--samples", "50", "--device", "cpu"]) == 0
    m = json.loads((tmp_path / "toy_offline.json").read_text())["audit"]["membership"]
    assert calls == [(1000, 1000)] and m["attack"] == "toy: distance to the mean sample" and 0 <= m["auc"] <= 1


def test_the_toy_through_the_python_api(toy_kind, tmp_path):
    from course_lib.evaluator import load_any
    from course_lib.training import TrainConfig, fit

    path = fit(TrainConfig(model="toy", epochs=1, out=str(tmp_path), device="cpu", progress=False,
                           options={"width": 3}), registry.get("toy"))
    model, card = load_any(path)
    x = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert isinstance(model, toy_kind["Toy"]) and x.shape == (5, 1, 28, 28) and 0 <= float(x.min())


# ------------------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("flag,value,message", [
    ("--epochs", "0", "--epochs must be a positive whole number"),
    ("--epochs", "-2", "--epochs must be a positive whole number"),
    ("--batch-size", "0", "--batch-size must be a positive whole number"),
    ("--lr", "0", "--lr must be a positive number"),        # not "unset": 0 used to mean the default
    ("--lr", "-1e-3", "--lr must be a positive number"),
    ("--threads", "0", "--threads must be a positive whole number"),
])
def test_non_positive_common_options_are_clear_errors(tmp_path, capsys, flag, value, message):
    assert main(["train", "vae", f"{flag}={value}", "--out", str(tmp_path), "--device", "cpu", "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was written (--epochs 0 used to write a checkpoint)


def test_lr_zero_is_refused_for_every_model(tmp_path, capsys):
    for model in registry.names():
        assert main(["train", model, "--lr", "0", "--out", str(tmp_path), "--device", "cpu"]) == 2
        assert "--lr must be a positive number" in capsys.readouterr().err


def test_model_options_are_checked(tmp_path, capsys):
    assert main(["train", "vae", "--beta", "-1", "--out", str(tmp_path), "--device", "cpu"]) == 2
    assert "--beta must be >= 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: invalid choice, with the list of choices
        main(["train", "vae", "--arch", "transformer"])
    assert re.search(r"invalid choice: 'transformer'.*conv.*deepconv.*mlp", capsys.readouterr().err)


def test_unknown_architecture_and_model_through_the_api():
    from course_lib.training import TrainConfig, fit

    with pytest.raises(ValueError, match="--arch must be one of conv, deepconv, mlp, got 'transformer'"):
        fit(TrainConfig(model="vae", options={"arch": "transformer"}), registry.get("vae"))
    with pytest.raises(ValueError, match="unknown model 'flow'; the known models are: classifier"):
        registry.get("flow")
    with pytest.raises(ValueError, match="the config asks for 'vae' but the model kind given is 'dcgan'"):
        fit(TrainConfig(model="vae"), registry.get("dcgan"))


def test_the_built_in_kinds():
    assert set(registry.names()) >= {"classifier", "dcgan", "vae", "dp_vae", "gpt", "canary_gpt", "diffusion"}
    assert {"dcgan", "mlp_vae", "conv_vae", "deep_conv_vae", "dp_mlp_vae", "diffusion_unet"} <= set(registry.generator_kinds())
    assert not {"mnist_classifier", "gpt", "canary_gpt"} & set(registry.generator_kinds())


def test_every_shipped_checkpoint_loads_through_the_registry():
    from course_lib.checkpoint import CHECKPOINT_DIR
    from course_lib.evaluator import load_any

    cards = sorted(p for p in CHECKPOINT_DIR.glob("*.json"))
    assert len(cards) >= 5
    for card_path in cards:
        model, card = load_any(card_path.with_suffix(""))
        assert card["kind"] in registry.card_kinds() and not model.training
        if card["kind"] in registry.generator_kinds():  # one interface: sample(n, *, generator=None)
            x = model.sample(3, generator=torch.Generator().manual_seed(0))
            assert x.shape == (3, 1, 28, 28) and 0 <= float(x.min()) <= float(x.max()) <= 1


def test_every_shipped_image_model_says_how_many_digits_trained_it():
    """Chapter 5 counts optimiser steps as epochs × (training examples // batch size): every shipped image model's
    count resolves, from its card or (older cards) from the training set its options rebuild, within its split."""
    from course_lib.checkpoint import CHECKPOINT_DIR
    from course_lib.responsible.audit_images import training_examples

    split_size = {"offline": 4000, "full": 60000}
    for card_path in sorted(CHECKPOINT_DIR.glob("*.json")):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if card.get("data_source") in split_size:
            assert card.get("data_source") == "offline" or "train_examples" in card, card_path.name
            assert 0 < training_examples(card) <= split_size[card["data_source"]], card_path.name


def test_resume_refuses_weights_and_state_from_different_epochs(toy_kind, tmp_path, capsys):
    common = ["--out", str(tmp_path), "--device", "cpu", "--no-progress"]
    assert main(["train", "toy", "--epochs", "1", *common]) == 0
    state_path = tmp_path / "toy_offline.state.pt"
    state = torch.load(state_path, weights_only=True)
    state["epoch"] = 0  # as if the run had been killed between renaming the weights and the state
    torch.save(state, state_path)
    capsys.readouterr()
    assert main(["train", "toy", "--epochs", "2", "--resume", *common]) == 2
    assert "weights of" in capsys.readouterr().err
    assert main(["train", "toy", "--epochs", "1", "--resume", "--name", "other", *common]) == 2
    assert "no checkpoint" in capsys.readouterr().err
