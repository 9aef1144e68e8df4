"""Paired SAR / optical data: discovery, loading, target stretch and tiles.

Two layouts are read:

- ``s1/`` + ``s2/`` folders holding files of the same name (PNG, JPEG or GeoTIFF), one pair per name
  (the reference design's layout, SEN1-2 style);
- paired scenes: a folder of ``scene-*/`` sub-folders each holding ``sar.*`` and ``optical.*``, two
  large co-registered rasters that are cut into tiles on the fly.

Every pair is loaded once into memory in compact form: SAR bands in model units (``core.sar``), the
SAR statistics of the WHOLE image (the inference contract: never per crop), and the optical target
already in the one colour convention (``training/colour.py``) and stored as bytes.
Model inputs are always made by ``core.sar.model_input`` on a crop of those bands with the
whole-image statistics, which is exactly what inference computes for the same pixels.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

import numpy as np

from ..core.errors import SarColorizerError
from ..core.modelfile import InputSpec
from ..core.sar import BandStats, band_statistics, detect_units, model_input, to_model_units
from .colour import bright_white, source_tile, target_bytes, to_convention

if TYPE_CHECKING:  # for the annotations only: the functions that need them import them when called
    from ..core.prior import PriorGrid
    from .augment import AugmentConfig
    from .priors import PairPriors, PriorConfig

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg")

# What the targets are (training/colour.py): one colour convention for every data set.
TARGET_STRETCH = (
    "Sentinel-2 true colour in one convention for every data set: reflectance 0..0.3 -> 0..1 "
    "(UInt16 reflectance x 10000 / 3000; 8-bit true colour / 255 x a gain measured per data set, "
    "training/recipes/palette_calibration.json); bright white (clouds) masked where a set's cloud masks are empty"
)
# The display stretch of models trained before the colour convention (kept for their evaluation)
TARGET_LOW_PERCENTILE = 1.0
TARGET_HIGH_PERCENTILE = 99.0


class DatasetError(SarColorizerError):
    """The training data is laid out wrongly (unpaired or mismatched files, unreadable raster)."""


# ----------------------------------------------------------------------------------------------
# raster reading


def read_raster(path: Path) -> tuple[np.ndarray, np.dtype, list[Optional[float]]]:
    """All bands as (B, H, W) in their stored dtype, plus each band's nodata value."""
    from osgeo import gdal

    gdal.UseExceptions()
    try:
        ds = gdal.Open(str(path))  # keep `ds` alive while reading bands (GDAL 3.6 segfault)
    except RuntimeError as exc:
        raise DatasetError(f"{path}: cannot be read as a raster: {exc}") from exc
    if ds is None:
        raise DatasetError(f"{path}: cannot be read as a raster")
    arrays, nodata = [], []
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        arrays.append(band.ReadAsArray())
        nodata.append(band.GetNoDataValue())
    data = np.stack(arrays)
    del ds
    return data, data.dtype, nodata


def valid_mask(data: np.ndarray, nodata: Sequence[Optional[float]]) -> np.ndarray:
    """(H, W) True where every band is finite and differs from its nodata value."""
    ok = np.ones(data.shape[1:], bool)
    for band, nd in zip(data, nodata):
        if np.issubdtype(band.dtype, np.floating):
            ok &= np.isfinite(band)
        if nd is not None:
            ok &= band != nd
    return ok


