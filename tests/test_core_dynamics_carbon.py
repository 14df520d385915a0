"""mineland.core.landcover.dynamics and mineland.core.landcover.carbon against hand computations and seed 000."""

import math

import numpy as np
import pytest

from mineland.core.landcover import carbon, dynamics

# Seed 000 Table 9 (km²), Anshan-Benxi, printed with rows = END (2020), columns = START (1985);
# classes Cropland, Forest, Grassland, Wetland, Water body, Bareland, Construction land.
TABLE9_END_BY_START = np.array(
    [
        [1557.90, 18.93, 1369.08, 0.14, 22.44, 0.02, 0.00],
        [12.85, 6946.87, 285.31, 0.01, 1.11, 0.00, 0.00],
        [765.17, 914.31, 5035.94, 0.20, 17.20, 0.20, 0.00],
        [52.94, 0.82, 38.86, 3.52, 10.07, 0.00, 0.00],
        [45.20, 10.71, 59.59, 0.09, 88.80, 0.02, 0.00],
        [0.72, 0.91, 1.08, 0.00, 0.05, 0.01, 0.00],
        [421.03, 86.09, 847.54, 0.11, 5.45, 0.10, 1108.63],
    ]
)
TABLE9 = TABLE9_END_BY_START.T  # rows = start 1985, columns = end 2020

# Seed 000 Table 4, Anshan-Benxi class areas (km²), classes 1..7
AREA_1985 = np.array([2855.80, 7978.63, 7637.40, 4.07, 145.11, 0.36, 1108.63])
AREA_2020 = np.array([2968.50, 7246.15, 6733.02, 106.21, 204.40, 2.76, 2468.95])


# ------------------------------------------------------------------- dynamics


def test_single_dynamic_degree_by_hand():
    # (150 − 100)/100/10·100 = 5; (25 − 50)/50/10·100 = −5; U_a = 0 → NaN, not inf
    k = dynamics.single_dynamic_degree([0.0, 100.0, 50.0], [10.0, 150.0, 25.0], 10)
    assert math.isnan(k[0])
    np.testing.assert_allclose(k[1:], [5.0, -5.0])


def test_single_dynamic_degree_seed000_table8():
    # Table 8, 1985–2020 change rates (%/a) of Cropland, Forest, Grassland, Water body, Construction
    # land, from Table 4 areas. (Wetland and Bareland are left out: their tiny areas are printed
    # rounded to 0.01 km², which moves K in the first decimal.)
    k = dynamics.single_dynamic_degree(AREA_1985, AREA_2020, 35)
    picked = np.round(k[[0, 1, 2, 4, 6]], 2)
    np.testing.assert_array_equal(picked, [0.11, -0.26, -0.34, 1.17, 3.51])


def test_seed000_table9_row_and_column_sums_are_table4():
    # transposed Table 9: row sums = 1985 areas, column sums = 2020 areas (to the 0.01 rounding)
    np.testing.assert_allclose(TABLE9.sum(axis=1), AREA_1985, atol=0.02)
    np.testing.assert_allclose(TABLE9.sum(axis=0), AREA_2020, atol=0.02)


def test_comprehensive_dynamic_degree_seed000():
    # seed 000 Table 8 prints S = 0.07 for 1985–2020; the text says 25.28 % of the area changed
    assert round(dynamics.comprehensive_dynamic_degree(TABLE9, 35), 2) == 0.07
    assert dynamics.changed_share_pct(TABLE9) == pytest.approx(25.28, abs=0.005)


def test_dynamic_degrees_by_hand_on_2x2():
    m = np.array([[8.0, 2.0], [1.0, 9.0]])
    # S = (2/10 + 1/10)/5 = 0.06
    assert dynamics.comprehensive_dynamic_degree(m, 5) == pytest.approx(0.06)
    # LC = 3/(2·20)/5·100 = 1.5 %/a
    assert dynamics.normalised_dynamic_degree(m, 5) == pytest.approx(1.5)
    # changed share = 3/20 = 15 %
    assert dynamics.changed_share_pct(m) == pytest.approx(15.0)
    p = dynamics.period_dynamics(m, [1, 2], 2000, 2005)
    np.testing.assert_array_equal(p.area_start, [10, 10])
    np.testing.assert_array_equal(p.area_end, [9, 11])
    np.testing.assert_allclose(p.k_pct_per_year, [-2.0, 2.0])  # (9 − 10)/10/5·100, (11 − 10)/10/5·100
    assert (p.s_index, p.lc_pct_per_year, p.changed_pct) == pytest.approx((0.06, 1.5, 15.0))


