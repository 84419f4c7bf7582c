"""course_lib: the reference PyTorch implementations behind the book
*Generative AI — the mathematics, the code and the ethics* / 《生成式人工智能：数学、代码与伦理》.

The layout (nanoGPT-style: the models apart from the loop that trains them):

* :mod:`course_lib.models` — pure ``nn.Module``s and their mathematics: ``gan`` (chapter 2), ``vae`` (chapter 3),
  ``gpt`` (chapter 4), ``classifier`` and ``dcgan`` (chapter 5); each with the :class:`~course_lib.training.Task`
  that trains it
* :mod:`course_lib.training` — the spine: the one training loop and the one command-line run (seed, device,
  checkpoints, model cards, resume, DistributedDataParallel); :mod:`course_lib.optim` (the optimiser factory and
  the learning-rate schedule) and :mod:`course_lib.distributed` (ranks, shards, the global batch mean) beside it
* :mod:`course_lib.registry` — the table of trainable model kinds (factory, task, command-line options)
* :mod:`course_lib.cli` — ``python -m course_lib train|evaluate|sample``, built from the registry
* :mod:`course_lib.checkpoint` — safetensors weights + JSON model cards; ``load_any(path)``
* :mod:`course_lib.evaluator` — the MNIST classifier as a measuring instrument: Fréchet distance, class
  coverage, accuracy, ``evaluate_checkpoint``
* :mod:`course_lib.responsible` — chapter 1 (and 6): memorisation, the Laplace mechanism, a watermark
* :mod:`course_lib.text` — chapter 4: the book corpus snapshot, the character tokenizer, n-gram baselines
* :mod:`course_lib.data`, :mod:`course_lib.device`, :mod:`course_lib.seed`, :mod:`course_lib.plotting`,
  :mod:`course_lib.notebook` — MNIST (and minibatch order, training subsets, the image check), devices, seeds,
  figures, ``setup_notebook()``, ``pad()`` for printed tables
* :mod:`course_lib.lab` — a Jupyter server extension that serves JupyterLab the CJK font (Chinese never as boxes)

Each chapter module is imported on demand (``from course_lib.models.vae import ConvVAE``), and so are the names
at the top (``course_lib.pad``, ``course_lib.load_offline_mnist`` …), so that ``import course_lib`` stays fast.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: The names ``course_lib`` offers at its top, and the module each comes from. They are imported on first use
#: (PEP 562), so ``import course_lib`` loads neither PyTorch nor matplotlib: JupyterLab's font extension
#: (:mod:`course_lib.lab`) and ``python -m course_lib --help`` start at once.
_LAZY = {
    "MNISTDataError": "data", "load_full_mnist": "data", "load_mnist": "data", "load_offline_mnist": "data",
    "DeviceError": "device", "get_device": "device",
    "localise": "notebook", "pad": "notebook", "setup_notebook": "notebook",
    "image_grid": "plotting", "setup_fonts": "plotting", "show_images": "plotting",
    "set_seed": "seed",
}

__all__ = sorted(_LAZY)

if TYPE_CHECKING:  # what type checkers and editors see
    from .data import MNISTDataError, load_full_mnist, load_mnist, load_offline_mnist
    from .device import DeviceError, get_device
    from .notebook import localise, pad, setup_notebook
    from .plotting import image_grid, setup_fonts, show_images
    from .seed import set_seed


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)  # course_lib.data, … without an import of their own
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
