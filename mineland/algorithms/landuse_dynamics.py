"""mineland:landusedynamics — single (K) and comprehensive (S, LC) land-use dynamic degrees."""

import functools

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterString,
)

from ..core.landcover import crosstab, dynamics
from ..core.render import report, styles
from ..core.render.reports import landcover as reports
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors
from .feature_tables import write_table
from .outputs import wants_output
from .rasters import add_dated_inputs, class_label, dated_class_rasters, merged_class_names, pixel_areas

CLASS_COLUMNS = [
    ("class", int),
    ("class_name", str),
    ("year_start", int),
    ("year_end", int),
    ("area_start_km2", float),
    ("area_end_km2", float),
    ("change_km2", float),
    ("k_pct_per_year", float),
]
GROUP_COLUMNS = [("year", int), ("group_name", str), ("area_km2", float), ("share_pct", float)]
SUMMARY_COLUMNS = [
    ("year_start", int),
    ("year_end", int),
    ("s_index", float),
    ("lc_pct_per_year", float),
    ("changed_pct", float),
]


class LandUseDynamicsAlgorithm(MineLandAlgorithm):
    NAME = "landusedynamics"
    DISPLAY_NAME = "Land-use dynamic degrees (K, S)"
    GROUP = "landcover"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        add_dated_inputs(self)
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Dynamic degree per class", QgsProcessing.TypeVector),
            "Per class and period: areas at both dates (km2), change (km2) and K (% per year).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_SUMMARY",
                "Comprehensive dynamic degree per period",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "Per period: S (Huang 2024, per year), LC (% per year) and the changed share (%).",
        )
        self.add(
            QgsProcessingParameterString("GROUPS", "Class groups (name=codes; …)", optional=True),
            "Named groups of class codes, e.g. Vegetation=1,2,3,4; Bare and built=6,7 (Huang 2024, Table 5).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_GROUPS",
                "Share of each class group per year",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "Per date and group: area (km2) and share of the area with data (%); needs GROUPS.",
        )
        self.add_report("Area by class over time (and group shares), S per period, as charts and tables.")

    def compute(self, parameters, context, feedback):
        inputs, years = dated_class_rasters(self, parameters, context, feedback)
        groups = self._groups(parameters, context)
        periods = dynamics.study_periods(years)
        dates, pairs = crosstab.tabulate(
            [i.band for i in inputs],
            [i.nodata for i in inputs],
            inputs[0].grid,
            pixel_areas(inputs),
            periods=periods,
            per_date=bool(groups) or wants_output(parameters, "OUTPUT_HTML"),
            monitor=monitor(feedback),
        )
        names = merged_class_names(inputs)
        results = [period_result(pairs[p], years[p[0]], years[p[1]]) for p in periods]
        if any(r is None for r in results):
            fail("INPUTS", "some pair of dates has no pixel with data at both dates (all nodata?)")

        class_rows = [
            (int(c), class_label(names, c), r.year_start, r.year_end, a / 1e6, b / 1e6, (b - a) / 1e6, k)
            for r in results
            for c, a, b, k in zip(r.classes, r.area_start, r.area_end, r.k_pct_per_year)
        ]
        out = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, CLASS_COLUMNS, class_rows)}
        if wants_output(parameters, "OUTPUT_SUMMARY"):
            summary = [(r.year_start, r.year_end, r.s_index, r.lc_pct_per_year, r.changed_pct) for r in results]
            out["OUTPUT_SUMMARY"] = write_table(self, parameters, "OUTPUT_SUMMARY", context, SUMMARY_COLUMNS, summary)
        group_table = group_rows(groups, dates, years) if groups else []
        if groups and wants_output(parameters, "OUTPUT_GROUPS"):
            out["OUTPUT_GROUPS"] = write_table(self, parameters, "OUTPUT_GROUPS", context, GROUP_COLUMNS, group_table)
        if wants_output(parameters, "OUTPUT_HTML"):
            out["OUTPUT_HTML"] = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            classes = functools.reduce(np.union1d, [d[0] for d in dates])
            write_report(
                out["OUTPUT_HTML"],
                years,
                dates,
                names,
                results,
                group_table,
                styles.dated_map_colours([(i.path, i.band) for i in inputs], classes),
            )
        return out

    def _groups(self, parameters, context):
        if not wants_output(parameters, "GROUPS"):
            return None
        with parameter_errors("GROUPS"):
            return dynamics.parse_groups(self.parameterAsString(parameters, "GROUPS", context))


def write_report(path, years, dates, names, results, group_table, colours=None):
    """Area by class over time (in the classes' map ``colours``), group shares and S / LC per period."""
    report.save(
        path,
        reports.dynamics_page(
            years, [d[0] for d in dates], [d[2] for d in dates], names, results, group_table, colours
        ),
    )


def group_rows(groups, dates, years):
    """(year, group, area_km2, share_pct) rows; fails when a group's code occurs at no date."""
    present = set().union(*(set(int(c) for c in classes) for classes, *_ in dates))
    absent = sorted({c for _, codes in groups for c in codes} - present)
    if absent:
        fail("GROUPS", f"class code(s) {', '.join(map(str, absent))} occur in none of the rasters; check the codes")
    rows = []
    for year, (classes, _, area_m2, _) in zip(years, dates):
        if area_m2.sum() <= 0:
            fail("INPUTS", f"the raster of {year} has no pixel with data")
        shares = dynamics.group_shares_pct(classes, area_m2, groups)
        for (name, codes), share in zip(groups, shares):
            rows.append((year, name, area_m2[np.isin(classes, codes)].sum() / 1e6, share))
    return rows


def period_result(table, year_start, year_end):
    """PeriodDynamics of one PairTable, or None when it has no data."""
    if table.pixels.size == 0:
        return None
    classes = table.classes
    return dynamics.period_dynamics(table.matrix(classes), classes, year_start, year_end)
