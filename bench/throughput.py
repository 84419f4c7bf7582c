"""Training throughput (images per second): course_lib's loops against a pytorch/examples-style baseline.

    python bench/throughput.py                       # CPU here; the GPU when there is one (device auto)
    python bench/throughput.py --device cpu --threads 1 --models mlp_vae,conv_vae,dcgan

For each model the same network, the same loss, the same batch size and the same optimiser are trained two
ways, side by side on the same machine (runs alternate A, B, A, B, ...; the median of ``--repeats`` is shown):

* **course_lib**: the library's own loop (``course_lib.models.vae.train_vae``, ``course_lib.models.dcgan.train_dcgan``)
  — the images live on the device as one float tensor, minibatches are drawn by index on the device, bf16
  autocast on CUDA; the VAE loop's own optimiser, a fused Adam (``course_lib.optim.make_optimizer``). A third column
  runs the same course_lib loop with PyTorch's default (for-loop) Adam, so the table shows how much of the
  gain is the data path and how much the optimiser step;
* **baseline**: the loop as pytorch/examples writes it — a ``Dataset`` whose ``__getitem__`` turns one stored
  ``uint8`` image into a PIL image and applies a per-item ``ToTensor`` transform (this reproduces
  ``torchvision.datasets.MNIST`` + ``transforms.ToTensor()`` without needing torchvision), a
  ``DataLoader(shuffle=True)`` that collates the items, ``.to(device)`` per batch, float32 throughout
  (``num_workers=1, pin_memory=True`` on CUDA as in pytorch/examples' VAE; no workers on the CPU).

Timing covers whole epochs over ``--steps`` minibatches (data handling included); the first run of each
loop is a warm-up and is not counted. The table is printed as Markdown.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.models.dcgan import make_dcgan, train_dcgan  # noqa: E402
from course_lib.device import describe_device, get_device  # noqa: E402
from course_lib.models.gan_game import gan_train_step  # noqa: E402
from course_lib.optim import make_optimizer  # noqa: E402
from course_lib.models.vae import ConvVAE, MLPVAE, negative_elbo, train_vae  # noqa: E402


class MNISTLikeDataset(Dataset):
    """Like ``torchvision.datasets.MNIST(transform=ToTensor())``: uint8 storage, PIL + ToTensor per item."""

    def __init__(self, images_u8: torch.Tensor) -> None:
        self.data = images_u8  # (N, 28, 28) uint8, as torchvision stores MNIST

    def __len__(self) -> int:
        return len(self.data)

    @staticmethod
    def to_tensor(pic: Image.Image) -> torch.Tensor:
        """torchvision's ``ToTensor`` for a mode-"L" PIL image: (H, W) uint8 -> (1, H, W) float in [0, 1]."""
        img = torch.from_numpy(np.array(pic, np.uint8, copy=True))
        img = img.view(pic.size[1], pic.size[0], 1).permute((2, 0, 1)).contiguous()
        return img.to(dtype=torch.get_default_dtype()).div(255)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        img = Image.fromarray(self.data[index].numpy(), mode="L")
        return self.to_tensor(img), 0


def baseline_loader(images_u8: torch.Tensor, batch_size: int, device: torch.device) -> DataLoader:
    kwargs: dict[str, Any] = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    return DataLoader(MNISTLikeDataset(images_u8), batch_size=batch_size, shuffle=True, drop_last=True, **kwargs)


def baseline_vae_epoch(model: torch.nn.Module, opt: torch.optim.Optimizer, loader: DataLoader,
                       device: torch.device) -> None:
    model.train()
    for data, _ in loader:                                   # pytorch/examples vae/main.py, train()
        data = data.to(device)
        opt.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = negative_elbo(data, recon_batch, mu, logvar).mean()
        loss.backward()
        opt.step()


