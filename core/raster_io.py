"""GDAL in and out: open and check a SAR raster, read strips, write the RGB GeoTIFF safely.

The output is written under a hidden temporary name in the destination folder and renamed only
when complete, so a failed or cancelled run never leaves a half-written file under the name the
user asked for, and never touches an existing file unless overwriting was asked for.
"""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np
from osgeo import gdal

from .errors import InputError, OutputError, one_line
from .georef import Georeferencing, Window, window_for_extent
from .names import dataset_label, is_dataset_name

STATS_SAMPLE_SIZE = 1024  # longest side of the decimated read used for scene statistics
# Pixels wait in memory until their output block is complete; the rows that wait are those
# between the last block boundary and the last finished row, across the whole width. So the
# pipeline picks a block height that its finished rows line up with (output_block_height).
OUTPUT_BLOCK_WIDTH, OUTPUT_BLOCK_HEIGHT = 256, 128
# DEFLATE level 1 wrote a 4096^2 RGB + mask image in 0.29 s against 1.96 s at GDAL's default
# level 6, for a file 6.5 % larger (benchmarks/RESULTS.md): level 6 alone was 11 % of the model time
DEFLATE_LEVEL = 1
# On the CPU GDAL compresses in the calling thread (compress_threads None: no NUM_THREADS), as the
# pipeline asks for there (pipeline.compress_threads). Its worker threads (NUM_THREADS=2) gave
# the same wall time with no model running and 0.3 s more CPU for a 4096^2 image (0.85-0.93
# against 0.61 s), which the model, using every core, then lacks: 4096^2 runs took 23.9 s with
# them and 18.5 s without (medians of 3 interleaved runs each, benchmarks/RESULTS.md)
FLUSH_BYTES = 4 << 20  # complete blocks handed to GDAL (all levels) between two flushes of its cache
OVERVIEW_BLOCK = 64  # overview blocks (square in GDAL): small, so few rows wait in each level
_POL_RE = {pol: re.compile(rf"(?<![A-Z]){pol}(?![A-Z])") for pol in ("VV", "VH", "HH", "HV")}
# horizontal-transmit products (EW mode, polar IW) stand in for the model's VV and VH
_STANDS_IN_FOR = {"HH": "VV", "HV": "VH"}
_FILENAME_VH = re.compile(r"(^|[_\-.])vh([_\-.]|$)", re.IGNORECASE)
# ESA's GRD measurement TIFFs say "Sentinel-1A IW GRD HR L1" in their image description
_GRD_DESCRIPTION = re.compile(r"Sentinel-1.*\bGRD", re.IGNORECASE)


@contextmanager
def gdal_exceptions():
    """GDAL errors as Python exceptions inside, the caller's setting restored after.

    Inside QGIS the process is shared with QGIS and other plugins: switching GDAL to exceptions
    for good would change their behaviour.
    """
    was = gdal.GetUseExceptions()
    gdal.UseExceptions()
    try:
        yield
    finally:
        if not was:
            gdal.DontUseExceptions()


