"""The desktop plugin: what initGui adds, unload removes, and the right-click action."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from osgeo import gdal
from qgis.core import QgsProject, QgsVectorLayer
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction

import sar_colorizer
from sar_colorizer import plugin as plugin_module

RHONE = "rhone-delta_vv_db_utm31n.tif"
DUAL_POL = "sen12ms-cr-s1/ROIs1158_spring_s1_1_p169.tif"


def flush_deletions():
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()


def test_init_gui_and_unload_twice_leave_nothing_behind(no_provider, recording_iface):
    iface = recording_iface
    for _ in range(2):
        plugin = sar_colorizer.classFactory(iface)
        plugin.initGui()

        assert no_provider.providerById("sarcolorizer") is not None
        assert no_provider.algorithmById("sarcolorizer:colorizesar") is not None
        assert len(iface.layer_actions) == 1
        (action, (menu, layer_type, all_layers)), = iface.layer_actions.items()
        assert action.text() == "Colorize SAR…" and menu == "" and all_layers is True
        assert layer_type == plugin_module.raster_layer_type()
        assert [(name, a.text()) for name, a in iface.raster_menu] == [("SAR Colorizer", "Colorize SAR…")]
        assert [a.text() for a in iface.toolbar] == ["Colorize SAR…"]
        assert not action.icon().isNull()
        added = [action, iface.toolbar[0]]

        plugin.unload()
        flush_deletions()

        assert no_provider.providerById("sarcolorizer") is None
        assert iface.layer_actions == {} and iface.raster_menu == [] and iface.toolbar == []
        assert all(sip.isdeleted(a) for a in added)
        assert [a for a in iface.window.findChildren(QAction) if a.objectName().startswith("sar_colorizer")] == []


def test_plugin_works_with_pytest_qgis_iface(no_provider, qgis_iface):
    plugin = sar_colorizer.classFactory(qgis_iface)
    plugin.initGui()
    assert no_provider.providerById("sarcolorizer") is not None
    plugin.unload()
    assert no_provider.providerById("sarcolorizer") is None


@pytest.fixture
def opened_dialogs(monkeypatch, processing_module):
    from sar_colorizer.ui import colorize_dialog

    calls = []
    monkeypatch.setattr(colorize_dialog, "open_colorize_dialog",
                        lambda alg_id, params={}, iface=None: calls.append((alg_id, params)))
    return calls


# two unnamed bands are left empty (= detect): the run tells VV from VH by their strength
@pytest.mark.parametrize("relative, bands", [(RHONE, {"VV_BAND": 1}), (DUAL_POL, {})])
def test_right_click_action_opens_dialog_with_that_layer(no_provider, recording_iface, opened_dialogs, scene,
                                                         load_raster, qgis_new_project, relative, bands):
    layer = load_raster(scene(relative))
    QgsProject.instance().addMapLayer(layer)
    plugin = sar_colorizer.classFactory(recording_iface)
    plugin.initGui()
    try:
        recording_iface.active_layer = layer  # what right-clicking a layer in the Layers panel does
        action, = recording_iface.layer_actions
        action.trigger()
        assert opened_dialogs == [("sarcolorizer:colorizesar", {"INPUT": layer, **bands})]
    finally:
        plugin.unload()


def test_menu_action_without_a_raster_opens_an_empty_dialog(no_provider, recording_iface, opened_dialogs):
    plugin = sar_colorizer.classFactory(recording_iface)
    plugin.initGui()
    try:
        recording_iface.active_layer = QgsVectorLayer("Point?crs=epsg:4326", "points", "memory")
        recording_iface.raster_menu[0][1].trigger()
        assert opened_dialogs == [("sarcolorizer:colorizesar", {})]
    finally:
        plugin.unload()


def test_real_dialog_opens_with_the_layer_and_bands(provider, processing_module, scene, load_raster,
                                                    qgis_new_project, qgis_iface, monkeypatch, tmp_path):
    """The parameters the action passes are accepted by Processing's own dialog widgets."""
    from qgis.gui import QgsBrowserGuiModel

    browser = QgsBrowserGuiModel()  # pytest-qgis's iface stub has none
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser, raising=False)
    named = tmp_path / "named_dual_pol.tif"
    gdal.Translate(str(named), str(scene(DUAL_POL)))
    ds = gdal.Open(str(named), gdal.GA_Update)
    for number, pol in ((1, "VV"), (2, "VH")):
        ds.GetRasterBand(number).SetDescription(pol)
    ds = None
    layer = load_raster(named)
    QgsProject.instance().addMapLayer(layer)
    params = plugin_module.dialog_parameters(layer)
    dialog = processing_module.createAlgorithmDialog("sarcolorizer:colorizesar", params)
    try:
        values = dialog.mainWidget().createProcessingParameters()
        assert values["INPUT"] == layer.id()
        assert (values["VV_BAND"], values["VH_BAND"]) == (1, 2)  # named VV and VH
        assert "Sentinel-1 GRD backscatter" in dialog.algorithm().shortHelpString()
    finally:
        dialog.close()
        dialog.deleteLater()


def test_plugin_loads_without_torch_or_onnxruntime(tmp_path):
    """With torch, safetensors and onnxruntime unimportable, the plugin still loads, registers its
    algorithm and says what is missing, and never imports torch while doing so."""
    script = textwrap.dedent("""
        import sys
        for name in ("torch", "safetensors", "onnxruntime"):
            sys.modules[name] = None        # `import torch` now raises ImportError
        from qgis.core import QgsApplication
        app = QgsApplication([], False)
        app.initQgis()
        import sar_colorizer
        from sar_colorizer.plugin import SarColorizerPlugin
        plugin = SarColorizerPlugin(None)
        plugin.initProcessing()
        alg = QgsApplication.processingRegistry().createAlgorithmById("sarcolorizer:colorizesar")
        print("ALG", alg.displayName())
        print("HELP", "Cannot run yet" in alg.shortHelpString())
        print("TORCH_LOADED", sys.modules.get("torch") is not None)
        plugin.unload()
    """)
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ALG Colorize SAR" in done.stdout
    assert "HELP True" in done.stdout
    assert "TORCH_LOADED False" in done.stdout
