"""`sar-colorize`: colorize one scene, or a batch of scenes into a folder, without QGIS."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from .errors import SarColorizerError, one_line
from .names import dataset_label, output_stem
from .options import BACKENDS, DEVICES, ColorizeOptions
from .sar import UNITS

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def parse_bands(text: str) -> dict[str, int]:
    """'VV=1,VH=2' -> {'VV': 1, 'VH': 2}."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        role, sep, number = part.partition("=")
        role = role.strip().upper()
        if not sep or role not in ("VV", "VH") or not number.strip().isdigit() or int(number) < 1:
            raise argparse.ArgumentTypeError(f"bad band spec {part!r}: use e.g. VV=1 or VV=1,VH=2")
        out[role] = int(number)
    if not out:
        raise argparse.ArgumentTypeError("empty band spec: use e.g. VV=1 or VV=1,VH=2")
    return out


def parse_extent(text: str) -> tuple[float, float, float, float]:
    """'xmin,ymin,xmax,ymax' -> floats."""
    try:
        xmin, ymin, xmax, ymax = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad extent {text!r}: use XMIN,YMIN,XMAX,YMAX, e.g. 4.6,43.4,4.8,43.6")
    return xmin, ymin, xmax, ymax


def parse_reference_bands(text: str) -> tuple[int, int, int]:
    try:
        bands = tuple(int(v) for v in text.split(","))
    except ValueError:
        bands = ()
    if len(bands) != 3 or min(bands) < 1:
        raise argparse.ArgumentTypeError(f"give three band numbers R,G,B, e.g. 3,2,1 (got {text!r})")
    return bands  # type: ignore[return-value]


