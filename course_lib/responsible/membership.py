"""Membership inference: does a trained model give away which examples it was trained on?

An attack gives every candidate example a **score**; higher means "more likely a member of the training set".
Run on known members and known non-members, the scores make a ROC curve: for every threshold ``t`` the attack
says "member" when ``score >= t``, with

    TPR(t) = #{members with score >= t} / #members,   FPR(t) = #{non-members with score >= t} / #non-members.

The area under it (AUC) is the chance that a random member outscores a random non-member (ties count ½).
Carlini et al. (2022, arXiv:2112.03570) argue that the number that matters is the **TPR at a low FPR** (say 1 %):
an attack is dangerous when it picks out *some* members with confidence, even if its average (AUC) is near ½.

:func:`tpr_at_fpr` reads the ROC at a given FPR by **linear interpolation between the two ROC points whose FPRs
bracket it** (the rate a randomised threshold between those two thresholds achieves); on a point it returns
the highest TPR there. With ``m`` non-members the ROC moves in FPR steps of ``1/m``: with 1,000 of them, 1 % FPR is
the 10 highest-scoring non-members, so the number carries real sampling noise.

The attacks:

* :func:`vae_loss_scores` — the loss-threshold attack of Yeom et al. (2018): score = −(per-image −ELBO), i.e. the
  ELBO; a model that fits its training images better than unseen ones gives them a higher ELBO.
* :func:`discriminator_scores` — LOGAN (Hayes et al. 2019, white-box): score = the GAN discriminator's logit; a
  discriminator that has seen the training images calls them "real" more confidently than unseen ones.
* :func:`diffusion_loss_scores` — the loss-threshold attack on a diffusion model: score = −(the image's denoising
  loss ``L_simple``), averaged over a fixed set of timesteps and noises, the same for every image.

Chapter 6 and the audit cards (:mod:`course_lib.responsible.audit`) run the attacks through the same two protocols,
so that their numbers agree: :func:`loss_threshold_attack` (a VAE) and :func:`logan_attack` (a DCGAN, with the
PacGAN anchors taken out of the non-members).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import Tensor, nn

from ..data import spread_subset
from ..models.diffusion import q_sample
from ..models.vae import negative_elbo, reparameterize
from ..stats import bootstrap_interval_multi

if TYPE_CHECKING:
    from ..stats import Interval

__all__ = ["MembershipScores", "vae_membership", "dcgan_membership", "diffusion_membership", "VAE_DRAWS",
           "LOGAN_ANCHORS", "ROC", "roc_curve", "auc", "tpr_at_fpr", "attack_summary", "attack_intervals", "vae_loss_scores", "discriminator_scores",
           "diffusion_loss_scores", "DIFFUSION_TIMESTEPS", "loss_threshold_attack", "logan_attack", "split_anchors"]


@dataclass(frozen=True)
class ROC:
    """A ROC curve: ``fpr``, ``tpr`` (float64, non-decreasing, from (0, 0) to (1, 1)) and the ``thresholds``
    (``score >= threshold`` means "member"; the first one is ``+inf``)."""

    fpr: Tensor
    tpr: Tensor
    thresholds: Tensor


def _scores(x: Tensor | list[float], name: str) -> Tensor:
    t = torch.as_tensor(x, dtype=torch.float64).detach().cpu().flatten()
    if t.numel() == 0:
        raise ValueError(f"{name} is empty: an attack needs at least one score of each kind")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} contains NaN or infinite scores; check the model's outputs")
    return t


def roc_curve(member_scores: Tensor | list[float], nonmember_scores: Tensor | list[float]) -> ROC:
    """The ROC curve of an attack that says "member" when ``score >= t``, at every distinct score ``t``.

    Args:
        member_scores: ``(M,)`` scores of training examples (higher = more likely a member).
        nonmember_scores: ``(N,)`` scores of examples the model never saw.

    Returns:
        A :class:`ROC` with one point per distinct score plus the start ``(0, 0)`` at ``t = +inf``.
    """
    m, n = _scores(member_scores, "member_scores"), _scores(nonmember_scores, "nonmember_scores")
    thr = torch.unique(torch.cat([m, n])).flip(0)  # distinct scores, descending
    # counts of scores >= t for each threshold t, by binary search in the sorted scores
    ms, ns = m.sort().values, n.sort().values
    tp = len(ms) - torch.searchsorted(ms, thr, right=False)
    fp = len(ns) - torch.searchsorted(ns, thr, right=False)
    zero = torch.zeros(1, dtype=torch.float64)
    tpr = torch.cat([zero, tp.double() / len(ms)])
    fpr = torch.cat([zero, fp.double() / len(ns)])
    return ROC(fpr=fpr, tpr=tpr, thresholds=torch.cat([torch.tensor([float("inf")], dtype=torch.float64), thr]))


def auc(roc: ROC) -> float:
    """Area under the ROC curve (trapezoids; equals P(member score > non-member score) + ½ P(tie))."""
    return float(torch.trapezoid(roc.tpr, roc.fpr))


def tpr_at_fpr(roc: ROC, fpr: float) -> float:
    """TPR at false-positive rate ``fpr``, interpolated linearly between the ROC points that bracket it.

    If the ROC has points at exactly ``fpr``, the highest TPR among them; otherwise, with ``i`` the last point
    whose FPR is below ``fpr``: ``tpr[i] + (fpr − fpr[i]) · (tpr[i+1] − tpr[i]) / (fpr[i+1] − fpr[i])``.
    """
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must be in [0, 1], got {fpr}")
    f, t = roc.fpr, roc.tpr
    i = int(torch.searchsorted(f, torch.tensor([fpr], dtype=torch.float64), right=True)[0]) - 1  # last f <= fpr
    if f[i] == fpr or i == len(f) - 1:
        return float(t[i])
    return float(t[i] + (fpr - f[i]) * (t[i + 1] - t[i]) / (f[i + 1] - f[i]))


def attack_summary(member_scores: Tensor, nonmember_scores: Tensor, fpr: float = 0.01) -> dict[str, float]:
    """``{"auc", "tpr_at_fpr", "fpr", "members", "nonmembers"}`` of an attack, for tables."""
    roc = roc_curve(member_scores, nonmember_scores)
    return {"auc": auc(roc), "tpr_at_fpr": tpr_at_fpr(roc, fpr), "fpr": fpr,
            "members": int(torch.as_tensor(member_scores).numel()),
            "nonmembers": int(torch.as_tensor(nonmember_scores).numel())}


def attack_intervals(member_scores: Tensor, nonmember_scores: Tensor, fpr: float = 0.01, n_resamples: int = 1000,
                     seed: int = 0) -> dict[str, Interval]:
    """95% bootstrap intervals of an attack's ``"auc"`` and ``"tpr_at_fpr"``: members and non-members are
    resampled independently (percentile bootstrap, :func:`course_lib.stats.bootstrap_interval_multi`).

    The AUC of a guessing attack is 0.5 and its TPR at ``fpr`` is ``fpr``: an attack beats guessing only where the
    interval lies above those values.
    """
    s_in = torch.as_tensor(member_scores, dtype=torch.float64).numpy()
    s_out = torch.as_tensor(nonmember_scores, dtype=torch.float64).numpy()

    def stat(which: str):
        def f(a, b) -> float:
            roc = roc_curve(torch.from_numpy(a), torch.from_numpy(b))
            return auc(roc) if which == "auc" else tpr_at_fpr(roc, fpr)
        return f

    return {k: bootstrap_interval_multi((s_in, s_out), stat(k), n_resamples=n_resamples, method="percentile", seed=seed)
            for k in ("auc", "tpr_at_fpr")}


@torch.no_grad()
def vae_loss_scores(model: nn.Module, x: Tensor, draws: int = 8, seed: int = 0, batch_size: int = 500,
                    likelihood: str = "bernoulli") -> Tensor:
    """Loss-threshold attack scores: the per-image ELBO (= −loss), averaged over ``draws`` samples of ``z``.

    Args:
        model: a course_lib image VAE (``encode``/``decode``), on any device.
        x: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        draws: reparameterised samples of ``z`` per image (more draws, less noise in the score).
        seed: seeds the draws (the same seed gives the same scores).
        likelihood: as in :func:`course_lib.vae.log_likelihood`.

    Returns:
        ``(N,)`` float64 scores on the CPU; higher = "more likely a training image".
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(dev)
        mu, logvar = model.encode(xb)
        tot = torch.zeros(len(xb), dtype=torch.float64, device=dev)
        for _ in range(draws):
            z = reparameterize(mu, logvar, gen)
            tot += negative_elbo(xb, model.decode(z), mu, logvar, likelihood=likelihood).double()
        out.append(-(tot / draws).cpu())
    model.train(was)
    return torch.cat(out)


