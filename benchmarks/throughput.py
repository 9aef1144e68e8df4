"""End-to-end throughput of `colorize` beside the bare model on exactly the tiles it runs.

Goal (issue): the pipeline (reading, normalisation, tiling, blending, writing, overviews) adds at
most 10 % to the bare model compute.

How tiles are counted: with tile T and overlap O the pipeline runs len(xs) * len(ys) tiles (see
core/tiling.py), more than W*H/T^2. The "bare model" here runs the same number of tiles, in the
same batch shapes and order as the pipeline (per row of tiles: batches of --batch-size, the last
one smaller), with the same backend, batch size and thread count, on real model inputs cut from
the raster (one row of tiles, reused), all held in memory. So

    pipeline overhead = pipeline time / bare time on the pipeline's tiles - 1

and the cost of the overlap itself is reported apart: the tile count ratio, and a pipeline run
with overlap 0. A pipeline run with a "null model" (the model's real prediction for one tile,
handed back at no cost) times the pipeline's own work alone. The runs are interleaved (pipeline,
bare, null model, overlap 0, repeated) so background load on this shared machine hits them alike;
the medians are compared, and so are the pipeline and bare runs of each repeat, back to back.

On a GPU (--device cuda) reading, the model and blending each run in a thread of their own
(core/pipeline.py model_queue_depth); a fifth run, "pipeline, stages in turn", times the
pipeline at queue depth 0 (GDAL's compression threads stay on), so the two are compared in the
same run.

Usage: .venv/bin/python benchmarks/throughput.py [--size 4096] [--device cpu|cuda] [--backend onnx|torch]
       [--batch-size N] [--threads N] [--repeats 5]
"""
from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from common import interleaved, machine_line, median, model_file, say, synthetic_sar


