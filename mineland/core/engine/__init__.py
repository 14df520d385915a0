"""The engine: strips of a raster stack through a kernel, locally on threads or on a Dask cluster."""
