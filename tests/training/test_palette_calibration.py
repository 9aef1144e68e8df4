"""benchmarks/palette_calibration.py: the mapping forms and the checks that choose between them."""
from __future__ import annotations

import importlib.util
import json
import sys
from functools import lru_cache

import numpy as np
import pytest

from tests.conftest import REPO

from .conftest import DATA_ROOT


@lru_cache(maxsize=1)
def calibration_module():
    spec = importlib.util.spec_from_file_location("palette_calibration", REPO / "benchmarks" / "palette_calibration.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_hue_kept_form_recovers_haze_offsets_and_one_gain():
    pc = calibration_module()
    rng = np.random.default_rng(5)
    pal = rng.uniform(10, 200, (6, 3))
    true = np.array([0.03, 0.0, 0.08]) + 1.3 * pal / 255
    m = pc.fit_hue_kept(pal, true)
    np.testing.assert_allclose(m.gain, [1.3] * 3, rtol=1e-4)
    np.testing.assert_allclose(m.offset, [0.03, 0.0, 0.08], atol=1e-4)
    np.testing.assert_allclose(m(pal), true, rtol=1e-4)
    # a grey place stays grey plus the haze: no channel gets a gain of its own
    grey = m(np.array([150.0, 150.0, 150.0]))
    np.testing.assert_allclose(grey - m.offset, [grey[0] - 0.03] * 3, rtol=1e-4)


STRETCH = ([0.9, 1.1, 1.4], [1.2, 0.8, 0.7])  # per channel, fragments 0-3 (tile T11SLT) and 4-7 (T11SMT)


def stretched_la_places(tmp_path, monkeypatch, seed: int):
    """Eight LA/Texas-like places from two Sentinel-2 tiles, named by a metadata.json as the real set's,
    whose means are a known mapping of their palette colour times their tile's channel stretch."""
    pc = calibration_module()
    meta = [{"fragment_filename": f"{i:03d}.png",
             "opt_tile_name": f"S2A_MSIL1C_20201104_N0209_R027_T11S{'LT' if i < 4 else 'MT'}_X"} for i in range(8)]
    root = tmp_path / "la-texas-vh"
    (root / "s2").mkdir(parents=True)
    (root / "metadata.json").write_text(json.dumps(meta))
    monkeypatch.setattr(pc, "DATA", tmp_path)
    mapping = pc.Mapping(np.full(3, 1.2), np.ones(3), np.array([0.02, 0.0, 0.06]))
    pal = np.random.default_rng(seed).uniform(20, 200, (8, 3))
    stretch = np.where(np.arange(8)[:, None] < 4, *STRETCH)
    pairs = [pc.Pair(f"la-texas-vh/{i:03d}", "la-texas-vh", "8-bit", "", "", str(i), mapping(p) * g, p, (0, 0))
             for i, (p, g) in enumerate(zip(pal, stretch))]
    return pc, root, mapping, pairs


def test_within_tile_shape_ignores_each_tiles_own_channel_gains(tmp_path, monkeypatch):
    """LA/Texas was stretched channel by channel per Sentinel-2 tile: a gain per tile and channel on top
    of a perfect mapping is no error; a wrong shape inside a tile is."""
    pc, _, mapping, pairs = stretched_la_places(tmp_path, monkeypatch, seed=1)
    np.testing.assert_allclose(pc.within_tile_shape(pairs, mapping), 0, atol=1e-9)
    gains_only = pc.Mapping(np.array([1.2, 1.2, 2.4]), np.ones(3))
    assert pc.within_tile_shape(pairs, gains_only)[2] > 0.03  # the missing blue offset: about 0.05


@pytest.mark.skipif(not (DATA_ROOT / "train").is_dir(), reason="real data not found (needs ../shared/data)")
def test_the_written_mapping_and_the_forms_compared_on_real_pairs():
    """On the real pairs: the palette carries the form the bundled model was trained with, the hue-kept
    one, which has the least error over the three checks and gives every named desert the desert set's
    order red > green > blue; gains through zero (linear) would make them bluer than green."""
    pc = calibration_module()
    written = json.loads((REPO / "training" / "recipes" / "palette_calibration.json").read_text())
    forms = written["forms_compared"]
    assert pc.SHIPPED_FORM == "hue-kept"
    for key in ("gain", "gamma", "offset"):
        assert written["palette_to_convention"][key] == forms["hue-kept"]["mapping"][key]
    assert written["least_error_over_checks"] == min(forms, key=lambda k: forms[k]["mean_over_checks"]) == "hue-kept"
    assert {k: tuple(v) for k, v in written["extrapolation_check"]["desert_places"].items()} == pc.DESERTS
    desert_set = np.array(written["extrapolation_check"]["desert_patches_mean"])
    assert desert_set[0] > desert_set[1] > desert_set[2]
    palette = pc.load_world_palette(require_mapping=False)
    at = {}
    for form in ("hue-kept", "linear"):
        mapping = pc.Mapping(*(np.array(forms[form]["mapping"][k]) for k in ("gain", "gamma", "offset")))
        at[form] = np.array(list(pc.desert_check(palette, mapping, desert_set)[0].values()))
        assert len(at[form]) == len(pc.DESERTS) == 9
        assert (at[form][:, 0] > at[form][:, 1]).all(), form
    assert (at["hue-kept"][:, 1] > at["hue-kept"][:, 2]).all()
    assert (at["linear"][:, 2] >= at["linear"][:, 1]).all()  # purple sand: blue up to green or above it
    # the tile of a fragment, from the set's metadata.json: pair 100 is the demo sample, cut from T11SLT
    from sar_colorizer.training.colour import source_tile
    assert source_tile(DATA_ROOT / "train" / "la-texas-vh" / "s2" / "100.tif") == "T11SLT"
    # the bundled model was trained with a gain per Sentinel-2 tile and channel for LA/Texas
    assert sorted(written["eight_bit_tile_gain"]["la-texas-vh"]) == ["T11SLT", "T11SMT", "T14RNT"]


def test_tile_gains_take_out_each_tiles_stretch_and_training_applies_them(tmp_path, monkeypatch):
    """A gain per tile and channel, fitted on the tile's places, undoes a per-tile channel stretch; the
    training targets of a fragment then use its tile's gains (named by the set's metadata.json)."""
    from sar_colorizer.training import colour

    pc, root, mapping, pairs = stretched_la_places(tmp_path, monkeypatch, seed=2)
    gains = pc.tile_gains(pairs, mapping)
    assert sorted(gains) == ["T11SLT", "T11SMT"]
    np.testing.assert_allclose(gains["T11SLT"], 1 / np.array(STRETCH[0]), rtol=1e-9)
    np.testing.assert_allclose(gains["T11SMT"], 1 / np.array(STRETCH[1]), rtol=1e-9)

    assert colour.source_tile(root / "s2" / "005.tif") == "T11SMT"
    assert colour.source_tile(tmp_path / "elsewhere" / "005.tif") is None
    monkeypatch.setattr(colour, "calibration", lambda: {
        "eight_bit_gain": {"la-texas-vh": 0.9},
        "eight_bit_tile_gain": {"la-texas-vh": {"T11SMT": [1.0, 0.5, 2.0]}}})
    rgb = np.full((3, 2, 2), 102, np.uint8)
    np.testing.assert_allclose(colour.to_convention(rgb, rgb.dtype, "la-texas-vh", "T11SMT")[:, 0, 0],
                               [0.4, 0.2, 0.8], rtol=1e-6)
    np.testing.assert_allclose(colour.to_convention(rgb, rgb.dtype, "la-texas-vh", "T11SLT")[:, 0, 0],
                               [0.36] * 3, rtol=1e-6)  # a tile with no gains: the set's one gain


def test_the_bigearthnet_land_places_measure_the_shipped_mapping_where_it_was_never_fitted(capsys):
    built = REPO / "data" / "bigearthnet"
    if not (built / "index.csv").is_file():
        pytest.skip(f"BigEarthNet pairs not built at {built} "
                    "(python training/recipes/bigearthnet_pairs.py --out data/bigearthnet)")
    if not DATA_ROOT.is_dir():
        pytest.skip(f"no training data at {DATA_ROOT}")
    pc = calibration_module()
    from sar_colorizer.core.world_palette import load_world_palette
    places, skipped = pc.bigearthnet_places(built, load_world_palette(require_mapping=False))
    land = [p for p in places if not p.extra["sea"]]
    assert (len(places), len(land), len(skipped)) == (106, 80, 1)  # one Finnish patch mostly snow
    assert all(p.level == "L2A" and p.place == "georeferenced" for p in places)
    written = json.loads((REPO / "training" / "recipes" / "palette_calibration.json").read_text())
    m = written["palette_to_convention"]
    mapping = pc.Mapping(np.array(m["gain"]), np.array(m["gamma"]), np.array(m["offset"]))
    land_error = pc.errors(np.array([p.mean for p in land]), mapping(np.array([p.palette for p in land])))
    # measured on the shipped mapping: every channel's error is larger than the four fit places' leave-one-out
    assert np.all(land_error["log_std"] > np.array(m["leave_one_out_log_std"]))
    # and --extra-places makes it the colour error training draws (nothing written without --write)
    assert pc.main(["--extra-places", str(built)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    expected = ", ".join(f"{v:.3f}" for v in np.maximum(land_error["log_std"], m["leave_one_out_log_std"]))
    assert last.startswith("colour_error_log_std (the largest of that, the reflectance leave-one-place-out and "
                           "the extra land places): (")
    assert f"({expected})" in last
