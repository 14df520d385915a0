"""Desertification sensitivity by graded factors (seed 002 Table 6; METHODS.md §2).

Every factor is graded 1 (low sensitivity) … 4 (high), the grades are summed,
and the sum is classed into low / moderate / relatively high / high.

Grading of a continuous factor with bounds b₁ < b₂ < b₃ (a range "a~b" of
Table 6 includes a and excludes b, as its "<0.2" / "≥0.35" ends imply):
- worse when high: v < b₁ → 1, b₁ ≤ v < b₂ → 2, b₂ ≤ v < b₃ → 3, v ≥ b₃ → 4;
- worse when low:  v < b₁ → 4, b₁ ≤ v < b₂ → 3, b₂ ≤ v < b₃ → 2, v ≥ b₃ → 1.

Two rows of Table 6 cannot be read literally: slope gives 10~25 for
"relatively high" and 5~15 for "moderate" (overlapping) — we use 5~10 for
moderate; the NDVI-trend row gives "<−0.12" for high and "−0.12~−0.17" for
relatively high (out of order) — we read it as high < −0.17, relatively high
−0.17~−0.12, moderate −0.12~0.0025, low ≥ 0.0025.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    bounds: tuple  # b1 < b2 < b3 for continuous factors; () for categorical ones
    worse_when_high: bool = True

    @property
    def categorical(self):
        return not self.bounds


#: Seed 002 Table 6, in its order.
FACTORS = (
    Factor("SOIL_MOISTURE", "Soil moisture content (m³/m³)", (0.2, 0.28, 0.35), False),
    Factor("EVAPOTRANSPIRATION", "Evapotranspiration (mm/month)", (80.0, 130.0, 200.0), True),
    Factor("PRECIPITATION", "Annual precipitation (mm/year)", (200.0, 300.0, 400.0), False),
    Factor("WIND_SPEED", "Average wind speed (m/s)", (2.8, 3.6, 4.7), True),
    Factor("SAND", "Soil sand content (%)", (20.0, 40.0, 70.0), True),
    Factor("SILT", "Soil silt content (%)", (5.0, 22.0, 33.0), True),
    Factor("CLAY", "Soil clay content (%)", (8.0, 19.0, 24.0), False),
    Factor("EROSION", "Soil erosion intensity (codes 1 negligible … 4 severe)", ()),
    Factor("SLOPE", "Slope gradient (°)", (5.0, 10.0, 25.0), True),
    Factor("GEOHAZARD", "Geohazard susceptibility (codes 1 none … 4 high)", ()),
    Factor("NDVI_MEAN", "Multi-year NDVI mean", (0.2, 0.4, 0.6), False),
    Factor("NDVI_TREND", "NDVI change trend (per year)", (-0.17, -0.12, 0.0025), False),
    Factor(
        "MINING_LAND",
        "Land occupied by mining (codes 1 construction, 2 unused, 3 agricultural, 4 forest and grassland)",
        (),
    ),
)

#: Seed 002's fixed breaks of the summed score: low ≤ 28 < moderate ≤ 31 < relatively high ≤ 34 < high.
SEED002_BREAKS = (28.0, 31.0, 34.0)
CLASS_NAMES = {1: "Low", 2: "Moderate", 3: "Relatively high", 4: "High"}


def grade(values, factor, mapping=None):
    """Grades 1–4 (uint8) of a factor's values; 0 where the value is NaN.

    ``mapping`` ({code: grade}) for categorical factors; by default a code 1–4
    is its own grade and other codes get 0 (not graded).
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.zeros(values.shape, dtype=np.uint8)
    valid = np.isfinite(values)
    if factor.categorical:
        mapping = mapping or {1: 1, 2: 2, 3: 3, 4: 4}
        for code, level in mapping.items():
            out[valid & (values == code)] = level
        return out
    level = np.digitize(values[valid], factor.bounds) + 1  # 1 … 4 from low to high values
    out[valid] = level if factor.worse_when_high else 5 - level
    return out


