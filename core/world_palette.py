"""The built-in world palette: the colour a global true-colour mosaic has at the scene's place.

The shipped file (``models/world_palette.tif``, made by ``scripts/build_world_palette.py`` from
NASA's Blue Marble Next Generation) holds the mosaic's own 8-bit display colours on a plate carrée
grid; its metadata says how they map onto the model's colour convention (measured on real
Sentinel-2 pairs by ``benchmarks/palette_calibration.py``): convention = offset + gain * (value / 255) ** gamma
per channel. The scene is placed through whatever georeferencing it has: a geotransform and any CRS,
or ground control points (Sentinel-1 GRD in radar geometry); a scene that cannot be placed gets None.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from osgeo import gdal, osr

from .errors import ModelFileError
from .prior import PriorGrid, grid_shape

PALETTE_PATH = Path(__file__).resolve().parent.parent / "models" / "world_palette.tif"
FORMAT_KEY = "SAR_COLORIZER_WORLD_PALETTE"  # metadata item naming the file's layout version
FORMAT_VERSION = "1"
MAPPING_KEY = "PALETTE_TO_CONVENTION"  # JSON: {"gain": [r, g, b], "gamma": [r, g, b], "offset": [r, g, b], ...}
CREDIT = "NASA Earth Observatory, Blue Marble Next Generation, public domain"
SOURCE_LABEL = "world palette (NASA Blue Marble Next Generation)"


@dataclass(frozen=True)
class PaletteMapping:
    """Palette value (0..255) -> colour convention (0..1 = reflectance 0..0.3), per channel:
    offset + gain * (value / 255) ** gamma. The offset is the haze a top-of-atmosphere Sentinel-2 image
    has over the mosaic's surface colours (0 in files made before it was measured)."""

    gain: tuple[float, float, float]
    gamma: tuple[float, float, float]
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _shaped(self, ndim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shape = (3,) + (1,) * (ndim - 1)
        return tuple(np.asarray(v, np.float64).reshape(shape) for v in (self.gain, self.gamma, self.offset))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """(3, ...) palette values -> (3, ...) colours in the convention."""
        v = np.clip(np.asarray(values, np.float64) / 255.0, 0.0, 1.0)
        gain, gamma, offset = self._shaped(v.ndim)
        return (offset + gain * v ** gamma).astype(np.float32)

    def invert(self, colours: np.ndarray) -> np.ndarray:
        """(3, ...) colours in the convention -> the palette values (0..255) this mapping gives them from."""
        c = np.asarray(colours, np.float64)
        gain, gamma, offset = self._shaped(c.ndim)
        return (np.clip((c - offset) / gain, 0.0, 1.0) ** (1.0 / gamma) * 255.0).astype(np.float32)

    @classmethod
    def from_json(cls, text: "str | dict") -> "PaletteMapping":
        """From the file's metadata item (JSON text) or the calibration's dict; extra keys are ignored."""
        spec = json.loads(text) if isinstance(text, str) else dict(text)
        gain, gamma = tuple(float(g) for g in spec["gain"]), tuple(float(g) for g in spec["gamma"])
        offset = tuple(float(o) for o in spec.get("offset", (0.0, 0.0, 0.0)))
        if len(gain) != 3 or len(gamma) != 3 or not all(np.isfinite(gain + gamma)) or min(gain + gamma) <= 0:
            raise ValueError("gain and gamma must be 3 positive numbers each")
        if len(offset) != 3 or not all(np.isfinite(offset)) or min(offset) < 0:
            raise ValueError("offset must be 3 numbers >= 0")
        return cls(gain, gamma, offset)  # type: ignore[arg-type]


@dataclass(frozen=True)
class WorldPalette:
    """An opened, checked palette file; values are read from it as needed."""

    path: str
    width: int
    height: int
    mapping: Optional[PaletteMapping]

    def values_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The mosaic's own 8-bit values, (3, ...) float, bilinear between pixel centres; longitudes
        wrap at the antimeridian, latitudes beyond the first/last pixel row take that row."""
        lon = np.asarray(lon, np.float64)
        lat = np.asarray(lat, np.float64)
        shape = np.broadcast(lon, lat).shape
        lon, lat = np.broadcast_to(lon, shape).ravel(), np.broadcast_to(lat, shape).ravel()
        if lon.size == 0:
            return np.zeros((3,) + shape, np.float32)
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise ValueError("longitudes and latitudes must be finite")
        fx = (lon + 180.0) / 360.0 * self.width - 0.5
        fy = (90.0 - lat) / 180.0 * self.height - 0.5
        fy = np.clip(fy, 0, self.height - 1)
        x0 = np.floor(fx)
        wx = fx - x0
        y0 = np.minimum(np.floor(fy), self.height - 2)
        wy = fy - y0
        x0 = x0.astype(np.int64) % self.width
        x1 = (x0 + 1) % self.width
        y0 = y0.astype(np.int64)
        row0, row1 = int(y0.min()), int(y0.max()) + 1
        rows = self._read_rows(row0, row1 - row0 + 1)  # (3, nrows, width)
        r0, r1 = y0 - row0, y0 + 1 - row0
        top = rows[:, r0, x0] * (1 - wx) + rows[:, r0, x1] * wx
        bottom = rows[:, r1, x0] * (1 - wx) + rows[:, r1, x1] * wx
        out = top * (1 - wy) + bottom * wy
        return out.reshape((3,) + shape).astype(np.float32)

    def _read_rows(self, row0: int, count: int) -> np.ndarray:
        # opened for each read, never kept: a GDAL dataset alive at interpreter exit can crash it
        # (seen under QGIS), and one handle must not be shared between threads
        ds = gdal.Open(self.path)
        rows = ds.ReadAsArray(0, row0, self.width, count) if ds is not None else None
        if rows is None:
            raise ModelFileError(f"the world palette {self.path} cannot be read (corrupt file?)")
        return rows.astype(np.float32)

    def colour_at(self, lon, lat) -> np.ndarray:
        """(3, ...) colours in the colour convention at longitudes/latitudes (degrees, WGS 84)."""
        if self.mapping is None:
            raise ModelFileError(f"the world palette {self.path} has no {MAPPING_KEY} metadata: "
                                 "rebuild it with scripts/build_world_palette.py")
        return self.mapping.apply(self.values_at(lon, lat))


_LOCK = threading.Lock()


def load_world_palette(path: str | Path | None = None, require_mapping: bool = True) -> WorldPalette:
    """The palette file, checked once per process and path; a corrupt or foreign file raises
    ModelFileError with one line saying what is wrong."""
    with _LOCK:
        palette = _load(str(Path(path) if path is not None else PALETTE_PATH))
    if require_mapping and palette.mapping is None:
        raise ModelFileError(f"the world palette {palette.path} has no {MAPPING_KEY} metadata: "
                             "rebuild it with scripts/build_world_palette.py")
    return palette


@lru_cache(maxsize=4)
def _load(path: str) -> WorldPalette:
    bad = f"the world palette {path} "
    if not Path(path).is_file():
        raise ModelFileError(bad + "is missing: reinstall the plugin or rebuild it with scripts/build_world_palette.py")
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # the one line below says it; no GDAL noise
    try:
        ds = gdal.OpenEx(path, gdal.OF_RASTER)
    except RuntimeError:
        ds = None
    finally:
        gdal.PopErrorHandler()
    if ds is None:
        raise ModelFileError(bad + "is not a raster GDAL can read (corrupt file?)")
    meta = ds.GetMetadata() or {}
    if meta.get(FORMAT_KEY) != FORMAT_VERSION:
        raise ModelFileError(bad + f"is not a SAR Colorizer world palette (no {FORMAT_KEY}={FORMAT_VERSION} metadata)")
    if ds.RasterCount != 3 or any(ds.GetRasterBand(i).DataType != gdal.GDT_Byte for i in (1, 2, 3)):
        raise ModelFileError(bad + "must have 3 Byte bands (R, G, B)")
    width, height = ds.RasterXSize, ds.RasterYSize
    gt = ds.GetGeoTransform(can_return_null=True)
    srs = ds.GetSpatialRef()
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    expected = (-180.0, 360.0 / width, 0.0, 90.0, 0.0, -180.0 / height)
    wgs84_grid = srs is not None and srs.IsGeographic() and srs.IsSameGeogCS(wgs84)
    if gt is None or not wgs84_grid or not np.allclose(gt, expected, atol=1e-9):
        raise ModelFileError(bad + "must cover the whole world in EPSG:4326 (-180..180, 90..-90)")
    mapping = None
    if meta.get(MAPPING_KEY):
        try:
            mapping = PaletteMapping.from_json(meta[MAPPING_KEY])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelFileError(bad + f"has an unreadable {MAPPING_KEY} ({exc})") from None
    # decode every pixel once (half a second): a damaged tile fails here, in one line, not mid-run
    problems: list[str] = []

    def collect(level, _number, message):
        if level >= gdal.CE_Failure:
            problems.append(" ".join(str(message).split()))

    gdal.PushErrorHandler(collect)
    try:
        sums = [ds.GetRasterBand(i).Checksum() for i in (1, 2, 3)]
    except RuntimeError as exc:  # the caller may have GDAL exceptions on
        problems.append(" ".join(str(exc).split()))
        sums = [-1]
    finally:
        gdal.PopErrorHandler()
    if problems or -1 in sums:
        raise ModelFileError(bad + f"cannot be decoded (corrupt file?): {problems[0] if problems else 'read error'}")
    return WorldPalette(path, width, height, mapping)


def colour_at(lon, lat, path: str | Path | None = None) -> np.ndarray:
    """(3, ...) colours of the world palette in the colour convention at lon/lat (degrees)."""
    return load_world_palette(path).colour_at(lon, lat)


def cell_centres(width: int, height: int, cell: float, window: Sequence[int] = (0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Pixel/line of the centres of the prior's cells over a raster of ``width`` x ``height``
    whose top left is pixel ``window`` of its dataset; a last partial cell's centre is the centre
    of the part it covers."""
    gh, gw = grid_shape(width, height, cell)
    xs = np.array([(i * cell + min((i + 1) * cell, width)) / 2 for i in range(gw)], np.float64) + window[0]
    ys = np.array([(j * cell + min((j + 1) * cell, height)) / 2 for j in range(gh)], np.float64) + window[1]
    return np.meshgrid(xs, ys)


def lonlat_of_pixels(ds: gdal.Dataset, pixels: np.ndarray,
                     lines: np.ndarray) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """WGS 84 longitude/latitude of pixel/line positions of a dataset, through its geotransform and
    CRS or its ground control points (or RPCs); None when the dataset cannot be placed."""
    if not _placeable(ds):
        return None
    try:
        transformer = gdal.Transformer(ds, None, ["DST_SRS=EPSG:4326"])
    except RuntimeError:
        return None
    if transformer is None:
        return None
    points = np.stack([np.ravel(pixels), np.ravel(lines)], axis=1).astype(np.float64)
    out, ok = transformer.TransformPoints(0, [tuple(p) for p in points])
    out = np.asarray(out, np.float64).reshape(-1, 3)
    ok = np.asarray(ok, bool)
    if not ok.all():
        return None
    # GDAL's transformers work in the traditional GIS order: x = longitude, y = latitude
    lon, lat = out[:, 0].reshape(np.shape(pixels)), out[:, 1].reshape(np.shape(pixels))
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()) or np.abs(lat).max() > 90.0 + 1e-6:
        return None
    return (lon + 180.0) % 360.0 - 180.0, lat


