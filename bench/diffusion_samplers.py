"""Can a different sampler lift the diffusion showcase's recognisable share without guidance' distortion?

    python bench/diffusion_samplers.py [NAME] [--samples 1000] [--draws 3] [--steps 100] [--ddpm-steps 100]
                                       [--guidance 0.25 0.5] [--threads N]

The class-conditional model samples its own distribution ``p(x) = sum_y p(y) p(x | y)`` by drawing each label
from its training set's class shares and then a digit of that class with guidance ``w = 0``; the card's
``study.recognisable`` measures this at the default sampler (DDIM, ``sample_steps`` steps, ``bench/diffusion.py``),
and it is printed here as the reference row, not measured again. Weights left alone, this tries:

* **more DDIM steps** (Song et al. 2021, arXiv:2010.02502): a finer discretisation of the same deterministic
  reverse process;
* **the ancestral DDPM sampler** (η = 1, Ho et al. 2020, arXiv:2006.11239) on the same strided times: fresh
  noise at every step, which can correct errors a deterministic path carries along;
* **a little guidance** (Ho & Salimans 2022, arXiv:2207.12598), ``w`` in ``--guidance``: each class sharpened,
  so the samples no longer follow ``p(x)``; how much fidelity a small departure buys.

Each row: ``--draws`` seeds of ``--samples`` samples with the labels drawn as the card's rows draw them (seeds
0, 1, …), judged like ``bench/recognisable.py``: the share the book's classifier assigns to one digit with
probability ≥ 0.9 and ``KL(classes || uniform)``, mean over seeds [95 % Student-t interval]. Needs the
checkpoint's training labels (full MNIST on this machine for a full-MNIST model).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))     # bench/recognisable.py, the labels

import torch  # noqa: E402

from course_lib.checkpoint import CHECKPOINT_DIR  # noqa: E402
from course_lib.evaluator import coverage_over_draws, load_classifier  # noqa: E402
from course_lib.models.diffusion_task import load_diffusion  # noqa: E402
from course_lib.stats import row_interval  # noqa: E402
from recognisable import conditional_samples, training_label_shares  # noqa: E402


def settings(default_steps: int, steps: list[int], ddpm_steps: list[int],
             guidance: list[float]) -> list[tuple[str, dict[str, float | int]]]:
    """The rows to measure: ``(name, keyword arguments of conditional_samples)``."""
    rows: list[tuple[str, dict[str, float | int]]] = []
    rows += [(f"DDIM, {s} steps, w = 0", {"guidance": 0.0, "steps": s, "eta": 0.0}) for s in steps]
    rows += [(f"DDPM (eta = 1), {s} steps, w = 0", {"guidance": 0.0, "steps": s, "eta": 1.0}) for s in ddpm_steps]
    rows += [(f"DDIM, {default_steps} steps, w = {w:g}", {"guidance": w, "steps": default_steps, "eta": 0.0})
             for w in guidance]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", nargs="?", default="diffusion_full", help="a diffusion checkpoint (path or name)")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--draws", type=int, default=3)
    p.add_argument("--steps", type=int, nargs="*", default=[100], help="DDIM step counts (w = 0)")
    p.add_argument("--ddpm-steps", type=int, nargs="*", default=[100], help="DDPM step counts (w = 0)")
    p.add_argument("--guidance", type=float, nargs="*", default=[0.25, 0.5], help="weights at the default sampler")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.samples < 2 or args.draws < 2:
        p.error("need --samples >= 2 and --draws >= 2 (an interval needs two seeds)")
    if args.threads:
        torch.set_num_threads(args.threads)
    path = Path(args.checkpoint)
    model, card = load_diffusion(path if path.with_suffix(".json").is_file() else CHECKPOINT_DIR / args.checkpoint)
    shares = training_label_shares(card)
    classifier, _ = load_classifier()
    print(f"`{path.name}`: labels drawn from the training set's class shares; {args.draws} seeds × "
          f"{args.samples:,} samples; mean [95 % interval]\n")
    print("| sampler | recognisable | KL(classes ‖ uniform) | digits present (min over seeds) | s / image |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in card.get("study", {}).get("recognisable", {}).get("rows", []):
        if row["labels"] == "prior" and row["w"] == 0.0:
            sampler = "DDPM (eta = 1)" if row.get("sampler") == "ddpm" else "DDIM"
            print(f"| {sampler}, {row['steps']} steps, w = 0 (the card's row, {row['draws']} seeds) | "
                  f"{row_interval(row, 'recognisable').format(3)} | {row_interval(row, 'kl').format(3)} | "
                  f"{row['classes_present']} | {row['seconds_per_image']:.3f} |", flush=True)
    for name, kwargs in settings(model.sample_steps, args.steps, args.ddpm_steps, args.guidance):
        t0 = time.perf_counter()
        draws = [conditional_samples(model, args.samples, s, shares=shares, **kwargs) for s in range(args.draws)]
        sec = (time.perf_counter() - t0) / (args.samples * args.draws)
        rec, kl, present = coverage_over_draws(draws, classifier)
        print(f"| {name} | {rec.format(3)} | {kl.format(3)} | {present} | {sec:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
