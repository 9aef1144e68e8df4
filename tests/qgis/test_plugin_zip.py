"""The installable zip: what it holds, and that the plugin runs from it with its bundled model."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from osgeo import gdal

REPO = Path(__file__).resolve().parents[2]
BUILDER = REPO / "scripts" / "build_plugin_zip.py"


def build(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BUILDER), "--out", str(out), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_zip_holds_plugin_and_model_but_no_tests_or_caches(tiny_model, tmp_path):
    done = build(tmp_path, "--model", str(tiny_model))
    assert done.returncode == 0, done.stderr
    version = next(line.split("=", 1)[1].strip() for line in (REPO / "metadata.txt").read_text().splitlines()
                   if line.startswith("version="))
    target = tmp_path / f"sar_colorizer-{version}.zip"
    names = zipfile.ZipFile(target).namelist()
    assert {"sar_colorizer/__init__.py", "sar_colorizer/plugin.py", "sar_colorizer/metadata.txt",
            "sar_colorizer/icon.png", "sar_colorizer/deps.py", "sar_colorizer/dependency_installer.py",
            "sar_colorizer/requirements.txt", "sar_colorizer/core/pipeline.py",
            "sar_colorizer/processing_provider/colorize_algorithm.py",
            "sar_colorizer/models/sar_colorizer.safetensors"} <= set(names)
    assert all(n.startswith("sar_colorizer/") for n in names)
    for banned in ("/tests/", "/training/", "/benchmarks/", "/scripts/", "/.ci/", "/.venv/", "__pycache__",
                   ".pyc", "/dist/", ".qgis-settings"):
        assert not [n for n in names if banned in n], banned
    assert zipfile.ZipFile(target).read("sar_colorizer/models/sar_colorizer.safetensors") == tiny_model.read_bytes()
    # its ONNX export, made for the zip (none lay beside it): what the plugin runs without torch
    import onnx

    from sar_colorizer.core.onnx_export import file_sha256

    export = onnx.load_from_string(zipfile.ZipFile(target).read("sar_colorizer/models/sar_colorizer.onnx"))
    assert {p.key: p.value for p in export.metadata_props}["source_sha256"] == file_sha256(tiny_model)
    assert not tiny_model.with_suffix(".onnx").exists()


def test_zip_refuses_to_build_without_a_model_unless_asked(tmp_path):
    done = build(tmp_path, "--model", str(tmp_path / "absent.safetensors"))
    assert done.returncode == 2
    assert "error: no model file at" in done.stderr and not list(tmp_path.glob("*.zip"))
    assert build(tmp_path, "--no-model").returncode == 0
    names = zipfile.ZipFile(next(tmp_path.glob("*.zip"))).namelist()
    # no model, but the world palette stays: a model of the user's own that takes a colour prior needs it
    assert sorted(n.split("/models/")[1] for n in names if "/models/" in n) == ["WORLD_PALETTE.md", "world_palette.tif"]


def test_unzipped_plugin_runs_in_qgis_process_with_its_bundled_model(tiny_model, qgis_process_for, scene, tmp_path):
    """Install the zip as a user would (unzip into a plugins folder), then run without MODEL."""
    assert build(tmp_path / "dist", "--model", str(tiny_model)).returncode == 0
    installed = tmp_path / "installed"
    zipfile.ZipFile(next((tmp_path / "dist").glob("*.zip"))).extractall(installed)
    run = qgis_process_for(installed / "sar_colorizer")
    source = scene("rhone-delta_vv_db_utm31n.tif")
    out = tmp_path / "out.tif"
    done = run("run", "sarcolorizer:colorizesar", "--", f"INPUT={source}", f"OUTPUT={out}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(installed / "sar_colorizer" / "models" / "sar_colorizer.safetensors") in done.stdout
    ds = gdal.Open(str(out))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (268, 217, 3)
