"""How the world palette's colour at a place compares with real Sentinel-2 scenes there.

    .venv/bin/python benchmarks/palette_calibration.py [--write training/recipes/palette_calibration.json]

On every pair of ../shared/data/train whose place is known (georeferenced: LA/Texas, SEN12MS-CR;
named by its source: Finland, Delhi) it compares the palette's 8-bit values averaged over the
pair's footprint with the pair's true mean colour, and measures:

1. the palette -> colour convention mapping, convention = offset + gain * (value / 255) ** gamma per
   channel, in several forms (gains through zero with a fitted, sRGB-like or linear gamma; haze
   offsets with one gain for all channels, which keeps a place's hue), each fitted on the reflectance
   pairs (UInt16 x 10000: v / 10000 / 0.3) in log space with one weight per place (a place seen in
   several months counts once), and each judged on places it was not fitted on: (1) each reflectance
   place left out in turn, (2) how the 100 LA/Texas places differ within one Sentinel-2 tile and
   channel (that set's channels were stretched tile by tile, so only that is comparable), (3) nine
   named deserts against the desert set's colours (its own place is unknown). The form written is
   the one the bundled model was trained with (SHIPPED_FORM; --form chooses another, --form checks
   the one with the least mean log error over the three checks);
2. the size of the remaining colour error: the std of log(true / predicted) per channel, and the
   mean absolute error in 8-bit levels of the convention, which training uses as the random
   colour error of a tile's own reduced optical standing in for the palette;
3. each 8-bit data set's gain (convention = value / 255 * gain): the one gain that maps the set's
   mean colours onto the palette-predicted colour at its places (geometric mean of the ratios over
   places and channels), next to the Sentinel-2 TCI definition (L1C: 255 = reflectance 0.3558,
   L2A: 255 = 0.2; ESA, Sentinel-2 MSI user guide, "Definitions"). The gains written are those of
   the JSON already there (the convention the bundled model's targets were made in) unless
   --eight-bit-gains implied.

Pixels that are nodata (all bands 0) or bright white (every band above reflectance 0.3: cloud,
snow) do not count in a pair's mean.
"""
from __future__ import annotations

import argparse
import csv
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


SEA_LABELS = ("Sea and ocean", "Marine waters")


def bigearthnet_root(argv: list[str]) -> Optional[Path]:
    """The BigEarthNet pairs' folder a benchmark was given (default data/bigearthnet), or None, said why,
    where they are not built."""
    root = Path(argv[0]) if argv else REPO / "data" / "bigearthnet"
    if not (root / "index.csv").is_file():
        print(f"{root}: no BigEarthNet pairs (python training/recipes/bigearthnet_pairs.py --out {root})")
        return None
    return root


def bigearthnet_places(root: Path, palette) -> tuple[list[Pair], list[str]]:
    """The BigEarthNet pairs (training/recipes/bigearthnet_pairs.py) as places: one L2A patch each,
    georeferenced; extra holds its country and whether its labels say sea. Patches mostly snow or
    cloud (under half their pixels valid) or with no signal in a band are skipped."""
    with open(root / "index.csv") as f:
        rows = list(csv.DictReader(f))
    places, skipped = [], []
    for r in rows:
        optical = root / "s2" / f"{r['name']}.tif"
        mean, kind, valid = optical_mean(optical)
        if valid < 0.5 or np.any(mean <= 0):
            skipped.append(f"{r['name']} (valid {valid:.2f})")
            continue
        lon, lat = footprint(optical)
        places.append(Pair(name=f"bigearthnet/{r['name']}", dataset="bigearthnet", kind=kind, level="L2A",
                           place="georeferenced", place_key=f"bigearthnet/{r['name']}", mean=mean,
                           palette=palette.values_at(lon, lat).reshape(3, -1).mean(axis=1).astype(np.float64),
                           lonlat=(float(np.mean(lon)), float(np.mean(lat))),
                           extra={"country": r["country"], "sea": any(k in r["labels"] for k in SEA_LABELS)}))
    return places, skipped


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