@torch.no_grad()
def discriminator_scores(discriminator: nn.Module, x: Tensor, anchors: Tensor | None = None,
                         batch_size: int = 500) -> Tensor:
    """LOGAN scores: the discriminator's logit for each image (eval mode: batch norm uses running statistics).

    A packing discriminator (``pack = p > 1``, PacGAN) judges ``p`` images at once. Each image is then packed
    with ``p − 1`` of the ``anchors`` (images that are not being attacked), once per way of choosing them in
    turn, and its score is the mean logit over those packs, so that every image is judged in the same company.

    Args:
        discriminator: maps ``(B, 1, 28, 28)`` to logits ``(B / pack,)``; has attribute ``pack`` (default 1).
        x: ``(N, 1, 28, 28)`` images.
        anchors: ``(A, 1, 28, 28)``, ``A >= pack − 1``; needed only when ``pack > 1``.

    Returns:
        ``(N,)`` float64 scores on the CPU; higher = "more likely a training image".
    """
    pack = int(getattr(discriminator, "pack", 1))
    was = discriminator.training
    discriminator.eval()
    dev = next(discriminator.parameters()).device
    if pack > 1:
        if anchors is None or len(anchors) < pack - 1:
            raise ValueError(f"a packing discriminator (pack={pack}) needs at least {pack - 1} anchor images "
                             f"to pack each attacked image with; pass anchors=held-out images not under attack")
        groups = [anchors[j:j + pack - 1] for j in range(0, len(anchors) - pack + 2, pack - 1)]
        groups = [g.to(dev) for g in groups if len(g) == pack - 1]
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size].to(dev)
        if pack == 1:
            out.append(discriminator(xb).double().cpu())
            continue
        tot = torch.zeros(len(xb), dtype=torch.float64, device=dev)
        for g in groups:
            packs = torch.cat([xb[:, None], g[None].expand(len(xb), *g.shape)], dim=1)  # (B, pack, 1, 28, 28)
            tot += discriminator(packs.reshape(-1, 1, 28, 28)).double()
        out.append((tot / len(groups)).cpu())
    discriminator.train(was)
    return torch.cat(out)


