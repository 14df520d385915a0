"""Mining disturbance (DEV) and reclamation (REC) inside mine polygons from a land-cover
series, and the bare surface percentage BSP (seed 001 §2.2; METHODS.md §4).

DEV: a pixel that is vegetation or cropland at one date and mine-related at the
next; REC: mine-related, then vegetation or cropland. BSP = mine-related area /
polygon area (valid pixels), reclamation rate = 1 − BSP. With the GLC_FCS30D
4-class preset of mineland:reclassify: 1 mine-related, 2 cropland, 3 sparse
and 4 dense vegetation.

Epochs longer than a year (GLC_FCS30D is five-yearly before 2000) are spread
evenly over their years, as seed 001 does: the DEV of 1985→1990 counts one
fifth in each of 1986…1990.
"""

from dataclasses import dataclass

import numpy as np

from ..io import raster_io


@dataclass
class PolygonSeries:
    """Areas (m²) per polygon index (row 0 = outside every polygon) and date or period.

    valid_m2, mine_m2 : (polygons + 1, dates)
    dev_m2, rec_m2 : (polygons + 1, periods)
    loss_m2 : (polygons + 1, periods, classes) DEV by the class before (what was lost)
    gain_m2 : (polygons + 1, periods, classes) REC by the class after (what was gained)
    """

    valid_m2: np.ndarray
    mine_m2: np.ndarray
    dev_m2: np.ndarray
    rec_m2: np.ndarray
    loss_m2: np.ndarray
    gain_m2: np.ndarray


class DisturbanceCounter:
    """Accumulate DEV/REC/BSP areas per polygon over blocks of (polygon index, class rasters)."""

    def __init__(self, polygons, dates, mine_classes, vegetation_classes, row_areas_m2):
        self.mine = np.asarray(sorted(mine_classes))
        self.vegetation = np.asarray(sorted(vegetation_classes))
        self.areas = raster_io.as_pixel_areas(row_areas_m2, None)
        size = polygons + 1
        periods = dates - 1
        self.series = PolygonSeries(
            np.zeros((size, dates)),
            np.zeros((size, dates)),
            np.zeros((size, periods)),
            np.zeros((size, periods)),
            np.zeros((size, periods, self.vegetation.size)),
            np.zeros((size, periods, self.vegetation.size)),
        )

    def add(self, yoff, polygon_index, classes, valid):
        """One block: polygon index per pixel (0 outside), class arrays and validity masks per date."""
        ids = polygon_index.ravel().astype(np.intp)
        weights = self.areas.flat(yoff, polygon_index.shape[0], polygon_index.shape[1])
        inside = ids > 0
        size = self.series.valid_m2.shape[0]

        def tally(mask):
            mask = mask & inside
            return np.bincount(ids[mask], weights[mask], minlength=size)

        flat = [c.ravel() for c in classes]
        ok = [v.ravel() for v in valid]
        mine = [o & np.isin(c, self.mine) for c, o in zip(flat, ok)]
        green = [o & np.isin(c, self.vegetation) for c, o in zip(flat, ok)]
        s = self.series
        for t in range(len(flat)):
            s.valid_m2[:, t] += tally(ok[t])
            s.mine_m2[:, t] += tally(mine[t])
        for t in range(len(flat) - 1):
            developed = green[t] & mine[t + 1]
            reclaimed = mine[t] & green[t + 1]
            s.dev_m2[:, t] += tally(developed)
            s.rec_m2[:, t] += tally(reclaimed)
            for k, code in enumerate(self.vegetation):
                s.loss_m2[:, t, k] += tally(developed & (flat[t] == code))
                s.gain_m2[:, t, k] += tally(reclaimed & (flat[t + 1] == code))


def spread_over_years(period_values, years):
    """Annual values from per-period ones: a period y₀→y₁ gives 1/(y₁ − y₀) of its value to each of y₀+1 … y₁.

    Parameters
    ----------
    period_values : array (..., periods)
    years : increasing whole years, one more than periods

    Returns
    -------
    (annual_years, annual_values (..., years[-1] − years[0]))
    """
    years = [int(y) for y in years]
    values = np.asarray(period_values, dtype=np.float64)
    annual_years = list(range(years[0] + 1, years[-1] + 1))
    annual = np.zeros(values.shape[:-1] + (len(annual_years),))
    for p, (start, end) in enumerate(zip(years, years[1:])):
        span = end - start
        annual[..., start - years[0] : end - years[0]] += values[..., p : p + 1] / span
    return annual_years, annual


def bsp(series):
    """Bare surface percentage per polygon and date, % (NaN where the polygon has no valid pixel)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(series.valid_m2 > 0, series.mine_m2 / series.valid_m2 * 100.0, np.nan)
