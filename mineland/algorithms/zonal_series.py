"""mineland:zonalseries — the mean of each raster of a yearly series inside each mine polygon, as a long table."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
)

from .base import AREAS_HELP, STACK_HELP, MineLandAlgorithm
from .feature_tables import field_value, identifier_field, write_table
from .rasters import pixel_areas, raster_stack, stack_years
from .zones import burn, zonal_means

HELP = """The area-weighted mean of every raster of a yearly series (e.g. NDVI or night-time light) inside every polygon, as a long table (polygon_id, year, mean) ready for mineland:minestatus (Xu et al. 2025, §2.3).

Invalid polygons are repaired (native:fixgeometries) and features without geometry skipped, with a warning; a polygon outside the rasters or of zero area keeps its rows, with NULL means, and a warning gives the number of such polygons; a multi-part polygon is one polygon with the pixels of all its parts; every polygon needs an ID_FIELD value (a NULL id stops the run). A pixel belongs to the polygon that covers its centre (polygons are reprojected to the rasters' CRS and burnt into their grid by GDAL rasterize; where polygons overlap, one of them gets the pixel). Nodata and non-finite pixels are left out; a polygon without valid pixels in a year gets NULL. Pixel areas are ellipsoidal for a geographic CRS. The rasters are read block by block.
<b>OUTPUT</b> one row per polygon and year: polygon_id, year, mean (the raster's physical unit, after its scale/offset).
<b>Areas</b> The means weigh every pixel by its area: """ + AREAS_HELP + "." + STACK_HELP


class ZonalSeriesAlgorithm(MineLandAlgorithm):
    NAME = "zonalseries"
    DISPLAY_NAME = "Zonal mean of a yearly raster series"
    GROUP = "mines"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterFeatureSource("MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon]),
                 "Polygons in any CRS.")
        self.add(QgsProcessingParameterField("ID_FIELD", "Polygon id field", parentLayerParameterName="MINES"),
                 "Identifies each polygon in the output.")
        self.add(QgsProcessingParameterMultipleLayers("INPUTS", "Rasters, one per year", QgsProcessing.TypeRaster),
                 "One single-band raster per year, or one multiband raster (one band per year, in YEARS order), on "
                 "one grid.")
        self.add(QgsProcessingParameterString("YEARS", "Years (comma-separated)", optional=True),
                 "One whole year per raster or band, in order, increasing. Empty: read from the band descriptions or "
                 "file names when each holds one year.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Zonal means", QgsProcessing.TypeVector),
                 "polygon_id, year, mean.")

    def compute(self, parameters, context, feedback):
        series = raster_stack(self, parameters, "INPUTS", context, distinct=True)
        years = stack_years(self, parameters, context, series, feedback=feedback)
        id_field = identifier_field(self, parameters, context, "MINES", "ID_FIELD")
        zones = burn(parameters, "MINES", series.steps[0], context, feedback)
        means = zonal_means(zones, series.steps, pixel_areas(series.steps), feedback)
        rows = [(field_value(polygon[id_field], str), year, means[i, k])
                for i, polygon in enumerate(zones.polygons) for k, year in enumerate(years)]
        columns = [("polygon_id", str), ("year", int), ("mean", float)]
        return {"OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows)}
