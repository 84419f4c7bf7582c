"""The spine's loop and resume, with a fake Task (a linear regression): fast, and independent of any model."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from course_lib.seed import make_generator
from course_lib.distributed import batch_mean
from course_lib.training import Task, epoch_seed, train_loop


class LineTask(Task):
    """Fit ``y = 3x - 1`` with one ``nn.Linear``; counts the calls the loop makes."""

    kind = "line"
    batch_size = 16

    def __init__(self, seed: int = 0) -> None:
        torch.manual_seed(seed)
        super().__init__(nn.Linear(1, 1), device="cpu")
        g = make_generator(seed)
        self.x = torch.randn(100, 1, generator=g)
        self.y = 3 * self.x - 1 + 0.1 * torch.randn(100, 1, generator=g)
        self.optimizer(lr=0.1)
        self.evaluated = 0
        self.modes: list[bool] = []

    def step(self, idx: torch.Tensor, global_n: int) -> dict[str, torch.Tensor]:
        self.modes.append(self.model.training)
        opt = self.optimizers["opt"]
        per_example = (self.net(self.x[idx]) - self.y[idx]).pow(2).squeeze(1)
        opt.zero_grad()
        batch_mean(per_example, global_n).backward()
        opt.step()
        return {"loss": per_example.mean().detach(), "one": torch.tensor(1.0)}

    def evaluate(self) -> dict[str, float]:
        self.evaluated += 1
        with torch.no_grad():
            return {"held_mse": float((self.model(self.x) - self.y).pow(2).mean())}


def test_the_loop_trains_records_each_epoch_and_calls_back():
    task = LineTask()
    seen = []
    history = train_loop(task, 20, callback=lambda e, rec, model: seen.append((e, rec["loss"], model is task.model)))
    assert [r["epoch"] for r in history] == list(range(1, 21))
    assert [e for e, _, _ in seen] == list(range(1, 21)) and all(same for _, _, same in seen)
    assert task.evaluated == 20 and all(set(r) >= {"loss", "held_mse", "one", "epoch_time_s"} for r in history)
    assert all(r["one"] == pytest.approx(1.0) for r in history), "an epoch's mean of a constant is not that constant"
    assert history[-1]["held_mse"] < 0.05 < history[0]["held_mse"], "the loop did not train"
    assert all(task.modes) and not task.model.training, "train mode during steps, eval mode after the loop"
    w, b = task.model.weight.item(), task.model.bias.item()
    assert abs(w - 3) < 0.1 and abs(b + 1) < 0.1


def test_the_epoch_mean_weighs_each_example_once():
    """The last minibatch is smaller (100 = 6 x 16 + 4): the epoch's loss is the mean over examples, not batches."""
    task = LineTask()
    before = nn.Linear(1, 1)
    before.load_state_dict(task.model.state_dict())
    torch.manual_seed(123)
    record = task.train_epoch(0)
    other = LineTask()
    torch.manual_seed(123)
    idx_batches = [idx for idx, _ in other.batches(0)]
    assert [len(i) for i in idx_batches] == [16] * 6 + [4]
    # replay the epoch by hand with the same weights and the same permutation
    replay = LineTask()
    replay.model.load_state_dict(before.state_dict())
    total = 0.0
    for idx in idx_batches:
        total += float(replay.step(idx, len(idx))["loss"]) * len(idx)
    assert record["loss"] == pytest.approx(total / 100, rel=1e-6)


def test_resuming_from_the_saved_state_gives_the_same_model_as_one_run():
    straight = LineTask()
    train_loop(straight, 4)

    first = LineTask()
    train_loop(first, 2)
    weights, state = {k: v.clone() for k, v in first.model.state_dict().items()}, first.state_dict()
    torch.manual_seed(999)  # whatever happened in between
    second = LineTask(seed=0)
    second.model.load_state_dict(weights)
    second.load_state_dict(state)
    history = train_loop(second, 4, start_epoch=2)
    assert [r["epoch"] for r in history] == [3, 4]
    for k, v in straight.model.state_dict().items():
        assert torch.equal(v, second.model.state_dict()[k]), f"{k} differs after resume"


def test_resume_state_of_another_kind_of_run_is_refused():
    task = LineTask()
    state = task.state_dict()
    del state["optimizer_opt"]
    with pytest.raises(ValueError, match="optimizer_opt"):
        LineTask().load_state_dict(state)


@pytest.mark.parametrize(("epochs", "start"), [(-1, 0), (2.0, 0), (2, 3), (2, -1)])
def test_the_loop_rejects_bad_epochs(epochs, start):
    with pytest.raises(ValueError, match="epoch"):
        train_loop(LineTask(), epochs, start_epoch=start)


def test_a_task_without_step_says_what_to_implement():
    class Empty(Task):
        kind = "empty"

        def __init__(self) -> None:
            super().__init__(nn.Linear(1, 1), device="cpu")
            self.x = torch.zeros(4, 1)

    with pytest.raises(NotImplementedError, match="Empty must implement step"):
        train_loop(Empty(), 1)


def test_the_loop_seeds_the_task_generator_before_every_epoch():
    """One seeding scheme, owned by the loop: epoch e of a run seeded s draws from ``epoch_seed(s, e)``, whether
    the run starts at 0 or resumes at e; a task without a generator (``gen = None``) is left alone."""
    class Draws(LineTask):
        def __init__(self, seed: int) -> None:
            super().__init__()
            self.seed, self.gen, self.draws = seed, torch.Generator(), []

        def train_epoch(self, epoch: int) -> dict[str, float]:
            self.draws.append(float(torch.rand((), generator=self.gen)))
            return {}

    want = [float(torch.rand((), generator=torch.Generator().manual_seed(epoch_seed(7, e)))) for e in range(4)]
    task = Draws(7)
    train_loop(task, 4)
    assert task.draws == want
    resumed = Draws(7)
    train_loop(resumed, 4, start_epoch=2)
    assert resumed.draws == want[2:]
    other = Draws(8)
    train_loop(other, 4)
    assert not set(other.draws) & set(want), "another seed must give other epochs"
    # the scheme: no two (seed, epoch) pairs of a million epochs share a seed
    assert epoch_seed(0, 5) == 5 and epoch_seed(1, 0) == 1_000_003 and epoch_seed(1, 0) != epoch_seed(0, 1)
    plain = LineTask()
    assert plain.gen is None
    torch.manual_seed(123)
    before = torch.get_rng_state()
    train_loop(plain, 1)
    assert not torch.equal(before, torch.get_rng_state()), "a task without gen draws from the global generator"


def test_a_vae_run_is_a_function_of_its_seed():
    """The VAE's shuffling and reparameterisation noise come from the loop-seeded generator: two runs of one
    seed agree bit for bit whatever the global generator did, another seed gives other weights."""
    from course_lib.models.vae import MLPVAE, train_vae

    x = torch.rand(64, 1, 28, 28, generator=make_generator(0))

    def run(seed: int, global_seed: int) -> list[torch.Tensor]:
        torch.manual_seed(0)
        model = MLPVAE(z_dim=2, hidden=16)
        torch.manual_seed(global_seed)
        train_vae(model, x, epochs=2, batch_size=16, device="cpu", seed=seed)
        return [p.detach().clone() for p in model.parameters()]

    a, b, c = run(0, 1), run(0, 2), run(1, 1)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not all(torch.equal(p, q) for p, q in zip(a, c))
