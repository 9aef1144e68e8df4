"""Should the output keep the world palette's coarse colours? A check at bright deserts (issue 11).

The desert patches have no known place, so the palette cannot be scored on them as it is. Instead
every desert pair gets, in turn, the world palette's colour at one of nine real deserts (a constant
prior, the palette mapping the model file ships with) and is scored three ways: that colour alone,
the model's output, and the output with the palette's coarse colours kept (core/coarse_colours.py).
Run with the model trained without the desert patches, it shows what a desert the model never saw
gets from each choice (MODEL.md, "Coarse colours of a colour reference kept").

    .venv/bin/python training/recipes/palette_at_deserts.py runs/loso-desert/model.safetensors 'desert-patches/*'
"""
import sys, fnmatch
from pathlib import Path
import numpy as np, torch
from sar_colorizer.core import world_palette
from sar_colorizer.core.coarse_colours import keep_coarse_colours
from sar_colorizer.core.prior import constant_grid
from sar_colorizer.core.modelfile import load_model_file
from sar_colorizer.training.datasets import BandRoles, discover, load_sources
from sar_colorizer.training.colour import calibration
from sar_colorizer.training.evaluate import predict_with
from sar_colorizer.training.evaluate_priors import score
torch.set_num_threads(1)
SIGMA_PX = 64.0  # the shipped coarse scale (PriorSpec.coarse_sigma_px)
new = load_model_file(sys.argv[1]); spec = new.metadata.inputs
sources = [s for s in discover(Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "train") if fnmatch.fnmatch(s.name, sys.argv[2])]
pairs = load_sources(sources, spec, BandRoles.parse([]), progress=False)
places = calibration()["extrapolation_check"]["desert_places"]  # benchmarks/palette_calibration.py DESERTS
rows = {}
for place, (lon, lat) in places.items():
    colour = world_palette.colour_at(np.array([lon], float), np.array([lat], float))[:, 0]
    res = {"const": [], "model": [], "kept": []}
    for pair in pairs:
        h, w = pair.shape; t = pair.target_float(); v = pair.target_valid
        grid = constant_grid(colour, w, h, spec.prior.cell_px, place)
        x = pair.inputs(spec, prior=grid)
        pred = predict_with(new, x, "cpu")
        kept = keep_coarse_colours(pred[None], x[None, -4:], SIGMA_PX)[0]
        res["const"].append(score(grid.window(0, h, 0, w)[:3], t, v)); res["model"].append(score(pred, t, v)); res["kept"].append(score(kept, t, v))
    truth = np.mean([p.target_float().mean(axis=(1, 2)) for p in pairs], axis=0)
    line = "  ".join(f"{k} {np.mean([m['psnr'] for m in r]):.2f}/{np.mean([m['ssim'] for m in r]):.3f}/{np.mean([m['colour_error'] for m in r]):.0f}" for k, r in res.items())
    print(f"{place:18s} palette {np.round(colour*255).astype(int)} truth mean {np.round(truth*255).astype(int)}  {line}", flush=True)
    for k, r in res.items(): rows.setdefault(k, []).extend(r)
print("all places:", "  ".join(f"{k} {np.mean([m['psnr'] for m in r]):.2f}/{np.mean([m['ssim'] for m in r]):.3f}" for k, r in rows.items()))
