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
from .common import (
    MineLandAlgorithm,
    check_grids,
    fail,
    monitor,
    physical_units,
    raster_stack,
    stack_years,
)

HELP = """Mine Landscape Restoration Index of every year (MLRI study §2.3.2, eq. 1):

MLRI_ij = (LST_max,j / EVI_min,j) / (LST_ij / EVI_ij)

for pixel j in year i, where LST_max,j and EVI_min,j are the largest LST and the smallest EVI of pixel j from the first year up to year i. MLRI ≥ 1; higher means better restored relative to the pixel's own worst state so far. The MLRI study uses annual June–September maximum composites of Landsat LST and EVI.

<b>Inputs</b> LST_INPUTS and EVI_INPUTS: one raster per year each (or one multiband raster each), the same years in the same order, all on one grid. LST_UNITS says whether LST is in kelvin or °C (converted to kelvin: a ratio of temperatures needs an absolute scale). <b>Scale and offset</b> A band with GDAL scale/offset metadata is read in physical units, value = raw × scale + offset, band by band (MODIS LST × 0.02 → K, EVI × 0.0001, Landsat Collection 2 surface temperature × 0.00341802 + 149 → K), with nodata tested on the raw value, and the log names each scaled band; LST_UNITS applies after it. Integers stored without that metadata are used as they are: give them in kelvin (or °C), or set their scale and offset first (gdal_edit.py -scale S -offset O). An LST below 150 K after conversion stops the run (°C given as kelvin).

<b>Missing years</b> A pixel-year with nodata or non-finite LST or EVI, or with EVI ≤ 0 (water, bare rock), is nodata in the output and does not enter the running LST maximum or EVI minimum.

<b>OUTPUT</b> Float32, one band per year, each band named by its year; nodata is the lowest Float32 value. Feed it to mineland:trend for the restoration classes.

<b>DASK_SCHEDULER</b> (advanced): the address of a Dask cluster (tcp://host:8786) runs the same computation strip by strip on that cluster, with identical results; empty = here.
<b>NODATA_PIXEL_YEARS</b> the number of pixel-years left nodata."""

UNITS = ["kelvin", "celsius"]
KELVIN_OFFSET = {0: 0.0, 1: 273.15}


class MlriAlgorithm(MineLandAlgorithm):
    NAME = "mlri"
    DISPLAY_NAME = "Mine Landscape Restoration Index (MLRI)"
    GROUP = "timeseries"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterMultipleLayers("LST_INPUTS", "Land surface temperature, one raster per year",
                                                      QgsProcessing.TypeRaster),
                 "Annual LST (e.g. June–September maximum composite), one raster per year or one multiband raster.")
        self.add(QgsProcessingParameterMultipleLayers("EVI_INPUTS", "EVI, one raster per year",
                                                      QgsProcessing.TypeRaster),
                 "Annual EVI of the same years in the same order, on the LST grid.")
        self.add(QgsProcessingParameterString("YEARS", "Years (comma-separated)"),
                 "One whole year per raster, in the order of the inputs, increasing, e.g. 2000,2001,2003.")
        self.add(QgsProcessingParameterEnum("LST_UNITS", "LST units", UNITS, defaultValue=0),
                 "0 = kelvin (default), 1 = degrees Celsius (converted to kelvin).")
        self.add(QgsProcessingParameterRasterDestination("OUTPUT", "MLRI series"),
                 "Float32, one band per year named by the year; MLRI ≥ 1.")
        dask_scheduler.add_parameter(self)
        self.addOutput(QgsProcessingOutputNumber("NODATA_PIXEL_YEARS",
                                                 "Pixel-years without MLRI (missing data or EVI ≤ 0)"))

    def compute(self, parameters, context, feedback):
        lst = raster_stack(self, parameters, "LST_INPUTS", context)
        evi = raster_stack(self, parameters, "EVI_INPUTS", context)
        physical_units(lst.steps + evi.steps, feedback)
        if len(lst.steps) != len(evi.steps):
            fail("EVI_INPUTS", f"{len(evi.steps)} EVI rasters for {len(lst.steps)} LST rasters; give one of each per year")
        years = stack_years(self, parameters, context, lst)
        grid = check_grids(lst.steps + evi.steps)
        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        offset = KELVIN_OFFSET[self.parameterAsEnum(parameters, "LST_UNITS", context)]
        try:
            with dask_scheduler.executor(self, parameters, context, feedback) as runs:
                missing = jobs.mlri(dask_scheduler.sources(lst.steps), lst.nodatas, dask_scheduler.sources(evi.steps),
                                    evi.nodatas, grid, years, output, runs, lst_offset=offset,
                                    monitor=monitor(feedback)).nodata_pixel_years
        except ValueError as err:
            fail("LST_UNITS", str(err))
        return {"OUTPUT": output, "NODATA_PIXEL_YEARS": missing}
