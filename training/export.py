"""ONNX export of a trained model file (delegates to core, which owns the format)."""
from __future__ import annotations

from pathlib import Path


def export_onnx_file(model_path, onnx_path) -> Path:
    from ..core.onnx_export import export_onnx

    return export_onnx(model_path, onnx_path)
