"""What every MineLand algorithm shares: groups, the base class, and the checks
that turn bad input into a QgsProcessingException naming the parameter."""

import itertools
import math
import os

import numpy as np
from qgis.core import (
    NULL,
    QgsMapLayer,
    QgsCoordinateReferenceSystem,
    QgsDistanceArea,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QCoreApplication, QMetaType, QVariant

from ..core import dynamics, raster_io
from . import styling

#: Group ids (stable) → display names. The one place groups are defined.
GROUPS = {
    "landcover": "Land cover",
    "spatialstatistics": "Spatial statistics",
    "timeseries": "Time series",
    "mines": "Mines",
    "resilience": "Resilience and desertification",
}

#: Column kinds of table outputs: int (32-bit), COUNT (64-bit pixel counts), float, str.
COUNT = "count"
# Qt5 builds (QGIS 3.22) type fields with QVariant.Type; Qt6 builds have no QVariant.Type but QMetaType.Type.
if hasattr(QVariant, "Int"):
    FIELD_TYPES = {int: QVariant.Int, COUNT: QVariant.LongLong, float: QVariant.Double, str: QVariant.String}
else:  # pragma: no cover (Qt6)
    FIELD_TYPES = {int: QMetaType.Type.Int, COUNT: QMetaType.Type.LongLong, float: QMetaType.Type.Double,
                   str: QMetaType.Type.QString}
_CASTS = {int: int, COUNT: int, float: float, str: str}


def tr(text):
    return QCoreApplication.translate("MineLand", text)


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
        return tr(self.HELP)

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def checkParameterValues(self, parameters, context):  # noqa: N802 (QGIS's name)
        """A file input that is no longer on disk is named with what to do (QGIS's own check says "not found")."""
        for definition in self.parameterDefinitions():
            if definition.isDestination() or not isinstance(definition, FILE_PARAMETERS):
                continue
            value = parameters.get(definition.name())
            for item in value if isinstance(value, (list, tuple)) else [value]:
                path = item.split("|")[0] if isinstance(item, str) else ""
                if os.path.isabs(path) and not os.path.exists(path):
                    return False, (f"{definition.name()}: the file '{path}' does not exist (was it moved or "
                                   "deleted?); choose the file again")
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 (QGIS's name)
        """Run :meth:`compute`; a cancel becomes a clear message and leaves no output file."""
        parameters = resolve_outputs(self, parameters, context)
        check_output_folders(self, parameters, context)
        check_outputs_are_not_inputs(self, parameters, context, input_files(self, parameters))
        try:
            results = self.compute(parameters, context, feedback)
        except raster_io.Cancelled:
            raise QgsProcessingException(tr("Cancelled by the user; no output was written.")) from None
        for definition in self.destinationParameterDefinitions():
            if isinstance(definition, QgsProcessingParameterRasterDestination) and definition.name() in results:
                styling.apply_sidecar_on_load(context, results[definition.name()])
        # numpy numbers become empty strings in qgis_process's JSON: hand QGIS plain Python numbers
        return {key: value.item() if isinstance(value, np.generic) else value for key, value in results.items()}

    def add_report(self, help_text, by_default=False):
        """The optional OUTPUT_HTML of the algorithms that summarise: one self-contained page."""
        self.add(QgsProcessingParameterFileDestination("OUTPUT_HTML", "Report (HTML)", "HTML files (*.html)",
                                                       optional=True, createByDefault=by_default), help_text)

    def add(self, parameter, help_text, advanced=False):
        """addParameter with its help text (and the advanced flag)."""
        parameter.setHelp(tr(help_text))
        if advanced:
            parameter.setFlags(parameter.flags() | parameter.FlagAdvanced)
        self.addParameter(parameter)
        return parameter


#: Input parameters whose value may be a file path.
FILE_PARAMETERS = (QgsProcessingParameterFeatureSource, QgsProcessingParameterFile, QgsProcessingParameterMapLayer,
                   QgsProcessingParameterMultipleLayers, QgsProcessingParameterRasterLayer,
                   QgsProcessingParameterVectorLayer)


def input_files(algorithm, parameters):
    """Files given to the input parameters (paths, lists of paths, layers read from files)."""
    files = []
    for definition in algorithm.parameterDefinitions():
        if definition.isDestination():
            continue
        value = parameters.get(definition.name())
        for item in value if isinstance(value, (list, tuple)) else [value]:
            source = item.source() if isinstance(item, QgsMapLayer) else item
            if isinstance(source, str) and os.path.isfile(source.split("|")[0]):
                files.append(source.split("|")[0])
    return files


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


def output_file(algorithm, definition, parameters, context):
    """The file an output parameter writes to ('' for memory/temporary layers and other non-file outputs)."""
    key = definition.name()
    if isinstance(definition, QgsProcessingParameterRasterDestination):
        return algorithm.parameterAsOutputLayer(parameters, key, context)
    if isinstance(definition, QgsProcessingParameterFileDestination):
        return algorithm.parameterAsFileOutput(parameters, key, context)
    value = parameters.get(key)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    path = str(value or "").split("|")[0]
    return path if os.path.isabs(path) else ""


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
    """A raster parameter opened with GDAL: path, dataset, band, nodata, grid."""

    def __init__(self, parameter, path, band_number=1):
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

    def require_integer(self):
        if not raster_io.is_integer_band(self.band):
            fail(self.parameter, f"{os.path.basename(self.path)} is of type "
                 f"{raster_io.type_name(self.band)}, but class rasters must be integer; "
                 "reclassify it to integer class codes first (mineland:reclassify)")
        return self

    def class_names(self):
        return raster_io.read_class_names(self.band)


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


def class_raster_inputs(algorithm, parameters, name, context):
    """Several integer class rasters of a multiple-layer parameter, on one grid."""
    layers = algorithm.parameterAsLayerList(parameters, name, context)
    if len(layers) < 2:
        fail(name, f"give at least two class rasters (one per date); got {len(layers)}")
    inputs = []
    for i, layer in enumerate(layers, start=1):
        path = raster_path(algorithm, parameters, name, context, layer=layer)
        inputs.append(RasterInput(f"{name} (raster {i}, {os.path.basename(path)})", path).require_integer())
    check_grids(inputs)
    return inputs


def check_grids(inputs):
    """All inputs on the first one's grid; the message says which differs and how."""
    try:
        return raster_io.check_same_grid([(i.parameter, i.grid) for i in inputs])
    except ValueError as err:
        raise QgsProcessingException(str(err)) from None


#: What every raster algorithm's areas are (its help says it).
AREAS_HELP = ("areas on the ellipsoid of the raster's CRS, in any CRS (never degrees² nor map units²): exact per "
              "raster row in a geographic or Mercator CRS (Web Mercator included), elsewhere (UTM, Lambert "
              "conformal conic, polar stereographic, equal-area …) from the projection's local area scale, "
              "within 0.1 % of the geodesic area of the pixels")


def pixel_areas(inputs):
    """Pixel areas (m²) on the ellipsoid of the inputs' grid, a raster_io.PixelAreas (see its ``flat``)."""
    try:
        return raster_io.pixel_areas_m2(inputs[0].grid)
    except ValueError as err:
        fail(inputs[0].parameter, str(err))


def check_outputs_are_not_inputs(algorithm, parameters, context, input_paths):
    """Refuse any output file that would overwrite one of ``input_paths``."""
    inputs = {os.path.realpath(p) for p in input_paths if p}
    for definition in algorithm.destinationParameterDefinitions():
        name = definition.name()
        path = output_file(algorithm, definition, parameters, context) if wants_output(parameters, name) else ""
        if path and os.path.realpath(path) in inputs:
            fail(name, f"the output '{path}' is one of the inputs; choose another file name")


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
        fields.append(QgsField(field_name, FIELD_TYPES[kind]))
    sink, dest_id = algorithm.parameterAsSink(parameters, name, context, fields, wkb_type,
                                              crs or QgsCoordinateReferenceSystem())
    if sink is None:
        raise QgsProcessingException(algorithm.invalidSinkError(parameters, name))
    for row, geometry in zip(rows, geometries if geometries is not None else itertools.repeat(None)):
        feature = QgsFeature(fields)
        if geometry is not None:
            feature.setGeometry(geometry)
        feature.setAttributes([field_value(value, kind) for value, (_, kind) in zip(row, columns)])
        sink.addFeature(feature, QgsFeatureSink.FastInsert)
    return dest_id


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


def dated_class_rasters(algorithm, parameters, context):
    """INPUTS (class rasters on one grid) and YEARS (one per raster, increasing)."""
    inputs = class_raster_inputs(algorithm, parameters, "INPUTS", context)
    try:
        years = dynamics.parse_years(algorithm.parameterAsString(parameters, "YEARS", context), len(inputs))
    except ValueError as err:
        fail("YEARS", str(err))
    return inputs, years


def add_dated_inputs(algorithm):
    """The INPUTS and YEARS parameters shared by the multi-date algorithms."""
    algorithm.add(QgsProcessingParameterMultipleLayers("INPUTS", "Class rasters, one per date",
                                                       QgsProcessing.TypeRaster),
                  "Integer class rasters on one grid (same CRS, pixel size, origin and size), in date order.")
    algorithm.add(QgsProcessingParameterString("YEARS", "Years of the rasters (comma-separated)"),
                  "One whole year per raster, in the same order as INPUTS and increasing, e.g. 1985,2000,2020.")


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
    def paths(self):
        return sorted({s.path for s in self.steps})


def raster_stack(algorithm, parameters, name, context):
    """A multiple-layer parameter as a Stack: several single-band rasters, or one multiband raster."""
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
            if step.dataset.RasterCount > 1:
                fail(step.parameter, f"has {step.dataset.RasterCount} bands; give one single-band raster per "
                     "time step, or a single multiband raster with one band per time step")
    return Stack(name, steps)


def stack_years(algorithm, parameters, context, stack, name="YEARS"):
    """YEARS of a stack: one whole year per time step, increasing."""
    try:
        return dynamics.parse_years(algorithm.parameterAsString(parameters, name, context), len(stack.steps))
    except ValueError as err:
        fail(name, f"{err} (time steps: {len(stack.steps)})")


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
