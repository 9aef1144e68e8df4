"""Where a raster's pixels lie: what the output copies from the input, and how two inputs that
must share one pixel grid (VV and VH in two files) are compared."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from osgeo import gdal, osr


@dataclass(frozen=True)
class Georeferencing:
    """Where the input's pixels lie, to be given to the output, which has the same pixel grid.

    Map-projected products (SNAP, GEE exports) have a geotransform and a CRS; Sentinel-1 GRD
    products in radar geometry (the measurement TIFFs, the SAFE through GDAL) have ground control
    points instead, which GIS software warps by on the fly: the output then lines up the same way.
    """
    geotransform: Optional[tuple[float, ...]] = None
    projection: str = ""
    gcps: tuple = ()
    gcp_projection: str = ""
    rpc: Optional[dict] = None

    @classmethod
    def of(cls, ds: gdal.Dataset) -> "Georeferencing":
        geotransform = ds.GetGeoTransform(can_return_null=True)
        if geotransform is not None:  # a GeoTIFF holds a geotransform or GCPs, not both
            return cls(tuple(geotransform), ds.GetProjection() or "", rpc=ds.GetMetadata("RPC") or None)
        return cls(None, ds.GetProjection() or "", tuple(ds.GetGCPs() or ()), ds.GetGCPProjection() or "",
                   ds.GetMetadata("RPC") or None)

    @property
    def located(self) -> bool:
        """Whether GIS software can tell where the pixels lie on Earth."""
        return bool(self.projection and self.geotransform) or bool(self.gcps and self.gcp_projection) \
            or bool(self.rpc)

    def apply(self, ds: gdal.Dataset) -> None:
        if self.geotransform is not None:
            ds.SetGeoTransform(self.geotransform)
        if self.projection:
            ds.SetProjection(self.projection)
        if self.gcps:
            ds.SetGCPs(list(self.gcps), self.gcp_projection)
        if self.rpc:
            ds.SetMetadata(dict(self.rpc), "RPC")

    def same_place(self, other: "Georeferencing") -> bool:
        """Whether two rasters of one size cover the same pixel grid (CRS compared by meaning)."""
        if (self.geotransform is None) != (other.geotransform is None):
            return False
        if self.geotransform is not None and not np.allclose(self.geotransform, other.geotransform, rtol=1e-9,
                                                             atol=1e-9):
            return False
        if [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in self.gcps] != \
                [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in other.gcps]:
            return False
        for wkt_a, wkt_b in ((self.projection, other.projection), (self.gcp_projection, other.gcp_projection)):
            if bool(wkt_a) != bool(wkt_b):
                return False
            if wkt_a and wkt_a != wkt_b:
                srs_a, srs_b = osr.SpatialReference(), osr.SpatialReference()
                srs_a.ImportFromWkt(wkt_a)
                srs_b.ImportFromWkt(wkt_b)
                if not srs_a.IsSame(srs_b):
                    return False
        return True

    def shifted(self, x0: int, y0: int) -> "Georeferencing":
        """The georeferencing of the window whose top left is input pixel (x0, y0)."""
        geotransform = None
        if self.geotransform is not None:
            g = self.geotransform
            geotransform = (g[0] + x0 * g[1] + y0 * g[2], g[1], g[2], g[3] + x0 * g[4] + y0 * g[5], g[4], g[5])
        gcps = tuple(gdal.GCP(p.GCPX, p.GCPY, p.GCPZ, p.GCPPixel - x0, p.GCPLine - y0, p.Info, p.Id)
                     for p in self.gcps)
        rpc = None
        if self.rpc:
            rpc = dict(self.rpc)
            rpc["LINE_OFF"] = str(float(rpc.get("LINE_OFF", 0)) - y0)
            rpc["SAMP_OFF"] = str(float(rpc.get("SAMP_OFF", 0)) - x0)
        return Georeferencing(geotransform, self.projection, gcps, self.gcp_projection, rpc)


Window = tuple[int, int, int, int]  # x0, y0, width, height in pixels


def window_for_extent(ds: gdal.Dataset, extent: tuple[float, float, float, float]) -> Optional[Window]:
    """The pixels of `ds` that cover `extent` (xmin, ymin, xmax, ymax in its CRS; for a raster placed
    by ground control points, in theirs), or None when they do not overlap."""
    xmin, ymin, xmax, ymax = extent
    corners = [(xmin, ymin), (xmin, ymax), (xmax, ymin), (xmax, ymax)]
    geotransform = ds.GetGeoTransform(can_return_null=True)
    if geotransform is not None:
        inverse = gdal.InvGeoTransform(geotransform)
        pixels = [gdal.ApplyGeoTransform(inverse, x, y) for x, y in corners]
    elif ds.GetGCPCount():
        to_pixels = gdal.Transformer(ds, None, [])  # GCPs: pixel/line <-> their CRS
        pixels = []
        for x, y in corners:
            ok, point = to_pixels.TransformPoint(1, x, y)  # 1: from the GCPs' CRS to pixel/line
            if not ok:
                return None
            pixels.append(point[:2])
    else:
        raise ValueError("the raster has no georeferencing: an extent cannot be placed on it")
    columns, rows = [p[0] for p in pixels], [p[1] for p in pixels]
    # pixels partly inside count; an edge within 1e-6 px of a pixel border is on it (float round-off)
    x0, y0 = (max(0, int(np.floor(min(v) + 1e-6))) for v in (columns, rows))
    x1 = min(ds.RasterXSize, int(np.ceil(max(columns) - 1e-6)))
    y1 = min(ds.RasterYSize, int(np.ceil(max(rows) - 1e-6)))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0
