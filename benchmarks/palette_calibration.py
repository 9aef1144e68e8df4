"""How the world palette's colour at a place compares with real Sentinel-2 scenes there.

    .venv/bin/python benchmarks/palette_calibration.py [--write training/recipes/palette_calibration.json]

On every pair of ../shared/data/train whose place is known (georeferenced: LA/Texas, SEN12MS-CR;
named by its source: Finland, Delhi) it compares the palette's 8-bit values averaged over the
pair's footprint with the pair's true mean colour, and measures:

1. the palette -> colour convention mapping, convention = gain * (value / 255) ** gamma per
   channel, fitted on the reflectance pairs (UInt16 x 10000: v / 10000 / 0.3) as a least-squares
   line in log space with one weight per place (a place seen in several months counts once);
   leave-one-place-out gives the error it makes on a place it was not fitted on;
2. the size of the remaining colour error: the std of log(true / predicted) per channel, and the
   mean absolute error in 8-bit levels of the convention, which training uses as the random
   colour error of a tile's own reduced optical standing in for the palette;
3. each 8-bit data set's gain (convention = value / 255 * gain): the one gain that maps the set's
   mean colours onto the palette-predicted colour at its places (geometric mean of the ratios over
   places and channels), next to the Sentinel-2 TCI definition (L1C: 255 = reflectance 0.3558,
   L2A: 255 = 0.2; ESA, Sentinel-2 MSI user guide, "Definitions").

Pixels that are nodata (all bands 0) or bright white (every band above reflectance 0.3: cloud,
snow) do not count in a pair's mean.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
from osgeo import gdal

gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")  # never write .aux.xml next to the shared data

from sar_colorizer.core.world_palette import load_world_palette, lonlat_of_pixels  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data" / "train").resolve()
JSON_OUT = REPO / "training" / "recipes" / "palette_calibration.json"
FULL_SCALE = 0.3
TCI_L1C_SATURATION = 0.3558  # reflectance at 255 in an L1C TCI
TCI_L2A_SATURATION = 0.2

# Pairs without georeferencing whose source names the place: (lon, lat, half-size in degrees of the
# box averaged over, note). The box is the uncertainty of the place, not the pair's footprint.
PLACES = {
    "india-scenes/scene-1*": dict(lon=77.2, lat=28.6, box=0.1,
                                  note="Delhi (river Yamuna, airport), named by the source; about 28.6 N, 77.2 E"),
    "temperate-pairs/finland_*": dict(lon=26.0, lat=62.0, box=1.5,
                                      note="Finland (BioMassters chips; the source gives no coordinates): "
                                           "assumed central Finland, 62.0 N 26.0 E, palette averaged over "
                                           "+-1.5 degrees"),
}
UNKNOWN = {
    "desert-patches/*": "SentinelDataDownloaderTool dataset_sample: 'zone_9' is a renamed random point of "
                        "its generator; the sample names no coordinates: place unknown, not used",
    "india-scenes/scene-2*": "hills with reservoirs, India: place not named by the source, not used",
    "india-scenes/scene-3*": "a city on a river with farmland, India: place not named by the source, not used",
}
SNOW_MONTHS = {"temperate-pairs/finland_0060c0a5_month04", "temperate-pairs/finland_0060c0a5_month05",
               "temperate-pairs/finland_0060c0a5_month06"}  # BioMassters month 0 = September: Jan-Mar


@dataclass
class Pair:
    name: str
    dataset: str
    kind: str                    # "reflectance" or "8-bit"
    level: str                   # "L1C", "L2A", "8-bit L1C true colour", "8-bit true colour JPEG"
    place: str                   # "georeferenced" or the assumed place's note
    place_key: str               # pairs of one place share it (one weight per place)
    mean: np.ndarray             # (3,) true mean: convention for reflectance, value / 255 for 8-bit
    palette: np.ndarray          # (3,) palette values 0..255 averaged over the footprint
    lonlat: tuple[float, float]  # the footprint's centre
    snow: bool = False
    extra: dict = field(default_factory=dict)


def optical_mean(path: Path) -> tuple[np.ndarray, str, float]:
    """Mean colour of an optical file's valid pixels, its kind, and the valid fraction."""
    ds = gdal.Open(str(path))
    arr = ds.ReadAsArray()[:3].astype(np.float64)
    dtype = gdal.GetDataTypeName(ds.GetRasterBand(1).DataType)
    del ds
    nodata = (arr == 0).all(axis=0)
    if dtype == "Byte":
        kind, scaled = "8-bit", arr / 255.0
        white = (arr >= 250).all(axis=0)
    else:
        kind, scaled = "reflectance", arr / 10000.0 / FULL_SCALE
        white = (scaled > 1.0).all(axis=0)
    ok = ~nodata & ~white
    return scaled[:, ok].mean(axis=1), kind, float(ok.mean())


