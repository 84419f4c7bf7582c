"""The ring-of-Gaussians experiments of chapters 2 and 7, run over many seeds once and stored.

GAN training is chaotic: a difference in the last bit of one float sum (another CPU's kernels) grows over a
thousand steps into another final picture — 7 modes instead of 8, another angle of a collapsed streak. Even in
float64 one run's numbers differ between an AVX2 and an AVX-512 machine. So one run is an anecdote and its
printed numbers are not a function of the code: the chapters tell these experiments **over seeds**, from a study
that the command line makes once,

    python -m course_lib study ring --seeds 20 --out course_lib/studies/ring.safetensors

and that :func:`load_ring_study` reads (shipped with the package). ``COURSE_LIB_LIVE=1`` in a chapter reruns it
live instead (:func:`run_ring_study` with fewer seeds): the same conclusions, other digits.

The runs (chapter 2's names):

* ``A`` — balanced: Adam 1e-3 for both players, k = 1;
* ``B`` — the generator outpaces the discriminator: lr_D = 2e-4, k = 1;
* ``C`` — B's learning rates with k = 4 discriminator steps per generator step;
* ``diffusion`` — chapter 7's toy denoiser (cosine schedule, T = 100), sampled with the full DDPM chain.

Every run records, at each snapshot step, the four measurements of chapter 2 (modes covered, high-quality
fraction, KL to uniform, energy distance to an independent ring sample); seed 0 of each keeps its samples and
(for the GANs) its per-step trace, for the chapters' figures.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from .checkpoint import library_versions, load_study, save_study
from .models.diffusion import cosine_schedule
from .models.diffusion_toy import ToyDenoiser, sample_toy, train_toy
from .models.gan import (GANHistory, MLPDiscriminator, MLPGenerator, energy_distance, mode_coverage, ring_of_gaussians,
                         train_gan)

__all__ = ["RING_STD", "GAN_RUNS", "RingStudy", "gan_run", "run_ring_study", "load_ring_study", "save_ring_study",
           "SHIPPED_STUDY", "MEASURES", "COLLAPSE_BELOW"]

RING_STD = 0.05
"""standard deviation of each of the eight Gaussians (radius 2)"""
STEPS, SNAPSHOT_EVERY, N_SNAPSHOT = 1500, 250, 1000
GAN_RUNS: dict[str, dict[str, float]] = {
    "A": {"lr_g": 1e-3, "lr_d": 1e-3, "d_steps": 1},
    "B": {"lr_g": 1e-3, "lr_d": 2e-4, "d_steps": 1},
    "C": {"lr_g": 1e-3, "lr_d": 2e-4, "d_steps": 4},
}
"""chapter 2's three GAN runs: learning rates of each player and discriminator steps k per generator step"""
MEASURES = ("modes", "quality", "kl", "energy")
"""columns of :attr:`RingStudy.metrics`: modes covered (of 8), high-quality fraction, KL(p̂ ‖ U), energy distance"""
COLLAPSE_BELOW = 4
"""a run has *collapsed* when it covers fewer than this many of the 8 modes (under half of them)"""
SHIPPED_STUDY = Path(__file__).resolve().parent / "studies" / "ring.safetensors"


@dataclass
class RingStudy:
    """Seeds × runs of the ring experiments.

    Attributes:
        runs: run names, e.g. ``["A", "B", "C", "diffusion"]``.
        seeds: the seeds, shape ``(S,)``.
        steps: snapshot steps of the GAN runs, e.g. ``[0, 250, …, 1500]`` (the diffusion run has one row, its samples).
        metrics: ``{run: array (S, len(steps), 4)}``: :data:`MEASURES` at each snapshot (diffusion: ``(S, 1, 4)``).
        tail: ``{gan run: array (S, 3)}``: mean D(x), mean D(G(z)) and mean discriminator loss over the last 300 steps.
        snapshots: ``{run: tensor (len(steps), 1000, 2)}``: seed 0's samples (diffusion: ``(1, 1000, 2)``).
        trace: ``{gan run: tensor (3, STEPS)}``: seed 0's per-step D(x), D(G(z)), discriminator loss.
        info: how the study was made (command, versions, wall time, machine).
    """

    runs: list[str]
    seeds: np.ndarray
    steps: list[int]
    metrics: dict[str, np.ndarray]
    tail: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[str, Tensor] = field(default_factory=dict)
    trace: dict[str, Tensor] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def final(self, run: str, measure: str) -> np.ndarray:
        """One measure at the last snapshot for every seed, shape ``(S,)``."""
        return self.metrics[run][:, -1, MEASURES.index(measure)]

    def collapsed(self, run: str) -> np.ndarray:
        """Boolean per seed: fewer than :data:`COLLAPSE_BELOW` modes covered at the last snapshot."""
        return self.final(run, "modes") < COLLAPSE_BELOW

    def all_modes(self, run: str, modes: int = 8) -> np.ndarray:
        """Boolean per seed: every one of the ``modes`` modes covered at the last snapshot."""
        return self.final(run, "modes") >= modes


