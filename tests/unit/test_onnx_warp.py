"""The ONNX export's skip-aligner warp (model.gather_warp instead of grid_sample), the graph
version recorded in ONNX exports, and stale exports not being used."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # exports are made from the torch model
import torch.nn.functional as F  # noqa: E402

from sar_colorizer.core import backends
from sar_colorizer.core.model import (ArchitectureConfig, RobustUNet, SkipAligner, aligned_grid, gather_warp,
                                      use_gather_warp)
from sar_colorizer.core.modelfile import (DEFAULT_MODEL_PATH, InputSpec, ModelMetadata, TileSpec, load_model_file,
                                          save_model_file)
from sar_colorizer.core.onnx_export import GRAPH_VERSION, GRAPH_VERSION_KEY, SOURCE_KEY, export_onnx, file_sha256

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

MAX_SHIFT = ArchitectureConfig().max_shift


def grid_sample_warp(skip, flow):
    """What SkipAligner does on the torch backend."""
    grid = torch.stack(aligned_grid(flow), dim=-1)
    return F.grid_sample(skip, grid, mode="bilinear", padding_mode="border", align_corners=False)


@pytest.mark.parametrize("n, c, h, w", [(1, 16, 32, 32), (3, 5, 24, 40), (3, 8, 9, 7), (1, 3, 1, 6)])
def test_gather_warp_equals_grid_sample(n, c, h, w):
    g = torch.Generator().manual_seed(n * 1000 + h * w)
    skip = torch.randn(n, c, h, w, generator=g)
    flow = (torch.rand(n, 2, h, w, generator=g) * 2 - 1) * MAX_SHIFT
    flow[:, :, ::3] = flow[:, :, ::3].round()  # whole-pixel shifts (weights 0 and 1)
    flow[:, 0, :, :1], flow[:, 1, -1:] = -MAX_SHIFT, MAX_SHIFT  # past the left and bottom borders
    ref = grid_sample_warp(skip, flow)
    diff = float((gather_warp(skip, flow) - ref).abs().max())
    assert diff <= 1e-4, diff
    # border clamping is exercised: some samples fall outside the image
    x = torch.arange(w).view(1, 1, w) + flow[:, 0]
    assert bool(((x < 0) | (x > w - 1)).any())


def test_skip_aligner_switches_warp_and_back():
    torch.manual_seed(0)
    aligner = SkipAligner(8, MAX_SHIFT).eval()
    torch.nn.init.normal_(aligner.offset[-1].weight, std=0.5)
    decoder, skip = torch.randn(2, 8, 16, 12), torch.randn(2, 8, 16, 12)
    with torch.inference_mode():
        a = aligner(decoder, skip)
        use_gather_warp(aligner)
        b = aligner(decoder, skip)
        use_gather_warp(aligner, on=False)
        c = aligner(decoder, skip)
    assert float((a - b).abs().max()) <= 1e-4 and float((a - skip).abs().max()) > 0.1  # it really warps
    assert torch.equal(a, c)


def warping_model_file(path, depth=3, tile=32, seed=0):
    """A small random model file whose aligners shift by up to max_shift (the factory's are zero)."""
    torch.manual_seed(seed)
    spec = InputSpec(bands=("VV", "VH"), availability_channels=True)
    cfg = ArchitectureConfig(in_channels=spec.channels, base_channels=4, depth=depth)
    net = RobustUNet(cfg).eval()
    for m in net.modules():
        if isinstance(m, SkipAligner):
            torch.nn.init.normal_(m.offset[-1].weight, std=0.3)
    meta = ModelMetadata(architecture=cfg, inputs=spec, tile=TileSpec(tile, 8), name="warp-test")
    return save_model_file(path, net, meta)


def run_onnx(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(["rgb"], {"sar": x})[0]


def props(path):
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def test_onnx_export_matches_torch_with_any_batch_and_size(tmp_path):
    model = warping_model_file(tmp_path / "m.safetensors")
    onnx_path = export_onnx(model, tmp_path / "m.onnx")
    graph = onnx.load(str(onnx_path)).graph
    assert "GridSample" not in {node.op_type for node in graph.node}
    assert props(onnx_path)[GRAPH_VERSION_KEY] == str(GRAPH_VERSION)
    net = load_model_file(model).build()
    rng = np.random.default_rng(0)
    for shape in [(1, 4, 32, 32), (3, 4, 16, 40)]:  # exported at (1, 4, 32, 32)
        x = rng.random(shape, dtype=np.float32)
        with torch.inference_mode():
            ref = net(torch.from_numpy(x)).numpy()
        assert float(np.abs(ref - 0.5).max()) > 0.05  # not a constant picture
        diff = float(np.abs(run_onnx(onnx_path, x) - ref).max())
        assert diff <= 1e-4, (shape, diff)


def make_stale(onnx_path, version):
    """Rewrite an export's graph version (None: drop it, as exports before versions had none)."""
    proto = onnx.load(str(onnx_path))
    kept = [(p.key, p.value) for p in proto.metadata_props if p.key != GRAPH_VERSION_KEY]
    del proto.metadata_props[:]
    for key, value in kept + ([] if version is None else [(GRAPH_VERSION_KEY, str(version))]):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(onnx_path))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "sar_colorizer"


@pytest.mark.parametrize("version", [None, 1, GRAPH_VERSION])
def test_an_export_beside_the_model_is_used_only_when_current(tmp_path, cache, version):
    model = warping_model_file(tmp_path / "m.safetensors", depth=2, tile=16)
    beside = export_onnx(model, tmp_path / "m.onnx")
    if version != GRAPH_VERSION:
        make_stale(beside, version)
    backend = backends.load_backend(model, "onnx", "cpu")
    cached = sorted(cache.glob("*.onnx")) if cache.is_dir() else []
    if version == GRAPH_VERSION:
        assert cached == []  # the export beside the model was used
        assert backend.path == beside
    else:  # exported again into the cache, under a name that holds the graph version
        assert [p.name for p in cached] == [f"{file_sha256(model)}-g{GRAPH_VERSION}.onnx"]
        assert props(cached[0])[GRAPH_VERSION_KEY] == str(GRAPH_VERSION)
        assert backend.path == cached[0]
    x = np.random.default_rng(1).random((1, 4, 16, 16), dtype=np.float32)
    assert backend.run(x).shape == (1, 3, 16, 16)


def test_a_stale_export_in_the_cache_is_not_used(tmp_path, cache):
    model = warping_model_file(tmp_path / "m.safetensors", depth=2, tile=16)
    cache.mkdir(parents=True)
    old = export_onnx(model, cache / f"{file_sha256(model)}.onnx")  # the old cache name
    make_stale(old, None)
    backends.load_backend(model, "onnx", "cpu")
    assert sorted(p.name for p in cache.glob("*.onnx")) == sorted(
        [old.name, f"{file_sha256(model)}-g{GRAPH_VERSION}.onnx"])


def test_without_torch_a_stale_export_of_the_same_model_still_runs(tmp_path, cache, monkeypatch):
    model = warping_model_file(tmp_path / "m.safetensors", depth=2, tile=16)
    make_stale(export_onnx(model, tmp_path / "m.onnx"), None)
    monkeypatch.setattr(backends, "_has", lambda module: module != "torch")
    backend = backends.load_backend(model, "onnx", "cpu")
    assert backend.name == "onnx" and not cache.exists()
    assert backend.path == tmp_path / "m.onnx"


def test_bundled_onnx_is_current_and_matches_torch_on_a_real_tile(shared_data):
    from osgeo import gdal

    from sar_colorizer.core import sar

    beside = DEFAULT_MODEL_PATH.with_suffix(".onnx")
    if not (DEFAULT_MODEL_PATH.is_file() and beside.is_file()):
        pytest.skip(f"the bundled model and its export are not installed in {DEFAULT_MODEL_PATH.parent}")
    meta_props = props(beside)
    assert meta_props.get(SOURCE_KEY) == file_sha256(DEFAULT_MODEL_PATH), "models/sar_colorizer.onnx is stale: re-export it"
    assert meta_props.get(GRAPH_VERSION_KEY) == str(GRAPH_VERSION), "models/sar_colorizer.onnx is stale: re-export it"
    # a real Sentinel-1 VV+VH patch (dB), normalised as the pipeline does
    ds = gdal.Open(str(shared_data / "scenes" / "sen12ms-cr-s1" / "ROIs1158_spring_s1_1_p36.tif"))
    vv, vh = (ds.GetRasterBand(i).ReadAsArray().astype(np.float32) for i in (1, 2))
    loaded = load_model_file(DEFAULT_MODEL_PATH)
    spec = loaded.metadata.inputs
    stats = {b: sar.band_statistics(a, spec.normalisation) for b, a in (("VV", vv), ("VH", vh))}
    size = loaded.metadata.tile.size
    # the colour prior: this place's world-palette colour, as the pipeline gives it (core/prior_source.py)
    from sar_colorizer.core.world_palette import world_palette_grid

    grid = world_palette_grid(ds, ds.RasterXSize, ds.RasterYSize, spec.prior.cell_px)
    prior = grid.window(0, vv.shape[0], 0, vv.shape[1])
    x = sar.model_input({"VV": vv, "VH": vh}, stats, None, spec, prior=prior)[None, :, :size, :size]
    assert x.shape == (1, 8, size, size) and 0.05 < float(x[0, 4:7].mean()) < 0.95 and x[0, 7].min() == 1.0
    with torch.inference_mode():
        ref = loaded.build()(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    diff = float(np.abs(run_onnx(beside, np.ascontiguousarray(x)) - ref).max())
    assert diff <= 1 / 255, diff
