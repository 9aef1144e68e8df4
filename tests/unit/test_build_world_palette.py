"""scripts/build_world_palette.py --fill-coastal-sea: the coast's sea takes the inland colour."""
import gzip
import importlib.util

import numpy as np
import pytest

from tests.conftest import REPO

spec = importlib.util.spec_from_file_location("build_world_palette", REPO / "scripts" / "build_world_palette.py")
builder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(builder)

LAND, SEA, COAST = (100, 90, 60), (20, 60, 110), (60, 75, 85)


def coast_scene(width: int = 30):
    """Land in the west (columns 0..11), a coastal column of mixed colour (12), sea east of it."""
    rgb = np.empty((3, 10, width), np.uint8)
    land = np.zeros((10, width), np.float32)
    for band in range(3):
        rgb[band, :, :12], rgb[band, :, 12], rgb[band, :, 13:] = LAND[band], COAST[band], SEA[band]
    land[:, :12], land[:, 12] = 1.0, 0.95  # the mask calls the coastal column land; its colour is part sea
    return rgb, land


def test_the_coast_and_its_sea_take_the_inland_colour_the_open_sea_keeps_its_own():
    rgb, land = coast_scene()
    filled = builder.fill_coastal_sea(rgb, land, reach_px=6)
    np.testing.assert_array_equal(filled[:, :, :11], rgb[:, :, :11])  # inland: untouched
    # column 11 borders the coast, so it is not inland: it, the coast and the sea within reach get
    # the inland colour (the only colour within reach here)
    for band in range(3):
        assert np.all(filled[band, :, 11:16] == LAND[band]), filled[band, 0]
        assert np.all(filled[band, :, 18:] == SEA[band]), filled[band, 0]  # beyond reach: the sea's own


def test_land_fraction_reads_the_mask_south_row_first(tmp_path):
    columns = 16  # 8 rows, 22.5 degrees each, the first row at the south pole
    mask = np.zeros((8, columns), np.uint8)
    mask[7, :] = 1  # the northernmost row: land
    mask[0, : columns // 2] = 2  # a lake in the south-west: land, not ocean
    path = tmp_path / "lsmask.bin"
    path.write_bytes(gzip.compress(mask.tobytes()))
    share = builder.land_fraction(path, 4, 2, columns=columns)  # 4 x 2 pixels of 90 degrees
    np.testing.assert_allclose(share, [[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.0, 0.0]])
    with pytest.raises(SystemExit, match="is not the 8 x 4 land-sea mask"):
        builder.land_fraction(path, 4, 2, columns=8)


def test_the_measured_sea_colour_is_mixed_in_by_land_share_through_the_mapping():
    """--sea-colour: wholly land untouched; the open sea maps to the measured colour (above the mapping's
    offset floor); a coastal pixel of land share s maps to s x land colour + (1 - s) x sea colour."""
    from sar_colorizer.core.world_palette import PaletteMapping

    rgb, land = coast_scene()
    land[:, 12], land[:, 13] = 0.75, 0.25  # two coastal columns: three quarters and a quarter land
    mapping = PaletteMapping(gain=(1.3, 1.3, 1.3), gamma=(1.0, 1.0, 1.0), offset=(0.03, 0.0, 0.09))
    sea_levels = (12.0, 20.0, 30.0)  # convention levels: above the offsets 7.65, 0, 22.95
    out = builder.blend_measured_sea(rgb, land, mapping, sea_levels)
    np.testing.assert_array_equal(out[:, :, :12], rgb[:, :, :12])  # land share 1: the mosaic's own
    sea_colour = mapping.apply(out[:, :1, 20:21]).ravel() * 255
    np.testing.assert_allclose(sea_colour, sea_levels, atol=1.3 * 0.5 + 1e-6)  # one value step of rounding
    land_colour = mapping.apply(np.array(LAND, np.float64).reshape(3, 1)).ravel() * 255
    for column, share in ((12, 0.75), (13, 0.25)):
        got = mapping.apply(out[:, :1, column:column + 1]).ravel() * 255
        np.testing.assert_allclose(got, share * land_colour + (1 - share) * np.array(sea_levels), atol=0.66)


def test_the_sea_colour_option_takes_three_levels():
    assert builder.sea_colour_arg("5.8,13.5,15.9") == (5.8, 13.5, 15.9)
    for bad in ("5.8,13.5", "a,b,c", "1,2,300"):
        with pytest.raises(builder.argparse.ArgumentTypeError, match="expected three levels R,G,B in 0..255"):
            builder.sea_colour_arg(bad)
