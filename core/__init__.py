"""SAR Colorizer core: no QGIS here. Heavy imports (torch, GDAL) happen in the modules that need them.

``from sar_colorizer.core import UNetDenoiseRobust`` (the reference design's name for the robust
U-Net) imports torch only when asked for (PEP 562), so importing core stays light and torch-free.
"""

_LAZY_FROM_MODEL = ("UNetDenoiseRobust", "RobustUNet")


def __getattr__(name: str):
    if name in _LAZY_FROM_MODEL:
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
