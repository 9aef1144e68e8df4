"""Training targets in the one colour convention (core/prior.COLOUR_CONVENTION).

Every optical target, whatever its source scaling, becomes Sentinel-2 reflectance 0..0.3 -> 0..1,
so that 0..255 in a colorized GeoTIFF means the same thing whichever data set taught it, and the
colour prior (world palette, a user's reference) speaks the same units as the output.

- UInt16 targets are Sentinel-2 reflectance x 10000 (L1C or L2A): v / 10000 / 0.3.
- 8-bit targets (display-scaled true colour: the India JPEGs, LA/Texas L1C true colour) have no
  stated scaling; each such data set gets one gain, measured by benchmarks/palette_calibration.py
  (the gain that maps the set's mean colour onto the world palette's colour at its places;
  training/recipes/palette_calibration.json). v / 255 x gain.
- An 8-bit set stretched channel by channel per Sentinel-2 tile by its source (LA/Texas: each band
  divided by its 99th percentile) may instead carry a gain per tile and channel
  (``eight_bit_tile_gain``), fitted the same way on that tile's places: it takes out the stretch's
  colour cast, which a single gain keeps. The tile of a fragment comes from the set's metadata.json.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from ..core.prior import REFLECTANCE_FULL_SCALE, REFLECTANCE_SCALE

CALIBRATION_PATH = Path(__file__).resolve().parent / "recipes" / "palette_calibration.json"
# Pixels with every band above this reflectance are bright white: clouds (the desert set's cloud
# masks are all zero, so brightness is the only cloud test it has) or snow
WHITE_REFLECTANCE = 0.3


@lru_cache(maxsize=1)
def calibration() -> dict:
    if CALIBRATION_PATH.is_file():
        return json.loads(CALIBRATION_PATH.read_text())
    return {}


def eight_bit_gain(dataset: str) -> float:
    """The measured gain of an 8-bit data set (1.0 = 0..255 already is reflectance 0..0.3)."""
    return float(calibration().get("eight_bit_gain", {}).get(dataset, 1.0))


def eight_bit_tile_gain(dataset: str, tile: Optional[str]) -> Optional[np.ndarray]:
    """(3,) per-channel gain of one source tile of an 8-bit set, or None where none was measured."""
    if tile is None:
        return None
    got = calibration().get("eight_bit_tile_gain", {}).get(dataset, {}).get(tile)
    return None if got is None else np.asarray(got, np.float32)


def sentinel2_tile(product: str) -> Optional[str]:
    """The tile ID (e.g. T11SLT) in a Sentinel-2 product name, or None."""
    found = re.search(r"_(T\d{2}[A-Z]{3})(_|\.|$)", product)
    return found.group(1) if found else None


@lru_cache(maxsize=8)
def _tiles_of(metadata: Path) -> dict[str, str]:
    tiles = {}
    for entry in json.loads(metadata.read_text()):
        tile = sentinel2_tile(str(entry.get("opt_tile_name", "")))
        if "fragment_filename" in entry and tile:
            tiles[Path(entry["fragment_filename"]).stem] = tile
    return tiles


def source_tile(optical_path: Path) -> Optional[str]:
    """The Sentinel-2 tile (e.g. T11SLT) an optical fragment was cut from, where its data set names it
    (LA/Texas: metadata.json beside s1/ and s2/, product names in opt_tile_name); else None."""
    metadata = Path(optical_path).parent.parent / "metadata.json"
    if not metadata.is_file():
        return None
    try:
        return _tiles_of(metadata).get(Path(optical_path).stem)
    except (ValueError, KeyError, TypeError):
        return None


def to_convention(rgb: np.ndarray, dtype: np.dtype, dataset: str, tile: Optional[str] = None) -> np.ndarray:
    """(3, H, W) optical in its stored units -> float32 in the colour convention (not clipped)."""
    rgb = rgb.astype(np.float32, copy=False)
    if np.issubdtype(dtype, np.integer) and np.iinfo(dtype).max > 255:
        return rgb / np.float32(REFLECTANCE_SCALE * REFLECTANCE_FULL_SCALE)
    if np.issubdtype(dtype, np.floating) and float(np.nanmax(rgb)) <= 1.5:
        return rgb / np.float32(REFLECTANCE_FULL_SCALE)  # reflectance as floats
    per_tile = eight_bit_tile_gain(dataset, tile)
    if per_tile is not None:
        return rgb / np.float32(255.0) * per_tile.reshape(3, *([1] * (rgb.ndim - 1)))
    return rgb / np.float32(255.0) * np.float32(eight_bit_gain(dataset))


def bright_white(conv: np.ndarray) -> np.ndarray:
    """(H, W) True where every band is above WHITE_REFLECTANCE (clouds, snow)."""
    return (conv > np.float32(WHITE_REFLECTANCE / REFLECTANCE_FULL_SCALE)).all(axis=0)


def target_bytes(conv: np.ndarray) -> np.ndarray:
    """The stored training target: the convention clipped to 0..1, as bytes (0..255)."""
    return np.round(np.clip(conv, 0.0, 1.0) * 255.0).astype(np.uint8)


def colour_error_sigma(default: float = 0.25) -> tuple[float, float, float]:
    """Per-channel std of log(true / palette) colour, measured on the georeferenced pairs: the size
    of the random colour error a tile's own optical gets when it stands in for the world palette."""
    got: Optional[list] = calibration().get("colour_error_log_std")
    return tuple(float(v) for v in got) if got else (default, default, default)
