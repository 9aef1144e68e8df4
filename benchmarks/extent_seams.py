"""Do two parts of a scene, colorized one by one with --extent, meet without a seam?

A synthetic speckle scene (2 bands, dB, default 1400 x 600) is colorized whole, then as a left and
a right part cut at a column, and the two parts are put side by side. Printed: how far that mosaic
is from the whole scene's output, near the cut and overall, and the jump across the cut against
the whole scene's own difference between those two columns. Each part is read with one tile
stride of context around it (`SarRaster.read_with_context`); the run is repeated without it.

Usage: .venv/bin/python benchmarks/extent_seams.py [--size 1400x600] [--cuts 700,613]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from common import machine_line, model_file, say, synthetic_sar


def rgb(path: Path) -> np.ndarray:
    ds = gdal.Open(str(path))
    return ds.ReadAsArray().astype(int)


def main() -> None:
    from sar_colorizer.core import raster_io
    from sar_colorizer.core.options import ColorizeOptions
    from sar_colorizer.core.pipeline import colorize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1400x600")
    ap.add_argument("--cuts", default="700,613")
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    say(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="sarc-seams-") as tmp:
        work = Path(tmp)
        model, described = model_file(work)
        say(f"model: {described}; scene {width} x {height} synthetic speckle")
        scene = synthetic_sar(work / "scene.tif", width, height)
        gt = gdal.Open(str(scene)).GetGeoTransform()
        top, bottom = gt[3], gt[3] + height * gt[5]
        colorize(scene, work / "whole.tif", ColorizeOptions(model_path=model))
        whole = rgb(work / "whole.tif")
        with_context = raster_io.SarRaster.read_with_context
        for context in (True, False):
            raster_io.SarRaster.read_with_context = with_context if context else (lambda self, margin: None)
            for cut in (int(c) for c in args.cuts.split(",")):
                for name, (left, right) in (("left", (0, cut)), ("right", (cut, width))):
                    colorize(scene, work / f"{name}.tif", ColorizeOptions(
                        model_path=model, overwrite=True, extent=(gt[0] + left * gt[1], bottom, gt[0] + right * gt[1], top)))
                mosaic = np.concatenate([rgb(work / "left.tif"), rgb(work / "right.tif")], axis=2)
                diff = np.abs(mosaic - whole)
                say(f"{'with' if context else 'without'} context, cut at column {cut}: |mosaic - whole| mean "
                    f"{diff.mean():.3f} (max {diff.max()}), within 16 px of the cut {diff[:, :, cut - 16:cut + 16].mean():.3f}; "
                    f"jump across the cut {np.abs(mosaic[:, :, cut] - mosaic[:, :, cut - 1]).mean():.2f} levels "
                    f"(the whole scene there: {np.abs(whole[:, :, cut] - whole[:, :, cut - 1]).mean():.2f})")
        raster_io.SarRaster.read_with_context = with_context


if __name__ == "__main__":
    main()
