"""The robust U-Net: a U-Net whose decoder re-aligns each skip connection before fusing it.

SAR and optical images are never perfectly co-registered (and SAR geometry differs from optical
geometry on slopes), so a plain U-Net trained on such pairs learns to blur. Each decoder stage
here predicts a small, bounded offset field from the (upsampled decoder, skip) pair and warps the
skip features with ``grid_sample`` before concatenating them (the ONNX export computes the same
warp with gathers, see ``gather_warp``). The offsets start at zero, so an untrained aligner is the
identity and the network begins as a plain U-Net.
"""
from __future__ import annotations

import os
from typing import Optional

import torch
from torch import nn
import torch.nn.functional as F

from .architecture import ArchitectureConfig


def conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def aligned_grid(flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(gx, gy), each (N, H, W): the pixel-centre grid shifted by ``flow`` (pixels), in grid_sample's
    normalised coordinates (align_corners=False)."""
    h, w = flow.shape[2], flow.shape[3]
    ys = (torch.arange(h, dtype=flow.dtype, device=flow.device) * 2 + 1) / h - 1
    xs = (torch.arange(w, dtype=flow.dtype, device=flow.device) * 2 + 1) / w - 1
    return xs.view(1, 1, w) + flow[:, 0] * (2.0 / w), ys.view(1, h, 1) + flow[:, 1] * (2.0 / h)


def gather_warp(skip: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """What ``grid_sample(skip, aligned_grid(flow), "bilinear", padding_mode="border",
    align_corners=False)`` computes, from index gathers and products (to float rounding, < 1e-5).

    Why: ONNX Runtime's GridSample kernel is 3-5x slower than torch's grid_sample, and was a
    third of the ONNX model's time; so the ONNX export (``use_gather_warp``) swaps this in, while
    torch keeps grid_sample (faster there). Same arithmetic as torch's kernel: the normalised grid
    is mapped back to pixels (``(g + 1) * size / 2 - 0.5``) and clamped to the image (border
    padding); each output pixel is the bilinear mix of its 4 neighbour pixels, gathered as rows of
    the skip features in NHWC order (one ``Gather`` of whole channel rows per corner: fast in ONNX
    Runtime, unlike a batched MatMul or a GridSample). The trained weights are unchanged.
    """
    n, h, w = flow.shape[0], flow.shape[2], flow.shape[3]
    gx, gy = aligned_grid(flow)
    ix = ((gx + 1) * (w / 2) - 0.5).clamp(0, w - 1)
    iy = ((gy + 1) * (h / 2) - 0.5).clamp(0, h - 1)
    fx, fy = ix.floor(), iy.floor()
    wx, wy = ix - fx, iy - fy  # weight of the right / lower neighbour
    x0, y0 = fx.long(), fy.long()
    # a neighbour past the last column/row has weight 0: any pixel inside will do
    x1, y1 = (x0 + 1).clamp(max=w - 1), (y0 + 1).clamp(max=h - 1)
    image = torch.arange(n, device=flow.device).view(n, 1, 1) * h
    top, bottom = (image + y0) * w, (image + y1) * w  # first row index of each pixel's image row
    rows = skip.permute(0, 2, 3, 1).reshape(n * h * w, -1)  # (pixels, channels)
    out = None
    for row, col, weight in ((top, x0, (1 - wy) * (1 - wx)), (top, x1, (1 - wy) * wx),
                             (bottom, x0, wy * (1 - wx)), (bottom, x1, wy * wx)):
        term = rows.index_select(0, (row + col).reshape(-1)) * weight.reshape(-1, 1)
        out = term if out is None else out + term
    return out.view(n, h, w, -1).permute(0, 3, 1, 2)


class SkipAligner(nn.Module):
    """Predicts a per-pixel offset (dx, dy) for the skip features and resamples them along it."""

    def __init__(self, channels: int, max_shift: float):
        super().__init__()
        hidden = max(8, channels // 2)
        self.max_shift = float(max_shift)
        self.use_gather = False  # True: gather_warp instead of grid_sample (the ONNX export sets it)
        self.offset = nn.Sequential(
            nn.Conv2d(2 * channels, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 2, 3, padding=1),
        )
        nn.init.zeros_(self.offset[-1].weight)
        nn.init.zeros_(self.offset[-1].bias)

    def forward(self, decoder: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        flow = torch.tanh(self.offset(torch.cat([decoder, skip], dim=1))) * self.max_shift
        if self.use_gather:
            return gather_warp(skip, flow)
        grid = torch.stack(aligned_grid(flow), dim=-1)
        return F.grid_sample(skip, grid, mode="bilinear", padding_mode="border", align_corners=False)


def use_gather_warp(net: nn.Module, on: bool = True) -> nn.Module:
    """Make every SkipAligner of ``net`` warp with gather_warp (for the ONNX export) or, with
    ``on=False``, with grid_sample again. Returns ``net``."""
    for module in net.modules():
        if isinstance(module, SkipAligner):
            module.use_gather = on
    return net


class DecoderStage(nn.Module):
    def __init__(self, cin: int, cskip: int, cout: int, align: bool, max_shift: float):
        super().__init__()
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(cin, cskip, 1),
        )
        self.aligner = SkipAligner(cskip, max_shift) if align else None
        self.fuse = conv_block(2 * cskip, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        # The 1x1 convolution runs before the upsampling, on a quarter of the pixels: the two
        # commute (a bilinear pixel is a mean of input pixels with weights summing to 1, so
        # W(sum a_i x_i) + b = sum a_i (W x_i + b)), and the upsampling then moves half the
        # channels. Same weights and outputs (to float rounding) as self.up in its own order.
        upsample, conv = self.up
        x = F.interpolate(conv(x), scale_factor=upsample.scale_factor, mode=upsample.mode,
                          align_corners=upsample.align_corners)
        if self.aligner is not None:
            skip = self.aligner(x, skip)
        return self.fuse(torch.cat([x, skip], dim=1))


class RobustUNet(nn.Module):
    """Encoder - bottleneck - decoder with aligned skips; outputs RGB in [0, 1] (sigmoid)."""

    def __init__(self, config: ArchitectureConfig = ArchitectureConfig()):
        super().__init__()
        self.config = config
        widths = [config.base_channels * 2**i for i in range(config.depth)]
        self.encoders = nn.ModuleList()
        cin = config.in_channels
        for w in widths[:-1]:
            self.encoders.append(conv_block(cin, w))
            cin = w
        self.bottleneck = conv_block(cin, widths[-1])
        self.decoders = nn.ModuleList()
        cin = widths[-1]
        for w in reversed(widths[:-1]):
            self.decoders.append(DecoderStage(cin, w, w, config.align, config.max_shift))
            cin = w
        self.head = nn.Conv2d(cin, config.out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prior = x[:, -4:] if self.config.prior_residual else None
        skips = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for dec, skip in zip(self.decoders, reversed(skips)):
            x = dec(x, skip)
        logits = self.head(x)
        if prior is not None:  # present * logit(prior colour), the colour kept off 0 and 1
            colour = prior[:, :3].clamp(0.02, 0.98)
            logits = logits + prior[:, 3:4] * torch.log(colour / (1 - colour))
        return torch.sigmoid(logits)

    @classmethod
    def from_file(cls, path: Optional[str | os.PathLike] = None) -> "RobustUNet":
        """The network of a model file (default: the bundled model), weights loaded, in eval mode.

        The reference design's ``model(s1_in)`` in Python; errors are the ModelFileError messages
        the CLI prints. The file's metadata rides along as ``model.metadata`` (its ``inputs`` say
        what ``Sentinel12Dataset(root, spec=...)`` must feed it)."""
        from .modelfile import DEFAULT_MODEL_PATH, load_model_file

        loaded = load_model_file(DEFAULT_MODEL_PATH if path is None else path)
        net = loaded.build()
        net.metadata = loaded.metadata
        return net


# The reference design's name for the robust U-Net (one class, two names).
UNetDenoiseRobust = RobustUNet
