"""course_lib.text and tools/corpus.py: the corpus snapshot, the character tokenizer, the n-gram baselines."""
from __future__ import annotations

import json
import math

import pytest
import torch

from corpus import build_snapshot, collect_documents, markdown_of_source, normalise_text  # tools/corpus.py

from course_lib.text import (CharTokenizer, CorpusError, load_corpus, load_documents, ngram_bits_per_char,
                             snapshot_info, split_documents, train_val_text)

MIXED = "GPT 是一个仅解码器的 Transformer：它用因果掩码（causal mask）预测下一个字符。Attention! 注意力，α≈√d。"


def test_tokenizer_round_trip_mixed_chinese_english():
    tok = CharTokenizer.from_text(MIXED)
    ids = tok.encode(MIXED)
    assert len(ids) == len(MIXED)  # one token per character, Chinese or Latin
    assert tok.decode(ids) == MIXED
    assert tok.decode(tok.encode_tensor(MIXED)) == MIXED
    assert CharTokenizer.from_dict(json.loads(json.dumps(tok.to_dict()))).chars == tok.chars


def test_tokenizer_unknown_characters_raise_a_clear_error_or_are_skipped():
    tok = CharTokenizer.from_text("abc 注意")
    with pytest.raises(CorpusError, match=r"not in the vocabulary.*'力'.*errors='skip'"):
        tok.encode("注意力 abcd")
    assert tok.decode(tok.encode("注意力 abcd", errors="skip")) == "注意 abc"
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([0, 99])


def test_normalise_text_is_deterministic_and_collapses_whitespace():
    raw = "a\t b  \r\n\r\n\r\n\nc\u0065\u0301  \n"
    out = normalise_text(raw)
    assert out == "a     b\n\ncé"
    assert normalise_text(out) == out


def test_markdown_of_source_reads_both_languages_in_order(tmp_path):
    src = tmp_path / "01_x.py"
    src.write_text('from twins import md, code\nCELLS = [md(en="""\n  One\n""", zh="一"), code("x=1"), '
                   'md(en="Two", zh="""二\n""")]\n', encoding="utf-8")
    assert markdown_of_source(src) == {"en": ["One", "Two"], "zh": ["一", "二"]}


def test_build_snapshot_is_deterministic_and_frozen(tmp_path):
    root = tmp_path / "repo"
    (root / "notebooks" / "src").mkdir(parents=True)
    (root / "book" / "en").mkdir(parents=True)
    (root / "book" / "en" / "p.md").write_text("# Page\n\ntext   \n", encoding="utf-8")
    (root / "notebooks" / "src" / "01_a.py").write_text('CELLS = [md(en="Hello", zh="你好")]\n', encoding="utf-8")
    a = build_snapshot(root, "v1", tmp_path / "c1")
    b = build_snapshot(root, "v1", tmp_path / "c2")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text(encoding="utf-8") == "# Page\n\ntext\n\nHello\n\n你好\n"
    with pytest.raises(CorpusError, match="frozen"):
        build_snapshot(root, "v1", tmp_path / "c1")
    docs = load_documents("v1", tmp_path / "c1")
    assert [(d.source, d.lang, d.text) for d in docs] == [
        ("book/en/p.md", "en", "# Page\n\ntext"), ("notebooks/src/01_a.py", "en", "Hello"),
        ("notebooks/src/01_a.py", "zh", "你好")]
    a.write_text("edited", encoding="utf-8")
    with pytest.raises(CorpusError, match="SHA-256"):
        load_corpus("v1", tmp_path / "c1")
    with pytest.raises(CorpusError, match="no corpus snapshot 'v9'"):
        load_corpus("v9", tmp_path / "c1")


def test_shipped_snapshot_verifies_and_splits_into_document_tails():
    text = load_corpus()  # checks the SHA-256
    info = snapshot_info()
    assert info["characters"] == len(text) and len(text) > 10_000
    langs = {d.lang for d in load_documents()}
    assert {"en", "zh"} <= langs
    train, val = train_val_text()
    assert 0.08 < len(val) / (len(train) + len(val)) < 0.12
    heads, tails = split_documents(load_documents())
    for d, h, t in zip(load_documents(), heads, tails):
        assert h + t == d.text and len(t) >= 1  # every document: head for training, its tail held out
    assert sum(c >= "\u4e00" and c <= "\u9fff" for c in val) > 200  # Chinese in the validation text too


def test_the_repository_still_yields_documents():
    from conftest import ROOT

    docs = collect_documents(ROOT)
    assert any(d.lang == "zh" for d in docs) and any(d.lang == "en" for d in docs)


def test_ngram_baselines_on_a_known_sequence():
    # "abab…": the bigram model predicts perfectly (up to smoothing), the unigram one needs 1 bit.
    ids = torch.tensor([0, 1] * 500)
    uni = ngram_bits_per_char(ids, ids, vocab_size=2, order=1, alpha=1e-6)
    bi = ngram_bits_per_char(ids, ids, vocab_size=2, order=2, alpha=1e-6)
    assert math.isclose(uni, 1.0, abs_tol=1e-6)
    assert bi < 1e-5
    with pytest.raises(ValueError, match="order"):
        ngram_bits_per_char(ids, ids, 2, order=3)
