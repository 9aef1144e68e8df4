"""qgis_process end to end: a fresh QGIS profile, the plugin found through QGIS_PLUGINPATH and
enabled with `qgis_process plugins enable`, then `run sarcolorizer:colorizesar` on a real scene.

This is also how a user makes qgis_process (QGIS 3.22) find the plugin; see docs/QGIS.md.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from osgeo import gdal

REPO = Path(__file__).resolve().parents[2]
RHONE = "rhone-delta_vv_db_utm31n.tif"


@pytest.fixture
def qgis_process(qgis_process_for):
    """qgis_process with a throw-away profile in which this working tree is the installed plugin."""
    return qgis_process_for(REPO)


def test_qgis_process_lists_and_runs_the_algorithm(qgis_process, tiny_model, scene, tmp_path):
    listed = qgis_process("list")
    assert "sarcolorizer:colorizesar\tColorize SAR" in listed.stdout

    helped = qgis_process("help", "sarcolorizer:colorizesar")
    assert "Sentinel-1 GRD backscatter" in helped.stdout and "VV_BAND" in helped.stdout

    source = scene(RHONE)
    out = tmp_path / "rhone colorized.tif"
    done = qgis_process("--json", "run", "sarcolorizer:colorizesar", "--",
                        f"INPUT={source}", f"MODEL={tiny_model}", f"OUTPUT={out}")
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout[done.stdout.index("{"):])
    assert Path(result["results"]["OUTPUT"]) == out

    src, dst = gdal.Open(str(source)), gdal.Open(str(out))
    assert (dst.RasterXSize, dst.RasterYSize, dst.RasterCount) == (src.RasterXSize, src.RasterYSize, 3)
    assert dst.GetGeoTransform() == src.GetGeoTransform()
    assert dst.GetSpatialRef().IsSame(src.GetSpatialRef())
    assert all(dst.GetRasterBand(i).DataType == gdal.GDT_Byte for i in (1, 2, 3))


def test_qgis_process_reports_a_missing_input_without_traceback(qgis_process, tiny_model, tmp_path):
    missing = tmp_path / "nowhere.tif"
    done = qgis_process("run", "sarcolorizer:colorizesar", "--",
                        f"INPUT={missing}", f"MODEL={tiny_model}", f"OUTPUT={tmp_path / 'x.tif'}")
    assert done.returncode != 0
    assert f"Sentinel-1 SAR raster: file not found: {missing}" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "x.tif").exists()
