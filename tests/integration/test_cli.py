"""The sar-colorize command as a user runs it: exit codes, messages, batch mode."""
import argparse
import subprocess
import sys

import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core.cli import build_parser, extent_joined, main, parse_bands


def test_parse_bands():
    assert parse_bands("VV=1,VH=2") == {"VV": 1, "VH": 2}
    assert parse_bands("vh=1") == {"VH": 1}
    with pytest.raises(argparse.ArgumentTypeError, match="bad band spec 'HH=1': use e.g. VV=1 or VV=1,VH=2"):
        parse_bands("HH=1")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_bands("VV=0")


def test_single_scene_prints_a_summary(shared_data, model_file, tmp_path, capsys):
    out = tmp_path / "rgb.tif"
    rc = main([str(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"), str(out),
               "--model", str(model_file), "--backend", "torch", "--device", "cpu", "-q"])
    assert rc == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"{out}: 268 x 217 px (0.06 MP) in ")
    assert line.endswith("MP/s, backend torch on cpu")


def test_batch_into_a_folder_continues_after_a_bad_scene(shared_data, model_file, tmp_path, capsys):
    scenes = shared_data / "scenes"
    bad = tmp_path / "broken.tif"
    bad.write_text("not a raster")
    rc = main([str(scenes / "rhone-delta_vv_db_utm31n.tif"), str(bad), str(scenes / "na164_vv_linear_wgs84.tif"),
               "--out-dir", str(tmp_path / "out"), "--model", str(model_file), "--backend", "torch", "-q"])
    captured = capsys.readouterr()
    assert rc == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "na164_vv_linear_wgs84_rgb.tif", "rhone-delta_vv_db_utm31n_rgb.tif"]
    assert f"sar-colorize: error: {bad} is not a raster GDAL can read" in captured.err
    assert "2 of 3 scenes colorized" in captured.out


def test_corrupt_model_exits_non_zero_with_one_message(shared_data, tmp_path):
    bad = tmp_path / "m.safetensors"
    bad.write_bytes(b"\x00" * 100)
    out = tmp_path / "o.tif"
    proc = subprocess.run(
        [sys.executable, "-m", "sar_colorizer.core.cli", str(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"),
         str(out), "--model", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith(
        f"sar-colorize: error: {bad} is not a readable SAR Colorizer model file")
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_output_exists_exit_code(shared_data, model_file, tmp_path, capsys):
    out = tmp_path / "o.tif"
    out.write_bytes(b"keep")
    rc = main([str(shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"), str(out), "--model", str(model_file), "-q"])
    assert rc == 1 and out.read_bytes() == b"keep"
    assert "output exists" in capsys.readouterr().err


def test_usage_error_exit_code(capsys):
    with pytest.raises(SystemExit) as e:
        main(["only-one.tif"])
    assert e.value.code == 2


@pytest.mark.skipif(not __import__("pathlib").Path(__file__).parents[2].joinpath("models", "sar_colorizer.onnx").is_file(),
                    reason="the bundled model's ONNX export is not installed")
def test_default_run_on_a_machine_without_nvidia_driver_does_not_load_torch(tmp_path):
    # device auto asks torch about CUDA only where an NVIDIA driver is installed: elsewhere the
    # ONNX Runtime run must not pay for importing torch (seconds, ~230 MB)
    from sar_colorizer.core.backends import nvidia_driver_present

    if nvidia_driver_present():
        pytest.skip("this machine has an NVIDIA driver: device auto rightly asks torch")
    src = tmp_path / "vv.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(src), 300, 200, 1, gdal.GDT_Float32)
    ds.GetRasterBand(1).WriteArray(np.random.default_rng(0).normal(-12, 3, (200, 300)).astype(np.float32))
    ds = None
    code = ("import sys; from sar_colorizer.core.cli import main; "
            f"rc = main([{str(src)!r}, {str(tmp_path / 'rgb.tif')!r}, '-q']); "
            "print(rc, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 False"
    assert (tmp_path / "rgb.tif").is_file()


def test_skip_existing_finishes_an_interrupted_batch(shared_data, model_file, tmp_path, capsys):
    scenes = shared_data / "scenes"
    names = [scenes / "rhone-delta_vv_db_utm31n.tif", scenes / "na164_vv_linear_wgs84.tif"]
    out = tmp_path / "out"
    out.mkdir()
    done = out / "rhone-delta_vv_db_utm31n_rgb.tif"
    done.write_bytes(b"colorized before the interruption")
    rc = main([str(p) for p in names] + ["--out-dir", str(out), "--model", str(model_file), "--skip-existing", "-q"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert lines[0] == f"{done}: exists, skipped"
    assert lines[-1] == "1 of 2 scenes colorized, 1 skipped (output exists)"
    assert done.read_bytes() == b"colorized before the interruption"
    assert gdal.Open(str(out / "na164_vv_linear_wgs84_rgb.tif")).RasterCount == 3
    with pytest.raises(SystemExit):  # one or the other
        main([str(names[0]), str(tmp_path / "o.tif"), "--skip-existing", "--overwrite"])


def test_an_extent_west_or_south_can_be_given_as_it_is_written():
    args = build_parser().parse_args(extent_joined(["in.tif", "out.tif", "--extent", "-120.5,-35,-119,-34.5"]))
    assert args.extent == (-120.5, -35.0, -119.0, -34.5)
    assert extent_joined(["a.tif", "-q", "b.tif"]) == ["a.tif", "-q", "b.tif"]
