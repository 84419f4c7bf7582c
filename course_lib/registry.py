"""The table of model kinds: one entry per trainable model, read by the command line, the loader and the evaluator.

An entry (:class:`ModelKind`) says, as data:

* ``name`` — the command-line name (``python -m course_lib train NAME``) and the default checkpoint name prefix;
* ``card_kinds`` — the model card ``kind`` values it writes and loads, each with the class (or factory) that
  rebuilds the model from the card's ``config``;
* ``make_task`` — ``make_task(run) -> Task``: the model's :class:`course_lib.training.Task`, built from a
  :class:`course_lib.training.Run` (options, data, device; ``run.model`` is the resumed model or ``None``);
* ``config`` — ``config(model) -> dict``: the keyword arguments that rebuild ``model`` (saved in the card);
* ``options`` — the model's own command-line options, as :class:`Option` data (``cli.py`` turns them into
  argparse arguments; the model modules never see argparse);
* ``defaults`` — ``epochs``, ``batch_size``, ``lr`` when the command line does not give them;
* ``generator`` — whether checkpoints of this kind answer ``sample(n, *, generator=None)`` with images
  ``(n, 1, 28, 28)`` in ``[0, 1]`` (used by ``sample`` and ``evaluate``);
* ``evaluate`` — optional ``evaluate(model, x_heldout, y_heldout) -> dict``: what ``python -m course_lib
  evaluate`` prints for this kind (for a generator, besides the Fréchet distance and class coverage that every
  generator gets);
* ``fixed_on_resume`` — options that ``--resume`` takes from the interrupted run's card, whatever the command
  line says (the architecture and the loss: the run must go on as it began);
* ``data_card``, ``card_extra`` — optional ``f(run, task) -> dict`` of model-card fields (what the data is;
  anything else worth recording).
* ``audit`` — what ``python -m course_lib audit`` measures on a checkpoint of this kind: ``"images"`` (an image
  generator: membership, class shares, copying, Fréchet distance), ``"text"`` (a GPT: canaries, the text
  watermark) or ``None`` (not audited: a classifier);
* ``membership`` — optional ``membership(model, x_members, y_members, x_heldout, y_heldout, seed) ->
  MembershipScores``: the kind's membership-inference attack (:mod:`course_lib.responsible.membership`); an
  ``"images"`` kind without one gets every audit section but membership.

A kind whose options include ``--train-size`` / ``--rare-digit`` selects its training digits with
:func:`course_lib.data.select_training_set`; the audit rebuilds them from the card the same way.

Callables may be given as ``"module:attribute"`` strings, imported on first use, so that reading the table
(e.g. for ``--help``) imports no model code. The built-in entries are at the bottom of this file; a new
model adds one (see the example in :mod:`course_lib.training`).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Option", "ModelKind", "register", "get", "names", "for_card_kind", "card_kinds", "generator_kinds",
           "audited_card_kinds", "REGISTRY"]


@dataclass(frozen=True)
class Option:
    """One model-specific command-line option, as data.

    Args:
        flag: ``"--z-dim"``; the value lands in ``run.options["z_dim"]``.
        type: ``int``, ``float``, ``str`` or ``bool`` (a ``bool`` option is a flag, default ``False``).
        default: the value when the option is not given (``None``: the model decides).
        help: one line for ``--help``.
        choices: allowed values, if limited.
        minimum: smallest allowed value for numbers (a clear error below it), if any.
    """

    flag: str
    type: type = int
    default: Any = None
    help: str = ""
    choices: Sequence[Any] | None = None
    minimum: float | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def check(self, value: Any) -> None:
        """Raise ``ValueError`` with a clear message when ``value`` is not allowed."""
        if value is None or self.type is bool:
            return
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.flag} must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{self.flag} must be >= {self.minimum:g}, got {value!r}")


def _resolve(obj: Any) -> Any:
    if isinstance(obj, str) and ":" in obj:
        module, attr = obj.split(":")
        return getattr(importlib.import_module(module), attr)
    return obj


@dataclass
class ModelKind:
    """One entry of the registry (see the module docstring for the fields)."""

    name: str
    card_kinds: dict[str, Any]
    make_task: Any
    config: Any
    options: list[Option] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=lambda: {"epochs": 10, "batch_size": 128, "lr": 1e-3})
    help: str = ""
    description: str = ""
    generator: bool = True
    data_choices: tuple[str, ...] = ("offline", "full")
    evaluate: Any = None
    data_card: Any = None
    card_extra: Any = None
    fixed_on_resume: tuple[str, ...] = ()
    audit: str | None = None
    membership: Any = None

    def __post_init__(self) -> None:
        if self.audit not in (None, "images", "text"):
            raise ValueError(f"audit must be 'images', 'text' or None, got {self.audit!r}")
        for name in ("make_task", "config", "evaluate", "data_card", "card_extra", "membership"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, _Lazy(value))
        self.card_kinds = {k: (_Lazy(v) if isinstance(v, str) else v) for k, v in self.card_kinds.items()}


class _Lazy:
    """A ``"module:attribute"`` callable, imported on first call."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _resolve(self.target)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.target}>"


