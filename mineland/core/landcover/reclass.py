"""Reclassification of land-cover codes by (min, max, value) rules; GLC_FCS30 presets.

A rule maps every input value v with ``min <= v <= max`` (both ends included)
to ``value``; the first matching rule wins, so user rows put before a preset
override it. Values matched by no rule become nodata, or keep their value when
``keep_unmatched`` is set. Seed 000 (7 classes) and seed 001 (4 classes);
METHODS.md §1.
"""

from dataclasses import dataclass

import numpy as np

from ..io.tables import csv_rows

#: Integer inputs are reclassified through a lookup table up to this many codes.
_MAX_LOOKUP = 1 << 20


@dataclass(frozen=True)
class Rule:
    low: float
    high: float
    value: int


SEED000_CLASSES = {
    1: "Cropland",
    2: "Forest",
    3: "Grassland",
    4: "Wetland",
    5: "Water body",
    6: "Bareland",
    7: "Construction land",
}

SEED001_CLASSES = {1: "Mine-related", 2: "Cropland", 3: "Sparse vegetation", 4: "Dense vegetation"}

#: GLC_FCS30 legend → 7 classes of seed 000. Shrubland goes to Forest and
#: permanent ice and snow to Water body (the Chinese LUCC convention that seed
#: 000's classes follow); lichens/mosses and sparse vegetation go to Grassland.
GLC_FCS30_TO_SEED000 = [
    Rule(10, 20, 1),  # rainfed, herbaceous, orchard, irrigated cropland
    Rule(51, 92, 2),  # open/closed evergreen/deciduous broadleaved/needle-leaved, mixed forest
    Rule(120, 122, 2),  # shrubland, evergreen and deciduous shrubland
    Rule(130, 130, 3),  # grassland
    Rule(140, 140, 3),  # lichens and mosses
    Rule(150, 153, 3),  # sparse vegetation, sparse shrubland, sparse herbaceous
    Rule(180, 187, 4),  # wetlands (GLC_FCS30D splits 181-187)
    Rule(190, 190, 7),  # impervious surface
    Rule(200, 202, 6),  # bare, consolidated bare, unconsolidated bare areas
    Rule(210, 210, 5),  # water body
    Rule(220, 220, 5),  # permanent ice and snow
]

#: GLC_FCS30D legend → 4 classes of seed 001 §2.2. Mine-related = impervious,
#: bare (200-202), water and flooded flats (183); dense vegetation = forest,
#: shrubland, grassland and vegetated wetlands (swamp, marsh, mangrove, salt
#: marsh); sparse vegetation = lichens/mosses and sparse vegetation. Saline
#: (184), tidal flats (187) and ice (220) are left unclassified (nodata).
GLC_FCS30D_TO_SEED001 = [
    Rule(183, 183, 1),
    Rule(190, 190, 1),
    Rule(200, 202, 1),
    Rule(210, 210, 1),
    Rule(10, 20, 2),
    Rule(140, 140, 3),
    Rule(150, 153, 3),
    Rule(51, 92, 4),
    Rule(120, 122, 4),
    Rule(130, 130, 4),
    Rule(181, 182, 4),
    Rule(185, 186, 4),
]

#: PRESET enum index → (label, rules, class names). Index 0 is the custom table.
PRESETS = {
    0: ("Custom table", [], {}),
    1: ("GLC_FCS30 → 7 classes (Huang 2024)", GLC_FCS30_TO_SEED000, SEED000_CLASSES),
    2: ("GLC_FCS30D → 4 classes (Xu et al. 2025)", GLC_FCS30D_TO_SEED001, SEED001_CLASSES),
}


def rules_from_rows(values):
    """Rules from a flat list [min, max, value, min, max, value, ...].

    Raises
    ------
    ValueError
        When the count is not a multiple of 3, a cell is not a number, the new
        value is not an integer, or min > max.
    """
    values = list(values or [])
    if all(str(v).strip() == "" for v in values):
        return []  # an untouched matrix widget gives [''] or []
    if len(values) % 3:
        raise ValueError(f"the table needs min, max and value in every row; got {len(values)} cells")
    rules = []
    for i in range(0, len(values), 3):
        rules.append(_rule(values[i : i + 3], f"row {i // 3 + 1}"))
    return rules


