"""Can a different sampler lift a trained DCGAN's recognisable share? Two cheap ones, on one checkpoint.

    python bench/gan_samplers.py [NAME] [--samples 1000] [--draws 5] [--psi 0.7 0.5] [--keep 0.5 0.25]

The VAE showcase reached its bar by changing what it samples from, not how it was trained (a prior fitted
after training). This asks the same of a GAN, with the generator's weights left alone:

* **truncation** (Brock et al. 2019, arXiv:1809.11096): every entry of ``z`` beyond ``±psi`` is drawn again, so
  ``z`` stays near the mode of ``N(0, I)`` — fidelity bought with diversity, in models trained for it;
* **keeping what the discriminator prefers** (a crude discriminator rejection sampling, Azadi et al. 2019,
  arXiv:1810.06758): draw ``samples / keep`` images, score them in the discriminator's packs, keep the packs with
  the largest logits. At the game's optimum the logit is ``log p_data / p_g`` of the pack, so keeping the best
  packs moves the samples towards the data — if the discriminator still tells anything apart.

For each row, ``--draws`` seeds of ``--samples`` images, judged like ``bench/recognisable.py``: the share the book's
classifier assigns to one digit with probability >= 0.9 and ``KL(classes || uniform)``, mean over seeds
[95 % Student-t interval].
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from course_lib.checkpoint import CHECKPOINT_DIR  # noqa: E402
from course_lib.evaluator import coverage_over_draws, load_classifier  # noqa: E402
from course_lib.models.dcgan import DCGAN, load_dcgan  # noqa: E402


def truncated_normal(n: int, dim: int, psi: float, gen: torch.Generator) -> torch.Tensor:
    """``(n, dim)`` standard normal entries, each redrawn until ``|z| <= psi`` (the truncation trick)."""
    if psi <= 0:
        raise ValueError(f"psi must be > 0, got {psi}")
    z = torch.randn(n, dim, generator=gen)
    while (far := z.abs() > psi).any():
        z[far] = torch.randn(int(far.sum()), generator=gen)
    return z


@torch.no_grad()
def truncated_samples(model: DCGAN, n: int, psi: float, seed: int) -> torch.Tensor:
    g = model.sampling_generator.eval()
    return g(truncated_normal(n, g.z_dim, psi, torch.Generator().manual_seed(seed)))


@torch.no_grad()
def preferred_samples(model: DCGAN, n: int, keep: float, seed: int) -> torch.Tensor:
    """``n`` of ``n / keep`` samples: the packs with the largest discriminator logits."""
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    pack = model.discriminator.pack
    drawn = model.sample(pack * round(n / keep / pack), generator=torch.Generator().manual_seed(seed))
    logits = model.discriminator.eval()(drawn)
    best = logits.argsort(descending=True)[: -(-n // pack)]
    return drawn.view(-1, pack, *drawn.shape[1:])[best].reshape(-1, *drawn.shape[1:])[:n]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", nargs="?", default="dcgan_full_deep", help="a DCGAN checkpoint (path or shipped name)")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--draws", type=int, default=5)
    p.add_argument("--psi", type=float, nargs="*", default=[0.7, 0.5])
    p.add_argument("--keep", type=float, nargs="*", default=[0.5, 0.25])
    args = p.parse_args(argv)
    if args.samples < 2 or args.draws < 2:
        p.error("need --samples >= 2 and --draws >= 2 (an interval needs two seeds)")
    path = Path(args.checkpoint)
    model, _ = load_dcgan(path if path.with_suffix(".json").is_file() else CHECKPOINT_DIR / args.checkpoint)
    classifier, _ = load_classifier()
    seeds = range(args.draws)
    rows = [("z from N(0, I)", [model.sample(args.samples, generator=torch.Generator().manual_seed(s)) for s in seeds])]
    rows += [(f"truncated, psi = {psi:g}", [truncated_samples(model, args.samples, psi, s) for s in seeds])
             for psi in args.psi]
    rows += [(f"best {keep:.0%} by the discriminator", [preferred_samples(model, args.samples, keep, s) for s in seeds])
             for keep in args.keep]
    print(f"`{path.name}`: {args.draws} seeds × {args.samples:,} samples; mean [95 % interval]\n")
    print("| sampler | recognisable | KL(classes ‖ uniform) | digits present (min over seeds) |")
    print("| --- | ---: | ---: | ---: |")
    for name, draws in rows:
        rec, kl, present = coverage_over_draws(draws, classifier)
        print(f"| {name} | {rec.format(3)} | {kl.format(3)} | {present} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
