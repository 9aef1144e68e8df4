"""README's first command in a fresh clone: `sar-colorize-demo` with nothing beside the checkout.

The clone is of HEAD (what a user gets), in a temporary folder with no ../shared next to it; the
demo must find the sample scene shipped in samples/, colorize it and draw the picture. The same
sample must be in the installed package (wheel) and in the plugin zip.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

REPO = Path(__file__).resolve().parents[2]
SAR_NAME = "los-angeles-harbour_s1a_vh_20201107.tif"
OPTICAL_NAME = "los-angeles-harbour_s2a_rgb_20201104.tif"
SHIPPED = {f"samples/{SAR_NAME}", f"samples/{OPTICAL_NAME}", "samples/README.md"}
ATTRIBUTION = "Contains modified Copernicus Sentinel data 2020"


def run(args: list[str], cwd: Path, pythonpath: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "HOME": str(home)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """HEAD cloned to <tmp>/sar_colorizer (the package name, so <tmp> goes on PYTHONPATH)."""
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: this test clones its HEAD")
    root = tmp_path_factory.mktemp("fresh")
    subprocess.run(["git", "clone", "-q", str(REPO), str(root / "sar_colorizer")], check=True, timeout=120)
    assert not (root / "shared").exists()
    return root / "sar_colorizer"


@pytest.fixture(scope="module")
def demo_run(clone, tmp_path_factory):
    """`python -m sar_colorizer.core.demo` run from the clone's parent, no scene given."""
    work = tmp_path_factory.mktemp("work")
    done = run([sys.executable, "-m", "sar_colorizer.core.demo", "--out-dir", str(work / "demo-output")],
               cwd=work, pythonpath=clone.parent, home=work / "home")
    return done, work / "demo-output"


def test_the_sample_is_small_georeferenced_vh_and_attributed():
    sar_path = REPO / "samples" / SAR_NAME
    assert sar_path.stat().st_size <= 2_000_000
    sar = gdal.Open(str(sar_path))
    assert (sar.RasterXSize, sar.RasterYSize, sar.RasterCount) == (1024, 1024, 1)
    assert sar.GetSpatialRef().GetAuthorityCode(None) == "3395"
    assert sar.GetGeoTransform()[1] == pytest.approx(10.0, abs=0.01)
    band = sar.GetRasterBand(1)
    assert (band.GetDescription(), band.DataType, band.GetColorInterpretation()) == ("VH", gdal.GDT_Byte,
                                                                                     gdal.GCI_GrayIndex)
    optical = gdal.Open(str(REPO / "samples" / OPTICAL_NAME))
    assert optical.GetGeoTransform() == sar.GetGeoTransform()
    for ds in (sar, optical):
        assert ds.GetMetadataItem("TIFFTAG_COPYRIGHT") == ATTRIBUTION
    readme = (REPO / "samples" / "README.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in readme and "VolkovVl/Optical-SAR-dataset" in readme


def test_the_demo_in_a_fresh_clone_colorizes_the_sample_and_draws_the_picture(clone, demo_run):
    from sar_colorizer.core.demo import GAP, PANEL, display_grey, read_rgb, resize_nearest

    done, out_dir = demo_run
    assert done.returncode == 0, done.stderr
    sample = clone / "samples" / SAR_NAME
    assert done.stdout.splitlines()[0] == f"sample scene: {sample} (see {clone / 'samples' / 'README.md'})"
    assert "error" not in done.stderr

    rgb_path = out_dir / SAR_NAME.replace(".tif", "_rgb.tif")
    rgb, src = gdal.Open(str(rgb_path)), gdal.Open(str(sample))
    assert (rgb.RasterXSize, rgb.RasterYSize, rgb.RasterCount) == (1024, 1024, 3)
    assert rgb.GetGeoTransform() == src.GetGeoTransform()
    assert rgb.GetSpatialRef().IsSame(src.GetSpatialRef())
    colours = rgb.ReadAsArray().reshape(3, -1).astype(float)
    assert (colours.std(axis=1) > 2).all(), "the colorization is flat"

    # the same scene colorized from the radar alone (no colour prior): another file, other colours
    plain_path = out_dir / SAR_NAME.replace(".tif", "_rgb_no_prior.tif")
    plain = gdal.Open(str(plain_path))
    assert rgb.GetMetadataItem("SAR_COLORIZER_PRIOR") == "world palette (NASA Blue Marble Next Generation)"
    assert plain.GetMetadataItem("SAR_COLORIZER_PRIOR") == "none (asked for)"
    mean_rgb = [ds.ReadAsArray().reshape(3, -1).mean(axis=1) for ds in (rgb, plain)]
    assert np.abs(mean_rgb[0] - mean_rgb[1]).max() > 2, "the world palette does not change the colours"

    # the picture: SAR grey | world palette | no prior | Sentinel-2, each PANEL px high, GAP px of white between
    picture = read_rgb(out_dir / "before_after.png")
    assert picture.shape == (PANEL, 4 * PANEL + 3 * GAP, 3)
    grey = resize_nearest(display_grey(sample, 1), PANEL)
    panels = [np.repeat(grey[..., None], 3, axis=-1), resize_nearest(read_rgb(rgb_path), PANEL),
              resize_nearest(read_rgb(plain_path), PANEL),
              resize_nearest(read_rgb(clone / "samples" / OPTICAL_NAME), PANEL)]
    for i, expected in enumerate(panels):
        left = i * (PANEL + GAP)
        assert np.array_equal(picture[:, left:left + PANEL], expected), f"panel {i}"
    assert (picture[:, PANEL:PANEL + GAP] == 255).all()


def test_the_demo_says_which_scene_is_missing(tmp_path):
    from sar_colorizer.core.demo import main

    absent = tmp_path / "absent.tif"
    assert main([str(absent), "--out-dir", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_the_installed_package_carries_the_sample(clone, tmp_path):
    pytest.importorskip("setuptools.build_meta", reason="building the wheel needs setuptools")
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(clone)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("sar_colorizer-*.whl"))
    assert {f"sar_colorizer/{f}" for f in SHIPPED} <= set(zipfile.ZipFile(wheel).namelist())
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # what pip install puts in site-packages
    done = run([sys.executable, "-c", "from sar_colorizer.core.demo import bundled_sample; s = bundled_sample(); "
                "print(s.sar, s.sar.is_file(), s.optical.is_file())"], cwd=tmp_path, pythonpath=site,
               home=tmp_path / "home")
    assert done.stdout.strip() == f"{site / 'sar_colorizer' / 'samples' / SAR_NAME} True True", done.stderr


def test_the_plugin_zip_carries_the_sample(clone):
    spec = importlib.util.spec_from_file_location("build_plugin_zip", REPO / "scripts" / "build_plugin_zip.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    files = builder.plugin_files(clone)
    assert SHIPPED <= set(files)
    assert "samples/make_samples.py" not in files
