"""Peak memory (RSS) of the `sar-colorize` CLI, run as a child process, against raster size.

Goal (issue): colorizing a 16000 x 16000 Float32 raster peaks under 1 GiB of RSS and within 10 %
of the peak for a 4000 x 4000 raster.

The inputs are synthetic 1-band VV Float32 dB rasters (speckle on a smooth random field), tiled
GeoTIFF, written to a temporary folder and deleted afterwards (16000^2 x 4 bytes = 1.02 GB).
256 megapixels through the full-size model would take hours on 2 CPU cores, so the size sweep
uses a tiny random-weight model (base_channels 4, depth 2, same tile 256 / overlap 64): the
model's activations for one batch are a constant that does not depend on the raster size; what
must not grow with the raster is the pipeline's own memory (strips, blend buffers, GDAL caches,
the writer), which is what the sweep shows. `--real-arch` also runs the bundled architecture
(or the bundled model itself) on the smallest size.

Peak RSS of each child comes from GNU time (/usr/bin/time -f %M, the child's ru_maxrss); where
GNU time is not installed, from the child's own VmHWM (/proc/self/status) as it ends, the CLI run
in-process by a small wrapper. RSS is also sampled from /proc every 0.5 s to show whether it grows
during the run.

Usage: .venv/bin/python benchmarks/memory.py [--sizes 4000,16000] [--real-arch] [--backend onnx]
       [--device cpu|cuda]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import REPO, machine_line, model_file, say, synthetic_sar

MiB = 1024 * 1024
TIME = "/usr/bin/time"  # GNU time: -f %M is the child's peak RSS in KiB
HAVE_TIME = Path(TIME).is_file()
HWM_MARK = "peak RSS (VmHWM, KiB):"
# the CLI as installed; where it is not (a Python without the set-up's venv), the same main() run by
# a wrapper, which also reports the process's own peak when GNU time is missing
_SCRIPT = Path(sys.executable).parent / "sar-colorize"
PRINT_HWM = ("print(" + repr(HWM_MARK) + ", [l.split()[1] for l in open('/proc/self/status') "
             "if l.startswith('VmHWM:')][0])")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() and HAVE_TIME else [sys.executable, "-c", (
    f"import sys; from sar_colorizer.core.cli import main; rc = main(sys.argv[1:]); {PRINT_HWM}; sys.exit(rc)")]


def rss_now(pid: int) -> int:
    """RSS of the process under /usr/bin/time (its only child), from /proc."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        pid = int(kids[0]) if kids else pid
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:
        pass
    return 0


def run_child(cmd: list[str]) -> tuple[float, int, list[int], str]:
    """(seconds, peak RSS bytes, RSS samples, output) of one child process.

    The peak comes from /usr/bin/time (%M: the child's ru_maxrss). Not from os.wait4 on a child
    of this process: Linux carries the parent's RSS high-water mark over fork/vfork + exec into
    the child's ru_maxrss, so a large benchmark process would inflate its children's peaks.
    """
    t = time.perf_counter()
    fd, peak_file = tempfile.mkstemp(prefix="sarc-maxrss-")
    os.close(fd)
    proc = subprocess.Popen(([TIME, "-f", "%M", "-o", peak_file] if HAVE_TIME else []) + cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=REPO)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            samples.append(rss_now(proc.pid))

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = proc.stdout.read()
    proc.wait()
    done.set()
    th.join()
    peak_text = Path(peak_file).read_text().strip().splitlines()
    os.unlink(peak_file)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}\n{peak_text}")
    lines = out.strip().splitlines()
    if not HAVE_TIME:
        peak_text = [ln.split(HWM_MARK)[1] for ln in lines if HWM_MARK in ln]
        if not peak_text:
            raise SystemExit(f"no peak reported by {' '.join(cmd)} (GNU time is not installed):\n{out}")
    out = "\n".join(ln for ln in lines if HWM_MARK not in ln)
    return time.perf_counter() - t, int(peak_text[-1]) * 1024, [s for s in samples if s], out.strip()