@dataclass
class SarRaster:
    """An opened input raster and what we know about it. Keep it alive while reading bands.

    Each band role reads from its own dataset: the same one for a multi-band file, two when VV and
    VH come as two files on one pixel grid (each then keeps its own reading optimisations)."""

    name: str  # the GDAL dataset name it was opened from (a path, /vsizip/..., GPKG:...)
    dataset: gdal.Dataset  # the one whose grid and georeferencing the output copies
    bands: dict[str, int]  # band role -> 1-based band number in its dataset
    nodata: dict[str, Optional[float]]
    warnings: list[str] = field(default_factory=list)
    units_hint: Optional[str] = None  # what the file says its numbers are ("amplitude": ESA GRD)
    # role -> (scale, offset) of bands whose stored numbers are scaled (dB as Int16 x 0.01, say)
    scaling: dict[str, tuple[float, float]] = field(default_factory=dict)
    sources: dict[str, gdal.Dataset] = field(default_factory=dict)  # role -> dataset, when not `dataset`
    bands_by_order: bool = False  # VV, VH told by the band order alone (no name or metadata says)
    window: Optional[Window] = None  # the part of the raster to read (x0, y0, width, height); None: all
    # the part to colorize, when an extent was asked: `window` is then that part and some context around it
    output_window: Optional[Window] = None

    @property
    def label(self) -> str:
        """How messages name it."""
        return dataset_label(self.name)

    @property
    def width(self) -> int:
        return self.window[2] if self.window else self.dataset.RasterXSize

    @property
    def height(self) -> int:
        return self.window[3] if self.window else self.dataset.RasterYSize

    @property
    def output_size(self) -> tuple[int, int]:
        return (self.output_window[2], self.output_window[3]) if self.output_window else (self.width, self.height)

    @property
    def georeferencing(self) -> Georeferencing:
        """Where the pixels to colorize lie: the input's georeferencing, moved to the output window's corner."""
        place = Georeferencing.of(self.dataset)
        return place.shifted(*self.output_window[:2]) if self.output_window else place

    def read_with_context(self, margin: int) -> None:
        """Read `margin` pixels around the output window too (as far as the raster goes), so that
        its edges are predicted with their real neighbours: a part colorized alone then matches the
        same part of the whole scene instead of ending in a seam."""
        x0, y0, w, h = self.output_window
        left, top = max(0, x0 - margin), max(0, y0 - margin)
        right = min(self.dataset.RasterXSize, x0 + w + margin)
        bottom = min(self.dataset.RasterYSize, y0 + h + margin)
        self.window = (left, top, right - left, bottom - top)

    def source(self, role: str) -> gdal.Dataset:
        return self.sources.get(role, self.dataset)

    def source_label(self, role: str) -> str:
        """How messages name the file a role's band comes from."""
        return dataset_label(self.source(role).GetDescription() or self.name)

    def band(self, role: str) -> gdal.Band:
        return self.source(role).GetRasterBand(self.bands[role])

    def dtype(self, role: str) -> np.dtype:
        """The type of the band's values as `physical` gives them."""
        if role in self.scaling:
            return np.dtype(np.float32)
        return _numpy_dtype(self.band(role).DataType)

    def physical(self, role: str, stored: np.ndarray) -> np.ndarray:
        """Stored numbers -> the values they stand for (GDAL's band scale and offset)."""
        if role not in self.scaling:
            return stored
        scale, offset = self.scaling[role]
        values = stored.astype(np.float32)
        values *= np.float32(scale)
        values += np.float32(offset)
        return values

    def read(self, role: str, y0: int, rows: int, xsize: Optional[int] = None,
             ysize: Optional[int] = None, x0: int = 0, cols: Optional[int] = None) -> np.ndarray:
        """Rows [y0, y0+rows), columns [x0, x0+cols) (default: full width) of one band;
        decimated when buffer sizes are given."""
        band = self.band(role)
        cols = self.width - x0 if cols is None else cols
        if self.window:  # window coordinates -> the file's
            x0, y0 = x0 + self.window[0], y0 + self.window[1]
        failure = (f"{self.source_label(role)}: band {self.bands[role]} "
                   f"({role}) cannot be read at rows {y0}-{y0 + rows}, columns {x0}-{x0 + cols}; the file may be "
                   "damaged or incomplete")
        try:
            values = band.ReadAsArray(x0, y0, cols, rows, buf_xsize=xsize, buf_ysize=ysize)
        except RuntimeError as exc:  # a damaged or truncated file (an interrupted download, say)
            raise InputError(f"{failure}. GDAL says: {one_line(exc)}") from exc
        if values is None:  # GDAL errors not raised as exceptions (outside gdal_exceptions)
            raise InputError(failure)
        return values

    def valid_mask(self, role: str, values: np.ndarray) -> np.ndarray:
        ok = np.isfinite(values) if values.dtype.kind == "f" else np.ones(values.shape, bool)
        nd = self.nodata[role]
        if nd is not None and not np.isnan(nd):
            ok &= values != nd
        return ok

    def _datasets(self) -> list[gdal.Dataset]:
        return [self.dataset] + [ds for ds in self.sources.values() if ds is not self.dataset]

    @property
    def striped(self) -> bool:
        return any(is_striped(ds) for ds in self._datasets())

    def release_cache(self) -> None:
        """Drop the blocks GDAL cached while reading: memory must not grow with the raster."""
        for ds in self._datasets():
            ds.FlushCache()


def _numpy_dtype(gdal_type: int) -> np.dtype:
    from osgeo import gdal_array

    return np.dtype(gdal_array.GDALTypeCodeToNumericTypeCode(gdal_type))


