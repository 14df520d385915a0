"""mineland:accuracy — confusion matrix and accuracies of a class raster against reference points."""

from dataclasses import dataclass

import numpy as np
from qgis.core import (
    NULL,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeature,
    QgsFeatureRequest,
    QgsFeatureSink,
    QgsFields,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterRasterLayer,
    QgsProcessingUtils,
)

from ..core.io import raster_io
from ..core.timeseries import accuracy, sampling
from .base import MineLandAlgorithm
from .checks import fail, monitor
from .compat import COUNT, new_field
from .feature_tables import write_table
from .outputs import wants_output
from .rasters import RasterInput, class_label, raster_path

#: Fields added to the points of OUTPUT_POINTS.
POINT_COLUMNS = [("reference", COUNT), ("mapped", COUNT), ("agree", int), ("skipped", str)]

NO_POINT = "empty geometry, or a multi-point with more than one point"
NULL_REFERENCE = "NULL reference class"
NOT_PROJECTED = "could not be reprojected to the raster's CRS"
OUTSIDE = "outside the raster"
ON_NODATA = "on raster nodata"


@dataclass
class Points:
    """The reference points as read: one entry per feature."""

    features: list
    reference: list  # int class code, or None
    x: np.ndarray  # in the raster's CRS; NaN where there is no usable point
    y: np.ndarray
    skipped: list  # reason, or None while the point is still in


class AccuracyAlgorithm(MineLandAlgorithm):
    NAME = "accuracy"
    DISPLAY_NAME = "Accuracy assessment (confusion matrix, kappa)"
    GROUP = "timeseries"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterRasterLayer("INPUT", "Class raster"),
            "Integer class raster to assess (e.g. mineland:trend OUTPUT_CLASS). Its nodata pixels are left out.",
        )
        self.add(
            QgsProcessingParameterBand("BAND", "Band", 1, "INPUT", optional=True),
            "Band of INPUT holding the classes (default 1).",
        )
        self.add(
            QgsProcessingParameterFeatureSource("REFERENCE", "Reference points", [QgsProcessing.TypeVectorPoint]),
            "Points whose true class is known, in any CRS (reprojected to the raster's). Empty and "
            "multi-point geometries, and points outside the raster or on nodata, are skipped.",
        )
        self.add(
            QgsProcessingParameterField(
                "REFERENCE_FIELD", "Reference class field", parentLayerParameterName="REFERENCE"
            ),
            "Field with the true class code of each point, in the codes of INPUT: a numeric field, or "
            "text holding whole numbers. NULL or empty values are skipped.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Confusion matrix", QgsProcessing.TypeVector),
            "Rows = reference class, columns mapped_<code> = mapped class, with total_reference and "
            "producers_accuracy; then a total_mapped row and a users_accuracy row whose "
            "producers_accuracy cell holds the overall accuracy.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_POINTS",
                "Reference points with the mapped class",
                QgsProcessing.TypeVectorPoint,
                optional=True,
                createByDefault=False,
            ),
            "The reference points with reference, mapped, agree (1/0) and skipped (reason, NULL when used).",
        )
        for key, label in (
            ("OVERALL_ACCURACY", "Overall accuracy"),
            ("KAPPA", "Cohen's kappa"),
            ("N_POINTS", "Points used"),
            ("N_SKIPPED", "Points skipped"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        layer = self.parameterAsRasterLayer(parameters, "INPUT", context)
        band_number = self.parameterAsInt(parameters, "BAND", context) or 1
        # sampling points at pixel indices works through any geotransform, rotated ones included
        raster = RasterInput(
            "INPUT", raster_path(self, parameters, "INPUT", context, layer), band_number, allow_rotated=True
        )
        raster.require_integer()
        source = self.parameterAsSource(parameters, "REFERENCE", context)
        if source is None:
            fail("REFERENCE", "no point layer was given, or it could not be loaded")
        field = self.parameterAsString(parameters, "REFERENCE_FIELD", context)
        if field not in source.fields().names():
            fail(
                "REFERENCE_FIELD",
                f"the field '{field}' is not in REFERENCE (fields: {', '.join(source.fields().names())})",
            )

        if not (source.sourceCrs().isValid() and layer.crs().isValid()):
            feedback.pushWarning("REFERENCE or INPUT has no CRS: the points are taken to be in the raster's CRS")
        transform = QgsCoordinateTransform(source.sourceCrs(), layer.crs(), context.transformContext())
        points = read_points(source, field, transform, wants_output(parameters, "OUTPUT_POINTS"), feedback)
        mapped = map_classes(points, raster, monitor(feedback, 0.5, 1.0))
        report_skipped(points, feedback)

        used = [i for i, reason in enumerate(points.skipped) if reason is None]
        if not used:
            fail(
                "REFERENCE",
                f"none of the {len(points.features)} point(s) can be used (see the warnings: "
                "NULL reference, outside the raster, on nodata, or not a single point)",
            )
        result = accuracy.confusion_matrix([points.reference[i] for i in used], mapped[used])

        names = raster.class_names()
        results = {
            "OUTPUT": write_table(
                self, parameters, "OUTPUT", context, matrix_columns(result), matrix_rows(result, names)
            )
        }
        if wants_output(parameters, "OUTPUT_POINTS"):
            results["OUTPUT_POINTS"] = self._write_points(parameters, context, source, points, mapped)
        results.update(
            {
                "OVERALL_ACCURACY": float(result.overall_accuracy),
                "N_POINTS": int(result.n),
                "N_SKIPPED": len(points.features) - len(used),
            }
        )
        if np.isnan(result.kappa):
            feedback.pushWarning(
                "kappa is undefined: every point is the same class in both the reference and "
                "the map (chance agreement p_e = 1); KAPPA is left out"
            )
        else:
            results["KAPPA"] = float(result.kappa)
        kappa = "undefined" if np.isnan(result.kappa) else f"{result.kappa:.4f}"
        feedback.pushInfo(f"{result.n} points: overall accuracy {result.overall_accuracy:.4f}, kappa {kappa}")
        return results

    def _write_points(self, parameters, context, source, points, mapped):
        extra = QgsFields()
        for name, kind in POINT_COLUMNS:
            extra.append(new_field(name, kind))
        # combineFields renames an added field that clashes with one of the layer's (e.g. reference_2).
        fields = QgsProcessingUtils.combineFields(source.fields(), extra)
        sink, dest_id = self.parameterAsSink(
            parameters, "OUTPUT_POINTS", context, fields, source.wkbType(), source.sourceCrs()
        )
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, "OUTPUT_POINTS"))
        for i, feature in enumerate(points.features):
            used = points.skipped[i] is None
            pixel = int(mapped[i]) if used or points.skipped[i] == ON_NODATA else None
            agree = int(pixel == points.reference[i]) if used else None
            out = QgsFeature(fields)
            out.setGeometry(feature.geometry())
            out.setAttributes(list(feature.attributes()) + [points.reference[i], pixel, agree, points.skipped[i]])
            sink.addFeature(out, QgsFeatureSink.FastInsert)
        return dest_id


