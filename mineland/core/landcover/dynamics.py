"""Land-use dynamic degrees K, S and LC (seed 000; METHODS.md §1).

All functions take class areas or a transfer matrix (rows = start class,
columns = end class, any one area unit) and the period length T in years.
"""

import re
from dataclasses import dataclass

import numpy as np

from ..io.tables import parse_list

#: A four-digit year 1900–2100 standing alone (no digit right before or after it): "LC_2005", "2005 (Landsat)".
_YEAR_IN_LABEL = re.compile(r"(?<![0-9])(?:19[0-9]{2}|20[0-9]{2}|2100)(?![0-9])")


def period_years(year_start, year_end):
    """T = t_b − t_a; ValueError unless the end year is later."""
    span = float(year_end) - float(year_start)
    if span <= 0:
        raise ValueError(f"year {year_end:g} is not later than {year_start:g}")
    return span


def single_dynamic_degree(area_start, area_end, years):
    """Single land-use dynamic degree K of each class, in % per year.

    K = (U_b − U_a) / U_a × 1/T × 100 %

    Parameters
    ----------
    area_start, area_end : array_like
        U_a and U_b, the class areas at the start and end (same unit).
    years : float
        T, the period length in years.

    Returns
    -------
    ndarray of float64
        NaN where U_a = 0 (K is undefined there, not infinite).
    """
    u_a = np.asarray(area_start, dtype=np.float64)
    u_b = np.asarray(area_end, dtype=np.float64)
    k = np.full(u_a.shape, np.nan)
    has_start = u_a > 0
    k[has_start] = (u_b[has_start] - u_a[has_start]) / u_a[has_start] / years * 100.0
    return k


def comprehensive_dynamic_degree(matrix, years):
    """Comprehensive land-use dynamic degree S as seed 000 defines and uses it.

    S = ( Σ_i ΔU_{i→other} / U_i ) × 1/T

    ΔU_{i→other} is the off-diagonal sum of row i of the transfer matrix (area
    of class i at the start that is another class at the end), U_i the row sum
    (area of class i at the start). Classes absent at the start add nothing.
    S is a fraction per year (seed 000 Table 8 prints 0.07 for Anshan-Benxi
    1985–2020).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    u_i = matrix.sum(axis=1)
    lost = u_i - np.diag(matrix)
    present = u_i > 0
    return float(np.sum(lost[present] / u_i[present]) / years)


def normalised_dynamic_degree(matrix, years):
    """Normalised comprehensive dynamic degree LC (Liu et al.), in % per year.

    LC = Σ_i ΔU_{i→other} / (2 Σ_i U_i) × 1/T × 100 %
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    total = matrix.sum()
    if total <= 0:
        return float("nan")
    lost = total - np.trace(matrix)
    return float(lost / (2.0 * total) / years * 100.0)


def changed_share_pct(matrix):
    """Share of the area whose class differs between the dates, in %."""
    matrix = np.asarray(matrix, dtype=np.float64)
    total = matrix.sum()
    return float((total - np.trace(matrix)) / total * 100.0) if total > 0 else float("nan")


@dataclass
class PeriodDynamics:
    """Dynamic degrees of one period over ``classes`` (areas in the matrix's unit)."""

    year_start: float
    year_end: float
    classes: np.ndarray
    area_start: np.ndarray
    area_end: np.ndarray
    k_pct_per_year: np.ndarray
    s_index: float
    lc_pct_per_year: float
    changed_pct: float


def period_dynamics(matrix, classes, year_start, year_end):
    """All dynamic degrees of one period from its transfer matrix."""
    years = period_years(year_start, year_end)
    matrix = np.asarray(matrix, dtype=np.float64)
    area_start, area_end = matrix.sum(axis=1), matrix.sum(axis=0)
    return PeriodDynamics(
        year_start,
        year_end,
        np.asarray(classes),
        area_start,
        area_end,
        single_dynamic_degree(area_start, area_end, years),
        comprehensive_dynamic_degree(matrix, years),
        normalised_dynamic_degree(matrix, years),
        changed_share_pct(matrix),
    )