def open_raster(name: str | os.PathLike) -> gdal.Dataset:
    """Open a file or any other GDAL dataset name (names.is_dataset_name) for reading."""
    name = os.fspath(name)
    plain_file = not is_dataset_name(name)
    if plain_file and not Path(name).exists():
        raise InputError(f"input not found: {name}")
    try:
        with gdal_exceptions():
            ds = gdal.Open(name, gdal.GA_ReadOnly)
            if ds is not None and ds.RasterCount and is_striped(ds):
                ds = _open_direct(name)
    except RuntimeError as exc:
        raise InputError(f"{name} is not a raster GDAL can read: {one_line(exc)}") from exc
    if ds is None:
        raise InputError(f"{name} is not a raster GDAL can read")
    if ds.RasterCount == 0:
        subs = [v for k, v in (ds.GetMetadata("SUBDATASETS") or {}).items() if k.endswith("_NAME")]
        hint = f" (it holds {len(subs)} sub-datasets: open one of them, e.g. {subs[0]})" if subs else ""
        raise InputError(f"{name} has no raster bands{hint}")
    return ds


def is_striped(ds: gdal.Dataset) -> bool:
    """True when GDAL blocks span whole rows (a non-tiled file): a window read decodes full rows."""
    return ds.GetRasterBand(1).GetBlockSize()[0] >= ds.RasterXSize


def _open_direct(name: str) -> gdal.Dataset:
    """Open a striped file so that uncompressed strips (Sentinel-1 GRD, SNAP exports) are read
    window by window straight from the file, not whole strips through GDAL's block cache, which
    are as wide as the raster. Not for tiled files: there it made the scene statistics' decimated
    read 25x slower. The option is thread-local and read at open: QGIS's own reads are untouched."""
    gdal.SetThreadLocalConfigOption("GTIFF_DIRECT_IO", "YES")
    try:
        return gdal.Open(name, gdal.GA_ReadOnly)
    finally:
        gdal.SetThreadLocalConfigOption("GTIFF_DIRECT_IO", None)


def guess_band_roles(source: str | os.PathLike | gdal.Dataset) -> dict[str, int]:
    with gdal_exceptions():
        return _guess_band_roles(source)


def _guess_band_roles(source: str | os.PathLike | gdal.Dataset) -> dict[str, int]:
    """Which band is VV and which VH: band descriptions and metadata first, then conventions.

    Conventions: one band is VV (VH if the file name says `_vh`), two bands are VV then VH (the
    order of Sentinel-1 GRD dual-pol products and of SNAP/GEE exports), a grey picture saved as
    RGB(A) is its first band. Anything else must be said.
    """
    ds = source if isinstance(source, gdal.Dataset) else open_raster(source)
    said = [band_polarisation(ds, i) for i in range(1, ds.RasterCount + 1)]
    found = {pol: said.index(pol) + 1 for pol in ("VV", "VH") if pol in said}
    if not found:  # HH/HV only: co- and cross-polarised as VV and VH are
        found = {role: said.index(pol) + 1 for pol, role in _STANDS_IN_FOR.items() if pol in said}
    if found:
        return found
    name = Path(ds.GetDescription() or "").name
    if ds.RasterCount == 1:
        return {"VH": 1} if _FILENAME_VH.search(Path(name).stem) else {"VV": 1}
    if ds.RasterCount == 2:
        return {"VV": 1, "VH": 2}
    if ds.RasterCount in (3, 4) and _is_grey_picture(ds):
        return {"VH": 1} if _FILENAME_VH.search(Path(name).stem) else {"VV": 1}
    raise InputError(
        f"{name or 'input'}: cannot tell which band is VV or VH: it has {ds.RasterCount} bands and "
        "none is described as VV or VH (is it a Sentinel-1 backscatter raster?); "
        "say which band is which (command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)"
    )


def bands_by_order(ds: gdal.Dataset, roles: dict[str, int]) -> bool:
    """Whether VV and VH were told by the band order alone (two bands, neither named): the run
    then checks their strength (pipeline.polarisations_reversed)."""
    return roles == {"VV": 1, "VH": 2} and ds.RasterCount == 2 and not any(
        band_polarisation(ds, i) for i in (1, 2))


def band_polarisation(ds: gdal.Dataset, number: int) -> Optional[str]:
    """VV, VH, HH or HV when the band's description or metadata says so (GDAL's SAFE driver, SNAP,
    GEE exports), else None."""
    band = ds.GetRasterBand(number)
    md = band.GetMetadata() or {}
    text = " ".join([band.GetDescription() or "", md.get("POLARISATION", ""), md.get("POLARIZATION", ""),
                     md.get("polarisation", ""), md.get("polarization", "")]).upper()
    return next((pol for pol, rx in _POL_RE.items() if rx.search(text)), None)


