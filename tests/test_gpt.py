"""course_lib.models.gpt: attention against PyTorch's reference, the causal mask, positions, the model, training,
sampling, the command line and the shipped checkpoint."""
from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F

from course_lib.checkpoint import CheckpointError, read_card
from course_lib.models.gpt import (GPT, SHIPPED_CHECKPOINT, Block, MultiHeadAttention, attention, bits_per_char,
                            causal_mask, filter_distribution, generate, load_gpt, offset_matrix,
                            parameter_breakdown, sinusoidal_positions, train_gpt)
from course_lib.text import CharTokenizer, best_ngram_bits_per_char, bigram_bits_per_char, train_val_text


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train fastest on one thread (and a shared machine stays responsive)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("shape", [(2, 3, 7, 8), (5, 16, 4)])
def test_attention_equals_pytorch_reference_without_mask(shape):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(*shape, generator=g, dtype=torch.float64) for _ in range(3))
    out, w = attention(q, k, v)
    ref = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:-1], dtype=torch.float64))


def test_attention_equals_pytorch_reference_with_causal_and_boolean_masks():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 6, 4, generator=g, dtype=torch.float64) for _ in range(3))
    out, w = attention(q, k, v, causal=True)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert torch.all(w[..., ~causal_mask(6)] == 0)  # nothing flows from the future
    mask = torch.rand(6, 6, generator=g) > 0.3
    mask |= torch.eye(6, dtype=torch.bool)  # every query may see at least itself
    out, _ = attention(q, k, v, mask=mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    with pytest.raises(ValueError, match="boolean"):
        attention(q, k, v, mask=mask.float())
    with pytest.raises(ValueError, match="d_k"):
        attention(q, k[..., :3], v)


def test_multi_head_fused_and_readable_paths_agree():
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=16, n_head=4).double().eval()
    x = torch.randn(3, 9, 16, dtype=torch.float64)
    y_fused = mha(x)
    y_read, w = mha(x, return_weights=True)
    torch.testing.assert_close(y_fused, y_read)
    assert w.shape == (3, 4, 9, 9)
    with pytest.raises(ValueError, match="multiple of n_head"):
        MultiHeadAttention(10, 3)


def test_causal_mask_no_leak_changing_a_future_token_leaves_earlier_outputs_unchanged():
    torch.manual_seed(0)
    model = GPT(vocab_size=50, block_size=16, n_layer=2, d_model=32, n_head=4).eval()
    idx = torch.randint(0, 50, (2, 16))
    changed = idx.clone()
    changed[:, 10] = (changed[:, 10] + 7) % 50
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    assert torch.equal(a[:, :10], b[:, :10])  # positions before the change: bit-for-bit identical
    assert (a[:, 10:] - b[:, 10:]).abs().amax() > 1e-4  # from the change on: different


def test_sinusoidal_formula_values():
    d = 8
    pe = sinusoidal_positions(50, d)
    for p in (0, 1, 7, 49):
        for i in range(d // 2):
            angle = p / 10000 ** (2 * i / d)
            assert math.isclose(pe[p, 2 * i].item(), math.sin(angle), abs_tol=1e-6)
            assert math.isclose(pe[p, 2 * i + 1].item(), math.cos(angle), abs_tol=1e-6)
    assert pe[0, 0] == 0 and pe[0, 1] == 1
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 7)


@pytest.mark.parametrize("k", [1, 5, 33])
def test_offset_is_a_fixed_rotation(k):
    d = 16
    pe = sinusoidal_positions(100, d).double()
    m = offset_matrix(k, d).double()
    torch.testing.assert_close(pe[k:] , pe[:-k] @ m.T, rtol=0, atol=1e-5)  # every p, the same M_k
    torch.testing.assert_close(m @ m.T, torch.eye(d, dtype=torch.float64), rtol=0, atol=1e-6)  # a rotation


def test_parameter_count_is_twelve_L_d_squared_plus_the_rest():
    L, d, V, T = 3, 64, 100, 32
    model = GPT(V, block_size=T, n_layer=L, d_model=d, n_head=4)
    b = parameter_breakdown(model)
    assert b["block weight matrices"] == 12 * L * d * d
    assert b["block biases"] == L * (3 * d + d + 4 * d + d)
    assert b["LayerNorms"] == (2 * L + 1) * 2 * d
    assert b["token embedding"] == V * d and b["position embedding"] == T * d
    assert b["total"] == sum(p.numel() for p in model.parameters())  # tied head counted once


def test_pre_layernorm_block_is_residual():
    torch.manual_seed(0)
    blk = Block(16, 2).eval()
    for p in (*blk.attn.proj.parameters(), *blk.mlp.proj.parameters()):
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 5, 16)
    torch.testing.assert_close(blk(x), x)  # zero branches: the block is the identity (x + 0 + 0)


def test_model_rejects_bad_input():
    model = GPT(10, block_size=8, n_layer=1, d_model=8, n_head=2)
    with pytest.raises(ValueError, match="block_size"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="batch, time"):
        model(torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match="positions"):
        GPT(10, positions="rotary")


