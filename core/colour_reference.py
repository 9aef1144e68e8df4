"""The user's colour reference: an optical raster of the place, reduced to the prior's scale.

Any optical raster that covers the scene will do (a Sentinel-2 true-colour image or TCI, L2A/L1C
reflectance bands, a basemap export), in any CRS. GDAL warps it (average resampling) onto a grid
that mirrors the scene's georeferencing at ``SUBCELLS`` pixels a cell side (the scene's geotransform
scaled, or its ground control points' pixel/line scaled), and each cell gets the mean colour of the
reference's clear pixels in it: nodata, and clouds where a cloud mask or Sentinel-2 SCL band is
given, do not count. What reaches the model is one colour per cell, bilinear between cell centres:
the reference's palette, never its structure.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
from osgeo import gdal

from .errors import InputError
from .names import dataset_label
from .prior import REFLECTANCE_FULL_SCALE, REFLECTANCE_SCALE, PriorGrid, reduce_to_grid

SUBCELLS = 8  # warped pixels per cell side: a cell is clear enough when a quarter of them are
# 8-bit true colour -> convention: value / 255 * gain. Measured by benchmarks/palette_calibration.py
# on the 100 georeferenced LA/Texas Sentinel-2 L1C true-colour tiles (training/recipes/
# palette_calibration.json "reference_eight_bit_gain"); ESA's TCI definition would give 1.186 (L1C)
# or 0.667 (L2A).
EIGHT_BIT_GAIN = 0.916
SCL_CLOUDY = (3, 8, 9, 10)  # cloud shadow, cloud medium / high probability, thin cirrus
BAND_NAMES = {"red": ("B4", "B04", "RED"), "green": ("B3", "B03", "GREEN"), "blue": ("B2", "B02", "BLUE")}

CloudSource = Union[int, str, os.PathLike, None]


@dataclass(frozen=True)
class ReferenceBands:
    """Where the reference's colours are: R, G, B band numbers (1-based) and how they were found."""

    rgb: tuple[int, int, int]
    how: str


def reference_grid(reference_path: str | os.PathLike, scene_ds: gdal.Dataset, width: int, height: int,
                   cell: float, window: Sequence[int] = (0, 0), bands: Optional[Sequence[int]] = None,
                   cloud_band: CloudSource = None) -> PriorGrid:
    """The reference's mean colour in each cell of a raster of ``width`` x ``height`` pixels whose
    top left is pixel ``window`` = (x0, y0) of ``scene_ds``, in the colour convention.

    ``bands``: the reference's R, G, B band numbers (default: found by colour interpretation or
    B4/B3/B2 names, else the first three of a 3- or 4-band raster). ``cloud_band``: a band number of
    the reference, or another raster on its grid, holding a Sentinel-2 SCL (classes 3, 8, 9, 10 are
    cloud or shadow; told by an 'SCL' band description or file name) or a cloud mask (non-zero =
    cloud). Every bad input raises InputError with one line.
    """
    name = dataset_label(os.fspath(reference_path))
    label = f"colour reference {name}"
    ref = _open(reference_path, label)
    scene_label = dataset_label(scene_ds.GetDescription() or "the scene")
    if not _placed(scene_ds):
        raise InputError(f"the scene {scene_label} has no georeferencing (no CRS, no ground control points): "
                         f"the {label} cannot be placed on it")
    if not _placed(ref):
        raise InputError(f"{label} has no georeferencing (no CRS): it cannot be placed on the scene")
    chosen = choose_bands(ref, label, bands)
    cloud = _cloud_indicator(ref, reference_path, cloud_band, label)

    k = SUBCELLS
    sub = cell / k  # scene pixels per warped pixel
    fine_w, fine_h = max(1, int(np.ceil(width / sub))), max(1, int(np.ceil(height / sub)))
    grid_ds = _scene_grid(scene_ds, window, sub, fine_w, fine_h, 3 + (cloud is not None))
    rgb = _warp_bands(ref, chosen.rgb, grid_ds, label)
    valid = np.isfinite(rgb).all(axis=0)
    if not valid.any():
        if not _overlaps(ref, grid_ds):
            raise InputError(f"{label} does not overlap the scene")
        raise InputError(f"{label} has no clear pixel over the scene (all nodata or clouds)")
    if cloud is not None:
        cloudy = _warp_cloud(cloud, grid_ds, label)
        valid &= ~(cloudy > 0)  # a warped pixel with any cloud in it does not count
        if not valid.any():
            raise InputError(f"{label} has no clear pixel over the scene (all nodata or clouds)")
    conv, units = to_convention(rgb, valid, ref.GetRasterBand(chosen.rgb[0]))
    # k warped pixels a cell side: the same cells as grid_shape(width, height, cell)
    grid = reduce_to_grid(conv, valid, k, f"{name} ({units}, {chosen.how})")
    grid.cell = float(cell)
    if not grid.any:
        raise InputError(f"{label} has no clear pixel over the scene (all nodata or clouds)")
    return grid


