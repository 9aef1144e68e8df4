"""`colorize`: the one entry point. CLI, QGIS and the demo call it; none re-implements a step.

Sentinel-1 raster -> scene statistics (decimated read) -> strips of tiles with overlap -> model
-> blended rows -> RGB GeoTIFF (temp name, renamed when complete).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from . import raster_io, sar
from .backends import Backend, load_backend
from .errors import Cancelled, InputError, ModelFileError
from .modelfile import DEFAULT_MODEL_PATH, ModelMetadata
from .options import ColorizeOptions, ColorizeResult
from .tiling import StripAccumulator, TileGrid, pad_to_tile, tile_rows

Progress = Callable[[float], None]
IsCancelled = Callable[[], bool]
Log = Callable[[str], None]


def resolve_model_path(path: Optional[os.PathLike | str]) -> Path:
    if path:
        return Path(path)
    if not DEFAULT_MODEL_PATH.is_file():
        raise ModelFileError(
            f"no model given and the bundled model is not installed at {DEFAULT_MODEL_PATH}; "
            "pass a model file (--model PATH / MODEL parameter)"
        )
    return DEFAULT_MODEL_PATH


def scene_statistics(raster: raster_io.SarRaster, meta: ModelMetadata, units: str) -> tuple[dict, dict]:
    """Per-band units and normalisation statistics for the whole scene, from a decimated read."""
    stats, band_units = {}, {}
    for role in raster.bands:
        sample = raster_io.read_scene_sample(raster, role)
        u = units if units != "auto" else sar.detect_units(sample, raster.dtype(role))
        band_units[role] = u
        if not np.isfinite(sample).any():
            raise InputError(f"{raster.path.name}: band {raster.bands[role]} ({role}) is all nodata")
        if u == "linear" and np.nanmin(sample) < 0:
            raise InputError(
                f"{raster.path.name}: band {role} has negative values, so it cannot be linear power; "
                "it is probably in dB (use units dB)")
        stats[role] = sar.band_statistics(sar.to_model_units(sample, u), meta.inputs.normalisation,
                                          name=f"{raster.path.name} {role}")
    return band_units, stats


def read_strip(raster: raster_io.SarRaster, y0: int, rows: int, meta: ModelMetadata,
               band_units: dict, stats: dict) -> tuple[np.ndarray, np.ndarray]:
    """Model input (C, rows, width) and validity (rows, width) for image rows [y0, y0+rows)."""
    values, valid = {}, np.ones((rows, raster.width), bool)
    for role in raster.bands:
        raw = raster.read(role, y0, rows)
        valid &= raster.valid_mask(role, raw)
        values[role] = sar.to_model_units(raw, band_units[role])
    raster.release_cache()
    bands = {b: values.get(b) for b in meta.inputs.bands}
    return sar.model_input(bands, stats, valid, meta.inputs), valid


def to_rgb_bytes(pred: np.ndarray, valid: np.ndarray, meta: ModelMetadata) -> np.ndarray:
    rgb = np.clip(pred * meta.output.scale + meta.output.offset + 0.5, 0, 255).astype(np.uint8)
    rgb[:, ~valid] = 0
    return rgb


def colorize(
    input_path: os.PathLike | str,
    output_path: os.PathLike | str,
    options: ColorizeOptions = ColorizeOptions(),
    progress: Optional[Progress] = None,
    is_cancelled: Optional[IsCancelled] = None,
    log: Optional[Log] = None,
) -> ColorizeResult:
    started = time.perf_counter()
    say = log or (lambda _msg: None)
    model_path = resolve_model_path(options.model_path)
    raster = raster_io.open_sar(input_path, options.bands)
    for w in raster.warnings:
        say(f"warning: {w}")
    backend: Backend = load_backend(model_path, options.backend, options.device, options.threads)
    meta = backend.metadata
    sar.check_bands_for_model(raster.bands, meta.inputs, raster.path.name)
    unused = [r for r in raster.bands if r not in meta.inputs.bands]
    for role in unused:  # a VV-only model given VV+VH reads VV alone
        say(f"the model does not use {role}; band {raster.bands.pop(role)} is ignored")
    band_units, stats = scene_statistics(raster, meta, options.units)
    say(f"input {raster.width} x {raster.height}, bands {raster.bands}, units {band_units}; "
        f"backend {backend.name} on {backend.device}")

    tile = int(options.tile_size or meta.tile.size)
    overlap = int(meta.tile.overlap if options.overlap is None else options.overlap)
    multiple = meta.architecture.multiple
    if tile % multiple or tile < multiple:
        raise InputError(f"tile size {tile} must be a multiple of {multiple} for this model")
    if not 0 <= overlap < tile:
        raise InputError(f"overlap {overlap} must be between 0 and the tile size {tile}")
    grid = TileGrid(raster.width, raster.height, tile, overlap)
    writer = raster_io.RgbGeoTiffWriter(
        output_path, raster.width, raster.height, raster.dataset.GetGeoTransform(can_return_null=True),
        raster.dataset.GetProjection(), overwrite=options.overwrite)
    try:
        _run_tiles(raster, grid, backend, meta, band_units, stats, writer, options.batch_size,
                   progress, is_cancelled)
        if is_cancelled and is_cancelled():
            raise Cancelled("cancelled: no output was written")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if progress:
        progress(1.0)
    return ColorizeResult(
        output_path=writer.path, width=raster.width, height=raster.height,
        seconds=time.perf_counter() - started, backend=backend.name, device=backend.device,
        bands_used=dict(raster.bands), units=",".join(f"{k}:{v}" for k, v in band_units.items()),
        warnings=list(raster.warnings))


def _run_tiles(raster, grid: TileGrid, backend: Backend, meta: ModelMetadata, band_units, stats,
               writer: raster_io.RgbGeoTiffWriter, batch_size: int,
               progress: Optional[Progress], is_cancelled: Optional[IsCancelled]) -> None:
    acc = StripAccumulator(grid, channels=3)
    th, tw, done, total = grid.tile_height, grid.tile_width, 0, grid.count
    xs = grid.xs
    for y0, final in tile_rows(grid):
        strip, valid = read_strip(raster, y0, th, meta, band_units, stats)
        for start in range(0, len(xs), max(1, batch_size)):
            if is_cancelled and is_cancelled():
                raise Cancelled("cancelled: no output was written")
            batch_x = xs[start : start + batch_size]
            batch = np.stack([pad_to_tile(strip[:, :, x : x + tw], grid.tile) for x in batch_x])
            pred = backend.run(np.ascontiguousarray(batch, dtype=np.float32))
            for x, p in zip(batch_x, pred):
                acc.add(y0, x, p[:, :th, :tw])
            done += len(batch_x)
            if progress:
                progress(0.97 * done / total)
        # rows [y0, final) are now final; their validity is the first rows of this strip
        row0, rows = acc.finish_rows(final)
        writer.write_rows(to_rgb_bytes(rows, valid[: final - row0], meta), valid[: final - row0])
