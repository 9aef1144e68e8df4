"""Run the model on batches of tiles with torch or ONNX Runtime, from the same model file.

`auto` prefers ONNX Runtime on the CPU and torch on CUDA. On an idle CPU the two are close (ORT
1.11x torch in channels_last at batch 1 with the bundled model, benchmarks/RESULTS.md); on a busy
one, torch's OpenMP threads collapse and ONNX Runtime was 2-8x faster, so it is the safer default
for a GIS desktop. An ONNX export beside the model file is used when its recorded source hash matches
the model file and it records this exporter's graph version (onnx_export.GRAPH_VERSION);
otherwise one is exported into a cache folder once (needs torch).

torch is optional: without it (the plugin's and the CLI's usual case) a .safetensors model runs on
its ONNX export, and colorizing needs only onnxruntime, numpy and GDAL.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .errors import ModelFileError, SarColorizerError
from .modelfile import ModelMetadata, load_model_file, read_metadata

ORT_MISSING = ("colorizing needs the onnxruntime package, which is not installed in this Python "
               "(pip install onnxruntime; in QGIS: the plugin's Install button)")
TORCH_MISSING = ("the torch backend needs PyTorch, which is not installed in this Python; "
                 "the onnx backend (the default) needs only onnxruntime")
# ONNX Runtime's own switch for its telemetry (the 1DS SDK: a device id and a process-information
# event queued in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db, sent to Microsoft).
# It must be set before onnxruntime is first imported: importing it is what writes the folder, and
# onnxruntime.disable_telemetry_events() afterwards does not remove or stop it (measured, 1.32.0).
ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


@dataclass
class Backend:
    name: str
    device: str
    metadata: ModelMetadata
    run: Callable[[np.ndarray], np.ndarray]  # (N, C, H, W) float32 -> (N, 3, H, W) float32
    path: Optional[Path] = None  # the file it runs: the model file (torch) or the ONNX export chosen


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def nvidia_driver_present() -> bool:
    """Whether an NVIDIA driver is installed: without one CUDA cannot be available, and asking
    torch would cost importing it (seconds and about 230 MB) for an ONNX Runtime run on the CPU."""
    if sys.platform.startswith("linux"):
        import ctypes.util

        # the kernel driver, WSL2's GPU device, or the CUDA driver library (containers, WSL2)
        return (Path("/proc/driver/nvidia/version").exists() or Path("/dev/dxg").exists()
                or ctypes.util.find_library("cuda") is not None)
    if sys.platform == "win32":
        return (Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32" / "nvcuda.dll").exists()
    return False  # macOS: no CUDA


def import_onnxruntime():
    """onnxruntime, imported with its telemetry off (unless the user set ORT_DISABLE_TELEMETRY)."""
    os.environ.setdefault(ORT_TELEMETRY_ENV, "1")
    import onnxruntime

    return onnxruntime


def _torch_cuda() -> bool:
    if not nvidia_driver_present() or not _has("torch"):
        return False
    import torch

    return torch.cuda.is_available()


def _ort_cuda() -> bool:
    """Whether ONNX Runtime can run on CUDA: only the onnxruntime-gpu package can."""
    if not nvidia_driver_present() or not _has("onnxruntime"):
        return False
    return "CUDAExecutionProvider" in import_onnxruntime().get_available_providers()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sar_colorizer"


def torch_backend(model_path: Path, device: str, threads: Optional[int]) -> Backend:
    if not _has("torch"):
        raise SarColorizerError(TORCH_MISSING)
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise SarColorizerError("device cuda was asked for but PyTorch sees no CUDA GPU")
    if threads:
        torch.set_num_threads(threads)
    loaded = load_model_file(model_path)
    net = loaded.build().to(device)
    # channels_last (NHWC) lets oneDNN skip layout reorders around every convolution: measured
    # 1.3-1.8x faster than NCHW on the CPU, same output to 1e-7 (benchmarks/backends.py)
    channels_last = device == "cpu"
    if channels_last:
        net = net.to(memory_format=torch.channels_last)

    def run(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(batch).to(device)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            return net(x).float().cpu().contiguous().numpy()

    if device == "cuda":
        run = smaller_batches_when_out_of_memory(run, torch.cuda.OutOfMemoryError, torch.cuda.empty_cache)
    return Backend("torch", device, loaded.metadata, run, model_path)


def smaller_batches_when_out_of_memory(run: Callable[[np.ndarray], np.ndarray], oom: type,
                                       release: Callable[[], None]) -> Callable[[np.ndarray], np.ndarray]:
    """A run() that halves the batch when the GPU runs out of memory, and keeps the smaller size
    for the batches after it: the default batch of 8 tiles must not fail on a small GPU (a laptop's
    2-4 GB) where fewer tiles at a time fit. One tile that does not fit is a clear error."""
    largest = 0  # the largest batch known to fit after a failure; 0: no failure yet

    def run_fitting(batch: np.ndarray) -> np.ndarray:
        nonlocal largest
        n, step = len(batch), largest
        if step and n > step:
            return np.concatenate([run_fitting(batch[k : k + step]) for k in range(0, n, step)])
        try:
            return run(batch)
        except oom as exc:
            if n == 1:
                release()
                raise SarColorizerError(
                    f"the GPU ran out of memory on a single tile of {batch.shape[-1]} x {batch.shape[-2]} px: "
                    "use a smaller --tile-size, or --device cpu") from exc
        # retried only out of the except block: until then the exception's traceback holds the
        # failed attempt's frames, and with them its tensors on the GPU (seen on an H200: a
        # single tile then ran out of memory under a cap that two tiles fit)
        release()
        largest = n // 2
        return run_fitting(batch)

    return run_fitting


def cached_onnx_export(model_path: Path, digest: str) -> Path:
    """An ONNX export of the model file by this exporter in the cache folder, made once (needs
    torch). The name holds the graph version, so an export by an older exporter is not reused;
    the same model file's exports by older exporters are deleted."""
    from .onnx_export import GRAPH_VERSION, export_onnx

    cached = cache_dir() / f"{digest}-g{GRAPH_VERSION}.onnx"
    if cached.is_file():
        _drop_older_exports(cached, digest)
        return cached
    if not _has("torch"):
        read_metadata(model_path)  # a corrupt or foreign file says so, not that it lacks an export
        raise ModelFileError(
            f"{model_path.name} has no ONNX export made from it (beside it as "
            f"{model_path.with_suffix('.onnx').name}, or in {cache_dir()}) and making one needs PyTorch, "
            "which is not installed: give the model's .onnx export as the model, or install torch")
    cached.parent.mkdir(parents=True, exist_ok=True)
    exported = export_onnx(model_path, cached)
    _drop_older_exports(cached, digest)
    return exported