# --- opening and band choice ---------------------------------------------------------------------

def _open(path, label: str) -> gdal.Dataset:
    if not os.fspath(path).startswith("/vsi") and not os.path.exists(path) and ":" not in os.fspath(path):
        raise InputError(f"{label} not found: {os.fspath(path)}")
    try:
        with _exceptions():
            ds = gdal.OpenEx(os.fspath(path), gdal.OF_RASTER)
    except RuntimeError:
        ds = None
    if ds is None or ds.RasterCount == 0:
        raise InputError(f"{label} is not a raster GDAL can read")
    return ds


def _placed(ds: gdal.Dataset) -> bool:
    if ds.GetGeoTransform(can_return_null=True) is not None and ds.GetProjection():
        return True
    return ds.GetGCPCount() >= 3 and bool(ds.GetGCPProjection())


def choose_bands(ds: gdal.Dataset, label: str, bands: Optional[Sequence[int]] = None) -> ReferenceBands:
    """R, G, B band numbers: given; else by colour interpretation (Red/Green/Blue); else by band
    description (B4/B3/B2, B04/B03/B02, red/green/blue); else the first three of a 3- or 4-band
    (RGBA) raster."""
    n = ds.RasterCount
    if bands is not None:
        bands = tuple(int(b) for b in bands)
        if len(bands) != 3:
            raise InputError(f"{label}: give 3 band numbers (R, G, B), not {len(bands)}")
        for b in bands:
            if not 1 <= b <= n:
                raise InputError(f"{label}: band {b} does not exist (it has {n} band(s))")
        return ReferenceBands(bands, f"bands {','.join(map(str, bands))}")  # type: ignore[arg-type]
    if n < 3:
        raise InputError(f"{label} has {n} band(s): a colour reference needs red, green and blue bands")
    interp = {ds.GetRasterBand(i).GetColorInterpretation(): i for i in range(n, 0, -1)}
    by_interp = [interp.get(c) for c in (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)]
    if all(by_interp):
        return ReferenceBands(tuple(by_interp), "bands by colour interpretation")  # type: ignore[arg-type]
    found = {}
    for i in range(1, n + 1):
        description = (ds.GetRasterBand(i).GetDescription() or "").strip().upper()
        for colour, names in BAND_NAMES.items():
            # "B4", "red", or a longer name holding B4/B04 as a word ("T31TFJ_B04_10m")
            as_word = re.search(rf"(^|[^A-Z0-9])({'|'.join(names[:2])})($|[^0-9])", description)
            if colour not in found and (description in names or as_word):
                found[colour] = i
    if len(found) == 3:
        rgb = (found["red"], found["green"], found["blue"])
        return ReferenceBands(rgb, "bands by name B4,B3,B2")
    if n in (3, 4):
        return ReferenceBands((1, 2, 3), "bands 1,2,3")
    raise InputError(f"{label} has {n} bands and none is named red/green/blue or B4/B3/B2: "
                     "give its R,G,B band numbers")


# --- clouds ---------------------------------------------------------------------------------------

@dataclass
class _Cloud:
    ds: gdal.Dataset   # a one-band dataset: > 0 where cloudy
    keep: list         # datasets the VRT refers to


def _cloud_indicator(ref: gdal.Dataset, reference_path, cloud_band: CloudSource, label: str) -> Optional[_Cloud]:
    if cloud_band is None:
        return None
    if isinstance(cloud_band, (int, np.integer)) and not isinstance(cloud_band, bool):
        src, number, src_name = ref, int(cloud_band), os.fspath(reference_path)
        if not 1 <= number <= ref.RasterCount:
            raise InputError(f"{label}: cloud band {number} does not exist (it has {ref.RasterCount} band(s))")
    else:
        src_name = os.fspath(cloud_band)
        src = _open(cloud_band, f"cloud mask {dataset_label(src_name)}")
        number = 1
        if not _placed(src):
            raise InputError(f"cloud mask {dataset_label(src_name)} has no georeferencing (no CRS)")
    band = src.GetRasterBand(number)
    is_scl = "SCL" in (band.GetDescription() or "").upper() or "SCL" in os.path.basename(src_name).upper()
    vrt = gdal.Translate("", src, format="VRT", bandList=[number], outputType=gdal.GDT_Byte if is_scl else
                         gdal.GDT_Float32, noData="none")
    if is_scl:  # SCL classes -> 1 for the cloudy ones, 0 for the others, with a lookup table
        lut = ",".join(f"{c}:{1 if c in SCL_CLOUDY else 0}" for c in range(0, 256))
        xml = vrt.GetMetadata("xml:VRT")[0]
        xml = xml.replace("<SimpleSource>", "<ComplexSource>").replace("</SimpleSource>",
                                                                      f"<LUT>{lut}</LUT></ComplexSource>")
        vrt = gdal.Open(xml)
    return _Cloud(vrt, [src])


