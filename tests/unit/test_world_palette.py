"""The built-in world palette: known places give the mosaic's colour there, a scene is placed
through whatever georeferencing it has, a corrupt or foreign palette file is refused in one line."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core import world_palette
from sar_colorizer.core.errors import ModelFileError
from sar_colorizer.core.world_palette import (PALETTE_PATH, cell_centres, colour_at, load_world_palette,
                                              world_palette_grid)
from tests.conftest import lonlat_of, with_gcps

# (name, lon, lat, the mosaic's 8-bit R, G, B in the pixel there, read with gdalinfo-free GDAL below)
PLACES = [
    ("Sahara, Libya", 12.0, 23.0, (204, 166, 119)),
    ("Amazon forest", -62.0, -4.0, (30, 43, 13)),
    ("Greenland ice", -40.0, 75.0, (251, 253, 252)),
    ("Pacific ocean", -150.0, 0.0, (6, 14, 37)),
]


def refused(call) -> str:
    """The one-line message of the ModelFileError a call raises (not pytest.raises: its traceback
    keeps GDAL datasets in a reference cycle until exit, which crashes under pytest-qgis)."""
    try:
        call()
    except ModelFileError as exc:
        return str(exc)
    raise AssertionError("no ModelFileError raised")


def pixel_centre(lon: float, lat: float) -> tuple[int, int, float, float]:
    col, row = int((lon + 180) * 15), int((90 - lat) * 15)
    return col, row, -180 + (col + 0.5) / 15, 90 - (row + 0.5) / 15


@pytest.mark.parametrize("name, lon, lat, rgb", PLACES)
def test_known_place_gives_the_mosaic_colour(name, lon, lat, rgb):
    col, row, lon_c, lat_c = pixel_centre(lon, lat)
    src = gdal.Open(str(PALETTE_PATH))
    direct = src.ReadAsArray(col, row, 1, 1).reshape(3)
    assert tuple(direct) == rgb  # the shipped file still holds what the mosaic has there
    palette = load_world_palette()
    assert tuple(palette.values_at(lon_c, lat_c).ravel()) == rgb
    np.testing.assert_allclose(colour_at(lon_c, lat_c).ravel(), palette.mapping.apply(np.array(rgb, float)),
                               rtol=1e-6)


def test_colour_convention_of_known_places():
    sahara, forest, ocean = colour_at(np.array([12.0, -62.0, -150.0]), np.array([23.0, -4.0, 0.0])).T
    assert sahara.min() > 0.6 and sahara[0] > sahara[1]  # bright sand, red above green
    assert forest.max() < 0.3 and forest[1] > forest[2]  # dark green canopy
    # dark blue sea (0.058 red measured: the hue-kept mapping's haze offset adds 0.029 to red everywhere)
    assert ocean[2] > 3 * ocean[0] and ocean[0] < 0.08


def test_bilinear_between_pixel_centres_and_wrap_at_the_antimeridian():
    palette = load_world_palette()
    src = gdal.Open(str(PALETTE_PATH))
    left, right = src.ReadAsArray(5399, 1000, 1, 1).reshape(3), src.ReadAsArray(0, 1000, 1, 1).reshape(3)
    lat = 90 - 1000.5 / 15
    # the antimeridian is halfway between the last and the first column's centres
    np.testing.assert_allclose(palette.values_at(180.0, lat).ravel(), (left + right) / 2, atol=1e-4)
    np.testing.assert_allclose(palette.values_at(-180.0, lat).ravel(), (left + right) / 2, atol=1e-4)
    np.testing.assert_allclose(palette.values_at(540.0, lat).ravel(), (left + right) / 2, atol=1e-4)
    quarter = palette.values_at(-180 + 0.25 / 15, 90 - 1000.5 / 15).ravel()
    np.testing.assert_allclose(quarter, 0.25 * left + 0.75 * right, atol=1e-4)
    # arrays of any shape come back as (3, ...)
    assert colour_at(np.zeros((2, 5)), np.zeros((2, 5))).shape == (3, 2, 5)


def test_utm_scene_and_its_gcp_copy_sample_the_same_place(shared_data, tmp_path):
    scene = shared_data / "scenes/rhone-delta_vv_db_utm31n.tif"
    with_gcps(scene, tmp_path / "gcps.tif")
    utm, gcps = gdal.Open(str(scene)), gdal.Open(str(tmp_path / "gcps.tif"))
    w, h, cell = utm.RasterXSize, utm.RasterYSize, 32
    by_crs = world_palette_grid(utm, w, h, cell)
    by_gcps = world_palette_grid(gcps, w, h, cell)
    assert by_crs.present.all() and by_crs.rgb.shape == (3, 7, 9)
    # the same as the palette's colour at each cell centre's lon/lat computed with osr
    xs, ys = cell_centres(w, h, cell)
    lonlat = lonlat_of(scene, list(zip(xs.ravel(), ys.ravel())))
    lon, lat = np.array([p[0] for p in lonlat]), np.array([p[1] for p in lonlat])
    assert 4.3 < lon.mean() < 4.9 and 43.3 < lat.mean() < 43.7  # the Rhone delta
    np.testing.assert_allclose(by_crs.rgb, colour_at(lon, lat).reshape(3, 7, 9), atol=1e-6)
    np.testing.assert_allclose(by_gcps.rgb, by_crs.rgb, atol=2e-3)  # GCP polynomial: metres off
    assert by_crs.source == world_palette.SOURCE_LABEL


def test_geographic_and_mercator_scenes_axis_order(shared_data):
    """EPSG:4326 (latitude first by the CRS's definition) and EPSG:3395: x is longitude."""
    geo = gdal.Open(str(shared_data / "scenes/na164_vv_linear_wgs84.tif"))
    gt = geo.GetGeoTransform()
    grid = world_palette_grid(geo, geo.RasterXSize, geo.RasterYSize, 256)
    centre = (gt[0] + 128 * gt[1], gt[3] + 128 * gt[5])
    np.testing.assert_allclose(grid.rgb[:, 0, 0], colour_at(*centre).ravel(), atol=1e-6)
    merc_path = shared_data / "train/la-texas-vh/s1/003.tif"
    merc = gdal.Open(str(merc_path))
    grid = world_palette_grid(merc, 1024, 1024, 512)
    lonlat = lonlat_of(merc_path, [(256, 256), (768, 256), (256, 768), (768, 768)])
    assert all(-119 < lon < -117 and 33 < lat < 35 for lon, lat in lonlat)  # Los Angeles
    expected = colour_at(np.array([p[0] for p in lonlat]), np.array([p[1] for p in lonlat])).reshape(3, 2, 2)
    np.testing.assert_allclose(grid.rgb, expected, atol=1e-6)


def test_output_window_is_its_part_of_the_whole_grid(shared_data):
    ds = gdal.Open(str(shared_data / "scenes/rhone-delta_vv_db_utm31n.tif"))
    whole = world_palette_grid(ds, 256, 192, 32)
    part = world_palette_grid(ds, 96, 64, 32, window=(64, 96))
    np.testing.assert_allclose(part.rgb, whole.rgb[:, 3:5, 2:5], atol=1e-6)


def test_scene_that_cannot_be_placed_gets_none(tmp_path):
    bare = gdal.GetDriverByName("GTiff").Create(str(tmp_path / "bare.tif"), 64, 64, 1, gdal.GDT_Float32)
    assert world_palette_grid(bare, 64, 64, 32) is None
    bare.SetGeoTransform((500000, 10, 0, 4800000, 0, -10))  # a geotransform without a CRS
    assert world_palette_grid(bare, 64, 64, 32) is None


# --- a corrupt or foreign palette file ---------------------------------------------------------

def test_corrupt_palette_file(tmp_path):
    data = PALETTE_PATH.read_bytes()
    damaged = tmp_path / "world_palette.tif"  # 200 kB of its tiles zeroed: opens, does not decode
    damaged.write_bytes(data[: len(data) // 2] + bytes(200_000) + data[len(data) // 2 + 200_000:])
    message = refused(lambda: load_world_palette(damaged))
    assert message.startswith(f"the world palette {damaged} cannot be decoded (corrupt file?): ")
    assert "\n" not in message
    truncated = tmp_path / "truncated.tif"  # its directory (at the end) cut off
    truncated.write_bytes(data[: len(data) // 3])
    assert refused(lambda: load_world_palette(truncated)) == \
        f"the world palette {truncated} is not a raster GDAL can read (corrupt file?)"
    garbage = tmp_path / "garbage.tif"
    garbage.write_bytes(b"II*\x00" + b"\x00" * 100)
    assert refused(lambda: load_world_palette(garbage)) == \
        f"the world palette {garbage} is not a raster GDAL can read (corrupt file?)"


def test_foreign_or_missing_palette_file(tmp_path, monkeypatch):
    foreign = tmp_path / "other.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(foreign), 360, 180, 3, gdal.GDT_Byte)
    ds = None
    assert refused(lambda: load_world_palette(foreign)) == \
        f"the world palette {foreign} is not a SAR Colorizer world palette (no SAR_COLORIZER_WORLD_PALETTE=1 metadata)"
    missing = tmp_path / "nowhere.tif"
    assert refused(lambda: load_world_palette(missing)) == (
        f"the world palette {missing} is missing: reinstall the plugin or rebuild it with "
        "scripts/build_world_palette.py")
    # a palette without its colour mapping can be read raw (the calibration does) but gives no colours
    unmapped = tmp_path / "unmapped.tif"
    shutil.copy(PALETTE_PATH, unmapped)
    ds = gdal.Open(str(unmapped), gdal.GA_Update)
    ds.SetMetadataItem(world_palette.MAPPING_KEY, None)
    ds = None
    assert load_world_palette(unmapped, require_mapping=False).values_at(12.0, 23.0).shape == (3,)
    assert refused(lambda: load_world_palette(unmapped)) == (
        f"the world palette {unmapped} has no PALETTE_TO_CONVENTION metadata: rebuild it with "
        "scripts/build_world_palette.py")
    # the pipeline's path: world_palette_grid with a broken shipped palette
    monkeypatch.setattr(world_palette, "PALETTE_PATH", missing)
    src = gdal.GetDriverByName("MEM").Create("", 8, 8, 1)
    src.SetGeoTransform((10, 0.01, 0, 50, 0, -0.01))
    src.SetProjection('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
                      'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')
    assert refused(lambda: world_palette_grid(src, 8, 8, 4)).startswith(f"the world palette {missing} is missing")


def test_mapping_matches_the_calibration():
    """The shipped file's mapping is the one benchmarks/palette_calibration.py measured."""
    import json

    from tests.conftest import REPO

    calibration = json.loads((REPO / "training/recipes/palette_calibration.json").read_text())
    mapping = load_world_palette().mapping
    np.testing.assert_allclose(mapping.gain, calibration["palette_to_convention"]["gain"], rtol=1e-6)
    np.testing.assert_allclose(mapping.gamma, calibration["palette_to_convention"]["gamma"], rtol=1e-6)
    np.testing.assert_allclose(mapping.offset, calibration["palette_to_convention"].get("offset", [0, 0, 0]),
                               rtol=1e-6, atol=1e-9)
    from sar_colorizer.core.colour_reference import EIGHT_BIT_GAIN
    assert EIGHT_BIT_GAIN == calibration["reference_eight_bit_gain"]


def test_plugin_zip_and_package_ship_the_palette():
    import importlib.util
    import tomllib

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("build_plugin_zip", REPO / "scripts" / "build_plugin_zip.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert {"models/world_palette.tif", "models/WORLD_PALETTE.md"} <= set(builder.plugin_files())
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "models/*" in package_data["sar_colorizer"]


def test_mapping_offset_and_its_inverse():
    """convention = offset + gain * (value / 255) ** gamma; a file made before offsets were measured
    reads as offset 0; invert gives back the palette values a colour came from."""
    from sar_colorizer.core.world_palette import PaletteMapping

    haze = PaletteMapping.from_json('{"gain": [1.3, 1.3, 1.3], "gamma": [1, 1, 1], "offset": [0.03, 0, 0.08]}')
    values = np.array([[0.0, 51.0, 255.0], [0.0, 102.0, 255.0], [0.0, 153.0, 255.0]])
    np.testing.assert_allclose(haze.apply(values), [[0.03, 0.29, 1.33], [0, 0.52, 1.3], [0.08, 0.86, 1.38]],
                               rtol=1e-6)
    np.testing.assert_allclose(haze.invert(haze.apply(values)), values, atol=1e-3)
    curved = PaletteMapping((1.0, 2.0, 3.0), (0.5, 1.0, 2.0), (0.1, 0.0, 0.0))
    np.testing.assert_allclose(curved.invert(curved.apply(values)), values, atol=1e-3)
    old = PaletteMapping.from_json('{"gain": [1.47, 1.23, 2.38], "gamma": [1, 1, 1]}')
    assert old.offset == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="offset must be 3 numbers >= 0"):
        PaletteMapping.from_json('{"gain": [1, 1, 1], "gamma": [1, 1, 1], "offset": [0, -0.1, 0]}')
