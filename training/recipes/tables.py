"""Markdown tables for MODEL.md from the JSON files written by ``sar-colorizer-eval --json``.

    python training/recipes/tables.py runs/eval-india-scene3.json [more.json ...]
"""
from __future__ import annotations

import json
import sys


def table(path: str) -> str:
    d = json.load(open(path))
    lines = [f"`{path}` ({len(d['pairs'])} pairs" + (f", band {d['drop_band']} hidden" if d.get("drop_band") else "")
             + ")", "", "| method | optical shift | data set | PSNR dB | SSIM | MAE | colour err |", "|---|---|---|---|---|---|---|"]
    for method, by_shift in d["results"].items():
        for shift, by_ds in by_shift.items():
            for ds, m in by_ds.items():
                lines.append(f"| {method} | {shift.split('_')[1]} | {ds} | {m['psnr']:.2f} | {m['ssim']:.4f} | "
                             f"{m['mae']:.4f} | {m['colour_error']:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print("\n\n".join(table(p) for p in sys.argv[1:]))
