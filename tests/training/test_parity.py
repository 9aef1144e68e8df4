"""Training tensors equal what core's inference path computes for the same pixels."""
from __future__ import annotations

import numpy as np

from sar_colorizer.core import pipeline, raster_io, sar
from sar_colorizer.core.modelfile import InputSpec, ModelMetadata
from sar_colorizer.training.datasets import RandomTileDataset, Sentinel12Dataset
from sar_colorizer.training.augment import AugmentConfig

from .conftest import synthetic_pair, write_raster

SPEC = InputSpec(bands=("VV", "VH"), availability_channels=True)


def _scene(tmp_path):
    rng = np.random.default_rng(7)
    sar_db, rgb = synthetic_pair(rng, size=96, dual=True)
    sar_db[:, :5, :7] = -9999.0   # nodata corner
    write_raster(tmp_path / "d" / "s1" / "a.tif", sar_db, nodata=-9999.0)
    write_raster(tmp_path / "d" / "s2" / "a.tif", rgb)
    return tmp_path / "d" / "s1" / "a.tif"


def test_grid_tile_equals_core_inference_input(tmp_path):
    path = _scene(tmp_path)
    ds = Sentinel12Dataset(tmp_path / "d", spec=SPEC, tile=32)
    meta = ModelMetadata(inputs=SPEC)
    raster = raster_io.open_sar(path, {"VV": 1, "VH": 2})
    units, stats = pipeline.scene_statistics(raster, meta, "auto")
    full, valid = pipeline.read_strip(raster, 0, raster.height, meta, units, stats)
    assert units == {"VV": "db", "VH": "db"}
    for i in range(len(ds)):
        _, r, c = ds.items[i]
        x, _ = ds[i]
        np.testing.assert_array_equal(x.numpy(), full[:, r, c])
    assert full[0, 0, 0] == 0.0 and not valid[0, 0]


def test_random_tile_equals_core_model_input_of_its_window(tmp_path):
    """Without flips/shift/dropout a training tile is core.sar.model_input of the crop with scene stats."""
    _scene(tmp_path)
    pairs = Sentinel12Dataset(tmp_path / "d", spec=SPEC).pairs
    tiles = RandomTileDataset(pairs, SPEC, tile=32, length=4, seed=3,
                              augment=AugmentConfig(flips=False, max_shift=0, band_dropout=0.0))
    p = pairs[0]
    stats = {b: sar.band_statistics(np.where(p.valid, p.bands[b], np.nan), SPEC.normalisation) for b in ("VV", "VH")}
    assert stats == p.stats
    x = tiles[0][0].numpy()
    found = [(r, c) for r in range(0, 65) for c in range(0, 65)
             if np.array_equal(sar.model_input({b: p.bands[b][r:r + 32, c:c + 32] for b in ("VV", "VH")},
                                               stats, p.valid[r:r + 32, c:c + 32], SPEC), x)]
    assert len(found) == 1
