import numpy as np
import pytest

from sar_colorizer.core.tiling import (BlendAccumulator, TileBand, TileGrid, blend_window, pad_to_tile,
                                       tile_bands, tile_batches, tile_starts)


@pytest.mark.parametrize("length,tile,overlap,expected", [
    (100, 64, 16, [0, 36]),
    (64, 64, 16, [0]),
    (10, 64, 16, [0]),
    (200, 64, 16, [0, 48, 96, 136]),
    (128, 64, 0, [0, 64]),
])
def test_tile_starts_cover_the_axis_and_end_on_the_edge(length, tile, overlap, expected):
    starts = tile_starts(length, tile, overlap)
    assert starts == expected
    assert starts[-1] + min(tile, length) == length


def test_overlap_must_be_smaller_than_tile():
    with pytest.raises(ValueError, match="overlap \\(64\\) must be smaller than the tile size \\(64\\)"):
        tile_starts(100, 64, 64)


def test_blend_window_is_positive_flat_in_the_core_and_symmetric():
    w = blend_window(64, 16)
    assert w.shape == (64, 64) and w.dtype == np.float32
    assert w.min() > 0
    assert w[16:48, 16:48].min() == 1.0
    assert np.allclose(w, w[::-1, ::-1]) and np.allclose(w, w.T)
    assert w[0, 32] == pytest.approx(1 / 17)


def _blend(image: np.ndarray, tile: int, overlap: int, model, batch: int = 1) -> np.ndarray:
    """Run the accumulator on the pipeline's own schedule (tile_batches), with `model` mapping a
    tile crop to a prediction; every output pixel must be handed out exactly once."""
    c, h, w = image.shape
    grid = TileGrid(w, h, tile, overlap)
    acc = BlendAccumulator(grid, channels=c)
    out = np.full_like(image, np.nan)
    for b in tile_batches(grid, batch):
        if b.first_in_band:
            acc.start_band(b.band)
        for x0, y0 in b.tiles:
            crop = image[:, y0:y0 + grid.tile_height, x0:x0 + grid.tile_width]
            pred = model(pad_to_tile(crop, tile))
            acc.add(x0, y0, pred[:, :grid.tile_height, :grid.tile_width])
        if b.until == acc.lo:
            continue
        x0, cols = acc.finish_columns(b.until)
        assert cols.shape == (c, b.band.final - b.band.top, b.until - x0)
        assert np.isnan(out[:, b.band.top:b.band.final, x0:b.until]).all()
        out[:, b.band.top:b.band.final, x0:b.until] = cols
    return out


def _blend_full(image: np.ndarray, tile: int, overlap: int, model) -> np.ndarray:
    """The same weighted mean with whole-image sums and weights: the definition, no streaming."""
    c, h, w = image.shape
    grid = TileGrid(w, h, tile, overlap)
    win = blend_window(tile, overlap)[:grid.tile_height, :grid.tile_width].astype(np.float64)
    sums, weights = np.zeros((c, h, w)), np.zeros((h, w))
    for y0 in grid.ys:
        for x0 in grid.xs:
            crop = image[:, y0:y0 + grid.tile_height, x0:x0 + grid.tile_width]
            pred = model(pad_to_tile(crop, tile))[:, :grid.tile_height, :grid.tile_width]
            sums[:, y0:y0 + grid.tile_height, x0:x0 + grid.tile_width] += pred * win
            weights[y0:y0 + grid.tile_height, x0:x0 + grid.tile_width] += win
    return sums / weights


@pytest.mark.parametrize("shape", [(3, 300, 517), (3, 64, 64), (3, 20, 37), (3, 64, 200)])
def test_constant_model_gives_an_exactly_constant_image(shape):
    img = np.zeros(shape, np.float32)
    colour = np.array([0.2, 0.5, 0.8], np.float32)[:, None, None]
    out = _blend(img, 64, 16, lambda t: np.broadcast_to(colour, t.shape).copy())
    assert not np.isnan(out).any()
    rgb = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
    for i, v in enumerate((51, 128, 204)):
        assert (rgb[i] == v).all()


def test_identity_model_leaves_no_seam():
    rng = np.random.default_rng(1)
    img = rng.random((3, 333, 250), dtype=np.float32)
    out = _blend(img, 64, 24, lambda t: t.copy())
    assert np.abs(out - img).max() < 1e-5


def test_shift_variant_model_is_smoothed_across_tile_borders():
    # a model whose output depends on the position inside the tile (as edge effects do):
    # blending must make neighbouring output pixels differ by no more than the ramp allows
    img = np.zeros((1, 64, 400), np.float32)
    ramp = np.linspace(0, 1, 64, dtype=np.float32)[None, None, :]
    out = _blend(img, 64, 32, lambda t: np.broadcast_to(ramp, t.shape).copy())
    jumps = np.abs(np.diff(out[0, 10], axis=-1))
    assert jumps.max() < 0.08  # without blending the jump at each tile border is 1.0


