"""QGIS's own algorithms run as child steps, and the vector helpers built on them."""

from qgis.core import (
    QgsDistanceArea,
    QgsProcessingException,
    QgsProcessingUtils,
)

from ..core.io import raster_io


def run_child(algorithm_id, parameters, context, feedback):
    """Run one of QGIS's own algorithms as a child step; return its OUTPUT as a layer.

    Vector geometry work goes through QGIS's algorithms rather than our own
    GEOS code; the child shares the parent's context and feedback (so cancel
    and the log work) and writes to a temporary layer.
    """
    import processing  # QGIS's Processing plugin: importable once QGIS runs, not at plugin import

    result = processing.run(
        algorithm_id,
        dict(parameters, OUTPUT="TEMPORARY_OUTPUT"),
        context=context,
        feedback=feedback,
        is_child_algorithm=True,
    )
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
    return run_child(
        "native:extractbyexpression",
        {"INPUT": fixed, "EXPRESSION": "NOT is_empty_or_null($geometry)"},
        context,
        feedback,
    )
