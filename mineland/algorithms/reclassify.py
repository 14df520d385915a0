"""mineland:reclassify — land-cover codes to analysis classes (presets or a table)."""

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterMatrix,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ..core.engine import jobs, runner
from ..core.engine.scaleout import Source
from ..core.io import raster_io
from ..core.io.tables import read_text
from ..core.landcover import reclass
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors
from .feature_tables import matrix_cells
from .rasters import RasterInput, raster_path

#: Legend colours of the presets' classes (PRESET index → {class: colour}).
PRESET_COLOURS = jobs.RECLASS_PRESET_COLOURS


class ReclassifyAlgorithm(MineLandAlgorithm):
    NAME = "reclassify"
    DISPLAY_NAME = "Reclassify land cover"
    GROUP = "landcover"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterRasterLayer("INPUT", "Land-cover raster"),
            "Integer land-cover codes, e.g. GLC_FCS30 or GLC_FCS30D.",
        )
        self.add(
            QgsProcessingParameterBand("BAND", "Band", 1, "INPUT", optional=True), "Band to reclassify (default 1)."
        )
        self.add(
            QgsProcessingParameterEnum(
                "PRESET", "Preset", [reclass.PRESETS[i][0] for i in sorted(reclass.PRESETS)], defaultValue=1
            ),
            "0 = custom table only; 1 = GLC_FCS30 → 7 classes (Huang 2024); 2 = GLC_FCS30D → 4 classes "
            "(Xu et al. 2025).",
        )
        self.add(
            QgsProcessingParameterMatrix(
                "TABLE", "Reclassification table (overrides the preset)", headers=["min", "max", "value"], optional=True
            ),
            "Rows of min, max (both included) and new integer value; checked before the preset's rows.",
        )
        self.add(
            QgsProcessingParameterFile(
                "TABLE_CSV", "Reclassification table from CSV (overrides the preset)", extension="csv", optional=True
            ),
            "CSV with columns min, max, value (or code, value) and optional name; checked before the preset's rows.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterBoolean(
                "NODATA_FOR_MISSING", "Codes matched by no row become nodata", defaultValue=True
            ),
            "On (default): values no row matches become nodata. Off: they keep their value.",
        )
        self.add(
            QgsProcessingParameterRasterDestination("OUTPUT", "Reclassified"),
            "Integer class raster (GeoTIFF, tiled, compressed) with class names in its attribute table.",
        )
        self.addOutput(QgsProcessingOutputNumber("UNMATCHED_PIXELS", "Pixels matched by no row"))

    def compute(self, parameters, context, feedback):
        source = RasterInput(
            "INPUT",
            raster_path(self, parameters, "INPUT", context),
            self.parameterAsInt(parameters, "BAND", context) or 1,
        )
        preset = self.parameterAsEnum(parameters, "PRESET", context)
        rules, names = self._rules(parameters, context, preset)
        keep = not self.parameterAsBool(parameters, "NODATA_FOR_MISSING", context)
        if keep and not raster_io.is_integer_band(source.band):
            fail("NODATA_FOR_MISSING", "keeping unmatched values needs an integer raster; switch it on")
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)

        try:
            result = jobs.reclassify(
                Source(source.path, source.band.GetBand()),
                source.nodata,
                source.grid,
                rules,
                output,
                runner.LocalExecutor(),
                names=names,
                keep_unmatched=keep,
                colour_scheme=PRESET_COLOURS.get(preset),
                monitor=monitor(feedback),
            )
        except jobs.NoRoomForNodata as err:
            fail("TABLE", str(err))
        unmatched_pixels = result.unmatched_pixels
        if unmatched_pixels:
            codes = ", ".join(f"{c:g}" for c in result.unmatched_codes)
            feedback.pushWarning(f"{unmatched_pixels} pixels had codes no row matches and became nodata: {codes}")
        return {"OUTPUT": output, "UNMATCHED_PIXELS": unmatched_pixels}

    def _rules(self, parameters, context, preset):
        """User rows (TABLE, then TABLE_CSV) before the preset's; names from all."""
        _, preset_rules, names = reclass.PRESETS[preset]
        names = dict(names)
        with parameter_errors("TABLE"):
            rules = reclass.rules_from_rows(matrix_cells(self, parameters, "TABLE", context))
        csv_path = self.parameterAsFile(parameters, "TABLE_CSV", context)
        if csv_path:
            with parameter_errors("TABLE_CSV", (OSError, ValueError)):
                csv_rules, csv_names = reclass.rules_from_csv_text(read_text(csv_path))
            rules += csv_rules
            names.update(csv_names)
        rules += preset_rules
        if not rules:
            fail("TABLE", "the custom preset needs at least one row in TABLE or TABLE_CSV")
        return rules, names
