"""How the shipped palette mapping fits the 80 BigEarthNet land places, and refits that include them, each
country left out in turn (measured 2026-12-05; exploratory, nothing shipped from it).

    .venv/bin/python training/recipes/results/palette-refit-and-data-search-2026-12-05/palette_refit_check.py
"""
import collections
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

REPO = Path(__file__).resolve().parents[4]
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO.parent)]  # palette_calibration; sar_colorizer = REPO
import palette_calibration as pc  # noqa: E402
from sar_colorizer.core.world_palette import load_world_palette  # noqa: E402


def fit_hue_kept_gamma(pal: np.ndarray, true: np.ndarray) -> pc.Mapping:
    """pc.fit_hue_kept with one shared gamma: could dark places map darker and bright ones not?"""
    x = pal / 255.0

    def residuals(p):
        return np.log(np.maximum(p[:3] + p[3] * x ** p[4], 1e-4) / true).ravel()

    p = least_squares(residuals, np.array([0.05, 0.05, 0.1, 1.0, 1.0]),
                      bounds=([0, 0, 0, 0, 0.3], [np.inf] * 4 + [4])).x
    return pc.Mapping(np.full(3, p[3]), np.full(3, p[4]), p[:3].copy())


def rms(log_std: np.ndarray) -> float:
    return float(np.sqrt(np.mean(log_std ** 2)))


palette = load_world_palette(require_mapping=False)
m = json.loads((REPO / "training/recipes/palette_calibration.json").read_text())["palette_to_convention"]
shipped = pc.Mapping(np.array(m["gain"]), np.ones(3), np.array(m["offset"]))

places, _ = pc.bigearthnet_places(REPO / "data" / "bigearthnet", palette)
ben = [p for p in places if not p.extra["sea"]]
month = {p.name: int(p.name.split("_")[-1][4:6]) for p in ben}
log_err = {p.name: np.log(p.mean / shipped(p.palette)) for p in ben}

print("n", len(ben))
print("the shipped mapping's log(true / mapped palette): mean and std per month, then per country")
for key, label in ((lambda p: month[p.name], "month"), (lambda p: p.extra["country"], "country")):
    groups = collections.defaultdict(list)
    for p in ben:
        groups[key(p)].append(p)
    for k in sorted(groups):
        a = np.array([log_err[p.name] for p in groups[k]])
        print(f"{label} {k}", len(a), sorted({month[p.name] for p in groups[k]}), a.mean(0).round(2), a.std(0).round(2))
a = np.array(list(log_err.values()))
print("all", a.mean(0).round(2), a.std(0).round(2))

pairs, _ = pc.collect()
keys, pal4, true4 = pc.place_means([p for p in pairs if p.kind == "reflectance" and not p.snow])
print("reflectance places", keys)
countries = sorted({p.extra["country"] for p in ben})
deserts = pc.desert_means()
arid = np.array([d.mean for d in deserts]).mean(axis=0)
print("arid mean", arid.round(3))

for label, form in (("shipped", None), ("hue-kept refit", pc.fit_hue_kept), ("hue-kept + gamma refit", fit_hue_kept_gamma)):
    all_true, all_pred = [], []
    print(label)
    for c in countries:
        train = [p for p in ben if p.extra["country"] != c]
        test = [p for p in ben if p.extra["country"] == c]
        mapping = shipped if form is None else form(np.vstack([pal4, [p.palette for p in train]]),
                                                    np.vstack([true4, [p.mean for p in train]]))
        true, pred = np.array([p.mean for p in test]), mapping(np.array([p.palette for p in test]))
        e = pc.errors(true, pred)
        print(f"  {c:12s} n={len(test):2d} log rms {rms(e['log_std']):.3f} mae {e['mae_levels'].mean():5.1f}"
              + ("" if form is None else f"  gain {mapping.gain[0]:.3f} offset {mapping.offset.round(3)}"))
        all_true.append(true)
        all_pred.append(pred)
    print(f"  pooled over the countries left out: log rms {rms(pc.errors(np.vstack(all_true), np.vstack(all_pred))['log_std']):.3f}")
    if form is None:
        mapping, four = shipped, [rms(pc.errors(true4[i:i + 1], shipped(pal4[i:i + 1]))["log_std"]) for i in range(4)]
        print("  the 4 reflectance places (in its fit)", np.round(four, 3))
    else:
        four = []
        for i in range(4):
            fit = form(np.vstack([np.delete(pal4, i, 0), [p.palette for p in ben]]),
                       np.vstack([np.delete(true4, i, 0), [p.mean for p in ben]]))
            four.append(rms(pc.errors(true4[i:i + 1], fit(pal4[i:i + 1]))["log_std"]))
        print("  each reflectance place left out", np.round(four, 3))
        mapping = form(np.vstack([pal4, [p.palette for p in ben]]), np.vstack([true4, [p.mean for p in ben]]))
        print("  fitted on all places:", mapping.as_json())
    _, desert_err = pc.desert_check(palette, mapping, arid)
    print("  nine named deserts against the desert set's colour, log error R G B", desert_err.round(3))
