"""What every sample generator writes: small GeoTIFFs on a north-up grid, and GeoJSON polygons of
pixel boxes in lon/lat."""

import json

from osgeo import gdal, osr


def srs(epsg):
    reference = osr.SpatialReference()
    reference.ImportFromEPSG(epsg)
    return reference


def write_geotiff(path, bands, gdal_type, origin, pixel, epsg, nodata=None, names=None, options=("COMPRESS=DEFLATE",)):
    """Write 2-D arrays as the bands of a GeoTIFF with square pixels of ``pixel`` from the top-left ``origin``."""
    height, width = bands[0].shape
    ds = gdal.GetDriverByName("GTiff").Create(path, width, height, len(bands), gdal_type, list(options))
    ds.SetGeoTransform((origin[0], pixel, 0.0, origin[1], 0.0, -pixel))
    ds.SetProjection(srs(epsg).ExportToWkt())
    for i, array in enumerate(bands):
        band = ds.GetRasterBand(i + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(array)
        if names:
            band.SetDescription(str(names[i]))
    ds = None
    return path


def lonlat(col, row, origin, pixel, epsg, digits):
    """[lon, lat] of the pixel corner (col, row) of the grid, rounded to ``digits``."""
    target = srs(4326)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(srs(epsg), target).TransformPoint(
        origin[0] + col * pixel, origin[1] - row * pixel
    )
    return [round(lon, digits), round(lat, digits)]


def box_ring(corner, c0, r0, c1, r1):
    """The closed ring of the pixel box (c0, r0)–(c1, r1); ``corner(col, row)`` gives [lon, lat]."""
    return [corner(c0, r0), corner(c1, r0), corner(c1, r1), corner(c0, r1), corner(c0, r0)]


def write_features(path, features):
    """Write GeoJSON features as a FeatureCollection; return the path."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": features}, handle)
    return path
