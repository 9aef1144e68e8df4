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
