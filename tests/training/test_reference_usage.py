"""The reference design's own Python usage works as written (issue 13):

    s1, s2 = dataset[0]
    s1_in = s1.unsqueeze(0).to(device)
    pred = model(s1_in).cpu().squeeze(0)

with ``Sentinel12Dataset`` and ``UNetDenoiseRobust.from_file()``, and its prediction is what
``sar-colorize`` writes for the same pixels (within 1/255, on images of one tile).
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sar_colorizer.core import cli
from sar_colorizer.core.errors import ModelFileError
from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH, load_model_file, read_metadata

from .conftest import DATA_ROOT, synthetic_pair, write_raster

REPO = Path(__file__).resolve().parents[2]
NODATA = -9999.0


def snippet(dataset, model, device):
    """The reference design's three lines, verbatim."""
    s1, s2 = dataset[0]
    s1_in = s1.unsqueeze(0).to(device)
    pred = model(s1_in).cpu().squeeze(0)
    return s1, s2, pred


def colorized_by_cli(sar_file: Path, out: Path, capsys) -> np.ndarray:
    from osgeo import gdal

    assert cli.main([str(sar_file), str(out), "-q"]) == 0, capsys.readouterr().err
    ds = gdal.Open(str(out))
    rgb = ds.ReadAsArray()
    del ds
    return rgb


def assert_snippet_equals_cli(root: Path, tmp_path: Path, capsys) -> dict:
    """Runs the snippet on ``root``'s first pair and sar-colorize on its SAR file; returns measures."""
    from sar_colorizer.training import Sentinel12Dataset
    from sar_colorizer.core import UNetDenoiseRobust

    dataset = Sentinel12Dataset(root)
    device = "cpu"
    model = UNetDenoiseRobust.from_file().to(device)
    s1, s2, pred = snippet(dataset, model, device)

    spec = read_metadata(DEFAULT_MODEL_PATH).inputs
    h, w = dataset.pairs[0].shape
    assert max(h, w) <= read_metadata(DEFAULT_MODEL_PATH).tile.size   # one tile: no blending in the CLI
    assert tuple(s1.shape) == (spec.channels, h, w) and s1.dtype == torch.float32
    assert tuple(s2.shape) == (3, h, w) and 0.0 <= float(s2.min()) and float(s2.max()) <= 1.0
    assert tuple(pred.shape) == (3, h, w)

    stem = dataset.name_of(0).split("/", 1)[1]
    sar_file = next(p for p in sorted((root / "s1").iterdir()) if p.stem == stem)
    rgb = colorized_by_cli(sar_file, tmp_path / "cli.tif", capsys)
    sar_valid = dataset.pairs[0].valid
    diff = np.abs(rgb.astype(np.float32) - pred.detach().numpy() * 255.0)[:, sar_valid]
    assert diff.max() <= 1.0
    assert not rgb[:, ~sar_valid].any()   # the CLI blanks what the SAR lacks
    return {"max_diff": float(diff.max()), "mean_diff": float(diff.mean()), "invalid": int((~sar_valid).sum()),
            "dataset": dataset}


