"""Tile grid with overlap, the blend weights, and an accumulator that streams finished pixels.

Tiles overlap by ``overlap`` pixels; every output pixel is the weighted mean of the tiles covering
it, with weights that fall off linearly towards tile edges (where a convolutional network sees
the least context). The weights never reach zero, so pixels on the raster border, covered by one
tile only, are well defined, and a constant prediction stays exactly constant.

Bands of tiles (a row of tiles; the last two rows together when the last one is pulled back over
its neighbour) are processed top to bottom, and each band left to right. Once a tile is added,
the columns left of the next tile are final for the band: their final rows leave at once, and
their rows that the next band overlaps are carried to it. So the only memory as wide as the
raster is that carry: ``overlap`` rows of weighted sums and weights.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
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


@dataclass(frozen=True)
class TileBand:
    """Rows of tiles blended together: one, or the last two when the last row was pulled back
    far over its neighbour (so that what is carried between bands is never more than the overlap)."""

    ys: tuple[int, ...]  # first image row of each row of tiles in the band
    final: int  # image rows [top, final) are final once the band is done
    height: int  # image rows the band's tiles cover, from top

    @property
    def top(self) -> int:
        return self.ys[0]


def tile_bands(grid: TileGrid) -> list[TileBand]:
    ys, th = grid.ys, grid.tile_height
    groups = [[y] for y in ys]
    if len(ys) >= 2 and ys[-2] + th - ys[-1] > grid.overlap:
        groups[-2:] = [[ys[-2], ys[-1]]]
    bands = []
    for k, g in enumerate(groups):
        final = groups[k + 1][0] if k + 1 < len(groups) else grid.height
        bands.append(TileBand(tuple(g), final, g[-1] + th - g[0]))
    return bands


@dataclass(frozen=True)
class TileBatch:
    """One model call's tiles, in the order they are blended: a band's tiles column by column,
    left to right (top to bottom inside a column)."""

    band: TileBand
    start: int  # index of the first tile among the band's tiles
    tiles: tuple[tuple[int, int], ...]  # (x, y) of each tile's top-left corner
    until: int  # the band's columns left of this are final once this batch is blended in

    @property
    def first_in_band(self) -> bool:
        return self.start == 0


def tile_batches(grid: TileGrid, batch_size: int) -> Iterator[TileBatch]:
    """Every tile of the grid once, in batches of at most ``batch_size``, band by band."""
    for band in tile_bands(grid):
        tiles = [(x, y) for x in grid.xs for y in band.ys]
        for start in range(0, len(tiles), batch_size):
            end = start + batch_size
            until = tiles[end][0] if end < len(tiles) else grid.width
            yield TileBatch(band, start, tuple(tiles[start:end]), until)


class BlendAccumulator:
    """Weighted sums of the current band of tiles over its open columns, plus the carried rows.

    A pixel's value is sum(w * p) / sum(w). The weight sums are not carried: for the finished
    pixels they are added up again from the tile grid, tile by tile in the order the tiles came
    (bands top to bottom; in a band by column, then row), which is bit for bit the sum a carried
    weight plane would hold; so a constant model gives a constant image to the last bit, and the
    carry is three planes, not four.

    Use: ``start_band(band)``, then for the tiles of the band, left to right,
    ``add(x0, y0, tile)`` and, whenever no later tile of the band will cover the columns left of
    ``x``, ``finish_columns(x)``, which returns the blended final rows of those columns.
    """

    def __init__(self, grid: TileGrid, channels: int):
        self.grid = grid
        self.channels = channels
        th, tw = grid.tile_height, grid.tile_width
        self.window = blend_window(grid.tile, grid.overlap)[:th, :tw]
        self.bands, self.xs = tile_bands(grid), grid.xs
        carried = max((b.top + b.height - b.final for b in self.bands), default=0)
        # weighted sums of the rows the next band overlaps; the first `carry_rows` rows are current
        self.carry = np.zeros((channels, carried, grid.width), np.float32)
        self.carry_rows = 0
        self.band, self._k = self.bands[0], 0
        self.lo = self.hi = 0  # open columns [lo, hi) of the current band: self._buf[:, :, :hi - lo]
        self._buf = np.zeros((channels, th, 2 * tw), np.float32)  # grows to the widest batch
        self._scratch = np.empty((channels, th, tw), np.float32)  # one weighted tile, reused

    def start_band(self, band: TileBand) -> None:
        if self.lo != self.hi:
            raise RuntimeError(f"columns {self.lo}-{self.hi} of the last band of tiles were not finished")
        self.band, self._k = band, self.bands.index(band)
        self.lo = self.hi = 0
        if self._buf.shape[1] != band.height:
            self._buf = np.zeros((self.channels, band.height, self._buf.shape[2]), np.float32)

    @property
    def open(self) -> np.ndarray:
        """Weighted sums of the open columns (a view)."""
        return self._buf[:, :, : self.hi - self.lo]

    def add(self, x0: int, y0: int, tile: np.ndarray) -> None:
        """Add one predicted tile (channels, tile_height, tile_width) at image column x0, row y0."""
        th, tw = self.window.shape
        if x0 < self.lo:
            raise ValueError(f"a tile at column {x0} falls on columns already finished (< {self.lo})")
        if x0 + tw > self.hi:
            self._open_to(x0 + tw)
        rows, cols = slice(y0 - self.band.top, y0 - self.band.top + th), slice(x0 - self.lo, x0 - self.lo + tw)
        weighted = np.multiply(tile, self.window, out=self._scratch[:, : tile.shape[1], : tile.shape[2]])
        self._buf[:, rows, cols] += weighted

    def _open_to(self, end: int) -> None:
        old, need = self.hi - self.lo, end - self.lo
        if need > self._buf.shape[2]:
            grown = np.empty((self.channels, self._buf.shape[1], max(need, 2 * self._buf.shape[2])), np.float32)
            grown[:, :, :old] = self._buf[:, :, :old]
            self._buf = grown
        fresh = self._buf[:, :, old:need]  # newly opened columns start from the carried rows
        fresh[:, : self.carry_rows] = self.carry[:, : self.carry_rows, self.hi : end]
        fresh[:, self.carry_rows :] = 0
        self.hi = end

    def finish_columns(self, until: int) -> tuple[int, np.ndarray]:
        """(x0, blended (channels, final - top, until - x0)) for columns [x0, until).

        Their rows below the band's ``final`` go to the carry for the next band.
        """
        if not self.lo < until <= self.hi:
            raise ValueError(f"cannot finish columns up to {until}: open columns are {self.lo}-{self.hi}")
        n, rows = until - self.lo, self.band.final - self.band.top
        sums = self._buf[:, :, :n]
        blended = sums[:, :rows] / self._weight_sum(self.lo, until)
        carried = self._buf.shape[1] - rows
        self.carry[:, :carried, self.lo : until] = sums[:, rows:]
        x0 = self.lo
        keep = self.hi - until  # only the overlap with the next tile stays open
        self._buf[:, :, :keep] = self._buf[:, :, n : n + keep].copy()
        self.lo = until
        if until == self.grid.width:
            self.carry_rows = carried
        return x0, blended

    def _weight_sum(self, x0: int, x1: int) -> np.ndarray:
        """Sum of all tiles' weights over the current band's final rows, columns [x0, x1)."""
        y0, y1 = self.band.top, self.band.final
        th, tw = self.window.shape
        total = np.zeros((y1 - y0, x1 - x0), np.float32)
        first = self._k
        while first > 0 and self.bands[first - 1].top + self.bands[first - 1].height > y0:
            first -= 1
        xs = self.xs[bisect_right(self.xs, x0 - tw) : bisect_left(self.xs, x1)]
        for band in self.bands[first : self._k + 1]:
            for x in xs:
                c0, c1 = max(x, x0), min(x + tw, x1)
                for y in band.ys:
                    r0, r1 = max(y, y0), min(y + th, y1)
                    if r0 < r1:
                        total[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0] += self.window[r0 - y : r1 - y, c0 - x : c1 - x]
        return total


def pad_to_tile(arr: np.ndarray, tile: int) -> np.ndarray:
    """Pad (C, h, w) to (C, tile, tile) by mirroring, for rasters smaller than one tile."""
    _, h, w = arr.shape
    if h == tile and w == tile:
        return arr
    return np.pad(arr, ((0, 0), (0, tile - h), (0, tile - w)), mode="symmetric")
