"""The robust U-Net's own arithmetic: what the faster forward pass must keep equal."""
import pytest

torch = pytest.importorskip("torch")  # the network itself (training, torch backend)

from sar_colorizer.core.architecture import ArchitectureConfig
from sar_colorizer.core.model import DecoderStage, RobustUNet


def test_decoder_convolves_before_upsampling_with_the_same_result_as_after():
    """DecoderStage runs its 1x1 convolution on the low-resolution input and upsamples after;
    the module it holds (self.up: upsample, then convolve) must give the same features."""
    torch.manual_seed(0)
    stage = DecoderStage(cin=32, cskip=16, cout=16, align=True, max_shift=4.0).eval()
    torch.nn.init.normal_(stage.aligner.offset[-1].weight, std=0.1)  # a real, non-zero warp
    x, skip = torch.randn(2, 32, 12, 20), torch.randn(2, 16, 24, 40)
    with torch.inference_mode():
        up = stage.up(x)  # the stored order: upsample, then convolve
        skip_aligned = stage.aligner(up, skip)
        want = stage.fuse(torch.cat([up, skip_aligned], dim=1))
        got = stage(x, skip)
    assert got.shape == (2, 16, 24, 40)
    assert torch.allclose(got, want, atol=1e-5), float((got - want).abs().max())


def test_network_output_is_rgb_in_0_1_at_any_multiple_of_its_size():
    net = RobustUNet(ArchitectureConfig(in_channels=2, base_channels=8, depth=3)).eval()
    with torch.inference_mode():
        out = net(torch.randn(1, 2, 40, 24))
    assert out.shape == (1, 3, 40, 24)
    assert 0 <= float(out.min()) and float(out.max()) <= 1