#: The timesteps (of T = 1000) at which :func:`diffusion_loss_scores` measures the denoising loss by default: the
#: low-noise end, where a model that memorised an image denoises it best (Carlini et al. 2023, arXiv:2301.13188,
#: attack at small t), plus two larger times for the coarse shape.
DIFFUSION_TIMESTEPS: tuple[int, ...] = (25, 50, 100, 200, 400)


@torch.no_grad()
def diffusion_loss_scores(model: nn.Module, x: Tensor, ts: tuple[int, ...] | list[int] = DIFFUSION_TIMESTEPS,
                          seed: int = 0, y: Tensor | None = None, draws: int = 1, batch_size: int = 500) -> Tensor:
    """Loss-threshold attack scores for a diffusion model: minus the per-image denoising loss.

    For image ``i`` (``x0 = 2 x − 1``, data units as in training), every timestep ``t`` of ``ts`` and every draw
    ``k < draws``, with one noise ``ε_{t,k,i} ~ N(0, I)``::

        ℓ_i = mean over (t, k) of  mean over pixels of  (ε_θ(√ᾱ_t x0_i + √(1 − ᾱ_t) ε_{t,k,i}, t, y_i) − ε_{t,k,i})²

    i.e. ``L_simple`` (Ho et al. 2020) of that image, averaged over a fixed set of times and noises instead of
    random ones, so that every image is judged on the same footing; the score is ``−ℓ_i`` (higher = "more likely
    a training image"). The noises come from one CPU ``torch.Generator`` seeded ``seed``: for each ``t`` in the
    order of ``ts``, then each draw, one ``torch.randn((N, 1, 28, 28))`` for the whole set — so the score of an
    image does not depend on ``batch_size`` or on the device.

    Args:
        model: a :class:`course_lib.models.diffusion_unet.DiffusionUNet` (``model(x_t, t, y) -> ε̂``, ``model.schedule``).
        x: ``(N, 1, 28, 28)`` images in ``[0, 1]``.
        ts: timesteps in ``1 .. T``.
        seed: seeds the noises.
        y: ``(N,)`` class labels for a class-conditional model (``None``: the null class, unconditional).
        draws: noises per timestep.

    Returns:
        ``(N,)`` float64 scores on the CPU.
    """
    ts = [int(t) for t in ts]
    T = int(model.schedule.T)
    if not ts or any(not 1 <= t <= T for t in ts):
        raise ValueError(f"ts must be a non-empty list of timesteps in 1..{T}, got {ts}")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"x must have shape (N, 1, 28, 28), got {tuple(x.shape)}")
    if y is not None and len(y) != len(x):
        raise ValueError(f"y must hold one label per image: {len(y)} labels for {len(x)} images")
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    noises = [(t, torch.randn((len(x), 1, 28, 28), generator=gen)) for t in ts for _ in range(draws)]
    total = torch.zeros(len(x), dtype=torch.float64)
    for t, eps_all in noises:
        for i in range(0, len(x), batch_size):
            x0 = x[i:i + batch_size].to(dev, torch.float32) * 2 - 1
            eps = eps_all[i:i + batch_size].to(dev)
            tt = torch.full((len(x0),), t, dtype=torch.long, device=dev)
            yb = None if y is None else y[i:i + batch_size].to(dev)
            pred = model(q_sample(x0, tt, model.schedule, eps), tt, yb).float()
            total[i:i + batch_size] += (pred - eps).pow(2).flatten(1).mean(1).double().cpu()
    model.train(was)
    return -(total / len(noises))


