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
from . import dask_scheduler
from .common import (
    AREAS_HELP,
    SERIES_HELP,
    MineLandAlgorithm,
    add_dated_inputs,
    class_codes,
    dated_class_rasters,
    fail,
    field_value,
    identifier_field,
    monitor,
    pixel_areas,
    wants_output,
    write_table,
)
from .zones import burn

HELP = """Mining disturbance (DEV) and reclamation (REC) inside every mine polygon from a land-cover series, and the bare surface percentage BSP, as Xu et al. (2025) §2.2.

<b>Classes</b> (defaults = the GLC_FCS30D 4-class preset of mineland:reclassify): MINE_CLASSES mine-related (1), VEGETATION_CLASSES cropland and vegetation (2, 3, 4). DEV = a pixel of a vegetation class at one date and mine-related at the next; REC = mine-related, then a vegetation class. BSP = mine-related area / the polygon's valid area × 100; reclamation rate = 100 − BSP.
<b>Epochs</b> Consecutive dates more than a year apart (GLC_FCS30D is five-yearly before 2000) are spread evenly over the years of the epoch: the DEV of 1985→1990 counts one fifth in each of 1986…1990. The epoch column of OUTPUT says where each year's figures come from.
<b>Polygons</b> (invalid ones repaired by native:fixgeometries and empty ones skipped, with a warning; a multi-part polygon is one polygon with the pixels of all its parts; every polygon needs an ID_FIELD value, a NULL id stops the run; a polygon outside the rasters, of zero area, or covering no pixel centre gets no pixel: NULL DEV, REC and BSP in every year and in OUTPUT_POLYGONS, and a warning with the number of such polygons) are reprojected to the rasters' CRS and burnt into their grid (GDAL rasterize, a pixel belongs to the polygon that covers its centre; where polygons overlap, one of them gets the pixel). Areas per pixel are ellipsoidal for a geographic CRS.

<b>OUTPUT</b> long table: polygon_id, year, epoch, dev_km2, rec_km2, and bsp_pct in the years that have a land-cover map.
<b>OUTPUT_POLYGONS</b> (optional) the polygons (in the rasters' CRS) with dev_km2 and rec_km2 over the whole series, bsp_first_pct, bsp_last_pct and reclaimed_pct (100 − bsp_last_pct).
<b>OUTPUT_HTML</b> (optional) annual DEV and REC of all polygons together (Xu et al. 2025, Fig. 6a shape) and DEV by the class that was lost / REC by the class gained.
<b>Areas</b> DEV, REC and BSP areas are """ + AREAS_HELP + "." + SERIES_HELP

MINE_DEFAULT = "1"
VEGETATION_DEFAULT = "2, 3, 4"


class DisturbanceAlgorithm(MineLandAlgorithm):
    NAME = "disturbance"
    DISPLAY_NAME = "Mining disturbance and reclamation"
    GROUP = "mines"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(QgsProcessingParameterFeatureSource("MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon]),
                 "Mine polygons in any CRS (reprojected to the rasters' CRS).")
        self.add(QgsProcessingParameterField("ID_FIELD", "Polygon id field", parentLayerParameterName="MINES"),
                 "Identifies each polygon in the outputs.")
        add_dated_inputs(self)
        self.add(QgsProcessingParameterString("MINE_CLASSES", "Mine-related class codes", MINE_DEFAULT),
                 "Comma-separated codes of mine-related land cover (default 1, the GLC_FCS30D 4-class preset).")
        self.add(QgsProcessingParameterString("VEGETATION_CLASSES", "Vegetation and cropland class codes",
                                              VEGETATION_DEFAULT),
                 "Comma-separated codes whose change to/from mine-related land is DEV/REC (default 2, 3, 4).")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "DEV, REC and BSP per polygon and year",
                                                   QgsProcessing.TypeVector),
                 "polygon_id, year, epoch, dev_km2, rec_km2, bsp_pct.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT_POLYGONS", "Totals per polygon",
                                                   QgsProcessing.TypeVectorPolygon, optional=True,
                                                   createByDefault=True),
                 "Polygons with dev_km2, rec_km2, bsp_first_pct, bsp_last_pct, reclaimed_pct.")
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
        series = jobs.disturbance_areas(index_source, classes, [i.nodata for i in inputs], index.grid, len(polygons),
                                        mine_codes, green_codes, pixel_areas(inputs), runner.LocalExecutor(),
                                        monitor(feedback))
        ids = [field_value(p[id_field], str) for p in polygons]
        missing = zones.without_pixels()
        results = {"OUTPUT": write_table(self, parameters, "OUTPUT", context, LONG_COLUMNS,
                                         long_rows(ids, years, series, missing))}
        if wants_output(parameters, "OUTPUT_POLYGONS"):
            results["OUTPUT_POLYGONS"] = self._write_polygons(parameters, context, layer, polygons, ids, series,
                                                              missing)
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(path, years, series, green_codes)
            results["OUTPUT_HTML"] = path
        return results

    def _write_polygons(self, parameters, context, layer, polygons, ids, series, missing):
        bsp = disturbance.bsp(series)
        columns = [("polygon_id", str), ("dev_km2", float), ("rec_km2", float), ("bsp_first_pct", float),
                   ("bsp_last_pct", float), ("reclaimed_pct", float)]
        rows = [[ids[i - 1], series.dev_m2[i].sum() / 1e6, series.rec_m2[i].sum() / 1e6, bsp[i, 0], bsp[i, -1],
                 100.0 - bsp[i, -1]] for i in range(1, len(polygons) + 1)]
        for row, no_pixel in zip(rows, missing):
            if no_pixel:  # outside the rasters or of zero area: nothing was measured, not 0 km²
                row[1:] = [None] * 5
        return write_table(self, parameters, "OUTPUT_POLYGONS", context, columns, rows,
                           [p.geometry() for p in polygons], layer.wkbType(), layer.crs())


LONG_COLUMNS = [("polygon_id", str), ("year", int), ("epoch", str), ("dev_km2", float), ("rec_km2", float),
                ("bsp_pct", float)]


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
            yield (polygon_id, year, epochs[year], dev[i, k] / 1e6, rec[i, k] / 1e6,
                   bsp[i, years.index(year)] if at_map else None)


def write_report(path, years, series, green_codes):
    annual_years, dev = disturbance.spread_over_years(series.dev_m2[1:].sum(axis=0), years)
    _, rec = disturbance.spread_over_years(series.rec_m2[1:].sum(axis=0), years)
    names = reclass.SEED001_CLASSES
    by_class = [(f"{code} {names.get(code, '')}".strip(), series.loss_m2[1:, :, k].sum() / 1e6,
                 series.gain_m2[1:, :, k].sum() / 1e6) for k, code in enumerate(green_codes)]
    report.write_page(path, "Mining disturbance and reclamation", [
        report.note("All polygons together; epochs longer than a year are spread evenly over their years."),
        report.bars_svg([str(y) for y in annual_years],
                        {"DEV: disturbed by mining": ("#b2182b", dev / 1e6),
                         "REC: reclaimed": ("#1b7837", rec / 1e6)}, "area per year (km²)", "year"),
        report.table(["year", "DEV (km²)", "REC (km²)"], zip(annual_years, dev / 1e6, rec / 1e6),
                     kinds=["int", "num", "num"]),
        report.heading("By land-cover class"),
        report.table(["class", "lost to mining, DEV (km²)", "gained by reclamation, REC (km²)"], by_class),
    ])