def _is_grey_picture(ds: gdal.Dataset, size: int = 256) -> bool:
    """A one-band SAR image saved as RGB(A) (a display JPEG/PNG): bands 1-3 equal, up to JPEG noise."""
    scale = max(ds.RasterXSize, ds.RasterYSize) / size
    xs, ys = (max(1, round(ds.RasterXSize / scale)), max(1, round(ds.RasterYSize / scale))) if scale > 1 \
        else (ds.RasterXSize, ds.RasterYSize)
    r, g, b = (ds.GetRasterBand(i).ReadAsArray(buf_xsize=xs, buf_ysize=ys).astype(np.float64) for i in (1, 2, 3))
    return max(np.abs(r - g).max(), np.abs(r - b).max()) <= 2


def is_sentinel1_grd(ds: gdal.Dataset) -> bool:
    """An ESA Sentinel-1 GRD product as delivered: its measurement TIFF, or the SAFE through GDAL.
    Its numbers are uncalibrated amplitudes (sigma0 = DN^2 / A^2), 0 on the no-data border."""
    if ds.GetDriver().ShortName == "SAFE":
        return (ds.GetMetadataItem("PRODUCT_TYPE") or "").upper() == "GRD"
    return bool(_GRD_DESCRIPTION.search(ds.GetMetadataItem("TIFFTAG_IMAGEDESCRIPTION") or ""))


def check_same_grid(vv: gdal.Dataset, vh: gdal.Dataset) -> None:
    """VV and VH kept in two files (ASF HyP3 RTC products, SNAP or GEE exports per polarisation)
    are read window by window side by side: they must cover one pixel grid."""
    vv_label, vh_label = dataset_label(vv.GetDescription()), dataset_label(vh.GetDescription())
    if (vv.RasterXSize, vv.RasterYSize) != (vh.RasterXSize, vh.RasterYSize):
        raise InputError(f"{vv_label} ({vv.RasterXSize} x {vv.RasterYSize} px) and {vh_label} ({vh.RasterXSize} x "
                         f"{vh.RasterYSize} px) are not the same size: VV and VH must share one pixel grid")
    if not Georeferencing.of(vv).same_place(Georeferencing.of(vh)):
        raise InputError(f"{vv_label} and {vh_label} do not lie on the same pixel grid (georeferencing or CRS "
                         "differ): VV and VH must share one; resample one onto the other first")


def open_sar(name: str | os.PathLike, bands: Optional[dict[str, int]] = None,
             vh: Optional[str | os.PathLike] = None,
             extent: Optional[tuple[float, float, float, float]] = None) -> SarRaster:
    """Open a SAR input (a file or another GDAL dataset name) with its band roles; with `vh`, VV
    from `name` and VH from that other file, `bands` then numbering the band within each (default 1);
    with `extent` (xmin, ymin, xmax, ymax in the input's CRS), only the pixels that cover it."""
    name = os.fspath(name)
    ds = open_raster(name)
    sources = {}
    if vh is not None:
        sources = {"VV": ds, "VH": open_raster(os.fspath(vh))}
        check_same_grid(ds, sources["VH"])
        roles = {"VV": int((bands or {}).get("VV", 1)), "VH": int((bands or {}).get("VH", 1))}
    else:
        roles = dict(bands) if bands else _guess_band_roles(ds)
    raster = SarRaster(name=name, dataset=ds, bands={r: int(n) for r, n in roles.items()}, nodata={},
                       sources=sources)
    for role, number in raster.bands.items():
        if role not in ("VV", "VH"):
            raise InputError(f"unknown band role {role!r}: use VV and/or VH")
        count = raster.source(role).RasterCount
        if not 1 <= number <= count:
            raise InputError(f"{raster.source_label(role)}: band {number} for {role} does not exist "
                             f"(the raster has {count} band(s))")
        if gdal.DataTypeIsComplex(raster.band(role).DataType):
            raise InputError(
                f"{raster.source_label(role)}: band {number} ({role}) holds complex numbers (a single-look complex, "
                "SLC, product?); colorizing needs backscatter intensity: use a GRD product, or calibrate and "
                "multilook the SLC first (e.g. SNAP: Calibration, TOPS Deburst, Multilooking, Terrain Correction)")
    raster.bands_by_order = not bands and vh is None and bands_by_order(ds, raster.bands)
    if extent is not None:
        raster.window = raster.output_window = _window(ds, extent, raster.label)
    for role, number in raster.bands.items():
        said = band_polarisation(raster.source(role), number)
        if _STANDS_IN_FOR.get(said) == role:
            raster.warnings.append(
                f"{raster.source_label(role)}: band {number} is {said}, colorized as {role}: the model has learnt "
                f"VV and VH, so the colours of {said} are an approximation")
    if not Georeferencing.of(ds).located:
        raster.warnings.append(f"{raster.label} has no coordinate reference system: the output copies its pixel "
                               "grid but GIS software will not know where it lies")
    grd = all(is_sentinel1_grd(raster.source(role)) and np.issubdtype(_numpy_dtype(raster.band(role).DataType),
                                                                      np.integer) for role in raster.bands)
    for role in raster.bands:
        band = raster.band(role)
        nd = band.GetNoDataValue()  # a stored number, compared before scaling
        raster.nodata[role] = 0.0 if nd is None and grd else (None if nd is None else float(nd))
        scale, offset = band.GetScale(), band.GetOffset()
        if (scale not in (None, 1.0)) or (offset not in (None, 0.0)):
            raster.scaling[role] = (1.0 if scale is None else float(scale), 0.0 if offset is None else float(offset))
    raster.units_hint = "amplitude" if grd and not raster.scaling else None
    return raster


