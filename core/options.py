"""Parameters and results of one colorize run, shared by the CLI, QGIS and the demo."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

BACKENDS = ("auto", "torch", "onnx")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ColorizeOptions:
    model_path: Optional[Path] = None          # None: the bundled model
    bands: Optional[dict[str, int]] = None     # {"VV": 1, "VH": 2} (1-based); None: detect
    units: str = "auto"                        # auto | db | linear | dn
    tile_size: Optional[int] = None            # None: the model's own
    overlap: Optional[int] = None              # None: the model's own
    backend: str = "auto"
    device: str = "auto"
    batch_size: Optional[int] = None           # None: 1 on the CPU, 8 on CUDA (see batch_size_for)
    overwrite: bool = False
    threads: Optional[int] = None              # None: all cores
    # xmin, ymin, xmax, ymax in the input's CRS (lon/lat for a GRD placed by GCPs); None: all of it
    extent: Optional[tuple[float, float, float, float]] = None
    # colour prior (core/prior_source.py): auto | world | none | a colour reference raster (path or GDAL name)
    palette: str = "auto"
    reference_bands: Optional[tuple[int, int, int]] = None  # the reference's R, G, B bands; None: detect
    # colorize even an input that looks optical or is an output of SAR Colorizer (core/input_guards.py)
    allow_optical_input: bool = False


def batch_size_for(device: str, asked: Optional[int]) -> int:
    """Tiles per model call. On the CPU one tile at a time was as fast or faster (benchmarks/RESULTS.md:
    a batch of 4 tiles of 256 px no longer fits the per-core cache); a GPU wants a batch."""
    if asked:
        return max(1, int(asked))
    return 8 if device == "cuda" else 1


@dataclass
class ColorizeResult:
    output_path: Path
    width: int
    height: int
    seconds: float
    backend: str
    device: str
    bands_used: dict[str, int]
    units: str
    warnings: list[str] = field(default_factory=list)

    @property
    def megapixels_per_second(self) -> float:
        return self.width * self.height / 1e6 / max(self.seconds, 1e-9)

    def summary(self) -> str:
        return (
            f"{self.output_path}: {self.width} x {self.height} px "
            f"({self.width * self.height / 1e6:.2f} MP) in {self.seconds:.1f} s, "
            f"{self.megapixels_per_second:.2f} MP/s, backend {self.backend} on {self.device}"
        )
