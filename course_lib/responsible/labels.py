"""Labelling generated images as China's labelling measures require, and what survives when the file travels.

The *Measures for Labelling AI-Generated and Synthetic Content* (《人工智能生成合成内容标识办法》, Cyberspace
Administration of China with three other ministries, issued 2025-03-14, in force 2025-09-01) ask a service
provider for two labels:

* an **explicit label** (显式标识): a mark people can see — for an image, text such as "AI生成" on the image;
* an **implicit label** (隐式标识): information in the file's **metadata** that records that the content is
  AI-generated, the service provider's name or code (服务提供者名称或者编码) and a content ID (内容编号).

The national standard that goes with them, GB 45438-2025 (网络安全技术 人工智能生成合成内容标识方法), names the
metadata fields; :func:`implicit_label` fills them (``Label``, ``ContentProducer``, ``ProduceID``,
``ReservedCode1``, ``ContentPropagator``, ``PropagateID``, ``ReservedCode2``) and :func:`save_png` writes them as
JSON under the key ``"AIGC"`` in an ``iTXt`` chunk of the PNG (UTF-8, so Chinese names survive), with Pillow.

Metadata is fragile by design: anything that re-encodes the pixels (a JPEG export, a screenshot) drops it.
:func:`reencode_jpeg`, :func:`crop` and :func:`screenshot` imitate what happens to a file on its way around the
internet, so that chapter 6 can measure which label survives which step.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from ..fonts import bundled_font_file

__all__ = ["AIGC_KEY", "AIGC_FIELDS", "implicit_label", "to_image", "explicit_label_box", "add_explicit_label", "save_png",
           "read_implicit_label", "copy_file", "reencode_jpeg", "crop", "screenshot", "to_digits"]

#: The metadata key of the implicit label.
AIGC_KEY = "AIGC"
#: The fields of the implicit label, in the standard's order.
AIGC_FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID",
               "ReservedCode2")


def implicit_label(producer: str, content_id: str, propagator: str = "", propagate_id: str = "",
                   reserved1: str = "", reserved2: str = "") -> dict[str, str]:
    """The implicit label of one generated item: ``Label = "1"`` (AI-generated) and the producer's fields.

    Args:
        producer: the service provider's name or code (ContentProducer).
        content_id: the provider's ID of this item (ProduceID), unique per item.
        propagator, propagate_id: filled in by a platform that distributes the item (empty at generation).
    """
    for name, value in (("producer", producer), ("content_id", content_id)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string: the measures ask for the provider's name or code "
                             f"and a content ID")
    return dict(zip(AIGC_FIELDS, ("1", producer, content_id, reserved1, propagator, propagate_id, reserved2)))


def to_image(x: torch.Tensor | np.ndarray, scale: int = 4) -> Image.Image:
    """A greyscale ``(H, W)`` or ``(1, H, W)`` image in ``[0, 1]`` as an 8-bit Pillow image, enlarged ``scale`` times
    (nearest neighbour: each pixel becomes a ``scale × scale`` block)."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    a = np.squeeze(a)
    if a.ndim != 2:
        raise ValueError(f"expected one greyscale image (H, W) or (1, H, W), got shape {a.shape}")
    if a.min() < 0 or a.max() > 1:
        raise ValueError("image values must lie in [0, 1]")
    img = Image.fromarray(np.round(a * 255).astype(np.uint8), mode="L")
    return img.resize((img.width * scale, img.height * scale), Image.NEAREST) if scale != 1 else img


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = bundled_font_file()
    if path is None:  # pragma: no cover - the font is a dependency
        raise RuntimeError("no CJK font found for the visible label; install the dependencies (make venv)")
    return ImageFont.truetype(str(path), size)