# ------------------------------------------------------------------ reading


def read_points(source, field, transform, keep_attributes, feedback):
    """Reference class and raster-CRS coordinates of every feature, with the reason for any skip."""
    request = QgsFeatureRequest()
    if not keep_attributes:
        request.setSubsetOfAttributes([field], source.fields())
    total = source.featureCount()
    features, reference, xs, ys, skipped = [], [], [], [], []
    for n, feature in enumerate(source.getFeatures(request)):
        if feedback.isCanceled():
            raise raster_io.Cancelled()
        code = reference_code(feature[field], feature.id())
        x, y, reason = raster_coordinates(feature.geometry(), transform)
        if reason is None and code is None:
            reason = NULL_REFERENCE
        features.append(feature)
        reference.append(code)
        xs.append(x)
        ys.append(y)
        skipped.append(reason)
        if total > 0:
            feedback.setProgress(50.0 * (n + 1) / total)
    return Points(features, reference, np.array(xs, dtype=float), np.array(ys, dtype=float), skipped)


def reference_code(value, feature_id):
    """The whole-number class code of an attribute value; None for NULL or empty text."""
    if value is None or value == NULL or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer():
        fail(
            "REFERENCE_FIELD",
            f"feature {feature_id} has the value '{value}', which is not a whole-number "
            "class code; choose the field holding the reference class codes of INPUT",
        )
    return int(number)


def raster_coordinates(geometry, transform):
    """(x, y, None) in the raster's CRS, or (NaN, NaN, reason) when the geometry gives no single point."""
    if geometry is None or geometry.isNull() or geometry.isEmpty():
        return float("nan"), float("nan"), NO_POINT
    if geometry.isMultipart():
        parts = geometry.asMultiPoint()
        if len(parts) != 1:
            return float("nan"), float("nan"), NO_POINT  # which of the points would be the sample?
        point = parts[0]
    else:
        point = geometry.asPoint()
    try:
        point = transform.transform(point)
    except QgsCsException:
        return float("nan"), float("nan"), NOT_PROJECTED
    return point.x(), point.y(), None


def map_classes(points, raster, block_monitor):
    """The raster class under each point (0 where none); marks points outside or on nodata as skipped."""
    grid = raster.grid
    candidates = np.array([reason is None for reason in points.skipped], dtype=bool)
    rows, cols, inside = sampling.pixel_indices(grid.geotransform, points.x, points.y, grid.xsize, grid.ysize)
    for i in np.flatnonzero(candidates & ~inside):
        points.skipped[i] = OUTSIDE
    take = candidates & inside
    mapped = np.zeros(len(points.features), dtype=np.int64)
    values = sampling.sample_pixels(raster.band, rows[take], cols[take], block_monitor)
    mapped[take] = values
    for i in np.flatnonzero(take)[~raster_io.valid_mask(values, raster.nodata)]:
        points.skipped[i] = ON_NODATA
    return mapped


def report_skipped(points, feedback):
    """One warning per reason, with how many points and the first feature ids."""
    by_reason = {}
    for feature, reason in zip(points.features, points.skipped):
        if reason is not None:
            by_reason.setdefault(reason, []).append(str(feature.id()))
    for reason, ids in by_reason.items():
        more = ", …" if len(ids) > 20 else ""
        feedback.pushWarning(
            f"{len(ids)} reference point(s) skipped, {reason}: feature id(s) {', '.join(ids[:20])}{more}"
        )


# ------------------------------------------------------------------- output


def matrix_columns(result):
    return (
        [("class", int), ("label", str)]
        + [(f"mapped_{int(c)}", float) for c in result.classes]
        + [("total_reference", COUNT), ("producers_accuracy", float)]
    )


def matrix_rows(result, names):
    """Class rows (counts), then total_mapped and users_accuracy, in the order of matrix_columns()."""
    totals = result.reference_totals
    for i, code in enumerate(result.classes):
        yield (
            [int(code), class_label(names, code)]
            + [int(v) for v in result.matrix[i]]
            + [int(totals[i]), float(result.producers_accuracy[i])]
        )
    yield [None, "total_mapped"] + [int(v) for v in result.mapped_totals] + [int(result.n), None]
    yield (
        [None, "users_accuracy"] + [float(v) for v in result.users_accuracy] + [None, float(result.overall_accuracy)]
    )