def _rule(cells, where):
    try:
        low, high, value = (float(str(c).strip()) for c in cells)
    except ValueError:
        raise ValueError(f"{where}: min, max and value must be numbers, got {list(cells)}") from None
    if not value.is_integer():
        raise ValueError(f"{where}: the new value {value:g} is not an integer class code")
    if low > high:
        raise ValueError(f"{where}: min {low:g} is greater than max {high:g}")
    return Rule(low, high, int(value))


def rules_from_csv_text(text):
    """Rules and class names from CSV text with columns min, max, value[, name].

    A column ``code`` may replace min and max for one-code rows. Comma or
    semicolon separated; a byte-order mark and header case are ignored.
    Returns (rules, {value: name}).
    """
    rows = csv_rows(text)
    if not rows:
        raise ValueError("the table CSV has no rows")
    header = rows[0]
    has_range = "min" in header and "max" in header
    if "value" not in header or not (has_range or "code" in header):
        raise ValueError(f"the table CSV needs columns min, max, value (or code, value); found {sorted(header)}")
    rules, names = [], {}
    for line, row in enumerate(rows[1:], start=2):
        bounds = (row.get("min"), row.get("max")) if has_range else (row.get("code"), row.get("code"))
        rule = _rule((*bounds, row.get("value")), f"CSV line {line}")
        rules.append(rule)
        if row.get("name"):
            names[rule.value] = row["name"]
    if not rules:
        raise ValueError("the table CSV has a header but no rows; add rows of min, max, value (or code, value)")
    return rules, names


def output_values(rules):
    return sorted({r.value for r in rules})


def reclassify(values, rules, valid, nodata_out, out_dtype, keep_unmatched=False):
    """Reclassify one block.

    Parameters
    ----------
    values : ndarray
        Input codes (any numeric type).
    rules : list of Rule
        First match wins; bounds inclusive.
    valid : ndarray of bool
        False where the input is nodata; those pixels get ``nodata_out``.
    nodata_out : int
    out_dtype : numpy dtype
    keep_unmatched : bool
        Keep values no rule matches (default: they become ``nodata_out``).

    Returns
    -------
    ndarray of ``out_dtype``
    """
    if np.issubdtype(values.dtype, np.integer) and values.size:
        out = _reclassify_lookup(values, rules, valid, nodata_out, out_dtype, keep_unmatched)
        if out is not None:
            return out
    return _apply_rules(values, rules, valid, nodata_out, out_dtype, keep_unmatched)


def _reclassify_lookup(values, rules, valid, nodata_out, out_dtype, keep_unmatched):
    """Integer input: one lookup table over the block's value range, one gather."""
    lo, hi = int(values.min()), int(values.max())
    if hi - lo + 1 > _MAX_LOOKUP:
        return None
    codes = np.arange(lo, hi + 1, dtype=np.int64)
    table = _apply_rules(codes, rules, np.ones(codes.shape, bool), nodata_out, out_dtype, keep_unmatched)
    # subtract in intp: in the input's own type (e.g. int16) values − lo can wrap around
    out = table[np.subtract(values, lo, dtype=np.intp)] if lo else table[values]
    out[~valid] = nodata_out
    return out


def _apply_rules(values, rules, valid, nodata_out, out_dtype, keep_unmatched):
    """Apply rules in reverse so that the first matching rule is written last."""
    if keep_unmatched:
        out = values.astype(out_dtype)
    else:
        out = np.full(values.shape, nodata_out, dtype=out_dtype)
    for rule in reversed(rules):
        out[(values >= rule.low) & (values <= rule.high)] = rule.value
    out[~valid] = nodata_out
    return out


def output_class_values(rules, keep_unmatched, input_dtype):
    """Values the output raster must hold: the rules' values, plus the whole
    range of the integer input type when unmatched values are kept."""
    values = set(output_values(rules))
    if keep_unmatched:
        info = np.iinfo(input_dtype)
        values |= {int(info.min), int(info.max)}
    return sorted(values)
