import warnings

import ipywidgets as widgets

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.plotting import figure_png, find_cjk_font, image_grid, setup_fonts, show_images, slider_figure


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    family = setup_fonts()
    assert family
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would be raised here
        ax.set_title("生成对抗网络：判别器的损失 −log D(x)")
        ax.set_xlabel("训练步数 (steps)")
        ax.plot([-1, 0, 1], [1, 0, -1], label="证据下界 ELBO")
        ax.legend()
        fig.savefig(tmp_path / "zh.png")
    plt.close(fig)
    assert (tmp_path / "zh.png").stat().st_size > 1000
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_cjk_font_really_has_chinese_glyphs():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = find_cjk_font()
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    font = FT2Font(path)
    for ch in "生成式人工智能数学代码与伦理":
        assert font.get_char_index(ord(ch)) != 0, f"{path} has no glyph for {ch}"


def test_image_grid_layout():
    imgs = torch.zeros(7, 1, 28, 28)
    imgs[3] = 1.0
    grid = image_grid(imgs, nrow=4, pad=2)
    assert grid.shape == (2 * 30 - 2, 4 * 30 - 2)
    assert grid[0:28, 3 * 30 : 3 * 30 + 28].min() == 1.0  # image 3 in row 0, column 3
    assert grid[30:58, 3 * 30 : 3 * 30 + 28].max() == 1.0  # the empty cell is padding
    assert image_grid(np.zeros((3, 784)), nrow=3).shape == (28, 3 * 30 - 2)


def test_image_grid_bad_shape():
    with pytest.raises(ValueError, match="images must have shape"):
        image_grid(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="at least one"):
        image_grid(torch.zeros(0, 28, 28))


def test_show_images_labels_must_match():
    with pytest.raises(ValueError, match="labels for"):
        show_images(torch.zeros(3, 28, 28), labels=["a"])
    ax = show_images(torch.rand(4, 1, 28, 28), nrow=2, labels=["零", "一", "二", "三"], title="数字")
    assert ax.get_title() == "数字"
    plt.close("all")


def test_slider_figure_draws_the_start_value_and_redraws_when_a_slider_moves():
    calls = []

    def draw(a, b):
        calls.append((a, b))
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [a, b])
        return fig

    first = widgets.FloatSlider(value=0.5, min=0.0, max=1.0)
    second = widgets.IntSlider(value=3, min=0, max=5)
    before = len(plt.get_fignums())
    box = slider_figure(draw, first, second)
    assert calls == [(0.5, 3)]  # the figure for the start values, drawn at once
    assert box.children[:2] == (first, second)
    picture = box.children[-1]
    assert isinstance(picture, widgets.Image) and bytes(picture.value).startswith(b"\x89PNG")
    start = bytes(picture.value)
    second.value = 5
    assert calls[-1] == (0.5, 5) and bytes(picture.value) != start
    first.value = 0.0
    assert calls == [(0.5, 3), (0.5, 5), (0.0, 5)]
    assert len(plt.get_fignums()) == before  # every figure was closed after drawing


def test_slider_figure_side_by_side_and_needs_a_slider():
    slider = widgets.IntSlider(value=1)
    box = slider_figure(lambda v: plt.subplots()[0], slider, side_by_side=True, tight=True)
    assert isinstance(box.children[0], widgets.HBox) and box.children[0].children == (slider,)
    with pytest.raises(ValueError):
        slider_figure(lambda: plt.subplots()[0])


def test_figure_png_closes_the_figure():
    fig, _ = plt.subplots()
    data = figure_png(fig)
    assert data.startswith(b"\x89PNG") and not plt.fignum_exists(fig.number)


def test_show_pair_draws_both_grids_with_their_titles():
    import matplotlib.pyplot as plt

    from course_lib.plotting import show_pair

    fig = show_pair(torch.zeros(20, 1, 28, 28), torch.ones(30, 1, 28, 28), ("left", "right"))
    left, right = fig.axes
    assert (left.get_title(), right.get_title()) == ("left", "right")
    # 20 images in rows of 10: two rows; 30: three (each row 28 pixels and a 2-pixel gap)
    assert left.images[0].get_array().shape == (60, 298) and right.images[0].get_array().shape == (90, 298)
    plt.close(fig)
