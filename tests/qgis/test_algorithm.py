"""The Processing algorithm sarcolorizer:colorizesar, run headless through QGIS's Processing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsContrastEnhancement,
    QgsMultiBandColorRenderer,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from sar_colorizer import deps
from sar_colorizer.processing_provider import colorize_algorithm
from tests.conftest import uniform_reference

ALG = "sarcolorizer:colorizesar"
RHONE = "rhone-delta_vv_db_utm31n.tif"
REAL_SCENES = [
    RHONE,
    "na164_vv_linear_wgs84.tif",
    "sen12ms-cr-s1/ROIs1158_spring_s1_1_p169.tif",
]


class RecordingFeedback(QgsProcessingFeedback):
    """Keeps progress values and messages; cancels once progress passes `cancel_at` percent."""

    def __init__(self, cancel_at=None):
        super().__init__()
        self.cancel_at = cancel_at
        self.progress_values: list[float] = []
        self.infos: list[str] = []
        self.progressChanged.connect(self._on_progress)

    def _on_progress(self, value):
        self.progress_values.append(value)
        if self.cancel_at is not None and value >= self.cancel_at:
            self.cancel()

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)


def read_bands(path: Path):
    ds = gdal.Open(str(path))  # keep the dataset alive while reading (GDAL 3.6)
    arrays = [ds.GetRasterBand(i + 1).ReadAsArray() for i in range(ds.RasterCount)]
    mask = ds.GetRasterBand(1).GetMaskBand().ReadAsArray()
    return ds, arrays, mask


def test_provider_registers_algorithm_with_its_parameters(provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    assert provider.name() == "SAR Colorizer"
    assert alg is not None and alg.displayName() == "Colorize SAR"
    names = [p.name() for p in alg.parameterDefinitions()]
    assert names == ["INPUT", "VV_BAND", "VH_BAND", "VH_INPUT", "EXTENT", "COLOUR_REFERENCE", "WORLD_PALETTE", "MODEL",
                     "TILE_SIZE", "OVERLAP", "BACKEND", "DEVICE", "ALLOW_OPTICAL_INPUT", "OUTPUT"]
    assert alg.parameterDefinition("COLOUR_REFERENCE").flags() & QgsProcessingParameterDefinition.FlagOptional
    assert alg.parameterDefinition("WORLD_PALETTE").defaultValue() is True
    assert alg.parameterDefinition("VH_INPUT").flags() & QgsProcessingParameterDefinition.FlagOptional
    advanced = {p.name() for p in alg.parameterDefinitions()
                if p.flags() & QgsProcessingParameterDefinition.FlagAdvanced}
    assert advanced == {"TILE_SIZE", "OVERLAP", "BACKEND", "DEVICE", "ALLOW_OPTICAL_INPUT"}
    assert alg.parameterDefinition("ALLOW_OPTICAL_INPUT").defaultValue() is False
    # empty = the bundled model: the field is not filled with a path
    assert alg.parameterDefinition("MODEL").defaultValue() in (None, "")
    assert alg.parameterDefinition("MODEL").description() == "Model file (empty: the bundled model)"
    band = alg.parameterDefinition("VV_BAND")
    assert band.parentLayerParameterName() == "INPUT" and band.flags() & QgsProcessingParameterDefinition.FlagOptional
    assert [o.name() for o in alg.outputDefinitions()] == ["OUTPUT"]
    assert provider.supportedOutputRasterLayerExtensions() == ["tif"]


def test_help_says_when_no_model_is_installed(tmp_path):
    text = colorize_algorithm.help_html(tmp_path / "absent.safetensors")
    assert "<b>No model is installed</b>" in text
    assert "Sentinel-1 GRD backscatter" in text and "dB or linear" in text


def test_help_describes_the_model_from_its_metadata(tiny_model):
    text = colorize_algorithm.help_html(tiny_model)
    assert "<p><b>About the model</b> <i>test-random</i> (file <code>tiny.safetensors</code>):</p>" in text
    assert "<b>Learnt from</b>: 3 pairs of Sentinel-1 and Sentinel-2 images: an arid area (3 pairs, VV); " \
           "2 training rounds (epochs)" in text
    assert "<b>Radar bands it reads</b>: VV</li>" in text
    assert "<b>Tiles</b>: it colorizes 64 x 64 pixel tiles overlapping by 16 pixels" in text
    assert "<b>Tested on images it never learnt from</b>: peak signal-to-noise ratio 13.9 dB (pixel by pixel " \
           "closeness; higher is better); structural similarity 0.23 (0 = unrelated, 1 = the same picture)" in text
    assert "<b>Technical details</b>: random weights, for tests only; validation images: india-scenes/scene-3" in text
    assert "The model learnt from Sentinel-1 images of an arid area with 10 m pixels" in text
    assert "seed" not in text  # reproducibility details stay in the file, not in the dialog


def test_help_gives_the_training_time_of_every_epoch_across_resumes(tiny_model):
    from dataclasses import replace

    from sar_colorizer.core.modelfile import load_model_file
    from sar_colorizer.processing_provider.model_info import describe_model

    meta = load_model_file(tiny_model).metadata
    resumed = replace(meta, training={**meta.training, "epochs": 40, "seconds": 1950.0, "epoch_seconds": 3900.0})
    assert "40 training rounds (epochs); 65 minutes of training" in describe_model(tiny_model, resumed)
    older = replace(meta, training={**meta.training, "epochs": 20, "seconds": 1860.0})
    assert "20 training rounds (epochs); 31 minutes of training" in describe_model(tiny_model, older)


def test_help_says_whose_colours_the_model_keeps(model_factory):
    kept = model_factory("kept.safetensors", prior_cell=256, coarse_from=("reference",), coarse_sigma=64.0)
    text = colorize_algorithm.help_html(kept)
    assert ("<p>With this model, the colours of a colour reference are kept as they are at scales above about "
            "640 m; the model draws only the finer detail from the radar (fields, rivers, towns).</p>") in text
    plain = colorize_algorithm.help_html(model_factory("plain.safetensors", prior_cell=256))
    assert "are kept as they are" not in plain and colorize_algorithm.COLOUR_HELP in plain


@pytest.mark.parametrize("relative", REAL_SCENES)
def test_run_on_real_scene_keeps_grid_and_mask(provider, processing_module, model_factory, scene, tmp_path, relative):
    source = scene(relative)
    colour = (0.2, 0.5, 0.8)  # a model that paints every valid pixel this colour
    model = model_factory("constant.safetensors", constant=colour)
    out = tmp_path / "colorized.tif"
    feedback = RecordingFeedback()
    result = processing_module.run(ALG, {"INPUT": str(source), "MODEL": str(model), "OUTPUT": str(out)},
                                   feedback=feedback)
    assert Path(result["OUTPUT"]) == out and out.is_file()

    src = QgsRasterLayer(str(source), "in")
    dst = QgsRasterLayer(str(out), "out")
    # 3 byte bands R, G, B; QGIS shows the GeoTIFF's nodata mask as a 4th, alpha band
    assert dst.isValid() and dst.bandCount() == 4
    assert [dst.dataProvider().colorInterpretationName(b) for b in (1, 2, 3, 4)] == ["Red", "Green", "Blue", "Alpha"]
    assert dst.crs() == src.crs() and dst.crs().isValid()
    assert (dst.width(), dst.height()) == (src.width(), src.height())
    assert dst.extent() == src.extent()
    assert all(dst.dataProvider().dataType(b) == 1 for b in (1, 2, 3))  # Qgis.Byte

    # the model's colour where the input is valid, 0 and masked where it is nodata
    ds_in = gdal.Open(str(source))
    band = ds_in.GetRasterBand(1)
    values = band.ReadAsArray()
    nodata = band.GetNoDataValue()
    valid = np.isfinite(values) & (values != nodata if nodata is not None else True)
    ds_out, rgb, mask = read_bands(out)
    assert ds_out.RasterCount == 3
    assert np.array_equal(mask > 0, valid)
    for channel, c in zip(rgb, colour):
        assert np.abs(channel[valid].astype(int) - round(c * 255)).max() <= 1
        assert (channel[~valid] == 0).all()
    # progress moved per tile batch, and ended at 100
    assert feedback.progress_values[-1] == 100
    assert len(set(feedback.progress_values)) >= 2


def test_run_and_load_names_the_layer_and_shows_rgb(provider, processing_module, qgis_new_project, tiny_model,
                                                     scene, load_raster, tmp_path):
    layer = load_raster(scene(RHONE), "Rhone delta VV")
    QgsProject.instance().addMapLayer(layer)
    out = tmp_path / "rhone_rgb.tif"
    processing_module.runAndLoadResults(ALG, {"INPUT": layer, "MODEL": str(tiny_model), "OUTPUT": str(out)})
    loaded = QgsProject.instance().mapLayersByName("Rhone delta VV (colorized)")
    assert len(loaded) == 1
    renderer = loaded[0].renderer()
    assert isinstance(renderer, QgsMultiBandColorRenderer)
    assert (renderer.redBand(), renderer.greenBand(), renderer.blueBand(), renderer.alphaBand()) == (1, 2, 3, 4)
    assert renderer.redContrastEnhancement().contrastEnhancementAlgorithm() == QgsContrastEnhancement.NoEnhancement
    assert Path(loaded[0].source()) == out


@pytest.mark.parametrize("kind", ["zip-member", "geopackage-table"])
def test_layers_from_a_zip_or_a_geopackage_are_colorized_like_the_file(provider, processing_module, qgis_new_project,
                                                                      tiny_model, scene, tmp_path, kind):
    """QGIS names such layers /vsizip//...zip/member.tif and GPKG:file.gpkg:table; both reach GDAL whole."""
    import zipfile

    source = scene(RHONE)
    if kind == "zip-member":
        with zipfile.ZipFile(tmp_path / "s1.zip", "w") as z:
            z.write(source, f"s1/{RHONE}")
        name = f"/vsizip/{tmp_path / 's1.zip'}/s1/{RHONE}"
    else:
        gdal.Translate(str(tmp_path / "s1.gpkg"), str(source), format="GPKG", creationOptions=["RASTER_TABLE=rhone"])
        name = f"GPKG:{tmp_path / 's1.gpkg'}:rhone"
    layer = QgsRasterLayer(name, "packed", "gdal")
    assert layer.isValid()
    assert colorize_algorithm.raster_file_path(layer) == name
    QgsProject.instance().addMapLayer(layer)
    for label, value in (("packed", layer), ("file", str(source))):
        processing_module.run(ALG, {"INPUT": value, "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / f"{label}.tif")})
    packed, from_file = gdal.Open(str(tmp_path / "packed.tif")), gdal.Open(str(tmp_path / "file.tif"))
    assert np.array_equal(packed.ReadAsArray(), from_file.ReadAsArray())
    assert packed.GetGeoTransform() == from_file.GetGeoTransform()


def test_gcp_georeferenced_input_and_its_output_line_up_in_qgis(provider, processing_module, tiny_model, scene,
                                                                gcp_copy, tmp_path):
    """A GRD product in radar geometry has ground control points, no geotransform: QGIS warps it by
    them, and the output, which carries the same points, lands on the same place."""
    grd = tmp_path / "grd_vv.tif"
    gcp_copy(scene(RHONE), grd)
    out = tmp_path / "grd_rgb.tif"
    processing_module.run(ALG, {"INPUT": str(grd), "MODEL": str(tiny_model), "OUTPUT": str(out)})
    layer_in, layer_out = QgsRasterLayer(str(grd), "in"), QgsRasterLayer(str(out), "out")
    assert layer_in.isValid() and layer_out.isValid()
    assert layer_in.crs().authid() == layer_out.crs().authid() == "EPSG:4326"
    assert layer_out.extent() == layer_in.extent()
    assert 4.4 < layer_out.extent().center().x() < 4.9 and 43.3 < layer_out.extent().center().y() < 43.6  # the Rhone delta


def test_vh_from_a_separate_raster_gives_the_output_of_the_two_band_file(provider, processing_module,
                                                                         model_factory, scene, tmp_path):
    source = scene("sen12ms-cr-s1/ROIs1158_spring_s1_1_p169.tif")
    vv, vh = tmp_path / "p169_VV.tif", tmp_path / "p169_VH.tif"
    gdal.Translate(str(vv), str(source), bandList=[1])
    gdal.Translate(str(vh), str(source), bandList=[2])
    model = model_factory(bands=("VV", "VH"), availability=True)
    feedback = RecordingFeedback()
    processing_module.run(ALG, {"INPUT": str(vv), "VH_INPUT": str(vh), "MODEL": str(model),
                                "OUTPUT": str(tmp_path / "pair.tif")}, feedback=feedback)
    assert f"VH from: {vh}" in feedback.infos
    processing_module.run(ALG, {"INPUT": str(source), "MODEL": str(model), "OUTPUT": str(tmp_path / "one.tif")})
    pair, one = gdal.Open(str(tmp_path / "pair.tif")), gdal.Open(str(tmp_path / "one.tif"))
    assert np.array_equal(pair.ReadAsArray(), one.ReadAsArray())
    with pytest.raises(QgsProcessingException,
                       match="Leave 'VH band' empty when VH comes from a separate raster: its band 1 is used"):
        processing_module.run(ALG, {"INPUT": str(vv), "VH_INPUT": str(vh), "VH_BAND": 1, "MODEL": str(model),
                                    "OUTPUT": str(tmp_path / "x.tif")})
    assert not (tmp_path / "x.tif").exists()


def test_an_extent_in_another_crs_colorizes_the_part_it_covers(provider, processing_module, tiny_model, scene,
                                                                tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsRectangle

    source = scene(RHONE)
    layer = QgsRasterLayer(str(source), "rhone")
    e = layer.extent()
    # the left half of the scene, given in longitude/latitude: QGIS turns it into the layer's UTM
    left = QgsRectangle(e.xMinimum(), e.yMinimum(), (e.xMinimum() + e.xMaximum()) / 2, e.yMaximum())
    wgs84 = QgsCoordinateReferenceSystem("EPSG:4326")
    to_wgs84 = QgsCoordinateTransform(layer.crs(), wgs84, QgsProject.instance())
    lonlat = to_wgs84.transformBoundingBox(left.buffered(-25))  # inside, so that reprojection does not widen it
    text = f"{lonlat.xMinimum()},{lonlat.xMaximum()},{lonlat.yMinimum()},{lonlat.yMaximum()} [EPSG:4326]"
    out = tmp_path / "left.tif"
    processing_module.run(ALG, {"INPUT": str(source), "EXTENT": text, "MODEL": str(tiny_model), "OUTPUT": str(out)})
    part = gdal.Open(str(out))
    x0 = int(part.GetMetadataItem("SAR_COLORIZER_WINDOW").split(",")[0].split()[1])
    assert x0 <= 2 and 128 <= part.RasterXSize <= 140 and 200 <= part.RasterYSize <= 217
    assert part.GetGeoTransform()[0] == pytest.approx(e.xMinimum() + 20 * x0)


def test_an_extent_on_a_gcp_placed_layer_is_taken_in_its_gcps_crs(provider, processing_module, tiny_model, scene,
                                                                  gcp_copy, tmp_path):
    """QGIS shows a GRD in radar geometry warped by its GCPs, in their CRS: an extent drawn on it is
    in that CRS, which is what the core places through the GCPs."""
    grd = tmp_path / "grd_vv.tif"
    gcp_copy(scene(RHONE), grd)
    layer = QgsRasterLayer(str(grd), "grd")
    assert layer.crs().authid() == "EPSG:4326"
    e = layer.extent()
    upper_half = f"{e.xMinimum()},{e.xMaximum()},{(e.yMinimum() + e.yMaximum()) / 2},{e.yMaximum()} [EPSG:4326]"
    out = tmp_path / "upper.tif"
    processing_module.run(ALG, {"INPUT": str(grd), "EXTENT": upper_half, "MODEL": str(tiny_model), "OUTPUT": str(out)})
    written = gdal.Open(str(out))
    assert written.RasterXSize == 268 and 105 <= written.RasterYSize <= 112  # the upper half of 217 rows
    part = QgsRasterLayer(str(out), "part")  # shown warped by its GCPs, as the input is
    assert part.isValid() and part.crs().authid() == "EPSG:4326"
    # it covers the asked extent, by a few pixels more where the pixel grid (UTM) is turned against
    # the parallels: a window is the bounding box of the extent's corners in pixels
    middle = (e.yMinimum() + e.yMaximum()) / 2
    assert part.extent().yMaximum() == pytest.approx(e.yMaximum(), abs=1e-4)
    assert middle - 0.002 < part.extent().yMinimum() <= middle


def test_cancel_stops_and_leaves_nothing_behind(provider, processing_module, tiny_model, scene, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    feedback = RecordingFeedback(cancel_at=1)
    with pytest.raises(QgsProcessingException, match="Cancelled: nothing was written"):
        processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model),
                                    "TILE_SIZE": 32, "OVERLAP": 8, "OUTPUT": str(out_dir / "x.tif")},
                              feedback=feedback)
    assert list(out_dir.iterdir()) == []
    assert 0 < max(feedback.progress_values) < 50  # stopped within the first batches, not at the end


def test_vector_layer_input_is_refused_with_a_message(provider, processing_module, tiny_model, tmp_path):
    points = QgsVectorLayer("Point?crs=epsg:4326", "points", "memory")
    with pytest.raises(QgsProcessingException,
                       match=r"\nSentinel-1 SAR raster: 'points' is a vector layer; choose a raster layer "
                             r"\(a Sentinel-1 SAR image\)$"):
        processing_module.run(ALG, {"INPUT": points, "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "x.tif")})


def test_missing_input_file_is_refused_with_a_message(provider, processing_module, tiny_model, tmp_path):
    missing = tmp_path / "nowhere.tif"
    with pytest.raises(QgsProcessingException, match=f"\nSentinel-1 SAR raster: file not found: {missing}$"):
        processing_module.run(ALG, {"INPUT": str(missing), "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "x.tif")})
    assert not (tmp_path / "x.tif").exists()


def test_three_unnamed_bands_are_refused_with_a_message(provider, processing_module, tiny_model, tmp_path):
    stack = tmp_path / "stack.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(stack), 64, 48, 3, gdal.GDT_Float32)
    for i in range(3):
        ds.GetRasterBand(i + 1).WriteArray(np.full((48, 64), -4.0 * (i + 1), np.float32))
    ds = None
    with pytest.raises(QgsProcessingException) as info:
        processing_module.run(ALG, {"INPUT": str(stack), "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "x.tif")})
    message = str(info.value)
    assert "cannot tell which band is VV or VH: it has 3 bands" in message
    assert "is it a Sentinel-1 backscatter raster?" in message
    assert "QGIS: the VV band / VH band fields" in message
    assert "Traceback" not in message
    assert not (tmp_path / "x.tif").exists()


def test_missing_model_file_is_refused_with_a_message(provider, processing_module, scene, tmp_path):
    absent = tmp_path / "absent.safetensors"
    with pytest.raises(QgsProcessingException, match=f"Model file not found: {absent}"):
        processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(absent), "OUTPUT": str(tmp_path / "x.tif")})


def test_band_that_does_not_exist_is_refused(provider, processing_module, qgis_new_project, tiny_model, scene, tmp_path):
    with pytest.raises(QgsProcessingException,
                       match="\nVV band: band 3 does not exist: layer 'rhone-delta_vv_db_utm31n' has 1 band"):
        processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "VV_BAND": 3, "MODEL": str(tiny_model),
                                    "OUTPUT": str(tmp_path / "x.tif")})


def test_missing_onnxruntime_is_explained_with_the_install_command(provider, monkeypatch, tiny_model, scene, tmp_path):
    real = deps.is_installed
    monkeypatch.setattr(deps, "is_installed", lambda module: module != "onnxruntime" and real(module))
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    context = QgsProcessingContext()
    params = {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "x.tif")}
    ok, message = alg.checkParameterValues(params, context)
    assert not ok
    assert message.startswith("SAR Colorizer needs Python packages that this QGIS does not have: "
                              "'onnxruntime' (for running the model).")
    assert deps.install_command() in message and "torch" not in message
    with pytest.raises(QgsProcessingException, match="'onnxruntime' \\(for running the model\\)"):
        alg.processAlgorithm(params, context, QgsProcessingFeedback())
    assert "Cannot run yet" in alg.shortHelpString()
    assert not (tmp_path / "x.tif").exists()


def test_unexpected_error_is_one_message_not_a_traceback(provider, processing_module, tiny_model, scene,
                                                         monkeypatch, tmp_path):
    import sar_colorizer.core.pipeline as pipeline

    def broken(*args, **kwargs):
        raise ValueError("could not broadcast")

    monkeypatch.setattr(pipeline, "colorize", broken)
    with pytest.raises(QgsProcessingException) as info:
        processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model),
                                    "OUTPUT": str(tmp_path / "x.tif")})
    assert str(info.value).startswith(
        "SAR Colorizer failed unexpectedly (ValueError: could not broadcast). Nothing was written. "
        f"Please report it at {colorize_algorithm.TRACKER}")
    assert not (tmp_path / "x.tif").exists()


