"""The prior-residual output (ArchitectureConfig.prior_residual): the prior's colour plus the
network's correction, in logits; the same in torch and in the ONNX export."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sar_colorizer.core.model import ArchitectureConfig, RobustUNet  # noqa: E402
from sar_colorizer.core.modelfile import (InputSpec, ModelMetadata, PriorSpec, TileSpec,  # noqa: E402
                                          load_model_file, save_model_file)


def residual_net(zero_head: bool):
    torch.manual_seed(0)
    cfg = ArchitectureConfig(in_channels=8, base_channels=4, depth=2, prior_residual=True)
    net = RobustUNet(cfg).eval()
    if zero_head:
        with torch.no_grad():
            net.head.weight.zero_()
            net.head.bias.zero_()
    return net, cfg


def test_with_no_correction_the_output_is_the_prior_where_present_and_grey_where_not():
    net, _ = residual_net(zero_head=True)
    x = torch.rand(1, 8, 32, 32)
    x[:, 4:7] = torch.tensor([0.2, 0.5, 0.7]).view(1, 3, 1, 1)
    x[:, 7, :, :16] = 1.0
    x[:, 7, :, 16:] = 0.0
    with torch.no_grad():
        out = net(x)
    np.testing.assert_allclose(out[0, :, :, :16].mean(dim=(1, 2)).numpy(), [0.2, 0.5, 0.7], atol=1e-5)
    np.testing.assert_allclose(out[0, :, :, 16:].numpy(), 0.5, atol=1e-6)


def test_onnx_export_matches_torch(tmp_path):
    pytest.importorskip("onnxruntime")
    from sar_colorizer.core.onnx_export import export_onnx

    net, cfg = residual_net(zero_head=False)
    meta = ModelMetadata(architecture=cfg, inputs=InputSpec(bands=("VV", "VH"), availability_channels=True,
                                                            prior=PriorSpec(cell_px=64)),
                         tile=TileSpec(64, 16), name="residual-test")
    path = save_model_file(tmp_path / "r.safetensors", net, meta)
    assert load_model_file(path).metadata.architecture.prior_residual
    onnx_path = export_onnx(path, tmp_path / "r.onnx")
    import onnxruntime as ort

    x = np.random.default_rng(0).random((2, 8, 64, 64)).astype(np.float32)
    x[:, 7] = (x[:, 7] > 0.5)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        ref = load_model_file(path).build()(torch.from_numpy(x)).numpy()
    assert float(np.abs(got - ref).max()) < 1e-4
