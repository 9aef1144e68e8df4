"""How large a raster's pixels are on the ground, and a warning when that is far from what the
model learnt from (ModelMetadata.pixel_size_m, 10 m for the Sentinel-1 GRD products it was
trained on): the model reads textures, and a 20 m pixel shows a field or a street at half the size.

The size is measured on the ground at the scene's centre, whatever the CRS: a geographic CRS's
degrees and a Mercator CRS's stretched metres become metres there; a GRD product placed by ground
control points is measured through them.
"""
from __future__ import annotations

import math
from typing import Optional

from osgeo import gdal, osr

EARTH_RADIUS_M = 6371008.8  # mean radius: the distances here are for a warning, not for geodesy
# warn beyond this ratio either way: 15 m or 6.7 m pixels for a 10 m model
FAR_RATIO = 1.5


def ground_pixel_size(ds: gdal.Dataset) -> Optional[float]:
    """Metres per pixel on the ground at the centre of `ds` (the square root of a pixel's area), or
    None when the raster's place on Earth is unknown (no CRS, no ground control points)."""
    srs = ds.GetSpatialRef() if ds.GetGeoTransform(can_return_null=True) is not None else None
    if srs is None and ds.GetGCPCount():
        srs = ds.GetGCPSpatialRef()
    if srs is None:
        return None
    try:
        to_map = gdal.Transformer(ds, None, [])  # pixel/line -> the CRS (of the GCPs, for a GRD)
    except RuntimeError:
        return None
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    for s in (srs, wgs84):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_lonlat = osr.CoordinateTransformation(srs, wgs84)
    step = max(1, min(ds.RasterXSize, ds.RasterYSize) // 4)  # a span of pixels: sub-pixel GCP noise averages out
    cx, cy = ds.RasterXSize / 2, ds.RasterYSize / 2
    points = []
    for x, y in ((cx, cy), (cx + step, cy), (cx, cy + step)):
        ok, mapped = to_map.TransformPoint(0, x, y)
        if not ok:
            return None
        points.append(to_lonlat.TransformPoint(mapped[0], mapped[1])[:2])
    across, down = (_distance_m(points[0], p) / step for p in points[1:])
    size = math.sqrt(across * down)
    return size if math.isfinite(size) and size > 0 else None


def resolution_warning(ds: gdal.Dataset, label: str, trained_m: float) -> Optional[str]:
    """A warning when the pixels of `ds` are far from the model's training pixel size, else None."""
    size = ground_pixel_size(ds)
    if size is None or not trained_m or 1 / FAR_RATIO <= size / trained_m <= FAR_RATIO:
        return None
    coarser = size > trained_m
    return (f"{label}: its pixels are about {size:.3g} m on the ground, the model learnt from {trained_m:g} m "
            f"pixels: it sees every field, street and river {'smaller' if coarser else 'larger'} than it knows them, "
            "so textures and colours are less reliable")


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (longitude, latitude) points in degrees."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))
