"""Colour priors for training pairs, and how a training tile picks one.

Every pair gets the priors that its data can honestly give (issue 11):
- ``other_dates``: the same place on other dates (desert patches: 12 months of each place; the
  Finnish chips: several months), reduced exactly as a user's reference is at inference;
- ``palette``: the world palette's colour at the place, where the pair is georeferenced (LA/Texas,
  SEN12MS-CR) or its source names the place (training/recipes/palette_calibration.json "places");
- ``own``: the pair's own optical reduced to the prior's scale; a tile that uses it gets a random
  colour error of the size measured between the world palette and real scenes, so the model learns
  to follow a prior about as wrong as the palette is, not to copy a perfect one.
Part of the tiles get no prior at all (the no-prior mode).
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..core.prior import PriorGrid, constant_grid, reduce_to_grid
from .colour import bright_white, calibration, colour_error_sigma

PRIOR_MODES = ("auto", "palette", "other-date", "own", "none")


@dataclass
class PairPriors:
    own: PriorGrid
    other_dates: list[PriorGrid] = field(default_factory=list)
    palette: Optional[PriorGrid] = None
    placed_by: str = ""  # "georeferencing", "approximate place: ...", "" (not placed)
    month: Optional[int] = None  # the pair's month of the year (0..11) where its name says it
    other_months: list[Optional[int]] = field(default_factory=list)  # one per other date

    def nearest_season(self) -> Optional[PriorGrid]:
        """The other date a user would pick as a reference: the nearest in the year (a summer scene
        gets a summer reference, not the snow of March); the first listed where months are unknown or
        two are equally near."""
        nearest = self.nearest_seasons()
        return nearest[0] if nearest else None

    def nearest_seasons(self) -> list[PriorGrid]:
        """Every other date equally near in the year (nearest_season takes the first of them): nothing
        in a scene says which of two equally near dates a user would pick, so an evaluation averages
        over them. [] where there is none; every other date where months are unknown."""
        if not self.other_dates:
            return []
        if self.month is None or len(self.other_months) != len(self.other_dates) or None in self.other_months:
            return list(self.other_dates)
        gaps = [month_gap(self.month, m) for m in self.other_months]
        return [d for d, g in zip(self.other_dates, gaps) if g == min(gaps)]


@dataclass(frozen=True)
class PriorConfig:
    dropout: float = 0.2        # tiles with no prior
    own_fraction: float = 0.3   # tiles whose prior is their own optical with a colour error
    error_sigma: tuple[float, float, float] = (0.25, 0.25, 0.25)  # log-gain std per channel
    brightness_sigma: float = 0.0  # one extra log-gain shared by the three channels
    recolour: float = 0.0       # tiles with a prior whose target and prior get the same random colour
    recolour_sigma: float = 0.5  # its log-gain std per channel

    @classmethod
    def measured(cls, **kw) -> "PriorConfig":
        return cls(error_sigma=colour_error_sigma(), **kw)


def place_key(name: str) -> Optional[str]:
    """Pairs that show the same place on other dates share a key."""
    m = re.search(r"^desert-patches/.*_patch_(\d+)$", name)
    if m:
        return f"desert-patches/patch_{m.group(1)}"
    m = re.search(r"^temperate-pairs/finland_([0-9a-f]+)_month\d+$", name)
    if m:
        return f"finland/{m.group(1)}"
    return None


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_of(name: str) -> Optional[int]:
    """Month of the year (0 = January) that a pair's name gives: the desert patches name it
    (``zone_9_a_Apr_patch_15``); BioMassters chips number it from September (``month00`` = September,
    the competition's convention)."""
    m = re.search(r"_(" + "|".join(MONTH_NAMES) + r")_patch_\d+$", name)
    if m:
        return MONTH_NAMES.index(m.group(1))
    m = re.search(r"^temperate-pairs/finland_[0-9a-f]+_month(\d+)$", name)
    if m:
        return (int(m.group(1)) + 8) % 12
    return None


def month_gap(a: int, b: int) -> int:
    """Months between two months of the year, either way round (December to January is 1)."""
    d = abs(a - b) % 12
    return min(d, 12 - d)


def approximate_place(name: str) -> Optional[tuple[float, float, str]]:
    """(lon, lat, note) of a pair with no georeferencing whose source names its place."""
    for pattern, place in calibration().get("places", {}).items():
        if fnmatch.fnmatch(name, pattern) and place and place.get("lon") is not None:
            return float(place["lon"]), float(place["lat"]), str(place.get("note", pattern))
    return None


def palette_grid_for(sar_path, shape: tuple[int, int], name: str, cell: float) -> tuple[Optional[PriorGrid], str]:
    """The world palette's grid over a pair, through its georeferencing or its approximate place."""
    try:
        from ..core import world_palette
    except ImportError:  # the palette module is not there (yet)
        return None, ""
    from osgeo import gdal

    h, w = shape
    ds = gdal.Open(str(sar_path))
    grid = world_palette.world_palette_grid(ds, w, h, cell) if ds is not None else None
    del ds
    if grid is not None and grid.any:
        return grid, "georeferencing"
    place = approximate_place(name)
    if place is None:
        return None, ""
    lon, lat, note = place
    colour = np.asarray(world_palette.colour_at(np.array([lon]), np.array([lat])), np.float32).reshape(3)
    return constant_grid(colour, w, h, cell, f"world palette at {note}"), f"approximate place: {note}"


def palette_fitted_without_place(name: str, palette: Optional[PriorGrid]) -> Optional[PriorGrid]:
    """The pair's palette grid as the palette -> convention mapping fitted without the pair's own place
    gives it (training/recipes/palette_calibration.json "leave_one_place_out"): the shipped mapping was
    fitted on the four reflectance places, so on those places a plain palette has seen the colours it
    is scored against. Unchanged where the pair's place was not in the fit."""
    if palette is None:
        return None
    from ..core.world_palette import PaletteMapping

    mapping = calibration().get("palette_to_convention", {})
    for place, refit in mapping.get("leave_one_place_out", {}).items():
        if name == place or name.startswith(place + "_"):
            shipped, without = PaletteMapping.from_json(mapping), PaletteMapping.from_json(refit)
            rgb = without.apply(shipped.invert(palette.rgb))  # float32
            return PriorGrid(rgb, palette.present, palette.cell, palette.source + f", mapping fitted without {place}")
    return palette


def attach_priors(pairs: Sequence, sar_paths: Sequence, cell: float) -> None:
    """Give every pair its PairPriors (``pair.priors``)."""
    by_place: dict[str, list] = {}
    for p in pairs:
        key = place_key(p.name)
        if key:
            by_place.setdefault(key, []).append(p)
    own = {}
    for p in pairs:
        conv = p.target.astype(np.float32) / np.float32(255.0)
        ok = p.target_valid & ~bright_white(conv)
        own[p.name] = reduce_to_grid(conv, ok, cell, f"own optical of {p.name}")
    for p, path in zip(pairs, sar_paths):
        key = place_key(p.name)
        same_place = [q for q in by_place.get(key, []) if q.name != p.name and q.shape == p.shape
                      and own[q.name].any] if key else []
        palette, placed_by = palette_grid_for(path, p.shape, p.name, cell)
        p.priors = PairPriors(own=own[p.name], other_dates=[own[q.name] for q in same_place], palette=palette,
                              placed_by=placed_by, month=month_of(p.name),
                              other_months=[month_of(q.name) for q in same_place])


def _with_gain(grid: PriorGrid, gains: np.ndarray) -> PriorGrid:
    return PriorGrid(grid.rgb * gains.reshape(3, 1, 1).astype(np.float32), grid.present, grid.cell,
                     grid.source + " x colour error")


def pick_training_prior(priors: Optional[PairPriors], rng: np.random.Generator,
                        config: PriorConfig) -> Optional[PriorGrid]:
    """The prior of one training tile (None: no prior)."""
    if priors is None or rng.random() < config.dropout:
        return None
    real = priors.other_dates or ([priors.palette] if priors.palette is not None else [])
    if not real or rng.random() < config.own_fraction:
        gains = np.exp(rng.normal(0.0, config.error_sigma) + rng.normal(0.0, config.brightness_sigma or 1e-9))
        return _with_gain(priors.own, gains) if priors.own.any else None
    return real[int(rng.integers(len(real)))]


def recolour_tile(x: np.ndarray, y: np.ndarray, first_prior_channel: int, rng: np.random.Generator,
                  config: PriorConfig) -> tuple[np.ndarray, np.ndarray]:
    """With a prior, part of the tiles get one random colour gain on both the target and the prior.
    In the training data a place's colour goes with its kind of backscatter (desert SAR, desert
    orange), so a network can learn the colour from the SAR and ignore the prior: in a place it never
    saw, it then paints its training places' colours. Recoloured, the tile's colour can only come
    from the prior; its structure still comes from the SAR."""
    if config.recolour <= 0 or rng.random() >= config.recolour:
        return x, y
    gain = np.exp(rng.normal(0.0, config.recolour_sigma, 3)).astype(np.float32)[:, None, None]
    x = x.copy()
    rgb = slice(first_prior_channel, first_prior_channel + 3)
    x[rgb] *= gain
    return x, np.clip(y * gain, 0.0, 1.0)


def evaluation_prior(priors: Optional[PairPriors], mode: str) -> Optional[PriorGrid]:
    """The prior an evaluation gives a pair: ``palette`` (the default at inference), ``other-date``
    (a user's reference of another date: the nearest in the year, PairPriors.nearest_season), ``own`` (the truth's own colours,
    an upper bound), ``none``; ``auto`` = what sar-colorize gives the same file: the palette where the
    pair's file is georeferenced, else none (an approximate place named by a source is not in the file)."""
    if mode not in PRIOR_MODES:
        raise ValueError(f"unknown prior mode {mode!r}; one of {', '.join(PRIOR_MODES)}")
    if priors is None or mode == "none":
        return None
    if mode == "auto":
        return priors.palette if priors.placed_by == "georeferencing" else None
    if mode == "palette":
        return priors.palette
    if mode == "other-date":
        return priors.nearest_season()
    return priors.own


def prior_kind(mode: str) -> str:
    """What an evaluation prior mode stands for at inference (core/prior_source.ChosenPrior.kind): the
    palette, or a user's colour reference (another date; the own optical as an upper bound)."""
    return {"auto": "palette", "palette": "palette", "other-date": "reference", "own": "reference"}.get(mode, "")
