"""The colour of the sea in Sentinel-2, in the model's colour convention, measured on the BigEarthNet pairs.

    .venv/bin/python benchmarks/sea_colour.py [data/bigearthnet]

Why: the world palette's sea is painted, not observed (shelf seas bright blue), and mapped like land it
comes out about 17 times too bright in blue (benchmarks/palette_on_bigearthnet.py).
scripts/build_world_palette.py --sea-colour gives the sea one measured colour instead; this measures it.
Water pixels are those with VV below -18 dB (calm open water; land and rough sea are brighter) in the
patches whose labels say sea, where at least a fifth of the patch is such water. A patch's colour is the
median Sentinel-2 B4, B3, B2 over its water pixels (L2A reflectance x 10000 -> v / 3000 x 255, the
convention's 8-bit levels); the printed sea colour is the median over patches.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from palette_calibration import SEA_LABELS, bigearthnet_root  # noqa: E402

from sar_colorizer.training.datasets import read_raster  # noqa: E402

WATER_DB = -18.0  # VV below this: calm open water
MIN_WATER_SHARE = 0.2  # a patch must be at least this much water to count


def water_colour(s1: Path, s2: Path) -> tuple[float, np.ndarray]:
    """(share of water pixels, median B4, B3, B2 over them in convention levels 0..255)."""
    sar, _, _ = read_raster(s1)
    optical, _, _ = read_raster(s2)
    water = sar[0] < WATER_DB
    share = float(water.mean())
    if not water.any():
        return share, np.full(3, np.nan)
    return share, np.median(optical[:3, water].astype(np.float64), axis=1) / 3000.0 * 255.0


def main(argv=None) -> int:
    root = bigearthnet_root(sys.argv[1:] if argv is None else argv)
    if root is None:
        return 1
    with open(root / "index.csv") as f:
        rows = [r for r in csv.DictReader(f) if any(k in r["labels"] for k in SEA_LABELS)]
    colours = []
    print(f"{len(rows)} patches labelled sea; water = VV < {WATER_DB} dB; counted where >= {MIN_WATER_SHARE:.0%} water")
    for r in rows:
        share, colour = water_colour(root / "s1" / f"{r['name']}.tif", root / "s2" / f"{r['name']}.tif")
        counted = share >= MIN_WATER_SHARE
        if counted:
            colours.append(colour)
        print(f"  {r['name']:34s} {r['season']:6s} water {share:4.2f}  "
              + (f"R, G, B {np.round(colour, 1)}" if counted else "not counted"))
    if not colours:
        print("no patch with enough water")
        return 1
    c = np.array(colours)
    q25, med, q75 = np.percentile(c, [25, 50, 75], axis=0)
    print(f"sea colour over {len(c)} patches (convention levels R, G, B): median {np.round(med, 1)}; "
          f"quartiles {np.round(q25, 1)} .. {np.round(q75, 1)}")
    print(f"--sea-colour {med[0]:.1f},{med[1]:.1f},{med[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
