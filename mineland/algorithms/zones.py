"""Mine polygons on a raster grid: burnt as a 1-based index raster by GDAL rasterize, and
zonal means of raster series per polygon, block by block."""

from dataclasses import dataclass

import numpy as np
from qgis.core import QgsCoordinateReferenceSystem

from ..core.io import raster_io
from ..core.spatial import patches
from .checks import fail, monitor
from .children import repaired_polygons, run_child
from .rasters import RasterInput, check_grids, physical_units


@dataclass
class Zones:
    """Polygons reprojected to the grid's CRS (``layer``, features in index order) and their index raster.

    ``pixels[i]`` is the number of pixels of polygon i (1-based; ``pixels[0]`` the pixels of no polygon):
    0 for a polygon outside the rasters, of zero area, or covering no pixel centre, whose figures are NULL.
    """

    layer: object
    polygons: list
    index: RasterInput
    pixels: np.ndarray = None

    def without_pixels(self):
        """Boolean array over the polygons (0-based): True where a polygon got no pixel."""
        return self.pixels[1:] == 0


def burn(parameters, key, template, context, feedback, no_pixel_note="their figures are NULL"):
    """Polygons of parameter ``key`` as a raster of their 1-based index on ``template``'s grid (0 = none).

    A pixel belongs to the polygon covering its centre; where polygons overlap, one of them gets it.
    Features without geometry are skipped with a warning; polygons of zero area (which the repair
    turns into nothing) stay, without pixels, and like polygons outside the rasters they are counted
    in a warning (ending with ``no_pixel_note``), so that their figures are NULL rather than missing or 0.
    """
    crs = QgsCoordinateReferenceSystem()
    crs.createFromWkt(template.grid.crs_wkt)
    reprojected = run_child("native:reprojectlayer", {"INPUT": parameters[key], "TARGET_CRS": crs}, context, feedback)
    reprojected = _without_empty_geometries(reprojected, key, context, feedback)
    # indexed before the repair: a zero-area polygon that the repair drops keeps its index (and its row)
    indexed = run_child(
        "native:addautoincrementalfield",
        {"INPUT": reprojected, "FIELD_NAME": "mineland_idx", "START": 1},
        context,
        feedback,
    )
    repaired = repaired_polygons(indexed, key, context, feedback)
    kept = {int(f["mineland_idx"]): f for f in repaired.getFeatures()}
    polygons = [
        kept.get(int(f["mineland_idx"]), f) for f in sorted(indexed.getFeatures(), key=lambda f: int(f["mineland_idx"]))
    ]
    if not polygons:
        fail(key, "no polygon to analyse (empty layer?)")
    gt, grid = template.grid.geotransform, template.grid
    xmax, ymin = gt[0] + gt[1] * grid.xsize, gt[3] + gt[5] * grid.ysize
    burnt = run_child(
        "gdal:rasterize",
        {
            "INPUT": repaired,
            "FIELD": "mineland_idx",
            "UNITS": 1,
            "WIDTH": abs(gt[1]),
            "HEIGHT": abs(gt[5]),
            "EXTENT": f"{gt[0]},{xmax},{ymin},{gt[3]} [{crs.authid()}]",
            "NODATA": 0,
            "DATA_TYPE": 4,
            "INIT": 0,
        },
        context,
        feedback,
    )
    index = RasterInput(f"{key} (rasterized)", burnt.source())
    check_grids([template, index])
    zones = Zones(indexed, polygons, index, _pixel_counts(index, len(polygons)))
    _warn_without_pixels(zones, key, template, feedback, no_pixel_note)
    return zones


def _without_empty_geometries(layer, key, context, feedback):
    """``layer`` without its features of no geometry (skipped, with a warning): they are no polygon."""
    empty = sum(1 for f in layer.getFeatures() if f.geometry().isEmpty())
    if not empty:
        return layer
    feedback.pushWarning(f"{key}: {empty} feature(s) without geometry skipped")
    return run_child(
        "native:extractbyexpression",
        {"INPUT": layer, "EXPRESSION": "NOT is_empty_or_null($geometry)"},
        context,
        feedback,
    )


def _pixel_counts(index, count):
    """Pixels of every polygon index 0 … count in the burnt index raster, block by block."""
    pixels = np.zeros(count + 1, dtype=np.int64)
    for _, _, (ids,) in raster_io.iter_blocks([index.band], index.grid):
        pixels += np.bincount(ids.ravel().astype(np.intp), minlength=count + 1)[: count + 1]
    return pixels


def _warn_without_pixels(zones, key, template, feedback, note):
    """One warning with the number of polygons of zero area, and one with those outside the rasters."""
    grid = template.grid
    gt = grid.geotransform
    xs = sorted((gt[0], gt[0] + gt[1] * grid.xsize))
    ys = sorted((gt[3], gt[3] + gt[5] * grid.ysize))
    zero_area = outside = small = 0
    for polygon, empty in zip(zones.polygons, zones.without_pixels()):
        if not empty:
            continue
        box = polygon.geometry().boundingBox()
        geometry = polygon.geometry()
        if patches.zero_area(geometry.area(), geometry.length()):
            zero_area += 1
        elif box.xMinimum() >= xs[1] or box.xMaximum() <= xs[0] or box.yMinimum() >= ys[1] or box.yMaximum() <= ys[0]:
            outside += 1
        else:
            small += 1
    if zero_area:
        feedback.pushWarning(f"{key}: {zero_area} polygon(s) of zero area: {note}")
    if outside:
        feedback.pushWarning(f"{key}: {outside} polygon(s) outside the rasters: {note}")
    if small:
        feedback.pushWarning(
            f"{key}: {small} polygon(s) cover no pixel centre of the rasters (smaller than a pixel?): {note}"
        )


def zonal_means(zones, series, row_areas_m2, feedback, span=(0.0, 1.0)):
    """Area-weighted mean of every raster of ``series`` (RasterInputs on the zones' grid) per polygon.

    The series are continuous values: read in physical units (raw × scale + offset of each band's GDAL
    metadata, :func:`.common.physical_units`, which logs it), nodata tested on the raw value.

    Returns an array (polygons, rasters), NaN where a polygon has no valid pixel.
    """
    physical_units(series, feedback)
    size = len(zones.polygons) + 1
    sums = np.zeros((size, len(series)))
    weights = np.zeros((size, len(series)))
    bands = [zones.index.band] + [s.band for s in series]
    for yoff, nrows, arrays in raster_io.iter_blocks(bands, zones.index.grid, monitor(feedback, *span)):
        ids = arrays[0].ravel().astype(np.intp)
        area = raster_io.as_pixel_areas(row_areas_m2, None).flat(yoff, nrows, zones.index.grid.xsize)
        for k, (values, item) in enumerate(zip(arrays[1:], series)):
            values, valid = raster_io.physical(values, item.nodata, item.scaling)
            ok = valid.ravel() & (ids > 0)
            sums[:, k] += np.bincount(ids[ok], values.ravel()[ok] * area[ok], minlength=size)
            weights[:, k] += np.bincount(ids[ok], area[ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(weights > 0, sums / weights, np.nan)
    return means[1:]
