"""The network's hyper-parameters, with no torch import: reading a model file's metadata (for
QGIS help text, say) must not pay for loading torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ArchitectureConfig:
    in_channels: int = 1
    out_channels: int = 3
    base_channels: int = 16
    depth: int = 4
    align: bool = True
    max_shift: float = 4.0  # largest skip-feature offset, in pixels of that stage
    # the last 4 input channels are a colour prior (R, G, B, present): the output is the prior's
    # colour (in logits) plus the network's correction, so following the prior is the default
    prior_residual: bool = False

    def to_dict(self) -> dict:
        return {"name": "robust_unet", **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "ArchitectureConfig":
        if d.get("name", "robust_unet") != "robust_unet":
            raise ValueError(f"unknown architecture {d.get('name')!r}; this version knows 'robust_unet'")
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**fields)

    @property
    def multiple(self) -> int:
        """Input height and width must be a multiple of this."""
        return 2 ** (self.depth - 1)