def stretch_target(rgb: np.ndarray, valid: Optional[np.ndarray] = None) -> np.ndarray:
    """The one display stretch for every optical target (see ``TARGET_STRETCH``): (3,H,W) -> [0,1]."""
    rgb = rgb.astype(np.float32, copy=False)
    sample = rgb[:, valid] if valid is not None else rgb.reshape(3, -1)
    if sample.size == 0:
        raise DatasetError("optical image has no valid pixel")
    low, high = np.percentile(sample, [TARGET_LOW_PERCENTILE, TARGET_HIGH_PERCENTILE])
    span = max(float(high - low), 1e-6)
    return np.clip((rgb - np.float32(low)) / np.float32(span), 0.0, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# one pair


@dataclass
class PairedImage:
    """One co-registered SAR / optical pair, held compactly in memory."""

    name: str                      # "<dataset>/<file or scene>"
    dataset: str
    bands: dict[str, np.ndarray]   # band name -> (H, W) in model units (float32) or raw bytes (uint8, "dn")
    stats: dict[str, BandStats]    # whole-image statistics of each band
    valid: np.ndarray              # (H, W) bool: SAR valid (what inference masks and takes statistics from)
    target: np.ndarray             # (3, H, W) uint8: stretched optical * 255
    units: str
    target_valid: Optional[np.ndarray] = None  # (H, W) bool: SAR and optical valid (where the loss counts)
    priors: Optional["PairPriors"] = None       # colour priors of its place (training/priors.py)
    prior_mode: str = "auto"                    # which one inputs() gives when none is passed

    def __post_init__(self):
        if self.target_valid is None:
            self.target_valid = self.valid

    @property
    def shape(self) -> tuple[int, int]:
        return self.valid.shape

    def model_bands(self, rows: slice, cols: slice) -> dict[str, np.ndarray]:
        return {b: a[rows, cols].astype(np.float32) for b, a in self.bands.items()}

    def inputs(self, spec: InputSpec, rows: slice = slice(None), cols: slice = slice(None),
               drop: Iterable[str] = (), prior: Optional["PriorGrid"] = None,
               use_default_prior: bool = True) -> np.ndarray:
        """Model input (C, h, w) for a window, via core.sar.model_input with whole-image stats.
        A model with a colour prior gets ``prior``'s window, else (``use_default_prior``) the
        pair's prior of ``prior_mode`` (training/priors.evaluation_prior), else none."""
        bands: dict[str, Optional[np.ndarray]] = {b: None for b in spec.bands}
        for b, arr in self.model_bands(rows, cols).items():
            if b in bands and b not in drop:
                bands[b] = arr
        window = None
        if spec.prior is not None:
            if prior is None and use_default_prior:
                from .priors import evaluation_prior
                prior = evaluation_prior(self.priors, self.prior_mode)
            if prior is not None:
                h, w = self.shape
                r0, r1, _ = rows.indices(h)
                c0, c1, _ = cols.indices(w)
                window = prior.window(r0, r1 - r0, c0, c1 - c0)
        return model_input(bands, self.stats, self.valid[rows, cols], spec, prior=window)

    def target_float(self, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        return self.target[:, rows, cols].astype(np.float32) / np.float32(255.0)


def load_pair(sar_path: Path, optical_path: Path, band_roles: Sequence[str], name: str,
              dataset: str, spec: InputSpec) -> PairedImage:
    """Read both rasters, check they match, compute whole-image statistics and the target."""
    sar, sar_dtype, sar_nodata = read_raster(sar_path)
    opt, opt_dtype, opt_nodata = read_raster(optical_path)
    if sar.shape[1:] != opt.shape[1:]:
        raise DatasetError(
            f"{name}: SAR {sar_path} is {sar.shape[2]} x {sar.shape[1]} px but optical {optical_path} "
            f"is {opt.shape[2]} x {opt.shape[1]} px; pairs must be co-registered pixel for pixel"
        )
    if opt.shape[0] < 3:
        raise DatasetError(f"{name}: optical {optical_path} has {opt.shape[0]} band(s); R,G,B are needed")
    roles = list(band_roles)
    if sar.shape[0] == 3 and len(roles) == 1 and np.array_equal(sar[0], sar[1]) and np.array_equal(sar[0], sar[2]):
        sar, sar_nodata = sar[:1], sar_nodata[:1]   # grey SAR saved as RGB (JPEG): use one channel
    if sar.shape[0] != len(roles):
        raise DatasetError(
            f"{name}: SAR {sar_path} has {sar.shape[0]} band(s) but the band roles given are {roles}"
        )
    valid = valid_mask(sar, sar_nodata)
    target_valid = valid & valid_mask(opt[:3], opt_nodata[:3])
    if not target_valid.any():
        raise DatasetError(f"{name}: no valid pixel in {sar_path} / {optical_path}")
    sample = sar[:, valid]
    units = detect_units(sample, sar_dtype)
    bands: dict[str, np.ndarray] = {}
    stats: dict[str, BandStats] = {}
    for role, raw, nd in zip(roles, sar, sar_nodata):
        values = to_model_units(raw, units)
        band_valid = valid_mask(raw[None], [nd])  # statistics per band from its own valid pixels, as inference
        stats[role] = band_statistics(values[band_valid], spec.normalisation, f"{name} {role}")
        values = np.where(valid, values, np.float32(np.nan))
        bands[role] = raw.astype(np.uint8) if (units == "dn" and raw.dtype == np.uint8) else values.astype(np.float32)
    conv = to_convention(opt[:3], opt_dtype, dataset, source_tile(optical_path))
    if (optical_path.parent.parent / "cloudmask").is_dir():
        target_valid &= ~bright_white(conv)  # its cloud masks are empty: bright white is the cloud test
        if not target_valid.any():
            raise DatasetError(f"{name}: the optical {optical_path} is all cloud (bright white)")
    target = target_bytes(conv)
    return PairedImage(name=name, dataset=dataset, bands=bands, stats=stats, valid=valid,
                       target=target, units=units, target_valid=target_valid)


# ----------------------------------------------------------------------------------------------
# discovery


@dataclass
class PairSource:
    name: str          # "<dataset>/<stem or scene>"
    dataset: str
    sar: Path
    optical: Path


def _images(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}


def folder_pairs(root: Path, dataset: Optional[str] = None) -> list[PairSource]:
    """Pairs of an ``s1/`` + ``s2/`` layout; refuses a name present in only one folder."""
    root = Path(root)
    dataset = dataset or root.name
    s1, s2 = root / "s1", root / "s2"
    for folder in (s1, s2):
        if not folder.is_dir():
            raise DatasetError(f"{root}: expected folders s1/ and s2/; {folder.name}/ is missing")
    a, b = _images(s1), _images(s2)
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a:
        raise DatasetError(f"{a[only_a[0]]}: no optical partner with the same name in {s2}"
                           + (f" ({len(only_a)} unpaired files in s1/)" if len(only_a) > 1 else ""))
    if only_b:
        raise DatasetError(f"{b[only_b[0]]}: no SAR partner with the same name in {s1}"
                           + (f" ({len(only_b)} unpaired files in s2/)" if len(only_b) > 1 else ""))
    if not a:
        raise DatasetError(f"{root}: s1/ and s2/ hold no image files ({', '.join(IMAGE_SUFFIXES)})")
    return [PairSource(f"{dataset}/{k}", dataset, a[k], b[k]) for k in sorted(a)]


def scene_pairs(root: Path, dataset: Optional[str] = None) -> list[PairSource]:
    """Pairs of a scenes layout: ``<root>/<scene>/sar.*`` + ``optical.*`` (or root itself is a scene)."""
    root = Path(root)
    dataset = dataset or root.name
    scenes = [root] if _scene_files(root) else [d for d in sorted(root.iterdir()) if d.is_dir()]
    out = []
    for scene in scenes:
        files = _scene_files(scene)
        if files is None:
            continue
        out.append(PairSource(f"{dataset}/{scene.name}", dataset, files[0], files[1]))
    if not out:
        raise DatasetError(f"{root}: no scene folder with sar.* and optical.* found")
    return out


def _scene_files(folder: Path) -> Optional[tuple[Path, Path]]:
    imgs = _images(folder)
    if "sar" in imgs and "optical" in imgs:
        return imgs["sar"], imgs["optical"]
    if "sar" in imgs or "optical" in imgs:
        missing = "optical" if "sar" in imgs else "sar"
        raise DatasetError(f"{folder}: has {('sar' if missing == 'optical' else 'optical')}.* but no {missing}.* partner")
    return None


def discover(root: Path) -> list[PairSource]:
    """All pairs under ``root``: a dataset folder itself, or a folder of dataset folders."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: data folder not found")
    if (root / "s1").is_dir() or (root / "s2").is_dir():
        return folder_pairs(root)
    subdirs = [d for d in sorted(root.iterdir()) if d.is_dir()]
    if _scene_files(root) or any(_scene_files(d) for d in subdirs):
        return scene_pairs(root)
    out: list[PairSource] = []
    for d in subdirs:
        if (d / "s1").is_dir() or (d / "s2").is_dir():
            out += folder_pairs(d)
        elif any(_scene_files(s) for s in d.iterdir() if s.is_dir()) or _scene_files(d):
            out += scene_pairs(d)
    if not out:
        raise DatasetError(f"{root}: no paired data found (expected s1/ + s2/ folders or scene folders "
                           "with sar.* and optical.*)")
    return out


def split_sources(sources: Sequence[PairSource], holdout: Sequence[str]) -> tuple[list[PairSource], list[PairSource]]:
    """(train, held out): a source is held out when its name matches any glob pattern."""
    train, held = [], []
    for s in sources:
        (held if any(fnmatch.fnmatch(s.name, p) for p in holdout) else train).append(s)
    return train, held


@dataclass
class BandRoles:
    """Which polarisation each SAR band of a dataset is; default: 1 band VV, 2 bands VV, VH."""

    per_dataset: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def roles(self, dataset: str, band_count: int) -> tuple[str, ...]:
        if dataset in self.per_dataset:
            return self.per_dataset[dataset]
        if band_count in (1, 3):
            return ("VV",)
        if band_count == 2:
            return ("VV", "VH")
        raise DatasetError(f"{dataset}: cannot tell the polarisation of {band_count} SAR bands; "
                           "say it with --band-roles DATASET=VV,VH")

    @classmethod
    def parse(cls, items: Sequence[str]) -> "BandRoles":
        out = {}
        for item in items:
            if "=" not in item:
                raise DatasetError(f"--band-roles {item!r}: expected DATASET=VV or DATASET=VV,VH")
            name, roles = item.split("=", 1)
            out[name.strip()] = tuple(r.strip().upper() for r in roles.split(","))
        return cls(out)


def load_sources(sources: Sequence[PairSource], spec: InputSpec, roles: BandRoles,
                 progress: bool = False) -> list[PairedImage]:
    from osgeo import gdal

    items = sources
    if progress:
        from tqdm import tqdm
        items = tqdm(sources, desc="loading pairs", unit="pair", leave=False)
    out = []
    for s in items:
        ds = gdal.Open(str(s.sar))
        count = ds.RasterCount if ds is not None else 1
        del ds
        out.append(load_pair(s.sar, s.optical, roles.roles(s.dataset, count), s.name, s.dataset, spec))
    if spec.prior is not None:
        from .priors import attach_priors
        attach_priors(out, [s.sar for s in sources], spec.prior.cell_px)
    return out


# ----------------------------------------------------------------------------------------------
# torch datasets


def grid_windows(shape: tuple[int, int], tile: int) -> list[tuple[slice, slice]]:
    """Non-overlapping tile windows covering the image; the last row/column is shifted inwards."""
    h, w = shape
    def starts(n: int) -> list[int]:
        if n <= tile:
            return [0]
        s = list(range(0, n - tile + 1, tile))
        if s[-1] + tile < n:
            s.append(n - tile)
        return s
    return [(slice(r, r + min(tile, h)), slice(c, c + min(tile, w))) for r in starts(h) for c in starts(w)]


class Sentinel12Dataset:
    """Paired S1/S2 data as ``(s1, s2)`` tensors: the reference design's loader, also used for
    validation and evaluation.

    ``root`` is an ``s1/`` + ``s2/`` folder, a scenes folder, or a folder of those. Without
    ``tile`` an item is a whole image; with it, an item is one non-overlapping grid tile.
    Items: ``s1`` (C,h,w) float32, exactly what a model of ``spec`` takes (every input channel,
    made as inference makes it), and ``s2`` (3,h,w) float32 in [0,1], the stretched optical target
    in the model's colour convention. The mask of pixels where both are valid is ``valid(index)``,
    or the third item of each tuple with ``with_valid=True``. ``spec`` defaults to the bundled
    model's inputs, so ``model = UNetDenoiseRobust.from_file(); model(s1.unsqueeze(0))`` just works.
    """

    def __init__(self, root=None, spec: Optional[InputSpec] = None, tile: Optional[int] = None,
                 band_roles: Optional[BandRoles] = None, pairs: Optional[Sequence[PairedImage]] = None,
                 max_tiles_per_pair: Optional[int] = None, with_valid: bool = False):
        if spec is None:
            from ..core.modelfile import DEFAULT_MODEL_PATH, read_metadata

            spec = read_metadata(DEFAULT_MODEL_PATH).inputs
        self.spec = spec
        self.with_valid = with_valid
        if pairs is None:
            if root is None:
                raise ValueError("give root or pairs")
            pairs = load_sources(discover(Path(root)), spec, band_roles or BandRoles())
        self.pairs = list(pairs)
        self.items: list[tuple[int, slice, slice]] = []
        for i, p in enumerate(self.pairs):
            wins = grid_windows(p.shape, tile) if tile else [(slice(None), slice(None))]
            if max_tiles_per_pair and len(wins) > max_tiles_per_pair:
                pick = np.linspace(0, len(wins) - 1, max_tiles_per_pair).round().astype(int)
                wins = [wins[j] for j in pick]
            self.items += [(i, r, c) for r, c in wins]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int):
        import torch

        i, r, c = self.items[index]
        p = self.pairs[i]
        s1 = torch.from_numpy(p.inputs(self.spec, r, c))
        s2 = torch.from_numpy(p.target_float(r, c))
        return (s1, s2, self.valid(index)) if self.with_valid else (s1, s2)

    def valid(self, index: int):
        """(h, w) bool tensor: where SAR and optical are both valid (where a loss or score counts)."""
        import torch

        i, r, c = self.items[index]
        return torch.from_numpy(self.pairs[i].target_valid[r, c].copy())

    def dataset_of(self, index: int) -> str:
        return self.pairs[self.items[index][0]].dataset

    def name_of(self, index: int) -> str:
        """The pair an item comes from, "<dataset>/<file or scene>"."""
        return self.pairs[self.items[index][0]].name


WATER_SAR_BELOW = 0.12      # normalised radar (0..1 = the 2nd..98th percentile), mean over WATER_WINDOW px
WATER_OPTICAL_BELOW = 0.4   # target luminance (0..1), mean over WATER_WINDOW px
WATER_WINDOW = 15


def water_pixels(pair: PairedImage, spec: InputSpec) -> np.ndarray:
    """Flat indices of the pair's pixels that are water as the data shows it: radar dark over 15 px
    (the mean of its normalised bands) and optical dark over 15 px. Sea, lakes and reservoirs are
    rare in the training sets (3 % of LA/Texas, under 1 % elsewhere) and no model trained on equal
    draws learnt them: MODEL.md, "Water tiles"."""
    from scipy.ndimage import uniform_filter

    from ..core.sar import normalise

    levels = [normalise(a.astype(np.float32), pair.stats[b], spec.normalisation) for b, a in pair.bands.items()]
    with np.errstate(invalid="ignore"):
        radar = np.nanmean(np.stack(levels), axis=0) if len(levels) > 1 else levels[0]
    radar = np.where(np.isfinite(radar) & pair.valid, radar, np.float32(1.0))
    optical = pair.target.astype(np.float32).mean(axis=0) / np.float32(255.0)
    water = (uniform_filter(radar, WATER_WINDOW) < WATER_SAR_BELOW) & \
            (uniform_filter(optical, WATER_WINDOW) < WATER_OPTICAL_BELOW) & pair.target_valid
    return np.flatnonzero(water).astype(np.int64)


def set_shares(areas: Sequence[float], power: float) -> np.ndarray:
    """Each data set's share of the training tiles, in proportion to its pixel count ** power: 0 gives
    every set the same share (a small set is not drowned by a big one), 1 gives every pixel the same
    chance. 0.5 was measured and not kept (MODEL.md, "Data sets mixed by the square root of their size")."""
    a = np.asarray(areas, float) ** float(power)
    return a / a.sum()


def place_group(name: str) -> str:
    """The group a pair is drawn with under ``group_power``: its data set and the first word of its name
    (BigEarthNet's country, ``finland`` or ``sen12mscr`` in temperate-pairs)."""
    dataset, _, stem = name.rpartition("/")
    return f"{dataset}/{stem.split('_', 1)[0]}"


def pair_weights(pairs: Sequence[PairedImage], group_power: float = 1.0) -> np.ndarray:
    """Each pair's chance within its data set: its area, with the place groups' (``place_group``) shares
    going with their area ** group_power: 1 every pixel alike, 0 every group alike (57 Finnish BigEarthNet
    patches then weigh what one Swiss one does), between them a big group is damped, not drowned."""
    a = np.array([p.shape[0] * p.shape[1] for p in pairs], float)
    if group_power == 1:
        return a / a.sum()
    _, group = np.unique([place_group(p.name) for p in pairs], return_inverse=True)
    group_area = np.bincount(group, weights=a)
    share = group_area ** float(group_power)
    return share[group] / share.sum() * a / group_area[group]


class RandomTileDataset:
    """Training tiles: each item picks a data set (by default each with equal probability, not by pixel
    count: ``set_power``), a pair of it, a random window, augments it and returns (x, y, valid); or, for
    a ``water_share`` of the items, a window around a random water pixel of all pairs (``water_pixels``).
    Deterministic for (seed, epoch, index)."""

    def __init__(self, pairs: Sequence[PairedImage], spec: InputSpec, tile: int, length: int,
                 seed: int = 0, augment: Optional["AugmentConfig"] = None, min_valid: float = 0.5,
                 prior: Optional["PriorConfig"] = None, set_power: float = 0.0, water_share: float = 0.0,
                 group_power: float = 1.0):
        from .augment import AugmentConfig
        from .priors import PriorConfig

        self.prior = prior or PriorConfig.measured()
        self.spec = spec
        self.tile = tile
        self.length = length
        self.seed = seed
        self.epoch = 0
        self.augment = augment or AugmentConfig()
        self.min_valid = min_valid
        groups: dict[str, list[PairedImage]] = {}
        for p in pairs:
            if min(p.shape) < tile + 2 * self.augment.max_shift:
                raise DatasetError(f"{p.name}: {p.shape[1]} x {p.shape[0]} px is smaller than a training tile "
                                   f"of {tile} px plus {self.augment.max_shift} px shift margin")
            groups.setdefault(p.dataset, []).append(p)
        if not groups:
            raise DatasetError("no training pairs")
        self.groups = [groups[k] for k in sorted(groups)]
        self.group_names = sorted(groups)
        # within a data set, pairs are drawn in proportion to their area (a big scene gives more tiles),
        # their place groups damped by group_power
        self.group_power = float(group_power)
        self.weights = [pair_weights(g, self.group_power) for g in self.groups]
        areas = [float(sum(p.shape[0] * p.shape[1] for p in g)) for g in self.groups]
        self.set_power = float(set_power)
        self.set_shares = set_shares(areas, set_power)
        self.water_share = float(water_share)
        self.water: list[tuple[PairedImage, np.ndarray]] = []
        if not 0 <= self.water_share <= 1:
            raise DatasetError(f"--water-share {water_share}: a share of the tiles, from 0 to 1")
        if self.water_share > 0:
            m = self.augment.max_shift  # a tile keeps m px from the border: water nearer to it could not be in one
            self.water = [(p, w) for g in self.groups for p in g if len(w := self._inside(water_pixels(p, spec), p, m))]
            if not self.water:
                raise DatasetError(f"--water-share {water_share}: no training pair has water (radar and optical "
                                   f"dark over {WATER_WINDOW} px)")
            counts = np.array([len(w) for _, w in self.water], float)
            self.water_weights = counts / counts.sum()

    @staticmethod
    def _inside(flat: np.ndarray, pair: PairedImage, margin: int) -> np.ndarray:
        h, w = pair.shape
        r, c = np.divmod(flat, w)
        return flat[(r >= margin) & (r < h - margin) & (c >= margin) & (c < w - margin)]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def pick_pair(self, rng: np.random.Generator) -> PairedImage:
        """A data set by its share, then a pair of it by its area."""
        # power 0 draws as before the option existed, so earlier recipes cut the same tiles
        g = int(rng.integers(len(self.groups))) if self.set_power == 0 else \
            int(rng.choice(len(self.groups), p=self.set_shares))
        return self.groups[g][int(rng.choice(len(self.groups[g]), p=self.weights[g]))]

    def water_window(self, rng: np.random.Generator) -> tuple[PairedImage, int, int]:
        """A pair and a tile's top-left corner such that the tile holds a water pixel drawn uniformly
        from all pairs' water, anywhere in the tile (so the tiles show shores as well as open water)."""
        pair, water = self.water[int(rng.choice(len(self.water), p=self.water_weights))]
        r, c = divmod(int(water[rng.integers(len(water))]), pair.shape[1])
        t, m = self.tile, self.augment.max_shift
        h, w = pair.shape
        r0 = min(max(r - int(rng.integers(t)), m), h - t - m)
        c0 = min(max(c - int(rng.integers(t)), m), w - t - m)
        return pair, r0, c0

    def __getitem__(self, index: int):
        import torch
        from .augment import augment_pair, jitter_sar_levels

        rng = np.random.default_rng([self.seed, self.epoch, index])
        t, m = self.tile, self.augment.max_shift
        if self.water_share > 0 and rng.random() < self.water_share:
            pair, r0, c0 = self.water_window(rng)
        else:  # without water tiles no extra draw: earlier recipes cut the same tiles
            pair = self.pick_pair(rng)
            h, w = pair.shape
            for _ in range(10):
                r0 = int(rng.integers(m, h - t - m + 1))
                c0 = int(rng.integers(m, w - t - m + 1))
                if pair.target_valid[r0:r0 + t, c0:c0 + t].mean() >= self.min_valid:
                    break
        dy, dx = (int(v) for v in rng.integers(-m, m + 1, size=2)) if m else (0, 0)
        drop = self.augment.drop_bands(pair, rng, self.spec)
        prior = None
        if self.spec.prior is not None:
            from .priors import pick_training_prior
            prior = pick_training_prior(pair.priors, rng, self.prior)
        x = pair.inputs(self.spec, slice(r0, r0 + t), slice(c0, c0 + t), drop=drop, prior=prior,
                        use_default_prior=False)
        y = pair.target_float(slice(r0 + dy, r0 + dy + t), slice(c0 + dx, c0 + dx + t))
        v = pair.valid[r0:r0 + t, c0:c0 + t] & pair.target_valid[r0 + dy:r0 + dy + t, c0 + dx:c0 + dx + t]
        x, y, v = augment_pair(x, y, v, rng, self.augment)
        if prior is not None:
            from .priors import recolour_tile
            x, y = recolour_tile(x, y, self.spec.sar_channels, rng, self.prior)
        # last, so that the tile, its flips and its prior are those of a run without it
        x = jitter_sar_levels(x, len(self.spec.bands), rng, self.augment.sar_gamma)
        return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(v)


def describe(pairs: Sequence[PairedImage]) -> dict[str, dict]:
    """Per data set: number of pairs, pixels, units and bands (for logs and model metadata)."""
    out: dict[str, dict] = {}
    for p in pairs:
        d = out.setdefault(p.dataset, {"pairs": 0, "megapixels": 0.0, "units": p.units, "bands": sorted(p.bands)})
        d["pairs"] += 1
        d["megapixels"] = round(d["megapixels"] + p.shape[0] * p.shape[1] / 1e6, 3)
    return out


def mean_target_colour(pairs: Sequence[PairedImage]) -> list[float]:
    """Mean stretched RGB over data sets, each data set weighted equally (the balanced mix's mean)."""
    per = {}
    for p in pairs:
        per.setdefault(p.dataset, []).append(p.target[:, p.target_valid].astype(np.float64).mean(axis=1) / 255.0)
    means = [np.mean(v, axis=0) for v in per.values()]
    return [float(c) for c in np.mean(means, axis=0)]
