"""The user's colour reference: reprojected onto the scene's grid, reduced to the prior's scale,
nodata and clouds left out, every bad input refused with one line."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal, osr

from sar_colorizer.core.colour_reference import EIGHT_BIT_GAIN, choose_bands, reference_grid
from sar_colorizer.core.errors import InputError
from sar_colorizer.core.prior import reduce_to_grid



# a synthetic scene: UTM 31N, 10 m pixels, 600 x 400 px, near Montpellier
SCENE_ORIGIN = (560000.0, 4830000.0)
SCENE_SIZE = (600, 400)
CELL = 50  # 12 x 8 cells
LEFT = (1500, 600, 300)    # reflectance x 10000 -> convention 0.5, 0.2, 0.1
RIGHT = (300, 900, 2400)   # -> 0.1, 0.3, 0.8


def utm31() -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    return srs


def make_scene(path, gcps: bool = False, georeferenced: bool = True):
    """A one-band Float32 'SAR' scene; with gcps, placed by a 5 x 5 grid of lon/lat GCPs instead."""
    w, h = SCENE_SIZE
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, 1, gdal.GDT_Float32)
    ds.GetRasterBand(1).Fill(-12.0)
    if georeferenced and not gcps:
        ds.SetGeoTransform((SCENE_ORIGIN[0], 10.0, 0.0, SCENE_ORIGIN[1], 0.0, -10.0))
        ds.SetProjection(utm31().ExportToWkt())
    elif gcps:
        points = []
        for j in range(5):
            for i in range(5):
                px, ln = i * w / 4, j * h / 4
                lon, lat = to_lonlat(SCENE_ORIGIN[0] + px * 10, SCENE_ORIGIN[1] - ln * 10)
                points.append(gdal.GCP(lon, lat, 0.0, px, ln))
        wgs84 = osr.SpatialReference()
        wgs84.ImportFromEPSG(4326)
        ds.SetGCPs(points, wgs84.ExportToWkt())
    ds = None
    return gdal.Open(str(path))


def to_lonlat(x, y):
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    src = utm31()
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return osr.CoordinateTransformation(src, wgs84).TransformPoint(x, y)[:2]


def scene_lonlat_bounds():
    w, h = SCENE_SIZE
    corners = [to_lonlat(SCENE_ORIGIN[0] + i * w * 10, SCENE_ORIGIN[1] - j * h * 10) for i in (0, 1) for j in (0, 1)]
    lons, lats = [c[0] for c in corners], [c[1] for c in corners]
    return min(lons), min(lats), max(lons), max(lats)


def write_raster(path, bands: np.ndarray, gt, srs_epsg=4326, dtype=gdal.GDT_UInt16, nodata=None,
                 descriptions=None, interp=None):
    n, h, w = bands.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, n, dtype)
    if gt is not None:
        ds.SetGeoTransform(gt)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(srs_epsg)
        ds.SetProjection(srs.ExportToWkt())
    for i in range(n):
        band = ds.GetRasterBand(i + 1)
        band.WriteArray(bands[i])
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if descriptions:
            band.SetDescription(descriptions[i])
        band.SetColorInterpretation(interp[i] if interp else gdal.GCI_Undefined)
    ds = None
    return path


def column_lons(gt, width: int) -> np.ndarray:
    """Longitude of each column's pixel centres of an EPSG:4326 raster."""
    return gt[0] + (np.arange(width) + 0.5) * gt[1]


def split_reference(path, split_lon, res=0.0005, margin=0.02, dtype=gdal.GDT_UInt16, left=LEFT, right=RIGHT,
                    scale=1.0):
    """An EPSG:4326 reference over the scene: `left` colour west of split_lon, `right` east."""
    lon0, lat0, lon1, lat1 = scene_lonlat_bounds()
    lon0, lat0, lon1, lat1 = lon0 - margin, lat0 - margin, lon1 + margin, lat1 + margin
    w, h = int(np.ceil((lon1 - lon0) / res)), int(np.ceil((lat1 - lat0) / res))
    lons = column_lons((lon0, res), w)
    bands = np.empty((3, h, w), np.float64)
    for c in range(3):
        bands[c] = np.where(lons[None, :] < split_lon, left[c], right[c]) * scale
    return write_raster(path, bands, (lon0, res, 0, lat1, 0, -res), dtype=dtype)


def cell_lon_range(i, j):
    """Min and max longitude of the corners of cell (column i, row j) of the synthetic scene."""
    lons = [to_lonlat(SCENE_ORIGIN[0] + (i + di) * CELL * 10, SCENE_ORIGIN[1] - (j + dj) * CELL * 10)[0]
            for di in (0, 1) for dj in (0, 1)]
    return min(lons), max(lons)


