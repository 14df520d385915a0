"""mineland:carbonstock — carbon stock per class and date, change between dates, density raster."""

import functools

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterDestination,
)

from ..core.io import raster_io
from ..core.io.tables import read_text
from ..core.landcover import carbon, crosstab, dynamics
from ..core.render import report, styles
from ..core.render.reports import landcover as reports
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors, tr
from .feature_tables import write_table
from .outputs import wants_output
from .rasters import add_dated_inputs, class_label, dated_class_rasters, merged_class_names, pixel_areas

STOCK_COLUMNS = [
    ("year", int),
    ("lucode", int),
    ("class_name", str),
    ("area_ha", float),
    ("carbon_mg", float),
    ("carbon_mt", float),
]
CHANGE_COLUMNS = [
    ("year_start", int),
    ("year_end", int),
    ("lucode", int),
    ("class_name", str),
    ("change_mg", float),
    ("change_mt", float),
]
TRANSITION_COLUMNS = [
    ("from_class", int),
    ("from_name", str),
    ("to_class", int),
    ("to_name", str),
    ("area_ha", float),
    ("change_mg", float),
    ("change_mt", float),
]
DENSITY_NODATA = -9999.0


class CarbonStockAlgorithm(MineLandAlgorithm):
    NAME = "carbonstock"
    DISPLAY_NAME = "Carbon stock and change"
    GROUP = "landcover"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        add_dated_inputs(self)
        self.add(
            QgsProcessingParameterFile(
                "CARBON_TABLE", "Carbon density table (CSV, Mg/ha)", extension="csv", optional=True
            ),
            "InVEST biophysical table: lucode, c_above, c_below, c_soil, c_dead in Mg/ha. "
            "Empty = Huang (2024) Table 2 for the 7 classes of the GLC_FCS30 preset.",
        )
        self.add(
            QgsProcessingParameterBoolean(
                "MISSING_AS_ZERO", "Count classes missing from the table as 0 Mg/ha", defaultValue=False
            ),
            "Off (default): a class in the rasters but not in the table is an error naming its codes.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Carbon stock per class and year", QgsProcessing.TypeVector),
            "year, lucode, class_name, area_ha, carbon_mg (Mg = t), carbon_mt, with per-year totals.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_CHANGE",
                "Carbon change per period",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "Per consecutive period and first→last: change_mg and change_mt per class, with totals.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_TRANSITIONS",
                "Carbon change by transition (first → last)",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=False,
            ),
            "Per from→to transition between the first and last date: area_ha and change_mg.",
        )
        self.add_report("Carbon stock by class over time (chart and table), one self-contained file.")
        self.add(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_DENSITY", "Carbon density (Mg/ha)", optional=True, createByDefault=False
            ),
            "Float32 raster, one band per date, carbon density in Mg/ha.",
        )
        for key, label in (
            ("CARBON_FIRST_MT", "Carbon stock at the first date (Mt)"),
            ("CARBON_LAST_MT", "Carbon stock at the last date (Mt)"),
            ("CARBON_CHANGE_MT", "Carbon change first → last (Mt)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        inputs, years = dated_class_rasters(self, parameters, context, feedback)
        table = self._table(parameters, context)
        missing_as_zero = self.parameterAsBool(parameters, "MISSING_AS_ZERO", context)
        density_path = self.parameterAsOutputLayer(parameters, "OUTPUT_DENSITY", context)
        grid = inputs[0].grid
        first_last = (0, len(inputs) - 1)

        span = (0.0, 0.5 if density_path else 1.0)
        per_date, pairs = crosstab.tabulate(
            [i.band for i in inputs],
            [i.nodata for i in inputs],
            grid,
            pixel_areas(inputs),
            periods=[first_last],
            per_date=True,
            monitor=monitor(feedback, *span),
        )
        classes = functools.reduce(np.union1d, [d[0] for d in per_date])
        with parameter_errors("CARBON_TABLE"):
            density = dict(zip(classes.tolist(), carbon.densities_for(classes, table, missing_as_zero)))
        names = merged_class_names(inputs, table.names)
        source = self.parameterAsFile(parameters, "CARBON_TABLE", context) or tr("Huang (2024) Table 2")
        feedback.pushInfo(tr("Carbon densities used (Mg/ha, from {}): {}").format(source, density_text(density, names)))

        stocks = [year_stock(d, density) for d in per_date]
        if any(s["area_m2"].sum() == 0 for s in stocks):
            fail("INPUTS", "a raster has no valid pixel (all nodata)")
        out = {
            "OUTPUT": write_table(self, parameters, "OUTPUT", context, STOCK_COLUMNS, stock_rows(years, stocks, names))
        }
        if wants_output(parameters, "OUTPUT_CHANGE"):
            out["OUTPUT_CHANGE"] = write_table(
                self, parameters, "OUTPUT_CHANGE", context, CHANGE_COLUMNS, change_rows(years, stocks, classes, names)
            )
        if wants_output(parameters, "OUTPUT_TRANSITIONS"):
            out["OUTPUT_TRANSITIONS"] = write_table(
                self,
                parameters,
                "OUTPUT_TRANSITIONS",
                context,
                TRANSITION_COLUMNS,
                transition_rows(pairs[first_last], density, names),
            )
        if density_path:
            write_density(density_path, inputs, years, density, monitor(feedback, 0.5, 1.0))
            out["OUTPUT_DENSITY"] = density_path
        if wants_output(parameters, "OUTPUT_HTML"):
            out["OUTPUT_HTML"] = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(
                out["OUTPUT_HTML"],
                years,
                stocks,
                names,
                density,
                source,
                styles.dated_map_colours([(i.path, i.band) for i in inputs], classes),
            )
        first, last = stocks[0]["carbon_mg"].sum() / carbon.MG_PER_MT, stocks[-1]["carbon_mg"].sum() / carbon.MG_PER_MT
        out.update(
            {"CARBON_FIRST_MT": float(first), "CARBON_LAST_MT": float(last), "CARBON_CHANGE_MT": float(last - first)}
        )
        return out

    def _table(self, parameters, context):
        path = self.parameterAsFile(parameters, "CARBON_TABLE", context)
        if not path:
            return carbon.seed000_table()
        with parameter_errors("CARBON_TABLE", (OSError, ValueError)):
            return carbon.parse_carbon_table(read_text(path))


def density_text(density, names):
    """'1 Cropland 100, 2 Forest 275, …': each class's total density (Mg/ha) as the log shows it."""
    return ", ".join(f"{int(c)} {class_label(names, c)} {density[c]:g}" for c in sorted(density))


def write_report(path, years, stocks, names, density, source, colours=None):
    """Carbon (Mt) by class over the dates (Huang 2024, Fig. 9/10 shape), the table behind it and the densities.

    ``colours`` {class: colour} are the classes' map colours; the total is drawn black and dashed.
    """
    report.save(
        path,
        reports.carbon_page(
            years, [s["classes"] for s in stocks], [s["carbon_mg"] for s in stocks], names, density, source, colours
        ),
    )


def year_stock(date_counts, density):
    """{'classes', 'area_m2', 'carbon_mg'} of one date."""
    classes, _, area_m2, _ = date_counts
    dens = np.array([density[int(c)] for c in classes])
    return {"classes": classes, "area_m2": area_m2, "carbon_mg": carbon.carbon_mg(area_m2, dens)}


def stock_rows(years, stocks, names):
    for year, stock in zip(years, stocks):
        for c, a, p in zip(stock["classes"], stock["area_m2"], stock["carbon_mg"]):
            yield year, int(c), class_label(names, c), a / carbon.M2_PER_HA, p, p / carbon.MG_PER_MT
        total = stock["carbon_mg"].sum()
        yield year, None, "Total", stock["area_m2"].sum() / carbon.M2_PER_HA, total, total / carbon.MG_PER_MT


def change_rows(years, stocks, classes, names):
    """Per period (consecutive, then first→last) and class: stock_end − stock_start."""
    by_class = [dict(zip(s["classes"].tolist(), s["carbon_mg"])) for s in stocks]
    for i, j in dynamics.study_periods(years):
        for c in classes.tolist():
            change = by_class[j].get(c, 0.0) - by_class[i].get(c, 0.0)
            yield years[i], years[j], c, class_label(names, c), change, change / carbon.MG_PER_MT
        total = stocks[j]["carbon_mg"].sum() - stocks[i]["carbon_mg"].sum()
        yield years[i], years[j], None, "Total", total, total / carbon.MG_PER_MT


def transition_rows(table, density, names):
    for f, t, a in zip(table.from_class, table.to_class, table.area_m2):
        change = float(carbon.transition_change_mg(a, density[int(f)], density[int(t)]))
        yield (
            int(f),
            class_label(names, f),
            int(t),
            class_label(names, t),
            a / carbon.M2_PER_HA,
            change,
            change / carbon.MG_PER_MT,
        )


def write_density(path, inputs, years, density, block_monitor):
    """One Float32 band per date: density (Mg/ha) of each pixel's class."""
    grid = inputs[0].grid
    codes = np.array(sorted(density), dtype=np.int64)
    values = np.array([density[c] for c in codes], dtype=np.float32)
    with raster_io.BlockWriter(path, grid, raster_io.FLOAT32, DENSITY_NODATA, bands=len(inputs)) as writer:
        writer.set_band_names(years)
        for yoff, _, arrays in raster_io.iter_blocks([i.band for i in inputs], grid, block_monitor):
            for band, (item, block) in enumerate(zip(inputs, arrays), start=1):
                valid = raster_io.valid_mask(block, item.nodata)
                out = np.full(block.shape, DENSITY_NODATA, dtype=np.float32)
                out[valid] = values[np.searchsorted(codes, block[valid])]
                writer.write(yoff, out, band)
    styles.style_continuous(path, "greens", unit="Mg/ha")
