"""Pairing of s1/ + s2/ folders and scene folders, refusal of unpaired or mismatched files."""
from __future__ import annotations

import numpy as np
import pytest

from sar_colorizer.core.modelfile import InputSpec
from sar_colorizer.training.datasets import (DatasetError, RandomTileDataset, Sentinel12Dataset, discover,
                                             folder_pairs, grid_windows, pair_weights, place_group, set_shares,
                                             split_sources, stretch_target, water_pixels)

from .conftest import synthetic_pair, write_raster

SPEC = InputSpec(bands=("VV", "VH"), availability_channels=True)


def test_pairs_by_file_name_and_ignores_sidecars(paired_folder):
    (paired_folder / "s1" / "p0.tif.aux.xml").write_text("<PAMDataset/>")
    pairs = folder_pairs(paired_folder)
    assert [p.name for p in pairs] == ["pairs/p0", "pairs/p1", "pairs/p2"]
    assert all(p.sar.parent.name == "s1" and p.optical.parent.name == "s2" and p.sar.name == p.optical.name
               for p in pairs)


def test_refuses_sar_without_optical_partner(paired_folder):
    rng = np.random.default_rng(1)
    sar, _ = synthetic_pair(rng)
    write_raster(paired_folder / "s1" / "lonely.tif", sar)
    with pytest.raises(DatasetError) as err:
        folder_pairs(paired_folder)
    assert str(err.value) == (f"{paired_folder / 's1' / 'lonely.tif'}: no optical partner with the same name "
                              f"in {paired_folder / 's2'}")


def test_refuses_optical_without_sar_partner(paired_folder):
    rng = np.random.default_rng(1)
    _, rgb = synthetic_pair(rng)
    write_raster(paired_folder / "s2" / "extra.tif", rgb)
    with pytest.raises(DatasetError, match=r"extra\.tif: no SAR partner with the same name in .*s1$"):
        folder_pairs(paired_folder)


def test_refuses_pair_of_different_sizes(paired_folder):
    rng = np.random.default_rng(2)
    sar, _ = synthetic_pair(rng, size=64)
    _, rgb = synthetic_pair(rng, size=48)
    write_raster(paired_folder / "s1" / "odd.tif", sar)
    write_raster(paired_folder / "s2" / "odd.tif", rgb)
    with pytest.raises(DatasetError) as err:
        Sentinel12Dataset(paired_folder, spec=SPEC)
    assert str(err.value) == (
        f"pairs/odd: SAR {paired_folder / 's1' / 'odd.tif'} is 64 x 64 px but optical "
        f"{paired_folder / 's2' / 'odd.tif'} is 48 x 48 px; pairs must be co-registered pixel for pixel")


