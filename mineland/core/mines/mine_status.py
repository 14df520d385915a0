"""Active / closed / undefined mine status from the trends of BSP, NDVI and night-time light
(seed 001 §2.3; METHODS.md §4).

Each series of a mine polygon gets a Mann-Kendall trend: +1 significant
increase, −1 significant decrease, 0 no significant trend (p ≥ α), and no
trend either when the series is missing or too short. Seed 001's decision
tree then reads the trends in order of priority:

1. BSP (bare surface percentage): ↓ closed (reclamation), ↑ active;
2. else NDVI: ↑ closed, ↓ active;
3. else NTL (night-time light): ↑ active, ↓ closed;
4. else undefined.
"""

from dataclasses import dataclass

import numpy as np

from ..timeseries import trend

SERIES = ("bsp", "ndvi", "ntl")
#: Status given by a significant rise / fall of each series.
RULES = {"bsp": ("active", "closed"), "ndvi": ("closed", "active"), "ntl": ("active", "closed")}


@dataclass
class SeriesTrend:
    """Mann-Kendall of one series per polygon (arrays of length polygons; NaN where not computed)."""

    direction: np.ndarray  # int8: +1, −1, 0
    z: np.ndarray
    p: np.ndarray
    slope: np.ndarray
    n: np.ndarray


def series_matrix(ids, years, values, polygons=None):
    """Long rows (id, year, value) as a (polygons, years) matrix with NaN for missing years.

    ``polygons`` fixes the rows (ids not in it are ignored); by default the
    sorted ids found. Rows with a NaN value are skipped. Returns (polygon ids,
    years sorted, matrix). A (polygon, year) with two values raises ValueError.
    """
    ids = np.asarray(ids, dtype=object).astype(str)
    years = np.asarray(years, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(values)
    polygon_ids = np.unique(ids) if polygons is None else np.asarray(polygons, dtype=object).astype(str)
    order = np.argsort(polygon_ids)
    position = np.searchsorted(polygon_ids[order], ids)
    known = keep & (position < polygon_ids.size)
    known[known] = polygon_ids[order][position[known]] == ids[known]
    rows = order[position[known]]
    year_list, cols = np.unique(years[known], return_inverse=True)
    if np.unique(rows * year_list.size + cols).size != rows.size:
        raise ValueError("a polygon has two values for the same year")
    matrix = np.full((polygon_ids.size, year_list.size), np.nan)
    matrix[rows, cols] = values[known]
    return polygon_ids, year_list, matrix


def series_trend(matrix, years, alpha=0.05, min_valid=4, test=None):
    """Mann-Kendall direction, z, p and Sen's slope of every row of ``matrix``.

    ``test`` is None for the original test (our vectorised kernel, identical to
    pymannkendall.original_test), or a function of one series returning an
    object with ``z`` and ``p`` (e.g. pymannkendall.hamed_rao_modification_test),
    called once per polygon on its valid years.
    """
    mk = trend.mann_kendall(matrix, min_valid)
    slope, _ = trend.sens_slope(matrix, years, min_valid)
    z, p = mk.z.copy(), mk.p.copy()
    if test is not None:
        for i in np.flatnonzero(mk.n >= min_valid):
            series = matrix[i][~np.isnan(matrix[i])]
            result = test(series)
            z[i], p[i] = result.z, result.p
    significant = np.nan_to_num(p, nan=1.0) < alpha
    direction = np.where(significant, np.sign(np.nan_to_num(z)), 0).astype(np.int8)
    return SeriesTrend(direction, z, p, slope, mk.n)


def decide(directions):
    """Seed 001's decision tree.

    Parameters
    ----------
    directions : dict series name → int array (+1, −1, 0); missing series may be absent.

    Returns
    -------
    (status, rule) : arrays of str; rule is the series that decided, or "none".
    """
    size = len(next(iter(directions.values())))
    status = np.full(size, "undefined", dtype=object)
    rule = np.full(size, "none", dtype=object)
    open_ = np.ones(size, dtype=bool)
    for name in SERIES:
        if name not in directions:
            continue
        direction = np.asarray(directions[name])
        rising, falling = RULES[name]
        for sign, label in ((1, rising), (-1, falling)):
            hit = open_ & (direction == sign)
            status[hit] = label
            rule[hit] = f"{name} {'↑' if sign > 0 else '↓'}"
        open_ &= direction == 0
    return status, rule
