"""How recognisable are the shipped generators' digits? The yardstick of issue 26's showcase models.

    python bench/recognisable.py [--samples 1000] [--draws 5] [--device auto] [--guidance W ...] [NAME ...]

For each generator checkpoint (the shipped ones by default, or the paths/names given), ``--draws`` seeds of
``--samples`` unconditional samples each; per seed, the share the book's classifier assigns to one digit with
probability at least ``RECOGNISABLE_AT`` (0.9), ``KL(classes || uniform)`` in nats and the digits present. The
table gives the mean over seeds with its 95 % Student-t interval (``stats.seed_interval``), beside the same share
for the real held-out digits (a Wilson interval), and whether each row meets issue 26's targets: recognisable
≥ 0.85 (DCGAN, diffusion) or ≥ 0.60 (VAE) **and** all ten digits with KL ≤ 0.05 — the KL goes beside the share
because the classifier is sure of things that are not digits (uniform noise: every image an "8", confidence 1).

``--guidance W`` adds, for each class-conditional checkpoint (the diffusion model), a row per weight ``W`` of
samples drawn with their labels given, the digits 0–9 in turn: ``W = 0`` is the conditional model without
guidance (the mixture over labels is a sample of the model's own distribution), ``W > 0`` classifier-free
guidance, which trades diversity for fidelity. With the labels given, the KL says whether the samples follow them.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.checkpoint import CHECKPOINT_DIR, read_card  # noqa: E402
from course_lib.data import load_offline_mnist  # noqa: E402
from course_lib.device import get_device  # noqa: E402
import torch  # noqa: E402

from course_lib.evaluator import load_any, sample_checkpoint  # noqa: E402
from course_lib.metrics import RECOGNISABLE_AT, class_coverage  # noqa: E402
from course_lib.models.classifier import load_classifier  # noqa: E402
from course_lib.registry import generator_kinds  # noqa: E402
from course_lib.stats import Interval, proportion_interval, seed_interval  # noqa: E402

#: issue 26's targets: the recognisable share by family (the card kind's prefix), and the coverage for all
TARGETS = {"dcgan": 0.85, "diffusion": 0.85, "vae": 0.60}
KL_TARGET = 0.05


def target_of(kind: str) -> float | None:
    return next((t for family, t in TARGETS.items() if family in kind), None)


def shipped_generators() -> list[Path]:
    kinds = set(generator_kinds())
    return [p.with_suffix("") for p in sorted(CHECKPOINT_DIR.glob("*.json"))
            if read_card(p.with_suffix("")).get("kind") in kinds]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="*", help="checkpoint paths or shipped names (default: every shipped generator)")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--draws", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--guidance", type=float, nargs="*", default=[],
                   help="also sample class-conditional models with their labels given, at these guidance weights")
    args = p.parse_args(argv)
    if args.samples < 1 or args.draws < 2:
        p.error("need --samples >= 1 and --draws >= 2 (an interval needs two seeds)")
    dev = get_device(args.device)
    classifier, _ = load_classifier(None, device=dev)
    paths = [Path(c) if Path(c).with_suffix(".json").is_file() else CHECKPOINT_DIR / c for c in args.checkpoints]
    paths = paths or shipped_generators()
    x_held, _ = load_offline_mnist("heldout")
    real = class_coverage(x_held, classifier, device=dev)
    k = round(real["recognisable"] * len(x_held))
    print(f"recognisable = classifier probability ≥ {RECOGNISABLE_AT} for one digit; {args.draws} seeds × "
          f"{args.samples:,} samples; mean [95 % interval]\n")
    print("| model | recognisable | KL(classes ‖ uniform) | digits present (min over seeds) | meets target |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| real held-out digits ({len(x_held):,}) | {proportion_interval(k, len(x_held)).format(3)} | "
          f"{real['kl_to_uniform']:.3f} | {real['classes_present']} | — |")
    for path in paths:
        kind = read_card(path)["kind"]
        covs = [class_coverage(sample_checkpoint(path, args.samples, seed=s, device=dev), classifier, device=dev)
                for s in range(args.draws)]
        rec, kl, present = summarise(covs)
        target = target_of(kind)
        verdict = "—" if target is None else (
            "yes" if rec.low >= target and kl.high <= KL_TARGET and present == 10
            else f"no (needs ≥ {target}, KL ≤ {KL_TARGET}, 10 digits)")
        print(f"| `{path.name}` ({kind}) | {rec.format(3)} | {kl.format(3)} | {present} | {verdict} |")
        if args.guidance and "diffusion" in kind:
            model, _ = load_any(path, device=dev)
            for w in args.guidance:
                covs = [class_coverage(conditional_samples(model, args.samples, s, w), classifier, device=dev)
                        for s in range(args.draws)]
                rec, kl, present = summarise(covs)
                print(f"| `{path.name}`, labels given, guidance w = {w:g} | {rec.format(3)} | {kl.format(3)} | "
                      f"{present} | — (labels given) |")
    return 0


def summarise(covs: list[dict]) -> tuple[Interval, Interval, int]:
    """One table row from the class coverage of each seed: the recognisable share and the KL, each with its
    interval over the seeds, and the fewest digits present."""
    rec = seed_interval([c["recognisable"] for c in covs], bounds=(0.0, 1.0))
    kl = seed_interval([c["kl_to_uniform"] for c in covs], bounds=(0.0, 10.0))
    return rec, kl, min(c["classes_present"] for c in covs)


def conditional_samples(model: torch.nn.Module, n: int, seed: int, guidance: float) -> torch.Tensor:
    """``n`` samples ``(n, 1, 28, 28)`` of a class-conditional model, labels 0–9 in turn, one generator seeded
    ``seed``, classifier-free guidance weight ``guidance``."""
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    labels = torch.arange(n, device=device) % 10
    return model.sample(n, generator=gen, y=labels, guidance=guidance).float()


if __name__ == "__main__":
    sys.exit(main())
