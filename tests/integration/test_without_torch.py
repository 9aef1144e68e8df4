"""Colorizing with onnxruntime, numpy and GDAL only: torch and the training packages hidden.

Each run is a fresh Python in which `import torch` (and safetensors, tqdm, onnx, ...) fails, as in a
QGIS whose Python has only what the plugin's Install button puts there. The bundled model then runs
on its ONNX export, and must give the pixels of a normal run (torch installed) to the bit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, osr

from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize

HIDDEN = ("torch", "torchvision", "safetensors", "tqdm", "onnx", "pytorch_msssim")
PRELUDE = f"import sys\nfor name in {HIDDEN!r}:\n    sys.modules[name] = None  # import fails\n"
TELEMETRY = Path(".cache") / "Microsoft" / "DeveloperTools" / ".onnxruntime"


def write_dual_pol_scene(path: Path, width: int = 300, height: int = 260) -> Path:
    """A dual-polarisation scene in dB on a 10 m UTM grid: smooth random fields, VH 7 dB below VV."""
    rng = np.random.default_rng(7)
    field = rng.normal(size=(height + 16, width + 16)).cumsum(0).cumsum(1)
    field = field[16:, 16:] - field[:-16, 16:] - field[16:, :-16] + field[:-16, :-16]  # 16 px box means
    vv = (-12 + 4 * field / field.std()).astype(np.float32)
    vh = (vv - 7 + rng.normal(0, 1, vv.shape)).astype(np.float32)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), width, height, 2, gdal.GDT_Float32)
    ds.SetGeoTransform((600000, 10, 0, 4830000, 0, -10))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    ds.SetProjection(srs.ExportToWkt())
    for i, (name, band) in enumerate((("VV", vv), ("VH", vh)), start=1):
        ds.GetRasterBand(i).WriteArray(band)
        ds.GetRasterBand(i).SetDescription(name)
    ds = None
    return path


def pixels(path: Path) -> np.ndarray:
    ds = gdal.Open(str(path))
    return ds.ReadAsArray()


def run_without_torch(code: str, home: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """`code` in a fresh Python without torch & co., with `home` as HOME and its cache folder."""
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen")
    env.pop("ORT_DISABLE_TELEMETRY", None)  # set by this test process: the code must turn it off itself
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return write_dual_pol_scene(tmp_path_factory.mktemp("scene") / "dual_pol_db.tif")


@pytest.fixture(scope="module")
def normal_run(scene, tmp_path_factory) -> np.ndarray:
    """The bundled model's output in this Python, which has torch."""
    if not DEFAULT_MODEL_PATH.with_suffix(".onnx").is_file():
        pytest.skip("the bundled model's ONNX export is not in models/")
    out = tmp_path_factory.mktemp("normal") / "rgb.tif"
    colorize(scene, out, ColorizeOptions())
    return pixels(out)


