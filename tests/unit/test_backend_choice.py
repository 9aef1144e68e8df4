"""Which backend and device `auto` picks, and the cached ONNX export it runs."""
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


def test_a_new_cached_export_replaces_the_older_exporters_ones(model_file, tmp_path, monkeypatch):
    from sar_colorizer.core.onnx_export import GRAPH_VERSION, file_sha256

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "sar_colorizer"
    folder.mkdir(parents=True)
    digest = file_sha256(model_file)
    stale = folder / f"{digest}-g{GRAPH_VERSION - 1}.onnx"
    other_model = folder / f"{'0' * len(digest)}-g{GRAPH_VERSION - 1}.onnx"
    stale.write_bytes(b"an export by an older exporter")
    other_model.write_bytes(b"another model's export")
    backend = backends.load_backend(model_file, "onnx", "cpu")
    assert backend.path == folder / f"{digest}-g{GRAPH_VERSION}.onnx"
    assert sorted(p.name for p in folder.iterdir()) == sorted([backend.path.name, other_model.name])


def test_an_older_export_left_beside_a_current_one_is_deleted_on_use(model_file, tmp_path, monkeypatch):
    from sar_colorizer.core.onnx_export import GRAPH_VERSION, file_sha256

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    current = backends.load_backend(model_file, "onnx", "cpu").path  # exported once
    stale = current.parent / f"{file_sha256(model_file)}-g{GRAPH_VERSION - 1}.onnx"
    stale.write_bytes(b"an export by an older exporter")
    assert backends.load_backend(model_file, "onnx", "cpu").path == current
    assert not stale.exists()


class FakeOutOfMemory(RuntimeError):
    pass


def test_a_batch_too_large_for_the_gpu_is_split_and_later_batches_stay_small():
    import numpy as np

    calls, released = [], []

    def run(batch):
        calls.append(len(batch))
        if len(batch) > 3:
            raise FakeOutOfMemory("CUDA out of memory")
        return batch * 2

    fitting = backends.smaller_batches_when_out_of_memory(run, FakeOutOfMemory, lambda: released.append(1))
    batch = np.arange(8, dtype=np.float32).reshape(8, 1, 1, 1)
    np.testing.assert_array_equal(fitting(batch), batch * 2)
    assert calls == [8, 4, 2, 2, 2, 2]  # 8 and 4 failed; halves again, then kept at 2
    assert len(released) == 2
    calls.clear()
    np.testing.assert_array_equal(fitting(batch[:5]), batch[:5] * 2)
    assert calls == [2, 2, 1]  # no new failure: the size that fits is remembered


def test_one_tile_too_large_for_the_gpu_is_a_clear_error():
    import numpy as np

    def run(batch):
        raise FakeOutOfMemory("CUDA out of memory")

    fitting = backends.smaller_batches_when_out_of_memory(run, FakeOutOfMemory, lambda: None)
    with pytest.raises(backends.SarColorizerError, match=r"^the GPU ran out of memory on a single tile of "
                                                         r"256 x 256 px: use a smaller --tile-size, or --device cpu$"):
        fitting(np.zeros((4, 2, 256, 256), np.float32))


def test_the_failed_attempts_memory_is_free_before_the_smaller_batches_run():
    import weakref

    import numpy as np

    class Activations:  # stands for the tensors a forward pass holds on the GPU
        pass

    alive_at_each_call = []
    attempts = []

    def run(batch):
        alive_at_each_call.append(sum(r() is not None for r in attempts))
        activations = Activations()
        attempts.append(weakref.ref(activations))
        if len(batch) > 2:
            raise FakeOutOfMemory("CUDA out of memory")
        return batch

    fitting = backends.smaller_batches_when_out_of_memory(run, FakeOutOfMemory, lambda: None)
    fitting(np.zeros((8, 1, 1, 1), np.float32))
    assert alive_at_each_call == [0] * len(alive_at_each_call)