def _ring_data() -> tuple[Tensor, Tensor]:
    ring = ring_of_gaussians(8192, modes=8, radius=2.0, std=RING_STD, generator=torch.Generator().manual_seed(1))
    ref = ring_of_gaussians(1000, std=RING_STD, generator=torch.Generator().manual_seed(7))
    return ring, ref


def _measure(x: Tensor, ref: Tensor) -> list[float]:
    c = mode_coverage(x, modes=8, radius=2.0, std=RING_STD)
    return [float(c.modes_covered), float(c.high_quality), float(c.kl_to_uniform), float(energy_distance(x, ref))]


def gan_run(lr_g: float, lr_d: float, d_steps: int, seed: int = 0, ring: Tensor | None = None) -> GANHistory:
    """Train one GAN of the study, as ``run_ring_study`` does (chapter 2 calls it to train one run live).

    Both players have two hidden layers of 128 units and the noise is 2-D; batches of 128 for ``STEPS`` steps
    on the CPU, with samples kept every ``SNAPSHOT_EVERY`` steps.

    Args:
        lr_g, lr_d: the generator's and the discriminator's Adam learning rates.
        d_steps: discriminator updates per generator update.
        seed: seeds the initial weights, the minibatches and the noise.
        ring: the training points; by default the study's 8,192 points of the ring.

    Returns:
        The run's history (losses, ``D(x)``, ``D(G(z))``, the snapshots and their steps).
    """
    ring = _ring_data()[0] if ring is None else ring
    torch.manual_seed(seed)
    generator = MLPGenerator(z_dim=2, hidden=128, layers=2)
    d = MLPDiscriminator(in_dim=2, hidden=128, layers=2)
    return train_gan(ring, generator, d, steps=STEPS, batch_size=128, z_dim=2, lr_g=lr_g, lr_d=lr_d, d_steps=d_steps,
                     snapshot_every=SNAPSHOT_EVERY, n_snapshot=N_SNAPSHOT, seed=seed, device="cpu")


def _diffusion_run(ring: Tensor, seed: int) -> Tensor:
    schedule = cosine_schedule(100)
    torch.manual_seed(seed)
    toy = ToyDenoiser(hidden=128, layers=3)
    train_toy(toy, ring, schedule, steps=2000, batch_size=512, lr=2e-3, seed=seed)
    _, path = sample_toy(toy, N_SNAPSHOT, schedule, generator=torch.Generator().manual_seed(1000 + seed))
    return path[-1].float()


