"""Tiny synthetic paired data written as real GeoTIFF / PNG files (GDAL), for fast training tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA_ROOT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def write_raster(path: Path, bands: np.ndarray, nodata=None, driver: str = "GTiff") -> Path:
    from osgeo import gdal

    gdal.UseExceptions()
    bands = np.asarray(bands)
    if bands.ndim == 2:
        bands = bands[None]
    types = {np.dtype(np.float32): gdal.GDT_Float32, np.dtype(np.uint16): gdal.GDT_UInt16,
             np.dtype(np.uint8): gdal.GDT_Byte}
    path.parent.mkdir(parents=True, exist_ok=True)
    if driver == "GTiff":
        ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0],
                                                  types[bands.dtype])
        for i, b in enumerate(bands):
            band = ds.GetRasterBand(i + 1)
            band.WriteArray(b)
            if nodata is not None:
                band.SetNoDataValue(nodata)
        ds = None
    else:  # PNG / JPEG via a MEM copy
        mem = gdal.GetDriverByName("MEM").Create("", bands.shape[2], bands.shape[1], bands.shape[0],
                                                 types[bands.dtype])
        for i, b in enumerate(bands):
            mem.GetRasterBand(i + 1).WriteArray(b)
        out = gdal.GetDriverByName(driver).CreateCopy(str(path), mem)
        out = None  # noqa: F841
        mem = None  # noqa: F841
    return path


def synthetic_pair(rng: np.random.Generator, size: int = 64, dual: bool = False):
    """SAR in dB whose bright half is 'water-blue' in the optical: a colour the net can learn."""
    yy, xx = np.mgrid[0:size, 0:size]
    pattern = ((xx // 8 + yy // 8) % 2).astype(np.float32)
    vv = (-18.0 + 12.0 * pattern + rng.normal(0, 1.0, (size, size))).astype(np.float32)
    sar = np.stack([vv, vv - 6.0]) if dual else vv[None]
    rgb = np.stack([600 + 2400 * pattern, 900 + 1500 * pattern, 2500 - 1500 * pattern]).astype(np.uint16)
    return sar, rgb


@pytest.fixture
def paired_folder(tmp_path: Path) -> Path:
    """<tmp>/pairs/{s1,s2}/p0..p2.tif: VV dB Float32 + UInt16 RGB, 64 x 64."""
    rng = np.random.default_rng(0)
    root = tmp_path / "pairs"
    for i in range(3):
        sar, rgb = synthetic_pair(rng)
        write_raster(root / "s1" / f"p{i}.tif", sar)
        write_raster(root / "s2" / f"p{i}.tif", rgb)
    return root
