"""The inference rule of core/coarse_colours.py in torch, so that a model can be trained under it: the
output's coarse colours are the prior's, and the loss can only be lowered by the structure the
network draws finer than that (issue 11: "the prior gives the palette, the SAR gives every structure")."""
from __future__ import annotations

import torch

from ..core.coarse_colours import blur_matrix


def keep_coarse_colours(pred: torch.Tensor, prior: torch.Tensor, sigma_px: float) -> torch.Tensor:
    """Torch twin of core.coarse_colours.keep_coarse_colours: the same blur matrices, the same formula;
    without its validity weighting, since no training pair has invalid SAR pixels (262 of 262 whole)."""
    h, w = pred.shape[-2:]
    rows = torch.from_numpy(blur_matrix(h, float(sigma_px))).to(pred)
    cols = torch.from_numpy(blur_matrix(w, float(sigma_px))).to(pred)
    low = rows @ pred @ cols.T
    present = prior[:, 3:4].to(pred).clamp(0, 1)
    return (pred + present * (prior[:, :3].to(pred) - low)).clamp(0, 1)
