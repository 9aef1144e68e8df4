import numpy as np
import pytest

from sar_colorizer.core.errors import InputError
from sar_colorizer.core.modelfile import InputSpec, Normalisation
from sar_colorizer.core.sar import (BandStats, band_statistics, check_bands_for_model, detect_units,
                                    model_input, normalise, to_model_units)

rng = np.random.default_rng(0)


def test_detect_units():
    db = rng.normal(-12, 4, 5000).astype(np.float32)
    lin = (10 ** (db / 10)).astype(np.float32)
    assert detect_units(db, db.dtype) == "db"
    assert detect_units(lin, lin.dtype) == "linear"
    assert detect_units(np.arange(256, dtype=np.uint8), np.dtype(np.uint8)) == "dn"
    assert detect_units(np.arange(256, dtype=np.float32), np.dtype(np.float32)) == "dn"


def test_linear_becomes_db_and_zero_is_floored():
    out = to_model_units(np.array([1.0, 0.1, 0.0], np.float32), "linear")
    assert out.tolist() == pytest.approx([0.0, -10.0, -50.0])
    db = np.array([-3.0], np.float32)
    assert to_model_units(db, "db") is db or (to_model_units(db, "db") == db).all()


def test_amplitude_becomes_db_and_zero_is_floored():
    out = to_model_units(np.array([1, 10, 500, 0], np.uint16), "amplitude")
    assert out.dtype == np.float32
    assert out.tolist() == pytest.approx([0.0, 20.0, 20 * np.log10(500), -50.0])


def test_band_statistics_ignore_nan_and_refuse_all_nodata():
    v = np.array([np.nan, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], np.float32)
    s = band_statistics(v, Normalisation(low=0, high=100))
    assert (s.low, s.high) == (0.0, 10.0)
    with pytest.raises(InputError, match="^scene VV: no valid pixels \\(everything is nodata or NaN\\)$"):
        band_statistics(np.full(4, np.nan, np.float32), Normalisation(), name="scene VV")


def test_normalise_maps_percentiles_to_0_1_and_clips():
    norm = Normalisation(low=2, high=98, clip=(-0.5, 1.5))
    out = normalise(np.array([-20, -10, 0, 100], np.float32), BandStats(-20, 0), norm)
    assert out.tolist() == pytest.approx([0.0, 0.5, 1.0, 1.5])


def test_model_input_layout_with_availability_channels():
    spec = InputSpec(bands=("VV", "VH"), availability_channels=True)
    vv = np.array([[-20.0, -10.0], [0.0, -15.0]], np.float32)
    valid = np.array([[True, True], [True, False]])
    x = model_input({"VV": vv, "VH": None}, {"VV": BandStats(-20, 0)}, valid, spec)
    assert x.shape == (4, 2, 2) and x.dtype == np.float32
    assert x[0].tolist() == [[0.0, 0.5], [1.0, 0.0]]  # invalid pixel -> 0
    assert (x[1] == 0).all()       # VH value channel: missing
    assert (x[2] == 1).all()       # VV present
    assert (x[3] == 0).all()       # VH absent


def test_tiles_of_a_scene_normalise_like_the_whole_scene():
    # the contract: statistics come from the scene, so a tile's input equals the scene's crop
    spec = InputSpec(bands=("VV",))
    scene = rng.normal(-12, 4, (100, 120)).astype(np.float32)
    stats = {"VV": band_statistics(scene, spec.normalisation)}
    whole = model_input({"VV": scene}, stats, None, spec)
    tile = model_input({"VV": scene[20:52, 30:62]}, stats, None, spec)
    assert np.array_equal(whole[:, 20:52, 30:62], tile)


def test_band_checks_name_what_is_missing():
    spec = InputSpec(bands=("VV", "VH"))
    with pytest.raises(InputError) as e:
        check_bands_for_model({"VV": 1}, spec, "a.tif")
    assert str(e.value) == ("a.tif: the model needs band(s) VV, VH but VH is not in the input (found: VV); "
                            "say which input band is which (command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)")
    flexible = InputSpec(bands=("VV", "VH"), availability_channels=True)
    check_bands_for_model({"VH": 1}, flexible, "b.tif")  # VH alone is enough for this model
    vv_only = InputSpec(bands=("VV",), availability_channels=True)
    with pytest.raises(InputError, match="none of the model's bands \\(VV\\) is in the input \\(found: VH\\)"):
        check_bands_for_model({"VH": 1}, vv_only, "c.tif")
