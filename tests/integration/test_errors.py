"""Every user error: one clear message, no partial output, nothing existing touched."""
import os
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from sar_colorizer.core.errors import Cancelled, InputError, ModelFileError, OutputError
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize


def write_tif(path: Path, bands: list, dtype=gdal.GDT_Float32, nodata=None, crs=32631, desc=None):
    h, w = bands[0].shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, len(bands), dtype)
    ds.SetGeoTransform((600000, 10, 0, 5000000, 0, -10))
    if crs:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(crs)
        ds.SetProjection(srs.ExportToWkt())
    for i, a in enumerate(bands, start=1):
        b = ds.GetRasterBand(i)
        b.WriteArray(a)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if desc:
            b.SetDescription(desc[i - 1])
    ds = None
    return path


def sar_db(h=80, w=90, seed=0):
    return np.random.default_rng(seed).normal(-12, 3, (h, w)).astype(np.float32)


def run(inp, out, model, **kw):
    return colorize(inp, out, ColorizeOptions(model_path=model, backend="torch", **kw))


def test_not_a_raster(tmp_path, model_file):
    txt = tmp_path / "notes.tif"
    txt.write_text("hello")
    with pytest.raises(InputError, match=f"^{txt} is not a raster GDAL can read"):
        run(txt, tmp_path / "o.tif", model_file)
    assert not (tmp_path / "o.tif").exists()


def test_missing_input(tmp_path, model_file):
    with pytest.raises(InputError, match=f"^input not found: {tmp_path / 'nope.tif'}$"):
        run(tmp_path / "nope.tif", tmp_path / "o.tif", model_file)


def test_raster_without_bands(tmp_path, model_file):
    # a container of several rasters (GeoPackage, netCDF, HDF) opens with no bands of its own
    gpkg = tmp_path / "two.gpkg"
    mem = gdal.GetDriverByName("MEM").Create("", 10, 10, 1, gdal.GDT_Byte)
    mem.SetGeoTransform((0, 1, 0, 0, 0, -1))
    gdal.Translate(str(gpkg), mem, format="GPKG", creationOptions=["RASTER_TABLE=a"])
    gdal.Translate(str(gpkg), mem, format="GPKG", creationOptions=["RASTER_TABLE=b", "APPEND_SUBDATASET=YES"])
    with pytest.raises(InputError) as e:
        run(gpkg, tmp_path / "o.tif", model_file)
    assert str(e.value) == (f"{gpkg} has no raster bands (it holds 2 sub-datasets: open one of them, "
                            f"e.g. GPKG:{gpkg}:a)")


def test_three_band_photo_is_refused(tmp_path, model_file):
    # GDAL writes 3 Byte bands as an RGB picture: refused as optical (tests/integration/test_input_guards.py)
    rgb = [np.full((50, 50), v, np.uint8) for v in (10, 20, 30)]
    inp = write_tif(tmp_path / "photo.tif", rgb, dtype=gdal.GDT_Byte)
    with pytest.raises(InputError, match=r"^photo.tif looks like an optical colour image, not Sentinel-1 radar: "):
        run(inp, tmp_path / "o.tif", model_file)
    assert not (tmp_path / "o.tif").exists()


def test_three_unnamed_bands_are_refused(tmp_path, model_file):
    stack = [sar_db(seed=i) for i in range(3)]
    inp = write_tif(tmp_path / "stack.tif", stack)
    with pytest.raises(InputError) as e:
        run(inp, tmp_path / "o.tif", model_file)
    assert str(e.value) == ("stack.tif: cannot tell which band is VV or VH: it has 3 bands and none is "
                            "described as VV or VH (is it a Sentinel-1 backscatter raster?); say which "
                            "band is which (command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)")
    assert not (tmp_path / "o.tif").exists()


def test_band_number_out_of_range(tmp_path, model_file):
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    with pytest.raises(InputError, match="band 2 for VV does not exist \\(the raster has 1 band\\(s\\)\\)"):
        run(inp, tmp_path / "o.tif", model_file, bands={"VV": 2})


def test_model_needs_a_band_the_input_lacks(tmp_path, model_factory):
    dual = model_factory("dual.safetensors", bands=("VV", "VH"))  # both required
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    with pytest.raises(InputError) as e:
        run(inp, tmp_path / "o.tif", dual)
    assert str(e.value).startswith("vv.tif: the model needs band(s) VV, VH but VH is not in the input (found: VV)")


def test_vh_only_input_for_a_vv_only_model(tmp_path, model_file):
    inp = write_tif(tmp_path / "scene.tif", [sar_db()], desc=["VH"])
    with pytest.raises(InputError) as e:
        run(inp, tmp_path / "o.tif", model_file)
    assert str(e.value).startswith("scene.tif: the model needs band(s) VV but VV is not in the input (found: VH)")


def test_all_nodata(tmp_path, model_file):
    inp = write_tif(tmp_path / "empty.tif", [np.full((40, 40), -9999, np.float32)], nodata=-9999)
    with pytest.raises(InputError, match="^empty.tif: band 1 \\(VV\\) is all nodata$"):
        run(inp, tmp_path / "o.tif", model_file)
    assert sorted(os.listdir(tmp_path)) == ["empty.tif", "vv.safetensors"]


