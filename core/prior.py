"""The colour prior: a coarse colour map of the scene's place, given to the model beside the SAR.

SAR carries no colour; the place does. The prior is a grid of coarse cells over the scene (one
cell = ``cell`` scene pixels a side) holding a colour in the model's colour convention
(:data:`COLOUR_CONVENTION`) and whether that cell has one. A tile's prior channels are the grid
interpolated bilinearly between cell centres, the same at every pixel whatever the tiling, so
tiles meet without a seam and the prior can never carry structure finer than a cell: it gives the
palette, the SAR gives every field, river and town.

Where the grid comes from (a built-in world palette, a user's optical reference, nothing) is the
business of ``world_palette`` and ``colour_reference``; training reduces a tile's own or another
date's optical with :func:`reduce_to_grid`, exactly as a reference is reduced at inference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

# What 0..1 in the model's output (and in the prior) means: 0..255 in the written GeoTIFF.
COLOUR_CONVENTION = ("Sentinel-2 true colour: R,G,B = B4,B3,B2 reflectance 0..0.3 -> 0..1 (0..255 in 8-bit); "
                     "reflectance as in the training data: L1C top of atmosphere or L2A surface")
REFLECTANCE_FULL_SCALE = 0.3  # reflectance that maps to 1.0 (255)
REFLECTANCE_SCALE = 10000.0  # Sentinel-2 L1C/L2A digital numbers per unit reflectance
PRIOR_CHANNELS = ("prior_R", "prior_G", "prior_B", "prior_present")
DEFAULT_CELL_PX = 256  # 2.56 km at the 10 m the model is trained at: a palette, not a picture


@dataclass
class PriorGrid:
    """Colours of coarse cells over a raster of ``width`` x ``height`` pixels."""

    rgb: np.ndarray       # (3, gh, gw) float32, colour convention (0..1 = reflectance 0..0.3)
    present: np.ndarray   # (gh, gw) bool: the cell has a colour
    cell: float           # raster pixels per cell side
    source: str = "none"  # what it came from, for logs and the output's metadata

    @property
    def any(self) -> bool:
        return bool(self.present.any())

    def window(self, y0: int, rows: int, x0: int, cols: int) -> np.ndarray:
        """The 4 prior channels (R, G, B, present) for raster rows [y0, y0+rows), columns
        [x0, x0+cols): bilinear between cell centres, the edge cells' values beyond them.
        Pixels outside the raster (padding) get the nearest cell's values."""
        gh, gw = self.present.shape
        iy0, iy1, wy = _weights(y0, rows, self.cell, gh)
        ix0, ix1, wx = _weights(x0, cols, self.cell, gw)
        grid = np.concatenate([self.rgb, self.present[None].astype(np.float32)], axis=0)  # (4, gh, gw)
        # separable: along x on the coarse rows first (4 x gh x cols), then along y
        across = np.take(grid, ix0, axis=2) * (1 - wx) + np.take(grid, ix1, axis=2) * wx  # (4, gh, cols)
        out = np.empty((4, rows, cols), np.float32)
        # rows between the same two cell rows form runs (a strip spans a few cells): each run is
        # upper + (lower - upper) * weight, two passes over its pixels
        starts = np.flatnonzero(np.diff(iy0, prepend=-1))
        for begin, end in zip(starts, list(starts[1:]) + [rows]):
            upper, lower = across[:, iy0[begin]], across[:, iy1[begin]]
            run = out[:, begin:end]
            np.multiply((lower - upper)[:, None, :], wy[begin:end, None], out=run)
            run += upper[:, None, :]
        return out


def _weights(start: int, count: int, cell: float, cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper cell index and the upper one's weight for pixel centres start..start+count."""
    pos = (np.arange(start, start + count, dtype=np.float64) + 0.5) / cell - 0.5
    pos = np.clip(pos, 0, cells - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, cells - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def grid_shape(width: int, height: int, cell: float) -> tuple[int, int]:
    return max(1, int(np.ceil(height / cell))), max(1, int(np.ceil(width / cell)))


def fill_missing(rgb: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Cells without a colour take their nearest coloured neighbour's (grown ring by ring), so the
    interpolation next to a gap in a reference does not fade to black; ``present`` still says
    which cells were measured."""
    rgb = rgb.copy()
    if present.all() or not present.any():
        if not present.any():
            rgb[:] = 0
        return rgb
    known = present.copy()
    while not known.all():
        grown = known.copy()
        acc = np.zeros_like(rgb)
        cnt = np.zeros(known.shape, np.float32)
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
            src = np.roll(np.roll(known, dy, 0), dx, 1)
            vals = np.roll(np.roll(rgb, dy, 1), dx, 2)
            # no wrap-around: a rolled-in edge row/column does not count
            if dy == 1:
                src[0, :] = False
            elif dy == -1:
                src[-1, :] = False
            if dx == 1:
                src[:, 0] = False
            elif dx == -1:
                src[:, -1] = False
            take = src & ~known
            acc[:, take] += vals[:, take]
            cnt[take] += 1
        new = cnt > 0
        rgb[:, new] = acc[:, new] / cnt[new]
        grown |= new
        known = grown
    return rgb


def reduce_to_grid(rgb: np.ndarray, valid: Optional[np.ndarray], cell: float, source: str,
                   min_valid: float = 0.25) -> PriorGrid:
    """Mean colour of each cell of an image already on the raster's grid, (3, H, W) in the colour
    convention. A cell with less than ``min_valid`` of its pixels valid has no colour."""
    _, h, w = rgb.shape
    gh, gw = grid_shape(w, h, cell)
    ok = np.isfinite(rgb).all(axis=0) if valid is None else (valid & np.isfinite(rgb).all(axis=0))
    ys = np.minimum((np.arange(h) / cell).astype(np.intp), gh - 1)
    xs = np.minimum((np.arange(w) / cell).astype(np.intp), gw - 1)
    cell_index = (ys[:, None] * gw + xs[None, :]).ravel()
    n = gh * gw
    area = np.bincount(cell_index, minlength=n).reshape(gh, gw).astype(np.float64)
    flat_ok = ok.ravel()
    idx = cell_index[flat_ok]
    counts = np.bincount(idx, minlength=n).reshape(gh, gw).astype(np.float64)
    sums = np.stack([np.bincount(idx, weights=rgb[c].ravel()[flat_ok].astype(np.float64), minlength=n)
                     .reshape(gh, gw) for c in range(3)])
    present = counts >= np.maximum(min_valid * area, 1)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0).astype(np.float32)
    return PriorGrid(fill_missing(means, present), present, float(cell), source)


def constant_grid(colour, width: int, height: int, cell: float, source: str) -> PriorGrid:
    """One colour over the whole raster (a world-palette colour at a training pair's place)."""
    gh, gw = grid_shape(width, height, cell)
    rgb = np.broadcast_to(np.asarray(colour, np.float32).reshape(3, 1, 1), (3, gh, gw)).copy()
    return PriorGrid(rgb, np.ones((gh, gw), bool), float(cell), source)


def no_prior(width: int, height: int, cell: float) -> PriorGrid:
    """The model's no-prior mode: every cell absent, colours 0."""
    gh, gw = grid_shape(width, height, cell)
    return PriorGrid(np.zeros((3, gh, gw), np.float32), np.zeros((gh, gw), bool), float(cell), "none")


def reflectance_to_convention(reflectance: np.ndarray) -> np.ndarray:
    """Surface reflectance (0..1) -> the colour convention's 0..1 (not clipped)."""
    return (np.asarray(reflectance, np.float32) / np.float32(REFLECTANCE_FULL_SCALE)).astype(np.float32)