def leftovers(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")) if home.exists() else []


def test_the_core_colorizes_without_torch_as_a_normal_run_does(scene, normal_run, tmp_path):
    out, home = tmp_path / "rgb.tif", tmp_path / "home"
    done = run_without_torch(f"""
        import json
        from sar_colorizer.core.pipeline import colorize
        from sar_colorizer.core.options import ColorizeOptions
        r = colorize({str(scene)!r}, {str(out)!r}, ColorizeOptions())
        print(json.dumps({{"backend": r.backend, "device": r.device,
                          "imported": [m for m in {HIDDEN!r} if sys.modules.get(m) is not None]}}))
    """, home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"backend": "onnx", "device": "cpu", "imported": []}
    assert np.array_equal(pixels(out), normal_run)
    # the export beside the model was used (nothing exported into the cache), and ONNX Runtime's
    # telemetry left nothing in the home folder
    assert leftovers(home) == []


def test_the_cli_colorizes_without_torch_as_a_normal_run_does(scene, normal_run, tmp_path):
    out = tmp_path / "rgb.tif"
    done = run_without_torch(f"""
        from sar_colorizer.core.cli import main
        sys.exit(main([{str(scene)!r}, {str(out)!r}]))
    """, tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("backend onnx on cpu")
    assert np.array_equal(pixels(out), normal_run)
    assert leftovers(tmp_path / "home") == []


def test_the_torch_backend_asked_for_without_torch_is_one_clear_line(scene, tmp_path):
    out = tmp_path / "rgb.tif"
    done = run_without_torch(f"""
        from sar_colorizer.core.cli import main
        sys.exit(main([{str(scene)!r}, {str(out)!r}, "--backend", "torch"]))
    """, tmp_path / "home")
    assert done.returncode == 1
    assert done.stderr == ("sar-colorize: error: the torch backend needs PyTorch, which is not installed in "
                           "this Python; the onnx backend (the default) needs only onnxruntime\n")
    assert not out.exists()


def test_a_model_file_without_its_onnx_export_says_that_exporting_needs_torch(scene, model_file, tmp_path):
    from sar_colorizer.core.onnx_export import export_onnx

    home = tmp_path / "home"
    code = f"""
        from sar_colorizer.core.cli import main
        sys.exit(main([{str(scene)!r}, {str(tmp_path / "rgb.tif")!r}, "--model", {str(model_file)!r}, "-q"]))
    """
    done = run_without_torch(code, home)
    assert done.returncode == 1
    assert done.stderr == (
        f"sar-colorize: error: {model_file.name} has no ONNX export made from it (beside it as "
        f"{model_file.stem}.onnx, or in {home / '.cache' / 'sar_colorizer'}) and making one needs PyTorch, "
        "which is not installed: give the model's .onnx export as the model, or install torch\n")
    export_onnx(model_file, model_file.with_suffix(".onnx"))  # with torch, here
    done = run_without_torch(code, home)
    assert done.returncode == 0, done.stderr
    assert pixels(tmp_path / "rgb.tif").shape == (3, 260, 300)


def test_the_demo_colorizes_a_given_scene_without_torch(scene, normal_run, tmp_path):
    done = run_without_torch(f"""
        from sar_colorizer.core.demo import main
        sys.exit(main([{str(scene)!r}, "--out-dir", {str(tmp_path / "demo")!r}]))
    """, tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert np.array_equal(pixels(tmp_path / "demo" / f"{scene.stem}_rgb.tif"), normal_run)
    assert (tmp_path / "demo" / "before_after.png").is_file()


def test_the_processing_algorithm_colorizes_without_torch_as_a_normal_run_does(scene, normal_run, tmp_path):
    pytest.importorskip("qgis.core")
    out = tmp_path / "rgb.tif"
    done = run_without_torch(f"""
        import json
        sys.path.append("/usr/share/qgis/python/plugins")  # Processing, where Debian puts it
        from qgis.core import QgsApplication
        app = QgsApplication([], False)
        app.initQgis()
        from processing.core.Processing import Processing
        Processing.initialize()
        import processing
        from sar_colorizer.plugin import SarColorizerPlugin
        plugin = SarColorizerPlugin(None)
        plugin.initProcessing()
        result = processing.run("sarcolorizer:colorizesar", {{"INPUT": {str(scene)!r}, "OUTPUT": {str(out)!r}}})
        print(json.dumps({{"output": result["OUTPUT"],
                          "imported": [m for m in {HIDDEN!r} if sys.modules.get(m) is not None]}}))
        plugin.unload()
    """, tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"output": str(out), "imported": []}
    assert np.array_equal(pixels(out), normal_run)
    assert not (tmp_path / "home" / TELEMETRY).exists()


def test_onnxruntime_alone_leaves_its_telemetry_folder_in_home(tmp_path):
    """The behaviour the colorizer turns off: importing onnxruntime without ORT_DISABLE_TELEMETRY
    writes a device id and an event database (1DS telemetry) into the home folder."""
    done = run_without_torch("import onnxruntime", tmp_path)
    assert done.returncode == 0, done.stderr
    if not (tmp_path / TELEMETRY).exists():
        pytest.skip("this onnxruntime has no telemetry on this system (1.23.2 had none on Linux)")
    assert sorted(p.name for p in (tmp_path / TELEMETRY).iterdir()) == ["deviceid", "onnxruntime.db"]


def system_python() -> Path:
    """The Python this environment was made from: on Debian the one QGIS runs (numpy and GDAL from
    the system, no torch, no onnxruntime), so a stand-in for a fresh QGIS's Python."""
    return Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"


def package_index_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def test_the_installer_fills_a_profile_folder_from_the_package_index_and_colorizing_runs_from_it(
        scene, normal_run, tmp_path):
    """The Install button's command for real: pip of a QGIS-like Python, the package index, a folder
    of a (temporary) QGIS profile; then a colorize with that folder on sys.path and torch hidden."""
    from sar_colorizer import deps

    python = system_python()
    probe = subprocess.run([str(python), "-c", "import numpy, osgeo.gdal, pip; print(numpy.__version__)"],
                           capture_output=True, text=True) if python.is_file() else None
    if probe is None or probe.returncode != 0:
        pytest.skip(f"no system Python with numpy, GDAL and pip at {python}")
    if not package_index_reachable():
        pytest.skip("the package index (pypi.org) cannot be reached")
    numpy_version = probe.stdout.strip()
    version = tuple(sys.version_info[:2])
    target = deps.packages_dir(tmp_path / "profile", version)
    done = subprocess.run(deps.install_arguments(target, python=str(python), keep_numpy=numpy_version),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    log = done.stdout
    print(log)  # what it downloaded, for the record (pytest -s)
    assert [line[:5] for line in log.splitlines() if line.startswith("[")] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    checked = [line for line in log.splitlines() if line.startswith("  import onnxruntime ")]
    assert len(checked) == 1 and checked[0].endswith("/staging/onnxruntime/__init__.py"), checked
    assert f"(keeping numpy=={numpy_version})" in log
    downloaded = [line for line in log.splitlines() if line.startswith("downloaded ")]
    assert len(downloaded) == 1 and downloaded[0].endswith(" MB in all")
    assert float(downloaded[0].split(", ")[1].split(" MB")[0]) > 5  # onnxruntime's wheel alone is larger
    installed = sorted(p.name for p in target.iterdir())
    assert "onnxruntime" in installed and not [n for n in installed if n.lower().startswith("numpy")], installed

    pkgroot = tmp_path / "pkgroot"
    pkgroot.mkdir()
    (pkgroot / "sar_colorizer").symlink_to(Path(deps.__file__).parent, target_is_directory=True)
    out = tmp_path / "rgb.tif"
    code = PRELUDE + textwrap.dedent(f"""
        sys.path.insert(0, {str(pkgroot)!r})
        from sar_colorizer import deps
        deps.use_packages_dir({str(target)!r})  # what the plugin does at load
        from sar_colorizer.core.pipeline import colorize
        from sar_colorizer.core.options import ColorizeOptions
        r = colorize({str(scene)!r}, {str(out)!r}, ColorizeOptions())
        import onnxruntime
        print(r.backend, onnxruntime.__file__)
    """)
    home = tmp_path / "home"
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    env.pop("ORT_DISABLE_TELEMETRY", None)
    env.pop("PYTHONPATH", None)
    ran = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["onnx", str(target / "onnxruntime" / "__init__.py")]
    assert np.array_equal(pixels(out), normal_run)
    assert leftovers(home) == []
