"""Score model files on paired data, tiled without overlap, against simple baselines.

Per pair the whole image is predicted tile by tile (the model's tile size, no overlap, edges
reflect-padded), with the pair's whole-image SAR statistics, exactly as at inference. Metrics are
computed on the whole image and averaged per data set. Baselines: a constant colour (the mean
target colour of the training mix, stored in the model file) and the SAR grey copied into R,G,B.
``shifts`` re-scores everything against the optical shifted by k px (misregistration tolerance).
"""
from __future__ import annotations

import fnmatch
import json
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..core.coarse_colours import keep_coarse_colours
from ..core.errors import InputError
from ..core.modelfile import InputSpec, LoadedModel, load_model_file
from ..core.sar import check_bands_for_model
from .datasets import BandRoles, PairedImage, discover, load_sources
from .metrics import all_metrics
from .priors import prior_kind


@dataclass
class EvalConfig:
    models: Sequence[str]
    data: Sequence[str]
    only: Sequence[str] = ()
    band_roles: Sequence[str] = ()
    drop_band: Optional[str] = None
    baselines: bool = False
    shifts: Sequence[int] = ()
    grid: Optional[str] = None
    grid_tiles: int = 6
    json_path: Optional[str] = None
    device: str = "auto"
    threads: Optional[int] = None


