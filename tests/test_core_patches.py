"""mineland.core.spatial.patches against hand computations."""

import math

import numpy as np
import pytest

from mineland.core.spatial import patches


def test_summary_by_hand():
    areas = [0.01, 0.05, 2.0, 0.3]  # km²
    perimeters = [0.4, 1.0, 6.0, 2.0]  # km
    s = patches.summarise(areas, perimeters, thresholds_km2=(0.024, 0.1, 1.0))
    assert s.patches == 4 and s.area_km2 == pytest.approx(2.36)
    assert s.mean_area_km2 == pytest.approx(0.59)
    assert s.geomean_area_km2 == pytest.approx((0.01 * 0.05 * 2.0 * 0.3) ** 0.25)
    assert s.std_area_km2 == pytest.approx(np.std(areas, ddof=1))
    assert (s.min_area_km2, s.max_area_km2) == (0.01, 2.0)
    assert s.perimeter_km == pytest.approx(9.4) and s.mean_perimeter_km == pytest.approx(2.35)
    # below 0.1 km²: 2 of 4 patches, 0.06 of 2.36 km²
    assert s.patches_below_pct[0.1] == 50.0 and s.area_below_pct[0.1] == pytest.approx(0.06 / 2.36 * 100)
    assert s.patches_below_pct[0.024] == 25.0 and s.patches_below_pct[1.0] == 75.0


def test_zero_area_patch_is_left_out_of_the_geometric_mean_only():
    s = patches.summarise([0.0, 4.0, 1.0], [0.0, 8.0, 4.0])
    assert s.patches == 3 and s.geomean_area_km2 == pytest.approx(2.0)
    assert math.isnan(patches.summarise([3.0], [7.0]).std_area_km2)  # one patch: no sample SD


def test_groups_sorted_with_null_group_and_overall_last():
    summaries = patches.summarise_groups([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1], ["b", "a", None, "b"])
    assert [s.group for s in summaries] == ["a", "b", "(no group)", None]
    assert [s.patches for s in summaries] == [1, 2, 1, 4]
    assert summaries[1].area_km2 == 5.0


@pytest.mark.parametrize("text, expected", [("1, 0.1;0.024", [0.024, 0.1, 1.0]), ("5,5", [5.0])])
def test_parse_thresholds(text, expected):
    assert patches.parse_thresholds(text) == expected


@pytest.mark.parametrize("text", ["0.1, x", "0, 1", "-1"])
def test_parse_thresholds_errors(text):
    with pytest.raises(ValueError):
        patches.parse_thresholds(text)


def test_errors_and_labels():
    with pytest.raises(ValueError, match="no patches"):
        patches.summarise([], [])
    with pytest.raises(ValueError, match="≥ 0"):
        patches.summarise([-1.0], [1.0])
    assert patches.threshold_label(0.024) == "0_024" and patches.threshold_label(1000.0) == "1000"
