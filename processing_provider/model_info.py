"""What the Processing dialog says about the model: read from the model file's own metadata.

Kept apart from the algorithm so the help text can be tested on its own. core.modelfile and
core.architecture import no torch, so this is cheap at QGIS start-up.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

from ..core.modelfile import DEFAULT_MODEL_PATH


def describe_model(path: Optional[Path] = None) -> str:
    """An HTML paragraph saying which model this is and what it was trained on."""
    path = Path(path) if path else DEFAULT_MODEL_PATH
    if not path.is_file():
        return (
            f"<p><b>No model is installed</b> at <code>{html.escape(str(path))}</code>. "
            "Choose a SAR Colorizer model file (<code>.safetensors</code>) in <i>Model file</i>, "
            "or reinstall the plugin from a package that bundles the trained model.</p>"
        )
    try:
        from ..core.modelfile import read_metadata

        meta = read_metadata(path)
    except ImportError as exc:
        return (f"<p>Model file: <code>{html.escape(str(path))}</code> (its description cannot be read "
                f"until the missing Python packages are installed: {html.escape(str(exc))}).</p>")
    except Exception as exc:  # a corrupt or foreign file: say so, the run will refuse it too
        return f"<p><b>The model file cannot be read</b>: {html.escape(str(exc))}</p>"

    rows = [
        ("Model", f"{meta.name}" + (f": {meta.description}" if meta.description else "")),
        ("Input bands", " + ".join(meta.inputs.bands)
         + (" (either band may be missing)" if meta.inputs.availability_channels else "")),
    ]
    trained_on = _training_data(meta.training.get("data"))
    if trained_on:
        epochs = meta.training.get("epochs")
        rows.append(("Trained on", trained_on + (f"; {epochs} epochs" if epochs else "")))
    held_out = meta.training.get("holdout_patterns")
    if held_out:
        rows.append(("Held out for validation", _short(held_out, 200)))
    scores = _validation(meta.metrics)
    if scores:
        rows.append(("Validation", scores))
    if meta.output.target_stretch:
        rows.append(("Colours", _short(meta.output.target_stretch, 200)))
    rows.append(("Tile", f"{meta.tile.size} px, overlap {meta.tile.overlap} px"))
    items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in rows)
    return f"<p>Model file <code>{html.escape(path.name)}</code>:</p><ul>{items}</ul>"


def _training_data(data) -> str:
    """'desert-patches (132 pairs, VV), ...' from the training section, whatever its detail."""
    if isinstance(data, dict):
        parts = []
        for name, info in data.items():
            if isinstance(info, dict):
                details = []
                if "pairs" in info:
                    details.append(f"{info['pairs']} pairs")
                if info.get("bands"):
                    bands = info["bands"]
                    details.append("+".join(bands) if isinstance(bands, (list, tuple)) else str(bands))
                parts.append(f"{name} ({', '.join(details)})" if details else str(name))
            else:
                parts.append(f"{name}: {_short(info, 80)}")
        return ", ".join(parts)
    return _short(data, 300) if data else ""


def _validation(metrics: dict) -> str:
    """The headline scores: the mean over validation data sets when the file has one."""
    scores = metrics.get("validation", metrics) if isinstance(metrics, dict) else {}
    if isinstance(scores, dict) and isinstance(scores.get("mean_over_datasets"), dict):
        mean = scores["mean_over_datasets"]
        return "mean over data sets: " + ", ".join(f"{k} {_short(v)}" for k, v in mean.items()
                                                   if isinstance(v, (int, float)))
    return _short(scores, 300) if scores else ""


def _short(value, limit: int = 300) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, tuple)):
        text = ", ".join(_short(v, limit) for v in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{k}: {_short(v, limit)}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
