"""SAR Colorizer QGIS plugin entry point (QGIS calls classFactory)."""


def classFactory(iface):  # noqa: N802 - name required by QGIS
    from .plugin import SarColorizerPlugin

    return SarColorizerPlugin(iface)
