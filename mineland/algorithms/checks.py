"""Messages that name a parameter, and the checks of input values that give them."""

import contextlib
import math
import os
import re
import time

from qgis.core import (
    NULL,
    QgsMapLayer,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..core.io import raster_io


def tr(text):
    return QCoreApplication.translate("MineLand", text)


#: A message that starts with a parameter key: "KEY: …" or "KEY (…".
_KEY_FIRST = re.compile(r"^([A-Z][A-Z0-9_]*)(?=[: ])")


def with_label(algorithm, message):
    """A message naming a parameter by its key also names it by its label, as the dialog shows it.

    "TABLE: …" becomes "TABLE: … (TABLE is “Reclassification table” in the dialog)"; the key stays first, so
    scripts and models that read the messages keep working. Messages that already give the label
    ("KEY (label): …") are left as they are.
    """
    match = _KEY_FIRST.match(message)
    definition = algorithm.parameterDefinition(match.group(1)) if match else None
    if definition is None or message.startswith(f"{definition.name()} ("):
        return message
    return tr("{} ({} is “{}” in the dialog)").format(message, definition.name(), tr(definition.description()))


#: Input parameters whose value may be a file path.
FILE_PARAMETERS = (
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
)


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
    if (
        math.isnan(number)
        or (bounded_low and number < low)
        or (bounded_high and number > high)
        or (whole and math.isfinite(number) and number != int(number))
        or math.isinf(number)
    ):
        return f"{definition.name()} ({definition.description()}): {rule}, got {value}"
    return ""


def unreadable_raster(definition, path):
    """The message for a raster parameter's existing file that GDAL cannot open ('' when it opens, or the
    parameter is not a raster one)."""
    is_raster = isinstance(definition, QgsProcessingParameterRasterLayer) or (
        isinstance(definition, QgsProcessingParameterMultipleLayers)
        and definition.layerType() == QgsProcessing.TypeRaster
    )
    if not is_raster:
        return ""
    try:
        raster_io.open_raster(path)
    except ValueError as err:
        return (
            f"{definition.name()}: the file '{path}' exists but is not a raster GDAL can read ({err}); it may "
            "be damaged, or another kind of file named like a raster: give a GeoTIFF (or another GDAL raster)"
        )
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
    named = [
        keys
        for name, keys in by_name.items()
        if re.search(r"(^|[\s/\\'\"])" + re.escape(name) + r"($|[\s,:'\"])", message)
    ]
    return next(iter(named[0])) if len(named) == 1 and len(named[0]) == 1 else None


def fail(parameter, message):
    """Raise the exception users see: the parameter, then what is wrong and what to do."""
    raise QgsProcessingException(f"{parameter}: {message}")


@contextlib.contextmanager
def parameter_errors(parameter, errors=ValueError, prefix=""):
    """Within the block, an exception of ``errors`` (the core's ValueError by default) becomes the message users
    see, as :func:`fail` words it: "PARAMETER: " + ``prefix`` + the exception's message.

        with parameter_errors("TABLE"):
            rules = reclass.rules_from_rows(cells)
    """
    try:
        yield
    except errors as err:
        fail(parameter, f"{prefix}{err}")


def monitor(feedback, start=0.0, end=1.0):
    """A core Monitor reporting to the feedback between ``start`` and ``end`` of 100 %.

    Besides the progress bar, the log gets a line at each quarter of the run
    with the time taken so far, so that a long run is never silent.
    """
    began = time.monotonic()
    marks = [mark for mark in (25, 50, 75) if mark > 100.0 * start]

    def progress(fraction):
        percent = 100.0 * (start + (end - start) * fraction)
        feedback.setProgress(percent)
        while marks and percent >= marks[0]:
            feedback.pushInfo(tr("{} % done ({:.0f} s)").format(marks.pop(0), time.monotonic() - began))

    return raster_io.Monitor(progress, feedback.isCanceled)


def warn(feedback, text):
    """feedback.pushWarning, when there is a feedback (helpers called without one stay silent)."""
    if feedback is not None:
        feedback.pushWarning(text)


def info(feedback, text):
    if feedback is not None:
        feedback.pushInfo(text)


def is_null(value):
    """NULL, None or blank text (CSV tables give text)."""
    return value is None or value == NULL or (isinstance(value, str) and not value.strip())
