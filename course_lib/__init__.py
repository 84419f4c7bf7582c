"""course_lib: the reference PyTorch implementations behind the book
*Generative AI — the mathematics, the code and the ethics* / 《生成式人工智能：数学、代码与伦理》.

The layout (nanoGPT-style: the models apart from the loop that trains them), in layers from the foundations up;
a module imports only from its own layer or the layers before it, never from a later one, and there is no
import cycle (``tests/test_imports.py`` holds both):

* :mod:`course_lib.device`, :mod:`course_lib.seed`, :mod:`course_lib.data`, :mod:`course_lib.stats`,
  :mod:`course_lib.text`, :mod:`course_lib.fonts`, :mod:`course_lib.plotting`, :mod:`course_lib.notebook` —
  devices, seeds, MNIST (and minibatch order, training subsets, the image check, what a card says of the data),
  intervals and verdicts, the book corpus and its tokenizer, the CJK font, figures (and a figure redrawn by
  sliders), ``setup_notebook()`` and ``pad()`` for printed tables
* :mod:`course_lib.optim`, :mod:`course_lib.distributed` — the optimiser factory and the learning-rate schedule;
  ranks, shards and the global batch mean under ``torchrun``
* :mod:`course_lib.checkpoint` — safetensors weights + JSON model cards (save, load with a factory, read a card)
* :mod:`course_lib.training` — the spine: the one loop (:class:`~course_lib.training.Task`,
  :func:`~course_lib.training.train_loop`) and the one run (:func:`~course_lib.training.fit`: seed, device,
  checkpoints, model cards, resume, DistributedDataParallel)
* :mod:`course_lib.models` — pure ``nn.Module``s and their mathematics, each with the Task that trains it:
  ``gan`` (chapter 2's 2-D toy; the GAN losses and the alternating step it shares with the DCGAN are
  ``gan_game``), ``vae`` (3; the networks and the ELBO ``vae_model``), ``gpt`` (4; the network ``gpt_model``,
  its sampling ``gpt_sampling``, its training ``gpt_training``), ``classifier`` and ``dcgan`` (5), ``diffusion``
  (7: the mathematics; beside it
  ``diffusion_sampler``, ``diffusion_unet``, ``diffusion_toy`` and ``diffusion_task``);
  :mod:`course_lib.responsible` holds chapter 6's (the DP-SGD VAE, the canary GPT) beside its privacy tools;
  :mod:`course_lib.metrics`, the Fréchet distance and class coverage through the classifier, sits among them
  (the DCGAN measures its samples with it after every epoch)
* :mod:`course_lib.registry` — the table of trainable model kinds (factory, task, command-line options), which
  names the models as ``"module:attr"`` strings imported on first use
* :mod:`course_lib.evaluator` — any checkpoint through the registry: ``load_any``, ``sample_checkpoint``,
  ``checkpoint_fd``, ``evaluate_checkpoint`` (and, for the chapters, the metrics and the classifier's functions)
* :mod:`course_lib.responsible.audit` — the audit card of any generator checkpoint (chapter 6); what it measures
  is ``audit_images`` (image generators) and ``audit_text`` (GPTs), the card in words ``audit_words``
* :mod:`course_lib.exercises` — the learners' self-checks, ``check(n)`` after an exercise (right, close or wrong,
  with a hint); their machinery, :mod:`course_lib.selfcheck`, imports nothing of the library
* :mod:`course_lib.cli` — ``python -m course_lib train|evaluate|sample|audit|study``, the only place that parses
  arguments; :mod:`course_lib.lab` — a Jupyter server extension that serves JupyterLab the CJK font

To find your way: a model's mathematics and its Task are in ``models/NAME.py`` (always the place to start: where
pieces live in modules beside it, ``NAME_*.py``, its docstring names them and it imports them all); how it is
trained from the command line is its entry in ``registry.py`` (options, defaults, hooks) and ``training.fit``;
what is measured on it is ``metrics.py`` (during training) and ``evaluator.py`` / ``responsible/audit.py`` (on a
checkpoint).

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
