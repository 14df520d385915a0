"""mineland.core.resilience.desertification: every Table 6 row graded at its boundary values (seed 002)."""

import numpy as np
import pytest

from mineland.core.resilience import desertification as model

BY_KEY = {f.key: f for f in model.FACTORS}

# (factor, values just below/at each bound, expected grades): a range a~b includes a and excludes b
CASES = [
    ("SOIL_MOISTURE", [0.19, 0.2, 0.279, 0.28, 0.349, 0.35], [4, 3, 3, 2, 2, 1]),
    ("EVAPOTRANSPIRATION", [79, 80, 129, 130, 199, 200], [1, 2, 2, 3, 3, 4]),
    ("PRECIPITATION", [199, 200, 299, 300, 399, 400], [4, 3, 3, 2, 2, 1]),
    ("WIND_SPEED", [2.79, 2.8, 3.59, 3.6, 4.69, 4.7], [1, 2, 2, 3, 3, 4]),
    ("SAND", [19.9, 20, 39.9, 40, 69.9, 70], [1, 2, 2, 3, 3, 4]),
    ("SILT", [4.9, 5, 21.9, 22, 32.9, 33], [1, 2, 2, 3, 3, 4]),
    ("CLAY", [7.9, 8, 18.9, 19, 23.9, 24], [4, 3, 3, 2, 2, 1]),
    ("SLOPE", [4.9, 5, 9.9, 10, 24.9, 25], [1, 2, 2, 3, 3, 4]),
    ("NDVI_MEAN", [0.19, 0.2, 0.39, 0.4, 0.59, 0.6], [4, 3, 3, 2, 2, 1]),
    ("NDVI_TREND", [-0.18, -0.17, -0.121, -0.12, 0.0024, 0.0025], [4, 3, 3, 2, 2, 1]),
    ("EROSION", [1, 2, 3, 4, 5], [1, 2, 3, 4, 0]),
    ("GEOHAZARD", [4, 1], [4, 1]),
    ("MINING_LAND", [4, 3, 2, 1], [4, 3, 2, 1]),
]


@pytest.mark.parametrize("key, values, expected", CASES)
def test_table6_rows_at_their_bounds(key, values, expected):
    np.testing.assert_array_equal(model.grade(values, BY_KEY[key]), expected)


def test_every_factor_of_table6_is_covered():
    assert {c[0] for c in CASES} == set(BY_KEY) and len(model.FACTORS) == 13


def test_nan_is_ungraded_and_classes_by_fixed_breaks():
    assert model.grade([np.nan], BY_KEY["SAND"])[0] == 0
    np.testing.assert_array_equal(model.classify([22, 28, 28.5, 31, 34, 34.5, np.nan]), [1, 1, 2, 2, 3, 4, 0])
    with pytest.raises(ValueError, match="three increasing"):
        model.classify([30], [31, 28, 34])


def test_thresholds_from_csv():
    factors = {f.key: f for f in model.factors_from_csv_text("\ufefffactor;b1;b2;b3;worse\nslope;5;15;25;high\n")}
    np.testing.assert_array_equal(model.grade([9.9, 15], factors["SLOPE"]), [2, 3])
    assert factors["SAND"] == BY_KEY["SAND"]  # untouched rows keep Table 6
    for text, message in (
        ("factor,b1\nSLOPE,1", "columns"),
        ("factor,b1,b2,b3,worse\nEROSION,1,2,3,high", "not a continuous factor"),
        ("factor,b1,b2,b3,worse\nSLOPE,3,2,1,high", "b1 < b2 < b3"),
        ("factor,b1,b2,b3,worse\nSLOPE,1,2,3,up", "high' or 'low"),
    ):
        with pytest.raises(ValueError, match=message):
            model.factors_from_csv_text(text)


def test_default_threshold_cells_are_table6():
    cells = model.threshold_cells()
    assert cells[:10] == ["SOIL_MOISTURE", 0.2, 0.28, 0.35, "low", "EVAPOTRANSPIRATION", 80.0, 130.0, 200.0, "high"]
    assert len(cells) == 5 * 10  # one row per continuous factor
    assert model.factors_from_matrix(cells) == model.FACTORS


@pytest.mark.parametrize("untouched", [None, [], [None], ["NULL"], ["", ""]])
def test_untouched_matrix_means_table6(untouched):
    assert model.factors_from_matrix(untouched) == model.FACTORS


def test_thresholds_from_matrix():
    cells = model.threshold_cells()
    row = cells.index("SLOPE")
    cells[row : row + 5] = ["slope", "5", "15", "25", "High"]  # as QGIS may give them: strings, any case
    factors = {f.key: f for f in model.factors_from_matrix(cells)}
    assert factors["SLOPE"].bounds == (5.0, 15.0, 25.0) and factors["SLOPE"].worse_when_high
    np.testing.assert_array_equal(model.grade([9.9, 15, 24.9, 25], factors["SLOPE"]), [2, 3, 3, 4])
    assert factors["SAND"] == BY_KEY["SAND"]
    # a single row (e.g. from qgis_process) leaves the other factors at Table 6
    only = {f.key: f for f in model.factors_from_matrix(["CLAY", 1, 2, 3, "high"])}
    assert only["CLAY"].bounds == (1.0, 2.0, 3.0) and only["SILT"] == BY_KEY["SILT"]


@pytest.mark.parametrize(
    "cells, message",
    [
        (["SLOPE", 5, 15, 25], "whole rows .* got 4 cells"),
        (["ROCKS", 1, 2, 3, "high"], "row 1: 'ROCKS' is not a continuous factor"),
        (["SAND", 1, 2, 3, "high", "MINING_LAND", 1, 2, 3, "high"], "row 2: 'MINING_LAND' is not a continuous"),
        (["SLOPE", 5, "x", 25, "high"], "row 1: b1, b2 and b3 must be numbers"),
        (["SLOPE", 5, 25, 15, "high"], r"row 1: b1 < b2 < b3"),
        (["SLOPE", 5, 15, 25, "up"], "row 1: worse must be 'high' or 'low'"),
    ],
)
def test_bad_matrix(cells, message):
    with pytest.raises(ValueError, match=message):
        model.factors_from_matrix(cells)


def test_short_csv_line_is_a_clear_error():
    with pytest.raises(ValueError, match="line 2: b1, b2 and b3 must be numbers"):
        model.factors_from_csv_text("factor,b1,b2,b3,worse\nSLOPE,5,15\n")