@dataclass
class Mapping:
    """convention = offset + gain * (value / 255) ** gamma, per channel (core/world_palette.PaletteMapping)."""

    gain: np.ndarray
    gamma: np.ndarray
    offset: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def __call__(self, pal: np.ndarray) -> np.ndarray:
        return self.offset + self.gain * (np.clip(pal, 1, 255) / 255.0) ** self.gamma

    def as_json(self) -> dict:
        return {"gain": [round(float(v), 4) for v in self.gain], "gamma": [round(float(v), 3) for v in self.gamma],
                "offset": [round(float(v), 4) for v in self.offset]}


def fit_power(pal: np.ndarray, true: np.ndarray, gamma: Optional[float]) -> Mapping:
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
    return Mapping(gains, gammas)


def fit_hue_kept(pal: np.ndarray, true: np.ndarray) -> Mapping:
    """true = offset + gain * pal / 255 with one gain for all channels and offsets >= 0, in log space.
    Sentinel-2 L1C is top of atmosphere: the haze adds a level, most in blue, over the mosaic's surface
    colours. Gains through zero can only fit that by a larger blue gain, which is right for the dark
    places they are fitted on and turns a bright place (desert, town: grey in the mosaic) purple."""
    from scipy.optimize import least_squares

    x = pal / 255.0

    def residuals(p):
        return np.log(np.maximum(p[:3] + p[3] * x, 1e-4) / true).ravel()

    p = least_squares(residuals, np.array([0.1, 0.1, 0.2, 1.0]), bounds=(np.zeros(4), np.full(4, np.inf))).x
    return Mapping(np.full(3, p[3]), np.ones(3), p[:3].copy())


FORMS = {
    "power": lambda pal, true: fit_power(pal, true, None),
    "srgb": lambda pal, true: fit_power(pal, true, 2.2),
    "linear": lambda pal, true: fit_power(pal, true, 1.0),
    "hue-kept": fit_hue_kept,
}
# The form models/world_palette.tif carries: the one the bundled model's training priors were made
# with, and the one with the least error over the checks (MODEL.md, "The colour convention and the
# world palette").
SHIPPED_FORM = "hue-kept"
FORM_LABELS = {"power": "gains, gamma fitted", "srgb": "gains, gamma 2.2 (sRGB-like)",
               "linear": "gains, gamma 1 (linear)", "hue-kept": "haze offsets + one gain (hue kept)"}


def leave_one_out_fits(pal: np.ndarray, true: np.ndarray, form) -> list[Mapping]:
    """Each place's mapping fitted on the other places: what the palette would give a place no fit has
    seen (the leave-one-set-out evaluation uses them, training/evaluate_priors --palette-fit)."""
    return [form(np.delete(pal, i, axis=0), np.delete(true, i, axis=0)) for i in range(len(true))]


def leave_one_out(pal: np.ndarray, true: np.ndarray, form) -> np.ndarray:
    return np.array([m(p) for p, m in zip(pal, leave_one_out_fits(pal, true, form))])


def la_texas_tiles(la: list[Pair]) -> Optional[np.ndarray]:
    """The Sentinel-2 tile of each LA/Texas place (training/colour.source_tile), None without metadata."""
    from sar_colorizer.training.colour import source_tile
    tiles = [source_tile(DATA / p.dataset / "s2" / f"{p.name.split('/')[-1]}.tif") for p in la]
    return None if not la or None in tiles else np.array(tiles)


def tile_gains(la: list[Pair], mapping: Mapping) -> dict[str, np.ndarray]:
    """Per Sentinel-2 tile and channel, the gain g with value / 255 * g ~ the mapped palette colour
    (geometric mean over the tile's places): it takes out the source's per-tile stretch (below)."""
    tiles = la_texas_tiles(la)
    if tiles is None:
        return {}
    ratio = np.log(mapping(np.array([p.palette for p in la])) / np.array([p.mean for p in la]))
    return {str(t): np.exp(ratio[tiles == t].mean(axis=0)) for t in np.unique(tiles)}


