"""A two-step run lowers the loss and writes a model file core loads and runs; --resume continues."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sar_colorizer.core.model import RobustUNet
from sar_colorizer.core.modelfile import load_model_file
from sar_colorizer.training.datasets import Sentinel12Dataset
from sar_colorizer.training.loop.trainer import TrainConfig, train, training_segments
from sar_colorizer.training.losses import masked_mse

REPO = Path(__file__).resolve().parents[2]


def tiny_config(data: Path, out: Path, **kw) -> TrainConfig:
    base = dict(data=[str(data)], out=str(out), holdout=["pairs/p2"], epochs=2, samples_per_epoch=4, batch_size=4,
                tile=32, lr=0.02, base_channels=4, depth=2, seed=3, device="cpu", threads=1,
                val_tile=32, val_tiles_per_pair=2, infer_tile=32, infer_overlap=8)
    base.update(kw)
    return TrainConfig(**base)


def fixed_batch(cfg: TrainConfig, root: Path):
    ds = Sentinel12Dataset(root, spec=cfg.input_spec(), tile=32)
    items = [ds[i] for i in range(4)]
    return torch.stack([i[0] for i in items]), torch.stack([i[1] for i in items])


def test_two_steps_lower_loss_and_write_loadable_model(paired_folder, tmp_path):
    cfg = tiny_config(paired_folder, tmp_path / "m.safetensors", epochs=2)
    torch.manual_seed(cfg.seed)
    initial = RobustUNet(cfg.architecture())        # the trainer's initial weights (same seed)
    result = train(cfg, log=lambda *_: None)
    assert result.steps == 2 and result.epochs_done == 2
    x, y = fixed_batch(cfg, paired_folder)
    trained = load_model_file(result.model_path).build()
    with torch.no_grad():
        before = masked_mse(initial.train()(x), y).item()
        after = masked_mse(trained.train()(x), y).item()
    assert after < before
    loaded = load_model_file(result.model_path)
    meta = loaded.metadata
    assert meta.inputs.bands == ("VV", "VH") and meta.inputs.availability_channels
    assert meta.architecture.in_channels == 4 and meta.output.scale == 255.0
    assert meta.training["epochs"] == 2 and meta.training["seed"] == 3
    assert meta.training["validation"] == ["pairs/p2"]
    assert "psnr" in meta.metrics["validation"]["pairs"]
    with torch.no_grad():
        out = loaded.build()(x)
    assert out.shape == (4, 3, 32, 32) and 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    log = [json.loads(line) for line in (tmp_path / "m.run" / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and all(np.isfinite(r["train_loss"]) for r in log)


def test_resume_continues_from_checkpoint(paired_folder, tmp_path):
    straight = train(tiny_config(paired_folder, tmp_path / "a.safetensors", epochs=3), log=lambda *_: None)
    # interrupted after its first epoch (wall-clock budget of 0 min), then resumed
    first = train(tiny_config(paired_folder, tmp_path / "b.safetensors", epochs=3, max_minutes=0.0),
                  log=lambda *_: None)
    assert first.steps == 1 and first.epochs_done == 1
    messages = []
    resumed = train(tiny_config(paired_folder, tmp_path / "b.safetensors", epochs=3, resume=True),
                    log=messages.append)
    assert any("resumed from" in m and "1 epoch(s), 1 step(s) done" in m for m in messages)
    assert resumed.steps == 3 and resumed.epochs_done == 3
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    # the model file names the code of both segments and all three epochs' training time
    training = load_model_file(resumed.model_path).metadata.training
    commit = training["commit"]
    assert training["segments"] == [{"commit": commit, "from_epoch": 0, "to_epoch": 1},
                                    {"commit": commit, "from_epoch": 1, "to_epoch": 3}]
    assert training["epoch_seconds"] == pytest.approx(sum(h["epoch_seconds"] for h in resumed.history), abs=0.05)
    a = load_model_file(straight.model_path).state_dict
    b = load_model_file(resumed.model_path).state_dict
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)


def test_resume_with_more_epochs_follows_the_new_schedule(paired_folder, tmp_path):
    train(tiny_config(paired_folder, tmp_path / "e.safetensors", epochs=1), log=lambda *_: None)
    longer = train(tiny_config(paired_folder, tmp_path / "e.safetensors", epochs=3, resume=True), log=lambda *_: None)
    assert [h["epoch"] for h in longer.history] == [1, 2, 3]
    assert longer.history[1]["lr"] > 0 and longer.history[2]["train_loss"] < longer.history[1]["train_loss"]


def test_segments_of_a_checkpoint_written_before_they_were_kept():
    assert training_segments([], "abc", 20, 40) == [{"commit": None, "from_epoch": 0, "to_epoch": 20},
                                                    {"commit": "abc", "from_epoch": 20, "to_epoch": 40}]
    assert training_segments([], "abc", 0, 5) == [{"commit": "abc", "from_epoch": 0, "to_epoch": 5}]
    assert training_segments([], "abc", 20, 20) == [{"commit": None, "from_epoch": 0, "to_epoch": 20}]


def test_resume_without_checkpoint_is_refused(paired_folder, tmp_path):
    with pytest.raises(RuntimeError, match=r"--resume: no checkpoint at .*c\.run/checkpoint\.pt"):
        train(tiny_config(paired_folder, tmp_path / "c.safetensors", resume=True), log=lambda *_: None)


def test_ddp_two_cpu_processes(paired_folder, tmp_path):
    """torchrun with 2 gloo ranks: each rank gets half the tiles; rank 0 writes the model file."""
    out = tmp_path / "ddp.safetensors"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
           "-m", "sar_colorizer.training.cli", "train", "--data", str(paired_folder), "--holdout", "pairs/p2",
           "--out", str(out), "--epochs", "1", "--samples-per-epoch", "8", "--batch-size", "2", "--tile", "32",
           "--base-channels", "4", "--depth", "2", "--device", "cpu", "--threads", "1"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "epoch 1/1 step 2 " in proc.stdout   # 8 tiles / (2 ranks x batch 2) = 2 steps per rank
    assert load_model_file(out).metadata.training["steps"] == 2


def test_training_refuses_pairs_without_a_usable_band(paired_folder, tmp_path):
    cfg = tiny_config(paired_folder, tmp_path / "v.safetensors", bands=("VH",), availability_channels=False)
    with pytest.raises(RuntimeError) as err:
        train(cfg, log=lambda *_: None)
    assert str(err.value) == ("pairs/p0: has band(s) VV but the model reads VH; "
                              "leave it out with --exclude or fix --band-roles")
    excluded = tiny_config(paired_folder, tmp_path / "w.safetensors", exclude=["pairs/p0"], holdout=[], epochs=1)
    assert train(excluded, log=lambda *_: None).steps == 1


def test_validation_takes_a_pair_smaller_than_the_validation_tile(paired_folder, tmp_path):
    """BigEarthNet's pairs are 120 px where the other sets' validation tiles are 256 px: a batch of
    both could not be stacked, and the first BigEarthNet run stopped at its first validation."""
    from .conftest import synthetic_pair, write_raster
    from sar_colorizer.training.loop.trainer import validate

    rng = np.random.default_rng(1)
    sar, rgb = synthetic_pair(rng)
    write_raster(paired_folder / "s1" / "small.tif", sar[..., :40, :48])
    write_raster(paired_folder / "s2" / "small.tif", rgb[..., :40, :48])
    cfg = tiny_config(paired_folder, tmp_path / "m.safetensors", epochs=1, holdout=["pairs/p2", "pairs/small"])
    train(cfg, log=lambda *_: None)
    model = load_model_file(tmp_path / "m.safetensors").build()
    val = Sentinel12Dataset(paired_folder, spec=cfg.input_spec(), tile=64, max_tiles_per_pair=2)
    assert {tuple(val.valid(i).shape) for i in range(len(val))} == {(64, 64), (40, 48)}
    scores = validate(model, val, torch.device("cpu"), batch_size=8)
    assert set(scores) == {"pairs", "mean_over_datasets"} and np.isfinite(scores["pairs"]["psnr"])



def test_weight_average_is_the_mean_of_the_steps_after_its_start(paired_folder, tmp_path):
    # 4 steps of one tile batch each, averaged after half of them. Run one step at a time (a budget of 0 min
    # stops after each epoch, --resume goes on), reading each step's own weights from model-last
    out = tmp_path / "stepped.safetensors"
    own = []
    for n in range(4):
        train(tiny_config(paired_folder, out, epochs=4, average_from=0.5, max_minutes=0.0, resume=n > 0),
              log=lambda *_: None)
        own.append(load_model_file(tmp_path / "stepped.run" / "model-last.safetensors").state_dict)
    stepped = load_model_file(out)
    meta = stepped.metadata.training["weight_average"]
    assert (meta["from_step"], meta["to_step"], meta["steps_averaged"]) == (3, 4, 2)
    assert "psnr" in meta["last_step_validation"]["pairs"]
    floats = [k for k, v in stepped.state_dict.items() if v.is_floating_point()]
    assert any(k.endswith("running_mean") for k in floats)          # BatchNorm statistics are averaged too
    for k in floats:
        torch.testing.assert_close(stepped.state_dict[k], (own[2][k] + own[3][k]) / 2, rtol=0, atol=1e-6, msg=k)
    assert max(float((own[3][k] - own[2][k]).abs().max()) for k in floats) > 1e-3  # the two steps differ
    # the same run in one go writes the same average: the average survives --resume
    straight = load_model_file(train(tiny_config(paired_folder, tmp_path / "straight.safetensors", epochs=4,
                                                 average_from=0.5), log=lambda *_: None).model_path)
    for k in floats:
        torch.testing.assert_close(straight.state_dict[k], stepped.state_dict[k], rtol=0, atol=1e-6, msg=k)


def test_weight_average_off_by_default_and_share_checked(paired_folder, tmp_path):
    plain = train(tiny_config(paired_folder, tmp_path / "p.safetensors", epochs=1), log=lambda *_: None)
    assert "weight_average" not in load_model_file(plain.model_path).metadata.training
    with pytest.raises(ValueError, match=r"average_from must be in \[0, 1\), got 1\.0"):
        train(tiny_config(paired_folder, tmp_path / "q.safetensors", average_from=1.0), log=lambda *_: None)
