"""mineland:desertification — desertification sensitivity from graded factor rasters (Han et al. 2025, Table 6)."""

import numpy as np
from qgis.core import (
    QgsClassificationJenks,
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterMatrix,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core.resilience import desertification as model
from ..core.io import raster_io
from ..core.render import styles
from ..core.io.tables import parse_list, read_text
from .base import AREAS_HELP, MineLandAlgorithm
from .checks import fail, monitor, parameter_errors, tr
from .feature_tables import matrix_cells, write_table
from .outputs import wants_output
from .rasters import RasterInput, check_grids, physical_units, pixel_areas, raster_path
from .zones import burn

HELP = """Desertification sensitivity as in Han et al. (2025) (Table 6 and its demonstration area): every factor raster given is graded 1 (low) … 4 (high sensitivity), the grades are summed into OUTPUT_SCORE, and the sum is classed into 1 low, 2 moderate, 3 relatively high, 4 high (OUTPUT_CLASS, with its legend).

<b>Grading</b> (Table 6; a range a~b includes a and excludes b): soil moisture &lt;0.2 / 0.2–0.28 / 0.28–0.35 / ≥0.35 m³/m³ → 4/3/2/1; evapotranspiration ≥200 / 130–200 / 80–130 / &lt;80 mm/month → 4…1; precipitation &lt;200 / 200–300 / 300–400 / ≥400 mm/yr → 4…1; wind speed ≥4.7 / 3.6–4.7 / 2.8–3.6 / &lt;2.8 m/s → 4…1; sand ≥70 / 40–70 / 20–40 / &lt;20 % → 4…1; silt ≥33 / 22–33 / 5–22 / &lt;5 % → 4…1; clay &lt;8 / 8–19 / 19–24 / ≥24 % → 4…1; slope ≥25 / 10–25 / 5–10 / &lt;5 ° → 4…1 (Table 6 prints 5~15 for moderate, overlapping 10~25: we use 5–10); NDVI mean &lt;0.2 / 0.2–0.4 / 0.4–0.6 / ≥0.6 → 4…1; NDVI trend &lt;−0.17 / −0.17…−0.12 / −0.12…0.0025 / ≥0.0025 per year → 4…1 (Table 6's row is out of order — "&lt;−0.12" then "−0.12~−0.17" — we read it in increasing order). Categorical factors (erosion intensity, geohazard susceptibility, land occupied by mining) are rasters of codes 1–4 that are their own grades (4 = severe erosion, high susceptibility, forest and grassland occupied).
<b>Scale and offset</b> a continuous factor whose band has GDAL scale/offset metadata (e.g. soil moisture stored as Int16 × 0.0001) is graded on its physical values, raw × scale + offset, with nodata tested on the raw value; the log names each scaled band.
<b>Thresholds</b> THRESHOLDS is a table with one row per continuous factor (factor, b1, b2, b3, worse = high or low), pre-filled with Table 6's bounds: edit its cells to change a grading (b1 &lt; b2 &lt; b3; "high" grades values ≥ b3 as 4, "low" grades values &lt; b1 as 4), e.g. SLOPE 5, 15, 25, high for the other reading of the slope row. A factor whose row is removed keeps Table 6's bounds; an empty table means Table 6. In qgis_process give the cells as one comma-separated list, THRESHOLDS=SLOPE,5,15,25,high (rows one after the other; QGIS 3.22's qgis_process refuses a repeated THRESHOLDS=…). THRESHOLDS_CSV, when given, takes precedence over the matrix: its rows (same columns) replace Table 6's bounds and the matrix is ignored (a CSV with the header only keeps Table 6; a missing column or an empty bound stops the run naming THRESHOLDS_CSV). Comma or semicolon separated; with semicolons, numbers may have a decimal comma as Excel writes them in many locales (factor;b1;b2;b3;worse / SLOPE;2,5;15;25;high); with commas they need a decimal point (a quoted "2,5" is refused, saying how to save the table).
<b>Score</b> the sum over the factors given; nodata where any of them is nodata or ungraded.
<b>Classes</b> METHOD 0: fixed breaks BREAKS (default Han et al.'s (2025) 28, 31, 34: low ≤ 28 &lt; moderate ≤ 31 &lt; relatively high ≤ 34 &lt; high) — meant for the sum of its 13 factors (scores 13–52): with fewer factors a warning says which classes cannot occur and suggests the breaks scaled to the factors given, or natural breaks); METHOD 1: natural breaks (QGIS's Jenks classification on a sample of up to 10,000 valid scores).
<b>Grids</b> all factor rasters must share the first one's grid; otherwise the run stops naming the raster (warp them first: resampling categorical and continuous factors needs different methods, which is the analyst's choice).
<b>OUTPUT_MINES</b> (with MINES) the area (km²; """ + AREAS_HELP + """) and share of each class inside the mining patches (Han et al. 2025: 5.1 / 11 / 28.9 / 55 %). The patches, in any CRS, are reprojected and burnt into the grid (pixel centre inside any part; invalid polygons repaired, empty ones skipped, with a warning); an empty MINES layer stops the run before anything is written."""

METHODS = ["Fixed breaks", "Natural breaks (Jenks)"]
SAMPLE = 10_000


class DesertificationAlgorithm(MineLandAlgorithm):
    NAME = "desertification"
    DISPLAY_NAME = "Desertification sensitivity"
    GROUP = "resilience"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        for factor in model.FACTORS:
            self.add(QgsProcessingParameterRasterLayer(factor.key, factor.label, optional=True),
                     f"{factor.label}; graded by Han et al. (2025) Table 6 (see the help). Optional.")
        cells = model.threshold_cells()
        self.add(QgsProcessingParameterMatrix("THRESHOLDS", "Thresholds of the continuous factors",
                                              numberRows=len(cells) // len(model.THRESHOLD_COLUMNS),
                                              headers=list(model.THRESHOLD_COLUMNS), defaultValue=cells,
                                              optional=True),
                 "Bounds b1 < b2 < b3 and worse (high or low) per continuous factor, pre-filled with Han et al. (2025) "
                 "Table 6; edit the cells. Ignored when THRESHOLDS_CSV is given.")
        self.add(QgsProcessingParameterFile("THRESHOLDS_CSV", "Thresholds from a CSV (overrides the matrix)",
                                            extension="csv", optional=True),
                 "Rows factor, b1, b2, b3, worse (high/low) replacing the Table 6 bounds of continuous factors; "
                 "when given, THRESHOLDS is ignored.",
                 advanced=True)
        self.add(QgsProcessingParameterEnum("METHOD", "Classes of the score", METHODS, defaultValue=0),
                 "0 fixed breaks (BREAKS), 1 natural breaks (Jenks).")
        self.add(QgsProcessingParameterString("BREAKS", "Fixed breaks (3 values)",
                                              ", ".join(f"{b:g}" for b in model.SEED002_BREAKS)),
                 "Upper bounds of low, moderate and relatively high (default Han et al. (2025): 28, 31, 34).")
        self.add(QgsProcessingParameterFeatureSource("MINES", "Mining patches", [QgsProcessing.TypeVectorPolygon],
                                                     optional=True),
                 "Polygons whose area per sensitivity class is reported.")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT_SCORE", "Sensitivity score"),
                 "Sum of the grades (Int16, nodata −1).")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT_CLASS", "Sensitivity class"),
                 "1 low, 2 moderate, 3 relatively high, 4 high (Byte, nodata 0), with its legend.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT_MINES", "Classes inside the mining patches",
                                                   QgsProcessing.TypeVector, optional=True, createByDefault=True),
                 "class, class_name, area_km2, share_pct inside MINES.")

    def compute(self, parameters, context, feedback):
        factors = [(f, RasterInput(f.key, raster_path(self, parameters, f.key, context)))
                   for f in self._factors(parameters, context) if wants_output(parameters, f.key)]
        if not factors:
            fail("SOIL_MOISTURE", "give at least one factor raster")
        inputs = [item for _, item in factors]
        grid = check_grids(inputs)
        physical_units([item for factor, item in factors if not factor.categorical], feedback)  # codes stay codes
        if wants_output(parameters, "MINES"):  # before the rasters are written
            mines = self.parameterAsSource(parameters, "MINES", context)
            if mines is None or mines.featureCount() == 0:
                fail("MINES", "the layer has no polygon (empty layer?); give the mining patches, or leave MINES empty")
        score_path = self.parameterAsOutputLayer(parameters, "OUTPUT_SCORE", context)
        class_path = self.parameterAsOutputLayer(parameters, "OUTPUT_CLASS", context)

        with raster_io.BlockWriter(score_path, grid, raster_io.INT16, -1) as writer:
            writer.set_band_names(["sensitivity score (sum of grades)"])  # the legend's title in QGIS
            for yoff, _, arrays in raster_io.iter_blocks([i.band for i in inputs], grid, monitor(feedback, 0.0, 0.5)):
                writer.write(yoff, block_score(factors, arrays))
        styles.style_continuous(score_path, "heat")
        breaks = self._breaks(parameters, context, score_path)
        warn_breaks_outside_scores(feedback, breaks, len(factors))
        score = RasterInput("OUTPUT_SCORE", score_path)
        with raster_io.BlockWriter(class_path, grid, raster_io.BYTE, 0) as writer:
            writer.set_band_names(["sensitivity class"])
            raster_io.write_class_names(writer.band(), model.CLASS_NAMES)  # before the pixels (see reclassify)
            raster_io.write_colour_table(writer.band(), styles.SENSITIVITY_COLOURS)
            for yoff, _, (values,) in raster_io.iter_blocks([score.band], grid, monitor(feedback, 0.5, 0.9)):
                writer.write(yoff, model.classify(np.where(values >= 0, values, np.nan), breaks))
        styles.write_qml(class_path, {c: (styles.SENSITIVITY_COLOURS[c], f"{c} {name}")
                                      for c, name in model.CLASS_NAMES.items()})
        results = {"OUTPUT_SCORE": score_path, "OUTPUT_CLASS": class_path}
        if wants_output(parameters, "MINES") and wants_output(parameters, "OUTPUT_MINES"):
            results["OUTPUT_MINES"] = self._mine_areas(parameters, context, feedback, class_path)
        return results

    def _factors(self, parameters, context):
        """Table 6 with the bounds of THRESHOLDS_CSV if given, else of the THRESHOLDS matrix."""
        path = self.parameterAsFile(parameters, "THRESHOLDS_CSV", context)
        if path:
            with parameter_errors("THRESHOLDS_CSV", (OSError, ValueError)):
                return model.factors_from_csv_text(read_text(path))
        with parameter_errors("THRESHOLDS"):
            return model.factors_from_matrix(matrix_cells(self, parameters, "THRESHOLDS", context))

    def _breaks(self, parameters, context, score_path):
        if self.parameterAsEnum(parameters, "METHOD", context) == 1:
            return jenks_breaks(RasterInput("OUTPUT_SCORE", score_path))
        with parameter_errors("BREAKS"):
            breaks = parse_list(self.parameterAsString(parameters, "BREAKS", context), float)
            model.classify(np.array([]), breaks)
        return breaks

    def _mine_areas(self, parameters, context, feedback, class_path):
        classes = RasterInput("OUTPUT_CLASS", class_path)
        zones = burn(parameters, "MINES", classes, context, feedback, "they add nothing to the shares")
        areas = np.zeros(5)
        row_areas = pixel_areas([classes])
        for yoff, nrows, (index, values) in raster_io.iter_blocks([zones.index.band, classes.band], classes.grid,
                                                                   monitor(feedback, 0.9, 1.0)):
            inside = index.ravel() > 0
            weights = row_areas.flat(yoff, nrows)
            areas += np.bincount(values.ravel()[inside], weights[inside], minlength=5)[:5]
        total = areas[1:].sum()
        rows = [(c, name, areas[c] / 1e6, areas[c] / total * 100.0 if total else None)
                for c, name in model.CLASS_NAMES.items()]
        return write_table(self, parameters, "OUTPUT_MINES", context,
                           [("class", int), ("class_name", str), ("area_km2", float), ("share_pct", float)], rows)


