"""Raster and table input/output: GDAL blocks, scale/offset, areas on the ellipsoid, CSV."""
