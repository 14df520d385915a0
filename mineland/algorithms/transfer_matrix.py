"""mineland:transfermatrix — land-cover transfer matrix between two dates."""

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ..core.engine import jobs
from ..core.landcover import crosstab
from ..core.render import report, styles
from ..core.render.reports import landcover as reports
from . import dask_scheduler
from .base import MineLandAlgorithm
from .checks import fail, monitor
from .compat import COUNT
from .feature_tables import write_table
from .outputs import wants_output
from .rasters import check_distinct_dates, check_grids, class_label, class_raster_band, merged_class_names, pixel_areas

PAIR_COLUMNS = [
    ("from_class", int),
    ("from_name", str),
    ("to_class", int),
    ("to_name", str),
    ("pixels", COUNT),
    ("area_m2", float),
    ("area_ha", float),
    ("area_km2", float),
    ("share_pct", float),
]


class TransferMatrixAlgorithm(MineLandAlgorithm):
    NAME = "transfermatrix"
    DISPLAY_NAME = "Land-cover transfer matrix"
    GROUP = "landcover"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterRasterLayer("INPUT_START", "Class raster at the start date"),
            "Integer class raster of the first date (e.g. from mineland:reclassify).",
        )
        self.add(
            QgsProcessingParameterBand("BAND_START", "Band of the start raster", 1, "INPUT_START", optional=True),
            "Band of INPUT_START holding the start date (default 1), e.g. the year's band of a GLC_FCS30D tile.",
        )
        self.add(
            QgsProcessingParameterRasterLayer("INPUT_END", "Class raster at the end date"),
            "Integer class raster of the second date, on the same grid as INPUT_START; may be the same "
            "multi-band raster as INPUT_START with another BAND_END.",
        )
        self.add(
            QgsProcessingParameterBand("BAND_END", "Band of the end raster", 1, "INPUT_END", optional=True),
            "Band of INPUT_END holding the end date (default 1).",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Transitions", QgsProcessing.TypeVector),
            "Table with one row per from→to pair: pixels, area_m2, area_ha, area_km2, share_pct.",
        )
        self.add(
            QgsProcessingParameterFileDestination(
                "OUTPUT_MATRIX", "Transfer matrix (CSV, km2)", "CSV files (*.csv)", optional=True, createByDefault=True
            ),
            "Rows = start class, columns = end class, areas in km², with totals, gains and losses.",
        )
        self.add(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_CHANGE", "Change codes (from×100+to)", optional=True, createByDefault=False
            ),
            "Raster of from × 100 + to codes (× 1000 when a class code is ≥ 100); with negative or very large "
            "codes the pairs numbered 1, 2, … instead. The attribute table names every pair.",
        )
        self.add_report("Sankey diagram of the transitions and the matrix, one self-contained file.")
        dask_scheduler.add_parameter(self)
        for key, label in (
            ("CHANGED_KM2", "Changed area (km2)"),
            ("CHANGED_PCT", "Changed share (%)"),
            ("TOTAL_KM2", "Valid area (km2)"),
            ("NODATA_PIXELS", "Pixels nodata at either date"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        with dask_scheduler.executor(self, parameters, context, feedback) as runs:
            return self._compute(parameters, context, feedback, runs)

    def _compute(self, parameters, context, feedback, runs):
        start = class_raster_band(self, parameters, context, "INPUT_START", "BAND_START", feedback)
        end = class_raster_band(self, parameters, context, "INPUT_END", "BAND_END", feedback)
        inputs = [start, end]
        check_distinct_dates(inputs)
        grid = check_grids(inputs)
        row_areas = pixel_areas(inputs)
        matrix_path = self.parameterAsFileOutput(parameters, "OUTPUT_MATRIX", context)
        change_path = self.parameterAsOutputLayer(parameters, "OUTPUT_CHANGE", context)
        names = merged_class_names(inputs)

        span = (0.0, 0.5 if change_path else 1.0)
        try:
            table = jobs.transfer_matrix(
                *dask_scheduler.sources(inputs),
                (start.nodata, end.nodata),
                grid,
                row_areas,
                runs,
                names=names,
                change_output=change_path or None,
                matrix_output=matrix_path or None,
                monitor=monitor(feedback, *span),
                change_monitor=monitor(feedback, 0.5, 1.0),
            ).table
        except jobs.NoPixelAtBothDates as err:
            fail("INPUT_START", str(err))

        results = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, PAIR_COLUMNS, pair_rows(table, names))}
        if matrix_path:
            results["OUTPUT_MATRIX"] = matrix_path
        if change_path:
            results["OUTPUT_CHANGE"] = change_path
        if wants_output(parameters, "OUTPUT_HTML"):
            results["OUTPUT_HTML"] = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(
                results["OUTPUT_HTML"],
                table,
                names,
                class_colours(start, table.classes),
                [date_label(item) for item in inputs],
                class_colours(end, table.classes),
            )
        total = table.total_area_m2
        results.update(
            {
                "CHANGED_KM2": table.changed_area_m2 / 1e6,
                "CHANGED_PCT": table.changed_area_m2 / total * 100.0,
                "TOTAL_KM2": total / 1e6,
                "NODATA_PIXELS": int(table.nodata_pixels),
            }
        )
        return results


def date_label(item):
    """The file name of a date's raster, with its band when the raster has several (one file at both dates)."""
    name = os.path.basename(item.path)
    if item.dataset.RasterCount == 1:
        return name
    description = item.band.GetDescription()
    return f"{name} band {item.band.GetBand()}" + (f" ({description})" if description else "")


def pair_rows(table, names):
    total = table.total_area_m2
    for f, t, n, a in zip(table.from_class, table.to_class, table.pixels, table.area_m2):
        yield (
            int(f),
            class_label(names, f),
            int(t),
            class_label(names, t),
            int(n),
            float(a),
            a / 1e4,
            a / 1e6,
            a / total * 100.0,
        )


def class_colours(start, classes):
    """Colours of the classes as the raster shows them on the map: its .qml style, else its colour table, else
    the fallback palette."""
    return styles.map_colours(start.path, start.band, [int(c) for c in classes])


def write_report(path, table, names, colours, files, end_colours=None):
    """Sankey diagram (km² on bands and nodes), the flows behind it and the matrix (km²) with gains, losses, net."""
    classes = [int(c) for c in table.classes]
    km2 = table.matrix(table.classes) / 1e6
    matrix = matrix_table(km2, [f"{c} {class_label(names, c)}" for c in classes])
    report.save(
        path,
        reports.transitions_page(
            files, classes, km2, matrix, names, colours, end_colours, table.changed_area_m2, table.total_area_m2
        ),
    )


def matrix_table(km2, labels):
    """Header and rows of the km² matrix with start/end totals, loss, gain and net change per class."""
    margins = crosstab.matrix_margins(km2)
    header = ["start \\ end (km²)"] + labels + ["total start", "loss"]
    rows = [
        [label] + list(row) + [margins.start_total[i], margins.loss[i]]
        for i, (label, row) in enumerate(zip(labels, km2))
    ]
    rows += [
        ["total end"] + list(margins.end_total) + [km2.sum(), None],
        ["gain"] + list(margins.gain) + [None, None],
        ["net change"] + list(margins.net) + [None, None],
    ]
    return header, rows
