"""publish_model's commit correction reaches the segment that recorded the later HEAD."""
from __future__ import annotations

from dataclasses import replace

from sar_colorizer.core.modelfile import load_model_file, save_model_file
from sar_colorizer.training.export import publish_model


def test_commit_correction_reaches_the_last_segment(model_factory, tmp_path):
    loaded = load_model_file(model_factory("plain.safetensors"))
    segments = [{"commit": "aaa", "from_epoch": 0, "to_epoch": 20}, {"commit": "later", "from_epoch": 20, "to_epoch": 40}]
    meta = replace(loaded.metadata, training={"commit": "later", "segments": segments})
    src = save_model_file(tmp_path / "src.safetensors", loaded.build(), meta)
    training = load_model_file(publish_model(src, tmp_path / "out.safetensors", commit="bbb")).metadata.training
    assert training["commit"] == "bbb"
    assert training["segments"] == [{"commit": "aaa", "from_epoch": 0, "to_epoch": 20},
                                    {"commit": "bbb", "from_epoch": 20, "to_epoch": 40}]
