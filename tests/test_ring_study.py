"""course_lib.ring_study: the shipped study is what its recorded command makes, reads back as written, and its
derived verdicts (collapsed, all modes) use the thresholds they name."""
from __future__ import annotations

import shlex

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from course_lib import ring_study as R
from course_lib.cli import build_parser
from course_lib.models.gan import energy_distance, mode_coverage


@pytest.fixture(scope="module")
def shipped() -> R.RingStudy:
    return R.load_ring_study()


def test_shipped_study_has_every_run_and_seed(shipped):
    assert shipped.runs == ["A", "B", "C", "diffusion"]
    n = len(shipped.seeds)
    assert n >= 20 and list(shipped.seeds) == list(range(n))
    assert shipped.steps == list(range(0, R.STEPS + 1, R.SNAPSHOT_EVERY))
    for run in ("A", "B", "C"):
        assert shipped.metrics[run].shape == (n, len(shipped.steps), len(R.MEASURES))
        assert shipped.tail[run].shape == (n, 3)
        assert tuple(shipped.snapshots[run].shape) == (len(shipped.steps), R.N_SNAPSHOT, 2)
        assert tuple(shipped.trace[run].shape) == (3, R.STEPS)
    assert shipped.metrics["diffusion"].shape == (n, 1, len(R.MEASURES))


def test_shipped_study_command_is_one_the_cli_accepts(shipped):
    words = shlex.split(shipped.info["command"])
    args = build_parser().parse_args(words[words.index("study"):])
    assert args.experiment == "ring" and args.seeds == len(shipped.seeds)


def test_stored_measurements_are_those_of_the_stored_samples(shipped):
    """Seed 0's samples are kept: measuring them again gives the stored row (columns not swapped, ref not changed)."""
    _, ref = R._ring_data()
    for run in ("A", "B", "C", "diffusion"):
        for i in (0, -1):
            x = shipped.snapshots[run][i]
            c = mode_coverage(x, modes=8, radius=2.0, std=R.RING_STD)
            want = [c.modes_covered, c.high_quality, c.kl_to_uniform, energy_distance(x, ref)]
            np.testing.assert_allclose(shipped.metrics[run][0, i], want, rtol=1e-5, atol=1e-6)


def test_tail_means_are_the_last_300_steps_of_the_trace(shipped):
    for run in ("A", "B", "C"):
        np.testing.assert_allclose(shipped.tail[run][0], shipped.trace[run][:, -300:].double().mean(1).numpy(), rtol=1e-5)


def _study(modes_final: list[int]) -> R.RingStudy:
    s = len(modes_final)
    m = np.zeros((s, 2, len(R.MEASURES)))
    m[:, -1, 0] = modes_final
    m[:, 0, 0] = 8  # the first snapshot must not be the one read
    return R.RingStudy(["A"], np.arange(s), [0, R.STEPS], {"A": m})


def test_collapse_and_all_modes_thresholds():
    st = _study([0, 1, 3, 4, 7, 8])
    assert st.collapsed("A").tolist() == [True, True, True, False, False, False]
    assert st.all_modes("A").tolist() == [False, False, False, False, False, True]
    assert R.COLLAPSE_BELOW == 4


def test_save_and_load_round_trip(tmp_path):
    x = R.RingStudy(["A", "diffusion"], np.arange(2), [0, 250],
                    {"A": np.random.default_rng(0).random((2, 2, 4)), "diffusion": np.ones((2, 1, 4))},
                    tail={"A": np.full((2, 3), 0.5)}, snapshots={"A": torch.zeros(2, 5, 2)},
                    trace={"A": torch.ones(3, 10)}, info={"wall_time_s": 1.0})
    path = R.save_ring_study(x, tmp_path / "s.safetensors", command="python -m course_lib study ring --seeds 2")
    y = R.load_ring_study(path)
    assert y.runs == x.runs and y.steps == x.steps and y.info["command"].endswith("--seeds 2")
    np.testing.assert_array_equal(y.metrics["A"], x.metrics["A"])
    np.testing.assert_array_equal(y.tail["A"], x.tail["A"])
    assert torch.equal(y.trace["A"], x.trace["A"]) and "diffusion" not in y.tail


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="study ring"):
        R.load_ring_study(tmp_path / "missing.safetensors")
    other = tmp_path / "weights.safetensors"
    save_file({"w": torch.zeros(2)}, str(other))
    with pytest.raises(ValueError, match="not a ring study"):
        R.load_ring_study(other)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(R.SHIPPED_STUDY.read_bytes()[:1000])
    with pytest.raises(ValueError, match="damaged"):
        R.load_ring_study(broken)
    with pytest.raises(ValueError, match=".safetensors"):
        R.save_ring_study(R.load_ring_study(), tmp_path / "s.json")


def test_a_study_made_with_other_settings_is_refused(tmp_path, monkeypatch):
    path = R.save_ring_study(_study([8, 8]), tmp_path / "s.safetensors")
    monkeypatch.setitem(R.GAN_RUNS, "A", {"lr_g": 1e-3, "lr_d": 5e-4, "d_steps": 1})
    with pytest.raises(ValueError, match="other settings"):
        R.load_ring_study(path)


def test_live_run_records_what_it_trained():
    """One short live seed of run A: measurements at every snapshot, seed 0's samples and trace."""
    st = R.run_ring_study([0], runs=("A",))
    assert st.steps == list(range(0, R.STEPS + 1, R.SNAPSHOT_EVERY))
    assert st.metrics["A"].shape == (1, len(st.steps), 4) and st.tail["A"].shape == (1, 3)
    # training moves the samples towards the ring: energy distance falls from the first snapshot to the last
    assert st.metrics["A"][0, -1, 3] < 0.5 * st.metrics["A"][0, 0, 3]
    # the run a chapter trains live with gan_run is the study's run (same machine, same seed: the same samples)
    p = R.GAN_RUNS["A"]
    h = R.gan_run(p["lr_g"], p["lr_d"], int(p["d_steps"]), seed=0)
    assert list(h.snapshot_steps) == st.steps
    assert torch.equal(torch.stack(h.snapshots), st.snapshots["A"])
    with pytest.raises(ValueError):
        R.run_ring_study([], runs=("A",))
    with pytest.raises(ValueError):
        R.run_ring_study([0], runs=("D",))
