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


def test_within_tile_shape_ignores_each_tiles_own_channel_gains(tmp_path, monkeypatch):
    """LA/Texas was stretched channel by channel per Sentinel-2 tile: a gain per tile and channel on top
    of a perfect mapping is no error; a wrong shape inside a tile is."""
    pc = calibration_module()
    meta = [{"fragment_filename": f"{i:03d}.png", "opt_tile_name": f"S2A_MSIL1C_X_T11S{'LT' if i < 4 else 'MT'}"}
            for i in range(8)]
    (tmp_path / "la-texas-vh").mkdir()
    (tmp_path / "la-texas-vh" / "metadata.json").write_text(json.dumps(meta))
    monkeypatch.setattr(pc, "DATA", tmp_path)
    mapping = pc.Mapping(np.full(3, 1.2), np.ones(3), np.array([0.02, 0.0, 0.06]))
    pal = np.random.default_rng(1).uniform(20, 200, (8, 3))
    tile_gain = np.where(np.arange(8)[:, None] < 4, [0.9, 1.1, 1.4], [1.2, 0.8, 0.7])
    pairs = [pc.Pair(f"la-texas-vh/{i:03d}", "la-texas-vh", "8-bit", "", "", str(i), mapping(p) * g, p, (0, 0))
             for i, (p, g) in enumerate(zip(pal, tile_gain))]
    np.testing.assert_allclose(pc.within_tile_shape(pairs, mapping), 0, atol=1e-9)
    gains_only = pc.Mapping(np.array([1.2, 1.2, 2.4]), np.ones(3))
    assert pc.within_tile_shape(pairs, gains_only)[2] > 0.03  # the missing blue offset: about 0.05


@pytest.mark.skipif(not (DATA_ROOT / "train").is_dir(), reason="real data not found (needs ../shared/data)")
def test_the_written_mapping_is_the_one_the_checks_choose_and_keeps_desert_hue():
    """On the real pairs: the JSON the palette is built from holds the form with the least error over
    the three checks, and that form gives every named desert the desert set's order red > green > blue
    (the gains-only form gives them more blue than green)."""
    pc = calibration_module()
    written = json.loads((REPO / "training" / "recipes" / "palette_calibration.json").read_text())
    forms = written["forms_compared"]
    best = min(forms, key=lambda k: forms[k]["mean_over_checks"])
    assert written["palette_to_convention"]["gain"] == forms[best]["mapping"]["gain"]
    assert written["palette_to_convention"]["offset"] == forms[best]["mapping"]["offset"]
    at_deserts = np.array(list(written["extrapolation_check"]["at_deserts"].values()))
    assert len(at_deserts) == len(pc.DESERTS) == 9
    assert (at_deserts[:, 0] > at_deserts[:, 1]).all() and (at_deserts[:, 1] > at_deserts[:, 2]).all()
    desert_set = np.array(written["extrapolation_check"]["desert_patches_mean"])
    assert desert_set[0] > desert_set[1] > desert_set[2]
