"""mineland:reclassify — land-cover codes to analysis classes (presets or a table)."""

import numpy as np
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

from ..core.io import raster_io
from ..core.io.tables import read_text
from ..core.landcover import reclass
from ..core.render import styles
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors
from .feature_tables import matrix_cells
from .rasters import RasterInput, raster_path

#: Legend colours of the presets' classes (PRESET index → {class: colour}).
PRESET_COLOURS = {1: styles.SEED000_COLOURS, 2: styles.SEED001_COLOURS}


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

        in_dtype = raster_io.numpy_dtype(source.band)
        with parameter_errors("TABLE"):
            gdal_type, out_dtype, nodata_out = raster_io.integer_type_with_nodata(
                reclass.output_class_values(rules, keep, in_dtype)
            )

        unmatched_pixels, unmatched_codes = 0, set()
        classes = {v: names.get(v, f"class {v}") for v in reclass.output_values(rules)}
        colours = styles.class_colours(classes, PRESET_COLOURS.get(preset))
        legend = not keep  # kept unmatched codes would be invisible in a paletted style
        with raster_io.BlockWriter(output, source.grid, gdal_type, nodata_out) as writer:
            # before the pixels: GTiff refuses a colour table once tiles have been flushed
            raster_io.write_class_names(writer.band(), classes)
            writer.set_band_names(["land-cover class"])  # the legend's title in QGIS, not "Band 1"
            if legend and gdal_type in (raster_io.BYTE, raster_io.UINT16):
                raster_io.write_colour_table(writer.band(), colours)
            for yoff, _, (values,) in raster_io.iter_blocks([source.band], source.grid, monitor(feedback)):
                valid = raster_io.valid_mask(values, source.nodata)
                out = reclass.reclassify(values, rules, valid, nodata_out, out_dtype, keep)
                if not keep:
                    missed = valid & (out == nodata_out)
                    count = int(np.count_nonzero(missed))
                    if count:
                        unmatched_pixels += count
                        unmatched_codes.update(np.unique(values[missed]).tolist()[:50])
                writer.write(yoff, out)
        if legend:
            styles.write_qml(output, {v: (colours[v], f"{v} {name}") for v, name in classes.items()})
        if unmatched_pixels:
            codes = ", ".join(f"{c:g}" for c in sorted(unmatched_codes)[:50])
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