REGISTRY: dict[str, ModelKind] = {}


def register(kind: ModelKind, replace: bool = False) -> ModelKind:
    """Add ``kind`` to the table (``replace=True`` to overwrite an entry of the same name)."""
    if kind.name in REGISTRY and not replace:
        raise ValueError(f"a model kind named {kind.name!r} is already registered")
    for ck in kind.card_kinds:
        other = for_card_kind(ck, missing_ok=True)
        if other is not None and other.name != kind.name:
            raise ValueError(f"card kind {ck!r} already belongs to the model kind {other.name!r}")
    REGISTRY[kind.name] = kind
    return kind


def names() -> list[str]:
    """The registered model names, in registration order."""
    return list(REGISTRY)


def get(name: str) -> ModelKind:
    """The entry called ``name``; a clear error naming the known ones otherwise."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; the known models are: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def for_card_kind(card_kind: str, missing_ok: bool = False) -> ModelKind | None:
    """The entry whose checkpoints carry ``card_kind`` in their model card."""
    for kind in REGISTRY.values():
        if card_kind in kind.card_kinds:
            return kind
    if missing_ok:
        return None
    raise ValueError(f"no registered model writes checkpoints of kind {card_kind!r} "
                     f"(known: {', '.join(card_kinds())})")


def card_kinds() -> list[str]:
    """Every model-card kind the registry can load."""
    return [ck for kind in REGISTRY.values() for ck in kind.card_kinds]


def generator_kinds() -> tuple[str, ...]:
    """The card kinds whose models draw images with ``sample(n, *, generator=None)``."""
    return tuple(ck for kind in REGISTRY.values() if kind.generator for ck in kind.card_kinds)


def audited_card_kinds(audit: str | None = None) -> tuple[str, ...]:
    """The card kinds that ``python -m course_lib audit`` measures (only those of one ``audit`` kind, if given)."""
    return tuple(ck for k in REGISTRY.values() if k.audit is not None and (audit is None or k.audit == audit)
                 for ck in k.card_kinds)


def factory(card_kind: str) -> Callable[..., Any]:
    """The class (or function) that rebuilds a model of ``card_kind`` from its card's ``config``."""
    f = for_card_kind(card_kind).card_kinds[card_kind]  # type: ignore[union-attr]
    return _resolve(f.target) if isinstance(f, _Lazy) else f


# ------------------------------------------------------------------------------------------ the built-ins
_TRAIN_SIZE = Option("--train-size", int, None, "use only N evenly spaced training images (quick runs)", minimum=1)
_SKEW = [Option("--rare-digit", int, None, "make this digit's class --rare-factor times rarer in the training set "
                                           "(chapter 6's coverage-bias study; default: no skew)", choices=tuple(range(10))),
         Option("--rare-factor", int, 10, "how many times rarer --rare-digit is made (default 10)", minimum=1)]

