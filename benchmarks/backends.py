"""ONNX Runtime vs torch eager on the CPU, on the same tiles, in one run.

Goal (issue): the ONNX Runtime backend runs at least 2x as fast as torch eager on the CPU. The
verdict is given at the batch size the pipeline runs on the CPU (core/options.py batch_size_for:
1), and the ratio at every batch size measured is printed beside it.

Every variant runs the same batch of real model inputs (Sentinel-1 VV+VH patches from
../shared/data/scenes/sen12ms-cr-s1 when present, else synthetic speckle), interleaved round
robin so background load on a shared machine hits all alike; medians are compared. Before each
timed call the benchmark idles for --settle seconds: ORT's intra-op threads keep spinning for a
while after a call, and back to back they slowed whichever variant ran next (torch eager at batch
1: 79 ms per tile right after ORT calls, 46-47 ms after 0.2 s idle; benchmarks/RESULTS.md), which
flattered ORT.

Variants (each at every batch size asked for):
  torch eager       plain PyTorch eager: net(x) under torch.inference_mode, NCHW float32 (the reference)
  torch backend     the core torch backend as shipped (on the CPU: channels_last)
  ort               the core onnx backend as shipped (the export it runs, ORT_ENABLE_ALL, default threads)
  ort nospin        ORT with intra-op thread spinning off (kinder to a shared CPU)
  ort extended      ORT_ENABLE_EXTENDED instead of ALL (no layout-transforming NCHWc optimisations)
  torch 1 thread, ort 1 thread   only with --single-thread
  ort other         only with --other-onnx: another export of the same model (say, an older one)

Then ORT's own profile of the shipped export (kernel time per operator type, batch of the
pipeline's CPU batch size) shows where ORT's time goes.

Usage: .venv/bin/python benchmarks/backends.py [--batch-sizes 1,4,8] [--repeats 15] [--calls 3] [--threads N]
       [--single-thread] [--settle 0.2] [--model PATH] [--other-onnx OLD.onnx]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from sar_colorizer.core.onnx_export import GRAPH_VERSION

from common import DATA, interleaved, machine_line, median, model_file, say, synthetic_sar


def real_tiles(meta, tile: int, count: int, tmp: Path) -> tuple[np.ndarray, str]:
    """(count, C, tile, tile) model inputs, each tile from a real scene when available."""
    from sar_colorizer.core import pipeline, raster_io

    files = sorted((DATA / "scenes" / "sen12ms-cr-s1").glob("*.tif"))
    out = []
    if files:
        source = f"{len(files)} real Sentinel-1 VV+VH patches (../shared/data/scenes/sen12ms-cr-s1), cycled"
    else:
        files = [synthetic_sar(tmp / "synthetic.tif", tile, tile)]
        source = "synthetic speckle (../shared/data is absent)"
    for i in range(count):
        raster = raster_io.open_sar(files[i % len(files)])
        band_units, stats = pipeline.scene_statistics(raster, meta, "auto")
        x, _ = pipeline.read_strip(raster, 0, raster.height, meta, band_units, stats)
        x = np.pad(x, ((0, 0), (0, max(0, tile - x.shape[1])), (0, max(0, tile - x.shape[2]))), mode="symmetric")
        out.append(x[:, :tile, :tile])
        raster = None
    return np.ascontiguousarray(np.stack(out), dtype=np.float32), source


def cpu_seconds() -> tuple[float, float] | None:
    """(seconds all CPUs were busy, seconds this process used), to tell how much CPU other processes
    took during the timed runs; None where /proc/stat is missing (not Linux)."""
    import resource

    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return None
    busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")  # user nice system irq softirq steal
    own = resource.getrusage(resource.RUSAGE_SELF)
    return busy, own.ru_utime + own.ru_stime


def ort_op_profile(onnx_path: Path, batch: np.ndarray, threads: int | None, runs: int = 5) -> tuple[list, float]:
    """ORT's kernel time per operator type, ms per run: ([(op, ms)], total ms), after a warm-up run."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="sarc-ortprof-") as tmp:
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(tmp) / "ort")
        sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        sess.run(["rgb"], {"sar": batch})
        for _ in range(runs):
            sess.run(["rgb"], {"sar": batch})
        with open(sess.end_profiling()) as f:
            events = json.load(f)
    model_runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    first_end = model_runs[0]["ts"] + model_runs[0]["dur"]  # the warm-up run is left out
    per_op: collections.Counter = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= first_end:
            per_op[e["args"]["op_name"]] += e["dur"]
    ops = [(op, us / runs / 1000) for op, us in per_op.most_common()]
    return ops, sum(ms for _, ms in ops)


