"""Numeric kernels of MineLand: numpy, scipy and GDAL only, never QGIS."""
