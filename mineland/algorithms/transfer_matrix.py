"""mineland:transfermatrix — land-cover transfer matrix between two dates."""

import csv
import os

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ..core.io import raster_io, tables
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

PAIR_COLUMNS = [("from_class", int), ("from_name", str), ("to_class", int), ("to_name", str), ("pixels", COUNT),
                ("area_m2", float), ("area_ha", float), ("area_km2", float), ("share_pct", float)]


class TransferMatrixAlgorithm(MineLandAlgorithm):
    NAME = "transfermatrix"
    DISPLAY_NAME = "Land-cover transfer matrix"
    GROUP = "landcover"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterRasterLayer("INPUT_START", "Class raster at the start date"),
                 "Integer class raster of the first date (e.g. from mineland:reclassify).")
        self.add(QgsProcessingParameterBand("BAND_START", "Band of the start raster", 1, "INPUT_START", optional=True),
                 "Band of INPUT_START holding the start date (default 1), e.g. the year's band of a GLC_FCS30D tile.")
        self.add(QgsProcessingParameterRasterLayer("INPUT_END", "Class raster at the end date"),
                 "Integer class raster of the second date, on the same grid as INPUT_START; may be the same "
                 "multi-band raster as INPUT_START with another BAND_END.")
        self.add(QgsProcessingParameterBand("BAND_END", "Band of the end raster", 1, "INPUT_END", optional=True),
                 "Band of INPUT_END holding the end date (default 1).")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Transitions", QgsProcessing.TypeVector),
                 "Table with one row per from→to pair: pixels, area_m2, area_ha, area_km2, share_pct.")
        self.add(QgsProcessingParameterFileDestination("OUTPUT_MATRIX", "Transfer matrix (CSV, km2)",
                                                       "CSV files (*.csv)", optional=True, createByDefault=True),
                 "Rows = start class, columns = end class, areas in km², with totals, gains and losses.")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT_CHANGE", "Change codes (from×100+to)",
                                                         optional=True, createByDefault=False),
                 "Raster of from × 100 + to codes (× 1000 when a class code is ≥ 100); with negative or very large "
                 "codes the pairs numbered 1, 2, … instead. The attribute table names every pair.")
        self.add_report("Sankey diagram of the transitions and the matrix, one self-contained file.")
        dask_scheduler.add_parameter(self)
        for key, label in (("CHANGED_KM2", "Changed area (km2)"), ("CHANGED_PCT", "Changed share (%)"),
                           ("TOTAL_KM2", "Valid area (km2)"), ("NODATA_PIXELS", "Pixels nodata at either date")):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        with dask_scheduler.cluster(self, parameters, context, feedback) as client:
            return self._compute(parameters, context, feedback, client)

    def _compute(self, parameters, context, feedback, client):
        start = class_raster_band(self, parameters, context, "INPUT_START", "BAND_START", feedback)
        end = class_raster_band(self, parameters, context, "INPUT_END", "BAND_END", feedback)
        inputs = [start, end]
        check_distinct_dates(inputs)
        grid = check_grids(inputs)
        row_areas = pixel_areas(inputs)
        matrix_path = self.parameterAsFileOutput(parameters, "OUTPUT_MATRIX", context)
        change_path = self.parameterAsOutputLayer(parameters, "OUTPUT_CHANGE", context)

        span = (0.0, 0.5 if change_path else 1.0)
        if client is None:
            _, pairs = crosstab.tabulate([start.band, end.band], [start.nodata, end.nodata], grid, row_areas,
                                         periods=[(0, 1)], monitor=monitor(feedback, *span))
            table = pairs[(0, 1)]
        else:
            from ..core.engine import scaleout

            table = scaleout.tabulate_pair(client, *dask_scheduler.sources(inputs), (start.nodata, end.nodata), grid,
                                           row_areas, monitor(feedback, *span))
        if table.pixels.size == 0:
            fail("INPUT_START", "no pixel has data at both dates (all nodata, or nodata never overlaps data)")
        names = merged_class_names(inputs)

        results = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, PAIR_COLUMNS, pair_rows(table, names))}
        if matrix_path:
            write_matrix_csv(matrix_path, table, names)
            results["OUTPUT_MATRIX"] = matrix_path
        if change_path:
            write_change_raster(change_path, inputs, grid, table, names, monitor(feedback, 0.5, 1.0), client)
            results["OUTPUT_CHANGE"] = change_path
        if wants_output(parameters, "OUTPUT_HTML"):
            results["OUTPUT_HTML"] = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(results["OUTPUT_HTML"], table, names, class_colours(start, table.classes),
                         [date_label(item) for item in inputs], class_colours(end, table.classes))
        total = table.total_area_m2
        results.update({
            "CHANGED_KM2": table.changed_area_m2 / 1e6,
            "CHANGED_PCT": table.changed_area_m2 / total * 100.0,
            "TOTAL_KM2": total / 1e6,
            "NODATA_PIXELS": int(table.nodata_pixels),
        })
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
        yield (int(f), class_label(names, f), int(t), class_label(names, t), int(n),
               float(a), a / 1e4, a / 1e6, a / total * 100.0)


