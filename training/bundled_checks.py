"""Two scenes the bundled model is checked on, scored in one place for the bundled-model tests and for
training/recipes/candidate_checks.py, so that a candidate model is scored as the tests will score it:
India scene-3 (the validation scene) with no prior, and the demo scene (samples/, Port of Los Angeles)
colorized as a user would."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..core.cli import main as colorize_cli
from ..core.demo import bundled_sample
from ..core.modelfile import LoadedModel
from .colour import sentinel2_tile, to_convention
from .datasets import BandRoles, PairedImage, discover, load_sources
from .evaluate import evaluate


def score_india_scene3(model: LoadedModel, india_root: Path) -> tuple[dict[str, dict], np.ndarray, PairedImage]:
    """The model (no prior: the scene has no place) beside the constant training-mean colour and the grey
    SAR, tiled without overlap as ``sar-colorizer-eval`` does; also the prediction and the pair."""
    sources = [s for s in discover(india_root) if s.name == "india-scenes/scene-3"]
    pairs = load_sources(sources, model.metadata.inputs, BandRoles())
    results, preds = evaluate([model], pairs, baselines=True, log=lambda *_: None)
    scores = {name.split(":")[0]: by_shift["shift_0px"]["india-scenes"] for name, by_shift in results.items()}
    return scores, next(iter(preds.values()))[0], pairs[0]


@dataclass(frozen=True)
class DemoScore:
    psnr: float
    mean: np.ndarray        # the output's mean R, G, B in 8-bit levels
    truth_mean: np.ndarray  # Sentinel-2's, in the colour convention
    prior: str              # the output's SAR_COLORIZER_PRIOR: which colour prior it got
    tile: str               # the Sentinel-2 tile whose gains map the truth into the convention


def score_demo_scene(out_dir: Path, model: Optional[Path] = None, backend: str = "onnx") -> DemoScore:
    """Default options (the world palette at its place); ``model`` None is the bundled model."""
    from osgeo import gdal

    scene = bundled_sample()
    ds = gdal.Open(str(scene.optical))
    optical = ds.ReadAsArray()
    tile = sentinel2_tile(ds.GetMetadataItem("SENTINEL2_PRODUCT"))  # its tile's gains where measured
    ds = None
    truth = np.clip(to_convention(optical[:3], optical.dtype, "la-texas-vh", tile), 0, 1).astype(np.float64) * 255
    out = Path(out_dir) / "demo.tif"
    args = [str(scene.sar), str(out), "--backend", backend, "-q"] + (["--model", str(model)] if model else [])
    if colorize_cli(args) != 0:
        raise RuntimeError(f"sar-colorize failed on the demo scene: {' '.join(args)}")
    ds = gdal.Open(str(out))
    rgb = ds.ReadAsArray()[:3].astype(np.float64)
    prior = ds.GetMetadataItem("SAR_COLORIZER_PRIOR")
    ds = None
    psnr = 10 * np.log10(255 ** 2 / ((rgb - truth) ** 2).mean())
    return DemoScore(float(psnr), rgb.mean(axis=(1, 2)), truth.mean(axis=(1, 2)), prior, tile)
