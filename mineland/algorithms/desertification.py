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

from ..core.io import raster_io
from ..core.io.tables import parse_list, read_text
from ..core.render import styles
from ..core.resilience import desertification as model
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors, tr
from .feature_tables import matrix_cells, write_table
from .outputs import wants_output
from .rasters import RasterInput, check_grids, physical_units, pixel_areas, raster_path
from .zones import burn

METHODS = ["Fixed breaks", "Natural breaks (Jenks)"]
SAMPLE = 10_000


class DesertificationAlgorithm(MineLandAlgorithm):
    NAME = "desertification"
    DISPLAY_NAME = "Desertification sensitivity"
    GROUP = "resilience"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        for factor in model.FACTORS:
            self.add(
                QgsProcessingParameterRasterLayer(factor.key, factor.label, optional=True),
                f"{factor.label}; graded by Han et al. (2025) Table 6 (see the help). Optional.",
            )
        cells = model.threshold_cells()
        self.add(
            QgsProcessingParameterMatrix(
                "THRESHOLDS",
                "Thresholds of the continuous factors",
                numberRows=len(cells) // len(model.THRESHOLD_COLUMNS),
                headers=list(model.THRESHOLD_COLUMNS),
                defaultValue=cells,
                optional=True,
            ),
            "Bounds b1 &lt; b2 &lt; b3 and worse (high or low) per continuous factor, pre-filled with Han et al. (2025) "
            "Table 6; edit the cells. Ignored when THRESHOLDS_CSV is given.",
        )
        self.add(
            QgsProcessingParameterFile(
                "THRESHOLDS_CSV", "Thresholds from a CSV (overrides the matrix)", extension="csv", optional=True
            ),
            "Rows factor, b1, b2, b3, worse (high/low) replacing the Table 6 bounds of continuous factors; "
            "when given, THRESHOLDS is ignored.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterEnum("METHOD", "Classes of the score", METHODS, defaultValue=0),
            "0 fixed breaks (BREAKS), 1 natural breaks (Jenks).",
        )
        self.add(
            QgsProcessingParameterString(
                "BREAKS", "Fixed breaks (3 values)", ", ".join(f"{b:g}" for b in model.SEED002_BREAKS)
            ),
            "Upper bounds of low, moderate and relatively high (default Han et al. (2025): 28, 31, 34).",
        )
        self.add(
            QgsProcessingParameterFeatureSource(
                "MINES", "Mining patches", [QgsProcessing.TypeVectorPolygon], optional=True
            ),
            "Polygons whose area per sensitivity class is reported.",
        )
        self.add(
            QgsProcessingParameterRasterDestination("OUTPUT_SCORE", "Sensitivity score"),
            "Sum of the grades (Int16, nodata −1).",
        )
        self.add(
            QgsProcessingParameterRasterDestination("OUTPUT_CLASS", "Sensitivity class"),
            "1 low, 2 moderate, 3 relatively high, 4 high (Byte, nodata 0), with its legend.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_MINES",
                "Classes inside the mining patches",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "class, class_name, area_km2, share_pct inside MINES.",
        )

    def compute(self, parameters, context, feedback):
        factors = [
            (f, RasterInput(f.key, raster_path(self, parameters, f.key, context)))
            for f in self._factors(parameters, context)
            if wants_output(parameters, f.key)
        ]
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
        styles.write_qml(
            class_path, {c: (styles.SENSITIVITY_COLOURS[c], f"{c} {name}") for c, name in model.CLASS_NAMES.items()}
        )
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
        for yoff, nrows, (index, values) in raster_io.iter_blocks(
            [zones.index.band, classes.band], classes.grid, monitor(feedback, 0.9, 1.0)
        ):
            inside = index.ravel() > 0
            weights = row_areas.flat(yoff, nrows)
            areas += np.bincount(values.ravel()[inside], weights[inside], minlength=5)[:5]
        total = areas[1:].sum()
        rows = [
            (c, name, areas[c] / 1e6, areas[c] / total * 100.0 if total else None)
            for c, name in model.CLASS_NAMES.items()
        ]
        return write_table(
            self,
            parameters,
            "OUTPUT_MINES",
            context,
            [("class", int), ("class_name", str), ("area_km2", float), ("share_pct", float)],
            rows,
        )


def warn_breaks_outside_scores(feedback, breaks, factor_count):
    """Fixed breaks that cannot split the scores of ``factor_count`` factors (from n to 4n) get a warning.

    Han et al.'s (2025) 28, 31, 34 are for the sum of its 13 factors (13–52): with six
    factors (6–24) every pixel would be class 1, silently.
    """
    low, high = factor_count, 4 * factor_count
    if all(low <= b < high for b in breaks):
        return
    scaled = ", ".join(f"{b * factor_count / 13:.1f}" for b in model.SEED002_BREAKS)
    feedback.pushWarning(
        tr(
            "BREAKS ({}): with {} factor(s) the scores run from {} to {}, so some classes cannot "
            "occur (the 28, 31, 34 of Han et al. 2025 are for their 13 factors). Use natural breaks "
            "(METHOD 1) or breaks within the scores, e.g. those scaled to {} factors: {}."
        ).format(", ".join(f"{b:g}" for b in breaks), factor_count, low, high, factor_count, scaled)
    )


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
