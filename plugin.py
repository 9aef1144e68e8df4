"""The QGIS desktop side: Processing provider, a right-click action on raster layers, a Raster menu
entry and a toolbar button, all opening the "Colorize SAR" dialog. Everything added in initGui is
removed in unload, so the plugin can be reloaded (Plugin Reloader) without leaving anything behind.

When a package it needs is missing (onnxruntime, see deps.py), a message-bar notice says so at load,
with an Install button (ui/install_dialog.py), and Raster ▸ SAR Colorizer gets the same entry.
"""
from __future__ import annotations

from typing import Optional

from qgis.core import Qgis, QgsApplication, QgsMapLayer, QgsRasterLayer
from qgis.PyQt import sip
from qgis.PyQt.QtWidgets import QPushButton

try:  # QAction lives in QtGui in Qt6 (QGIS 4) and is re-exported there by newer QGIS 3
    from qgis.PyQt.QtGui import QAction
except ImportError:  # QGIS 3.22..3.3x on Qt5: only in QtWidgets
    from qgis.PyQt.QtWidgets import QAction

from . import deps
from .processing_provider.colorize_algorithm import raster_file_path
from .processing_provider.provider import SarColorizerProvider
from .ui.icons import plugin_icon

ALGORITHM_ID = "sarcolorizer:colorizesar"
MENU_NAME = "SAR Colorizer"
ACTION_TEXT = "Colorize SAR…"
INSTALL_TEXT = "Install Python packages…"


def raster_layer_type():
    """QgsMapLayerType.RasterLayer (QGIS 3.22..3.28) or Qgis.LayerType.Raster (newer)."""
    try:
        from qgis.core import Qgis

        return Qgis.LayerType.Raster
    except AttributeError:
        from qgis.core import QgsMapLayerType

        return QgsMapLayerType.RasterLayer


def dialog_parameters(layer: Optional[QgsMapLayer]) -> dict:
    """Initial dialog values for `layer`: INPUT, and VV/VH bands guessed from its band names."""
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        return {}
    params: dict = {"INPUT": layer}
    path = raster_file_path(layer)
    if path is None:
        return params
    try:
        from .core.raster_io import bands_by_order, guess_band_roles, open_raster

        ds = open_raster(path)  # opened once for both questions
        roles = guess_band_roles(ds)
        if bands_by_order(ds, roles):
            return params  # left to the run, which tells VV from VH by their strength
    except Exception:  # noqa: BLE001 - a guess only: the dialog then shows empty (= detect) bands
        return params
    for role, key in (("VV", "VV_BAND"), ("VH", "VH_BAND")):
        if roles.get(role):
            params[key] = int(roles[role])
    return params


class SarColorizerPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider: Optional[SarColorizerProvider] = None
        self.layer_action: Optional[QAction] = None
        self.menu_action: Optional[QAction] = None
        self.install_action: Optional[QAction] = None
        self.notice = None  # the message-bar item saying what is missing
        self.install_dialog = None
        # before anything imports onnxruntime: its telemetry off, the plugin's package folder on the path
        self.packages_dir = deps.prepare_python()

    # Processing only (also what qgis_process calls) ----------------------------------------
    def initProcessing(self) -> None:  # noqa: N802
        if self.provider is None:
            self.provider = SarColorizerProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    # Desktop -------------------------------------------------------------------------------
    def initGui(self) -> None:  # noqa: N802
        self.initProcessing()
        window = self.iface.mainWindow()

        self.layer_action = QAction(plugin_icon(), ACTION_TEXT, window)
        self.layer_action.setObjectName("sar_colorizer_layer_action")
        self.layer_action.setToolTip("Colorize this Sentinel-1 layer into a Sentinel-2-like RGB image")
        self.layer_action.triggered.connect(self.colorize_active_layer)
        self.iface.addCustomActionForLayerType(self.layer_action, "", raster_layer_type(), True)

        self.menu_action = QAction(plugin_icon(), ACTION_TEXT, window)
        self.menu_action.setObjectName("sar_colorizer_menu_action")
        self.menu_action.setToolTip("Colorize a Sentinel-1 SAR raster into a Sentinel-2-like RGB image")
        self.menu_action.triggered.connect(self.colorize_active_layer)
        self.iface.addPluginToRasterMenu(MENU_NAME, self.menu_action)
        self.iface.addToolBarIcon(self.menu_action)

        if deps.missing_required():
            self.offer_install()

    # Missing packages ----------------------------------------------------------------------
    def offer_install(self) -> None:
        """The notice, with its Install button, and the same entry in the Raster menu."""
        missing = deps.missing_required()
        names = ", ".join(r.package for r in missing)
        bar = self.iface.messageBar()
        widget = bar.createMessage(
            "SAR Colorizer", f"cannot colorize yet: it needs the Python package {names} "
                             "(a download of about 20-30 MB, installed into your QGIS profile).")
        button = QPushButton("Install…", widget)
        button.setObjectName("sar_colorizer_install_button")
        button.clicked.connect(self.open_installer)
        widget.layout().addWidget(button)
        self.notice = bar.pushWidget(widget, Qgis.MessageLevel.Warning)
        self.install_action = QAction(INSTALL_TEXT, self.iface.mainWindow())
        self.install_action.setObjectName("sar_colorizer_install_action")
        self.install_action.triggered.connect(self.open_installer)
        self.iface.addPluginToRasterMenu(MENU_NAME, self.install_action)

    def open_installer(self) -> None:
        from .ui.install_dialog import InstallDialog

        if self.install_dialog is None:
            target = self.packages_dir or deps.packages_dir(deps.default_profile_dir())
            self.install_dialog = InstallDialog(target, parent=self.iface.mainWindow())
            self.install_dialog.installed.connect(self._installed)
        self.install_dialog.show()
        self.install_dialog.raise_()

    def _installed(self) -> None:
        self._drop_install_offer()
        self.iface.messageBar().pushMessage("SAR Colorizer", "the Python packages are installed: ready to colorize.",
                                            Qgis.MessageLevel.Success, 10)

    def _drop_install_offer(self) -> None:
        if self.notice is not None:
            if not sip.isdeleted(self.notice):  # the user may have closed it
                self.iface.messageBar().popWidget(self.notice)
            self.notice = None
        if self.install_action is not None:
            self.iface.removePluginRasterMenu(MENU_NAME, self.install_action)
            _dispose(self.install_action)
            self.install_action = None

    def unload(self) -> None:
        self._drop_install_offer()
        if self.install_dialog is not None:
            self.install_dialog.reject()  # stops an installation under way
            self.install_dialog.deleteLater()
            self.install_dialog = None
        if self.layer_action is not None:
            self.iface.removeCustomActionForLayerType(self.layer_action)
            _dispose(self.layer_action)
            self.layer_action = None
        if self.menu_action is not None:
            self.iface.removePluginRasterMenu(MENU_NAME, self.menu_action)
            self.iface.removeToolBarIcon(self.menu_action)
            _dispose(self.menu_action)
            self.menu_action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None

    def colorize_active_layer(self) -> None:
        """Open the algorithm dialog for the layer that was right-clicked (the active layer)."""
        from .ui import colorize_dialog

        colorize_dialog.open_colorize_dialog(ALGORITHM_ID, dialog_parameters(self.iface.activeLayer()), self.iface)


def _dispose(action: QAction) -> None:
    action.triggered.disconnect()
    action.setParent(None)
    action.deleteLater()
