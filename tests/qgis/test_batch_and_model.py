"""Many scenes at once: Processing's "Run as Batch Process" dialog, and a Graphical Modeler model."""
from __future__ import annotations

from pathlib import Path

from osgeo import gdal
from qgis.core import (
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterLayer,
    QgsProject,
)

SCENES = ["rhone-delta_vv_db_utm31n.tif", "sen12ms-cr-s1/ROIs1158_spring_s1_1_p36.tif"]


def test_batch_dialog_colorizes_each_row(provider, processing_module, qgis_iface, qgis_new_project, monkeypatch,
                                         tiny_model, scene, tmp_path):
    from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog
    from qgis.gui import QgsBrowserGuiModel

    browser = QgsBrowserGuiModel()  # pytest-qgis's iface stub has none
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: browser, raising=False)
    alg = provider.algorithm("colorizesar")
    dialog = BatchAlgorithmDialog(alg.create())
    panel = dialog.mainWidget()
    sources = [scene(s) for s in SCENES]
    outputs = [tmp_path / f"batch_{i}.tif" for i in range(len(sources))]
    while panel.batchRowCount() < len(sources):
        panel.addRow()
    panel.checkLoadLayersOnCompletion.setChecked(True)
    context = QgsProcessingContext()
    for row, (source, output) in enumerate(zip(sources, outputs)):
        panel.wrappers[row][panel.parameter_to_column["INPUT"]].setParameterValue(str(source), context)
        panel.wrappers[row][panel.parameter_to_column["MODEL"]].setParameterValue(str(tiny_model), context)
        panel.tblParameters.cellWidget(row + 1, panel.parameter_to_column["OUTPUT"]).setValue(str(output))
    try:
        dialog.runAlgorithm()  # QGIS 3.22 runs a batch synchronously, one row after the other
    finally:
        dialog.close()
    for source, output in zip(sources, outputs):
        src, dst = gdal.Open(str(source)), gdal.Open(str(output))
        assert dst is not None, output
        assert (dst.RasterXSize, dst.RasterYSize, dst.RasterCount) == (src.RasterXSize, src.RasterYSize, 3)
        assert dst.GetGeoTransform() == src.GetGeoTransform()
    loaded = sorted(layer.name() for layer in QgsProject.instance().mapLayers().values())
    assert loaded == sorted(f"{Path(s).stem} (colorized)" for s in sources)


def test_graphical_modeler_model_runs_the_algorithm(provider, processing_module, tiny_model, scene, tmp_path):
    """A model as the Graphical Modeler saves it: one raster input feeding Colorize SAR."""
    model = QgsProcessingModelAlgorithm("colorize via model", "tests")
    model.addModelParameter(QgsProcessingParameterRasterLayer("sar", "SAR scene"),
                            QgsProcessingModelParameter("sar"))
    child = QgsProcessingModelChildAlgorithm("sarcolorizer:colorizesar")
    child.setChildId("colorize")
    child.addParameterSources("INPUT", [QgsProcessingModelChildParameterSource.fromModelParameter("sar")])
    child.addParameterSources("MODEL", [QgsProcessingModelChildParameterSource.fromStaticValue(str(tiny_model))])
    out = QgsProcessingModelOutput("rgb", "Colorized")
    out.setChildOutputName("OUTPUT")
    child.setModelOutputs({"rgb": out})
    model.addChildAlgorithm(child)
    # the model survives a save/load round trip, as a .model3 file from the Modeler would
    path = tmp_path / "colorize.model3"
    assert model.toFile(str(path))
    loaded = QgsProcessingModelAlgorithm()
    assert loaded.fromFile(str(path))

    target = tmp_path / "model_out.tif"
    source = scene(SCENES[0])
    result = processing_module.run(loaded, {"sar": str(source), "colorize:rgb": str(target)},
                                   feedback=QgsProcessingFeedback())
    assert Path(result["colorize:rgb"]) == target
    src, dst = gdal.Open(str(source)), gdal.Open(str(target))
    assert (dst.RasterXSize, dst.RasterYSize, dst.RasterCount) == (src.RasterXSize, src.RasterYSize, 3)