def within_tile_shape(la: list[Pair], mapping: Mapping) -> Optional[np.ndarray]:
    """Per channel, the log error of the mapping over the LA/Texas places once each Sentinel-2 tile's own
    channel gain is taken out. The source divided every channel of every tile by its own 99th percentile
    (VolkovVl/Optical-SAR-dataset, dataset/README.md), so those images' colour balance is not the
    reflectance's; how the places of one tile differ from each other in one channel still is."""
    tiles = la_texas_tiles(la)
    if tiles is None:
        return None
    r = np.log(np.array([p.mean for p in la]) / np.maximum(mapping(np.array([p.palette for p in la])), 1e-4))
    for t in np.unique(tiles):
        r[tiles == t] -= r[tiles == t].mean(axis=0)
    return np.sqrt(np.mean(r ** 2, axis=0))


def errors(true: np.ndarray, pred: np.ndarray) -> dict:
    log_ratio = np.log(true / pred)
    return {"log_std": np.sqrt(np.mean(log_ratio ** 2, axis=0)),  # about zero: the spread is the error
            "log_bias": log_ratio.mean(axis=0),
            "mae_levels": np.abs(np.clip(true, 0, 1) - np.clip(pred, 0, 1)).mean(axis=0) * 255.0}


def eight_bit_gain(pairs: list[Pair], mapping: Mapping) -> tuple[float, np.ndarray, int]:
    """The gain g of one 8-bit set with value / 255 * g ~ palette-predicted colour (one weight per place)."""
    keys, pal, true = place_means(pairs)
    ratio = np.log(mapping(pal) / true)
    return float(np.exp(ratio.mean())), np.exp(ratio.mean(axis=0)), len(keys)


# Real deserts (lon, lat) whose palette colour is checked against the desert set's colours (its own
# place is unknown); written to the JSON, where training/recipes/palette_at_deserts.py reads them
DESERTS = {"Sahara (Algeria)": (3, 27), "Libyan desert": (20, 25), "Rub' al Khali": (50, 20), "Thar": (71, 27),
           "Taklamakan": (83, 39), "Atacama": (-69, -24), "Simpson": (137, -25), "Namib": (15, -24), "Gobi": (105, 43)}


def desert_check(palette, mapping: Mapping, arid_mean: np.ndarray) -> tuple[dict, np.ndarray]:
    """The mapped palette at each named desert, and per channel the rms log error against the desert
    set's mean colour (a bright arid place the fit has not seen; not the same places)."""
    at = {label: mapping(palette.values_at(*box(lon, lat, 0.5)).reshape(3, -1).mean(axis=1))
          for label, (lon, lat) in DESERTS.items()}
    log_err = np.log(np.array(list(at.values())) / arid_mean)
    return at, np.sqrt(np.mean(log_err ** 2, axis=0))