def test_class_absent_at_start_adds_nothing_to_s():
    # class 2 only appears at the end: S = (4/10)/2 = 0.2; K of class 2 is NaN
    m = np.array([[6.0, 4.0], [0.0, 0.0]])
    assert dynamics.comprehensive_dynamic_degree(m, 2) == pytest.approx(0.2)
    assert math.isnan(dynamics.period_dynamics(m, [1, 2], 2000, 2002).k_pct_per_year[1])


def test_empty_matrix_gives_nan():
    assert math.isnan(dynamics.normalised_dynamic_degree(np.zeros((2, 2)), 5))
    assert math.isnan(dynamics.changed_share_pct(np.zeros((2, 2))))


@pytest.mark.parametrize("start, end", [(2020, 2020), (2020, 1985)])
def test_period_years_must_increase(start, end):
    with pytest.raises(ValueError, match="is not later than"):
        dynamics.period_years(start, end)


@pytest.mark.parametrize(
    "text, count, years",
    [
        ("1985,2000,2020", 3, [1985, 2000, 2020]),
        ("1985; 2000 2020", 3, [1985, 2000, 2020]),
        (" 1985 , 2020 ", 2, [1985, 2020]),
    ],
)
def test_parse_years(text, count, years):
    assert dynamics.parse_years(text, count) == years


@pytest.mark.parametrize(
    "text, count, message",
    [
        ("1985,2000", 3, "2 years given for 3 rasters"),
        ("", 2, "0 years given for 2 rasters"),
        ("2000,1985", 2, "increase strictly"),
        ("1985,1985", 2, "increase strictly"),
        ("1985,2000.5", 2, "whole numbers"),
        ("1985,abc", 2, "whole numbers"),
    ],
)
def test_parse_years_errors(text, count, message):
    with pytest.raises(ValueError, match=message):
        dynamics.parse_years(text, count)


@pytest.mark.parametrize(
    "years, periods",
    [
        ([1985, 2020], [(0, 1)]),
        ([1985, 2000, 2020], [(0, 1), (1, 2), (0, 2)]),
        ([1985, 1990, 2000, 2020], [(0, 1), (1, 2), (2, 3), (0, 3)]),
    ],
)
def test_study_periods(years, periods):
    assert dynamics.study_periods(years) == periods


# --------------------------------------------------------------------- carbon


def test_seed000_table():
    table = carbon.seed000_table()
    # Cropland 5 + 95, Forest 86 + 189, Grassland 21 + 116, the rest 0 Mg/ha
    assert table.density == {1: 100.0, 2: 275.0, 3: 137.0, 4: 0.0, 5: 0.0, 6: 0.0, 7: 0.0}
    assert table.names[2] == "Forest" and table.names[7] == "Construction land"


@pytest.mark.parametrize("areas_km2, total_mt", [(AREA_1985, 352.6), (AREA_2020, 321.2)])
def test_seed000_total_carbon(areas_km2, total_mt):
    # 1985: 2855.80 km² = 285 580 ha × 100 = 28.558 Mt; 797 863 ha × 275 = 219.412 Mt;
    # 763 740 ha × 137 = 104.632 Mt; total 352.60 Mt. 2020 likewise: 29.685 + 199.269 + 92.242 = 321.20 Mt
    density = carbon.densities_for(range(1, 8), carbon.seed000_table())
    total = carbon.carbon_mg(areas_km2 * 1e6, density).sum() / carbon.MG_PER_MT
    assert total == pytest.approx(total_mt, abs=0.05)


def test_carbon_mg_by_hand():
    # 1 ha × 275 + 2.5 ha × 100 = 275 and 250 Mg
    np.testing.assert_allclose(carbon.carbon_mg([10_000.0, 25_000.0], [275.0, 100.0]), [275.0, 250.0])


def test_transition_change_mg_by_hand():
    # Forest → Cropland on 1 ha: 1·(100 − 275) = −175; Cropland → Construction on 2 ha: 2·(0 − 100) = −200;
    # Grassland → Forest on 0.5 ha: 0.5·(275 − 137) = 69
    change = carbon.transition_change_mg([10_000.0, 20_000.0, 5_000.0], [275.0, 100.0, 137.0], [100.0, 0.0, 275.0])
    np.testing.assert_allclose(change, [-175.0, -200.0, 69.0])


def test_parse_carbon_table_bom_semicolons_names_missing_pools():
    text = "\ufeffLUCODE;LULC_Name;C_above;C_soil\n1;Cropland;5;95\n\n2;Forest;86;189\n3;Grassland;21;\n"
    table = carbon.parse_carbon_table(text)
    # c_below and c_dead absent → 0; an empty c_soil cell → 0
    assert table.density == {1: 100.0, 2: 275.0, 3: 21.0}
    assert table.names == {1: "Cropland", 2: "Forest", 3: "Grassland"}


