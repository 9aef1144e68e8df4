"""core/prior.py: the coarse colour grid and the channels it gives a window of pixels."""
import numpy as np

from sar_colorizer.core.prior import PriorGrid, _weights, constant_grid, no_prior, reduce_to_grid


def direct_bilinear(g: PriorGrid, y0, rows, x0, cols):
    grid = np.concatenate([g.rgb, g.present[None].astype(np.float32)])
    gh, gw = g.present.shape
    iy0, iy1, wy = _weights(y0, rows, g.cell, gh)
    ix0, ix1, wx = _weights(x0, cols, g.cell, gw)
    top = grid[:, iy0][:, :, ix0] * (1 - wx) + grid[:, iy0][:, :, ix1] * wx
    bottom = grid[:, iy1][:, :, ix0] * (1 - wx) + grid[:, iy1][:, :, ix1] * wx
    return top * (1 - wy)[:, None] + bottom * wy[:, None]


def test_window_is_bilinear_between_cell_centres_and_the_same_whatever_the_cut():
    rng = np.random.default_rng(1)
    g = PriorGrid(rng.random((3, 6, 9)).astype(np.float32), rng.random((6, 9)) > 0.3, 32.0)
    whole = g.window(0, 6 * 32, 0, 9 * 32)
    np.testing.assert_allclose(whole, direct_bilinear(g, 0, 192, 0, 288), atol=2e-7)
    np.testing.assert_array_equal(g.window(40, 50, 70, 100), whole[:, 40:90, 70:170])
    # at a cell centre, exactly the cell's colour (odd cells have a pixel there); beyond the edge cells, theirs
    odd = PriorGrid(g.rgb, g.present, 31.0)
    np.testing.assert_allclose(odd.window(31 * 2 + 15, 1, 31 * 4 + 15, 1)[:3, 0, 0], g.rgb[:, 2, 4], atol=1e-6)
    np.testing.assert_allclose(g.window(500, 1, 500, 1)[:3, 0, 0], g.rgb[:, -1, -1], atol=1e-6)


def test_reduce_to_grid_means_of_valid_pixels_and_fills_gaps_from_neighbours():
    img = np.zeros((3, 64, 96), np.float32)
    img[:, :, :32] = 0.2
    img[:, :, 32:64] = 0.5
    img[:, :, 64:] = 0.9
    valid = np.ones((64, 96), bool)
    valid[:, 64:] = False  # the right cells have no colour of their own
    g = reduce_to_grid(img, valid, 32, "test")
    assert g.present.tolist() == [[True, True, False], [True, True, False]]
    np.testing.assert_allclose(g.rgb[0], [[0.2, 0.5, 0.5], [0.2, 0.5, 0.5]], atol=1e-6)
    assert g.window(0, 64, 0, 96)[3, 10, 90] == 0.0


def test_constant_and_no_prior():
    c = constant_grid((0.1, 0.2, 0.3), 100, 50, 32, "palette")
    assert c.present.all() and c.rgb.shape == (3, 2, 4)
    np.testing.assert_allclose(c.window(0, 50, 0, 100)[:, 7, 9], [0.1, 0.2, 0.3, 1.0], atol=1e-6)
    n = no_prior(100, 50, 32)
    assert not n.any and not n.window(0, 50, 0, 100).any()