def test_missing_crs_still_works_and_warns(tmp_path, model_file):
    inp = write_tif(tmp_path / "nocrs.tif", [sar_db()], crs=None)
    logs = []
    r = colorize(
        inp, tmp_path / "o.tif", ColorizeOptions(model_path=model_file, backend="torch"), log=logs.append)
    assert r.warnings == ["nocrs.tif has no coordinate reference system: the output copies its pixel grid "
                          "but GIS software will not know where it lies"]
    assert any(m.startswith("warning: nocrs.tif has no coordinate reference system") for m in logs)
    assert gdal.Open(str(tmp_path / "o.tif")).GetGeoTransform() == (600000, 10, 0, 5000000, 0, -10)


def test_output_exists_is_not_overwritten_unless_asked(tmp_path, model_file):
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    out = tmp_path / "o.tif"
    out.write_bytes(b"precious")
    with pytest.raises(OutputError, match=f"^output exists: {out} \\(choose another name or allow overwriting\\)$"):
        run(inp, out, model_file)
    assert out.read_bytes() == b"precious"
    run(inp, out, model_file, overwrite=True)
    assert gdal.Open(str(out)).RasterCount == 3


def test_output_that_is_the_input_or_not_a_geotiff_name_is_refused(tmp_path, model_file):
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    before = inp.read_bytes()
    with pytest.raises(OutputError, match="^the output would replace the input vv.tif: choose another output name$"):
        run(inp, tmp_path / "." / "vv.tif", model_file, overwrite=True)
    assert inp.read_bytes() == before
    with pytest.raises(OutputError, match="^the output is a GeoTIFF: give it a name ending in .tif, not o.png$"):
        run(inp, tmp_path / "o.png", model_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vv.safetensors", "vv.tif"]
    run(inp, tmp_path / "o.TIFF", model_file)
    assert gdal.Open(str(tmp_path / "o.TIFF")).RasterCount == 3


def test_output_errors_come_before_reading_the_scene_or_loading_the_model(tmp_path):
    out = tmp_path / "o.tif"
    out.write_bytes(b"precious")
    with pytest.raises(OutputError, match="^output exists: "):
        run(tmp_path / "no_such_scene.tif", out, tmp_path / "no_such_model.safetensors")
    with pytest.raises(OutputError, match="^the output is a GeoTIFF: give it a name ending in .tif, not o.jpg$"):
        run(tmp_path / "no_such_scene.tif", tmp_path / "o.jpg", tmp_path / "no_such_model.safetensors")


def test_output_folder_missing_or_unwritable(tmp_path, model_file):
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    with pytest.raises(OutputError, match=f"^output folder does not exist: {tmp_path / 'no' / 'such'}$"):
        run(inp, tmp_path / "no" / "such" / "o.tif", model_file)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores permission bits; /proc refuses even root
            ro = Path("/proc")
        with pytest.raises(OutputError, match=f"(output folder is not writable: {ro}|cannot create {ro}/o.tif)"):
            run(inp, ro / "o.tif", model_file)
    finally:
        (tmp_path / "ro").chmod(0o755)


def test_corrupt_model_file(tmp_path, model_file):
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(model_file.read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="may be corrupt or truncated"):
        run(inp, tmp_path / "o.tif", bad)
    assert not (tmp_path / "o.tif").exists()


def test_missing_default_model_says_where_it_should_be(tmp_path, monkeypatch):
    from sar_colorizer.core import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_MODEL_PATH", tmp_path / "models" / "sar_colorizer.safetensors")
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    with pytest.raises(ModelFileError, match="no model given and the bundled model is not installed at "):
        colorize(inp, tmp_path / "o.tif", ColorizeOptions())


@pytest.mark.parametrize("queue_depth", [0, 2], ids=["stages one after the other", "stages in threads (GPU)"])
def test_cancel_leaves_nothing_behind(tmp_path, model_factory, monkeypatch, queue_depth):
    import threading

    from sar_colorizer.core import pipeline

    monkeypatch.setattr(pipeline, "model_queue_depth", lambda device: queue_depth)
    threads_before = threading.active_count()
    model = model_factory(tile=32, overlap=8)
    inp = write_tif(tmp_path / "vv.tif", [sar_db(300, 300)])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    calls = []

    def is_cancelled():
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(Cancelled, match="^cancelled: no output was written$"):
        colorize(inp, out_dir / "o.tif", ColorizeOptions(model_path=model, backend="torch", batch_size=2),
                 is_cancelled=is_cancelled)
    assert list(out_dir.iterdir()) == []
    assert threading.active_count() == threads_before  # no stage left running


def test_failure_during_inference_removes_the_temp_file(tmp_path, model_file, monkeypatch):
    from sar_colorizer.core import pipeline

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "to_rgb_bytes", boom)
    inp = write_tif(tmp_path / "vv.tif", [sar_db()])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(inp, out_dir / "o.tif", model_file)
    assert list(out_dir.iterdir()) == []


