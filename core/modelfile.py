"""The model file: weights and metadata in one safetensors file, loaded without running code.

safetensors stores raw tensors plus a string-to-string header; the metadata lives as JSON under
one header key. Nothing in the file is ever unpickled or executed.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

from .errors import ModelFileError
from .architecture import ArchitectureConfig

FORMAT_VERSION = 1
METADATA_KEY = "sar_colorizer"
KNOWN_BANDS = ("VV", "VH")
PRIOR_KINDS = ("reference", "palette")  # where a prior came from (core/prior_source.ChosenPrior.kind)

# Where the trained model ships inside the plugin folder; the CLI and QGIS default to it.
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "sar_colorizer.safetensors"


@dataclass(frozen=True)
class Normalisation:
    """Per-scene linear stretch: the `low`..`high` percentiles of the valid pixels map to 0..1."""

    method: str = "percentile"
    low: float = 2.0
    high: float = 98.0
    clip: tuple[float, float] = (-0.5, 1.5)

    @classmethod
    def from_dict(cls, d: dict) -> "Normalisation":
        if d.get("method") != "percentile":
            raise ModelFileError(f"unknown input normalisation method {d.get('method')!r}")
        return cls(method="percentile", low=float(d["low"]), high=float(d["high"]),
                   clip=tuple(float(c) for c in d.get("clip", (-0.5, 1.5))))


@dataclass(frozen=True)
class PriorSpec:
    """The colour prior the model takes after its SAR channels (core/prior.py): R, G, B of the
    place's coarse colour in the model's colour convention and a presence flag, interpolated from
    cells of ``cell_px`` pixels; all four zero = no prior (the model's no-prior mode)."""

    channels: tuple[str, ...] = ("prior_R", "prior_G", "prior_B", "prior_present")
    cell_px: int = 256
    convention: str = ""  # what 0..1 means (core/prior.COLOUR_CONVENTION)
    # the prior kinds ("reference", "palette") whose coarse colours the output keeps, the model adding
    # the structure finer than coarse_sigma_px (core/coarse_colours.py); () = the model's colours as they are
    coarse_from: tuple[str, ...] = ()
    coarse_sigma_px: float = 64.0

    def to_dict(self) -> dict:
        d = {"channels": list(self.channels), "cell_px": self.cell_px, "convention": self.convention}
        if self.coarse_from:
            d |= {"coarse_from": list(self.coarse_from), "coarse_sigma_px": self.coarse_sigma_px}
        return d

    def __post_init__(self) -> None:
        # here, not in from_dict: a spec made in code (training, re-publishing) is checked alike
        unknown = [k for k in self.coarse_from if k not in PRIOR_KINDS]
        if unknown:
            raise ModelFileError(f"model colour prior keeps the coarse colours of {unknown}; this version knows "
                                 f"{list(PRIOR_KINDS)}")
        if not self.coarse_sigma_px > 0:
            raise ModelFileError(f"model colour prior's coarse_sigma_px must be positive, not {self.coarse_sigma_px}")

    @classmethod
    def from_dict(cls, d: dict) -> "PriorSpec":
        channels = tuple(str(c) for c in d.get("channels", cls.channels))
        if len(channels) != 4:
            raise ModelFileError(f"model colour prior has {len(channels)} channels; this version knows 4 (R, G, B, present)")
        return cls(channels=channels, cell_px=int(d.get("cell_px", 256)), convention=str(d.get("convention", "")),
                   coarse_from=tuple(str(k) for k in d.get("coarse_from", ())),
                   coarse_sigma_px=float(d.get("coarse_sigma_px", 64.0)))

    def keeps_coarse_colours_of(self, kind: str) -> bool:
        return kind in self.coarse_from

    def kept_sigma_px(self, kind: str) -> Optional[float]:
        """The blur scale to keep a prior of ``kind``'s coarse colours at (core/coarse_colours.py), or None."""
        return self.coarse_sigma_px if self.keeps_coarse_colours_of(kind) else None


@dataclass(frozen=True)
class InputSpec:
    """Which SAR bands the model reads, and how.

    With ``availability_channels`` the model gets one extra constant 0/1 channel per band saying
    whether that band was present, so one model can take VV, VH or both; a missing band's value
    channel is zero. Without it every band in ``bands`` is required.
    """

    bands: tuple[str, ...] = ("VV",)
    availability_channels: bool = False
    units: str = "dB"
    normalisation: Normalisation = Normalisation()
    prior: Optional[PriorSpec] = None  # a colour prior after the SAR channels (None: SAR only)

    @property
    def sar_channels(self) -> int:
        return len(self.bands) * (2 if self.availability_channels else 1)

    @property
    def channels(self) -> int:
        return self.sar_channels + (len(self.prior.channels) if self.prior else 0)

    @property
    def required_bands(self) -> tuple[str, ...]:
        """Bands that must be present: all of them unless availability channels exist."""
        return () if self.availability_channels else self.bands


@dataclass(frozen=True)
class OutputSpec:
    bands: tuple[str, ...] = ("R", "G", "B")
    scale: float = 255.0   # byte = clip(model_output * scale + offset, 0, 255)
    offset: float = 0.0
    target_stretch: str = ""  # how the optical training targets were stretched (model card)


@dataclass(frozen=True)
class TileSpec:
    size: int = 256
    overlap: int = 64


@dataclass
class ModelMetadata:
    architecture: ArchitectureConfig = ArchitectureConfig()
    inputs: InputSpec = InputSpec()
    output: OutputSpec = OutputSpec()
    tile: TileSpec = TileSpec()
    name: str = "sar-colorizer"
    description: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # ground size of the pixels it learnt from (Sentinel-1 GRD: 10 m); files without the field are 10 m ones
    pixel_size_m: float = 10.0

    def to_dict(self) -> dict:
        return {
            "format_version": self.format_version,
            "name": self.name,
            "description": self.description,
            "architecture": self.architecture.to_dict(),
            "inputs": {
                "bands": list(self.inputs.bands),
                "availability_channels": self.inputs.availability_channels,
                "units": self.inputs.units,
                "normalisation": {**asdict(self.inputs.normalisation),
                                  "clip": list(self.inputs.normalisation.clip)},
            } | ({"prior": self.inputs.prior.to_dict()} if self.inputs.prior else {}),
            "output": {**asdict(self.output), "bands": list(self.output.bands)},
            "tile": asdict(self.tile),
            "pixel_size_m": self.pixel_size_m,
            "training": self.training,
            "metrics": self.metrics,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelMetadata":
        version = d.get("format_version")
        if version != FORMAT_VERSION:
            raise ModelFileError(
                f"model file format_version {version!r} is not supported by this version of "
                f"SAR Colorizer (it reads format_version {FORMAT_VERSION}); update the plugin "
                "or re-export the model"
            )
        try:
            inputs = d["inputs"]
            bands = tuple(str(b).upper() for b in inputs["bands"])
            unknown = [b for b in bands if b not in KNOWN_BANDS]
            if unknown or not bands:
                raise ModelFileError(f"model input bands {list(bands)} are not a subset of {list(KNOWN_BANDS)}")
            out = d.get("output", {})
            tile = d.get("tile", {})
            meta = cls(
                architecture=ArchitectureConfig.from_dict(d["architecture"]),
                inputs=InputSpec(
                    bands=bands,
                    availability_channels=bool(inputs.get("availability_channels", False)),
                    units=str(inputs.get("units", "dB")),
                    normalisation=Normalisation.from_dict(inputs["normalisation"]),
                    prior=PriorSpec.from_dict(inputs["prior"]) if inputs.get("prior") else None,
                ),
                output=OutputSpec(
                    bands=tuple(out.get("bands", ("R", "G", "B"))),
                    scale=float(out.get("scale", 255.0)),
                    offset=float(out.get("offset", 0.0)),
                    target_stretch=str(out.get("target_stretch", "")),
                ),
                tile=TileSpec(size=int(tile.get("size", 256)), overlap=int(tile.get("overlap", 64))),
                name=str(d.get("name", "sar-colorizer")),
                description=str(d.get("description", "")),
                training=dict(d.get("training", {})),
                metrics=dict(d.get("metrics", {})),
                pixel_size_m=float(d.get("pixel_size_m", 10.0)),
            )
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"model metadata is incomplete or malformed: {exc!r}") from exc
        if meta.architecture.prior_residual and meta.inputs.prior is None:
            raise ModelFileError("model metadata is inconsistent: the network adds a colour prior to its output "
                                 "but the inputs section describes none")
        if meta.architecture.in_channels != meta.inputs.channels:
            raise ModelFileError(
                f"model metadata is inconsistent: the network takes {meta.architecture.in_channels} "
                f"channels but the inputs section describes {meta.inputs.channels}"
            )
        return meta


@dataclass
class LoadedModel:
    path: Path
    metadata: ModelMetadata
    state_dict: dict  # name -> torch.Tensor

    def build(self):
        """A RobustUNet in eval mode with these weights (needs torch)."""
        from .model import RobustUNet

        net = RobustUNet(self.metadata.architecture)
        try:
            net.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as exc:
            raise ModelFileError(f"{self.path}: weights do not match the architecture in its metadata: {exc}") from exc
        return net.eval()


def save_model_file(path: str | os.PathLike, model, metadata: ModelMetadata) -> Path:
    """Write weights + metadata atomically (temp name, then rename)."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_name(path.name + ".partial")
    save_file(tensors, str(tmp), metadata={METADATA_KEY: metadata.to_json()})
    os.replace(tmp, path)
    return path


def read_metadata(path: str | os.PathLike) -> ModelMetadata:
    """Only the metadata (cheap: reads the header), e.g. for QGIS help text."""
    return _open(path, load_tensors=False).metadata


def load_model_file(path: str | os.PathLike) -> LoadedModel:
    return _open(path, load_tensors=True)


def _open(path: str | os.PathLike, load_tensors: bool) -> LoadedModel:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError as exc:
        if load_tensors:  # training and the torch backend, whose requirements hold safetensors
            raise ModelFileError("the 'safetensors' package is missing (pip install -r requirements-train.txt)") from exc
        # colorizing runs on the ONNX export without safetensors; the help text still reads this
        return LoadedModel(path=path, metadata=_metadata_from_json(path, _header_metadata(path)), state_dict={})
    try:
        # numpy for a metadata-only read: no torch import when QGIS only wants the help text
        with safe_open(str(path), framework="pt" if load_tensors else "numpy") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()} if load_tensors else {}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"{path} is not a readable SAR Colorizer model file (expected a safetensors file "
            f"with weights and metadata; it may be corrupt or truncated): {exc}"
        ) from exc
    return LoadedModel(path=path, metadata=_metadata_from_json(path, header), state_dict=tensors)


def _metadata_from_json(path: Path, header: dict) -> ModelMetadata:
    if METADATA_KEY not in header:
        raise ModelFileError(f"{path} is a safetensors file but holds no SAR Colorizer metadata")
    try:
        raw = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: model metadata is not valid JSON: {exc}") from exc
    return ModelMetadata.from_dict(raw)


def _header_metadata(path: Path) -> dict:
    """The ``__metadata__`` strings of a safetensors file read with the standard library, as the
    format lays them out (an 8-byte little-endian length, then that many bytes of JSON), for a
    Python without the safetensors package."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 2 <= size <= min(path.stat().st_size - 8, 100 << 20):
                raise ValueError(f"header length {size} does not fit the file")
            header = json.loads(f.read(size))
        metadata = header.get("__metadata__") or {}
        if not isinstance(metadata, dict):
            raise ValueError("__metadata__ is not a table")
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelFileError(
            f"{path} is not a readable SAR Colorizer model file (expected a safetensors file "
            f"with weights and metadata; it may be corrupt or truncated): {exc}") from exc
    return metadata
