"""The robust U-Net: a U-Net whose decoder re-aligns each skip connection before fusing it.

SAR and optical images are never perfectly co-registered (and SAR geometry differs from optical
geometry on slopes), so a plain U-Net trained on such pairs learns to blur. Each decoder stage
here predicts a small, bounded offset field from the (upsampled decoder, skip) pair and warps the
skip features with ``grid_sample`` before concatenating them. The offsets start at zero, so an
untrained aligner is the identity and the network begins as a plain U-Net.
"""
from __future__ import annotations

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


class SkipAligner(nn.Module):
    """Predicts a per-pixel offset (dx, dy) for the skip features and resamples them along it."""

    def __init__(self, channels: int, max_shift: float):
        super().__init__()
        hidden = max(8, channels // 2)
        self.max_shift = float(max_shift)
        self.offset = nn.Sequential(
            nn.Conv2d(2 * channels, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 2, 3, padding=1),
        )
        nn.init.zeros_(self.offset[-1].weight)
        nn.init.zeros_(self.offset[-1].bias)

    def forward(self, decoder: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        n, _, h, w = skip.shape
        flow = torch.tanh(self.offset(torch.cat([decoder, skip], dim=1))) * self.max_shift
        # base grid in normalised coordinates (align_corners=False convention)
        ys = (torch.arange(h, dtype=skip.dtype, device=skip.device) * 2 + 1) / h - 1
        xs = (torch.arange(w, dtype=skip.dtype, device=skip.device) * 2 + 1) / w - 1
        gy = ys.view(1, h, 1).expand(n, h, w)
        gx = xs.view(1, 1, w).expand(n, h, w)
        grid = torch.stack(
            [gx + flow[:, 0] * (2.0 / w), gy + flow[:, 1] * (2.0 / h)], dim=-1
        )
        return F.grid_sample(skip, grid, mode="bilinear", padding_mode="border", align_corners=False)


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
        x = self.up(x)
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
        skips = []
        for enc in self.encoders:
            x = enc(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for dec, skip in zip(self.decoders, reversed(skips)):
            x = dec(x, skip)
        return torch.sigmoid(self.head(x))
