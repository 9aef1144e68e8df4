"""`colorize`: the one entry point. CLI, QGIS and the demo call it; none re-implements a step.

Sentinel-1 raster -> scene statistics (decimated read) -> strips of tiles with overlap -> model
-> blended rows -> RGB GeoTIFF (temp name, renamed when complete).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
from osgeo import gdal

from . import input_guards, prior_source, raster_io, resolution, sar
from .backends import Backend, load_backend
from .coarse_colours import keep_coarse_colours
from .errors import Cancelled, InputError, ModelFileError
from .modelfile import DEFAULT_MODEL_PATH, ModelMetadata
from .options import ColorizeOptions, ColorizeResult, batch_size_for
from .prefetch import RunAhead
from .tiling import BlendAccumulator, TileBatch, TileGrid, pad_to_tile, tile_batches
from .version import product_version

# GDAL block cache kept across windows of a tiled input, which share blocks (batch-1 reads of
# 4096^2: 0.58 -> 0.33 s). 8 MiB rather than 16: the 16000^2 peak fell from 200 to 191 MiB (growth
# over 4000^2 +10.3 -> +9.3 %) for 0.26 instead of 0.256 s of reading 4096^2; 4 MiB cost 0.30 s
INPUT_CACHE_BYTES = 8 << 20
READ_AHEAD_TILES = 4  # columns of tiles whose input one read covers, whatever the batch size
Progress = Callable[[float], None]
IsCancelled = Callable[[], bool]
Log = Callable[[str], None]


def model_queue_depth(device: str) -> int:
    """Batches that reading may run ahead of the model, and the model ahead of blending and
    writing, each stage in a thread of its own. On a GPU this keeps the GPU and the CPU busy at
    once; on the CPU the model already has every core, and worker threads only competed with it
    (benchmarks/RESULTS.md): 0, one stage after the other in the calling thread."""
    return 2 if device == "cuda" else 0


def compress_threads(device: str) -> Optional[str]:
    """GDAL's compression threads for the output. On the CPU none: GDAL compresses in the calling
    thread, and the model has the cores (raster_io.DEFLATE_LEVEL's note). On a GPU the cores are
    free, and compressing was most of the time the CPU side took (benchmarks/RESULTS.md)."""
    return "ALL_CPUS" if device == "cuda" else None


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
        u = units if units != "auto" else (raster.units_hint or sar.detect_units(sample, raster.dtype(role)))
        band_units[role] = u
        if not np.isfinite(sample).any():
            raise InputError(f"{raster.label}: band {raster.bands[role]} ({role}) is all nodata")
        if u in ("linear", "amplitude") and np.nanmin(sample) < 0:
            raise InputError(
                f"{raster.label}: band {role} has negative values, so it cannot be {u}"
                f"{' power' if u == 'linear' else 's'}; it is probably in dB (use units dB)")
        stats[role] = sar.band_statistics(sar.to_model_units(sample, u), meta.inputs.normalisation,
                                          name=f"{raster.label} {role}")
    return band_units, stats


# VV is the stronger by 5.5-7.5 dB (the midpoints of their 2nd-98th percentiles) in all 23 real
# dual-pol scenes of ../shared/data; more than this the other way round means the bands are swapped
REVERSED_BY_DB = 1.0


def polarisations_reversed(raster: raster_io.SarRaster, band_units: dict, stats: dict) -> bool:
    """Two bands taken as VV, VH by their order alone, the first the weaker: co-polarised backscatter
    (VV) is stronger than cross-polarised (VH) almost everywhere, so the file holds them the other
    way round (exports that sort bands by name put VH first)."""
    if not raster.bands_by_order or any(band_units[r] == "dn" for r in ("VV", "VH")):
        return False  # display numbers: each band may have its own stretch
    middle = {role: (stats[role].low + stats[role].high) / 2 for role in ("VV", "VH")}
    return middle["VV"] < middle["VH"] - REVERSED_BY_DB


def settle_bands(raster: raster_io.SarRaster, meta: ModelMetadata, units: str, say: Log) -> tuple[dict, dict]:
    """The bands the model reads, their units and scene statistics; two bands told apart by their
    order alone are swapped when the first is the weaker (polarisations_reversed)."""
    sar.check_bands_for_model(raster.bands, meta.inputs, raster.label)
    if not raster.bands_by_order:  # else both bands are needed to tell which is which
        drop_unused_bands(raster, meta, say)
    band_units, stats = scene_statistics(raster, meta, units)
    if polarisations_reversed(raster, band_units, stats):
        for table in (raster.bands, band_units, stats):
            table["VV"], table["VH"] = table["VH"], table["VV"]
        raster.warnings.append(
            f"{raster.label}: band 1 is the weaker of its two bands, so band 2 is taken as VV and band 1 as VH "
            "(co-polarised backscatter is the stronger); if that is wrong, say which band is which "
            "(command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)")
        say(f"warning: {raster.warnings[-1]}")
    drop_unused_bands(raster, meta, say, band_units, stats)
    return band_units, stats


def tiling_for(options: ColorizeOptions, meta: ModelMetadata) -> tuple[int, int]:
    """Tile size and overlap: the user's, else the model's, checked against the model."""
    tile = int(options.tile_size or meta.tile.size)
    overlap = int(meta.tile.overlap if options.overlap is None else options.overlap)
    multiple = meta.architecture.multiple
    if tile % multiple or tile < multiple:
        raise InputError(f"tile size {tile} must be a multiple of {multiple} for this model")
    if not 0 <= overlap < tile:
        raise InputError(f"overlap {overlap} must be between 0 and the tile size {tile}")
    return tile, overlap


def drop_unused_bands(raster: raster_io.SarRaster, meta: ModelMetadata, say: Log, *tables: dict) -> None:
    """A VV-only model given VV+VH reads VV alone."""
    for role in [r for r in raster.bands if r not in meta.inputs.bands]:
        say(f"the model does not use {role}; band {raster.bands.pop(role)} is ignored")
        for table in tables:
            del table[role]


def provenance(raster: raster_io.SarRaster, meta: ModelMetadata, band_units: dict, tile: int,
               overlap: int) -> dict[str, str]:
    """What the output says of itself, so that a colorized file found later is not taken for an
    optical image, and can be traced to its scene, model and settings."""
    return {
        "TIFFTAG_IMAGEDESCRIPTION": "Sentinel-2-like true colour predicted from Sentinel-1 SAR by SAR Colorizer: "
                                    "synthetic colours, not an optical measurement",
        "TIFFTAG_SOFTWARE": f"SAR Colorizer {product_version()}",
        "SAR_COLORIZER_SOURCE": raster.label,
        "SAR_COLORIZER_BANDS": ",".join(f"{role}:{number}" for role, number in raster.bands.items()),
        "SAR_COLORIZER_UNITS": ",".join(f"{role}:{unit}" for role, unit in band_units.items()),
        "SAR_COLORIZER_MODEL": meta.name,
        "SAR_COLORIZER_TILE": f"{tile} px, overlap {overlap} px",
    } | ({"SAR_COLORIZER_WINDOW": "x {}, y {}, {} x {} px of the source".format(*raster.output_window)}
         if raster.output_window else {})


def read_strip(raster: raster_io.SarRaster, y0: int, rows: int, meta: ModelMetadata,
               band_units: dict, stats: dict, x0: int = 0,
               cols: Optional[int] = None, prior=None) -> tuple[np.ndarray, np.ndarray]:
    """Model input (C, rows, cols) and validity (rows, cols) for image rows [y0, y0+rows),
    columns [x0, x0+cols) (default: the full width). ``prior``: the colour prior's grid over the
    whole dataset (core/prior_source.py); None: no prior (for a model that takes one, all zero)."""
    cols = raster.width - x0 if cols is None else cols
    values, valid = {}, np.ones((rows, cols), bool)
    for role in raster.bands:
        raw = raster.read(role, y0, rows, x0=x0, cols=cols)
        valid &= raster.valid_mask(role, raw)
        values[role] = sar.to_model_units(raster.physical(role, raw), band_units[role])
    if x0 + cols >= raster.width or (not raster.striped and gdal.GetCacheUsed() > INPUT_CACHE_BYTES):
        # A tiled file's blocks stay cached across the next few windows, which share them (one
        # read per block instead of one per window), up to a bound that does not grow with the
        # raster. A striped file's blocks are whole rows, decoded once per row of tiles, not
        # once per window (uncompressed ones are not cached at all: raster_io._open_direct).
        raster.release_cache()
    bands = {b: values.get(b) for b in meta.inputs.bands}
    window = None
    if prior is not None:
        left, top = raster.window[:2] if raster.window else (0, 0)
        window = prior.window(top + y0, rows, left + x0, cols)
    return sar.model_input(bands, stats, valid, meta.inputs, prior=window), valid


def to_rgb_bytes(pred: np.ndarray, valid: np.ndarray, meta: ModelMetadata) -> np.ndarray:
    """(3, n, w) float predictions -> uint8, 0 where invalid.

    Called on the finished columns of one batch of tiles, so the float temporaries here stay
    small however wide the raster is.
    """
    scaled = pred * np.float32(meta.output.scale)
    if meta.output.offset:
        scaled += np.float32(meta.output.offset)
    scaled += np.float32(0.5)
    # Clipping to 0..255 is the costliest step here (numpy 1.24's maximum/minimum: 4x the rest) and
    # does nothing when every value already truncates into 0..255, as a sigmoid model's do; two
    # reductions tell (NaN fails the test and is clipped as before)
    if not (scaled.min() >= 0 and scaled.max() < 256):
        np.maximum(scaled, np.float32(0), out=scaled)  # (np.clip's scalar path is slow in numpy 1.24)
        np.minimum(scaled, np.float32(255), out=scaled)
    rgb = scaled.astype(np.uint8)
    if not valid.all():
        rgb *= valid
    return rgb


def colorize(
    input_path: os.PathLike | str,
    output_path: os.PathLike | str,
    options: ColorizeOptions = ColorizeOptions(),
    progress: Optional[Progress] = None,
    is_cancelled: Optional[IsCancelled] = None,
    log: Optional[Log] = None,
    vh_path: Optional[os.PathLike | str] = None,
) -> ColorizeResult:
    """Colorize one scene (with `vh_path`: VV from input_path, VH from that file). Raises
    SarColorizerError subclasses with messages meant for users."""
    with raster_io.gdal_exceptions():
        return _colorize(input_path, output_path, options, progress, is_cancelled, log, vh_path)


def _colorize(input_path, output_path, options: ColorizeOptions, progress: Optional[Progress],
              is_cancelled: Optional[IsCancelled], log: Optional[Log],
              vh_path: Optional[os.PathLike | str] = None) -> ColorizeResult:
    started = time.perf_counter()
    say = log or (lambda _msg: None)
    # before any reading or model loading
    raster_io.check_output_path(output_path, options.overwrite, [os.fspath(p) for p in (input_path, vh_path) if p])
    model_path = resolve_model_path(options.model_path)
    input_guards.check_radar_inputs([input_path, vh_path], options.allow_optical_input)
    raster = raster_io.open_sar(input_path, options.bands, vh=vh_path, extent=options.extent)
    for w in raster.warnings:
        say(f"warning: {w}")
    backend: Backend = load_backend(model_path, options.backend, options.device, options.threads)
    meta = backend.metadata
    coarse = resolution.resolution_warning(raster.dataset, raster.label, meta.pixel_size_m)
    if coarse:
        raster.warnings.append(coarse)
        say(f"warning: {coarse}")
    band_units, stats = settle_bands(raster, meta, options.units, say)
    prior = prior_source.scene_prior(raster, meta, options.palette, say, options.reference_bands)
    say(f"input {raster.width} x {raster.height}, bands {raster.bands}, units {band_units}; "
        f"colour prior: {prior.label}; backend {backend.name} on {backend.device}")
    tile, overlap = tiling_for(options, meta)
    if raster.output_window:
        raster.read_with_context(tile - overlap)
    grid = TileGrid(raster.width, raster.height, tile, overlap)
    out_width, out_height = raster.output_size
    writer = raster_io.RgbGeoTiffWriter(
        output_path, out_width, out_height, raster.georeferencing,
        overwrite=options.overwrite,
        block_height=raster_io.output_block_height(tile - overlap),
        compress_threads=compress_threads(backend.device),
        metadata=provenance(raster, meta, band_units, tile, overlap) | {"SAR_COLORIZER_PRIOR": prior.label})
    try:
        sink = writer if not raster.output_window else raster_io.CroppedWriter(
            writer, raster.output_window[0] - raster.window[0], raster.output_window[1] - raster.window[1])
        _run_tiles(raster, grid, backend, meta, band_units, stats, prior.grid, sink,
                   batch_size_for(backend.device, options.batch_size),
                   model_queue_depth(backend.device), progress, is_cancelled, prior.kept_sigma_px)
        if is_cancelled and is_cancelled():
            raise Cancelled("cancelled: no output was written")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    if progress:
        progress(1.0)
    return ColorizeResult(
        output_path=writer.path, width=out_width, height=out_height,
        seconds=time.perf_counter() - started, backend=backend.name, device=backend.device,
        bands_used=dict(raster.bands), units=",".join(f"{k}:{v}" for k, v in band_units.items()),
        warnings=list(raster.warnings))


@dataclass
class _Batch:
    """One model call's tiles, with what finishing them needs: the validity of the input window
    they were cut from (which the next read replaces) and where that window starts."""
    batch: TileBatch
    valid: np.ndarray
    wx0: int


def _batches(raster, grid: TileGrid, meta: ModelMetadata, band_units, stats,
             batch_size: int, prior=None) -> Iterator[tuple[_Batch, np.ndarray]]:
    """Batches of tiles (tiling.tile_batches) and their model inputs; one read covers the input
    of the next few columns of tiles.

    GDAL errors raise here too when this runs in a reading thread (newer GDAL bindings may keep
    that setting per thread); the setting is put back in the same thread, when the iteration
    ends or is closed there (RunAhead closes it in its thread)."""
    tw = grid.tile_width
    with raster_io.gdal_exceptions():
        wx0 = wx1 = 0
        for batch in tile_batches(grid, batch_size):
            band, per_column = batch.band, len(batch.band.ys)
            if batch.first_in_band:
                wx0 = wx1 = 0
            if batch.tiles[-1][0] + tw > wx1:  # read this batch's input and the next tiles' in one go
                ahead = max(batch_size, READ_AHEAD_TILES * per_column)  # tiles whose input one read covers
                last = min(len(grid.xs) * per_column, batch.start + ahead) - 1
                wx0, wx1 = batch.tiles[0][0], grid.xs[last // per_column] + tw
                window, valid = read_strip(raster, band.top, band.height, meta, band_units, stats,
                                           x0=wx0, cols=wx1 - wx0, prior=prior)
            inputs = np.ascontiguousarray(_cut_tiles(window, batch, wx0, grid), dtype=np.float32)
            yield _Batch(batch, valid, wx0), inputs


def _cut_tiles(window: np.ndarray, batch: TileBatch, wx0: int, grid: TileGrid) -> np.ndarray:
    """(N, C, tile, tile): a batch's tiles cut from a (C, rows, cols) window that starts at its band's
    top row and column ``wx0``, each padded to the full tile (pad_to_tile)."""
    top, th, tw = batch.band.top, grid.tile_height, grid.tile_width
    return np.stack([pad_to_tile(window[:, y - top: y - top + th, x - wx0: x - wx0 + tw], grid.tile)
                     for x, y in batch.tiles])


def _blended(predicted: Iterable[tuple[_Batch, np.ndarray]], grid: TileGrid,
             meta: ModelMetadata) -> Iterator[tuple[int, Optional[tuple]]]:
    """Blend each batch's predictions in order; yield the tiles done so far and, where columns
    became final, the window to write: (rgb, valid, x0, y0)."""
    acc = BlendAccumulator(grid, channels=3)
    th, tw, done = grid.tile_height, grid.tile_width, 0
    for job, pred in predicted:
        batch, band = job.batch, job.batch.band
        if batch.first_in_band:
            acc.start_band(band)
        for (x, y), p in zip(batch.tiles, pred):
            acc.add(x, y, p[:, :th, :tw])
        done += len(batch.tiles)
        if batch.until == acc.lo:  # the next tile is below the last one: no column is final yet
            yield done, None
            continue
        # the finished columns start at this batch's first tile, so its window covers them
        x0, blended = acc.finish_columns(batch.until)
        ok = job.valid[: band.final - band.top, x0 - job.wx0 : batch.until - job.wx0]
        yield done, (to_rgb_bytes(blended, ok, meta), ok, x0, band.top)


def _predicted(jobs: Iterable[tuple[_Batch, np.ndarray]], backend: Backend, grid: TileGrid,
               kept_sigma_px: Optional[float] = None) -> Iterator[tuple[_Batch, np.ndarray]]:
    """Each batch with the model's predictions for its inputs; with ``kept_sigma_px``, their coarse
    colours those of the prior (the inputs' last 4 channels, core/coarse_colours.py), measured over
    the tiles' valid pixels."""
    for job, inputs in jobs:
        pred = backend.run(inputs)
        if kept_sigma_px is not None:
            pred = keep_coarse_colours(pred, inputs[:, -4:], kept_sigma_px, _tile_validity(job, grid))
        yield job, pred


def _tile_validity(job: _Batch, grid: TileGrid) -> np.ndarray:
    """(N, tile, tile) validity of a batch's tiles, cut and padded as their inputs are (_batches)."""
    return _cut_tiles(job.valid[None], job.batch, job.wx0, grid)[:, 0]


def _run_tiles(raster, grid: TileGrid, backend: Backend, meta: ModelMetadata, band_units, stats, prior,
               writer: raster_io.RgbGeoTiffWriter | raster_io.CroppedWriter, batch_size: int, queue_depth: int,
               progress: Optional[Progress], is_cancelled: Optional[IsCancelled],
               kept_sigma_px: Optional[float] = None) -> None:
    """Batches of tiles through the model in order; after each batch the columns left of the next
    tile are final and go to the writer, so no buffer but the blend's carried overlap rows is as
    wide as the raster.

    With a queue depth (model_queue_depth), the stages (reading, the model, blending) each run in
    a thread of their own, that many batches ahead of the next stage, and the calling thread
    writes; the order of blending, and so every pixel, is the same as one stage after the other.
    Progress, cancelling and writing stay in the calling thread."""
    jobs = _batches(raster, grid, meta, band_units, stats, max(1, batch_size), prior)

    def consume(finished: Iterable[tuple[int, Optional[tuple]]]) -> None:
        for done, window in finished:
            if is_cancelled and is_cancelled():
                raise Cancelled("cancelled: no output was written")
            if window is not None:
                writer.write_window(*window)
            if progress:
                progress(0.97 * done / grid.count)

    if queue_depth <= 0:
        consume(_blended(_predicted(jobs, backend, grid, kept_sigma_px), grid, meta))
        return
    with RunAhead(jobs, queue_depth, "sar-colorizer-read") as read, \
            RunAhead(_predicted(read, backend, grid, kept_sigma_px), queue_depth, "sar-colorizer-model") as predicted, \
            RunAhead(_blended(predicted, grid, meta), queue_depth, "sar-colorizer-blend") as finished:
        consume(finished)