def _window(ds: gdal.Dataset, extent: tuple[float, float, float, float], label: str) -> Window:
    xmin, ymin, xmax, ymax = extent
    if not (xmin < xmax and ymin < ymax):
        raise InputError(f"extent {xmin:g}, {ymin:g}, {xmax:g}, {ymax:g} is empty: give xmin, ymin, xmax, ymax")
    try:
        window = window_for_extent(ds, extent)
    except ValueError as exc:
        raise InputError(f"{label}: {exc}") from None
    if window is None:
        raise InputError(f"{label}: the extent {xmin:g}, {ymin:g}, {xmax:g}, {ymax:g} does not overlap the raster "
                         "(give it in the raster's CRS)")
    return window


def read_scene_sample(sar: SarRaster, role: str) -> np.ndarray:
    """A decimated (nearest) read of a whole band, NaN where invalid, for scene statistics.

    Of the whole scene even when only a window is colorized: windows colorized one by one then
    meet without a seam, as tiles do (the statistics are the scene's, never a part's)."""
    sar = replace(sar, window=None, output_window=None)
    scale = max(sar.width, sar.height) / STATS_SAMPLE_SIZE
    if scale > 1:
        xs, ys = max(1, round(sar.width / scale)), max(1, round(sar.height / scale))
        band = sar.band(role)
        if band.GetOverviewCount() == 0:
            values = _decimated_by_rows(sar, role, xs, ys)
        else:  # GDAL reads the decimated sample from an overview: small
            values = sar.read(role, 0, sar.height, xsize=xs, ysize=ys)
    else:
        values = sar.read(role, 0, sar.height)
    ok = sar.valid_mask(role, values)
    out = sar.physical(role, values).astype(np.float32, copy=False)
    out[~ok] = np.nan
    sar.release_cache()
    return out


def _decimated_by_rows(sar: SarRaster, role: str, xs: int, ys: int) -> np.ndarray:
    """The same pixels as GDAL's nearest decimated read of the whole band, read row by row.

    One decimated read of the whole band would pass every block of the raster through GDAL's
    block cache (up to GDAL_CACHEMAX: hundreds of MB for a large scene). Row by row, with the
    cache emptied at each new block row, memory stays at one block row. The rows are the ones
    GDAL's RasterIO picks: source row int((i + 0.5) * height / ys + 1e-10).
    """
    band = sar.band(role)
    block_rows = max(1, band.GetBlockSize()[1])
    step = sar.height / ys
    out, block = None, None
    for i in range(ys):
        y = min(max(0, int((i + 0.5) * step + 1e-10)), sar.height - 1)
        if y // block_rows != block:
            sar.release_cache()
            block = y // block_rows
        row = sar.read(role, y, 1, xsize=xs, ysize=1)
        if out is None:
            out = np.empty((ys, xs), row.dtype)
        out[i] = row[0]
    return out


