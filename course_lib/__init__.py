"""course_lib: the reference PyTorch implementations behind the book
*Generative AI — the mathematics, the code and the ethics* / 《生成式人工智能：数学、代码与伦理》.

One module per idea:

* :mod:`course_lib.device` — choosing CPU / CUDA / MPS (``get_device("auto")``)
* :mod:`course_lib.seed` — seeding for reproducible notebooks
* :mod:`course_lib.data` — MNIST: the offline 4,000 / 1,000 split, and full MNIST on request
* :mod:`course_lib.plotting` — image grids and fonts for Chinese labels
* :mod:`course_lib.notebook` — ``setup_notebook()``, the first call of every chapter
* :mod:`course_lib.checkpoint` — safetensors weights + JSON model cards, safe resume state
* :mod:`course_lib.cli` — ``python -m course_lib train|evaluate|sample``
* :mod:`course_lib.privacy`, :mod:`course_lib.watermark` — chapter 1: memorisation, the Laplace mechanism,
  a spread-spectrum image watermark
* :mod:`course_lib.gan` — chapter 2: GAN losses, the training step, the ring of Gaussians
* :mod:`course_lib.vae` — chapter 3: MLP and convolutional VAEs, the ELBO, the IWAE bound, training
* :mod:`course_lib.text`, :mod:`course_lib.gpt` — chapter 4: the book corpus, the character tokenizer, a tiny GPT
* :mod:`course_lib.evaluator`, :mod:`course_lib.dcgan`, :mod:`course_lib.training` — chapter 5: the MNIST
  classifier used as a measuring instrument and its metrics, the DCGAN, on-device minibatches

Each chapter module is imported on demand (``from course_lib.vae import ConvVAE``), so that
``import course_lib`` stays fast.
"""
from __future__ import annotations

from .data import MNISTDataError, load_full_mnist, load_mnist, load_offline_mnist
from .device import DeviceError, get_device
from .notebook import localise, setup_notebook
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
    "localise",
    "set_seed",
    "setup_fonts",
    "setup_notebook",
    "show_images",
]
