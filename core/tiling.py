"""Tile grid with overlap, the blend weights, and an accumulator that streams finished pixels.

Tiles overlap by ``overlap`` pixels; every output pixel is the weighted mean of the tiles covering
it, with weights that fall off linearly towards tile edges (where a convolutional network sees
the least context). The weights never reach zero, so pixels on the raster border, covered by one
tile only, are well defined, and a constant prediction stays exactly constant.

Rows of tiles are processed top to bottom and each row of tiles left to right. Once a tile is
added, the columns left of the next tile are final for this row of tiles: their final rows leave
at once, and their rows that the next row of tiles overlaps are carried to it. So memory as wide
as the raster is only that carry (``overlap`` rows, more after a pulled-back last row of tiles).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets along one axis; the last tile is pulled back to end on the raster edge."""
    if tile <= overlap:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile size ({tile})")
    if length <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def blend_ramp(tile: int, overlap: int) -> np.ndarray:
    """(tile,) float32: 1 in the core, a linear ramp over the overlap, > 0 everywhere."""
    i = np.arange(tile, dtype=np.float32)
    return np.minimum(np.minimum(i + 1, tile - i) / np.float32(overlap + 1), 1.0).astype(np.float32)


def blend_window(tile: int, overlap: int) -> np.ndarray:
    """(tile, tile) float32 weights of one tile: the outer product of two ramps."""
    ramp = blend_ramp(tile, overlap)
    return np.outer(ramp, ramp).astype(np.float32)


@dataclass(frozen=True)
class TileGrid:
    width: int
    height: int
    tile: int
    overlap: int

    @property
    def xs(self) -> list[int]:
        return tile_starts(self.width, self.tile, self.overlap)

    @property
    def ys(self) -> list[int]:
        return tile_starts(self.height, self.tile, self.overlap)

    @property
    def tile_width(self) -> int:
        """Width of the pixels a tile covers (smaller than ``tile`` for narrow rasters)."""
        return min(self.tile, self.width)

    @property
    def tile_height(self) -> int:
        return min(self.tile, self.height)

    @property
    def count(self) -> int:
        return len(self.xs) * len(self.ys)


def tile_rows(grid: TileGrid) -> Iterator[tuple[int, int]]:
    """(y0, rows final after this row of tiles) for each row of tiles, top to bottom."""
    ys = grid.ys
    for k, y0 in enumerate(ys):
        final = ys[k + 1] if k + 1 < len(ys) else grid.height
        yield y0, final


class BlendAccumulator:
    """Weighted sums of the current row of tiles over its open columns, plus the carried rows.

    The sums of the weights are kept beside the weighted sums (the last plane), not computed
    from a formula, so a pixel's value is sum(w * p) / sum(w) added in the same order whatever the
    streaming: a constant model gives a constant image to the last bit.

    Use: ``start_row(y0, final)``, then for the tiles of that row, left to right, ``add(x0, tile)``
    and, whenever no later tile of the row will cover the columns left of ``x``,
    ``finish_columns(x)``, which returns the blended final rows of those columns.
    """

    def __init__(self, grid: TileGrid, channels: int):
        self.grid = grid
        self.channels = channels
        th, tw = grid.tile_height, grid.tile_width
        self.window = blend_window(grid.tile, grid.overlap)[:th, :tw]
        ys = grid.ys
        carried = max((ys[k] + th - ys[k + 1] for k in range(len(ys) - 1)), default=0)
        # planes: weighted sums per channel, then the weights
        # sums of the rows the next row of tiles overlaps; the first `carry_rows` rows are current
        self.carry = np.zeros((channels + 1, carried, grid.width), np.float32)
        self.carry_rows = 0
        self.y0 = self.final = 0
        self.lo = self.hi = 0  # open columns [lo, hi) of the current row of tiles
        self.open = np.zeros((channels + 1, th, 0), np.float32)

    def start_row(self, y0: int, final: int) -> None:
        """Begin the row of tiles at ``y0``; image rows [y0, final) are final after it."""
        if self.lo != self.hi:
            raise RuntimeError(f"columns {self.lo}-{self.hi} of the last row of tiles were not finished")
        self.y0, self.final = y0, final
        self.lo = self.hi = 0
        self.open = np.zeros((self.channels + 1, self.grid.tile_height, 0), np.float32)

    def add(self, x0: int, tile: np.ndarray) -> None:
        """Add one predicted tile (channels, tile_height, tile_width) at column ``x0``."""
        th, tw = self.window.shape
        if x0 < self.lo:
            raise ValueError(f"a tile at column {x0} falls on columns already finished (< {self.lo})")
        if x0 + tw > self.hi:
            self._open_to(x0 + tw)
        cols = slice(x0 - self.lo, x0 - self.lo + tw)
        self.open[: self.channels, :, cols] += tile * self.window
        self.open[self.channels, :, cols] += self.window

    def _open_to(self, end: int) -> None:
        grown = np.zeros((self.channels + 1, self.open.shape[1], end - self.lo), np.float32)
        old = self.hi - self.lo
        grown[:, :, :old] = self.open
        grown[:, : self.carry_rows, old:] = self.carry[:, : self.carry_rows, self.hi : end]
        self.open, self.hi = grown, end

    def finish_columns(self, until: int) -> tuple[int, np.ndarray]:
        """(x0, blended (channels, final - y0, until - x0)) for columns [x0, until).

        Their rows below ``final`` go to the carry for the next row of tiles.
        """
        if not self.lo < until <= self.hi:
            raise ValueError(f"cannot finish columns up to {until}: open columns are {self.lo}-{self.hi}")
        n, rows = until - self.lo, self.final - self.y0
        sums = self.open[:, :, :n]
        blended = sums[: self.channels, :rows] / sums[self.channels, :rows]
        carried = self.open.shape[1] - rows
        self.carry[:, :carried, self.lo : until] = sums[:, rows:]
        x0 = self.lo
        self.open = self.open[:, :, n:].copy()  # only the overlap with the next tile stays open
        self.lo = until
        if until == self.grid.width:
            self.carry_rows = carried
        return x0, blended


def pad_to_tile(arr: np.ndarray, tile: int) -> np.ndarray:
    """Pad (C, h, w) to (C, tile, tile) by mirroring, for rasters smaller than one tile."""
    _, h, w = arr.shape
    if h == tile and w == tile:
        return arr
    return np.pad(arr, ((0, 0), (0, tile - h), (0, tile - w)), mode="symmetric")