def run_ring_study(seeds: Sequence[int] = range(20), runs: Sequence[str] = ("A", "B", "C", "diffusion"),
                   progress: bool = False) -> RingStudy:
    """Train every run of ``runs`` for every seed of ``seeds`` on the CPU and measure it (about 30 s per seed on
    one core, all four runs). Seed 0's samples and traces are kept (for figures), whichever seeds are asked for."""
    seeds = [int(s) for s in seeds]
    unknown = [r for r in runs if r not in GAN_RUNS and r != "diffusion"]
    if not seeds or unknown:
        raise ValueError(f"need at least one seed and runs among {list(GAN_RUNS) + ['diffusion']}; got {seeds}, {unknown}")
    ring, ref = _ring_data()
    study = RingStudy(list(runs), np.array(seeds), [], {})
    t0 = time.perf_counter()
    for run in tqdm(runs, disable=not progress, desc="runs"):
        rows, tails = [], []
        for i, seed in enumerate(seeds):
            if run == "diffusion":
                x = _diffusion_run(ring, seed)
                rows.append([_measure(x, ref)])
                if i == 0:
                    study.snapshots[run] = x[None]
                continue
            p = GAN_RUNS[run]
            h = gan_run(p["lr_g"], p["lr_d"], int(p["d_steps"]), seed, ring)
            study.steps = list(h.snapshot_steps)
            rows.append([_measure(x, ref) for x in h.snapshots])
            tails.append([float(np.mean(h.d_real[-300:])), float(np.mean(h.d_fake[-300:])),
                          float(np.mean(h.loss_d[-300:]))])
            if i == 0:
                study.snapshots[run] = torch.stack(h.snapshots)
                study.trace[run] = torch.tensor([h.d_real, h.d_fake, h.loss_d], dtype=torch.float32)
        study.metrics[run] = np.array(rows, dtype=np.float64)
        if tails:
            study.tail[run] = np.array(tails, dtype=np.float64)
    study.info = {"wall_time_s": round(time.perf_counter() - t0, 1), "versions": library_versions(),
                  "threads": torch.get_num_threads(), "created": time.strftime("%Y-%m-%d")}
    return study


def save_ring_study(study: RingStudy, path: str | Path, command: str | None = None) -> Path:
    """Write ``study`` to one safetensors file (tensors plus a JSON header in its metadata)."""
    tensors: dict[str, Tensor] = {"seeds": torch.as_tensor(study.seeds, dtype=torch.int64)}
    for run in study.runs:
        tensors[f"metrics.{run}"] = torch.as_tensor(study.metrics[run], dtype=torch.float64)
        if run in study.tail:
            tensors[f"tail.{run}"] = torch.as_tensor(study.tail[run], dtype=torch.float64)
        if run in study.snapshots:
            tensors[f"snapshots.{run}"] = study.snapshots[run].float().contiguous()
        if run in study.trace:
            tensors[f"trace.{run}"] = study.trace[run].float().contiguous()
    info = dict(study.info, command=command) if command else dict(study.info)
    header = {"runs": study.runs, "steps": study.steps, "info": info, "measures": list(MEASURES),
              "settings": {"gan_runs": {r: GAN_RUNS[r] for r in study.runs if r in GAN_RUNS}, "ring_std": RING_STD,
                           "gan_steps": STEPS, "snapshot_every": SNAPSHOT_EVERY, "n_snapshot": N_SNAPSHOT,
                           "collapse_below": COLLAPSE_BELOW}}
    return save_study(path, tensors, "ring_study", header)


def load_ring_study(path: str | Path | None = None) -> RingStudy:
    """Read a study written by :func:`save_ring_study` (default: the one shipped with ``course_lib``).

    Raises:
        FileNotFoundError: no file at ``path`` (with the command that makes one).
        ValueError: the file is not a ring study or is damaged.
    """
    path = Path(path) if path is not None else SHIPPED_STUDY
    t, header = load_study(path, "ring_study", f"python -m course_lib study ring --out {path}")
    if header.get("measures") != list(MEASURES):
        raise ValueError(f"{path} records measures {header.get('measures')}, this course_lib expects {list(MEASURES)}")
    runs = header["runs"]
    settings = header.get("settings", {})
    if settings.get("gan_runs", {}) != {r: GAN_RUNS[r] for r in runs if r in GAN_RUNS} or settings.get("ring_std") != RING_STD:
        raise ValueError(f"{path} was made with other settings ({settings}) than this course_lib's runs "
                         f"({GAN_RUNS}, ring std {RING_STD}); remake it with `python -m course_lib study ring --out {path}`")
    study = RingStudy(runs, t["seeds"].numpy(), list(header["steps"]), {}, info=header.get("info", {}))
    for run in runs:
        study.metrics[run] = t[f"metrics.{run}"].numpy()
        for name, store in (("tail", study.tail), ("snapshots", study.snapshots), ("trace", study.trace)):
            if f"{name}.{run}" in t:
                store[run] = t[f"{name}.{run}"].numpy() if name == "tail" else t[f"{name}.{run}"]
    return study
