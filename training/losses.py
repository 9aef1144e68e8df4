"""Training losses: plain masked MSE (reference design) and a misalignment-tolerant MSE."""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("mse", "shift_mse", "shift_l1_ssim")


def masked_mse(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error over valid pixels (valid: (N,H,W) bool or None)."""
    err = (pred - target) ** 2
    if valid is None:
        return err.mean()
    w = valid.unsqueeze(1).to(err.dtype)
    return (err * w).sum() / (w.sum() * err.shape[1]).clamp_min(1.0)


def shift_tolerant_mse(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None,
                       max_shift: int = 2, l1_weight: float = 0.0) -> torch.Tensor:
    """Per image, the smallest MSE over integer shifts of the target by -max..+max px in x and y.

    SAR and optical are never perfectly co-registered; a plain MSE then rewards blur. Taking the
    best of a few small global shifts lets the network keep sharp edges where they are in the SAR.
    The target is padded by edge replication so that EVERY predicted pixel is compared for every
    shift: a first version compared only the interior, left the outer ``max_shift`` px of each
    training tile unsupervised, and the model drew dark seams at tile borders (measured on India
    scene-3: mean brightness 0.09 lower at tile edges).
    ``l1_weight``: each shift's error is MSE + l1_weight x L1 (L1 keeps more contrast than MSE).
    """
    m = int(max_shift)
    if m <= 0:
        return masked_mse(pred, target, valid)
    n, c, h, w = pred.shape
    if valid is None:
        valid = torch.ones((n, h, w), dtype=torch.bool, device=pred.device)
    tp = F.pad(target, (m, m, m, m), mode="replicate")
    vp = F.pad(valid.unsqueeze(1).to(pred.dtype), (m, m, m, m), mode="replicate")
    vpred = valid.unsqueeze(1).to(pred.dtype)
    losses = []
    for dy in range(-m, m + 1):
        for dx in range(-m, m + 1):
            t = tp[:, :, m + dy:m + dy + h, m + dx:m + dx + w]
            v = vpred * vp[:, :, m + dy:m + dy + h, m + dx:m + dx + w]
            d = pred - t
            e = d ** 2 if not l1_weight else d ** 2 + l1_weight * d.abs()
            err = (e * v).sum(dim=(1, 2, 3)) / (v.sum(dim=(1, 2, 3)) * c).clamp_min(1.0)
            losses.append(err)
    return torch.stack(losses, dim=1).min(dim=1).values.mean()


def structure_loss(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor | None = None,
                   max_shift: int = 2, l1_weight: float = 0.5, ssim_weight: float = 0.2) -> torch.Tensor:
    """Shift-tolerant (MSE + L1) plus ssim_weight x (1 - SSIM): SSIM rewards local contrast and
    structure, which a pixel loss alone trades for a safe grey. Invalid pixels take the target's
    value before SSIM, so they neither help nor hurt."""
    from pytorch_msssim import ssim

    pixel = shift_tolerant_mse(pred, target, valid, max_shift, l1_weight=l1_weight)
    p = pred if valid is None else torch.where(valid.unsqueeze(1), pred, target)
    return pixel + ssim_weight * (1.0 - ssim(p, target, data_range=1.0, size_average=True))


def make_loss(name: str, max_shift: int = 2):
    if name == "mse":
        return masked_mse
    if name == "shift_mse":
        return lambda pred, target, valid=None: shift_tolerant_mse(pred, target, valid, max_shift)
    if name == "shift_l1_ssim":
        return lambda pred, target, valid=None: structure_loss(pred, target, valid, max_shift)
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
