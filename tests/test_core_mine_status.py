"""mineland.core.mines.mine_status: seed 001's decision tree and the per-polygon trends."""

import numpy as np
import pymannkendall
import pytest

from mineland.core.mines import mine_status


@pytest.mark.parametrize(
    "bsp, ndvi, ntl, status, rule",
    [
        (-1, 1, 1, "closed", "bsp ↓"),  # BSP decides first, whatever the others say
        (1, 1, -1, "active", "bsp ↑"),
        (0, 1, 1, "closed", "ndvi ↑"),
        (0, -1, -1, "active", "ndvi ↓"),
        (0, 0, 1, "active", "ntl ↑"),
        (0, 0, -1, "closed", "ntl ↓"),
        (0, 0, 0, "undefined", "none"),
    ],
)
def test_every_branch_of_the_tree(bsp, ndvi, ntl, status, rule):
    got_status, got_rule = mine_status.decide({"bsp": [bsp], "ndvi": [ndvi], "ntl": [ntl]})
    assert (got_status[0], got_rule[0]) == (status, rule)


def test_missing_series_are_skipped():
    status, rule = mine_status.decide({"ntl": np.array([1, 0])})
    assert list(status) == ["active", "undefined"] and list(rule) == ["ntl ↑", "none"]


def test_series_matrix_from_long_rows():
    ids, years, matrix = mine_status.series_matrix(["b", "a", "a", "b"], [2019, 2018, 2020, 2018], [1, 2, 3, 4])
    assert list(ids) == ["a", "b"] and list(years) == [2018, 2019, 2020]
    np.testing.assert_array_equal(matrix, [[2, np.nan, 3], [4, 1, np.nan]])
    with pytest.raises(ValueError, match="two values for the same year"):
        mine_status.series_matrix(["a", "a"], [2018, 2018], [1, 2])
    # a missing value does not count as a second one; fixed polygon rows keep their order
    ids, _, matrix = mine_status.series_matrix(["a", "a", "c"], [2018, 2018, 2019], [1, np.nan, 5], ["c", "b", "a"])
    assert list(ids) == ["c", "b", "a"]
    np.testing.assert_array_equal(matrix, [[np.nan, 5], [np.nan, np.nan], [1, np.nan]])


def test_series_trend_matches_pymannkendall():
    rng = np.random.default_rng(5)
    years = np.arange(2018.0, 2024.0)
    matrix = np.vstack([np.arange(6.0), -(np.arange(6.0) ** 2), rng.normal(size=6), [1, 2, np.nan, np.nan, 3, 4]])
    result = mine_status.series_trend(matrix, years, alpha=0.05, min_valid=4)
    for i, row in enumerate(matrix):
        ref = pymannkendall.original_test(row)
        assert result.p[i] == pytest.approx(ref.p, abs=1e-12) and result.z[i] == pytest.approx(ref.z, abs=1e-12)
        assert result.direction[i] == (np.sign(ref.z) if ref.p < 0.05 else 0)
    assert list(result.direction[:2]) == [1, -1]


def test_modified_test_and_short_series():
    years = np.arange(2000.0, 2012.0)
    matrix = np.vstack([np.arange(12.0) + np.sin(np.arange(12.0)), [1.0, 2.0, 3.0] + [np.nan] * 9])
    result = mine_status.series_trend(matrix, years, min_valid=4, test=pymannkendall.hamed_rao_modification_test)
    ref = pymannkendall.hamed_rao_modification_test(matrix[0])
    assert result.p[0] == pytest.approx(ref.p) and result.direction[0] == 1
    assert result.direction[1] == 0 and np.isnan(result.p[1])  # 3 valid years < 4: no trend
