"""The Processing algorithm "Colorize SAR" (sarcolorizer:colorizesar).

A thin adapter: it turns Processing parameters into `core.options.ColorizeOptions`, calls
`core.pipeline.colorize` and maps its callbacks and errors onto Processing's feedback and
exceptions. torch and the pipeline are imported only when the algorithm runs.
"""
from __future__ import annotations

import configparser
import html
import os
import re
import traceback
from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsContrastEnhancement,
    QgsMapLayer,
    QgsMultiBandColorRenderer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsRaster,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from .. import deps
from ..core.names import dataset_label
from ..core.options import BACKENDS, DEVICES
from .model_info import DEFAULT_MODEL_PATH, describe_model, read_model, where_it_works



def _tracker() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(__file__).resolve().parent.parent / "metadata.txt", encoding="utf-8")
    return parser.get("general", "tracker", fallback="the plugin's issue tracker")


TRACKER = _tracker()


def tr(text: str) -> str:
    return QCoreApplication.translate("ColorizeSarAlgorithm", text)


class ColorizeSarAlgorithm(QgsProcessingAlgorithm):
    INPUT = "INPUT"
    VV_BAND = "VV_BAND"
    VH_BAND = "VH_BAND"
    VH_INPUT = "VH_INPUT"
    EXTENT = "EXTENT"
    MODEL = "MODEL"
    TILE_SIZE = "TILE_SIZE"
    OVERLAP = "OVERLAP"
    BACKEND = "BACKEND"
    DEVICE = "DEVICE"
    ALLOW_OPTICAL_INPUT = "ALLOW_OPTICAL_INPUT"
    COLOUR_REFERENCE = "COLOUR_REFERENCE"
    WORLD_PALETTE = "WORLD_PALETTE"
    OUTPUT = "OUTPUT"

    # --- identity -------------------------------------------------------------------------
    def name(self) -> str:
        return "colorizesar"

    def displayName(self) -> str:  # noqa: N802
        return tr("Colorize SAR")

    def group(self) -> str:
        return ""

    def groupId(self) -> str:  # noqa: N802
        return ""

    def tags(self):
        return ["sar", "sentinel-1", "sentinel-2", "colorize", "colorise", "rgb", "u-net",
                "deep learning", "backscatter", "radar", "optical"]

    def createInstance(self):  # noqa: N802
        return ColorizeSarAlgorithm()

    def shortDescription(self) -> str:  # noqa: N802
        return tr("Turns Sentinel-1 SAR backscatter into a Sentinel-2-like true-colour RGB image.")

    def shortHelpString(self) -> str:  # noqa: N802
        return help_html()

    def icon(self):
        from ..ui.icons import plugin_icon

        return plugin_icon()

    # --- parameters -----------------------------------------------------------------------
    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, tr("Sentinel-1 SAR raster (VV, optionally VH)")))
        self.addParameter(QgsProcessingParameterBand(
            self.VV_BAND, tr("VV band (empty: detect)"),
            None, self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterBand(
            self.VH_BAND, tr("VH band (empty: detect)"),
            None, self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.VH_INPUT, tr("Separate VH raster"), optional=True))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, tr("Only this extent (empty: the whole raster)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.COLOUR_REFERENCE, tr("Colour reference (optional: an optical image of the place, any date)"),
            optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            self.WORLD_PALETTE, tr("Use the built-in world palette"), True))
        # Optional and empty (= the bundled model) rather than mandatory-with-default: QGIS 3.22's
        # qgis_process reports a mandatory file parameter as missing even when it has a default, and
        # a default fills the field with a long path where the label says "empty: the bundled model".
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, tr("Model file (empty: the bundled model)"), QgsProcessingParameterFile.Behavior.File, "",
            None, True, tr("SAR Colorizer model (*.safetensors *.onnx);;All files (*.*)")))
        advanced = [
            QgsProcessingParameterNumber(
                self.TILE_SIZE, tr("Tile size in pixels (0: the model's own)"),
                QgsProcessingParameterNumber.Type.Integer, 0, False, 0, 8192),
            QgsProcessingParameterNumber(
                self.OVERLAP, tr("Tile overlap in pixels (0: the model's own)"),
                QgsProcessingParameterNumber.Type.Integer, 0, False, 0, 4096),
            QgsProcessingParameterEnum(
                self.BACKEND, tr("Backend"), list(BACKENDS), False, 0),
            QgsProcessingParameterEnum(
                self.DEVICE, tr("Device"), list(DEVICES), False, 0),
            QgsProcessingParameterBoolean(
                self.ALLOW_OPTICAL_INPUT, tr("Colorize even if the input looks optical"), False),
        ]
        for param in advanced:
            param.setFlags(param.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
            self.addParameter(param)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, tr("Colorized RGB")))

    # --- checks before running ------------------------------------------------------------
    def checkParameterValues(self, parameters, context):  # noqa: N802
        value = parameters.get(self.INPUT)
        if isinstance(value, str) and value:
            found = QgsProcessingUtils.mapLayerFromString(value, context)
            if found is None and Path(value).is_file():
                return False, tr("{}: {} is not a raster GDAL can read").format(self._field(self.INPUT), value)
            if found is None and (os.sep in value or "/" in value):
                return False, tr("{}: file not found: {}").format(self._field(self.INPUT), value)
            value = found or value
        if isinstance(value, QgsMapLayer) and not isinstance(value, QgsRasterLayer):
            return False, tr("{}: '{}' is a {} layer; choose a raster layer (a Sentinel-1 SAR image)").format(
                self._field(self.INPUT), value.name(), _layer_kind(value))
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        try:
            self._gather(parameters, context)
        except QgsProcessingException as exc:
            return False, str(exc)
        missing = deps.missing_required()
        if missing:
            return False, deps.missing_message(missing)
        return True, ""

    def _field(self, name: str) -> str:
        """A parameter's label as the dialog shows it, without its "(empty: ...)" note."""
        return self.parameterDefinition(name).description().split(" (")[0]

    def _gather(self, parameters, context) -> dict[str, Any]:
        """Validated inputs as plain Python values; raises QgsProcessingException with the reason."""
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if layer is None or not layer.isValid():
            raise QgsProcessingException(tr("{}: {} is not a raster layer GDAL can read").format(
                self._field(self.INPUT), _describe_value(parameters.get(self.INPUT))))
        path = raster_file_path(layer)
        if path is None:
            raise QgsProcessingException(
                tr("{}: layer '{}' comes from the '{}' provider, and a raster file (GeoTIFF or another GDAL "
                   "format) is needed. Save it as a GeoTIFF first (Export > Save As...).")
                .format(self._field(self.INPUT), layer.name(), layer.providerType()))
        names = {path: layer.name()}

        vh_path = None
        vh_layer = self.parameterAsRasterLayer(parameters, self.VH_INPUT, context) \
            if parameters.get(self.VH_INPUT) not in (None, "") else None
        if vh_layer is not None:
            vh_path = raster_file_path(vh_layer) if vh_layer.isValid() else None
            if vh_path is None:
                raise QgsProcessingException(tr("{}: {} is not a raster file GDAL can read").format(
                    self._field(self.VH_INPUT), _describe_value(parameters.get(self.VH_INPUT))))
            names[vh_path] = vh_layer.name()
            if parameters.get(self.VH_BAND) not in (None, "", -1):
                raise QgsProcessingException(
                    tr("Leave 'VH band' empty when VH comes from a separate raster: its band 1 is used"))

        band_count = layer.bandCount()
        bands: dict[str, int] = {}
        for key, role in ((self.VV_BAND, "VV"), (self.VH_BAND, "VH")):
            if parameters.get(key) in (None, "", -1):
                continue
            number = self.parameterAsInt(parameters, key, context)
            if number < 1 or number > band_count:
                raise QgsProcessingException(
                    tr("{}: band {} does not exist: layer '{}' has {} band(s)").format(
                        self._field(key), number, layer.name(), band_count))
            bands[role] = number
        if len(bands) == 2 and bands["VV"] == bands["VH"]:
            raise QgsProcessingException(tr("VV and VH cannot both be band {}").format(bands["VV"]))
        allow_optical = self.parameterAsBoolean(parameters, self.ALLOW_OPTICAL_INPUT, context)
        _check_early(path, vh_path, allow_optical, not bands and vh_path is None, names)

        # the colour prior: the reference if given, else the world palette (or none, unticked)
        palette = "auto" if self.parameterAsBoolean(parameters, self.WORLD_PALETTE, context) else "none"
        if parameters.get(self.COLOUR_REFERENCE) not in (None, ""):
            ref_layer = self.parameterAsRasterLayer(parameters, self.COLOUR_REFERENCE, context)
            ref_path = raster_file_path(ref_layer) if ref_layer is not None and ref_layer.isValid() else None
            if ref_path is None:
                raise QgsProcessingException(tr("{}: {} is not a raster file GDAL can read").format(
                    self._field(self.COLOUR_REFERENCE), _describe_value(parameters.get(self.COLOUR_REFERENCE))))
            palette = ref_path
            names[ref_path] = ref_layer.name()

        model_text = self.parameterAsFile(parameters, self.MODEL, context) or str(DEFAULT_MODEL_PATH)
        model_path = Path(model_text)
        if not model_path.is_file():
            if model_path == DEFAULT_MODEL_PATH:
                raise QgsProcessingException(
                    tr("No model is installed at {}: choose a SAR Colorizer model file in 'Model file' "
                       "(MODEL=...), or install a plugin package that bundles the trained model.").format(model_path))
            raise QgsProcessingException(tr("Model file not found: {}").format(model_path))

        # 0 = the model's own; the pipeline checks the values against the model (one rule, in core)
        tile = self.parameterAsInt(parameters, self.TILE_SIZE, context)
        overlap = self.parameterAsInt(parameters, self.OVERLAP, context)

        return {
            "layer": layer,
            "input_path": path,
            "vh_path": vh_path,
            "bands": bands or None,
            "model_path": model_path,
            "tile_size": tile or None,
            "overlap": overlap or None,
            "backend": BACKENDS[self.parameterAsEnum(parameters, self.BACKEND, context)],
            "device": DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)],
            "extent": self._extent(parameters, context, layer),
            "allow_optical_input": allow_optical,
            "palette": palette,
            "names": names,
        }

    def _extent(self, parameters, context, layer: QgsRasterLayer) -> Optional[tuple[float, float, float, float]]:
        """The EXTENT in the input layer's CRS (the CRS its GCPs are in, for a GRD in radar geometry)."""
        if parameters.get(self.EXTENT) in (None, ""):
            return None
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, layer.crs())
        if rect.isNull() or rect.isEmpty():
            return None
        return rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()

    # --- the run --------------------------------------------------------------------------
    def processAlgorithm(self, parameters, context: QgsProcessingContext, feedback: QgsProcessingFeedback):  # noqa: N802
        feedback = feedback or QgsProcessingFeedback()
        values = self._gather(parameters, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not output_path:
            raise QgsProcessingException(tr("{}: no output file given").format(self._field(self.OUTPUT)))
        if not output_path.lower().endswith((".tif", ".tiff")):
            raise QgsProcessingException(
                tr("{}: the output must be a GeoTIFF (.tif), not {}").format(self._field(self.OUTPUT),
                                                                             Path(output_path).name))

        colorize, ColorizeOptions, SarColorizerError, Cancelled = _import_pipeline()
        options = ColorizeOptions(
            model_path=values["model_path"],
            bands=values["bands"],
            tile_size=values["tile_size"],
            overlap=values["overlap"],
            backend=values["backend"],
            device=values["device"],
            extent=values["extent"],
            allow_optical_input=values["allow_optical_input"],
            palette=values["palette"],
            overwrite=True,  # the file dialog (or the batch table) already asked
        )
        feedback.pushInfo(tr("Input: {}").format(values["input_path"]))
        if values["vh_path"]:
            feedback.pushInfo(tr("VH from: {}").format(values["vh_path"]))
        feedback.pushInfo(tr("Model: {}").format(values["model_path"]))
        if values["palette"] not in ("auto", "none"):
            feedback.pushInfo(tr("Colour reference: {}").format(values["palette"]))
        try:
            result = colorize(
                values["input_path"], output_path, options,
                progress=lambda fraction: feedback.setProgress(100.0 * fraction),
                is_cancelled=feedback.isCanceled,
                log=lambda message: _log(feedback, named_after_layers(message, values["names"])),
                vh_path=values["vh_path"],
            )
        except Cancelled:
            raise QgsProcessingException(tr("Cancelled: nothing was written.")) from None
        except SarColorizerError as exc:
            raise QgsProcessingException(named_after_layers(str(exc), values["names"])) from None
        except ImportError as exc:
            raise QgsProcessingException(deps.explain_import_error(exc)) from None
        except Exception as exc:  # a bug, not a user error: one clear line, details in the log
            feedback.pushDebugInfo(traceback.format_exc())
            raise QgsProcessingException(
                tr("SAR Colorizer failed unexpectedly ({}: {}). Nothing was written. Please report it at {} "
                   "with the log above (Log tab).").format(type(exc).__name__, exc, TRACKER)) from None
        feedback.pushInfo(result.summary())

        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = colorized_layer_name(values["layer"].name())
            if hasattr(details, "forceName"):
                details.forceName = True
            details.setPostProcessor(RgbLayerPostProcessor.create(details.name))
        return {self.OUTPUT: output_path}


def _log(feedback: QgsProcessingFeedback, message: str) -> None:
    """The pipeline's messages; its warnings (e.g. an input without CRS) stand out in red."""
    if message.lower().startswith("warning:"):
        feedback.reportError(message, fatalError=False)
    else:
        feedback.pushInfo(message)


def _import_pipeline():
    """Import onnxruntime and the pipeline now; a missing package becomes the install instructions."""
    missing = deps.missing_required()
    if missing:
        raise QgsProcessingException(deps.missing_message(missing))
    for module in (r.module for r in deps.REQUIRED):
        try:
            __import__(module)
        except Exception as exc:  # ImportError, or OSError for a DLL that does not load
            raise QgsProcessingException(deps.import_failure_message(module, exc)) from None
    from ..core.errors import Cancelled, SarColorizerError
    from ..core.options import ColorizeOptions
    from ..core.pipeline import colorize

    return colorize, ColorizeOptions, SarColorizerError, Cancelled


def _check_early(path: str, vh_path: Optional[str], allow_optical: bool, detect_bands: bool,
                 names: dict[str, str]) -> None:
    """Refuse in the dialog, before any model is loaded, an input that is not radar or whose VV/VH
    bands cannot be told, with the core's reason (the layers called by their names)."""
    try:
        from ..core import input_guards, raster_io
        from ..core.errors import SarColorizerError
    except ImportError:  # numpy/GDAL problems surface, with the install command, when it runs
        return
    try:
        input_guards.check_radar_inputs([path, vh_path], allow_optical)
        if detect_bands:
            raster_io.guess_band_roles(path)
    except SarColorizerError as exc:
        raise QgsProcessingException(named_after_layers(str(exc), names)) from None


def named_after_layers(message: str, names: dict[str, str]) -> str:
    """The core's message with each input file called by its layer's name, where the two differ: a
    layer made by another algorithm lives in a temporary file (OUTPUT.tif) that says nothing."""
    for source, layer_name in names.items():
        label = dataset_label(source)
        if layer_name and layer_name not in (label, Path(label).stem):
            message = re.sub(rf"(?<![\w.-]){re.escape(label)}(?![\w-]|\.\w)", lambda _: f"layer '{layer_name}'",
                             message)
    return message


def raster_file_path(layer: QgsRasterLayer) -> Optional[str]:
    """The GDAL dataset name behind a raster layer (a file, /vsizip/..., GPKG:...), or None when
    it is not a GDAL layer. QGIS's open options ("|option:...") are left out."""
    if layer.providerType() != "gdal":
        return None
    source = layer.source().split("|")[0]
    parts = QgsProviderRegistry.instance().decodeUri("gdal", layer.source())
    path = parts.get("path") or source
    if parts.get("vsiPrefix"):  # a file inside an archive: /vsizip/ + the archive + the member
        return f"{parts['vsiPrefix']}{path}{parts.get('vsiSuffix') or ''}"
    if parts.get("layerName"):  # e.g. a GeoPackage raster table: GDAL needs the full name
        return source
    return path


def colorized_layer_name(input_name: str) -> str:
    return f"{input_name} (colorized)"


WHAT_IT_DOES = (
    "<p><b>Colorize SAR</b> turns a Sentinel-1 radar image into a picture in the colours that a "
    "Sentinel-2 true-colour image of the same place might have, so that water, fields, forest, towns and "
    "bare ground can be told apart at a glance, also where clouds or night hid the optical satellites. The "
    "result is a new RGB GeoTIFF on the same pixel grid as the radar image.</p>")
WHAT_TO_EXPECT = (
    "<p><b>What to expect</b>: radar records no colour. The colours are the model's learnt guess from the "
    "radar's textures and brightness: plausible, not measured. Expect believable tones for water, "
    "vegetation, bare soil and built-up areas in landscapes like the ones it learnt from, soft edges (roads "
    "and field borders come out blurred) and wrong tones in places unlike them. Use the result to look at "
    "and interpret a scene; do not measure anything from its colours (vegetation indices, water quality, "
    "change between two dates).</p>")
INPUT_HELP = (
    "<p><b>Input</b>: a Sentinel-1 GRD backscatter raster, VV and optionally VH: calibrated and "
    "terrain-corrected in any CRS, in dB or linear power, or an ESA GRD product as delivered "
    "(amplitudes, georeferenced by ground control points); the scaling is detected. Leave the band "
    "fields empty to detect VV/VH from the band names (else band 1 = VV, band 2 = VH, swapped "
    "with a warning when band 1 is the weaker: VV is the stronger backscatter); set only "
    "VV to use VV alone. When VV and VH come as two files (ASF's RTC products, per-band exports), "
    "give the VV file as input and the VH file as <i>Separate VH raster</i> (its band 1); both "
    "must share one pixel grid. Files inside zip archives and GeoPackage rasters work as layers "
    "too.</p>")
OUTPUT_HELP = (
    "<p><b>Output</b>: a GeoTIFF with 3 byte bands (R, G, B) and a nodata mask, with the same "
    "size and georeferencing as the input (extent and CRS, or ground control points), added to the project as "
    "<i>&lt;input name&gt; (colorized)</i>; nodata stays transparent.</p>")
EXTENT_HELP = (
    "<p><b>Only this extent</b>: colorize just the part of the raster that covers it (drawn on "
    "the map, or a layer's extent), normalised with the whole scene's statistics so that parts "
    "colorized one by one meet without a seam.</p>")
COLOUR_HELP = (
    "<p><b>Colours of the place</b>: radar carries no colour, so the colours come from a coarse colour map "
    "of the scene's place (one colour every 2-3 km; it sets the palette, the radar draws every field, river "
    "and town). <i>Use the built-in world palette</i> (on by default) samples NASA's Blue Marble world "
    "mosaic (public domain) at the scene's location; a summer mosaic, so snow and the season's own tones "
    "are not in it. A <i>Colour reference</i> does better where you have one: any optical image that "
    "covers the scene (a Sentinel-2 true-colour image or reflectance bands of another date, a basemap "
    "export), in any CRS; its nodata and clouds (a Sentinel-2 SCL band) do not count. A scene with no "
    "georeferencing and no reference is colorized from the radar alone, with a warning: its colours are "
    "guessed. Either way the colours stay a rendering for the eye, not a measurement.</p>")
KEPT_COLOURS = {
    "reference": "a colour reference",
    "palette": "the world palette",
}


def colour_help(meta) -> str:
    """COLOUR_HELP, plus what the model file does with the prior's colours (PriorSpec.coarse_from)."""
    spec = meta.inputs.prior if meta is not None else None
    if spec is None or not spec.coarse_from:
        return COLOUR_HELP
    which = " and ".join(KEPT_COLOURS[k] for k in spec.coarse_from)  # PriorSpec allows these kinds only
    metres = spec.coarse_sigma_px * meta.pixel_size_m
    return COLOUR_HELP + (
        f"<p>With this model, the colours of {which} are kept as they are at scales above about "
        f"{metres:.0f} m; the model draws only the finer detail from the radar (fields, rivers, towns).</p>")
MODEL_FIELD_HELP = (
    "<p><b>Model file</b>: leave it empty to use the model that comes with the plugin (described "
    "below); choose a file only to try another SAR Colorizer model.</p>")
ADVANCED_HELP = (
    "<p><b>Advanced</b>: tile size and overlap (0 = the model's own), backend (torch, or onnx "
    "with onnxruntime) and device (cuda needs a CUDA build of torch). <i>Colorize even if the input "
    "looks optical</i>: a raster that looks like an optical image (8-bit Red, Green and Blue bands, "
    "Sentinel-2 band names) or is an output of this plugin is refused unless this is ticked.</p>")


def help_html(model_path: Optional[Path] = None) -> str:
    """The help panel: first what it does, what to expect and where it works, in plain words; then
    the fields; then the model's training and scores. A paragraph about colours (the colour
    reference and the world palette) belongs after "where it works"."""
    meta, problem = read_model(model_path)
    parts = [
        WHAT_IT_DOES,
        WHAT_TO_EXPECT,
        where_it_works(meta),
        INPUT_HELP,
        OUTPUT_HELP,
        EXTENT_HELP,
        colour_help(meta),
        MODEL_FIELD_HELP,
        ADVANCED_HELP,
        describe_model(model_path, meta) if meta else problem,
    ]
    missing = deps.missing_required()
    if missing:
        parts.insert(0, "<p><b>Cannot run yet</b>: "
                     + html.escape(deps.missing_message(missing)).replace("\n", "<br>") + "</p>")
    return "".join(parts)


def _layer_kind(layer: QgsMapLayer) -> str:
    if isinstance(layer, QgsVectorLayer):
        return "vector"
    return type(layer).__name__.replace("Qgs", "").replace("Layer", "").lower() or "non-raster"


def _describe_value(value) -> str:
    if isinstance(value, QgsRasterLayer):
        return value.source()
    if hasattr(value, "source") and callable(value.source):
        return f"{value.name()} ({value.source()})"
    return str(value)


class RgbLayerPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Names the loaded result and shows bands 1/2/3 as R/G/B without a contrast stretch.

    Processing keeps only a raw pointer to a post-processor, so instances live in a class
    attribute; a batch of runs may be waiting to load, hence a (bounded) list.
    """

    instances: list = []

    def __init__(self, layer_name: str):
        super().__init__()
        self.layer_name = layer_name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
            return
        layer.setName(self.layer_name)
        apply_rgb_renderer(layer)

    @staticmethod
    def create(layer_name: str) -> "RgbLayerPostProcessor":
        processor = RgbLayerPostProcessor(layer_name)
        RgbLayerPostProcessor.instances = RgbLayerPostProcessor.instances[-255:] + [processor]
        return processor


def apply_rgb_renderer(layer: QgsRasterLayer) -> None:
    """Bands 1, 2, 3 as red, green, blue, byte values shown as they are (no stretch).

    QGIS shows the GeoTIFF's nodata mask as a 4th, alpha band: it makes nodata transparent.
    """
    provider = layer.dataProvider()
    renderer = QgsMultiBandColorRenderer(provider, 1, 2, 3)
    if layer.bandCount() >= 4 and provider.colorInterpretation(4) == QgsRaster.ColorInterpretation.AlphaBand:
        renderer.setAlphaBand(4)
    for setter in (renderer.setRedContrastEnhancement, renderer.setGreenContrastEnhancement,
                   renderer.setBlueContrastEnhancement):
        enhancement = QgsContrastEnhancement(layer.dataProvider().dataType(1))
        enhancement.setContrastEnhancementAlgorithm(QgsContrastEnhancement.ContrastEnhancementAlgorithm.NoEnhancement)
        enhancement.setMinimumValue(0)
        enhancement.setMaximumValue(255)
        setter(enhancement)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