def _drop_older_exports(current: Path, digest: str) -> None:
    """Delete this model file's exports by older exporters: they are never used again."""
    for older in current.parent.glob(f"{digest}-g*.onnx"):
        if older != current:
            try:
                older.unlink()
            except OSError:  # another process may be using or removing it: it is only a cache
                pass


def onnx_backend_for_model(model_path: Path, device: str, threads: Optional[int]) -> Backend:
    """ONNX Runtime on the export beside the model file when it is current (its recorded source
    hash matches and this exporter's graph version), else on a cached export; each session is
    opened once."""
    from .onnx_export import GRAPH_VERSION, file_sha256

    digest = file_sha256(model_path)
    beside = model_path.with_suffix(".onnx")
    if beside.is_file():
        backend, source, version = _onnx_session(beside, device, threads)
        # an export of this model by an older exporter gives the same pixels, only slower: used
        # only where no new one can be made (no torch)
        if source == digest and (version == GRAPH_VERSION or not _has("torch")):
            return backend
    return _onnx_session(cached_onnx_export(model_path, digest), device, threads)[0]


def onnx_backend(onnx_path: Path, device: str, threads: Optional[int]) -> Backend:
    """An .onnx file given as the model runs whatever its graph version (an older export gives the
    same pixels, only slower)."""
    return _onnx_session(onnx_path, device, threads)[0]


def _onnx_session(onnx_path: Path, device: str, threads: Optional[int]) -> tuple[Backend, str, int]:
    """The backend, and the source hash and graph version the ONNX file records."""
    if not _has("onnxruntime"):
        raise SarColorizerError(ORT_MISSING)
    ort = import_onnxruntime()

    from .onnx_export import read_onnx_metadata

    providers = ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise SarColorizerError("device cuda with the onnx backend needs the onnxruntime-gpu package")
        providers.insert(0, "CUDAExecutionProvider")
    so = ort.SessionOptions()
    if threads:
        so.intra_op_num_threads = threads
    try:
        sess = ort.InferenceSession(str(onnx_path), so, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelFileError(f"{onnx_path} is not a readable ONNX model: {exc}") from exc
    metadata, source, version = read_onnx_metadata(sess)

    def run(batch: np.ndarray) -> np.ndarray:
        return sess.run(["rgb"], {"sar": batch})[0]

    return Backend("onnx", device, metadata, run, onnx_path), source, version


def load_backend(model_path: Path, backend: str = "auto", device: str = "auto",
                 threads: Optional[int] = None) -> Backend:
    """Pick and start a backend for a model file (.safetensors) or an ONNX export (.onnx)."""
    model_path = Path(model_path)
    is_onnx = model_path.suffix.lower() == ".onnx"
    if backend not in ("auto", "torch", "onnx"):
        raise SarColorizerError(f"unknown backend {backend!r}: use auto, torch or onnx")
    if is_onnx and backend == "torch":
        raise SarColorizerError("an .onnx model runs on the onnx backend; give the .safetensors model file for torch")
    if not model_path.is_file():
        raise ModelFileError(f"model file not found: {model_path}")
    if backend == "torch" and not _has("torch"):
        raise SarColorizerError(TORCH_MISSING)
    if device == "auto":
        # the GPU when the backend that will run can use it: a GPU beside the CPU-only
        # onnxruntime package must not turn a default run into an error
        device = "cuda" if (_ort_cuda() if is_onnx or backend == "onnx" else _torch_cuda()) else "cpu"
    if is_onnx:
        return onnx_backend(model_path, device, threads)
    if _has("safetensors"):
        read_metadata(model_path)  # clear error for a corrupt or foreign file, before anything else
    if backend == "auto":
        # torch only where it is installed and the better choice (CUDA) or the only one (no onnxruntime)
        backend = "onnx" if not _has("torch") or (device == "cpu" and _has("onnxruntime")) else "torch"
    if backend == "onnx":
        return onnx_backend_for_model(model_path, device, threads)
    return torch_backend(model_path, device, threads)
