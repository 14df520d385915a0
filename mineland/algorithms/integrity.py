"""mineland:integrity — Dong et al.'s (2025) comprehensive integrity ECI, ThV and ecological-threshold stages per zone and date."""

import math

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..core.io import raster_io
from ..core.io.tables import parse_list
from ..core.render import report
from ..core.render.reports import resilience as reports
from ..core.resilience import integrity as model
from ..core.resilience import resilience as elastic
from ..core.spatial import landscape
from .base import MineLandAlgorithm
from .checks import fail, parameter_errors
from .feature_tables import field_value, identifier_field, write_table
from .outputs import wants_output
from .rasters import add_dated_inputs, check_grids, dated_class_rasters, pixel_areas, raster_stack
from .zones import burn, zonal_means

NORMALISATIONS = ["Min-max (x − min)/(max − min)", "Ratio to the maximum x / max"]
NEIGHBOURS = ["8 (queen)", "4 (rook)"]
METRICS = ("shei", "mpfd", "contag_pct", "connect_pct")


class IntegrityAlgorithm(MineLandAlgorithm):
    NAME = "integrity"
    DISPLAY_NAME = "Ecosystem integrity and threshold stages"
    GROUP = "resilience"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        add_dated_inputs(self)
        self.add(
            QgsProcessingParameterFeatureSource("ZONES", "Zones", [QgsProcessing.TypeVectorPolygon]),
            "Polygons (e.g. mining impact areas), any CRS; reprojected to the rasters' CRS.",
        )
        self.add(
            QgsProcessingParameterField(
                "ZONE_ID_FIELD", "Zone id field", parentLayerParameterName="ZONES", optional=True
            ),
            "Identifies each zone (default: its order, 1, 2, …).",
        )
        self.add(
            QgsProcessingParameterNumber(
                "BASELINE_YEAR", "Baseline year (0 = first date)", QgsProcessingParameterNumber.Integer, 0, minValue=0
            ),
            "The date whose ECI is the denominator of ThV; one of YEARS, or 0 for the first.",
        )
        for key, label, text in (
            ("NDVI", "NDVI per date", "NDVI in [−1, 1] per date, for E (needs SCORES)."),
            ("NPP", "Net primary productivity per date", "NPP per date (e.g. gC/m²/yr), for FC."),
            ("WATER", "Water conservation Q per date (mm)", "Q = P − ET − R per date, if already computed."),
            ("PRECIPITATION", "Precipitation P per date (mm)", "Annual precipitation, for Q (with ET and R)."),
            ("EVAPOTRANSPIRATION", "Evapotranspiration ET per date (mm)", "For Q = P − ET − R."),
            ("RUNOFF", "Surface runoff R per date (mm)", "For Q = P − ET − R."),
        ):
            self.add(
                QgsProcessingParameterMultipleLayers(key, label, QgsProcessing.TypeRaster, optional=True),
                text + " One raster per date or one multiband raster; on the land-cover grid.",
            )
        self.add(
            QgsProcessingParameterString("SCORES", "Resilience scores S_i (code=score, …)", optional=True),
            "Resilience score of every land-cover class for E, e.g. 1=0.5, 2=0.9 (needs NDVI).",
        )
        self.add(
            QgsProcessingParameterString("C1", "Precipitation change rate C1 (one, or one per date)", "1"),
            "C1 of σ = H · NDVI / (C1 · C2); not 0.",
        )
        self.add(
            QgsProcessingParameterString("C2", "Temperature change rate C2 (one, or one per date)", "1"),
            "C2 of σ = H · NDVI / (C1 · C2); not 0.",
        )
        self.add(
            QgsProcessingParameterNumber("MU", "Coefficient μ", QgsProcessingParameterNumber.Double, 0.08, minValue=0),
            "μ of E = σ · μ · ECO_res (default 0.08, the paper's typical value).",
        )
        for key, label, default in (
            ("W_SC", "Weight of structural integrity w_sc", 0.34),
            ("W_FC", "Weight of functional integrity w_fc", 0.33),
            ("W_E", "Weight of resilience w_e", 0.33),
        ):
            self.add(
                QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Double, default, minValue=0),
                "Weight in ECI (eq. 7); the weights are rescaled to sum to 1.",
            )
        self.add(
            QgsProcessingParameterString(
                "STRUCTURE_WEIGHTS", "Weights of SHEI, MPFD, CONTAG, CONNECT", "0.25, 0.25, 0.25, 0.25"
            ),
            "Four weights of the landscape metrics in SC.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterString("FUNCTION_WEIGHTS", "Weights of NPP, Q", "0.5, 0.5"),
            "Two weights of NPP and water conservation in FC.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterEnum("NORMALISATION", "Normalisation", NORMALISATIONS, defaultValue=0),
            "0 min-max over all zones and dates; 1 x / max (terms ≥ 0).",
            advanced=True,
        )
        for key, label, default in (
            ("LEVEL_A", "ThV at the elastic point a", 0.9),
            ("LEVEL_B", "ThV at the yield point b", 0.7),
            ("LEVEL_C", "ThV at the mutation point c", 0.5),
        ):
            self.add(
                QgsProcessingParameterNumber(key, label, QgsProcessingParameterNumber.Double, default, minValue=0),
                "Stage thresholds, a > b > c ≥ 0 (placeholders: the paper gives no values).",
            )
        self.add(
            QgsProcessingParameterEnum("NEIGHBOURS", "Patch rule", NEIGHBOURS, defaultValue=0),
            "Cells of one class form a patch through 8 (default, FRAGSTATS) or 4 neighbours.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterNumber(
                "CONNECT_DISTANCE", "Connectance distance (m)", QgsProcessingParameterNumber.Double, 100.0, minValue=0
            ),
            "Patches of a class closer than this (m, cell centre to centre) are joined in CONNECT.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Integrity per zone and date", QgsProcessing.TypeVector),
            "One row per zone and date (fields in the help).",
        )
        self.add_report("Table, ThV chart with the thresholds and the years each threshold is crossed.")

    def compute(self, parameters, context, feedback):
        covers, years = dated_class_rasters(self, parameters, context, feedback)
        cell = _cell_size(covers[0])
        settings = self._settings(parameters, context, years)
        stacks = {
            key: self._stack(parameters, context, key, covers)
            for key in ("NDVI", "NPP", "WATER", "PRECIPITATION", "EVAPOTRANSPIRATION", "RUNOFF")
        }
        id_field = identifier_field(self, parameters, context, "ZONES", "ZONE_ID_FIELD", required=False)
        zones = burn(parameters, "ZONES", covers[0], context, feedback)
        metrics = self._landscape(zones, covers, cell, settings, feedback)
        empty = sum(all(m is None for m in row) for row in metrics)
        if empty:
            feedback.pushWarning(f"ZONES: {empty} zone(s) cover no land-cover pixel; their rows are NULL")
        row_areas = pixel_areas(covers)
        means = {
            key: (
                zonal_means(zones, stack.steps, row_areas, feedback, (0.5 + 0.08 * k, 0.58 + 0.08 * k))
                if stack
                else None
            )
            for k, (key, stack) in enumerate(stacks.items())
        }
        terms = self._terms(parameters, context, feedback, metrics, means, settings)
        result = self._index(terms, settings, feedback)
        zone_ids = [field_value(p[id_field], str) if id_field else str(i + 1) for i, p in enumerate(zones.polygons)]
        rows = list(_rows(zone_ids, years, metrics, terms, result))
        outputs = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, COLUMNS, rows)}
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            _write_report(path, zone_ids, years, rows, result["thv"], settings)
            outputs["OUTPUT_HTML"] = path
        return outputs

    # ------------------------------------------------------------ parameters

    def _settings(self, parameters, context, years):
        number = lambda key: self.parameterAsDouble(parameters, key, context)  # noqa: E731
        levels = (number("LEVEL_A"), number("LEVEL_B"), number("LEVEL_C"))
        with parameter_errors("LEVEL_A"):
            model.check_levels(*levels)
        baseline_year = self.parameterAsInt(parameters, "BASELINE_YEAR", context)
        if baseline_year and baseline_year not in years:
            fail(
                "BASELINE_YEAR",
                f"{baseline_year} is not one of the dates ({', '.join(map(str, years))}); "
                "give one of them, or 0 for the first",
            )
        return {
            "years": years,
            "baseline": years.index(baseline_year) if baseline_year else 0,
            "levels": levels,
            "weights": (number("W_SC"), number("W_FC"), number("W_E")),
            "structure": self._weights(parameters, context, "STRUCTURE_WEIGHTS", 4),
            "function": self._weights(parameters, context, "FUNCTION_WEIGHTS", 2),
            "normalisation": model.NORMALISATIONS[self.parameterAsEnum(parameters, "NORMALISATION", context)],
            "neighbours": (8, 4)[self.parameterAsEnum(parameters, "NEIGHBOURS", context)],
            "distance": number("CONNECT_DISTANCE"),
            "c1": self._rates(parameters, context, "C1", len(years)),
            "c2": self._rates(parameters, context, "C2", len(years)),
            "mu": number("MU"),
        }

    def _weights(self, parameters, context, key, count):
        text = self.parameterAsString(parameters, key, context)
        values = _numbers(key, text)
        if len(values) != count:
            fail(key, f"give {count} weights separated by commas, got '{text}'")
        return values

    def _rates(self, parameters, context, key, dates):
        text = self.parameterAsString(parameters, key, context)
        values = _numbers(key, text)
        if len(values) not in (1, dates):
            fail(key, f"give one number, or one per date ({dates}), got {len(values)}")
        if any(v == 0 for v in values):
            fail(key, "must not be 0: σ = H · NDVI / (C1 · C2) divides by it")
        return np.resize(np.asarray(values, dtype=np.float64), dates)

    def _stack(self, parameters, context, key, covers):
        """The rasters of ``key`` (one step per date, on the land-cover grid), or None when not given."""
        if not wants_output(parameters, key):
            return None
        stack = raster_stack(self, parameters, key, context)
        if len(stack.steps) != len(covers):
            fail(key, f"give one raster (or band) per date: {len(covers)} dates, {len(stack.steps)} given")
        check_grids([covers[0]] + stack.steps)
        return stack

    # ---------------------------------------------------------------- terms

    def _landscape(self, zones, covers, cell, settings, feedback):
        """landscape.LandscapeMetrics (or None for a zone without land cover) per zone and date."""
        metrics = []
        total = len(zones.polygons) * len(covers)
        for z, polygon in enumerate(zones.polygons, start=1):
            box = polygon.geometry().boundingBox()
            window = raster_io.pixel_window(
                zones.index.grid, box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()
            )
            inside = None if window is None else raster_io.read_window([zones.index.band], window)[0] == z
            per_date = []
            for cover in covers:
                if feedback.isCanceled():
                    raise raster_io.Cancelled()
                if inside is None or not inside.any():
                    per_date.append(None)
                    continue
                classes = raster_io.read_window([cover.band], window)[0]
                valid = inside & raster_io.valid_mask(classes, cover.nodata)
                per_date.append(
                    landscape.landscape_metrics(classes, valid, cell, settings["distance"], settings["neighbours"])
                )
                feedback.setProgress(50.0 * (len(metrics) * len(covers) + len(per_date)) / total)
            metrics.append(per_date)
        return metrics

    def _terms(self, parameters, context, feedback, metrics, means, settings):
        """Raw terms (zones, dates): the four metrics, h, ndvi, e, npp and q (None when not given)."""
        shape = (len(metrics), len(settings["years"]))
        terms = {
            name: np.array([[getattr(m, name) if m else np.nan for m in row] for row in metrics])
            for name in METRICS + ("patches",)
        }
        terms["npp"] = means["NPP"]
        try:
            terms["q"] = model.water_conservation(
                *(means[k] for k in ("WATER", "PRECIPITATION", "EVAPOTRANSPIRATION", "RUNOFF"))
            )
        except ValueError:
            fail(
                "PRECIPITATION",
                "Q = P − ET − R needs all three of PRECIPITATION, EVAPOTRANSPIRATION and RUNOFF (or give WATER)",
            )
        terms["h"] = terms["ndvi"] = terms["e"] = None
        if means["NDVI"] is not None:
            terms["h"], terms["ndvi"], terms["e"] = self._resilience(
                parameters, context, metrics, means["NDVI"], settings, shape
            )
        elif wants_output(parameters, "SCORES"):
            feedback.pushWarning("SCORES given without NDVI: E is not computed and drops out of ECI")
        return terms

    def _resilience(self, parameters, context, metrics, ndvi, settings, shape):
        if np.any(np.abs(ndvi[np.isfinite(ndvi)]) > 1):
            fail(
                "NDVI",
                "zone means outside [−1, 1]: give NDVI as a ratio (divide a scaled product by its "
                "scale, or set the band's scale metadata: gdal_edit.py -scale)",
            )
        with parameter_errors("SCORES"):
            scores = elastic.parse_scores(self.parameterAsString(parameters, "SCORES", context))
        h, e = np.full(shape, np.nan), np.full(shape, np.nan)
        missing = set()
        for (z, d), m in np.ndenumerate(np.array(metrics, dtype=object)):
            if m is None:
                continue
            missing.update(int(c) for c in m.codes if int(c) not in scores)
            if missing:
                continue
            result = elastic.resilience(
                m.shares,
                [scores[int(c)] for c in m.codes],
                ndvi[z, d],
                settings["c1"][d],
                settings["c2"][d],
                settings["mu"],
            )
            h[z, d], e[z, d] = result.h, result.e
        if missing:
            fail(
                "SCORES",
                f"class codes {', '.join(map(str, sorted(missing)))} occur in the zones but have no "
                "score; add them to SCORES",
            )
        return h, ndvi, e

    def _index(self, terms, settings, feedback):
        """Normalised SC, FC, E, ECI, ThV and stages (arrays zones × dates), by model.integrity_index."""
        try:
            result = model.integrity_index(
                [terms[name] for name in METRICS],
                [terms["npp"], terms["q"]],
                terms["e"],
                settings["levels"],
                settings["baseline"],
                settings["weights"],
                settings["structure"],
                settings["function"],
                settings["normalisation"],
            )
        except model.WeightsError as err:
            fail(WEIGHT_KEYS[err.part], str(err))
        except ValueError as err:
            fail("NORMALISATION", str(err))
        for part in ("SC", "FC"):
            _warn_rescaled(feedback, result, part)
        if result.absent:
            feedback.pushWarning(
                f"{', '.join(result.absent)} not computed (inputs not given): dropped from ECI, "
                "the other weights rescaled"
            )
        _warn_rescaled(feedback, result, "ECI")
        if result.undefined_thv:
            feedback.pushWarning(
                "ThV is NULL where the baseline ECI is 0 (min-max normalisation maps the lowest "
                "value to 0); NORMALISATION = x / max avoids it"
            )
        return {
            "sc": result.sc,
            "fc": result.fc,
            "e_norm": result.e_norm,
            "eci": result.eci,
            "thv": result.thv,
            "stage": result.stage,
        }


