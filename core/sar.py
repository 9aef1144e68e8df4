"""SAR values -> model input. The one implementation shared by inference and training.

Contract: the normalisation statistics of a band are computed once for a whole scene (or a whole
training patch) from its valid pixels, then applied to every tile of it. Tiles normalised with
their own statistics would not match at the seams.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

from .errors import InputError
from .modelfile import InputSpec, Normalisation

UNITS = ("auto", "db", "linear", "amplitude", "dn")
LINEAR_FLOOR = 1e-5  # -50 dB: linear zeros (no signal) must not become -inf
AMPLITUDE_FLOOR = LINEAR_FLOOR ** 0.5  # the same -50 dB for amplitudes


@dataclass(frozen=True)
class BandStats:
    low: float
    high: float

    @property
    def span(self) -> float:
        return max(self.high - self.low, 1e-6)


def detect_units(values: np.ndarray, dtype: np.dtype) -> str:
    """Guess how a band's numbers are scaled, from a sample of its valid pixels.

    - integers (Byte/UInt16/...): display-scaled digital numbers ("dn"); ESA's GRD products,
      whose integers are amplitudes ("amplitude"), are told by their metadata instead
      (raster_io.is_sentinel1_grd)
    - floats with negative values, or a median below 0 dB territory: decibels ("db")
    - non-negative floats with a small median: linear sigma0/gamma0 power ("linear")
    """
    if np.issubdtype(dtype, np.integer):
        return "dn"
    v = values[np.isfinite(values)]
    if v.size == 0:
        return "db"
    if (v < 0).mean() > 0.01:
        return "db"
    med = float(np.median(v))
    if med < 2.0 and float(np.percentile(v, 99)) < 50.0:
        return "linear"
    return "dn"  # non-negative floats on a display scale (0..255 stored as Float32, say)


def to_model_units(values: np.ndarray, units: str) -> np.ndarray:
    """dB stays dB, linear power and amplitude become dB, display numbers stay as they are.

    Amplitudes are uncalibrated (GRD: sigma0 = DN^2 / A^2), so their dB are off by -20 log10(A);
    the scene's own normalisation (band_statistics) takes that offset away."""
    values = values.astype(np.float32, copy=False)
    if units == "linear":
        return (10.0 * np.log10(np.maximum(values, LINEAR_FLOOR))).astype(np.float32)
    if units == "amplitude":
        return (20.0 * np.log10(np.maximum(values, AMPLITUDE_FLOOR))).astype(np.float32)
    return values


def band_statistics(values: np.ndarray, norm: Normalisation, name: str = "band") -> BandStats:
    """Statistics of one band from its valid pixels (any shape; NaN are ignored)."""
    v = np.asarray(values, dtype=np.float32).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise InputError(f"{name}: no valid pixels (everything is nodata or NaN)")
    low, high = np.percentile(v, [norm.low, norm.high])
    return BandStats(float(low), float(high))


def normalise(values: np.ndarray, stats: BandStats, norm: Normalisation,
              out: Optional[np.ndarray] = None) -> np.ndarray:
    """(values - low) / span, clipped; into ``out`` (float32, same shape) when given."""
    out = np.subtract(values, np.float32(stats.low), out=out, dtype=np.float32)
    out /= np.float32(stats.span)
    # maximum/minimum rather than np.clip: the same values (NaN stays NaN), without numpy 1.24's
    # slow scalar-bound path of clip
    np.maximum(out, np.float32(norm.clip[0]), out=out)
    return np.minimum(out, np.float32(norm.clip[1]), out=out)


def model_input(
    bands: Mapping[str, Optional[np.ndarray]],
    stats: Mapping[str, BandStats],
    valid: Optional[np.ndarray],
    spec: InputSpec,
    prior: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Stack the model's input channels (C, H, W) from bands already in model units.

    ``bands`` maps band name -> (H, W) array or None when the scene lacks it; ``valid`` is the
    (H, W) validity mask (None: all valid). Invalid pixels become 0 after normalisation.
    ``prior``: the colour prior's 4 channels for these pixels (core/prior.PriorGrid.window) for a
    model that takes one; None gives all four zero, the model's no-prior mode.
    """
    present = {b: a for b, a in bands.items() if a is not None}
    if not present:
        raise InputError("no SAR band given")
    shape = next(iter(present.values())).shape
    out = np.empty((spec.channels,) + shape, np.float32)  # filled in place: no per-channel temporaries
    for i, name in enumerate(spec.bands):
        arr = present.get(name)
        if arr is None:
            out[i] = 0
        else:
            x = normalise(arr, stats[name], spec.normalisation, out=out[i])
            ok = np.isfinite(x)
            if valid is not None:
                ok &= valid
            if not ok.all():
                x[~ok] = 0
    if spec.availability_channels:
        for i, name in enumerate(spec.bands):
            out[len(spec.bands) + i] = 1.0 if name in present else 0.0
    if spec.prior is not None:
        first = spec.sar_channels
        if prior is None:
            out[first:] = 0
        else:
            if prior.shape != (len(spec.prior.channels),) + shape:
                raise ValueError(f"colour prior of shape {prior.shape} for {shape} pixels")
            out[first:] = prior
    elif prior is not None:
        raise ValueError("this model takes no colour prior")
    return out


def check_bands_for_model(available: Mapping[str, object], spec: InputSpec, source: str) -> None:
    """Refuse inputs the model cannot use, with a message that says what to do."""
    missing = [b for b in spec.required_bands if b not in available]
    usable = [b for b in spec.bands if b in available]
    if missing:
        raise InputError(
            f"{source}: the model needs band(s) {', '.join(spec.bands)} but {', '.join(missing)} "
            f"is not in the input (found: {', '.join(available) or 'none'}); "
            "say which input band is which (command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)"
        )
    if not usable:
        raise InputError(
            f"{source}: none of the model's bands ({', '.join(spec.bands)}) is in the input "
            f"(found: {', '.join(available) or 'none'})"
        )
