"""Ship a trained model: copy it with its evaluation added to the metadata, and export ONNX.

The weights are not touched; only the metadata gains the scores measured after training (e.g. on
India scene-3) so that ``sar-colorize --info`` and QGIS can show them.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

from ..core.modelfile import LoadedModel, load_model_file, save_model_file


def export_onnx_file(model_path, onnx_path) -> Path:
    from ..core.onnx_export import export_onnx

    return export_onnx(model_path, onnx_path)


def summarise_eval(eval_json: dict, method_prefix: str = "model:") -> dict:
    """{method: {shift: mean metrics over data sets}} of a ``sar-colorizer-eval --json`` file, short keys;
    for a ``training.evaluate_priors`` file {method: mean metrics over data sets, with the pair count}."""
    if "methods" in eval_json:
        return {method: {k: (int(v) if k == "pairs" else round(float(v), 4))
                         for k, v in by_ds["mean_over_datasets"].items()}
                for method, by_ds in eval_json["results"].items()}
    out = {}
    for method, by_shift in eval_json["results"].items():
        key = "this_model" if method == next(iter(eval_json["results"])) else method
        out[key] = {}
        for shift, by_ds in by_shift.items():
            m = by_ds.get("mean_over_datasets") or next(iter(by_ds.values()))
            out[key][shift] = {k: round(float(v), 4) for k, v in m.items() if k != "pairs"}
    return out


def set_coarse_from(loaded: LoadedModel, kinds: Sequence[str]) -> LoadedModel:
    """Set which prior kinds' coarse colours the model's output keeps (PriorSpec.coarse_from,
    core/coarse_colours.py): an inference rule stored with the weights, which are unchanged."""
    spec = loaded.metadata.inputs.prior
    if spec is None:
        raise ValueError(f"{loaded.path} takes no colour prior")
    inputs = replace(loaded.metadata.inputs, prior=replace(spec, coarse_from=tuple(kinds)))  # PriorSpec checks the kinds
    loaded.metadata = replace(loaded.metadata, inputs=inputs)
    return loaded


def publish_model(src, dst, evaluations: Optional[dict[str, str]] = None, commit: Optional[str] = None,
                  coarse_from: Optional[Sequence[str]] = None) -> Path:
    """Copy ``src`` to ``dst`` adding ``metrics[name] = summary of eval JSON`` for each evaluation;
    ``commit`` corrects the recorded training commit when the run recorded a later HEAD;
    ``coarse_from``: the prior kinds whose coarse colours the output keeps (set_coarse_from)."""
    loaded = load_model_file(src)
    if coarse_from is not None:
        set_coarse_from(loaded, coarse_from)
    meta = loaded.metadata
    for name, path in (evaluations or {}).items():
        data = json.loads(Path(path).read_text())
        meta.metrics[name] = {"pairs": data["pairs"], "results": summarise_eval(data)}
    if commit:
        meta.training["commit"] = commit
        segments = meta.training.get("segments")
        if segments:  # the last segment is the process that recorded the later HEAD
            meta.training["segments"] = [*segments[:-1], {**segments[-1], "commit": commit}]
    return save_model_file(dst, loaded.build(), meta)
