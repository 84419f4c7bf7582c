"""course_lib: the reference PyTorch implementations behind the book
*Generative AI — the mathematics, the code and the ethics* / 《生成式人工智能：数学、代码与伦理》.

One module per idea:

* :mod:`course_lib.device` — choosing CPU / CUDA / MPS (``get_device("auto")``)
* :mod:`course_lib.seed` — seeding for reproducible notebooks
* :mod:`course_lib.data` — MNIST: the offline 4,000 / 1,000 split, and full MNIST on request
* :mod:`course_lib.plotting` — image grids and fonts for Chinese labels
* :mod:`course_lib.notebook` — ``setup_notebook()``, the first call of every chapter
"""
from __future__ import annotations

from .data import MNISTDataError, load_full_mnist, load_mnist, load_offline_mnist
from .device import DeviceError, get_device
from .notebook import setup_notebook
from .plotting import image_grid, setup_fonts, show_images
from .seed import set_seed

__version__ = "0.1.0"

__all__ = [
    "DeviceError",
    "MNISTDataError",
    "get_device",
    "image_grid",
    "load_full_mnist",
    "load_mnist",
    "load_offline_mnist",
    "set_seed",
    "setup_fonts",
    "setup_notebook",
    "show_images",
]
