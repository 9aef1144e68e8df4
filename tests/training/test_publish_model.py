"""publish_model's commit correction reaches the segment that recorded the later HEAD."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")

from sar_colorizer.core.model import ArchitectureConfig, RobustUNet  # noqa: E402
from sar_colorizer.core.modelfile import InputSpec, ModelMetadata, TileSpec, load_model_file, save_model_file  # noqa: E402
from sar_colorizer.training.export import publish_model  # noqa: E402


def test_commit_correction_reaches_the_last_segment(tmp_path):
    arch = ArchitectureConfig(in_channels=1, base_channels=4, depth=2)
    segments = [{"commit": "aaa", "from_epoch": 0, "to_epoch": 20}, {"commit": "later", "from_epoch": 20, "to_epoch": 40}]
    meta = ModelMetadata(architecture=arch, inputs=InputSpec(bands=("VV",)), tile=TileSpec(size=64, overlap=16),
                         name="resumed", training={"commit": "later", "segments": segments})
    src = save_model_file(tmp_path / "src.safetensors", RobustUNet(arch).eval(), meta)
    training = load_model_file(publish_model(src, tmp_path / "out.safetensors", commit="bbb")).metadata.training
    assert training["commit"] == "bbb"
    assert training["segments"] == [{"commit": "aaa", "from_epoch": 0, "to_epoch": 20},
                                    {"commit": "bbb", "from_epoch": 20, "to_epoch": 40}]
