import numpy as np
import pytest

from sar_colorizer.core.tiling import (StripAccumulator, TileGrid, blend_window, pad_to_tile,
                                       tile_rows, tile_starts)


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


def _blend(image: np.ndarray, tile: int, overlap: int, model) -> np.ndarray:
    """Run the accumulator as the pipeline does, with `model` mapping a tile crop to a prediction."""
    c, h, w = image.shape
    grid = TileGrid(w, h, tile, overlap)
    acc = StripAccumulator(grid, channels=c)
    out = np.full_like(image, np.nan)
    for y0, final in tile_rows(grid):
        for x0 in grid.xs:
            crop = image[:, y0:y0 + grid.tile_height, x0:x0 + grid.tile_width]
            pred = model(pad_to_tile(crop, tile))
            acc.add(y0, x0, pred[:, :grid.tile_height, :grid.tile_width])
        r0, rows = acc.finish_rows(final)
        out[:, r0:r0 + rows.shape[1]] = rows
    return out


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


def test_finish_rows_with_convert_equals_plain_blend_in_chunks():
    rng = np.random.default_rng(3)
    grid = TileGrid(150, 200, 64, 16)
    plain, chunked = StripAccumulator(grid, 3), StripAccumulator(grid, 3)
    seen = []

    def to_bytes(rows, r0):
        seen.append((r0, rows.shape[1]))
        return np.clip(rows * 255 + 0.5, 0, 255).astype(np.uint8)

    for y0, final in tile_rows(grid):
        for x0 in grid.xs:
            t = rng.random((3, 64, 64), dtype=np.float32)
            plain.add(y0, x0, t)
            chunked.add(y0, x0, t)
        seen.clear()
        a0, a = plain.finish_rows(final)
        b0, b = chunked.finish_rows(final, convert=to_bytes, chunk_rows=20)
        assert [r0 for r0, _ in seen] == list(range(0, final - y0, 20))  # 20 rows at a time
        assert sum(n for _, n in seen) == final - y0
        assert a0 == b0 and b.dtype == np.uint8 and b.shape == a.shape
        assert np.array_equal(b, to_bytes(a, 0))
