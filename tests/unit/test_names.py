"""Input names: files and other GDAL dataset names, how messages and batch outputs name them."""
import pytest

from sar_colorizer.core.names import dataset_label, is_dataset_name, output_stem

SAFE = "S1A_IW_GRDH_1SDV_20201110T054512_20201110T054537_035190_041C8E_6B4A"


@pytest.mark.parametrize("name, dataset_name, label, stem", [
    ("/data/scene_vv.tif", False, "scene_vv.tif", "scene_vv"),
    ("scene_vv.tif", False, "scene_vv.tif", "scene_vv"),
    ("C:\\data\\scene_vv.tif", False, "scene_vv.tif", "scene_vv"),  # QGIS on Windows
    ("/vsizip//data/s1.zip/s1/scene_vv.tif", True, "scene_vv.tif", "scene_vv"),
    ("/vsicurl/https://example.org/cog/scene.tif", True, "scene.tif", "scene"),
    ("GPKG:/data/s.gpkg:rhone", True, "GPKG:/data/s.gpkg:rhone", "s_rhone"),
    ("GPKG:C:\\data\\s.gpkg:rhone", True, "GPKG:C:\\data\\s.gpkg:rhone", "s_rhone"),
    ('NETCDF:"/data/f.nc":sigma0_VV', True, 'NETCDF:"/data/f.nc":sigma0_VV', "f_sigma0_VV"),
    (f"SENTINEL1_DS:/data/{SAFE}.SAFE/manifest.safe:IW_VV", True,
     f"SENTINEL1_DS:/data/{SAFE}.SAFE/manifest.safe:IW_VV", f"{SAFE}_IW_VV"),
    (f"/data/{SAFE}.SAFE/manifest.safe", False, "manifest.safe", SAFE),
])
def test_names(name, dataset_name, label, stem):
    assert is_dataset_name(name) is dataset_name
    assert dataset_label(name) == label
    assert output_stem(name) == stem
