"""Small GeoTIFFs for tests, written with GDAL."""

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

UTM33N = 32633
WGS84 = 4326


def write_raster(path, array, epsg=UTM33N, origin=(500000.0, 6000000.0), pixel=(30.0, 30.0), nodata=None,
                 gdal_type=None, block=None):
    """Write a single-band (2-D) or multi-band (3-D) array as a GeoTIFF; return the path."""
    array = np.asarray(array)
    bands = array[None] if array.ndim == 2 else array
    if gdal_type is None:
        gdal_type = {np.dtype("uint8"): gdal.GDT_Byte, np.dtype("uint16"): gdal.GDT_UInt16,
                     np.dtype("int16"): gdal.GDT_Int16, np.dtype("int32"): gdal.GDT_Int32,
                     np.dtype("int64"): gdal.GDT_Int32, np.dtype("float32"): gdal.GDT_Float32,
                     np.dtype("float64"): gdal.GDT_Float64}[array.dtype]
    options = ["TILED=YES", f"BLOCKXSIZE={block}", f"BLOCKYSIZE={block}"] if block else []
    ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0],
                                              gdal_type, options)
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