def footprint(path: Path, n: int = 5) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """lon/lat of an n x n grid of points over a georeferenced raster (None if it has none)."""
    ds = gdal.Open(str(path))
    w, h = ds.RasterXSize, ds.RasterYSize
    xs, ys = np.meshgrid((np.arange(n) + 0.5) * w / n, (np.arange(n) + 0.5) * h / n)
    return lonlat_of_pixels(ds, xs, ys)


def box(lon: float, lat: float, half: float, n: int = 7) -> tuple[np.ndarray, np.ndarray]:
    g = np.linspace(-half, half, n)
    return np.meshgrid(lon + g / max(np.cos(np.radians(lat)), 0.2), lat + g)


def place_of(name: str) -> Optional[dict]:
    import fnmatch
    for pattern, place in PLACES.items():
        if fnmatch.fnmatch(name, pattern):
            return place
    return None


def collect(data: Path = DATA) -> tuple[list[Pair], list[str]]:
    palette = load_world_palette(require_mapping=False)
    pairs, skipped = [], []
    for dataset in ("la-texas-vh", "temperate-pairs", "india-scenes", "desert-patches"):
        root = data / dataset
        if dataset == "india-scenes":
            files = [(f"{dataset}/{d.name}", d / "optical.jpg", d / "sar.jpg") for d in sorted(root.glob("scene-*"))]
        else:
            files = [(f"{dataset}/{p.stem}", p, root / "s1" / p.name) for p in sorted((root / "s2").glob("*.tif"))]
        for name, optical, sar in files:
            place = footprint(optical)
            if place is not None:
                note, key = "georeferenced", name
            else:
                assumed = place_of(name)
                if assumed is None:
                    skipped.append(name)
                    continue
                place = box(assumed["lon"], assumed["lat"], assumed["box"])
                note = assumed["note"]
                key = re.sub(r"_month\d+$", "", name)  # a Finnish chip seen in several months: one place
            mean, kind, _ = optical_mean(optical)
            values = palette.values_at(*place).reshape(3, -1).mean(axis=1)
            if dataset == "la-texas-vh":
                level = "8-bit L1C true colour"
            elif dataset == "india-scenes":
                level = "8-bit true colour JPEG"
            elif "sen12mscr" in name:
                level = "L1C"
            else:
                level = "L2A"
            centre = (float(np.mean(place[0])), float(np.mean(place[1])))
            pairs.append(Pair(name, dataset, kind, level, note, key, mean, values.astype(np.float64), centre,
                              snow=name in SNOW_MONTHS))
    return pairs, skipped


def desert_means(data: Path = DATA) -> list[Pair]:
    """The desert set's true mean colours (its place is unknown: only for the extrapolation check)."""
    out = []
    for path in sorted((data / "desert-patches" / "s2").glob("*.tif")):
        mean, kind, valid = optical_mean(path)
        if valid > 0.5:
            out.append(Pair(f"desert-patches/{path.stem}", "desert-patches", kind, "L1C", "unknown", "",
                            mean, np.zeros(3), (np.nan, np.nan)))
    return out