def split_anchors(x_nonmembers: Tensor, n_anchors: int) -> tuple[Tensor, Tensor]:
    """``(anchors, remaining non-members)``: ``n_anchors`` images spread evenly over ``x_nonmembers``
    (:func:`course_lib.data.spread_subset`) and the others, in their order. Works on any tensor indexed
    along its first dimension (e.g. the labels, to split them the same way)."""
    if not 0 <= n_anchors < len(x_nonmembers):
        raise ValueError(f"n_anchors must be between 0 and {len(x_nonmembers) - 1}, got {n_anchors}")
    is_anchor = torch.zeros(len(x_nonmembers), dtype=torch.bool)
    if n_anchors:
        is_anchor[spread_subset(len(x_nonmembers), n_anchors)] = True
    return x_nonmembers[is_anchor], x_nonmembers[~is_anchor]


def loss_threshold_attack(vae: nn.Module, x_members: Tensor, x_nonmembers: Tensor, draws: int = 2,
                          seed: int = 0) -> tuple[Tensor, Tensor]:
    """Chapter 6's loss-threshold attack on an image VAE: :func:`vae_loss_scores` of the members and of the
    non-members (each call seeded ``seed``, ``draws`` draws of ``z``). Returns ``(member_scores,
    nonmember_scores)``; :func:`attack_summary` turns them into AUC and TPR at 1 % FPR."""
    return (vae_loss_scores(vae, x_members, draws=draws, seed=seed),
            vae_loss_scores(vae, x_nonmembers, draws=draws, seed=seed))


def logan_attack(dcgan: nn.Module, x_members: Tensor, x_nonmembers: Tensor,
                 n_anchors: int = 4) -> tuple[Tensor, Tensor]:
    """Chapter 6's LOGAN attack on a DCGAN: :func:`discriminator_scores` of its discriminator.

    A packing discriminator (``pack > 1``) needs anchors: ``n_anchors`` of the non-members, spread evenly
    (:func:`split_anchors`), pack every attacked image and are then **left out** of the non-members, so the
    non-member scores have ``len(x_nonmembers) − n_anchors`` entries. With ``pack = 1`` no anchor is needed and
    every non-member is scored.

    Args:
        dcgan: a :class:`course_lib.models.dcgan.DCGAN` (or any module with a ``discriminator``), or the
            discriminator itself.

    Returns:
        ``(member_scores, nonmember_scores)``.
    """
    disc = getattr(dcgan, "discriminator", dcgan)
    if int(getattr(disc, "pack", 1)) == 1:
        return discriminator_scores(disc, x_members), discriminator_scores(disc, x_nonmembers)
    anchors, rest = split_anchors(x_nonmembers, n_anchors)
    return discriminator_scores(disc, x_members, anchors), discriminator_scores(disc, rest, anchors)


