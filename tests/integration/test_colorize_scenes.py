"""End to end on every real Sentinel-1 raster in ../shared/data/scenes."""
import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize

SCENES = ["rhone-delta_vv_db_utm31n.tif", "na164_vv_linear_wgs84.tif"] + [
    f"sen12ms-cr-s1/ROIs1158_spring_s1_{n}.tif" for n in
    ("1_p169", "1_p36", "1_p540", "1_p607", "1_p608", "1_p636", "1_p637", "6_p55")]



@pytest.mark.parametrize("name", SCENES)
def test_georeferencing_mask_bands_dtype(shared_data, name, model_factory, tmp_path):
    src_path = shared_data / "scenes" / name
    model = model_factory(bands=("VV", "VH"), availability=True)
    out = tmp_path / "out.tif"
    result = colorize(src_path, out, ColorizeOptions(model_path=model, backend="torch"))
    src, dst = gdal.Open(str(src_path)), gdal.Open(str(out))
    assert (dst.RasterXSize, dst.RasterYSize) == (src.RasterXSize, src.RasterYSize)
    assert dst.GetGeoTransform() == pytest.approx(src.GetGeoTransform())
    assert dst.GetSpatialRef().IsSame(src.GetSpatialRef())
    assert dst.RasterCount == 3
    assert [dst.GetRasterBand(i).DataType for i in (1, 2, 3)] == [gdal.GDT_Byte] * 3
    assert [gdal.GetColorInterpretationName(dst.GetRasterBand(i).GetColorInterpretation())
            for i in (1, 2, 3)] == ["Red", "Green", "Blue"]
    assert dst.GetRasterBand(1).GetMaskFlags() == gdal.GMF_PER_DATASET
    mask = dst.GetRasterBand(1).GetMaskBand().ReadAsArray()
    assert set(np.unique(mask)) <= {0, 255} and (mask == 255).mean() > 0.99
    rgb = dst.ReadAsArray()
    assert rgb.std() > 1  # a real prediction, not a blank image
    assert dst.GetRasterBand(1).GetOverviewCount() >= 1 or max(src.RasterXSize, src.RasterYSize) <= 256
    expected_units = "VV:linear" if "linear" in name else "db"
    assert expected_units in result.units
    assert sorted(result.bands_used) == (["VH", "VV"] if "sen12ms" in name else ["VV"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors", "out.tif"]  # no temp files left


def test_nodata_pixels_are_masked_and_black(shared_data, model_factory, tmp_path):
    src = gdal.Open(str(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"))
    a = src.ReadAsArray()
    a[:40, :60] = -99  # the file's nodata value
    a[100:110, 200:205] = np.nan
    inp = tmp_path / "holes.tif"
    ds = gdal.GetDriverByName("GTiff").CreateCopy(str(inp), src)
    ds.GetRasterBand(1).WriteArray(a)
    ds = None
    out = tmp_path / "out.tif"
    colorize(inp, out, ColorizeOptions(model_path=model_factory(), backend="torch"))
    dst = gdal.Open(str(out))
    mask = dst.GetRasterBand(1).GetMaskBand().ReadAsArray()
    rgb = dst.ReadAsArray()
    assert (mask[:40, :60] == 0).all() and (mask[100:110, 200:205] == 0).all()
    assert int((mask == 0).sum()) == 40 * 60 + 10 * 5
    assert (rgb[:, mask == 0] == 0).all()


def test_constant_model_gives_a_seamless_constant_scene(shared_data, model_factory, tmp_path):
    model = model_factory(constant=(0.2, 0.5, 0.8), tile=64, overlap=16)
    out = tmp_path / "const.tif"
    colorize(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif", out,
             ColorizeOptions(model_path=model, backend="torch"))
    rgb = gdal.Open(str(out)).ReadAsArray()
    for band, value in zip(rgb, (51, 128, 204)):
        assert (band == value).all()


def test_torch_and_onnx_give_the_same_pixels(shared_data, model_factory, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = model_factory(bands=("VV", "VH"), availability=True)
    src = shared_data / "scenes" / "sen12ms-cr-s1" / "ROIs1158_spring_s1_1_p36.tif"
    outs = {}
    for backend in ("torch", "onnx"):
        outs[backend] = tmp_path / f"{backend}.tif"
        r = colorize(src, outs[backend], ColorizeOptions(model_path=model, backend=backend, device="cpu"))
        assert r.backend == backend
    a = gdal.Open(str(outs["torch"])).ReadAsArray().astype(int)
    b = gdal.Open(str(outs["onnx"])).ReadAsArray().astype(int)
    assert np.abs(a - b).max() <= 1
    assert list((tmp_path / "cache" / "sar_colorizer").glob("*.onnx"))  # exported once, cached


def test_an_onnx_model_file_runs_without_the_safetensors_file(shared_data, model_factory, tmp_path):
    from sar_colorizer.core.onnx_export import export_onnx

    model = model_factory()
    onnx_path = export_onnx(model, tmp_path / "m.onnx")
    model.unlink()
    out = tmp_path / "out.tif"
    r = colorize(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif", out,
                 ColorizeOptions(model_path=onnx_path, backend="auto"))
    assert r.backend == "onnx" and out.is_file()


def test_output_says_what_it_is_and_where_it_comes_from(shared_data, model_file, tmp_path):
    """A colorized file found later must not pass for an optical image, and leads back to its scene,
    model and settings."""
    from sar_colorizer.core.version import METADATA

    version = next(line.split("=", 1)[1] for line in METADATA.read_text().splitlines() if line.startswith("version="))
    colorize(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif", tmp_path / "out.tif",
             ColorizeOptions(model_path=model_file, backend="torch"))
    metadata = gdal.Open(str(tmp_path / "out.tif")).GetMetadata()
    assert metadata == {
        "AREA_OR_POINT": "Area",
        "TIFFTAG_IMAGEDESCRIPTION": "Sentinel-2-like true colour predicted from Sentinel-1 SAR by SAR Colorizer: "
                                    "synthetic colours, not an optical measurement",
        "TIFFTAG_SOFTWARE": f"SAR Colorizer {version}",
        "SAR_COLORIZER_SOURCE": "rhone-delta_vv_db_utm31n.tif",
        "SAR_COLORIZER_BANDS": "VV:1",
        "SAR_COLORIZER_UNITS": "VV:db",
        "SAR_COLORIZER_MODEL": "test-model",
        "SAR_COLORIZER_TILE": "64 px, overlap 16 px",
        "SAR_COLORIZER_PRIOR": "none (the model takes no colour prior)",
    }
