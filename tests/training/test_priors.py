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


def test_equally_near_other_dates_are_all_kept_for_the_mean():
    """Finland 0060c0a5 month07 (April): March (snow) and May are one month away each; nearest_season takes
    the first listed, nearest_seasons both."""
    others = [grid(0.9, "Mar"), grid(0.3, "May"), grid(0.2, "Jul")]
    april = PairPriors(own=grid(0.5), other_dates=others, month=3, other_months=[2, 4, 6])
    assert april.nearest_season().source == "Mar"
    assert [g.source for g in april.nearest_seasons()] == ["Mar", "May"]
    june = PairPriors(own=grid(0.5), other_dates=others, month=5, other_months=[2, 4, 6])
    assert [g.source for g in june.nearest_seasons()] == ["May", "Jul"]
    july = PairPriors(own=grid(0.5), other_dates=others, month=6, other_months=[2, 4, 6])
    assert [g.source for g in july.nearest_seasons()] == ["Jul"]
    unknown = PairPriors(own=grid(0.5), other_dates=others)  # months unknown: every other date
    assert [g.source for g in unknown.nearest_seasons()] == ["Mar", "May", "Jul"]
    assert PairPriors(own=grid(0.5)).nearest_seasons() == []


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

    from sar_colorizer.core.world_palette import PaletteMapping

    mapping = calibration()["palette_to_convention"]
    refit = mapping["leave_one_place_out"]["temperate-pairs/finland_000aa810"]
    palette = grid(0.3, "world palette")
    got = palette_fitted_without_place("temperate-pairs/finland_000aa810_month07", palette)
    # the raw palette value the shipped mapping gave 0.3 from, mapped by the refit
    raw = (0.3 - np.array(mapping.get("offset", [0, 0, 0]))) / np.array(mapping["gain"]) * 255
    assert np.all(raw > 0) and np.array(mapping["gamma"]).tolist() == [1, 1, 1]
    expected = np.array(refit.get("offset", [0, 0, 0])) + np.array(refit["gain"]) * raw / 255
    np.testing.assert_allclose(got.rgb[:, 0, 0], expected, rtol=1e-5)
    np.testing.assert_allclose(got.rgb, PaletteMapping.from_json(refit).apply(
        PaletteMapping.from_json(mapping).invert(palette.rgb)), rtol=1e-6)
    assert got.source == "world palette, mapping fitted without temperate-pairs/finland_000aa810"
    np.testing.assert_array_equal(got.present, palette.present)
    # a place the mapping was not fitted on keeps the palette; no palette stays none
    assert palette_fitted_without_place("la-texas-vh/005", palette) is palette
    assert palette_fitted_without_place("temperate-pairs/finland_0060c0a5_month01", None) is None
    # the four reflectance places each have their own refit, every one different from the shipped gains
    assert len(mapping["leave_one_place_out"]) == 4
    assert all(v["gain"] != mapping["gain"] for v in mapping["leave_one_place_out"].values())


def test_recoloured_tiles_get_one_colour_gain_on_target_and_prior_and_nothing_else():
    from sar_colorizer.training.priors import recolour_tile

    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, (8, 16, 16)).astype(np.float32)  # VV, VH, 2 flags, prior R, G, B, present
    y = rng.uniform(0.0, 0.9, (3, 16, 16)).astype(np.float32)
    config = PriorConfig(recolour=1.0, recolour_sigma=0.4)
    gains = []
    for _ in range(2000):
        x2, y2 = recolour_tile(x, y, 4, rng, config)
        gain = x2[4:7, 0, 0] / x[4:7, 0, 0]
        np.testing.assert_allclose(x2[4:7], x[4:7] * gain[:, None, None], rtol=1e-5)
        np.testing.assert_allclose(y2, np.clip(y * gain[:, None, None], 0.0, 1.0), rtol=1e-5)
        np.testing.assert_array_equal(x2[[0, 1, 2, 3, 7]], x[[0, 1, 2, 3, 7]])  # SAR, flags, presence
        gains.append(gain)
    assert np.log(gains).std(axis=0) == pytest.approx([0.4, 0.4, 0.4], abs=0.03)
    assert np.log(gains).mean(axis=0) == pytest.approx([0.0, 0.0, 0.0], abs=0.03)


def test_recolouring_at_its_rate_and_without_drawing_when_off():
    from sar_colorizer.training.priors import recolour_tile

    x = np.full((8, 4, 4), 0.5, np.float32)
    y = np.full((3, 4, 4), 0.5, np.float32)
    rng = np.random.default_rng(0)
    changed = [not np.array_equal(recolour_tile(x, y, 4, rng, PriorConfig(recolour=0.3))[1], y) for _ in range(4000)]
    assert np.mean(changed) == pytest.approx(0.3, abs=0.02)
    # off (the default): inputs returned as they are and no random number drawn, so runs of earlier
    # recipes cut the same tiles
    rng, untouched = np.random.default_rng(5), np.random.default_rng(5)
    x2, y2 = recolour_tile(x, y, 4, rng, PriorConfig())
    assert x2 is x and y2 is y
    assert rng.random() == untouched.random()


@pytest.mark.skipif(not TRAIN.is_dir(), reason=f"real data not found at {TRAIN} (needs ../shared/data)")
def test_real_training_tiles_recoloured_are_the_same_tiles_with_one_gain_on_target_and_prior():
    from sar_colorizer.training.datasets import BandRoles, RandomTileDataset, discover, load_sources

    sources = [s for s in discover(TRAIN) if s.name.startswith("desert-patches/zone_9_a_")][:6]
    spec = InputSpec(bands=("VV", "VH"), availability_channels=True, prior=PriorSpec(cell_px=256))
    pairs = load_sources(sources, spec, BandRoles.parse([]))
    plain = RandomTileDataset(pairs, spec, tile=64, length=40, seed=7, prior=PriorConfig(dropout=0.2))
    recoloured = RandomTileDataset(pairs, spec, tile=64, length=40, seed=7,
                                   prior=PriorConfig(dropout=0.2, recolour=1.0, recolour_sigma=0.5))
    with_prior = 0
    for i in range(40):
        (x0, y0, v0), (x1, y1, v1) = plain[i], recoloured[i]
        x0, y0, x1, y1 = (t.numpy() for t in (x0, y0, x1, y1))
        np.testing.assert_array_equal(x1[:4], x0[:4])  # the same window, bands and augmentation
        np.testing.assert_array_equal(v1.numpy(), v0.numpy())
        if not x0[7].any():  # no prior: not recoloured
            np.testing.assert_array_equal(y1, y0)
            continue
        with_prior += 1
        gain = x1[4:7].sum(axis=(1, 2)) / x0[4:7].sum(axis=(1, 2))
        assert np.ptp(gain) > 0.01  # a colour change, not only a brightness one
        np.testing.assert_allclose(x1[4:7], x0[4:7] * gain[:, None, None], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(y1, np.clip(y0 * gain[:, None, None], 0.0, 1.0), rtol=1e-4, atol=1e-6)
    assert 20 <= with_prior < 40
