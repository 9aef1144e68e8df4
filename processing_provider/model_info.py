"""What the Processing dialog says about the model, in words a GIS analyst reads, from the model
file's own metadata: where it learnt (for "where it works") and how it scored (below, in detail).

Kept apart from the algorithm so the help text can be tested on its own. core.modelfile and
core.architecture import no torch, so this is cheap at QGIS start-up.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Optional

from ..core.modelfile import DEFAULT_MODEL_PATH, ModelMetadata

# the training data sets of ../shared/data/train, as places; any other data set is named as it is
PLACES = {
    "desert-patches": "an arid area",
    "india-scenes": "northern India",
    "la-texas-vh": "Los Angeles and San Antonio (Texas)",
    "temperate-pairs": "a few places in Finland, Germany and eastern China",
}


def read_model(path: Optional[Path] = None) -> tuple[Optional[ModelMetadata], str]:
    """(the model's metadata, "") or (None, an HTML paragraph saying why it cannot be read)."""
    path = Path(path) if path else DEFAULT_MODEL_PATH
    if not path.is_file():
        return None, (
            f"<p><b>No model is installed</b> at <code>{html.escape(str(path))}</code>. "
            "Choose a SAR Colorizer model file (<code>.safetensors</code> or <code>.onnx</code>) in "
            "<i>Model file</i>, or reinstall the plugin from a package that bundles the trained model.</p>")
    try:
        from ..core.modelfile import read_metadata

        return read_metadata(path), ""
    except ImportError as exc:
        return None, (f"<p>Model file: <code>{html.escape(str(path))}</code> (its description cannot be read "
                      f"until the missing Python packages are installed: {html.escape(str(exc))}).</p>")
    except Exception as exc:  # a corrupt or foreign file: say so, the run will refuse it too
        return None, f"<p><b>The model file cannot be read</b>: {html.escape(str(exc))}</p>"


def where_it_works(meta: Optional[ModelMetadata]) -> str:
    """The plain paragraph: what the model knows, and what it does not."""
    size = f"{meta.pixel_size_m:g}" if meta else "10"
    places = _places(meta) if meta else ""
    learnt = (f"The model learnt from Sentinel-1 images of {places} with {size} m pixels, each paired with a "
              "Sentinel-2 image of the same place. " if places else "")
    scores = _colour_errors(meta) if meta else {}
    if len(scores) > 1:
        best, worst = min(scores, key=scores.get), max(scores, key=scores.get)
        learnt += (f"On images it had not seen, its colours came closest in {PLACES.get(best, best)} and were "
                   f"furthest off in {PLACES.get(worst, worst)} (figures below). ")
    return (
        "<p><b>Where it works, and where it does not</b>: " + learnt
        + f"It works best on {size} m Sentinel-1 GRD backscatter (VV, VH or both) of landscapes like those. "
        "Landscapes it has not seen, such as tropical forest, snow and ice or high mountains, get the colours "
        f"of the most similar place it knows. Pixels much larger or smaller than {size} m are colorized with "
        "a warning: fields and streets then look smaller or larger to the model than it learnt them. "
        "Optical images (colour photographs, Sentinel-2 bands), outputs of this plugin and complex (SLC) "
        "radar data are refused.</p>")


def describe_model(path: Optional[Path] = None, meta: Optional[ModelMetadata] = None) -> str:
    """"About the model": what it learnt from and how well it did, then the technical details."""
    path = Path(path) if path else DEFAULT_MODEL_PATH
    if meta is None:
        meta, problem = read_model(path)
        if meta is None:
            return problem
    rows = []
    learnt = _training_data(meta.training.get("data"))
    if learnt:
        # epoch_seconds: every epoch across resumes; seconds: one process's wall clock (older files)
        epochs, seconds = meta.training.get("epochs"), meta.training.get("epoch_seconds") or meta.training.get("seconds")
        extra = [f"{epochs} training rounds (epochs)" if epochs else "",
                 f"{float(seconds) / 60:.0f} minutes of training" if isinstance(seconds, (int, float)) else ""]
        rows.append(("Learnt from", learnt + "".join(f"; {e}" for e in extra if e)))
    rows.append(("Radar bands it reads", " and ".join(meta.inputs.bands)
                 + ("; either may be missing" if len(meta.inputs.bands) > 1 and meta.inputs.availability_channels
                    else "")))
    tested = _test_scores(meta)
    if tested:
        rows.append(("Tested on images it never learnt from", tested))
    rows.append(("Tiles", f"it colorizes {meta.tile.size} x {meta.tile.size} pixel tiles overlapping by "
                          f"{meta.tile.overlap} pixels, blended into one picture"))
    technical = [meta.description] if meta.description else []
    held_out = meta.training.get("holdout_patterns")
    if held_out:
        technical.append("validation images: " + _short(held_out, 200))
    if meta.output.target_stretch:
        technical.append("colour scale of its training images: " + _short(meta.output.target_stretch, 200))
    if technical:
        rows.append(("Technical details", "; ".join(technical)))
    items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in rows)
    return (f"<p><b>About the model</b> <i>{html.escape(meta.name)}</i> "
            f"(file <code>{html.escape(path.name)}</code>):</p><ul>{items}</ul>")


