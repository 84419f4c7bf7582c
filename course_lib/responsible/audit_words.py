"""An audit section in words, in English or Chinese: what ``python -m course_lib audit`` prints and chapters 6 and
7 show.

:func:`describe` turns each measurement of a card's ``"audit"`` section (:mod:`course_lib.responsible.audit`) into
a phrase, :func:`headline` joins them into the one line the card stores; :data:`PROVENANCE` and
:data:`TEXT_PROVENANCE` are what every audit says about labels and watermarks.
"""
from __future__ import annotations

from typing import Any

from .. import registry

__all__ = ["PROVENANCE", "TEXT_PROVENANCE", "describe", "headline"]

#: What every audit of an image model says about provenance.
PROVENANCE = ("samples carry no label/watermark unless the caller adds course_lib.responsible.labels "
              "(explicit and implicit labels) / watermark (keyed image watermark)")
#: ... and of a GPT.
TEXT_PROVENANCE = ("generated text carries no label/watermark unless the caller adds "
                   "course_lib.responsible.text_watermark (keyed green-list watermark)")


def describe(audit: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """An audit section in words, one entry per measurement, in English or Chinese (``lang="zh"``).

    The keys are those of the section that were measured (``membership``, ``class_shares``, ``copying``,
    ``frechet_distance``, ``canaries``, ``text_watermark``) and always ``privacy`` and ``provenance``; the values
    are what :func:`headline` joins into one line. The Chinese chapter prints these, so that a Chinese reader
    never meets the card's English.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', not {lang!r}")
    zh = lang == "zh"
    out: dict[str, str] = {}
    m = audit.get("membership", {})
    if "auc" in m:
        out["membership"] = (f"成员推断 AUC {m['auc']:.3f}，1% 假阳性率处的真阳性率 {m['tpr_at_1pct_fpr']:.3f}"
                             f"（成员 {m['members']} 个，非成员 {m['nonmembers']} 个）" if zh else
                             f"membership AUC {m['auc']:.3f}, TPR@1%FPR {m['tpr_at_1pct_fpr']:.3f} "
                             f"({m['members']} vs {m['nonmembers']})")
    elif m.get("status") and audit.get("kind") not in registry.audited_card_kinds("text"):
        out["membership"] = "未测成员推断" if zh else "membership not measured"
    cs = audit.get("class_shares")
    if cs:
        text = (f"{cs['classes_present']}/10 个类别，到均匀分布的 KL {cs['kl_to_uniform_nats']:.3f}" if zh else
                f"{cs['classes_present']}/10 classes, KL to uniform {cs['kl_to_uniform_nats']:.3f}")
        if "kl_to_training_nats" in cs:
            kt = cs["kl_to_training_nats"]
            kt = f"{kt:.3f}" if isinstance(kt, float) else str(kt)
            text += f"，到训练集的 KL {kt}" if zh else f", to training {kt}"
        if "recognisable" in cs:
            text += (f"，分类器有把握（p ≥ {cs['recognisable_at']}）认出的样本占 {cs['recognisable']:.3f}" if zh else
                     f", recognisable (p ≥ {cs['recognisable_at']}) {cs['recognisable']:.3f}")
        if "rare_digit" in cs:
            r = cs["rare_digit"]
            text += (f"，少数类数字 {r['digit']} 的占比 {r['sample_share']:.3f}（训练集中 {r['training_share']:.3f}）" if zh
                     else f", rare digit {r['digit']} share {r['sample_share']:.3f} vs {r['training_share']:.3f} in training")
        out["class_shares"] = text
    cp = audit.get("copying")
    if cp:
        nc = cp["near_copies"]
        verdicts_zh = {"closer to the training digits than to held-out ones": "离训练数字比离留出数字更近",
                       "closer to held-out digits than to the training ones": "离留出数字比离训练数字更近",
                       "no difference at this budget": "在这个预算下看不出差别"}
        out["copying"] = (f"复制检查：样本到最近训练数字与到最近留出数字的距离之比，取对数后均值为 {cp['mean_log_ratio']:+.3f} "
                          f"[{cp['low']:+.3f}, {cp['high']:+.3f}]，{verdicts_zh[cp['verdict']]}；"
                          f"有 {nc['count']} 个样本近乎复制（预期约 {nc['expected_share']:.0%}）" if zh else
                          f"copying: mean log(d_train/d_held) {cp['mean_log_ratio']:+.3f} "
                          f"[{cp['low']:+.3f}, {cp['high']:+.3f}], {cp['verdict']}; {nc['count']} near-cop{'y' if nc['count'] == 1 else 'ies'} "
                          f"(~{nc['expected_share']:.0%} expected)")
    fd = audit.get("frechet_distance")
    if fd:
        interval = f" [{fd['low']:.1f}, {fd['high']:.1f}]" if "low" in fd else ""
        out["frechet_distance"] = f"FD {fd['value']:.1f}{interval}"
    if isinstance(audit.get("canaries"), list):
        names = {"en": "英文金丝雀", "zh": "中文金丝雀"}
        lines = []
        for c in audit["canaries"]:
            name = names.get(c["lang"], f"金丝雀 {c['lang']}") if zh else f"canary {c['lang']}"
            if "rank" not in c:
                lines.append(f"{name}未测" if zh else f"{name} not measured")
            elif zh:
                lines.append(f"{name}：暴露度 {c['exposure_bits']:.1f}/{c['max_exposure_bits']:.1f} 比特，"
                             + ("已被提取" if c["extracted"] else "未被提取"))
            else:
                lines.append(f"{name}: exposure {c['exposure_bits']:.1f}/{c['max_exposure_bits']:.1f} bits, "
                             + ("extracted" if c["extracted"] else "not extracted"))
        out["canaries"] = ("；" if zh else "; ").join(lines)
    if "text_watermark" in audit:
        out["text_watermark"] = "可加文本水印，默认关闭" if zh else "text watermark available, off by default"
    priv = audit["privacy"]
    if "epsilon" in priv:
        out["privacy"] = f"差分隐私 ε = {priv['epsilon']}" if zh else f"ε = {priv['epsilon']}"
    else:
        out["privacy"] = "无差分隐私（ε = ∞）" if zh else "no DP (ε = ∞)"
    text_model = audit.get("kind") in registry.audited_card_kinds("text")
    if zh:
        out["provenance"] = ("生成的文本不带标识或水印，除非调用方用 course_lib.responsible.text_watermark 加上带密钥的绿名单水印"
                             if text_model else
                             "样本不带标识或水印，除非调用方用 course_lib.responsible.labels（显式与隐式标识）"
                             "或 course_lib.responsible.watermark（带密钥的图像水印）加上")
    else:
        out["provenance"] = TEXT_PROVENANCE if text_model else PROVENANCE
    return out


def headline(audit: dict[str, Any], lang: str = "en") -> str:
    """The audit in one line (what ``python -m course_lib audit`` prints and the card stores, in English)."""
    parts = describe(audit, lang)
    parts.pop("provenance")
    return ("；" if lang == "zh" else "; ").join(parts.values())
