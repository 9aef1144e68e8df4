"""The shared real data loads as the recipe expects (skipped when ../shared/data is absent)."""
from __future__ import annotations

import numpy as np
import pytest

from sar_colorizer.core import pipeline, raster_io
from sar_colorizer.core.modelfile import InputSpec, ModelMetadata
from sar_colorizer.training.datasets import BandRoles, discover, load_sources

from .conftest import DATA_ROOT

TRAIN = DATA_ROOT / "train"
pytestmark = pytest.mark.skipif(not TRAIN.is_dir(), reason=f"real data not found at {TRAIN} (needs ../shared/data)")
SPEC = InputSpec(bands=("VV", "VH"), availability_channels=True)


def test_discovers_all_training_pairs():
    counts = {}
    for s in discover(TRAIN):
        counts[s.dataset] = counts.get(s.dataset, 0) + 1
    assert counts == {"desert-patches": 144, "india-scenes": 3, "la-texas-vh": 100, "temperate-pairs": 15}


def test_real_pairs_units_bands_and_parity_with_inference():
    sources = [s for s in discover(TRAIN) if s.name in ("temperate-pairs/finland_0060c0a5_month08",
                                                        "la-texas-vh/003", "desert-patches/zone_9_a_Apr_patch_00")]
    pairs = {p.name: p for p in load_sources(sources, SPEC, BandRoles.parse(["la-texas-vh=VH"]))}
    t = pairs["temperate-pairs/finland_0060c0a5_month08"]
    assert (t.units, sorted(t.bands)) == ("db", ["VH", "VV"])
    assert -30 < t.stats["VH"].low < t.stats["VV"].low < t.stats["VV"].high < 5
    assert (pairs["la-texas-vh/003"].units, list(pairs["la-texas-vh/003"].bands)) == ("dn", ["VH"])
    assert (pairs["desert-patches/zone_9_a_Apr_patch_00"].units,
            list(pairs["desert-patches/zone_9_a_Apr_patch_00"].bands)) == ("db", ["VV"])
    # targets in the colour convention: reflectance 0..0.3 -> 0..255 (UInt16 reflectance x 10000 / 3000),
    # 8-bit true colour x the data set's measured gain
    from osgeo import gdal
    from sar_colorizer.training.colour import eight_bit_gain, eight_bit_tile_gain

    # pair 003 is cut from Sentinel-2 tile T11SLT: its tile's gains, channel by channel, stand in for the
    # set's one gain and take out that tile's stretch
    tile_gain = eight_bit_tile_gain("la-texas-vh", "T11SLT")
    assert tile_gain is not None
    for name, scale in (("desert-patches/zone_9_a_Apr_patch_00", 255 / 3000),
                        ("la-texas-vh/003", tile_gain.reshape(3, 1, 1).astype(np.float64))):
        src = next(s for s in sources if s.name == name)
        ds = gdal.Open(str(src.optical))
        raw = ds.ReadAsArray()[:3].astype(np.float64)
        ds = None
        expected = np.round(np.clip(raw * scale, 0, 255))
        ok = pairs[name].target_valid
        assert pairs[name].target.dtype == np.uint8
        assert np.abs(pairs[name].target[:, ok] - expected[:, ok]).max() <= 1
    assert 0.8 < eight_bit_gain("la-texas-vh") < 1.2  # measured (training/recipes/palette_calibration.json)
    # a real dual-pol file: training tensor == core's inference tensor
    src = next(s for s in sources if s.dataset == "temperate-pairs")
    meta = ModelMetadata(inputs=SPEC)
    raster = raster_io.open_sar(src.sar, {"VV": 1, "VH": 2})
    units, stats = pipeline.scene_statistics(raster, meta, "auto")
    full, _ = pipeline.read_strip(raster, 0, raster.height, meta, units, stats)
    np.testing.assert_array_equal(t.inputs(SPEC), full)
