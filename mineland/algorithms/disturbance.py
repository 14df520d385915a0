"""mineland:disturbance — annual mining disturbance and reclamation inside mine polygons (Xu et al. 2025)."""

from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterString,
)

from ..core.engine import jobs, runner
from ..core.landcover import reclass
from ..core.mines import disturbance
from ..core.render import report
from ..core.render.reports import mines as reports
from . import dask_scheduler
from .base import MineLandAlgorithm
from .checks import fail, monitor
from .feature_tables import field_value, identifier_field, write_table
from .outputs import wants_output
from .rasters import add_dated_inputs, class_codes, dated_class_rasters, pixel_areas
from .zones import burn

MINE_DEFAULT = "1"
VEGETATION_DEFAULT = "2, 3, 4"


class DisturbanceAlgorithm(MineLandAlgorithm):
    NAME = "disturbance"
    DISPLAY_NAME = "Mining disturbance and reclamation"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon]),
            "Mine polygons in any CRS (reprojected to the rasters' CRS).",
        )
        self.add(
            QgsProcessingParameterField("ID_FIELD", "Polygon id field", parentLayerParameterName="MINES"),
            "Identifies each polygon in the outputs.",
        )
        add_dated_inputs(self)
        self.add(
            QgsProcessingParameterString("MINE_CLASSES", "Mine-related class codes", MINE_DEFAULT),
            "Comma-separated codes of mine-related land cover (default 1, the GLC_FCS30D 4-class preset).",
        )
        self.add(
            QgsProcessingParameterString(
                "VEGETATION_CLASSES", "Vegetation and cropland class codes", VEGETATION_DEFAULT
            ),
            "Comma-separated codes whose change to/from mine-related land is DEV/REC (default 2, 3, 4).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT", "DEV, REC and BSP per polygon and year", QgsProcessing.TypeVector
            ),
            "polygon_id, year, epoch, dev_km2, rec_km2, bsp_pct.",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_POLYGONS",
                "Totals per polygon",
                QgsProcessing.TypeVectorPolygon,
                optional=True,
                createByDefault=True,
            ),
            "Polygons with dev_km2, rec_km2, bsp_first_pct, bsp_last_pct, reclaimed_pct.",
        )
        self.add_report("Annual DEV/REC chart and DEV/REC by land-cover class, one self-contained file.")

    def compute(self, parameters, context, feedback):
        inputs, years = dated_class_rasters(self, parameters, context, feedback)
        mine_codes = class_codes(self, parameters, "MINE_CLASSES", context)
        green_codes = class_codes(self, parameters, "VEGETATION_CLASSES", context)
        if set(mine_codes) & set(green_codes):
            fail("VEGETATION_CLASSES", "a code cannot be both mine-related and vegetation")
        id_field = identifier_field(self, parameters, context, "MINES", "ID_FIELD")
        zones = burn(parameters, "MINES", inputs[0], context, feedback)
        layer, polygons, index = zones.layer, zones.polygons, zones.index

        (index_source,), classes = dask_scheduler.sources([index]), dask_scheduler.sources(inputs)
        series = jobs.disturbance_areas(
            index_source,
            classes,
            [i.nodata for i in inputs],
            index.grid,
            len(polygons),
            mine_codes,
            green_codes,
            pixel_areas(inputs),
            runner.LocalExecutor(),
            monitor(feedback),
        )
        ids = [field_value(p[id_field], str) for p in polygons]
        missing = zones.without_pixels()
        results = {
            "OUTPUT": write_table(
                self, parameters, "OUTPUT", context, LONG_COLUMNS, long_rows(ids, years, series, missing)
            )
        }
        if wants_output(parameters, "OUTPUT_POLYGONS"):
            results["OUTPUT_POLYGONS"] = self._write_polygons(
                parameters, context, layer, polygons, ids, series, missing
            )
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(path, years, series, green_codes)
            results["OUTPUT_HTML"] = path
        return results

    def _write_polygons(self, parameters, context, layer, polygons, ids, series, missing):
        bsp = disturbance.bsp(series)
        columns = [
            ("polygon_id", str),
            ("dev_km2", float),
            ("rec_km2", float),
            ("bsp_first_pct", float),
            ("bsp_last_pct", float),
            ("reclaimed_pct", float),
        ]
        rows = [
            [
                ids[i - 1],
                series.dev_m2[i].sum() / 1e6,
                series.rec_m2[i].sum() / 1e6,
                bsp[i, 0],
                bsp[i, -1],
                100.0 - bsp[i, -1],
            ]
            for i in range(1, len(polygons) + 1)
        ]
        for row, no_pixel in zip(rows, missing):
            if no_pixel:  # outside the rasters or of zero area: nothing was measured, not 0 km²
                row[1:] = [None] * 5
        return write_table(
            self,
            parameters,
            "OUTPUT_POLYGONS",
            context,
            columns,
            rows,
            [p.geometry() for p in polygons],
            layer.wkbType(),
            layer.crs(),
        )


LONG_COLUMNS = [
    ("polygon_id", str),
    ("year", int),
    ("epoch", str),
    ("dev_km2", float),
    ("rec_km2", float),
    ("bsp_pct", float),
]


def long_rows(ids, years, series, missing=None):
    """Annual rows per polygon (index 1…): DEV/REC spread over epochs, BSP where there is a map; all NULL
    for the polygons ``missing`` (0-based mask) marks as without pixels."""
    annual_years, dev = disturbance.spread_over_years(series.dev_m2, years)
    _, rec = disturbance.spread_over_years(series.rec_m2, years)
    bsp = disturbance.bsp(series)
    epochs = {}
    for start, end in zip(years, years[1:]):
        for year in range(start + 1, end + 1):
            epochs[year] = f"{start}-{end}"
    for i, polygon_id in enumerate(ids, start=1):
        yield polygon_id, years[0], None, None, None, bsp[i, 0]
        if missing is not None and missing[i - 1]:
            yield from ((polygon_id, year, epochs[year], None, None, None) for year in annual_years)
            continue
        for k, year in enumerate(annual_years):
            at_map = year in years
            yield (
                polygon_id,
                year,
                epochs[year],
                dev[i, k] / 1e6,
                rec[i, k] / 1e6,
                bsp[i, years.index(year)] if at_map else None,
            )


def write_report(path, years, series, green_codes):
    """All polygons' DEV/REC (row 0 of the series is outside every polygon)."""
    report.save(
        path,
        reports.disturbance_page(
            years,
            series.dev_m2[1:],
            series.rec_m2[1:],
            series.loss_m2[1:],
            series.gain_m2[1:],
            green_codes,
            reclass.SEED001_CLASSES,
        ),
    )