def test_grey_sar_picture_saved_as_rgb_is_read_as_one_band(tmp_path, model_file):
    grey = (np.random.default_rng(2).random((60, 70)) * 255).astype(np.uint8)
    inp = write_tif(tmp_path / "sar_grey.tif", [grey, grey, grey], dtype=gdal.GDT_Byte)
    r = run(inp, tmp_path / "o.tif", model_file)
    assert r.bands_used == {"VV": 1} and r.units == "VV:dn"


def test_india_display_jpeg_runs_with_detected_bands(shared_data, tmp_path, model_file):
    # the India SAR is an RGB JPEG of a grey image, without georeferencing
    from sar_colorizer.core.raster_io import guess_band_roles

    jpg = shared_data / "train" / "india-scenes" / "scene-3" / "sar.jpg"
    assert guess_band_roles(jpg) == {"VV": 1}


def truncated_tif(path: Path, keep: float = 0.6) -> Path:
    """A tiled GeoTIFF cut short, as an interrupted download leaves it: its last blocks are gone."""
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 400, 400, 1, gdal.GDT_Float32,
                                              ["TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=128"])
    ds.SetGeoTransform((600000, 10, 0, 5000000, 0, -10))
    ds.GetRasterBand(1).WriteArray(sar_db(400, 400))
    ds = None
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(int(size * keep))
    return path


@pytest.mark.parametrize("queue_depth", [0, 2], ids=["stages one after the other", "stages in threads (GPU)"])
def test_a_file_damaged_past_its_start_fails_mid_run_with_one_message(tmp_path, model_factory, monkeypatch,
                                                                      queue_depth):
    import threading

    from sar_colorizer.core import pipeline, raster_io

    monkeypatch.setattr(pipeline, "model_queue_depth", lambda device: queue_depth)
    # the scene statistics pass (their own read of the damaged file fails the same way, earlier):
    # the failure comes in the middle of the tiles, in the reading thread when there is one
    monkeypatch.setattr(raster_io, "read_scene_sample", lambda raster, role: sar_db(100, 100))
    threads_before = threading.active_count()
    src = truncated_tif(tmp_path / "cut.tif")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError, match=r"^cut\.tif: band 1 \(VV\) cannot be read at rows \d+-\d+, columns "
                                         r"\d+-\d+; the file may be damaged or incomplete\. GDAL says: .*cut\.tif"):
        colorize(src, out_dir / "o.tif", ColorizeOptions(model_path=model_factory(tile=64, overlap=16),
                                                         backend="torch", batch_size=2))
    assert list(out_dir.iterdir()) == []
    assert threading.active_count() == threads_before


def test_cli_reports_a_damaged_file_and_goes_on_with_the_batch(tmp_path, model_file, capsys):
    from sar_colorizer.core.cli import main

    bad = truncated_tif(tmp_path / "cut.tif")
    good = write_tif(tmp_path / "good.tif", [sar_db()])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    rc = main([str(bad), str(good), "--out-dir", str(out_dir), "--model", str(model_file), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert len(err) == 1 and err[0].startswith("sar-colorize: error: cut.tif: band 1 (VV) cannot be read at rows ")
    assert sorted(p.name for p in out_dir.iterdir()) == ["good_rgb.tif"]


def test_a_gdal_message_on_several_lines_is_shown_on_one():
    from sar_colorizer.core.errors import one_line

    exc = RuntimeError("cut.tif, band 1: IReadBlock failed at X offset 1, Y offset 2: TIFFReadEncodedTile() failed.\n"
                       "May be caused by: TIFFReadEncodedTile() failed.\n"
                       "May be caused by: TIFFReadEncodedTile:Read error at row 4294967295, col 4294967295\n")
    assert one_line(exc) == ("cut.tif, band 1: IReadBlock failed at X offset 1, Y offset 2: TIFFReadEncodedTile() "
                             "failed.; May be caused by: TIFFReadEncodedTile() failed.; May be caused by: "
                             "TIFFReadEncodedTile:Read error at row 4294967295, col 4294967295")


def test_a_full_disk_gives_one_message_and_leaves_nothing(shared_data, tmp_path):
    """The CLI in a process whose files may not grow past 64 KiB (RLIMIT_FSIZE, as a full disk), on
    the real Rhone scene with the bundled model (its 120 KB output does not fit; a random test
    model's nearly flat colours would)."""
    pytest.importorskip("torch")  # it runs the torch backend
    import resource
    import signal
    import subprocess
    import sys

    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH

    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip(f"the bundled model is not installed at {DEFAULT_MODEL_PATH}")

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))  # the output is about 64 KB

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "rhone_rgb.tif"
    done = subprocess.run(
        [sys.executable, "-m", "sar_colorizer.core.cli", str(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"),
         str(out), "--backend", "torch", "-q"],
        capture_output=True, text=True, preexec_fn=small_files, timeout=300)
    assert done.returncode == 1
    assert done.stderr.startswith(f"sar-colorize: error: cannot write {out}: ") and done.stderr.count("\n") == 1, \
        done.stderr
    assert list(out_dir.iterdir()) == []
