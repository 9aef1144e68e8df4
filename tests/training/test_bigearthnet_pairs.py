"""The BigEarthNet training pairs (training/recipes/bigearthnet_pairs.py, bigearthnet_extract.py): the GeoTIFF
pairs they write, that the training code reads them as one placed dual-polarisation data set, that a
pickled record cannot run code, and the real pairs where they have been built (data/bigearthnet)."""
from __future__ import annotations

import csv
import importlib
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "training" / "recipes"
BUILT = ROOT / "data" / "bigearthnet"


@pytest.fixture(scope="module")
def recipes():
    sys.path.insert(0, str(RECIPES))
    try:
        yield importlib.import_module("bigearthnet_pairs"), importlib.import_module("bigearthnet_extract")
    finally:
        sys.path.remove(str(RECIPES))


def patch(extract, source: str, s1_name: str, s2_date: str, value: float = 600.0, ulx: float = 404400.0):
    rng = np.random.default_rng(0)
    vv = rng.normal(-10.0, 3.0, (120, 120)).astype(np.float32)
    rgb = np.full((3, 120, 120), value, dtype=np.uint16)
    rgb[2, :60] = 1200  # blue differs by row: a flip would show
    return extract.BenPatch(s2_name="S2A_MSIL2A_x", s1_name=s1_name, source=source, vv=vv, vh=vv - 7.0,
                            rgb=rgb, epsg=32633, ulx=ulx, uly=5342400.0, exact_georef=source.startswith("big"),
                            country="Austria", season="Summer", labels=["Pastures"], s1_date="2017-06-13",
                            s2_date=s2_date)


def test_a_patch_in_two_packages_is_written_once_from_the_exactly_placed_source(recipes):
    pairs, extract = recipes
    s1 = "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48"
    a = patch(extract, "configilm-0.3.0", s1, "2017-06-13", value=400, ulx=404420.0)
    b = patch(extract, "bigearthnet-common-2.8.0", s1, "2017-06-13")
    c = patch(extract, "configilm-0.3.0", s1, "2017-09-24")  # the same place on another date stays
    kept = pairs.unique_patches([a, b, c])
    assert [(p.source, p.s2_date) for p in kept] == [("bigearthnet-common-2.8.0", "2017-06-13"),
                                                      ("configilm-0.3.0", "2017-09-24")]
    assert pairs.pair_name(kept[0]) == "austria_33UUP_87_48_20170613"


