"""course_lib.responsible: chapter 6's attack metrics, canaries, text watermark, labels, detector and DP-SGD."""
from __future__ import annotations

import math

import pytest
import torch

from course_lib.models.gpt import GPT, generate
from course_lib.responsible.canary import (Canary, candidate_log_probs, exposure, greedy_extract, insert_canaries,
                                           make_canaries, rank_of)
from course_lib.responsible.membership import (attack_summary, auc, discriminator_scores, roc_curve, tpr_at_fpr,
                                               vae_loss_scores)
from course_lib.models.gpt import KVCache
from course_lib.responsible.text_watermark import (detect, false_positive_rate, green_count, green_lists,
                                                   watermarked_generate, z_score)
from course_lib.text import CharTokenizer
from course_lib.seed import make_generator


pytestmark = pytest.mark.usefixtures("one_thread")



# ------------------------------------------------------------------------------------------------ ROC
def test_roc_points_auc_and_tpr_at_fpr_by_hand():
    # members 3, 2, 1; non-members 2.5, 0.5. Thresholds (score >= t): inf, 3, 2.5, 2, 1, 0.5
    roc = roc_curve([3.0, 2.0, 1.0], [2.5, 0.5])
    assert roc.fpr.tolist() == [0, 0, 0.5, 0.5, 0.5, 1]
    assert roc.tpr.tolist() == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 1, 1])
    assert roc.thresholds.tolist() == [math.inf, 3, 2.5, 2, 1, 0.5]
    assert auc(roc) == pytest.approx(4 / 6)            # 4 of the 6 (member, non-member) pairs are ordered right
    assert tpr_at_fpr(roc, 0.0) == pytest.approx(1 / 3)
    assert tpr_at_fpr(roc, 0.25) == pytest.approx(1 / 3)  # flat segment from (0, 1/3) to (0.5, 1/3)
    assert tpr_at_fpr(roc, 0.5) == pytest.approx(1.0)     # the highest TPR at exactly FPR 0.5
    # a tie between a member and a non-member makes a diagonal segment: (0, 0) -> (0.5, 0.5)
    tie = roc_curve([2.0, 1.0], [2.0, 0.0])
    assert tie.fpr.tolist() == [0, 0.5, 0.5, 1] and tie.tpr.tolist() == [0, 0.5, 1, 1]
    assert tpr_at_fpr(tie, 0.25) == pytest.approx(0.25)
    assert auc(tie) == pytest.approx(0.625)            # pairs: (2,2) tie = 1/2, (2,0) right, (1,2) wrong, (1,0) right


def test_auc_is_the_mann_whitney_probability():
    g = make_generator(0)
    m, n = torch.randn(300, generator=g) + 0.5, torch.randn(200, generator=g)
    m[:20] = n[:20]  # some ties
    brute = float(((m[:, None] > n[None]).double() + 0.5 * (m[:, None] == n[None]).double()).mean())
    assert auc(roc_curve(m, n)) == pytest.approx(brute, abs=1e-12)
    s = attack_summary(m, n, fpr=0.05)
    assert s["members"] == 300 and s["nonmembers"] == 200 and s["fpr"] == 0.05
    # the attack's direction matters: swapping members and non-members mirrors the AUC
    assert auc(roc_curve(n, m)) == pytest.approx(1 - brute, abs=1e-12)


