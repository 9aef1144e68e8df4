"""Fixtures shared by all test folders: the real data folder and small model files."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real Sentinel-1/2 data not found at {SHARED_DATA} (only in the development workspace)")
    return SHARED_DATA


def make_model_file(path: Path, bands=("VV",), availability=False, base=4, depth=2,
                    tile=64, overlap=16, constant=None, seed=0, prior_cell=None, coarse_from=(),
                    coarse_sigma=64.0) -> Path:
    """A small random-weight model file; with ``constant`` (r, g, b in 0..1) it outputs that colour;
    with ``prior_cell`` it takes a colour prior of cells of that many pixels, whose coarse colours
    its output keeps for the prior kinds in ``coarse_from`` (core/coarse_colours.py)."""
    torch = pytest.importorskip("torch")  # writing a model file needs torch (training), colorizing does not

    from sar_colorizer.core.model import ArchitectureConfig, RobustUNet
    from sar_colorizer.core.modelfile import InputSpec, ModelMetadata, PriorSpec, TileSpec, save_model_file

    torch.manual_seed(seed)
    spec = InputSpec(bands=tuple(bands), availability_channels=availability,
                     prior=PriorSpec(cell_px=prior_cell, coarse_from=tuple(coarse_from),
                                     coarse_sigma_px=coarse_sigma) if prior_cell else None)
    cfg = ArchitectureConfig(in_channels=spec.channels, base_channels=base, depth=depth)
    net = RobustUNet(cfg).eval()
    if constant is not None:
        with torch.no_grad():
            net.head.weight.zero_()
            c = torch.tensor(constant, dtype=torch.float32).clamp(1e-4, 1 - 1e-4)
            net.head.bias.copy_(torch.log(c / (1 - c)))
    meta = ModelMetadata(architecture=cfg, inputs=spec, tile=TileSpec(tile, overlap), name="test-model",
                         description="random weights, for tests only")
    return save_model_file(path, net, meta)


@pytest.fixture
def model_file(tmp_path) -> Path:
    return make_model_file(tmp_path / "vv.safetensors")


@pytest.fixture
def model_factory(tmp_path):
    """Call with a file name and make_model_file's keywords; files land in tmp_path."""
    def make(name: str = "model.safetensors", **kwargs) -> Path:
        return make_model_file(tmp_path / name, **kwargs)

    return make


def lonlat_of(scene: Path, pixels_lines) -> list[tuple[float, float]]:
    """(longitude, latitude) in WGS 84 of (pixel, line) positions of a map-projected scene."""
    from osgeo import gdal, osr

    src = gdal.Open(str(scene))
    gt = src.GetGeoTransform()
    projected, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    projected.ImportFromWkt(src.GetProjection())
    wgs84.ImportFromEPSG(4326)
    for srs in (projected, wgs84):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(projected, wgs84)
    return [to_wgs84.TransformPoint(gt[0] + pixel * gt[1], gt[3] + line * gt[5])[:2] for pixel, line in pixels_lines]


def with_gcps(scene: Path, out: Path, grid: int = 5) -> list:
    """A copy of a map-projected scene georeferenced as Sentinel-1 GRD products are: a grid of ground
    control points in longitude/latitude (EPSG:4326), no geotransform. Returns the GCPs."""
    from osgeo import gdal

    src = gdal.Open(str(scene))
    positions = [(i * src.RasterXSize / (grid - 1), j * src.RasterYSize / (grid - 1))
                 for j in range(grid) for i in range(grid)]
    gcps = [gdal.GCP(lon, lat, 0.0, pixel, line)
            for (pixel, line), (lon, lat) in zip(positions, lonlat_of(scene, positions))]
    gdal.Translate(str(out), src, GCPs=gcps, outputSRS="EPSG:4326")
    return gcps


@pytest.fixture
def gcp_copy():
    """`gcp_copy(scene, out)`: see with_gcps."""
    return with_gcps


@pytest.fixture
def lonlat():
    """`lonlat(scene, [(pixel, line), ...])`: see lonlat_of."""
    return lonlat_of


@pytest.fixture(scope="session")
def benchmark():
    """`benchmark("grd_amplitudes")`: a script of benchmarks/ as a module, for the helpers a test
    shares with it (the scripts import their `common` module from their own folder)."""
    import importlib
    import sys

    folder = str(REPO / "benchmarks")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module


def uniform_reference(scene: Path, out: Path, colour, crs: Optional[str] = None) -> Path:
    """An 8-bit true-colour GeoTIFF of one ``colour`` (r, g, b) over ``scene``: on its grid, or
    reprojected to ``crs`` (e.g. "EPSG:4326") as a user's reference of another CRS would be."""
    import numpy as np
    from osgeo import gdal

    src = gdal.Open(str(scene))
    grid = gdal.Warp("", src, format="MEM", dstSRS=crs) if crs else src
    ds = gdal.GetDriverByName("GTiff").Create(str(out), grid.RasterXSize, grid.RasterYSize, 3, gdal.GDT_Byte)
    ds.SetGeoTransform(grid.GetGeoTransform())
    ds.SetProjection(grid.GetProjection())
    for b, value in enumerate(colour):
        band = ds.GetRasterBand(b + 1)
        band.SetColorInterpretation((gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)[b])
        band.WriteArray(np.full((grid.RasterYSize, grid.RasterXSize), value, np.uint8))
    ds = grid = src = None
    return out