def test_written_pairs_are_georeferenced_geotiffs_with_the_source_values(recipes, tmp_path):
    pairs, extract = recipes
    p = patch(extract, "bigearthnet-common-2.8.0", "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_48", "2017-06-13")
    rows = pairs.write_pairs([p], tmp_path / "bigearthnet", "bigearthnet-common==2.8.0")
    assert [r["name"] for r in rows] == ["austria_33UUP_87_48_20170613"]
    s1 = gdal.Open(str(tmp_path / "bigearthnet" / "s1" / "austria_33UUP_87_48_20170613.tif"))
    s2 = gdal.Open(str(tmp_path / "bigearthnet" / "s2" / "austria_33UUP_87_48_20170613.tif"))
    for ds in (s1, s2):
        assert ds.GetGeoTransform() == (404400.0, 10.0, 0.0, 5342400.0, 0.0, -10.0)
        assert ds.GetSpatialRef().GetAuthorityCode(None) == "32633"
    assert [s1.GetRasterBand(i).GetDescription() for i in (1, 2)] == ["VV", "VH"]
    assert s1.GetRasterBand(1).DataType == gdal.GDT_Float32 and s2.GetRasterBand(1).DataType == gdal.GDT_UInt16
    np.testing.assert_array_equal(s1.ReadAsArray(), np.stack([p.vv, p.vh]))
    np.testing.assert_array_equal(s2.ReadAsArray(), p.rgb)
    s1 = s2 = None
    with open(tmp_path / "bigearthnet" / "index.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert (row["source"], row["exact_georef"], row["labels"]) == ("bigearthnet-common-2.8.0", "True", "Pastures")
    assert not list((tmp_path / "bigearthnet").rglob("*.partial.tif"))


def test_the_training_code_reads_them_as_one_placed_dual_polarisation_db_set(recipes, tmp_path):
    pairs, extract = recipes
    from sar_colorizer.core.modelfile import InputSpec, PriorSpec
    from sar_colorizer.training.datasets import BandRoles, discover, load_sources
    from sar_colorizer.training.priors import attach_priors

    written = [patch(extract, "bigearthnet-common-2.8.0", f"S1A_IW_GRDH_1SDV_20170613T165043_33UUP_87_{r}",
                     "2017-06-13") for r in (48, 49)]
    pairs.write_pairs(written, tmp_path / "bigearthnet", "bigearthnet-common==2.8.0")
    sources = discover(tmp_path / "bigearthnet")
    assert [s.name for s in sources] == ["bigearthnet/austria_33UUP_87_48_20170613",
                                         "bigearthnet/austria_33UUP_87_49_20170613"]
    spec = InputSpec(bands=("VV", "VH"), prior=PriorSpec())
    loaded = load_sources(sources, spec, BandRoles())
    assert {p.dataset for p in loaded} == {"bigearthnet"}
    assert all(p.units == "db" and set(p.bands) == {"VV", "VH"} for p in loaded)
    # target in the colour convention (reflectance 0..0.3 -> 0..255): 600 = 0.06 -> 51 levels, 1200 -> 102
    np.testing.assert_array_equal(np.unique(loaded[0].target[0]), [51])
    np.testing.assert_array_equal(np.unique(loaded[0].target[2]), [51, 102])
    attach_priors(loaded, [s.sar for s in sources], 256.0)
    assert all(p.priors.placed_by == "georeferencing" and p.priors.palette is not None for p in loaded)


def test_a_pickled_record_that_would_run_code_is_refused(recipes):
    _, extract = recipes
    evil = pickle.dumps(os.system)  # a record naming os.system (posix.system) instead of a patch
    with pytest.raises(pickle.UnpicklingError, match="refusing posix.system in a BigEarthNet record"):
        extract._PatchUnpickler(__import__("io").BytesIO(evil)).load()


@pytest.fixture(scope="module")
def built():
    if not (BUILT / "index.csv").is_file():
        pytest.skip(f"BigEarthNet pairs not built at {BUILT} "
                    "(python training/recipes/bigearthnet_pairs.py --out data/bigearthnet)")
    with open(BUILT / "index.csv") as f:
        return list(csv.DictReader(f))


def test_the_built_pairs_are_the_107_distinct_patches_of_eight_countries(built):
    countries: dict[str, int] = {}
    for r in built:
        countries[r["country"]] = countries.get(r["country"], 0) + 1
    assert countries == {"Austria": 24, "Finland": 57, "Ireland": 6, "Lithuania": 6, "Luxembourg": 1,
                         "Portugal": 9, "Serbia": 3, "Switzerland": 1}
    assert sum(r["exact_georef"] == "True" for r in built) == 6


def test_an_exactly_placed_real_pair_keeps_its_bigearthnet_georeferencing_and_values(built):
    # bigearthnet-common's S2A_MSIL2A_20170613T101031_87_48: its labels_metadata.json gives ulx 404400,
    # uly 5342400 in EPSG:32633 (Upper Austria, 2017-06-13)
    ds = gdal.Open(str(BUILT / "s2" / "austria_33UUP_87_48_20170613.tif"))
    assert ds.GetGeoTransform() == (404400.0, 10.0, 0.0, 5342400.0, 0.0, -10.0)
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "32633"
    rgb = ds.ReadAsArray()
    ds = None
    assert rgb.shape == (3, 120, 120) and rgb.dtype == np.uint16
    s1 = gdal.Open(str(BUILT / "s1" / "austria_33UUP_87_48_20170613.tif"))
    vv = s1.GetRasterBand(1).ReadAsArray()
    s1 = None
    assert -25.0 < float(np.median(vv)) < 0.0  # backscatter in dB over farmland
    assert 200 < float(rgb[0].mean()) < 2000     # L2A red reflectance x 10000 of green farmland