def classify(score, breaks=SEED002_BREAKS):
    """Classes 1 low … 4 high of summed scores: score ≤ b₁ → 1, ≤ b₂ → 2, ≤ b₃ → 3, above → 4; 0 where NaN."""
    score = np.asarray(score, dtype=np.float64)
    if len(breaks) != 3 or any(b >= c for b, c in zip(breaks, breaks[1:])):
        raise ValueError(f"give three increasing class breaks, got {list(breaks)}")
    out = np.zeros(score.shape, dtype=np.uint8)
    valid = np.isfinite(score)
    out[valid] = np.searchsorted(np.asarray(breaks), score[valid], side="left") + 1
    return out


#: Columns of a threshold table (THRESHOLDS_CSV and the THRESHOLDS matrix).
THRESHOLD_COLUMNS = ("factor", "b1", "b2", "b3", "worse")


def threshold_cells(factors=FACTORS):
    """The continuous factors' bounds as a flat list of cells, one row (factor, b1, b2, b3, worse) per factor."""
    cells = []
    for f in factors:
        if not f.categorical:
            cells += [f.key, *f.bounds, "high" if f.worse_when_high else "low"]
    return cells


def factors_from_csv_text(text, factors=FACTORS):
    """Table 6 with rows replaced from CSV text: columns factor, b1, b2, b3, worse (high/low).

    ``factor`` is a factor key (e.g. SLOPE); rows for categorical factors are
    refused. Comma or semicolon separated; the header is case-insensitive.
    """
    from ..io.tables import csv_rows

    rows = csv_rows(text)
    if not rows or not set(THRESHOLD_COLUMNS) <= set(rows[0]):
        raise ValueError("the threshold CSV needs the columns factor, b1, b2, b3, worse (high or low)")
    return _replace_factors(rows[1:], factors, "line", 2)


def factors_from_matrix(cells, factors=FACTORS):
    """Table 6 with rows replaced from a matrix parameter's cells.

    Parameters
    ----------
    cells : list
        The flat list QGIS gives for a matrix: factor, b1, b2, b3, worse, factor, …
        (rows as in :func:`factors_from_csv_text`). An untouched matrix
        (None, [], [None] or blank cells) gives ``factors`` unchanged.
    factors : tuple of Factor
        The table whose rows are replaced.

    Raises
    ------
    ValueError
        When the cells do not make whole rows of 5, or a row fails the checks of
        the CSV rows (unknown or categorical factor, bounds not increasing
        numbers, worse not high or low).
    """
    cells = ["" if c is None or str(c).strip() == "NULL" else str(c) for c in (cells or [])]
    if all(not c.strip() for c in cells):
        return tuple(factors)
    width = len(THRESHOLD_COLUMNS)
    if len(cells) % width:
        raise ValueError(f"give whole rows of factor, b1, b2, b3, worse (5 cells each); got {len(cells)} cells")
    rows = [dict(zip(THRESHOLD_COLUMNS, cells[i : i + width])) for i in range(0, len(cells), width)]
    return _replace_factors(rows, factors, "row", 1)


def _replace_factors(rows, factors, what, first):
    """``factors`` with the rows ({column: text}) replacing their bounds; errors name ``what`` and its number."""
    by_key = {f.key: f for f in factors}
    for number, row in enumerate(rows, start=first):
        where = f"{what} {number}"
        row = {c: row.get(c) or "" for c in THRESHOLD_COLUMNS}  # a short CSV line lacks cells
        key = row["factor"].strip().upper()
        if key not in by_key or by_key[key].categorical:
            raise ValueError(
                f"{where}: '{row['factor']}' is not a continuous factor "
                f"({', '.join(k for k, f in by_key.items() if not f.categorical)})"
            )
        try:
            bounds = tuple(float(row[c]) for c in ("b1", "b2", "b3"))
        except ValueError:
            raise ValueError(
                f"{where}: b1, b2 and b3 must be numbers, got {', '.join(repr(row[c]) for c in ('b1', 'b2', 'b3'))}"
            ) from None
        if not bounds[0] < bounds[1] < bounds[2]:
            raise ValueError(f"{where}: b1 < b2 < b3 is needed, got {bounds}")
        worse = row["worse"].strip().lower()
        if worse not in ("high", "low"):
            raise ValueError(f"{where}: worse must be 'high' or 'low', got '{row['worse']}'")
        by_key[key] = Factor(key, by_key[key].label, bounds, worse == "high")
    return tuple(by_key[f.key] for f in factors)
