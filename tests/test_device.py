import pytest
import torch

from course_lib.device import DeviceError, available_devices, describe_device, get_device


def test_auto_picks_cuda_then_mps_then_cpu():
    dev = get_device("auto")
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif torch.backends.mps.is_available():
        assert dev.type == "mps"
    else:
        assert dev == torch.device("cpu")
    assert get_device(None) == dev


def test_explicit_cpu_and_device_objects():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    assert available_devices()[-1] == "cpu"
    assert describe_device("cpu").startswith("cpu (")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_cuda_is_a_clear_error():
    with pytest.raises(DeviceError, match="no CUDA GPU") as info:
        get_device("cuda")
    assert "Available: " in str(info.value) and "cpu" in str(info.value)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_missing_mps_is_a_clear_error():
    with pytest.raises(DeviceError, match="MPS"):
        get_device("mps")


def test_nonsense_device_name():
    with pytest.raises(DeviceError, match="not a device name"):
        get_device("gpu-please")


def test_unsupported_device_type():
    with pytest.raises(DeviceError, match="not supported"):
        get_device("meta")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_out_of_range():
    with pytest.raises(DeviceError, match="only"):
        get_device(f"cuda:{torch.cuda.device_count()}")
