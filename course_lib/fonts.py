"""The CJK font that installs with course_lib, found without importing matplotlib or PyTorch.

Figures (:mod:`course_lib.plotting`), the explicit labels drawn on images (:mod:`course_lib.responsible.labels`)
and JupyterLab's font extension (:mod:`course_lib.lab`, which starts with the Jupyter server and must stay light)
all use this one file.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["bundled_font_file"]


def bundled_font_file() -> Path | None:
    """The CJK font that installs with course_lib (WenQuanYi Micro Hei, a .ttc), or ``None`` without it."""
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "wqy-microhei.ttc"
    return path if path.is_file() else None
