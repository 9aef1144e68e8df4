"""sar-colorizer-eval prints PSNR/SSIM/MAE, writes the picture grid, refuses inputs a model cannot use."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sar_colorizer.training.cli import eval_main, train_main
from sar_colorizer.training.evaluate import predict_image

from .conftest import synthetic_pair, write_raster

TINY = ["--epochs", "1", "--samples-per-epoch", "4", "--batch-size", "4", "--tile", "32", "--base-channels", "4",
        "--depth", "2", "--device", "cpu", "--threads", "1", "--seed", "1"]


@pytest.fixture
def tiny_model(paired_folder, tmp_path):
    out = tmp_path / "m.safetensors"
    assert train_main(["--data", str(paired_folder), "--holdout", "pairs/p2", "--out", str(out), *TINY]) == 0
    return out


def test_eval_prints_metrics_and_writes_grid(tiny_model, paired_folder, tmp_path, capsys):
    grid, js = tmp_path / "grid.png", tmp_path / "eval.json"
    assert eval_main(["--model", str(tiny_model), "--data", str(paired_folder), "--only", "pairs/p2", "--baselines",
                      "--shifts", "1", "--grid", str(grid), "--grid-tiles", "2", "--json", str(js),
                      "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "PSNR dB" in out and "SSIM" in out and "MAE" in out and "constant_mean_colour" in out
    from osgeo import gdal
    ds = gdal.Open(str(grid))
    assert (ds.RasterCount, ds.RasterXSize, ds.RasterYSize) == (3, 3 * 64 + 2 * 4, 2 * 64 + 4)
    ds = None
    res = json.loads(js.read_text())["results"]
    model_key = next(k for k in res if k.startswith("model:"))
    m = res[model_key]["shift_0px"]["pairs"]
    assert m["pairs"] == 1 and 0 < m["psnr"] < 100 and -1 <= m["ssim"] <= 1 and 0 <= m["mae"] <= 1
    assert set(res[model_key]) == {"shift_0px", "shift_1px"}
    assert res["sar_grey"]["shift_0px"]["pairs"]["psnr"] != m["psnr"]


def test_eval_refuses_band_the_model_cannot_use(paired_folder, tmp_path, capsys):
    out = tmp_path / "vv_only.safetensors"
    assert train_main(["--data", str(paired_folder), "--holdout", "pairs/p2", "--out", str(out),
                       "--bands", "VV", "--no-availability-channels", *TINY]) == 0
    vh = tmp_path / "vh"
    rng = np.random.default_rng(4)
    sar, rgb = synthetic_pair(rng)
    write_raster(vh / "s1" / "q.tif", sar)
    write_raster(vh / "s2" / "q.tif", rgb)
    assert eval_main(["--model", str(out), "--data", str(vh), "--band-roles", "vh=VH", "--grid", ""]) == 1
    err = capsys.readouterr().err
    assert ("sar-colorizer-eval: error: vh/q: the model needs band(s) VV but VV is not in the input (found: VH); "
            "say which input band is which (command line: --bands VV=1,VH=2; QGIS: the VV band / VH band fields)") in err


def test_predict_image_tiles_without_overlap_and_crops():
    import torch

    class Echo(torch.nn.Module):  # returns the first input channel as R,G,B
        def forward(self, x):
            return x[:, :1].repeat(1, 3, 1, 1)

    x = np.arange(2 * 70 * 50, dtype=np.float32).reshape(2, 70, 50)
    out = predict_image(Echo(), x, tile=32, multiple=8, device=torch.device("cpu"))
    assert out.shape == (3, 70, 50)
    np.testing.assert_array_equal(out[2], x[0])


def test_each_loaded_model_predicts_with_its_own_weights_and_its_network_goes_with_it(model_factory):
    """A model file loaded after another was freed gets its own network, not the one built for the object
    that lived at its address before (the cache was keyed by id() alone); the cache holds none of a freed one."""
    import gc

    import torch

    from sar_colorizer.core.modelfile import load_model_file
    from sar_colorizer.training import evaluate

    x = np.zeros((1, 40, 40), np.float32)  # one VV channel, as make_model_file's default
    for name, colour in (("dark", 0.2), ("light", 0.8), ("dark2", 0.2)):
        m = load_model_file(model_factory(f"{name}.safetensors", constant=(colour,) * 3))
        out = evaluate.predict_with(m, x, torch.device("cpu"))
        assert out.mean() == pytest.approx(colour, abs=1e-5), name
        assert len(evaluate._NETS) == 1
        del m
        gc.collect()
        assert len(evaluate._NETS) == 0


def test_train_cli_reports_data_errors(tmp_path, capsys):
    (tmp_path / "bad" / "s1").mkdir(parents=True)
    assert train_main(["--data", str(tmp_path / "bad"), "--out", str(tmp_path / "x.safetensors"), *TINY]) == 1
    assert f"{tmp_path / 'bad'}: expected folders s1/ and s2/; s2/ is missing" in capsys.readouterr().err
