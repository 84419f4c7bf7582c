"""Audit cards (course_lib.responsible.audit, ``python -m course_lib audit``) and the diffusion loss attack.

Tiny models are trained in a temporary folder through the command line, with a training set that is both cut
(``--train-size``) and skewed (``--rare-digit``), and audited through the command line. The tests recompute the
members from first principles and check that the audit attacked exactly those digits: an audit that ignored
the skew or the training size would attack other digits and fail here.
"""
from __future__ import annotations

import json
import math
import shutil

import pytest
import torch

import course_lib.data
from course_lib import load_offline_mnist
from course_lib.checkpoint import read_card, shipped_checkpoint
from course_lib.evaluator import (class_histogram, kl_to_uniform, load_any, load_classifier, recognisable_share,
                                  sample_checkpoint)
from course_lib.cli import main
from course_lib.responsible import audit as audit_mod, membership
from course_lib.data import spread_subset

pytestmark = pytest.mark.usefixtures("one_thread")

COMMON = ["--threads", "1", "--device", "cpu", "--no-progress"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A skewed MLP VAE, a skewed DCGAN and a canary GPT, each trained for a moment through the command line."""
    out = tmp_path_factory.mktemp("audit_models")
    o = ["--out", str(out), *COMMON]
    assert main(["train", "vae", "--arch", "mlp", "--hidden", "16", "--z-dim", "2", "--train-size", "300",
                 "--rare-digit", "3", "--rare-factor", "4", "--epochs", "1", "--batch-size", "64", "--iwae-k", "0",
                 "--eval-size", "50", "--name", "vae_skew", *o]) == 0
    assert main(["train", "dcgan", "--epochs", "1", "--train-size", "128", "--batch-size", "32", "--z-dim", "4",
                 "--channels", "4", "--d-channels", "4", "--evaluator", "none", "--snapshots", "0",
                 "--rare-digit", "7", "--rare-factor", "2", "--name", "dcgan_skew", *o]) == 0
    assert main(["train", "canary_gpt", "--data", "book", "--repeats", "2", "--steps", "4", "--eval-every", "2",
                 "--n-layer", "1", "--d-model", "16", "--n-head", "2", "--block-size", "48", "--secret-digits", "3",
                 "--name", "canary2", *o]) == 0
    return out


def _training_digits(train_size, rare_digit, rare_factor):
    """The training set as the task selects it, written out here from the two documented steps."""
    x, y = load_offline_mnist("train")
    keep = spread_subset(len(x), train_size)
    x, y = x[keep], y[keep]
    rare = torch.nonzero(y == rare_digit).flatten()
    kept_rare = rare[spread_subset(len(rare), math.ceil(len(rare) / rare_factor))]
    keep = torch.sort(torch.cat([torch.nonzero(y != rare_digit).flatten(), kept_rare])).values
    return x[keep], y[keep]


def _nonmembers():
    """Chapter 6's non-members: the held-out digits less the 4 LOGAN anchors spread evenly over them."""
    x, _ = load_offline_mnist("heldout")
    is_anchor = torch.zeros(len(x), dtype=torch.bool)
    is_anchor[spread_subset(len(x), 4)] = True
    return x[~is_anchor]


def _audit(path, *extra):
    assert main(["audit", str(path), "--samples", "60", "--threads", "1", *extra]) == 0
    return read_card(path)["audit"]


# ------------------------------------------------------------------------------------------------ image VAE
def test_vae_audit_attacks_exactly_the_skewed_training_digits(models, capsys):
    stem = models / "vae_skew"
    before = read_card(stem)
    text_before = stem.with_suffix(".json").read_text(encoding="utf-8")
    audit = _audit(stem)
    assert "vae_skew:" in capsys.readouterr().out          # one summary line per model
    # the members: all 300 // ... digits of the skewed set (fewer than 1,000), checked against the card
    x_in, y_in = _training_digits(300, 3, 4)
    assert len(x_in) == before["train_examples"] and torch.bincount(y_in, minlength=10).tolist() == \
        before["skew"]["class_counts"] == audit["data"]["class_counts"]
    assert audit["data"]["training_examples"] == len(x_in) and "data_sha256" in audit["data"]["check"]
    # the numbers: a direct attack_summary of the same attack on the same digits
    model, _ = load_any(stem)
    x_out = _nonmembers()
    direct = membership.attack_summary(membership.vae_loss_scores(model, x_in, draws=2, seed=0),
                                       membership.vae_loss_scores(model, x_out, draws=2, seed=0))
    m = audit["membership"]
    assert (m["members"], m["nonmembers"]) == (len(x_in), 996)
    assert m["auc"] == round(direct["auc"], 3) and m["tpr_at_1pct_fpr"] == round(direct["tpr_at_fpr"], 3)
    # class shares of the samples, KL to uniform and to the training classes, the rare digit's shares
    cs = audit["class_shares"]
    assert sum(cs["counts"]) == cs["samples"] == 60 and len(cs["shares"]) == 10
    train_p = torch.bincount(y_in, minlength=10).double() / len(y_in)
    assert cs["rare_digit"]["digit"] == 3 and cs["rare_digit"]["training_share"] == round(float(train_p[3]), 4)
    assert cs["kl_to_uniform_nats"] >= 0 and "kl_to_training_nats" in cs
    # the recognisable share: the shipped classifier's verdict on the same 60 samples (seed 0)
    samples = sample_checkpoint(stem, 60, seed=0)
    classifier, _ = load_classifier()
    assert cs["recognisable"] == round(recognisable_share(samples, classifier), 4)
    assert cs["kl_to_uniform_nats"] == round(kl_to_uniform(class_histogram(samples, classifier)), 4)
    # privacy, provenance, protocol, command, time stamp, versions
    assert audit["privacy"]["guarantee"] == "none (ε = ∞)"
    assert "course_lib.responsible.labels" in audit["provenance"]
    assert {"membership", "class_shares", "frechet_distance"} <= set(audit["protocol"])
    assert audit["command"].startswith("python -m course_lib audit ") and "torch" in audit["library_versions"]
    assert audit["audited_at"].endswith("Z") and audit["audit_time_s"] >= 0
    # writing kept everything else, in the same order and the same text
    after = read_card(stem)
    assert list(after)[:-1] == list(before) and {k: v for k, v in after.items() if k != "audit"} == before
    text_after = stem.with_suffix(".json").read_text(encoding="utf-8")
    assert text_after.startswith(text_before.rstrip().rstrip("}").rstrip())
    # auditing again replaces the section (one "audit" key)
    again = _audit(stem)
    assert list(read_card(stem)).count("audit") == 1 and again["membership"] == m


def test_an_audit_that_ignored_the_skew_would_be_caught(models, monkeypatch, tmp_path):
    """Planted bug: skewed_subset ignoring its digit. The rebuilt set no longer hashes like the card's, and the
    audit says it cannot rebuild the training set instead of attacking the wrong digits."""
    for f in ("vae_skew.json", "vae_skew.safetensors"):
        shutil.copy(models / f, tmp_path / f)
    monkeypatch.setattr(course_lib.data, "skewed_subset", lambda y, digit, factor=10: torch.arange(len(y)))
    audit = audit_mod.audit_checkpoint(tmp_path / "vae_skew", n_samples=20)
    assert audit["membership"]["status"] == "not measured" and "auc" not in audit["membership"]
    assert "does not match the card" in audit["membership"]["reason"]
    assert "cannot be rebuilt" in audit["data"]["training_set"]


def test_a_card_whose_training_set_cannot_be_rebuilt_says_so(models, tmp_path):
    for f in ("vae_skew.json", "vae_skew.safetensors"):
        shutil.copy(models / f, tmp_path / f)
    card = read_card(tmp_path / "vae_skew")
    # without its options the training set cannot be rebuilt: no membership numbers, and the audit says why
    card.pop("options")
    (tmp_path / "vae_skew.json").write_text(json.dumps(card), encoding="utf-8")
    audit = audit_mod.audit_checkpoint(tmp_path / "vae_skew", n_samples=20)
    assert audit["membership"]["status"] == "not measured" and "no training options" in audit["membership"]["reason"]
    # an unknown data source: no membership numbers, but the samples are still measured
    card["data_source"] = "somewhere else"
    (tmp_path / "vae_skew.json").write_text(json.dumps(card), encoding="utf-8")
    audit = audit_mod.audit_checkpoint(tmp_path / "vae_skew", n_samples=20)
    assert audit["membership"]["status"] == "not measured" and "data_source" in audit["membership"]["reason"]
    assert sum(audit["class_shares"]["counts"]) == 20 and "kl_to_training_nats" not in audit["class_shares"]


# ------------------------------------------------------------------------------------------------ DCGAN
def test_dcgan_audit_is_logan_on_the_skewed_training_digits(models):
    stem = models / "dcgan_skew"
    audit = _audit(stem)
    x_in, y_in = _training_digits(128, 7, 2)
    assert audit["data"]["class_counts"] == torch.bincount(y_in, minlength=10).tolist()
    model, _ = load_any(stem)
    x_out, _ = load_offline_mnist("heldout")
    is_anchor = torch.zeros(len(x_out), dtype=torch.bool)
    is_anchor[spread_subset(len(x_out), 4)] = True
    anchors = x_out[is_anchor]
    direct = membership.attack_summary(membership.discriminator_scores(model.discriminator, x_in, anchors),
                                       membership.discriminator_scores(model.discriminator, x_out[~is_anchor], anchors))
    m = audit["membership"]
    assert (m["members"], m["nonmembers"]) == (len(x_in), 996) and "LOGAN" in m["attack"]
    assert m["auc"] == round(direct["auc"], 3) and m["tpr_at_1pct_fpr"] == round(direct["tpr_at_fpr"], 3)
    assert audit["class_shares"]["rare_digit"]["digit"] == 7


def test_logan_attack_with_a_plain_discriminator_scores_every_nonmember():
    from course_lib.models.dcgan import make_dcgan

    gan = make_dcgan(4, 4, 4, 1, False, seed=0)
    x = torch.rand(6, 1, 28, 28)
    s_in, s_out = membership.logan_attack(gan, x[:2], x[2:])
    assert len(s_in) == 2 and len(s_out) == 4
    packed = make_dcgan(4, 4, 4, 2, False, seed=0)
    s_in, s_out = membership.logan_attack(packed, x[:2], x[2:], n_anchors=1)
    assert len(s_out) == 3


# ------------------------------------------------------------------------------------------------ GPTs
def test_canary_gpt_audit_records_exposure_and_extraction(models):
    from course_lib.responsible.canary import Canary, exposure, greedy_extract
    from course_lib.checkpoint import load_checkpoint
    from course_lib.models.gpt import GPT
    from course_lib.text import CharTokenizer

    stem = models / "canary2"
    audit = _audit(stem)
    card = read_card(stem)
    model, _ = load_checkpoint(stem, GPT, card["kind"])
    tok = CharTokenizer.from_dict(card["tokenizer"])
    assert [c["lang"] for c in audit["canaries"]] == ["en", "zh"]
    for row, c in zip(audit["canaries"], card["canaries"]):
        canary = Canary(c["lang"], c["prefix"], c["secret"], c["end"])
        e = exposure(model, tok, canary)
        assert row["rank"] == e["rank"] and row["exposure_bits"] == round(e["exposure"], 2)
        assert row["max_exposure_bits"] == round(3 * math.log2(10), 2) and row["repeats"] == 2
        assert row["greedy_extraction"] == greedy_extract(model, tok, canary)
        assert row["extracted"] == (row["greedy_extraction"] == c["secret"])
    assert "text_watermark" in audit["text_watermark"] and "text_watermark" in audit["provenance"]
    assert audit["privacy"]["guarantee"].startswith("none") and audit["data"]["repeats"] == 2
    assert "canary en: exposure" in audit["headline"]


def test_shipped_gpt_audit_notes_the_watermark_without_writing():
    before = shipped_checkpoint("gpt_book").with_suffix(".json").read_bytes()
    audit = audit_mod.audit_checkpoint("gpt_book")
    assert audit["kind"] == "gpt" and "watermarked_generate" in audit["text_watermark"]
    assert audit["membership"]["status"] == "not measured" and audit["command"] == "python -m course_lib audit gpt_book"
    assert shipped_checkpoint("gpt_book").with_suffix(".json").read_bytes() == before


# ------------------------------------------------------------------------------------------------ DP cards
def test_privacy_section_reads_the_cards_dp_record():
    card = {"dp": {"epsilon": 7.9912, "delta": 0.00025, "noise_multiplier": 0.61, "max_grad_norm": 1.0,
                   "accountant": "prv", "target_epsilon": 8.0}}
    p = audit_mod._privacy(card)
    assert p["epsilon"] == 7.991 and p["delta"] == 0.00025 and p["accountant"] == "prv"
    assert "differential privacy" in p["guarantee"]
    assert audit_mod._privacy({"dp": {"epsilon": math.inf, "delta": 0.00025}})["epsilon"] == "∞"
    assert audit_mod._privacy({})["guarantee"] == "none (ε = ∞)"


# ------------------------------------------------------------------------------------------------ the command line
def test_audit_all_covers_every_generative_checkpoint_and_skips_the_rest(models, tmp_path, capsys):
    for f in ("vae_skew.json", "vae_skew.safetensors"):
        shutil.copy(models / f, tmp_path / f)
    shutil.copy(shipped_checkpoint("classifier_offline").with_suffix(".json"), tmp_path / "classifier_offline.json")
    (tmp_path / "notes.json").write_text("[1, 2]")
    assert [p.name for p in audit_mod.auditable_checkpoints(tmp_path)] == ["vae_skew"]
    capsys.readouterr()
    assert main(["audit", "--all", "--dir", str(tmp_path), "--samples", "20", "--threads", "1"]) == 0
    assert capsys.readouterr().out.startswith("vae_skew: membership AUC")
    assert "audit" in read_card(tmp_path / "vae_skew") and "audit" not in read_card(tmp_path / "classifier_offline")
    assert read_card(tmp_path / "vae_skew")["audit"]["command"].endswith(f"--dir {tmp_path} --samples 20 --threads 1")


def test_audit_bad_input_is_a_clear_error(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope")]) == 2
    assert "no checkpoint at" in capsys.readouterr().err
    assert main(["audit", "classifier_offline"]) == 2
    assert "not a generative one" in capsys.readouterr().err
    assert main(["audit"]) == 2 and "either one checkpoint" in capsys.readouterr().err
    assert main(["audit", "dcgan_offline", "--all"]) == 2
    assert main(["audit", "dcgan_offline", "--samples", "1"]) == 2 and "--samples" in capsys.readouterr().err
    assert main(["audit", "--all", "--dir", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "odd.json").write_text(json.dumps({"kind": "teapot"}))
    assert main(["audit", str(tmp_path / "odd")]) == 2 and "teapot" in capsys.readouterr().err


def test_kl_divergence_by_hand():
    assert audit_mod.kl_divergence([1, 1], [1, 3]) == pytest.approx(0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75))
    assert audit_mod.kl_divergence([2, 0], [1, 1]) == pytest.approx(math.log(2))
    assert audit_mod.kl_divergence([1, 1], [1, 0]) == math.inf
    with pytest.raises(ValueError):
        audit_mod.kl_divergence([1, 1], [1, 1, 1])


# ------------------------------------------------------------------------------------------------ diffusion loss scores
def test_diffusion_loss_scores_against_a_hand_computation():
    from course_lib.models.diffusion_unet import DiffusionUNet

    torch.manual_seed(0)
    model = DiffusionUNet(channels=8, emb_dim=16, T=50, schedule="cosine")
    with torch.no_grad():  # some layers start at zero (the output, ...): move every weight so that each input matters
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    x = torch.rand(3, 1, 28, 28)
    y = torch.tensor([0, 5, 9])
    ts = (1, 10, 50)
    got = membership.diffusion_loss_scores(model, x, ts=ts, seed=3, y=y, draws=2)
    # by hand: the documented noise order (per t, per draw, one (N, 1, 28, 28) draw), one image at a time
    gen = torch.Generator().manual_seed(3)
    noises = [(t, torch.randn((3, 1, 28, 28), generator=gen)) for t in ts for _ in range(2)]
    ab = model.schedule.alpha_bars
    want = []
    with torch.no_grad():
        for i in range(3):
            losses = []
            for t, eps in noises:
                x0 = 2 * x[i:i + 1] - 1
                xt = ab[t].sqrt() * x0 + (1 - ab[t]).sqrt() * eps[i:i + 1]
                pred = model(xt.float(), torch.tensor([t]), y[i:i + 1])
                losses.append(float(((pred - eps[i:i + 1]) ** 2).mean()))
            want.append(-sum(losses) / len(losses))
    assert got.dtype == torch.float64 and got.shape == (3,)
    assert torch.allclose(got, torch.tensor(want, dtype=torch.float64), rtol=1e-5, atol=1e-7)
    # the batch size does not change a score; the seed and the labels do
    assert torch.allclose(membership.diffusion_loss_scores(model, x, ts=ts, seed=3, y=y, draws=2, batch_size=2), got)
    assert not torch.allclose(membership.diffusion_loss_scores(model, x, ts=ts, seed=4, y=y, draws=2), got)
    assert not torch.allclose(membership.diffusion_loss_scores(model, x, ts=ts, seed=3, draws=2), got)
    with pytest.raises(ValueError, match="timesteps"):
        membership.diffusion_loss_scores(model, x, ts=(0, 10))
    with pytest.raises(ValueError, match="one label per image"):
        membership.diffusion_loss_scores(model, x, y=y[:2], ts=(10,))


def test_dp_vae_audit_reports_the_cards_epsilon(tmp_path):
    """A DP-SGD VAE (Opacus) through the command line: the privacy section carries the accountant's ε and δ, and
    the members are its 256 training digits (checked against the card's hash)."""
    assert main(["train", "dp_vae", "--epochs", "1", "--train-size", "256", "--hidden", "16", "--z-dim", "2",
                 "--batch-size", "64", "--epsilon", "8", "--out", str(tmp_path), "--name", "dp8", *COMMON]) == 0
    card = read_card(tmp_path / "dp8")
    audit = _audit(tmp_path / "dp8")
    assert audit["kind"] == "dp_mlp_vae" and audit["privacy"]["epsilon"] == round(card["dp"]["epsilon"], 3)
    assert audit["privacy"]["delta"] == card["dp"]["delta"] and "differential privacy" in audit["privacy"]["guarantee"]
    assert audit["membership"]["members"] == 256 and "data_sha256" in audit["data"]["check"]
    assert f"ε = {audit['privacy']['epsilon']}" in audit["headline"]


def test_the_shipped_audits_are_what_the_code_measures():
    """Every committed audit section (diffusion aside: its sampler is slow) is reproduced by the code with the
    section's own settings: the numbers in the cards were written by `python -m course_lib audit`, not by hand."""
    from course_lib.checkpoint import CHECKPOINT_DIR

    audited = [p.with_suffix("") for p in sorted(CHECKPOINT_DIR.glob("*.json"))
               if "audit" in read_card(p) and read_card(p)["kind"] != "diffusion_unet"]
    assert {"dcgan_offline", "vae_overfit_offline", "gpt_book"} <= {p.name for p in audited}
    for stem in audited:
        stored = read_card(stem)["audit"]
        s = stored["settings"]
        fresh = audit_mod.audit_checkpoint(stem.name, n_samples=s["n_samples"], seed=s["seed"],
                                           n_members=s["n_members"], classifier=s["classifier"])
        keys = ["membership", "class_shares", "canaries", "privacy", "data"]
        if "cannot be rebuilt" in fresh["data"].get("training_set", ""):
            # a full-MNIST model on a machine without full MNIST: the audit says so (it never downloads), and
            # what needs no training digits is still reproduced
            assert stored["data"]["source"] == "full" and fresh["membership"]["status"] == "not measured", stem.name
            assert "not available here" in fresh["data"]["training_set"], stem.name
            keys = ["privacy"]
            unknown = ("training_shares", "kl_to_training_nats")   # the training set's class counts are unknown here
            assert {k: v for k, v in stored["class_shares"].items() if k not in unknown} == fresh["class_shares"]
        for key in keys:
            assert fresh.get(key) == stored.get(key), (stem.name, key)
        # Fréchet distances are float sums over thousands of features: equal up to the last printed digit's rounding
        fd_fresh, fd_stored = fresh.get("frechet_distance"), stored.get("frechet_distance")
        assert (fd_fresh is None) == (fd_stored is None), stem.name
        if fd_stored:
            assert fd_fresh.keys() == fd_stored.keys(), stem.name
            for k in ("value", "low", "high"):
                if k in fd_stored:
                    assert fd_fresh[k] == pytest.approx(fd_stored[k], abs=0.15), (stem.name, k)


def _fake_audit(kind: str = "dcgan") -> dict:
    return {"kind": kind,
            "membership": {"auc": 0.515, "tpr_at_1pct_fpr": 0.009, "members": 1000, "nonmembers": 996},
            "class_shares": {"classes_present": 10, "kl_to_uniform_nats": 0.0505, "kl_to_training_nats": 0.04,
                             "rare_digit": {"digit": 0, "sample_share": 0.018, "training_share": 0.011},
                             "recognisable": 0.574, "recognisable_at": 0.9},
            "frechet_distance": {"value": 86.0, "low": 80.0, "high": 92.1},
            "privacy": {"guarantee": "none (ε = ∞)"}}


def test_describe_speaks_both_languages_with_the_same_numbers():
    import re

    from course_lib.responsible.audit import describe, headline

    en, zh = describe(_fake_audit(), "en"), describe(_fake_audit(), "zh")
    assert en.keys() == zh.keys() == {"membership", "class_shares", "frechet_distance", "privacy", "provenance"}
    number = re.compile(r"\d+(?:\.\d+)?")
    for key in en:
        if key != "provenance":
            assert sorted(number.findall(en[key])) == sorted(number.findall(zh[key])), key
    # no English words on a Chinese page: only acronyms and the names of code
    words = set(re.findall(r"[A-Za-z]{3,}", "".join(zh.values()).replace("course_lib.responsible.", "")))
    assert words <= {"AUC", "labels", "watermark"}, words
    assert headline(_fake_audit()) == "; ".join(v for k, v in en.items() if k != "provenance")
    assert "FD 86.0 [80.0, 92.1]" in headline(_fake_audit(), "zh")
    assert "recognisable (p ≥ 0.9) 0.574" in en["class_shares"] and "0.574" in zh["class_shares"]
    with pytest.raises(ValueError, match="lang"):
        describe(_fake_audit(), "fr")


def test_describe_canaries_and_privacy():
    from course_lib.responsible.audit import describe

    audit = {"kind": "canary_gpt", "membership": {"status": "not measured"},
             "canaries": [{"lang": "en", "rank": 1, "exposure_bits": 16.6, "max_exposure_bits": 16.6, "extracted": False},
                          {"lang": "zh", "rank": 3, "exposure_bits": 15.0, "max_exposure_bits": 16.6, "extracted": True}],
             "text_watermark": {}, "privacy": {"epsilon": 8.0, "delta": 0.001}}
    en, zh = describe(audit, "en"), describe(audit, "zh")
    assert "membership" not in en                       # a GPT has no membership attack to report
    assert en["canaries"] == ("canary en: exposure 16.6/16.6 bits, not extracted; "
                              "canary zh: exposure 15.0/16.6 bits, extracted")
    assert zh["canaries"] == "英文金丝雀：暴露度 16.6/16.6 比特，未被提取；中文金丝雀：暴露度 15.0/16.6 比特，已被提取"
    assert en["privacy"] == "ε = 8.0" and zh["privacy"] == "差分隐私 ε = 8.0"


# ------------------------------------------------------------------------------------------ copying


def test_copying_catches_copies_and_clears_fresh_digits():
    from course_lib.data import load_offline_mnist
    from course_lib.seed import make_generator

    x, _ = load_offline_mnist("train")
    xh, _ = load_offline_mnist("heldout")
    g = make_generator(0)
    pick = torch.randperm(len(x), generator=g)[:300]
    copies = (x[pick] + 0.01 * torch.randn(300, 1, 28, 28, generator=g)).clamp(0, 1)
    c = audit_mod.copying(copies, x, xh[1::2])
    assert c["reference"] == 500 and c["samples"] == 300
    assert c["verdict"] == "closer to the training digits than to held-out ones" and c["high"] < -0.2
    assert c["near_copies"]["share"] > 0.1 > c["near_copies"]["expected_share"]
    first = c["closest"][0]
    assert first["distance"] < 0.5
    # the closest pair names a training digit that is within the noise of the copied one
    assert torch.dist(copies[first["sample"]], x[first["training_index"]]) < 0.5

    fresh = audit_mod.copying(xh[::2], x, xh[1::2])  # held-out digits (the split is ordered by digit: interleave)
    assert fresh["verdict"] != "closer to the training digits than to held-out ones", fresh
    assert fresh["near_copies"]["share"] < 0.05 and abs(fresh["mean_log_ratio"]) < 0.1


def test_copying_is_described_in_both_languages():
    cp = {"mean_log_ratio": -0.012, "low": -0.03, "high": 0.004, "verdict": "no difference at this budget",
          "near_copies": {"count": 12, "expected_share": 0.01}}
    audit = {"copying": cp, "privacy": {}, "kind": "dcgan"}
    en, zh = audit_mod.describe(audit)["copying"], audit_mod.describe(audit, "zh")["copying"]
    assert "-0.012 [-0.030, +0.004]" in en and "no difference" in en and "12 near-copies" in en
    assert "-0.012" in zh and "看不出差别" in zh and "12 个样本" in zh and "near" not in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chapter6_lists_every_shipped_audit(lang):
    """Chapter 6's section 7 prints one audit line per shipped card: its stored output must match the cards now.

    Shipping (or re-auditing) a checkpoint without re-executing chapter 6 leaves that output stale; nbval would
    find it only after every notebook before it has run. This finds it in a second, and names the cards.
    """
    import nbformat
    from conftest import ROOT
    from course_lib.checkpoint import CHECKPOINT_DIR
    nb = nbformat.read(ROOT / "notebooks" / lang / "06_responsible_generation.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and 'CHECKPOINT_DIR.glob("*.json")' in c.source]
    assert len(cells) == 1, "chapter 6 should have exactly one cell that lists the shipped audits"
    stored = "".join(o.get("text", "") for o in cells[0].outputs if o.get("name") == "stdout").splitlines()
    expected = []
    for path in sorted(CHECKPOINT_DIR.glob("*.json")):
        audit = json.loads(path.read_text(encoding="utf-8")).get("audit")
        if audit is not None:
            expected.append(f"{path.stem:<24} {audit_mod.headline(audit, lang)}")
    assert [line.split()[0] for line in stored] == [line.split()[0] for line in expected], (
        "the shipped audited cards and chapter 6's list differ: re-execute chapter 6 "
        "(python tools/notebooks.py execute 06_responsible_generation)")
    assert stored == expected, "a card's audit changed since chapter 6 ran: re-execute chapter 6"


def test_training_examples_reads_the_card_or_rebuilds_an_old_cards_training_set():
    from course_lib.checkpoint import CHECKPOINT_DIR, read_card
    from course_lib.responsible.audit_images import training_examples

    old = read_card(CHECKPOINT_DIR / "dcgan_offline")
    assert "train_examples" not in old            # written before the field; the card is not amended
    assert training_examples(old) == 4000
    assert training_examples({**old, "options": {**old["options"], "train_size": 300}}) == 300
    assert training_examples({"train_examples": 60000}) == 60000   # read, not rebuilt (no full MNIST needed)
    with pytest.raises(ValueError, match="records no train_examples.*data_source"):
        training_examples({"kind": "dcgan", "data_source": "book"})
