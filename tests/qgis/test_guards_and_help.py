"""The Processing algorithm refuses rasters that are not radar (and says why, naming the layer), warns
about a pixel size far from the model's, opens at a readable size, and its help starts in plain words."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from osgeo import gdal
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProject,
    QgsRasterLayer,
)

from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize
from sar_colorizer.processing_provider import colorize_algorithm, model_info

ALG = "sarcolorizer:colorizesar"
RHONE = "rhone-delta_vv_db_utm31n.tif"
HINT = ("to colorize it all the same, use --allow-optical-input (QGIS: the advanced parameter "
        "'Colorize even if the input looks optical')")
JARGON = ("availability channel", "shift-tolerant", "u-net", "mse", "psnr", "ssim", "colour_error", "epoch",
          "holdout", "normalis", "percentile", "tile")


@pytest.fixture
def guards():
    """The rasters of tests/integration/test_input_guards.py (one maker for each kind of raster)."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / "integration" / "test_input_guards.py"
    spec = importlib.util.spec_from_file_location("input_guard_rasters", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def not_radar(guards, tiny_model, tmp_path):
    """name -> a raster that is not radar: an optical GeoTIFF, a Sentinel-2 stack, our own output."""
    made = tmp_path / "made"
    made.mkdir()
    own = made / "rhone_like_rgb.tif"
    colorize(guards.sar_db(made / "scene_vv.tif"), own, ColorizeOptions(model_path=tiny_model))
    return {"optical": guards.optical_rgb(tmp_path / "photo.tif"),
            "sentinel2": guards.sentinel2_stack(tmp_path / "s2.tif"),
            "own_output": own}


@pytest.mark.parametrize("bands", [{}, {"VV_BAND": 1}], ids=["detect", "vv-by-hand"])
@pytest.mark.parametrize("kind", ["optical", "sentinel2", "own_output"])
def test_processing_refuses_what_is_not_radar_with_the_reason(provider, processing_module, guards, not_radar,
                                                              tiny_model, tmp_path, kind, bands):
    out = tmp_path / "out" / "x.tif"
    out.parent.mkdir()
    params = {"INPUT": str(not_radar[kind]), "MODEL": str(tiny_model), "OUTPUT": str(out), **bands}
    alg = QgsApplication.processingRegistry().createAlgorithmById(ALG)
    ok, message = alg.checkParameterValues(params, QgsProcessingContext())  # the dialog refuses before running
    assert not ok and message == f"{guards.REASONS[kind]}; {HINT}"
    with pytest.raises(QgsProcessingException) as refused:
        processing_module.run(ALG, params)
    assert str(refused.value).splitlines()[-1] == f"{guards.REASONS[kind]}; {HINT}"  # after "Unable to execute"
    assert list(out.parent.iterdir()) == []

    processing_module.run(ALG, {**params, "VV_BAND": 1, "ALLOW_OPTICAL_INPUT": True})
    written = gdal.Open(str(out))
    assert (written.RasterXSize, written.RasterYSize, written.RasterCount) == (96, 80, 3)


def test_a_layer_is_called_by_its_name_not_by_its_temporary_file(provider, processing_module, qgis_new_project,
                                                                 not_radar, tiny_model, tmp_path):
    """A result loaded in the project is a layer named '... (colorized)' whose file may be a
    temporary OUTPUT.tif: the message names the layer."""
    temporary = tmp_path / "processing_x" / "OUTPUT.tif"
    temporary.parent.mkdir()
    gdal.Translate(str(temporary), str(not_radar["own_output"]))
    layer = QgsRasterLayer(str(temporary), "Rhone delta VV (colorized)")
    QgsProject.instance().addMapLayer(layer)
    with pytest.raises(QgsProcessingException) as refused:
        processing_module.run(ALG, {"INPUT": layer, "MODEL": str(tiny_model), "OUTPUT": str(tmp_path / "x.tif")})
    assert str(refused.value).splitlines()[-1].startswith(
        "layer 'Rhone delta VV (colorized)' is an output of SAR Colorizer")
    assert "OUTPUT.tif" not in str(refused.value)
    assert colorize_algorithm.named_after_layers("a.tif: band 2 (VV); not b_a.tif or a.tif.aux.xml",
                                                 {"/t/a.tif": "mine"}) == \
        "layer 'mine': band 2 (VV); not b_a.tif or a.tif.aux.xml"


def test_a_20_m_scene_runs_with_a_resolution_warning(provider, processing_module, scene, tiny_model, tmp_path,
                                                     error_feedback):
    feedback = error_feedback
    processing_module.run(ALG, {"INPUT": str(scene(RHONE)), "MODEL": str(tiny_model),
                                "OUTPUT": str(tmp_path / "out.tif")}, feedback=feedback)
    warnings = [e for e in feedback.errors if e.startswith("warning:")]
    assert warnings == [f"warning: {RHONE}: its pixels are about 20 m on the ground, the model learnt from 10 m "
                        "pixels: it sees every field, street and river smaller than it knows them, so textures and colours "
                        "are less reliable"]


def _plain_part(text: str) -> str:
    """The help up to the fields' descriptions: what a user reads first."""
    return text[: text.index("<p><b>Input</b>")]


def test_help_starts_with_what_it_does_in_plain_words():
    text = colorize_algorithm.help_html()
    assert text.startswith("<p><b>Colorize SAR</b> turns a Sentinel-1 radar image into a picture in the colours")
    first = _plain_part(text)
    headings = re.findall(r"<p><b>([^<]+)</b>", first)
    assert headings == ["Colorize SAR", "What to expect", "Where it works, and where it does not"]
    assert [word for word in JARGON if word in first.lower()] == []
    # training details and scores come after the fields, in words
    details = text[text.index("<p><b>About the model</b>"):]
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH, read_metadata

    own = read_metadata(DEFAULT_MODEL_PATH).description
    assert own and own in details  # the model's own description, last, as technical details
    assert details.index("<b>Technical details</b>") > details.index("<b>Tested on images it never learnt from</b>")


def test_help_says_where_the_bundled_model_works_from_its_metadata():
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH, read_metadata

    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip("the bundled model is not installed")
    meta = read_metadata(DEFAULT_MODEL_PATH)
    text = colorize_algorithm.help_html()
    if set(meta.training.get("data", {})) == {"desert-patches", "india-scenes", "la-texas-vh", "temperate-pairs"}:
        assert ("The model learnt from Sentinel-1 images of an arid area; northern India; Los Angeles and San Antonio "
                "(Texas) and a few places in Finland, Germany and eastern China with 10 m pixels") in text
    scores = meta.metrics["validation"]
    best = min((k for k in scores if k != "mean_over_datasets"), key=lambda k: scores[k]["colour_error"])
    assert f"came closest in {model_info.PLACES.get(best, best)}" in text
    mean = scores["mean_over_datasets"]
    assert f"the overall tone was off by {mean['colour_error']:.0f} levels of 255 on average" in text
    assert f"peak signal-to-noise ratio {mean['psnr']:.1f} dB" in text


def test_the_right_click_dialog_opens_at_a_readable_size(provider, processing_module, qgis_iface, scene, load_raster,
                                                         qgis_new_project, monkeypatch):
    from qgis.gui import QgsBrowserGuiModel
    from qgis.PyQt.QtCore import QSize

    from sar_colorizer.ui import colorize_dialog

    browser = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser, raising=False)
    layer = load_raster(scene(RHONE))
    QgsProject.instance().addMapLayer(layer)
    dialog = colorize_dialog.create_colorize_dialog(ALG, {"INPUT": layer})
    try:
        wanted = colorize_dialog.dialog_size(dialog.screen().availableGeometry().size())
        assert dialog.width() >= wanted.width() and dialog.height() >= wanted.height()
        assert colorize_dialog.dialog_size(QSize(1920, 1080)) == QSize(1040, 760)
        assert colorize_dialog.dialog_size(QSize(1024, 700)) == QSize(921, 630)
        values = dialog.mainWidget().createProcessingParameters()
        assert values["INPUT"] == layer.id() and values["MODEL"] in (None, "")  # empty: the bundled model
        # shown, the help beside the fields gets 40 % of the width (Processing gives it about a quarter)
        from qgis.PyQt.QtWidgets import QApplication, QSplitter

        dialog.show()
        QApplication.processEvents()
        splitter = dialog.findChild(QSplitter)
        assert splitter.sizes()[1] < 0.39 * sum(splitter.sizes())
        colorize_dialog.widen_help(dialog)
        fields, help_panel = splitter.sizes()
        assert help_panel == pytest.approx(0.4 * (fields + help_panel), abs=2)
    finally:
        dialog.close()
        dialog.deleteLater()
