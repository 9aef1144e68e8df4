"""How sure is a rule's sign? Per-pair differences behind the shipping rules, with bootstrap intervals (issue 11).

The rules of a candidate run compare means over a few pairs: (c) against (b) in the temperate place left
out of training (15 pairs), (e=) against (c) on the pairs with another date (3 validation pairs, 13 in the
leave-out run). A mean of three pairs can change sign with one pair. This prints, for each results folder
named, each comparison as: the number of pairs, the mean difference, how many pairs the first method wins,
and a 95 % percentile bootstrap interval of the mean difference over the pairs (pairs resampled with
replacement, a fixed seed). An interval that spans 0 says the data cannot tell the sign. Pairs of one
place are not independent (10 of the 15 unseen temperate pairs are months of one Finnish place), so the
interval is if anything too narrow.

The validation rule's "three-set mean" weighs the sets equally, not the pairs, so its (c) - (b) is printed
per set.

    python3 training/recipes/paired_differences.py averaged-seed1-2026-12-04 ...   # folder names in results/

Two runs of one recipe that differ in one thing (e.g. length) are compared on the pairs they both scored,
method by method, per evaluation file (and per data set in it) and pooled over all of them (every pair
counted once):

    python3 training/recipes/paired_differences.py --between NEW.json=OLD.json [NEW2.json=OLD2.json ...]
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "recolour-residual"
# (evaluation part, data set or "" for all, first method, second method): the comparisons the rules make,
# (c) - (b) on the validation parts per set (the rule takes the mean of the three sets' means)
COMPARISONS = (
    ("loso-temperate", "", "c_new_world_palette", "b_palette_constant"),
    ("loso-temperate", "", "e_nearest_dates", "c_new_world_palette"),
    ("validation", "", "e_nearest_dates", "c_new_world_palette"),
    ("validation", "bigearthnet", "c_new_world_palette", "b_palette_constant"),
    ("validation", "la-texas-vh", "c_new_world_palette", "b_palette_constant"),
    ("validation", "temperate-pairs", "c_new_world_palette", "b_palette_constant"),
)
SHORT = {"b_palette_constant": "(b)", "c_new_world_palette": "(c)", "e_nearest_dates": "(e=)"}


@dataclass(frozen=True)
class PairedDifference:
    pairs: int
    mean: float
    wins: int
    low: float
    high: float


def differences(per_pair: dict, first: str, second: str, measure: str) -> np.ndarray:
    """first - second on every pair that has both, in the file's pair order."""
    return np.array([scores[first][measure] - scores[second][measure]
                     for scores in per_pair.values() if first in scores and second in scores])


def bootstrap_interval(values: np.ndarray, resamples: int = 10000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean of values, the values resampled with replacement."""
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return float(low), float(high)


def paired_difference(per_pair: dict, first: str, second: str, measure: str) -> PairedDifference:
    values = differences(per_pair, first, second, measure)
    if len(values) == 0:
        raise ValueError(f"no pair has both {first} and {second}")
    low, high = bootstrap_interval(values)
    return PairedDifference(len(values), float(values.mean()), int((values > 0).sum()), low, high)


def between_runs(per_pair_new: dict, per_pair_old: dict, method: str, measure: str) -> np.ndarray:
    """new - old of one method on every pair both runs scored with it, in the new file's pair order."""
    return np.array([scores[method][measure] - per_pair_old[name][method][measure]
                     for name, scores in per_pair_new.items()
                     if method in scores and method in per_pair_old.get(name, {})])


BETWEEN_METHODS = ("b_palette_constant", "c_new_world_palette", "d_new_no_prior", "e_nearest_dates",
                   "f_new_own_optical")


def main_between(specs: list[str]) -> int:
    """Print new - old per method, per file pair (and per data set where a file holds several) and pooled
    (the pooled pairs must be distinct)."""
    if not specs or any(spec.count("=") != 1 for spec in specs):
        print("usage: paired_differences.py --between NEW.json=OLD.json [NEW2.json=OLD2.json ...]")
        return 2
    loaded = []
    for spec in specs:
        new, old = spec.split("=")
        label = f"{Path(new).parent.name}/{Path(new).stem.replace(f'eval-{NAME}-', '')}"
        loaded.append((label, json.loads(Path(new).read_text())["per_pair"],
                       json.loads(Path(old).read_text())["per_pair"]))
    names = [name for _, new, _ in loaded for name in new]
    if len(names) != len(set(names)):
        raise ValueError("a pair is in two of the evaluation files: the pooled difference would count it twice")
    print(f"{'new - old':60s} {'method':20s} {'measure':7s} {'pairs':>5s} {'mean':>8s} {'wins':>5s}  95 % interval")
    for method in BETWEEN_METHODS:
        for measure in ("psnr", "ssim"):
            pooled = []
            for label, new, old in loaded:
                values = between_runs(new, old, method, measure)
                pooled.append(values)
                if len(values):
                    print(_row(label, method, measure, values))
                sets = sorted({name.split("/")[0] for name in new})
                for data_set in sets if len(sets) > 1 else ():
                    part = between_runs({n: v for n, v in new.items() if n.startswith(f"{data_set}/")}, old, method,
                                        measure)
                    if len(part) > 1:
                        print(_row(f"{label} {data_set}", method, measure, part))
            values = np.concatenate(pooled)
            if len(values) and len(loaded) > 1:
                print(_row("pooled", method, measure, values))
    return 0


def _row(label: str, method: str, measure: str, values: np.ndarray) -> str:
    low, high = bootstrap_interval(values)
    return (f"{label[-60:]:60s} {method:20s} {measure:7s} {len(values):5d} {values.mean():8.4f} "
            f"{int((values > 0).sum()):5d}  [{low:.4f}, {high:.4f}]")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--between"]:
        return main_between(argv[1:])
    if not argv:
        print(__doc__.strip().splitlines()[-1])
        return 2
    print(f"{'run':28s} {'part':15s} {'set':15s} {'comparison':12s} {'measure':7s} {'pairs':>5s} {'mean':>8s} "
          f"{'wins':>5s}  95 % interval")
    for folder in argv:
        for part, data_set, first, second in COMPARISONS:
            path = RESULTS / folder / f"eval-{NAME}-{part}.json"
            if not path.exists():
                continue
            per_pair = {name: scores for name, scores in json.loads(path.read_text())["per_pair"].items()
                        if not data_set or name.startswith(f"{data_set}/")}
            for measure in ("psnr", "ssim"):
                try:
                    d = paired_difference(per_pair, first, second, measure)
                except ValueError:
                    continue  # evaluated before (e=) existed
                print(f"{folder:28s} {part:15s} {data_set or 'all':15s} {SHORT[first] + '-' + SHORT[second]:12s} {measure:7s} "
                      f"{d.pairs:5d} {d.mean:8.4f} {d.wins:5d}  [{d.low:.4f}, {d.high:.4f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
