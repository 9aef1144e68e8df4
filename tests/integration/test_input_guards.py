"""Rasters that are not radar are refused, with the reason, through the core and the CLI: an optical
colour GeoTIFF, a Sentinel-2 band stack and SAR Colorizer's own output, with and without bands set
by hand; --allow-optical-input colorizes them all the same. Grey pictures and radar bands with
generic names are not refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from sar_colorizer.core.cli import main
from sar_colorizer.core.errors import InputError
from sar_colorizer.core.input_guards import not_radar_reason
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize

HINT = ("to colorize it all the same, use --allow-optical-input (QGIS: the advanced parameter "
        "'Colorize even if the input looks optical')")


def _georeferenced(path: Path, width: int, height: int, count: int, dtype, options=()) -> gdal.Dataset:
    ds = gdal.GetDriverByName("GTiff").Create(str(path), width, height, count, dtype, list(options))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((600000, 10, 0, 5000000, 0, -10))
    return ds


def optical_rgb(path: Path) -> Path:
    """An 8-bit true-colour picture (PHOTOMETRIC=RGB: bands Red, Green, Blue) of fields and a river."""
    rng = np.random.default_rng(1)
    ds = _georeferenced(path, 96, 80, 3, gdal.GDT_Byte, ["PHOTOMETRIC=RGB"])
    base = rng.integers(40, 90, (80, 96))
    for number, offset in ((1, 30), (2, 60), (3, 0)):
        ds.GetRasterBand(number).WriteArray((base + offset + rng.integers(0, 20, (80, 96))).astype(np.uint8))
    ds = None
    return path


def sentinel2_stack(path: Path, names=("B2", "B3", "B4", "B8")) -> Path:
    """Sentinel-2 reflectance x 10000 as exports write it: UInt16 bands named after the MSI bands."""
    rng = np.random.default_rng(2)
    ds = _georeferenced(path, 96, 80, len(names), gdal.GDT_UInt16)
    for number, name in enumerate(names, start=1):
        band = ds.GetRasterBand(number)
        band.WriteArray(rng.integers(300, 3000, (80, 96)).astype(np.uint16))
        band.SetDescription(name)
    ds = None
    return path


def sar_db(path: Path, descriptions=None) -> Path:
    rng = np.random.default_rng(3)
    count = len(descriptions) if descriptions else 1
    ds = _georeferenced(path, 96, 80, count, gdal.GDT_Float32)
    for number in range(1, count + 1):
        band = ds.GetRasterBand(number)
        band.WriteArray(rng.normal(-12 - 6 * (number - 1), 3, (80, 96)).astype(np.float32))
        if descriptions:
            band.SetDescription(descriptions[number - 1])
    ds = None
    return path


@pytest.fixture
def own_output(tmp_path, model_file) -> Path:
    """What SAR Colorizer writes: the colorizer run on a small radar raster."""
    out = tmp_path / "made" / "rhone_like_rgb.tif"
    out.parent.mkdir()
    colorize(sar_db(tmp_path / "made" / "scene_vv.tif"), out, ColorizeOptions(model_path=model_file))
    return out


def rasters(tmp_path: Path, own_output: Path) -> dict[str, Path]:
    return {"optical": optical_rgb(tmp_path / "photo.tif"), "sentinel2": sentinel2_stack(tmp_path / "s2.tif"),
            "own_output": own_output}


REASONS = {
    "optical": ("photo.tif looks like an optical colour image, not Sentinel-1 radar: bands 1, 2 and 3 are 8-bit "
                "Red, Green and Blue holding different pictures, and SAR Colorizer predicts colours from radar "
                "backscatter"),
    "sentinel2": ("s2.tif looks like a Sentinel-2 optical image, not Sentinel-1 radar (band 1 is 'B2', band 2 is "
                  "'B3', band 3 is 'B4', band 4 is 'B8'): SAR Colorizer predicts colours from radar backscatter"),
    "own_output": ("rhone_like_rgb.tif is an output of SAR Colorizer (colours predicted from radar, not radar "
                   "backscatter): colorize the Sentinel-1 scene it was made from (scene_vv.tif) instead"),
}


@pytest.mark.parametrize("bands", [None, {"VV": 1}, {"VV": 3, "VH": 2}], ids=["detect", "vv-by-hand", "both-by-hand"])
@pytest.mark.parametrize("kind", list(REASONS))
def test_core_refuses_what_is_not_radar_even_with_bands_set_by_hand(tmp_path, own_output, model_file, kind, bands):
    source = rasters(tmp_path, own_output)[kind]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError) as refused:
        colorize(source, out_dir / "x.tif", ColorizeOptions(model_path=model_file, bands=bands))
    assert str(refused.value) == f"{REASONS[kind]}; {HINT}"
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("kind", list(REASONS))
def test_allow_optical_input_colorizes_it_all_the_same(tmp_path, own_output, model_file, kind):
    source = rasters(tmp_path, own_output)[kind]
    result = colorize(source, tmp_path / "x.tif",
                      ColorizeOptions(model_path=model_file, bands={"VV": 1}, allow_optical_input=True))
    assert result.bands_used == {"VV": 1} and (result.width, result.height) == (96, 80)
    ds = gdal.Open(str(tmp_path / "x.tif"))
    assert ds.RasterCount == 3 and ds.ReadAsArray().std() > 0


@pytest.mark.parametrize("kind", list(REASONS))
def test_cli_refuses_with_one_line_and_writes_nothing(tmp_path, own_output, model_file, capsys, kind):
    source = rasters(tmp_path, own_output)[kind]
    out = tmp_path / "cli_rgb.tif"
    rc = main([str(source), str(out), "--bands", "VV=1", "--model", str(model_file), "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err == f"sar-colorize: error: {REASONS[kind]}; {HINT}\n"
    assert not out.exists() and not list(tmp_path.glob(".cli_rgb*"))

    rc = main([str(source), str(out), "--bands", "VV=1", "--model", str(model_file), "-q", "--allow-optical-input"])
    assert rc == 0, capsys.readouterr().err
    assert out.is_file()


def test_a_separate_vh_file_that_is_optical_is_refused(tmp_path, model_factory):
    model = model_factory(bands=("VV", "VH"), availability=True)
    vv = sar_db(tmp_path / "scene_VV.tif")
    with pytest.raises(InputError, match=r"^photo.tif looks like an optical colour image"):
        colorize(vv, tmp_path / "x.tif", ColorizeOptions(model_path=model), vh_path=optical_rgb(tmp_path / "photo.tif"))
    assert not (tmp_path / "x.tif").exists()


@pytest.mark.parametrize("names", [("B02", "B03", "B04"), ("B4 (Red)",), ("B8A",), ("B3", "B8"),
                                   ("B4, central wavelength 665 nm",)])
def test_sentinel2_band_names_as_exports_write_them(tmp_path, names):
    ds = gdal.Open(str(sentinel2_stack(tmp_path / "s2.tif", names)))
    assert not_radar_reason(ds).startswith("looks like a Sentinel-2 optical image, not Sentinel-1 radar (band 1 is ")


@pytest.mark.parametrize("names", [("VV", "VH"), ("B1", "B2"), ("B2",), ("Band 1", "Band 2"), ("Sigma0_VV_db",)])
def test_radar_bands_with_generic_or_polarisation_names_are_not_refused(tmp_path, names):
    ds = gdal.Open(str(sar_db(tmp_path / "sar.tif", names)))
    assert not_radar_reason(ds) is None


def test_a_grey_radar_picture_saved_as_rgb_is_not_refused(tmp_path):
    """A SAR display JPEG (three equal channels; the India scenes) is radar, not a colour picture."""
    grey = np.random.default_rng(4).integers(0, 255, (64, 64)).astype(np.uint8)
    mem = gdal.GetDriverByName("MEM").Create("", 64, 64, 3, gdal.GDT_Byte)
    for number in (1, 2, 3):
        mem.GetRasterBand(number).WriteArray(grey)
    gdal.GetDriverByName("JPEG").CreateCopy(str(tmp_path / "sar.jpg"), mem)
    ds = gdal.Open(str(tmp_path / "sar.jpg"))
    assert [ds.GetRasterBand(i).GetColorInterpretation() for i in (1, 2, 3)] == \
        [gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand]
    assert not_radar_reason(ds) is None


def test_16_bit_rgb_interpretation_alone_is_not_refused(tmp_path):
    """Only 8-bit colour pictures are taken for optical images by their colour interpretation."""
    ds = _georeferenced(tmp_path / "u16.tif", 32, 32, 3, gdal.GDT_UInt16, ["PHOTOMETRIC=RGB"])
    for number in (1, 2, 3):
        ds.GetRasterBand(number).WriteArray(np.full((32, 32), 100 * number, np.uint16))
    ds = None
    assert not_radar_reason(gdal.Open(str(tmp_path / "u16.tif"))) is None
