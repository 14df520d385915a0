"""One pixel's time series from a raster stack, with its trend statistics and restoration class.

The engine of the pixel time-series inspector (issue 8). A stack is either
several single-band rasters (one per time step) or one multiband raster (one
band per time step), all on one grid. A map coordinate in the rasters' CRS
selects a pixel; its values become one series (in physical units: raw × scale
+ offset of each band's GDAL metadata), missing years (nodata on the raw value,
NaN, ±inf) become NaN, and the statistics come from the kernels of
:mod:`mineland.core.timeseries.trend` with the same MIN_VALID and ALPHA as
``mineland:trend``, so the inspector shows exactly what the trend and class
rasters hold for that pixel.
"""

import math
import os
import re
from dataclasses import dataclass

import numpy as np
from osgeo import gdal

from ..engine import stack
from ..io import raster_io
from . import trend

#: MIN_VALID and ALPHA defaults of mineland:trend.
DEFAULT_MIN_VALID = 8
DEFAULT_ALPHA = 0.05

#: The smallest MIN_VALID mineland:trend accepts.
SMALLEST_MIN_VALID = 4

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


@dataclass
class PixelSeries:
    """One pixel's series and its statistics (NaN where there are too few valid years).

    Attributes
    ----------
    row, col : int
        The pixel (0-based, from the top-left corner).
    x, y : float
        The pixel's centre in the rasters' CRS.
    years, values : ndarray
        Time stamps and values (float64, NaN = missing).
    n_valid : int
        Number of valid values.
    s, var_s, z, p, tau : float
        Mann-Kendall original test with tie correction (:func:`trend.mann_kendall`).
    sen_slope : float
        Sen's slope in units of the values per year, with the real years.
    intercept : float
        The line is ``intercept + sen_slope × (year − years[0])``.
    hurst : float
        Hurst exponent by R/S analysis (NaN for a constant series).
    restoration_class : int
        Seed 004 class code 1–5 (:data:`trend.RESTORATION_CODES`), 0 for none.
    restoration_code, restoration_name : str
        ``"SD"`` … ``"SCI"`` and the class's name; ``""`` and the reason when there is no class.
    min_valid : int
    alpha : float
    """

    row: int
    col: int
    x: float
    y: float
    years: np.ndarray
    values: np.ndarray
    n_valid: int
    s: float
    var_s: float
    z: float
    p: float
    tau: float
    sen_slope: float
    intercept: float
    hurst: float
    restoration_class: int
    restoration_code: str
    restoration_name: str
    min_valid: int
    alpha: float

    @property
    def enough(self):
        """True when the pixel has at least ``min_valid`` valid values, so the statistics exist."""
        return self.n_valid >= self.min_valid

    def sen_line(self):
        """The Sen's slope line at every year (NaN when there is no slope)."""
        return self.intercept + self.sen_slope * (self.years - self.years[0])


def pixel_statistics(
    values, years, min_valid=DEFAULT_MIN_VALID, alpha=DEFAULT_ALPHA, row=-1, col=-1, x=math.nan, y=math.nan
):
    """Trend statistics and restoration class of one series, as mineland:trend computes them per pixel.

    Parameters
    ----------
    values : array_like (time,)
        The series; NaN (and ±inf) are missing years.
    years : array_like (time,)
        One time stamp per value, strictly increasing; gaps are fine.
    min_valid : int
        Fewer valid values than this give NaN statistics and no class (at least 4, as in mineland:trend).
    alpha : float
        Two-sided significance level of the classes: significant when |Z| > z(1 − α/2).
    row, col, x, y
        Where the series comes from, copied into the result.

    Returns
    -------
    PixelSeries

    Raises
    ------
    ValueError
        When the years do not match the values one to one or do not increase,
        or ``min_valid`` or ``alpha`` is out of range.
    """
    values = np.asarray(values, dtype=np.float64).ravel().copy()
    values[~np.isfinite(values)] = np.nan
    years = np.asarray(years, dtype=np.float64).ravel()
    if years.size != values.size:
        raise ValueError(
            f"{years.size} years given for {values.size} time steps; "
            "give one year per raster (or band), in the same order"
        )
    years = trend.check_years(years, values.size)
    if int(min_valid) != min_valid or min_valid < SMALLEST_MIN_VALID:
        raise ValueError(f"min_valid must be a whole number of at least {SMALLEST_MIN_VALID}, got {min_valid}")
    min_valid = int(min_valid)
    trend.critical_z(alpha)  # ValueError unless 0 < alpha < 1
    stats = trend.trend_statistics(values[None, :], years, min_valid)
    code = int(trend.restoration_classes(stats.z, stats.sen_slope, stats.hurst, alpha)[0])
    n_valid = int(stats.n_valid[0])
    if code:
        name = trend.RESTORATION_NAMES[code]
    elif n_valid < min_valid:
        name = f"no class: {n_valid} valid years, fewer than {min_valid}"
    else:
        name = "no class: significant increase, but the Hurst exponent is undefined"
    return PixelSeries(
        row=int(row),
        col=int(col),
        x=float(x),
        y=float(y),
        years=years,
        values=values,
        n_valid=n_valid,
        s=float(stats.s[0]),
        var_s=float(stats.var_s[0]),
        z=float(stats.z[0]),
        p=float(stats.p[0]),
        tau=float(stats.tau[0]),
        sen_slope=float(stats.sen_slope[0]),
        intercept=float(stats.intercept[0]),
        hurst=float(stats.hurst[0]),
        restoration_class=code,
        restoration_code=trend.RESTORATION_CODES.get(code, ""),
        restoration_name=name,
        min_valid=min_valid,
        alpha=float(alpha),
    )


