"""The quality table: measure checkpoints made by the command line, print Markdown, optionally update course_lib/studies/bench.json.

    python bench/quality.py --data full --classifier runs/classifier_full --vae runs/conv_vae_full \\
        [--dcgan runs/dcgan_full] [--diffusion runs/diffusion_full] [--update course_lib/studies/bench.json]

For the classifier: accuracy on the held-out digits (offline) or the 10,000 test digits (full). For each
generator: Fréchet distance of as many samples as there are held-out digits against the training digits,
the real-vs-real floor under the same protocol, class coverage of 10,000 samples, and for the VAE the held-out
negative ELBO (nats per image), its IWAE bound when the model card has one, and its held-out −ELBO after each
epoch (``<data>_mnist_vae_curves``); for the diffusion model its variational bound in bits per dimension on
evenly spaced held-out/test digits (``models.diffusion.likelihood_bound``, every t); and each generator's
training time from its card. Each row keeps the command from the checkpoint's model card.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.checkpoint import read_card  # noqa: E402
from course_lib.evaluator import evaluate_checkpoint  # noqa: E402


def diffusion_bound_row(path: str, data: str, held: str, n: int, device: str) -> tuple[str, str]:
    """The bound on ``n`` evenly spaced held-out/test digits, summed over every time t (bits per dimension)."""
    import torch

    from course_lib.evaluator import load_any
    from course_lib.data import load_mnist
    from course_lib.models.diffusion import likelihood_bound
    from course_lib.device import get_device

    model, _ = load_any(path, device=get_device(device))
    x_held, _ = load_mnist(data, "heldout")  # type: ignore[arg-type]
    idx = torch.linspace(0, len(x_held) - 1, n).round().long()
    lik = likelihood_bound(model, x_held[idx], generator=torch.Generator().manual_seed(2))
    return (f"{held} bound, {n} digits (bits/dim, 256 levels)",
            f"{lik['bits_per_dim']:.3f} ± {lik['bits_per_dim_se']:.3f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", choices=["offline", "full"], default="full")
    p.add_argument("--classifier", required=True)
    p.add_argument("--vae", action="append", default=[], help="a VAE checkpoint (repeat for several)")
    p.add_argument("--dcgan", default=None)
    p.add_argument("--diffusion", default=None, help="a diffusion checkpoint (chapter 7)")
    p.add_argument("--bound-images", type=int, default=200,
                   help="held-out/test digits for the diffusion model's bound (default 200)")
    p.add_argument("--device", default="auto")
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--update", default=None, help="course_lib/studies/bench.json (or another results file) to update (its 'full_mnist' or 'offline_mnist' rows)")
    args = p.parse_args(argv)

    rows = []
    clf = evaluate_checkpoint(args.classifier, data=args.data, device=args.device)
    card = read_card(args.classifier)
    held = "test" if args.data == "full" else "held-out"
    rows.append({"what": f"evaluator accuracy, {held} set ({clf['n']:,})", "value": f"{clf['accuracy']:.4f}",
                 "command": card.get("command")})
    labels = {"dcgan": "DCGAN", "conv_vae": "conv VAE", "deep_conv_vae": "deep conv VAE", "mlp_vae": "MLP VAE",
              "diffusion_unet": "diffusion"}
    res: dict = {}
    curves: dict[str, list[float]] = {}
    generators = ([("dcgan", args.dcgan)] * bool(args.dcgan) + [("vae", v) for v in args.vae]
                  + [("diffusion", args.diffusion)] * bool(args.diffusion))
    for name, path in generators:
        res = evaluate_checkpoint(path, evaluator=args.classifier, data=args.data, samples=args.samples,
                                  device=args.device)
        card = read_card(path)
        label = labels.get(card.get("kind", ""), card.get("kind", name))
        if name == "diffusion":
            label += f" (DDIM, {card['config']['sample_steps']} steps)"
        row = lambda what, value: rows.append({"what": f"{label} {what}", "value": value,  # noqa: E731
                                               "command": card.get("command")})
        n_fd, n_train = res["fd_samples"], res["fd_reference"]
        if name == "vae":
            row(f"{held} −ELBO, {card.get('epochs')} epochs (nats/image)", f"{res['heldout_neg_elbo_nats_per_image']:.2f}")
            hist = card.get("history", [])  # a list of per-epoch dicts (older cards: a dict of lists)
            curves[label] = (hist.get("eval_neg_elbo", []) if isinstance(hist, dict)
                             else [r["eval_neg_elbo"] for r in hist if "eval_neg_elbo" in r])
            for key, value in card.get("metrics", {}).items():
                if key.startswith("heldout_neg_iwae_k"):
                    k = key.removeprefix("heldout_neg_iwae_k").split("_")[0]
                    row(f"{held} −IWAE bound, k={k} (nats/image)", f"{value:.2f}")
        row(f"Fréchet distance ({n_fd:,} vs {n_train:,} train)", f"{res['fd']:.1f}")
        row(f"KL(classes ‖ uniform), {args.samples:,} samples", f"{res['kl_to_uniform']:.4f}")
        row("digits present", str(res["classes_present"]))
        row(f"recognisable (classifier p ≥ {res['recognisable_at']}), {args.samples:,} samples",
            f"{res['recognisable']:.3f}")
        if name == "diffusion":
            row(*diffusion_bound_row(path, args.data, held, args.bound_images, args.device))
        row(f"training time, {card['epochs']} epochs on {card['device']} (minutes)", f"{card['wall_time_s'] / 60:.0f}")
    if res:
        rows.append({"what": f"real-vs-real floor ({n_fd:,} vs {n_train:,} train)",
                     "value": f"{res['fd_floor_real_vs_real']:.1f}", "command": "held-out / test digits vs training digits"})
    print("| measurement | value | command |")
    print("| --- | ---: | --- |")
    for r in rows:
        print(f"| {r['what']} | {r['value']} | `{r['command']}` |")
    if args.update:
        path = Path(args.update)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        key = f"{args.data}_mnist"
        new = {r["what"]: r for r in rows}
        old = [new.pop(r["what"], r) for r in data.get(key, [])]       # replace rows in place, keep the order
        floor = [r for r in old if r["what"].startswith("real-vs-real")]
        data[key] = [r for r in old if r not in floor] + list(new.values()) + floor    # the floor stays last
        if curves:  # held-out −ELBO after each epoch, from the model cards
            data[f"{key}_vae_curves"] = {**data.get(f"{key}_vae_curves", {}), **curves}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
