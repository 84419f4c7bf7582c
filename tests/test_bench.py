"""The benchmark scripts that write the book's tables (bench/quality.py): run end to end on a tiny model."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

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


def test_diffusion_bench_measures_every_setting_over_draws(tmp_path) -> None:
    """bench/diffusion.py on a tiny model: each row's FD is the mean of its draws with an interval around it,
    the investigation rows (η = 0.5, no clipping) appear, and a second run replaces the first one's rows."""
    from course_lib.cli import main

    assert main(["train", "diffusion", "--epochs", "1", "--train-size", "64", "--batch-size", "32", "--channels", "8",
                 "--emb-dim", "16", "--T", "20", "--sample-steps", "2", "--out", str(tmp_path), "--name", "d",
                 "--no-progress"]) == 0
    bench = _script("diffusion")
    args = [str(tmp_path / "d"), "--n", "20", "--draws", "2", "--steps", "2", "--investigate", "2",
            "--only", "sampling", "--only", "guidance"]
    assert bench.main(args) == 0
    assert bench.main(args) == 0
    study = json.loads((tmp_path / "d.json").read_text())["study"]
    rows = study["sampling"]["rows"]
    assert sorted((r["eta"], r["clip"]) for r in rows) == [(0.0, False), (0.0, True), (0.5, True), (1.0, False), (1.0, True)]
    for r in rows + study["guidance"]["rows"]:
        assert len(r["fd_draws"]) == r["draws"] == 2
        assert r["fd"] == pytest.approx(sum(r["fd_draws"]) / 2, abs=0.01)
        assert r["fd_low"] <= r["fd"] <= r["fd_high"] and 0.0 <= r["kl_low"] <= r["kl_to_uniform"] <= r["kl_high"]
    # the two draws are different samples (seeds 0 and 1), not the same set twice
    assert rows[0]["fd_draws"][0] != rows[0]["fd_draws"][1]
    assert list(study["measured_by"]) == ["sampling,guidance steps 2"]
    # the recognisable share: unconditional, then labels from the training shares at w = 0 and w = 1
    assert bench.main([str(tmp_path / "d"), "--n", "20", "--draws", "2", "--only", "recognisable"]) == 0
    study = json.loads((tmp_path / "d.json").read_text())["study"]
    rec = study["recognisable"]
    assert "sampling" in study and "guidance" in study                       # the other parts are kept
    assert [(r["labels"], r["w"]) for r in rec["rows"]] == [(None, None), ("prior", 0.0), ("prior", 1.0)]
    assert sum(rec["prior"]) == pytest.approx(1.0, abs=1e-3) and len(rec["prior"]) == 10
    # its first unconditional draw (the default sampler, seed 0) is kept for chapter 5's table
    from course_lib.models.diffusion_task import load_diffusion, load_samples

    model, _ = load_diffusion(tmp_path / "d")
    kept = load_samples(tmp_path / "d")
    assert kept.shape == (20, 1, 28, 28)
    fresh = model.sample(20, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(kept, fresh, atol=0.5 / 255 + 1e-6)
    for r in rec["rows"]:
        assert r["draws"] == 2 and r["steps"] == 2 and 1 <= r["classes_present"] <= 10
        assert 0.0 <= r["recognisable_low"] <= r["recognisable"] <= r["recognisable_high"] <= 1.0
        assert 0.0 <= r["kl_low"] <= r["kl_to_uniform"] <= r["kl_high"] <= math.log(10) + 1e-4
    # --ancestral S adds the DDPM sampler's rows (null class, labels drawn at w = 0) and keeps the default ones
    assert bench.main([str(tmp_path / "d"), "--n", "20", "--draws", "2", "--only", "recognisable", "--ancestral", "3"]) == 0
    study = json.loads((tmp_path / "d.json").read_text())["study"]
    got = [(r["labels"], r["w"], r["sampler"], r["eta"], r["steps"]) for r in study["recognisable"]["rows"]]
    assert got == [(None, None, "ddim", 0.0, 2), ("prior", 0.0, "ddim", 0.0, 2), ("prior", 1.0, "ddim", 0.0, 2),
                   (None, None, "ddpm", 1.0, 3), ("prior", 0.0, "ddpm", 1.0, 3)]
    assert study["recognisable"]["rows"][:3] == rec["rows"]                  # the default rows untouched
    assert {"recognisable", "recognisable ancestral 3"} <= set(study["measured_by"])
    assert torch.equal(load_samples(tmp_path / "d"), kept)                  # chapter 5's samples stay the DDIM ones
    # the timing part rewrites only each sampling row's seconds per image, and says how it timed them
    before = json.loads((tmp_path / "d.json").read_text())["study"]
    assert bench.main([str(tmp_path / "d"), "--only", "timing", "--time-images", "6"]) == 0
    after = json.loads((tmp_path / "d.json").read_text())["study"]
    timing = after["sampling"].pop("timing")
    assert timing["images"] == 6 and "alone" in timing["how"]
    for b, a in zip(before["sampling"]["rows"], after["sampling"]["rows"], strict=True):
        assert {k: v for k, v in a.items() if k != "seconds_per_image"} == \
            {k: v for k, v in b.items() if k != "seconds_per_image"} and a["seconds_per_image"] > 0
    assert after["sampling"]["protocol"] == before["sampling"]["protocol"]
    assert {k: v for k, v in after.items() if k not in ("sampling", "measured_by")} == \
        {k: v for k, v in before.items() if k not in ("sampling", "measured_by")}
    assert "timing" in after["measured_by"] and "recognisable" in after["measured_by"]


def test_recognisable_table_gives_intervals_and_verdicts(capsys) -> None:
    bench = _script("recognisable")
    assert "dcgan_offline" in {p.name for p in bench.shipped_generators()}
    assert "classifier_offline" not in {p.name for p in bench.shipped_generators()}
    assert bench.main(["dcgan_offline", "--samples", "50", "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "| real held-out digits (1,000) | 0.943 [" in out
    row = next(line for line in out.splitlines() if line.startswith("| `dcgan_offline` (dcgan) |"))
    # the mean and its interval, the KL with its interval, the digits present and the verdict
    assert row.count("[") == 2 and row.rstrip().endswith("10 digits) |")
    with pytest.raises(SystemExit):
        bench.main(["--draws", "1"])
    # a class-conditional model with its labels given: one row per guidance weight, after its own row
    assert bench.main(["diffusion_offline", "--samples", "20", "--draws", "2", "--guidance", "0", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `diffusion_offline`")]
    assert [r.split("|")[1].strip() for r in rows] == ["`diffusion_offline` (diffusion_unet)",
                                                       "`diffusion_offline`, labels given (0–9 in turn), guidance w = 0",
                                                       "`diffusion_offline`, labels given (0–9 in turn), guidance w = 1"]
    model, _ = bench.load_any(bench.CHECKPOINT_DIR / "diffusion_offline")
    assert bench.conditional_samples(model, 3, 0, 1.0).shape == (3, 1, 28, 28)


def test_recognisable_labels_drawn_from_the_training_shares() -> None:
    """``--labels prior``: the labels given to a conditional model are drawn from its training set's class shares
    (not 0-9 in turn, not uniform), by a generator seeded with the draw's seed."""
    import torch
    from course_lib.data import load_offline_mnist

    bench = _script("recognisable")
    shares = bench.training_label_shares({"data_source": "offline"})
    _, y = load_offline_mnist("train")
    assert shares.shape == (10,) and float(shares.sum()) == pytest.approx(1.0)
    assert torch.equal(shares, torch.bincount(y, minlength=10).double() / len(y))

    class Spy(torch.nn.Module):
        """Records the labels it is asked for."""
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.asked: list = []

        def sample(self, n, *, generator, y, guidance, **kw):
            self.asked.append((y.clone(), guidance))
            return torch.zeros(n, 1, 28, 28)

    spy = Spy()
    only_three = torch.zeros(10, dtype=torch.float64)
    only_three[3] = 1.0
    bench.conditional_samples(spy, 50, 0, 0.0, only_three)
    assert torch.equal(spy.asked[-1][0], torch.full((50,), 3))
    bench.conditional_samples(spy, 20, 0, 2.0)
    assert torch.equal(spy.asked[-1][0], torch.arange(20) % 10) and spy.asked[-1][1] == 2.0
    skewed = torch.tensor([0.5] + [0.5 / 9] * 9, dtype=torch.float64)
    bench.conditional_samples(spy, 2000, 1, 0.0, skewed)
    a = spy.asked[-1][0]
    bench.conditional_samples(spy, 2000, 1, 0.0, skewed)
    assert torch.equal(a, spy.asked[-1][0])                                   # the same seed, the same labels
    assert 0.45 < float((a == 0).double().mean()) < 0.55                      # the shares, not uniform


def test_memory_bench_measures_each_run_in_its_own_process(tmp_path, capsys) -> None:
    """bench/memory.py: the GPT run and its nanoGPT-style peer, a few steps each, each peak from its own process;
    the VAE rows are skipped, with a line that says so, where full MNIST is not found."""
    bench = _script("memory")
    assert bench.card_command("gpt_book", steps=3, out="x", no_progress=True)[:3] == ["train", "gpt", "--steps"]
    argv = bench.card_command("vae2d_offline", data="full", z_dim=20, hidden=400)
    assert argv[argv.index("--data") + 1] == "full" and argv[argv.index("--hidden") + 1] == "400"
    assert bench.main(["--data-root", str(tmp_path), "--gpt-steps", "2", "--eval-iters", "1"]) == 0
    out = capsys.readouterr().out
    assert f"skipped, the four MNIST files are not in {tmp_path / 'mnist'}" in out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| course_lib GPT")]
    peer = [line.split(" | ") for line in out.splitlines() if line.startswith("| nanoGPT-style")]
    assert len(rows) == 1 and len(peer) == 1
    mine, theirs = float(rows[0][1]), float(peer[0][1])
    assert 100 < theirs and 100 < mine  # both import torch: MB, not KB or bytes
    assert rows[0][2] == f"{mine / theirs:.2f}×" or abs(float(rows[0][2][:-1]) - mine / theirs) < 0.01


def test_recognisable_update_writes_a_vae_cards_rows(tmp_path, capsys) -> None:
    """``--update``: a VAE with a fitted mixture prior gets two rows in its card, its own prior's (the very draws
    of ``sample_checkpoint``) and the same decoder's on N(0, I); the rest of the card is untouched."""
    import json
    from course_lib.cli import main as cli_main
    from course_lib.evaluator import coverage_over_draws, load_any, load_classifier, sample_checkpoint
    from course_lib.stats import row_interval

    assert cli_main(["train", "vae", "--arch", "deepconv", "--channels", "4", "--hidden", "16", "--z-dim", "3",
                     "--train-size", "256", "--eval-size", "32", "--iwae-k", "0", "--epochs", "1",
                     "--prior-components", "3", "--out", str(tmp_path), "--name", "v", "--device", "cpu",
                     "--threads", "1", "--no-progress"]) == 0
    before = json.loads((tmp_path / "v.json").read_text())
    bench = _script("recognisable")
    assert bench.main([str(tmp_path / "v"), "--samples", "30", "--draws", "2", "--update"]) == 0
    assert "the same decoder on N(0, I)" in capsys.readouterr().out
    card = json.loads((tmp_path / "v.json").read_text())
    study = card.pop("study")["recognisable"]
    assert card == before and "--update" in study["command"]
    own, standard = study["rows"]
    assert (own["prior"], standard["prior"]) == ("model's prior", "N(0, I)")
    classifier, _ = load_classifier()
    rec, kl, _ = coverage_over_draws([sample_checkpoint(tmp_path / "v", 30, seed=s) for s in (0, 1)], classifier)
    # stored at full precision: the very intervals (rounded only where printed)
    assert row_interval(own, "recognisable") == rec and row_interval(own, "kl") == kl
    # the book prints the stored row as this table prints the fresh interval (no second rounding)
    assert row_interval(own, "recognisable").format(3) == rec.format(3)
    model, _ = load_any(tmp_path / "v")
    import torch
    draws = [model.sample(30, generator=torch.Generator().manual_seed(s), standard_prior=True) for s in (0, 1)]
    rec, kl, _ = coverage_over_draws(draws, classifier)
    assert row_interval(standard, "recognisable") == rec and standard["kl_low"] <= standard["kl_to_uniform"]
    for row in (own, standard):
        assert row["recognisable_low"] <= row["recognisable"] <= row["recognisable_high"] and row["draws"] == 2
        assert row["samples"] == 30


def test_gan_samplers_truncate_and_keep_the_discriminators_best_packs(capsys) -> None:
    bench = _script("gan_samplers")
    z = bench.truncated_normal(2000, 8, 0.5, torch.Generator().manual_seed(0))
    assert z.shape == (2000, 8) and float(z.abs().max()) <= 0.5
    # entries already inside are kept as drawn: only the far ones are redrawn
    plain = torch.randn(2000, 8, generator=torch.Generator().manual_seed(0))
    inside = plain.abs() <= 0.5
    assert torch.equal(z[inside], plain[inside]) and not torch.equal(z, plain)
    # a truncated normal on [-psi, psi] has variance below psi^2 / 3 (the uniform's) and above 0
    assert 0.05 < float(z.var()) < 0.5 ** 2 / 3
    with pytest.raises(ValueError, match="psi must be > 0"):
        bench.truncated_normal(3, 2, 0.0, torch.Generator())

    from course_lib.models.dcgan import load_dcgan
    model, _ = load_dcgan()                           # dcgan_offline: pack 2
    assert model.discriminator.pack == 2
    kept = bench.preferred_samples(model, 40, 0.25, seed=3)
    drawn = model.sample(160, generator=torch.Generator().manual_seed(3))
    logits = model.discriminator.eval()(drawn)
    assert kept.shape == (40, 1, 28, 28)
    # the kept packs are the 20 of 80 with the largest logits, in that order
    best = logits.topk(20).indices
    assert torch.equal(kept, drawn.view(80, 2, 1, 28, 28)[best].reshape(40, 1, 28, 28))
    with pytest.raises(ValueError, match="keep must be in"):
        bench.preferred_samples(model, 4, 1.5, seed=0)
    assert bench.main(["dcgan_offline", "--samples", "40", "--draws", "2", "--psi", "0.7", "--keep", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "| z from N(0, I) |" in out and "| truncated, psi = 0.7 |" in out and "| best 50% by the discriminator |" in out


def test_diffusion_samplers_rows_keep_the_labels_and_change_only_the_sampler(capsys) -> None:
    bench = _script("diffusion_samplers")
    rows = bench.settings(50, [100], [100, 250], [0.5])
    assert [name for name, _ in rows] == ["DDIM, 100 steps, w = 0", "DDPM (eta = 1), 100 steps, w = 0",
                                          "DDPM (eta = 1), 250 steps, w = 0", "DDIM, 50 steps, w = 0.5"]
    assert rows[1][1] == {"guidance": 0.0, "steps": 100, "eta": 1.0} and rows[3][1]["steps"] == 50
    assert bench.main(["diffusion_offline", "--samples", "10", "--draws", "2", "--steps", "2", "--ddpm-steps",
                       "--guidance"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| DD")]
    assert len(lines) == 1 and lines[0].startswith("| DDIM, 2 steps, w = 0 |")
    with pytest.raises(SystemExit):
        bench.main(["diffusion_offline", "--draws", "1"])
