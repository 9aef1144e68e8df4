"""Training and evaluation of the SAR Colorizer model (no QGIS here).

Training reads SAR exactly as inference does: the same unit handling, per-scene statistics and
channel stacking from ``core.sar``, so a trained model sees at inference what it saw in training.

``from sar_colorizer.training import Sentinel12Dataset`` is the reference design's entry point;
it is imported on first use (PEP 562), so ``import sar_colorizer.training`` stays cheap.
"""

_LAZY_FROM_DATASETS = ("Sentinel12Dataset",)


def __getattr__(name: str):
    if name in _LAZY_FROM_DATASETS:
        from . import datasets

        return getattr(datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
