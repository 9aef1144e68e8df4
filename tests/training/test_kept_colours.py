"""Training under the kept-coarse-colours rule (training/kept_colours.py) is the inference rule."""
import numpy as np
import torch

from sar_colorizer.core.coarse_colours import keep_coarse_colours
from sar_colorizer.core.modelfile import read_metadata
from sar_colorizer.training import kept_colours
from sar_colorizer.training.loop.trainer import train

from .test_trainer import tiny_config


def test_torch_twin_gives_the_inference_rules_numbers_and_passes_gradients():
    rng = np.random.default_rng(4)
    pred = rng.random((2, 3, 48, 40)).astype(np.float32)
    prior = np.concatenate([rng.random((2, 3, 48, 40)), rng.random((2, 1, 48, 40)) > 0.3], axis=1).astype(np.float32)
    p = torch.from_numpy(pred).requires_grad_()
    out = kept_colours.keep_coarse_colours(p, torch.from_numpy(prior), 12.0)
    np.testing.assert_allclose(out.detach().numpy(), keep_coarse_colours(pred, prior, 12.0), atol=1e-6)
    out.sum().backward()
    assert torch.isfinite(p.grad).all() and float(p.grad.abs().sum()) > 0


def test_a_model_trained_with_kept_colours_says_so_in_its_file(paired_folder, tmp_path):
    cfg = tiny_config(paired_folder, tmp_path / "kept.safetensors", epochs=1, prior=True, prior_cell=32,
                      prior_keep_coarse=True, prior_coarse_sigma=8.0)
    result = train(cfg, log=lambda *_: None)
    spec = read_metadata(result.model_path).inputs.prior
    assert spec.coarse_from == ("reference", "palette") and spec.coarse_sigma_px == 8.0
    plain = train(tiny_config(paired_folder, tmp_path / "plain.safetensors", epochs=1, prior=True, prior_cell=32),
                  log=lambda *_: None)
    assert read_metadata(plain.model_path).inputs.prior.coarse_from == ()
