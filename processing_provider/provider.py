"""The Processing provider "SAR Colorizer" (id sarcolorizer)."""
from __future__ import annotations

from qgis.core import QgsProcessingProvider

from .colorize_algorithm import ColorizeSarAlgorithm


class SarColorizerProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "sarcolorizer"

    def name(self) -> str:
        return "SAR Colorizer"

    def longName(self) -> str:  # noqa: N802
        return "SAR Colorizer (Sentinel-1 to Sentinel-2-like RGB)"

    def icon(self):
        from ..ui.icons import plugin_icon

        return plugin_icon()

    def loadAlgorithms(self) -> None:  # noqa: N802
        self.addAlgorithm(ColorizeSarAlgorithm())

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802
        return ["tif"]  # the pipeline writes GeoTIFF only

    def defaultRasterFileExtension(self) -> str:  # noqa: N802
        return "tif"
