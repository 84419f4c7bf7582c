"""Peak memory of training runs: course_lib's command line against a minimal replica of its peer, side by side.

    python bench/memory.py                          # every row (the VAE rows only where full MNIST is found)
    python bench/memory.py --only gpt --gpt-steps 100
    python bench/memory.py --data-root /work/shared/data      # a folder whose mnist/ holds the four MNIST files

Each run is a fresh subprocess, measured by its own ``ru_maxrss`` (``os.wait4``: the peak resident set of that
child alone, imports included), on the CPU with one thread:

* **MLP VAE on full MNIST** — ``python -m course_lib train vae ...``: the command of the shipped MLP VAE card
  (``course_lib/checkpoints/vae2d_offline.json``) with ``--data full``, the 784-400-20 network of pytorch/examples,
  ``--epochs`` from ``--vae-epochs`` and no IWAE bound; against **pytorch/examples ``vae/main.py``**, replicated
  without torchvision: a ``Dataset`` that holds the training digits as one ``uint8`` tensor (as
  ``torchvision.datasets.MNIST`` does, read from the same gzip files as course_lib reads them, through a
  ``bytearray`` as torchvision's ``read_sn3_pascalvincent_tensor``), a PIL image and ``ToTensor`` per item, a
  shuffling ``DataLoader`` (batch 128), the same 784-400-20 model, Adam 1e-3, the binary cross-entropy + KL
  loss summed over the batch, and a test pass over the 10,000 test digits after every epoch (the sample grid
  it writes with ``save_image`` is left out). Skipped, with a line that says so, where full MNIST is not found.
* **GPT on the book's corpus** — the command of the shipped GPT card (``course_lib/checkpoints/gpt_book.json``)
  with ``--steps`` from ``--gpt-steps``; against a **nanoGPT-style** loop (``model.py`` and ``train.py`` of
  nanoGPT, minimal): the same network (4 layers, width 128, 4 heads, block 128, dropout 0.1, learned positions,
  tied head), the same training/validation split of the same corpus written by a ``prepare.py`` step (run here,
  in this process, not measured) as ``uint16`` token files that the loop reads through ``np.memmap`` one batch
  at a time, batch 16, AdamW (0.9, 0.95) with decay 0.1 on the matrices, gradients clipped to 1, warm-up and
  cosine decay as the card, ``estimate_loss`` over ``--eval-iters`` batches of both splits every
  ``--eval-every`` steps (the card's) and at the end, and a ``torch.save`` of model and optimiser at the end.

The table (Markdown) gives each run's peak in MB, the ratio of the course_lib run to its peer and whether it is
within 1.2× of it. Peaks vary by a few MB from run to run (allocator, thread start-up).
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "course_lib" / "checkpoints"
LIMIT = 1.2
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


# ------------------------------------------------------------------------------------------------ measuring
def card_command(card: str, **overrides: Any) -> list[str]:
    """The arguments after ``python -m course_lib`` of a shipped card's ``command``, with options replaced
    (``hidden=400`` sets ``--hidden 400``; an option the command lacks is appended; ``True`` appends a flag)."""
    argv = shlex.split(json.loads((CARDS / f"{card}.json").read_text(encoding="utf-8"))["command"])
    argv = argv[argv.index("course_lib") + 1:]
    for key, value in overrides.items():
        opt = "--" + key.replace("_", "-")
        if value is True:
            if opt not in argv:
                argv.append(opt)
        elif opt in argv:
            argv[argv.index(opt) + 1] = str(value)
        else:
            argv += [opt, str(value)]
    return argv


def peak_rss(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``argv`` as a child process; its own peak resident set (MB), exit status, seconds and the output's tail."""
    with tempfile.TemporaryFile() as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage alone (RUSAGE_CHILDREN would be the max of all)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        log.seek(0)
        tail = log.read().decode("utf-8", "replace")[-2000:]
    return {"mb": usage.ru_maxrss / 1024, "rc": proc.returncode, "seconds": seconds, "tail": tail}


def mnist_found(data_root: Path) -> bool:
    """All four full-MNIST files (plain or ``.gz``) in ``data_root/mnist``, as ``course_lib.data`` looks for them."""
    folder = data_root / "mnist"
    return all((folder / n).is_file() or (folder / f"{n}.gz").is_file() for n in MNIST_NAMES)


# ------------------------------------------------------------------------------ peer: pytorch/examples vae/main.py
def read_idx_tensor(path: Path) -> torch.Tensor:
    """An IDX file as a ``uint8`` tensor, as torchvision's ``read_sn3_pascalvincent_tensor`` holds it."""
    raw = path.read_bytes()
    data = gzip.decompress(raw) if path.suffix == ".gz" else raw
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=4 + 4 * ndim).view(*dims)


