"""Figures: a CJK-capable font set-up, an image-grid helper and a slider-driven figure for the chapters.

Chinese labels need a font with CJK glyphs; without one matplotlib warns "Glyph … missing from font(s)"
and draws boxes. :func:`setup_fonts` registers the first CJK font it finds — a system font when there is
one (PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, WenQuanYi …), otherwise
WenQuanYi Micro Hei, which installs with this package's dependencies (a free font: Apache-2.0 or GPLv3 with
the font exception) — and puts it in matplotlib's ``font.family`` list after DejaVu Sans, so that Latin text
keeps its usual look and Chinese characters fall back to the CJK font.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import font_manager
from matplotlib.figure import Figure

from .fonts import bundled_font_file

__all__ = ["setup_fonts", "find_cjk_font", "image_grid", "show_images", "show_pair", "figure_png", "slider_figure", "CJK_FAMILIES"]

#: Family names of free or system CJK fonts, in order of preference.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Heiti SC",
    "Noto Sans CJK JP",
)


def find_cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use here, registering the bundled one if needed."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    bundled = bundled_font_file()
    if bundled is not None:
        font_manager.fontManager.addfont(str(bundled))
        return font_manager.FontProperties(fname=str(bundled)).get_name()
    return None


def setup_fonts() -> str:
    """Make Chinese (and English) text render in figures; return the CJK family used.

    Raises:
        RuntimeError: no CJK font is available (the dependency ``paperang-p2-fonts-cjk`` is missing and the
        system has none); the message says how to install one.
    """
    family = find_cjk_font()
    if family is None:
        raise RuntimeError(
            "No CJK font found, so Chinese labels would render as boxes. Reinstall the project "
            "(`make book`, which installs the font package 'paperang-p2-fonts-cjk'), or install a system "
            "font such as Debian's fonts-noto-cjk or fonts-wqy-microhei."
        )
    # Matplotlib falls back glyph by glyph along the font.family list (not along a generic family's list).
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family


def _as_numpy_images(images: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = images.detach().float().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images, dtype=np.float32)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim == 2 and arr.shape[1] == 784:
        arr = arr.reshape(-1, 28, 28)
    if arr.ndim != 3:
        raise ValueError(
            f"images must have shape (N, 1, H, W), (N, H, W) or (N, 784); got {tuple(images.shape)}"
        )
    return arr


def image_grid(images: torch.Tensor | np.ndarray, nrow: int = 10, pad: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """Tile greyscale images into one array.

    Args:
        images: ``(N, 1, H, W)``, ``(N, H, W)`` or ``(N, 784)``, values in ``[0, 1]``.
        nrow: images per row.
        pad: pixels between images.
        pad_value: grey level of the padding (1.0 = white).

    Returns:
        An array of shape ``(rows·(H+pad)−pad, nrow·(W+pad)−pad)``.
    """
    arr = _as_numpy_images(images)
    n, h, w = arr.shape
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    ncol = min(nrow, n)
    rows = math.ceil(n / ncol)
    grid = np.full((rows * (h + pad) - pad, ncol * (w + pad) - pad), pad_value, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, ncol)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = arr[k]
    return grid


def show_images(
    images: torch.Tensor | np.ndarray,
    nrow: int = 10,
    labels: Sequence[object] | None = None,
    title: str | None = None,
    ax: plt.Axes | None = None,
    cell_inches: float = 0.6,
) -> plt.Axes:
    """Draw images in a grid, black digits on white, with an optional caption under each image.

    Args:
        images: ``(N, 1, H, W)``, ``(N, H, W)`` or ``(N, 784)``, values in ``[0, 1]``.
        nrow: images per row.
        labels: ``N`` captions (e.g. digit labels) or ``None``.
        title: a title above the grid.
        ax: axes to draw on; a new figure is made when ``None``.
        cell_inches: size of one image in a new figure.

    Returns:
        The axes drawn on.
    """
    arr = _as_numpy_images(images)
    n, h, w = arr.shape
    if labels is not None and len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} images")
    ncol = min(nrow, n)
    rows = math.ceil(n / ncol)
    if ax is None:
        extra = 0.25 if labels is not None else 0.0
        _, ax = plt.subplots(figsize=(ncol * cell_inches + 0.2, rows * (cell_inches + extra) + 0.5))
    pad = 2 if labels is None else 10
    grid = np.zeros((rows * (h + pad), ncol * (w + 2) - 2), dtype=np.float32)  # ink 0 = white paper
    for k in range(n):
        r, c = divmod(k, ncol)
        grid[r * (h + pad) : r * (h + pad) + h, c * (w + 2) : c * (w + 2) + w] = arr[k]
    ax.imshow(1.0 - grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    if labels is not None:
        for k, lab in enumerate(labels):
            r, c = divmod(k, ncol)
            ax.text(c * (w + 2) + w / 2, r * (h + pad) + h + 1, str(lab), ha="center", va="top", fontsize=8)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def show_pair(left: torch.Tensor | np.ndarray, right: torch.Tensor | np.ndarray, titles: tuple[str, str],
              nrow: int = 10, figsize: tuple[float, float] = (11.5, 2.9)) -> Figure:
    """Two grids of images side by side (:func:`show_images`), e.g. the same model sampled two ways.

    Returns:
        The figure (``plt.show()`` draws it in a notebook).
    """
    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    fig.get_layout_engine().set(wspace=0.06)
    for ax, images, title in zip(axes, (left, right), titles):
        show_images(images, nrow=nrow, ax=ax, title=title)
    return fig


def figure_png(fig: Figure, tight: bool = False) -> bytes:
    """The figure as PNG bytes; the figure is closed, so that Jupyter does not also show it below the cell.

    Args:
        fig: a figure (from ``plt.subplots`` or ``matplotlib.figure.Figure``).
        tight: crop to the drawn content (``bbox_inches="tight"``), which keeps labels at the edges inside.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight" if tight else None)
    plt.close(fig)
    return buffer.getvalue()


def slider_figure(draw: Callable[..., Figure], *sliders: widgets.ValueWidget, tight: bool = False,
                  side_by_side: bool = False) -> widgets.VBox:
    """Sliders above a figure that is redrawn whenever one of them moves (live in JupyterLab).

    ``draw`` is called with the sliders' values, in the order the sliders are given, and returns a new figure;
    the figure goes to an ``Image`` widget as PNG bytes. The figure for the sliders' starting values is drawn
    at once, so that the executed notebook (and the static book, from the saved widget state) shows it.

    Args:
        draw: ``draw(value_1, value_2, …) -> Figure``.
        sliders: one or more ipywidgets value widgets (``FloatSlider``, ``IntSlider``, ``SelectionSlider`` …).
        tight: crop the figure to its content (see :func:`figure_png`).
        side_by_side: put the sliders in one row rather than one under the other.

    Returns:
        The widget (sliders, then the picture); display it, or leave it as the cell's last expression.
    """
    if not sliders:
        raise ValueError("slider_figure needs at least one slider")

    def render() -> bytes:
        return figure_png(draw(*(s.value for s in sliders)), tight=tight)

    picture = widgets.Image(value=render(), format="png")

    def redraw(change: object = None) -> None:
        picture.value = render()

    for slider in sliders:
        slider.observe(redraw, names="value")
    controls: list[widgets.Widget] = [widgets.HBox(list(sliders))] if side_by_side else list(sliders)
    return widgets.VBox([*controls, picture])
