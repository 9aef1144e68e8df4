"""Keep a colour prior's coarse colours in the output: the prior gives the palette, the model the structure.

The model was trained to half-trust its prior: most training priors were as wrong as the world
palette is (a colour error of the measured size), so it learned to pull the colours towards those
of the few places it trained on. A colour reference of the place itself (another date of the
same scene) is far closer to the truth than that, and in a place the model never saw its own
colours are the wrong ones. So for the prior kinds a model file names (``PriorSpec.coarse_from``),
the output keeps the prior's colour at coarse scales and takes only the finer structure from
the model:

    output = prediction + present * (prior - coarse(prediction))

with ``coarse`` a Gaussian low-pass of ``sigma_px`` pixels (a quarter of the prior's cell), reflected
at the tile's edges. It runs per tile, after the model and before the tiles are blended, in numpy:
the torch and ONNX backends give the same result. MODEL.md ("Coarse colours of a reference") has
what it was measured to change.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=16)
def blur_matrix(n: int, sigma: float) -> np.ndarray:
    """(n, n) matrix M with M @ v = v Gaussian-blurred (``sigma`` px), the signal mirrored at both
    ends (whole-sample symmetric, as scipy.ndimage's ``reflect``); every row sums to 1."""
    radius = max(1, int(round(4 * sigma)))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    period = 2 * n
    m = np.zeros((n, n), np.float64)
    for i in range(n):
        src = np.mod(i + offsets, period)
        src = np.where(src >= n, period - 1 - src, src)  # mirror: n -> n-1, -1 -> 0
        np.add.at(m[i], src, kernel)
    return m.astype(np.float32)


def coarse(images: np.ndarray, sigma_px: float) -> np.ndarray:
    """(N, C, H, W) -> the same, each channel Gaussian-blurred by ``sigma_px`` pixels (separable:
    rows then columns, as two matrix products)."""
    _, _, h, w = images.shape
    rows, cols = blur_matrix(h, float(sigma_px)), blur_matrix(w, float(sigma_px))
    return np.matmul(np.matmul(rows, images), cols.T)


def keep_coarse_colours(pred: np.ndarray, prior: np.ndarray, sigma_px: float) -> np.ndarray:
    """``pred`` (N, 3, H, W) in 0..1 with its coarse colours replaced by ``prior``'s (N, 4, H, W):
    R, G, B, present as the model took them), as far as the prior is present; clipped to 0..1."""
    pred = np.asarray(pred, np.float32)
    present = np.clip(prior[:, 3:4], 0.0, 1.0)
    out = pred + present * (prior[:, :3] - coarse(pred, sigma_px))
    return np.clip(out, 0.0, 1.0, out=out)