def extent_joined(argv: list[str]) -> list[str]:
    """`--extent -120.5,35,-119,36` as `--extent=-120.5,35,-119,36`: argparse takes a value that starts
    with a minus (west of Greenwich, south of the equator) for an option of its own."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--extent" and arg.startswith("-"):
            out[-1] = f"--extent={arg}"
        else:
            out.append(arg)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sar-colorize",
        description="Colorize Sentinel-1 SAR backscatter (VV, optionally VH; dB, linear, GRD amplitudes or "
                    "8/16-bit) into a Sentinel-2-like true-colour RGB GeoTIFF aligned with the input.",
        epilog="examples:\n  sar-colorize scene_vv.tif scene_rgb.tif\n"
               "  sar-colorize a.tif b.tif c.tif --out-dir colorized/\n"
               "  sar-colorize dualpol.tif out.tif --bands VV=1,VH=2 --backend onnx\n"
               "  sar-colorize S1A_..._VV.tif out.tif --vh S1A_..._VH.tif",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="INPUT OUTPUT, or with --out-dir: one or more inputs (files, or GDAL dataset "
                        "names such as /vsizip/scene.zip/scene.tif or GPKG:file.gpkg:table)")
    p.add_argument("--out-dir", type=Path, help="batch mode: write INPUT_NAME_rgb.tif for each input here")
    p.add_argument("--model", type=Path, help="model file (.safetensors or .onnx); default: the bundled model")
    p.add_argument("--bands", type=parse_bands, help="which input band is VV / VH, e.g. VV=1,VH=2 (default: detect)")
    p.add_argument("--vh", metavar="VH_INPUT",
                   help="VH from this file, VV from INPUT (polarisations kept in two files, as ASF's RTC "
                        "products); both on one pixel grid. --bands then numbers the band in each file (default 1)")
    p.add_argument("--extent", type=parse_extent, metavar="XMIN,YMIN,XMAX,YMAX",
                   help="colorize only this part, in the input's CRS (longitude/latitude for a GRD product in "
                        "radar geometry); default: all of it")
    p.add_argument("--palette", default="auto", metavar="auto|world|none|REFERENCE",
                   help="where the colours of the place come from: world = the built-in world palette (NASA Blue "
                        "Marble, sampled at the scene's place); REFERENCE = your own optical raster covering the "
                        "scene (Sentinel-2 true colour or reflectance of another date, a basemap export; any CRS; "
                        "the bundled model keeps its colours above ~640 m and draws the finer detail from the radar); "
                        "none = guessed from the radar alone; auto (default) = the world palette where the scene "
                        "is georeferenced, else none")
    p.add_argument("--reference-bands", type=parse_reference_bands, metavar="R,G,B",
                   help="the colour reference's red, green and blue band numbers (default: detect)")
    p.add_argument("--units", choices=UNITS, default="auto",
                   help="input scaling (default: detect: dB, linear power, amplitude for ESA GRD files, "
                        "dn for other integers)")
    p.add_argument("--allow-optical-input", action="store_true",
                   help="colorize even an input that looks like an optical image (Red/Green/Blue 8-bit bands, "
                        "Sentinel-2 band names) or is an output of SAR Colorizer; refused by default")
    p.add_argument("--tile-size", type=int, help="tile size in pixels (default: the model's)")
    p.add_argument("--overlap", type=int, help="tile overlap in pixels (default: the model's)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto (default): ONNX Runtime, which is all colorizing needs, or torch on a CUDA GPU "
                        "where PyTorch (optional: a training dependency) is installed")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--batch-size", type=int, help="tiles per model call (default: 1 on CPU, 8 on CUDA)")
    p.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    replace = p.add_mutually_exclusive_group()
    replace.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    replace.add_argument("--skip-existing", action="store_true",
                         help="leave existing outputs as they are and go on (to finish an interrupted batch)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return p


def jobs_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[tuple[str, Path]]:
    """(input, output) pairs. Inputs stay strings: GDAL dataset names are not all paths."""
    if args.out_dir is None:
        if len(args.paths) != 2:
            parser.error("give INPUT OUTPUT, or inputs with --out-dir DIR")
        return [(args.paths[0], Path(args.paths[1]))]
    if args.vh is not None:
        parser.error("--vh pairs one VH file with one input: give INPUT OUTPUT --vh VH_INPUT, without --out-dir")
    jobs = [(name, args.out_dir / f"{output_stem(name)}_rgb.tif") for name in args.paths]
    first_for: dict[Path, str] = {}
    for name, out in jobs:  # with --overwrite the second would replace the first's output
        if out in first_for:
            parser.error(f"{first_for[out]} and {name} would both be written to {out}: "
                         "colorize them into different folders")
        first_for[out] = name
    args.out_dir.mkdir(parents=True, exist_ok=True)
    return jobs


M_MMAP_THRESHOLD = -3  # glibc malloc.h


def keep_large_buffers_returnable() -> None:
    """glibc: allocations from 128 KiB up always get their own mapping, given back when freed.

    By default glibc raises that threshold each time such a buffer is freed, after which tile-
    sized buffers come from the heap, which fragments and keeps growing over a long run
    (benchmarks/memory.py: 11 MB more peak RSS at 16000 x 2048). Only for this command's own
    process: QGIS's allocator is left alone.
    """
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    from osgeo import gdal

    parser = build_parser()
    args = parser.parse_args(extent_joined(sys.argv[1:] if argv is None else list(argv)))
    jobs = jobs_from_args(args, parser)
    gdal.SetCacheMax(min(gdal.GetCacheMax(), 256 * 1024 * 1024))  # memory must not scale with the raster
    keep_large_buffers_returnable()
    options = ColorizeOptions(
        model_path=args.model, bands=args.bands, units=args.units, tile_size=args.tile_size,
        overlap=args.overlap, backend=args.backend, device=args.device,
        batch_size=args.batch_size, overwrite=args.overwrite, threads=args.threads, extent=args.extent,
        allow_optical_input=args.allow_optical_input, palette=args.palette,
        reference_bands=args.reference_bands)
    failures = skipped = 0
    for src, dst in jobs:
        if args.skip_existing and dst.exists():
            skipped += 1
            print(f"{dst}: exists, skipped")
            continue
        try:
            result = _run_one(src, dst, options, quiet=args.quiet, vh=args.vh)
        except SarColorizerError as exc:
            failures += 1
            print(f"sar-colorize: error: {one_line(exc)}", file=sys.stderr)
            continue
        except KeyboardInterrupt:
            print(f"sar-colorize: interrupted: {dst} was not written", file=sys.stderr)
            return EXIT_INTERRUPTED
        for w in result.warnings:
            print(f"sar-colorize: warning: {w}", file=sys.stderr)
        print(result.summary())
    if len(jobs) > 1:
        print(f"{len(jobs) - failures - skipped} of {len(jobs)} scenes colorized"
              + (f", {skipped} skipped (output exists)" if skipped else ""))
    return EXIT_ERROR if failures else 0


def _run_one(src: str, dst: Path, options: ColorizeOptions, quiet: bool, vh: Optional[str] = None):
    from .pipeline import colorize

    with progress_bar(dataset_label(src), quiet) as bar:
        def progress(fraction: float) -> None:
            bar.n = round(100 * fraction, 1)
            bar.refresh()

        def log(message: str) -> None:
            if message.startswith("warning:"):
                return  # printed once at the end
            if not quiet:
                bar.write(message)

        return colorize(src, dst, options, progress=progress, log=log, vh_path=vh)


class _NoBar:
    """What the CLI uses of a tqdm bar, without tqdm (a training dependency, not a runtime one):
    no bar, the messages printed as they come."""

    n = 0.0

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def refresh(self) -> None:
        pass

    @staticmethod
    def write(message: str) -> None:
        print(message, file=sys.stderr)


def progress_bar(label: str, quiet: bool):
    """tqdm's bar when tqdm is installed (and not quiet), else none."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=100, desc=label, unit="%", disable=True if quiet else None, leave=False,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")


if __name__ == "__main__":
    sys.exit(main())
