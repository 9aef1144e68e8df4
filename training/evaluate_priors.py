"""Issue 11's evaluation: does the colour prior help, in places the model has seen and in one it has not?

On the same pairs, scored against the optical in the colour convention (reflectance 0..0.3 -> 0..1):
  (a) a model without a prior (the previously bundled one),
  (b) a constant image of the world palette's colour at the place,
  (c) the new model with the world palette,
  (d) the new model with no prior,
  (e) the new model with a reference of another date of the same place (where the data has one): the
      date nearest in the year, as a user would pick one; and the mean over every other date (e*);
      (e0) that reference's coarse colours alone, the baseline (e) must beat as (c) must beat (b),
  (f) the new model with the pair's own optical as the prior (an upper bound, not a use case), and
      (f0) those coarse colours alone.
Methods that need a placed pair (b, c) or another date (e) are scored where those exist; every table
row says on how many pairs. Besides PSNR/SSIM/MAE/mean colour error: the correlation of predicted and
true luminance (negative = bright and dark swapped, the temperate-farmland failure of the first
calibration run).

    python -m sar_colorizer.training.evaluate_priors --new runs/prior/model.safetensors \
        --old models/sar_colorizer_v1.safetensors --data ../shared/data/train --only 'india-scenes/scene-3' ... \
        --json runs/eval-priors.json --grid docs/eval-priors.png
"""
from __future__ import annotations

import argparse
import fnmatch
import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..core.modelfile import LoadedModel, load_model_file
from .datasets import BandRoles, PairedImage, discover, load_sources
from .evaluate import _score, predict_with, sar_grey, write_png
from .export import set_coarse_from
from .priors import evaluation_prior, palette_fitted_without_place

METHODS = {
    "a_no_prior_model": "(a) model without a prior",
    "b_palette_constant": "(b) constant world-palette colour",
    "c_new_world_palette": "(c) new model, world palette",
    "d_new_no_prior": "(d) new model, no prior",
    "e_new_other_date": "(e) new model, reference of another date",
    "e0_reference_alone": "(e0) the reference's coarse colours alone, no model",
    "e_nearest_dates": "(e=) new model, mean over the equally nearest dates",
    "e_every_other_date": "(e*) new model, mean over every other date",
    "f_new_own_optical": "(f) new model, own optical as prior (upper bound)",
    "f0_own_alone": "(f0) the own optical's coarse colours alone, no model",
}


def luminance_correlation(pred: np.ndarray, target: np.ndarray, valid: Optional[np.ndarray] = None) -> float:
    w = np.array([0.2126, 0.7152, 0.0722], np.float32).reshape(3, 1, 1)
    a, b = (pred * w).sum(0), (target * w).sum(0)
    if valid is not None:
        a, b = a[valid], b[valid]
    a, b = a.ravel(), b.ravel()
    if a.std() < 1e-6 or b.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def edge_map(rgb: np.ndarray) -> np.ndarray:
    """Gradient magnitude of luminance: where the fields, rivers and towns draw their edges."""
    lum = (rgb * np.array([0.2126, 0.7152, 0.0722], np.float32).reshape(3, 1, 1)).sum(0)
    gy, gx = np.gradient(lum)
    return np.hypot(gx, gy)


def edge_correlation(a: np.ndarray, b: np.ndarray) -> float:
    ea, eb = edge_map(a).ravel(), edge_map(b).ravel()
    if ea.std() < 1e-9 or eb.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(ea, eb)[0, 1])


def score(pred: np.ndarray, target: np.ndarray, valid: np.ndarray) -> dict:
    """The table's metrics, plus the correlation of predicted and true luminance."""
    return _score(pred, target) | {"lum_corr": luminance_correlation(pred, target, valid)}


