"""Metrics on known pairs, and the shift-tolerant loss."""
from __future__ import annotations

import math

import torch

from sar_colorizer.training.losses import masked_mse, shift_tolerant_mse
from sar_colorizer.training.metrics import PSNR_CAP_DB, all_metrics, mean_colour_error, psnr


def test_identical_images():
    img = torch.rand(3, 64, 64, generator=torch.Generator().manual_seed(0))
    m = all_metrics(img, img.clone())
    assert m["psnr"] == PSNR_CAP_DB and abs(m["ssim"] - 1.0) < 1e-6 and m["mae"] == 0.0 and m["colour_error"] == 0.0


def test_constant_offset_known_values():
    a = torch.full((3, 32, 32), 0.5)
    b = a + 0.1
    m = all_metrics(a, b)
    assert abs(m["psnr"] - 20.0) < 1e-5            # MSE 0.01
    assert abs(m["mae"] - 0.1) < 1e-6
    assert abs(m["colour_error"] - math.sqrt(3) * 0.1 * 255) < 1e-3
    assert abs(psnr(torch.zeros(3, 4, 4), torch.ones(3, 4, 4)) - 0.0) < 1e-9
    assert abs(mean_colour_error(torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)) - math.sqrt(3) * 255) < 1e-6


def test_shift_tolerant_mse_forgives_small_misregistration():
    g = torch.Generator().manual_seed(1)
    big = torch.rand(2, 3, 48, 48, generator=g)
    target = big[:, :, 4:44, 4:44]
    pred = big[:, :, 6:46, 3:43]            # the same scene 2 px down, 1 px left
    plain = masked_mse(pred, target).item()
    assert plain > 0.1
    assert shift_tolerant_mse(pred, target, max_shift=2).item() < 0.1 * plain   # only the replicated border differs
    assert shift_tolerant_mse(pred, target, max_shift=1).item() > 0.5 * plain


def test_shift_tolerant_mse_supervises_every_pixel():
    """Regression: the tile border must get a gradient (an unsupervised border drew dark seams)."""
    pred = torch.full((1, 3, 16, 16), 0.5, requires_grad=True)
    target = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    shift_tolerant_mse(pred, target, max_shift=2).backward()
    assert bool((pred.grad[0, :, [0, 1, -2, -1], :].abs() > 0).all())
    assert bool((pred.grad[0, :, :, [0, 1, -2, -1]].abs() > 0).all())


def test_masked_mse_ignores_invalid_pixels():
    pred, target = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    target[..., 0, 0] = 1.0
    valid = torch.ones(1, 4, 4, dtype=torch.bool)
    valid[0, 0, 0] = False
    assert masked_mse(pred, target, valid).item() == 0.0
    assert abs(masked_mse(pred, target).item() - 1 / 16) < 1e-7
