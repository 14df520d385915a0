"""The outputs of a run: their files resolved once, checked before the run, removed after a failure."""

import os
import re

from qgis.core import (
    QgsMapLayer,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingUtils,
    QgsProperty,
)
from qgis.PyQt.QtCore import QUrl

from ..core.io import raster_io
from .checks import FILE_PARAMETERS, fail, parameter_errors


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


def check_output_formats(algorithm, parameters):
    """Every raster output has an extension MineLand writes (raster_io.output_driver), else a message listing them."""
    for definition, path, _ in _wanted_outputs(algorithm, parameters):
        if isinstance(definition, QgsProcessingParameterRasterDestination):
            with parameter_errors(definition.name()):
                raster_io.output_driver(path)


def check_outputs_are_distinct(algorithm, parameters):
    """Refuse two outputs of one run writing one file (or one's sidecar, e.g. its .qml style), naming both.

    Two tables in one GeoPackage under different layer names are two outputs, not one file.
    """
    seen = []
    for definition, path, layer in _wanted_outputs(algorithm, parameters):
        files = {os.path.realpath(f) for f in output_files(definition, path)}
        for other, other_path, other_layer in seen:
            layers_differ = (
                layer != other_layer
                and isinstance(definition, QgsProcessingParameterFeatureSink)
                and isinstance(other, QgsProcessingParameterFeatureSink)
            )
            if not layers_differ and files & {os.path.realpath(f) for f in output_files(other, other_path)}:
                fail(
                    definition.name(),
                    f"the output '{path}' is also the file of {other.name()} ('{other_path}'); "
                    "give each output its own file name",
                )
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
            fail(
                definition.name(), f"the output '{path}'{also} is one of the inputs; choose another file name ({what})"
            )


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


def wants_output(parameters, name):
    """Whether an optional output was asked for (qgis_process omits unasked ones)."""
    return parameters.get(name) not in (None, "")
