"""Does resampling a coarse scene to the model's training resolution (10 m) give better colours?

On real held-out pairs with optical truth (the validation pairs of the bundled model: never trained
on), the 10 m SAR is degraded to 20, 30 and 40 m (block means: of linear power for dB data, as a
multilooked product is made; of the display numbers for 8-bit data), and colorized by the real
pipeline (`core.pipeline.colorize`, ONNX Runtime) in two ways:

  (a) as it is, at the coarse resolution;
  (b) resampled to 10 m first (GDAL, bilinear by default), colorized, and the colours averaged
      back onto the coarse grid (block means).

Both are scored against the optical truth averaged onto the coarse grid (the one display stretch
of training, then block means), with PSNR and SSIM of training/metrics.py. (r) is the colorized
original 10 m SAR averaged onto the coarse grid: what a real 10 m scene would have given, the
upper bound of any resampling.

Usage: .venv/bin/python benchmarks/resolution.py [--factors 2 3 4] [--resampling bilinear]
       [--only 'desert-patches/*'] [--model PATH]
"""
from __future__ import annotations

import argparse
import fnmatch
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from common import DATA, machine_line, say

# the bundled model's validation pairs (its metadata's holdout_patterns); never trained on
VALIDATION = ("india-scenes/scene-3", "desert-patches/*_patch_15", "la-texas-vh/*[05]",
              "temperate-pairs/finland_000aa810_*", "temperate-pairs/sen12mscr_ROIs2017_winter_*")
ROLES = {"la-texas-vh": ("VH",)}  # else 1 band (or a grey RGB picture): VV; 2 bands: VV, VH
NATIVE_M = 10.0
NODATA = -9999.0


@dataclass
class Pair:
    name: str
    dataset: str
    sar: np.ndarray      # (bands, H, W) as stored (float dB or 8-bit display numbers)
    valid: np.ndarray    # (H, W)
    target: np.ndarray   # (3, H, W) optical truth in 0..1 (training's display stretch)
    roles: tuple[str, ...]

    @property
    def db(self) -> bool:
        return self.sar.dtype.kind == "f"


def load_pairs(data: Path, patterns: tuple[str, ...], only: tuple[str, ...]) -> list[Pair]:
    from sar_colorizer.training.datasets import discover, read_raster, stretch_target, valid_mask

    pairs = []
    for source in discover(data):
        if not any(fnmatch.fnmatch(source.name, p) for p in patterns):
            continue
        if only and not any(fnmatch.fnmatch(source.name, p) for p in only):
            continue
        sar, _, sar_nodata = read_raster(source.sar)
        if sar.shape[0] == 3 and np.array_equal(sar[0], sar[1]) and np.array_equal(sar[0], sar[2]):
            sar, sar_nodata = sar[:1], sar_nodata[:1]  # a grey picture saved as RGB (JPEG)
        opt, _, opt_nodata = read_raster(source.optical)
        valid = valid_mask(sar, sar_nodata)
        target = stretch_target(opt[:3], valid & valid_mask(opt[:3], opt_nodata[:3]))
        roles = ROLES.get(source.dataset, ("VV", "VH")[: sar.shape[0]])
        pairs.append(Pair(source.name, source.dataset, sar, valid, target, roles))
    return pairs


def block_mean(a: np.ndarray, f: int) -> np.ndarray:
    """Means of f x f blocks over the last two axes (cropped to a multiple of f)."""
    h, w = a.shape[-2] // f * f, a.shape[-1] // f * f
    a = a[..., :h, :w]
    return a.reshape(a.shape[:-2] + (h // f, f, w // f, f)).mean(axis=(-3, -1))


def coarse_sar(pair: Pair, f: int) -> tuple[np.ndarray, np.ndarray]:
    """The SAR at f x the pixel size: linear power averaged for dB data (a multilooked product),
    display numbers averaged for 8-bit data; a block with any invalid pixel is invalid."""
    valid = block_mean(pair.valid.astype(np.float64), f) == 1.0
    if pair.db:
        power = np.where(pair.valid, 10 ** (np.nan_to_num(pair.sar.astype(np.float64)) / 10), 0.0)
        coarse = 10 * np.log10(np.maximum(block_mean(power, f), 1e-10))
        return np.where(valid, coarse, NODATA).astype(np.float32), valid
    return np.round(block_mean(pair.sar.astype(np.float64), f)).astype(pair.sar.dtype), valid


def write_sar(path: Path, bands: np.ndarray, pixel_m: float, roles: tuple[str, ...]) -> Path:
    ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0],
                                              gdal.GDT_Float32 if bands.dtype.kind == "f" else gdal.GDT_Byte)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)  # a made-up place: these pairs have no (or another) CRS; only the pixel size matters
    ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((600000.0, pixel_m, 0.0, 5000000.0, 0.0, -pixel_m))
    for i, (band, role) in enumerate(zip(bands, roles), start=1):
        out = ds.GetRasterBand(i)
        out.WriteArray(band)
        out.SetDescription(role)
        if bands.dtype.kind == "f":
            out.SetNoDataValue(NODATA)
    ds = None
    return path


