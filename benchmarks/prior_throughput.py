"""End-to-end CPU throughput of the colour-prior model beside the model it replaced (issue 11).

Goal: the bundled model's end-to-end throughput (``colorize``, ONNX Runtime on the CPU, the CLI's
defaults) may drop to no less than 70 % of the previous bundled model's. Both run on the same
synthetic georeferenced scene (UTM, so the new model samples the world palette, as a user's scene
does), interleaved so background load hits them alike; also the new model with no prior
(``palette none``), which shows what the prior channels themselves cost; and the new model with a
colour reference (an 8-bit true-colour GeoTIFF over the scene), with its coarse colours kept as the
model file says and, side by side, not kept: what core/coarse_colours.py costs.

Usage: .venv/bin/python benchmarks/prior_throughput.py [--size 2048] [--repeats 3]
       [--old runs/no-prior-model.safetensors] [--new models/sar_colorizer.safetensors]
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from common import interleaved, machine_line, median, say, synthetic_sar

REPO = Path(__file__).resolve().parent.parent
PREVIOUS_COMMIT = "1050f8a"  # the last commit that shipped the model without a prior


def previous_model(workdir: Path) -> Path:
    path = workdir / "previous.safetensors"
    path.write_bytes(subprocess.run(["git", "show", f"{PREVIOUS_COMMIT}:models/sar_colorizer.safetensors"],
                                    cwd=REPO, capture_output=True, check=True).stdout)
    return path


def reference_over(scene: Path, path: Path) -> Path:
    """An 8-bit RGB GeoTIFF on the scene's grid at 4x its pixel size: greens and browns in blocks."""
    from osgeo import gdal
    import numpy as np

    src = gdal.Open(str(scene))
    gt = list(src.GetGeoTransform())
    w, h = src.RasterXSize // 4, src.RasterYSize // 4
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, 3, gdal.GDT_Byte)
    ds.SetGeoTransform((gt[0], gt[1] * 4, 0.0, gt[3], 0.0, gt[5] * 4))
    ds.SetProjection(src.GetProjection())
    blocks = np.random.default_rng(1).integers(0, 2, (h // 64 + 1, w // 64 + 1))
    pattern = np.kron(blocks, np.ones((64, 64), np.uint8))[:h, :w]
    for b, (green, brown) in enumerate(((60, 120), (110, 90), (50, 60))):
        band = ds.GetRasterBand(b + 1)
        band.SetColorInterpretation((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)[b])
        band.WriteArray(np.where(pattern == 1, brown, green).astype(np.uint8))
    ds = None
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--old", type=Path, default=None, help=f"default: the model shipped at {PREVIOUS_COMMIT}")
    ap.add_argument("--new", type=Path, default=REPO / "models" / "sar_colorizer.safetensors")
    args = ap.parse_args()

    from sar_colorizer.core.modelfile import read_metadata
    from sar_colorizer.core.options import ColorizeOptions
    from sar_colorizer.core.pipeline import colorize

    say(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old = args.old or previous_model(work)
        scene = synthetic_sar(work / "scene.tif", args.size, args.size)
        say(f"scene {args.size} x {args.size} px (UTM 31N), ONNX Runtime on the CPU, CLI defaults")
        say(f"old: {old} (prior: {read_metadata(old).inputs.prior})")
        say(f"new: {args.new} (prior: {read_metadata(args.new).inputs.prior})")

        reference = str(reference_over(scene, work / "reference.tif"))
        not_kept = work / "not_kept.safetensors"  # the same weights, the reference's colours not kept
        from sar_colorizer.training.export import publish_model
        publish_model(args.new, not_kept, coarse_from=())

        def run(model: Path, palette: str):
            return lambda: colorize(scene, work / "out.tif", ColorizeOptions(model_path=model, backend="onnx",
                                                                             overwrite=True, palette=palette))

        cases = {"old model": run(old, "auto"), "new model, world palette": run(args.new, "auto"),
                 "new model, no prior": run(args.new, "none"),
                 "new model, reference": run(args.new, reference),
                 "new, reference, not kept": run(not_kept, reference)}
        for fn in cases.values():  # warm-up: ONNX exports cached, files in the page cache
            fn()
        times = interleaved(cases, args.repeats, settle=1.0)
    mp = args.size * args.size / 1e6
    base = median(times["old model"])
    say(f"{'case':28s} {'median s':>9s} {'MP/s':>6s} {'throughput vs old':>18s}   runs")
    for name, ts in times.items():
        m = median(ts)
        say(f"{name:28s} {m:9.2f} {mp / m:6.2f} {base / m * 100:17.1f} %   {', '.join(f'{t:.2f}' for t in ts)}")
    paired = sorted(o / n for o, n in zip(times["old model"], times["new model, world palette"]))
    say(f"paired (old / new, world palette, each repeat back to back): median {median(paired) * 100:.1f} %; "
        f"goal: >= 70 %")
    kept = sorted(n / k for n, k in zip(times["new, reference, not kept"], times["new model, reference"]))
    say(f"paired (reference not kept / kept): median {median(kept) * 100:.1f} % "
        f"(kept as {read_metadata(args.new).inputs.prior.coarse_from or 'nothing'})")


if __name__ == "__main__":
    main()