class PixelStack:
    """A raster time series opened with GDAL, read one pixel at a time.

    Parameters
    ----------
    paths : sequence of str
        One multiband raster (one band per time step), or several single-band
        rasters (one per time step, in time order).
    names : sequence of str, optional
        A name per path for messages and default years (e.g. the QGIS layer
        names); the file names without extension by default.

    Attributes
    ----------
    grid : raster_io.Grid
        The common grid.
    labels : list of str
        One label per time step: the band descriptions of a multiband raster
        (or "band k"), else the names.
    count : int
        Number of time steps.
    scalings : list of raster_io.Scaling or None
        Per time step, the band's GDAL scale/offset: its values are read in physical
        units, raw × scale + offset, with nodata tested on the raw value (None: as stored).

    Raises
    ------
    ValueError
        When a path is not a raster GDAL can read, a raster among several has
        more than one band, or the rasters are not on one grid (naming the
        raster that differs and how).
    """

    def __init__(self, paths, names=None):
        paths = [str(p) for p in paths]
        if not paths:
            raise ValueError("no raster given; choose one multiband raster or one single-band raster per year")
        if names is None:
            names = [os.path.splitext(os.path.basename(p))[0] for p in paths]
        names = [str(n) for n in names]
        if len(names) != len(paths):
            raise ValueError(f"{len(names)} names for {len(paths)} rasters")
        self.paths, self.names = paths, names
        self._datasets = [_open(path, name) for path, name in zip(paths, names)]
        if len(paths) == 1:
            ds = self._datasets[0]
            self.bands = [ds.GetRasterBand(b) for b in range(1, ds.RasterCount + 1)]
            self.labels = [band.GetDescription() or f"band {k}" for k, band in enumerate(self.bands, start=1)]
        else:
            for ds, name in zip(self._datasets, names):
                if ds.RasterCount > 1:
                    raise ValueError(
                        f"{name} has {ds.RasterCount} bands; give one single-band raster per year, "
                        "or a single multiband raster with one band per year"
                    )
            self.bands = [ds.GetRasterBand(1) for ds in self._datasets]
            self.labels = list(names)
        self.grid = raster_io.check_same_grid(
            [(name, raster_io.grid_of(ds)) for name, ds in zip(names, self._datasets)]
        )
        self.nodatas = [raster_io.band_nodata(band) for band in self.bands]
        self.scalings = [_scaling(band, label) for band, label in zip(self.bands, self.labels)]
        self.count = len(self.bands)

    def default_years(self):
        """Years from the labels when each holds one year and they increase, else 1 … count."""
        return default_years(self.labels)

    def locate(self, x, y):
        """(row, col) of the pixel holding the map point (x, y), given in the rasters' CRS.

        Raises
        ------
        ValueError
            When the point is outside the rasters.
        """
        x, y = float(x), float(y)
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"the point ({x}, {y}) is not a valid coordinate")
        inverse = gdal.InvGeoTransform(self.grid.geotransform)
        if inverse is None:
            raise ValueError("the rasters' geotransform cannot be inverted")
        col = math.floor(inverse[0] + inverse[1] * x + inverse[2] * y)
        row = math.floor(inverse[3] + inverse[4] * x + inverse[5] * y)
        if not (0 <= col < self.grid.xsize and 0 <= row < self.grid.ysize):
            xmin, ymin, xmax, ymax = self.extent()
            raise ValueError(
                f"the point ({x:.6g}, {y:.6g}) is outside the rasters, which cover "
                f"x {xmin:.6g} … {xmax:.6g} and y {ymin:.6g} … {ymax:.6g} in their CRS"
            )
        return row, col

    def extent(self):
        """(xmin, ymin, xmax, ymax) of the grid in its CRS."""
        gt, g = self.grid.geotransform, self.grid
        xs = [gt[0] + gt[1] * c + gt[2] * r for c, r in ((0, 0), (g.xsize, 0), (0, g.ysize), (g.xsize, g.ysize))]
        ys = [gt[3] + gt[4] * c + gt[5] * r for c, r in ((0, 0), (g.xsize, 0), (0, g.ysize), (g.xsize, g.ysize))]
        return min(xs), min(ys), max(xs), max(ys)

    def pixel_centre(self, row, col):
        gt = self.grid.geotransform
        return (gt[0] + gt[1] * (col + 0.5) + gt[2] * (row + 0.5), gt[3] + gt[4] * (col + 0.5) + gt[5] * (row + 0.5))

    def read(self, row, col):
        """The values of pixel (row, col) at every time step, float64, NaN where missing."""
        if not (0 <= row < self.grid.ysize and 0 <= col < self.grid.xsize):
            raise ValueError(
                f"pixel (row {row}, column {col}) is outside the {self.grid.xsize}×{self.grid.ysize} rasters"
            )
        arrays = [band.ReadAsArray(int(col), int(row), 1, 1) for band in self.bands]
        return stack.stack_block(arrays, self.nodatas, self.scalings)[0]

    def scaling_notes(self):
        """One line per time step read with a GDAL scale/offset ("label: raw × s + o"); [] when none is."""
        return [f"{label}: {scaling.describe()}" for label, scaling in zip(self.labels, self.scalings) if scaling]

    def series(self, x, y, years=None, min_valid=DEFAULT_MIN_VALID, alpha=DEFAULT_ALPHA):
        """The :class:`PixelSeries` at map point (x, y) (rasters' CRS); years default to :meth:`default_years`."""
        row, col = self.locate(x, y)
        centre = self.pixel_centre(row, col)
        return pixel_statistics(
            self.read(row, col), self.default_years() if years is None else years, min_valid, alpha, row, col, *centre
        )

    def close(self):
        self.bands, self._datasets = [], []


