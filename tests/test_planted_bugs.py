"""Tests that bite: each one fails when an argument of course_lib is silently ignored, a check is skipped, or
only a default path works. They were written by planting such a bug, watching the test fail, and reverting.

Planted bugs each test catches (issue 15, item 7):

* ``gan_train_step`` ignoring ``kind`` (always non-saturating) — the generator's update is compared with the
  gradient of the requested loss, computed here by hand.
* ``laplace_scale`` ignoring ``sensitivity`` (returning ``1 / ε``).
* a two-sided watermark test (``|z| > t``): an image carrying the *negated* pattern must not be detected.
* ``load_checkpoint`` with ``strict=False``: missing or extra weights must be refused.
* ``minibatch_indices`` ignoring ``shuffle`` or ``drop_last``; ``generate`` ignoring ``top_k``/``top_p``/
  ``temperature``/``generator``; ``bits_per_char`` ignoring ``block_size``; ``iwae_bound`` and ``evaluate_vae``
  ignoring ``likelihood``/``sigma``/``seed``; ``train_vae`` ignoring ``beta`` or ``likelihood``;
  ``train_gan`` ignoring ``kind``/``seed``/``d_steps``; samplers ignoring their ``generator``;
  ``detect_watermark`` ignoring ``threshold``; ``embed_watermark`` ignoring ``strength``.
* The MNIST checksums are pinned to the values in the course design brief (no ``../shared`` needed).
"""
from __future__ import annotations

import math

import pytest
import torch

from course_lib import data
from course_lib.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from course_lib.models.gan import (MLPDiscriminator, MLPGenerator, gan_train_step, generator_loss, ring_of_gaussians,
                            train_gan)
from course_lib.models.gpt import GPT, bits_per_char, generate
from course_lib.responsible.privacy import laplace_mechanism, laplace_scale
from course_lib.data import minibatch_indices
from course_lib.models.vae import (MLPVAE, evaluate_vae, gaussian_kl, iwae_bound, log_likelihood, negative_elbo,
                            reparameterize, train_vae)
from course_lib.responsible.watermark import detect_watermark, embed_watermark, watermark_pattern, watermark_score
from course_lib.seed import make_generator


pytestmark = pytest.mark.usefixtures("one_thread")



# ------------------------------------------------------------------------------------------------ GAN
@pytest.mark.parametrize("kind", ["non_saturating", "saturating"])
def test_gan_train_step_descends_the_requested_generator_loss(kind):
    """With plain SGD and a discriminator that does not move (lr 0), the generator's update must be exactly
    ``-lr · ∇ generator_loss(D(G(z)), kind)`` for the second noise draw of ``generator_rng``."""
    torch.manual_seed(0)
    g, d = MLPGenerator(hidden=8, layers=2), MLPDiscriminator(hidden=8, layers=2)
    # a discriminator that rejects the fakes, where the two losses' gradients differ most
    with torch.no_grad():
        d.net[-1].bias.fill_(-3.0)
    g0 = [p.detach().clone() for p in g.parameters()]
    lr = 0.5
    opt_g, opt_d = torch.optim.SGD(g.parameters(), lr=lr), torch.optim.SGD(d.parameters(), lr=0.0)
    real = ring_of_gaussians(16, generator=make_generator(0))
    stats = gan_train_step(g, d, opt_g, opt_d, real, z_dim=2, kind=kind, generator_rng=make_generator(7))

    rng = make_generator(7)
    torch.randn(16, 2, generator=rng)                 # the discriminator step's noise
    z = torch.randn(16, 2, generator=rng)             # the generator step's noise
    ref = MLPGenerator(hidden=8, layers=2)
    with torch.no_grad():
        for p, q in zip(ref.parameters(), g0):
            p.copy_(q)
    loss = generator_loss(d(ref(z)), kind)            # type: ignore[arg-type]
    grads = torch.autograd.grad(loss, list(ref.parameters()))
    assert float(stats["loss_g"]) == pytest.approx(float(loss.detach()), rel=1e-5)
    for p, p0, gr in zip(g.parameters(), g0, grads):
        torch.testing.assert_close(p.detach(), p0 - lr * gr, rtol=1e-5, atol=1e-6)
    # the two losses are told apart by sign: -log D > 0, log(1 - D) < 0
    assert (float(stats["loss_g"]) > 0) == (kind == "non_saturating")