def predict_image(net, x: np.ndarray, tile: int, multiple: int, device, batch_size: int = 4,
                  kept_sigma_px: Optional[float] = None, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """(C,H,W) model input -> (3,H,W) prediction in [0,1], non-overlapping tiles of ``tile`` px; with
    ``kept_sigma_px`` each tile keeps its prior's coarse colours over its ``valid`` (H,W) pixels, as at
    inference (core/coarse_colours.py)."""
    import torch

    c, h, w = x.shape
    t = max(multiple, (tile // multiple) * multiple)
    ph, pw = -(-h // t) * t, -(-w // t) * t
    mode = "reflect" if (ph - h < h and pw - w < w) else "edge"
    xp = np.pad(x, ((0, 0), (0, ph - h), (0, pw - w)), mode=mode)
    vp = None if valid is None else np.pad(valid, ((0, ph - h), (0, pw - w)), mode=mode)
    out = np.zeros((3, ph, pw), np.float32)
    windows = [(r, q) for r in range(0, ph, t) for q in range(0, pw, t)]
    with torch.inference_mode():
        for i in range(0, len(windows), batch_size):
            batch = windows[i:i + batch_size]
            xb = torch.from_numpy(np.stack([xp[:, r:r + t, q:q + t] for r, q in batch])).to(device)
            yb = net(xb).float().cpu().numpy()
            if kept_sigma_px is not None:
                vb = None if vp is None else np.stack([vp[r:r + t, q:q + t] for r, q in batch])
                yb = keep_coarse_colours(yb, xb[:, -4:].cpu().numpy(), kept_sigma_px, vb)
            for (r, q), y in zip(batch, yb):
                out[:, r:r + t, q:q + t] = y
    return out[:, :h, :w]


def sar_grey(pair: PairedImage, spec: InputSpec) -> np.ndarray:
    """Baseline (d): the first available normalised SAR band, clipped to [0,1], as R=G=B."""
    x = pair.inputs(spec)
    names = [b for b in spec.bands if b in pair.bands]
    g = np.clip(x[spec.bands.index(names[0])], 0.0, 1.0)
    return np.repeat(g[None], 3, axis=0)


def shifted(pred: np.ndarray, target: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Compare ``pred`` with the target moved k px right and down (both cropped to the overlap)."""
    if k == 0:
        return pred, target
    return pred[:, k:, k:], target[:, :-k, :-k]


def _score(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    import torch
    return all_metrics(torch.from_numpy(np.ascontiguousarray(pred)), torch.from_numpy(np.ascontiguousarray(target)))


def load_pairs(cfg: EvalConfig, spec: InputSpec) -> list[PairedImage]:
    sources = []
    for root in cfg.data:
        for s in discover(Path(root)):
            if not cfg.only or any(fnmatch.fnmatch(s.name, p) for p in cfg.only):
                sources.append(s)
    if not sources:
        raise InputError(f"no pairs in {', '.join(map(str, cfg.data))} match {list(cfg.only)}")
    return load_sources(sources, spec, BandRoles.parse(cfg.band_roles), progress=True)


def evaluate(models: Sequence[LoadedModel], pairs: Sequence[PairedImage], baselines: bool = True,
             shifts: Sequence[int] = (), drop_band: Optional[str] = None, device=None,
             log=print) -> tuple[dict, dict[str, list[np.ndarray]]]:
    """results[method][shift][dataset] = mean metrics; also the predictions of each model per pair."""
    import torch

    device = device or torch.device("cpu")
    drop = (drop_band,) if drop_band else ()
    results: dict = {}
    preds: dict[str, list[np.ndarray]] = {}
    methods: list[tuple[str, object]] = [(f"model:{Path(m.path).parent.name}/{Path(m.path).name}", m)
                                         for m in models]
    if len({n for n, _ in methods}) != len(methods):
        raise InputError("the same model file is given twice")
    first_spec = models[0].metadata.inputs
    if baselines:
        methods += [("constant_mean_colour", None), ("sar_grey", None)]
    rows: dict = {}
    for name, m in methods:
        for pair in pairs:
            target = pair.target_float()
            if m is not None:
                spec = m.metadata.inputs
                available = {b: 1 for b in pair.bands if b not in drop}
                check_bands_for_model(available, spec, pair.name)
                pred = predict_with(m, pair.inputs(spec, drop=drop), device, prior_kind(pair.prior_mode), pair.valid)
                preds.setdefault(name, []).append(pred)
            elif name == "constant_mean_colour":
                mean = models[0].metadata.training.get("target_mean_rgb")
                if mean is None:
                    raise InputError(f"{models[0].path}: no target_mean_rgb in its training metadata")
                pred = np.broadcast_to(np.asarray(mean, np.float32)[:, None, None], target.shape).copy()
            else:
                pred = sar_grey(pair, first_spec)
            for k in [0, *shifts]:
                p, t = shifted(pred, target, k)
                rows.setdefault(name, {}).setdefault(k, {}).setdefault(pair.dataset, []).append(_score(p, t))
        log(f"  scored {name}")
    for name, by_shift in rows.items():
        results[name] = {}
        for k, by_ds in by_shift.items():
            res = {ds: {m: float(np.mean([r[m] for r in rs])) for m in rs[0]} | {"pairs": len(rs)}
                   for ds, rs in sorted(by_ds.items())}
            if len(res) > 1:
                metric_names = [m for m in next(iter(res.values())) if m != "pairs"]
                res["mean_over_datasets"] = {m: float(np.mean([v[m] for v in res.values()])) for m in metric_names}
            results[name][f"shift_{k}px"] = res
    return results, preds


def predict_with(m: LoadedModel, x: np.ndarray, device, prior_kind: str = "",
                 valid: Optional[np.ndarray] = None) -> np.ndarray:
    """A whole pair's prediction by a model file's network, tiled without overlap at its tile size;
    ``prior_kind`` ("reference", "palette"): where the prior in ``x`` came from, whose coarse colours
    the output keeps if the model file says so (PriorSpec.coarse_from), over the ``valid`` SAR pixels,
    as the pipeline does."""
    spec = m.metadata.inputs.prior
    kept = spec.kept_sigma_px(prior_kind) if spec is not None else None
    return predict_image(_net(m, device), x, m.metadata.tile.size, m.metadata.architecture.multiple, device,
                         kept_sigma_px=kept, valid=valid)


_NETS: dict[int, tuple[weakref.ref, object]] = {}


def _net(m: LoadedModel, device):
    """The network of a loaded model file, built once while that object lives. Keyed by id() alone, a
    later model loaded at a freed object's address got the earlier model's network (seen as a test
    that failed only after others had run); the entry now goes with its model."""
    key = id(m)
    if key not in _NETS:  # the weak reference's callback drops the entry before the address can be reused
        _NETS[key] = (weakref.ref(m, lambda _, key=key: _NETS.pop(key, None)), m.build().to(device))
    return _NETS[key][1]


def format_table(results: dict) -> str:
    lines = [f"{'method':44s} {'shift':>5s} {'data set':22s} {'PSNR dB':>8s} {'SSIM':>7s} {'MAE':>7s} {'colour':>7s}"]
    for name, by_shift in results.items():
        for shift, by_ds in by_shift.items():
            for ds, m in by_ds.items():
                lines.append(f"{name[:44]:44s} {shift.split('_')[1]:>5s} {ds[:22]:22s} {m['psnr']:8.2f} "
                             f"{m['ssim']:7.4f} {m['mae']:7.4f} {m['colour_error']:7.1f}")
    return "\n".join(lines)


def picture_grid(pairs: Sequence[PairedImage], preds: Sequence[np.ndarray], spec: InputSpec, path: str,
                 tiles: int = 6, size: int = 256) -> Path:
    """PNG with one row per sample tile: SAR | predicted | optical (tiles spread over pairs)."""
    picks = []
    order = np.linspace(0, len(pairs) - 1, min(tiles, len(pairs))).round().astype(int) if len(pairs) < tiles \
        else np.linspace(0, len(pairs) - 1, tiles).round().astype(int)
    per_pair: dict[int, int] = {}
    for i in order:
        per_pair[int(i)] = per_pair.get(int(i), 0) + 1
    if len(pairs) < tiles:  # few big pairs (e.g. one scene): several crops from each
        per_pair = {i: tiles // len(pairs) + (1 if i < tiles % len(pairs) else 0) for i in range(len(pairs))}
    for i, n in per_pair.items():
        h, w = pairs[i].shape
        s = min(size, h, w)
        for j in range(n):
            r = int((h - s) * (j + 0.5) / n) if n > 1 else (h - s) // 2
            c = int((w - s) * ((j * 0.618) % 1.0)) if n > 1 else (w - s) // 2
            picks.append((i, r, c, s))
    gap = 4
    s = max(p[3] for p in picks)
    canvas = np.full((3, len(picks) * (s + gap) - gap, 3 * (s + gap) - gap), 255, np.uint8)
    for row, (i, r, c, sz) in enumerate(picks):
        pair = pairs[i]
        grey = sar_grey(pair, spec)[:, r:r + sz, c:c + sz]
        pred = preds[i][:, r:r + sz, c:c + sz]
        opt = pair.target_float(slice(r, r + sz), slice(c, c + sz))
        for col, img in enumerate((grey, pred, opt)):
            y0, x0 = row * (s + gap), col * (s + gap)
            canvas[:, y0:y0 + sz, x0:x0 + sz] = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
    return write_png(canvas, path)


def write_png(canvas: np.ndarray, path) -> Path:
    """A (3, H, W) uint8 picture as a PNG (GDAL, no .aux.xml beside it)."""
    from osgeo import gdal

    mem = gdal.GetDriverByName("MEM").Create("", canvas.shape[2], canvas.shape[1], 3, gdal.GDT_Byte)
    for b in range(3):
        mem.GetRasterBand(b + 1).WriteArray(canvas[b])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = gdal.GetDriverByName("PNG").CreateCopy(str(path), mem)
    out = None  # noqa: F841 - closes the file
    mem = None  # noqa: F841
    aux = path.with_name(path.name + ".aux.xml")
    if aux.exists():
        aux.unlink()
    return path


def run_evaluation(cfg: EvalConfig, log=print) -> dict:
    import torch
    from .loop.trainer import pick_device

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    models = [load_model_file(p) for p in cfg.models]
    spec = models[0].metadata.inputs
    pairs = load_pairs(cfg, spec)
    log(f"evaluating {len(models)} model(s) on {len(pairs)} pair(s), tiled without overlap "
        f"({models[0].metadata.tile.size} px)" + (f", band {cfg.drop_band} hidden" if cfg.drop_band else ""))
    results, preds = evaluate(models, pairs, cfg.baselines, cfg.shifts, cfg.drop_band, device, log)
    log(format_table(results))
    if cfg.grid:
        first = next(iter(preds))
        log(f"wrote {picture_grid(pairs, preds[first], spec, cfg.grid, cfg.grid_tiles)} (SAR | predicted | optical)")
    if cfg.json_path:
        Path(cfg.json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(cfg.json_path).write_text(json.dumps({"models": list(map(str, cfg.models)), "pairs": [p.name for p in pairs],
                                                   "drop_band": cfg.drop_band, "results": results}, indent=1))
    return results
