"""ONNX Runtime vs torch eager on the CPU, on the same tiles, in one run.

Goal (issue): the ONNX Runtime backend runs at least 2x as fast as torch eager on the CPU.

Every variant runs the same batch of real model inputs (Sentinel-1 VV+VH patches from
../shared/data/scenes/sen12ms-cr-s1 when present, else synthetic speckle), interleaved round
robin so background load on a shared machine hits all alike; medians are compared.

Variants (each at every batch size asked for):
  torch eager       plain PyTorch eager: net(x) under torch.inference_mode, NCHW float32 (the reference)
  torch backend     the core torch backend as shipped (on the CPU: channels_last)
  ort               the core onnx backend as shipped (ORT_ENABLE_ALL, default threads)
  ort nospin        ORT with intra-op thread spinning off (kinder to a shared CPU)
  ort extended      ORT_ENABLE_EXTENDED instead of ALL (no layout-transforming NCHWc optimisations)
  torch 1 thread, ort 1 thread   only with --single-thread

Usage: .venv/bin/python benchmarks/backends.py [--batch-sizes 1,4,8] [--repeats 5] [--threads N]
       [--single-thread]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from sar_colorizer.core.onnx_export import file_sha256

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
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="threads for both (default: library default, all cores)")
    ap.add_argument("--single-thread", action="store_true", help="also time torch and ORT on one thread")
    ap.add_argument("--model", type=Path, help="model file (default: bundled, else random weights)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.batch_sizes.split(",")]

    import torch

    from sar_colorizer.core import backends
    from sar_colorizer.core.modelfile import load_model_file

    say(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="sarc-bench-") as tmp:
        tmp = Path(tmp)
        mp, what = (args.model, f"model {args.model}") if args.model else model_file(tmp)
        say(f"model: {what}")
        tb = backends.load_backend(mp, "torch", "cpu", args.threads)
        ob = backends.load_backend(mp, "onnx", "cpu", args.threads)
        onnx_path = backends.cached_onnx_export(mp, file_sha256(mp))  # same graph as ORT runs
        meta = tb.metadata
        tile = meta.tile.size
        tiles, source = real_tiles(meta, tile, max(sizes), tmp)
        say(f"input: {source}; tile {tile} x {tile}, {tiles.shape[1]} channels")
        say(f"threads: torch {torch.get_num_threads()}, ORT intra-op {args.threads or 'default (physical cores)'}")

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
        if args.single_thread:
            variants["ort 1 thread"] = ort_session(onnx_path, 1)

        # same pixels: every variant against torch eager
        ref = torch_eager(tiles[:2])
        for name, fn in variants.items():
            diff = float(np.abs(fn(tiles[:2]) - ref).max())
            say(f"  max |{name} - torch eager| = {diff:.2e} (of 1.0 = 255 DN)")

        results: dict[int, dict[str, float]] = {}
        for n in sizes:
            batch = np.ascontiguousarray(tiles[:n])
            calls = {k: (lambda fn=fn: fn(batch)) for k, fn in variants.items()}
            for fn in calls.values():  # warm-up (oneDNN primitive creation, ORT arena)
                fn()
            times = interleaved(calls, args.repeats)
            if args.single_thread:
                before = torch.get_num_threads()
                torch.set_num_threads(1)
                times.update(interleaved({"torch 1 thread": calls["torch eager"]}, args.repeats))
                torch.set_num_threads(before)
            results[n] = {k: median(v) / n for k, v in times.items()}

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
    best_torch = min(min(v for k, v in r.items() if k.startswith("torch")) for r in results.values())
    eager_best = min(r["torch eager"] for r in results.values())
    ort_best = min(r["ort"] for r in results.values())
    say(f"shipped ORT backend vs torch eager, best batch size of each: {eager_best / ort_best:.2f}x "
        f"(goal >= 2x) -> {'MET' if eager_best / ort_best >= 2 else 'MISSED'}")
    for n in sizes:
        r = results[n]
        say(f"  batch {n}: shipped ORT {r['torch eager'] / r['ort']:.2f}x torch eager")
    say(f"shipped ORT vs the shipped torch backend, best batch size of each: "
        f"{min(r['torch backend'] for r in results.values()) / ort_best:.2f}x")
    say(f"ORT vs the best torch variant measured: {best_torch / ort_best:.2f}x")


if __name__ == "__main__":
    main()