def test_pad_to_tile_mirrors_small_inputs():
    a = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    p = pad_to_tile(a, 8)
    assert p.shape == (1, 8, 8)
    assert (p[:, :2, :3] == a).all()
    assert p[0, 0, 3] == a[0, 0, 2]  # symmetric mirror


@pytest.mark.parametrize("shape,tile,overlap,batch", [
    ((3, 449, 517), 64, 16, 1),   # last row and column of tiles pulled back onto their neighbours
    ((3, 449, 517), 64, 16, 3),
    ((2, 200, 150), 64, 0, 2),
    ((3, 129, 1000), 128, 40, 4),
    ((1, 70, 30), 64, 20, 1),     # narrower than one tile
])
def test_streamed_blend_equals_the_whole_image_weighted_mean(shape, tile, overlap, batch):
    rng = np.random.default_rng(3)
    img = rng.random(shape, dtype=np.float32)
    shift = rng.random(shape[:1], dtype=np.float32)[:, None, None]

    def model(t):  # position-dependent, like a network's edge effects: blending matters
        return (t[:, ::-1, :] + shift * np.arange(t.shape[-1], dtype=np.float32) / t.shape[-1]).copy()

    out = _blend(img, tile, overlap, model, batch)
    assert np.abs(out - _blend_full(img, tile, overlap, model)).max() < 1e-5


def test_a_pulled_back_last_row_of_tiles_joins_the_band_above():
    # rows of tiles at 0, 192, 384, 576, 744: the last overlaps its neighbour by 88 rows > 64
    assert tile_bands(TileGrid(5000, 1000, 256, 64)) == [
        TileBand((0,), 192, 256), TileBand((192,), 384, 256), TileBand((384,), 576, 256),
        TileBand((576, 744), 1000, 424)]
    # 16000 - 256 is a multiple of the stride 192: no row is pulled back
    assert [b.ys for b in tile_bands(TileGrid(10, 16000, 256, 64))][-2:] == [(15552,), (15744,)]
    assert tile_bands(TileGrid(10, 300, 256, 64)) == [TileBand((0, 44), 300, 300)]
    assert tile_bands(TileGrid(10, 200, 256, 64)) == [TileBand((0,), 200, 200)]


@pytest.mark.parametrize("height", [1000, 2048, 16000, 449])  # 449: rows of tiles at 0, 192, 193
def test_only_the_overlap_rows_are_carried_at_full_width(height):
    acc = BlendAccumulator(TileGrid(5000, height, 256, 64), 3)
    assert acc.carry.shape == (3, 64, 5000)  # weighted sums of R, G, B; the weights are recomputed
    assert acc.open.shape[2] == 0


def test_tiles_must_come_left_to_right_and_columns_finish_once():
    grid = TileGrid(300, 64, 64, 16)
    acc = BlendAccumulator(grid, 1)
    acc.start_band(tile_bands(grid)[0])
    acc.add(0, 0, np.ones((1, 64, 64), np.float32))
    acc.add(48, 0, np.ones((1, 64, 64), np.float32))
    x0, cols = acc.finish_columns(96)
    assert x0 == 0 and cols.shape == (1, 64, 96) and np.allclose(cols, 1)
    with pytest.raises(ValueError, match="a tile at column 0 falls on columns already finished \\(< 96\\)"):
        acc.add(0, 0, np.ones((1, 64, 64), np.float32))
    with pytest.raises(ValueError, match="cannot finish columns up to 200: open columns are 96-112"):
        acc.finish_columns(200)
    with pytest.raises(RuntimeError, match="columns 96-112 of the last band of tiles were not finished"):
        acc.start_band(tile_bands(grid)[0])


@pytest.mark.parametrize("batch", [1, 2, 5, 64])
def test_tile_batches_hold_every_tile_once_in_blending_order(batch):
    grid = TileGrid(1000, 1000, 256, 64)  # the last row of tiles joins the band above
    batches = list(tile_batches(grid, batch))
    tiles = [t for b in batches for t in b.tiles]
    assert sorted(tiles) == sorted((x, y) for x in grid.xs for y in grid.ys) and len(set(tiles)) == len(tiles)
    assert all(0 < len(b.tiles) <= batch for b in batches)
    for b in batches:
        xs_after = [x for x, _ in b.tiles]
        assert xs_after == sorted(xs_after)  # left to right inside a band
        assert b.until >= b.tiles[-1][0] and (b.until == grid.width or b.until in grid.xs)
    assert [b.band for b in batches if b.first_in_band] == tile_bands(grid)