def fmt(v, digits=3) -> str:
    return "(" + ", ".join(f"{x:.{digits}f}" for x in v) + ")"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, nargs="?", const=JSON_OUT, default=None,
                        help=f"write the JSON training reads (default path {JSON_OUT.relative_to(REPO)})")
    parser.add_argument("--form", choices=sorted(FORMS) + ["checks"], default=SHIPPED_FORM,
                        help=f"the mapping's form written (default {SHIPPED_FORM}: the one the bundled model was "
                             "trained with; 'checks': the one with the least error on places it was not fitted on, "
                             "over the three checks)")
    parser.add_argument("--tile-gains", action=argparse.BooleanOptionalAction, default=True,
                        help="also write a gain per Sentinel-2 tile and channel for the LA/Texas images "
                             "(eight_bit_tile_gain: training then takes out their source's per-tile stretch); "
                             "on by default: the bundled model was trained with them")
    parser.add_argument("--eight-bit-gains", choices=("keep", "implied"), default="keep",
                        help="the 8-bit data sets' gains written: 'keep' those of the JSON already there (the "
                             "training targets' convention the bundled model was trained with), or 'implied' by "
                             "the chosen mapping")
    parser.add_argument("--extra-places", type=Path, metavar="DIR",
                        help="also measure the colour error training draws on these georeferenced pairs' land "
                             "places (data/bigearthnet: training/recipes/bigearthnet_pairs.py); the mapping is "
                             "still fitted on the reflectance places above")
    args = parser.parse_args(argv)
    if args.extra_places and not (args.extra_places / "index.csv").is_file():
        parser.error(f"{args.extra_places}: no index.csv (python training/recipes/bigearthnet_pairs.py --out DIR)")
    if not DATA.is_dir():
        print(f"no training data at {DATA}", file=sys.stderr)
        return 2
    pairs, skipped = collect()
    refl = [p for p in pairs if p.kind == "reflectance" and not p.snow]
    la = [p for p in pairs if p.dataset == "la-texas-vh"]
    keys, pal, true = place_means(refl)
    palette = load_world_palette(require_mapping=False)
    arid = np.array([p.mean for p in desert_means()])

    print(f"{len(pairs)} pairs with a known place; not used (no place): {len(skipped)}")
    print("\nReflectance places (true mean colour in the convention, 0..1 = reflectance 0..0.3):")
    print(f"{'place':48s} {'level':4s} {'palette 8-bit':>20s} {'true':>22s}")
    for k, v, t in zip(keys, pal, true):
        level = next(p.level for p in refl if p.place_key == k)
        print(f"{k:48s} {level:4s} {fmt(v, 0):>20s} {fmt(t):>22s}")
    print(f"desert-patches (place unknown, L1C, n={len(arid)}): mean {fmt(arid.mean(axis=0))}, "
          f"range R {arid[:, 0].min():.2f}..{arid[:, 0].max():.2f}, G {arid[:, 1].min():.2f}..{arid[:, 1].max():.2f}, "
          f"B {arid[:, 2].min():.2f}..{arid[:, 2].max():.2f}")

    # every form, judged on places it was not fitted on: (1) each reflectance place left out in turn,
    # (2) how the 100 LA/Texas places differ within one Sentinel-2 tile and channel, (3) named deserts
    # against the desert set's colours. The score is the mean log error over the three checks.
    results = {}
    for label, form in FORMS.items():
        mapping = form(pal, true)
        in_sample = errors(true, mapping(pal))
        loo = errors(true, leave_one_out(pal, true, form))
        shape = within_tile_shape(la, mapping)
        at_deserts, desert_err = desert_check(palette, mapping, arid.mean(axis=0))
        checks = [loo["log_std"], desert_err] + ([shape] if shape is not None else [])
        score = float(np.mean([np.mean(c) for c in checks]))
        results[label] = dict(mapping=mapping, loo=loo, shape=shape, at_deserts=at_deserts, desert=desert_err,
                              score=score)
        print(f"\n{label} ({FORM_LABELS[label]}): gain {fmt(mapping.gain)}, gamma {fmt(mapping.gamma, 2)}, "
              f"offset {fmt(mapping.offset)}")
        print(f"  in sample           : log std {fmt(in_sample['log_std'])}, "
              f"MAE {fmt(in_sample['mae_levels'], 1)} levels")
        print(f"  (1) leave-one-out   : log std {fmt(loo['log_std'])}, MAE {fmt(loo['mae_levels'], 1)} levels")
        if shape is not None:
            print(f"  (2) LA/Texas within one tile: log std {fmt(shape)}")
        print(f"  (3) named deserts   : log error {fmt(desert_err)}; Sahara {fmt(at_deserts['Sahara (Algeria)'])}, "
              f"Gobi {fmt(at_deserts['Gobi'])}")
        print(f"  mean over the checks: {score:.3f}")

    best = min(results, key=lambda k: results[k]["score"])
    chosen = best if args.form == "checks" else args.form
    form = FORMS[chosen]
    mapping, loo = results[chosen]["mapping"], results[chosen]["loo"]

    # the error of the palette on every reflectance pair (each month of a place on its own)
    per_pair_true = np.array([p.mean for p in refl])
    per_pair_pred = mapping(np.array([p.palette for p in refl]))
    per_pair = errors(per_pair_true, per_pair_pred)
    print(f"\nLeast error over the checks: {best}. Written: {chosen} ({FORM_LABELS[chosen]}). "
          f"Per reflectance pair "
          f"(n={len(refl)}): log std {fmt(per_pair['log_std'])}, MAE {fmt(per_pair['mae_levels'], 1)} levels")

    # the product level matters: L1C is top-of-atmosphere (haze lifts the blue), L2A is surface
    print("\nThe same form fitted on one product level only (places):")
    for level in ("L1C", "L2A"):
        members = [p for p in refl if p.level == level]
        _, pal_l, true_l = place_means(members)
        m_l = form(pal_l, true_l)
        print(f"  {level}: {len(pal_l)} places, gain {fmt(m_l.gain)}, offset {fmt(m_l.offset)}")
    snow = [p for p in pairs if p.snow]
    if snow:
        snow_err = errors(np.array([p.mean for p in snow]), mapping(np.array([p.palette for p in snow])))
        print(f"  snow months left out of the fit (n={len(snow)}): log bias {fmt(snow_err['log_bias'])} "
              "(a summer mosaic cannot know snow)")

    # 8-bit sets: the gain that maps them onto the palette-predicted colour of their places
    previous = json.loads(JSON_OUT.read_text()) if JSON_OUT.is_file() else {}
    kept = previous.get("eight_bit_gain", {}) if args.eight_bit_gains == "keep" else {}
    eight, implied = {}, {}
    print("\n8-bit sets: convention = value / 255 * gain")
    for dataset in sorted({p.dataset for p in pairs if p.kind == "8-bit"}):
        members = [p for p in pairs if p.dataset == dataset]
        g, g_rgb, n_places = eight_bit_gain(members, mapping)
        implied[dataset] = (g, g_rgb)
        used = float(kept.get(dataset, g))
        _, pal8, true8 = place_means(members)
        after = errors(true8 * used, mapping(pal8))
        eight[dataset] = (used, g_rgb, n_places, after)
        print(f"  {dataset:14s} implied gain {g:.3f} per channel {fmt(g_rgb)} over {n_places} places; "
              + (f"kept {used:.3f} (the training targets' convention); " if dataset in kept else "")
              + f"then log std {fmt(after['log_std'])}, MAE {fmt(after['mae_levels'], 1)} levels")
    per_tile, tiles = tile_gains(la, mapping), la_texas_tiles(la)
    for tile, g_t in per_tile.items():
        print(f"  la-texas-vh tile {tile}: gain per channel {fmt(g_t)} ({int((tiles == tile).sum())} places)")
    print(f"  Sentinel-2 TCI definition: L1C {TCI_L1C_SATURATION / FULL_SCALE:.3f}, L2A "
          f"{TCI_L2A_SATURATION / FULL_SCALE:.3f} (255 = reflectance {TCI_L1C_SATURATION} / {TCI_L2A_SATURATION})")

    # the colour error training draws: the spread of log(true / predicted) over all places,
    # 8-bit sets brought to the convention by their gains (LA/Texas adds 100 georeferenced places)
    all_true, all_pred = [per_pair_true], [per_pair_pred]
    for dataset, (g, _, _, _) in eight.items():
        members = [p for p in pairs if p.dataset == dataset]
        all_true.append(np.array([p.mean * g for p in members]))
        all_pred.append(mapping(np.array([p.palette for p in members])))
    extra_note, out_of_fit = None, []
    if args.extra_places:
        extra, extra_skipped = bigearthnet_places(args.extra_places, palette)
        land = [p for p in extra if not p.extra["sea"]]
        extra_true, extra_pred = np.array([p.mean for p in land]), mapping(np.array([p.palette for p in land]))
        e = errors(extra_true, extra_pred)
        print(f"\n{args.extra_places} land places (no sea label, n={len(land)}; {len(extra) - len(land)} sea and "
              f"{len(extra_skipped)} mostly snow or cloud left out): log std {fmt(e['log_std'])}, "
              f"bias {fmt(e['log_bias'])}, MAE {fmt(e['mae_levels'], 1)} levels")
        all_true.append(extra_true)
        all_pred.append(extra_pred)
        out_of_fit.append(e["log_std"])
        extra_note = (f"with the {len(land)} land places of {args.extra_places.name} (their sea and mostly snow "
                      "or cloud patches left out; the largest of the three errors, as these places are in no fit)")
    overall = errors(np.concatenate(all_true), np.concatenate(all_pred))
    print(f"\nAll placed pairs (reflectance + 8-bit at their gains, n={sum(len(a) for a in all_true)}): "
          f"log std {fmt(overall['log_std'])}, MAE {fmt(overall['mae_levels'], 1)} levels")
    # the 8-bit sets' gains are fitted on this very comparison, so their spread understates the error;
    # the reflectance places left out in turn and the extra places are in no fit
    sigma = np.maximum.reduce([overall["log_std"], loo["log_std"], *out_of_fit])
    print(f"colour_error_log_std (the largest of that, the reflectance leave-one-place-out"
          f"{' and the extra land places' if out_of_fit else ''}): {fmt(sigma)}")

    if args.write:
        out = {
            "palette_to_convention": {**mapping.as_json(),
                                      "form": f"convention = offset + gain * (palette_value / 255) ** gamma, per "
                                              f"channel R,G,B ({chosen}: {FORM_LABELS[chosen]})",
                                      "fitted_on": f"{len(keys)} reflectance places ({', '.join(keys)}), "
                                                   "one weight per place, snow months left out",
                                      "leave_one_out_log_std": [round(float(v), 3) for v in loo["log_std"]],
                                      "leave_one_place_out": {
                                          key: m.as_json()
                                          for key, m in zip(keys, leave_one_out_fits(pal, true, form))}},
            "least_error_over_checks": best,
            "forms_compared": {
                label: {"mapping": r["mapping"].as_json(),
                        "leave_one_out_log_std": [round(float(v), 3) for v in r["loo"]["log_std"]],
                        "la_texas_within_tile_log_std": None if r["shape"] is None else
                        [round(float(v), 3) for v in r["shape"]],
                        "named_deserts_log_error": [round(float(v), 3) for v in r["desert"]],
                        "mean_over_checks": round(r["score"], 3)}
                for label, r in results.items()},
            "colour_error_log_std": [round(float(v), 3) for v in sigma],
            "colour_error_mae_levels": [round(float(v), 1) for v in overall["mae_levels"]],
            **({"colour_error_places": f"every placed pair of the training data {extra_note}"} if extra_note else {}),
            "eight_bit_gain": {d: round(v[0], 3) for d, v in eight.items()},
            "eight_bit_gain_implied": {d: round(v[0], 3) for d, v in implied.items()},
            "eight_bit_gain_rgb": {d: [round(float(x), 3) for x in v[1]] for d, v in implied.items()},
            **({"eight_bit_tile_gain": {"la-texas-vh": {t: [round(float(x), 3) for x in g_t]
                                                        for t, g_t in per_tile.items()}}}
               if args.tile_gains and per_tile else {}),
            "eight_bit_form": "convention = value / 255 * gain",
            # what core/colour_reference.EIGHT_BIT_GAIN holds for a user's 8-bit reference: the
            # LA/Texas Sentinel-2 L1C true colour's gain (100 georeferenced places)
            "reference_eight_bit_gain": round(eight["la-texas-vh"][0], 3) if "la-texas-vh" in eight else None,
            "tci_definition_gain": {"L1C": round(TCI_L1C_SATURATION / FULL_SCALE, 3),
                                    "L2A": round(TCI_L2A_SATURATION / FULL_SCALE, 3)},
            "extrapolation_check": {
                "at_deserts": {label: [round(float(x), 3) for x in v]
                               for label, v in results[chosen]["at_deserts"].items()},
                "desert_places": {label: list(lonlat) for label, lonlat in DESERTS.items()},
                "desert_patches_mean": [round(float(x), 3) for x in arid.mean(axis=0)],
                "note": "the desert set's place is unknown: its colours stand for a bright arid place"},
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
