"""How far runs of one recipe spread (issue 11): (c)'s figures that the shipping rules compare, per run.

A rule that asks a new model to be "not worse than the shipped one" must know how much a run of the same
recipe moves with nothing but its seed; this prints, for each results folder named, (c) (the model with
the world palette) on the mean of the three validation sets that can be placed and in the temperate place
left out of training, then their mean, sample standard deviation and mean minus two of them (the floor
that results/long-seed4-2026-12-04/README.md wrote before its run). Beside them (e=) - (c) in SSIM on the
pairs with another date, whose sign decides rule 3 (n/a: evaluated before (e=) existed).

    python3 training/recipes/seed_spread.py colour-error-2026-12-04 seed2-2026-12-04 ...   # folder names
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Optional

RESULTS = Path(__file__).resolve().parent / "results"
PLACED_SETS = ("bigearthnet", "la-texas-vh", "temperate-pairs")
C = "c_new_world_palette"


def run_figures(folder: Path, name: str = "recolour-residual") -> dict[str, Optional[float]]:
    validation = json.loads((folder / f"eval-{name}-validation.json").read_text())
    unseen = json.loads((folder / f"eval-{name}-loso-temperate.json").read_text())
    c = validation["results"][C]
    figures = {
        "validation PSNR": statistics.fmean(c[s]["psnr"] for s in PLACED_SETS),
        "validation SSIM": statistics.fmean(c[s]["ssim"] for s in PLACED_SETS),
        "unseen PSNR": unseen["results"][C]["temperate-pairs"]["psnr"],
        "unseen SSIM": unseen["results"][C]["temperate-pairs"]["ssim"],
    }
    for label, doc in (("val", validation), ("unseen", unseen)):
        # evaluations from before (e=) existed have none (results/nearest-dates-2026-12-04 re-scored those)
        both = doc.get("c_vs_e_nearest_dates_on_common_pairs")
        figures[f"{label} (e=)-(c) SSIM"] = both["e_nearest_dates"]["ssim"] - both[C]["ssim"] if both else None
    return figures


def cell(value: Optional[float]) -> str:
    return f"{value:22.4f}" if value is not None else "n/a".rjust(22)


def over_runs(stat, values: list[Optional[float]]) -> Optional[float]:
    known = [v for v in values if v is not None]
    return stat(known) if len(known) >= 2 else None


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1])
        return 2
    rows = {name: run_figures(RESULTS / name) for name in argv}
    keys = list(next(iter(rows.values())))
    print("run".ljust(28) + "".join(k.rjust(22) for k in keys))
    for name, figures in rows.items():
        print(name.ljust(28) + "".join(cell(figures[k]) for k in keys))
    for label, stat in (("mean", statistics.fmean), ("sample sd", statistics.stdev),
                        ("mean - 2 sd", lambda xs: statistics.fmean(xs) - 2 * statistics.stdev(xs))):
        print(label.ljust(28) + "".join(cell(over_runs(stat, [r[k] for r in rows.values()])) for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