class StageTimer:
    """Wraps named functions so each pipeline run reports where its time went."""

    def __init__(self):
        self.totals: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.totals[label] += time.perf_counter() - t

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        out, self.totals = dict(self.totals), defaultdict(float)
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096, help="raster width = height (default 4096)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--backend", choices=("onnx", "torch"), default=None,
                    help="default: what the pipeline's auto picks, onnx on the CPU and torch on CUDA")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="tiles per model call (default: the pipeline's own, 1 on the CPU and 8 on CUDA)")
    ap.add_argument("--threads", type=int, default=None, help="default: the backend's default (all cores)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="interleaved repeats (default 5: on a shared VM the speed of the same run drifts "
                         "by 20-40 %% over tens of seconds)")
    ap.add_argument("--model", type=Path, help="model file (default: bundled, else random weights)")
    args = ap.parse_args()

    from sar_colorizer.core import backends, pipeline, raster_io, tiling
    from sar_colorizer.core.options import ColorizeOptions, batch_size_for

    args.batch_size = batch_size_for(args.device, args.batch_size)
    args.backend = args.backend or ("torch" if args.device == "cuda" else "onnx")
    queue_depth = pipeline.model_queue_depth(args.device)

    say(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="sarc-bench-") as tmp:
        tmp = Path(tmp)
        mp, what = (args.model, f"model {args.model}") if args.model else model_file(tmp)
        say(f"model: {what}")
        src = synthetic_sar(tmp / "scene.tif", args.size, args.size)
        say(f"input: {args.size} x {args.size} px, 2 bands (VV, VH) Float32 dB, synthetic speckle, tiled GeoTIFF")

        backend = backends.load_backend(mp, args.backend, args.device, args.threads)
        meta = backend.metadata
        tile, overlap = meta.tile.size, meta.tile.overlap
        grid = tiling.TileGrid(args.size, args.size, tile, overlap)
        grid0 = tiling.TileGrid(args.size, args.size, tile, 0)
        xs = grid.xs
        batch_shapes = [len(xs[s : s + args.batch_size]) for s in range(0, len(xs), args.batch_size)]

        # real model inputs: one row of tiles from the middle of the raster
        raster = raster_io.open_sar(src)
        band_units, stats = pipeline.scene_statistics(raster, meta, "auto")
        strip, _ = pipeline.read_strip(raster, grid.ys[len(grid.ys) // 2], tile, meta, band_units, stats)
        tiles = np.stack([strip[:, :, x : x + tile] for x in xs]).astype(np.float32)
        raster = None
        batches, k = [], 0
        for n in batch_shapes:
            batches.append(np.ascontiguousarray(tiles[k : k + n]))
            k += n

        def bare(rows: int) -> None:
            for _ in range(rows):
                for b in batches:
                    backend.run(b)

        timer = StageTimer()
        timer.wrap(pipeline, "scene_statistics", "scene statistics (decimated read)")
        timer.wrap(pipeline, "read_strip", "read + normalise strips")
        timer.wrap(pipeline, "to_rgb_bytes", "to RGB bytes")
        timer.wrap(tiling.BlendAccumulator, "add", "blend (accumulate tiles)")
        timer.wrap(tiling.BlendAccumulator, "finish_columns", "blend (finish columns)")
        timer.wrap(pipeline, "pad_to_tile", "cut tiles (pad_to_tile)")
        timer.wrap(raster_io.RgbGeoTiffWriter, "write_window", "write blocks + overviews (DEFLATE)")
        timer.wrap(raster_io.RgbGeoTiffWriter, "commit", "close (last flush, rename)")
        model_in_pipeline = []

        real_load = backends.load_backend

        # the model's real prediction for the first tiles, handed back at no cost by the "null
        # model": a pipeline run with it times everything the pipeline does but the model
        null_pred = np.repeat(backend.run(batches[0][:1]), args.batch_size, axis=0)
        null_model = [False]

        def load_with_model_timer(*a, **kw):
            b = real_load(*a, **kw)
            run = b.run
            if null_model[0]:
                b.run = lambda batch: null_pred[: len(batch)].copy()
                return b

            def run_timed(batch):
                t = time.perf_counter()
                try:
                    return run(batch)
                finally:
                    timer.totals["model (backend.run)"] += time.perf_counter() - t

            b.run = run_timed
            return b

        pipeline.load_backend = load_with_model_timer
        # the wrapper must be the one the stage timer wraps
        timer.wrap(pipeline, "load_backend", "load backend (model file, session)")

        stage_runs: list[dict[str, float]] = []

        def run_null_pipeline() -> None:
            null_model[0] = True
            try:
                run_pipeline(overlap, record=False)
            finally:
                null_model[0] = False

        real_depth = pipeline.model_queue_depth

        def run_pipeline_stages_in_turn() -> None:
            pipeline.model_queue_depth = lambda device: 0
            try:
                run_pipeline(overlap, record=False)
            finally:
                pipeline.model_queue_depth = real_depth

        def run_pipeline(ov: int, record: bool) -> None:
            out = tmp / f"out_{ov}.tif"
            opts = ColorizeOptions(model_path=mp, backend=args.backend, device=args.device,
                                   batch_size=args.batch_size, threads=args.threads, overwrite=True,
                                   overlap=ov)
            timer.take()
            pipeline.colorize(src, out, opts)
            stages = timer.take()
            if record:
                stage_runs.append(stages)
                model_in_pipeline.append(stages.get("model (backend.run)", 0.0))

        say(f"backend {backend.name} on {backend.device}, batch size {args.batch_size}, threads "
            f"{args.threads or 'default'}, model queue depth {queue_depth}; tile {tile}, overlap {overlap}")
        say(f"tiles run by the pipeline: {len(xs)} x {len(grid.ys)} = {grid.count} "
            f"(without overlap: {grid0.count}; W*H/T^2 = {args.size * args.size / tile**2:.1f})")
        say("warm-up (one row of tiles; the input was just written, so it is in the page cache) ...")
        bare(1)
        say(f"timing: {args.repeats} interleaved repeats of [pipeline, bare model on the same tiles, "
            "pipeline with a null model, pipeline with overlap 0] ...")
        runs = {
            "pipeline": lambda: run_pipeline(overlap, record=True),
            "bare": lambda: bare(len(grid.ys)),
            "pipeline_null_model": run_null_pipeline,
            "pipeline_overlap0": lambda: run_pipeline(0, record=False),
        }
        if queue_depth:
            runs["pipeline_stages_in_turn"] = run_pipeline_stages_in_turn
        times = interleaved(runs, args.repeats)

    mp_total = args.size * args.size / 1e6
    tp, tb, t0 = median(times["pipeline"]), median(times["bare"]), median(times["pipeline_overlap0"])
    tn = median(times["pipeline_null_model"])
    paired = median([p / b for p, b in zip(times["pipeline"], times["bare"])])
    mp_, mb, m0 = min(times["pipeline"]), min(times["bare"]), min(times["pipeline_overlap0"])
    model_in = median(model_in_pipeline)
    say()
    say("raw times (s): " + "; ".join(f"{k}: {', '.join(f'{v:.2f}' for v in vs)}" for k, vs in times.items()))
    say("                                 median s   MP/s  |  min s    MP/s")
    say(f"bare model, {grid.count} tiles          {tb:8.2f} {mp_total / tb:6.3f}  | {mb:6.2f} {mp_total / mb:6.3f}"
        f"   ({grid.count * tile * tile / 1e6 / tb:.3f} MP/s of tiles)")
    say(f"pipeline, overlap {overlap:<3d}          {tp:8.2f} {mp_total / tp:6.3f}  | {mp_:6.2f} {mp_total / mp_:6.3f}   end to end")
    say(f"pipeline, overlap 0            {t0:8.2f} {mp_total / t0:6.3f}  | {m0:6.2f} {mp_total / m0:6.3f}   end to end")
    say(f"pipeline, null model           {tn:8.2f}           | {min(times['pipeline_null_model']):6.2f}"
        f"          everything but the model")
    if "pipeline_stages_in_turn" in times:
        t1 = median(times["pipeline_stages_in_turn"])
        say(f"pipeline, stages in turn       {t1:8.2f} {mp_total / t1:6.3f}  | {min(times['pipeline_stages_in_turn']):6.2f}"
            f"          every stage in the calling thread (queue depth 0): {t1 / tp:.2f}x the time")
    say(f"PIPELINE OVERHEAD over the bare model on the same tiles: {100 * (tp / tb - 1):+.1f} % by medians, "
        f"{100 * (mp_ / mb - 1):+.1f} % by minima, {100 * (paired - 1):+.1f} % by the median of the "
        f"{len(times['bare'])} pairs run back to back (goal <= +10 %, judged by the pairs: a VM's speed "
        f"drifts between whole runs) -> {'MET' if paired <= 1.10 else 'MISSED'}")
    say(f"  the pipeline with a null model (its own work alone) takes {100 * tn / tb:.1f} % of the bare model's time")
    say(f"  inside the pipeline runs: model (backend.run) {model_in:.2f} s, everything else {tp - model_in:.2f} s "
        f"= {100 * (tp - model_in) / model_in:+.1f} % of the model time"
        + (" (the stages run in threads beside each other: this is the part not hidden)" if queue_depth else ""))
    say(f"OVERLAP COST: {grid.count / grid0.count:.2f}x the tiles ({grid.count} vs {grid0.count}); end to end, "
        f"overlap {overlap} takes {tp / t0:.2f}x the time of overlap 0 (medians)")
    say("pipeline stages (median over timed runs, s; model = backend.run inside the pipeline):")
    labels = sorted({k for s in stage_runs for k in s}, key=lambda k: -median([s.get(k, 0) for s in stage_runs]))
    for k in labels:
        say(f"  {k:40s} {median([s.get(k, 0.0) for s in stage_runs]):7.2f}")
    accounted = median([sum(s.values()) for s in stage_runs])
    say(f"  {'other (np.stack of batches, loop, ...)':40s} {tp - accounted:7.2f}")


if __name__ == "__main__":
    main()
