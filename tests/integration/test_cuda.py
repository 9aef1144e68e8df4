"""torch on CUDA: picked by `auto`, and the same pixels as the CPU backends on real data.

Skipped where PyTorch sees no CUDA GPU (CI and the development VM have none); run on a GPU
machine with `pytest tests/integration/test_cuda.py`."""
import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core.backends import load_backend
from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="PyTorch sees no CUDA GPU here")

SCENES = ["rhone-delta_vv_db_utm31n.tif", "na164_vv_linear_wgs84.tif"] + [
    f"sen12ms-cr-s1/ROIs1158_spring_s1_{n}.tif" for n in
    ("1_p169", "1_p36", "1_p540", "1_p607", "1_p608", "1_p636", "1_p637", "6_p55")]


@pytest.fixture(scope="module")
def bundled_model():
    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip(f"the bundled model is not installed at {DEFAULT_MODEL_PATH}")
    return DEFAULT_MODEL_PATH


def test_auto_picks_torch_on_the_gpu(bundled_model):
    backend = load_backend(bundled_model, "auto", "auto")
    assert (backend.name, backend.device) == ("torch", "cuda")


@pytest.mark.parametrize("name", SCENES)
def test_cuda_gives_the_cpu_pixels_within_one_level(shared_data, bundled_model, name, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    src = shared_data / "scenes" / name
    runs = {"cuda": ("torch", "cuda"), "cpu-torch": ("torch", "cpu"), "cpu-onnx": ("onnx", "cpu")}
    pixels = {}
    for key, (backend, device) in runs.items():
        out = tmp_path / f"{key}.tif"
        result = colorize(src, out, ColorizeOptions(model_path=bundled_model, backend=backend, device=device))
        assert (result.backend, result.device) == (backend, device)
        ds = gdal.Open(str(out))
        pixels[key] = ds.ReadAsArray().astype(np.int16)
        if key == "cuda":
            mask = ds.GetRasterBand(1).GetMaskBand().ReadAsArray()
        else:
            np.testing.assert_array_equal(ds.GetRasterBand(1).GetMaskBand().ReadAsArray(), mask)
        ds = None
    assert pixels["cuda"].std() > 5  # a real picture
    for key in ("cpu-torch", "cpu-onnx"):
        diff = np.abs(pixels["cuda"] - pixels[key])
        assert diff.max() <= 1, f"{key}: max difference {diff.max()} levels"
        # cuDNN's TF32 convolutions (PyTorch's default) round differently: on an H200, 97.5-99.4 %
        # of values were equal, the rest one level apart (benchmarks/RESULTS.md)
        assert (diff == 0).mean() > 0.95



def test_batches_too_large_for_the_gpu_memory_are_split(bundled_model, tmp_path, monkeypatch):
    """Under a memory cap that fits two tiles, batches of 32 still run: they are halved until they
    fit, with the pixels of an uncapped run."""
    src = tmp_path / "vv_vh.tif"
    rng = np.random.default_rng(3)
    ds = gdal.GetDriverByName("GTiff").Create(str(src), 1200, 1000, 2, gdal.GDT_Float32)
    ds.SetGeoTransform((600000, 10, 0, 5000000, 0, -10))
    for i, mean in ((1, -10.0), (2, -17.0)):
        ds.GetRasterBand(i).WriteArray(rng.normal(mean, 3, (1000, 1200)).astype(np.float32))
    ds = None
    opts = dict(model_path=bundled_model, backend="torch", device="cuda", bands={"VV": 1, "VH": 2})

    colorize(src, tmp_path / "free.tif", ColorizeOptions(batch_size=1, **opts))
    # what batches of 2 tiles reserve on the GPU (the caching allocator's segments, with all that
    # is held already), measured; the cap is half as much again, so batches of 32 cannot fit
    probe = load_backend(bundled_model, "torch", "cuda")
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    probe.run(np.zeros((2, probe.metadata.architecture.in_channels, 256, 256), np.float32))
    reserved_for_two = torch.cuda.max_memory_reserved()
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(min(1.0, 1.5 * reserved_for_two / total))
    releases, empty_cache = [], torch.cuda.empty_cache
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: (releases.append(1), empty_cache()))  # once per failure
    try:
        colorize(src, tmp_path / "capped.tif", ColorizeOptions(batch_size=32, **opts))
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    a = gdal.Open(str(tmp_path / "free.tif")).ReadAsArray().astype(np.int16)
    b = gdal.Open(str(tmp_path / "capped.tif")).ReadAsArray().astype(np.int16)
    assert np.abs(a - b).max() <= 1
    assert releases  # the cap was hit, and the batch split