def warn_breaks_outside_scores(feedback, breaks, factor_count):
    """Fixed breaks that cannot split the scores of ``factor_count`` factors (from n to 4n) get a warning.

    Han et al.'s (2025) 28, 31, 34 are for the sum of its 13 factors (13–52): with six
    factors (6–24) every pixel would be class 1, silently.
    """
    low, high = factor_count, 4 * factor_count
    if all(low <= b < high for b in breaks):
        return
    scaled = ", ".join(f"{b * factor_count / 13:.1f}" for b in model.SEED002_BREAKS)
    feedback.pushWarning(tr("BREAKS ({}): with {} factor(s) the scores run from {} to {}, so some classes cannot "
                            "occur (the 28, 31, 34 of Han et al. 2025 are for their 13 factors). Use natural breaks "
                            "(METHOD 1) or breaks within the scores, e.g. those scaled to {} factors: {}.").format(
        ", ".join(f"{b:g}" for b in breaks), factor_count, low, high, factor_count, scaled))


def block_score(factors, arrays):
    """Sum of the grades of one block; −1 where a factor is nodata or ungraded."""
    total = np.zeros(arrays[0].shape, dtype=np.int16)
    missing = np.zeros(arrays[0].shape, dtype=bool)
    for (factor, item), values in zip(factors, arrays):
        values, valid = raster_io.physical(values, item.nodata, item.scaling)
        grades = model.grade(np.where(valid, values, np.nan), factor)
        missing |= grades == 0
        total += grades
    total[missing] = -1
    return total


def jenks_breaks(score):
    """Three natural breaks of the valid scores (QGIS's Jenks) on a regular sample of at most SAMPLE values."""
    stride = max(1, score.grid.xsize * score.grid.ysize // SAMPLE)  # a bounded sample, block by block
    values = []
    for _, _, (block,) in raster_io.iter_blocks([score.band], score.grid):
        values.append(block[block >= 0][::stride])
    values = np.concatenate(values) if values else np.array([])
    if np.unique(values).size < 4:
        fail("METHOD", "natural breaks need at least 4 distinct scores; use fixed breaks")
    ranges = QgsClassificationJenks().classes([float(v) for v in values], 4)
    return [r.upperBound() for r in ranges[:3]]
