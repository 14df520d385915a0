"""mineland:resilience — Dong et al.'s (2025) ecosystem resilience (H, ECO_res, σ, E) per zone."""

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
)

from ..core.engine import stack
from ..core.io import raster_io
from ..core.render import styles
from ..core.resilience import resilience as model
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors, tr
from .feature_tables import field_value, identifier_field, write_table
from .outputs import wants_output
from .rasters import RasterInput, check_grids, physical_units, pixel_areas, raster_path
from .zones import burn, zonal_means


class ResilienceAlgorithm(MineLandAlgorithm):
    NAME = "resilience"
    DISPLAY_NAME = "Ecosystem resilience"
    GROUP = "resilience"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterRasterLayer("LANDCOVER", "Land cover"), "Integer land-cover classes.")
        self.add(
            QgsProcessingParameterRasterLayer("NDVI", "NDVI", optional=True),
            "NDVI in [−1, 1] on the LANDCOVER grid; or give RED and NIR.",
        )
        self.add(QgsProcessingParameterRasterLayer("RED", "Red band", optional=True), "Red reflectance (without NDVI).")
        self.add(
            QgsProcessingParameterRasterLayer("NIR", "Near-infrared band", optional=True),
            "Near-infrared reflectance (without NDVI).",
        )
        self.add(
            QgsProcessingParameterString("SCORES", "Resilience scores S_i (code=score, …)"),
            "Resilience score of every land-cover class, e.g. 1=0.5, 2=0.9, 3=0.7.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "C1", "Annual precipitation change rate C1", QgsProcessingParameterNumber.Double, 1.0
            ),
            "C1 of eq. (4), not 0.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "C2", "Annual temperature change rate C2", QgsProcessingParameterNumber.Double, 1.0
            ),
            "C2 of eq. (4), not 0.",
        )
        for key in ("C1_RASTER", "C2_RASTER"):
            self.add(
                QgsProcessingParameterRasterLayer(key, f"{key[:2]} as a raster", optional=True),
                f"Optional raster of {key[:2]} on the LANDCOVER grid; replaces the number {key[:2]}: per zone "
                "its area-weighted mean, in the window raster its mean over the window.",
                advanced=True,
            )
        self.add(
            QgsProcessingParameterNumber("MU", "Coefficient μ", QgsProcessingParameterNumber.Double, 0.08, minValue=0),
            "μ of eq. (3); default 0.08, the paper's typical value.",
        )
        self.add(
            QgsProcessingParameterFeatureSource("ZONES", "Zones", [QgsProcessing.TypeVectorPolygon], optional=True),
            "Polygons (e.g. mining impact areas), any CRS. Give ZONES, WINDOW or both.",
        )
        self.add(
            QgsProcessingParameterField(
                "ZONE_ID_FIELD", "Zone id field", parentLayerParameterName="ZONES", optional=True
            ),
            "Identifies each zone (default: the feature id).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "Resilience per zone", QgsProcessing.TypeVector, optional=True, createByDefault=True
            ),
            "zone_id, h_log2, eco_res, ndvi_mean, sigma, e (needs ZONES).",
        )
        self.add(
            QgsProcessingParameterNumber(
                "WINDOW",
                "Moving window (pixels, odd; 0 = none)",
                QgsProcessingParameterNumber.Integer,
                0,
                minValue=0,
                maxValue=501,
            ),
            "Side of the square window of the raster output, in pixels (odd, e.g. 33 for ~1 km at 30 m).",
        )
        self.add(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_RASTER", "Resilience in a moving window", optional=True, createByDefault=False
            ),
            "Float32 bands h_log2, eco_res, sigma, e of the window around each pixel (needs WINDOW).",
        )

    def compute(self, parameters, context, feedback):
        cover = RasterInput("LANDCOVER", raster_path(self, parameters, "LANDCOVER", context)).require_integer()
        vegetation = self._vegetation(parameters, context)
        rates = [
            RasterInput(key, raster_path(self, parameters, key, context)) if wants_output(parameters, key) else None
            for key in ("C1_RASTER", "C2_RASTER")
        ]
        check_grids([cover] + vegetation + [r for r in rates if r])
        physical_units(vegetation + [r for r in rates if r], feedback)
        with parameter_errors("SCORES"):
            scores = model.parse_scores(self.parameterAsString(parameters, "SCORES", context))
        c1, c2 = (self.parameterAsDouble(parameters, key, context) for key in ("C1", "C2"))
        for key, value, raster in (("C1", c1, rates[0]), ("C2", c2, rates[1])):
            if value == 0 and raster is None:
                fail(key, "must not be 0: σ = H · NDVI / (C1 · C2) divides by it")
        mu = self.parameterAsDouble(parameters, "MU", context)
        window = self.parameterAsInt(parameters, "WINDOW", context)
        results = {}
        if window:
            if window % 2 == 0:
                fail("WINDOW", f"the window must have an odd side (a centre pixel), got {window}")
            results["OUTPUT_RASTER"] = self._window_raster(
                parameters, context, feedback, cover, vegetation, scores, (c1, c2, rates, mu, window)
            )
        if not wants_output(parameters, "ZONES"):
            if not window:
                fail("ZONES", "give ZONES, a WINDOW, or both")
            return results
        id_field = identifier_field(self, parameters, context, "ZONES", "ZONE_ID_FIELD", required=False)
        zones = burn(parameters, "ZONES", cover, context, feedback)
        row_areas = pixel_areas([cover])
        totals = model.ZoneAccumulator(len(zones.polygons), scores)
        bands = [zones.index.band, cover.band] + [v.band for v in vegetation]
        with parameter_errors("NDVI"):
            for yoff, nrows, arrays in raster_io.iter_blocks(bands, cover.grid, monitor(feedback)):
                ids, classes = arrays[0].ravel(), arrays[1].ravel()
                read = [raster_io.physical(a.ravel(), v.nodata, v.scaling) for a, v in zip(arrays[2:], vegetation)]
                ndvi, ndvi_valid = vegetation_index([values for values, _ in read], [valid for _, valid in read])
                totals.add(
                    ids,
                    classes,
                    raster_io.valid_mask(classes, cover.nodata),
                    ndvi,
                    ndvi_valid,
                    row_areas.flat(yoff, nrows),
                )
        if totals.unknown:
            fail(
                "SCORES",
                f"class codes {', '.join(map(str, sorted(totals.unknown)))} occur in the zones but have "
                "no score; add them to SCORES",
            )
        shares = model.class_shares(totals.areas[1:])
        c1, c2 = (zone_rate(raster, number, zones, row_areas, feedback) for raster, number in zip(rates, (c1, c2)))
        result = model.resilience(shares, [scores[c] for c in totals.codes], totals.ndvi_mean(), c1, c2, mu)
        ids = [field_value(p[id_field], str) if id_field else str(i + 1) for i, p in enumerate(zones.polygons)]
        columns = [
            ("zone_id", str),
            ("h_log2", float),
            ("eco_res", float),
            ("ndvi_mean", float),
            ("sigma", float),
            ("e", float),
        ]
        rows = zip(ids, result.h, result.eco_res, totals.ndvi_mean(), result.sigma, result.e)
        results["OUTPUT"] = write_table(self, parameters, "OUTPUT", context, columns, rows)
        return results

    def _window_raster(self, parameters, context, feedback, cover, vegetation, scores, settings):
        c1, c2, rates, mu, window = settings
        path = self.parameterAsOutputLayer(parameters, "OUTPUT_RASTER", context)
        if not path:  # a WINDOW without its output (the box starts unticked): the raster asked for, made anyway
            path = QgsProcessingUtils.generateTempFilename("OUTPUT_RASTER.tif")
            if context.project() is not None:
                context.addLayerToLoadOnCompletion(
                    path,
                    QgsProcessingContext.LayerDetails(
                        tr("Resilience in a moving window"), context.project(), "OUTPUT_RASTER"
                    ),
                )
            feedback.pushInfo(tr("OUTPUT_RASTER was not set; the moving-window raster is written to {}").format(path))
        codes = sorted(scores)
        score_list = [scores[c] for c in codes]
        rasters = [r for r in rates if r]
        bands = [cover.band] + [v.band for v in vegetation] + [r.band for r in rasters]
        names = ("h_log2", "eco_res", "sigma", "e")
        no_rate = 0
        with raster_io.BlockWriter(path, cover.grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=4) as writer:
            writer.set_band_names(names)
            blocks = raster_io.iter_blocks_with_halo(
                bands, cover.grid, window // 2, monitor(feedback), block_pixels=1 << 20
            )
            for yoff, nrows, arrays, top in blocks:
                classes = arrays[0]
                class_valid = raster_io.valid_mask(classes, cover.nodata)
                stray = class_valid & ~np.isin(classes, codes)
                if stray.any():
                    fail("SCORES", f"class codes {', '.join(map(str, np.unique(classes[stray])))} have no score")
                veg_arrays, rate_arrays = arrays[1 : 1 + len(vegetation)], iter(arrays[1 + len(vegetation) :])
                read = [raster_io.physical(a, v.nodata, v.scaling) for a, v in zip(veg_arrays, vegetation)]
                ndvi, ndvi_valid = vegetation_index([values for values, _ in read], [valid for _, valid in read])
                if np.any(ndvi_valid & ((ndvi < -1) | (ndvi > 1))):
                    fail(
                        "NDVI",
                        "NDVI values outside [−1, 1]: divide a scaled product by its scale factor first, "
                        "or set its scale in the band metadata (gdal_edit.py -scale)",
                    )
                c1_c2 = [
                    number if raster is None else masked(next(rate_arrays), raster)
                    for raster, number in zip(rates, (c1, c2))
                ]
                result = model.window_resilience(
                    classes, class_valid, ndvi, ndvi_valid, codes, score_list, *c1_c2, mu, window
                )
                own = slice(top, top + nrows)
                no_rate += int(np.count_nonzero(~np.isnan(result.h[own]) & np.isnan(result.sigma[own])))
                for band, values in enumerate((result.h, result.eco_res, result.sigma, result.e), start=1):
                    writer.write(yoff, stack.float_band(values[own], (nrows, cover.grid.xsize)), band)
        styles.style_continuous(path, "viridis")  # band 1, h_log2
        if no_rate:
            feedback.pushWarning(
                f"{' / '.join(r.parameter for r in rasters)}: {no_rate} pixel(s) of OUTPUT_RASTER "
                "have a window whose mean C1 or C2 is 0 or has no valid pixel; their sigma and e "
                "are nodata (h_log2 and eco_res are kept)"
            )
        return path

    def _vegetation(self, parameters, context):
        """[NDVI] or [RED, NIR] as RasterInputs."""
        if wants_output(parameters, "NDVI"):
            return [RasterInput("NDVI", raster_path(self, parameters, "NDVI", context))]
        if wants_output(parameters, "RED") and wants_output(parameters, "NIR"):
            return [RasterInput(key, raster_path(self, parameters, key, context)) for key in ("RED", "NIR")]
        fail("NDVI", "give an NDVI raster, or the RED and NIR bands")


def zone_rate(raster, number, zones, row_areas, feedback):
    """The number, or the per-zone mean of the rate raster (NaN where a zone has no valid pixel)."""
    if raster is None:
        return number
    means = zonal_means(zones, [raster], row_areas, feedback)[:, 0]
    if np.any(means == 0):
        fail(raster.parameter, "a zone's mean is 0: σ = H · NDVI / (C1 · C2) divides by it")
    return means


def masked(values, raster):
    """Float64 physical values of ``raster`` (a RasterInput) with NaN where the raw value is nodata."""
    return raster_io.physical_or_nan(values, raster.nodata, raster.scaling)


def vegetation_index(arrays, valid):
    """NDVI and its validity from [NDVI] or [RED, NIR] arrays and their validity masks."""
    ndvi = arrays[0].astype(np.float64) if len(arrays) == 1 else model.ndvi_from_bands(arrays[0], arrays[1])
    return ndvi, np.logical_and.reduce(valid) & np.isfinite(ndvi)
