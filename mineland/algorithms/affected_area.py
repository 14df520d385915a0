"""mineland:affectedarea — scale the affected area of surveyed mines to a region by production (Dong et al. 2025)."""

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
)

from ..core.mines import footprint
from .base import MineLandAlgorithm
from .checks import fail, is_null
from .feature_tables import chosen_fields, numeric_cell, write_table


class AffectedAreaAlgorithm(MineLandAlgorithm):
    NAME = "affectedarea"
    DISPLAY_NAME = "Affected area scaled by production"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("INPUT", "Surveyed mines", [QgsProcessing.TypeVector]),
            "Table or layer with one row per surveyed mine.",
        )
        self.add(
            QgsProcessingParameterField(
                "NAME_FIELD", "Mine name field", parentLayerParameterName="INPUT", optional=True, defaultValue="name"
            ),
            "Names the mines in OUTPUT (default: the field 'name' when the table has one, else the row number).",
        )
        self.add(
            QgsProcessingParameterField(
                "AREA_FIELD", "Affected area field (km2)", parentLayerParameterName="INPUT", defaultValue="area_km2"
            ),
            "Affected area of each surveyed mine, km2 (numbers, or text holding numbers as in a CSV); "
            "default area_km2.",
        )
        self.add(
            QgsProcessingParameterField(
                "PRODUCTION_FIELD", "Production field", parentLayerParameterName="INPUT", defaultValue="production"
            ),
            "Production of each surveyed mine (e.g. Mt/yr), > 0; default production.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "TOTAL_PRODUCTION",
                "Total production of the region",
                QgsProcessingParameterNumber.Double,
                1060.0,
                minValue=0,
            ),
            "Production of the region in the unit of PRODUCTION_FIELD (Dong et al. 2025: 1,060 Mt in 2022), > 0.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "CONFIDENCE",
                "Confidence of the bootstrap interval",
                QgsProcessingParameterNumber.Double,
                0.95,
                minValue=0.5,
                maxValue=0.999,
            ),
            "Width of the percentile interval, e.g. 0.95.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                "REPLICATES",
                "Bootstrap resamples",
                QgsProcessingParameterNumber.Integer,
                9999,
                minValue=99,
                maxValue=1_000_000,
            ),
            "Number of resamples.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber("SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0, minValue=0),
            "Seed of the bootstrap, so that runs repeat.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT",
                "Area per unit production per mine",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "mine, area_km2, production, km2_per_unit, scaled_km2.",
        )
        for key, label in (
            ("KM2_PER_UNIT", "Area per unit production (km2)"),
            ("ESTIMATE_KM2", "Estimate (km2)"),
            ("MIN_KM2", "Lowest mine's ratio × total (km2)"),
            ("MAX_KM2", "Highest mine's ratio × total (km2)"),
            ("BOOTSTRAP_LOW_KM2", "Bootstrap interval, low (km2)"),
            ("BOOTSTRAP_HIGH_KM2", "Bootstrap interval, high (km2)"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        names, areas, productions = self._mines(parameters, context, feedback)
        total = self.parameterAsDouble(parameters, "TOTAL_PRODUCTION", context)
        if not total > 0:
            fail("TOTAL_PRODUCTION", f"must be > 0 (got {total:g}): a region without production has nothing to scale")
        negative = [n for n, a in zip(names, areas) if a < 0]
        if negative:
            fail("AREA_FIELD", f"mine(s) {', '.join(negative[:5])} have a negative area; correct or remove those rows")
        idle = [n for n, q in zip(names, productions) if q <= 0]
        if idle:
            fail(
                "PRODUCTION_FIELD",
                f"mine(s) {', '.join(idle[:5])} have a production ≤ 0, so no area per unit "
                "production; correct or remove those rows",
            )
        result = footprint.scale_area(
            areas,
            productions,
            total,
            self.parameterAsDouble(parameters, "CONFIDENCE", context),
            self.parameterAsInt(parameters, "REPLICATES", context),
            self.parameterAsInt(parameters, "SEED", context),
        )
        feedback.pushInfo(
            f"{result.ratio:.6g} km2 per unit production × {total:g} = {result.estimate:.6g} km2 "
            f"(mines: {result.low:.6g}–{result.high:.6g} km2)"
        )
        outputs = {
            "KM2_PER_UNIT": result.ratio,
            "ESTIMATE_KM2": result.estimate,
            "MIN_KM2": result.low,
            "MAX_KM2": result.high,
            "BOOTSTRAP_LOW_KM2": _none_if_nan(result.boot_low),
            "BOOTSTRAP_HIGH_KM2": _none_if_nan(result.boot_high),
        }
        if parameters.get("OUTPUT"):
            rows = zip(names, areas, productions, result.mine_ratios, result.mine_ratios * total)
            outputs["OUTPUT"] = write_table(self, parameters, "OUTPUT", context, COLUMNS, rows)
        return outputs

    def _mines(self, parameters, context, feedback):
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            fail("INPUT", "the table could not be read (was its file moved or deleted?)")
        name_field, area_field, production_field = chosen_fields(
            self, parameters, context, source, "INPUT", ("NAME_FIELD", "AREA_FIELD", "PRODUCTION_FIELD")
        ).values()
        names, areas, productions, skipped = [], [], [], 0
        for number, feature in enumerate(source.getFeatures(), start=1):
            area = numeric_cell(feature[area_field], "AREA_FIELD", feature)
            production = numeric_cell(feature[production_field], "PRODUCTION_FIELD", feature)
            if np.isnan(area) or np.isnan(production):
                skipped += 1
                continue
            names.append(str(number) if not name_field or is_null(feature[name_field]) else str(feature[name_field]))
            areas.append(area)
            productions.append(production)
        if skipped:
            feedback.pushWarning(f"INPUT: {skipped} row(s) with a NULL area or production skipped")
        if not names:
            fail("INPUT", "no surveyed mine with both an area and a production")
        return names, np.array(areas), np.array(productions)


COLUMNS = [("mine", str), ("area_km2", float), ("production", float), ("km2_per_unit", float), ("scaled_km2", float)]


def _none_if_nan(value):
    return None if np.isnan(value) else float(value)
