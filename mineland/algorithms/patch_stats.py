"""mineland:patchstats — size statistics of mining patches, per group and overall (Han et al. 2025)."""

import numpy as np
from qgis.core import (
    NULL,
    QgsFeatureRequest,
    QgsProcessing,
    QgsProcessingFeatureSource,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterString,
)

from ..core.io import raster_io
from ..core.spatial import patches
from .base import MineLandAlgorithm
from .checks import fail, parameter_errors
from .children import area_measurer
from .compat import COUNT
from .feature_tables import write_table


class PatchStatsAlgorithm(MineLandAlgorithm):
    NAME = "patchstats"
    DISPLAY_NAME = "Mining patch statistics"
    GROUP = "spatialstatistics"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("INPUT", "Mining patches", [QgsProcessing.TypeVectorPolygon]),
            "Mining polygons in any CRS; areas are ellipsoidal.",
        )
        self.add(
            QgsProcessingParameterField("GROUP_BY", "Group by", parentLayerParameterName="INPUT", optional=True),
            "Optional field (province, mineral, land-use type…): one row per value, then a row for all patches.",
        )
        self.add(
            QgsProcessingParameterString(
                "THRESHOLDS",
                "Size thresholds (km2, comma-separated)",
                ", ".join(f"{t:g}" for t in patches.DEFAULT_THRESHOLDS_KM2),
            ),
            "Shares of patches and of area below each threshold; default those of Han et al. (2025): 0.024, "
            "0.1, 0.2, 1, 10, 50, 100, 1000 km².",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Patch statistics", QgsProcessing.TypeVector),
            "One row per group and a last row 'All'; areas in km², perimeters in km, shares in %.",
        )
        for key, label in (
            ("PATCHES", "Patches"),
            ("AREA_KM2", "Total area (km2)"),
            ("GEOMEAN_AREA_KM2", "Geometric mean patch area (km2)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            fail("INPUT", "no polygon layer was given, or it could not be loaded")
        if not source.sourceCrs().isValid():
            fail("INPUT", "the layer has no CRS, so its areas are unknown; assign its CRS first")
        group_field = self.parameterAsString(parameters, "GROUP_BY", context) or None
        with parameter_errors("THRESHOLDS"):
            thresholds = patches.parse_thresholds(self.parameterAsString(parameters, "THRESHOLDS", context))

        areas, perimeters, groups, repaired = measure(source, group_field, context, feedback)
        if not areas:
            fail("INPUT", "the layer has no polygon with a geometry")
        if repaired:
            feedback.pushWarning(f"{repaired} invalid polygon(s) were repaired (makeValid) before measuring")
        areas, perimeters, groups = without_zero_area(areas, perimeters, groups, feedback)
        summaries = patches.summarise_groups(areas, perimeters, groups if group_field else None, thresholds)
        labels = [patches.threshold_label(t) for t in thresholds]
        columns = (
            [
                ("group", str),
                ("patches", COUNT),
                ("area_km2", float),
                ("mean_area_km2", float),
                ("geomean_area_km2", float),
                ("std_area_km2", float),
                ("min_area_km2", float),
                ("max_area_km2", float),
                ("perimeter_km", float),
                ("mean_perimeter_km", float),
            ]
            + [(f"n_lt_{label}_pct", float) for label in labels]
            + [(f"area_lt_{label}_pct", float) for label in labels]
        )
        rows = [
            [
                s.group if s.group is not None else "All",
                s.patches,
                s.area_km2,
                s.mean_area_km2,
                s.geomean_area_km2,
                s.std_area_km2,
                s.min_area_km2,
                s.max_area_km2,
                s.perimeter_km,
                s.mean_perimeter_km,
            ]
            + [s.patches_below_pct[t] for t in thresholds]
            + [s.area_below_pct[t] for t in thresholds]
            for s in summaries
        ]
        overall = summaries[-1]
        return {
            "OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows),
            "PATCHES": overall.patches,
            "AREA_KM2": overall.area_km2,
            "GEOMEAN_AREA_KM2": overall.geomean_area_km2,
        }


def without_zero_area(areas, perimeters, groups, feedback):
    """The patches that have an area (patches.zero_area), with a warning counting the others."""
    degenerate = patches.zero_area(areas, perimeters)
    if degenerate.any():
        feedback.pushWarning(
            f"INPUT: {int(degenerate.sum())} polygon(s) of zero area (degenerate, e.g. collinear "
            "vertices) are not counted as patches"
        )
        keep = np.flatnonzero(~degenerate)
        areas, perimeters, groups = ([values[i] for i in keep] for values in (areas, perimeters, groups))
        if not areas:
            fail("INPUT", "every polygon of the layer has zero area")
    return areas, perimeters, groups


def measure(source, group_field, context, feedback):
    """Ellipsoidal area (km²), perimeter (km) and group of every polygon; count of repaired ones."""
    measurer = area_measurer(source.sourceCrs(), context)
    areas, perimeters, groups, repaired = [], [], [], 0
    total = source.featureCount() or 1
    # invalid polygons are repaired here, so the context's "stop on invalid geometry" must not stop the reading
    for i, feature in enumerate(
        source.getFeatures(QgsFeatureRequest(), QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks)
    ):
        if feedback.isCanceled():
            raise raster_io.Cancelled()
        geometry = feature.geometry()
        if geometry.isEmpty():
            continue
        if not geometry.isGeosValid():
            geometry = geometry.makeValid()
            repaired += 1
        areas.append(measurer.measureArea(geometry) / 1e6)
        perimeters.append(measurer.measurePerimeter(geometry) / 1e3)
        value = feature[group_field] if group_field else None
        groups.append(None if value is None or value == NULL else value)
        feedback.setProgress(100.0 * (i + 1) / total)
    return areas, perimeters, groups, repaired