def test_roc_rejects_bad_scores():
    with pytest.raises(ValueError, match="empty"):
        roc_curve([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        roc_curve([float("nan")], [1.0])
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr(roc_curve([1.0], [0.0]), 1.5)


def test_loss_threshold_attack_finds_the_members_of_an_overfitted_vae():
    from course_lib import load_offline_mnist
    from course_lib.models.vae import MLPVAE, negative_elbo, reparameterize, train_vae

    x, _ = load_offline_mnist("train")
    members, others = x[0::40][:24], x[1::40][:24]  # every digit in both sets
    torch.manual_seed(0)
    model = MLPVAE(z_dim=8, hidden=128)
    train_vae(model, members, epochs=200, batch_size=24, lr=3e-3, device="cpu")
    s_m, s_n = vae_loss_scores(model, members, draws=4), vae_loss_scores(model, others, draws=4)
    assert auc(roc_curve(s_m, s_n)) > 0.8  # chance: 0.5 ± 0.08 (one standard deviation, 24 + 24 scores)
    # the score is the ELBO averaged over the draws of a generator seeded with `seed`
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        mu, logvar = model.encode(others[:5])
        want = -sum(negative_elbo(others[:5], model.decode(reparameterize(mu, logvar, g)), mu, logvar).double()
                    for _ in range(2)) / 2
    torch.testing.assert_close(vae_loss_scores(model, others[:5], draws=2, seed=3), want)
    assert not torch.equal(vae_loss_scores(model, others[:5], draws=2, seed=4), want)


def test_discriminator_scores_pack_images_with_anchors():
    from course_lib.models.dcgan import DCGANDiscriminator

    torch.manual_seed(0)
    x, anchors = torch.rand(5, 1, 28, 28), torch.rand(3, 1, 28, 28)
    d1 = DCGANDiscriminator(4, pack=1).eval()
    with torch.no_grad():
        torch.testing.assert_close(discriminator_scores(d1, x), d1(x).double())
    d2 = DCGANDiscriminator(4, pack=2).eval()
    with torch.no_grad():
        want = torch.stack([torch.stack([d2(torch.stack([x[i], a])) for a in anchors]).mean() for i in range(5)])
    torch.testing.assert_close(discriminator_scores(d2, x, anchors=anchors), want.double().flatten(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="anchor"):
        discriminator_scores(d2, x)


# ------------------------------------------------------------------------------------------------ canaries
def test_canaries_are_inserted_k_times():
    cs = make_canaries(5, seed=3)
    assert [c.lang for c in cs] == ["en", "zh"] and all(len(c.secret) == 5 and c.secret.isdigit() for c in cs)
    assert make_canaries(5, seed=3) == cs and make_canaries(5, seed=4) != cs
    text = "\n".join(f"line {i}" for i in range(50))
    assert insert_canaries(text, cs, 0) == text
    out = insert_canaries(text, cs, 4, seed=1)
    for c in cs:
        assert out.count(c.prefix + c.secret) == 4
    assert sorted(out.split("\n")) == sorted(text.split("\n") + [c.text.rstrip("\n") for c in cs] * 4)


@pytest.fixture(scope="module")
def digit_gpt():
    tok = CharTokenizer.from_text("0123456789 abcde.\n")
    torch.manual_seed(0)
    return GPT(tok.vocab_size, block_size=16, n_layer=1, d_model=16, n_head=2).eval(), tok


@pytest.mark.parametrize("d", [1, 2, 3])
def test_exposure_equals_brute_force_rank(digit_gpt, d):
    model, tok = digit_gpt
    prefix = "abc "
    lp = candidate_log_probs(model, tok.encode(prefix), tok.encode("0123456789"), d, batch_size=7)
    brute = []
    with torch.no_grad():
        for r in range(10 ** d):
            ids = torch.tensor([tok.encode(prefix + str(r).zfill(d))])
            logp = torch.log_softmax(model(ids[:, :-1])[0].double(), -1)[0]
            brute.append(float(logp[len(prefix) - 1:].gather(1, ids[0, len(prefix):, None]).sum()))
    brute_t = torch.tensor(brute, dtype=torch.float64)
    torch.testing.assert_close(lp, brute_t, rtol=1e-5, atol=1e-5)
    order = sorted(range(10 ** d), key=lambda r: -brute[r])
    for secret in (0, 10 ** d - 1, 7 % 10 ** d):
        want_rank = 1 + sum(brute[r] > brute[secret] + 1e-9 for r in range(10 ** d))
        assert rank_of(lp, secret) == want_rank
        e = exposure(model, tok, Canary("en", prefix, str(secret).zfill(d), ".\n"))
        assert e["rank"] == want_rank
        assert e["exposure"] == pytest.approx(d * math.log2(10) - math.log2(want_rank))
        # exposure is the chance p-value in bits: a never-seen secret ranks this well with probability rank/10^d
        assert e["p_chance"] == pytest.approx(want_rank / 10 ** d)
        assert 2 ** -e["exposure"] == pytest.approx(e["p_chance"])
    best = Canary("en", prefix, str(order[0]).zfill(d))
    assert exposure(model, tok, best)["exposure"] == pytest.approx(d * math.log2(10))


def test_greedy_extraction_is_greedy_decoding(digit_gpt):
    model, tok = digit_gpt
    c = Canary("en", "abc ", "123")
    ids = torch.tensor([tok.encode("abc ")])
    assert greedy_extract(model, tok, c) == tok.decode(generate(model, ids, 3, temperature=0)[0, 4:].tolist())


# ------------------------------------------------------------------------------------------------ text watermark
def test_green_lists_fraction_determinism_and_key():
    g = green_lists(7, 40, gamma=0.25)
    assert g.shape == (40, 40) and (g.sum(1) == 10).all()
    assert torch.equal(g, green_lists(7, 40, gamma=0.25)) and not torch.equal(g, green_lists(8, 40, gamma=0.25))
    assert (green_lists(7, 40, gamma=0.5).sum(1) == 20).all()


def test_z_score_formula_and_one_sided_detection():
    assert z_score(60, 100, 0.5) == pytest.approx(2.0)            # (60 - 50) / sqrt(100 · 0.25)
    assert z_score(10, 100, 0.25) == pytest.approx((10 - 25) / math.sqrt(100 * 0.25 * 0.75))
    green = torch.zeros(4, 4, dtype=torch.bool)
    green[:, 0] = green[:, 1] = True                              # tokens 0 and 1 are always green
    assert green_count([0, 1, 0, 2, 3, 1], green) == (3, 5)
    assert green_count([0, 1, 0, 1, 0, 2], green) == (4, 5)
    assert green_count([0, 1, 0, 1, 0, 2], green, ignore_repeated=True) == (2, 3)   # pairs (0,1), (1,0), (0,2)
    all_green, all_red = [0, 1] * 50, [2, 3] * 50
    flagged, z = detect(all_green, green, gamma=0.5)
    assert flagged and z == pytest.approx((99 - 0.5 * 99) / math.sqrt(99 * 0.25))
    flagged, z = detect(all_red, green, gamma=0.5)
    assert not flagged and z < -9                                 # a deficit of green is not evidence
    assert false_positive_rate(4.0) == pytest.approx(3.167e-5, rel=1e-3)


@pytest.fixture(scope="module")
def small_gpt():
    torch.manual_seed(1)
    return GPT(30, block_size=64, n_layer=2, d_model=32, n_head=4).eval()


def test_kv_cache_gives_the_full_forward_logits(small_gpt):
    idx = torch.randint(0, 30, (3, 40), generator=make_generator(0))
    with torch.no_grad():
        full, _ = small_gpt(idx)
        cache = KVCache(small_gpt)
        steps = torch.stack([cache.step(idx[:, j]) for j in range(40)], 1)
    torch.testing.assert_close(steps, full, rtol=1e-4, atol=1e-5)


def test_watermarked_sampler(small_gpt):
    prompt = torch.tensor([[1, 2, 3]] * 4)
    plain = watermarked_generate(small_gpt, prompt, 50, None, temperature=1.0, generator=make_generator(5))
    assert torch.equal(plain, generate(small_gpt, prompt, 50, temperature=1.0, generator=make_generator(5)))
    green = green_lists(11, 30, gamma=0.5)
    zero = watermarked_generate(small_gpt, prompt, 50, green, delta=0.0, generator=make_generator(5))
    assert torch.equal(zero, plain)                                # delta = 0: no watermark at all
    marked = watermarked_generate(small_gpt, prompt, 50, green, delta=4.0, generator=make_generator(5))
    z_marked = [detect(r[3:], green)[1] for r in marked]
    z_plain = [detect(r[3:], green)[1] for r in plain]
    assert min(z_marked) > 4 and max(z_plain) < 4
    other_key = green_lists(12, 30, gamma=0.5)
    assert max(detect(r[3:], other_key)[1] for r in marked) < 4   # the wrong key sees nothing
    with pytest.raises(ValueError, match="block size"):
        watermarked_generate(small_gpt, prompt, 62, green)
    with pytest.raises(ValueError, match="vocabulary"):
        watermarked_generate(small_gpt, prompt, 5, green_lists(11, 31))


# ------------------------------------------------------------------------------------------------ labels
def test_implicit_label_round_trip_and_what_drops_it(tmp_path):
    from course_lib.responsible.labels import (AIGC_FIELDS, add_explicit_label, copy_file, crop, implicit_label,
                                               read_implicit_label, reencode_jpeg, save_png, screenshot, to_digits,
                                               to_image)

    x = torch.rand(28, 28, generator=make_generator(0))
    label = implicit_label("生成式人工智能课程", "course-0001")
    assert list(label) == list(AIGC_FIELDS) and label["Label"] == "1"
    img = to_image(x, scale=4)
    assert img.size == (112, 112)
    p = save_png(img, tmp_path / "a.png", label)
    assert read_implicit_label(p) == label
    assert read_implicit_label(copy_file(p, tmp_path / "b.png")) == label
    for f in (reencode_jpeg(p, tmp_path / "c.jpg"), crop(p, tmp_path / "d.png", (0, 0, 100, 100)),
              screenshot(p, tmp_path / "e.png")):
        assert read_implicit_label(f) is None
    assert read_implicit_label(save_png(img, tmp_path / "f.png", None)) is None
    back = to_digits(p)
    assert back.shape == (1, 1, 28, 28) and float((back[0, 0] - x).abs().max()) <= 0.5 / 255 + 1e-6
    shown = add_explicit_label(img)
    diff = torch.from_numpy(__import__("numpy").asarray(shown, dtype="float32") - __import__("numpy").asarray(img, dtype="float32"))
    rows, cols = torch.nonzero(diff, as_tuple=True)
    assert len(rows) > 0 and rows.min() > 112 * 0.7 and cols.min() > 112 * 0.4   # only the bottom-right corner
    with pytest.raises(ValueError, match="5 %"):
        add_explicit_label(img, height_fraction=0.03)
    with pytest.raises(ValueError, match="fields"):
        save_png(img, tmp_path / "g.png", {"Label": "1"})
    with pytest.raises(ValueError, match="content ID"):
        implicit_label("someone", "")


# ------------------------------------------------------------------------------------------------ detector
def test_detector_separates_real_digits_from_blurred_ones():
    from course_lib import load_offline_mnist
    from course_lib.responsible.detector import detector_accuracy, train_detector

    x, _ = load_offline_mnist("train")
    real, fake = x[0::4], torch.nn.functional.avg_pool2d(x[1::4], 3, 1, 1)  # a "generator" that blurs
    det = train_detector(real[:500], fake[:500], epochs=5, lr=3e-3, seed=0)
    acc = detector_accuracy(det, real[500:700], fake[500:700])
    assert acc["accuracy"] > 0.9 and acc["accuracy"] == pytest.approx((acc["real_correct"] + acc["fake_caught"]) / 2)


# ------------------------------------------------------------------------------------------------ DP-SGD
def test_dp_sgd_run_reaches_its_epsilon_and_adds_noise():
    from course_lib import load_offline_mnist
    from course_lib.responsible.dp import train_vae_dp
    from course_lib.models.vae import MLPVAE

    x, _ = load_offline_mnist("train")
    x = x[:256]
    runs = {}
    for eps in (math.inf, 8.0, 1.0):
        torch.manual_seed(0)
        m = MLPVAE(z_dim=2, hidden=16)
        start = [p.detach().clone() for p in m.parameters()]
        runs[eps] = train_vae_dp(m, x, epochs=1, target_epsilon=eps, batch_size=64)
        assert any(not torch.equal(a, b) for a, b in zip(start, runs[eps]["model"].parameters()))
    assert runs[math.inf]["noise_multiplier"] == 0 and runs[math.inf]["epsilon"] == math.inf
    assert runs[8.0]["epsilon"] == pytest.approx(8.0, rel=0.05) and runs[1.0]["epsilon"] == pytest.approx(1.0, rel=0.05)
    assert runs[1.0]["noise_multiplier"] > runs[8.0]["noise_multiplier"] > 0   # more privacy, more noise
    assert runs[8.0]["delta"] == pytest.approx(1 / 256) and runs[8.0]["sample_rate"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="accountant"):
        train_vae_dp(MLPVAE(z_dim=2, hidden=16), x, 1, 1.0, accountant="moments")


# ------------------------------------------------------------------------------------------------ canary GPTs
def test_canary_gpt_trains_through_the_spine_and_records_its_canaries(tmp_path):
    from course_lib.cli import main
    from course_lib.evaluator import load_any
    from course_lib.models.gpt import load_gpt
    from course_lib.responsible import canary_task  # noqa: F401  (the registry imports it lazily)

    common = ["--data", "book", "--steps", "4", "--eval-every", "2", "--n-layer", "1", "--d-model", "16",
              "--n-head", "2", "--block-size", "32", "--secret-digits", "3", "--threads", "1", "--device", "cpu",
              "--out", str(tmp_path), "--no-progress"]
    assert main(["train", "canary_gpt", "--repeats", "2", "--name", "c2", *common]) == 0
    assert main(["train", "canary_gpt", "--repeats", "2", "--name", "c2", "--resume", *common[:3], "6",
                 *common[4:]]) == 0                  # a canary run resumes (its card's kind is its own)
    model, tok, card = load_gpt(tmp_path / "c2")
    assert card["kind"] == "canary_gpt" and card["steps"] == 6
    assert type(load_any(tmp_path / "c2")[0]) is type(model)
    assert card["repeats"] == 2 and [c["lang"] for c in card["canaries"]] == ["en", "zh"]
    canaries = [Canary(c["lang"], c["prefix"], c["secret"], c["end"]) for c in card["canaries"]]
    assert canaries == make_canaries(3, seed=0)
    assert "--repeats 2" in card["command"]
    e = exposure(model, tok, canaries[1])   # every character of the Chinese canary is in the vocabulary
    assert 1 <= e["rank"] <= 1000


# ------------------------------------------------------------------------------------------------ skewed training sets
def test_skewed_subset_makes_exactly_one_class_rarer():
    from course_lib.data import skewed_subset

    y = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    keep = skewed_subset(y, 1, 10)
    counts = torch.bincount(y[keep], minlength=3).tolist()
    assert counts == [50, 3, 20]                       # ceil(30 / 10) ones, every other class untouched
    assert keep.tolist() == sorted(set(keep.tolist()))  # sorted, no repeats
    ones = keep[y[keep] == 1].tolist()
    assert ones[0] == 50 and ones[-1] == 79             # spread over the class, not its first three
    assert torch.equal(skewed_subset(y, None), torch.arange(100))
    assert torch.bincount(y[skewed_subset(y, 2, 1)], minlength=3).tolist() == [50, 30, 20]
    with pytest.raises(ValueError, match="no example of class 7"):
        skewed_subset(y, 7, 10)


def test_rare_digit_option_reaches_the_training_set_and_the_card(tmp_path):
    from course_lib.checkpoint import read_card
    from course_lib.cli import main

    assert main(["train", "vae", "--arch", "mlp", "--hidden", "16", "--z-dim", "2", "--epochs", "1", "--iwae-k", "0",
                 "--rare-digit", "3", "--rare-factor", "4", "--eval-size", "50", "--threads", "1",
                 "--out", str(tmp_path), "--name", "v", "--no-progress"]) == 0
    card = read_card(tmp_path / "v")
    counts = card["skew"]["class_counts"]
    assert counts[3] == 100 and all(c == 400 for i, c in enumerate(counts) if i != 3)
    assert card["train_examples"] == sum(counts) == 3700


# ------------------------------------------------------------------------------------------------ DP-SGD via the CLI
def test_dp_vae_trains_through_the_spine_and_records_its_budget(tmp_path, capsys):
    from course_lib.checkpoint import read_card
    from course_lib.cli import main
    from course_lib.models.vae import MLPVAE, load_vae

    common = ["--train-size", "128", "--epochs", "2", "--batch-size", "32", "--z-dim", "2", "--hidden", "16",
              "--threads", "1", "--out", str(tmp_path), "--no-progress"]
    assert main(["train", "dp_vae", "--epsilon", "2", "--name", "d2", *common]) == 0
    assert main(["train", "dp_vae", "--epsilon", "inf", "--name", "dinf", *common]) == 0
    card = read_card(tmp_path / "d2")
    assert card["kind"] == "dp_mlp_vae" and card["train_examples"] == 128
    assert card["dp"]["epsilon"] == pytest.approx(2.0, rel=0.05) and card["dp"]["delta"] == pytest.approx(1 / 128)
    assert card["dp"]["noise_multiplier"] > 0 and card["dp"]["sample_rate"] == pytest.approx(0.25)
    assert [h["epsilon"] for h in card["history"]][0] < card["dp"]["epsilon"]  # the budget is spent over the epochs
    base = read_card(tmp_path / "dinf")
    assert base["dp"]["noise_multiplier"] == 0 and base["dp"]["epsilon"] == math.inf
    model, _ = load_vae(tmp_path / "d2")
    assert isinstance(model, MLPVAE) and model.z_dim == 2
    # a DP run cannot be resumed: the accountant's history is not saved
    resume = [a if a != "2" or common[i - 1] != "--epochs" else "3" for i, a in enumerate(common)]
    assert main(["train", "dp_vae", "--epsilon", "2", "--name", "d2", "--resume", *resume]) != 0
    assert "cannot be resumed" in capsys.readouterr().err


def test_shipped_dp_cards_state_budgets_that_a_fresh_accountant_confirms():
    """Chapter 6's DP models: each card's ε is what a fresh PRV accountant gives for its (σ, q, steps) alone, within
    its target; the 60,000-digit models use δ ≤ 1e-5, well below 1/N, and the same recipe as the 1,000-digit ones."""
    import warnings

    from opacus.accountants import PRVAccountant

    from course_lib.checkpoint import CHECKPOINT_DIR, read_card

    cards = {p.stem: read_card(p.with_suffix("")) for p in sorted(CHECKPOINT_DIR.glob("dp_vae_*.json"))}
    assert {f"dp_vae{s}_eps{e}" for s in ("", "_full") for e in ("inf", "8", "1")} <= set(cards)
    for name, card in cards.items():
        dp = card["dp"]
        if not math.isfinite(dp["target_epsilon"]):
            assert dp["noise_multiplier"] == 0 and dp["epsilon"] == math.inf, name
            continue
        prv = PRVAccountant()
        prv.history = [(dp["noise_multiplier"], dp["sample_rate"], dp["steps"])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eps = prv.get_epsilon(dp["delta"])
        assert eps == pytest.approx(dp["epsilon"], rel=1e-3) and eps <= dp["target_epsilon"] * 1.001, name
    for e in ("inf", "8", "1"):
        small, full = cards[f"dp_vae_eps{e}"], cards[f"dp_vae_full_eps{e}"]
        assert full["data_source"] == "full" and full["train_examples"] == 60000
        assert full["dp"]["delta"] <= 1e-5 < 1 / full["train_examples"]
        assert full["config"] == small["config"] and full["lr"] == small["lr"]
        assert full["dp"]["max_grad_norm"] == small["dp"]["max_grad_norm"]


def test_fit_detector_stops_when_validation_stops_improving_and_keeps_the_best_epoch():
    from course_lib.responsible.detector import detector_accuracy, fit_detector

    g = torch.Generator().manual_seed(0)
    real = torch.rand(300, 1, 28, 28, generator=g) * 0.5
    fake = torch.rand(300, 1, 28, 28, generator=g) * 0.5 + 0.5   # trivially separable: brightness
    fit = fit_detector(real, fake, max_epochs=40, patience=2, val_fraction=0.2, lr=1e-3, seed=0)
    assert 1 <= fit.best_epoch <= len(fit.val_accuracy) <= 40
    # stopped because of patience: no later epoch beat the best one, and it stopped patience epochs after it
    assert max(fit.val_accuracy) == fit.val_accuracy[fit.best_epoch - 1]
    assert len(fit.val_accuracy) == 40 or len(fit.val_accuracy) - fit.best_epoch == 2
    # the model holds the best epoch's weights: its validation accuracy is the recorded best
    split = torch.Generator().manual_seed(0)
    real_val = real[torch.randperm(300, generator=split)][240:]
    fake_val = fake[torch.randperm(300, generator=split)][240:]
    assert detector_accuracy(fit.model, real_val, fake_val)["accuracy"] == fit.val_accuracy[fit.best_epoch - 1]
    assert next(fit.model.parameters()).dtype == torch.float64
    with pytest.raises(ValueError):
        fit_detector(real[:2], fake[:2], val_fraction=0.2)


def test_fit_detector_validates_on_a_random_part_not_the_tail():
    """Sets sorted by kind: validating on the tail would test on a kind of image never trained on."""
    from course_lib.responsible.detector import fit_detector

    g = torch.Generator().manual_seed(1)
    # 'real': 240 dark images, then 60 that look exactly like the fakes (sorted). A tail split validates on
    # those 60 only, which no detector can call real: balanced accuracy near 0.5. A random split keeps mostly
    # dark reals in validation: well above 0.8.
    fake = 0.4 + torch.rand(360, 1, 28, 28, generator=g) * 0.2
    real = torch.cat([torch.rand(240, 1, 28, 28, generator=g) * 0.2, fake[300:]])
    fit = fit_detector(real, fake[:300], max_epochs=10, patience=3, val_fraction=0.2, lr=3e-3, seed=0)
    assert max(fit.val_accuracy) > 0.8


def test_attack_intervals_contain_chance_for_guessing_and_exclude_it_for_a_real_attack():
    from course_lib.responsible.membership import attack_intervals, attack_summary

    g = torch.Generator().manual_seed(0)
    same_in, same_out = torch.randn(400, generator=g), torch.randn(400, generator=g)
    iv = attack_intervals(same_in, same_out, n_resamples=300)
    assert iv["auc"].low < 0.5 < iv["auc"].high
    shifted_in = torch.randn(400, generator=g) + 1.0
    iv2 = attack_intervals(shifted_in, same_out, n_resamples=300)
    point = attack_summary(shifted_in, same_out)
    assert iv2["auc"].low > 0.6 and iv2["auc"].estimate == pytest.approx(point["auc"])
    assert iv2["tpr_at_fpr"].estimate == pytest.approx(point["tpr_at_fpr"])
    # members and non-members are not swapped: the better-scoring members give an AUC above 0.5, not below
    assert attack_intervals(same_out, shifted_in, n_resamples=300)["auc"].high < 0.4
