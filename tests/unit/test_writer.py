"""The RGB GeoTIFF writer: windows in any order, blocks written once, the file only when complete."""
import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core import raster_io
from sar_colorizer.core.georef import Georeferencing
from sar_colorizer.core.raster_io import OUTPUT_BLOCK_HEIGHT, OUTPUT_BLOCK_WIDTH, RgbGeoTiffWriter

W, H = 700, 450  # not multiples of the block size: partial blocks on the right and bottom edges
GT = (300000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0)


def _image(seed=0):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (3, H, W), dtype=np.uint8)
    valid = rng.random((H, W)) > 0.1
    rgb[:, ~valid] = 0
    return rgb, valid


def _windows():
    """Windows as the pipeline makes them: rows of tiles (rows 0-191, 192-383, ...), each row's
    finished columns left to right in uneven steps that do not line up with the blocks."""
    rows = [0, 192, 384, H]
    cols = [0, 150, 342, 534, W]
    for r0, r1 in zip(rows, rows[1:]):
        for c0, c1 in zip(cols, cols[1:]):
            yield r0, r1, c0, c1


def test_windows_make_the_image_blocks_and_mask(tmp_path):
    rgb, valid = _image()
    out = tmp_path / "out.tif"
    w = RgbGeoTiffWriter(out, W, H, Georeferencing(GT, ""))
    for r0, r1, c0, c1 in _windows():
        w.write_window(rgb[:, r0:r1, c0:c1], valid[r0:r1, c0:c1], c0, r0)
    assert all(level.complete for level in w._levels)  # every block was complete and went to GDAL
    assert w.commit() == out.absolute()
    ds = gdal.Open(str(out))
    assert np.array_equal(ds.ReadAsArray(), rgb)
    assert np.array_equal(ds.GetRasterBand(1).GetMaskBand().ReadAsArray(), valid.astype(np.uint8) * 255)
    assert ds.GetRasterBand(1).GetBlockSize() == [OUTPUT_BLOCK_WIDTH, OUTPUT_BLOCK_HEIGHT]
    assert ds.GetGeoTransform() == GT
    assert ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE") == "DEFLATE"
    assert ds.GetRasterBand(1).GetOverviewCount() == len(raster_io.overview_levels(W, H)) == 2


def test_blocks_wait_until_complete_and_only_then_reach_gdal(tmp_path, monkeypatch):
    rgb, valid = _image(1)
    written = []
    w = RgbGeoTiffWriter(tmp_path / "out.tif", W, H, Georeferencing(GT, ""))
    real = w._write_block

    def spy(level, planes, left, top):
        if level == 0:
            written.append((left, top))
        real(level, planes, left, top)

    monkeypatch.setattr(w, "_write_block", spy)
    w.write_window(rgb[:, :192, :150], valid[:192, :150], 0, 0)
    # rows 0-127 of columns 0-149 are in, but block (0, 0) is 256 columns wide: nothing complete yet
    assert written == [] and set(w._levels[0].pending) == {(0, 0), (1, 0)}
    w.write_window(rgb[:, :192, 150:342], valid[:192, 150:342], 150, 0)
    assert written == [(0, 0)]  # the first block is complete: written, and no longer held
    assert (0, 0) not in w._levels[0].pending
    for r0, r1, c0, c1 in list(_windows())[2:]:
        w.write_window(rgb[:, r0:r1, c0:c1], valid[r0:r1, c0:c1], c0, r0)
    blocks = {(x, y) for x in range(0, W, OUTPUT_BLOCK_WIDTH) for y in range(0, H, OUTPUT_BLOCK_HEIGHT)}
    assert sorted(written) == sorted(blocks)  # each block written exactly once
    w.commit()


def test_incomplete_image_is_not_committed(tmp_path):
    rgb, valid = _image()
    out = tmp_path / "out.tif"
    w = RgbGeoTiffWriter(out, W, H, Georeferencing(GT, ""))
    w.write_window(rgb[:, :200], valid[:200], 0, 0)
    with pytest.raises(RuntimeError, match=f"writer got {200 * W} of {W * H} pixels"):
        w.commit()
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_block_height_follows_the_tile_stride_so_no_rows_wait(tmp_path):
    assert raster_io.output_block_height(192) == 192  # tile 256, overlap 64
    assert raster_io.output_block_height(88) == OUTPUT_BLOCK_HEIGHT  # not a multiple of 16
    assert raster_io.output_block_height(32) == OUTPUT_BLOCK_HEIGHT  # blocks that small compress badly
    rgb, valid = _image(2)
    out = tmp_path / "out.tif"
    w = RgbGeoTiffWriter(out, W, H, Georeferencing(GT, ""), block_height=192)
    for r0, r1, c0, c1 in _windows():  # bands end at rows 192, 384, 450
        w.write_window(rgb[:, r0:r1, c0:c1], valid[r0:r1, c0:c1], c0, r0)
        if c1 == W:
            assert w._levels[0].pending == {}  # a finished band fills whole block rows: nothing waits
    w.commit()
    ds = gdal.Open(str(out))
    assert ds.GetRasterBand(1).GetBlockSize() == [OUTPUT_BLOCK_WIDTH, 192]
    assert np.array_equal(ds.ReadAsArray(), rgb)


def test_block_height_must_suit_geotiff(tmp_path):
    with pytest.raises(ValueError, match="a GeoTIFF block height must be a positive multiple of 16, not 100"):
        RgbGeoTiffWriter(tmp_path / "out.tif", W, H, Georeferencing(GT, ""), block_height=100)
    assert list(tmp_path.iterdir()) == []