def open_stack(paths, names=None):
    """A :class:`PixelStack` of ``paths`` (see there)."""
    return PixelStack(paths, names)


def inspect_pixel(paths, x, y, years=None, names=None, min_valid=DEFAULT_MIN_VALID, alpha=DEFAULT_ALPHA):
    """One pixel's :class:`PixelSeries` from a stack of rasters at map point (x, y) in their CRS.

    Raises
    ------
    ValueError
        For a non-raster, rasters on different grids, a point outside the
        rasters, or years that do not fit the stack.
    """
    pixel_stack = PixelStack(paths, names)
    try:
        return pixel_stack.series(x, y, years, min_valid, alpha)
    finally:
        pixel_stack.close()


def years_from_names(names):
    """The year in each name (a whole number 1800–2199 standing alone), or None.

    None unless every name holds exactly one such number and they increase
    strictly: "ndvi_2001", "2002", "NDVI 2003 (Landsat)" give 2001, 2002, 2003.
    """
    years = []
    for name in names:
        found = _YEAR.findall(str(name))
        if len(found) != 1:
            return None
        years.append(int(found[0]))
    if not years or any(b <= a for a, b in zip(years, years[1:])):
        return None
    return years


def default_years(names):
    """:func:`years_from_names`, or 1 … len(names) when the names are not increasing years."""
    return years_from_names(names) or list(range(1, len(names) + 1))


def _scaling(band, label):
    try:
        return raster_io.band_scaling(band)
    except ValueError as err:
        raise ValueError(f"{label}: {err}") from None


def _open(path, name):
    try:
        ds = raster_io.open_raster(path)
    except ValueError as err:
        raise ValueError(f"{name} is not a raster GDAL can read ({err})") from None
    if ds.RasterCount == 0:
        raise ValueError(f"{name} has no raster band; choose a raster layer")
    return ds