#: The parameter holding the weights of each part of model.integrity_index.
WEIGHT_KEYS = {"SC": "STRUCTURE_WEIGHTS", "FC": "FUNCTION_WEIGHTS", "ECI": "W_SC"}


def _warn_rescaled(feedback, result, part):
    if part in result.rescaled:
        feedback.pushWarning(
            f"{WEIGHT_KEYS[part]}: the weights sum to {result.rescaled[part]:g}, not 1; divided by their sum"
        )


COLUMNS = [
    ("zone_id", str),
    ("year", int),
    ("shei", float),
    ("mpfd", float),
    ("contag_pct", float),
    ("connect_pct", float),
    ("patches", int),
    ("h_log2", float),
    ("ndvi_mean", float),
    ("e", float),
    ("npp_mean", float),
    ("q_mm", float),
    ("sc", float),
    ("fc", float),
    ("e_norm", float),
    ("eci", float),
    ("thv", float),
    ("stage", int),
    ("stage_name", str),
]


def _rows(zone_ids, years, metrics, terms, result):
    def value(array, z, d):
        return None if array is None else array[z, d]

    for z, zone_id in enumerate(zone_ids):
        for d, year in enumerate(years):
            stage = int(result["stage"][z, d])
            yield (
                zone_id,
                year,
                *(terms[name][z, d] for name in METRICS),
                None if metrics[z][d] is None else int(terms["patches"][z, d]),
                value(terms["h"], z, d),
                value(terms["ndvi"], z, d),
                value(terms["e"], z, d),
                value(terms["npp"], z, d),
                value(terms["q"], z, d),
                value(result["sc"], z, d),
                value(result["fc"], z, d),
                value(result["e_norm"], z, d),
                result["eci"][z, d],
                result["thv"][z, d],
                stage,
                model.STAGE_NAMES[stage],
            )


def _numbers(key, text):
    with parameter_errors(key):
        return parse_list(text, float, f"'{text}' is not a comma-separated list of numbers")


def _cell_size(cover):
    """The pixel's sides in metres on the ground at the raster's centre: the map sides scaled by the
    projection's linear scale there, √(area on the ellipsoid / map area) (× cos φ in Web Mercator)."""
    with parameter_errors("INPUTS", prefix="landscape metrics: "):
        width, height = raster_io.cell_size_m(cover.grid)
    grid = cover.grid
    centre = pixel_areas([cover]).at(np.array([grid.ysize // 2]), np.array([grid.xsize // 2]))[0]
    scale = math.sqrt(centre / (width * height)) if centre > 0 else 1.0
    return width * scale, height * scale


def _write_report(path, zone_ids, years, rows, thv, settings):
    report.save(
        path,
        reports.integrity_page(
            zone_ids, years, thv, settings["levels"], settings["baseline"], [name for name, _ in COLUMNS], rows
        ),
    )
