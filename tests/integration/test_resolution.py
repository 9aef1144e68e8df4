"""The ground size of a scene's pixels, in any CRS or placed by GCPs, and the warning when it is far
from the 10 m the model learnt from: through the core, the CLI and on the real 20 m Rhone scene."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from sar_colorizer.core.cli import main
from sar_colorizer.core.modelfile import ModelMetadata
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize
from sar_colorizer.core.resolution import EARTH_RADIUS_M, ground_pixel_size, resolution_warning


def scene(path: Path, pixel: float, epsg=32631, origin=(600000.0, 5000000.0), size=(90, 80)) -> Path:
    ds = gdal.GetDriverByName("GTiff").Create(str(path), size[0], size[1], 1, gdal.GDT_Float32)
    if epsg:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((origin[0], pixel, 0, origin[1], 0, -pixel))
    ds.GetRasterBand(1).WriteArray(np.random.default_rng(0).normal(-12, 3, (size[1], size[0])).astype(np.float32))
    ds = None
    return path


def coarse_warning(label: str, size_m: str) -> str:
    return (f"{label}: its pixels are about {size_m} m on the ground, the model learnt from 10 m pixels: it sees every "
            "field, street and river smaller than it knows them, so textures and colours are less reliable")


def test_pixel_size_in_metres_whatever_the_crs(tmp_path):
    assert ground_pixel_size(gdal.Open(str(scene(tmp_path / "utm20.tif", 20.0)))) == pytest.approx(20.0, rel=5e-3)
    # degrees at 60 degrees north: 1e-4 degree is 11.1 m north-south but 5.6 m east-west
    lonlat = gdal.Open(str(scene(tmp_path / "lonlat.tif", 1e-4, epsg=4326, origin=(10.0, 60.0))))
    expected = EARTH_RADIUS_M * math.radians(1e-4) * math.sqrt(math.cos(math.radians(60.0)))
    assert ground_pixel_size(lonlat) == pytest.approx(expected, rel=2e-3)
    # World Mercator at 60 degrees north: its "10 m" are 5 m on the ground
    mercator = gdal.Open(str(scene(tmp_path / "merc.tif", 10.0, epsg=3395, origin=(1113195.0, 8362698.0))))
    assert ground_pixel_size(mercator) == pytest.approx(5.0, rel=1e-2)
    assert ground_pixel_size(gdal.Open(str(scene(tmp_path / "nocrs.tif", 20.0, epsg=None)))) is None


def test_pixel_size_of_a_gcp_placed_scene_comes_from_its_gcps(tmp_path, gcp_copy):
    grd = tmp_path / "grd.tif"
    gcp_copy(scene(tmp_path / "utm20.tif", 20.0, size=(200, 160)), grd)
    ds = gdal.Open(str(grd))
    assert ds.GetGeoTransform(can_return_null=True) is None and ds.GetGCPCount() == 25
    assert ground_pixel_size(ds) == pytest.approx(20.0, rel=1e-2)


@pytest.mark.parametrize("pixel, warned", [(10.0, None), (14.0, None), (7.0, None), (20.0, "20"), (16.0, "16")])
def test_warning_only_far_from_the_training_pixel_size(tmp_path, pixel, warned):
    ds = gdal.Open(str(scene(tmp_path / "s.tif", pixel)))
    expected = coarse_warning("s.tif", warned) if warned else None
    assert resolution_warning(ds, "s.tif", ModelMetadata().pixel_size_m) == expected


def test_finer_pixels_are_said_to_look_larger(tmp_path):
    ds = gdal.Open(str(scene(tmp_path / "s.tif", 5.0)))
    assert resolution_warning(ds, "s.tif", 10.0) == (
        "s.tif: its pixels are about 5 m on the ground, the model learnt from 10 m pixels: it sees every field, "
        "street and river larger than it knows them, so textures and colours are less reliable")


def test_model_files_without_the_field_are_10_m_ones():
    meta = ModelMetadata()
    assert meta.pixel_size_m == 10.0 and meta.to_dict()["pixel_size_m"] == 10.0
    old = {k: v for k, v in meta.to_dict().items() if k != "pixel_size_m"}
    assert ModelMetadata.from_dict(old).pixel_size_m == 10.0
    assert ModelMetadata.from_dict({**old, "pixel_size_m": 20}).pixel_size_m == 20.0


def test_a_20_m_scene_is_colorized_with_a_warning_a_10_m_one_without(tmp_path, model_file, capsys):
    options = ColorizeOptions(model_path=model_file)
    coarse = colorize(scene(tmp_path / "coarse_vv.tif", 20.0), tmp_path / "a.tif", options)
    assert coarse.warnings == [coarse_warning("coarse_vv.tif", "20")]
    assert colorize(scene(tmp_path / "fine_vv.tif", 10.0), tmp_path / "b.tif", options).warnings == []

    assert main([str(tmp_path / "coarse_vv.tif"), str(tmp_path / "c.tif"), "--model", str(model_file), "-q"]) == 0
    assert capsys.readouterr().err == f"sar-colorize: warning: {coarse_warning('coarse_vv.tif', '20')}\n"


def test_the_real_20_m_rhone_scene_warns(shared_data, model_file, tmp_path):
    result = colorize(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif", tmp_path / "rgb.tif",
                      ColorizeOptions(model_path=model_file))
    assert result.warnings == [coarse_warning("rhone-delta_vv_db_utm31n.tif", "20")]
