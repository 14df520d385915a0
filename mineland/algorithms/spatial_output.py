"""Writing per-feature statistics: every input feature with its attributes and the new fields."""

from qgis.core import (
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsProcessingException,
    QgsProcessingFeatureSource,
)

from .compat import new_field
from .feature_tables import field_value


def write_features(algorithm, parameters, context, data, columns, values):
    """The features of ``data`` with their attributes plus ``columns`` (name, type) holding ``values`` (one row each).

    Features left out of the statistics (NULL value) are written too, with NULL in the new fields.
    """
    source = algorithm.parameterAsSource(parameters, "INPUT", context)
    fields = QgsFields(source.fields())
    for name, kind in columns:
        if fields.indexOf(name) >= 0:
            fields.remove(fields.indexOf(name))  # recomputed: replace a field of an earlier run
        fields.append(new_field(name, kind))
    sink, dest_id = algorithm.parameterAsSink(
        parameters, "OUTPUT", context, fields, source.wkbType(), source.sourceCrs()
    )
    if sink is None:
        raise QgsProcessingException(algorithm.invalidSinkError(parameters, "OUTPUT"))
    by_id = {feature.id(): row for feature, row in zip(data.features, values)}
    empty = [None] * len(columns)
    # positions resolved once: (input attribute, output attribute) kept, and the new columns' output positions
    kept = [
        (index, fields.indexOf(name)) for index, name in enumerate(source.fields().names()) if fields.indexOf(name) >= 0
    ]
    added = [(fields.indexOf(name), kind) for name, kind in columns]
    for feature in source.getFeatures(QgsFeatureRequest(), QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks):
        out = QgsFeature(fields)
        out.setGeometry(feature.geometry())
        inputs, attributes = feature.attributes(), [None] * fields.count()
        for index, position in kept:
            attributes[position] = inputs[index]
        for (position, kind), value in zip(added, by_id.get(feature.id(), empty)):
            attributes[position] = field_value(value, kind)
        out.setAttributes(attributes)
        sink.addFeature(out, QgsFeatureSink.FastInsert)
    return dest_id
