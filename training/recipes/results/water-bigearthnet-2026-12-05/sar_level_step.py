"""Which way does a model turn the radar's level? A synthetic two-level VH scene, placed near Los Angeles
(UTM 11N), colorized as a user would (core.pipeline.colorize, its band given as VH, one thread) with no
prior and with the world palette: the mean colour of its dark half and of its bright half. Water is the
dark half of real radar and dark in the optical; a model that paints the dark half brighter has learnt
"bright radar is dark ground" (deserts, forests in VH) and will not draw water.

    .venv/bin/python training/recipes/results/water-bigearthnet-2026-12-05/sar_level_step.py [MODEL ...]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize
from sar_colorizer.training.datasets import read_raster

SIZE = 512
SCENES = {  # name: (dark level, bright level, GDAL type); speckle as a user's scene has it
    "8-bit VH (40 | 150)": (40.0, 150.0, gdal.GDT_Byte),
    "dB VH (-24 | -10)": (-24.0, -10.0, gdal.GDT_Float32),
}


def step_scene(path: Path, dark: float, bright: float, kind: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    a = np.full((SIZE, SIZE), dark, np.float32)
    a[:, SIZE // 2:] = bright
    if kind == gdal.GDT_Byte:
        a = np.clip(a * rng.gamma(4.0, 0.25, a.shape), 0, 255).astype(np.uint8)  # multiplicative speckle
    else:
        a = (a + rng.normal(0.0, 2.0, a.shape)).astype(np.float32)  # about 2 dB of speckle
    ds = gdal.GetDriverByName("GTiff").Create(str(path), SIZE, SIZE, 1, kind)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32611)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((380000.0, 10.0, 0.0, 3740000.0, 0.0, -10.0))
    band = ds.GetRasterBand(1)
    band.WriteArray(a)
    band.SetDescription("VH")
    ds = None


def halves(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean R, G, B of the dark half and of the bright half, away from the edge between them and from
    the scene's border (the middle half of the rows, each half's columns less an eighth of the scene)."""
    rgb, _, _ = read_raster(path)
    rows = rgb[:3, SIZE // 4:3 * SIZE // 4].astype(np.float64)
    margin = SIZE // 8
    return rows[:, :, margin:SIZE // 2 - margin].mean((1, 2)), rows[:, :, SIZE // 2 + margin:SIZE - margin].mean((1, 2))


def main(models: list[str]) -> None:
    for model in models or [str(DEFAULT_MODEL_PATH)]:
        print(f"model {model}")
        with tempfile.TemporaryDirectory() as tmp:
            for i, (name, (dark, bright, kind)) in enumerate(SCENES.items()):
                scene = Path(tmp) / f"step{i}.tif"
                step_scene(scene, dark, bright, kind)
                for palette in ("none", "world"):
                    out = Path(tmp) / f"step{i}_{palette}.tif"
                    colorize(scene, out, ColorizeOptions(model_path=Path(model), bands={"VH": 1},
                                                         palette=palette, threads=1))
                    d, b = halves(out)
                    print(f"  {name:20s} palette {palette:5s}: dark half {np.round(d, 1)}, bright half "
                          f"{np.round(b, 1)}, dark - bright {np.round(d - b, 1)}")


if __name__ == "__main__":
    main(sys.argv[1:])