def _label_layout(size: tuple[int, int], text: str, height_fraction: float):
    if height_fraction < 0.05:
        raise ValueError(f"height_fraction {height_fraction} is below the 5 % of the shorter side the standard asks for")
    px = max(8, round(height_fraction * min(size)))
    font = _font(px)
    left, top, right, bottom = font.getbbox(text)
    pad = max(1, px // 6)
    x0, y0 = size[0] - (right - left) - 2 * pad, size[1] - (bottom - top) - 2 * pad
    return font, (x0, y0, size[0], size[1]), (x0 + pad - left, y0 + pad - top)


def explicit_label_box(size: tuple[int, int], text: str = "AI生成", height_fraction: float = 0.14
                       ) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the label :func:`add_explicit_label` draws on an image of ``size``."""
    return _label_layout(size, text, height_fraction)[1]


def add_explicit_label(img: Image.Image, text: str = "AI生成", height_fraction: float = 0.14) -> Image.Image:
    """A copy of ``img`` with ``text`` in white on a black box in the bottom-right corner.

    ``height_fraction`` is the text's height as a fraction of the image's shorter side; GB 45438-2025 asks for at
    least 5 % for an image's visible label.
    """
    font, box, origin = _label_layout(img.size, text, height_fraction)
    out = img.copy()
    draw = ImageDraw.Draw(out)
    draw.rectangle(box, fill=0)
    draw.text(origin, text, fill=255, font=font)
    return out


def save_png(img: Image.Image, path: str | Path, label: dict[str, str] | None) -> Path:
    """Write ``img`` as PNG; with ``label``, its JSON goes into an ``iTXt`` chunk under :data:`AIGC_KEY`."""
    path = Path(path)
    info = None
    if label is not None:
        missing = [f for f in AIGC_FIELDS if f not in label]
        if missing:
            raise ValueError(f"the label lacks the fields {missing}; build it with implicit_label(...)")
        info = PngImagePlugin.PngInfo()
        info.add_itxt(AIGC_KEY, json.dumps(label, ensure_ascii=False, separators=(",", ":")))
    img.save(path, format="PNG", pnginfo=info)
    return path


def read_implicit_label(path: str | Path) -> dict[str, str] | None:
    """The implicit label of an image file, or ``None`` when it has none (or it is not valid JSON)."""
    with Image.open(path) as im:
        im.load()
        raw = im.info.get(AIGC_KEY)
    if raw is None:
        return None
    try:
        value = json.loads(str(raw))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def copy_file(src: str | Path, dst: str | Path) -> Path:
    """A plain byte-for-byte copy (what sending the file as a file does)."""
    return Path(shutil.copyfile(src, dst))


def reencode_jpeg(src: str | Path, dst: str | Path, quality: int = 75) -> Path:
    """Decode the pixels and save them again as JPEG (what an "export" or a chat app's compression does)."""
    with Image.open(src) as im:
        im.convert("L").save(dst, format="JPEG", quality=quality)
    return Path(dst)


def crop(src: str | Path, dst: str | Path, box: tuple[int, int, int, int]) -> Path:
    """Save the ``box = (left, top, right, bottom)`` part of the image as a new PNG (an editor drops the metadata)."""
    with Image.open(src) as im:
        im.convert("L").crop(box).save(dst, format="PNG")
    return Path(dst)


def screenshot(src: str | Path, dst: str | Path, display_scale: float = 1.5) -> Path:
    """Imitate a screenshot: the image is shown at ``display_scale`` times its size (bilinear) and those screen
    pixels are saved as a new PNG."""
    with Image.open(src) as im:
        im = im.convert("L")
        size = (round(im.width * display_scale), round(im.height * display_scale))
        im.resize(size, Image.BILINEAR).save(dst, format="PNG")
    return Path(dst)


def to_digits(path: str | Path, size: int = 28) -> torch.Tensor:
    """Read an image file back as a ``(1, 1, size, size)`` tensor in ``[0, 1]`` (area-averaged down to ``size``)."""
    with Image.open(path) as im:
        im = im.convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BOX)
        a = np.asarray(im, dtype=np.float32) / 255.0
    return torch.from_numpy(a)[None, None]
