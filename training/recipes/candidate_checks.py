"""Two checks of a candidate model before it may replace the bundled one (issue 11), scored as the
bundled-model tests score them, so that a run's README can say what the suite will then say:

- India scene-3 (the validation scene) with no prior, beside the constant training-mean colour and the
  grey SAR (tests/training/test_bundled_model.py: the model must beat the constant colour);
- the demo scene (samples/, Port of Los Angeles) colorized as a user would, with the default world
  palette: PSNR against its Sentinel-2 in the colour convention and each channel's mean colour beside the
  truth's (training/bundled_checks.py, as the demo-scene test scores it: > 15 dB and every channel within 25
  levels asked).

    .venv/bin/python training/recipes/candidate_checks.py MODEL [MODEL ...]
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from sar_colorizer.core.modelfile import load_model_file
from sar_colorizer.training.bundled_checks import score_demo_scene, score_india_scene3

ROOT = Path(__file__).resolve().parents[2]
INDIA = ROOT / ".." / "shared" / "data" / "train" / "india-scenes"


def main(argv: list[str]) -> int:
    for model_path in map(Path, argv):
        print(f"== {model_path}")
        for name, scores in score_india_scene3(load_model_file(model_path), INDIA)[0].items():
            print(f"India scene-3, no prior, {name:22s} PSNR {scores['psnr']:.2f} SSIM {scores['ssim']:.4f} "
                  f"colour error {scores['colour_error']:.1f}")
        with tempfile.TemporaryDirectory() as tmp:
            demo = score_demo_scene(Path(tmp), model_path, backend="torch")
        mean, truth = demo.mean, demo.truth_mean
        print(f"demo scene, {demo.prior}: PSNR {demo.psnr:.2f} dB, mean colour {np.round(mean, 1).tolist()} "
              f"against the truth's {np.round(truth, 1).tolist()} (off {np.round(np.abs(mean - truth), 1).tolist()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