def expected_split(split_lon):
    """(gh, gw) masks of the cells wholly west / east of split_lon."""
    gh, gw = SCENE_SIZE[1] // CELL, SCENE_SIZE[0] // CELL
    west, east = np.zeros((gh, gw), bool), np.zeros((gh, gw), bool)
    for j in range(gh):
        for i in range(gw):
            lo, hi = cell_lon_range(i, j)
            west[j, i], east[j, i] = hi < split_lon, lo > split_lon
    return west, east


def refused(call) -> str:
    """The one-line message of the InputError a call raises. Not pytest.raises: its traceback keeps
    GDAL datasets alive in a reference cycle until exit, where they crash the interpreter under
    pytest-qgis."""
    try:
        call()
    except InputError as exc:
        return str(exc)
    raise AssertionError("no InputError raised")


@pytest.fixture
def scene(tmp_path):
    """The scene's path (a GDAL dataset kept by a fixture crashes the interpreter at exit under
    pytest-qgis): reference_grid is given it opened, as the pipeline's dataset."""
    make_scene(tmp_path / "scene.tif")
    return tmp_path / "scene.tif"


@pytest.fixture
def split_lon():
    lon0, _, lon1, _ = scene_lonlat_bounds()
    return lon0 + 0.4 * (lon1 - lon0)


