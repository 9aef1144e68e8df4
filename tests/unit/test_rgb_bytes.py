"""Model predictions to output bytes: round to nearest, clip to 0..255, 0 where the input was invalid."""
import dataclasses

import numpy as np

from sar_colorizer.core.modelfile import ModelMetadata, OutputSpec
from sar_colorizer.core.pipeline import to_rgb_bytes


def _reference(pred, valid, scale, offset):
    """The plain float32 arithmetic: scale, offset, +0.5, clip always, truncate, mask."""
    v = pred * np.float32(scale) + np.float32(offset) + np.float32(0.5)
    v = np.clip(v, 0, 255).astype(np.uint8)
    v[:, ~valid] = 0
    return v


def test_sigmoid_range_rounds_to_nearest_and_masks():
    rng = np.random.default_rng(0)
    pred = rng.random((3, 40, 50), dtype=np.float32)
    pred[:, 0, :4] = [0.0, 1.0, 0.4 / 255, 254.6 / 255]
    valid = rng.random((40, 50)) > 0.2
    valid[0, :4] = True
    got = to_rgb_bytes(pred, valid, ModelMetadata())
    assert got.dtype == np.uint8
    assert np.array_equal(got, _reference(pred, valid, 255.0, 0.0))
    assert got[0, 0, :4].tolist() == [0, 255, 0, 255]
    assert (got[:, ~valid] == 0).all()
    exact = np.floor(pred.astype(np.float64) * 255 + 0.5)
    assert np.abs(got[:, valid] - exact[:, valid]).max() <= 1


def test_values_outside_0_255_are_clipped():
    rng = np.random.default_rng(1)
    pred = rng.random((3, 30, 30), dtype=np.float32)
    meta = dataclasses.replace(ModelMetadata(), output=OutputSpec(scale=400.0, offset=-60.0))
    valid = np.ones((30, 30), bool)
    got = to_rgb_bytes(pred, valid, meta)
    want = _reference(pred, valid, 400.0, -60.0)
    assert np.array_equal(got, want)
    assert got.min() == 0 and got.max() == 255
    assert (got[pred * 400 - 60 < -0.5] == 0).all() and (got[pred * 400 - 60 > 255] == 255).all()