def _halve_reference(rgb, valid):
    """2 x 2 means over valid pixels, written plainly (float, pixel by pixel sums)."""
    h, w = valid.shape
    out = np.zeros((3, (h + 1) // 2, (w + 1) // 2), np.uint8)
    ok = np.zeros(out.shape[1:], bool)
    for y in range(out.shape[1]):
        for x in range(out.shape[2]):
            m = valid[2 * y:2 * y + 2, 2 * x:2 * x + 2]
            if m.any():
                ok[y, x] = True
                for c in range(3):
                    out[c, y, x] = np.floor(rgb[c, 2 * y:2 * y + 2, 2 * x:2 * x + 2][m].astype(float).mean() + 0.5)
    return out, ok


def test_halve_averages_valid_pixels_and_handles_odd_edges():
    rgb = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]]] * 3, np.uint8)
    valid = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 0]], np.uint8)
    out = raster_io.halve(np.concatenate([rgb, valid[None]]))
    assert out.shape == (4, 2, 2)
    assert out[0].tolist() == [[23, 60], [0, 0]]  # (10+20+40)/3 = 23.3; 30 invalid, 60 alone; row 3 invalid
    assert out[3].tolist() == [[1, 1], [0, 0]]


def test_overviews_are_made_while_writing_and_equal_masked_2x2_means(tmp_path):
    rgb, valid = _image(3)
    out = tmp_path / "out.tif"
    w = RgbGeoTiffWriter(out, W, H, Georeferencing(GT, ""), block_height=192)
    for r0, r1, c0, c1 in _windows():
        w.write_window(rgb[:, r0:r1, c0:c1], valid[r0:r1, c0:c1], c0, r0)
    w.commit()
    ds = gdal.Open(str(out))
    assert ds.GetRasterBand(1).GetOverviewCount() == 2
    want_rgb, want_ok = rgb, valid
    for k in range(2):
        want_rgb, want_ok = _halve_reference(want_rgb, want_ok)
        got = np.stack([ds.GetRasterBand(i).GetOverview(k).ReadAsArray() for i in (1, 2, 3)])
        mask = ds.GetRasterBand(1).GetMaskBand().GetOverview(k).ReadAsArray()
        assert got.shape == want_rgb.shape == (3, -(-H // 2 ** (k + 1)), -(-W // 2 ** (k + 1)))
        assert np.array_equal(got, want_rgb)
        assert np.array_equal(mask, want_ok.astype(np.uint8) * 255)


def test_overviews_agree_with_gdal_average_on_a_smooth_image(tmp_path):
    y, x = np.mgrid[0:H, 0:W]
    rgb = np.stack([(x * 255 // W), (y * 255 // H), ((x + y) % 256)]).astype(np.uint8)
    valid = np.ones((H, W), bool)
    valid[100:180, 300:420] = False
    rgb[:, ~valid] = 0
    ours = tmp_path / "ours.tif"
    w = RgbGeoTiffWriter(ours, W, H, Georeferencing(GT, ""))
    w.write_window(rgb, valid, 0, 0)
    w.commit()
    gdal.Translate(str(tmp_path / "gdal.tif"), str(ours))  # same pixels and mask, no overviews
    ref = gdal.Open(str(tmp_path / "gdal.tif"), gdal.GA_Update)
    ref.BuildOverviews("AVERAGE", [2])
    ds = gdal.Open(str(ours))
    a = ds.GetRasterBand(1).GetOverview(0).ReadAsArray().astype(int)
    b = ref.GetRasterBand(1).GetOverview(0).ReadAsArray().astype(int)
    ok = ds.GetRasterBand(1).GetMaskBand().GetOverview(0).ReadAsArray() > 0
    assert np.abs(a - b)[ok].max() <= 1  # GDAL's AVERAGE also ignores masked pixels


def test_mask_is_internal_whatever_the_process_wide_gdal_setting(tmp_path):
    """Inside QGIS the process's GDAL settings belong to QGIS: the writer neither depends on
    GDAL_TIFF_INTERNAL_MASK nor changes it."""
    rgb, valid = _image(4)
    before = gdal.GetConfigOption("GDAL_TIFF_INTERNAL_MASK")
    gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", "NO")
    try:
        out = tmp_path / "out.tif"
        w = RgbGeoTiffWriter(out, W, H, Georeferencing(GT, ""))
        w.write_window(rgb, valid, 0, 0)
        w.commit()
        assert gdal.GetConfigOption("GDAL_TIFF_INTERNAL_MASK") == "NO"
    finally:
        gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]  # no out.tif.msk beside it
    ds = gdal.Open(str(out))
    assert ds.GetRasterBand(1).GetMaskFlags() == gdal.GMF_PER_DATASET
    assert np.array_equal(ds.GetRasterBand(1).GetMaskBand().ReadAsArray(), valid.astype(np.uint8) * 255)
    ovr_mask = ds.GetRasterBand(1).GetMaskBand().GetOverview(0).ReadAsArray()
    assert ovr_mask.shape == (-(-H // 2), -(-W // 2)) and ovr_mask.max() == 255


def test_halve_of_an_all_valid_block_equals_the_masked_mean():
    """The all-valid shortcut of halve gives exactly the masked 2 x 2 means, rounding included."""
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (3, 192, 256), dtype=np.uint8)
    rgb[:, :2, :2] = [[[255, 255], [255, 254]]]  # sums 1019 and 4 x 255 round the same way
    valid = np.ones((192, 256), np.uint8)
    out = raster_io.halve(np.concatenate([rgb, valid[None]]))
    want_rgb, want_ok = _halve_reference(rgb, valid.astype(bool))
    assert np.array_equal(out[:3], want_rgb)
    assert out[3].all() and want_ok.all()
    assert out[0, 0, 0] == 255  # (255 * 3 + 254 + 2) // 4
