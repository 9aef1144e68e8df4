"""training/recipes/paired_differences.py: per-pair differences and their bootstrap interval."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "training" / "recipes"


@pytest.fixture(scope="module")
def paired():
    sys.path.insert(0, str(RECIPES))
    try:
        yield importlib.import_module("paired_differences")
    finally:
        sys.path.remove(str(RECIPES))


def scores(psnr: float, ssim: float) -> dict:
    return {"psnr": psnr, "ssim": ssim}


def test_differences_only_on_pairs_with_both_methods(paired):
    per_pair = {
        "a": {"c": scores(16.0, 0.40), "b": scores(15.0, 0.38)},
        "b": {"c": scores(12.0, 0.20), "b": scores(14.0, 0.25)},
        "c": {"c": scores(20.0, 0.50)},  # no (b): not a pair of this comparison
    }
    d = paired.paired_difference(per_pair, "c", "b", "psnr")
    assert (d.pairs, d.mean, d.wins) == (2, -0.5, 1)
    assert np.allclose(paired.differences(per_pair, "c", "b", "ssim"), [0.02, -0.05])


def test_bootstrap_interval_brackets_the_mean_and_is_a_point_when_every_pair_agrees(paired):
    assert paired.bootstrap_interval(np.array([0.3, 0.3, 0.3])) == pytest.approx((0.3, 0.3))
    low, high = paired.bootstrap_interval(np.array([-0.06, 0.02, 0.04]))
    assert low < 0.0 < high  # one pair against two: the sign is not settled
    # the interval of a mean cannot leave the range of the values, and a fixed seed repeats it
    assert -0.06 <= low and high <= 0.04
    assert paired.bootstrap_interval(np.array([-0.06, 0.02, 0.04])) == (low, high)
    # 15 values 1..15: close to the normal interval, mean 8 +- 1.96 x (population sd / sqrt(15)) = 5.81..10.19
    values = np.arange(1.0, 16.0)
    half = 1.96 * values.std() / np.sqrt(len(values))
    assert paired.bootstrap_interval(values) == pytest.approx((8.0 - half, 8.0 + half), abs=0.15)


def test_no_common_pair_is_an_error(paired):
    with pytest.raises(ValueError, match="no pair has both e_nearest_dates and c"):
        paired.paired_difference({"a": {"c": scores(1.0, 0.1)}}, "e_nearest_dates", "c", "ssim")


def test_a_committed_run_prints_its_rule_comparisons(paired, capsys):
    folder = "averaged-seed1-2026-12-04"
    validation = json.loads((RECIPES / "results" / folder / "eval-recolour-residual-validation.json").read_text())
    both = validation["c_vs_e_nearest_dates_on_common_pairs"]
    assert paired.main([folder]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "validation" in line and "(e=)" in line and "ssim" in line)
    fields = row.split()
    assert fields[4:7] == ["ssim", "3", f"{both['e_nearest_dates']['ssim'] - both['c_new_world_palette']['ssim']:.4f}"]
    assert fields[7] == "2"  # (e=) wins July and August, loses October
    ireland = next(line for line in out.splitlines() if "bigearthnet" in line and "psnr" in line).split()
    assert ireland[3:6] == ["(c)-(b)", "psnr", "6"] and ireland[7] == "6"  # the palette-led model wins all 6 Irish pairs
