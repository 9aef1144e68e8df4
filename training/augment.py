"""Augmentations applied identically to SAR input and optical target (the shift is applied in the
tile sampler, which cuts the target window a few pixels off the SAR window)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    flips: bool = True           # random horizontal / vertical flips and 90-degree rotations
    max_shift: int = 2           # target window offset from the SAR window, -max..+max px each axis
    band_dropout: float = 0.5    # dual-pol pairs: probability of hiding one band (VV-only or VH-only input)
    sar_gamma: float = 0.0       # std of log(gamma) of a random power curve on each SAR band (jitter_sar_levels)

    def drop_bands(self, pair, rng: np.random.Generator, spec=None) -> tuple[str, ...]:
        """With availability channels, a dual-pol pair sometimes shows only one band, so the model
        also learns to colour VV-only and VH-only inputs of the same places. Only bands the model
        reads are candidates, and nothing is dropped for a model that requires all its bands."""
        if spec is not None and not spec.availability_channels:
            return ()
        names = sorted(b for b in pair.bands if spec is None or b in spec.bands)
        if len(names) < 2 or self.band_dropout <= 0 or rng.random() >= self.band_dropout:
            return ()
        return (names[int(rng.integers(len(names)))],)


def augment_pair(x: np.ndarray, y: np.ndarray, valid: np.ndarray, rng: np.random.Generator,
                 config: AugmentConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One of the 8 dihedral transforms, the same for input (C,H,W), target (3,H,W) and mask (H,W)."""
    if config.flips:
        k = int(rng.integers(4))
        flip = bool(rng.integers(2))
        x, y, valid = (np.rot90(a, k, axes=(-2, -1)) for a in (x, y, valid))
        if flip:
            x, y, valid = (a[..., ::-1] for a in (x, y, valid))
    return (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.float32),
            np.ascontiguousarray(valid))


def jitter_sar_levels(x: np.ndarray, bands: int, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Each of the first ``bands`` channels (normalised SAR, 0..1 = the scene's 2nd..98th percentile)
    gets its own power curve x ** gamma, gamma = exp(N(0, sigma)), on 0..1; the tails beyond and
    the zeros of missing bands and invalid pixels stay as they are. The training sets came in
    different formats (dB; 8-bit scaled linearly; 8-bit of unknown scaling), which per-scene
    percentiles make alike in range but not in shape, so a network can tell the set, and with it
    the set's colours, from the shape of the levels. The curve keeps the order of the levels, so the
    structure stays. No random draw when ``sigma`` is 0."""
    if sigma <= 0:
        return x
    x = x.copy()
    for i in range(bands):
        gamma = float(np.exp(rng.normal(0.0, sigma)))
        band = x[i]
        inside = (band > 0) & (band < 1)
        band[inside] = band[inside] ** gamma
    return x