def ort_session(onnx_path: Path, threads: int | None, level: str = "all", spinning: bool = True):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                   "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED}[level]
    if threads:
        so.intra_op_num_threads = threads
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    return lambda b: sess.run(["rgb"], {"sar": b})[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", default="1,4,8")
    ap.add_argument("--repeats", type=int, default=15,
                    help="interleaved timed samples of each variant (default 15: the speed of this VM "
                         "drifts by 20-40 %% over tens of seconds, so many short samples, interleaved)")
    ap.add_argument("--calls", type=int, default=3,
                    help="back-to-back calls per timed sample, after the settle (default 3)")
    ap.add_argument("--threads", type=int, default=None, help="threads for both (default: library default, all cores)")
    ap.add_argument("--single-thread", action="store_true", help="also time torch and ORT on one thread")
    ap.add_argument("--settle", type=float, default=0.2,
                    help="seconds of idle before each timed call, so no variant runs while the previous "
                         "one's threads still spin (default 0.2; 0: back to back)")
    ap.add_argument("--model", type=Path, help="model file (default: bundled, else random weights)")
    ap.add_argument("--other-onnx", type=Path,
                    help="also time and profile this ONNX export of the same model (e.g. an older export)")
    args = ap.parse_args()

    import torch

    from sar_colorizer.core import backends
    from sar_colorizer.core.modelfile import load_model_file
    from sar_colorizer.core.options import batch_size_for

    product_batch = batch_size_for("cpu", None)  # what the pipeline runs on the CPU
    sizes = sorted({int(s) for s in args.batch_sizes.split(",")} | {product_batch})

    say(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="sarc-bench-") as tmp:
        tmp = Path(tmp)
        mp, what = (args.model, f"model {args.model}") if args.model else model_file(tmp)
        say(f"model: {what}")
        tb = backends.load_backend(mp, "torch", "cpu", args.threads)
        ob = backends.load_backend(mp, "onnx", "cpu", args.threads)
        onnx_path = ob.path  # the file the onnx backend runs
        say(f"shipped ORT runs: {onnx_path} (graph version {GRAPH_VERSION})")
        meta = tb.metadata
        tile = meta.tile.size
        tiles, source = real_tiles(meta, tile, max(sizes), tmp)
        say(f"input: {source}; tile {tile} x {tile}, {tiles.shape[1]} channels")
        say(f"threads: torch {torch.get_num_threads()}, ORT intra-op {args.threads or 'default (physical cores)'}; "
            f"{args.settle:g} s idle before each timed call")

        net = load_model_file(mp).build()

        def torch_eager(b: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return net(torch.from_numpy(b)).numpy()

        variants = {
            "torch eager": torch_eager,
            "torch backend": tb.run,
            "ort": ob.run,
            "ort nospin": ort_session(onnx_path, args.threads, spinning=False),
            "ort extended": ort_session(onnx_path, args.threads, level="extended"),
        }
        if args.other_onnx:
            variants["ort other"] = ort_session(args.other_onnx, args.threads)
            say(f"ort other: {args.other_onnx}")
        if args.single_thread:
            variants["ort 1 thread"] = ort_session(onnx_path, 1)

        # same pixels: every variant against torch eager
        ref = torch_eager(tiles[:2])
        for name, fn in variants.items():
            diff = float(np.abs(fn(tiles[:2]) - ref).max())
            say(f"  max |{name} - torch eager| = {diff:.2e} (of 1.0 = 255 DN)")

        results: dict[int, dict[str, float]] = {}
        paired: dict[int, float] = {}
        cpu_before, wall_before = cpu_seconds(), time.perf_counter()
        for n in sizes:
            batch = np.ascontiguousarray(tiles[:n])
            calls = {k: (lambda fn=fn: [fn(batch) for _ in range(args.calls)]) for k, fn in variants.items()}
            for fn in calls.values():  # warm-up (oneDNN primitive creation, ORT arena)
                fn()
            times = interleaved(calls, args.repeats, args.settle)
            if args.single_thread:
                before = torch.get_num_threads()
                torch.set_num_threads(1)
                times.update(interleaved({"torch 1 thread": calls["torch eager"]}, args.repeats, args.settle))
                torch.set_num_threads(before)
            results[n] = {k: median(v) / n / args.calls for k, v in times.items()}
            # each sample's ratio to the torch eager sample next to it: robust to the drift
            paired[n] = median([t / o for t, o in zip(times["torch eager"], times["ort"])])
        cpu_after, wall = cpu_seconds(), time.perf_counter() - wall_before

        profile_batch = np.ascontiguousarray(tiles[:product_batch])
        profiles = {"shipped export": ort_op_profile(onnx_path, profile_batch, args.threads)}
        if args.other_onnx:
            profiles[f"other export ({args.other_onnx.name})"] = ort_op_profile(args.other_onnx, profile_batch, args.threads)

    say()
    say("ms per 256x256 tile (median of interleaved repeats); speed-up vs torch eager at the same batch size")
    names = list(results[sizes[0]])
    say(f"{'variant':16s} " + " ".join(f"{'batch ' + str(n):>20s}" for n in sizes))
    for k in names:
        cells = []
        for n in sizes:
            ms = 1000 * results[n][k]
            cells.append(f"{ms:8.1f} ms {results[n]['torch eager'] / results[n][k]:5.2f}x")
        say(f"{k:16s} " + " ".join(f"{c:>20s}" for c in cells))

    for what, (ops, total) in profiles.items():
        say()
        say(f"ORT profile of the {what}, batch {product_batch}: kernel time per operator type, "
            f"ms per call ({total:.1f} ms in all)")
        for op, ms in ops[:10]:
            say(f"  {op:16s} {ms:7.2f} ms {100 * ms / total:5.1f} %")
        rest = sum(ms for _, ms in ops[10:])
        if rest:
            say(f"  {'(others)':16s} {rest:7.2f} ms {100 * rest / total:5.1f} %")

    say()
    say("shipped ORT backend vs torch eager (goal: >= 2x), at each batch size:")
    for n in sizes:
        r = results[n]
        ratio = r["torch eager"] / r["ort"]
        note = " <- the pipeline's CPU batch size" if n == product_batch else ""
        say(f"  batch {n}: {ratio:.2f}x ({1000 * r['ort']:.1f} vs {1000 * r['torch eager']:.1f} ms/tile; "
            f"{paired[n]:.2f}x by the median of the samples' paired ratios) "
            f"{'met' if paired[n] >= 2 else 'missed'}{note}")
    r = results[product_batch]
    ratio = paired[product_batch]
    say(f"verdict, at batch {product_batch} (what the pipeline runs on the CPU), by the paired samples: "
        f"{ratio:.2f}x -> {'MET' if ratio >= 2 else 'MISSED'}")
    say(f"shipped ORT vs the shipped torch backend (channels_last), batch {product_batch}: "
        f"{r['torch backend'] / r['ort']:.2f}x")
    if cpu_before and cpu_after:
        foreign = (cpu_after[0] - cpu_before[0]) - (cpu_after[1] - cpu_before[1])
        share = max(0.0, foreign) / wall
        say(f"other processes used {100 * share:.0f} % of one core during the timed runs ({wall:.0f} s)"
            + ("" if share < 0.05 else ": not an idle machine; torch's OpenMP threads slow down far more "
               "than ORT under load, so these ratios overstate ORT's lead on an idle one"))


if __name__ == "__main__":
    main()