def parse_years(text, count):
    """Years from a comma/semicolon/space separated text.

    Raises
    ------
    ValueError
        When a year is not a whole number, the count differs from ``count`` or the
        years are not strictly increasing.
    """
    years = parse_list(
        text,
        int,
        f"years must be whole numbers separated by commas, e.g. 1985,2000,2020; got '{text}'",
        separators=",; ",
    )
    if len(years) != count:
        raise ValueError(f"{len(years)} years given for {count} rasters; give one year per raster, in the same order")
    if any(b <= a for a, b in zip(years, years[1:])):
        raise ValueError(f"years must increase strictly in the order of the rasters, got {text}")
    return years


def years_in_labels(labels):
    """The one year each label holds, in order: for YEARS left empty, from band descriptions or file names.

    A year is a four-digit number 1900–2100 with no digit right before or after it,
    so "GLC_FCS30D_2005", "2005" and "NDVI 2005 (Landsat)" give 2005, while
    "E110N40" and "20002022" hold none.

    Raises
    ------
    ValueError
        Naming the first label that holds no year or several, or when the years do
        not increase strictly in the order of the labels.
    """
    years = []
    for label in labels:
        found = _YEAR_IN_LABEL.findall(str(label or ""))
        if len(found) != 1:
            holds = f"{len(found)} years ({', '.join(found)})" if found else "no year"
            raise ValueError(f"'{label or ''}' holds {holds}")
        years.append(int(found[0]))
    if not years:
        raise ValueError("there is nothing to read the years from")
    if any(b <= a for a, b in zip(years, years[1:])):
        raise ValueError(f"the years {', '.join(map(str, years))} do not increase in the order given")
    return years


def study_periods(years):
    """(i, j) index pairs: every consecutive pair, then first→last when there are 3+ dates."""
    pairs = [(i, i + 1) for i in range(len(years) - 1)]
    if len(years) > 2:
        pairs.append((0, len(years) - 1))
    return pairs


def parse_groups(text):
    """Class groups from 'name=codes; name=codes', e.g. 'Vegetation=1,2,3,4; Bare and built=6,7'.

    Returns a list of (name, [codes]) in the order given. ValueError when a part
    is not name=codes, a code is not a whole number, a name repeats, or a code
    belongs to two groups (its area would count twice).
    """
    groups, owner = [], {}
    for part in str(text or "").split(";"):
        if not part.strip():
            continue
        name, equals, codes_text = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ValueError(f"'{part.strip()}' is not name=codes (e.g. Vegetation=1,2,3,4)")
        codes = parse_list(codes_text, int, f"the codes of group '{name}' must be whole numbers separated by commas")
        if not codes:
            raise ValueError(f"group '{name}' has no class code")
        if any(name == other for other, _ in groups):
            raise ValueError(f"group '{name}' is named twice")
        for code in codes:
            if code in owner:
                raise ValueError(
                    f"class {code} is in group '{owner[code]}' and in '{name}'; a class may belong to one group only"
                )
            owner[code] = name
        groups.append((name, codes))
    if not groups:
        raise ValueError("give at least one group as name=codes, e.g. Vegetation=1,2,3,4")
    return groups


def group_shares_pct(classes, areas, groups):
    """Share (%) of the total area (every class with data, grouped or not) in each group (seed 000 Table 5)."""
    classes = np.asarray(classes)
    areas = np.asarray(areas, dtype=np.float64)
    total = areas.sum()
    if total <= 0:
        raise ValueError("no area with data")
    return np.array([areas[np.isin(classes, codes)].sum() / total * 100.0 for _, codes in groups])


def class_series(classes_per_date, values_per_date):
    """The union of the classes (sorted) and a (classes, dates) array of their values, 0 where a class is absent."""
    classes = np.unique(np.concatenate([np.asarray(c) for c in classes_per_date]))
    table = np.zeros((classes.size, len(values_per_date)))
    for d, (codes, values) in enumerate(zip(classes_per_date, values_per_date)):
        table[np.searchsorted(classes, codes), d] = values
    return classes, table
