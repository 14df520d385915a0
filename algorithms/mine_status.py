"""mineland:minestatus — active / closed / undefined mines from the trends of BSP, NDVI and NTL (seed 001)."""

import numpy as np
from qgis.core import (
    NULL,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..core import mine_status
from .common import MineLandAlgorithm, fail, write_table

HELP = """Classifies every mine polygon as active, closed or undefined from the Mann-Kendall trends of its bare surface percentage (BSP), NDVI and night-time light (NTL) series, with seed 001's decision tree (§2.3, METHODS.md §4):
1. BSP significantly decreasing → closed (reclamation), increasing → active;
2. otherwise NDVI increasing → closed, decreasing → active;
3. otherwise NTL increasing → active, decreasing → closed;
4. otherwise undefined.
A trend is significant when p < ALPHA (default 0.05). A series that is not given, or that has fewer than MIN_YEARS valid years for a polygon, counts as "no significant trend" for that polygon.

<b>INPUT</b> a table (or layer) in long form: one row per polygon and year with ID_FIELD, YEAR_FIELD and the value fields (any of BSP_FIELD, NDVI_FIELD, NTL_FIELD; at least one). NULL values are missing years. BSP comes from mineland:disturbance (OUTPUT, bsp_pct); NDVI and NTL from rasters through mineland:zonalseries (polygon_id, year, mean), joined into one table or run once per series.
<b>TEST</b> 0 the original Mann-Kendall test (MineLand's own kernel, identical to pymannkendall.original_test); 1 Hamed-Rao and 2 Yue-Wang modifications for autocorrelated series, which need the pymannkendall package in QGIS's Python.
<b>OUTPUT</b> one row per polygon: polygon_id, then for each series given <series>_trend (+1 rising, −1 falling, 0 none), <series>_z, <series>_p, <series>_slope (Sen's slope per year) and <series>_years (valid years), then status and rule (the series and direction that decided, or none). ACTIVE, CLOSED and UNDEFINED count the polygons."""

TESTS = ["Original Mann-Kendall", "Hamed-Rao modification", "Yue-Wang modification"]
PYMANNKENDALL_TESTS = {1: "hamed_rao_modification_test", 2: "yue_wang_modification_test"}
INSTALL_HINT = ("install pymannkendall into QGIS's Python (e.g. `python3 -m pip install pymannkendall` in the "
                "Python QGIS uses; in the OSGeo4W shell on Windows) or choose TEST 0")


class MineStatusAlgorithm(MineLandAlgorithm):
    NAME = "minestatus"
    DISPLAY_NAME = "Mine status (active / closed / undefined)"
    GROUP = "mines"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterFeatureSource("INPUT", "Series per polygon and year", [QgsProcessing.TypeVector]),
                 "A table or layer with one row per polygon and year.")
        self.add(QgsProcessingParameterField("ID_FIELD", "Polygon id field", parentLayerParameterName="INPUT"),
                 "Identifies the mine polygon of each row.")
        self.add(QgsProcessingParameterField("YEAR_FIELD", "Year field", parentLayerParameterName="INPUT",
                                             type=QgsProcessingParameterField.Numeric),
                 "Year of each row (gaps allowed; Sen's slope uses the real years).")
        for key, label in (("BSP_FIELD", "Bare surface percentage (BSP) field"), ("NDVI_FIELD", "NDVI field"),
                           ("NTL_FIELD", "Night-time light (NTL) field")):
            self.add(QgsProcessingParameterField(key, label, parentLayerParameterName="INPUT", optional=True,
                                                 type=QgsProcessingParameterField.Numeric),
                     "Optional; give at least one of BSP, NDVI and NTL.")
        self.add(QgsProcessingParameterEnum("TEST", "Trend test", TESTS, defaultValue=0),
                 "0 original Mann-Kendall; 1 Hamed-Rao, 2 Yue-Wang (need pymannkendall).")
        self.add(QgsProcessingParameterNumber("ALPHA", "Significance level", QgsProcessingParameterNumber.Double,
                                              0.05, minValue=0.0001, maxValue=0.5),
                 "A trend counts when its p-value is below ALPHA (default 0.05).")
        self.add(QgsProcessingParameterNumber("MIN_YEARS", "Minimum valid years per series",
                                              QgsProcessingParameterNumber.Integer, 4, minValue=3),
                 "Shorter series count as no significant trend.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Mine status", QgsProcessing.TypeVector),
                 "One row per polygon: trends, p-values, Sen's slopes, status and the deciding rule.")
        for key in ("ACTIVE", "CLOSED", "UNDEFINED"):
            self.addOutput(QgsProcessingOutputNumber(key, f"{key.capitalize()} polygons"))

    def compute(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            fail("INPUT", "no table or layer was given, or it could not be loaded")
        fields = {key: self.parameterAsString(parameters, f"{key.upper()}_FIELD", context) or None
                  for key in mine_status.SERIES}
        fields = {key: name for key, name in fields.items() if name}
        if not fields:
            fail("BSP_FIELD", "give at least one of BSP_FIELD, NDVI_FIELD and NTL_FIELD")
        test = self._test(parameters, context)
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        min_years = self.parameterAsInt(parameters, "MIN_YEARS", context)
        id_field = self.parameterAsString(parameters, "ID_FIELD", context)
        year_field = self.parameterAsString(parameters, "YEAR_FIELD", context)

        ids, years, values = [], [], {key: [] for key in fields}
        for feature in source.getFeatures():
            year = number(feature[year_field], "YEAR_FIELD", feature)
            if feature[id_field] in (None, NULL) or np.isnan(year):
                continue
            ids.append(str(feature[id_field]))
            years.append(year)
            for key, name in fields.items():
                values[key].append(number(feature[name], f"{key.upper()}_FIELD", feature))
        if not ids:
            fail("INPUT", "no row has both a polygon id and a year")

        trends = {}
        for key in fields:
            try:
                polygons, year_list, matrix = mine_status.series_matrix(ids, years, values[key])
            except ValueError as err:
                fail("YEAR_FIELD", str(err))
            trends[key] = mine_status.series_trend(matrix, year_list, alpha, min_years, test)
        status, rule = mine_status.decide({key: t.direction for key, t in trends.items()})

        columns = [("polygon_id", str)]
        for key in fields:
            columns += [(f"{key}_trend", int), (f"{key}_z", float), (f"{key}_p", float), (f"{key}_slope", float),
                        (f"{key}_years", int)]
        columns += [("status", str), ("rule", str)]
        rows = []
        for i, polygon in enumerate(polygons):
            row = [polygon]
            for key in fields:
                t = trends[key]
                row += [int(t.direction[i]), t.z[i], t.p[i], t.slope[i], int(t.n[i])]
            rows.append(row + [status[i], rule[i]])
        return {"OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows),
                "ACTIVE": int(np.sum(status == "active")), "CLOSED": int(np.sum(status == "closed")),
                "UNDEFINED": int(np.sum(status == "undefined"))}

    def _test(self, parameters, context):
        """None for the original test, else the pymannkendall function (imported only when chosen)."""
        choice = self.parameterAsEnum(parameters, "TEST", context)
        if choice == 0:
            return None
        try:
            import pymannkendall
        except ImportError:
            fail("TEST", f"the {TESTS[choice]} needs the pymannkendall package, which QGIS's Python lacks: "
                 f"{INSTALL_HINT}")
        return getattr(pymannkendall, PYMANNKENDALL_TESTS[choice])


def number(value, parameter, feature):
    """A cell as a float: NaN when NULL or empty (CSV tables give text), else a clear error naming the field."""
    if value is None or value == NULL or (isinstance(value, str) and not value.strip()):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        fail(parameter, f"row {feature.id()} has '{value}', not a number")