# ------------------------------------------------------------------------------------ the registry's hooks
#: Draws of z per image in the VAE loss-threshold attack (chapter 6's protocol).
VAE_DRAWS = 2
#: PacGAN anchors taken from the held-out digits in the LOGAN attack (chapter 6's protocol); every kind's
#: non-members leave them out, so that the attacks' rows compare.
LOGAN_ANCHORS = 4


class MembershipScores(NamedTuple):
    """What a model kind's membership hook returns: the scores of the members and of the non-members (higher =
    "more likely a member"), the attack's name and how its score is computed, in words."""

    members: Tensor
    nonmembers: Tensor
    attack: str
    score: str


def vae_membership(model: nn.Module, x_members: Tensor, y_members: Tensor, x_heldout: Tensor, y_heldout: Tensor,
                   seed: int = 0) -> MembershipScores:
    """The membership hook of the image VAEs (their registry entries): :func:`loss_threshold_attack` against the
    held-out digits less the :data:`LOGAN_ANCHORS` anchors (:func:`split_anchors`)."""
    _, x_out = split_anchors(x_heldout, LOGAN_ANCHORS)
    s_in, s_out = loss_threshold_attack(model, x_members, x_out, draws=VAE_DRAWS, seed=seed)
    return MembershipScores(s_in, s_out, "loss threshold (Yeom et al. 2018): score = per-image ELBO",
                            f"score = the image's ELBO (= -loss), averaged over {VAE_DRAWS} draws of z seeded {seed} "
                            f"(membership.loss_threshold_attack)")


def dcgan_membership(model: nn.Module, x_members: Tensor, y_members: Tensor, x_heldout: Tensor, y_heldout: Tensor,
                     seed: int = 0) -> MembershipScores:
    """The DCGAN's membership hook: :func:`logan_attack` on its discriminator (a packing one packs every image
    with the :data:`LOGAN_ANCHORS` anchors, which leave the non-members; without packing they are left out too)."""
    pack = int(getattr(getattr(model, "discriminator", model), "pack", 1))
    if pack > 1:
        s_in, s_out = logan_attack(model, x_members, x_heldout, n_anchors=LOGAN_ANCHORS)
    else:
        s_in, s_out = logan_attack(model, x_members, split_anchors(x_heldout, LOGAN_ANCHORS)[1])
    return MembershipScores(s_in, s_out, "LOGAN (Hayes et al. 2019): score = discriminator logit",
                            "score = the discriminator's logit (eval mode; membership.logan_attack)" +
                            (f", each image packed with each of the {LOGAN_ANCHORS} anchors in turn (PacGAN, pack "
                             f"{pack}) and the logits averaged" if pack > 1 else ""))


def diffusion_membership(model: nn.Module, x_members: Tensor, y_members: Tensor, x_heldout: Tensor,
                         y_heldout: Tensor, seed: int = 0) -> MembershipScores:
    """The diffusion model's membership hook: :func:`diffusion_loss_scores` with the true labels, against the
    held-out digits less the :data:`LOGAN_ANCHORS` anchors."""
    _, x_out = split_anchors(x_heldout, LOGAN_ANCHORS)
    _, y_out = split_anchors(y_heldout, LOGAN_ANCHORS)
    return MembershipScores(diffusion_loss_scores(model, x_members, seed=seed, y=y_members),
                            diffusion_loss_scores(model, x_out, seed=seed, y=y_out),
                            "loss threshold on the denoising loss: score = -L_simple",
                            f"score = minus the image's denoising loss L_simple with its true class label, averaged "
                            f"over t in {list(DIFFUSION_TIMESTEPS)} with one fixed noise per t (seeded {seed}; "
                            f"membership.diffusion_loss_scores)")
