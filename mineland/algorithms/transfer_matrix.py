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
from . import dask_scheduler
from .common import (
    AREAS_HELP,
    COUNT,
    MineLandAlgorithm,
    check_distinct_dates,
    check_grids,
    class_label,
    class_raster_band,
    fail,
    merged_class_names,
    monitor,
    pixel_areas,
    wants_output,
    write_table,
)

HELP = """Cross-tabulates two class rasters of the same grid: A_ij = area that was class i at the start date and class j at the end date (Huang 2024).

Pixels that are nodata at either date are left out of every figure and reported as NODATA_PIXELS. The two dates may have different class lists (a class present only at one date gets a zero row or column). Areas: """ + AREAS_HELP + """.

<b>OUTPUT</b> one row per from→to pair present: from_class, from_name, to_class, to_name, pixels, area_m2, area_ha, area_km2, share_pct (% of the valid area).
<b>OUTPUT_MATRIX</b> (CSV, km²) rows = start class, columns = end class — note Huang (2024) prints its tables the other way round — plus the row total (area at the start), the column total (area at the end), and per class the gain (area gained from other classes), loss (area lost to other classes) and net change.
<b>OUTPUT_CHANGE</b> raster of one code per from→to pair, nodata where either date is nodata; its attribute table and legend name every pair. When every class code is 0 or more the code is from × 100 + to (× 1000 when a class code is 100 or more, × 10000 from 1000, and so on) as long as that fits a 32-bit integer raster. Otherwise (a negative class code, or codes as large as UInt16's 65535 or Int32's) from × factor + to would collide or overflow, so the pairs present are numbered 1, 2, 3 … in (from, to) order instead: read the pair of a code from the attribute table (Class_Name) or the legend, or from the OUTPUT rows in the same order.
<b>OUTPUT_HTML</b> (optional) a Sankey diagram of the transitions (Huang 2024, Fig. 5/7 shape; band widths ∝ area, classes in their map colours — the raster's .qml style, else its colour table; the km² on every band thick enough for a label and on every node), the matrix in km² with the gains, losses and net change per class (as OUTPUT_MATRIX), and all transitions in a table.
CHANGED_KM2 is the area whose class changed, CHANGED_PCT its share of the valid area, TOTAL_KM2 the valid area.
<b>Multi-band rasters</b> BAND_START and BAND_END choose the band of INPUT_START and INPUT_END (default 1): a GLC_FCS30D tile holds one year per band (23 bands, 2000–2022), so the tile given at both dates with BAND_START 1 and BAND_END 23 gives 2000 → 2022. A multi-band raster read at band 1 because its band parameter was not set gets a warning naming its band count; the same raster and band at both dates is refused.
<b>DASK_SCHEDULER</b> (advanced): the address of a Dask cluster (tcp://host:8786) counts (and writes the change raster) strip by strip on that cluster, with identical results; empty = here."""

PAIR_COLUMNS = [("from_class", int), ("from_name", str), ("to_class", int), ("to_name", str), ("pixels", COUNT),
                ("area_m2", float), ("area_ha", float), ("area_km2", float), ("share_pct", float)]


class TransferMatrixAlgorithm(MineLandAlgorithm):
    NAME = "transfermatrix"
    DISPLAY_NAME = "Land-cover transfer matrix"
    GROUP = "landcover"
    HELP = HELP

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
            table = jobs.transfer_matrix(*dask_scheduler.sources(inputs), (start.nodata, end.nodata), grid, row_areas,
                                         runs, names=names, change_output=change_path or None,
                                         matrix_output=matrix_path or None, monitor=monitor(feedback, *span),
                                         change_monitor=monitor(feedback, 0.5, 1.0)).table
        except jobs.NoPixelAtBothDates as err:
            fail("INPUT_START", str(err))

        results = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, PAIR_COLUMNS, pair_rows(table, names))}
        if matrix_path:
            results["OUTPUT_MATRIX"] = matrix_path
        if change_path:
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


def class_colours(start, classes):
    """Colours of the classes as the raster shows them on the map: its .qml style, else its colour table, else
    the fallback palette."""
    return styles.map_colours(start.path, start.band, [int(c) for c in classes])


def write_report(path, table, names, colours, files, end_colours=None):
    """Sankey diagram (km² on bands and nodes), the flows behind it and the matrix (km²) with gains, losses, net."""
    classes = [int(c) for c in table.classes]
    labels = [f"{c} {class_label(names, c)}" for c in classes]
    km2 = table.matrix(table.classes) / 1e6
    flows = [(i, j, km2[i, j]) for i in range(len(classes)) for j in range(len(classes)) if km2[i, j] > 0]
    total_km2 = table.total_area_m2 / 1e6
    end_colours = end_colours or colours
    report.write_page(path, f"Land-cover transitions {files[0]} → {files[1]}", [
        report.sankey_svg(labels, labels, flows, [colours[c] for c in classes], files[0], files[1],
                          right_colours=[end_colours[c] for c in classes]),
        report.note(f"Changed {report.significant(table.changed_area_m2 / 1e6)} km² of "
                    f"{report.significant(total_km2)} km² "
                    f"({table.changed_area_m2 / table.total_area_m2 * 100:.2f} %). "
                    "Band and node widths ∝ area; bands thicker than the labels' font carry their km²."),
        report.heading("Transfer matrix (km²)"),
        report.table(*matrix_table(km2, labels)),
        report.note("Rows: start class, columns: end class. Loss = start total − unchanged, gain = end total − "
                    "unchanged, net = end total − start total (as the OUTPUT_MATRIX CSV)."),
        report.heading("Transitions (largest first)"),
        report.table(["from", "to", "area (km²)", "share of the area (%)"],
                     [(labels[i], labels[j], v, v / total_km2 * 100.0)
                      for i, j, v in sorted(flows, key=lambda f: -f[2])]),
    ])


def matrix_table(km2, labels):
    """Header and rows of the km² matrix with start/end totals, loss, gain and net change per class."""
    margins = crosstab.matrix_margins(km2)
    header = ["start \\ end (km²)"] + labels + ["total start", "loss"]
    rows = [[label] + list(row) + [margins.start_total[i], margins.loss[i]] for i, (label, row) in
            enumerate(zip(labels, km2))]
    rows += [["total end"] + list(margins.end_total) + [km2.sum(), None],
             ["gain"] + list(margins.gain) + [None, None],
             ["net change"] + list(margins.net) + [None, None]]
    return header, rows

