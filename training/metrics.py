"""Image metrics on RGB in [0, 1]: PSNR, SSIM (pytorch-msssim), MAE and mean colour error."""
from __future__ import annotations

import math

import torch

PSNR_CAP_DB = 100.0  # identical images: PSNR is infinite; reported as this cap so means stay finite


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR in dB for data range 1, over all pixels of (3,H,W) or (N,3,H,W)."""
    mse = float(((pred.double() - target.double()) ** 2).mean())
    if mse <= 10 ** (-PSNR_CAP_DB / 10):
        return PSNR_CAP_DB
    return -10.0 * math.log10(mse)


def ssim(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean SSIM (Gaussian window 11, sigma 1.5, data range 1) via pytorch-msssim."""
    from pytorch_msssim import ssim as _ssim

    if pred.dim() == 3:
        pred, target = pred.unsqueeze(0), target.unsqueeze(0)
    return float(_ssim(pred.float(), target.float(), data_range=1.0, size_average=True))


def mae(pred: torch.Tensor, target: torch.Tensor) -> float:
    return float((pred.double() - target.double()).abs().mean())


def mean_colour_error(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Distance between the mean RGB of prediction and target, in 8-bit levels (0..441).

    Catches a model painting the right structures in the wrong colours (desert tones on a forest).
    """
    dims = tuple(range(pred.dim() - 2, pred.dim()))
    d = pred.double().mean(dim=dims) - target.double().mean(dim=dims)
    return float(torch.linalg.vector_norm(d, dim=-1).mean() * 255.0)


def all_metrics(pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    return {"psnr": psnr(pred, target), "ssim": ssim(pred, target), "mae": mae(pred, target),
            "colour_error": mean_colour_error(pred, target)}
