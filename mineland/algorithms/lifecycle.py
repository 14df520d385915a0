"""mineland:lifecycle — life-cycle stage of every mine and year from an annual series (Dong et al. 2025)."""

import math
from collections import defaultdict

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..core.io import raster_io
from ..core.mines import lifecycle
from .base import MineLandAlgorithm
from .checks import fail, is_null, monitor, parameter_errors
from .feature_tables import chosen_fields, field_value, identifier_field, numeric_cell, write_table
from .outputs import wants_output
from .rasters import RasterInput, check_grids, class_codes, pixel_areas, raster_path
from .zones import burn


class LifeCycleAlgorithm(MineLandAlgorithm):
    NAME = "lifecycle"
    DISPLAY_NAME = "Mine life-cycle stages"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("INPUT", "Annual series per mine", [QgsProcessing.TypeVector]),
            "Table or layer with one row per mine and year.",
        )
        for key, label, default, text in (
            ("MINE_FIELD", "Mine id field", "mine", "Identifies the mine; default mine."),
            ("YEAR_FIELD", "Year field", "year", "Whole year of the row; default year."),
            (
                "VALUE_FIELD",
                "Value field (production or area)",
                "production",
                "Annual production (e.g. Mt) or mined/disturbed area (e.g. km2), ≥ 0; default production.",
            ),
        ):
            self.add(
                QgsProcessingParameterField(key, label, parentLayerParameterName="INPUT", defaultValue=default), text
            )
        self.add(
            QgsProcessingParameterNumber(
                "WINDOW", "Smoothing window (years)", QgsProcessingParameterNumber.Integer, 3, minValue=1
            ),
            "Centred moving average before the rules (1 = none).",
        )
        for key, label, default, text in (
            (
                "INITIAL_SHARE",
                "Initial stage below this share of the maximum",
                0.2,
                "Fraction of the series maximum below which the first years are initial.",
            ),
            (
                "DECLINE_SHARE",
                "Decline below this share of the running peak",
                0.8,
                "Fraction of the peak so far below which a year is decline.",
            ),
            (
                "FAST_GROWTH",
                "Accelerated from this growth rate (fraction per year)",
                0.10,
                "Annual growth of the smoothed series from which a year is accelerated (0.10 = 10 %/yr).",
            ),
            (
                "SLOW_GROWTH",
                "Stable (early) above this growth rate (fraction per year)",
                0.02,
                "Annual growth above which a stable year is early (still rising), else late.",
            ),
        ):
            # shares of a maximum lie in 0 … 1; growth rates may be negative
            bounds = {"minValue": 0.0, "maxValue": 1.0} if key.endswith("_SHARE") else {}
            self.add(
                QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Double, default, **bounds),
                text,
                advanced=True,
            )
        self.add(
            QgsProcessingParameterFeatureSource(
                "MINES", "Mine polygons (succession type)", [QgsProcessing.TypeVectorPolygon], optional=True
            ),
            "Optional: the mines' polygons, for the succession type from two land-cover dates.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterField(
                "MINES_ID_FIELD", "Mine id field of MINES", parentLayerParameterName="MINES", optional=True
            ),
            "Holds the same ids as MINE_FIELD.",
            advanced=True,
        )
        for key, label in (("LANDCOVER_START", "Land cover, first date"), ("LANDCOVER_END", "Land cover, last date")):
            self.add(
                QgsProcessingParameterRasterLayer(key, label, optional=True),
                "Integer class raster (both on one grid), for the water share of each mine.",
                advanced=True,
            )
        self.add(
            QgsProcessingParameterString("WATER_CLASSES", "Water class codes", "5", optional=True),
            "Codes of water in the land-cover rasters (Huang's (2024) 7 classes: 5).",
            advanced=True,
        )
        for key, label, default, text in (
            (
                "WATER_GAIN_PCT",
                "Water gain for a change of type (points)",
                10.0,
                "Below this gain in water share (percentage points) the type is terrestrial → terrestrial.",
            ),
            (
                "AQUATIC_PCT",
                "Aquatic from this water share (%)",
                50.0,
                "With a larger gain, an end water share of at least this is terrestrial → aquatic, less amphibious.",
            ),
        ):
            self.add(
                QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Double, default, minValue=0),
                text,
                advanced=True,
            )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Stage per mine and year", QgsProcessing.TypeVector),
            "mine_id, year, value, smoothed, growth_pct_per_year, peak_share_pct, stage, stage_name.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_SUMMARY",
                "Current stage per mine",
                QgsProcessing.TypeVector,
                optional=True,
                createByDefault=True,
            ),
            "mine_id, first_year, last_year, peak_year, peak_value, current_stage, current_stage_name.",
        )

    def compute(self, parameters, context, feedback):
        series = self._series(parameters, context, feedback)
        settings = {
            key.lower(): self.parameterAsDouble(parameters, key, context)
            for key in ("INITIAL_SHARE", "DECLINE_SHARE", "FAST_GROWTH", "SLOW_GROWTH")
        }
        window = self.parameterAsInt(parameters, "WINDOW", context)
        with parameter_errors("INITIAL_SHARE"):
            lifecycle.check_settings(window, **settings)
        rows, summary = [], []
        for mine, (years, values) in sorted(series.items()):
            with parameter_errors("INPUT", prefix=f"mine {mine}: "):
                cycle = lifecycle.life_cycle(years, values, window, **settings)
            rows += [
                (
                    mine,
                    int(y),
                    v,
                    s,
                    g * 100.0 if abs(g) < float("inf") else None,
                    p * 100.0,
                    int(code),
                    lifecycle.STAGE_NAMES[int(code)],
                )
                for y, v, s, g, p, code in zip(
                    cycle.years, cycle.values, cycle.smoothed, cycle.growth, cycle.peak_share, cycle.stages
                )
            ]
            peak = int(cycle.values.argmax())
            summary.append(
                (
                    mine,
                    int(cycle.years[0]),
                    int(cycle.years[-1]),
                    int(cycle.years[peak]),
                    cycle.values[peak],
                    cycle.current_stage,
                    lifecycle.STAGE_NAMES[cycle.current_stage],
                )
            )
        outputs = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, COLUMNS, rows)}
        columns = SUMMARY_COLUMNS
        if wants_output(parameters, "MINES"):
            water = self._water_shares(parameters, context, feedback)
            columns = SUMMARY_COLUMNS + SUCCESSION_COLUMNS
            summary = [row + water.get(row[0], (None, None, None)) for row in summary]
        if parameters.get("OUTPUT_SUMMARY"):
            outputs["OUTPUT_SUMMARY"] = write_table(self, parameters, "OUTPUT_SUMMARY", context, columns, summary)
        return outputs

    def _water_shares(self, parameters, context, feedback):
        """{mine id: (water_start_pct, water_end_pct, succession name)} of the MINES polygons."""
        covers = []
        for key in ("LANDCOVER_START", "LANDCOVER_END"):
            if not wants_output(parameters, key):
                fail(key, "the succession type needs both land-cover rasters with MINES")
            covers.append(RasterInput(key, raster_path(self, parameters, key, context)).require_integer())
        check_grids(covers)
        id_field = identifier_field(self, parameters, context, "MINES", "MINES_ID_FIELD")
        water = class_codes(self, parameters, "WATER_CLASSES", context)
        gain, aquatic = (self.parameterAsDouble(parameters, key, context) for key in ("WATER_GAIN_PCT", "AQUATIC_PCT"))
        with parameter_errors("AQUATIC_PCT"):
            lifecycle.succession_type(0.0, 0.0, gain, aquatic)
        zones = burn(parameters, "MINES", covers[0], context, feedback)
        size = len(zones.polygons) + 1
        area, wet = np.zeros((2, size)), np.zeros((2, size))
        row_areas = pixel_areas(covers)
        bands = [zones.index.band] + [c.band for c in covers]
        for yoff, nrows, arrays in raster_io.iter_blocks(bands, covers[0].grid, monitor(feedback, 0.5, 1.0)):
            ids = arrays[0].ravel().astype(np.intp)
            pixel_area = row_areas.flat(yoff, nrows)
            for k, (values, cover) in enumerate(zip(arrays[1:], covers)):
                ok = raster_io.valid_mask(values, cover.nodata).ravel() & (ids > 0)
                area[k] += np.bincount(ids[ok], pixel_area[ok], minlength=size)
                is_water = ok & np.isin(values.ravel(), water)
                wet[k] += np.bincount(ids[is_water], pixel_area[is_water], minlength=size)
        shares = {}
        for z, polygon in enumerate(zones.polygons, start=1):
            if area[0, z] > 0 and area[1, z] > 0:
                start, end = (wet[k, z] / area[k, z] * 100.0 for k in (0, 1))
                kind = lifecycle.SUCCESSION_NAMES[lifecycle.succession_type(start, end, gain, aquatic)]
                shares[field_value(polygon[id_field], str)] = (start, end, kind)
        return shares

    def _series(self, parameters, context, feedback):
        """{mine id: (years, values)} from the long table; rows without a mine id or year are skipped."""
        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            fail("INPUT", "the table could not be read (was its file moved or deleted?)")
        fields = chosen_fields(self, parameters, context, source, "INPUT", ("MINE_FIELD", "YEAR_FIELD", "VALUE_FIELD"))
        series = defaultdict(lambda: ([], []))
        unnamed = missing = 0
        for feature in source.getFeatures():
            mine = feature[fields["MINE_FIELD"]]
            year = numeric_cell(feature[fields["YEAR_FIELD"]], "YEAR_FIELD", feature)
            if is_null(mine) or year != year:
                unnamed += 1
                continue
            years, values = series[str(mine)]
            years.append(year)
            values.append(numeric_cell(feature[fields["VALUE_FIELD"]], "VALUE_FIELD", feature))
            missing += math.isnan(values[-1])
        if unnamed:
            feedback.pushWarning(f"INPUT: {unnamed} row(s) without a mine id or year skipped")
        if missing:
            feedback.pushWarning(f"INPUT: {missing} row(s) with a NULL value skipped (missing years)")
        if not series:
            fail("INPUT", "no row has both a mine id and a year")
        return series


COLUMNS = [
    ("mine_id", str),
    ("year", int),
    ("value", float),
    ("smoothed", float),
    ("growth_pct_per_year", float),
    ("peak_share_pct", float),
    ("stage", int),
    ("stage_name", str),
]
SUCCESSION_COLUMNS = [("water_start_pct", float), ("water_end_pct", float), ("succession", str)]
SUMMARY_COLUMNS = [
    ("mine_id", str),
    ("first_year", int),
    ("last_year", int),
    ("peak_year", int),
    ("peak_value", float),
    ("current_stage", int),
    ("current_stage_name", str),
]