def write_matrix_csv(path, table, names):
    """km² matrix, rows = start, columns = end, with totals, gains, losses and net change."""
    classes = table.classes
    km2 = table.matrix(classes) / 1e6
    start_total, end_total = km2.sum(axis=1), km2.sum(axis=0)
    stayed = np.diag(km2)
    labels = [f"{int(c)} {class_label(names, c)}" for c in classes]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["start (rows) \\ end (columns), km2"] + labels + ["total_start_km2", "loss_km2"])
        for i, label in enumerate(labels):
            out.writerow([label] + _fmt(km2[i]) + _fmt([start_total[i], start_total[i] - stayed[i]]))
        out.writerow(["total_end_km2"] + _fmt(end_total) + _fmt([km2.sum(), ""]))
        out.writerow(["gain_km2"] + _fmt(end_total - stayed) + ["", ""])
        out.writerow(["net_change_km2"] + _fmt(end_total - start_total) + ["", ""])
    tables.write_csvt(path, ["String"] + ["Real"] * (len(labels) + 2))


def _fmt(values):
    return [v if v == "" else f"{v:.6f}" for v in values]


def write_change_raster(path, inputs, grid, table, names, block_monitor, client=None):
    """Second pass: one code per from→to pair (crosstab.ChangeCoding), nodata where either date is nodata;
    every pair named in the RAT and the legend.

    With a Dask ``client`` (DASK_SCHEDULER) the strips are computed on the cluster.
    """
    coding = crosstab.change_coding(table.from_class, table.to_class)
    gdal_type, dtype, nodata = raster_io.integer_type_with_nodata(coding.codes)
    start, end = inputs
    with raster_io.BlockWriter(path, grid, gdal_type, nodata) as writer:
        raster_io.write_class_names(writer.band(), coding.names(lambda c: class_label(names, c)))
        writer.set_band_names(["change (start class → end class)"])  # the legend's title in QGIS
        raster_io.mark_as_classes(writer.band())
        if client is not None:
            from ..core.engine import scaleout

            scaleout.write_change_codes(client, *dask_scheduler.sources(inputs), (start.nodata, end.nodata), grid,
                                        coding, nodata, dtype, writer, block_monitor)
        else:
            for yoff, _, (a, b) in raster_io.iter_blocks([start.band, end.band], grid, block_monitor):
                valid = raster_io.valid_mask(a, start.nodata) & raster_io.valid_mask(b, end.nodata)
                writer.write(yoff, crosstab.change_codes(a, b, valid, coding, nodata, dtype))
    styles.write_qml(path, change_legend(table, names, coding))


def class_colours(start, classes):
    """Colours of the classes as the raster shows them on the map: its .qml style, else its colour table, else
    the fallback palette."""
    return styles.map_colours(start.path, start.band, [int(c) for c in classes])


def write_report(path, table, names, colours, files, end_colours=None):
    """Sankey diagram (km² on bands and nodes), the flows behind it and the matrix (km²) with gains, losses, net."""
    classes = [int(c) for c in table.classes]
    km2 = table.matrix(table.classes) / 1e6
    matrix = matrix_table(km2, [f"{c} {class_label(names, c)}" for c in classes])
    report.save(path, reports.transitions_page(files, classes, km2, matrix, names, colours, end_colours,
                                               table.changed_area_m2, table.total_area_m2))


def matrix_table(km2, labels):
    """Header and rows of the km² matrix with start/end totals, loss, gain and net change per class."""
    start_total, end_total, stayed = km2.sum(axis=1), km2.sum(axis=0), np.diag(km2)
    header = ["start \\ end (km²)"] + labels + ["total start", "loss"]
    rows = [[label] + list(row) + [start_total[i], start_total[i] - stayed[i]] for i, (label, row) in
            enumerate(zip(labels, km2))]
    rows += [["total end"] + list(end_total) + [km2.sum(), None],
             ["gain"] + list(end_total - stayed) + [None, None],
             ["net change"] + list(end_total - start_total) + [None, None]]
    return header, rows


def change_legend(table, names, coding):
    """{code: (colour, "from → to")} of the transitions present: unchanged pixels grey, changes in palette colours.

    ``coding`` is the change raster's crosstab.ChangeCoding (an int is taken as the from × factor + to multiplier).
    """
    if not isinstance(coding, crosstab.ChangeCoding):
        coding = crosstab.ChangeCoding(int(coding), (), tuple(zip(table.from_class.tolist(), table.to_class.tolist())))
    colours = styles.class_colours(range(len(coding.pairs)))
    return {code: ("#d9d9d9", f"{class_label(names, f)} (unchanged)") if f == t else
            (colours[k], f"{class_label(names, f)} → {class_label(names, t)}")
            for k, (code, (f, t)) in enumerate(zip(coding.codes, coding.pairs))}
