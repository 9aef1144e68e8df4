"""The pieces of the torch-free path, in this process: metadata without safetensors, the backend
chosen and the messages without torch, the CLI without tqdm. (Whole runs with torch hidden:
tests/integration/test_without_torch.py.)"""
from __future__ import annotations

import sys

import pytest

from sar_colorizer.core import backends, cli
from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH, load_model_file, read_metadata


@pytest.fixture
def without(monkeypatch):
    """without("torch", ...): those packages cannot be imported, and backends cannot find them."""
    def hide(*names: str) -> None:
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)
        real = backends._has
        monkeypatch.setattr(backends, "_has", lambda module: module not in names and real(module))

    return hide


def test_metadata_read_without_safetensors_is_what_safetensors_reads(model_file, without):
    expected = [read_metadata(path).to_json() for path in (DEFAULT_MODEL_PATH, model_file)]
    without("safetensors")
    assert [read_metadata(path).to_json() for path in (DEFAULT_MODEL_PATH, model_file)] == expected


def test_a_corrupt_model_file_without_safetensors_is_one_clear_error(tmp_path, without):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    without("safetensors")
    with pytest.raises(backends.ModelFileError, match=(
            f"^{bad} is not a readable SAR Colorizer model file \\(expected a safetensors file with weights and "
            "metadata; it may be corrupt or truncated\\): ")):
        read_metadata(bad)
    bad.write_bytes(b"\xff" * 8 + b"{}")
    with pytest.raises(backends.ModelFileError, match="header length 18446744073709551615 does not fit the file$"):
        read_metadata(bad)


def test_loading_the_weights_without_safetensors_says_which_requirements_hold_it(without):
    without("safetensors")
    with pytest.raises(backends.ModelFileError,
                       match=r"^the 'safetensors' package is missing \(pip install -r requirements-train.txt\)$"):
        load_model_file(DEFAULT_MODEL_PATH)


def test_without_torch_the_bundled_model_runs_on_its_export_beside_it(without, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    without("torch", "safetensors")
    backend = backends.load_backend(DEFAULT_MODEL_PATH)
    assert (backend.name, backend.device, backend.path) == ("onnx", "cpu", DEFAULT_MODEL_PATH.with_suffix(".onnx"))
    with pytest.raises(backends.SarColorizerError, match=(
            "^the torch backend needs PyTorch, which is not installed in this Python; "
            "the onnx backend \\(the default\\) needs only onnxruntime$")):
        backends.load_backend(DEFAULT_MODEL_PATH, "torch")


def test_without_torch_or_onnxruntime_the_message_asks_for_onnxruntime(without):
    without("torch", "onnxruntime")
    with pytest.raises(backends.SarColorizerError, match="^colorizing needs the onnxruntime package, which is not "
                                                          "installed in this Python"):
        backends.load_backend(DEFAULT_MODEL_PATH)


def test_the_cli_prints_its_messages_without_a_bar_when_tqdm_is_missing(without, capsys):
    without("tqdm")
    with cli.progress_bar("scene.tif", quiet=False) as bar:
        bar.n = 50.0
        bar.refresh()
        bar.write("input 300 x 260")
    assert capsys.readouterr() == ("", "input 300 x 260\n")
