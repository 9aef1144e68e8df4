"""Augmentation of training tiles (training/augment.py): the SAR level curve."""
from __future__ import annotations

import numpy as np
import pytest

from sar_colorizer.core.modelfile import InputSpec
from sar_colorizer.training.augment import AugmentConfig, jitter_sar_levels

from .conftest import DATA_ROOT

TRAIN = DATA_ROOT / "train"


def test_level_curve_keeps_order_tails_zeros_and_the_other_channels():
    levels = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    x = np.stack([levels, levels[::-1], np.zeros_like(levels), np.full_like(levels, 0.7)])[:, None, :]
    rng = np.random.default_rng(3)
    out = jitter_sar_levels(x, 3, rng, sigma=0.5)
    assert out is not x and np.array_equal(x[0, 0], levels)  # the input is not changed
    inside = (levels > 0) & (levels < 1)
    for band in (0, 1):
        src, got = x[band, 0], out[band, 0]
        np.testing.assert_array_equal(got[(src <= 0) | (src >= 1)], src[(src <= 0) | (src >= 1)])  # tails kept
        assert (got[inside] > 0).all() and (got[inside] < 1).all()
    assert (np.diff(out[0, 0]) > 0).all()  # still strictly increasing: the structure's order is kept
    gammas = [np.log(out[b, 0][inside & (x[b, 0] > 0.1) & (x[b, 0] < 0.9)]) /
              np.log(x[b, 0][inside & (x[b, 0] > 0.1) & (x[b, 0] < 0.9)]) for b in (0, 1)]
    for g in gammas:  # one power curve per band
        assert np.ptp(g) < 1e-4
    assert abs(gammas[0][0] - gammas[1][0]) > 1e-3  # each band its own
    np.testing.assert_array_equal(out[2], 0)  # a missing band stays zero
    np.testing.assert_array_equal(out[3], x[3])  # channels past the SAR bands untouched


def test_level_curve_spread_and_no_draw_when_off():
    rng = np.random.default_rng(0)
    x = np.full((1, 1, 1), 0.5, np.float32)
    gammas = np.log([np.log(jitter_sar_levels(x, 1, rng, 0.5)[0, 0, 0]) / np.log(0.5) for _ in range(4000)])
    assert gammas.mean() == pytest.approx(0.0, abs=0.03) and gammas.std() == pytest.approx(0.5, abs=0.03)
    rng, untouched = np.random.default_rng(5), np.random.default_rng(5)
    assert jitter_sar_levels(x, 1, rng, 0.0) is x
    assert rng.random() == untouched.random()


@pytest.mark.skipif(not TRAIN.is_dir(), reason=f"real data not found at {TRAIN} (needs ../shared/data)")
def test_real_training_tiles_with_level_curves_are_the_same_tiles():
    """The same seed cuts the same tiles with and without the curve: same target, mask and
    availability channels; the SAR channels differ only in their levels, not in their order."""
    from sar_colorizer.training.datasets import BandRoles, RandomTileDataset, discover, load_sources

    sources = [s for s in discover(TRAIN) if s.name.startswith("temperate-pairs/finland_0060c0a5_")][:3]
    spec = InputSpec(bands=("VV", "VH"), availability_channels=True)
    pairs = load_sources(sources, spec, BandRoles.parse([]))
    plain = RandomTileDataset(pairs, spec, tile=64, length=12, seed=7)
    curved = RandomTileDataset(pairs, spec, tile=64, length=12, seed=7, augment=AugmentConfig(sar_gamma=0.5))
    moved = 0
    for i in range(12):
        (x0, y0, v0), (x1, y1, v1) = (tuple(t.numpy() for t in item) for item in (plain[i], curved[i]))
        np.testing.assert_array_equal(y1, y0)
        np.testing.assert_array_equal(v1, v0)
        np.testing.assert_array_equal(x1[2:], x0[2:])
        for band in (0, 1):
            if x0[band].any():
                order = np.argsort(x0[band].ravel(), kind="stable")
                assert (np.diff(x1[band].ravel()[order]) >= -1e-6).all()  # the same order of levels
                moved += float(np.abs(x1[band] - x0[band]).mean()) > 0.005
    assert moved >= 12
