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
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["ROC", "roc_curve", "auc", "tpr_at_fpr", "attack_summary", "vae_loss_scores", "discriminator_scores"]


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
    from ..models.vae import negative_elbo, reparameterize

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
