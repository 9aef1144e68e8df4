"""Refuse rasters that are not radar backscatter before anything is colorized.

The model paints colours onto SAR textures; given an optical image it still paints something, and
nothing would tell the user that the result is meaningless. Three kinds of raster are told apart
by what their files say of themselves, whichever bands the user picked:

- an output of SAR Colorizer (its `SAR_COLORIZER_*` metadata or its image description),
- a Sentinel-2 band stack (bands named B2, B03, "B4 (Red)", B8A, ...),
- an 8-bit colour picture (bands with Red, Green and Blue colour interpretation whose values
  differ; a grey SAR picture saved as RGB has three equal bands and is let through).

`allow_optical_input` (CLI --allow-optical-input) turns the refusal off for the rare radar file
that looks like one of these (a SAR false-colour composite saved as RGB, say).
"""
from __future__ import annotations

import os
import re
from typing import Optional, Sequence

from osgeo import gdal

from .errors import InputError
from .names import dataset_label
from .raster_io import _is_grey_picture, gdal_exceptions, open_raster

OVERRIDE_HINT = ("to colorize it all the same, use --allow-optical-input (QGIS: the advanced parameter "
                 "'Colorize even if the input looks optical')")
# what SAR Colorizer writes into every output (pipeline.provenance)
OWN_METADATA_PREFIX = "SAR_COLORIZER_"
OWN_DESCRIPTION = "by SAR Colorizer"
# Sentinel-2 MSI band names as exports write them: B2, B02, B8A, B11; "B4 (Red)", "B4, central wavelength 665 nm"
_S2_NAME = re.compile(r"^\s*B(0[1-9]|1[0-2]|[1-9]|8A)(?![0-9A-Z])", re.IGNORECASE)
_S2_TWO_DIGITS = re.compile(r"^\s*B(0[1-9]|1[0-2]|8A)(?![0-9A-Z])", re.IGNORECASE)
_S2_WORDS = re.compile(r"\b(red|green|blue|nir|swir|aerosol|red ?edge|water vapou?r|cirrus|nm)\b", re.IGNORECASE)
# B1 and B2 alone could be any program's generic band names; these four are the 10 m visible + NIR bands
_S2_TEN_METRE = {"2", "3", "4", "8"}
_POLARISATION = re.compile(r"(?<![A-Z])(VV|VH|HH|HV)(?![A-Z])")
_RGB = (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)


def check_radar_inputs(names: Sequence[Optional[str | os.PathLike]], allow_optical_input: bool = False) -> None:
    """Raise InputError saying why, when one of the input rasters is not radar backscatter."""
    if allow_optical_input:
        return
    with gdal_exceptions():
        for name in filter(None, names):
            ds = open_raster(name)
            reason = not_radar_reason(ds)
            if reason:
                raise InputError(f"{dataset_label(os.fspath(name))} {reason}; {OVERRIDE_HINT}")


def not_radar_reason(ds: gdal.Dataset) -> Optional[str]:
    """Why `ds` is not a radar backscatter raster (the end of a sentence naming it), or None."""
    return own_output_reason(ds) or sentinel2_reason(ds) or colour_picture_reason(ds)


def own_output_reason(ds: gdal.Dataset) -> Optional[str]:
    metadata = ds.GetMetadata() or {}
    ours = any(key.upper().startswith(OWN_METADATA_PREFIX) for key in metadata) \
        or OWN_DESCRIPTION in (metadata.get("TIFFTAG_IMAGEDESCRIPTION") or "")
    if not ours:
        return None
    source = metadata.get(OWN_METADATA_PREFIX + "SOURCE")
    return ("is an output of SAR Colorizer (colours predicted from radar, not radar backscatter): colorize "
            + (f"the Sentinel-1 scene it was made from ({source}) instead" if source else
               "the Sentinel-1 scene it was made from instead"))


def sentinel2_reason(ds: gdal.Dataset) -> Optional[str]:
    named = {}  # band number -> its Sentinel-2 name
    strong = False  # a name no generic band naming would give (B02, B8A, "B4 (Red)")
    for number in range(1, ds.RasterCount + 1):
        text = _band_name(ds.GetRasterBand(number))
        found = _S2_NAME.match(text)
        if not found or _POLARISATION.search(text.upper()):
            continue
        named[number] = text.strip()
        strong = strong or bool(_S2_TWO_DIGITS.match(text) or _S2_WORDS.search(text[found.end():]))
    ten_metre = {m.group(1).lstrip("0") for m in map(_S2_NAME.match, named.values())} & _S2_TEN_METRE
    if not (strong or len(ten_metre) >= 2) and ds.GetDriver().ShortName != "SENTINEL2":
        return None
    names = ", ".join(f"band {n} is '{text}'" for n, text in list(named.items())[:4])
    names += ", ..." if len(named) > 4 else ""
    return (f"looks like a Sentinel-2 optical image, not Sentinel-1 radar "
            f"({names or 'read by the Sentinel-2 driver'}): "
            "SAR Colorizer predicts colours from radar backscatter")


def colour_picture_reason(ds: gdal.Dataset) -> Optional[str]:
    bands = {ds.GetRasterBand(i).GetColorInterpretation(): i for i in range(ds.RasterCount, 0, -1)}
    if not all(ci in bands for ci in _RGB):
        return None
    numbers = [bands[ci] for ci in _RGB]
    if any(ds.GetRasterBand(n).DataType != gdal.GDT_Byte for n in numbers):
        return None
    if numbers == [1, 2, 3] and _is_grey_picture(ds):  # a grey SAR picture saved as RGB (display JPEG)
        return None
    return (f"looks like an optical colour image, not Sentinel-1 radar: bands {numbers[0]}, {numbers[1]} and "
            f"{numbers[2]} are 8-bit Red, Green and Blue holding different pictures, and SAR Colorizer predicts "
            "colours from radar backscatter")


def _band_name(band: gdal.Band) -> str:
    metadata = band.GetMetadata() or {}
    for key in ("BANDNAME", "band_name", "BAND_NAME", "name"):
        if metadata.get(key):
            return str(metadata[key])
    return band.GetDescription() or ""