def timeline(samples: list[int]) -> str:
    """Max RSS in each quarter of the run, to see growth."""
    if len(samples) < 4:
        return "too short to sample"
    q = len(samples) // 4
    parts = [samples[i * q : (i + 1) * q] if i < 3 else samples[3 * q :] for i in range(4)]
    return " / ".join(f"{max(p) / MiB:.0f}" for p in parts) + " MiB (max RSS per quarter of the run)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4000,16000",
                    help="raster sizes, comma separated: N (N x N) or WxH (default 4000,16000)")
    ap.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    ap.add_argument("--real-arch", action="store_true",
                    help="also run the bundled architecture on the first size")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="tiles per model call (default: the CLI's, 1 on the CPU and 8 on CUDA)")
    ap.add_argument("--layout", choices=("tiled", "striped", "striped-deflate"), default="tiled",
                    help="input GeoTIFF layout: 512 x 512 tiles, or GDAL's default strips (whole rows), "
                         "uncompressed or DEFLATE-compressed")
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the temporary rasters (default: system temp)")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) if "x" in s else (int(s), int(s)) for s in args.sizes.split(",")]
    from sar_colorizer.core.options import batch_size_for

    args.batch_size = batch_size_for(args.device, args.batch_size)

    say(f"machine: {machine_line()}")
    say(f"CLI: {' '.join(CLI[:2])} --backend {args.backend} --device {args.device} --batch-size {args.batch_size} "
        f"(GDAL cache capped at 256 MiB by the CLI); peak from {'GNU time' if HAVE_TIME else 'the CLI process (VmHWM)'}")
    results = []
    with tempfile.TemporaryDirectory(prefix="sarc-mem-", dir=args.tmp) as tmp:
        tmp = Path(tmp)
        tiny, tiny_what = model_file(tmp, base_channels=4, depth=2)
        say(f"size sweep model: {tiny_what}")
        base_cmd = ["--backend", args.backend, "--device", args.device, "--batch-size", str(args.batch_size),
                    "--quiet", "--overwrite"]
        # the ONNX export is cached after the first run; do it before measuring
        warm_in = synthetic_sar(tmp / "warm.tif", 512, 512, bands=("VV",))
        run_child(CLI + [str(warm_in), str(tmp / "warm_rgb.tif"), "--model", str(tiny)] + base_cmd)
        seconds, idle_peak, _, _ = run_child(
            [sys.executable, "-c", "import sar_colorizer.core.cli, sar_colorizer.core.pipeline, onnxruntime"
             + ("" if HAVE_TIME else f"; {PRINT_HWM}")])
        say(f"baseline: importing the CLI, pipeline and onnxruntime alone peaks at {idle_peak / MiB:.0f} MiB")
        seconds, model_peak, _, _ = run_child([sys.executable, "-c", (
            "import numpy as np; from sar_colorizer.core.backends import load_backend; "
            f"b = load_backend({str(tiny)!r}, {args.backend!r}, {args.device!r}); m = b.metadata; "
            f"b.run(np.zeros(({args.batch_size}, m.architecture.in_channels, m.tile.size, m.tile.size), np.float32)); "
            + PRINT_HWM)])
        say(f"baseline: the {args.backend} backend on {args.device} running one batch of the size sweep's model, "
            f"no raster, peaks at {model_peak / MiB:.0f} MiB")

        for w, h in sizes:
            size = f"{w}x{h}"
            src = tmp / f"vv_{size}.tif"
            t = time.perf_counter()
            synthetic_sar(src, w, h, seed=w + h, bands=("VV",), striped=args.layout.startswith("striped"),
                          compressed=args.layout.endswith("deflate"))
            say(f"\ninput {w} x {h} Float32 (1 band VV, dB, {args.layout}), {src.stat().st_size / 1e9:.2f} GB on disk, "
                f"made in {time.perf_counter() - t:.0f} s")
            out = tmp / f"vv_{size}_rgb.tif"
            seconds, peak, samples, text = run_child(CLI + [str(src), str(out), "--model", str(tiny)] + base_cmd)
            say(f"  tiny model: peak RSS {peak / MiB:.0f} MiB, {seconds:.0f} s; {timeline(samples)}")
            say(f"  output {out.stat().st_size / 1e6:.0f} MB; {text.splitlines()[-1]}")
            results.append((size, peak))
            out.unlink()
            if args.real_arch and (w, h) == sizes[0]:
                real, real_what = model_file(tmp)
                run_child(CLI + [str(warm_in), str(tmp / "warm_rgb.tif"), "--model", str(real)] + base_cmd)
                seconds, rpeak, samples, text = run_child(CLI + [str(src), str(out), "--model", str(real)] + base_cmd)
                say(f"  {real_what}: peak RSS {rpeak / MiB:.0f} MiB, {seconds:.0f} s; {timeline(samples)}")
                out.unlink()
            src.unlink()

    say()
    small_size, small = results[0]
    for size, peak in results:
        growth = 100 * (peak / small - 1)
        say(f"{size:>11s}: peak RSS {peak / MiB:6.0f} MiB ({peak / 2**30:.2f} GiB), {growth:+.1f} % vs {small_size}")
    big_size, big = results[-1]
    if big_size != small_size:
        ok_abs, ok_rel = big < 2**30, big <= 1.10 * small
        say(f"GOAL peak < 1 GiB at {big_size}: {'MET' if ok_abs else 'MISSED'}; "
            f"within 10 % of {small_size}: {'MET' if ok_rel else 'MISSED'}")


if __name__ == "__main__":
    main()
