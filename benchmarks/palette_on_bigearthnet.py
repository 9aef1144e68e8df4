"""How far the world palette's mapped colour is from real Sentinel-2 at 107 European places it was not fitted on.

    .venv/bin/python benchmarks/palette_on_bigearthnet.py [data/bigearthnet]

The palette -> colour convention mapping (training/recipes/palette_calibration.json) was fitted on four
reflectance places (benchmarks/palette_calibration.py), and its measured error (the std of log(true /
mapped) per channel) is the size of the random colour error that training gives a tile's own optical
when it stands in for the palette. The BigEarthNet pairs (training/recipes/bigearthnet_pairs.py) are
107 georeferenced L2A places in eight countries, none of them in that fit: this scores the mapping on
them, as palette_calibration.py scores it (mean colour of the valid, not bright-white pixels against the
palette's values averaged over the pair's footprint), per country and over all places, beside a mapping
of the same form refitted on the BigEarthNet places with each country left out in turn (what a refit
on many places would gain where it has not looked).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from palette_calibration import FORMS, Mapping, bigearthnet_places, bigearthnet_root, errors  # noqa: E402

from sar_colorizer.core.world_palette import load_world_palette  # noqa: E402
from sar_colorizer.training.colour import calibration  # noqa: E402


def shipped_mapping() -> tuple[Mapping, str]:
    m = calibration()["palette_to_convention"]
    return Mapping(np.array(m["gain"]), np.array(m["gamma"]), np.array(m["offset"])), m["form"]


def main(argv=None) -> int:
    root = bigearthnet_root(sys.argv[1:] if argv is None else argv)
    if root is None:
        return 1
    places, skipped = bigearthnet_places(root, load_world_palette(require_mapping=False))
    names = [p.name for p in places]
    pal = np.array([p.palette for p in places], dtype=np.float64)
    true = np.array([p.mean for p in places])
    countries = np.array([p.extra["country"] for p in places])
    sea = np.array([p.extra["sea"] for p in places])
    mapping, form = shipped_mapping()
    print(f"{len(names)} places scored ({len(skipped)} skipped: {', '.join(skipped) or 'none'})")
    print(f"shipped mapping ({form}): " + ", ".join(f"{k} {v}" for k, v in mapping.as_json().items()))
    print("per channel R, G, B: log std = sqrt(mean(log(true / mapped) ** 2)); bias = mean log ratio; "
          "MAE in 8-bit levels of the convention")

    def line(label: str, sel: np.ndarray, pred: np.ndarray) -> None:
        e = errors(true[sel], pred[sel])
        print(f"  {label:22s} n={int(sel.sum()):3d}  log std {np.round(e['log_std'], 2)}  bias "
              f"{np.round(e['log_bias'], 2)}  MAE {np.round(e['mae_levels'], 1)}")

    everything = np.ones(len(names), bool)
    shipped = mapping(pal)
    print("the shipped mapping:")
    line("all places", everything, shipped)
    line("labelled sea", sea, shipped)
    line("no sea label", ~sea, shipped)
    for c in sorted(set(countries)):
        line(c, countries == c, shipped)
    named = re.search(r"\((\S+): ", form)
    fit = FORMS.get(named.group(1)) if named else None
    if fit is None:
        print(f"(no refit: form {form!r} is not one of {sorted(FORMS)})")
        return 0
    refit = np.empty_like(shipped)
    for c in sorted(set(countries)):
        m = fit(pal[countries != c], true[countries != c])
        refit[countries == c] = m(pal[countries == c])
    print(f"refitted ({named.group(1)}) on the BigEarthNet places of the other countries:")
    line("all places", everything, refit)
    line("no sea label", ~sea, refit)
    print(f"the log std the shipped calibration measured on its four places (training's colour error): "
          f"{calibration().get('colour_error_log_std')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
