"""The quality table: measure checkpoints made by the command line, print Markdown, optionally update results.json.

    python bench/quality.py --data full --classifier runs/classifier_full --vae runs/conv_vae_full \\
        [--dcgan runs/dcgan_full] [--update bench/results.json]

For the classifier: accuracy on the held-out digits (offline) or the 10,000 test digits (full). For each
generator: Fréchet distance of as many samples as there are held-out digits against the training digits,
the real-vs-real floor under the same protocol, class coverage of 10,000 samples, and for the VAE the held-out
negative ELBO (nats per image). Each row keeps the command from the checkpoint's model card.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.checkpoint import read_card  # noqa: E402
from course_lib.cli import evaluate_checkpoint  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", choices=["offline", "full"], default="full")
    p.add_argument("--classifier", required=True)
    p.add_argument("--vae", default=None)
    p.add_argument("--dcgan", default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--update", default=None, help="results.json to update (its 'full_mnist' or 'offline_mnist' rows)")
    args = p.parse_args(argv)

    rows = []
    clf = evaluate_checkpoint(args.classifier, data=args.data, device=args.device)
    card = read_card(args.classifier)
    part = "test set (10,000)" if args.data == "full" else "held-out digits (1,000)"
    rows.append({"what": f"evaluator accuracy, {args.data} MNIST {part}", "value": f"{clf['accuracy']:.4f}",
                 "command": card.get("command")})
    for name in ("dcgan", "vae"):
        path = getattr(args, name)
        if not path:
            continue
        res = evaluate_checkpoint(path, evaluator=args.classifier, data=args.data, samples=args.samples,
                                  device=args.device)
        card = read_card(path)
        label = "DCGAN" if name == "dcgan" else "conv VAE"
        if name == "vae":
            rows.append({"what": f"{label} held-out −ELBO (nats/image), {args.data} MNIST",
                         "value": f"{res['heldout_neg_elbo']:.2f}", "command": card.get("command")})
        rows.append({"what": f"{label} Fréchet distance ({res['fd_protocol']})", "value": f"{res['fd']:.1f}",
                     "command": card.get("command")})
        rows.append({"what": f"{label} KL(class histogram ‖ uniform), {args.samples} samples",
                     "value": f"{res['kl_to_uniform']:.4f}", "command": card.get("command")})
        rows.append({"what": f"{label} digits present", "value": str(res["classes_present"]),
                     "command": card.get("command")})
        floor = res["fd_floor_real_vs_real"]
    if args.dcgan or args.vae:
        rows.append({"what": f"real-vs-real floor ({res['fd_protocol']})", "value": f"{floor:.1f}",
                     "command": "held-out / test digits vs training digits"})
    print("| measurement | value | command |")
    print("| --- | ---: | --- |")
    for r in rows:
        print(f"| {r['what']} | {r['value']} | `{r['command']}` |")
    if args.update:
        path = Path(args.update)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        key = f"{args.data}_mnist"
        keep = [r for r in data.get(key, []) if r["what"] not in {x["what"] for x in rows}]
        data[key] = keep + rows
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
