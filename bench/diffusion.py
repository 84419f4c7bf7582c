"""Chapter 7's measurements of a diffusion checkpoint, written into its model card (key ``"study"``).

    python bench/diffusion.py course_lib/checkpoints/diffusion_offline [--threads 1]

On chapter 5's ruler (classifier-feature Fréchet distance of 1,000 samples against the 4,000 training digits,
class coverage of the same samples, by the shipped ``classifier_offline``):

* ``sampling``: DDIM (η = 0, deterministic) and the DDPM ancestral sampler (η = 1, the same strided times)
  with 10, 20, 50 and 100 network evaluations; unconditional samples; seconds per image on this machine;
  with ``--investigate S``, also η = 0.5 and both samplers without clipping x̂₀ to [−1, 1], at S steps;
* ``guidance``: classifier-free guidance weight w against FD and per-class accuracy (the classifier agrees
  with the requested label) of 1,000 conditional samples, 100 per digit, DDIM with 20 steps;

Every FD and KL is measured on ``--draws`` independent sets of samples (seeds 0, 1, …; default 3): a row holds
their mean, Student's t 95% interval over the draws (``fd_low``, ``fd_high``) and each draw's value
(``course_lib.evaluator.frechet_over_draws``), so that the chapters compare settings only where intervals separate.
* ``class_mix``: why unconditional samples are so much farther from the training digits than conditional ones
  (DDIM, 20 steps): the FD of real held-out digits as they are, resampled (with replacement) 100 per digit, and
  resampled with the class mix the classifier finds in the unconditional samples; of the unconditional samples
  as drawn and resampled 100 per predicted digit; of the conditional samples at w = 0 (100 per digit). The same
  seeds as the ``sampling`` DDIM-20 row and the ``guidance`` w = 0 row, so those sets are the same images.
* ``recognisable``: issue 26's yardstick at the model's default sampler (DDIM, ``sample_steps``): the share of
  1,000 samples the classifier assigns to one digit with probability ≥ 0.9 and KL(classes ‖ uniform), each over
  ``--draws`` seeds with its interval (``metrics.coverage_over_draws``), for the unconditional samples (the null
  class) and for samples whose labels are drawn from the training set's class shares, at guidance w = 0 (the
  model's marginal p(x) = Σ_y p(y) p(x | y)) and w = 1. Needs the checkpoint's training labels (full MNIST on this
  machine for a full-MNIST model). With ``--ancestral S``, the DDPM sampler (η = 1) at S steps instead, for the
  null class and labels drawn at w = 0; those rows join the card's rows of the default sampler.
* ``likelihood``: the variational bound on held-out digits (MNIST's test digits for a full-MNIST model) in nats
  per image and bits per dimension, with the discretised Gaussian decoder on the 256 grey levels
  (``models.diffusion.likelihood_bound``: the sum over every t = 2..T by default, its standard error over the
  images).
* ``timing``: the ``seconds_per_image`` of every ``sampling`` row, timed apart from its quality: each sampler
  alone on ``--time-images`` images (default 200) after a warm-up, so that the clock counts the sampler only (run
  it with nothing else on the machine). Without it a row keeps the sampling part's own clock.

The 1,000 DDIM samples of the default sampler (its first draw, seed 0, by the ``sampling`` or the ``recognisable``
part) are saved beside the checkpoint (``NAME.samples.safetensors``,
uint8) for chapter 5's side-by-side table. The notebook (chapter 7) prints these numbers from the card; they take
minutes on a CPU.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))     # bench/recognisable.py, the yardstick's labels

from course_lib.evaluator import load_any  # noqa: E402
from course_lib.data import load_mnist, load_offline_mnist  # noqa: E402
from course_lib.evaluator import (FrechetToReference, class_coverage, coverage_over_draws,  # noqa: E402
                                  frechet_over_draws, load_classifier, predict)
from recognisable import conditional_samples, training_label_shares  # noqa: E402
from course_lib.stats import interval_row, seed_interval  # noqa: E402
from course_lib.models.diffusion import likelihood_bound  # noqa: E402

STEPS = (10, 20, 50, 100)
GUIDANCE = (0.0, 1.0, 3.0)


def save_samples(checkpoint: str, x: torch.Tensor) -> None:
    """Keep the default sampler's first draw ``(n, 1, 28, 28)`` beside the checkpoint, as uint8 (chapter 5's table)."""
    images = (x * 255).round().to(torch.uint8)[:, 0]
    save_file({"images": images}, str(Path(checkpoint).with_suffix(".samples.safetensors")))


def merge_rows(study: dict, old: dict, part: str, *, key: Callable[[dict], tuple], order: Callable[[dict], tuple],
               keep: Callable[[dict], bool] = lambda r: True) -> None:
    """Put the card's ``old[part]`` rows whose ``key`` was not measured now (and that ``keep`` accepts) beside this
    run's ``study[part]`` rows, sorted by ``order`` (nothing to do where either side lacks the part)."""
    if part not in study or part not in old:
        return
    mine = {key(r) for r in study[part]["rows"]}
    kept = [r for r in old[part]["rows"] if key(r) not in mine and keep(r)]
    study[part]["rows"] = sorted(kept + study[part]["rows"], key=order)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--n", type=int, default=1000, help="samples per setting (default 1000)")
    p.add_argument("--vlb-images", type=int, default=200, help="held-out digits for the bound (default 200)")
    p.add_argument("--vlb-times", type=int, default=None,
                   help="random times t for the bound (default: every t = 2..T, no sampling error in t)")
    p.add_argument("--only", choices=["sampling", "guidance", "class_mix", "recognisable", "likelihood", "timing"],
                   action="append", default=None)
    p.add_argument("--steps", type=int, action="append", default=None,
                   help="sampling steps to measure (repeatable; default 10, 20, 50, 100); rows of other steps are kept")
    p.add_argument("--draws", type=int, default=3, help="independent sample sets per setting (default 3)")
    p.add_argument("--ancestral", type=int, default=None, metavar="S",
                   help="recognisable part: measure the DDPM sampler (eta = 1) at S steps instead of the default "
                        "sampler, for the null class and labels drawn at w = 0 (other rows kept)")
    p.add_argument("--time-images", type=int, default=200, help="images per sampler for the timing part (default 200)")
    p.add_argument("--investigate", type=int, action="append", default=[],
                   help="at these step counts also measure eta = 0.5 and both samplers without clipping")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, card = load_any(args.checkpoint)
    clf, _ = load_classifier(None)
    x_train, _ = load_offline_mnist("train")
    x_held, _ = load_offline_mnist("heldout")
    study: dict = {}
    parts = args.only or ["sampling", "guidance", "class_mix", "recognisable", "likelihood", "timing"]
    protocol = f"{args.n} samples vs {len(x_train)} training digits, classifier_offline features"

    to_train = FrechetToReference(x_train, clf)

    def measure(sample, seed: int) -> dict:
        """FD, KL and classes over ``args.draws`` draws ``sample(n, seed + d)``; the first draw is returned too."""
        kept: dict = {}

        def draw(n: int, s: int) -> torch.Tensor:
            x = sample(n, s)
            kls.append(class_coverage(x, clf))
            kept.setdefault("first", x)
            return x

        kls: list[dict] = []
        fd, fds = frechet_over_draws(draw, to_train, n=args.n, draws=args.draws, seed=seed)
        kl = seed_interval([c["kl_to_uniform"] for c in kls], bounds=(0.0, math.log(10)))
        return {**interval_row(fd, "fd"), "fd_draws": [float(v) for v in fds], **interval_row(kl, "kl"),
                "classes_present": min(c["classes_present"] for c in kls), "draws": args.draws}, kept["first"]

    if "sampling" in parts:
        rows = []
        settings = [(steps, eta, True) for steps in args.steps or STEPS for eta in (0.0, 1.0)]
        settings += [(steps, eta, clip) for steps in args.investigate
                     for eta, clip in ((0.5, True), (0.0, False), (1.0, False))]
        for steps, eta, clip in settings:
            name = {0.0: "ddim", 1.0: "ddpm"}.get(eta, f"eta={eta:g}")
            t0 = time.perf_counter()

            def sample(n: int, seed: int) -> torch.Tensor:
                return model.sample(n, generator=torch.Generator().manual_seed(seed), steps=steps, eta=eta,
                                    clip=1.0 if clip else None)

            m, x = measure(sample, 0)
            sec = (time.perf_counter() - t0) / (args.n * args.draws)
            rows.append({"sampler": name, "eta": eta, "steps": steps, "clip": clip, **m,
                         "seconds_per_image": round(sec, 4)})
            if name == "ddim" and clip and steps == model.sample_steps:   # the evaluate protocol's samples: keep them
                save_samples(args.checkpoint, x)
            print(rows[-1], flush=True)
        study["sampling"] = {"protocol": protocol, "rows": rows,
                             "machine": f"cpu ({torch.get_num_threads()} threads)"}
    if "guidance" in parts:
        rows = []
        y = torch.arange(10).repeat_interleave(args.n // 10)
        for w in GUIDANCE:
            def sample(n: int, seed: int) -> torch.Tensor:
                return model.sample(len(y), generator=torch.Generator().manual_seed(seed), steps=20, y=y, guidance=w)

            m, x = measure(sample, 1)
            pred = predict(clf, x)
            acc = [float((pred[y == k] == k).float().mean()) for k in range(10)]
            rows.append({"w": w, **m, "accuracy": float((pred == y).float().mean()),
                         "per_class_accuracy": acc})
            print(rows[-1], flush=True)
        study["guidance"] = {"protocol": protocol + f"; {args.n // 10} per digit, DDIM 20 steps", "rows": rows}
    if "class_mix" in parts:
        y10 = torch.arange(10).repeat_interleave(args.n // 10)
        y_held = load_offline_mnist("heldout")[1]

        def resample(x: torch.Tensor, labels: torch.Tensor, counts: list[int], seed: int) -> torch.Tensor:
            """``counts[k]`` images of class k drawn with replacement from those of ``x`` labelled k."""
            g = torch.Generator().manual_seed(seed)
            parts_k = []
            for k, c in enumerate(counts):
                pool = (labels == k).nonzero().flatten()
                if c and not len(pool):
                    raise ValueError(f"no image of class {k} to resample from")
                parts_k.append(pool[torch.randint(len(pool), (c,), generator=g)])
            return x[torch.cat(parts_k)]

        names = ("real_heldout", "real_balanced", "real_with_unconditional_mix", "unconditional",
                 "unconditional_rebalanced", "conditional_w0")
        fds: dict[str, list[float]] = {k: [] for k in names}
        kls = []
        for d in range(args.draws):
            u = model.sample(args.n, generator=torch.Generator().manual_seed(d), steps=20, eta=0.0, clip=1.0)
            c = model.sample(len(y10), generator=torch.Generator().manual_seed(1 + d), steps=20, y=y10, guidance=0.0)
            pred_u = predict(clf, u).cpu()
            counts_u = torch.bincount(pred_u, minlength=10).tolist()
            kls.append(class_coverage(u, clf)["kl_to_uniform"])
            sets = {"real_heldout": x_held,
                    "real_balanced": resample(x_held, y_held, [args.n // 10] * 10, 100 + d),
                    "real_with_unconditional_mix": resample(x_held, y_held, counts_u, 200 + d),
                    "unconditional": u,
                    "unconditional_rebalanced": resample(u, pred_u, [args.n // 10] * 10, 300 + d),
                    "conditional_w0": c}
            for k, x in sets.items():
                fds[k].append(to_train(x))
            print(d, {k: round(v[-1], 2) for k, v in fds.items()}, counts_u, flush=True)
        rows = []
        for k in names:
            iv = seed_interval(fds[k])
            rows.append({"set": k, **interval_row(iv, "fd"), "fd_draws": [float(v) for v in fds[k]]})
        kl = seed_interval(kls, bounds=(0.0, math.log(10)))
        study["class_mix"] = {"protocol": protocol + "; DDIM 20 steps; resampling with replacement within each "
                              "class (held-out digits by their labels, unconditional samples by the classifier's)",
                              "rows": rows, "draws": args.draws,
                              "unconditional_kl_to_uniform": float(kl.estimate)}
    if "likelihood" in parts:
        # held out from the model's own training set: a full-MNIST model trained on the offline digits too (they
        # are MNIST training digits), so its bound is taken on MNIST's test digits
        is_full = card.get("data_source") == "full"
        x_bound = load_mnist("full", "test", download=False)[0] if is_full else x_held
        idx = torch.linspace(0, len(x_bound) - 1, args.vlb_images).round().long()
        lik = likelihood_bound(model, x_bound[idx], times=args.vlb_times, generator=torch.Generator().manual_seed(2))
        study["likelihood"] = {"digits": "MNIST test" if is_full else "offline held-out",
                               **{k: v for k, v in lik.items() if isinstance(v, float)},
                               "images": lik["images"], "times": lik["times"], "unconditional": True,
                               "terms_nats": dict(lik["terms_nats"]),
                               "decoder": lik["decoder"]}
        print(study["likelihood"], flush=True)
    if "recognisable" in parts:
        shares = training_label_shares(card)
        rows = []
        # the default sampler (DDIM, sample_steps), or with --ancestral S the DDPM sampler at S steps (eta = 1)
        eta, steps = (1.0, args.ancestral) if args.ancestral else (0.0, model.sample_steps)
        settings = ((None, None), ("prior", 0.0)) if args.ancestral else ((None, None), ("prior", 0.0), ("prior", 1.0))
        for labels, w in settings:
            t0 = time.perf_counter()
            if labels is None:   # the default sampler, seeds 0, 1, ...: the sampling part's DDIM row's first draw
                draws = [model.sample(args.n, generator=torch.Generator().manual_seed(s), steps=steps, eta=eta)
                         for s in range(args.draws)]
                if not args.ancestral:
                    save_samples(args.checkpoint, draws[0])
            else:
                draws = [conditional_samples(model, args.n, s, w, shares, steps=steps, eta=eta)
                         for s in range(args.draws)]
            cov = coverage_over_draws(draws, clf)
            rec, kl = cov.recognisable, cov.kl_to_uniform
            sec = (time.perf_counter() - t0) / (args.n * args.draws)
            rows.append({"labels": labels, "w": w, "sampler": "ddpm" if eta else "ddim", "eta": eta, "steps": steps,
                         **interval_row(rec, "recognisable"), **interval_row(kl, "kl"), "classes_present": cov.classes_present,
                         "draws": args.draws, "seconds_per_image": round(sec, 4)})
            print(rows[-1], flush=True)
        study["recognisable"] = {"protocol": f"{args.n} samples per draw, DDIM {model.sample_steps} steps unless "
                                             "the row says otherwise (sampler, eta, steps), classifier_offline; labels "
                                             "'prior': drawn from the training set's class shares",
                                 "prior": [float(v) for v in shares], "rows": rows,
                                 "machine": f"cpu ({torch.get_num_threads()} threads)"}
    if "timing" in parts:
        # each sampling row's seconds per image, timed apart from its quality measurement: alone, after a warm-up
        # (the quality part's own clock also counts the classifier, and whatever else shares the machine)
        sampling = study.get("sampling") or \
            json.loads(Path(args.checkpoint).with_suffix(".json").read_text(encoding="utf-8"))["study"]["sampling"]
        for r in sampling["rows"]:
            def run(n: int) -> None:
                model.sample(n, generator=torch.Generator().manual_seed(0), steps=r["steps"], eta=r["eta"],
                             clip=1.0 if r.get("clip", True) else None)

            run(4)
            t0 = time.perf_counter()
            run(args.time_images)
            r["seconds_per_image"] = round((time.perf_counter() - t0) / args.time_images, 4)
            print(r["sampler"], r["steps"], r.get("clip", True), r["seconds_per_image"], flush=True)
        study["sampling"] = sampling
        sampling["timing"] = {
            "images": args.time_images, "machine": f"cpu ({torch.get_num_threads()} threads)",
            "how": "each sampler alone after a 4-image warm-up; the rows' other measures are the sampling part's"}
    # read the card again just before writing: several runs (e.g. --only sampling / --only guidance) may share it
    card_path = Path(args.checkpoint).with_suffix(".json")
    full = json.loads(card_path.read_text(encoding="utf-8"))
    old = full.get("study", {})
    # rows measured here replace the card's rows of the same setting; the card's other rows are kept
    merge_rows(study, old, "recognisable", key=lambda r: (r["labels"], r["w"], r.get("eta", 0.0), r["steps"]),
               order=lambda r: (r.get("eta", 0.0), r["steps"], r["labels"] is not None, r["w"] or 0.0))
    merge_rows(study, old, "sampling", key=lambda r: (r["sampler"], r["steps"], r.get("clip", True)),
               order=lambda r: (r["steps"], r["eta"], not r.get("clip", True)),
               keep=lambda r: "fd_draws" in r)          # old single-draw rows go
    commands = dict(old.get("measured_by", {}))
    for part in parts:   # rows measured here replace every row of that part made by another command
        if not (part == "sampling" and args.steps or part == "recognisable" and args.ancestral):
            # (the default recognisable rows do not replace the ancestral sampler's: their command stays)
            commands = {k: v for k, v in commands.items() if part not in k.split(" ")[0].split(",")
                        or part == "recognisable" and " ancestral " in k}
    label = ",".join(parts) + ("" if not args.steps else " steps " + ",".join(map(str, args.steps))) + (
        "" if not args.ancestral else f" ancestral {args.ancestral}")
    commands[label] = "python bench/diffusion.py " + " ".join(argv if argv is not None else sys.argv[1:])
    full["study"] = {**old, **study, "measured_by": commands}
    card_path.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