def colorized(src: Path, dst: Path, model: Path | None) -> np.ndarray:
    """The pipeline's RGB for `src`, in 0..1, (3, h, w)."""
    from sar_colorizer.core.options import ColorizeOptions
    from sar_colorizer.core.pipeline import colorize

    colorize(src, dst, ColorizeOptions(model_path=model, backend="onnx" if model is None else "auto", overwrite=True))
    ds = gdal.Open(str(dst))
    return ds.ReadAsArray().astype(np.float32) / np.float32(255.0)


def resampled(src: Path, dst: Path, width: int, height: int, algorithm: str) -> Path:
    gdal.Translate(str(dst), str(src), width=width, height=height, resampleAlg=algorithm)
    return dst


def scores(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    import torch

    from sar_colorizer.training.metrics import psnr, ssim

    p, t = torch.from_numpy(np.ascontiguousarray(pred)), torch.from_numpy(np.ascontiguousarray(truth))
    return psnr(p, t), ssim(p, t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", type=int, nargs="+", default=[2, 3, 4],
                        help="coarse pixel size as a multiple of 10 m (default: 2 3 4 = 20, 30, 40 m)")
    parser.add_argument("--resampling", nargs="+", default=["bilinear"],
                        help="GDAL resampling(s) for (b) (default: bilinear; e.g. cubic, lanczos, nearest)")
    parser.add_argument("--only", nargs="*", default=(), help="glob patterns of pair names to keep")
    parser.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    parser.add_argument("--data", type=Path, default=DATA / "train")
    args = parser.parse_args()
    gdal.UseExceptions()
    if not args.data.is_dir():
        sys.exit(f"needs the paired data of {args.data}")
    pairs = load_pairs(args.data, VALIDATION, tuple(args.only))
    say(f"machine: {machine_line()}")
    say(f"model: {args.model or 'bundled'}; {len(pairs)} held-out pairs; coarse pixels "
        f"{', '.join(f'{NATIVE_M * f:g} m' for f in args.factors)}; (b) resampled with {', '.join(args.resampling)}")
    methods = ["as_is"] + [f"via10m_{r}" for r in args.resampling] + ["true10m"]
    rows: dict = {}  # (dataset, factor, method) -> [(psnr, ssim), ...]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sarc-resolution-") as tmp:
        work = Path(tmp)
        for pair in pairs:
            native = colorized(write_sar(work / "native.tif", pair.sar, NATIVE_M, pair.roles), work / "out.tif",
                               args.model)
            for f in args.factors:
                sar, _ = coarse_sar(pair, f)
                truth = block_mean(pair.target, f)
                h, w = sar.shape[1:]
                coarse = write_sar(work / "coarse.tif", sar, NATIVE_M * f, pair.roles)
                preds = {"as_is": colorized(coarse, work / "out.tif", args.model), "true10m": block_mean(native, f)}
                for algorithm in args.resampling:
                    fine = resampled(coarse, work / "fine.tif", w * f, h * f, algorithm)
                    preds[f"via10m_{algorithm}"] = block_mean(colorized(fine, work / "out.tif", args.model), f)
                for method, pred in preds.items():
                    rows.setdefault((pair.dataset, f, method), []).append(scores(pred, truth))
            say(f"  {pair.name}: done ({time.perf_counter() - started:.0f} s)")
    report(rows, args.factors, methods)


def report(rows: dict, factors: list[int], methods: list[str]) -> None:
    datasets = sorted({d for d, _, _ in rows})
    say("")
    say("PSNR dB / SSIM against the optical truth on the coarse grid (mean over pairs; higher is better)")
    say(f"{'data set (pairs)':26s} {'pixel':>6s} " + " ".join(f"{m:>18s}" for m in methods)
        + f" {'(b)-(a) PSNR, pairs better':>28s}")
    means: dict = {}
    for f in factors:
        for dataset in datasets + ["mean over data sets"]:
            cells, per = [], {}
            for m in methods:
                if dataset in datasets:
                    values = np.array(rows[(dataset, f, m)])
                    per[m] = values
                    psnr, ssim = values.mean(axis=0)
                    means.setdefault((f, m), []).append((psnr, ssim))
                else:
                    psnr, ssim = np.mean(means[(f, m)], axis=0)
                cells.append(f"{psnr:7.2f} / {ssim:.4f}")
            name = f"{dataset} ({len(per['as_is'])})" if per else dataset
            gain = ""
            if per:
                for m in methods[1:-1]:
                    diff = per[m][:, 0] - per["as_is"][:, 0]
                    gain += f" {diff.mean():+6.2f} dB, {int((diff > 0).sum())}/{len(diff)}"
            else:
                mean_psnr = {m: np.mean([x[0] for x in means[(f, m)]]) for m in methods}
                gain = "".join(f" {mean_psnr[m] - mean_psnr['as_is']:+6.2f} dB" for m in methods[1:-1])
            say(f"{name:26s} {NATIVE_M * f:5g}m " + " ".join(f"{c:>18s}" for c in cells) + f" {gain:>28s}")


if __name__ == "__main__":
    main()
