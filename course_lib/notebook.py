"""The one call at the top of every notebook."""
from __future__ import annotations

import matplotlib

from .plotting import setup_fonts
from .seed import set_seed

__all__ = ["setup_notebook"]


def setup_notebook(seed: int = 0, dpi: int = 80) -> None:
    """Seed every RNG, set up CJK-capable fonts and a compact PNG figure style; print what was set.

    Args:
        seed: the seed for ``random``, NumPy and PyTorch.
        dpi: figure resolution (PNG figures; nbval does not compare PNGs, and SVG embeds a date).
    """
    set_seed(seed)
    family = setup_fonts()
    matplotlib.rcParams.update(
        {"figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (6.4, 3.6), "axes.grid": False}
    )
    try:  # In Jupyter, keep inline figures PNG.
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
    except ImportError:  # pragma: no cover
        pass
    print(f"seed={seed}; CJK font: {family}")
