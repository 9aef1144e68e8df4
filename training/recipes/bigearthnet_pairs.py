"""Rebuild the BigEarthNet training pairs (issue 11: more places) from the PyPI wheels that ship them.

Every leave-one-set-out run so far said the same thing: in a place of a kind it has never seen, the
model paints its training places' colours, and no recipe change moved that by more than run-to-run
noise (MODEL.md, "Re-evaluation and longer prior-residual runs": "the measured way forward is data").
Three packages on PyPI carry real BigEarthNet(-MM) patches as test or mock data: Sentinel-1 VV + VH
(dB, resampled onto the Sentinel-2 grid) with Sentinel-2 L2A of the same place and day (0-3 days
apart), 120 x 120 px at 10 m, from eight European countries, 2017-2018. That is about a hundred places
of temperate and boreal farmland, forest, lakes and sea, where the project had two.

    pip install -r requirements-data.txt      # lmdb, mgrs, pyarrow: only to read the wheels
    python training/recipes/bigearthnet_pairs.py --out data/bigearthnet

writes ``OUT/s1/NAME.tif`` (VV, VH Float32 dB) and ``OUT/s2/NAME.tif`` (B4, B3, B2 UInt16 reflectance
x 10000) GeoTIFFs, georeferenced in the patch's UTM zone, and ``OUT/index.csv``; the training code
reads OUT as one data set named after its folder. NAME = country_tile_X_Y_yyyymmdd: BigEarthNet's own
patch column and row in the Sentinel-2 tile, and the Sentinel-2 date. A patch found in two packages is written once, from the first in ``SOURCE_ORDER`` (exact
georeferencing first). ``data/`` is not committed: the data stays with its licence
(BigEarthNet: CDLA-Permissive-1.0; contains modified Copernicus Sentinel data 2017-2018).
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
from osgeo import gdal, osr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigearthnet_extract import (BenPatch, grid_position, missing_wheels, read_patches,  # noqa: E402
                                 wheel_names)

SOURCE_ORDER = ("bigearthnet-common-2.8.0", "configilm-0.3.0", "configilm-0.7.1")
PIXEL_M = 10.0
LICENCE = ("BigEarthNet (bigearth.net), CDLA-Permissive-1.0; contains modified Copernicus Sentinel data "
           "2017-2018. Taken from the PyPI wheels {wheels}.")


def patch_key(p: BenPatch) -> tuple[str, int, int, str]:
    """(tile, column, row, S2 date): the same patch in two packages has the same key."""
    return (*grid_position(p.s1_name), p.s2_date.replace("-", ""))


def pair_name(p: BenPatch) -> str:
    tile, col, row, date = patch_key(p)
    return f"{p.country.lower().replace(' ', '-')}_{tile}_{col}_{row}_{date}"


def unique_patches(patches: Iterable[BenPatch]) -> list[BenPatch]:
    """One patch per key, preferring the source listed first in SOURCE_ORDER."""
    best: dict[tuple, BenPatch] = {}
    for p in patches:
        k = patch_key(p)
        if k not in best or SOURCE_ORDER.index(p.source) < SOURCE_ORDER.index(best[k].source):
            best[k] = p
    return sorted(best.values(), key=pair_name)


def write_geotiff(path: Path, bands: np.ndarray, names: list[str], epsg: int, ulx: float, uly: float,
                  gdal_type: int) -> None:
    drv = gdal.GetDriverByName("GTiff")
    tmp = path.with_suffix(".partial.tif")
    ds = drv.Create(str(tmp), bands.shape[2], bands.shape[1], bands.shape[0], gdal_type,
                    options=["COMPRESS=DEFLATE", "PREDICTOR=2" if gdal_type == gdal.GDT_UInt16 else "PREDICTOR=3"])
    ds.SetGeoTransform((ulx, PIXEL_M, 0.0, uly, 0.0, -PIXEL_M))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    for i, (arr, name) in enumerate(zip(bands, names), start=1):
        band = ds.GetRasterBand(i)
        band.WriteArray(arr)
        band.SetDescription(name)
    ds.FlushCache()
    ds = None
    tmp.replace(path)


def write_pairs(patches: Iterable[BenPatch], out: Path, wheels: str) -> list[dict]:
    (out / "s1").mkdir(parents=True, exist_ok=True)
    (out / "s2").mkdir(parents=True, exist_ok=True)
    rows = []
    for p in unique_patches(patches):
        name = pair_name(p)
        write_geotiff(out / "s1" / f"{name}.tif", np.stack([p.vv, p.vh]).astype(np.float32), ["VV", "VH"],
                      p.epsg, p.ulx, p.uly, gdal.GDT_Float32)
        write_geotiff(out / "s2" / f"{name}.tif", np.asarray(p.rgb, dtype=np.uint16), ["B4", "B3", "B2"],
                      p.epsg, p.ulx, p.uly, gdal.GDT_UInt16)
        rows.append({"name": name, "source": p.source, "s1_name": p.s1_name, "s2_name": p.s2_name,
                     "country": p.country, "season": p.season, "s1_date": p.s1_date, "s2_date": p.s2_date,
                     "epsg": p.epsg, "ulx": p.ulx, "uly": p.uly, "exact_georef": p.exact_georef,
                     "snow": p.snow, "cloud": p.cloud, "labels": "|".join(p.labels)})
    with open(out / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (out / "LICENCE.txt").write_text(LICENCE.format(wheels=", ".join(wheels.split())) + "\n")
    return rows


def download_wheels(folder: Path, requirements: list[str]) -> None:
    for requirement in requirements:  # one call each: pip refuses two versions of configilm in one
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", str(folder), requirement], check=True)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="data set folder to write (s1/, s2/, index.csv)")
    ap.add_argument("--wheels", type=Path, default=None,
                    help="folder with the downloaded wheels (default: download them into a temporary folder)")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = a.wheels or Path(tmp)
        download_wheels(wheels, missing_wheels(wheels))
        rows = write_pairs(read_patches(wheels), a.out, " ".join(wheel_names()))
    by_country: dict[str, int] = {}
    for r in rows:
        by_country[r["country"]] = by_country.get(r["country"], 0) + 1
    print(f"{len(rows)} pairs in {a.out}: " + ", ".join(f"{c} {n}" for c, n in sorted(by_country.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