def test_filter_distribution_greedy_temperature_top_k_top_p():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    torch.testing.assert_close(filter_distribution(logits), torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert filter_distribution(logits, temperature=0).tolist() == [1, 0, 0, 0]
    hot, cold = filter_distribution(logits, 2.0), filter_distribution(logits, 0.5)
    assert hot.max() < 0.5 < cold.max()
    torch.testing.assert_close(filter_distribution(logits, top_k=2), torch.tensor([0.625, 0.375, 0, 0]))
    # top-p 0.8: 0.5 + 0.3 reaches 0.8, so two tokens are kept; top-p 0.81 needs the third
    torch.testing.assert_close(filter_distribution(logits, top_p=0.8), torch.tensor([0.625, 0.375, 0, 0]))
    assert (filter_distribution(logits, top_p=0.81) > 0).sum() == 3
    with pytest.raises(ValueError, match="top_p"):
        filter_distribution(logits, top_p=0)


def _synthetic_text(n_words: int, seed: int) -> str:
    """Words drawn at random from anagrams: the next character depends on more than the previous one."""
    words = ["注意力", "力注意", "意力注", "abc", "cab", "bca", "注a", "a注"]
    rng = random.Random(seed)
    return " ".join(rng.choice(words) for _ in range(n_words))


def test_short_training_beats_the_bigram_baseline_on_held_out_text():
    torch.manual_seed(0)
    train_text, val_text = _synthetic_text(1500, 0), _synthetic_text(300, 1)
    tok = CharTokenizer.from_text(train_text + val_text)
    tr, va = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
    bigram = bigram_bits_per_char(tr, va, tok.vocab_size)
    model = GPT(tok.vocab_size, block_size=32, n_layer=2, d_model=32, n_head=4)
    before = bits_per_char(model, va)
    hist = train_gpt(model, tr, va, steps=150, batch_size=16, lr=3e-3, warmup=10, eval_every=75, device="cpu")
    after = bits_per_char(model, va)
    assert before > math.log2(tok.vocab_size) - 0.5  # an untrained model is near uniform
    assert after < bigram - 0.1, (after, bigram)
    assert hist[-1]["val_bpc"] < hist[0]["val_bpc"] and [r["step"] for r in hist] == [75, 150]


def test_generate_greedy_is_deterministic_and_respects_block_size():
    torch.manual_seed(0)
    model = GPT(12, block_size=6, n_layer=1, d_model=16, n_head=2)
    prompt = torch.tensor([[1, 2, 3]])
    a = generate(model, prompt, 10, temperature=0)
    b = generate(model, prompt, 10, temperature=0)
    assert a.shape == (1, 13) and torch.equal(a, b) and torch.equal(a[:, :3], prompt)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    s1 = generate(model, prompt, 10, temperature=1.0, top_k=5, generator=g1)
    s2 = generate(model, prompt, 10, temperature=1.0, top_k=5, generator=g2)
    assert torch.equal(s1, s2)


def test_shipped_checkpoint_loads_and_beats_the_bigram_baseline():
    model, tok, card = load_gpt()
    assert not model.training and card["command"].startswith("python -m course_lib train gpt")
    assert SHIPPED_CHECKPOINT.with_suffix(".safetensors").stat().st_size < 3_000_000
    train_text, val_text = train_val_text(card.get("corpus", "v1"))
    tr, va = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
    bigram, _ = best_ngram_bits_per_char(tr, va, tok.vocab_size, order=2)
    val = bits_per_char(model, va)
    assert math.isclose(val, card["metrics"]["val_bits_per_char"], abs_tol=2e-3)
    assert val < bigram, (val, bigram)
    text = tok.decode(generate(model, tok.encode_tensor("注意力")[None], 20, temperature=0)[0])
    assert text.startswith("注意力") and len(text) == 23


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="No model card"):
        load_gpt(tmp_path / "nothing")


def test_command_line_trains_and_resumes(tmp_path):
    from course_lib.cli import main

    args = ["train", "gpt", "--steps", "4", "--eval-every", "2", "--n-layer", "1", "--d-model", "16",
            "--n-head", "2", "--block-size", "16", "--batch-size", "4", "--out", str(tmp_path), "--device", "cpu",
            "--no-progress"]
    assert main(args) == 0
    card = read_card(tmp_path / "gpt_book")
    assert card["steps"] == 4 and card["finished"] and "--steps 4" in card["command"]
    assert card["metrics"]["val_bits_per_char"] > 0
    assert main(args[:3] + ["6"] + args[4:] + ["--resume"]) == 0
    card = read_card(tmp_path / "gpt_book")
    assert [r["step"] for r in card["history"]] == [2, 4, 6] and card["steps"] == 6
    assert main(args + ["--epochs", "3"]) == 2  # a clear error: the GPT counts steps


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_with_bf16_autocast():
    torch.manual_seed(0)
    text = _synthetic_text(400, 0)
    tok = CharTokenizer.from_text(text)
    ids = tok.encode_tensor(text)
    model = GPT(tok.vocab_size, block_size=16, n_layer=1, d_model=32, n_head=4)
    hist = train_gpt(model, ids[:-200], ids[-200:], steps=20, batch_size=8, eval_every=10, device="cuda")
    assert next(model.parameters()).is_cuda and math.isfinite(hist[-1]["val_bpc"])


def test_random_windows_reach_the_last_window():
    """Every window start 0 .. len - block_size - 1 is drawn, including the last (the old bound missed it)."""
    from course_lib.models.gpt_training import _random_windows

    data = torch.arange(12)
    x, y = _random_windows(data, block_size=8, batch_size=500, generator=torch.Generator().manual_seed(0))
    assert set(x[:, 0].tolist()) == {0, 1, 2, 3}                    # 12 tokens, windows of 8 + 1: starts 0..3
    assert int(y.max()) == 11 and torch.equal(y, x + 1)             # the last token is a target
    x, _ = _random_windows(torch.arange(9), block_size=8, batch_size=10, generator=None)
    assert x[:, 0].tolist() == [0] * 10                             # exactly one window fits: it is drawn
