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


def test_between_runs_takes_one_method_on_the_pairs_both_runs_scored(paired):
    new = {"p1": {"c": scores(16.0, 0.40)}, "p2": {"c": scores(12.0, 0.20)}, "p3": {"c": scores(9.0, 0.1)}}
    old = {"p1": {"c": scores(15.5, 0.42)}, "p2": {"c": scores(13.0, 0.20), "d": scores(1.0, 0.0)}}
    assert np.allclose(paired.between_runs(new, old, "c", "psnr"), [0.5, -1.0])  # p3: not in the old run
    assert np.allclose(paired.between_runs(new, old, "c", "ssim"), [-0.02, 0.0])
    assert len(paired.between_runs(new, old, "d", "psnr")) == 0  # the new run has no (d)


def test_between_pools_distinct_pairs_and_refuses_a_pair_counted_twice(paired, tmp_path, capsys):
    def write(name: str, per_pair: dict) -> str:
        path = tmp_path / name
        path.write_text(json.dumps({"per_pair": per_pair}))
        return str(path)
    c = "c_new_world_palette"
    a_new = write("a_new.json", {"x/1": {c: scores(11.0, 0.3)}, "x/2": {c: scores(12.0, 0.3)}})
    a_old = write("a_old.json", {"x/1": {c: scores(10.0, 0.3)}, "x/2": {c: scores(10.0, 0.3)}})
    b_new = write("b_new.json", {"y/1": {c: scores(10.0, 0.3)}})
    b_old = write("b_old.json", {"y/1": {c: scores(13.0, 0.3)}})
    assert paired.main(["--between", f"{a_new}={a_old}", f"{b_new}={b_old}"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.split()[1:3] == [c, "psnr"]]
    assert [(r[0].split("/")[-1], r[3], r[4], r[5]) for r in rows] == [
        ("a_new", "2", "1.5000", "2"), ("b_new", "1", "-3.0000", "0"), ("pooled", "3", "0.0000", "2")]
    mixed_new = write("m_new.json", {"x/1": {c: scores(11.0, 0.3)}, "x/2": {c: scores(12.0, 0.3)},
                                     "y/1": {c: scores(10.0, 0.3)}, "y/2": {c: scores(9.0, 0.3)}})
    mixed_old = write("m_old.json", {"x/1": {c: scores(10.0, 0.3)}, "x/2": {c: scores(10.0, 0.3)},
                                     "y/1": {c: scores(13.0, 0.3)}, "y/2": {c: scores(10.0, 0.3)}})
    assert paired.main(["--between", f"{mixed_new}={mixed_old}"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if c in line and "psnr" in line]
    assert [(r[0].split("/")[-1], r[1], r[-5], r[-4]) for r in rows] == [  # the file, then each data set in it
        ("m_new", c, "4", "-0.2500"), ("m_new", "x", "2", "1.5000"), ("m_new", "y", "2", "-2.0000")]
    with pytest.raises(ValueError, match="counted twice|count it twice"):
        paired.main(["--between", f"{a_new}={a_old}", f"{a_new}={b_old}"])
    assert paired.main(["--between", "no-equals-sign.json"]) == 2
