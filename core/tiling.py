"""Tile grid with overlap, the blend window, and a strip accumulator that streams finished rows.

Tiles overlap by ``overlap`` pixels; every output pixel is the weighted mean of the tiles covering
it, with weights that fall off linearly towards tile edges (where a convolutional network sees
the least context). The weights never reach zero, so pixels on the raster border, covered by one
tile only, are well defined, and a constant prediction stays exactly constant.

Rows of tiles are processed top to bottom; once a row of tiles is added, every image row above the
next row of tiles is final and leaves the accumulator. Memory is one strip of ``tile`` rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Optional

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


def blend_window(tile: int, overlap: int) -> np.ndarray:
    """(tile, tile) float32 weights: 1 in the core, a linear ramp over the overlap, > 0 everywhere."""
    i = np.arange(tile, dtype=np.float32)
    ramp = np.minimum(np.minimum(i + 1, tile - i) / np.float32(overlap + 1), 1.0)
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


class StripAccumulator:
    """Weighted sums for the rows of the current row of tiles; hands out rows once final."""

    def __init__(self, grid: TileGrid, channels: int):
        self.grid = grid
        self.channels = channels
        self.window = blend_window(grid.tile, grid.overlap)[: grid.tile_height, : grid.tile_width]
        rows = grid.tile_height
        self.top = 0  # image row of buffer row 0
        self.sums = np.zeros((channels, rows, grid.width), np.float32)
        self.weights = np.zeros((rows, grid.width), np.float32)

    def add(self, y0: int, x0: int, tile: np.ndarray) -> None:
        """Add one predicted tile (channels, tile_height, tile_width) at image offset (y0, x0)."""
        th, tw = self.window.shape
        r = y0 - self.top
        self.sums[:, r : r + th, x0 : x0 + tw] += tile * self.window
        self.weights[r : r + th, x0 : x0 + tw] += self.window

    def finish_rows(self, until: int, convert: Optional[Callable[[np.ndarray, int], np.ndarray]] = None,
                    chunk_rows: int = 32) -> tuple[int, np.ndarray]:
        """Final blended rows [top, until) as (y0, array (channels, n, width)); shifts the buffer.

        With ``convert(rows, r0)`` the blended rows are made ``chunk_rows`` at a time and passed
        through it (``r0``: the chunk's first row within the finished rows); the result is the
        converted chunks joined. So no full-width float copy of the rows is made (memory).
        """
        n = until - self.top
        if convert is None:
            out = self.sums[:, :n] / self.weights[:n]
        else:
            out = None
            for r in range(0, n, chunk_rows):
                end = min(r + chunk_rows, n)
                part = convert(self.sums[:, r:end] / self.weights[r:end], r)
                if out is None:
                    out = np.empty((part.shape[0], n) + part.shape[2:], part.dtype)
                out[:, r : r + part.shape[1]] = part
            if out is None:
                out = convert(self.sums[:, :0] / self.weights[:0], 0)
        keep = self.weights.shape[0] - n
        self.sums[:, :keep] = self.sums[:, n:]
        self.sums[:, keep:] = 0
        self.weights[:keep] = self.weights[n:]
        self.weights[keep:] = 0
        y0, self.top = self.top, until
        return y0, out


def tile_rows(grid: TileGrid) -> Iterator[tuple[int, int]]:
    """(y0, rows final after this row of tiles) for each row of tiles, top to bottom."""
    ys = grid.ys
    for k, y0 in enumerate(ys):
        final = ys[k + 1] if k + 1 < len(ys) else grid.height
        yield y0, final


def pad_to_tile(arr: np.ndarray, tile: int) -> np.ndarray:
    """Pad (C, h, w) to (C, tile, tile) by mirroring, for rasters smaller than one tile."""
    _, h, w = arr.shape
    if h == tile and w == tile:
        return arr
    return np.pad(arr, ((0, 0), (0, tile - h), (0, tile - w)), mode="symmetric")