def test_parse_carbon_table_all_pools():
    text = "lucode,c_above,c_below,c_soil,c_dead,name\n5,1.5,2,3,0.5,Water\n7,0,0,0,0,\n"
    table = carbon.parse_carbon_table(text)
    assert table.density == {5: 7.0, 7: 0.0}  # 1.5 + 2 + 3 + 0.5
    assert table.names == {5: "Water"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("code,c_above\n1,5\n", "no 'lucode' column"),
        ("lucode,name\n1,Cropland\n", "none of the pool columns"),
        ("lucode,c_above\n", "header but no rows"),
        ("lucode,c_above\n1,abc\n", "line 2: c_above 'abc' is not a number"),
        ("lucode,c_above\n1,nan\n", "line 2: c_above 'nan' is not a finite number"),
        ("lucode,c_above,c_soil\n1,5,-95\n", "line 2: c_soil = -95 is negative"),
        ("lucode,c_above\n1,5\n2,6\n1,7\n", "line 4: lucode 1 is listed twice"),
        ("lucode,c_above\n1.5,5\n", "line 2: lucode 1.5 is not an integer"),
        ("lucode,c_above\nx,5\n", "line 2: lucode 'x' is not a number"),
    ],
)
def test_parse_carbon_table_errors(text, message):
    with pytest.raises(ValueError, match=message):
        carbon.parse_carbon_table(text)


def test_densities_for_missing_codes():
    table = carbon.CarbonTable({1: 100.0, 2: 275.0})
    assert carbon.missing_codes([1, 2, 9, 8], table) == [8, 9]
    with pytest.raises(ValueError, match="class codes 8, 9 are in the rasters but not in the carbon table"):
        carbon.densities_for([1, 2, 8, 9], table)
    np.testing.assert_array_equal(
        carbon.densities_for([1, 2, 8, 9], table, missing_as_zero=True), [100.0, 275.0, 0.0, 0.0]
    )
    np.testing.assert_array_equal(carbon.densities_for(np.array([2, 1], np.int64), table), [275.0, 100.0])


# ------------------------------------------------------------------ class-group shares (seed 000 Table 5)

SEED000_GROUPS = "Vegetation=1,2,3,4; Bare and built=6,7"
# Table 3 (LGOK and SGOK) and Table 4 (Anshan-Benxi) areas, km², classes 1..7 → Table 5's shares (%)
SEED000_TABLE5 = [
    ([4264.68, 1016.40, 2314.98, 4.45, 92.90, 0.00, 317.70], (94.87, 3.97)),  # LGOK/SGOK 1985
    ([3623.90, 1337.35, 2407.55, 8.79, 105.07, 0.03, 528.41], (92.09, 6.60)),  # LGOK/SGOK 2020
    ([2855.80, 7978.63, 7637.40, 4.07, 145.11, 0.36, 1108.63], (93.64, 5.62)),  # Anshan-Benxi 1985
    ([2968.50, 7246.15, 6733.02, 106.21, 204.40, 2.76, 2468.95], (86.44, 12.53)),  # Anshan-Benxi 2020
]


@pytest.mark.parametrize("areas, printed", SEED000_TABLE5)
def test_group_shares_reproduce_seed000_table5(areas, printed):
    groups = dynamics.parse_groups(SEED000_GROUPS)
    shares = dynamics.group_shares_pct(range(1, 8), areas, groups)
    np.testing.assert_allclose(np.round(shares, 2), printed, atol=0.011)  # the paper rounds its inputs and outputs


@pytest.mark.parametrize(
    "text, message",
    [
        ("Vegetation=1,2; Built=2,7", "class 2 is in group 'Vegetation' and in 'Built'"),
        ("Vegetation=1,1", "class 1 is in group 'Vegetation' and in 'Vegetation'"),
        ("A=1; A=2", "named twice"),
        ("Vegetation", "is not name=codes"),
        ("=1,2", "is not name=codes"),
        ("Veg=1,x", "whole numbers"),
        ("Veg=", "has no class code"),
        (" ; ", "at least one group"),
    ],
)
def test_parse_groups_errors(text, message):
    with pytest.raises(ValueError, match=message):
        dynamics.parse_groups(text)


def test_parse_groups_keeps_order_and_spaces_in_names():
    assert dynamics.parse_groups(" Bare and built = 6, 7 ;Vegetation=1") == [
        ("Bare and built", [6, 7]),
        ("Vegetation", [1]),
    ]