def structure_check(pairs: Sequence[PairedImage], new: LoadedModel, device) -> dict:
    """Does the model copy structure from its prior? Each pair is colorized with the prior of a pair
    of ANOTHER PLACE of the same size (its own optical reduced, as a reference is); the output's
    edges are then compared with its own optical (what the SAR shows) and with the other pair's
    optical (what the prior came from). Pairs of one place on other dates share their edges, so they
    are never each other's source."""
    from .priors import place_key

    rows = []
    by_shape: dict[tuple, list[PairedImage]] = {}
    for p in pairs:
        by_shape.setdefault(p.shape, []).append(p)
    for group in by_shape.values():
        for i, pair in enumerate(group):
            here = place_key(pair.name) or pair.name
            others = [q for q in group[i + 1:] + group[:i] if (place_key(q.name) or q.name) != here]
            if not others or others[len(others) // 2].priors is None:
                continue
            other = others[len(others) // 2]
            x = pair.inputs(new.metadata.inputs, prior=other.priors.own)
            pred = predict_with(new, x, device, "reference", pair.valid)
            rows.append({"pair": pair.name, "prior_from": other.name,
                         "edges_vs_own_optical": edge_correlation(pred, pair.target_float()),
                         "edges_vs_prior_source_optical": edge_correlation(pred, other.target_float())})
    summary = {k: float(np.mean([r[k] for r in rows])) for k in ("edges_vs_own_optical",
                                                                  "edges_vs_prior_source_optical")} if rows else {}
    return {"pairs": rows, "mean": summary}


def predictions(pair: PairedImage, new: LoadedModel, old: Optional[LoadedModel], device) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    spec = new.metadata.inputs

    if old is not None:
        out["a_no_prior_model"] = predict_with(old, pair.inputs(old.metadata.inputs, use_default_prior=False), device)
    palette = evaluation_prior(pair.priors, "palette")
    if palette is not None:
        h, w = pair.shape
        out["b_palette_constant"] = palette.window(0, h, 0, w)[:3]
        out["c_new_world_palette"] = predict_with(new, pair.inputs(spec, prior=palette), device, "palette", pair.valid)
    out["d_new_no_prior"] = predict_with(new, pair.inputs(spec, use_default_prior=False), device)
    other = evaluation_prior(pair.priors, "other-date")
    if other is not None:
        out["e_new_other_date"] = predict_with(new, pair.inputs(spec, prior=other), device, "reference", pair.valid)
        out["e0_reference_alone"] = other.window(0, pair.shape[0], 0, pair.shape[1])[:3]
    own = evaluation_prior(pair.priors, "own")
    if own is not None:
        out["f_new_own_optical"] = predict_with(new, pair.inputs(spec, prior=own), device, "reference", pair.valid)
        out["f0_own_alone"] = own.window(0, pair.shape[0], 0, pair.shape[1])[:3]
    return out


def every_other_date(pair: PairedImage, new: LoadedModel, device, nearest: bool = False) -> Optional[dict]:
    """(e*): the pair's scores with each other date of its place as the reference, averaged; nearest:
    (e=), with each of the other dates equally nearest in the year (PairPriors.nearest_seasons)."""
    if pair.priors is None:
        return None
    others = pair.priors.nearest_seasons() if nearest else pair.priors.other_dates
    if not others:
        return None
    spec, target = new.metadata.inputs, pair.target_float()
    scores = [score(predict_with(new, pair.inputs(spec, prior=other), device, "reference", pair.valid), target,
                    pair.target_valid)
              for other in others]
    return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}


def on_common_pairs(per_pair: dict[str, dict[str, dict]], first: str, second: str) -> Optional[dict]:
    """Means of two methods over the pairs both score (a table row's means are over the pairs each
    method applies to, e.g. (c) needs a place and (e) another date: not always the same pairs)."""
    both = [m for m in per_pair.values() if first in m and second in m]
    if not both:
        return None
    return {"pairs": len(both), **{method: {k: float(np.mean([m[method][k] for m in both])) for k in both[0][method]}
                                   for method in (first, second)}}


def summarise(rows: dict[str, dict[str, list[dict]]]) -> dict:
    """rows[method][dataset] = per-pair metrics -> means per data set and over data sets."""
    out: dict = {}
    for method, by_ds in rows.items():
        res = {ds: {k: float(np.mean([r[k] for r in rs])) for k in rs[0]} | {"pairs": len(rs)}
               for ds, rs in sorted(by_ds.items())}
        keys = [k for k in next(iter(res.values())) if k != "pairs"]
        res["mean_over_datasets"] = {k: float(np.mean([v[k] for v in res.values()])) for k in keys} | {
            "pairs": int(sum(v["pairs"] for v in res.values()))}
        out[method] = res
    return out


def format_table(summary: dict, title: str) -> str:
    lines = [title, f"{'method':52s} {'data set':24s} {'pairs':>5s} {'PSNR':>6s} {'SSIM':>6s} {'colour':>6s} {'lum r':>6s}"]
    for method, by_ds in summary.items():
        for ds, m in by_ds.items():
            lines.append(f"{METHODS[method][:52]:52s} {ds[:24]:24s} {m['pairs']:5d} {m['psnr']:6.2f} {m['ssim']:6.3f} "
                         f"{m['colour_error']:6.1f} {m['lum_corr']:6.2f}")
    return "\n".join(lines)


def picture_grid(samples: list[tuple[PairedImage, dict[str, np.ndarray]]], spec, path: str, size: int = 192) -> Path:
    """One row per pair: SAR | (a) | (b) | (c) | (d) | (e) | optical (grey where a method has no value)."""
    cols = ["sar", *METHODS.keys(), "optical"]
    cols.remove("f_new_own_optical")
    cols.remove("e_every_other_date")
    cols.remove("e_nearest_dates")
    cols.remove("e0_reference_alone")
    cols.remove("f0_own_alone")
    gap = 4
    canvas = np.full((3, len(samples) * (size + gap) - gap, len(cols) * (size + gap) - gap), 255, np.uint8)
    for row, (pair, preds) in enumerate(samples):
        h, w = pair.shape
        s = min(size, h, w)
        r, c = (h - s) // 2, (w - s) // 2
        for col, name in enumerate(cols):
            if name == "sar":
                img = sar_grey(pair, spec)
            elif name == "optical":
                img = pair.target_float()
            elif name in preds:
                img = preds[name]
            else:
                img = np.full((3, h, w), 0.85, np.float32)
            y0, x0 = row * (size + gap), col * (size + gap)
            canvas[:, y0:y0 + s, x0:x0 + s] = np.round(np.clip(img[:, r:r + s, c:c + s], 0, 1) * 255).astype(np.uint8)
    return write_png(canvas, path)


def run(new_path: str, old_path: Optional[str], data: Sequence[str], only: Sequence[str], band_roles: Sequence[str],
        json_path: Optional[str], grid: Optional[str], title: str, threads: Optional[int] = None, log=print,
        palette_fit: str = "all", coarse_from: Optional[Sequence[str]] = None) -> dict:
    import torch

    if threads:
        torch.set_num_threads(threads)
    device = torch.device("cpu")
    new = load_model_file(new_path)
    if coarse_from is not None:
        set_coarse_from(new, coarse_from)
    old = load_model_file(old_path) if old_path else None
    spec = new.metadata.inputs
    if spec.prior is None:
        raise SystemExit(f"{new_path} takes no colour prior")
    sources = [s for root in data for s in discover(Path(root))
               if not only or any(fnmatch.fnmatch(s.name, p) for p in only)]
    pairs = load_sources(sources, spec, BandRoles.parse(band_roles), progress=True)
    if palette_fit == "without-place":
        for pair in pairs:
            pair.priors.palette = palette_fitted_without_place(pair.name, pair.priors.palette)
    rows: dict[str, dict[str, list[dict]]] = {}
    per_pair: dict[str, dict[str, dict]] = {}
    samples = []
    for pair in pairs:
        preds = predictions(pair, new, old, device)
        target = pair.target_float()
        for method, pred in preds.items():
            m = score(pred, target, pair.target_valid)
            rows.setdefault(method, {}).setdefault(pair.dataset, []).append(m)
            per_pair.setdefault(pair.name, {})[method] = m
        one_nearest = pair.priors is not None and len(pair.priors.nearest_seasons()) == 1
        averaged = {  # (e=) of a pair with one nearest date is (e), scored above
            "e_nearest_dates": per_pair[pair.name].get("e_new_other_date") if one_nearest
            else every_other_date(pair, new, device, nearest=True),
            "e_every_other_date": every_other_date(pair, new, device)}
        for method, m in averaged.items():
            if m is not None:
                rows.setdefault(method, {}).setdefault(pair.dataset, []).append(m)
                per_pair[pair.name][method] = m
        samples.append((pair, preds))
    summary = summarise({k: rows[k] for k in METHODS if k in rows})
    log(format_table(summary, title))
    c_vs_e = on_common_pairs(per_pair, "c_new_world_palette", "e_new_other_date")
    if c_vs_e:
        log(f"on the {c_vs_e['pairs']} pairs with a place and another date: (c) PSNR "
            f"{c_vs_e['c_new_world_palette']['psnr']:.2f} SSIM {c_vs_e['c_new_world_palette']['ssim']:.3f}, (e) PSNR "
            f"{c_vs_e['e_new_other_date']['psnr']:.2f} SSIM {c_vs_e['e_new_other_date']['ssim']:.3f}")
    c_vs_nearest = on_common_pairs(per_pair, "c_new_world_palette", "e_nearest_dates")
    if c_vs_nearest:
        log(f"the same, (e) as the mean over the equally nearest dates: (c) PSNR "
            f"{c_vs_nearest['c_new_world_palette']['psnr']:.2f} SSIM {c_vs_nearest['c_new_world_palette']['ssim']:.4f}, "
            f"(e=) PSNR {c_vs_nearest['e_nearest_dates']['psnr']:.2f} SSIM {c_vs_nearest['e_nearest_dates']['ssim']:.4f}")
    structure = structure_check(pairs, new, device)
    if structure["mean"]:
        log(f"structure check on {len(structure['pairs'])} pairs, each with the prior of another pair: edge correlation "
            f"of the output with its own optical {structure['mean']['edges_vs_own_optical']:.3f}, with the optical "
            f"the prior came from {structure['mean']['edges_vs_prior_source_optical']:.3f}")
    if grid:
        # a few pairs of every data set
        picked, seen = [], {}
        for pair, preds in samples:
            if seen.get(pair.dataset, 0) < 2:
                picked.append((pair, preds))
                seen[pair.dataset] = seen.get(pair.dataset, 0) + 1
        log(f"wrote {picture_grid(picked, spec, grid)} (SAR | a | b | c | d | e | optical)")
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps({
            "title": title, "new_model": new_path, "old_model": old_path, "pairs": [p.name for p in pairs],
            "placed_by": {p.name: p.priors.placed_by for p in pairs}, "palette_fit": palette_fit,
            "coarse_colours_kept_from": list(spec.prior.coarse_from),
            "other_dates": {p.name: len(p.priors.other_dates) for p in pairs},
            "other_date_choice": "(e): the other date nearest in the year (training/priors.PairPriors.nearest_season)",
            "methods": METHODS, "results": summary, "per_pair": per_pair, "c_vs_e_on_common_pairs": c_vs_e,
            "c_vs_e_nearest_dates_on_common_pairs": c_vs_nearest, "structure_check": structure}, indent=1))
    return summary


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sar_colorizer.training.evaluate_priors", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--new", required=True, help="the model with a colour prior")
    p.add_argument("--old", default=None, help="a model without a prior, for (a)")
    p.add_argument("--data", action="append", required=True)
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--band-roles", action="append", default=[])
    p.add_argument("--json", default=None)
    p.add_argument("--grid", default=None)
    p.add_argument("--title", default="validation")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--palette-fit", choices=("all", "without-place"), default="all",
                   help="the world palette's mapping to the colour convention: the shipped one, fitted on all four "
                        "reflectance places ('all'), or for each pair the one fitted without its own place "
                        "('without-place': a place the mapping has not seen, for the leave-one-set-out runs)")
    p.add_argument("--coarse-from", default=None, metavar="KINDS",
                   help="comma-separated prior kinds (reference, palette) whose coarse colours the new model's output "
                        "keeps, or 'none'; default: what its model file says (PriorSpec.coarse_from)")
    a = p.parse_args(argv)
    coarse_from = None if a.coarse_from is None else [k for k in a.coarse_from.split(",") if k and k != "none"]
    run(a.new, a.old, a.data, a.only, a.band_roles, a.json, a.grid, a.title, a.threads, palette_fit=a.palette_fit,
        coarse_from=coarse_from)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
