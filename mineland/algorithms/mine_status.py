"""mineland:minestatus — active / closed / undefined mines from the trends of BSP, NDVI and NTL (Xu et al. 2025)."""

import importlib.util

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.mines import mine_status
from .base import MineLandAlgorithm
from .checks import fail, is_null, parameter_errors, tr
from .feature_tables import chosen_fields, identifier_field, numeric_cell, write_table
from .outputs import wants_output
from .rasters import pixel_areas, raster_stack, stack_years
from .zones import burn, zonal_means

TESTS = ["Original Mann-Kendall", "Hamed-Rao modification", "Yue-Wang modification"]
PYMANNKENDALL_TESTS = {1: "hamed_rao_modification_test", 2: "yue_wang_modification_test"}


def test_labels():
    """The TEST choices, those needing pymannkendall marked when it is not installed (checked without importing)."""
    if importlib.util.find_spec("pymannkendall") is not None:
        return list(TESTS)
    return [
        f"{label} ({tr('needs pymannkendall, not installed')})" if index in PYMANNKENDALL_TESTS else label
        for index, label in enumerate(TESTS)
    ]


INSTALL_HINT = (
    "install pymannkendall into QGIS's Python (e.g. `python3 -m pip install pymannkendall` in the "
    "Python QGIS uses; in the OSGeo4W shell on Windows) or choose TEST 0"
)


