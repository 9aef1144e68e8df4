"""The "Colorize SAR" dialog as the right-click action, the Raster menu and the toolbar open it:
Processing's own dialog for the algorithm, opened at a size where every field and the help beside
them are read without scrolling (Processing's default showed 4 of the fields and a sliver of help).
"""
from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtCore import QSize

# room for every field and, beside them, the help's first paragraphs
DIALOG_SIZE = QSize(1040, 760)
SCREEN_SHARE = 0.9  # of the screen's free area, on small screens
HELP_SHARE = 0.4  # of the width, at least, for the help beside the fields (Processing gives it about a quarter)


def dialog_size(available: QSize) -> QSize:
    """DIALOG_SIZE, or as much of it as a small screen leaves room for."""
    return QSize(min(DIALOG_SIZE.width(), int(available.width() * SCREEN_SHARE)),
                 min(DIALOG_SIZE.height(), int(available.height() * SCREEN_SHARE)))


def create_colorize_dialog(algorithm_id: str, parameters: dict):
    """Processing's dialog for the algorithm, filled with `parameters`, grown to a readable size
    (never shrunk: a size the user chose before, which QGIS restores, is kept when larger)."""
    import processing  # QGIS's Processing plugin: loaded by the time a user clicks

    dialog = processing.createAlgorithmDialog(algorithm_id, parameters)
    if dialog is None:
        return None
    screen = dialog.screen() if hasattr(dialog, "screen") else None
    wanted = dialog_size(screen.availableGeometry().size()) if screen is not None else DIALOG_SIZE
    dialog.resize(max(dialog.width(), wanted.width()), max(dialog.height(), wanted.height()))
    parent = dialog.parentWidget()
    if parent is not None:  # centred on the QGIS window, as a dialog of its own size would be
        frame = dialog.frameGeometry()
        frame.moveCenter(parent.frameGeometry().center())
        dialog.move(frame.topLeft())
    return dialog


def widen_help(dialog) -> None:
    """Give the help panel (the splitter's second pane) at least HELP_SHARE of the width; once the
    dialog is shown (before, the panes have no size yet)."""
    from qgis.PyQt.QtWidgets import QSplitter

    splitter = dialog.findChild(QSplitter)
    if splitter is None or splitter.count() != 2:
        return
    sizes = splitter.sizes()
    total = sum(sizes) or dialog.width()
    if sizes[1] < HELP_SHARE * total:
        help_width = int(HELP_SHARE * total)
        splitter.setSizes([total - help_width, help_width])


def open_colorize_dialog(algorithm_id: str, parameters: dict, iface=None) -> Optional[dict]:
    """Run the dialog until it is closed (what processing.execAlgorithmDialog does, at our size);
    the map tool an extent was drawn with is put back afterwards."""
    dialog = create_colorize_dialog(algorithm_id, parameters)
    if dialog is None:
        return None
    canvas = iface.mapCanvas() if iface is not None else None
    previous_tool = canvas.mapTool() if canvas is not None else None
    dialog.show()
    widen_help(dialog)
    dialog.exec()
    if canvas is not None and previous_tool is not None and canvas.mapTool() != previous_tool:
        try:
            canvas.mapTool().reset()
        except Exception:  # noqa: BLE001 - as Processing does: not every map tool can be reset
            pass
        canvas.setMapTool(previous_tool)
    results = dialog.results()
    dialog.close()  # destroyed, not only hidden, when it was left with Esc
    return results