# --- warping onto the scene's grid ----------------------------------------------------------------

def _scene_grid(scene: gdal.Dataset, window: Sequence[int], sub: float, w: int, h: int, nbands: int) -> gdal.Dataset:
    """An in-memory Float32 raster over the scene's pixels at ``sub`` scene pixels a side, placed as
    the scene is: its geotransform scaled, or its GCPs' pixel/line scaled."""
    x0, y0 = window[0], window[1]
    ds = gdal.GetDriverByName("MEM").Create("", w, h, nbands, gdal.GDT_Float32)
    gt = scene.GetGeoTransform(can_return_null=True)
    if gt is not None and scene.GetProjection():
        ds.SetGeoTransform((gt[0] + x0 * gt[1] + y0 * gt[2], gt[1] * sub, gt[2] * sub,
                            gt[3] + x0 * gt[4] + y0 * gt[5], gt[4] * sub, gt[5] * sub))
        ds.SetProjection(scene.GetProjection())
    else:
        gcps = [gdal.GCP(p.GCPX, p.GCPY, p.GCPZ, (p.GCPPixel - x0) / sub, (p.GCPLine - y0) / sub, p.Info, p.Id)
                for p in scene.GetGCPs()]
        ds.SetGCPs(gcps, scene.GetGCPProjection())
    for i in range(1, nbands + 1):
        band = ds.GetRasterBand(i)
        band.SetNoDataValue(float("nan"))
        band.Fill(float("nan"))
    return ds


def _source_nodata(ref: gdal.Dataset, rgb: Sequence[int]) -> Optional[list]:
    """Per band nodata: the declared one, else 0 for integer bands (Sentinel-2 products and TCIs
    reserve 0 for no data), else NaN for float bands."""
    values = []
    for b in rgb:
        band = ref.GetRasterBand(b)
        nodata = band.GetNoDataValue()
        if nodata is None:
            nodata = 0.0 if band.DataType in (gdal.GDT_Byte, gdal.GDT_UInt16, gdal.GDT_Int16, gdal.GDT_UInt32,
                                               gdal.GDT_Int32) else float("nan")
        values.append(nodata)
    return values


def _warp_bands(ref: gdal.Dataset, rgb: Sequence[int], grid_ds: gdal.Dataset, label: str) -> np.ndarray:
    """(3, h, w) raw values of the reference's R, G, B averaged onto the grid; NaN where nothing valid."""
    alpha = [i for i in range(1, ref.RasterCount + 1)
             if ref.GetRasterBand(i).GetColorInterpretation() == gdal.GCI_AlphaBand]
    band_list = list(rgb) + alpha[:1]
    src = gdal.Translate("", ref, format="VRT", bandList=band_list)
    nodata = _source_nodata(ref, rgb)
    mem = _empty_like(grid_ds, 3)
    options = gdal.WarpOptions(resampleAlg="average", srcNodata=" ".join(_num(v) for v in nodata),
                               dstNodata="nan", srcAlpha=bool(alpha), multithread=False,
                               warpOptions=["UNIFIED_SRC_NODATA=PARTIAL", "INIT_DEST=NO_DATA"],
                               transformerOptions=_transformer_options(grid_ds))
    try:
        with _exceptions():
            gdal.Warp(mem, src, options=options)
    except RuntimeError as exc:
        raise InputError(f"{label} cannot be reprojected onto the scene: {str(exc).splitlines()[0]}") from None
    return mem.ReadAsArray().astype(np.float32).reshape(3, mem.RasterYSize, mem.RasterXSize)