def test_tile_size_the_model_cannot_take_is_refused(provider, processing_module, qgis_new_project, tiny_model,
                                                    scene, tmp_path):
    # the tiny model (depth 2) needs tiles that are a multiple of 2
    with pytest.raises(QgsProcessingException, match="tile size 33 must be a multiple of 2 for this model"):
        processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model), "TILE_SIZE": 33,
                                    "OUTPUT": str(tmp_path / "x.tif")})
    assert list(tmp_path.iterdir()) == []


def test_input_without_crs_runs_with_a_highlighted_warning(provider, processing_module, tiny_model, tmp_path,
                                                           error_feedback):
    plain = tmp_path / "no_crs_vv.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(plain), 80, 72, 1, gdal.GDT_Float32)
    rng = np.random.default_rng(0)
    ds.GetRasterBand(1).WriteArray((rng.gamma(1.0, 0.05, (72, 80))).astype(np.float32))
    ds = None
    feedback = error_feedback
    processing_module.run(ALG, {"INPUT": str(plain), "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "out.tif")},
                          feedback=feedback)
    assert (tmp_path / "out.tif").is_file()
    warnings = [e for e in feedback.errors if "has no coordinate reference system" in e]
    assert len(warnings) == 1 and warnings[0].startswith("warning: no_crs_vv.tif has no coordinate reference system")


@pytest.mark.parametrize("backend, name", [(1, "torch"), (2, "onnx")])
def test_backend_choice_reaches_the_pipeline(provider, processing_module, tiny_model, scene, tmp_path, backend, name):
    if name == "onnx":
        pytest.importorskip("onnxruntime")
    feedback = RecordingFeedback()
    processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model), "BACKEND": backend,
                                "DEVICE": 1, "OUTPUT": str(tmp_path / "out.tif")}, feedback=feedback)
    assert any(info.endswith(f"backend {name} on cpu") for info in feedback.infos), feedback.infos


