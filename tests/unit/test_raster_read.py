"""Opening and reading the input: windows without caching whole strips; what the file says it holds."""
import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core import raster_io
from sar_colorizer.core.errors import InputError


def _striped(path, width=6000, height=300):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), width, height, 1, gdal.GDT_Float32)  # strips, uncompressed
    values = np.arange(width * height, dtype=np.float32).reshape(height, width) % 1000 - 20
    ds.GetRasterBand(1).WriteArray(values)
    ds = None
    return values


def test_window_of_an_uncompressed_striped_file_is_read_without_caching_its_strips(tmp_path):
    values = _striped(tmp_path / "s.tif")
    raster = raster_io.open_sar(tmp_path / "s.tif")
    assert raster.striped
    before = gdal.GetCacheUsed()
    window = raster.read("VV", 10, 256, x0=4000, cols=256)
    assert np.array_equal(window, values[10:266, 4000:4256])
    # 256 whole strips would be 256 x 6000 x 4 bytes = 6 MB in the cache
    assert gdal.GetCacheUsed() - before < 100_000
    assert gdal.GetConfigOption("GTIFF_DIRECT_IO") is None  # the option does not leak out


def _grd_like(path, dtype=gdal.GDT_UInt16, description="Sentinel-1B IW GRD HR L1", values=None):
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 40, 30, 2, dtype)
    if description:
        ds.SetMetadataItem("TIFFTAG_IMAGEDESCRIPTION", description)
    for i in (1, 2):
        ds.GetRasterBand(i).WriteArray(np.full((30, 40), 100) if values is None else values)
    ds = None
    return path


def test_sentinel1_grd_tiff_is_read_as_amplitude_with_its_zero_border_masked(tmp_path):
    sar = raster_io.open_sar(_grd_like(tmp_path / "s1b-iw-grd-vv.tiff"))
    assert raster_io.is_sentinel1_grd(sar.dataset)
    assert sar.units_hint == "amplitude"
    assert sar.nodata == {"VV": 0.0, "VH": 0.0}
    assert sar.valid_mask("VV", np.array([0, 1, 65535], np.uint16)).tolist() == [False, True, True]


def test_other_integer_rasters_are_not_taken_for_grd_amplitudes(tmp_path):
    for name, kwargs in (("plain.tif", {"description": None}),
                         ("float.tif", {"dtype": gdal.GDT_Float32}),
                         ("s2.tif", {"description": "Sentinel-2A MSI L1C"})):
        sar = raster_io.open_sar(_grd_like(tmp_path / name, **kwargs))
        assert sar.units_hint is None and sar.nodata == {"VV": None, "VH": None}, name


def test_complex_single_look_input_is_refused(tmp_path):
    path = tmp_path / "slc_vv.tif"
    gdal.GetDriverByName("GTiff").Create(str(path), 16, 16, 1, gdal.GDT_CInt16)  # closed as it is dropped
    with pytest.raises(InputError) as e:
        raster_io.open_sar(path)
    assert str(e.value) == (
        "slc_vv.tif: band 1 (VV) holds complex numbers (a single-look complex, SLC, product?); colorizing "
        "needs backscatter intensity: use a GRD product, or calibrate and multilook the SLC first (e.g. SNAP: "
        "Calibration, TOPS Deburst, Multilooking, Terrain Correction)")


def test_hh_hv_products_stand_in_for_vv_vh_with_a_warning(tmp_path):
    path = tmp_path / "ew_dualpol.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 16, 16, 2, gdal.GDT_Float32)
    for number, pol in ((1, "HV"), (2, "HH")):
        ds.GetRasterBand(number).SetMetadataItem("POLARIZATION", pol)
    ds = None
    sar = raster_io.open_sar(path)
    assert sar.bands == {"VV": 2, "VH": 1}
    assert sar.warnings[:2] == [
        "ew_dualpol.tif: band 2 is HH, colorized as VV: the model has learnt VV and VH, so the colours of HH "
        "are an approximation",
        "ew_dualpol.tif: band 1 is HV, colorized as VH: the model has learnt VV and VH, so the colours of HV "
        "are an approximation"]
