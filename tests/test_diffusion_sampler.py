"""course_lib.models.diffusion_sampler: the schedule's cached tables, the training loss, guidance and the one
reverse loop (DDPM, DDIM, eta) that the UNet and the 2-D toy share; and the UNet as a pure ε-network."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from course_lib.checkpoint import shipped_checkpoint
from course_lib.models import diffusion as D
from course_lib.models.diffusion_sampler import DiffusionSampler
from course_lib.models.diffusion_toy import sample_toy
from course_lib.models.diffusion_unet import NULL_CLASS, DiffusionUNet, UNet
from course_lib.seed import make_generator


class Affine(nn.Module):
    """A deterministic ε-network with a label: ``ε̂ = a·x + b·t/T + c·y`` (enough to tell every input apart)."""

    def __init__(self, T: int) -> None:
        super().__init__()
        self.T = T
        self.a = nn.Parameter(torch.tensor(0.3))
        self.calls: list[tuple[int, bool]] = []

    def forward(self, x, t, y=None):
        self.calls.append((len(x), y is not None))
        out = self.a * x + (t.float() / self.T).view(-1, *[1] * (x.dim() - 1))
        if y is not None:
            out = out + 0.1 * y.float().view(-1, *[1] * (x.dim() - 1))
        return out


def test_the_schedule_computes_its_tables_once_per_device():
    s = D.cosine_schedule(50)
    assert s.alpha_bars is s.alpha_bars and s.posterior_variance is s.table().posterior_variance
    assert s.table("cpu") is s.table(torch.device("cpu"))
    meta = s.table("meta")                                   # a second device: one copy, kept
    assert meta is s.table("meta") and meta.alpha_bars.device.type == "meta"
    assert all(getattr(meta, f).device.type == "meta" for f in meta.__dataclass_fields__)
    assert s.table("cpu").alpha_bars.device.type == "cpu"
    # the cached coefficients are the formulas
    b = s.betas
    ab = torch.cumprod(1 - b, 0)
    c = s.table()
    torch.testing.assert_close(c.alpha_bars, ab, rtol=0, atol=0)
    torch.testing.assert_close(c.sqrt_one_minus_alpha_bars, (1 - ab).sqrt(), rtol=0, atol=0)
    t = 7
    assert float(c.posterior_variance[t]) == pytest.approx(float((1 - ab[t - 1]) / (1 - ab[t]) * b[t]), rel=1e-12)
    assert float(c.posterior_coef_x0[t]) == pytest.approx(float(ab[t - 1].sqrt() * b[t] / (1 - ab[t])), rel=1e-12)
    assert float(c.posterior_coef_xt[t]) == pytest.approx(float((1 - b[t]).sqrt() * (1 - ab[t - 1]) / (1 - ab[t])),
                                                          rel=1e-12)
    assert float(c.posterior_coef_x0[0]) == 1.0 and float(c.posterior_coef_xt[0]) == 0.0


def test_loss_is_l_simple_of_the_noised_input():
    T = 20
    sampler, net = DiffusionSampler(D.linear_schedule(T, 1e-3, 0.2)), Affine(T)
    g = make_generator(0)
    x0, eps = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    t = torch.tensor([1, 3, 5, 10, 19, 20])
    ab = sampler.schedule.alpha_bars[t].float().view(-1, 1)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    want = (net(xt, t) - eps).pow(2)
    torch.testing.assert_close(sampler.loss(net, x0, t, eps), want.mean())
    torch.testing.assert_close(sampler.loss(net, x0, t, eps, per_example=True), want.mean(1))
    y = torch.arange(6)
    torch.testing.assert_close(sampler.loss(net, x0, t, eps, y), (net(xt, t, y) - eps).pow(2).mean())


def test_guidance_combines_the_conditional_and_the_null_class_prediction():
    T = 10
    sampler, net = DiffusionSampler(D.cosine_schedule(T), null_class=NULL_CLASS), Affine(T)
    x, y = torch.randn(4, 2, generator=make_generator(1)), torch.tensor([0, 3, 5, 9])
    tt = torch.full((4,), 6)
    e_c, e_u = net(x, tt, y), net(x, tt, torch.full((4,), NULL_CLASS))
    assert not torch.allclose(e_c, e_u)
    torch.testing.assert_close(sampler.eps(net, x, 6, y, guidance=0.0), e_c)     # w = 0: the conditional model
    torch.testing.assert_close(sampler.eps(net, x, 6, y, guidance=2.5), 3.5 * e_c - 2.5 * e_u)
    torch.testing.assert_close(sampler.eps(net, x, 6, None, guidance=2.5), net(x, tt))  # no labels: unguided
    net.calls.clear()
    sampler.eps(net, x, 6, y, guidance=1.0)
    assert net.calls == [(8, True)]                                            # one batched pass of 2B
    with pytest.raises(ValueError, match="null class"):
        DiffusionSampler(D.cosine_schedule(T)).eps(net, x, 6, y, guidance=1.0)


def test_ddim_with_eta_1_on_every_step_is_ddpm():
    """With all T times and η = 1, DDIM's σ_t² is β̃_t and its update is DDPM's posterior step: from the same
    generator the two loops draw the same noises (DDIM's draw at t = 1 is multiplied by σ_1 = 0) and agree."""
    T = 12
    sampler, net = DiffusionSampler(D.linear_schedule(T, 1e-2, 0.3)), Affine(T)
    for clip in (None, 1.0):
        ddpm = sampler.sample(net, (64, 2), method="ddpm", generator=make_generator(3), clip=clip)
        ddim = sampler.sample(net, (64, 2), method="ddim", steps=T, eta=1.0, generator=make_generator(3), clip=clip)
        torch.testing.assert_close(ddim, ddpm, rtol=1e-5, atol=1e-5)
    eta0 = sampler.sample(net, (64, 2), method="ddim", steps=T, eta=0.0, generator=make_generator(3))
    assert not torch.allclose(eta0, ddpm, atol=1e-3)


def test_sample_path_times_and_argument_checks():
    T = 30
    sampler, net = DiffusionSampler(D.cosine_schedule(T), sample_steps=4), Affine(T)
    x, times, states = sampler.sample(net, (5, 2), generator=make_generator(0), return_path=True)
    assert times == [T, *D.ddim_timesteps(T, 4)[1:], 0] and len(states) == 5 and torch.equal(states[-1], x)
    _, times, states = sampler.sample(net, (5, 2), method="ddpm", generator=make_generator(0), return_path=True)
    assert times == list(range(T, -1, -1)) and len(states) == T + 1
    # DDIM with η = 0 draws x_T only: the same generator gives the same samples, another one other samples
    a = sampler.sample(net, (5, 2), generator=make_generator(1))
    assert torch.equal(a, sampler.sample(net, (5, 2), generator=make_generator(1)))
    assert not torch.equal(a, sampler.sample(net, (5, 2), generator=make_generator(2)))
    with pytest.raises(ValueError, match="DDPM takes all"):
        sampler.sample(net, (1, 2), method="ddpm", steps=5)
    with pytest.raises(ValueError, match="method"):
        sampler.sample(net, (1, 2), method="euler")


def test_the_unet_and_the_toy_sample_through_the_same_loop():
    torch.manual_seed(0)
    m = DiffusionUNet(channels=8, emb_dim=16, T=20, sample_steps=3).eval()
    y = torch.tensor([1, 2])
    got = m.reverse(2, generator=make_generator(4), y=y, guidance=1.5, eta=0.5)
    want = m.sampler.sample(m, (2, 1, 28, 28), generator=make_generator(4), y=y, guidance=1.5, eta=0.5)
    assert torch.equal(got, want)
    toy = Affine(20)
    times, states = sample_toy(toy, 7, m.schedule, steps=5, eta=0.3, generator=make_generator(5))
    x, t2, s2 = DiffusionSampler(m.schedule).sample(toy, (7, 2), steps=5, eta=0.3, generator=make_generator(5),
                                                     clip=None, return_path=True)
    assert times == t2 and all(torch.equal(a, b) for a, b in zip(states, s2))


def test_the_unet_is_a_pure_network_and_holds_all_of_the_checkpoints_weights():
    """The UNet has no schedule and no sampler; DiffusionUNet's weights are exactly the UNet's, so the shipped
    checkpoint's weights load into the bare network."""
    net = UNet(channels=8, emb_dim=16)
    assert not any(hasattr(net, a) for a in ("schedule", "sampler", "sample", "reverse", "eps"))
    full = DiffusionUNet(channels=8, emb_dim=16, T=10)
    assert full.state_dict().keys() == net.state_dict().keys()
    state = load_file(str(shipped_checkpoint("diffusion_offline").with_suffix(".safetensors")))
    UNet(channels=32, emb_dim=128).load_state_dict(state, strict=True)
