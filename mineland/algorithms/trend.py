"""mineland:trend — per-pixel Mann-Kendall, Sen's slope and Hurst exponent of a raster time series."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ..core.engine import jobs
from . import dask_scheduler
from .common import (
    STACK_HELP,
    MineLandAlgorithm,
    fail,
    monitor,
    physical_units,
    raster_stack,
    stack_years,
    tr,
    wants_output,
)

HELP = """Per-pixel trend of a raster time series (MLRI study §2.4): the Mann-Kendall test, Sen's slope and the Hurst exponent, vectorised and block by block.

<b>Inputs</b> INPUTS is either one raster per time step or a single multiband raster (one band per time step); YEARS gives one whole year per time step, in the same order, increasing; gaps are fine (the MLRI study's series has no 2012). A pixel's nodata, NaN or infinite value in a year is a missing year: the statistics use the pixel's valid years when at least MIN_VALID remain, otherwise all its output bands are nodata.
<b>Scale and offset</b> A band with GDAL scale/offset metadata (MODIS LST × 0.02, Landsat Collection 2 surface temperature × 0.00341802 + 149) is read in physical units, value = raw × scale + offset, band by band (a stack may mix scaled and unscaled years); nodata is tested on the raw value; the log names each scaled band. So the statistics (Sen's slope: physical units per year) are those of the physical values.

<b>OUTPUT</b> Float32, one band per statistic, named: 1 sen_slope (physical units of the input per year: median of (x_j − x_i)/(t_j − t_i) over pairs of valid years, with the real years), 2 z, 3 p (two-sided), 4 s, 5 var_s, 6 tau — the Mann-Kendall original test with tie correction, identical to pymannkendall.original_test: S = Σ sign(x_j − x_i), Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18, Z = (S ∓ 1)/√Var(S), p = 2(1 − Φ(|Z|)), tau = S/(n(n−1)/2) — 7 hurst (R/S analysis, expanding windows: for τ = 2…n the first τ valid values, R = range of the cumulative deviations from their mean, S = their population standard deviation, windows with S = 0 skipped; H = least-squares slope of ln(R/S) on ln τ; nodata with fewer than two usable windows, e.g. a constant series), 8 intercept (median(x) − slope × median(t − first year)), 9 n_valid (valid years). A constant series gives S = 0, Z = 0, p = 1 and Hurst nodata. Nodata is the lowest Float32 value (−3.4028235e38), never 0.

<b>OUTPUT_CLASS</b> (optional) the restoration classes of the MLRI study (its Table 2) from Z, Sen's slope and H, with significance |Z| > z(1 − ALPHA/2) (1.96 for ALPHA = 0.05): 1 SD significant decrease (slope ≤ 0), 2 ND non-significant decrease (slope ≤ 0), 3 NI non-significant increase (slope > 0), 4 SAI significant anti-consistent increase (slope > 0, H ≤ 0.5), 5 SCI significant consistent increase (slope > 0, H > 0.5). Byte, nodata 0 (too few valid years, or a significant increase whose H cannot be estimated). It carries a colour table, class names and a QGIS style (.qml) so it opens with its legend. Apply it to an MLRI series (mineland:mlri) for the MLRI study's classes.

Work is spread over all CPU cores; memory is bounded by the block size. <b>DASK_SCHEDULER</b> (advanced): the address of a Dask cluster (tcp://host:8786) runs the same computation strip by strip on that cluster, with identical results; empty = here.
<b>TOO_FEW_PIXELS</b> the number of pixels with fewer than MIN_VALID valid years (nodata in every band).""" + STACK_HELP


class TrendAlgorithm(MineLandAlgorithm):
    NAME = "trend"
    DISPLAY_NAME = "Trend: Mann-Kendall, Sen's slope, Hurst"
    GROUP = "timeseries"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterMultipleLayers("INPUTS", "Time series (one raster per year, or one multiband)",
                                                      QgsProcessing.TypeRaster),
                 "One single-band raster per time step, or one raster with one band per time step, on one grid.")
        self.add(QgsProcessingParameterString("YEARS", "Years (comma-separated)", optional=True),
                 "One whole year per time step, in the order of INPUTS, increasing; gaps allowed, e.g. 2000,2001,2003. "
                 "Empty: read from the band descriptions or file names when each holds one year.")
        self.add(QgsProcessingParameterNumber("MIN_VALID", "Minimum valid years per pixel",
                                              QgsProcessingParameterNumber.Integer, 8, minValue=4),
                 "Pixels with fewer valid (non-nodata, finite) years get nodata in every band. Default 8; at least 4.")
        self.add(QgsProcessingParameterNumber("ALPHA", "Significance level α", QgsProcessingParameterNumber.Double,
                                              0.05, minValue=0.0001, maxValue=0.5),
                 "Two-sided significance level of the classes: |Z| > z(1 − α/2). Default 0.05 (|Z| > 1.96).")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT", "Trend statistics"),
                 "Float32 bands: sen_slope, z, p, s, var_s, tau, hurst, intercept, n_valid (slope and intercept in the "
                 "physical units of the inputs, after their scale/offset).")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT_CLASS", "Restoration classes (MLRI study)",
                                                         optional=True, createByDefault=False),
                 "Byte: 1 SD, 2 ND, 3 NI, 4 SAI, 5 SCI; nodata 0; with colours, names and a QGIS style.")
        dask_scheduler.add_parameter(self)
        self.addOutput(QgsProcessingOutputNumber("TOO_FEW_PIXELS", "Pixels with fewer than MIN_VALID valid years"))

    def compute(self, parameters, context, feedback):
        series = raster_stack(self, parameters, "INPUTS", context, distinct=True)
        physical_units(series.steps, feedback)
        years = stack_years(self, parameters, context, series, feedback=feedback)
        min_valid = self.parameterAsInt(parameters, "MIN_VALID", context)
        if len(years) < min_valid:
            fail("MIN_VALID", f"the series has {len(years)} time steps, fewer than MIN_VALID = {min_valid}; "
                 "lower MIN_VALID or add years")
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        class_path = self.parameterAsOutputLayer(parameters, "OUTPUT_CLASS", context) \
            if wants_output(parameters, "OUTPUT_CLASS") else None

        grid = series.grid
        feedback.pushInfo(tr("Mann-Kendall, Sen's slope and Hurst per pixel: {} × {} pixels, {} years ({}–{}), "
                             "block by block{}; progress below").format(
            grid.xsize, grid.ysize, len(years), years[0], years[-1],
            tr(" on the Dask cluster") if wants_output(parameters, "DASK_SCHEDULER") else ""))
        with dask_scheduler.executor(self, parameters, context, feedback) as runs:
            too_few = jobs.trend(dask_scheduler.sources(series.steps), series.nodatas, grid, years, output, runs,
                                 class_output=class_path, min_valid=min_valid, alpha=alpha,
                                 monitor=monitor(feedback)).too_few_pixels
        feedback.pushInfo(tr("Statistics written to {}{}").format(
            output, tr(", restoration classes to {}").format(class_path) if class_path else ""))
        if too_few:
            feedback.pushInfo(f"{too_few} pixels have fewer than {min_valid} valid years and are nodata")
        results = {"OUTPUT": output, "TOO_FEW_PIXELS": too_few}
        if class_path:
            results["OUTPUT_CLASS"] = class_path
        return results