def test_colour_reference_and_world_palette_reach_the_model(provider, processing_module, model_factory, scene,
                                                             tmp_path):
    """A model with a colour prior: the world palette by default, none when unticked, the reference layer when
    given; the output records which (issue 11). Batch mode and the Modeler use these same parameters."""
    source = scene(RHONE)
    model = model_factory("prior.safetensors", bands=("VV", "VH"), availability=True, prior_cell=64)
    ref = uniform_reference(source, tmp_path / "reference.tif", (60, 90, 40), crs="EPSG:4326")
    recorded = {}
    for case, params in {"world": {}, "none": {"WORLD_PALETTE": False},
                         "reference": {"COLOUR_REFERENCE": str(ref)}}.items():
        out = tmp_path / f"{case}.tif"
        feedback = RecordingFeedback()
        processing_module.run(ALG, {"INPUT": str(source), "MODEL": str(model), "OUTPUT": str(out), **params},
                              feedback=feedback)
        ds = gdal.Open(str(out))
        recorded[case] = ds.GetMetadataItem("SAR_COLORIZER_PRIOR")
        ds = None
    assert recorded == {
        "world": "world palette (NASA Blue Marble Next Generation)",
        "none": "none (asked for)",
        "reference": "colour reference reference.tif (8-bit true colour, bands by colour interpretation)",
    }


def test_a_colour_reference_that_misses_the_scene_is_refused(provider, processing_module, model_factory, scene,
                                                             tmp_path):
    from osgeo import gdal as _gdal

    source = scene(RHONE)
    model = model_factory("prior.safetensors", bands=("VV", "VH"), availability=True, prior_cell=64)
    ref = tmp_path / "elsewhere.tif"
    ds = _gdal.GetDriverByName("GTiff").Create(str(ref), 16, 16, 3, _gdal.GDT_Byte)
    ds.SetGeoTransform((100.0, 0.01, 0, 10.0, 0, -0.01))
    ds.SetProjection(QgsProject.instance().crs().fromEpsgId(4326).toWkt())
    for b in range(3):
        ds.GetRasterBand(b + 1).WriteArray(np.full((16, 16), 100, np.uint8))
    ds = None
    out = tmp_path / "out.tif"
    with pytest.raises(QgsProcessingException, match="does not overlap the scene"):
        processing_module.run(ALG, {"INPUT": str(source), "MODEL": str(model), "OUTPUT": str(out),
                                    "COLOUR_REFERENCE": str(ref)}, feedback=RecordingFeedback())
    assert not out.exists()
