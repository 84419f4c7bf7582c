"""Training on several processes (``torchrun``, DistributedDataParallel): who am I, my part of a minibatch, the
loss whose averaged gradient is the global mean's, a sum over all processes, and joining the process group.

In one process every function is the identity of the single-process case, so the tasks call them always.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist

__all__ = ["world", "shard", "batch_mean", "all_sum", "join_process_group"]


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of this process: ``(0, 1)`` unless ``torch.distributed`` is initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(idx: torch.Tensor) -> torch.Tensor:
    """This rank's part of a **global** minibatch of indices (all of it in a single process).

    Every rank draws the same permutation from the shared seed and takes its contiguous part of each global
    minibatch, so a run on W processes sees exactly the minibatches of a one-process run.
    """
    rank, size = world()
    return idx if size == 1 else idx.tensor_split(size)[rank]


def batch_mean(per_example: torch.Tensor, global_n: int) -> torch.Tensor:
    """The loss to call ``backward`` on: the mean over the **global** minibatch of ``global_n`` examples.

    In one process this is ``per_example.mean()``. Under DDP, whose gradient is the average over the W ranks,
    each rank returns ``sum · W / global_n``, so the averaged gradient is that of the global mean even when the
    ranks hold minibatch parts of different sizes.
    """
    _, size = world()
    if size == 1:
        return per_example.mean()
    return per_example.sum() * (size / global_n)


def all_sum(t: torch.Tensor) -> torch.Tensor:
    """The sum of ``t`` over all ranks (``t`` itself in one process)."""
    _, size = world()
    if size == 1:
        return t
    t = t.clone()
    dist.all_reduce(t)
    return t


def join_process_group(device: str) -> bool:
    """Join the process group when started by ``torchrun`` (``WORLD_SIZE`` > 1); NCCL on CUDA, gloo elsewhere."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or (dist.is_available() and dist.is_initialized()):
        return False
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device in ("auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if use_cuda else "gloo")
    return True
