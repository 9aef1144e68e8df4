"""Training and evaluation of the SAR Colorizer model (no QGIS here).

Training reads SAR exactly as inference does: the same unit handling, per-scene statistics and
channel stacking from ``core.sar``, so a trained model sees at inference what it saw in training.
"""
