"""Carbon stock from class areas and carbon densities (seed 000; METHODS.md §1).

P = S × (C_above + C_below + C_soil + C_dead)

S is the class area in hectares (hm²), the densities are in Mg/ha (t/ha), so P
is in Mg (t); 1 Mt = 10⁶ Mg. The density table follows InVEST's biophysical
table: ``lucode, c_above, c_below, c_soil, c_dead`` (missing pools = 0).
"""

from dataclasses import dataclass, field

import numpy as np

from ..io.tables import csv_rows
from .reclass import SEED000_CLASSES

POOLS = ("c_above", "c_below", "c_soil", "c_dead")
NAME_COLUMNS = ("lulc_name", "lulc_desc", "name", "class_name")

M2_PER_HA = 10_000.0
MG_PER_MT = 1_000_000.0


@dataclass
class CarbonTable:
    """Total carbon density per class code (Mg/ha) and optional class names."""

    density: dict
    names: dict = field(default_factory=dict)


def seed000_table():
    """Seed 000 Table 2: vegetation + soil carbon density (Mg/ha) of the 7 classes.

    Forest 86 + 189, Grassland 21 + 116, Cropland 5 + 95; Wetland, Water body,
    Bareland and Construction land 0.
    """
    above = {1: 5.0, 2: 86.0, 3: 21.0}
    soil = {1: 95.0, 2: 189.0, 3: 116.0}
    density = {code: above.get(code, 0.0) + soil.get(code, 0.0) for code in SEED000_CLASSES}
    return CarbonTable(density, dict(SEED000_CLASSES))


def parse_carbon_table(text):
    """A :class:`CarbonTable` from CSV text in InVEST's biophysical form.

    Comma or semicolon separated, headers case-insensitive, a byte-order mark
    ignored. Needs ``lucode`` and at least one pool column.

    Raises
    ------
    ValueError
        No lucode column, no pool column, a non-integer lucode, a lucode listed
        twice, a non-numeric or negative density — naming the line.
    """
    rows = csv_rows(text)
    if not rows:
        raise ValueError("the carbon table is empty")
    header = rows[0]
    if "lucode" not in header:
        raise ValueError(f"the carbon table has no 'lucode' column (columns found: {', '.join(header) or 'none'})")
    pools = [p for p in POOLS if p in header]
    if not pools:
        raise ValueError(f"the carbon table has none of the pool columns {', '.join(POOLS)} (Mg/ha)")
    name_col = next((c for c in NAME_COLUMNS if c in header), None)
    density, names = {}, {}
    for line, row in enumerate(rows[1:], start=2):
        code = _number(row.get("lucode"), "lucode", line)
        if not code.is_integer():
            raise ValueError(f"carbon table line {line}: lucode {code:g} is not an integer class code")
        code = int(code)
        if code in density:
            raise ValueError(f"carbon table line {line}: lucode {code} is listed twice")
        total = 0.0
        for pool in pools:
            value = _number(row.get(pool) or "0", pool, line)
            if value < 0:
                raise ValueError(f"carbon table line {line}: {pool} = {value:g} is negative; densities are Mg/ha ≥ 0")
            total += value
        density[code] = total
        if name_col and row.get(name_col):
            names[code] = row[name_col]
    if not density:
        raise ValueError("the carbon table has a header but no rows")
    return CarbonTable(density, names)


def _number(cell, column, line):
    try:
        value = float(str(cell).strip())
    except (TypeError, ValueError):
        raise ValueError(f"carbon table line {line}: {column} '{cell}' is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"carbon table line {line}: {column} '{cell}' is not a finite number")
    return value


def missing_codes(classes, table):
    """Class codes present in the rasters but absent from the table."""
    return sorted(int(c) for c in classes if int(c) not in table.density)


def densities_for(classes, table, missing_as_zero=False):
    """Density (Mg/ha) of each class; ValueError naming absent codes unless ``missing_as_zero``."""
    absent = missing_codes(classes, table)
    if absent and not missing_as_zero:
        raise ValueError(
            f"class codes {', '.join(map(str, absent))} are in the rasters but not in the carbon table; "
            "add rows for them or choose to count them as 0 Mg/ha"
        )
    return np.array([table.density.get(int(c), 0.0) for c in classes], dtype=np.float64)


def carbon_mg(area_m2, density_mg_per_ha):
    """Carbon stock in Mg: area (m² → ha) × density (Mg/ha)."""
    return np.asarray(area_m2, dtype=np.float64) / M2_PER_HA * np.asarray(density_mg_per_ha, dtype=np.float64)


def transition_change_mg(area_m2, density_from, density_to):
    """Carbon change of each from→to transition, Mg: area (ha) × (C_to − C_from)."""
    return carbon_mg(area_m2, np.asarray(density_to) - np.asarray(density_from))
