"""How much reading ESA GRD amplitudes as amplitudes (not as display numbers) matters, on real scenes.

Each real Sentinel-1 scene of ../shared/data/scenes (calibrated, in dB) is written the way ESA
delivers GRD products: UInt16 amplitudes DN with sigma0 = DN^2 / A^2 (A = 500, a typical
calibration constant), 0 outside the valid area, the GRD image description. The bundled model then
colorizes the dB scene and the GRD file twice: as detected (amplitudes, converted to dB) and with
`units="dn"` (the numbers taken as a display stretch, which is how integers were read before).
Printed: the mean and largest difference from the dB scene's colours, in levels of 0..255.

Usage: .venv/bin/python benchmarks/grd_amplitudes.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from common import DATA, machine_line, say

CALIBRATION = 500.0


def as_grd(scene: Path, out: Path) -> np.ndarray:
    """The scene as GRD amplitudes; returns where it is valid."""
    src = gdal.Open(str(scene))
    db = src.ReadAsArray().astype(np.float64).reshape(src.RasterCount, src.RasterYSize, src.RasterXSize)
    valid = np.ones(db.shape[1:], bool)
    for i, band in enumerate(db):
        nodata = src.GetRasterBand(i + 1).GetNoDataValue()
        valid &= np.isfinite(band) & (band != nodata if nodata is not None else True)
    dn = np.where(valid, np.clip(np.round(CALIBRATION * 10 ** (np.nan_to_num(db) / 20)), 1, 65535), 0)
    ds = gdal.GetDriverByName("GTiff").Create(str(out), src.RasterXSize, src.RasterYSize, src.RasterCount,
                                              gdal.GDT_UInt16)
    ds.SetGeoTransform(src.GetGeoTransform())
    ds.SetProjection(src.GetProjection())
    ds.SetMetadataItem("TIFFTAG_IMAGEDESCRIPTION", "Sentinel-1A IW GRD HR L1")
    for i in range(src.RasterCount):
        ds.GetRasterBand(i + 1).WriteArray(dn[i].astype(np.uint16))
    ds = None
    return valid


def rgb(path: Path) -> np.ndarray:
    ds = gdal.Open(str(path))
    return ds.ReadAsArray().astype(np.int16)


def main() -> None:
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH
    from sar_colorizer.core.options import ColorizeOptions
    from sar_colorizer.core.pipeline import colorize

    scenes_dir = DATA / "scenes"
    scenes = sorted(p for p in scenes_dir.rglob("*.tif") if "_db_" in p.name or "sen12ms" in str(p))
    if not scenes or not DEFAULT_MODEL_PATH.is_file():
        sys.exit(f"needs the dB scenes of {scenes_dir} and the bundled model at {DEFAULT_MODEL_PATH}")
    say(f"machine: {machine_line()}")
    say(f"model: {DEFAULT_MODEL_PATH.name}; GRD amplitudes with A = {CALIBRATION:g}")
    say(f"{'scene':45s} {'units found':28s} {'as amplitude: mean / max':>26s} {'as dn: mean / max':>20s}")
    means = {"amplitude": [], "dn": []}
    with tempfile.TemporaryDirectory(prefix="sarc-grd-") as tmp:
        work = Path(tmp)
        for scene in scenes:
            grd = work / f"{scene.stem}_grd.tif"
            valid = as_grd(scene, grd)
            colorize(scene, work / "db.tif", ColorizeOptions(overwrite=True))
            found = colorize(grd, work / "amplitude.tif", ColorizeOptions(overwrite=True)).units
            colorize(grd, work / "dn.tif", ColorizeOptions(overwrite=True, units="dn"))
            reference = rgb(work / "db.tif")
            row = []
            for kind in ("amplitude", "dn"):
                diff = np.abs(rgb(work / f"{kind}.tif") - reference)[:, valid]
                means[kind].append(diff.mean())
                row.append(f"{diff.mean():6.2f} / {diff.max():3d}")
            say(f"{scene.name:45s} {found:28s} {row[0]:>26s} {row[1]:>20s}")
    say(f"mean over scenes: as amplitude {np.mean(means['amplitude']):.2f} levels, as dn {np.mean(means['dn']):.2f}")


if __name__ == "__main__":
    main()