def test_train_gan_passes_kind_seed_and_d_steps_on():
    data_ = ring_of_gaussians(512, generator=make_generator(1))

    def run(**kw):
        torch.manual_seed(0)
        g, d = MLPGenerator(hidden=8, layers=2), MLPDiscriminator(hidden=8, layers=2)
        h = train_gan(data_, g, d, steps=3, batch_size=32, snapshot_every=3, n_snapshot=4, device="cpu", **kw)
        return h.loss_g, h.loss_d

    base = run()
    assert run() == base                                        # reproducible
    assert all(v < 0 for v in run(kind="saturating")[0])        # log(1 - D) < 0: the saturating loss was used
    assert all(v > 0 for v in base[0])
    assert run(seed=1) != base
    assert run(d_steps=3)[1] != base[1]


# ------------------------------------------------------------------------------------------------ privacy
@pytest.mark.parametrize("sensitivity, epsilon", [(1.0, 1.0), (2.0, 0.5), (7.0, 2.0), (0.25, 0.1)])
def test_laplace_scale_is_sensitivity_over_epsilon(sensitivity, epsilon):
    assert laplace_scale(sensitivity, epsilon) == pytest.approx(sensitivity / epsilon, rel=1e-12)


def test_laplace_mechanism_noise_grows_with_the_sensitivity():
    a = laplace_mechanism(0.0, 1.0, 1.0, n_draws=100_000, generator=make_generator(0))
    b = laplace_mechanism(0.0, 5.0, 1.0, n_draws=100_000, generator=make_generator(0))
    assert float(a.abs().mean()) == pytest.approx(1.0, rel=0.03)   # E|Lap(b)| = b
    assert float(b.abs().mean()) == pytest.approx(5.0, rel=0.03)
    with pytest.raises(ValueError, match="sensitivity"):
        laplace_scale(0.0, 1.0)


# ------------------------------------------------------------------------------------------------ watermark
def test_watermark_test_is_one_sided():
    """An image carrying the *negated* pattern scores far below 0: a one-sided test does not flag it."""
    x = torch.full((20, 1, 28, 28), 0.5) + 0.05 * torch.rand(20, 1, 28, 28, generator=make_generator(0))
    neg = (x - 0.2 * watermark_pattern(3)).clamp(0, 1)
    pos = embed_watermark(x, key=3, strength=0.2)
    assert (watermark_score(neg, 3) < -4).all() and (watermark_score(pos, 3) > 4).all()
    assert not detect_watermark(neg, 3).any()
    assert detect_watermark(pos, 3).all()


def test_detection_threshold_and_strength_matter():
    x = torch.full((10, 1, 28, 28), 0.5) + 0.05 * torch.rand(10, 1, 28, 28, generator=make_generator(1))
    weak, strong = embed_watermark(x, 3, strength=0.02), embed_watermark(x, 3, strength=0.2)
    s_weak, s_strong = watermark_score(weak, 3), watermark_score(strong, 3)
    assert (s_strong > s_weak + 1).all()
    assert detect_watermark(strong, 3, threshold=4.0).all()
    assert not detect_watermark(strong, 3, threshold=float(s_strong.max()) + 1).any()


# ------------------------------------------------------------------------------------------------ checkpoints
class _Tiny(torch.nn.Module):
    def __init__(self, width: int = 3):
        super().__init__()
        self.lin = torch.nn.Linear(2, width)


class _TinyPlus(_Tiny):
    def __init__(self, width: int = 3):
        super().__init__(width)
        self.extra = torch.nn.Linear(width, 1)


