"""How samples/ was made (kept for the record; needs the development workspace's ../shared/data).

    .venv/bin/python samples/make_samples.py

Tile 100 of the LA/Texas pairs (VolkovVl/Optical-SAR-dataset, in ../shared/data/train/la-texas-vh):
the Sentinel-1 VH GeoTIFF recompressed losslessly (DEFLATE), its band named VH and marked grey
(the source marks its one band "Red"), the Sentinel-2 GeoTIFF copied as it is; both get tags that
name the source products and carry the Copernicus attribution. Pixel values are unchanged.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from osgeo import gdal

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / ".." / "shared" / "data" / "train" / "la-texas-vh"
TILE = "100"
SAR = HERE / "los-angeles-harbour_s1a_vh_20201107.tif"
OPTICAL = HERE / "los-angeles-harbour_s2a_rgb_20201104.tif"
ATTRIBUTION = "Contains modified Copernicus Sentinel data 2020"
COMMON = {
    "TIFFTAG_COPYRIGHT": ATTRIBUTION,
    "SOURCE": "VolkovVl/Optical-SAR-dataset on GitHub, dataset/ pair 100 (Copernicus Sentinel data)",
}


def main() -> None:
    gdal.UseExceptions()
    src = gdal.Open(str(SOURCE / "s1" / f"{TILE}.tif"))
    ds = gdal.Translate(str(SAR), src, options=["-colorinterp", "gray"],
                        creationOptions=["COMPRESS=DEFLATE", "PREDICTOR=2", "ZLEVEL=9"])
    ds.GetRasterBand(1).SetDescription("VH")
    ds.SetMetadata({**COMMON,
                    # no "GRD" here: raster_io would take the band for ESA's GRD amplitudes
                    "TIFFTAG_IMAGEDESCRIPTION": "Sentinel-1A VH backscatter, 8-bit display scaling "
                                                "(divided by the scene's 99th percentile), not calibrated",
                    "SENTINEL1_PRODUCT": "S1A_IW_GRDH_1SDV_20201107T135241_20201107T135306_035143_041A16_322B",
                    "SENSING_DATE": "2020-11-07"})
    ds = None
    shutil.copyfile(SOURCE / "s2" / f"{TILE}.tif", OPTICAL)
    ds = gdal.Open(str(OPTICAL), gdal.GA_Update)
    ds.SetMetadata({**COMMON,
                    "TIFFTAG_IMAGEDESCRIPTION": "Sentinel-2A L1C true colour (B4, B3, B2), 8-bit display scaling",
                    "SENTINEL2_PRODUCT": "S2A_MSIL1C_20201104T183541_N0209_R027_T11SLT_20201104T203551",
                    "SENSING_DATE": "2020-11-04"})
    ds = None
    for path in (SAR, OPTICAL):
        Path(str(path) + ".aux.xml").unlink(missing_ok=True)
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