register(ModelKind(
    name="classifier",
    help="the MNIST classifier used as a measuring instrument (chapter 5)",
    description="MNISTClassifier (evaluator)",
    card_kinds={"mnist_classifier": "course_lib.models.classifier:MNISTClassifier"},
    make_task="course_lib.models.classifier:task_from_run",
    config="course_lib.models.classifier:config_of",
    options=[Option("--channels", int, 32, "channels of the first conv block (default 32)", minimum=1),
             Option("--hidden", int, 128, "feature-layer width (default 128)", minimum=1),
             _TRAIN_SIZE,
             Option("--augment", int, 2, "random shifts of up to this many pixels (default 2)", minimum=0)],
    defaults={"epochs": lambda data: 15 if data == "offline" else 6, "batch_size": 128, "lr": 2e-3},
    fixed_on_resume=("channels", "hidden", "augment"),
    generator=False,
    evaluate="course_lib.models.classifier:heldout_accuracy",
    card_extra="course_lib.models.classifier:card_extra",
))

register(ModelKind(
    name="dcgan",
    help="a DCGAN for MNIST (chapter 5)",
    description="DCGAN (transposed-conv generator 7->14->28, conv discriminator)",
    card_kinds={"dcgan": "course_lib.models.dcgan:DCGAN"},
    make_task="course_lib.models.dcgan:task_from_run",
    config="course_lib.models.dcgan:config_of",
    options=[Option("--z-dim", int, 32, "noise dimension (default 32)", minimum=1),
             Option("--channels", int, 32, "generator width c (7x7 map has 2c; default 32)", minimum=1),
             Option("--d-channels", int, 32, "discriminator width (default 32)", minimum=1),
             Option("--deep-generator", bool, False, "a deeper generator: a 3x3 conv at 14x14 and a 28x28 stage "
                                                     "before the output"),
             Option("--pack", int, 2, "PacGAN packing: the discriminator judges this many images at once "
                                      "(default 2; 1 = plain)", minimum=1),
             Option("--ema", float, 0.998, "decay of the generator's exponential moving average, sampled from "
                                           "(default 0.998; 0 = none)", minimum=0),
             Option("--loss", str, "non_saturating", "generator loss (default non_saturating)",
                    choices=("non_saturating", "saturating")),
             Option("--evaluator", str, None, "classifier checkpoint for the per-epoch quality curve (default: "
                                              "the shipped classifier_<data> if present; 'none' to skip)"),
             Option("--eval-samples", int, 1000, "samples per epoch for the quality curve (default 1000)", minimum=2),
             _TRAIN_SIZE, *_SKEW,
             Option("--snapshots", int, 16, "samples saved per epoch, same noise (0 = none)", minimum=0)],
    defaults={"epochs": 30, "batch_size": 64, "lr": 2e-4},
    fixed_on_resume=("z_dim", "channels", "d_channels", "pack", "ema", "loss", "deep_generator"),
    card_extra="course_lib.models.dcgan:card_extra",
    audit="images", membership="course_lib.responsible.membership:dcgan_membership",
))

register(ModelKind(
    name="vae",
    help="a variational autoencoder: conv (chapter 3), deepconv (chapter 5) or mlp",
    card_kinds={"mlp_vae": "course_lib.models.vae:MLPVAE", "conv_vae": "course_lib.models.vae:ConvVAE",
                "deep_conv_vae": "course_lib.models.vae:DeepConvVAE"},
    make_task="course_lib.models.vae:task_from_run",
    config="course_lib.models.vae:config_of",
    options=[Option("--arch", str, "conv", "conv: the small ConvVAE of chapter 3 (default); deepconv: DeepConvVAE, "
                                           "the stronger full-MNIST model of chapter 5; mlp: MLPVAE",
                    choices=("conv", "deepconv", "mlp")),
             Option("--z-dim", int, None, "latent dimension (default: 16 conv and deepconv, 20 mlp)", minimum=1),
             Option("--hidden", int, None, "width of the fully connected layers (default: 400 mlp, 256 deepconv; "
                                           "not used by conv)", minimum=1),
             Option("--channels", int, 32, "conv channels of the first layer (default 32)", minimum=1),
             Option("--beta", float, 1.0, "KL weight beta in the training loss (default 1)", minimum=0),
             Option("--lr-schedule", str, "constant", "constant (default), or cosine: linear warm-up over the first "
                                                      "10%% of the steps, then a cosine decay to 0 at the last epoch",
                    choices=("constant", "cosine")),
             Option("--iwae-k", int, 50, "importance samples for the held-out IWAE bound in the model card "
                                         "(0 = skip; default 50)", minimum=0),
             Option("--prior-components", int, 0, "after training, fit a Gaussian mixture of K components to the "
                                                  "training digits' codes and sample from it instead of N(0, I) "
                                                  "(ex-post density estimation; default 0: N(0, I))", minimum=0),
             _TRAIN_SIZE, *_SKEW,
             Option("--eval-size", int, None, "use only N held-out images, evenly spaced over the set", minimum=1)],
    defaults={"epochs": 10, "batch_size": 128, "lr": 1e-3},
    fixed_on_resume=("arch", "z_dim", "hidden", "channels", "beta", "lr_schedule"),
    evaluate="course_lib.models.vae:heldout_neg_elbo",
    card_extra="course_lib.models.vae:card_extra",
    audit="images", membership="course_lib.responsible.membership:vae_membership",
))

