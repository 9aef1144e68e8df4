"""The plugin's icon, loaded once from icon.png next to metadata.txt."""
from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtGui import QIcon

ICON_PATH = Path(__file__).resolve().parent.parent / "icon.png"


def plugin_icon() -> QIcon:
    return QIcon(str(ICON_PATH))
