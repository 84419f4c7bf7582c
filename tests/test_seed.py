import random

import numpy as np
import pytest
import torch

from course_lib.seed import make_generator, set_seed


def test_same_seed_same_numbers():
    set_seed(123)
    a = (random.random(), np.random.rand(), torch.rand(3))
    set_seed(123)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    set_seed(124)
    assert not torch.equal(torch.rand(3), b[2])


def test_private_generator_leaves_global_rng_alone():
    set_seed(0)
    expected = torch.rand(2)
    set_seed(0)
    g = make_generator(5)
    torch.rand(4, generator=g)
    assert torch.equal(torch.rand(2), expected)


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        set_seed(bad)
