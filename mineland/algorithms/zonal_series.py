"""mineland:zonalseries — the mean of each raster of a yearly series inside each mine polygon, as a long table."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
)

from .base import MineLandAlgorithm
from .feature_tables import field_value, identifier_field, write_table
from .rasters import pixel_areas, raster_stack, stack_years
from .zones import burn, zonal_means


class ZonalSeriesAlgorithm(MineLandAlgorithm):
    NAME = "zonalseries"
    DISPLAY_NAME = "Zonal mean of a yearly raster series"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon]),
            "Polygons in any CRS.",
        )
        self.add(
            QgsProcessingParameterField("ID_FIELD", "Polygon id field", parentLayerParameterName="MINES"),
            "Identifies each polygon in the output.",
        )
        self.add(
            QgsProcessingParameterMultipleLayers("INPUTS", "Rasters, one per year", QgsProcessing.TypeRaster),
            "One single-band raster per year, or one multiband raster (one band per year, in YEARS order), on "
            "one grid.",
        )
        self.add(
            QgsProcessingParameterString("YEARS", "Years (comma-separated)", optional=True),
            "One whole year per raster or band, in order, increasing. Empty: read from the band descriptions or "
            "file names when each holds one year.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Zonal means", QgsProcessing.TypeVector),
            "polygon_id, year, mean.",
        )

    def compute(self, parameters, context, feedback):
        series = raster_stack(self, parameters, "INPUTS", context, distinct=True)
        years = stack_years(self, parameters, context, series, feedback=feedback)
        id_field = identifier_field(self, parameters, context, "MINES", "ID_FIELD")
        zones = burn(parameters, "MINES", series.steps[0], context, feedback)
        means = zonal_means(zones, series.steps, pixel_areas(series.steps), feedback)
        rows = [
            (field_value(polygon[id_field], str), year, means[i, k])
            for i, polygon in enumerate(zones.polygons)
            for k, year in enumerate(years)
        ]
        columns = [("polygon_id", str), ("year", int), ("mean", float)]
        return {"OUTPUT": write_table(self, parameters, "OUTPUT", context, columns, rows)}
