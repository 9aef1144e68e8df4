"""Shared set-up for the benchmarks: the model file to time, synthetic SAR rasters, timers.

Weights do not change speed, so when the bundled model is not installed the benchmarks time a
random-weight model of the bundled architecture, written to a temporary folder.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data"

# The architecture of the bundled model (used when models/sar_colorizer.safetensors is absent).
BUNDLED_ARCH = dict(in_channels=4, base_channels=16, depth=4, align=True)
BUNDLED_TILE = dict(size=256, overlap=64)


def machine_line() -> str:
    import onnxruntime
    import torch

    load = os.getloadavg()
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, load avg {load[0]:.2f}; python {platform.python_version()}, "
            f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, numpy {np.__version__}")


def model_file(workdir: Path, base_channels: int | None = None, depth: int | None = None) -> tuple[Path, str]:
    """(model path, description). The bundled model if installed and no tiny size is asked for."""
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH

    if base_channels is None and depth is None and DEFAULT_MODEL_PATH.is_file():
        return DEFAULT_MODEL_PATH, f"bundled model {DEFAULT_MODEL_PATH.name}"
    return random_model(workdir, base_channels or BUNDLED_ARCH["base_channels"],
                        depth or BUNDLED_ARCH["depth"])


def random_model(workdir: Path, base_channels: int, depth: int) -> tuple[Path, str]:
    import torch

    from sar_colorizer.core.model import ArchitectureConfig, RobustUNet
    from sar_colorizer.core.modelfile import InputSpec, ModelMetadata, TileSpec, save_model_file

    torch.manual_seed(0)
    arch = ArchitectureConfig(in_channels=4, base_channels=base_channels, depth=depth, align=True)
    net = RobustUNet(arch).eval()
    meta = ModelMetadata(architecture=arch, inputs=InputSpec(bands=("VV", "VH"), availability_channels=True),
                         tile=TileSpec(**BUNDLED_TILE), name="benchmark-random")
    path = save_model_file(workdir / f"random_b{base_channels}_d{depth}.safetensors", net, meta)
    what = (f"random-weight RobustUNet(in_channels=4, base_channels={base_channels}, depth={depth}, align=True), "
            f"tile {BUNDLED_TILE['size']} overlap {BUNDLED_TILE['overlap']} (weights do not change speed)")
    return path, what


def synthetic_sar(path: Path, width: int, height: int, seed: int = 0, block: int = 512,
                  bands: tuple[str, ...] = ("VV", "VH"), striped: bool = False,
                  compressed: bool = False) -> Path:
    """A tiled (or, with ``striped``, GDAL's default strips), uncompressed (or, with ``compressed``,
    DEFLATE) Float32 dB GeoTIFF (bands VV, VH by default) of speckled texture.

    Written block row by block row, so making a 16000 x 16000 raster needs little memory. The
    texture is a smooth random field times exponential (1-look) speckle, converted to dB.
    """
    from osgeo import gdal, osr

    gdal.UseExceptions()
    rng = np.random.default_rng(seed)
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(str(path), width, height, len(bands), gdal.GDT_Float32,
                    (["BIGTIFF=YES"] if striped else
                     ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}", "BIGTIFF=YES"])
                    + (["COMPRESS=DEFLATE"] if compressed else []))
    ds.SetGeoTransform((500000.0, 10.0, 0.0, 5000000.0, 0.0, -10.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    ds.SetProjection(srs.ExportToWkt())
    for i, name in enumerate(bands, start=1):
        ds.GetRasterBand(i).SetDescription(name)
    # one block row of texture, reused with random horizontal rolls (cheap, still not periodic in x)
    coarse = rng.normal(size=(block // 32 + 2, width // 32 + 2)).astype(np.float32)
    field = np.kron(coarse, np.ones((32, 32), np.float32))[:block, :width]
    for y0 in range(0, height, block):
        rows = min(block, height - y0)
        base = np.roll(field, int(rng.integers(width)), axis=1)[:rows]
        for i, name in enumerate(bands, start=1):
            offset_db = -9.0 if name == "VV" else -16.0
            speckle = rng.exponential(size=(rows, width)).astype(np.float32)
            db = offset_db + 3.0 * base + 10.0 * np.log10(np.maximum(speckle, 1e-4))
            ds.GetRasterBand(i).WriteArray(db.astype(np.float32), 0, y0)
        ds.FlushCache()
    ds = None
    return path


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def interleaved(named: dict[str, Callable[[], object]], repeats: int,
                settle: float = 0.0) -> dict[str, list[float]]:
    """Run each callable `repeats` times, round robin, so background load hits all alike; with
    `settle`, idle that many seconds before each timed call (threads a previous call left
    spinning, ONNX Runtime's say, must not slow the next one)."""
    times: dict[str, list[float]] = {k: [] for k in named}
    for _ in range(repeats):
        for k, fn in named.items():
            time.sleep(settle)
            times[k].append(timed(fn))
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def say(msg: str = "") -> None:
    print(msg, flush=True)
    sys.stdout.flush()
