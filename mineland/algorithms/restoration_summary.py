"""mineland:restorationsummary — restoration class shares per mine site, with the MLRI study's tests and clusters."""

import math
import os
from dataclasses import dataclass

import numpy as np
from osgeo import gdal
from qgis.core import (
    NULL,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsProcessing,
    QgsProcessingMultiStepFeedback,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ..core.io import raster_io
from ..core.render import report, styles
from ..core.render.reports import timeseries as reports
from ..core.timeseries import restoration
from .base import MineLandAlgorithm
from .checks import fail
from .children import repaired_polygons, run_child
from .feature_tables import chosen_fields, identifier_field, write_table
from .outputs import wants_output
from .rasters import RasterInput, pixel_areas, raster_path

PREFIX = "mineland_px_"  # column prefix of the zonal histogram, unlikely to clash with the user's fields
SEED = 0
SHORT = {code: name.lower() for code, name in restoration.RESTORATION_CLASSES.items()}


@dataclass
class Sites:
    """What the algorithm knows of each site, one entry per polygon."""

    features: list  # QgsFeature of the zonal histogram output (geometry in the CRS of SITES)
    ids: list
    counts: np.ndarray  # (sites, 5) pixels of classes 1..5
    other: np.ndarray  # (sites,) pixels that are nodata or not a class code
    pixel_m2: np.ndarray  # (sites,) pixel area used for the site
    start: np.ndarray  # (sites,) mining start year, NaN if unknown
    groups: list  # group value (str) or None


class RestorationSummaryAlgorithm(MineLandAlgorithm):
    NAME = "restorationsummary"
    DISPLAY_NAME = "Restoration summary per mine site"
    GROUP = "timeseries"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterRasterLayer("INPUT", "Restoration classes"),
            "Integer raster of the MLRI study's restoration classes: 1 SD, 2 ND, 3 NI, 4 SAI, 5 SCI, nodata 0 "
            "(mineland:trend OUTPUT_CLASS). Other values are left out.",
        )
        self.add(
            QgsProcessingParameterFeatureSource("SITES", "Mine sites", [QgsProcessing.TypeVectorPolygon]),
            "One polygon per mine site, in any CRS (reprojected to the raster's for the pixel count). "
            "A pixel belongs to a site when its centre is inside the polygon.",
        )
        self.add(
            QgsProcessingParameterField("SITE_ID_FIELD", "Site id field", parentLayerParameterName="SITES"),
            "Field identifying each site; copied to site_id (as text) in OUTPUT and the report.",
        )
        self.add(
            QgsProcessingParameterField(
                "START_YEAR_FIELD",
                "Mining start year field",
                optional=True,
                parentLayerParameterName="SITES",
                defaultValue="start_year",
                type=QgsProcessingParameterField.Numeric,
            ),
            "Numeric field with the year mining started (default start_year when SITES has it). "
            "duration_yr = REFERENCE_YEAR − start year; without it there is no duration and no Spearman test.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "REFERENCE_YEAR",
                "Reference year of the mining duration",
                QgsProcessingParameterNumber.Integer,
                2019,
                minValue=1,
                maxValue=3000,
            ),
            "duration_yr = REFERENCE_YEAR − start year. Default 2019, the last year of the MLRI study. No cap.",
        )
        self.add(
            QgsProcessingParameterField(
                "GROUP_FIELD", "Group field (e.g. mine region)", optional=True, parentLayerParameterName="SITES"
            ),
            "Kruskal-Wallis test of si_pct across the groups of this field (NULL groups left out). "
            "Without it, the test compares the shares of the five classes with one another across sites.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "CLUSTERS",
                "Number of k-means clusters",
                QgsProcessingParameterNumber.Integer,
                3,
                minValue=1,
                maxValue=10,
            ),
            "k of the k-means on (sai_pct, sci_pct), not standardised, k-means++ with seed 0, best of 10 "
            "starts; clusters named by mean si_pct (high, medium, low for 3). Default 3, as the MLRI study.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Restoration per site", QgsProcessing.TypeVectorPolygon),
            "Site polygons with site_id, area_km2 (classified area), <class>_km2 and <class>_pct for sd, nd, "
            "ni, sai, sci, si_pct, duration_yr and cluster; NULL shares for a site without classified pixels.",
        )
        self.add_report(
            "Self-contained HTML page (no network): the per-site table, the clusters and the test results.",
            by_default=True,
        )
        for key, label in (
            ("SPEARMAN_RHO", "Spearman rho (si_pct vs duration)"),
            ("SPEARMAN_P", "Spearman p-value"),
            ("KW_H", "Kruskal-Wallis H"),
            ("KW_P", "Kruskal-Wallis p-value"),
            ("N_SITES", "Sites with classified pixels"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        layer = self.parameterAsRasterLayer(parameters, "INPUT", context)
        raster = RasterInput("INPUT", raster_path(self, parameters, "INPUT", context, layer)).require_integer()
        row_areas = pixel_areas([raster])
        fields = self._site_fields(parameters, context)
        reference_year = self.parameterAsInt(parameters, "REFERENCE_YEAR", context)
        k = self.parameterAsInt(parameters, "CLUSTERS", context)

        steps = QgsProcessingMultiStepFeedback(2, feedback)
        zones = self._zonal_histogram(parameters, layer, context, steps)
        steps.setCurrentStep(1)
        sites = read_sites(zones, fields, raster.grid, layer.crs(), row_areas, context)
        shares = restoration.site_class_shares(sites.counts * sites.pixel_m2[:, None])
        duration = reference_year - sites.start
        report_exclusions(sites, shares, duration, feedback)

        summary = statistics(sites, shares, duration, k, fields["GROUP_FIELD"], feedback)
        results = {"OUTPUT": self._write_sites(parameters, context, zones, sites, shares, duration, summary)}
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_html(path, sites, shares, duration, summary, fields, reference_year, raster.path)
            results["OUTPUT_HTML"] = path
        results.update(numeric_outputs(summary, shares))
        return results

    def _site_fields(self, parameters, context):
        """Chosen field names (None when not given), each checked against SITES."""
        source = self.parameterAsSource(parameters, "SITES", context)
        if source is None:
            fail("SITES", "no polygon layer was given, or it could not be loaded")
        chosen = chosen_fields(self, parameters, context, source, "SITES", ("START_YEAR_FIELD", "GROUP_FIELD"))
        chosen["SITE_ID_FIELD"] = identifier_field(self, parameters, context, "SITES", "SITE_ID_FIELD")
        return chosen

    def _zonal_histogram(self, parameters, raster_layer, context, feedback):
        """Pixel counts per value and site by QGIS's native:zonalhistogram (reprojects the sites itself), on the
        sites with invalid polygons repaired and empty ones dropped."""
        crs = self.parameterAsSource(parameters, "SITES", context).sourceCrs()
        copy = run_child("native:reprojectlayer", {"INPUT": parameters["SITES"], "TARGET_CRS": crs}, context, feedback)
        sites = repaired_polygons(copy, "SITES", context, feedback)
        if sites.featureCount() == 0:
            fail("SITES", "no site polygon (empty layer?); give a layer with the mine-site polygons")
        return run_child(
            "native:zonalhistogram",
            {"INPUT_RASTER": raster_layer, "RASTER_BAND": 1, "INPUT_VECTOR": sites, "COLUMN_PREFIX": PREFIX},
            context,
            feedback,
        )

    def _write_sites(self, parameters, context, zones, sites, shares, duration, summary):
        rows = [site_row(i, sites, shares, duration, summary) for i in range(len(sites.features))]
        return write_table(
            self,
            parameters,
            "OUTPUT",
            context,
            output_columns(),
            rows,
            [f.geometry() for f in sites.features],
            zones.wkbType(),
            zones.crs(),
        )


# ------------------------------------------------------------------ reading


def read_sites(zones, fields, grid, raster_crs, row_areas, context):
    """Ids, class pixel counts, pixel area, start year and group of every site of the zonal histogram."""
    features = list(zones.getFeatures())
    names = zones.fields().names()
    code_columns = [f"{PREFIX}{code}" for code in restoration.CLASS_CODES]
    other_columns = [n for n in names if n.startswith(PREFIX) and n not in code_columns]
    counts = np.array([[_count(f, c, names) for c in code_columns] for f in features], dtype=np.int64)
    other = np.array([sum(_count(f, c, names) for c in other_columns) for f in features], dtype=np.int64)
    start_field, group_field = fields["START_YEAR_FIELD"], fields["GROUP_FIELD"]
    return Sites(
        features=features,
        ids=[_text(f[fields["SITE_ID_FIELD"]]) for f in features],
        counts=counts.reshape(len(features), len(code_columns)),
        other=other,
        pixel_m2=site_pixel_areas(features, zones.crs(), grid, raster_crs, row_areas, context),
        start=np.array([_number(f[start_field]) if start_field else math.nan for f in features], dtype=float),
        groups=[_text(f[group_field]) if group_field else None for f in features],
    )


def site_pixel_areas(features, sites_crs, grid, raster_crs, row_areas, context):
    """Pixel area (m², on the ellipsoid) per site: the constant one, or the one of the pixel under the centroid."""
    if raster_io.has_constant_pixel_area(row_areas):
        return np.full(len(features), row_areas.constant)
    transform = QgsCoordinateTransform(sites_crs, raster_crs, context.transformContext())
    inverse = gdal.InvGeoTransform(grid.geotransform)
    rows, cols = [], []
    for feature in features:
        geometry = QgsGeometry(feature.geometry())
        if geometry.isEmpty():
            rows.append(0)  # no pixel either, so the area does not matter
            cols.append(0)
            continue
        geometry.transform(transform)
        point = geometry.centroid().asPoint()
        col, row = gdal.ApplyGeoTransform(inverse, point.x(), point.y())
        rows.append(math.floor(row))
        cols.append(math.floor(col))
    return row_areas.at(np.array(rows, dtype=int), np.array(cols, dtype=int))


def _count(feature, column, names):
    if column not in names:
        return 0  # zonal histogram makes a column only for values found in some site
    value = feature[column]
    return 0 if value is None or value == NULL else int(value)


def _number(value):
    return math.nan if value is None or value == NULL else float(value)


def _text(value):
    return None if value is None or value == NULL else str(value)


def report_exclusions(sites, shares, duration, feedback):
    """Warn about left-out pixels, sites without classified pixels and odd durations."""
    other = int(sites.other.sum())
    if other:
        feedback.pushWarning(f"{other} pixel(s) inside the sites are nodata or not a class code 1–5; left out.")
    empty = [str(sites.ids[i]) for i in np.flatnonzero(~shares.valid)]
    if empty:
        feedback.pushWarning(
            f"{len(empty)} site(s) have no classified pixel; their shares are NULL and they are "
            f"left out of the statistics: {', '.join(empty)}"
        )
    negative = [str(sites.ids[i]) for i in np.flatnonzero(duration < 0)]
    if negative:
        feedback.pushWarning(f"mining starts after REFERENCE_YEAR (negative duration) at: {', '.join(negative)}")


# --------------------------------------------------------------- statistics


def statistics(sites, shares, duration, k, group_field, feedback):
    """Spearman, Kruskal-Wallis and k-means over the sites with classified pixels (restoration.site_statistics)."""
    summary = restoration.site_statistics(shares, duration, k, sites.groups if group_field else None, group_field, SEED)
    for warning in summary.warnings:
        feedback.pushWarning(warning)
    return summary


def numeric_outputs(summary, shares):
    """The numeric outputs; a statistic that is not computable is left out (never NaN)."""
    out = {"N_SITES": int(shares.valid.sum())}
    si = summary.spearman["SI"]
    if not math.isnan(si.rho):
        out.update(SPEARMAN_RHO=si.rho, SPEARMAN_P=si.p)
    if summary.kruskal is not None:
        out.update(KW_H=summary.kruskal.h, KW_P=summary.kruskal.p)
    return {key: value for key, value in out.items() if not (isinstance(value, float) and math.isnan(value))}


# ------------------------------------------------------------------- output


def output_columns():
    columns = [("site_id", str), ("area_km2", float)]
    for code in restoration.CLASS_CODES:
        columns += [(f"{SHORT[code]}_km2", float), (f"{SHORT[code]}_pct", float)]
    return columns + [("si_pct", float), ("duration_yr", float), ("cluster", str)]


def site_row(i, sites, shares, duration, summary):
    """Values of site i in the order of output_columns(); NaN for what is unknown."""
    row = [sites.ids[i], shares.total_km2[i]]
    for c in range(len(restoration.CLASS_CODES)):
        row += [shares.class_km2[i, c], shares.class_pct[i, c]]
    return row + [shares.si_pct[i], duration[i], summary.clusters.labels[i]]


def write_html(path, sites, shares, duration, summary, fields, reference_year, raster_file):
    """A self-contained page: per-site table, clusters, tests. Everything inline, nothing fetched."""
    start = fields["START_YEAR_FIELD"] or "start year (not given)"
    colours = dict(styles.RESTORATION_COLOURS)  # the class raster's legend, from its .qml where it has one
    colours.update({c: v for c, v in styles.qml_colours(raster_file).items() if c in colours})
    rows = [site_row(i, sites, shares, duration, summary) for i in range(len(sites.ids))]
    report.save(
        path,
        reports.restoration_page(
            os.path.basename(raster_file),
            reference_year,
            start,
            sites.ids,
            shares,
            summary,
            [name for name, _ in output_columns()],
            rows,
            colours,
        ),
    )
