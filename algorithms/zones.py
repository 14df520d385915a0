"""Mine polygons on a raster grid: burnt as a 1-based index raster by GDAL rasterize, and
zonal means of raster series per polygon, block by block."""

from dataclasses import dataclass

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ..core import raster_io
from .common import RasterInput, check_grids, fail, monitor, repaired_polygons, run_child


@dataclass
class Zones:
    """Polygons reprojected to the grid's CRS (``layer``, features in index order) and their index raster."""

    layer: object
    polygons: list
    index: RasterInput


def burn(parameters, key, template, context, feedback):
    """Polygons of parameter ``key`` as a raster of their 1-based index on ``template``'s grid (0 = none).

    A pixel belongs to the polygon covering its centre; where polygons overlap, one of them gets it.
    """
    crs = QgsCoordinateReferenceSystem()
    crs.createFromWkt(template.grid.crs_wkt)
    reprojected = run_child("native:reprojectlayer", {"INPUT": parameters[key], "TARGET_CRS": crs}, context, feedback)
    reprojected = repaired_polygons(reprojected, key, context, feedback)
    indexed = run_child("native:addautoincrementalfield", {"INPUT": reprojected, "FIELD_NAME": "mineland_idx",
                                                           "START": 1}, context, feedback)
    polygons = sorted(indexed.getFeatures(), key=lambda f: int(f["mineland_idx"]))
    if not polygons:
        fail(key, "no polygon to analyse (empty layer?)")
    gt, grid = template.grid.geotransform, template.grid
    xmax, ymin = gt[0] + gt[1] * grid.xsize, gt[3] + gt[5] * grid.ysize
    burnt = run_child("gdal:rasterize", {
        "INPUT": indexed, "FIELD": "mineland_idx", "UNITS": 1, "WIDTH": abs(gt[1]), "HEIGHT": abs(gt[5]),
        "EXTENT": f"{gt[0]},{xmax},{ymin},{gt[3]} [{crs.authid()}]", "NODATA": 0, "DATA_TYPE": 4, "INIT": 0},
        context, feedback)
    index = RasterInput(f"{key} (rasterized)", burnt.source())
    check_grids([template, index])
    return Zones(indexed, polygons, index)


def zonal_means(zones, series, row_areas_m2, feedback, span=(0.0, 1.0)):
    """Area-weighted mean of every raster of ``series`` (RasterInputs on the zones' grid) per polygon.

    Returns an array (polygons, rasters), NaN where a polygon has no valid pixel.
    """
    size = len(zones.polygons) + 1
    sums = np.zeros((size, len(series)))
    weights = np.zeros((size, len(series)))
    bands = [zones.index.band] + [s.band for s in series]
    for yoff, nrows, arrays in raster_io.iter_blocks(bands, zones.index.grid, monitor(feedback, *span)):
        ids = arrays[0].ravel().astype(np.intp)
        area = raster_io.as_pixel_areas(row_areas_m2, None).flat(yoff, nrows, zones.index.grid.xsize)
        for k, (values, item) in enumerate(zip(arrays[1:], series)):
            ok = raster_io.valid_mask(values, item.nodata).ravel() & (ids > 0)
            sums[:, k] += np.bincount(ids[ok], values.ravel()[ok] * area[ok], minlength=size)
            weights[:, k] += np.bincount(ids[ok], area[ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(weights > 0, sums / weights, np.nan)
    return means[1:]
