"""Training and evaluation priors (training/priors.py): which prior a tile or an evaluation gets."""
from __future__ import annotations

import numpy as np
import pytest

from sar_colorizer.core.modelfile import InputSpec, PriorSpec
from sar_colorizer.core.prior import constant_grid
from sar_colorizer.training.priors import (PairPriors, PriorConfig, evaluation_prior, month_gap, month_of,
                                           pick_training_prior, place_key)

from .conftest import DATA_ROOT


def grid(value: float, source: str = ""):
    return constant_grid(np.array([value, value, value], np.float32), 64, 64, 32, source)


def test_month_of_reads_the_desert_month_names_and_counts_biomassters_months_from_september():
    assert month_of("desert-patches/zone_9_a_Apr_patch_15") == 3
    assert month_of("desert-patches/zone_9_c_Dec_patch_00") == 11
    assert month_of("temperate-pairs/finland_0060c0a5_month00") == 8   # September
    assert month_of("temperate-pairs/finland_0060c0a5_month04") == 0   # January
    assert month_of("temperate-pairs/finland_000aa810_month10") == 6   # July
    assert month_of("la-texas-vh/005") is None
    assert month_of("temperate-pairs/sen12mscr_ROIs1970_fall_139_p839") is None


def test_month_gap_wraps_round_the_year():
    assert [month_gap(11, 0), month_gap(0, 11), month_gap(2, 8), month_gap(5, 5), month_gap(1, 10)] == [1, 1, 6, 0, 3]


def test_place_key_groups_the_dates_of_one_place():
    assert place_key("desert-patches/zone_9_a_Apr_patch_15") == place_key("desert-patches/zone_9_c_Nov_patch_15")
    assert place_key("desert-patches/zone_9_a_Apr_patch_15") != place_key("desert-patches/zone_9_a_Apr_patch_14")
    assert place_key("temperate-pairs/finland_000aa810_month07") == "finland/000aa810"
    assert place_key("la-texas-vh/005") is None


def test_the_other_date_of_an_evaluation_is_the_nearest_in_the_year():
    others = [grid(0.1, "Sep"), grid(0.2, "Mar"), grid(0.3, "Jun")]
    july = PairPriors(own=grid(0.5), other_dates=others, month=6, other_months=[8, 2, 5])
    assert evaluation_prior(july, "other-date").source == "Jun"
    january = PairPriors(own=grid(0.5), other_dates=others, month=0, other_months=[8, 2, 5])
    assert evaluation_prior(january, "other-date").source == "Mar"
    unknown = PairPriors(own=grid(0.5), other_dates=others)  # months unknown: the first listed
    assert evaluation_prior(unknown, "other-date").source == "Sep"
    assert evaluation_prior(PairPriors(own=grid(0.5)), "other-date") is None


def test_evaluation_prior_modes():
    palette = grid(0.4, "palette")
    placed = PairPriors(own=grid(0.5, "own"), palette=palette, placed_by="georeferencing")
    named = PairPriors(own=grid(0.5, "own"), palette=palette, placed_by="approximate place: Finland")
    assert evaluation_prior(placed, "auto") is palette
    assert evaluation_prior(named, "auto") is None  # sar-colorize cannot place that file
    assert evaluation_prior(named, "palette") is palette
    assert evaluation_prior(placed, "own").source == "own"
    assert evaluation_prior(placed, "none") is None
    with pytest.raises(ValueError, match="^unknown prior mode 'best'; one of auto, palette, other-date, own, none$"):
        evaluation_prior(placed, "best")


