"""Export a model file to ONNX, carrying the same metadata, for ONNX Runtime inference.

The ONNX file records the SHA-256 of the model file it came from and the version of the graph
this exporter writes, so the runtime can tell whether an ONNX file lying beside a model file (or
in the cache) is really its export by this exporter, or a stale one to export again.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

from .errors import ModelFileError
from .modelfile import METADATA_KEY, ModelMetadata, load_model_file

OPSET = 17
SOURCE_KEY = "source_sha256"
GRAPH_VERSION_KEY = "graph_version"
# The graph this exporter writes; raise it whenever the exported graph changes (same weights,
# different ops), so that older exports are exported again rather than used.
#   1 (no key): skip aligners as ONNX GridSample
#   2: skip aligners as row gathers and products (model.gather_warp): GridSample was slow in ORT
#   3: each decoder stage's 1x1 convolution before its upsampling (model.DecoderStage.forward)
GRAPH_VERSION = 3


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_onnx(model_path: str | os.PathLike, onnx_path: str | os.PathLike) -> Path:
    """Write ``onnx_path`` (atomically) from the model file at ``model_path``."""
    import onnx
    import torch

    from .model import use_gather_warp

    loaded = load_model_file(model_path)
    net = use_gather_warp(loaded.build())
    size = loaded.metadata.tile.size
    dummy = torch.zeros(1, loaded.metadata.architecture.in_channels, size, size)
    onnx_path = Path(onnx_path)
    tmp = onnx_path.with_name(onnx_path.name + ".partial")
    with torch.inference_mode(), warnings.catch_warnings():
        # the TorchScript exporter: dynamic batch/height/width axes without onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net, (dummy,), str(tmp), input_names=["sar"], output_names=["rgb"],
            dynamic_axes={"sar": {0: "batch", 2: "height", 3: "width"},
                          "rgb": {0: "batch", 2: "height", 3: "width"}},
            opset_version=OPSET, dynamo=False,
        )
    proto = onnx.load(str(tmp))
    for key, value in ((METADATA_KEY, loaded.metadata.to_json()), (SOURCE_KEY, file_sha256(model_path)),
                       (GRAPH_VERSION_KEY, str(GRAPH_VERSION))):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(tmp))
    os.replace(tmp, onnx_path)
    return onnx_path


def read_onnx_metadata(session) -> tuple[ModelMetadata, str, int]:
    """(metadata, source sha256, graph version) from an onnxruntime InferenceSession; graph version
    1 for an export that records none (made before versions were recorded)."""
    import json

    props = session.get_modelmeta().custom_metadata_map
    if METADATA_KEY not in props:
        raise ModelFileError("this ONNX file holds no SAR Colorizer metadata (was it exported by SAR Colorizer?)")
    try:
        version = int(props.get(GRAPH_VERSION_KEY, "1"))
    except ValueError:
        version = 0  # unreadable: treat as stale
    return ModelMetadata.from_dict(json.loads(props[METADATA_KEY])), props.get(SOURCE_KEY, ""), version