class MineStatusAlgorithm(MineLandAlgorithm):
    NAME = "minestatus"
    DISPLAY_NAME = "Mine status (active / closed / undefined)"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource(
                "INPUT", "Series per polygon and year", [QgsProcessing.TypeVector], optional=True
            ),
            "A table or layer with one row per polygon and year (optional when all series come from rasters).",
        )
        self.add(
            QgsProcessingParameterField(
                "ID_FIELD", "Polygon id field", parentLayerParameterName="INPUT", optional=True
            ),
            "Identifies the mine polygon of each row; left empty: polygon_id when INPUT has it (the table of "
            "mineland:disturbance or mineland:zonalseries).",
        )
        self.add(
            QgsProcessingParameterField(
                "YEAR_FIELD",
                "Year field",
                parentLayerParameterName="INPUT",
                type=QgsProcessingParameterField.Numeric,
                optional=True,
            ),
            "Year of each row (gaps allowed; Sen's slope uses the real years); left empty: year when INPUT has it.",
        )
        for key, label in (
            ("BSP_FIELD", "Bare surface percentage (BSP) field"),
            ("NDVI_FIELD", "NDVI field"),
            ("NTL_FIELD", "Night-time light (NTL) field"),
        ):
            self.add(
                QgsProcessingParameterField(
                    key,
                    label,
                    parentLayerParameterName="INPUT",
                    optional=True,
                    type=QgsProcessingParameterField.Numeric,
                ),
                "Optional; give at least one of BSP, NDVI and NTL. With none of them (and no rasters), "
                "BSP_FIELD is bsp_pct when INPUT has it (the table of mineland:disturbance).",
            )
        self.add(
            QgsProcessingParameterFeatureSource(
                "MINES", "Mine polygons (for raster series)", [QgsProcessing.TypeVectorPolygon], optional=True
            ),
            "Polygons whose zonal means of NDVI_RASTERS / NTL_RASTERS make those series.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterField(
                "MINES_ID_FIELD", "Polygon id field of MINES", parentLayerParameterName="MINES", optional=True
            ),
            "Must hold the same ids as ID_FIELD of INPUT when both are used.",
            advanced=True,
        )
        for key, label in (
            ("NDVI_RASTERS", "NDVI rasters, one per year"),
            ("NTL_RASTERS", "NTL rasters, one per year"),
        ):
            self.add(
                QgsProcessingParameterMultipleLayers(key, label, QgsProcessing.TypeRaster, optional=True),
                "Yearly rasters (or one multiband raster); their area-weighted mean per MINES polygon replaces "
                "the field series.",
                advanced=True,
            )
        self.add(
            QgsProcessingParameterString("RASTER_YEARS", "Years of the rasters", optional=True),
            "One whole year per raster, increasing, e.g. 2018,2019,2020,2021,2022,2023. Empty: read from the "
            "band descriptions or file names when each holds one four-digit year.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterEnum("TEST", "Trend test", test_labels(), defaultValue=0),
            "0 original Mann-Kendall; 1 Hamed-Rao, 2 Yue-Wang (need pymannkendall).",
        )
        self.add(
            QgsProcessingParameterNumber(
                "ALPHA", "Significance level", QgsProcessingParameterNumber.Double, 0.05, minValue=0.0001, maxValue=0.5
            ),
            "A trend counts when its p-value is below ALPHA (default 0.05).",
        )
        self.add(
            QgsProcessingParameterNumber(
                "MIN_YEARS", "Minimum valid years per series", QgsProcessingParameterNumber.Integer, 4, minValue=3
            ),
            "Shorter series count as no significant trend.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Mine status", QgsProcessing.TypeVector),
            "One row per polygon: trends, p-values, Sen's slopes, status and the deciding rule.",
        )
        for key in ("ACTIVE", "CLOSED", "UNDEFINED"):
            self.addOutput(QgsProcessingOutputNumber(key, f"{key.capitalize()} polygons"))

    def compute(self, parameters, context, feedback):
        test = self._test(parameters, context)
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        min_years = self.parameterAsInt(parameters, "MIN_YEARS", context)
        series = self._table_series(parameters, context, feedback)
        series.update(self._raster_series(parameters, context, feedback))  # rasters replace table fields
        if not series:
            fail(
                "BSP_FIELD",
                "give at least one of BSP_FIELD, NDVI_FIELD, NTL_FIELD (with INPUT) or "
                "NDVI_RASTERS, NTL_RASTERS (with MINES)",
            )
        polygons = sorted({i for ids, _, _ in series.values() for i in ids})
        if not polygons:
            fail("INPUT", "no row has both a polygon id and a year")
        trends = {}
        for key in [k for k in mine_status.SERIES if k in series]:
            with parameter_errors("YEAR_FIELD"):
                _, year_list, matrix = mine_status.series_matrix(*series[key], polygons)
            trends[key] = mine_status.series_trend(matrix, year_list, alpha, min_years, test)
        status, rule = mine_status.decide({key: t.direction for key, t in trends.items()})

        columns = [("polygon_id", str)]
        for key in trends:
            columns += [
                (f"{key}_trend", int),
                (f"{key}_z", float),
                (f"{key}_p", float),
                (f"{key}_slope", float),
                (f"{key}_years", int),
            ]
        columns += [("status", str), ("rule", str)]
        rows = []
        for i, polygon in enumerate(polygons):
            row = [polygon]
            for t in trends.values():
                row += [int(t.direction[i]), t.z[i], t.p[i], t.slope[i], int(t.n[i])]
            rows.append(row + [status[i], rule[i]])
        return {
            "OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows),
            "ACTIVE": int(np.sum(status == "active")),
            "CLOSED": int(np.sum(status == "closed")),
            "UNDEFINED": int(np.sum(status == "undefined")),
        }

    def _table_series(self, parameters, context, feedback):
        """{series: (ids, years, values)} from the INPUT table's fields; rows without an id or year skipped."""
        fields = {
            key: self.parameterAsString(parameters, f"{key.upper()}_FIELD", context) or None
            for key in mine_status.SERIES
        }
        fields = {key: name for key, name in fields.items() if name}
        source = self.parameterAsSource(parameters, "INPUT", context) if wants_output(parameters, "INPUT") else None
        conventional = self._conventional_fields(parameters, context, source, not fields, feedback)
        fields = fields or {
            key: conventional[f"{key.upper()}_FIELD"]
            for key in mine_status.SERIES
            if conventional.get(f"{key.upper()}_FIELD")
        }
        if not fields:
            return {}
        if source is None:
            fail("INPUT", "the series fields need the INPUT table (was its file moved or deleted?)")
        chosen = {
            key: conventional.get(key) or self.parameterAsString(parameters, key, context)
            for key in ("ID_FIELD", "YEAR_FIELD")
        }
        chosen_fields(
            self,
            dict(parameters, **chosen, **{f"{k.upper()}_FIELD": v for k, v in fields.items()}),
            context,
            source,
            "INPUT",
            ["ID_FIELD", "YEAR_FIELD"] + [f"{key.upper()}_FIELD" for key in fields],
        )
        id_field, year_field = chosen["ID_FIELD"], chosen["YEAR_FIELD"]
        if not id_field or not year_field:
            fail("ID_FIELD", "give ID_FIELD and YEAR_FIELD of the INPUT table")
        ids, years, values, skipped = [], [], {key: [] for key in fields}, 0
        for feature in source.getFeatures():
            year = numeric_cell(feature[year_field], "YEAR_FIELD", feature)
            if is_null(feature[id_field]) or np.isnan(year):
                skipped += 1
                continue
            ids.append(str(feature[id_field]))
            years.append(year)
            for key, name in fields.items():
                values[key].append(numeric_cell(feature[name], f"{key.upper()}_FIELD", feature))
        if skipped:
            feedback.pushWarning(f"INPUT: {skipped} row(s) without a polygon id or year skipped")
        return {key: (ids, years, values[key]) for key in fields}

    def _conventional_fields(self, parameters, context, source, no_series, feedback):
        """Fields left empty that INPUT has under the names mineland:disturbance writes (polygon_id, year, and
        bsp_pct when no series field is given): what an untouched dialog on disturbance's table means."""
        if source is None:
            return {}
        names = source.fields().names()
        wanted = {"ID_FIELD": "polygon_id", "YEAR_FIELD": "year"}
        if (
            no_series
            and not self.parameterAsLayerList(parameters, "NDVI_RASTERS", context)
            and not self.parameterAsLayerList(parameters, "NTL_RASTERS", context)
        ):
            wanted["BSP_FIELD"] = "bsp_pct"
        found = {
            key: name
            for key, name in wanted.items()
            if not self.parameterAsString(parameters, key, context) and name in names
        }
        if found:
            feedback.pushInfo(
                "Fields not chosen, taken by their conventional names: "
                + ", ".join(f"{key} = {name}" for key, name in found.items())
            )
        return found

    def _raster_series(self, parameters, context, feedback):
        """{series: (ids, years, values)} of zonal means of NDVI_RASTERS / NTL_RASTERS per MINES polygon."""
        out = {}
        for key in ("ndvi", "ntl"):
            name = f"{key.upper()}_RASTERS"
            if not wants_output(parameters, name):
                continue
            if not wants_output(parameters, "MINES"):
                fail("MINES", f"{name} needs the MINES polygons")
            stack = raster_stack(self, parameters, name, context)
            years = stack_years(self, parameters, context, stack, "RASTER_YEARS", feedback)
            id_field = identifier_field(self, parameters, context, "MINES", "MINES_ID_FIELD", required=False)
            zones = burn(parameters, "MINES", stack.steps[0], context, feedback)
            means = zonal_means(zones, stack.steps, pixel_areas(stack.steps), feedback)
            ids = [str(p[id_field]) if id_field else str(p.id()) for p in zones.polygons]
            out[key] = ([i for i in ids for _ in years], [float(y) for _ in ids for y in years], means.ravel())
        return out

    def _test(self, parameters, context):
        """None for the original test, else the pymannkendall function (imported only when chosen)."""
        choice = self.parameterAsEnum(parameters, "TEST", context)
        if choice == 0:
            return None
        try:
            import pymannkendall
        except ImportError:
            fail(
                "TEST",
                f"the {TESTS[choice]} needs the pymannkendall package, which QGIS's Python lacks: {INSTALL_HINT}",
            )
        return getattr(pymannkendall, PYMANNKENDALL_TESTS[choice])