def baseline_dcgan_epoch(model: Any, opts: tuple[Any, Any], loader: DataLoader, device: torch.device) -> None:
    for data, _ in loader:                                   # pytorch/examples dcgan/main.py, one D and one G step
        data = data.to(device)
        gan_train_step(model.generator, model.discriminator, opts[0], opts[1], data, model.generator.z_dim)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(model_name: str, x_u8: torch.Tensor, batch_size: int, steps: int, repeats: int,
            device: torch.device, compile: bool) -> dict[str, Any]:
    """Median images/s of the course_lib loop and of the baseline for one model."""
    n = steps * batch_size
    imgs_u8 = x_u8[:n]
    x_float = imgs_u8.float().div(255).unsqueeze(1)           # what course_lib.load_mnist returns

    if model_name in ("mlp_vae", "conv_vae"):
        def new_model() -> torch.nn.Module:
            torch.manual_seed(0)
            return (MLPVAE(20, 400) if model_name == "mlp_vae" else ConvVAE(16, 32)).to(device)

        m_lib, m_plain, m_base = new_model(), new_model(), new_model()
        opt_lib = make_optimizer(m_lib.parameters(), 1e-3, device)                  # what train_vae makes by itself
        opt_plain = torch.optim.Adam(m_plain.parameters(), lr=1e-3)       # PyTorch's default Adam
        opt_base = torch.optim.Adam(m_base.parameters(), lr=1e-3)

        def run_lib() -> None:
            train_vae(m_lib, x_float, epochs=1, batch_size=batch_size, device=device, optimizer=opt_lib,
                      compile=compile)

        def run_plain() -> None:
            train_vae(m_plain, x_float, epochs=1, batch_size=batch_size, device=device, optimizer=opt_plain,
                      compile=compile)

        loader = baseline_loader(imgs_u8, batch_size, device)

        def run_base() -> None:
            baseline_vae_epoch(m_base, opt_base, loader, device)
    elif model_name == "dcgan":
        g_lib, g_base = make_dcgan().to(device), make_dcgan().to(device)
        mk = lambda m: (torch.optim.Adam(m.generator.parameters(), 2e-4, betas=(0.5, 0.999)),  # noqa: E731
                        torch.optim.Adam(m.discriminator.parameters(), 2e-4, betas=(0.5, 0.999)))
        o_lib, o_base = mk(g_lib), mk(g_base)

        def run_lib() -> None:
            train_dcgan(g_lib, x_float, epochs=1, batch_size=batch_size, device=device, optimizers=o_lib,
                        compile=compile)

        run_plain = None                                              # train_dcgan uses the default Adam

        loader = baseline_loader(imgs_u8, batch_size, device)

        def run_base() -> None:
            baseline_dcgan_epoch(g_base, o_base, loader, device)
    else:
        raise ValueError(f"unknown model {model_name!r}")

    def timed(fn: Callable[[], None]) -> float:
        _sync(device)
        t = time.perf_counter()
        fn()
        _sync(device)
        return n / (time.perf_counter() - t)

    loops = {"course_lib": run_lib, "course_lib_default_adam": run_plain, "baseline": run_base}
    loops = {k: v for k, v in loops.items() if v is not None}
    for fn in loops.values():                                  # warm-up (and compilation)
        timed(fn)
    rates: dict[str, list[float]] = {k: [] for k in loops}
    for _ in range(repeats):                                   # alternate the loops, repeat, take medians
        for k, fn in loops.items():
            rates[k].append(timed(fn))
    return {"model": model_name, **{k: statistics.median(v) for k, v in rates.items()}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--models", default="mlp_vae,conv_vae,dcgan")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=40, help="minibatches per timed epoch (default 40)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the course_lib models")
    p.add_argument("--update", default=None,
                   help="the results file (course_lib/studies/bench.json) whose 'throughput' rows for this device type and thread count are replaced")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = get_device(args.device)
    from course_lib.data import load_offline_mnist

    x, _ = load_offline_mnist("all")                            # 5,000 digits; enough for 39 batches of 128
    x_u8 = (x[:, 0] * 255).round().to(torch.uint8)
    need = args.steps * args.batch_size
    if need > len(x_u8):
        x_u8 = x_u8.repeat((need + len(x_u8) - 1) // len(x_u8), 1, 1)
    print(f"device: {describe_device(device)}; torch {torch.__version__}; batch size {args.batch_size}; "
          f"{args.steps} minibatches per timed epoch; median of {args.repeats}")
    print()
    print("| model | course_lib (images/s) | course_lib with PyTorch's default Adam | baseline Dataset+DataLoader "
          "(images/s) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = []
    for name in args.models.split(","):
        r = measure(name.strip(), x_u8, args.batch_size, args.steps, args.repeats, device, args.compile)
        plain = r.get("course_lib_default_adam")
        print(f"| {r['model']} | {r['course_lib']:,.0f} | {'same optimiser' if plain is None else f'{plain:,.0f}'} | "
              f"{r['baseline']:,.0f} | {r['course_lib'] / r['baseline']:.2f}× |", flush=True)
        row = {"model": r["model"], "device": device.type, "course_lib": round(r["course_lib"]),
               "baseline": round(r["baseline"]), "machine": describe_device(device),
               "batch_size": args.batch_size, "threads": torch.get_num_threads()}
        if plain is not None:
            row["course_lib_default_adam"] = round(plain)
        rows.append(row)
    if args.update:
        import json

        path = Path(args.update)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        same = lambda r: r["device"] == device.type and r.get("threads") == torch.get_num_threads()  # noqa: E731
        data["throughput"] = [r for r in data.get("throughput", []) if not same(r)] + rows
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