register(ModelKind(
    name="dp_vae",
    help="the MLP VAE trained with differentially private SGD (Opacus), for chapter 6's privacy-utility study",
    card_kinds={"dp_mlp_vae": "course_lib.models.vae:MLPVAE"},
    make_task="course_lib.responsible.dp:task_from_run",
    config="course_lib.models.vae:config_of",
    options=[Option("--epsilon", float, 8.0, "the run's privacy budget epsilon ('inf' = no privacy, the baseline; "
                                             "default 8)", minimum=1e-6),
             Option("--delta", float, None, "delta (default 1/N, N = training digits)", minimum=0),
             Option("--max-grad-norm", float, 1.0, "per-example gradient clipping norm C (default 1)", minimum=1e-9),
             Option("--accountant", str, "prv", "Opacus's privacy accountant (default prv)", choices=("prv", "rdp")),
             Option("--z-dim", int, 20, "latent dimension (default 20)", minimum=1),
             Option("--hidden", int, 400, "hidden width (default 400)", minimum=1),
             _TRAIN_SIZE],
    defaults={"epochs": 60, "batch_size": 256, "lr": 1e-3},
    evaluate="course_lib.models.vae:heldout_neg_elbo",
    card_extra="course_lib.responsible.dp:card_extra",
    audit="images", membership="course_lib.responsible.membership:vae_membership",
))

def _gpt_options(*, steps: int, n_layer: int, d_model: int, block_size: int, dropout: float,
                 eval_every: int) -> list[Option]:
    """The options of a GPT run (``gpt`` and ``canary_gpt`` share them, with their own defaults)."""
    return [Option("--steps", int, steps, f"optimiser steps (default {steps})", minimum=1),
            Option("--n-layer", int, n_layer, f"blocks L (default {n_layer})", minimum=1),
            Option("--d-model", int, d_model, f"width d (default {d_model})", minimum=1),
            Option("--n-head", int, 4, "attention heads (default 4)", minimum=1),
            Option("--block-size", int, block_size, f"context length T (default {block_size})", minimum=1),
            Option("--dropout", float, dropout, f"dropout (default {dropout:g})", minimum=0),
            Option("--positions", str, "learned", "position encoding (default learned)",
                   choices=("learned", "sinusoidal")),
            Option("--eval-every", int, eval_every,
                   f"steps between evaluations and checkpoints (default {eval_every})", minimum=1),
            Option("--warmup", int, 50, "learning-rate warm-up steps (default 50)", minimum=0),
            Option("--weight-decay", float, 0.1, "AdamW weight decay (default 0.1)", minimum=0),
            Option("--corpus", str, "v1", "corpus snapshot version (default v1)"),
            Option("--half-weights", bool, False, "store the weights as float16 (half the file size; the card's "
                                                  "metrics are measured after rounding)")]


#: What ``--resume`` keeps from a GPT run's card.
_GPT_FIXED = ("n_layer", "d_model", "n_head", "block_size", "dropout", "positions", "eval_every", "warmup",
              "weight_decay", "corpus")