def test_load_checkpoint_refuses_missing_and_unexpected_weights(tmp_path):
    save_checkpoint(_Tiny(3), tmp_path / "small", kind="tiny", config={"width": 3})
    with pytest.raises(CheckpointError, match="does not fit"):      # the model has weights the file lacks
        load_checkpoint(tmp_path / "small", _TinyPlus, kind="tiny")
    save_checkpoint(_TinyPlus(3), tmp_path / "big", kind="tiny", config={"width": 3})
    with pytest.raises(CheckpointError, match="does not fit"):      # the file has weights the model lacks
        load_checkpoint(tmp_path / "big", _Tiny, kind="tiny")


# ------------------------------------------------------------------------------------------------ minibatches
def test_minibatch_indices_honours_shuffle_and_drop_last():
    ordered = torch.cat(list(minibatch_indices(23, 5, shuffle=False)))
    assert ordered.tolist() == list(range(23))
    a = torch.cat(list(minibatch_indices(23, 5, generator=make_generator(0))))
    b = torch.cat(list(minibatch_indices(23, 5, generator=make_generator(0))))
    c = torch.cat(list(minibatch_indices(23, 5, generator=make_generator(1))))
    assert torch.equal(a, b) and not torch.equal(a, c) and a.tolist() != list(range(23))
    assert sorted(a.tolist()) == list(range(23))
    assert [len(i) for i in minibatch_indices(23, 5)] == [5, 5, 5, 5, 3]
    assert [len(i) for i in minibatch_indices(23, 5, drop_last=True)] == [5, 5, 5, 5]


# ------------------------------------------------------------------------------------------------ GPT
@pytest.fixture(scope="module")
def tiny_gpt():
    torch.manual_seed(0)
    return GPT(11, block_size=8, n_layer=1, d_model=16, n_head=2).eval()


def test_generate_uses_top_k_top_p_temperature_and_generator(tiny_gpt):
    prompt = torch.tensor([[1, 2, 3]])
    greedy = generate(tiny_gpt, prompt, 20, temperature=0)
    free = [generate(tiny_gpt, prompt, 20, temperature=2.0, generator=make_generator(s)) for s in range(3)]
    assert any(not torch.equal(f, greedy) for f in free)             # sampling is not greedy …
    assert not torch.equal(free[0], free[1])                         # … and the generator drives it
    assert torch.equal(free[0], generate(tiny_gpt, prompt, 20, temperature=2.0, generator=make_generator(0)))
    for kw in ({"top_k": 1}, {"top_p": 1e-6}, {"temperature": 1e-4}):
        out = generate(tiny_gpt, prompt, 20, generator=make_generator(0), **{"temperature": 2.0, **kw})
        assert torch.equal(out, greedy), kw


def test_bits_per_char_honours_block_size(tiny_gpt):
    ids = torch.randint(0, 11, (40,), generator=make_generator(2))
    with torch.no_grad():
        logits, _ = tiny_gpt(ids[:-1, None])                       # 39 windows of one character each
        want = torch.nn.functional.cross_entropy(logits[:, 0], ids[1:]).item() / math.log(2)
    assert bits_per_char(tiny_gpt, ids, block_size=1) == pytest.approx(want, rel=1e-5)
    assert bits_per_char(tiny_gpt, ids) != pytest.approx(want, rel=1e-3)


# ------------------------------------------------------------------------------------------------ VAE
@pytest.fixture(scope="module")
def tiny_vae():
    torch.manual_seed(0)
    return MLPVAE(z_dim=3, hidden=16).eval()


