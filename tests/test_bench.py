"""The benchmark scripts that write the book's tables (bench/quality.py): run end to end on a tiny model."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_quality_table_gains_the_diffusion_rows_in_place(tmp_path, capsys) -> None:
    from course_lib.checkpoint import shipped_checkpoint
    from course_lib.cli import main

    assert main(["train", "diffusion", "--epochs", "1", "--train-size", "64", "--batch-size", "32", "--channels", "8",
                 "--emb-dim", "16", "--T", "20", "--sample-steps", "2", "--out", str(tmp_path), "--name", "d",
                 "--no-progress"]) == 0
    results = tmp_path / "results.json"
    kept = {"what": "DCGAN digits present", "value": "10", "command": "an older row"}
    stale_floor = {"what": "real-vs-real floor (1,000 vs 4,000 train)", "value": "0.0", "command": "old"}
    results.write_text(json.dumps({"offline_mnist": [kept, stale_floor], "other": 1}), encoding="utf-8")
    quality = _script("quality")
    assert quality.main(["--data", "offline", "--classifier", str(shipped_checkpoint("classifier_offline")),
                         "--diffusion", str(tmp_path / "d"), "--samples", "200", "--bound-images", "4",
                         "--device", "cpu", "--update", str(results)]) == 0
    assert "| diffusion (DDIM, 2 steps) held-out bound, 4 digits (bits/dim, 256 levels) |" in capsys.readouterr().out
    data = json.loads(results.read_text(encoding="utf-8"))
    rows = {r["what"]: r for r in data["offline_mnist"]}
    assert data["other"] == 1 and data["offline_mnist"][0] == kept             # other rows kept, in place
    assert data["offline_mnist"][-1]["what"].startswith("real-vs-real floor")   # the floor stays last
    assert float(data["offline_mnist"][-1]["value"]) > 0                        # and was re-measured
    bound = rows["diffusion (DDIM, 2 steps) held-out bound, 4 digits (bits/dim, 256 levels)"]
    bits, se = (float(v) for v in bound["value"].split(" ± "))
    assert bits > 0 and se >= 0 and math.isfinite(bits + se)
    assert bound["command"].startswith("python -m course_lib train diffusion")
    assert float(rows["diffusion (DDIM, 2 steps) Fréchet distance (1,000 vs 4,000 train)"]["value"]) > 0
    assert rows["diffusion (DDIM, 2 steps) training time, 1 epochs on cpu (1 threads) (minutes)"]["value"] == "0"
