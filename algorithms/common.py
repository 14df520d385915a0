"""What every MineLand algorithm shares: groups, the base class, and the checks
that turn bad input into a QgsProcessingException naming the parameter."""

import itertools
import math
import os
import re

import numpy as np
from qgis.core import (
    NULL,
    QgsMapLayer,
    QgsCoordinateReferenceSystem,
    QgsDistanceArea,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
    QgsProperty,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, QUrl

from ..core import dynamics, raster_io
from . import styling
# column kinds of table outputs (int, COUNT, float, str) and their fields, shared by the algorithms
from .compat import COUNT, FIELD_TYPES, new_field  # noqa: F401
from .tags import tags_of

#: Group ids (stable) → display names. The one place groups are defined.
GROUPS = {
    "landcover": "Land cover",
    "spatialstatistics": "Spatial statistics",
    "timeseries": "Time series",
    "mines": "Mines",
    "resilience": "Resilience and desertification",
}

_CASTS = {int: int, COUNT: int, float: float, str: str}


def tr(text):
    return QCoreApplication.translate("MineLand", text)


#: A "<" that opens no tag ("p < 0.05", "<= 0"): Qt's rich text would swallow the rest as a tag.
_BARE_LESS_THAN = re.compile(r"<(?![a-zA-Z/!])")


def rich_text(text):
    """Help text as Qt's rich text (dialog help, tooltips) must be: tags kept, every other "<" escaped."""
    return _BARE_LESS_THAN.sub("&lt;", text)


class MineLandAlgorithm(QgsProcessingAlgorithm):
    """Base class: name, group and help come from class attributes.

    Subclasses set NAME (stable, lowercase), DISPLAY_NAME, GROUP (a GROUPS key)
    and HELP, and implement initAlgorithm and compute(parameters, context, feedback),
    which processAlgorithm calls. No state is kept on self between runs.
    """

    NAME = ""
    DISPLAY_NAME = ""
    GROUP = "landcover"
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802 (QGIS's name)
        return tr(self.DISPLAY_NAME)

    def group(self):
        return tr(GROUPS[self.GROUP])

    def groupId(self):  # noqa: N802 (QGIS's name)
        return self.GROUP

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        text = tr(self.HELP)
        if any(isinstance(d, QgsProcessingParameterRasterDestination) for d in self.destinationParameterDefinitions()):
            text += "\n\n" + tr(RASTER_OUTPUT_HELP)
        return rich_text(text)

    def tags(self):
        return tags_of(self.NAME)

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def checkParameterValues(self, parameters, context):  # noqa: N802 (QGIS's name)
        """Name the parameter and what to do where QGIS's own check would not: a file input no longer on
        disk, or not a raster GDAL can read (QGIS says "not found" for both), and a number out of its range
        or NaN (QGIS says "Incorrect parameter value" without the range)."""
        for definition in self.parameterDefinitions():
            if definition.isDestination():
                continue
            if isinstance(definition, QgsProcessingParameterNumber):
                message = number_out_of_range(definition, parameters.get(definition.name()))
                if message:
                    return False, message
            if not isinstance(definition, FILE_PARAMETERS):
                continue
            value = parameters.get(definition.name())
            for item in value if isinstance(value, (list, tuple)) else [value]:
                path = item.split("|")[0] if isinstance(item, str) else ""
                if os.path.isabs(path) and not os.path.exists(path):
                    return False, (f"{definition.name()}: the file '{path}' does not exist (was it moved or "
                                   "deleted?); choose the file again")
                message = unreadable_raster(definition, path) if os.path.isfile(path) else ""
                if message:
                    return False, message
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 (QGIS's name)
        """Run :meth:`compute`; a cancel becomes a clear message and leaves no output file; a GDAL read
        error mid-run (a damaged file) names the parameter of the file."""
        parameters = resolve_outputs(self, parameters, context)
        check_output_folders(self, parameters, context)
        # an output over an input first: that is the mistake that would destroy data
        check_outputs_are_not_inputs(self, parameters, context, input_sources(self, parameters, context))
        check_outputs_are_distinct(self, parameters)
        check_output_formats(self, parameters)
        written = OutputFiles(self, parameters)
        try:
            results = self.compute(parameters, context, feedback)
        except raster_io.Cancelled:
            written.remove_changed()
            raise QgsProcessingException(tr("Cancelled by the user; no output was written.")) from None
        except RuntimeError as err:  # osgeo raises RuntimeError for GDAL errors (UseExceptions)
            written.remove_changed()
            key = damaged_input_parameter(self, parameters, str(err))
            if key is None:
                raise
            fail(key, f"the file could not be read to the end: {err}. It is damaged or truncated (an interrupted "
                 "download or copy?); check it with gdalinfo -checksum, and copy or export it again")
        except BaseException:  # a failed run must not leave the outputs it wrote so far, looking complete
            written.remove_changed()
            raise
        inputs = input_layer_names(self, parameters, context)
        for definition in self.destinationParameterDefinitions():
            if isinstance(definition, QgsProcessingParameterRasterDestination) and definition.name() in results:
                styling.apply_sidecar_on_load(context, results[definition.name()])
                styling.name_after_inputs(context, results[definition.name()], tr(definition.description()), inputs)
        # numpy numbers become empty strings in qgis_process's JSON: hand QGIS plain Python numbers
        return {key: value.item() if isinstance(value, np.generic) else value for key, value in results.items()}

    def add_report(self, help_text, by_default=False):
        """The optional OUTPUT_HTML of the algorithms that summarise: one self-contained page."""
        self.add(QgsProcessingParameterFileDestination("OUTPUT_HTML", "Report (HTML)", "HTML files (*.html)",
                                                       optional=True, createByDefault=by_default), help_text)

    def add(self, parameter, help_text, advanced=False):
        """addParameter with its help text (and the advanced flag)."""
        parameter.setHelp(rich_text(tr(help_text)))
        if advanced:
            parameter.setFlags(parameter.flags() | parameter.FlagAdvanced)
        self.addParameter(parameter)
        return parameter


#: The raster inputs a loaded output is named after ("Reclassified (glc_1985)").
NAMING_INPUTS = ("INPUT", "INPUT_START", "INPUT_END", "LANDCOVER")


def input_layer_names(algorithm, parameters, context):
    """Names of the layers given to the NAMING_INPUTS this algorithm has, in that order."""
    names = []
    for key in NAMING_INPUTS:
        definition = algorithm.parameterDefinition(key)
        if isinstance(definition, QgsProcessingParameterRasterLayer) and wants_output(parameters, key):
            layer = algorithm.parameterAsRasterLayer(parameters, key, context)
            if layer is not None:
                names.append(layer.name())
    return names


#: Input parameters whose value may be a file path.
FILE_PARAMETERS = (QgsProcessingParameterFeatureSource, QgsProcessingParameterFile, QgsProcessingParameterMapLayer,
                   QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer,
                   QgsProcessingParameterVectorLayer)


def number_out_of_range(definition, value):
    """'KEY (label): must be between a and b, got x' when a number parameter's value is NaN or out of its
    range; '' when it is fine or not a plain number (an expression, a model input: QGIS checks those)."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    low, high = definition.minimum(), definition.maximum()
    bounded_low, bounded_high = low > -1e300, high < 1e300
    if bounded_low and bounded_high:
        rule = f"must be between {low:g} and {high:g}"
    elif bounded_low:
        rule = f"must be at least {low:g}"
    elif bounded_high:
        rule = f"must be at most {high:g}"
    else:
        rule = "must be a number"
    whole = definition.dataType() == QgsProcessingParameterNumber.Integer
    if whole:
        rule += " (a whole number)"
    if math.isnan(number) or (bounded_low and number < low) or (bounded_high and number > high) or (
            whole and math.isfinite(number) and number != int(number)) or math.isinf(number):
        return f"{definition.name()} ({definition.description()}): {rule}, got {value}"
    return ""


def unreadable_raster(definition, path):
    """The message for a raster parameter's existing file that GDAL cannot open ('' when it opens, or the
    parameter is not a raster one)."""
    is_raster = isinstance(definition, QgsProcessingParameterRasterLayer) or (
        isinstance(definition, QgsProcessingParameterMultipleLayers)
        and definition.layerType() == QgsProcessing.TypeRaster)
    if not is_raster:
        return ""
    try:
        raster_io.open_raster(path)
    except ValueError as err:
        return (f"{definition.name()}: the file '{path}' exists but is not a raster GDAL can read ({err}); it may "
                "be damaged, or another kind of file named like a raster: give a GeoTIFF (or another GDAL raster)")
    return ""


def damaged_input_parameter(algorithm, parameters, message):
    """The input parameter whose file a GDAL error message names, or None.

    GDAL before 3.10 puts the file's path first, GDAL 3.10+ only its file name ("damaged.tif, band 1: ..."):
    the path is looked for first, then a file name that only one input parameter has.
    """
    by_name = {}
    for definition in algorithm.parameterDefinitions():
        if definition.isDestination():
            continue
        value = parameters.get(definition.name())
        for item in value if isinstance(value, (list, tuple)) else [value]:
            source = item.source() if isinstance(item, QgsMapLayer) else item
            path = source.split("|")[0] if isinstance(source, str) else ""
            if path and os.path.isabs(path) and path in message:
                return definition.name()
            if path and os.path.basename(path) and os.path.basename(path) in message:
                by_name.setdefault(os.path.basename(path), set()).add(definition.name())
    named = [keys for name, keys in by_name.items()
             if re.search(r"(^|[\s/\\'\"])" + re.escape(name) + r"($|[\s,:'\"])", message)]
    return next(iter(named[0])) if len(named) == 1 and len(named[0]) == 1 else None


#: The shared sentence on raster outputs, appended to the help of every algorithm that writes one.
RASTER_OUTPUT_HELP = ("<b>Raster outputs</b> are written in the format of their extension: .tif or .tiff a tiled, "
                      "DEFLATE-compressed GeoTIFF (BigTIFF when large), .img an Erdas Imagine file (256-pixel tiles, "
                      "uncompressed); other extensions (.vrt, .gpkg, none, …) are refused. An output may not be a "
                      "file an input reads (a VRT's sources included) nor another output of the run. Each raster is "
                      "written in a folder beside it named NAME.partial-PID.tmp "
                      "(NAME the output's file name, PID the process id) and moved into place "
                      "when complete; a run that fails or is cancelled removes the outputs it wrote.")


def input_files(algorithm, parameters, context=None):
    """Files the input parameters read: their paths, the sidecars GDAL lists and a VRT's sources (recursively)."""
    return [path for _, path, _ in input_sources(algorithm, parameters, context)]


def input_sources(algorithm, parameters, context=None):
    """(parameter, file read, file given) of every file the input parameters read.

    A path, a list of paths, a layer (or a layer id of the context's project)
    read from a file; each expanded to what GDAL reads for it
    (raster_io.dataset_files: .aux.xml, a shapefile's .dbf, a VRT's sources, …).
    """
    sources = []
    for definition in algorithm.parameterDefinitions():
        if definition.isDestination():
            continue
        value = parameters.get(definition.name())
        layers = context if isinstance(definition, FILE_PARAMETERS) else None  # only layer parameters take ids
        for item in value if isinstance(value, (list, tuple)) else [value]:
            path = _input_path(item, layers)
            if path:
                sources.extend((definition.name(), read, path) for read in raster_io.dataset_files(path))
    return sources


def _input_path(item, context):
    """The file an input value reads ('' when none: memory layers, databases, numbers)."""
    if isinstance(item, QgsProcessingFeatureSourceDefinition):
        item = item.source
    if isinstance(item, QgsProperty):
        item = item.staticValue()
    if isinstance(item, str) and context is not None and not os.path.isfile(item.split("|")[0]):
        item = QgsProcessingUtils.mapLayerFromString(item, context, False) or item  # a layer id of the project
    source = item.source() if isinstance(item, QgsMapLayer) else item
    if not isinstance(source, str):
        return ""
    if source.startswith("file:"):  # delimited text layers: file:///path.csv?delimiter=…
        source = QUrl(source).toLocalFile()
    path = source.split("|")[0]
    return path if os.path.isfile(path) else ""


def resolve_outputs(algorithm, parameters, context):
    """The parameters with each wanted raster and file output resolved to its path, once.

    parameterAsOutputLayer registers a layer to load on completion, and for
    TEMPORARY_OUTPUT under a new temporary name at every call: the checks and
    the job calling it again would register files that never exist, which the
    dialog then reports as "not correctly generated". A resolved path is a plain
    string, which later calls return as it is without registering anything.
    """
    resolved = dict(parameters)
    for definition in algorithm.destinationParameterDefinitions():
        key = definition.name()
        if not wants_output(parameters, key):
            continue
        if isinstance(definition, QgsProcessingParameterRasterDestination):
            resolved[key] = algorithm.parameterAsOutputLayer(parameters, key, context)
        elif isinstance(definition, QgsProcessingParameterFileDestination):
            resolved[key] = algorithm.parameterAsFileOutput(parameters, key, context)
    return resolved


def output_file(algorithm, definition, parameters, context=None):
    """The file an output parameter writes to ('' for memory/temporary layers and other non-file outputs).

    Raster and file outputs are read as :func:`resolve_outputs` resolved them
    (parameterAsOutputLayer is called once per output and run, there).
    """
    return _output_target(parameters.get(definition.name()))[0]


def _output_target(value):
    """(file, layer name or '') of an output value: a path, ``path|layername=x``, ``ogr:dbname='path' table="x"``."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    text = str(value or "")
    match = re.match(r"""^ogr:dbname='(.*?)'(?:\s+table="(.*?)")?""", text)
    if match:
        return match.group(1), match.group(2) or ""
    path, _, options = text.partition("|")
    layer = re.search(r"layername=([^|]*)", options)
    return (path if os.path.isabs(path) else ""), (layer.group(1) if layer else "")


def output_files(definition, path):
    """The files an output at ``path`` writes: the file and the sidecars our writers and QGIS's add."""
    stem = os.path.splitext(path)[0]
    if isinstance(definition, QgsProcessingParameterRasterDestination):
        spill = [stem + ".ige"] if path.lower().endswith(".img") else []  # Erdas Imagine above 2 GiB
        return [path, path + ".aux.xml", stem + ".qml"] + spill
    if path.lower().endswith(".shp"):
        return [path] + [stem + ext for ext in (".shx", ".dbf", ".prj", ".cpg", ".qpj", ".qix")]
    if path.lower().endswith(".csv"):
        return [path, stem + ".csvt"]
    return [path]


def _wanted_outputs(algorithm, parameters):
    """(definition, file, layer name) of the outputs asked for that write a file."""
    outputs = []
    for definition in algorithm.destinationParameterDefinitions():
        if wants_output(parameters, definition.name()):
            path, layer = _output_target(parameters.get(definition.name()))
            if path:
                outputs.append((definition, path, layer))
    return outputs


def check_output_folders(algorithm, parameters, context):
    """Every output file goes to an existing, writable folder (else a message naming the output)."""
    for definition in algorithm.destinationParameterDefinitions():
        key = definition.name()
        path = output_file(algorithm, definition, parameters, context) if wants_output(parameters, key) else ""
        if not path:
            continue
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            fail(key, f"the folder '{folder}' does not exist (or is a file); choose an output in an existing folder")
        if not os.access(folder, os.W_OK):
            fail(key, f"the folder '{folder}' is not writable; choose another output folder")


def fail(parameter, message):
    """Raise the exception users see: the parameter, then what is wrong and what to do."""
    raise QgsProcessingException(f"{parameter}: {message}")


def monitor(feedback, start=0.0, end=1.0):
    """A core Monitor reporting to the feedback between ``start`` and ``end`` of 100 %."""
    def progress(fraction):
        feedback.setProgress(100.0 * (start + (end - start) * fraction))
    return raster_io.Monitor(progress, feedback.isCanceled)


# ---------------------------------------------------------------- rasters

class RasterInput:
    """A raster parameter opened with GDAL: path, dataset, band, nodata, grid.

    ``scaling`` is None (values used as stored: class codes) until :func:`physical_units` marks the
    input as continuous; then it is the band's GDAL scale/offset (None when it has none).
    """

    def __init__(self, parameter, path, band_number=1, allow_rotated=False):
        self.parameter = parameter
        self.path = path
        try:
            self.dataset = raster_io.open_raster(path)
        except ValueError as err:
            fail(parameter, f"{err}. Give a raster file GDAL can read.")
        if not 1 <= band_number <= self.dataset.RasterCount:
            fail(parameter, f"band {band_number} does not exist; the raster has {self.dataset.RasterCount} band(s)")
        self.band = self.dataset.GetRasterBand(band_number)
        self.nodata = raster_io.band_nodata(self.band)
        self.grid = raster_io.grid_of(self.dataset)
        self.scaling = None
        self.continuous = False  # set by physical_units: values, not class codes
        gt = self.grid.geotransform
        if (gt[2] or gt[4]) and not allow_rotated:
            fail(parameter, f"{os.path.basename(path)} is rotated or sheared (geotransform row/column rotation "
                 f"{gt[2]:g}, {gt[4]:g}); rotated grids are not supported: warp it north-up first, e.g. "
                 "gdalwarp -r near (classes) or -r bilinear (values) in.tif out.tif")
        self._probe_read(path)

    def _probe_read(self, path):
        """Read the first and the last pixel: a truncated file fails here, before any output is started."""
        width, height = self.dataset.RasterXSize, self.dataset.RasterYSize
        try:
            for x, y in ((0, 0), (width - 1, height - 1)):
                self.band.ReadRaster(x, y, 1, 1)
        except RuntimeError as err:
            fail(self.parameter, f"{os.path.basename(path)} cannot be read ({err}); it is damaged or truncated "
                 "(an interrupted download or copy?): check it with gdalinfo -checksum, and copy or export it again")

    def require_integer(self):
        if not raster_io.is_integer_band(self.band):
            fail(self.parameter, f"{os.path.basename(self.path)} is of type "
                 f"{raster_io.type_name(self.band)}, but class rasters must be integer; "
                 "reclassify it to integer class codes first (mineland:reclassify)")
        return self

    def class_names(self):
        return raster_io.read_class_names(self.band)


def physical_units(inputs, feedback):
    """Mark continuous inputs to be read in physical units; return them.

    Each input's ``scaling`` becomes its band's GDAL scale/offset, which the readers
    (:func:`.raster_io.physical`, :func:`.stack.stack_block`) apply as raw × scale + offset
    after testing nodata on the raw value; the log names every input that has one (once per input).
    Never for class rasters: their codes are used as stored.
    """
    for item in inputs:
        if item.continuous:
            continue
        item.continuous = True
        try:
            item.scaling = raster_io.band_scaling(item.band)
        except ValueError as err:
            fail(item.parameter, str(err))
        if item.scaling is not None:
            feedback.pushInfo(f"{item.parameter}: band {item.band.GetBand()} of {os.path.basename(item.path)} "
                              f"has GDAL scale {item.scaling.scale:.10g} and offset {item.scaling.offset:.10g}; "
                              f"its values are read as {item.scaling.describe()} (nodata tested on the raw value)")
    return inputs


def raster_path(algorithm, parameters, name, context, layer=None):
    """File path of a raster parameter; the raster must be a GDAL file."""
    layer = layer or algorithm.parameterAsRasterLayer(parameters, name, context)
    if layer is None:
        fail(name, "no raster layer was given, or it could not be loaded")
    if layer.providerType() != "gdal":
        fail(name, f"layer '{layer.name()}' is not a GDAL raster file; save it as GeoTIFF first")
    path = layer.source().split("|")[0]
    if not os.path.exists(path):
        fail(name, f"the raster file '{path}' does not exist (was it moved or deleted?)")
    return path


def class_raster_inputs(algorithm, parameters, name, context, feedback=None):
    """Several integer class rasters of a multiple-layer parameter, on one grid: one per date, or the bands of
    one multi-band raster (see :func:`raster_stack`)."""
    series = raster_stack(algorithm, parameters, name, context, feedback, first_band_of_many=True, distinct=True)
    if len(series.steps) < 2:
        fail(name, f"give at least two class rasters (one per date), or one multi-band raster with one band per "
             f"date; got {len(series.steps)} single-band raster")
    return [step.require_integer() for step in series.steps]


def class_raster_band(algorithm, parameters, context, name, band_name, feedback=None):
    """The class raster of parameter ``name`` at the band of parameter ``band_name`` (band 1 when not set).

    A multi-band raster read at band 1 because ``band_name`` was not set gets a
    warning with its band count: a GLC_FCS30D tile holds one year per band.
    """
    path = raster_path(algorithm, parameters, name, context)
    chosen = not is_null(parameters.get(band_name))
    band = algorithm.parameterAsInt(parameters, band_name, context) if chosen else 1
    item = RasterInput(name, path)
    count = item.dataset.RasterCount
    if not 1 <= band <= count:
        fail(band_name, f"band {band} does not exist; {os.path.basename(path)} has {count} band(s), choose one "
             f"of 1 to {count}")
    if band != 1:
        item = RasterInput(name, path, band)
    elif count > 1 and not chosen:
        warn(feedback, f"{name}: {os.path.basename(path)} has {count} bands and was read at band 1 because "
             f"{band_name} was not set; set {band_name} to the band of the date you mean")
    return item.require_integer()


def check_distinct_dates(inputs, what="raster and band"):
    """Refuse one raster and band given for two dates: the change between them would be 0 by construction."""
    seen = {}
    for item in inputs:
        key = (os.path.realpath(item.path), item.band.GetBand())
        if key in seen:
            fail(item.parameter, f"the same {what} as {seen[key]}; choose the later date's raster or band")
        seen[key] = item.parameter


def warn(feedback, text):
    """feedback.pushWarning, when there is a feedback (helpers called without one stay silent)."""
    if feedback is not None:
        feedback.pushWarning(text)


def info(feedback, text):
    if feedback is not None:
        feedback.pushInfo(text)


def check_grids(inputs):
    """All inputs on the first one's grid; the message says which differs and how."""
    try:
        return raster_io.check_same_grid([(i.parameter, i.grid) for i in inputs])
    except ValueError as err:
        raise QgsProcessingException(str(err)) from None


def pixel_areas(inputs):
    """Per-row pixel areas (m²) of the inputs' grid."""
    try:
        return raster_io.row_pixel_areas_m2(inputs[0].grid)
    except ValueError as err:
        fail(inputs[0].parameter, str(err))


def check_output_formats(algorithm, parameters):
    """Every raster output has an extension MineLand writes (raster_io.output_driver), else a message listing them."""
    for definition, path, _ in _wanted_outputs(algorithm, parameters):
        if isinstance(definition, QgsProcessingParameterRasterDestination):
            try:
                raster_io.output_driver(path)
            except ValueError as err:
                fail(definition.name(), str(err))


def check_outputs_are_distinct(algorithm, parameters):
    """Refuse two outputs of one run writing one file (or one's sidecar, e.g. its .qml style), naming both.

    Two tables in one GeoPackage under different layer names are two outputs, not one file.
    """
    seen = []
    for definition, path, layer in _wanted_outputs(algorithm, parameters):
        files = {os.path.realpath(f) for f in output_files(definition, path)}
        for other, other_path, other_layer in seen:
            layers_differ = layer != other_layer and isinstance(definition, QgsProcessingParameterFeatureSink) \
                and isinstance(other, QgsProcessingParameterFeatureSink)
            if not layers_differ and files & {os.path.realpath(f) for f in output_files(other, other_path)}:
                fail(definition.name(), f"the output '{path}' is also the file of {other.name()} ('{other_path}'); "
                     "give each output its own file name")
        seen.append((definition, path, layer))


def check_outputs_are_not_inputs(algorithm, parameters, context, input_paths):
    """Refuse any output file that would overwrite a file an input reads, naming the output and the input.

    ``input_paths``: (parameter, file read, file given) as :func:`input_sources` gives, or bare paths.
    """
    inputs = {}
    for item in input_paths:
        parameter, read, given = item if isinstance(item, tuple) else ("", item, item)
        if read:
            inputs.setdefault(os.path.realpath(read), (parameter, read, given))
    for definition, path, _ in _wanted_outputs(algorithm, parameters):
        for written in output_files(definition, path):
            if os.path.realpath(written) not in inputs:
                continue
            parameter, read, given = inputs[os.path.realpath(written)]
            what = f"{parameter} reads '{read}'" if parameter else f"'{read}' is read"
            if os.path.realpath(read) != os.path.realpath(given):
                what += f" (through '{given}')"
            also = "" if written == path else f" (it writes '{written}' beside it)"
            fail(definition.name(), f"the output '{path}'{also} is one of the inputs; choose another file name "
                 f"({what})")


class OutputFiles:
    """The files a run's outputs write, as they were before it: :meth:`remove_changed` after a failure.

    A file is removed when the run created or rewrote it; one it did not touch
    (a file from an earlier run the failure came before) stays, and so does a
    GeoPackage that existed before (it may hold other layers).
    """

    def __init__(self, algorithm, parameters):
        self.before = {}
        for definition, path, _ in _wanted_outputs(algorithm, parameters):
            for file in output_files(definition, path):
                self.before[file] = _file_state(file)

    def remove_changed(self):
        for file, state in self.before.items():
            now = _file_state(file)
            if now is None or now == state:
                continue
            if state is not None and file.lower().endswith((".gpkg", ".sqlite")):
                continue
            try:
                os.remove(file)
            except OSError:
                pass


def _file_state(path):
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def merged_class_names(inputs, extra=None):
    """Class names from the inputs' attribute tables (earlier inputs win), then ``extra``."""
    names = dict(extra or {})
    for item in reversed(inputs):
        names.update(item.class_names())
    return names


def class_codes(algorithm, parameters, name, context):
    """Whole class codes of a comma-separated string parameter; at least one."""
    text = algorithm.parameterAsString(parameters, name, context)
    try:
        values = [int(v) for v in str(text).replace(";", ",").split(",") if v.strip()]
    except ValueError:
        fail(name, f"class codes must be whole numbers separated by commas, got '{text}'")
    if not values:
        fail(name, "give at least one class code")
    return values


def class_label(names, code):
    return names.get(int(code), f"class {int(code)}")


# ----------------------------------------------------------------- tables

def wants_output(parameters, name):
    """Whether an optional output was asked for (qgis_process omits unasked ones)."""
    return parameters.get(name) not in (None, "")


def write_table(algorithm, parameters, name, context, columns, rows, geometries=None,
                wkb_type=QgsWkbTypes.NoGeometry, crs=None):
    """Write rows to a feature sink; NaN and None become NULL. Returns the sink id.

    ``columns`` is a list of (field name, python type). Without ``geometries``
    the output is a table; with them (one per row) a layer of ``wkb_type`` in ``crs``.
    """
    fields = QgsFields()
    for field_name, kind in columns:
        fields.append(new_field(field_name, kind))
    # a CSV gets its .csvt, so that the table reloads with numeric fields, not all text
    layer_options = ["CREATE_CSVT=YES"] if _sink_file(parameters.get(name)).lower().endswith(".csv") else []
    sink, dest_id = algorithm.parameterAsSink(parameters, name, context, fields, wkb_type,
                                              crs or QgsCoordinateReferenceSystem(), layerOptions=layer_options)
    if sink is None:
        raise QgsProcessingException(algorithm.invalidSinkError(parameters, name))
    for row, geometry in zip(rows, geometries if geometries is not None else itertools.repeat(None)):
        feature = QgsFeature(fields)
        if geometry is not None:
            feature.setGeometry(geometry)
        feature.setAttributes([field_value(value, kind) for value, (_, kind) in zip(row, columns)])
        sink.addFeature(feature, QgsFeatureSink.FastInsert)
    return dest_id


def _sink_file(value):
    """The file named by a sink's value ('' when none)."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    return str(value or "").split("|")[0]


def field_value(value, kind):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _CASTS[kind](value)


def is_null(value):
    """NULL, None or blank text (CSV tables give text)."""
    return value is None or value == NULL or (isinstance(value, str) and not value.strip())


def matrix_cells(algorithm, parameters, name, context):
    """The cells of a matrix parameter, [] when its table was left empty.

    An untouched table widget gives [NULL] (dialog, batch row, Model Designer)
    and a model may hold a bare NULL, which parameterAsMatrix would read as one cell.
    """
    value = parameters.get(name)
    if is_null(value) or (isinstance(value, (list, tuple)) and all(is_null(cell) for cell in value)):
        return []
    return algorithm.parameterAsMatrix(parameters, name, context)


def numeric_cell(value, parameter, feature):
    """A cell as a float: NaN when NULL or empty (CSV tables give text), else a clear error naming the field."""
    if is_null(value):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        fail(parameter, f"row {feature.id()} has '{value}', not a number")


def chosen_fields(algorithm, parameters, context, source, source_key, keys):
    """{key: field name, or None when not given} of the field parameters ``keys``; each a field of ``source``."""
    names = source.fields().names()
    chosen = {}
    for key in keys:
        name = algorithm.parameterAsString(parameters, key, context) or None
        if name is not None and name not in names:
            fail(key, f"the field '{name}' is not in {source_key} (fields: {', '.join(names) or 'none'}); "
                 "choose one of them")
        chosen[key] = name
    return chosen


def identifier_field(algorithm, parameters, context, source_key, key, required=True):
    """The field of parameter ``key`` identifying the features of ``source_key`` (None when optional and not
    given): it must be a field of the layer and hold no NULL, else the rows of two features could not be told
    apart."""
    source = algorithm.parameterAsSource(parameters, source_key, context)
    if source is None:
        fail(source_key, "no layer was given, or it could not be loaded (was the file moved or deleted?)")
    name = chosen_fields(algorithm, parameters, context, source, source_key, [key])[key]
    if name is None:
        if required:
            fail(key, f"choose the field that identifies the features of {source_key}")
        return None
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry).setSubsetOfAttributes([name],
                                                                                              source.fields())
    missing = [str(feature.id()) for feature in source.getFeatures(request) if is_null(feature[name])]
    if missing:
        more = ", …" if len(missing) > 20 else ""
        fail(key, f"{len(missing)} feature(s) of {source_key} have no {name} (NULL or empty): feature id(s) "
             f"{', '.join(missing[:20])}{more}; fill them in, or choose a field that identifies every feature")
    return name


def dated_class_rasters(algorithm, parameters, context, feedback=None):
    """INPUTS (class rasters on one grid: one per date, or one multi-band raster) and YEARS (one per date,
    increasing; read from the band descriptions or file names when YEARS is empty)."""
    inputs = class_raster_inputs(algorithm, parameters, "INPUTS", context, feedback)
    years = stack_years(algorithm, parameters, context, Stack("INPUTS", inputs), feedback=feedback)
    return inputs, years


#: What INPUTS and YEARS of the multi-date class algorithms accept (appended to their help).
SERIES_HELP = """
<b>INPUTS and YEARS</b> INPUTS is either one class raster per date, or one multi-band raster with one band per date in the order of YEARS (a GLC_FCS30D tile: 23 bands, 2000–2022). In a list of several rasters each is read at its band 1, and a multi-band one gets a warning naming its band count; the same raster (and band) given for two dates is refused. YEARS gives one whole year per date, increasing. Left empty, the years are read from the band descriptions, or else from the file names, when every one of them holds exactly one four-digit year (1900–2100, e.g. "2005" or "GLC_2005.tif"); the log says which years were read, and from where. Otherwise the run stops and asks to fill YEARS."""

#: The same for the continuous series of trend and zonalseries (a multi-band raster in a list is refused).
STACK_HELP = """
<b>Years</b> YEARS may be left empty when every band description (one multi-band raster), or else every file name (one raster per time step), holds exactly one four-digit year (1900–2100), increasing; the log says which years were read, and from where. Otherwise the run stops and asks to fill YEARS. The same raster given twice is refused."""


def add_dated_inputs(algorithm):
    """The INPUTS and YEARS parameters shared by the multi-date algorithms."""
    algorithm.add(QgsProcessingParameterMultipleLayers("INPUTS", "Class rasters, one per date (or one multi-band)",
                                                       QgsProcessing.TypeRaster),
                  "Integer class rasters on one grid (same CRS, pixel size, origin and size), in date order; or one "
                  "multi-band raster with one band per date (e.g. a GLC_FCS30D tile).")
    algorithm.add(QgsProcessingParameterString("YEARS", "Years of the rasters (comma-separated)", optional=True),
                  "One whole year per raster (or band), in the same order as INPUTS and increasing, e.g. "
                  "1985,2000,2020. Empty: read from the band descriptions or file names when each holds one year.")


class Stack:
    """A time series of rasters: one band per time step, all on one grid."""

    def __init__(self, parameter, steps):
        self.parameter = parameter
        self.steps = steps  # RasterInput per time step (a multiband raster gives one per band)
        self.grid = check_grids(steps)

    @property
    def bands(self):
        return [s.band for s in self.steps]

    @property
    def nodatas(self):
        return [s.nodata for s in self.steps]

    @property
    def scalings(self):
        """Scale/offset per step (None: as stored); set by :func:`physical_units`."""
        return [s.scaling for s in self.steps]

    @property
    def paths(self):
        return sorted({s.path for s in self.steps})


def raster_stack(algorithm, parameters, name, context, feedback=None, first_band_of_many=False, distinct=False):
    """A multiple-layer parameter as a Stack: several single-band rasters, or one multiband raster.

    Several rasters with a multi-band one among them are refused, or, with
    ``first_band_of_many`` (class rasters, which always read band 1 of each),
    read at band 1 with a warning naming the band count. With ``distinct`` the
    same raster given twice is refused (a series of dates; a static raster
    repeated for every date, as integrity's climate inputs may be, is allowed
    without it).
    """
    layers = algorithm.parameterAsLayerList(parameters, name, context)
    if not layers:
        fail(name, "no raster given")
    paths = [raster_path(algorithm, parameters, name, context, layer=layer) for layer in layers]
    if len(paths) == 1:
        count = RasterInput(name, paths[0]).dataset.RasterCount
        steps = [RasterInput(f"{name} (band {b})", paths[0], b) for b in range(1, count + 1)]
    else:
        steps = [RasterInput(f"{name} (raster {i}, {os.path.basename(p)})", p) for i, p in enumerate(paths, start=1)]
        for step in steps:
            count = step.dataset.RasterCount
            if count > 1 and not first_band_of_many:
                fail(step.parameter, f"has {count} bands; give one single-band raster per "
                     "time step, or a single multiband raster with one band per time step")
            if count > 1:
                warn(feedback, f"{step.parameter}: has {count} bands and was read at band 1 (no band can be chosen "
                     "in a list); to use every band, give this raster alone, one band per date")
        if distinct:
            check_distinct_dates(steps, "raster")
    return Stack(name, steps)


def stack_years(algorithm, parameters, context, stack, name="YEARS", feedback=None):
    """YEARS of a stack: one whole year per time step, increasing.

    Left empty, the years are read from the steps' band descriptions, or else
    their file names (:func:`dynamics.years_in_labels`), and the log says so.
    """
    if is_null(parameters.get(name)):
        return inferred_years(stack, name, feedback)
    try:
        return dynamics.parse_years(algorithm.parameterAsString(parameters, name, context), len(stack.steps))
    except ValueError as err:
        fail(name, f"{err} (time steps: {len(stack.steps)})")


def inferred_years(stack, name="YEARS", feedback=None):
    """Years read from the band descriptions, else the file names (when each step is its own file)."""
    steps = stack.steps
    files = list(dict.fromkeys(os.path.basename(s.path) for s in steps))
    sources = [("band descriptions", [s.band.GetDescription() for s in steps])]
    if len({s.path for s in steps}) == len(steps):  # one file per step: its name may hold the year
        sources.append(("file names", [os.path.splitext(os.path.basename(s.path))[0] for s in steps]))
    reasons = []
    for where, labels in sources:
        try:
            years = dynamics.years_in_labels(labels)
        except ValueError as err:
            reasons.append(f"{where}: {err}")
            continue
        shown = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
        info(feedback, f"{name} left empty: {len(years)} years read from the {where} of {shown}: "
             f"{', '.join(map(str, years))}")
        return years
    fail(name, f"left empty, and the years cannot be read from the rasters ({'; '.join(reasons)}); fill {name} "
         f"with one year per time step ({len(steps)}), in order, e.g. 2000,2005,2010")


# ----------------------------------------------------------- child algorithms

def run_child(algorithm_id, parameters, context, feedback):
    """Run one of QGIS's own algorithms as a child step; return its OUTPUT as a layer.

    Vector geometry work goes through QGIS's algorithms rather than our own
    GEOS code; the child shares the parent's context and feedback (so cancel
    and the log work) and writes to a temporary layer.
    """
    import processing  # QGIS's Processing plugin: importable once QGIS runs, not at plugin import

    result = processing.run(algorithm_id, dict(parameters, OUTPUT="TEMPORARY_OUTPUT"), context=context,
                            feedback=feedback, is_child_algorithm=True)
    layer = QgsProcessingUtils.mapLayerFromString(result["OUTPUT"], context)
    if layer is None:
        raise QgsProcessingException(f"{algorithm_id} gave no output layer")
    if feedback is not None and feedback.isCanceled():
        raise raster_io.Cancelled()
    return layer


def area_measurer(crs, context):
    """QgsDistanceArea measuring on the context's ellipsoid (WGS 84 when none is set) from ``crs``."""
    measurer = QgsDistanceArea()
    measurer.setSourceCrs(crs, context.transformContext())
    measurer.setEllipsoid(context.ellipsoid() or "EPSG:7030")
    return measurer


def repaired_polygons(layer, parameter, context, feedback):
    """``layer`` with invalid polygons repaired (native:fixgeometries) and empty ones dropped, with a warning."""
    invalid = empty = 0
    for feature in layer.getFeatures():
        geometry = feature.geometry()
        if geometry.isEmpty():
            empty += 1
        elif not geometry.isGeosValid():
            invalid += 1
    if invalid:
        feedback.pushWarning(f"{parameter}: {invalid} invalid polygon(s) repaired (native:fixgeometries)")
    if empty:
        feedback.pushWarning(f"{parameter}: {empty} feature(s) without geometry skipped")
    if not invalid and not empty:
        return layer
    fixed = run_child("native:fixgeometries", {"INPUT": layer}, context, feedback)
    return run_child("native:extractbyexpression", {"INPUT": fixed, "EXPRESSION": "NOT is_empty_or_null($geometry)"},
                     context, feedback)