def test_reference_in_wgs84_lands_on_the_right_cells_of_a_utm_scene(tmp_path, scene, split_lon):
    ref = split_reference(tmp_path / "ref.tif", split_lon)
    grid = reference_grid(ref, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    west, east = expected_split(split_lon)
    assert grid.present.shape == (8, 12) and grid.present.all()
    assert west.sum() >= 20 and east.sum() >= 40  # the split runs through the middle columns
    np.testing.assert_allclose(grid.rgb[:, west].T, np.tile(np.array(LEFT) / 3000, (west.sum(), 1)), atol=1e-5)
    np.testing.assert_allclose(grid.rgb[:, east].T, np.tile(np.array(RIGHT) / 3000, (east.sum(), 1)), atol=1e-5)
    # cells the split crosses hold a mix of the two, in between
    mixed = ~west & ~east
    assert mixed.sum() > 0
    assert ((grid.rgb[0, mixed] < 0.5) & (grid.rgb[0, mixed] > 0.1)).all()
    assert grid.cell == CELL and "reflectance x 10000" in grid.source


def test_gcp_placed_copy_of_the_scene_gets_the_same_cells(tmp_path, scene, split_lon):
    ref = split_reference(tmp_path / "ref.tif", split_lon)
    by_geotransform = reference_grid(ref, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    by_gcps = reference_grid(ref, make_scene(tmp_path / "gcps.tif", gcps=True), *SCENE_SIZE, CELL)
    assert by_gcps.present.all()
    west, east = expected_split(split_lon)
    both = west | east
    np.testing.assert_allclose(by_gcps.rgb[:, both], by_geotransform.rgb[:, both], atol=1e-5)
    # cells on the split: the GCP polynomial places them within a fraction of a warped pixel
    assert np.abs(by_gcps.rgb - by_geotransform.rgb).max() < 0.05


def test_window_is_the_same_part_of_the_whole_scene_grid(tmp_path, scene, split_lon):
    ref = split_reference(tmp_path / "ref.tif", split_lon)
    whole = reference_grid(ref, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    part = reference_grid(ref, gdal.Open(str(scene)), 4 * CELL, 3 * CELL, CELL, window=(2 * CELL, 4 * CELL))
    np.testing.assert_allclose(part.rgb, whole.rgb[:, 4:7, 2:6], atol=1e-4)  # warped separately: round-off


def test_fine_structure_of_the_reference_does_not_reach_the_prior(tmp_path, scene):
    """A 1-pixel checkerboard (and a thin bright line) at the scene's own resolution, in the scene's
    CRS: every cell holds the same mean, and the prior channels over the scene have no variation."""
    w, h = SCENE_SIZE
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where((xx + yy) % 2 == 0, 600, 2400).astype(np.float64)
    board[:, 301] = 9000  # a thin line, one pixel wide
    ref = write_raster(tmp_path / "board.tif", np.stack([board] * 3),
                       (SCENE_ORIGIN[0], 10.0, 0, SCENE_ORIGIN[1], 0, -10.0), srs_epsg=32631)
    grid = reference_grid(ref, gdal.Open(str(scene)), w, h, CELL)
    line_cells = np.zeros(grid.present.shape, bool)
    line_cells[:, 301 // CELL] = True
    np.testing.assert_allclose(grid.rgb[:, ~line_cells], 1500 / 3000, atol=1e-5)
    # the line raises its column of cells by 1/50 of (9000 - mean), spread over the cell: no line
    np.testing.assert_allclose(grid.rgb[:, line_cells], (1500 + (9000 - 1500) / CELL) / 3000, atol=1e-4)
    prior = grid.window(0, h, 0, w)
    assert prior[:3, :, :].std(axis=0).max() < 1e-6  # R, G, B the same everywhere: grey board
    # no pixel-scale variation: neighbouring pixels differ by at most one cell's change / cell
    assert np.abs(np.diff(prior[0], axis=1)).max() <= (9000 - 1500) / CELL / 3000 / CELL + 1e-6
    assert np.abs(np.diff(prior[0], axis=0)).max() < 1e-6


def test_nodata_and_alpha_do_not_count(tmp_path, scene, split_lon):
    """The west part is nodata (0): those cells have no colour and take the nearest measured one."""
    ref = split_reference(tmp_path / "ref.tif", split_lon, left=(0, 0, 0))
    grid = reference_grid(ref, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    west, east = expected_split(split_lon)
    assert not grid.present[west].any() and grid.present[east].all()
    np.testing.assert_allclose(grid.rgb[:, east].T, np.tile(np.array(RIGHT) / 3000, (east.sum(), 1)), atol=1e-5)
    # the cells crossed by the edge of the nodata: the clear part's colour, not diluted by zeros
    crossed = grid.present & ~east
    np.testing.assert_allclose(grid.rgb[:, crossed].T, np.tile(np.array(RIGHT) / 3000, (crossed.sum(), 1)),
                               atol=1e-5)


def test_scl_clouds_do_not_count(tmp_path, scene, split_lon):
    """An SCL band (4th band, described 'SCL') marks the west as cloud (class 9): those cells
    have no colour; class 4 (vegetation) elsewhere counts."""
    ref_path = split_reference(tmp_path / "ref.tif", split_lon)
    src = gdal.Open(str(ref_path))
    rgb = src.ReadAsArray().astype(np.float64)
    lons = column_lons(src.GetGeoTransform(), src.RasterXSize)
    scl = np.broadcast_to(np.where(lons < split_lon, 9, 4), rgb.shape[1:])
    path = write_raster(tmp_path / "with_scl.tif", np.concatenate([rgb, scl[None]]), src.GetGeoTransform(),
                        descriptions=["B4", "B3", "B2", "SCL"])
    grid = reference_grid(path, gdal.Open(str(scene)), *SCENE_SIZE, CELL, cloud_band=4)
    west, east = expected_split(split_lon)
    assert not grid.present[west].any() and grid.present[east].all()
    np.testing.assert_allclose(grid.rgb[:, grid.present].T,
                               np.tile(np.array(RIGHT) / 3000, (grid.present.sum(), 1)), atol=1e-5)
    # a cloud mask in a file of its own, non-zero = cloud
    mask = write_raster(tmp_path / "clouds.tif", (scl[None] == 9).astype(np.float64) * 255, src.GetGeoTransform(),
                        dtype=gdal.GDT_Byte)
    by_mask = reference_grid(ref_path, gdal.Open(str(scene)), *SCENE_SIZE, CELL, cloud_band=str(mask))
    np.testing.assert_array_equal(by_mask.present, grid.present)


def test_units_by_data_type_and_values(tmp_path, scene, split_lon):
    eight = split_reference(tmp_path / "byte.tif", split_lon, dtype=gdal.GDT_Byte, left=(200, 100, 50),
                            right=(200, 100, 50))
    grid = reference_grid(eight, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    np.testing.assert_allclose(grid.rgb[:, 0, 0], np.array([200, 100, 50]) / 255 * EIGHT_BIT_GAIN, atol=1e-5)
    assert "8-bit true colour" in grid.source
    floats = split_reference(tmp_path / "float.tif", split_lon, dtype=gdal.GDT_Float32, scale=1e-4)
    grid = reference_grid(floats, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    west, _ = expected_split(split_lon)
    np.testing.assert_allclose(grid.rgb[:, west][:, 0], np.array(LEFT) / 3000, atol=1e-5)
    assert "(reflectance," in grid.source


def test_band_choice():
    mem = gdal.GetDriverByName("MEM").Create("", 4, 4, 5, gdal.GDT_UInt16)
    for i, name in enumerate(["B2", "B3", "B4", "B8", "SCL"], start=1):
        mem.GetRasterBand(i).SetDescription(name)
    assert choose_bands(mem, "r").rgb == (3, 2, 1)
    rgba = gdal.GetDriverByName("MEM").Create("", 4, 4, 4, gdal.GDT_Byte)
    assert choose_bands(rgba, "r").rgb == (1, 2, 3)
    for i, ci in enumerate([gdal.GCI_BlueBand, gdal.GCI_GreenBand, gdal.GCI_RedBand, gdal.GCI_AlphaBand], start=1):
        rgba.GetRasterBand(i).SetColorInterpretation(ci)
    assert choose_bands(rgba, "r").rgb == (3, 2, 1)
    assert choose_bands(mem, "r", bands=(4, 3, 2)).rgb == (4, 3, 2)
    for i, name in enumerate(["T31TFJ_B02_10m", "T31TFJ_B03_10m", "T31TFJ_B04_10m", "T31TFJ_B08_10m", "B12"],
                             start=1):
        mem.GetRasterBand(i).SetDescription(name)
    assert choose_bands(mem, "r").rgb == (3, 2, 1)
    unnamed = gdal.GetDriverByName("MEM").Create("", 4, 4, 5, gdal.GDT_UInt16)
    assert refused(lambda: choose_bands(unnamed, "colour reference x.tif")) == (
        "colour reference x.tif has 5 bands and none is named red/green/blue or B4/B3/B2: give its R,G,B band numbers")


# --- bad input: one line each ----------------------------------------------------------------

def refusal(reference, scene, **kwargs) -> str:
    """The message reference_grid refuses `reference` over the synthetic scene with."""
    return refused(lambda: reference_grid(reference, gdal.Open(str(scene)), *SCENE_SIZE, CELL, **kwargs))


def test_not_a_raster(tmp_path, scene):
    path = tmp_path / "notes.txt"
    path.write_text("not a picture\n")
    assert refusal(path, scene) == "colour reference notes.txt is not a raster GDAL can read"


def test_fewer_than_three_bands(tmp_path, scene, split_lon):
    src = gdal.Open(str(split_reference(tmp_path / "ref.tif", split_lon)))
    one = write_raster(tmp_path / "grey.tif", src.ReadAsArray()[:1].astype(np.float64), src.GetGeoTransform())
    assert refusal(one, scene) == \
        "colour reference grey.tif has 1 band(s): a colour reference needs red, green and blue bands"


def test_reference_elsewhere(tmp_path, scene):
    far = write_raster(tmp_path / "elsewhere.tif", np.full((3, 50, 50), 1000.0), (10.0, 0.01, 0, 50.0, 0, -0.01))
    assert refusal(far, scene) == "colour reference elsewhere.tif does not overlap the scene"


def test_all_nodata_or_clouds(tmp_path, scene, split_lon):
    empty = split_reference(tmp_path / "empty.tif", split_lon, left=(0, 0, 0), right=(0, 0, 0))
    assert refusal(empty, scene) == \
        "colour reference empty.tif has no clear pixel over the scene (all nodata or clouds)"
    ref = split_reference(tmp_path / "cloudy.tif", split_lon)
    src = gdal.Open(str(ref))
    scl = write_raster(tmp_path / "T31_SCL_20m.tif", np.full((1, src.RasterYSize, src.RasterXSize), 8.0),
                       src.GetGeoTransform(), dtype=gdal.GDT_Byte)
    assert refusal(ref, scene, cloud_band=str(scl)) == \
        "colour reference cloudy.tif has no clear pixel over the scene (all nodata or clouds)"


def test_scene_that_cannot_be_placed(tmp_path, split_lon):
    ref = split_reference(tmp_path / "ref.tif", split_lon)
    make_scene(tmp_path / "bare.tif", georeferenced=False)
    assert refusal(ref, tmp_path / "bare.tif") == (
        "the scene bare.tif has no georeferencing (no CRS, no ground control points): "
        "the colour reference ref.tif cannot be placed on it")


def test_reference_without_georeferencing(tmp_path, scene):
    plain = write_raster(tmp_path / "photo.tif", np.full((3, 20, 20), 100.0), None, dtype=gdal.GDT_Byte)
    assert refusal(plain, scene) == \
        "colour reference photo.tif has no georeferencing (no CRS): it cannot be placed on the scene"


def test_missing_reference(tmp_path, scene):
    assert refusal(tmp_path / "nowhere.tif", scene) == \
        f"colour reference nowhere.tif not found: {tmp_path / 'nowhere.tif'}"


# --- real data ---------------------------------------------------------------------------------

def test_real_pair_optical_as_its_own_reference(shared_data):
    """LA/Texas: the pair's 8-bit optical (EPSG:3395) as the reference of its SAR gives the optical's
    own cell means; the SEN12MS-CR optical (UTM, UInt16 x 10000) over a GCP copy of its SAR too."""
    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
    try:
        s1 = gdal.Open(str(shared_data / "train/la-texas-vh/s1/003.tif"))
        s2_path = shared_data / "train/la-texas-vh/s2/003.tif"
        s2 = gdal.Open(str(s2_path))
        opt = s2.ReadAsArray().astype(np.float32) / 255 * EIGHT_BIT_GAIN
        grid = reference_grid(s2_path, s1, s1.RasterXSize, s1.RasterYSize, 256)
        own = reduce_to_grid(opt, None, 256, "own")
        assert grid.present.all() and grid.present.shape == (4, 4)
        np.testing.assert_allclose(grid.rgb, own.rgb, atol=2e-3)
    finally:
        gdal.SetConfigOption("GDAL_PAM_ENABLED", None)


def test_real_utm_optical_over_a_gcp_copy_and_a_reprojected_copy(shared_data, tmp_path):
    """SEN12MS-CR (UTM, UInt16 x 10000): the optical over a GCP-placed copy of its SAR gives the
    optical's own cell means; the LA/Texas optical reprojected to EPSG:4326 still lands on its cells."""
    from tests.conftest import with_gcps

    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
    try:
        name = "sen12mscr_ROIs2017_winter_112_p797.tif"
        s1_path = shared_data / "train/temperate-pairs/s1" / name
        s2_path = shared_data / "train/temperate-pairs/s2" / name
        with_gcps(s1_path, tmp_path / "gcps.tif")
        s1 = gdal.Open(str(tmp_path / "gcps.tif"))
        assert s1.GetGeoTransform(can_return_null=True) is None and s1.GetGCPCount() == 25
        opt = gdal.Open(str(s2_path)).ReadAsArray().astype(np.float32) / 3000
        grid = reference_grid(s2_path, s1, 256, 256, 64)
        own = reduce_to_grid(opt, None, 64, "own")
        assert grid.present.all() and grid.present.shape == (4, 4)
        assert "reflectance x 10000" in grid.source
        # GCPs in lon/lat and a polynomial through them: within a small fraction of the colour
        np.testing.assert_allclose(grid.rgb, own.rgb, atol=0.01)

        s2_la = shared_data / "train/la-texas-vh/s2/014.tif"
        wgs84 = gdal.Warp(str(tmp_path / "la_wgs84.tif"), str(s2_la), dstSRS="EPSG:4326", resampleAlg="bilinear")
        del wgs84
        s1_la = gdal.Open(str(shared_data / "train/la-texas-vh/s1/014.tif"))
        own = reduce_to_grid(gdal.Open(str(s2_la)).ReadAsArray().astype(np.float32) / 255 * EIGHT_BIT_GAIN,
                             None, 256, "own")
        grid = reference_grid(tmp_path / "la_wgs84.tif", s1_la, 1024, 1024, 256)
        inner = np.zeros((4, 4), bool)
        inner[1:3, 1:3] = True  # edge cells lose a sliver to the reprojection's edges
        np.testing.assert_allclose(grid.rgb[:, inner], own.rgb[:, inner], atol=0.01)
    finally:
        gdal.SetConfigOption("GDAL_PAM_ENABLED", None)


def test_alpha_band_marks_what_does_not_count(tmp_path, scene, split_lon):
    ref = split_reference(tmp_path / "ref.tif", split_lon, dtype=gdal.GDT_Byte, left=(90, 90, 90),
                          right=(30, 60, 120))
    src = gdal.Open(str(ref))
    rgb = src.ReadAsArray().astype(np.float64)
    lons = column_lons(src.GetGeoTransform(), src.RasterXSize)
    alpha = np.broadcast_to(np.where(lons < split_lon, 0, 255), rgb.shape[1:])
    path = write_raster(tmp_path / "rgba.tif", np.concatenate([rgb, alpha[None]]), src.GetGeoTransform(),
                        dtype=gdal.GDT_Byte, interp=[gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand,
                                                     gdal.GCI_AlphaBand])
    grid = reference_grid(path, gdal.Open(str(scene)), *SCENE_SIZE, CELL)
    west, east = expected_split(split_lon)
    assert not grid.present[west].any() and grid.present[east].all()
    np.testing.assert_allclose(grid.rgb[:, grid.present].T,
                               np.tile(np.array([30, 60, 120]) / 255 * EIGHT_BIT_GAIN, (grid.present.sum(), 1)),
                               atol=1e-5)
