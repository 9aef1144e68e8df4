"""`sar-colorize-demo`: colorize a Sentinel-1 scene with the bundled model and show it beside the SAR.

With no argument it colorizes the sample scene shipped in samples/ (Sentinel-1 VH over the Port of
Los Angeles, with the Sentinel-2 image of the same place shown beside for comparison); give your
own Sentinel-1 GeoTIFF(s) to colorize those instead. Writes the colorized GeoTIFF(s) and a picture,
one row per scene (SAR | colorized with the world palette | colorized from the radar alone | optical
when there is one), into demo-output/.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .errors import SarColorizerError, one_line

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"  # package data: present in a clone, an installed package and the plugin zip
PANEL = 384  # height of each picture panel, in pixels
GAP = 8  # white space between panels and rows, in pixels


@dataclass(frozen=True)
class DemoScene:
    sar: Path
    optical: Optional[Path] = None  # a real optical image of the same place, shown for comparison


@dataclass(frozen=True)
class Rendering:
    """One way of colorizing each scene: a panel of the picture and a GeoTIFF. A second rendering
    (the same scene with other options, e.g. another colour prior) is one more entry in RENDERINGS."""
    label: str
    suffix: str  # output file: <scene>_<suffix>.tif
    changes: dict[str, Any] = dataclasses.field(default_factory=dict)  # ColorizeOptions fields


# the default (the world palette's colours of the place) and the radar alone (no colour prior)
RENDERINGS = (Rendering("colorized (world palette)", "rgb", {"palette": "auto"}),
              Rendering("colorized, no colour prior", "rgb_no_prior", {"palette": "none"}))


def bundled_sample() -> DemoScene:
    """The sample scene shipped with the code (samples/README.md says what it is and its licence)."""
    return DemoScene(SAMPLES / "los-angeles-harbour_s1a_vh_20201107.tif",
                     SAMPLES / "los-angeles-harbour_s2a_rgb_20201104.tif")


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


def read_rgb(path: Path) -> np.ndarray:
    """Bands 1-3 of an 8-bit RGB raster as a height x width x 3 array."""
    from osgeo import gdal

    ds = gdal.Open(str(path))
    return np.moveaxis(ds.ReadAsArray(band_list=[1, 2, 3]), 0, -1)


def resize_nearest(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    width = max(1, round(w * height / h))
    rows = (np.arange(height) * h / height).astype(int)
    cols = (np.arange(width) * w / width).astype(int)
    return img[rows][:, cols]


def picture_row(panels: list[np.ndarray]) -> np.ndarray:
    """Panels (H x W x 3, any size) scaled to PANEL px high, side by side with white gaps."""
    cells = []
    for panel in panels:
        cells += [resize_nearest(panel, PANEL), np.full((PANEL, GAP, 3), 255, np.uint8)]
    return np.concatenate(cells[:-1], axis=1)


def write_picture(rows: list[np.ndarray], png: Path) -> Path:
    """Rows stacked top to bottom (left-aligned, white around), written as PNG with GDAL."""
    from osgeo import gdal

    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, GAP), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    picture = np.concatenate(padded, axis=0)[:-GAP]
    mem = gdal.GetDriverByName("MEM").Create("", picture.shape[1], picture.shape[0], 3, gdal.GDT_Byte)
    for i in range(3):
        mem.GetRasterBand(i + 1).WriteArray(picture[..., i])
    png.parent.mkdir(parents=True, exist_ok=True)
    gdal.GetDriverByName("PNG").CreateCopy(str(png), mem)
    Path(str(png) + ".aux.xml").unlink(missing_ok=True)
    return png


def run_scene(scene: DemoScene, out_dir: Path, base: Any) -> np.ndarray:
    """Colorize one scene in every rendering; its picture row: SAR | renderings | optical."""
    from .pipeline import colorize

    panels, band = [], 1
    for rendering in RENDERINGS:
        out = out_dir / f"{scene.sar.stem}_{rendering.suffix}.tif"
        result = colorize(scene.sar, out, dataclasses.replace(base, **rendering.changes))
        for warning in result.warnings:
            print(f"sar-colorize-demo: warning: {warning}", file=sys.stderr)
        print(f"{rendering.label}: {result.summary()}")
        band = min(result.bands_used.values())
        panels.append(read_rgb(out))
    grey = display_grey(scene.sar, band)
    panels.insert(0, np.repeat(grey[..., None], 3, axis=-1))
    if scene.optical is not None:
        panels.append(read_rgb(scene.optical))
    return picture_row(panels)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .options import ColorizeOptions

    p = argparse.ArgumentParser(prog="sar-colorize-demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenes", nargs="*", type=Path,
                   help="Sentinel-1 GeoTIFF(s); default: the sample scene in samples/")
    p.add_argument("--out-dir", type=Path, default=Path("demo-output"))
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    args = p.parse_args(argv)
    scenes = [DemoScene(s) for s in args.scenes] or [bundled_sample()]
    missing = [s.sar for s in scenes if not s.sar.is_file()]
    if missing:
        print(f"sar-colorize-demo: error: no such file: {missing[0]}", file=sys.stderr)
        return 2
    if not args.scenes:
        print(f"sample scene: {scenes[0].sar} (see {SAMPLES / 'README.md'})")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    base = ColorizeOptions(model_path=args.model, overwrite=True)
    try:
        rows = [run_scene(scene, args.out_dir, base) for scene in scenes]
    except SarColorizerError as exc:
        print(f"sar-colorize-demo: error: {one_line(exc)}", file=sys.stderr)
        return 1
    png = write_picture(rows, args.out_dir / "before_after.png")
    columns = ["SAR"] + [r.label for r in RENDERINGS] + (["optical"] if any(s.optical for s in scenes) else [])
    print(f"picture ({' | '.join(columns)}): {png.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
