"""Look at the plugin as a user does, in the real QGIS desktop, and take screenshots.

Run through scripts/qgis_desktop_check.sh (Xvfb, a throw-away profile with the plugin enabled).
Inside QGIS (`qgis --code this_file`) it: adds SCENE, opens the layer's right-click menu, triggers
"Colorize SAR…", runs the dialog (MODEL_FILE or the bundled model), waits for the result layer,
then reloads the plugin twice and unloads it, counting what is left. Everything it sees goes to
OUT/check.log; screenshots to OUT/*.png.
"""
import os
import time
import traceback

from qgis.core import QgsApplication, QgsProcessingContext, QgsProject
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtWidgets import QAction, QApplication, QDockWidget
from qgis.utils import iface, plugins, reloadPlugin, unloadPlugin

OUT = os.environ["CHECK_OUT"]
SCENE = os.environ["SCENE"]
MODEL = os.environ.get("MODEL_FILE", "")
ACTION_TEXT = "Colorize SAR…"
state = {}
log = open(os.path.join(OUT, "check.log"), "w")


def say(*args):
    print(*args, file=log, flush=True)


def shot(name, widget=None):
    QApplication.processEvents()
    picture = widget.grab() if widget is not None else QApplication.primaryScreen().grabWindow(0)
    picture.save(os.path.join(OUT, name + ".png"))
    say("screenshot", name)


def later(ms, step):
    def guarded():
        try:
            step()
        except Exception:
            say(traceback.format_exc())
            finish(1)
    QTimer.singleShot(ms, guarded)


def start():
    window = iface.mainWindow()
    window.setGeometry(0, 0, 1280, 800)  # no window manager under Xvfb
    docks = [d for d in window.findChildren(QDockWidget) if d.objectName() in ("Layers", "Browser")]
    window.resizeDocks(docks, [400] * len(docks), Qt.Horizontal)  # room for "<name> (colorized)"
    say("plugin loaded", "sar_colorizer" in plugins)
    layer = iface.addRasterLayer(SCENE, os.path.splitext(os.path.basename(SCENE))[0])
    say("scene", SCENE, "valid", layer.isValid(), "bands", layer.bandCount())
    state["layer"] = layer
    later(2500, right_click)


def right_click():
    view = iface.layerTreeView()
    view.setCurrentLayer(state["layer"])
    menu = view.menuProvider().createContextMenu()
    menu.popup(view.viewport().mapToGlobal(view.visualRect(view.currentIndex()).center()))
    state["menu"] = menu
    later(800, open_dialog)


def open_dialog():
    shot("context_menu")
    ours = [a for a in state["menu"].actions() if a.text() == ACTION_TEXT]
    say("context menu entries named", ACTION_TEXT, len(ours))
    state["menu"].close()
    later(1500, run_dialog)
    ours[0].trigger()  # modal: the next steps run from timers inside its event loop
    later(2500, show_result)


def run_dialog():
    dialog = QApplication.activeModalWidget() or next(
        w for w in QApplication.topLevelWidgets() if type(w).__name__ == "AlgorithmDialog" and w.isVisible())
    state["dialog"] = dialog
    panel = dialog.mainWidget()
    if MODEL:
        panel.wrappers["MODEL"].setParameterValue(MODEL, QgsProcessingContext())
    say("dialog", dialog.windowTitle(), {k: str(v) for k, v in panel.createProcessingParameters().items()})
    shot("dialog")
    state["t0"] = time.time()
    dialog.runButton().click()
    later(1000, wait_for_result)


def result_layers():
    return [l for l in QgsProject.instance().mapLayers().values() if l.name().endswith("(colorized)")]


def wait_for_result():
    if not result_layers() and time.time() - state["t0"] < 300:
        later(1000, wait_for_result)
        return
    say("run took about %.0f s" % (time.time() - state["t0"]))
    shot("dialog_log", state["dialog"])
    state["dialog"].close()


def show_result():
    for layer in result_layers():
        say("result layer", layer.name(), "renderer", layer.renderer().type(),
            "bands", layer.renderer().usesBands(), "source", layer.source())
        iface.setActiveLayer(layer)
        iface.zoomToActiveLayer()
    later(2500, lambda: (shot("result"), later(200, reload_twice)))


def counts(tag):
    view = iface.layerTreeView()
    view.setCurrentLayer(state["layer"])
    menu = view.menuProvider().createContextMenu()
    entries = [a for a in iface.rasterMenu().actions() if a.text() == "SAR Colorizer"]
    provider = QgsApplication.processingRegistry().providerById("sarcolorizer")
    say(tag, {
        "context_menu": sum(a.text() == ACTION_TEXT for a in menu.actions()),
        "raster_menu": len(entries),
        "toolbar": sum(a.text() == ACTION_TEXT for a in iface.pluginToolBar().actions()),
        "provider": provider is not None,
        "live_actions": len([a for a in iface.mainWindow().findChildren(QAction)
                             if a.objectName().startswith("sar_colorizer")]),
    })
    menu.deleteLater()


def reload_twice():
    counts("before reload")
    for i in (1, 2):
        reloadPlugin("sar_colorizer")
        QApplication.processEvents()
        counts(f"after reload {i}")
    unloadPlugin("sar_colorizer")
    QApplication.processEvents()
    counts("after unload")
    finish(0)


def finish(code):
    say("done", code)
    log.close()
    os._exit(code)  # QGIS's own shutdown under Xvfb is not what is being checked


later(6000, start)