def _placeable(ds: gdal.Dataset) -> bool:
    """Whether the dataset says where it lies (a CRS with a geotransform, GCPs with theirs, or RPCs)."""
    if ds.GetGeoTransform(can_return_null=True) is not None and ds.GetProjection():
        return True
    if ds.GetGCPCount() >= 3 and ds.GetGCPProjection():
        return True
    return bool(ds.GetMetadata("RPC"))


def world_palette_grid(ds: gdal.Dataset, width: int, height: int, cell: float, window: Sequence[int] = (0, 0),
                       palette: Optional[WorldPalette] = None) -> Optional[PriorGrid]:
    """The world palette's colour at each cell centre of a raster of ``width`` x ``height`` pixels
    whose top left is pixel ``window`` = (x0, y0) of ``ds`` (the output window of the scene), or
    None when the scene cannot be placed on Earth (no CRS, no GCPs): the caller then runs without
    a prior and says so."""
    centres = cell_centres(width, height, cell, window)
    place = lonlat_of_pixels(ds, *centres)
    if place is None:
        return None
    palette = palette or load_world_palette()
    rgb = palette.colour_at(*place)
    gh, gw = rgb.shape[1:]
    return PriorGrid(rgb.astype(np.float32), np.ones((gh, gw), bool), float(cell), SOURCE_LABEL)

