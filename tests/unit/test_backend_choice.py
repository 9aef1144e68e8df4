"""Which backend and device `auto` picks."""
import pytest

from sar_colorizer.core import backends
from sar_colorizer.core.onnx_export import export_onnx


@pytest.fixture
def gpu_without_onnxruntime_gpu(monkeypatch):
    """A machine whose PyTorch sees a CUDA GPU, with the CPU-only onnxruntime package."""
    pytest.importorskip("onnxruntime")
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime can run on CUDA")
    monkeypatch.setattr(backends, "nvidia_driver_present", lambda: True)
    monkeypatch.setattr(backends, "_torch_cuda", lambda: True)


def test_an_onnx_model_runs_on_the_cpu_where_onnxruntime_cannot_use_the_gpu(
        gpu_without_onnxruntime_gpu, model_file, tmp_path):
    onnx_path = export_onnx(model_file, tmp_path / "m.onnx")
    backend = backends.load_backend(onnx_path, "auto", "auto")
    assert (backend.name, backend.device) == ("onnx", "cpu")


def test_the_onnx_backend_asked_for_runs_on_the_cpu_where_it_cannot_use_the_gpu(
        gpu_without_onnxruntime_gpu, model_file, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    backend = backends.load_backend(model_file, "onnx", "auto")
    assert (backend.name, backend.device) == ("onnx", "cpu")


def test_the_gpu_asked_for_with_cpu_only_onnxruntime_says_what_is_missing(
        gpu_without_onnxruntime_gpu, model_file, tmp_path):
    onnx_path = export_onnx(model_file, tmp_path / "m.onnx")
    with pytest.raises(backends.SarColorizerError,
                       match="^device cuda with the onnx backend needs the onnxruntime-gpu package$"):
        backends.load_backend(onnx_path, "auto", "cuda")


def test_an_onnx_model_is_refused_for_the_torch_backend(model_file, tmp_path):
    onnx_path = export_onnx(model_file, tmp_path / "m.onnx")
    with pytest.raises(backends.SarColorizerError, match="^an .onnx model runs on the onnx backend"):
        backends.load_backend(onnx_path, "torch", "auto")
