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

HELP = """Size statistics of mining patches (polygons), per group and over all patches, as Han et al. (2025) §3 reports them (12,680 patches, mean 0.36 km², geometric mean 0.024 km², 47.9 % of the patches under 0.024 km²).

<b>Areas and perimeters</b> are measured on the ellipsoid (the project's ellipsoid, WGS 84 when none is set) whatever the layer's CRS, in km² and km. Invalid polygons are repaired (makeValid) before they are measured; the log says how many. A multi-part feature is one patch. A polygon of zero area (collinear vertices; numerically 4πA/P² &lt; 10⁻⁶, a strip under 0.3 mm wide over 1 km, so that the rounding-noise area it gets when reprojected or measured on the ellipsoid never counts) is no patch: it is left out of every figure, with a warning giving their number.

<b>Per group</b> (GROUP_BY field, NULL values grouped as "(no group)") and in a last row "All": patches; area_km2 (total); mean_area_km2; geomean_area_km2 = exp(mean(ln A)) over patches with A > 0 (patch areas are log-normal, so this is the typical patch); std_area_km2 (sample standard deviation, n − 1); min and max; perimeter_km (total) and mean_perimeter_km; and for every threshold T of THRESHOLDS (km²) n_lt_T_pct, the share of the patches smaller than T, and area_lt_T_pct, the share of the group's area in those patches (field names write 0.024 as 0_024).
<b>OUTPUT</b> one row per group and the row "All" with the fields above. <b>PATCHES</b>, <b>AREA_KM2</b> and <b>GEOMEAN_AREA_KM2</b> give the count, total area (km²) and geometric-mean area (km²) of all patches."""


class PatchStatsAlgorithm(MineLandAlgorithm):
    NAME = "patchstats"
    DISPLAY_NAME = "Mining patch statistics"
    GROUP = "spatialstatistics"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterFeatureSource("INPUT", "Mining patches", [QgsProcessing.TypeVectorPolygon]),
                 "Mining polygons in any CRS; areas are ellipsoidal.")
        self.add(QgsProcessingParameterField("GROUP_BY", "Group by", parentLayerParameterName="INPUT", optional=True),
                 "Optional field (province, mineral, land-use type…): one row per value, then a row for all patches.")
        self.add(QgsProcessingParameterString("THRESHOLDS", "Size thresholds (km2, comma-separated)",
                                              ", ".join(f"{t:g}" for t in patches.DEFAULT_THRESHOLDS_KM2)),
                 "Shares of patches and of area below each threshold; default those of Han et al. (2025): 0.024, "
                 "0.1, 0.2, 1, 10, 50, 100, 1000 km².")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Patch statistics", QgsProcessing.TypeVector),
                 "One row per group and a last row 'All'; areas in km², perimeters in km, shares in %.")
        for key, label in (("PATCHES", "Patches"), ("AREA_KM2", "Total area (km2)"),
                           ("GEOMEAN_AREA_KM2", "Geometric mean patch area (km2)")):
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
        columns = ([("group", str), ("patches", COUNT), ("area_km2", float), ("mean_area_km2", float),
                    ("geomean_area_km2", float), ("std_area_km2", float), ("min_area_km2", float),
                    ("max_area_km2", float), ("perimeter_km", float), ("mean_perimeter_km", float)]
                   + [(f"n_lt_{label}_pct", float) for label in labels]
                   + [(f"area_lt_{label}_pct", float) for label in labels])
        rows = [[s.group if s.group is not None else "All", s.patches, s.area_km2, s.mean_area_km2,
                 s.geomean_area_km2, s.std_area_km2, s.min_area_km2, s.max_area_km2, s.perimeter_km,
                 s.mean_perimeter_km] + [s.patches_below_pct[t] for t in thresholds]
                + [s.area_below_pct[t] for t in thresholds] for s in summaries]
        overall = summaries[-1]
        return {"OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows),
                "PATCHES": overall.patches, "AREA_KM2": overall.area_km2,
                "GEOMEAN_AREA_KM2": overall.geomean_area_km2}


def without_zero_area(areas, perimeters, groups, feedback):
    """The patches that have an area (patches.zero_area), with a warning counting the others."""
    degenerate = patches.zero_area(areas, perimeters)
    if degenerate.any():
        feedback.pushWarning(f"INPUT: {int(degenerate.sum())} polygon(s) of zero area (degenerate, e.g. collinear "
                             "vertices) are not counted as patches")
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
    for i, feature in enumerate(source.getFeatures(QgsFeatureRequest(),
                                                   QgsProcessingFeatureSource.FlagSkipGeometryValidityChecks)):
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
