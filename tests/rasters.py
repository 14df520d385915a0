"""Small GeoTIFFs for tests, written with GDAL."""

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

UTM33N = 32633
WGS84 = 4326


def write_raster(
    path, array, epsg=UTM33N, origin=(500000.0, 6000000.0), pixel=(30.0, 30.0), nodata=None, gdal_type=None, block=None
):
    """Write a single-band (2-D) or multi-band (3-D) array as a GeoTIFF; return the path."""
    array = np.asarray(array)
    bands = array[None] if array.ndim == 2 else array
    if gdal_type is None:
        gdal_type = {
            np.dtype("uint8"): gdal.GDT_Byte,
            np.dtype("uint16"): gdal.GDT_UInt16,
            np.dtype("int16"): gdal.GDT_Int16,
            np.dtype("int32"): gdal.GDT_Int32,
            np.dtype("int64"): gdal.GDT_Int32,
            np.dtype("float32"): gdal.GDT_Float32,
            np.dtype("float64"): gdal.GDT_Float64,
        }[array.dtype]
    options = ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}"] if block else []
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path), bands.shape[2], bands.shape[1], bands.shape[0], gdal_type, options
    )
    ds.SetGeoTransform((origin[0], pixel[0], 0.0, origin[1], 0.0, -pixel[1]))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    for i, band_values in enumerate(bands, start=1):
        band = ds.GetRasterBand(i)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(band_values)
    ds = None
    return str(path)


def read_raster(path, band=1):
    ds = gdal.Open(str(path))
    return ds.GetRasterBand(band).ReadAsArray()


def file_digest(path):
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


#: Area on the ellipsoid of a UTM pixel on its zone's central meridian over its map area: 1 / k0², k0 = 0.9996
#: the scale of UTM there (conformal, so areas scale by k²): a 30 m UTM pixel there is 900.72 m² on the ground.
UTM_CENTRAL_MERIDIAN_AREA_SCALE = 1 / 0.9996**2


def geodesic_pixel_areas(path, block=10):
    """Area on the ellipsoid (m²) of every pixel of a projected raster, independently of MineLand: the geodesic
    area (GeographicLib) of every ``block`` × ``block`` pixel square, outline densified, shared by its pixels."""
    from geographiclib.geodesic import Geodesic

    ds = gdal.Open(str(path))
    gt, rows, cols = ds.GetGeoTransform(), ds.RasterYSize, ds.RasterXSize
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    geog = srs.CloneGeogCS()
    for s in (srs, geog):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(srs, geog)
    geodesic = Geodesic(geog.GetSemiMajor(), 1.0 / geog.GetInvFlattening())
    areas = np.empty((rows, cols))
    t = np.linspace(0.0, 1.0, 8, endpoint=False)
    for r0 in range(0, rows, block):
        for c0 in range(0, cols, block):
            r1, c1 = min(rows, r0 + block), min(cols, c0 + block)
            cs = np.concatenate([c0 + (c1 - c0) * t, np.full(8, c1), c1 - (c1 - c0) * t, np.full(8, c0)])
            rs = np.concatenate([np.full(8, r0), r0 + (r1 - r0) * t, np.full(8, r1), r1 - (r1 - r0) * t])
            points = transform.TransformPoints(np.column_stack([gt[0] + gt[1] * cs, gt[3] + gt[5] * rs]))
            polygon = geodesic.Polygon()
            for lon, lat, _ in points:
                polygon.AddPoint(lat, lon)
            areas[r0:r1, c0:c1] = abs(polygon.Compute(False, True)[2]) / ((r1 - r0) * (c1 - c0))
    return areas