def test_scene_layout_and_png_jpeg(tmp_path):
    rng = np.random.default_rng(3)
    sar, rgb = synthetic_pair(rng, size=80)
    grey = np.clip((sar[0] + 25) * 8, 0, 255).astype(np.uint8)
    for name in ("scene-1", "scene-2"):
        write_raster(tmp_path / "scenes" / name / "sar.png", np.stack([grey] * 3), driver="PNG")
        write_raster(tmp_path / "scenes" / name / "optical.png", (rgb // 12).astype(np.uint8), driver="PNG")
    ds = Sentinel12Dataset(tmp_path / "scenes", spec=SPEC, tile=32)
    assert [p.name for p in ds.pairs] == ["scenes/scene-1", "scenes/scene-2"]
    assert ds.pairs[0].units == "dn" and list(ds.pairs[0].bands) == ["VV"]   # grey RGB -> one VV band
    assert len(ds) == 2 * 9   # 80 px -> windows at 0, 32, 48 per axis
    x, y = ds[0]
    assert tuple(x.shape) == (4, 32, 32) and tuple(y.shape) == (3, 32, 32)
    assert float(x[2].min()) == 1.0 and float(x[3].max()) == 0.0   # VV present, VH absent
    (tmp_path / "scenes" / "scene-3").mkdir()
    write_raster(tmp_path / "scenes" / "scene-3" / "sar.png", grey, driver="PNG")
    with pytest.raises(DatasetError, match=r"scene-3: has sar\.\* but no optical\.\* partner"):
        discover(tmp_path / "scenes")


def test_grid_windows_cover_without_gaps():
    wins = grid_windows((70, 64), 32)
    assert [(r.start, c.start) for r, c in wins] == [(0, 0), (0, 32), (32, 0), (32, 32), (38, 0), (38, 32)]


def test_target_stretch_joint_percentiles():
    rgb = np.stack([np.arange(100), np.arange(100) + 100, np.arange(100) + 200]).astype(np.uint16).reshape(3, 10, 10)
    out = stretch_target(rgb)
    lo, hi = np.percentile(rgb, [1, 99])
    assert out.dtype == np.float32 and out.min() == 0.0 and out.max() == 1.0
    np.testing.assert_allclose(out[1, 5, 5], (155 - lo) / (hi - lo), rtol=1e-6)


def test_holdout_split_and_balanced_sampling(paired_folder, tmp_path):
    train, held = split_sources(discover(paired_folder), ["pairs/p2"])
    assert [s.name for s in held] == ["pairs/p2"] and len(train) == 2
    ds = Sentinel12Dataset(paired_folder, spec=SPEC)
    tiles = RandomTileDataset(ds.pairs, SPEC, tile=32, length=8, seed=5)
    a, b = tiles[3], tiles[3]
    assert all(np.array_equal(p.numpy(), q.numpy()) for p, q in zip(a, b))   # deterministic per index
    tiles.set_epoch(1)
    assert not np.array_equal(tiles[3][1].numpy(), a[1].numpy())


def test_vv_only_model_trains_on_dual_pol_pairs(tmp_path):
    """Band dropout never hides the only band a VV-only model reads (it used to fail: 'no SAR band given')."""
    rng = np.random.default_rng(9)
    sar_db, rgb = synthetic_pair(rng, size=48, dual=True)
    write_raster(tmp_path / "d" / "s1" / "a.tif", sar_db)
    write_raster(tmp_path / "d" / "s2" / "a.tif", rgb)
    vv = InputSpec(bands=("VV",))
    pairs = Sentinel12Dataset(tmp_path / "d", spec=vv).pairs
    tiles = RandomTileDataset(pairs, vv, tile=32, length=40, seed=0)
    assert all(tiles[i][0].shape[0] == 1 and float(tiles[i][0].abs().sum()) > 0 for i in range(40))
    dual = RandomTileDataset(pairs, SPEC, tile=32, length=40, seed=0)
    avail = [tuple(float(dual[i][0][c, 0, 0]) for c in (2, 3)) for i in range(40)]
    assert {(1.0, 1.0), (1.0, 0.0), (0.0, 1.0)} == set(avail)


def test_set_shares_go_with_pixel_count_to_the_power():
    np.testing.assert_allclose(set_shares([9216, 2304], 0), [0.5, 0.5])
    np.testing.assert_allclose(set_shares([9216, 2304], 1), [0.8, 0.2])
    np.testing.assert_allclose(set_shares([9216, 2304], 0.5), [2 / 3, 1 / 3])


def test_set_power_draws_data_sets_by_their_share_and_zero_draws_as_before(tmp_path):
    rng = np.random.default_rng(3)
    for dataset, size in (("big", 96), ("small", 48)):   # 4 x the pixels
        sar_db, rgb = synthetic_pair(rng, size=size)
        write_raster(tmp_path / dataset / "s1" / "a.tif", sar_db)
        write_raster(tmp_path / dataset / "s2" / "a.tif", rgb)
    pairs = Sentinel12Dataset(tmp_path, spec=SPEC).pairs
    assert sorted(p.dataset for p in pairs) == ["big", "small"]

    def share_of_big(power: float) -> float:
        tiles = RandomTileDataset(pairs, SPEC, tile=32, length=8, seed=1, set_power=power)
        return np.mean([tiles.pick_pair(np.random.default_rng([1, 0, i])).dataset == "big" for i in range(4000)])

    assert abs(share_of_big(0) - 0.5) < 0.03
    assert abs(share_of_big(0.5) - 2 / 3) < 0.03
    assert abs(share_of_big(1) - 0.8) < 0.03
    tiles = RandomTileDataset(pairs, SPEC, tile=32, length=8, seed=1)
    for i in range(50):   # power 0 (the default) draws the set as the sampler did before the option
        assert tiles.pick_pair(np.random.default_rng([1, 0, i])).dataset == \
            ("big", "small")[int(np.random.default_rng([1, 0, i]).integers(2))]
    default, zero = (RandomTileDataset(pairs, SPEC, tile=32, length=8, seed=1, **kw) for kw in ({}, {"set_power": 0}))
    assert all(np.array_equal(a.numpy(), b.numpy()) for i in range(8) for a, b in zip(default[i], zero[i]))


def test_group_power_damps_a_big_place_group_within_a_data_set_and_one_draws_as_before(tmp_path):
    rng = np.random.default_rng(4)
    names = [f"finland_{i}" for i in range(4)] + ["austria_0"]   # 4 patches of one country, 1 of another
    for name in names:
        sar_db, rgb = synthetic_pair(rng, size=48)
        write_raster(tmp_path / "ben" / "s1" / f"{name}.tif", sar_db)
        write_raster(tmp_path / "ben" / "s2" / f"{name}.tif", rgb)
    pairs = Sentinel12Dataset(tmp_path, spec=SPEC).pairs
    assert sorted({place_group(p.name) for p in pairs}) == ["ben/austria", "ben/finland"]

    def finnish_share(power: float) -> float:
        w = pair_weights(pairs, power)
        return float(sum(wi for wi, p in zip(w, pairs) if place_group(p.name) == "ben/finland"))

    assert finnish_share(1) == pytest.approx(0.8)      # by area: 4 of 5 patches
    assert finnish_share(0.5) == pytest.approx(2 / 3)  # sqrt(4) : sqrt(1)
    assert finnish_share(0) == pytest.approx(0.5)      # every group alike
    one, default = (RandomTileDataset(pairs, SPEC, tile=32, length=8, seed=1, **kw) for kw in ({"group_power": 1}, {}))
    assert all(np.array_equal(a.numpy(), b.numpy()) for i in range(8) for a, b in zip(one[i], default[i]))
    half = RandomTileDataset(pairs, SPEC, tile=32, length=8, seed=1, group_power=0.5)
    drawn = [half.pick_pair(np.random.default_rng([1, 0, i])).name for i in range(3000)]
    assert abs(np.mean([place_group(n) == "ben/finland" for n in drawn]) - 2 / 3) < 0.03


def lake_scene(folder, sand: bool = True):
    """96 x 96 px: land (radar -5 dB, optical 0.2 reflectance), a lake in rows and columns 30..69 (-25 dB,
    0.03) and, with ``sand``, dark radar under bright optical in rows 0..24, columns 72..95 (-25 dB, 0.25)."""
    rng = np.random.default_rng(5)
    vv = (-5.0 + rng.normal(0, 0.5, (96, 96))).astype(np.float32)
    rgb = np.full((3, 96, 96), 2000, np.uint16)
    vv[30:70, 30:70] = -25.0
    rgb[:, 30:70, 30:70] = 300
    if sand:
        vv[0:25, 72:96] = -25.0
        rgb[:, 0:25, 72:96] = 2500
    write_raster(folder / "s1" / "lake.tif", vv[None])
    write_raster(folder / "s2" / "lake.tif", rgb)
    return Sentinel12Dataset(folder, spec=SPEC).pairs


def test_water_pixels_are_dark_in_radar_and_optical(tmp_path):
    pair, = lake_scene(tmp_path / "lakes")
    water = np.zeros(pair.shape, bool)
    water.flat[water_pixels(pair, SPEC)] = True
    lake = np.zeros(pair.shape, bool)
    lake[30:70, 30:70] = True
    assert not water[~lake].any()           # neither the land nor the dark-radar sand
    assert water[37:63, 37:63].all()        # the lake, but for its shore (the 15 px means)
    assert not water[30:33, 30:70].any()    # 3 px from the shore the 15 px mean is still half land


def test_water_share_cuts_tiles_around_water_and_zero_cuts_as_before(tmp_path):
    pair, = lake_scene(tmp_path / "lakes")
    lake = np.zeros(pair.shape, bool)
    lake[37:63, 37:63] = True
    tiles = RandomTileDataset([pair], SPEC, tile=32, length=8, seed=1, water_share=1.0)
    for i in range(200):
        p, r0, c0 = tiles.water_window(np.random.default_rng([1, 0, i]))
        assert p is pair and 2 <= r0 <= 96 - 32 - 2 and 2 <= c0 <= 96 - 32 - 2   # inside the shift margin
        assert lake[r0:r0 + 32, c0:c0 + 32].any()
    x, _, _ = tiles[0]
    assert x.shape == (4, 32, 32)
    default, zero = (RandomTileDataset([pair], SPEC, tile=32, length=8, seed=1, **kw) for kw in ({}, {"water_share": 0}))
    assert all(np.array_equal(a.numpy(), b.numpy()) for i in range(8) for a, b in zip(default[i], zero[i]))


def test_water_share_without_water_is_refused(tmp_path):
    rng = np.random.default_rng(4)
    sar, rgb = synthetic_pair(rng, size=64)
    write_raster(tmp_path / "dry" / "s1" / "a.tif", sar)
    write_raster(tmp_path / "dry" / "s2" / "a.tif", rgb)
    pairs = Sentinel12Dataset(tmp_path / "dry", spec=SPEC).pairs
    with pytest.raises(DatasetError) as err:
        RandomTileDataset(pairs, SPEC, tile=32, length=8, water_share=0.2)
    assert str(err.value) == "--water-share 0.2: no training pair has water (radar and optical dark over 15 px)"
    with pytest.raises(DatasetError) as err:
        RandomTileDataset(pairs, SPEC, tile=32, length=8, water_share=1.5)
    assert str(err.value) == "--water-share 1.5: a share of the tiles, from 0 to 1"


def test_water_at_the_border_is_left_to_tiles_that_can_hold_it(tmp_path):
    """A lake along the top edge: its water in the 2 px that no tile reaches (the shift margin) is not drawn."""
    rng = np.random.default_rng(6)
    vv = (-5.0 + rng.normal(0, 0.5, (96, 96))).astype(np.float32)
    rgb = np.full((3, 96, 96), 2000, np.uint16)
    vv[0:40, 20:76] = -25.0
    rgb[:, 0:40, 20:76] = 300
    write_raster(tmp_path / "edge" / "s1" / "lake.tif", vv[None])
    write_raster(tmp_path / "edge" / "s2" / "lake.tif", rgb)
    pair, = Sentinel12Dataset(tmp_path / "edge", spec=SPEC).pairs
    everywhere = water_pixels(pair, SPEC)
    assert (everywhere // 96).min() == 0                       # water in the first row
    tiles = RandomTileDataset([pair], SPEC, tile=32, length=8, seed=1, water_share=1.0)
    (_, kept), = tiles.water
    assert (kept // 96).min() == 2 and len(kept) == len(everywhere) - np.sum(everywhere // 96 < 2)
    for i in range(100):
        _, r0, c0 = tiles.water_window(np.random.default_rng([1, 0, i]))
        water = np.zeros(pair.shape, bool)
        water.flat[kept] = True
        assert water[r0:r0 + 32, c0:c0 + 32].any()
