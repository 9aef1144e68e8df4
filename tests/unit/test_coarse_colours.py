"""Keeping a prior's coarse colours (core/coarse_colours.py): the blur, the composition, the model file field."""
import numpy as np
import pytest

from sar_colorizer.core.coarse_colours import blur_matrix, coarse, keep_coarse_colours
from sar_colorizer.core.errors import ModelFileError
from sar_colorizer.core.modelfile import PriorSpec


@pytest.mark.parametrize("n, sigma", [(256, 64.0), (97, 16.0), (40, 64.0)])
def test_blur_is_scipys_gaussian_with_mirrored_edges(n, sigma):
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.random.default_rng(1).random((1, 2, n, n + 13)).astype(np.float32)
    expected = np.stack([ndimage.gaussian_filter(c, sigma, mode="reflect", truncate=4.0) for c in x[0]])
    np.testing.assert_allclose(coarse(x, sigma)[0], expected, atol=2e-6)


def test_blur_keeps_a_constant_and_a_ramp_inside():
    m = blur_matrix(200, 8.0)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(m @ np.full(200, 0.3, np.float32), 0.3, atol=1e-6)
    ramp = np.arange(200, dtype=np.float32)
    np.testing.assert_allclose((m @ ramp)[40:160], ramp[40:160], atol=1e-3)  # symmetric kernel, far from edges


def scene(h=128, w=160):
    """A prediction: a smooth brownish colour plus fine stripes (the structure); a prior of another colour."""
    yy, xx = np.mgrid[0:h, 0:w]
    stripes = 0.1 * np.sign(np.sin(xx * np.pi / 3))  # period 6 px
    pred = np.stack([0.6 + stripes, 0.4 + stripes, 0.2 + stripes]).astype(np.float32)[None]
    prior = np.zeros((1, 4, h, w), np.float32)
    prior[0, :3] = np.array([0.1, 0.35, 0.15], np.float32).reshape(3, 1, 1)
    prior[0, 3] = 1.0
    return pred, prior, stripes


def test_output_takes_the_colour_of_the_prior_and_the_structure_of_the_prediction():
    pred, prior, stripes = scene()
    out = keep_coarse_colours(pred, prior, 16.0)
    inner = (slice(None), slice(None), slice(32, 96), slice(40, 120))
    np.testing.assert_allclose(out.mean(axis=(2, 3))[0], [0.1, 0.35, 0.15], atol=0.01)
    fine = out - coarse(out, 16.0)
    np.testing.assert_allclose(fine[inner], (pred - coarse(pred, 16.0))[inner], atol=0.01)
    assert np.corrcoef(fine[0, 1].ravel(), stripes.ravel())[0, 1] > 0.99


def test_where_the_prior_is_absent_the_prediction_is_unchanged_and_half_way_between():
    pred, prior, _ = scene()
    prior[0, 3, :, :80] = 0.0
    prior[0, 3, :, 80:] = 0.5
    out = keep_coarse_colours(pred, prior, 16.0)
    np.testing.assert_array_equal(out[..., :80], pred[..., :80])
    shift = out[0, :, 40:90, 100:140].mean(axis=(1, 2)) - pred[0, :, 40:90, 100:140].mean(axis=(1, 2))
    np.testing.assert_allclose(shift, 0.5 * (np.array([0.1, 0.35, 0.15]) - np.array([0.6, 0.4, 0.2])), atol=0.01)


def test_output_stays_in_0_1():
    pred, prior, _ = scene()
    prior[0, :3] = 0.98  # white prior + the stripes' +0.1 would pass 1
    out = keep_coarse_colours(pred, prior, 16.0)
    assert out.max() <= 1.0 and out.min() >= 0.0 and out.dtype == np.float32


def test_model_file_field_round_trips_and_refuses_an_unknown_kind():
    spec = PriorSpec(cell_px=128, coarse_from=("reference",), coarse_sigma_px=32.0)
    assert PriorSpec.from_dict(spec.to_dict()) == spec
    assert spec.keeps_coarse_colours_of("reference") and not spec.keeps_coarse_colours_of("palette")
    older = PriorSpec(cell_px=128).to_dict()
    assert "coarse_from" not in older and PriorSpec.from_dict(older).coarse_from == ()
    with pytest.raises(ModelFileError, match=r"^model colour prior keeps the coarse colours of \['sky'\]; "
                                             r"this version knows \['reference', 'palette'\]$"):
        PriorSpec.from_dict(dict(older, coarse_from=["sky"]))
    with pytest.raises(ModelFileError, match=r"coarse_sigma_px must be positive, not 0.0$"):
        PriorSpec.from_dict(dict(older, coarse_from=["palette"], coarse_sigma_px=0))


def test_wide_blurs_go_through_few_factors_and_give_the_full_products_numbers():
    """A 64 px blur of a 256 px tile has 6 degrees of freedom: its factors give the two full matrix
    products' result to float rounding; a narrow blur has no small factorisation."""
    from sar_colorizer.core.coarse_colours import blur_factors

    left, right = blur_factors(256, 64.0)
    assert left.shape == (256, 6) and right.shape == (6, 256)
    x = np.random.default_rng(2).random((2, 3, 256, 320)).astype(np.float32)
    full = np.matmul(np.matmul(blur_matrix(256, 64.0), x), blur_matrix(320, 64.0).T)
    np.testing.assert_allclose(coarse(x, 64.0), full, atol=5e-6)
    assert blur_factors(200, 8.0) is None


def test_what_the_model_paints_over_nodata_does_not_shift_the_valid_pixels_colours():
    """Left half valid and painted 0.3, right half nodata and painted 0.9: with the validity the
    valid half's coarse colour becomes the prior's up to the nodata edge; without it the nodata's
    brightness leaks in and the valid pixels beside it are pushed darker."""
    pred = np.full((1, 3, 96, 128), 0.3, np.float32)
    pred[..., 64:] = 0.9
    valid = np.zeros((1, 96, 128), bool)
    valid[..., :64] = True
    prior = np.zeros((1, 4, 96, 128), np.float32)
    prior[0, :3], prior[0, 3] = 0.5, 1.0
    weighted = keep_coarse_colours(pred, prior, 16.0, valid)
    np.testing.assert_allclose(weighted[..., :64], 0.5, atol=1e-4)
    unweighted = keep_coarse_colours(pred, prior, 16.0)
    assert float(unweighted[..., 48:64].mean()) < 0.4
    np.testing.assert_array_equal(keep_coarse_colours(pred, prior, 16.0, np.ones((1, 96, 128), bool)), unweighted)