# --- the mapping ------------------------------------------------------------------------------

def place_means(pairs: list[Pair]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """One (palette, true) point per place: log-mean over the place's pairs."""
    keys = sorted({p.place_key for p in pairs})
    pal = np.array([np.mean([p.palette for p in pairs if p.place_key == k], axis=0) for k in keys])
    true = np.array([np.exp(np.mean([np.log(p.mean) for p in pairs if p.place_key == k], axis=0)) for k in keys])
    return keys, pal, true


def fit(pal: np.ndarray, true: np.ndarray, gamma: Optional[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel gain (and gamma, when None) of true = gain * (pal / 255) ** gamma, in log space."""
    x, y = np.log(pal / 255.0), np.log(true)
    gains, gammas = np.empty(3), np.empty(3)
    for c in range(3):
        if gamma is None and len(x) >= 3 and np.ptp(x[:, c]) > 0.05:
            slope, intercept = np.polyfit(x[:, c], y[:, c], 1)
        else:
            slope = gamma if gamma is not None else 2.2
            intercept = float(np.mean(y[:, c] - slope * x[:, c]))
        gains[c], gammas[c] = np.exp(intercept), slope
    return gains, gammas


def predict(pal: np.ndarray, gains: np.ndarray, gammas: np.ndarray) -> np.ndarray:
    return gains * (np.clip(pal, 1, 255) / 255.0) ** gammas


def leave_one_out_fits(pal: np.ndarray, true: np.ndarray, gamma: Optional[float]) -> list[tuple]:
    """Each place's (gains, gammas) fitted on the other places: what the palette would give a place no
    fit has seen (the leave-one-set-out evaluation uses them, training/evaluate_priors --palette-fit)."""
    fits = []
    for i in range(len(true)):
        keep = np.arange(len(true)) != i
        fits.append(fit(pal[keep], true[keep], gamma))
    return fits


def leave_one_out(pal: np.ndarray, true: np.ndarray, gamma: Optional[float]) -> np.ndarray:
    return np.array([predict(p, *f) for p, f in zip(pal, leave_one_out_fits(pal, true, gamma))])


def errors(true: np.ndarray, pred: np.ndarray) -> dict:
    log_ratio = np.log(true / pred)
    return {"log_std": np.sqrt(np.mean(log_ratio ** 2, axis=0)),  # about zero: the spread is the error
            "log_bias": log_ratio.mean(axis=0),
            "mae_levels": np.abs(np.clip(true, 0, 1) - np.clip(pred, 0, 1)).mean(axis=0) * 255.0}


def joint_power_fit(pal: np.ndarray, true: np.ndarray, pal8: np.ndarray, true8: np.ndarray) -> tuple:
    """gain * (v / 255) ** gamma per channel with the 8-bit places' shape: the reflectance places set
    the level, the 8-bit places (one unknown gain s for the set) the curve. Returns (gains, gammas, s)."""
    from scipy.optimize import least_squares

    def residuals(x):
        g, e, s = x[:3], x[3:6], x[6]
        r1 = np.log(g * (pal / 255.0) ** e / true).ravel()
        r2 = np.log(g * (pal8 / 255.0) ** e / (true8 * s)).ravel()
        return np.concatenate([r1, r2])

    x = least_squares(residuals, np.array([1, 1, 1, 1, 1, 1, 1.0]), bounds=(1e-3, 20)).x
    return x[:3], x[3:6], float(x[6])


def eight_bit_gain(pairs: list[Pair], gains: np.ndarray, gammas: np.ndarray) -> tuple[float, np.ndarray, int]:
    """The gain g of one 8-bit set with value / 255 * g ~ palette-predicted colour (one weight per place)."""
    keys, pal, true = place_means(pairs)
    ratio = np.log(predict(pal, gains, gammas) / true)
    return float(np.exp(ratio.mean())), np.exp(ratio.mean(axis=0)), len(keys)


def fmt(v, digits=3) -> str:
    return "(" + ", ".join(f"{x:.{digits}f}" for x in v) + ")"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, nargs="?", const=JSON_OUT, default=None,
                        help=f"write the JSON training reads (default path {JSON_OUT.relative_to(REPO)})")
    parser.add_argument("--gamma", type=float, default=None,
                        help="fix the power law's exponent (default: fitted per channel)")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no training data at {DATA}", file=sys.stderr)
        return 2
    pairs, skipped = collect()
    refl = [p for p in pairs if p.kind == "reflectance" and not p.snow]
    keys, pal, true = place_means(refl)

    print(f"{len(pairs)} pairs with a known place; not used (no place): {len(skipped)}")
    print("\nReflectance places (true mean colour in the convention, 0..1 = reflectance 0..0.3):")
    print(f"{'place':48s} {'level':4s} {'palette 8-bit':>20s} {'true':>22s}")
    for k, v, t in zip(keys, pal, true):
        level = next(p.level for p in refl if p.place_key == k)
        print(f"{k:48s} {level:4s} {fmt(v, 0):>20s} {fmt(t):>22s}")

    results = {}
    forms = {"gamma fitted": None, "gamma 2.2 (sRGB-like)": 2.2, "gamma 1 (linear)": 1.0}
    for label, gamma in forms.items():
        gains, gammas = fit(pal, true, gamma)
        in_sample = errors(true, predict(pal, gains, gammas))
        loo = errors(true, leave_one_out(pal, true, gamma))
        results[label] = (gains, gammas, in_sample, loo)
        print(f"\n{label}: gain {fmt(gains)}, gamma {fmt(gammas, 2)}")
        print(f"  in sample     : log std {fmt(in_sample['log_std'])}, MAE {fmt(in_sample['mae_levels'], 1)} levels")
        print(f"  leave-one-out : log std {fmt(loo['log_std'])}, MAE {fmt(loo['mae_levels'], 1)} levels")

    # the form that predicts a place it was not fitted on best (mean leave-one-out log std)
    chosen = min(results, key=lambda k: float(np.mean(results[k][3]["log_std"]))) if args.gamma is None else None
    if args.gamma is not None:
        gains, gammas = fit(pal, true, args.gamma)
        chosen_label = f"gamma {args.gamma}"
        loo = errors(true, leave_one_out(pal, true, args.gamma))
    else:
        gains, gammas, _, loo = results[chosen]
        chosen_label = chosen
    chosen_gamma = args.gamma if args.gamma is not None else forms[chosen]

    # the error of the palette on every reflectance pair (each month of a place on its own)
    per_pair_true = np.array([p.mean for p in refl])
    per_pair_pred = predict(np.array([p.palette for p in refl]), gains, gammas)
    per_pair = errors(per_pair_true, per_pair_pred)
    print(f"\nChosen: {chosen_label}. Per reflectance pair (n={len(refl)}): log std {fmt(per_pair['log_std'])}, "
          f"MAE {fmt(per_pair['mae_levels'], 1)} levels")

    # the product level matters: L1C is top-of-atmosphere (haze lifts the blue), L2A is surface
    print("\nThe same form fitted on one product level only (places):")
    for level in ("L1C", "L2A"):
        members = [p for p in refl if p.level == level]
        _, pal_l, true_l = place_means(members)
        g_l, e_l = fit(pal_l, true_l, float(gammas[0]) if np.ptp(gammas) == 0 else None)
        print(f"  {level}: {len(pal_l)} places, gain {fmt(g_l)}")
    snow = [p for p in pairs if p.snow]
    if snow:
        snow_err = errors(np.array([p.mean for p in snow]), predict(np.array([p.palette for p in snow]), gains, gammas))
        print(f"  snow months left out of the fit (n={len(snow)}): log bias {fmt(snow_err['log_bias'])} "
              "(a summer mosaic cannot know snow)")

    # where the mosaic is bright desert the linear form extrapolates; the data has no located arid place
    deserts = {"Sahara (23 N 12 E)": (12.0, 23.0), "Rub' al Khali (20 N 50 E)": (50.0, 20.0),
               "Thar (27 N 71 E)": (71.0, 27.0)}
    palette = load_world_palette(require_mapping=False)
    print("\nExtrapolation check (not the same places): the mapping at named deserts vs the desert set")
    for label, (lon, lat) in deserts.items():
        v = palette.values_at(*box(lon, lat, 0.5)).reshape(3, -1).mean(axis=1)
        print(f"  {label:28s} palette {fmt(v, 0)} -> {fmt(predict(v, gains, gammas))}")
    arid = np.array([p.mean for p in desert_means()])
    print(f"  desert-patches (place unknown, L1C, n={len(arid)}): mean {fmt(arid.mean(axis=0))}, "
          f"range R {arid[:, 0].min():.2f}..{arid[:, 0].max():.2f}, B {arid[:, 2].min():.2f}..{arid[:, 2].max():.2f}")

    # an alternative that bends where the linear form extrapolates: the power law with the shape of
    # the 100 LA/Texas places (8-bit, one unknown gain) and the level of the reflectance places
    la = [p for p in pairs if p.dataset == "la-texas-vh"]
    alternative = {}
    if la:
        _, pal8, true8 = place_means(la)
        g_alt, e_alt, s_alt = joint_power_fit(pal, true, pal8, true8)
        loo_alt = []
        for i in range(len(true)):
            keep = np.arange(len(true)) != i
            gi, ei, _ = joint_power_fit(pal[keep], true[keep], pal8, true8)
            loo_alt.append(predict(pal[i], gi, ei))
        loo_alt = errors(true, np.array(loo_alt))
        at_deserts = {label: [round(float(x), 3) for x in predict(
            palette.values_at(*box(lon, lat, 0.5)).reshape(3, -1).mean(axis=1), g_alt, e_alt)]
            for label, (lon, lat) in deserts.items()}
        print(f"\nAlternative, power law with the LA/Texas shape: gain {fmt(g_alt)}, gamma {fmt(e_alt, 2)}, "
              f"LA/Texas gain {s_alt:.3f}")
        print(f"  leave-one-out on the reflectance places: log std {fmt(loo_alt['log_std'])}; at the deserts "
              + ", ".join(f"{k.split(' (')[0]} {fmt(v)}" for k, v in at_deserts.items()))
        alternative = {"form": "gain * (value / 255) ** gamma, shape from the 100 LA/Texas places, level from "
                               "the reflectance places",
                       "gain": [round(float(v), 4) for v in g_alt], "gamma": [round(float(v), 3) for v in e_alt],
                       "la_texas_eight_bit_gain": round(s_alt, 3),
                       "leave_one_out_log_std": [round(float(v), 3) for v in loo_alt["log_std"]],
                       "at_deserts": at_deserts}

    # 8-bit sets: the gain that maps them onto the palette-predicted colour of their places
    eight = {}
    print("\n8-bit sets: convention = value / 255 * gain")
    for dataset in sorted({p.dataset for p in pairs if p.kind == "8-bit"}):
        members = [p for p in pairs if p.dataset == dataset]
        g, g_rgb, n_places = eight_bit_gain(members, gains, gammas)
        _, pal8, true8 = place_means(members)
        after = errors(true8 * g, predict(pal8, gains, gammas))
        eight[dataset] = (g, g_rgb, n_places, after)
        print(f"  {dataset:14s} gain {g:.3f} per channel {fmt(g_rgb)} over {n_places} places; then log std "
              f"{fmt(after['log_std'])}, MAE {fmt(after['mae_levels'], 1)} levels")
    print(f"  Sentinel-2 TCI definition: L1C {TCI_L1C_SATURATION / FULL_SCALE:.3f}, L2A "
          f"{TCI_L2A_SATURATION / FULL_SCALE:.3f} (255 = reflectance {TCI_L1C_SATURATION} / {TCI_L2A_SATURATION})")

    # the colour error training draws: the spread of log(true / predicted) over all places,
    # 8-bit sets brought to the convention by their gains (LA/Texas adds 100 georeferenced places)
    all_true, all_pred = [per_pair_true], [per_pair_pred]
    for dataset, (g, _, _, _) in eight.items():
        members = [p for p in pairs if p.dataset == dataset]
        all_true.append(np.array([p.mean * g for p in members]))
        all_pred.append(predict(np.array([p.palette for p in members]), gains, gammas))
    overall = errors(np.concatenate(all_true), np.concatenate(all_pred))
    print(f"\nAll placed pairs (reflectance + 8-bit at their gains, n={sum(len(a) for a in all_true)}): "
          f"log std {fmt(overall['log_std'])}, MAE {fmt(overall['mae_levels'], 1)} levels")
    sigma = np.maximum(overall["log_std"], loo["log_std"])
    print(f"colour_error_log_std (the larger of that and the reflectance leave-one-place-out): {fmt(sigma)}")

    if args.write:
        out = {
            "palette_to_convention": {"gain": [round(float(v), 4) for v in gains],
                                      "gamma": [round(float(v), 3) for v in gammas],
                                      "form": "convention = gain * (palette_value / 255) ** gamma, per channel R,G,B",
                                      "fitted_on": f"{len(keys)} reflectance places ({', '.join(keys)}), "
                                                   "one weight per place, snow months left out",
                                      "leave_one_out_log_std": [round(float(v), 3) for v in loo["log_std"]],
                                      "leave_one_place_out": {
                                          key: {"gain": [round(float(v), 4) for v in g],
                                                "gamma": [round(float(v), 3) for v in e]}
                                          for key, (g, e) in zip(keys, leave_one_out_fits(pal, true, chosen_gamma))}},
            "colour_error_log_std": [round(float(v), 3) for v in sigma],
            "colour_error_mae_levels": [round(float(v), 1) for v in overall["mae_levels"]],
            "eight_bit_gain": {d: round(v[0], 3) for d, v in eight.items()},
            "eight_bit_gain_rgb": {d: [round(float(x), 3) for x in v[1]] for d, v in eight.items()},
            "eight_bit_form": "convention = value / 255 * gain",
            # what core/colour_reference.EIGHT_BIT_GAIN holds for a user's 8-bit reference: the
            # LA/Texas Sentinel-2 L1C true colour's gain (100 georeferenced places)
            "reference_eight_bit_gain": round(eight["la-texas-vh"][0], 3) if "la-texas-vh" in eight else None,
            "tci_definition_gain": {"L1C": round(TCI_L1C_SATURATION / FULL_SCALE, 3),
                                    "L2A": round(TCI_L2A_SATURATION / FULL_SCALE, 3)},
            "extrapolation_check": {
                "at_deserts": {label: [round(float(x), 3) for x in predict(
                    palette.values_at(*box(lon, lat, 0.5)).reshape(3, -1).mean(axis=1), gains, gammas)]
                    for label, (lon, lat) in deserts.items()},
                "desert_patches_mean": [round(float(x), 3) for x in arid.mean(axis=0)],
                "note": "the data has no located bright arid place: the linear form's blue at deserts is about "
                        "twice the desert set's (place unknown, L1C)"},
            "alternative_mapping": alternative,
            "places": {pattern: {"lon": v["lon"], "lat": v["lat"], "note": v["note"]} for pattern, v in PLACES.items()},
            "unknown_places": UNKNOWN,
            "measured_by": "benchmarks/palette_calibration.py",
        }
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(out, indent=1) + "\n")
        print(f"\nwrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
