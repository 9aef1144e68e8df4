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
the torch and ONNX backends give the same result. MODEL.md ("Coarse colours of a colour reference kept")
has what it was measured to change, and why the shipped model keeps a reference's but not the world
palette's.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

import numpy as np


@lru_cache(maxsize=16)
def blur_matrix(n: int, sigma: float) -> np.ndarray:
    """(n, n) matrix M with M @ v = v Gaussian-blurred (``sigma`` px), the signal mirrored at both
    ends (whole-sample symmetric, as scipy.ndimage's ``reflect``); every row sums to 1."""
    return _blur_matrix64(n, sigma).astype(np.float32)


@lru_cache(maxsize=16)
def _blur_matrix64(n: int, sigma: float) -> np.ndarray:
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
    return m


@lru_cache(maxsize=16)
def blur_factors(n: int, sigma: float) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """(L, R), (n, k) and (k, n), with L @ R = blur_matrix(n, sigma) to 5e-6, where a blur this wide
    has so few degrees of freedom that k <= n / 4 (a 64 px blur of a 256 px tile: k = 6); else None.

    Why: the two full products cost 2 n^3 per channel, and numpy hands them to a multi-threaded BLAS
    whose threads then compete with ONNX Runtime's (measured: the rule took a 2048 px scene from
    5.7 to 9.3 s); through the factors it is ~4 n^2 k, in einsum's own single-threaded loops."""
    m = _blur_matrix64(n, sigma)
    u, s, vt = np.linalg.svd(m)
    for k in range(1, n // 4 + 1):
        left, right = u[:, :k] * s[:k], vt[:k]
        if np.abs(left @ right - m).max() < 5e-6:
            return left.astype(np.float32), right.astype(np.float32)
    return None


def coarse(images: np.ndarray, sigma_px: float) -> np.ndarray:
    """(N, C, H, W) -> the same, each channel Gaussian-blurred by ``sigma_px`` pixels (separable:
    rows then columns; through blur_factors where both sides have them)."""
    _, _, h, w = images.shape
    rows, cols = blur_factors(h, float(sigma_px)), blur_factors(w, float(sigma_px))
    if rows is None or cols is None:
        return np.matmul(np.matmul(blur_matrix(h, float(sigma_px)), images), blur_matrix(w, float(sigma_px)).T)
    (row_l, row_r), (col_l, col_r) = rows, cols
    small = np.einsum("kh,...hj->...kj", row_r, np.einsum("...hw,kw->...hk", images, col_r))
    return np.einsum("...hj,wj->...hw", np.einsum("hk,...kj->...hj", row_l, small), col_l)


def keep_coarse_colours(pred: np.ndarray, prior: np.ndarray, sigma_px: float,
                        valid: Optional[np.ndarray] = None) -> np.ndarray:
    """``pred`` (N, 3, H, W) in 0..1 with its coarse colours replaced by ``prior``'s (N, 4, H, W):
    R, G, B, present as the model took them), as far as the prior is present; clipped to 0..1.

    ``valid`` (N, H, W): the SAR's valid pixels. The prediction's coarse colour is then their
    weighted mean alone: what the model paints over nodata (a scene's collar) would otherwise shift
    the colours of the valid pixels next to it (measured: 30 levels darker beside a nodata third)."""
    pred = np.asarray(pred, np.float32)
    present = np.clip(prior[:, 3:4], 0.0, 1.0)
    if valid is None or valid.all():
        low = coarse(pred, sigma_px)
    else:
        weight = np.asarray(valid, np.float32)[:, None]
        low = coarse(pred * weight, sigma_px) / np.maximum(coarse(weight, sigma_px), np.float32(1e-6))
    out = pred + present * (prior[:, :3] - low)
    return np.clip(out, 0.0, 1.0, out=out)