def output_block_height(stride: int) -> int:
    """The tile stride when a GeoTIFF block can be that tall (a multiple of 16, 64-512 rows): the
    rows finished after each band of tiles then fill whole block rows and none wait in memory."""
    return stride if stride % 16 == 0 and 64 <= stride <= 512 else OUTPUT_BLOCK_HEIGHT


def overview_levels(width: int, height: int, smallest: int = OUTPUT_BLOCK_WIDTH) -> list[int]:
    levels, f = [], 2
    while max(width, height) / f >= smallest / 2 and max(width, height) > smallest:
        levels.append(f)
        f *= 2
    return levels


class BlockAssembler:
    """Gathers windows of one image level into whole blocks and hands each block on once, complete.

    Windows may come in any order but must cover every pixel exactly once. A block waits in numpy
    until its last pixel arrives, so what waits is only the blocks that the windows so far end in.
    """

    def __init__(self, width: int, height: int, block_width: int, block_height: int,
                 on_block: Callable[[np.ndarray, int, int], None]):
        self.width, self.height = width, height
        self.block_width, self.block_height = block_width, block_height
        self.on_block = on_block
        self.pending: dict[tuple[int, int], list] = {}  # (block row, block column) -> [planes, pixels in]
        self.received = 0

    def put(self, planes: np.ndarray, x0: int, y0: int) -> None:
        """Planes (4, n, m) uint8 - R, G, B and validity 0/1 - at column x0, row y0."""
        _, n, m = planes.shape
        bh, bw = self.block_height, self.block_width
        for by in range(y0 // bh, (y0 + n - 1) // bh + 1):
            for bx in range(x0 // bw, (x0 + m - 1) // bw + 1):
                top, left = by * bh, bx * bw
                h, w = min(bh, self.height - top), min(bw, self.width - left)
                pending = self.pending.get((by, bx))
                if pending is None:
                    pending = self.pending[(by, bx)] = [np.zeros((4, h, w), np.uint8), 0]
                r0, r1 = max(y0, top), min(y0 + n, top + h)
                c0, c1 = max(x0, left), min(x0 + m, left + w)
                pending[0][:, r0 - top : r1 - top, c0 - left : c1 - left] = \
                    planes[:, r0 - y0 : r1 - y0, c0 - x0 : c1 - x0]
                pending[1] += (r1 - r0) * (c1 - c0)
                if pending[1] == h * w:
                    del self.pending[(by, bx)]
                    self.on_block(pending[0], left, top)
        self.received += n * m

    @property
    def complete(self) -> bool:
        return not self.pending and self.received == self.width * self.height


def halve(planes: np.ndarray) -> np.ndarray:
    """The next overview level of a block: R, G, B averaged over the valid pixels of each 2 x 2
    (rounded), valid where any of the four is. A last odd row or column averages what it has."""
    _, h, w = planes.shape
    if h % 2 or w % 2:
        planes = np.pad(planes, ((0, 0), (0, h % 2), (0, w % 2)))  # padding is invalid: ignored
    if not (h % 2 or w % 2) and planes[3].all():  # the common case: all four valid everywhere
        # pairs of rows, then pairs of columns, in place in one uint16 buffer: 8x faster than
        # summing four strided uint16 copies (the overviews of a 4096^2 image: 0.11 -> 0.06 s)
        sums = planes[:3, 0::2].astype(np.uint16)
        sums += planes[:3, 1::2]
        sums = sums[:, :, 0::2] + sums[:, :, 1::2]
        sums += 2
        sums >>= 2
        out = np.empty((4, h // 2, w // 2), np.uint8)
        out[:3] = sums
        out[3] = 1
        return out
    quads = [planes[:, i::2, j::2].astype(np.uint16) for i in (0, 1) for j in (0, 1)]
    out = np.empty((4,) + quads[0].shape[1:], np.uint8)
    count = quads[0][3] + quads[1][3] + quads[2][3] + quads[3][3]
    sums = sum(q[:3] * q[3] for q in quads)
    out[:3] = (sums + count // 2) // np.maximum(count, 1)
    out[3] = count > 0
    return out


def check_output_path(path: str | os.PathLike, overwrite: bool = False, inputs: Iterable[str] = ()) -> Path:
    """The absolute output path, or the OutputError a writer would stop with: checked before a
    scene is read and a model loaded, and again when the file is created. Never one of `inputs`."""
    path = Path(path).absolute()
    if path.exists() and not overwrite:
        raise OutputError(f"output exists: {path} (choose another name or allow overwriting)")
    for source in inputs:
        if path.exists() and not is_dataset_name(source) and Path(source).exists() and path.samefile(source):
            raise OutputError(f"the output would replace the input {dataset_label(source)}: "
                              "choose another output name")
    if path.is_dir():
        raise OutputError(f"output is a folder: {path}")
    if path.suffix.lower() not in (".tif", ".tiff"):  # a GeoTIFF named .png would mislead
        raise OutputError(f"the output is a GeoTIFF: give it a name ending in .tif, not {path.name}")
    if not path.parent.is_dir():
        raise OutputError(f"output folder does not exist: {path.parent}")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {path.parent}")
    return path


class CroppedWriter:
    """Hands a writer only the part of each finished window that lies in its image, which starts at
    (dx, dy) of what the pipeline colorizes (an output window read with context around it)."""

    def __init__(self, writer: "RgbGeoTiffWriter", dx: int, dy: int):
        self.writer, self.dx, self.dy = writer, dx, dy

    def write_window(self, rgb: np.ndarray, valid: np.ndarray, x0: int, y0: int) -> None:
        left, top = max(x0, self.dx), max(y0, self.dy)
        right = min(x0 + valid.shape[1], self.dx + self.writer.width)
        bottom = min(y0 + valid.shape[0], self.dy + self.writer.height)
        if right > left and bottom > top:
            rows, cols = slice(top - y0, bottom - y0), slice(left - x0, right - x0)
            self.writer.write_window(rgb[:, rows, cols], valid[rows, cols], left - self.dx, top - self.dy)


class RgbGeoTiffWriter:
    """Writes RGB Byte + an internal mask, tiled and compressed, with overviews, block by block.

    Each block goes to GDAL once, complete, and is halved at once into the first overview level,
    and so on down: the overviews are made while the image is written, not by reading the whole
    image back at the end (GDAL's AVERAGE over the mask did that, in 0.56 s of a 4096^2 run).
    """

    def __init__(self, path: str | os.PathLike, width: int, height: int,
                 georeferencing: Georeferencing, overwrite: bool = False,
                 block_height: int = OUTPUT_BLOCK_HEIGHT, compress_threads: Optional[str] = None,
                 metadata: Optional[dict[str, str]] = None):
        self.path = check_output_path(path, overwrite)
        folder = self.path.parent
        if block_height % 16 or block_height <= 0:
            raise ValueError(f"a GeoTIFF block height must be a positive multiple of 16, not {block_height}")
        self.width, self.height, self.block_height = width, height, block_height
        self.tmp = folder / f".{self.path.stem}.partial-{uuid.uuid4().hex[:8]}.tif"
        options = ["TILED=YES", f"BLOCKXSIZE={OUTPUT_BLOCK_WIDTH}", f"BLOCKYSIZE={block_height}",
                   "COMPRESS=DEFLATE", f"ZLEVEL={DEFLATE_LEVEL}", "PREDICTOR=2", "PHOTOMETRIC=RGB", "INTERLEAVE=PIXEL",
                   "BIGTIFF=IF_SAFER"] + ([f"NUM_THREADS={compress_threads}"] if compress_threads else [])
        # the mask inside the GeoTIFF, not in a .msk beside it; thread-local, so the setting
        # of QGIS and of other plugins in the same process is left as it was
        self.ds: Optional[gdal.Dataset] = None
        gdal.SetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
        try:
            self.ds = gdal.GetDriverByName("GTiff").Create(str(self.tmp), width, height, 3, gdal.GDT_Byte, options)
            georeferencing.apply(self.ds)
            for key, value in (metadata or {}).items():
                self.ds.SetMetadataItem(key, value)
            for i, ci in enumerate((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand), start=1):
                self.ds.GetRasterBand(i).SetColorInterpretation(ci)
            self.ds.CreateMaskBand(gdal.GMF_PER_DATASET)
            self._create_overviews(overview_levels(width, height))
        except RuntimeError as exc:
            self.abort()
            raise OutputError(f"cannot create {self.path}: {one_line(exc)}") from exc
        finally:
            gdal.SetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", None)
        # per level (the image, then each overview): its R, G, B bands and its mask band
        self._targets = [([self.ds.GetRasterBand(i) for i in (1, 2, 3)], self.ds.GetRasterBand(1).GetMaskBand())]
        for k in range(self.ds.GetRasterBand(1).GetOverviewCount()):
            self._targets.append(([self.ds.GetRasterBand(i).GetOverview(k) for i in (1, 2, 3)],
                                  self.ds.GetRasterBand(1).GetMaskBand().GetOverview(k)))
        self._levels = []
        for k, (bands, _) in enumerate(self._targets):
            bw, bh = bands[0].GetBlockSize()
            if k and (bands[0].XSize, bands[0].YSize) != (-(-width // 2**k), -(-height // 2**k)):
                self.abort()
                raise OutputError(f"overview {k} of {self.path} is {bands[0].XSize} x {bands[0].YSize}, "
                                  "not the halved size this writer makes")
            self._levels.append(BlockAssembler(bands[0].XSize, bands[0].YSize, bw, bh,
                                               lambda planes, left, top, k=k: self._write_block(k, planes, left, top)))
        self._unflushed = 0  # bytes of complete blocks handed to GDAL (all levels) since the last flush

    def _create_overviews(self, levels: list[int]) -> None:
        """Empty overview levels (factors 2, 4, ...) in the file, filled as blocks complete."""
        if not levels:
            return
        settings = {"COMPRESS_OVERVIEW": "DEFLATE", "ZLEVEL_OVERVIEW": str(DEFLATE_LEVEL),
                    "PREDICTOR_OVERVIEW": "2", "GDAL_TIFF_OVR_BLOCKSIZE": str(OVERVIEW_BLOCK)}
        for key, value in settings.items():
            gdal.SetThreadLocalConfigOption(key, value)
        try:
            self.ds.BuildOverviews("NONE", levels)
        finally:
            for key in settings:
                gdal.SetThreadLocalConfigOption(key, None)

    def write_window(self, rgb: np.ndarray, valid: np.ndarray, x0: int, y0: int) -> None:
        """Write rgb (3, n, m) uint8 and valid (n, m) bool at column x0, row y0; every pixel once."""
        planes = np.empty((4,) + valid.shape, np.uint8)
        planes[:3] = rgb
        planes[3] = valid
        self._levels[0].put(planes, x0, y0)

    def _write_block(self, level: int, planes: np.ndarray, left: int, top: int) -> None:
        bands, mask = self._targets[level]
        bands[0].GetDataset().WriteArray(planes[:3], left, top)  # R, G, B in one call
        mask.WriteArray(planes[3] * np.uint8(255), left, top)
        self._unflushed += planes.nbytes
        if self._unflushed >= FLUSH_BYTES:
            self._flush()
        if level + 1 < len(self._levels):  # block origins are multiples of the block size: even
            self._levels[level + 1].put(halve(planes), left // 2, top // 2)

    def _flush(self) -> None:
        """Hand the blocks in GDAL's cache, of every level, to the file (compressing them)."""
        # only complete blocks are ever in GDAL's cache, so a flush never writes a partial block.
        # The dataset's FlushCache leaves the internal mask's and the overviews' blocks in the
        # cache (GDAL 3.6): without flushing them too, they pile up there
        for bands, mask in self._targets:
            bands[0].GetDataset().FlushCache()
            mask.FlushCache()
        self._unflushed = 0

    def commit(self) -> Path:
        """Close, and move the file to its final name."""
        if not all(level.complete for level in self._levels):
            base = self._levels[0]
            raise RuntimeError(f"writer got {base.received} of {self.width * self.height} pixels")
        try:
            self._flush()
            self._targets = self._levels = None
            self.ds = None
            os.replace(self.tmp, self.path)
        except (RuntimeError, OSError) as exc:
            self.abort()
            raise OutputError(f"cannot write {self.path}: {one_line(exc)}") from exc
        return self.path

    def abort(self) -> None:
        """Forget everything written: the temporary file goes, the requested name is untouched."""
        self._targets = self._levels = None  # GDAL bands: never used after their dataset is closed
        if self.ds is not None:
            # closing a file that is thrown away may fail again (the disk that filled up is still
            # full); that error is moot, and raised from a destructor it would only print a traceback
            was = gdal.GetUseExceptions()
            gdal.DontUseExceptions()
            gdal.PushErrorHandler("CPLQuietErrorHandler")
            try:
                self.ds = None
            finally:
                gdal.PopErrorHandler()
                if was:
                    gdal.UseExceptions()
        for p in (self.tmp, Path(str(self.tmp) + ".msk"), Path(str(self.tmp) + ".aux.xml")):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
