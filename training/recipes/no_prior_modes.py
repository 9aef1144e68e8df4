"""Issue 11: what should a scene that nothing places get as its prior?

Two answers, scored on the same pairs (colour convention, as evaluate_priors):
  (d)  the model's no-prior mode: prior channels 0, presence flag 0 (trained with the prior dropped);
  (d') the model's own training targets' mean colour as a flat prior, presence flag 1: the palette of
       "somewhere in the training data", with the structure left to the model;
and beside them the flat training mean colour itself (the constant India scene-3's test must beat).
Every pair here is scored without its place, whatever the data say of it.

    python training/recipes/no_prior_modes.py MODEL [MODEL ...] --only 'temperate-pairs/*' [--json OUT]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from sar_colorizer.core.modelfile import load_model_file
from sar_colorizer.core.prior import constant_grid
from sar_colorizer.training.evaluate import EvalConfig, load_pairs, predict_with
from sar_colorizer.training.evaluate_priors import score, summarise

MODES = ("d_no_prior", "d1_mean_colour_prior", "constant_mean_colour")


def modes_for(model_path: str, data: str, only: list[str], device) -> dict:
    model = load_model_file(model_path)
    spec = model.metadata.inputs
    mean = np.asarray(model.metadata.training["target_mean_rgb"], np.float32)
    pairs = load_pairs(EvalConfig(models=[model_path], data=[data], only=only, band_roles=["la-texas-vh=VH"]), spec)
    rows: dict[str, dict[str, list[dict]]] = {}
    for pair in pairs:
        h, w = pair.shape
        flat = constant_grid(mean, w, h, spec.prior.cell_px, "training mean colour")
        target = pair.target_float()
        preds = {"d_no_prior": predict_with(model, pair.inputs(spec, use_default_prior=False), device),
                 "d1_mean_colour_prior": predict_with(model, pair.inputs(spec, prior=flat), device),
                 "constant_mean_colour": np.broadcast_to(mean[:, None, None], target.shape).copy()}
        for mode, pred in preds.items():
            rows.setdefault(mode, {}).setdefault(pair.dataset, []).append(score(pred, target, pair.target_valid))
    return {"model": model_path, "training_mean_rgb_255": [round(float(v) * 255, 1) for v in mean],
            "results": summarise(rows)}


def main() -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+")
    p.add_argument("--data", default="../shared/data/train")
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = []
    for path in a.models:
        got = modes_for(path, a.data, a.only, torch.device("cpu"))
        out.append(got)
        print(f"{path} (training mean colour {got['training_mean_rgb_255']})")
        for mode in MODES:
            for ds, m in got["results"][mode].items():
                print(f"  {mode:22s} {ds:20s} {m['pairs']:4d} PSNR {m['psnr']:6.2f} SSIM {m['ssim']:.3f} "
                      f"MAE {m['mae']:.4f} colour {m['colour_error']:5.1f} lum r {m['lum_corr']:5.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"only": a.only, "modes": MODES, "runs": out}, indent=1))


if __name__ == "__main__":
    main()