def test_training_tiles_drop_the_prior_and_use_their_own_colours_at_the_configured_rates():
    config = PriorConfig(dropout=0.2, own_fraction=0.3, error_sigma=(0.3, 0.3, 0.3))
    priors = PairPriors(own=grid(0.5, "own"), other_dates=[grid(0.1, "a"), grid(0.2, "b")])
    rng = np.random.default_rng(1)
    picks = [pick_training_prior(priors, rng, config) for _ in range(4000)]
    none = sum(p is None for p in picks) / len(picks)
    own = [p for p in picks if p is not None and p.source.startswith("own")]
    dates = [p for p in picks if p is not None and p.source in ("a", "b")]
    assert none == pytest.approx(0.2, abs=0.02)
    assert len(own) / len(picks) == pytest.approx(0.8 * 0.3, abs=0.02)
    assert len(dates) + len(own) + round(none * len(picks)) == len(picks)
    # the own colours arrive with a colour error of about the configured size (log-gain std 0.3)
    log_gain = np.log(np.array([p.rgb[:, 0, 0] for p in own]) / 0.5)
    assert log_gain.std(axis=0) == pytest.approx([0.3, 0.3, 0.3], abs=0.03)


TRAIN = DATA_ROOT / "train"


@pytest.mark.skipif(not TRAIN.is_dir(), reason=f"real data not found at {TRAIN} (needs ../shared/data)")
def test_real_finnish_and_desert_pairs_get_their_other_dates_with_months():
    from sar_colorizer.training.datasets import BandRoles, discover, load_sources

    wanted = {"temperate-pairs/finland_0060c0a5_month00", "temperate-pairs/finland_0060c0a5_month01",
              "temperate-pairs/finland_0060c0a5_month05", "desert-patches/zone_9_a_Apr_patch_15",
              "desert-patches/zone_9_a_Feb_patch_15", "desert-patches/zone_9_a_Mar_patch_15"}
    sources = [s for s in discover(TRAIN) if s.name in wanted]
    spec = InputSpec(bands=("VV", "VH"), availability_channels=True, prior=PriorSpec(cell_px=256))
    pairs = {p.name: p for p in load_sources(sources, spec, BandRoles.parse([]))}
    assert set(pairs) == wanted
    sep = pairs["temperate-pairs/finland_0060c0a5_month00"].priors
    assert (sep.month, sorted(sep.other_months)) == (8, [1, 9])  # February (month05), October (month01)
    october = pairs["temperate-pairs/finland_0060c0a5_month01"].priors.own
    np.testing.assert_array_equal(evaluation_prior(sep, "other-date").rgb, october.rgb)
    apr = pairs["desert-patches/zone_9_a_Apr_patch_15"].priors
    assert (apr.month, sorted(apr.other_months)) == (3, [1, 2])
    march = pairs["desert-patches/zone_9_a_Mar_patch_15"].priors.own
    np.testing.assert_array_equal(evaluation_prior(apr, "other-date").rgb, march.rgb)


def test_palette_fitted_without_the_pairs_place_rescales_only_the_fitted_places():
    from sar_colorizer.training.colour import calibration
    from sar_colorizer.training.priors import palette_fitted_without_place

    mapping = calibration()["palette_to_convention"]
    refit = mapping["leave_one_place_out"]["temperate-pairs/finland_000aa810"]["gain"]
    palette = grid(0.3, "world palette")
    got = palette_fitted_without_place("temperate-pairs/finland_000aa810_month07", palette)
    np.testing.assert_allclose(got.rgb[:, 0, 0], 0.3 * np.array(refit) / np.array(mapping["gain"]), rtol=1e-6)
    assert got.source == "world palette, mapping fitted without temperate-pairs/finland_000aa810"
    np.testing.assert_array_equal(got.present, palette.present)
    # a place the mapping was not fitted on keeps the palette; no palette stays none
    assert palette_fitted_without_place("la-texas-vh/005", palette) is palette
    assert palette_fitted_without_place("temperate-pairs/finland_0060c0a5_month01", None) is None
    # the four reflectance places each have their own refit, every one different from the shipped gains
    assert len(mapping["leave_one_place_out"]) == 4
    assert all(v["gain"] != mapping["gain"] for v in mapping["leave_one_place_out"].values())
