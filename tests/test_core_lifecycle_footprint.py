"""Life-cycle stage rules on crafted series, and seed 003's production scaling of the affected area."""

import numpy as np
import pytest

from mineland.core.mines import footprint, lifecycle


def stages(values, years=None, **settings):
    years = list(range(2000, 2000 + len(values))) if years is None else years
    return lifecycle.life_cycle(years, values, **dict({"window": 1}, **settings)).stages.tolist()


def test_every_stage_of_a_full_cycle():
    # M = 101, initial below 20.2; growth 2, 1, 0.5, 0.111 → accelerated; 0.0099, 0 → late stable;
    # 70 and 40 < 0.8 · 101 → decline
    values = [1, 2, 10, 30, 60, 90, 100, 101, 101, 70, 40]
    assert stages(values) == [1, 1, 1, 2, 2, 2, 2, 4, 4, 5, 5]
    cycle = lifecycle.life_cycle(range(2000, 2011), values, window=1)
    assert cycle.current_stage == 5
    assert cycle.growth[4] == pytest.approx(1.0) and np.isnan(cycle.growth[0])
    assert cycle.peak_share[-1] == pytest.approx(40 / 101)


def test_early_stable_is_slow_growth_and_the_first_year_is_late_stable():
    # growth 0.04 and 0.0288: between 2 % and 10 % → early stable; the first year has no growth → late
    assert stages([50, 52, 53.5]) == [4, 3, 3]


def test_growth_from_zero_is_accelerated_and_zero_years_are_initial():
    cycle = lifecycle.life_cycle([2000, 2001, 2002, 2003], [0, 0, 5, 10], window=1)
    assert cycle.stages.tolist() == [1, 1, 2, 2]
    assert np.isinf(cycle.growth[2]) and cycle.growth[1] == 0.0


def test_gaps_divide_growth_by_the_years_between():
    cycle = lifecycle.life_cycle([2000, 2002, 2003], [10, 12.1, 12.1], window=1)
    assert cycle.growth[1] == pytest.approx(0.105)  # 21 % over two years
    assert cycle.stages.tolist() == [4, 2, 4]


def test_missing_values_are_dropped_and_years_sorted():
    cycle = lifecycle.life_cycle([2003, 2001, 2002, 2000], [100, np.nan, 90, 80], window=1)
    assert cycle.years.tolist() == [2000, 2002, 2003]
    assert cycle.growth[1] == pytest.approx(0.0625)  # (90 − 80)/80 over two years


def test_moving_average_uses_the_years_present():
    smoothed = lifecycle.moving_average(np.arange(2000.0, 2005.0), np.array([0, 3, 6, 9, 12.0]), 3)
    np.testing.assert_allclose(smoothed, [1.5, 3, 6, 9, 10.5])
    smoothed = lifecycle.moving_average(np.array([2000.0, 2002.0, 2003.0]), np.array([3, 6, 9.0]), 3)
    np.testing.assert_allclose(smoothed, [3, 7.5, 7.5])  # 2000 has no neighbour within a year


def test_smoothing_removes_a_one_year_dip():
    values = [10, 40, 80, 100, 100, 60, 100, 100]
    assert stages(values)[5] == 5  # unsmoothed the dip reads as decline
    assert 5 not in stages(values, window=3)[:7]


@pytest.mark.parametrize(
    "years, values, settings, message",
    [
        ([2000, 2001], [1, -1], {}, "negative"),
        ([2000, 2000], [1, 2], {}, "year 2000 appears twice"),
        ([2000], [np.nan], {}, "no value"),
        ([2000], [1], {"window": 0}, "window"),
        ([2000], [1], {"slow_growth": 0.2}, "SLOW_GROWTH < FAST_GROWTH"),
        ([2000], [1], {"decline_share": 0}, "DECLINE_SHARE"),
    ],
)
def test_bad_series(years, values, settings, message):
    with pytest.raises(ValueError, match=message):
        lifecycle.life_cycle(years, values, **settings)


# ---------------------------------------------------------------- seed 003 scaling

SEED003_AREAS_KM2 = [469.30, 127.20, 238.80, 326.90, 517.40]  # Huolinhe, Yimin, Yuanbaoshan, Jungar, Pingshuo


def test_seed003_country_estimate():
    pooled = footprint.scale_area([sum(SEED003_AREAS_KM2)], [142.0], 1060.0)
    assert sum(SEED003_AREAS_KM2) == pytest.approx(1679.60)
    assert pooled.ratio == pytest.approx(1679.60 / 142.0)
    assert pooled.estimate == pytest.approx(12537.86, abs=0.01)  # with the printed 142 Mt
    assert footprint.scale_area([1679.60], [142.4], 1060.0).estimate == pytest.approx(12502.37, abs=0.3)
    assert np.isnan(pooled.boot_low) and pooled.low == pooled.high == pooled.estimate


def test_spread_and_bootstrap_by_hand():
    result = footprint.scale_area([10.0, 30.0], [1.0, 2.0], 100.0, replicates=20000, seed=1)
    assert result.ratio == pytest.approx(40 / 3)
    assert (result.low, result.high) == pytest.approx((1000.0, 1500.0))
    # resamples are {a,a} (ratio 10), {b,b} (15) or one of each (40/3); 95 % interval spans 10 … 15
    assert (result.boot_low, result.boot_high) == pytest.approx((1000.0, 1500.0))
    again = footprint.scale_area([10.0, 30.0], [1.0, 2.0], 100.0, replicates=20000, seed=1)
    assert again.boot_low == result.boot_low


@pytest.mark.parametrize(
    "areas, productions, total, message",
    [
        ([], [], 1.0, "at least one"),
        ([-1.0], [1.0], 1.0, "≥ 0"),
        ([1.0], [0.0], 1.0, "productions must be > 0"),
        ([1.0], [1.0], 0.0, "total production must be > 0"),
    ],
)
def test_scaling_bad_input(areas, productions, total, message):
    with pytest.raises(ValueError, match=message):
        footprint.scale_area(areas, productions, total)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (10.0, 19.9, 1),  # gain under 10 points: terrestrial → terrestrial
        (0.0, 60.0, 2),  # a large gain ending above half water: terrestrial → aquatic
        (5.0, 50.0, 2),  # exactly the aquatic share
        (0.0, 25.0, 3),  # a large gain, still mostly land: amphibious
        (40.0, 30.0, 1),  # water lost
    ],
)
def test_succession_type_rules(start, end, expected):
    assert lifecycle.succession_type(start, end, gain_pct=10.0, aquatic_pct=50.0) == expected


def test_succession_type_bad_thresholds():
    with pytest.raises(ValueError, match="aquatic share"):
        lifecycle.succession_type(0, 0, 10.0, 0.0)