def test_names_are_lazy_and_one_class():
    """core and training import without torch; the reference names are the real classes."""
    code = ("import sys\n"
            "import sar_colorizer.core, sar_colorizer.training\n"
            "assert 'torch' not in sys.modules, 'torch imported by the packages'\n"
            "from sar_colorizer.training import Sentinel12Dataset\n"
            "from sar_colorizer.training.datasets import Sentinel12Dataset as D\n"
            "assert Sentinel12Dataset is D\n"
            "from sar_colorizer.core import UNetDenoiseRobust\n"
            "from sar_colorizer.core.model import RobustUNet\n"
            "assert UNetDenoiseRobust is RobustUNet\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "ok", done.stderr
    import sar_colorizer.core as core
    with pytest.raises(AttributeError, match="has no attribute 'UNetDenoise'"):
        core.UNetDenoise


def test_from_file_is_the_bundled_model_ready_to_run():
    from sar_colorizer.core import UNetDenoiseRobust

    model = UNetDenoiseRobust.from_file()
    assert not model.training and not any(m.training for m in model.modules())
    bundled = load_model_file(DEFAULT_MODEL_PATH)
    state = model.state_dict()
    assert set(state) == set(bundled.state_dict)
    assert all(torch.equal(state[k], bundled.state_dict[k]) for k in state)
    assert model.metadata.inputs == bundled.metadata.inputs
    assert UNetDenoiseRobust.from_file(DEFAULT_MODEL_PATH).config == model.config


def test_from_file_gives_the_cli_message_for_broken_and_foreign_files(tmp_path, capsys):
    from safetensors.torch import save_file
    from sar_colorizer.core import UNetDenoiseRobust

    rng = np.random.default_rng(0)
    sar, _ = synthetic_pair(rng, size=64)
    scene = write_raster(tmp_path / "scene.tif", sar)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a model")
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    missing = tmp_path / "missing.safetensors"
    for path, start in ((broken, f"{broken} is not a readable SAR Colorizer model file"),
                        (foreign, f"{foreign} is a safetensors file but holds no SAR Colorizer metadata"),
                        (missing, f"model file not found: {missing}")):
        with pytest.raises(ModelFileError) as err:
            UNetDenoiseRobust.from_file(path)
        assert str(err.value).startswith(start)
        capsys.readouterr()
        assert cli.main([str(scene), str(tmp_path / "out.tif"), "--model", str(path), "-q"]) == 1
        assert capsys.readouterr().err == f"sar-colorize: error: {err.value}\n"


def test_items_are_pairs_and_the_mask_is_on_request(tmp_path):
    from sar_colorizer.training import Sentinel12Dataset

    rng = np.random.default_rng(4)
    sar, rgb = synthetic_pair(rng, size=64, dual=True)
    sar[:, :6, :10] = NODATA
    write_raster(tmp_path / "d" / "s1" / "a.tif", sar, nodata=NODATA)
    write_raster(tmp_path / "d" / "s2" / "a.tif", rgb)
    plain = Sentinel12Dataset(tmp_path / "d")
    assert plain.spec == read_metadata(DEFAULT_MODEL_PATH).inputs
    s1, s2 = plain[0]
    valid = plain.valid(0)
    assert valid.dtype == torch.bool and int((~valid).sum()) == 60 and not bool(valid[:6, :10].any())
    masked = Sentinel12Dataset(pairs=plain.pairs, with_valid=True)
    m1, m2, mv = masked[0]
    assert torch.equal(m1, s1) and torch.equal(m2, s2) and torch.equal(mv, valid)
    assert [len(item) for item in plain] == [2]   # iterating stops at the end, as a sequence does


def test_snippet_equals_sar_colorize_on_a_synthetic_folder(tmp_path, capsys):
    rng = np.random.default_rng(11)
    sar, rgb = synthetic_pair(rng, size=256, dual=True)
    sar[:, :20, :30] = NODATA
    root = tmp_path / "mine"
    write_raster(root / "s1" / "scene.tif", sar, nodata=NODATA)
    write_raster(root / "s2" / "scene.tif", rgb)
    got = assert_snippet_equals_cli(root, tmp_path, capsys)
    assert got["invalid"] == 600
    assert 0.2 < got["mean_diff"] < 0.3   # rounding to bytes: 0.25 on average, nothing more


@pytest.mark.parametrize("name", ["temperate-pairs", "desert-patches"])
def test_snippet_equals_sar_colorize_on_real_pairs(name, tmp_path, capsys):
    root = DATA_ROOT / "train" / name
    if not (root / "s1").is_dir():
        pytest.skip(f"real data not found at {root} (needs ../shared/data)")
    got = assert_snippet_equals_cli(root, tmp_path, capsys)
    assert 0.2 < got["mean_diff"] < 0.3


def _figure_script():
    spec = importlib.util.spec_from_file_location("make_reference_usage_figure",
                                                  REPO / "docs" / "make_reference_usage_figure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guides_four_steps_run_as_written(tmp_path):
    """docs/TRAINING.md's Python, pasted as is, on a small s1/ + s2/ folder: loads, trains, predicts, draws."""
    import matplotlib.pyplot as plt

    figure_script = _figure_script()
    code = figure_script.section_code()
    assert "s1, s2 = dataset[0]\ns1_in = s1.unsqueeze(0).to(device)\n" in code
    assert "    pred = model(s1_in).cpu().squeeze(0)\n" in code
    rng = np.random.default_rng(5)
    for name in ("zone_1_patch_1", "zone_1_patch_2", "zone_1_patch_3", "zone_1_patch_15", "zone_2_patch_15"):
        sar, rgb = synthetic_pair(rng, size=128)
        write_raster(tmp_path / "d" / "s1" / f"{name}.tif", sar)
        write_raster(tmp_path / "d" / "s2" / f"{name}.tif", rgb)
    figure = tmp_path / "figure.png"
    try:
        ran = figure_script.run(data=tmp_path / "d", steps=1, figure=figure)
    finally:
        plt.close("all")
    assert len(ran["train_set"]) == 3 and len(ran["dataset"]) == 2
    assert [ran["dataset"].name_of(i) for i in range(2)] == ["d/zone_1_patch_15", "d/zone_2_patch_15"]
    assert tuple(ran["pred"].shape) == (3, 128, 128)
    bundled = load_model_file(DEFAULT_MODEL_PATH).state_dict
    trained = ran["model"].state_dict()
    assert not torch.equal(trained["head.weight"].cpu(), bundled["head.weight"])   # one step was taken
    from osgeo import gdal
    ds = gdal.Open(str(figure))
    assert (ds.RasterXSize, ds.RasterYSize) == (720, 512)   # 9 x 6.4 in at 80 dpi: two rows of three
    del ds