register(ModelKind(
    name="gpt",
    help="a tiny character-level GPT trained on this book's text (chapter 4)",
    description="character-level GPT (decoder-only Transformer, pre-LayerNorm, tied embeddings)",
    card_kinds={"gpt": "course_lib.models.gpt:GPT"},
    make_task="course_lib.models.gpt:task_from_run",
    config="course_lib.models.gpt:config_of",
    options=_gpt_options(steps=800, n_layer=4, d_model=128, block_size=128, dropout=0.1, eval_every=100),
    defaults={"epochs": None, "batch_size": 16, "lr": 3e-3},
    fixed_on_resume=_GPT_FIXED,
    generator=False,
    data_choices=("book",),
    data_card="course_lib.models.gpt:data_card",
    card_extra="course_lib.models.gpt:card_extra",
    audit="text",
))

register(ModelKind(
    name="canary_gpt",
    help="a tiny GPT trained on the book with inserted secrets (canaries), for chapter 6's exposure measurements",
    description="character-level GPT trained on the book corpus with canaries inserted (The Secret Sharer)",
    card_kinds={"canary_gpt": "course_lib.models.gpt:GPT"},
    make_task="course_lib.responsible.canary_task:task_from_run",
    config="course_lib.models.gpt:config_of",
    options=[Option("--repeats", int, 1, "copies of each canary inserted into the training text (0 = control)", minimum=0),
             Option("--secret-digits", int, 5, "digits of each secret (default 5: 100,000 candidates)", minimum=1),
             Option("--canary-seed", int, 0, "seed of the secrets and of where they are inserted (default 0)", minimum=0),
             *_gpt_options(steps=1500, n_layer=2, d_model=64, block_size=64, dropout=0.0, eval_every=250)],
    defaults={"epochs": None, "batch_size": 32, "lr": 3e-3},
    fixed_on_resume=("repeats", "secret_digits", "canary_seed", *_GPT_FIXED),
    generator=False,
    data_choices=("book",),
    data_card="course_lib.responsible.canary_task:data_card",
    card_extra="course_lib.responsible.canary_task:card_extra",
    audit="text",
))

register(ModelKind(
    name="diffusion",
    help="a class-conditional diffusion model (DDPM objective, DDIM sampler, classifier-free guidance; chapter 7)",
    description="class-conditional UNet, DDPM objective (L_simple), DDIM sampler, CFG null class",
    card_kinds={"diffusion_unet": "course_lib.models.diffusion_task:load_factory"},
    make_task="course_lib.models.diffusion_task:task_from_run",
    config="course_lib.models.diffusion_task:config_of",
    options=[Option("--channels", int, 32, "UNet width c (28x28 level c, 14 and 7 levels 2c; default 32)", minimum=8),
             Option("--emb-dim", int, 128, "time/class embedding width (default 128)", minimum=1),
             Option("--T", int, 1000, "diffusion steps T (default 1000)", minimum=1),
             Option("--schedule", str, "cosine", "noise schedule (default cosine)", choices=("cosine", "linear")),
             Option("--p-uncond", float, 0.2, "label dropout for classifier-free guidance (default 0.2)", minimum=0),
             Option("--ema", float, 0.999, "EMA decay of the saved weights (default 0.999)", minimum=0),
             Option("--patch", int, 2, "2: pixel-unshuffle to 14x14 first (fast on a CPU, default); 1: full 28x28 "
                                       "resolution", choices=(1, 2)),
             Option("--sample-steps", int, 50, "DDIM steps of the model's default sampler (default 50)", minimum=1),
             Option("--fp16", bool, False, "store the final weights in float16 (half the size)"),
             _TRAIN_SIZE],
    defaults={"epochs": 100, "batch_size": 128, "lr": 2e-3},
    fixed_on_resume=("channels", "emb_dim", "T", "schedule", "p_uncond", "ema", "patch", "sample_steps"),
    card_extra="course_lib.models.diffusion_task:card_extra",
    audit="images", membership="course_lib.responsible.membership:diffusion_membership",
))
