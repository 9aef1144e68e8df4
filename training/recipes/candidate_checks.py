"""Two checks of a candidate model before it may replace the bundled one (issue 11), scored as the
bundled-model tests score them, so that a run's README can say what the suite will then say:

- India scene-3 (the validation scene) with no prior, beside the constant training-mean colour and the
  grey SAR (tests/training/test_bundled_model.py: the model must beat the constant colour);
- the demo scene (samples/, Port of Los Angeles) colorized as a user would, with the default world
  palette: PSNR against its Sentinel-2 in the colour convention and each channel's mean colour beside the
  truth's (the demo-scene test asks > 15 dB and every channel within 25 levels).

    .venv/bin/python training/recipes/candidate_checks.py MODEL [MODEL ...]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from sar_colorizer.core.cli import main as colorize_cli
from sar_colorizer.core.modelfile import load_model_file
from sar_colorizer.training.colour import sentinel2_tile, to_convention
from sar_colorizer.training.datasets import BandRoles, discover, load_sources
from sar_colorizer.training.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]
INDIA = ROOT / ".." / "shared" / "data" / "train" / "india-scenes"
DEMO_S1 = ROOT / "samples" / "los-angeles-harbour_s1a_vh_20201107.tif"
DEMO_S2 = ROOT / "samples" / "los-angeles-harbour_s2a_rgb_20201104.tif"


def india_no_prior(model_path: Path) -> dict[str, dict[str, float]]:
    model = load_model_file(model_path)
    sources = [s for s in discover(INDIA) if s.name == "india-scenes/scene-3"]
    pairs = load_sources(sources, model.metadata.inputs, BandRoles())
    results, _ = evaluate([model], pairs, baselines=True, log=lambda *_: None)
    return {name.split(":")[0]: by_shift["shift_0px"]["india-scenes"] for name, by_shift in results.items()}


def demo_scene(model_path: Path) -> tuple[float, np.ndarray, np.ndarray]:
    """PSNR, the output's mean R, G, B and the truth's."""
    ds = gdal.Open(str(DEMO_S2))
    optical = ds.ReadAsArray()
    tile = sentinel2_tile(ds.GetMetadataItem("SENTINEL2_PRODUCT"))
    ds = None
    truth = np.clip(to_convention(optical[:3], optical.dtype, "la-texas-vh", tile), 0, 1).astype(np.float64) * 255
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo.tif"
        if colorize_cli([str(DEMO_S1), str(out), "--model", str(model_path), "--backend", "torch", "-q"]) != 0:
            raise RuntimeError(f"sar-colorize failed on the demo scene with {model_path}")
        ds = gdal.Open(str(out))
        rgb = ds.ReadAsArray()[:3].astype(np.float64)
        ds = None
    psnr = 10 * np.log10(255 ** 2 / ((rgb - truth) ** 2).mean())
    return float(psnr), rgb.mean(axis=(1, 2)), truth.mean(axis=(1, 2))


def main(argv: list[str]) -> int:
    for model_path in map(Path, argv):
        print(f"== {model_path}")
        for name, scores in india_no_prior(model_path).items():
            print(f"India scene-3, no prior, {name:22s} PSNR {scores['psnr']:.2f} SSIM {scores['ssim']:.4f} "
                  f"colour error {scores['colour_error']:.1f}")
        psnr, mean, truth = demo_scene(model_path)
        print(f"demo scene, world palette: PSNR {psnr:.2f} dB, mean colour {np.round(mean, 1).tolist()} against "
              f"the truth's {np.round(truth, 1).tolist()} (off {np.round(np.abs(mean - truth), 1).tolist()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
