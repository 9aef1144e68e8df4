"""The model running batches ahead in a worker thread (as on a GPU) writes the same file, bit for
bit, as one batch at a time, and still cancels and fails cleanly."""
import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core import pipeline
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize



def sar_db(h, w, seed=0):
    return np.random.default_rng(seed).normal(-12, 3, (h, w)).astype(np.float32)


def write_tif(path, bands, nodata=None):
    """A one-band Float32 GeoTIFF in UTM 31N (georeferencing is not what these tests are about)."""
    (image,) = bands
    ds = gdal.GetDriverByName("GTiff").Create(str(path), image.shape[1], image.shape[0], 1, gdal.GDT_Float32)
    ds.SetGeoTransform((600000, 10, 0, 5000000, 0, -10))
    ds.SetProjection('EPSG:32631')
    band = ds.GetRasterBand(1)
    band.WriteArray(image)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    ds = None
    return path


def read_all(path):
    ds = gdal.Open(str(path))
    pixels = ds.ReadAsArray()
    mask = ds.GetRasterBand(1).GetMaskBand().ReadAsArray()
    overview = ds.GetRasterBand(2).GetOverview(0).ReadAsArray()
    return pixels, mask, overview


def colorize_with_depth(monkeypatch, depth, src, out, model, batch_size):
    # the GPU's settings, on the CPU: stages in threads, and GDAL compressing in threads
    monkeypatch.setattr(pipeline, "model_queue_depth", lambda device: depth)
    monkeypatch.setattr(pipeline, "compress_threads", lambda device: "2" if depth else None)
    return colorize(src, out, ColorizeOptions(model_path=model, backend="torch", device="cpu",
                                              batch_size=batch_size))


@pytest.mark.parametrize("batch_size", [1, 3])
def test_running_ahead_writes_the_same_file(tmp_path, model_factory, monkeypatch, batch_size):
    model = model_factory(tile=32, overlap=8)
    image = sar_db(300, 250, seed=4)
    image[40:90, 100:180] = -9999  # nodata across tile borders
    image[200:, :30] = np.nan
    src = write_tif(tmp_path / "vv.tif", [image], nodata=-9999)
    files = {}
    for depth in (0, 1, 2):
        out = tmp_path / f"depth{depth}.tif"
        colorize_with_depth(monkeypatch, depth, src, out, model, batch_size)
        files[depth] = read_all(out)
    reference = files[0]
    assert (reference[1] == 0).sum() == 50 * 80 + 100 * 30  # the nodata really is masked
    for depth in (1, 2):
        for got, want in zip(files[depth], reference):
            np.testing.assert_array_equal(got, want)


def test_running_ahead_on_a_real_scene(shared_data, model_factory, monkeypatch, tmp_path):
    model = model_factory(tile=64, overlap=16)
    src = shared_data / "scenes" / "rhone-delta_vv_db_utm31n.tif"
    outs = []
    for depth in (0, 2):
        out = tmp_path / f"depth{depth}.tif"
        colorize_with_depth(monkeypatch, depth, src, out, model, 4)
        outs.append(read_all(out))
    assert outs[0][0].std() > 1
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_array_equal(got, want)


def test_a_model_failure_in_the_worker_thread_reaches_the_caller(tmp_path, model_file, monkeypatch):
    monkeypatch.setattr(pipeline, "model_queue_depth", lambda device: 2)
    real_load = pipeline.load_backend
    runs = []

    def failing_load(*a, **kw):
        backend = real_load(*a, **kw)
        run = backend.run

        def run_then_fail(batch):
            runs.append(len(batch))
            if len(runs) == 4:
                raise RuntimeError("CUDA out of memory (simulated)")
            return run(batch)

        backend.run = run_then_fail
        return backend

    monkeypatch.setattr(pipeline, "load_backend", failing_load)
    src = write_tif(tmp_path / "vv.tif", [sar_db(300, 300)])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(RuntimeError, match=r"^CUDA out of memory \(simulated\)$"):
        colorize(src, out_dir / "o.tif", ColorizeOptions(model_path=model_file, backend="torch", batch_size=1))
    assert list(out_dir.iterdir()) == []
    assert len(runs) <= 4 + 2  # the batches queued behind the failure are dropped, not run to the end
