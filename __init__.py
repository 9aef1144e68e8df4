"""SAR Colorizer QGIS plugin entry point (QGIS calls classFactory).

Nothing heavy is imported here: the plugin must load, and explain what is missing, in a QGIS whose
Python has no torch.
"""


def classFactory(iface):  # noqa: N802 - name required by QGIS
    from .plugin import SarColorizerPlugin

    return SarColorizerPlugin(iface)