def test_iwae_bound_uses_likelihood_and_sigma(tiny_vae):
    x = torch.rand(4, 1, 28, 28, generator=make_generator(3))
    for lik, sigma in (("bernoulli", 0.1), ("gaussian", 0.3), ("gaussian", 0.7)):
        got = iwae_bound(tiny_vae, x, k=1, generator=make_generator(5), likelihood=lik, sigma=sigma)
        with torch.no_grad():
            mu, logvar = tiny_vae.encode(x)
            z = reparameterize(mu.expand(1, -1, -1), logvar.expand(1, -1, -1), make_generator(5))[0]
            log_px = log_likelihood(x, tiny_vae.decode(z), lik, sigma)
            log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)
            log_qz = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(1)
        torch.testing.assert_close(got, log_px + log_pz - log_qz, rtol=1e-5, atol=1e-3)


def test_evaluate_vae_uses_seed_and_likelihood(tiny_vae):
    x = torch.rand(50, 1, 28, 28, generator=make_generator(4))
    a, b = evaluate_vae(tiny_vae, x, seed=0), evaluate_vae(tiny_vae, x, seed=0)
    c = evaluate_vae(tiny_vae, x, seed=1)
    assert a == b and a["recon"] != c["recon"] and a["kl"] == pytest.approx(c["kl"])
    g1 = evaluate_vae(tiny_vae, x, likelihood="gaussian", sigma=0.5)
    g2 = evaluate_vae(tiny_vae, x, likelihood="gaussian", sigma=0.2)
    with torch.no_grad():
        mu, logvar = tiny_vae.encode(x)
        logits = tiny_vae.decode(reparameterize(mu, logvar, make_generator(0)))
        want = float(negative_elbo(x, logits, mu, logvar, likelihood="gaussian", sigma=0.5).mean())
    assert g1["neg_elbo"] == pytest.approx(want, rel=1e-4)
    assert g1["recon"] != pytest.approx(g2["recon"]) != pytest.approx(a["recon"])
    assert g1["kl"] == pytest.approx(a["kl"])


def test_train_vae_uses_beta_and_likelihood():
    x = torch.rand(128, 1, 28, 28, generator=make_generator(6)).round()

    def trained(**kw):
        torch.manual_seed(0)
        m = MLPVAE(z_dim=4, hidden=32)
        train_vae(m, x, epochs=3, batch_size=32, lr=3e-3, device="cpu", **kw)
        with torch.no_grad():
            mu, logvar = m.encode(x)
        return m, float(gaussian_kl(mu, logvar).mean())

    m1, kl1 = trained()
    m1b, _ = trained()
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m1b.parameters()))
    _, kl0 = trained(beta=0.0)
    _, kl10 = trained(beta=10.0)
    assert kl0 > kl1 > kl10                      # the KL weight is what shapes the posterior's spread
    mg, _ = trained(likelihood="gaussian")
    assert any(not torch.equal(p, q) for p, q in zip(m1.parameters(), mg.parameters()))


def test_samplers_use_their_generator(tiny_vae):
    from course_lib.models.dcgan import make_dcgan

    gan = make_dcgan(z_dim=4, channels=2, d_channels=2, seed=0).generator
    for sample in (tiny_vae.sample, gan.sample):
        a, b, c = sample(3, generator=make_generator(0)), sample(3, generator=make_generator(0)), sample(3, generator=make_generator(1))
        assert torch.equal(a, b) and not torch.equal(a, c)


# ------------------------------------------------------------------------------------------------ data
#: SHA-256 of the decompressed MNIST files, copied from the course design brief (shared/course-design.md).
BRIEF_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def test_mnist_checksums_are_pinned_to_the_brief():
    assert data.MNIST_SHA256 == BRIEF_SHA256
    assert {n for pair in data.MNIST_FILES.values() for n in pair} == set(BRIEF_SHA256)


def test_full_mnist_loader_checks_the_pinned_checksum(tmp_path):
    """A well-formed IDX file that is not the real MNIST must be refused by the default (pinned) checksums."""
    import struct

    n = 3
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28) + bytes(n * 784))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, n) + bytes(n))
    with pytest.raises(data.MNISTDataError, match="SHA-256"):
        data.load_full_mnist("test", root=tmp_path, download=False)
