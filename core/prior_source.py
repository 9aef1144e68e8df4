"""Which colour prior a scene gets: the user's reference, the world palette, or none.

``palette`` is what the user asked for (CLI ``--palette``, Processing's *Colour reference* and
*Use the built-in world palette*): ``auto`` = the world palette where the scene can be placed, else
none with a warning; ``world`` = the world palette, refused for a scene that cannot be placed;
``none`` = the model's no-prior mode; anything else = a colour reference raster.

The grid covers the whole dataset, not only the part being colorized, so that cells fall on the
same pixels however the scene is cut (an extent, a part colorized later): parts meet without a seam.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .errors import InputError
from .modelfile import ModelMetadata

PALETTE_CHOICES = ("auto", "world", "none")
NO_PRIOR_WARNING = ("{label} has no georeferencing (no CRS, no ground control points) and no colour reference "
                    "was given, so its colours are guessed from the radar alone (the model's no-prior mode); "
                    "give a colour reference (command line: --palette REFERENCE.tif; QGIS: Colour reference) "
                    "for colours of the place")


@dataclass
class ChosenPrior:
    grid: object   # core.prior.PriorGrid over the whole dataset, or None: no prior
    label: str     # what the output's metadata records
    kind: str = ""  # "reference", "palette" (modelfile.PRIOR_KINDS) or "" (no prior)
    kept_sigma_px: Optional[float] = None  # its coarse colours kept at this scale (core/coarse_colours.py)


def scene_prior(raster, meta: ModelMetadata, palette: str, say: Callable[[str], None],
                reference_bands: Optional[tuple[int, int, int]] = None) -> ChosenPrior:
    """The prior grid for an opened SarRaster, over its whole dataset (see the module's note)."""
    spec = meta.inputs.prior
    choice = palette or "auto"
    if spec is None:
        if choice not in ("auto", "none"):
            say(f"warning: the model {meta.name} takes no colour prior; the colour reference or palette is not used")
        return ChosenPrior(None, "none (the model takes no colour prior)")
    ds = raster.dataset
    width, height, cell = ds.RasterXSize, ds.RasterYSize, spec.cell_px
    if choice == "none":
        return ChosenPrior(None, "none (asked for)")
    if choice in ("auto", "world"):
        from . import world_palette

        grid = world_palette.world_palette_grid(ds, width, height, cell)
        if grid is None:
            if choice == "world":
                raise InputError(f"{raster.label}: has no georeferencing (no CRS, no ground control points), so the "
                                 "world palette cannot be placed on it; give a colour reference or use palette none")
            warning = NO_PRIOR_WARNING.format(label=raster.label)
            raster.warnings.append(warning)
            say(f"warning: {warning}")
            return ChosenPrior(None, "none (the scene cannot be placed)")
        return _chosen(grid, world_palette.SOURCE_LABEL, "palette", spec)
    from . import colour_reference

    grid = colour_reference.reference_grid(choice, ds, width, height, cell, bands=reference_bands)
    return _chosen(grid, f"colour reference {grid.source}", "reference", spec)


def _chosen(grid, label: str, kind: str, spec) -> ChosenPrior:
    """The prior, its label saying whether the output keeps its coarse colours (core/coarse_colours.py)."""
    sigma = spec.kept_sigma_px(kind)
    if sigma is not None:
        label += f"; its coarse colours kept, the model's structure finer than {sigma:g} px"
    return ChosenPrior(grid, label, kind, sigma)
