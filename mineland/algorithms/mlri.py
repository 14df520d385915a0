"""mineland:mlri — the Mine Landscape Restoration Index series of the MLRI study."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ..core.engine import jobs
from . import dask_scheduler
from .base import MineLandAlgorithm
from .checks import fail, monitor, parameter_errors
from .rasters import check_grids, physical_units, raster_stack, stack_years

UNITS = ["kelvin", "celsius"]
KELVIN_OFFSET = {0: 0.0, 1: 273.15}


class MlriAlgorithm(MineLandAlgorithm):
    NAME = "mlri"
    DISPLAY_NAME = "Mine Landscape Restoration Index (MLRI)"
    GROUP = "timeseries"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterMultipleLayers(
                "LST_INPUTS", "Land surface temperature, one raster per year", QgsProcessing.TypeRaster
            ),
            "Annual LST (e.g. June–September maximum composite), one raster per year or one multiband raster.",
        )
        self.add(
            QgsProcessingParameterMultipleLayers("EVI_INPUTS", "EVI, one raster per year", QgsProcessing.TypeRaster),
            "Annual EVI of the same years in the same order, on the LST grid.",
        )
        self.add(
            QgsProcessingParameterString("YEARS", "Years (comma-separated)"),
            "One whole year per raster, in the order of the inputs, increasing, e.g. 2000,2001,2003.",
        )
        self.add(
            QgsProcessingParameterEnum("LST_UNITS", "LST units", UNITS, defaultValue=0),
            "0 = kelvin (default), 1 = degrees Celsius (converted to kelvin).",
        )
        self.add(
            QgsProcessingParameterRasterDestination("OUTPUT", "MLRI series"),
            "Float32, one band per year named by the year; MLRI ≥ 1.",
        )
        dask_scheduler.add_parameter(self)
        self.addOutput(
            QgsProcessingOutputNumber("NODATA_PIXEL_YEARS", "Pixel-years without MLRI (missing data or EVI ≤ 0)")
        )

    def compute(self, parameters, context, feedback):
        lst = raster_stack(self, parameters, "LST_INPUTS", context)
        evi = raster_stack(self, parameters, "EVI_INPUTS", context)
        physical_units(lst.steps + evi.steps, feedback)
        if len(lst.steps) != len(evi.steps):
            fail(
                "EVI_INPUTS",
                f"{len(evi.steps)} EVI rasters for {len(lst.steps)} LST rasters; give one of each per year",
            )
        years = stack_years(self, parameters, context, lst)
        grid = check_grids(lst.steps + evi.steps)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        offset = KELVIN_OFFSET[self.parameterAsEnum(parameters, "LST_UNITS", context)]
        with parameter_errors("LST_UNITS"):
            with dask_scheduler.executor(self, parameters, context, feedback) as runs:
                missing = jobs.mlri(
                    dask_scheduler.sources(lst.steps),
                    lst.nodatas,
                    dask_scheduler.sources(evi.steps),
                    evi.nodatas,
                    grid,
                    years,
                    output,
                    runs,
                    lst_offset=offset,
                    monitor=monitor(feedback),
                ).nodata_pixel_years
        return {"OUTPUT": output, "NODATA_PIXEL_YEARS": missing}