class MNISTDataset(torch.utils.data.Dataset):
    """``torchvision.datasets.MNIST(transform=transforms.ToTensor())`` without torchvision."""

    def __init__(self, folder: Path, train: bool) -> None:
        prefix = "train" if train else "t10k"
        find = lambda n: folder / n if (folder / n).is_file() else folder / f"{n}.gz"  # noqa: E731
        self.data = read_idx_tensor(find(f"{prefix}-images-idx3-ubyte"))
        self.targets = read_idx_tensor(find(f"{prefix}-labels-idx1-ubyte")).long()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy(), mode="L")
        x = torch.from_numpy(np.array(img, np.uint8, copy=True)).view(1, 28, 28)  # ToTensor
        return x.float().div(255), int(self.targets[index])


class ExamplesVAE(nn.Module):
    """pytorch/examples vae/main.py's model."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x.view(-1, 784))
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def examples_vae_loss(recon_x: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def peer_vae(folder: Path, epochs: int) -> None:
    torch.manual_seed(1)
    train_loader = torch.utils.data.DataLoader(MNISTDataset(folder, True), batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(MNISTDataset(folder, False), batch_size=128, shuffle=False)
    model = ExamplesVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        model.train()
        for data, _ in train_loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = examples_vae_loss(recon, data, mu, logvar)
            loss.backward()
            optimizer.step()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for data, _ in test_loader:
                recon, mu, logvar = model(data)
                test_loss += examples_vae_loss(recon, data, mu, logvar).item()
            model.decode(torch.randn(64, 20))  # the sample grid (not written)
        print(f"test loss {test_loss / len(test_loader.dataset):.4f}")


# ------------------------------------------------------------------------------------------- peer: nanoGPT
class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.c_attn, self.c_proj = nn.Linear(n_embd, 3 * n_embd), nn.Linear(n_embd, n_embd)
        self.resid_dropout, self.n_head, self.dropout = nn.Dropout(dropout), n_head, dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.size()
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (u.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for u in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c)))


class NanoBlock(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(n_embd), CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.ModuleDict({"c_fc": nn.Linear(n_embd, 4 * n_embd), "c_proj": nn.Linear(4 * n_embd, n_embd),
                                  "dropout": nn.Dropout(dropout)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        m = self.mlp
        return x + m["dropout"](m["c_proj"](F.gelu(m["c_fc"](self.ln_2(x)))))


class NanoGPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int, dropout: float) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab_size, n_embd), nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList(NanoBlock(n_embd, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            torch.nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pos = torch.arange(0, idx.size(1), dtype=torch.long, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)


def peer_gpt(data_dir: Path, a: argparse.Namespace) -> None:
    meta = json.loads((data_dir / "meta.json").read_text(encoding="utf-8"))
    torch.manual_seed(1337)
    block, batch = meta["block_size"], meta["batch_size"]

    def get_batch(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        data = np.memmap(data_dir / f"{split}.bin", dtype=np.uint16, mode="r")  # anew each batch, as nanoGPT
        ix = torch.randint(len(data) - block, (batch,))
        x = torch.stack([torch.from_numpy(data[i:i + block].astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy(data[i + 1:i + 1 + block].astype(np.int64)) for i in ix])
        return x, y

    model = NanoGPT(meta["vocab_size"], block, meta["n_layer"], meta["n_head"], meta["d_model"], meta["dropout"])
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": meta["weight_decay"]},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=meta["lr"], betas=(0.9, 0.95))

    @torch.no_grad()
    def estimate_loss() -> dict[str, float]:
        model.eval()
        out = {}
        for split in ("train", "val"):
            losses = torch.zeros(a.eval_iters)
            for k in range(a.eval_iters):
                losses[k] = model(*get_batch(split))[1].item()
            out[split] = float(losses.mean())
        model.train()
        return out

    def get_lr(it: int) -> float:
        if it < meta["warmup"]:
            return meta["lr"] * (it + 1) / (meta["warmup"] + 1)
        ratio = (it - meta["warmup"]) / max(1, a.gpt_steps - meta["warmup"])
        return meta["lr"] / 10 + 0.5 * (1.0 + math.cos(math.pi * min(ratio, 1.0))) * (meta["lr"] - meta["lr"] / 10)

    x, y = get_batch("train")
    for it in range(a.gpt_steps + 1):
        for g in optimizer.param_groups:
            g["lr"] = get_lr(it)
        if it % meta["eval_every"] == 0 or it == a.gpt_steps:
            print(f"step {it}: {estimate_loss()}")
        if it == a.gpt_steps:
            break
        _, loss = model(x, y)
        x, y = get_batch("train")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "meta": meta},
               data_dir / "ckpt.pt")


def prepare_gpt(data_dir: Path, gpt_argv: list[str]) -> None:
    """nanoGPT's ``prepare.py`` for the card's corpus: ``train.bin``/``val.bin`` (uint16 ids) and ``meta.json``."""
    from course_lib.text import CharTokenizer, load_corpus, train_val_text

    opt = {k[2:].replace("-", "_"): v for k, v in zip(gpt_argv, gpt_argv[1:]) if k.startswith("--")}
    train_text, val_text = train_val_text(opt["corpus"])
    tok = CharTokenizer.from_text(load_corpus(opt["corpus"]))
    for split, text in (("train", train_text), ("val", val_text)):
        np.array(tok.encode(text), dtype=np.uint16).tofile(data_dir / f"{split}.bin")
    meta = {"vocab_size": tok.vocab_size, "block_size": int(opt["block_size"]), "batch_size": int(opt["batch_size"]),
            "n_layer": int(opt["n_layer"]), "n_head": int(opt["n_head"]), "d_model": int(opt["d_model"]),
            "dropout": float(opt["dropout"]), "lr": float(opt["lr"]), "warmup": int(opt["warmup"]),
            "weight_decay": float(opt["weight_decay"]), "eval_every": int(opt["eval_every"])}
    (data_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


# ------------------------------------------------------------------------------------------------ the table
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=["vae", "gpt"], action="append", help="these runs only (repeatable)")
    p.add_argument("--data-root", default=os.environ.get("COURSE_LIB_DATA") or str(Path.home() / ".cache" / "course_lib"),
                   help="the folder whose mnist/ holds full MNIST ($COURSE_LIB_DATA, else ~/.cache/course_lib)")
    p.add_argument("--vae-epochs", type=int, default=1)
    p.add_argument("--gpt-steps", type=int, default=200)
    p.add_argument("--eval-iters", type=int, default=200, help="batches per split in the nanoGPT loop's estimate_loss")
    p.add_argument("--threads", type=int, default=1, help="torch threads of every run (the cards' --threads 1)")
    p.add_argument("--peer", choices=["vae", "gpt"], help=argparse.SUPPRESS)  # a child: run one peer
    p.add_argument("--peer-data", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.peer:
        torch.set_num_threads(a.threads)
        (peer_vae(Path(a.peer_data), a.vae_epochs) if a.peer == "vae" else peer_gpt(Path(a.peer_data), a))
        return 0

    runs = a.only or ["vae", "gpt"]
    me = [sys.executable, str(Path(__file__).resolve())]
    py = [sys.executable, "-m", "course_lib"]
    common = ["--threads", str(a.threads), "--vae-epochs", str(a.vae_epochs), "--gpt-steps", str(a.gpt_steps),
              "--eval-iters", str(a.eval_iters)]
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    print(f"torch {torch.__version__}, CPU, {a.threads} thread(s); each run a fresh process, peak = its ru_maxrss")
    print()
    print("| run | peak RSS (MB) | ratio to the peer | within 1.2× | seconds |")
    print("| --- | ---: | ---: | --- | ---: |")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        pairs: list[tuple[str, list[str], str, list[str], dict[str, str]]] = []
        if "vae" in runs:
            root = Path(a.data_root).expanduser()
            if mnist_found(root):
                cli = card_command("vae2d_offline", data="full", epochs=a.vae_epochs, hidden=400, z_dim=20,
                                   iwae_k=0, device="cpu", threads=a.threads, out=tmp, name="mlp_vae_full")
                pairs.append((f"course_lib MLP VAE, full MNIST, {a.vae_epochs} epoch(s): `train {' '.join(cli[1:4])} …`",
                              py + cli, "pytorch/examples vae/main.py (replica)",
                              me + ["--peer", "vae", "--peer-data", str(root / "mnist")] + common,
                              {**env, "COURSE_LIB_DATA": str(root)}))
            else:
                print(f"| MLP VAE on full MNIST: skipped, the four MNIST files are not in {root / 'mnist'} "
                      f"(--data-root) | | | | |")
        if "gpt" in runs:
            cli = card_command("gpt_book", steps=a.gpt_steps, threads=a.threads, out=tmp, name="gpt_bench",
                               no_progress=True)
            prepare_gpt(Path(tmp), cli)
            pairs.append((f"course_lib GPT, book corpus, {a.gpt_steps} steps (gpt_book's command)", py + cli,
                          "nanoGPT-style loop (uint16 memmap)", me + ["--peer", "gpt", "--peer-data", tmp] + common,
                          env))
        for name, ours, peer_name, peer, run_env in pairs:
            mine, theirs = peak_rss(ours, run_env), peak_rss(peer, run_env)
            for r, what in ((mine, name), (theirs, peer_name)):
                if r["rc"] != 0:
                    failed = True
                    print(f"{what} failed (exit {r['rc']}):\n{r['tail']}", file=sys.stderr)
            ratio = mine["mb"] / theirs["mb"]
            print(f"| {name} | {mine['mb']:.0f} | {ratio:.2f}× | {'yes' if ratio <= LIMIT else '**no**'} | "
                  f"{mine['seconds']:.0f} |")
            print(f"| {peer_name} | {theirs['mb']:.0f} | (peer) | | {theirs['seconds']:.0f} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
