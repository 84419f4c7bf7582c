import json
from pathlib import Path

import pytest
import torch

import course_lib

from course_lib.checkpoint import (CheckpointError, load_checkpoint, load_training_state, read_card,
                                   save_checkpoint, weights_epoch)


class Tiny(torch.nn.Module):
    def __init__(self, width: int = 3):
        super().__init__()
        self.lin = torch.nn.Linear(2, width)


def test_round_trip(tmp_path):
    m = Tiny(4)
    save_checkpoint(m, tmp_path / "tiny", kind="tiny", config={"width": 4}, card={"seed": 1, "metrics": {"loss": 0.5}})
    m2, card = load_checkpoint(tmp_path / "tiny.safetensors", Tiny, kind="tiny")
    assert torch.equal(m.lin.weight, m2.lin.weight)
    assert card["seed"] == 1 and card["parameters"] == 2 * 4 + 4 and "torch" in card["library_versions"]
    assert not m2.training


def test_wrong_kind_and_wrong_config(tmp_path):
    save_checkpoint(Tiny(4), tmp_path / "tiny", kind="tiny", config={"width": 4})
    with pytest.raises(CheckpointError, match="not a 'gpt' model"):
        load_checkpoint(tmp_path / "tiny", Tiny, kind="gpt")
    card = read_card(tmp_path / "tiny")
    card["config"] = {"width": 5}
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(tmp_path / "tiny", Tiny, kind="tiny")


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(CheckpointError, match="No model card"):
        load_checkpoint(tmp_path / "nothing", Tiny, kind="tiny")
    save_checkpoint(Tiny(), tmp_path / "t", kind="tiny", config={})
    w = tmp_path / "t.safetensors"
    w.write_bytes(w.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "t", Tiny, kind="tiny")
    w.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "t", Tiny, kind="tiny")
    (tmp_path / "t.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_card(tmp_path / "t")


def test_training_state_is_loaded_safely(tmp_path):
    m = Tiny()
    opt = torch.optim.Adam(m.parameters())
    m.lin.weight.sum().backward()
    opt.step()
    save_checkpoint(m, tmp_path / "t", kind="tiny", config={}, state={"optimizer": opt.state_dict(), "epoch": 3})
    state = load_training_state(tmp_path / "t")
    assert state["epoch"] == 3 and "state" in state["optimizer"] and weights_epoch(tmp_path / "t") == 3
    torch.save({"evil": Tiny()}, tmp_path / "u.state.pt")  # a pickled module is refused
    with pytest.raises(CheckpointError, match="could not be loaded safely"):
        load_training_state(tmp_path / "u")
    with pytest.raises(CheckpointError, match="nothing to resume"):
        load_training_state(tmp_path / "v")


def test_saving_is_atomic(tmp_path, monkeypatch):
    """A run killed while saving keeps its last good checkpoint: files are written aside, then renamed."""
    import course_lib.checkpoint as ck

    m = Tiny(4)
    save_checkpoint(m, tmp_path / "t", kind="tiny", config={"width": 4}, card={"epochs": 1}, state={"epoch": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with torch.no_grad():
        m.lin.weight.add_(1.0)

    def killed(pairs):
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr(ck, "_replace_all", killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(m, tmp_path / "t", kind="tiny", config={"width": 4}, card={"epochs": 2}, state={"epoch": 2})
    for name, data in before.items():
        assert (tmp_path / name).read_bytes() == data  # the old checkpoint is untouched
    m2, card = load_checkpoint(tmp_path / "t", Tiny, kind="tiny")
    assert card["epochs"] == 1 and not torch.equal(m2.lin.weight, m.lin.weight)


def test_bench_results_ship_with_the_package_and_bad_files_say_so(tmp_path):
    from course_lib.checkpoint import SHIPPED_BENCH, load_bench

    assert SHIPPED_BENCH.is_relative_to(Path(course_lib.__file__).parent)
    results = load_bench()
    assert results["throughput"] and results["full_mnist"]
    with pytest.raises(FileNotFoundError, match="bench/throughput.py --update"):
        load_bench(tmp_path / "nowhere.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_bench(bad)
    bad.write_text('{"throughput": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="full_mnist"):
        load_bench(bad)
