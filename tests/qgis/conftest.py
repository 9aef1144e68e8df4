"""Fixtures for the QGIS tests (pytest-qgis, headless).

Run with `QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/qgis`. The tests build a
tiny random-weight model themselves: nothing random is ever the plugin's default model.
"""
from __future__ import annotations

import os
import sys
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
        training={"data": "none (random initialisation)", "epochs": 0},
    )
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    return save_model_file(path, RobustUNet(arch).eval(), meta)


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
