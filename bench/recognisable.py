"""How recognisable are the shipped generators' digits? The yardstick of issue 26's showcase models.

    python bench/recognisable.py [--samples 1000] [--draws 5] [--device auto] [--guidance W ...]
                                 [--labels turn|prior] [NAME ...]

For each generator checkpoint (the shipped ones by default, or the paths/names given), ``--draws`` seeds of
``--samples`` unconditional samples each; per seed, the share the book's classifier assigns to one digit with
probability at least ``RECOGNISABLE_AT`` (0.9), ``KL(classes || uniform)`` in nats and the digits present. The
table gives the mean over seeds with its 95 % Student-t interval (``stats.seed_interval``), beside the same share
for the real held-out digits (a Wilson interval), and whether each row meets issue 26's targets: recognisable
≥ 0.85 (DCGAN, diffusion) or ≥ 0.60 (VAE) **and** all ten digits with KL ≤ 0.05 — the KL goes beside the share
because the classifier is sure of things that are not digits (uniform noise: every image an "8", confidence 1).

``--guidance W`` adds, for each class-conditional checkpoint (the diffusion model), a row per weight ``W`` of
samples drawn with their labels given: ``W = 0`` is the conditional model without guidance, ``W > 0``
classifier-free guidance, which trades diversity for fidelity. ``--labels turn`` (default) gives the digits 0–9
in turn, and the KL then says only whether the samples follow them; ``--labels prior`` draws each label at random
from the class shares of the checkpoint's own training set (``training_label_shares``), so that at ``W = 0`` the
samples are a sample of the model's marginal ``p(x) = sum_y p(y) p(x | y)`` and the KL means what it means for
an unconditional model.

For a VAE with a fitted mixture prior (``--prior-components``), a second row samples the same decoder from
``N(0, I)``, the prior it was trained with. ``--update`` writes each checkpoint's rows into its card
(``study.recognisable``: the rows, the protocol and the command), where the notebooks read them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.checkpoint import CHECKPOINT_DIR, read_card  # noqa: E402
from course_lib.data import load_mnist, load_offline_mnist  # noqa: E402
from course_lib.device import get_device  # noqa: E402
import torch  # noqa: E402

from course_lib.evaluator import SHOWCASE_KL_BAR, load_any, meets_bar, sample_checkpoint, showcase_bar  # noqa: E402
from course_lib.metrics import RECOGNISABLE_AT, class_coverage, coverage_over_draws  # noqa: E402
from course_lib.models.classifier import load_classifier  # noqa: E402
from course_lib.registry import generator_kinds  # noqa: E402
from course_lib.stats import Interval, interval_row, proportion_interval  # noqa: E402


def shipped_generators() -> list[Path]:
    kinds = set(generator_kinds())
    return [p.with_suffix("") for p in sorted(CHECKPOINT_DIR.glob("*.json"))
            if read_card(p.with_suffix("")).get("kind") in kinds]


def coverage_row(prior: str, rec: Interval, kl: Interval, present: int, draws: int,
                 samples: int) -> dict[str, object]:
    """One row of a card's ``study.recognisable``: the share and the KL with their intervals, at full precision
    (``stats.interval_row``: rounded only where the book prints them)."""
    return {"prior": prior, "samples": samples, **interval_row(rec, "recognisable"), **interval_row(kl, "kl"),
            "classes_present": present, "draws": draws}


def write_study(path: Path, rows: list[dict[str, object]], args: argparse.Namespace, argv: list[str] | None) -> None:
    """Put ``rows`` into the card of ``path`` as ``study.recognisable`` (the rest of the card untouched)."""
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    command = "python bench/recognisable.py " + " ".join(argv if argv is not None else sys.argv[1:])
    card.setdefault("study", {})["recognisable"] = {
        "protocol": f"{args.draws} draws of {args.samples} samples (seeds 0, 1, ...), classifier_offline; "
                    f"recognisable: probability >= {RECOGNISABLE_AT} for one digit; mean [95 % Student-t interval]",
        "rows": rows, "command": command}
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="*",
                   help="checkpoint paths or shipped names (default: every shipped generator)")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--draws", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--guidance", type=float, nargs="*", default=[],
                   help="also sample class-conditional models with their labels given, at these guidance weights")
    p.add_argument("--update", action="store_true",
                   help="write each checkpoint's rows into its model card (study.recognisable)")
    p.add_argument("--labels", choices=["turn", "prior"], default="turn",
                   help="the labels given: the digits 0-9 in turn (default), or drawn from the training set's "
                        "class shares")
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
        draws = [sample_checkpoint(path, args.samples, seed=s, device=dev) for s in range(args.draws)]
        rec, kl, present = coverage_over_draws(draws, classifier, device=dev)
        bar = showcase_bar(kind)
        verdict = "—" if bar is None else (
            "yes" if meets_bar(rec, kl, present, bar) else f"no (needs ≥ {bar}, KL ≤ {SHOWCASE_KL_BAR}, 10 digits)")
        print(f"| `{path.name}` ({kind}) | {rec.format(3)} | {kl.format(3)} | {present} | {verdict} |")
        rows = [coverage_row("model's prior", rec, kl, present, args.draws, args.samples)]
        model, card = load_any(path, device=dev)
        if getattr(model, "prior", None) is not None:   # a VAE with a fitted mixture: the same decoder on N(0, I)
            draws = [model.sample(args.samples, generator=torch.Generator(device=dev).manual_seed(s),
                                  standard_prior=True) for s in range(args.draws)]
            rec, kl, present = coverage_over_draws(draws, classifier, device=dev)
            print(f"| `{path.name}`, the same decoder on N(0, I) | {rec.format(3)} | {kl.format(3)} | {present} | "
                  f"— (the prior it was trained with) |")
            rows.append(coverage_row("N(0, I)", rec, kl, present, args.draws, args.samples))
        if args.update and "diffusion" in kind:
            print(f"(`{path.name}`: not written; a diffusion model's study.recognisable is bench/diffusion.py's)")
        elif args.update:
            write_study(path, rows, args, argv)
        if args.guidance and "diffusion" in kind:
            shares = training_label_shares(card) if args.labels == "prior" else None
            given = "labels drawn from the training shares" if shares is not None else "labels given (0–9 in turn)"
            for w in args.guidance:
                draws = [conditional_samples(model, args.samples, s, w, shares) for s in range(args.draws)]
                rec, kl, present = coverage_over_draws(draws, classifier, device=dev)
                print(f"| `{path.name}`, {given}, guidance w = {w:g} | {rec.format(3)} | {kl.format(3)} | "
                      f"{present} | — (labels given) |")
    return 0


def training_label_shares(card: dict) -> torch.Tensor:
    """The class shares ``(10,)`` of the labels of the training set a checkpoint's card names (offline or full
    MNIST; full MNIST must be on this machine, it is never downloaded here)."""
    if card.get("data_source") == "full":
        _, y = load_mnist("full", "train", download=False)
    else:
        _, y = load_mnist("offline", "train")
    counts = torch.bincount(y, minlength=10).double()
    return counts / counts.sum()


def conditional_samples(model: torch.nn.Module, n: int, seed: int, guidance: float,
                        shares: torch.Tensor | None = None, **sample_kwargs: object) -> torch.Tensor:
    """``n`` samples ``(n, 1, 28, 28)`` of a class-conditional model, one generator seeded ``seed``,
    classifier-free guidance weight ``guidance``. The labels: 0–9 in turn, or, with ``shares`` ``(10,)``, drawn at
    random from them (by a CPU generator seeded ``seed``, so that the labels are the same on every device)."""
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    if shares is None:
        labels = torch.arange(n) % 10
    else:
        labels = torch.multinomial(shares, n, replacement=True, generator=torch.Generator().manual_seed(seed))
    return model.sample(n, generator=gen, y=labels.to(device), guidance=guidance, **sample_kwargs).float()


if __name__ == "__main__":
    sys.exit(main())
