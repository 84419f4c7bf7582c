"""The glossary is the one source of the book's terms.

* book/en/glossary.md and book/zh/glossary.md are rendered from book/glossary.yml (tools/glossary.py);
* no Chinese text of the book — markdown, the zh side of T(...) (titles, axis labels, printed strings),
  comments, printed outputs of the zh notebooks, the book/zh pages — uses a variant the glossary rejects.
"""
from __future__ import annotations

import re

import pytest

import glossary  # tools/glossary.py
from conftest import ROOT
from zh_texts import context, pieces

TERMS = glossary.load()


def test_glossary_pages_are_rendered_from_the_data():
    for lang, page in glossary.PAGES.items():
        assert page.read_text(encoding="utf-8") == glossary.render(TERMS, lang), (
            f"{page.relative_to(ROOT)} differs from book/glossary.yml: run `python tools/glossary.py`"
        )


def test_glossary_has_the_terms_the_chapters_need():
    zh = {t["zh"] for t in TERMS}
    for term in ("潜变量", "模式坍塌", "弗雷歇距离", "每字符比特数", "轮数", "批大小", "奈特/图像", "后验坍塌", "能量距离",
                 "转置卷积", "批归一化", "积分梯度", "显著性图", "合理性检验", "拉普拉斯机制", "敏感度", "均等几率",
                 "人口统计均等", "查询 / 键 / 值", "前向过程", "噪声调度", "分类器无关引导", "每维比特数", "Tweedie 公式"):
        assert term in zh, f"the glossary lacks {term}"


def test_bad_glossary_data_is_refused(tmp_path):
    bad = tmp_path / "g.yml"
    bad.write_text("terms:\n- {en: a, zh: 甲, rejected: [乙], en_def: x, zh_def: 甲}\n"
                   "- {en: b, zh: 乙, rejected: [], en_def: y, zh_def: 乙}\n", encoding="utf-8")
    with pytest.raises(glossary.GlossaryError, match="both a term and a rejected variant"):
        glossary.load(bad)
    bad.write_text("terms:\n- {en: a, zh: 甲, rejected: []}\n", encoding="utf-8")
    with pytest.raises(glossary.GlossaryError, match="lacks en_def, zh_def"):
        glossary.load(bad)


def find_rejected(text: str) -> list[tuple[str, str, str]]:
    """(variant, the glossary's term, context) for each rejected variant in ``text``.

    A variant inside an accepted form is not a hit (奈特/图 inside 奈特/图像)."""
    hits = []
    for t in TERMS:
        accepted = [f for term in TERMS for f in glossary.accepted_forms(term)]
        for variant in t["rejected"]:
            if variant not in text:
                continue
            covered = set()
            for form in accepted:
                if variant in form and form != variant:
                    for m in re.finditer(re.escape(form), text):
                        covered.update(range(m.start(), m.end()))
            for m in re.finditer(re.escape(variant), text):
                if m.start() not in covered:
                    hits.append((variant, t["zh"], context(text, m.start(), m.end())))
    return hits


def test_find_rejected_sees_variants_and_spares_the_terms():
    assert sorted(h[0] for h in find_rejected("它的隐变量和模式坍缩")) == ["坍缩", "模式坍缩", "隐变量"]
    assert find_rejected("负 ELBO 为 90 奈特/图像，潜变量") == []
    assert [h[0] for h in find_rejected("90 奈特/图")] == ["奈特/图"]


@pytest.mark.parametrize("kind", ["prose", "string", "comment", "output"])
def test_zh_text_uses_the_glossary_terms(kind):
    bad = []
    for where, k, text in pieces():
        if k == kind:
            bad += [f"{where}: '{v}' (say '{term}'): …{ctx}…" for v, term, ctx in find_rejected(text)]
    assert not bad, f"{len(bad)} rejected variants in zh {kind}:\n" + "\n".join(bad[:60])