def _warp_cloud(cloud: _Cloud, grid_ds: gdal.Dataset, label: str) -> np.ndarray:
    mem = _empty_like(grid_ds, 1)
    options = gdal.WarpOptions(resampleAlg="average", dstNodata="nan", outputType=gdal.GDT_Float32,
                               warpOptions=["INIT_DEST=NO_DATA"], transformerOptions=_transformer_options(grid_ds))
    try:
        with _exceptions():
            gdal.Warp(mem, cloud.ds, options=options)
    except RuntimeError as exc:
        raise InputError(f"{label}: its cloud mask cannot be reprojected onto the scene: "
                         f"{str(exc).splitlines()[0]}") from None
    values = mem.GetRasterBand(1).ReadAsArray()
    return np.where(np.isfinite(values), values, 0.0)  # outside the mask's cover: no cloud known


def _overlaps(ref: gdal.Dataset, grid_ds: gdal.Dataset) -> bool:
    """Whether the reference covers any of the grid, nodata or not (to tell the two errors apart)."""
    mem = _empty_like(grid_ds, 1)
    src = gdal.Translate("", ref, format="VRT", bandList=[1], noData="none")
    options = gdal.WarpOptions(resampleAlg="near", dstNodata="nan", warpOptions=["INIT_DEST=NO_DATA"],
                               transformerOptions=_transformer_options(grid_ds))
    try:
        with _exceptions():
            gdal.Warp(mem, src, options=options)
    except RuntimeError:
        return False
    return bool(np.isfinite(mem.GetRasterBand(1).ReadAsArray()).any())


def _empty_like(grid_ds: gdal.Dataset, nbands: int) -> gdal.Dataset:
    ds = gdal.GetDriverByName("MEM").Create("", grid_ds.RasterXSize, grid_ds.RasterYSize, nbands, gdal.GDT_Float32)
    if grid_ds.GetGCPCount():
        ds.SetGCPs(grid_ds.GetGCPs(), grid_ds.GetGCPProjection())
    else:
        ds.SetGeoTransform(grid_ds.GetGeoTransform())
        ds.SetProjection(grid_ds.GetProjection())
    for i in range(1, nbands + 1):
        ds.GetRasterBand(i).SetNoDataValue(float("nan"))
        ds.GetRasterBand(i).Fill(float("nan"))
    return ds


def _transformer_options(grid_ds: gdal.Dataset) -> list:
    # a GCP-placed grid is placed by a polynomial through its GCPs, as GIS software shows the scene
    return ["DST_METHOD=GCP_POLYNOMIAL"] if grid_ds.GetGCPCount() else []


def _num(v: float) -> str:
    return "nan" if np.isnan(v) else repr(float(v))


# --- units ------------------------------------------------------------------------------------------

def to_convention(rgb: np.ndarray, valid: np.ndarray, band: gdal.Band) -> tuple[np.ndarray, str]:
    """Raw reference values -> the colour convention, decided by data type and values:
    a band scale (e.g. 0.0001) and offset are applied first and give reflectance; integers above
    255 are reflectance x 10000; Byte (or values within 0..255 above 1.5) are 8-bit true colour
    (value / 255 x EIGHT_BIT_GAIN); floats up to 1.5 are reflectance."""
    scale, offset = band.GetScale(), band.GetOffset()
    values = rgb[:, valid]
    if scale not in (None, 1.0) or offset not in (None, 0.0):
        reflectance = rgb * np.float32(scale if scale is not None else 1.0) + np.float32(offset or 0.0)
        return reflectance / np.float32(REFLECTANCE_FULL_SCALE), "reflectance (band scale/offset)"
    top = float(np.percentile(values, 99)) if values.size else 0.0
    eight_bit = (rgb / np.float32(255.0) * np.float32(EIGHT_BIT_GAIN), "8-bit true colour")
    per_10000 = (rgb / np.float32(REFLECTANCE_SCALE * REFLECTANCE_FULL_SCALE), "reflectance x 10000")
    if band.DataType == gdal.GDT_Byte:
        return eight_bit
    if band.DataType in (gdal.GDT_UInt16, gdal.GDT_Int16, gdal.GDT_UInt32, gdal.GDT_Int32):
        return per_10000 if top > 255.0 else eight_bit
    if top > 255.0:
        return per_10000
    if top > 1.5:
        return eight_bit
    return rgb / np.float32(REFLECTANCE_FULL_SCALE), "reflectance"


class _exceptions:
    """GDAL raises Python exceptions inside the block (the rest of the program may not want them)."""

    def __enter__(self):
        self.before = gdal.GetUseExceptions()
        gdal.UseExceptions()

    def __exit__(self, *exc):
        if not self.before:
            gdal.DontUseExceptions()
        return False
