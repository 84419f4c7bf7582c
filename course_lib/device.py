"""Choosing the device a model and its data live on.

Every model and training loop in ``course_lib`` takes a ``device`` argument. ``"auto"`` picks CUDA when a
CUDA GPU is present, then Apple's MPS, then the CPU. Asking for a device that this machine does not have
raises :class:`DeviceError` with a message that says what is available, instead of a deep stack trace.
"""
from __future__ import annotations

import torch

__all__ = ["DeviceError", "get_device", "available_devices", "describe_device"]

DeviceLike = str | torch.device | None


class DeviceError(ValueError):
    """A device was requested that this machine cannot provide."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Names of the devices usable here, e.g. ``["cuda:0", "cpu"]``."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if _mps_available():
        names.append("mps")
    names.append("cpu")
    return names


def get_device(device: DeviceLike = "auto") -> torch.device:
    """Resolve ``device`` to a :class:`torch.device` that exists on this machine.

    Args:
        device: ``"auto"`` (or ``None``) for the best available device (CUDA, then MPS, then CPU);
            otherwise anything ``torch.device`` accepts: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.

    Returns:
        The resolved device.

    Raises:
        DeviceError: if the name is not a device name, or the device is not available here.
    """
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device.strip().lower() if isinstance(device, str) else device)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(
            f"{device!r} is not a device name. Use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'."
        ) from exc
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {str(device)!r} was requested, but PyTorch sees no CUDA GPU here "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). "
                f"Available: {', '.join(available_devices())}. Use device='auto' or 'cpu', or install a "
                "CUDA build of torch (see the README, 'Running on a GPU')."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {str(device)!r} was requested, but only {torch.cuda.device_count()} CUDA "
                f"device(s) exist here. Available: {', '.join(available_devices())}."
            )
        return dev
    if dev.type == "mps":
        if not _mps_available():
            raise DeviceError(
                f"device 'mps' was requested, but Apple's MPS backend is not available here. "
                f"Available: {', '.join(available_devices())}."
            )
        return dev
    raise DeviceError(
        f"device {str(device)!r} is not supported by course_lib. "
        f"Available: {', '.join(available_devices())}."
    )


def describe_device(device: DeviceLike = "auto") -> str:
    """A one-line human description of a device, e.g. ``"cuda:0 (NVIDIA H200)"`` or ``"cpu (4 threads)"``."""
    dev = get_device(device)
    if dev.type == "cuda":
        idx = dev.index if dev.index is not None else torch.cuda.current_device()
        return f"cuda:{idx} ({torch.cuda.get_device_name(idx)})"
    if dev.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"
