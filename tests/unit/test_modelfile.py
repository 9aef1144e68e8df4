import json
import struct

import numpy as np
import pytest

from sar_colorizer.core.errors import ModelFileError
from sar_colorizer.core.modelfile import (METADATA_KEY, ModelMetadata, load_model_file, read_metadata,
                                          save_model_file)


def test_round_trip_keeps_weights_and_metadata(model_factory):
    torch = pytest.importorskip("torch")
    path = model_factory("m.safetensors", bands=("VV", "VH"), availability=True, tile=128, overlap=32)
    loaded = load_model_file(path)
    meta = loaded.metadata
    assert meta.inputs.bands == ("VV", "VH") and meta.inputs.availability_channels
    assert meta.architecture.in_channels == 4 and meta.tile.size == 128 and meta.tile.overlap == 32
    net = loaded.build()
    x = torch.rand(1, 4, 64, 64)
    with torch.inference_mode():
        y = net(x)
    assert y.shape == (1, 3, 64, 64) and 0 <= float(y.min()) and float(y.max()) <= 1
    # saving what we loaded gives the same file contents
    again = save_model_file(path.with_name("again.safetensors"), net, meta)
    reloaded = load_model_file(again)
    for k, v in loaded.state_dict.items():
        assert torch.equal(v, reloaded.state_dict[k])
    assert read_metadata(again).to_dict() == meta.to_dict()


def test_refuses_a_pickle_without_unpickling_it(tmp_path):
    torch = pytest.importorskip("torch")
    evil = tmp_path / "evil.pt"
    torch.save({"weights": torch.zeros(2)}, evil)
    with pytest.raises(ModelFileError, match="is not a readable SAR Colorizer model file"):
        load_model_file(evil)


def test_refuses_truncated_and_random_files(model_file, tmp_path):
    data = model_file.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="may be corrupt or truncated"):
        load_model_file(cut)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ModelFileError, match="is not a readable SAR Colorizer model file"):
        load_model_file(junk)


def _rewrite_metadata(src, dst, change):
    """Edit the JSON metadata inside a safetensors header, keeping the tensors."""
    raw = src.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    change(header["__metadata__"])
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    dst.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n:])


def test_refuses_unknown_format_version(model_file, tmp_path):
    future = tmp_path / "future.safetensors"

    def bump(md):
        meta = json.loads(md[METADATA_KEY])
        meta["format_version"] = 99
        md[METADATA_KEY] = json.dumps(meta)

    _rewrite_metadata(model_file, future, bump)
    with pytest.raises(ModelFileError) as e:
        load_model_file(future)
    assert str(e.value).startswith("model file format_version 99 is not supported by this version of SAR Colorizer")


def test_refuses_safetensors_without_our_metadata(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(other))
    with pytest.raises(ModelFileError, match="holds no SAR Colorizer metadata"):
        load_model_file(other)


def test_refuses_weights_that_do_not_match_the_architecture(model_file, tmp_path):
    wider = tmp_path / "wider.safetensors"

    def widen(md):
        meta = json.loads(md[METADATA_KEY])
        meta["architecture"]["base_channels"] = 8
        md[METADATA_KEY] = json.dumps(meta)

    _rewrite_metadata(model_file, wider, widen)
    with pytest.raises(ModelFileError, match="weights do not match the architecture in its metadata"):
        load_model_file(wider).build()


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="^model file not found: "):
        read_metadata(tmp_path / "nope.safetensors")


def test_metadata_must_be_consistent():
    d = ModelMetadata().to_dict()
    d["inputs"]["bands"] = ["VV", "VH"]
    with pytest.raises(ModelFileError, match="the network takes 1 channels but the inputs section describes 2"):
        ModelMetadata.from_dict(d)
    d["inputs"]["bands"] = ["HH"]
    with pytest.raises(ModelFileError, match="not a subset of"):
        ModelMetadata.from_dict(d)
