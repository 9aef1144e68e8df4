"""Does a model draw the water and the brightness of a place from the radar? (issue 11)

PSNR and SSIM against a flat colour reward a model that paints the prior's colour and adds little; the
picture a user sees is then a wash. This looks at what they hide, on scenes with Sentinel-2 truth that
have water: the demo scene (samples/, Port of Los Angeles) and the LA/Texas pairs. Each is colorized
as a user would (core.pipeline.colorize, default options: the world palette at its place; the LA/Texas
files, whose single band names no polarisation, with their band given as VH as a user would with
`--bands VH=1`) and the output's luminance is compared with the truth's, 8-bit as the files hold them:
- water: truth pixels bluer than red by more than 10 levels and darker than 110 (mean of R, G, B);
  printed: the luminance of water minus that of the rest, output and truth;
- r: the correlation of output and truth luminance per pixel; r(SAR): of output (and truth) luminance
  and the radar;
- std: the output's and the truth's luminance standard deviation over the scene.

    .venv/bin/python training/recipes/water_and_contrast.py MODEL [GLOB ...]   # GLOB: LA/Texas names, e.g. '*[05]'
"""
from __future__ import annotations

import fnmatch
import sys
import tempfile
from pathlib import Path

import numpy as np

from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize
from sar_colorizer.training.datasets import read_raster

ROOT = Path(__file__).resolve().parents[2]
LA_TEXAS = ROOT / ".." / "shared" / "data" / "train" / "la-texas-vh"
DEMO = (ROOT / "samples" / "los-angeles-harbour_s1a_vh_20201107.tif",
        ROOT / "samples" / "los-angeles-harbour_s2a_rgb_20201104.tif")


def read(path: Path) -> np.ndarray:
    return read_raster(path)[0].astype(np.float64)  # (bands, rows, cols)


def measures(sar: np.ndarray, out: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    lo, lt = out.mean(axis=0), truth.mean(axis=0)
    water = (truth[2] > truth[0] + 10) & (lt < 110)
    contrast = (lambda a: float(a[water].mean() - a[~water].mean())) if 0 < water.mean() < 1 else (lambda a: np.nan)
    return {"water": float(water.mean()), "out_water_minus_land": contrast(lo), "truth_water_minus_land": contrast(lt),
            "r": float(np.corrcoef(lo.ravel(), lt.ravel())[0, 1]), "r_sar": float(np.corrcoef(lo.ravel(), sar.ravel())[0, 1]),
            "r_sar_truth": float(np.corrcoef(lt.ravel(), sar.ravel())[0, 1]),
            "std_out": float(lo.std()), "std_truth": float(lt.std()), "std_out_rgb": out.reshape(3, -1).std(axis=1).round(2).tolist()}


def main(argv: list[str]) -> int:
    model, globs = Path(argv[0]), argv[1:]
    scenes = [("demo", *DEMO)]  # the sample names its band VH (its description); the pipeline reads it so
    if globs:
        names = sorted(p.stem for p in (LA_TEXAS / "s1").glob("*.tif"))
        scenes += [(n, LA_TEXAS / "s1" / f"{n}.tif", LA_TEXAS / "s2" / f"{n}.tif")
                   for n in names if any(fnmatch.fnmatch(n, g) for g in globs)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sar_path, truth_path in scenes:
            out_path = Path(tmp) / f"{name}.tif"
            # without bands given the pipeline takes an unnamed single band for VV; until 2026-12-03 this
            # script did so for the LA/Texas pairs (their figures in results/mix-2026-12-03 are VV's)
            bands = None if name == "demo" else {"VH": 1}
            colorize(sar_path, out_path, ColorizeOptions(model_path=model, threads=1, bands=bands))
            m = measures(read(sar_path)[0], read(out_path), read(truth_path))
            rows.append((name, m))
            print(f"{name:5s} water {m['water']:.2f}  water - land: output {m['out_water_minus_land']:6.1f} truth "
                  f"{m['truth_water_minus_land']:6.1f}  r {m['r']:5.2f}  r(SAR) {m['r_sar']:5.2f} "
                  f"(truth {m['r_sar_truth']:5.2f})  std {m['std_out']:5.1f} (truth {m['std_truth']:5.1f}), "
                  f"RGB {m['std_out_rgb']}", flush=True)
    pairs = [m for n, m in rows if n != "demo"]
    if pairs:
        wet = [m for m in pairs if m["water"] >= 0.05]

        def mean(key: str, of: list[dict] = pairs) -> float:
            return float(np.mean([m[key] for m in of]))

        print(f"LA/Texas pairs: {len(pairs)}, mean r {mean('r'):.3f}, mean r(SAR) {mean('r_sar'):.2f} "
              f"(truth {mean('r_sar_truth'):.2f}), mean std {mean('std_out'):.1f} "
              f"(truth {mean('std_truth'):.1f}); {len(wet)} with >= 5 % water: output water - land "
              f"{mean('out_water_minus_land', wet):.1f}, truth {mean('truth_water_minus_land', wet):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
