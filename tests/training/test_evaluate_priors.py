"""Issue 11's evaluation script (training/evaluate_priors.py) on a tiny synthetic place seen in three
months: which methods it scores where, and which other date (e) uses."""
from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sar_colorizer.core.model import ArchitectureConfig, RobustUNet  # noqa: E402
from sar_colorizer.core.modelfile import InputSpec, ModelMetadata, PriorSpec, TileSpec, save_model_file  # noqa: E402
from sar_colorizer.training import evaluate_priors  # noqa: E402

from .conftest import synthetic_pair, write_raster  # noqa: E402


@pytest.fixture
def prior_model(tmp_path):
    torch.manual_seed(0)
    cfg = ArchitectureConfig(in_channels=8, base_channels=4, depth=2, prior_residual=True)
    meta = ModelMetadata(architecture=cfg, inputs=InputSpec(bands=("VV", "VH"), availability_channels=True,
                                                            prior=PriorSpec(cell_px=32)),
                         tile=TileSpec(64, 16), name="tiny-prior")
    return str(save_model_file(tmp_path / "tiny.safetensors", RobustUNet(cfg).eval(), meta))


def one_place(root, months: dict[str, float]):
    """desert-patches/{s1,s2}/zone_1_a_<Mon>_patch_07.tif: one unplaced place, a brightness per month."""
    rng = np.random.default_rng(3)
    for month, gain in months.items():
        sar, rgb = synthetic_pair(rng, size=64, dual=True)
        write_raster(root / "desert-patches" / "s1" / f"zone_1_a_{month}_patch_07.tif", sar)
        write_raster(root / "desert-patches" / "s2" / f"zone_1_a_{month}_patch_07.tif",
                     np.clip(rgb * gain, 0, 10000).astype(np.uint16))


def test_methods_scored_where_they_apply_and_other_dates_recorded(tmp_path, prior_model):
    one_place(tmp_path / "data", {"Jan": 1.0, "Feb": 1.3, "Jul": 0.5})
    out = tmp_path / "eval.json"
    summary = evaluate_priors.run(prior_model, None, [str(tmp_path / "data")], [], [], str(out), None, "test",
                                  threads=1, log=lambda *_: None)
    # no place (b, c need one), no old model (a); every pair has two other dates
    assert sorted(summary) == ["d_new_no_prior", "e0_reference_alone", "e_every_other_date", "e_nearest_dates",
                               "e_new_other_date", "f0_own_alone", "f_new_own_optical"]
    assert summary["e_new_other_date"]["desert-patches"]["pairs"] == 3
    assert summary["e_every_other_date"]["desert-patches"]["pairs"] == 3
    assert summary["e_nearest_dates"]["desert-patches"]["pairs"] == 3
    saved = json.loads(out.read_text())
    assert saved["other_dates"] == {f"desert-patches/zone_1_a_{m}_patch_07": 2 for m in ("Feb", "Jan", "Jul")}
    assert saved["other_date_choice"].startswith("(e): the other date nearest in the year")
    assert saved["results"] == json.loads(json.dumps(summary))
    assert sorted(saved["per_pair"]["desert-patches/zone_1_a_Jul_patch_07"]) == sorted(summary)


def test_with_one_other_date_e_and_the_mean_over_other_dates_agree(tmp_path, prior_model):
    one_place(tmp_path / "data", {"Mar": 1.0, "Sep": 0.6})
    summary = evaluate_priors.run(prior_model, None, [str(tmp_path / "data")], [], [], None, None, "test",
                                  threads=1, log=lambda *_: None)
    e, every = summary["e_new_other_date"]["desert-patches"], summary["e_every_other_date"]["desert-patches"]
    nearest = summary["e_nearest_dates"]["desert-patches"]
    for key in ("psnr", "ssim", "mae", "colour_error"):
        assert every[key] == pytest.approx(e[key], rel=1e-6)
        assert nearest[key] == pytest.approx(e[key], rel=1e-6)
    # and the other date's colours are not the pair's own: (e) and (f) differ
    assert summary["f_new_own_optical"]["desert-patches"]["colour_error"] != pytest.approx(e["colour_error"])


def test_two_methods_compared_on_the_pairs_both_score():
    per_pair = {"p1": {"c": {"psnr": 10.0}, "e": {"psnr": 14.0}},
                "p2": {"c": {"psnr": 20.0}},                       # no other date: left out of both means
                "p3": {"c": {"psnr": 12.0}, "e": {"psnr": 11.0}}}
    assert evaluate_priors.on_common_pairs(per_pair, "c", "e") == {"pairs": 2, "c": {"psnr": 11.0}, "e": {"psnr": 12.5}}
    assert evaluate_priors.on_common_pairs({"p2": per_pair["p2"]}, "c", "e") is None


def test_a_model_that_adds_no_structure_gives_the_reference_alone_when_its_colours_are_kept(tmp_path, model_factory):
    """A constant-colour model with the reference's coarse colours kept outputs the reference's colours:
    (e) scores what (e0) does; without the rule it scores its own constant colour."""
    one_place(tmp_path / "data", {"Jan": 1.0, "Feb": 1.3, "Jul": 0.5})
    grey = str(model_factory("grey.safetensors", bands=("VV", "VH"), availability=True, prior_cell=32,
                             constant=(0.5, 0.5, 0.5), coarse_sigma=8.0))
    kept, plain = (evaluate_priors.run(grey, None, [str(tmp_path / "data")], [], [], str(tmp_path / f"{name}.json"),
                                       None, "test", threads=1, log=lambda *_: None, coarse_from=kinds)
                   for name, kinds in (("kept", ("reference",)), ("plain", ())))
    for key in ("psnr", "ssim", "colour_error"):
        assert kept["e_new_other_date"]["desert-patches"][key] == pytest.approx(
            kept["e0_reference_alone"]["desert-patches"][key], abs=1e-3)
    assert plain["e_new_other_date"]["desert-patches"]["colour_error"] != pytest.approx(
        plain["e0_reference_alone"]["desert-patches"]["colour_error"], abs=1.0)
    assert json.loads((tmp_path / "kept.json").read_text())["coarse_colours_kept_from"] == ["reference"]


def test_equally_near_dates_are_averaged_and_the_first_listed_kept_beside(tmp_path, prior_model):
    """Jul's other dates Jun and Aug are one month away each: (e) takes Jun (the first listed), (e=) the
    mean of the two; Jun's and Aug's own (e) have only one nearest date, so there (e=) is (e)."""
    one_place(tmp_path / "data", {"Jun": 1.0, "Jul": 1.3, "Aug": 0.5})
    out = tmp_path / "eval.json"
    evaluate_priors.run(prior_model, None, [str(tmp_path / "data")], [], [], str(out), None, "test",
                        threads=1, log=lambda *_: None)
    saved = json.loads(out.read_text())["per_pair"]
    july, june = saved["desert-patches/zone_1_a_Jul_patch_07"], saved["desert-patches/zone_1_a_Jun_patch_07"]
    assert june["e_nearest_dates"] == pytest.approx(june["e_new_other_date"], rel=1e-6)
    # Jul: the mean over its two other dates is the mean over every other date, and not the first one's
    assert july["e_nearest_dates"] == pytest.approx(july["e_every_other_date"], rel=1e-6)
    assert july["e_nearest_dates"]["colour_error"] != pytest.approx(july["e_new_other_date"]["colour_error"], rel=1e-3)
