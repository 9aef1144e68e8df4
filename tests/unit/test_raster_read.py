"""Reading windows of the input must not pull whole-width strips into GDAL's block cache."""
import numpy as np
from osgeo import gdal

from sar_colorizer.core import raster_io


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
