"""`sar-colorize-demo`: colorize sample Sentinel-1 scenes with the bundled model and show them.

With no argument it uses the real scenes of the development workspace (../shared/data/scenes);
give your own Sentinel-1 GeoTIFF(s) to colorize those instead. Writes the colorized GeoTIFFs and a
before/after picture (SAR | colorized) into demo-output/.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import SarColorizerError, one_line

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SCENES = (REPO / ".." / "shared" / "data" / "scenes").resolve()
PANEL = 256  # height of each picture row, in pixels


def sample_scenes() -> list[Path]:
    return sorted(p for p in SAMPLE_SCENES.rglob("*.tif")) if SAMPLE_SCENES.is_dir() else []


def display_grey(path: Path, band: int) -> np.ndarray:
    """The SAR band as an 8-bit grey picture (2-98 % stretch in dB), for the 'before' panel."""
    from osgeo import gdal

    from . import sar

    ds = gdal.Open(str(path))
    a = ds.GetRasterBand(band).ReadAsArray().astype(np.float32)
    nd = ds.GetRasterBand(band).GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    units = sar.detect_units(a[np.isfinite(a)], a.dtype)
    a = sar.to_model_units(a, units)
    lo, hi = np.nanpercentile(a, [2, 98])
    return np.nan_to_num(np.clip((a - lo) / max(hi - lo, 1e-6) * 255, 0, 255)).astype(np.uint8)


def resize_nearest(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    width = max(1, round(w * height / h))
    rows = (np.arange(height) * h / height).astype(int)
    cols = (np.arange(width) * w / width).astype(int)
    return img[rows][:, cols]


def before_after_picture(pairs: list[tuple[Path, Path, int]], png: Path) -> Path:
    """SAR grey | colorized RGB for each scene, two scenes a row, written as PNG with GDAL."""
    from osgeo import gdal

    rows = []
    for src, rgb_path, band in pairs:
        grey = display_grey(src, band)
        ds = gdal.Open(str(rgb_path))
        rgb = np.moveaxis(ds.ReadAsArray(), 0, -1)
        left = resize_nearest(np.repeat(grey[..., None], 3, axis=-1), PANEL)
        right = resize_nearest(rgb, PANEL)
        gap = np.full((PANEL, 8, 3), 255, np.uint8)
        rows.append(np.concatenate([left, gap, right], axis=1))
    width = max(r.shape[1] for r in rows)
    cells = [np.pad(r, ((0, 8), (0, width - r.shape[1] + 16), (0, 0)), constant_values=255) for r in rows]
    if len(cells) % 2:
        cells.append(np.full_like(cells[0], 255))
    picture = np.concatenate([np.concatenate(cells[i:i + 2], axis=1) for i in range(0, len(cells), 2)], axis=0)
    mem = gdal.GetDriverByName("MEM").Create("", picture.shape[1], picture.shape[0], 3, gdal.GDT_Byte)
    for i in range(3):
        mem.GetRasterBand(i + 1).WriteArray(picture[..., i])
    png.parent.mkdir(parents=True, exist_ok=True)
    gdal.GetDriverByName("PNG").CreateCopy(str(png), mem)
    Path(str(png) + ".aux.xml").unlink(missing_ok=True)
    return png


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .options import ColorizeOptions
    from .pipeline import colorize

    p = argparse.ArgumentParser(prog="sar-colorize-demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenes", nargs="*", type=Path, help="Sentinel-1 GeoTIFF(s); default: the sample scenes")
    p.add_argument("--out-dir", type=Path, default=Path("demo-output"))
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    args = p.parse_args(argv)
    scenes = args.scenes or sample_scenes()
    if not scenes:
        print(f"sar-colorize-demo: no sample scenes at {SAMPLE_SCENES}; give your own Sentinel-1 GeoTIFF: "
              "sar-colorize-demo /path/to/S1_VV_dB.tif", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pairs = []
    for src in scenes:
        out = args.out_dir / f"{src.stem}_rgb.tif"
        try:
            r = colorize(src, out, ColorizeOptions(model_path=args.model, overwrite=True))
        except SarColorizerError as exc:
            print(f"sar-colorize-demo: error: {one_line(exc)}", file=sys.stderr)
            return 1
        print(r.summary())
        pairs.append((src, out, min(r.bands_used.values())))
    png = before_after_picture(pairs, args.out_dir / "before_after.png")
    print(f"before/after picture (SAR | colorized): {png.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
