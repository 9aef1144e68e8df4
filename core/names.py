"""Input names: a plain file path, or any other GDAL dataset name.

QGIS layers and users hand over more than file paths: a GeoTIFF inside a zip
(`/vsizip//data/S1A.zip/S1A.tif`), a GeoPackage raster table (`GPKG:/data/s.gpkg:table`), a
Sentinel-1 SAFE product through GDAL's driver (`SENTINEL1_DS:/data/S1A.SAFE/manifest.safe:IW_VV`).
Such names are kept as strings: `pathlib` would fold the double slash of an absolute /vsizip/ path.
"""
from __future__ import annotations

import os
import re
from pathlib import PurePath, PurePosixPath, PureWindowsPath

# DRIVER: prefixes of GDAL's dataset names (GPKG:, NETCDF:, HDF5:, SENTINEL1_DS:, ...); two
# characters at least, so that a Windows drive letter (C:\...) is not one
_DRIVER_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_]+:")
# a drive letter inside a driver name's path part (GPKG:C:\data\s.gpkg:table), kept with its path
_PARTS = re.compile(r'"[^"]*"|[A-Za-z]:[\\/][^:]*|[^:]+')
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _path(text: str) -> PurePath:
    """Windows paths (QGIS on Windows) split at backslashes wherever this runs."""
    return PureWindowsPath(text) if "\\" in text else PurePosixPath(text)


def is_dataset_name(name: str | os.PathLike) -> bool:
    """True for a GDAL dataset name that is not a plain file path (a virtual file or a
    driver-prefixed name), which must go to GDAL as it is."""
    text = os.fspath(name)
    return text.startswith("/vsi") or bool(_DRIVER_PREFIX.match(text))


def dataset_label(name: str | os.PathLike) -> str:
    """A short name for messages: the file's name, or the member's name inside a /vsi file; a
    driver-prefixed name as it is (its parts are what tells it apart)."""
    text = os.fspath(name)
    if _DRIVER_PREFIX.match(text) and not text.startswith("/vsi"):
        return text
    return _path(text).name or text


def output_stem(name: str | os.PathLike) -> str:
    """The start of an output file name for an input: its file stem, with the sub-dataset's
    parts of a driver-prefixed name (GPKG:/d/s.gpkg:rhone -> s_rhone) and the product folder's
    name for a SAFE manifest (S1A_....SAFE/manifest.safe -> S1A_...)."""
    text = os.fspath(name)
    parts = [text]
    if _DRIVER_PREFIX.match(text) and not text.startswith("/vsi"):
        parts = [p.strip('"') for p in _PARTS.findall(text)[1:]]  # without the driver
    stems = []
    for part in parts:
        path = _path(part)
        if path.suffix or len(path.parts) > 1:  # the file the name points into
            stem = path.stem
            if stem.lower() == "manifest" and path.parent.name:
                stem = _path(path.parent.name).stem
            stems.append(stem)
        elif part:
            stems.append(part)  # a table, variable or swath/polarisation name
    return _UNSAFE.sub("_", "_".join(stems)).strip("._") or "input"
