"""The colour prior through the pipeline and the CLI: which prior a scene gets, what reaches the
model, what the output records, and the bad inputs (issue 11)."""
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core import pipeline, raster_io, world_palette
from sar_colorizer.core.cli import main
from sar_colorizer.core.errors import InputError
from sar_colorizer.core.modelfile import read_metadata
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.prior_source import NO_PRIOR_WARNING, scene_prior

CELL = 64


@pytest.fixture
def rhone(shared_data) -> Path:
    return shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"


@pytest.fixture
def prior_model(model_factory) -> Path:
    return model_factory("prior.safetensors", bands=("VV", "VH"), availability=True, prior_cell=CELL)


def write_reference(path: Path, scene: Path, colours=((200, 40, 40), (40, 40, 200)), shift_deg: float = 0.0,
                    nodata=None) -> Path:
    """An 8-bit RGB GeoTIFF in EPSG:4326 over the scene: its west half one colour, its east half the other."""
    src = gdal.Open(str(scene))
    warped = gdal.Warp("", src, format="MEM", dstSRS="EPSG:4326")
    gt = list(warped.GetGeoTransform())
    w, h = warped.RasterXSize, warped.RasterYSize
    gt[0] += shift_deg
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, 3, gdal.GDT_Byte)
    ds.SetGeoTransform(gt)
    ds.SetProjection(warped.GetProjection())
    for b in range(3):
        band = ds.GetRasterBand(b + 1)
        band.SetColorInterpretation((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)[b])
        a = np.empty((h, w), np.uint8)
        a[:, : w // 2] = colours[0][b]
        a[:, w // 2:] = colours[1][b]
        if nodata is not None:
            band.SetNoDataValue(nodata)
            a[:] = nodata
        band.WriteArray(a)
    ds = None
    return path


def open_scene(path: Path):
    return raster_io.open_sar(str(path), None)


def test_world_palette_reaches_the_model_at_the_scene_place(rhone, prior_model, lonlat):
    """The prior channels of a pixel at a cell centre are the palette's colour at that pixel's lon/lat."""
    meta = read_metadata(prior_model)
    raster = open_scene(rhone)
    chosen = scene_prior(raster, meta, "auto", lambda _m: None)
    assert chosen.label == world_palette.SOURCE_LABEL
    units, stats = pipeline.scene_statistics(raster, meta, "auto")
    x, _ = pipeline.read_strip(raster, 0, raster.height, meta, units, stats, prior=chosen.grid)
    assert x.shape == (8, 217, 268)
    px, line = CELL // 2, CELL // 2  # the first cell's centre
    lon, lat = lonlat(rhone, [(px + 0.5, line + 0.5)])[0]
    expected = world_palette.colour_at(np.array([lon]), np.array([lat]))[:, 0]
    np.testing.assert_allclose(x[4:7, line, px], expected, atol=0.02)
    assert np.all(x[7] == 1.0)  # present everywhere
    # the Camargue in the palette is a real colour, not black and not white
    assert 0.05 < float(x[4:7].mean()) < 0.95


def test_prior_grid_is_anchored_to_the_dataset_so_parts_meet(rhone, prior_model):
    meta = read_metadata(prior_model)
    whole = open_scene(rhone)
    grid = scene_prior(whole, meta, "auto", lambda _m: None).grid
    units, stats = pipeline.scene_statistics(whole, meta, "auto")
    full, _ = pipeline.read_strip(whole, 0, whole.height, meta, units, stats, prior=grid)
    part = raster_io.open_sar(str(rhone), None)
    part.window = (100, 50, 120, 100)  # a part of the scene, as an extent reads it
    x, _ = pipeline.read_strip(part, 0, 100, meta, units, stats, prior=grid)
    np.testing.assert_array_equal(x[4:], full[4:, 50:150, 100:220])


def test_palette_none_and_world_give_different_colours_and_say_so(rhone, prior_model, tmp_path):
    outs = {}
    for palette in ("world", "none"):
        out = tmp_path / f"{palette}.tif"
        pipeline.colorize(rhone, out, ColorizeOptions(model_path=prior_model, backend="torch", device="cpu",
                                                      palette=palette))
        ds = gdal.Open(str(out))
        outs[palette] = (ds.ReadAsArray().astype(float), ds.GetMetadataItem("SAR_COLORIZER_PRIOR"))
        ds = None
    assert outs["world"][1] == "world palette (NASA Blue Marble Next Generation)"
    assert outs["none"][1] == "none (asked for)"
    # a random-weight model answers weakly, but it answers: the prior reached it
    assert np.abs(outs["world"][0] - outs["none"][0]).mean() > 0.01


def test_colour_reference_sets_the_prior_cells_by_its_place(rhone, prior_model, tmp_path):
    """A reference in EPSG:4326, red in the west and blue in the east of the UTM scene: the west
    cells' prior is red, the east cells' blue."""
    ref = write_reference(tmp_path / "ref.tif", rhone)
    meta = read_metadata(prior_model)
    raster = open_scene(rhone)
    chosen = scene_prior(raster, meta, str(ref), lambda _m: None)
    assert chosen.label.startswith("colour reference")
    window = chosen.grid.window(0, raster.height, 0, raster.width)
    west, east = window[:3, 100, 10], window[:3, 100, 257]
    assert west[0] > west[2] and east[2] > east[0]


def test_scene_that_cannot_be_placed(prior_model, tmp_path, model_factory):
    path = tmp_path / "nowhere.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 96, 96, 1, gdal.GDT_Float32)
    ds.GetRasterBand(1).WriteArray(np.random.default_rng(0).normal(-12, 3, (96, 96)).astype(np.float32))
    ds = None
    meta = read_metadata(prior_model)
    said = []
    raster = open_scene(path)
    chosen = scene_prior(raster, meta, "auto", said.append)
    assert chosen.grid is None and chosen.label == "none (the scene cannot be placed)"
    assert said == ["warning: " + NO_PRIOR_WARNING.format(label="nowhere.tif")]
    with pytest.raises(InputError, match=r"^nowhere.tif: has no georeferencing \(no CRS, no ground control points\), "
                                         "so the world palette cannot be placed on it"):
        scene_prior(open_scene(path), meta, "world", said.append)
    ref = tmp_path / "ref.tif"  # a placed reference: the scene is what cannot be placed
    r = gdal.GetDriverByName("GTiff").Create(str(ref), 8, 8, 3, gdal.GDT_Byte)
    r.SetGeoTransform((4.0, 0.01, 0, 43.6, 0, -0.01))
    r.SetProjection(_wgs84_wkt())
    r = None
    with pytest.raises(InputError, match="has no georeferencing"):
        scene_prior(open_scene(path), meta, str(ref), said.append)


def _wgs84_wkt() -> str:
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    return srs.ExportToWkt()


def run_cli(args, capsys):
    rc = main([str(a) for a in args] + ["-q"])
    return rc, capsys.readouterr()


def test_cli_palette_reference_and_bad_references(rhone, prior_model, tmp_path, capsys):
    base = ["--model", prior_model, "--backend", "torch", "--device", "cpu"]
    ref = write_reference(tmp_path / "ref.tif", rhone)
    out = tmp_path / "ok.tif"
    rc, cap = run_cli([rhone, out, "--palette", ref] + base, capsys)
    assert rc == 0, cap.err
    ds = gdal.Open(str(out))
    assert ds.GetMetadataItem("SAR_COLORIZER_PRIOR") == \
        "colour reference ref.tif (8-bit true colour, bands by colour interpretation)"
    ds = None
    far = write_reference(tmp_path / "far.tif", rhone, shift_deg=40.0)
    empty = write_reference(tmp_path / "empty.tif", rhone, nodata=0)
    grey = tmp_path / "grey.tif"
    g = gdal.Translate(str(grey), str(ref), bandList=[1, 2])
    g = None  # noqa: F841
    not_raster = tmp_path / "notes.tif"
    not_raster.write_text("not a raster")
    for reference, message in [
        (far, "colour reference far.tif does not overlap the scene"),
        (empty, "colour reference empty.tif has no clear pixel over the scene (all nodata or clouds)"),
        (grey, "colour reference grey.tif has 2 band(s)"),
        (not_raster, "colour reference notes.tif"),
    ]:
        dst = tmp_path / f"out_{Path(reference).stem}.tif"
        rc, cap = run_cli([rhone, dst, "--palette", reference] + base, capsys)
        assert rc == 1
        lines = cap.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sar-colorize: error: ") and message in lines[0], cap.err
        assert not dst.exists() and not list(tmp_path.glob(f"out_{Path(reference).stem}*"))


def test_model_without_prior_ignores_a_palette_with_a_warning(rhone, model_file, tmp_path):
    said = []
    pipeline.colorize(rhone, tmp_path / "o.tif", ColorizeOptions(model_path=model_file, backend="torch",
                                                                 palette="world"), log=said.append)
    assert "warning: the model test-model takes no colour prior; the colour reference or palette is not used" in said


def test_cli_corrupt_world_palette_is_one_line_and_nothing_written(rhone, prior_model, tmp_path, capsys,
                                                                    monkeypatch):
    broken = tmp_path / "world_palette.tif"
    shipped = world_palette.PALETTE_PATH.read_bytes()
    broken.write_bytes(shipped[: len(shipped) // 2])  # cut short, as an interrupted copy leaves it
    monkeypatch.setattr(world_palette, "PALETTE_PATH", broken)
    out = tmp_path / "out.tif"
    rc, cap = run_cli([rhone, out, "--model", prior_model, "--backend", "torch"], capsys)
    assert rc == 1
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"sar-colorize: error: the world palette {broken} "), cap.err
    assert not out.exists() and not list(tmp_path.glob("out*"))


def test_a_reference_gives_its_coarse_colours_where_the_model_file_says_so(rhone, model_factory, tmp_path):
    """A model that always answers grey: with coarse_from=("reference",) the output is the reference's
    colours (red west, blue east), through tiling and blending, and says so; the world palette and a
    model file without the field leave the grey as it is."""
    kept = model_factory("kept.safetensors", bands=("VV", "VH"), availability=True, prior_cell=CELL,
                         constant=(0.5, 0.5, 0.5), coarse_from=("reference",), coarse_sigma=16.0)
    plain = model_factory("plain.safetensors", bands=("VV", "VH"), availability=True, prior_cell=CELL,
                          constant=(0.5, 0.5, 0.5))
    ref = write_reference(tmp_path / "ref.tif", rhone)
    runs = {}
    for name, model, palette in (("kept", kept, str(ref)), ("kept-world", kept, "world"), ("plain", plain, str(ref))):
        out = tmp_path / f"{name}.tif"
        pipeline.colorize(rhone, out, ColorizeOptions(model_path=model, backend="torch", device="cpu", palette=palette))
        ds = gdal.Open(str(out))
        runs[name] = (ds.ReadAsArray().astype(float), ds.GetMetadataItem("SAR_COLORIZER_PRIOR"))
        ds = None
    rgb, label = runs["kept"]
    assert label == ("colour reference ref.tif (8-bit true colour, bands by colour interpretation); its coarse "
                     "colours kept, the model's structure finer than 16 px")
    valid = rgb.sum(axis=0) > 0
    west, east = rgb[:, 60:160, 10:90], rgb[:, 60:160, 180:260]
    w_ok, e_ok = valid[60:160, 10:90], valid[60:160, 180:260]
    west_mean, east_mean = west[:, w_ok].mean(axis=1), east[:, e_ok].mean(axis=1)
    assert west_mean[0] > west_mean[2] + 60 and east_mean[2] > east_mean[0] + 60, (west_mean, east_mean)
    for name in ("kept-world", "plain"):
        other, _ = runs[name]
        on = other.sum(axis=0) > 0
        np.testing.assert_allclose(other[:, on], 128, atol=1)  # 0.5 x 255, rounded
    assert runs["kept-world"][1] == "world palette (NASA Blue Marble Next Generation)"
