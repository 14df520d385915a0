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
from .base import MineLandAlgorithm
from .checks import fail, monitor, tr
from .outputs import wants_output
from .rasters import physical_units, raster_stack, stack_years


class TrendAlgorithm(MineLandAlgorithm):
    NAME = "trend"
    DISPLAY_NAME = "Trend: Mann-Kendall, Sen's slope, Hurst"
    GROUP = "timeseries"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterMultipleLayers(
                "INPUTS", "Time series (one raster per year, or one multiband)", QgsProcessing.TypeRaster
            ),
            "One single-band raster per time step, or one raster with one band per time step, on one grid.",
        )
        self.add(
            QgsProcessingParameterString("YEARS", "Years (comma-separated)", optional=True),
            "One whole year per time step, in the order of INPUTS, increasing; gaps allowed, e.g. 2000,2001,2003. "
            "Empty: read from the band descriptions or file names when each holds one year.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "MIN_VALID", "Minimum valid years per pixel", QgsProcessingParameterNumber.Integer, 8, minValue=4
            ),
            "Pixels with fewer valid (non-nodata, finite) years get nodata in every band. Default 8; at least 4.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "ALPHA",
                "Significance level α",
                QgsProcessingParameterNumber.Double,
                0.05,
                minValue=0.0001,
                maxValue=0.5,
            ),
            "Two-sided significance level of the classes: |Z| > z(1 − α/2). Default 0.05 (|Z| > 1.96).",
        )
        self.add(
            QgsProcessingParameterRasterDestination("OUTPUT", "Trend statistics"),
            "Float32 bands: sen_slope, z, p, s, var_s, tau, hurst, intercept, n_valid (slope and intercept in the "
            "physical units of the inputs, after their scale/offset).",
        )
        self.add(
            QgsProcessingParameterRasterDestination(
                "OUTPUT_CLASS", "Restoration classes (MLRI study)", optional=True, createByDefault=False
            ),
            "Byte: 1 SD, 2 ND, 3 NI, 4 SAI, 5 SCI; nodata 0; with colours, names and a QGIS style.",
        )
        dask_scheduler.add_parameter(self)
        self.addOutput(QgsProcessingOutputNumber("TOO_FEW_PIXELS", "Pixels with fewer than MIN_VALID valid years"))

    def compute(self, parameters, context, feedback):
        series = raster_stack(self, parameters, "INPUTS", context, distinct=True)
        physical_units(series.steps, feedback)
        years = stack_years(self, parameters, context, series, feedback=feedback)
        min_valid = self.parameterAsInt(parameters, "MIN_VALID", context)
        if len(years) < min_valid:
            fail(
                "MIN_VALID",
                f"the series has {len(years)} time steps, fewer than MIN_VALID = {min_valid}; "
                "lower MIN_VALID or add years",
            )
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        class_path = (
            self.parameterAsOutputLayer(parameters, "OUTPUT_CLASS", context)
            if wants_output(parameters, "OUTPUT_CLASS")
            else None
        )

        grid = series.grid
        feedback.pushInfo(
            tr(
                "Mann-Kendall, Sen's slope and Hurst per pixel: {} × {} pixels, {} years ({}–{}), "
                "block by block{}; progress below"
            ).format(
                grid.xsize,
                grid.ysize,
                len(years),
                years[0],
                years[-1],
                tr(" on the Dask cluster") if wants_output(parameters, "DASK_SCHEDULER") else "",
            )
        )
        with dask_scheduler.executor(self, parameters, context, feedback) as runs:
            too_few = jobs.trend(
                dask_scheduler.sources(series.steps),
                series.nodatas,
                grid,
                years,
                output,
                runs,
                class_output=class_path,
                min_valid=min_valid,
                alpha=alpha,
                monitor=monitor(feedback),
            ).too_few_pixels
        feedback.pushInfo(
            tr("Statistics written to {}{}").format(
                output, tr(", restoration classes to {}").format(class_path) if class_path else ""
            )
        )
        if too_few:
            feedback.pushInfo(f"{too_few} pixels have fewer than {min_valid} valid years and are nodata")
        results = {"OUTPUT": output, "TOO_FEW_PIXELS": too_few}
        if class_path:
            results["OUTPUT_CLASS"] = class_path
        return results
