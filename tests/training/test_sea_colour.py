"""benchmarks/sea_colour.py: the sea's Sentinel-2 colour, which build_world_palette.py --sea-colour stores."""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from osgeo import gdal

from tests.conftest import REPO


def sea_colour_module():
    spec = importlib.util.spec_from_file_location("sea_colour", REPO / "benchmarks" / "sea_colour.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write(path, array, dtype):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), array.shape[2], array.shape[1], array.shape[0], dtype)
    for i, band in enumerate(array):
        ds.GetRasterBand(i + 1).WriteArray(band)
    ds = None


def test_the_water_colour_is_the_median_optical_where_vv_is_below_minus_18_db(tmp_path):
    sc = sea_colour_module()
    sar = np.full((2, 10, 10), -8.0, np.float32)
    sar[0, :, :4] = -22.0  # 40 % water by VV; VH is not read
    optical = np.full((3, 10, 10), 1500, np.uint16)
    optical[:, :, :4] = np.array([60, 150, 180], np.uint16).reshape(3, 1, 1)
    optical[:, 0, 0] = 3000  # one bright water pixel: the median ignores it
    write(tmp_path / "s1.tif", sar, gdal.GDT_Float32)
    write(tmp_path / "s2.tif", optical, gdal.GDT_UInt16)
    share, colour = sc.water_colour(tmp_path / "s1.tif", tmp_path / "s2.tif")
    assert share == pytest.approx(0.4)
    np.testing.assert_allclose(colour, np.array([60, 150, 180]) / 3000 * 255)


def test_the_sea_colour_of_the_bigearthnet_sea_patches(capsys):
    built = REPO / "data" / "bigearthnet"
    if not (built / "index.csv").is_file():
        pytest.skip(f"BigEarthNet pairs not built at {built} "
                    "(python training/recipes/bigearthnet_pairs.py --out data/bigearthnet)")
    assert sea_colour_module().main([str(built)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("26 patches labelled sea")
    # measured: 19 of the 26 are at least a fifth calm water; Sentinel-2's sea is dark, bluest in blue
    assert out[-2].startswith("sea colour over 19 patches (convention levels R, G, B): median [ 5.8 13.5 15.9]")
    assert out[-1] == "--sea-colour 5.8,13.5,15.9"
