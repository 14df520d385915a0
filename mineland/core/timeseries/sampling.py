"""Raster values at points: map coordinates → pixel indices, and a gather of those pixels.

Only the raster blocks that hold a point are read, each once, so sampling a few
thousand points costs a few thousand small reads at most, whatever the raster
size. No QGIS; the band is a GDAL band opened by :mod:`mineland.core.io.raster_io`.
"""

import numpy as np

from ..io import raster_io

#: Largest window side read at once; a raster whose natural block is bigger
#: (e.g. a striped file whose blocks are whole rows) is read in windows of this side.
MAX_WINDOW = 1024


def pixel_indices(geotransform, x, y, xsize, ysize):
    """Row and column of the pixel holding each map coordinate.

    Parameters
    ----------
    geotransform : sequence of 6 floats
        GDAL's (x0, a, b, y0, d, e): X = x0 + a·col + b·row, Y = y0 + d·col + e·row.
    x, y : array_like of float, shape (N,)
        Coordinates in the raster's CRS.
    xsize, ysize : int
        Raster size in pixels.

    Returns
    -------
    rows, cols : ndarray of int64
        floor of the inverted geotransform; a point on the edge between two
        pixels falls in the one to its right (or below), as in GDAL.
    inside : ndarray of bool
        True where the pixel is within the raster (rows and cols are
        meaningless elsewhere).
    """
    x0, a, b, y0, d, e = geotransform
    det = a * e - b * d
    if det == 0:
        raise ValueError("the raster's geotransform is degenerate (zero pixel size)")
    dx = np.asarray(x, dtype=np.float64) - x0
    dy = np.asarray(y, dtype=np.float64) - y0
    col = np.floor((e * dx - b * dy) / det)
    row = np.floor((a * dy - d * dx) / det)
    inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < xsize) & (row >= 0) & (row < ysize)
    # Zero outside so the casts below never see NaN or huge values.
    return np.where(inside, row, 0).astype(np.int64), np.where(inside, col, 0).astype(np.int64), inside


def sample_pixels(band, rows, cols, monitor=None):
    """Values of a band at the given pixels, reading each needed block once.

    Parameters
    ----------
    band : gdal.Band
    rows, cols : array_like of int, shape (N,)
        Pixel indices, all inside the raster (see :func:`pixel_indices`).
    monitor : raster_io.Monitor, optional
        Cancel is checked before each window read.

    Returns
    -------
    ndarray, shape (N,), in the band's data type.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    values = np.zeros(rows.size, dtype=raster_io.numpy_dtype(band))
    if rows.size == 0:
        return values
    monitor = monitor or raster_io.Monitor()
    block_x, block_y = band.GetBlockSize()
    width, height = min(block_x, MAX_WINDOW), min(block_y, MAX_WINDOW)
    windows_across = -(-band.XSize // width)
    window = (rows // height) * windows_across + cols // width
    # Sort points by window so each window's points are one contiguous slice.
    order = np.argsort(window, kind="stable")
    keys, starts = np.unique(window[order], return_index=True)
    ends = np.append(starts[1:], rows.size)
    for done, (key, start, end) in enumerate(zip(keys, starts, ends)):
        monitor.check()
        yoff, xoff = (key // windows_across) * height, (key % windows_across) * width
        block = band.ReadAsArray(
            int(xoff), int(yoff), int(min(width, band.XSize - xoff)), int(min(height, band.YSize - yoff))
        )
        picked = order[start:end]
        values[picked] = block[rows[picked] - yoff, cols[picked] - xoff]
        monitor.report((done + 1) / keys.size)
    return values
