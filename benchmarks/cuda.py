"""torch on one CUDA GPU beside the CPU backends, on the same real tiles, in one run.

Answers three questions about the GPU path, each by measurement:
  - which backend `auto` should run where a GPU is present (core/backends.py: torch on CUDA);
  - which batch size uses the GPU well (core/options.py batch_size_for: 8 on CUDA);
  - whether cuDNN's TF32 convolutions, PyTorch's default on Ampere and later GPUs, keep the
    pixels within one level (1/255) of the CPU's, the issue's bound between backends.

ms per tile are medians of --repeats timed calls after warm-up calls; every call includes the
copies to and from the GPU, as the backend's run() does in the pipeline.

Usage: python benchmarks/cuda.py [--batch-sizes 1,8,16,32,64] [--repeats 20] [--model PATH]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from backends import real_tiles
from common import machine_line, median, model_file, say


def levels(pred: np.ndarray, meta) -> np.ndarray:
    """Model output -> the 0..255 levels the writer stores."""
    from sar_colorizer.core.pipeline import to_rgb_bytes

    return np.stack([to_rgb_bytes(p, np.ones(p.shape[1:], bool), meta) for p in pred]).astype(np.int16)


def ms_per_tile(fn, batch: np.ndarray, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn(batch)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(batch)
        times.append(time.perf_counter() - t)
    return 1000 * median(times) / len(batch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-sizes", default="1,8,16,32,64")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--model", type=Path, help="model file (default: bundled, else random weights)")
    args = ap.parse_args()

    import torch

    from sar_colorizer.core import backends
    from sar_colorizer.core.modelfile import load_model_file
    from sar_colorizer.core.options import batch_size_for

    if not torch.cuda.is_available():
        raise SystemExit("PyTorch sees no CUDA GPU here")
    sizes = sorted({int(s) for s in args.batch_sizes.split(",")} | {batch_size_for("cuda", None)})
    say(f"machine: {machine_line()}")
    say(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    with tempfile.TemporaryDirectory(prefix="sarc-bench-") as tmp:
        tmp = Path(tmp)
        mp, what = (args.model, f"model {args.model}") if args.model else model_file(tmp)
        say(f"model: {what}")
        auto = backends.load_backend(mp, "auto", "auto")
        say(f"auto picks: {auto.name} on {auto.device}")
        gpu = backends.load_backend(mp, "torch", "cuda")
        meta = gpu.metadata
        tiles, source = real_tiles(meta, meta.tile.size, max(sizes), tmp)
        say(f"input: {source}; {len(tiles)} tiles of {meta.tile.size} px, {tiles.shape[1]} channels")

        # pixels: each GPU setting against plain torch eager on the CPU (NCHW, float32)
        net = load_model_file(mp).build()
        with torch.inference_mode():
            ref = levels(net(torch.from_numpy(tiles)).numpy(), meta)
        tf32_default = torch.backends.cudnn.allow_tf32
        say(f"cuDNN TF32 convolutions by default: {tf32_default}")
        pixel_rows = []
        for tf32 in (True, False):
            torch.backends.cudnn.allow_tf32 = tf32
            diff = np.abs(levels(gpu.run(tiles), meta) - ref)
            pixel_rows.append((tf32, int(diff.max()), float((diff == 0).mean()), float((diff <= 1).mean())))
        torch.backends.cudnn.allow_tf32 = tf32_default

        speed: dict[str, float] = {}
        for n in sizes:
            speed[f"torch cuda, batch {n}"] = ms_per_tile(gpu.run, tiles[:n], args.repeats)
        torch.backends.cudnn.allow_tf32 = not tf32_default
        n8 = batch_size_for("cuda", None)
        speed[f"torch cuda, batch {n8}, TF32 {'off' if tf32_default else 'on'}"] = ms_per_tile(gpu.run, tiles[:n8], args.repeats)
        torch.backends.cudnn.allow_tf32 = tf32_default
        cpu_repeats = max(3, args.repeats // 4)
        speed["onnx cpu, batch 1 (all cores)"] = ms_per_tile(backends.load_backend(mp, "onnx", "cpu").run,
                                                             tiles[:1], cpu_repeats, warmup=2)
        speed["torch cpu, batch 1 (all cores)"] = ms_per_tile(backends.load_backend(mp, "torch", "cpu").run,
                                                              tiles[:1], cpu_repeats, warmup=2)

    say()
    say("pixels against torch on the CPU (levels 0..255 as written), all tiles:")
    for tf32, worst, same, within1 in pixel_rows:
        say(f"  cuda, TF32 {'on ' if tf32 else 'off'}: max difference {worst} levels; "
            f"{100 * same:.4f} % equal, {100 * within1:.4f} % within 1 level")
    say()
    say("ms per tile (median; copies to and from the GPU included):")
    best = min(speed, key=speed.get)
    for k, ms in speed.items():
        say(f"  {k:38s} {ms:8.3f} ms  {256 * 256 / 1000 / ms:8.1f} MP/s of tiles")
    say(f"fastest: {best}; auto picks {auto.name} on {auto.device}")


if __name__ == "__main__":
    main()