def _places(meta: ModelMetadata) -> str:
    data = meta.training.get("data")
    names = list(data) if isinstance(data, dict) else []
    places = [PLACES.get(name, name) for name in names]
    return "; ".join(places[:-1]) + f" and {places[-1]}" if len(places) > 1 else "".join(places)


def _training_data(data) -> str:
    """'126 pairs of ... images (102 megapixels): an arid area (132 pairs, VV), ...'."""
    if not isinstance(data, dict):
        return _short(data, 300) if data else ""
    parts, pairs, megapixels = [], 0, 0.0
    for name, info in data.items():
        place = PLACES.get(name, name)
        if not isinstance(info, dict):
            parts.append(f"{place}: {_short(info, 80)}")
            continue
        details = []
        if isinstance(info.get("pairs"), int):
            pairs += info["pairs"]
            details.append(f"{info['pairs']} pairs")
        if isinstance(info.get("megapixels"), (int, float)):
            megapixels += info["megapixels"]
        bands = info.get("bands")
        if bands:
            details.append(" + ".join(bands) if isinstance(bands, (list, tuple)) else str(bands))
        parts.append(f"{place} ({', '.join(details)})" if details else place)
    total = f"{pairs or ''} pairs of Sentinel-1 and Sentinel-2 images".lstrip()
    if megapixels:
        total += f" ({megapixels:.0f} megapixels)"
    return f"{total}: {'; '.join(parts)}"


def _validation(metrics) -> dict:
    scores = metrics.get("validation", metrics) if isinstance(metrics, dict) else {}
    return scores if isinstance(scores, dict) else {}


def _colour_errors(meta: ModelMetadata) -> dict[str, float]:
    """Data set -> how far off the average colour was on its held-out images (levels of 0..255)."""
    return {name: float(s["colour_error"]) for name, s in _validation(meta.metrics).items()
            if name != "mean_over_datasets" and isinstance(s, dict) and isinstance(s.get("colour_error"), (int, float))}


def _test_scores(meta: ModelMetadata) -> str:
    """The held-out scores in words: average colour off by how much, then PSNR and SSIM explained."""
    scores = _validation(meta.metrics)
    mean = scores.get("mean_over_datasets") if isinstance(scores.get("mean_over_datasets"), dict) else None
    if mean is None and any(isinstance(scores.get(k), (int, float)) for k in ("psnr", "ssim", "colour_error")):
        mean = scores
    if not mean:
        return _short(scores, 300) if scores else ""
    parts = []
    errors = _colour_errors(meta)
    if isinstance(mean.get("colour_error"), (int, float)):
        per_place = "; ".join(f"{PLACES.get(k, k)}: {v:.0f}" for k, v in sorted(errors.items(), key=lambda kv: kv[1]))
        parts.append(f"the overall tone was off by {mean['colour_error']:.0f} levels of 255 on average"
                     + (f" ({per_place})" if per_place else ""))
    if isinstance(mean.get("psnr"), (int, float)):
        parts.append(f"peak signal-to-noise ratio {mean['psnr']:.1f} dB (pixel by pixel closeness; higher is better)")
    if isinstance(mean.get("ssim"), (int, float)):
        parts.append(f"structural similarity {mean['ssim']:.2f} (0 = unrelated, 1 = the same picture)")
    return "; ".join(parts)


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
