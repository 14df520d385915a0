"""Table and layer outputs (fields, rows, NULL) and the fields and matrix cells of table inputs."""

import itertools
import math

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsWkbTypes,
)

from .checks import fail, is_null
from .compat import COUNT, new_field

_CASTS = {int: int, COUNT: int, float: float, str: str}


def write_table(
    algorithm, parameters, name, context, columns, rows, geometries=None, wkb_type=QgsWkbTypes.NoGeometry, crs=None
):
    """Write rows to a feature sink; NaN and None become NULL. Returns the sink id.

    ``columns`` is a list of (field name, python type). Without ``geometries``
    the output is a table; with them (one per row) a layer of ``wkb_type`` in ``crs``.
    """
    fields = QgsFields()
    for field_name, kind in columns:
        fields.append(new_field(field_name, kind))
    # a CSV gets its .csvt, so that the table reloads with numeric fields, not all text
    layer_options = ["CREATE_CSVT=YES"] if _sink_file(parameters.get(name)).lower().endswith(".csv") else []
    sink, dest_id = algorithm.parameterAsSink(
        parameters, name, context, fields, wkb_type, crs or QgsCoordinateReferenceSystem(), layerOptions=layer_options
    )
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
        definition = algorithm.parameterDefinition(key)
        if (
            name is not None
            and name not in names
            and parameters.get(key) is None
            and definition.flags() & QgsProcessingParameterDefinition.FlagOptional
        ):
            name = None  # not given, and this layer lacks the optional field's conventional default name
        if name is not None and name not in names:
            fail(
                key,
                f"the field '{name}' is not in {source_key} (fields: {', '.join(names) or 'none'}); choose one of them",
            )
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
    request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry).setSubsetOfAttributes([name], source.fields())
    missing = [str(feature.id()) for feature in source.getFeatures(request) if is_null(feature[name])]
    if missing:
        more = ", …" if len(missing) > 20 else ""
        fail(
            key,
            f"{len(missing)} feature(s) of {source_key} have no {name} (NULL or empty): feature id(s) "
            f"{', '.join(missing[:20])}{more}; fill them in, or choose a field that identifies every feature",
        )
    return name
