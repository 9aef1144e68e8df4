"""Fixtures for the QGIS tests (pytest-qgis, headless).

Run with `QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/qgis`. The tests build a
tiny random-weight model themselves: nothing random is ever the plugin's default model.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Optional

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / ".." / "shared" / "data"
SCENES = DATA / "scenes"
PROCESSING_PLUGINS = Path("/usr/share/qgis/python/plugins")
_KEEP_ALIVE: list = []


def scene_path(relative: str) -> Path:
    """A real Sentinel-1 raster of ../shared/data/scenes, or skip when the data are not here."""
    path = SCENES / relative
    if not path.is_file():
        pytest.skip(f"real data not available: {path} (the shared data folder is absent)")
    return path.resolve()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A VV-only RobustUNet with random weights, 64 px tiles: fast, and a valid model file."""
    torch = pytest.importorskip("torch")
    from sar_colorizer.core.model import ArchitectureConfig, RobustUNet
    from sar_colorizer.core.modelfile import InputSpec, ModelMetadata, TileSpec, save_model_file

    torch.manual_seed(0)
    arch = ArchitectureConfig(in_channels=1, base_channels=4, depth=2)
    meta = ModelMetadata(
        architecture=arch, inputs=InputSpec(bands=("VV",)), tile=TileSpec(size=64, overlap=16),
        name="test-random", description="random weights, for tests only",
        training={"data": {"desert-patches": {"pairs": 3, "bands": ["VV"], "units": "db"}}, "epochs": 2,
                  "holdout_patterns": ["india-scenes/scene-3"], "seed": 1},
        metrics={"validation": {"mean_over_datasets": {"psnr": 13.9, "ssim": 0.2319}}},
    )
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    return save_model_file(path, RobustUNet(arch).eval(), meta)


@pytest.fixture
def no_provider(qgis_processing):
    """Start without a registered sarcolorizer provider (other tests may have added one)."""
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("sarcolorizer")
    if existing is not None:
        registry.removeProvider(existing)
    return registry


@pytest.fixture
def error_feedback(qgis_processing):
    """A Processing feedback that keeps what is reported as errors (warnings are shown as errors,
    highlighted, in the Processing log) in `.errors`."""
    from qgis.core import QgsProcessingFeedback

    class ErrorRecordingFeedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.errors: list[str] = []

        def reportError(self, error, fatalError=False):  # noqa: N802, N803
            self.errors.append(error)
            super().reportError(error, fatalError)

    return ErrorRecordingFeedback()


@pytest.fixture
def provider(qgis_processing):
    """The SAR Colorizer provider, registered (again, if a plugin test removed it)."""
    from qgis.core import QgsApplication

    from sar_colorizer.processing_provider.provider import SarColorizerProvider

    registry = QgsApplication.processingRegistry()
    if registry.providerById("sarcolorizer") is None:
        # Python must keep the object: the registry's reference alone does not keep a Python
        # subclass alive (the plugin keeps its provider in self.provider for the same reason)
        _KEEP_ALIVE.append(SarColorizerProvider())
        assert registry.addProvider(_KEEP_ALIVE[-1])
    return registry.providerById("sarcolorizer")


@pytest.fixture
def processing_module(qgis_processing):
    if str(PROCESSING_PLUGINS) not in sys.path and PROCESSING_PLUGINS.is_dir():
        sys.path.append(str(PROCESSING_PLUGINS))
    import processing

    return processing


class RecordingIface:
    """The parts of QgisInterface the plugin uses, keeping what is currently added.

    Unlike pytest-qgis's stub (whose menu/toolbar methods do nothing), this one lets a test check
    that unload removes exactly what initGui added.
    """

    def __init__(self):
        from qgis.PyQt.QtWidgets import QMainWindow

        self.window = QMainWindow()
        self.layer_actions: dict = {}      # action -> (menu, layer type, all layers)
        self.raster_menu: list = []        # (menu name, action)
        self.toolbar: list = []
        self.active_layer = None

    def mainWindow(self):  # noqa: N802
        return self.window

    def activeLayer(self):  # noqa: N802
        return self.active_layer

    def addCustomActionForLayerType(self, action, menu, layer_type, all_layers):  # noqa: N802
        self.layer_actions[action] = (menu, layer_type, all_layers)

    def removeCustomActionForLayerType(self, action) -> bool:  # noqa: N802
        return self.layer_actions.pop(action, None) is not None

    def addPluginToRasterMenu(self, name, action):  # noqa: N802
        self.raster_menu.append((name, action))

    def removePluginRasterMenu(self, name, action):  # noqa: N802
        self.raster_menu.remove((name, action))

    def addToolBarIcon(self, action):  # noqa: N802
        self.toolbar.append(action)
        return 0

    def removeToolBarIcon(self, action):  # noqa: N802
        self.toolbar.remove(action)


@pytest.fixture
def recording_iface(qgis_app) -> RecordingIface:
    return RecordingIface()


def raster_layer(path: Path, name: Optional[str] = None):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(str(path), name or path.stem)
    assert layer.isValid(), path
    return layer


@pytest.fixture
def scene(shared_data):
    """`scene("rhone-delta_vv_db_utm31n.tif")` -> path, or skip without the shared data."""
    return scene_path


@pytest.fixture
def load_raster(qgis_app):
    return raster_layer


def qgis_process_binary() -> str:
    # Debian's /usr/bin/qgis_process wrapper script is broken in some set-ups; the binary works
    for name in ("qgis_process.bin", "qgis_process"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("qgis_process is not installed")


@pytest.fixture
def qgis_process_for(tmp_path):
    """`qgis_process_for(plugin_folder)` -> run(*args): qgis_process with a throw-away profile in
    which `plugin_folder` is installed as sar_colorizer (found through QGIS_PLUGINPATH) and enabled
    with `qgis_process plugins enable`, which is how QGIS 3.22's qgis_process finds a plugin."""
    binary = qgis_process_binary()

    def make(plugin_folder: Path):
        plugins = tmp_path / "plugins"
        plugins.mkdir(exist_ok=True)
        link = plugins / "sar_colorizer"
        if Path(plugin_folder).resolve() != link.resolve():
            link.symlink_to(Path(plugin_folder).resolve(), target_is_directory=True)
        env = dict(os.environ)
        env.update({
            "QT_QPA_PLATFORM": "offscreen",
            "QGIS_CUSTOM_CONFIG_PATH": str(tmp_path / "profile"),
            "QGIS_PLUGINPATH": str(plugins),
            # qgis_process embeds the system Python; let it see the test Python's packages (torch,
            # safetensors), as a user's QGIS sees those installed with pip --user
            "PYTHONPATH": os.pathsep.join(filter(None, [sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")])),
        })

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([binary, *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                                  timeout=300)

        enabled = run("plugins", "enable", "sar_colorizer")
        assert enabled.returncode == 0, enabled.stdout + enabled.stderr
        return run

    return make
