"""mineland.core.timeseries.trend, mineland.core.timeseries.mlri, mineland.core.engine.stack's block helpers, and the
trend and MLRI rasters of the engine (scaleout.write_trend_rasters / write_mlri_raster on a runner.LocalExecutor).

References: pymannkendall (original_test, sens_slope), brute-force pair loops,
np.nanmedian, and a plain per-series R/S loop written from METHODS.md §3.
No QGIS here.
"""

import decimal
import warnings
from fractions import Fraction

import numpy as np
import pymannkendall
import pytest
from osgeo import gdal
from scipy.special import ndtr

from mineland.core.engine import runner, scaleout, stack
from mineland.core.io import raster_io
from mineland.core.timeseries import mlri as mlri_module
from mineland.core.timeseries import trend
from mineland.core.timeseries.mlri import mlri
from mineland.core.timeseries.trend import (
    critical_z,
    hurst_rs,
    mann_kendall,
    restoration_classes,
    row_nanmedian,
    sens_slope,
    trend_statistics,
)
from rasters import write_raster

TIGHT = 1e-12
CRITICAL_05 = 1.959963984540054
YEARS_NO_2012 = np.array([y for y in range(2000, 2020) if y != 2012], dtype=float)  # 19 steps


def close(actual, expected, tol=TIGHT):
    """|actual − expected| ≤ tol, relative to |expected| when that is above 1."""
    return abs(float(actual) - float(expected)) <= tol * max(1.0, abs(float(expected)))


def with_holes(rng, series, holes):
    out = np.array(series, dtype=float)
    out[rng.choice(out.size, size=holes, replace=False)] = np.nan
    return out


def mk_series(seed=20240601):
    """(label, series) of many kinds: random, tied, constant, with holes, at every length used."""
    rng = np.random.default_rng(seed)
    cases = []
    for n in (5, 10, 20, 38):
        for k in range(6):
            cases.append((f"normal n={n} #{k}", rng.normal(size=n)))
            cases.append((f"trend n={n} #{k}", rng.normal(size=n) + 0.1 * k * np.arange(n)))
            cases.append((f"tied n={n} #{k}", np.round(rng.normal(scale=1.5, size=n))))
            cases.append((f"few levels n={n} #{k}", rng.integers(0, 3, size=n).astype(float)))
            if n >= 10:
                cases.append((f"holes n={n} #{k}", with_holes(rng, rng.normal(size=n), n // 4)))
                cases.append(
                    (f"tied holes n={n} #{k}", with_holes(rng, rng.integers(0, 4, size=n).astype(float), n // 5))
                )
        cases.append((f"constant n={n}", np.full(n, 2.5)))
        cases.append((f"constant 0.1 n={n}", np.full(n, 0.1)))
        cases.append((f"increasing n={n}", np.arange(n, dtype=float)))
        cases.append((f"decreasing n={n}", -(np.arange(n, dtype=float) ** 2)))
    cases.append(("constant with holes", np.array([7.0, np.nan, 7.0, 7.0, np.nan, 7.0, 7.0])))
    cases.append(("first and last missing", np.array([np.nan, 1.0, 3.0, 2.0, 5.0, 4.0, np.nan])))
    return cases


MK_CASES = mk_series()


def assert_mk_equal(ours, index, ref, n_valid, label):
    assert ours.s[index] == ref.s, label
    assert close(ours.var_s[index], ref.var_s), (label, ours.var_s[index], ref.var_s)
    assert close(ours.z[index], ref.z), (label, ours.z[index], ref.z)
    assert abs(ours.p[index] - ref.p) <= 1e-9, (label, ours.p[index], ref.p)
    assert close(ours.tau[index], ref.Tau), (label, ours.tau[index], ref.Tau)
    assert ours.n[index] == n_valid, label


# ------------------------------------------------------------------ Mann-Kendall


@pytest.mark.parametrize("label, series", MK_CASES, ids=[c[0] for c in MK_CASES])
def test_mann_kendall_matches_pymannkendall(label, series):
    ref = pymannkendall.original_test(series)
    ours = mann_kendall(series, min_valid=4)
    assert_mk_equal(ours, 0, ref, np.count_nonzero(~np.isnan(series)), label)


@pytest.mark.parametrize("n", [5, 10, 20, 38])
def test_mann_kendall_block_of_mixed_rows_matches_row_by_row(n):
    """Tied and untied rows, holes and constants in one block: the tie term is computed on a subset of rows."""
    rng = np.random.default_rng(n)
    rows = []
    for k in range(60):
        kind = k % 5
        if kind == 0:
            row = rng.normal(size=n)
        elif kind == 1:
            row = np.round(rng.normal(size=n) * 2)
        elif kind == 2:
            row = with_holes(rng, rng.normal(size=n), rng.integers(0, n - 4))
        elif kind == 3:
            row = with_holes(rng, rng.integers(0, 3, size=n).astype(float), rng.integers(0, n - 4))
        else:
            row = np.full(n, float(k))
        rows.append(row)
    block = np.array(rows)
    ours = mann_kendall(block, min_valid=4)
    for i, row in enumerate(block):
        assert_mk_equal(ours, i, pymannkendall.original_test(row), np.count_nonzero(~np.isnan(row)), f"row {i}")


@pytest.mark.parametrize("length", [5, 12, 20])
def test_mann_kendall_constant_series(length):
    ours = mann_kendall(np.full((3, length), -4.25), min_valid=4)
    np.testing.assert_array_equal(ours.s, 0)
    np.testing.assert_array_equal(ours.var_s, 0)
    np.testing.assert_array_equal(ours.z, 0)
    np.testing.assert_array_equal(ours.p, 1)
    np.testing.assert_array_equal(ours.tau, 0)
    ref = pymannkendall.original_test(np.full(length, -4.25))
    assert (ref.s, ref.var_s, ref.z, ref.p) == (0, 0, 0, 1)


@pytest.mark.parametrize("min_valid", [2, 4, 8])
def test_mann_kendall_min_valid_boundary(min_valid):
    rng = np.random.default_rng(min_valid)
    steps = 12
    at = rng.normal(size=steps)
    at[rng.choice(steps, steps - min_valid, replace=False)] = np.nan  # exactly min_valid values
    below = rng.normal(size=steps)
    below[rng.choice(steps, steps - min_valid + 1, replace=False)] = np.nan  # one fewer
    ours = mann_kendall(np.array([at, below]), min_valid=min_valid)
    assert_mk_equal(ours, 0, pymannkendall.original_test(at), min_valid, "at min_valid")
    for name in ("s", "var_s", "z", "p", "tau"):
        assert np.isnan(getattr(ours, name)[1]), name
    assert ours.n[1] == min_valid - 1


def test_mann_kendall_never_below_two_values():
    """min_valid < 2 still leaves 0- and 1-value pixels NaN (no pairs, no test)."""
    block = np.array([[np.nan, 3.0, np.nan, np.nan], [np.nan] * 4, [1.0, np.nan, 2.0, np.nan]])
    ours = mann_kendall(block, min_valid=1)
    assert np.isnan(ours.z[0]) and np.isnan(ours.s[1]) and np.isnan(ours.p[0])
    np.testing.assert_array_equal(ours.n, [1, 0, 2])
    assert_mk_equal(ours, 2, pymannkendall.original_test(block[2]), 2, "two values")


# ------------------------------------------------------------------ Sen's slope


def sen_brute_force(series, years):
    """Median of (x_j − x_i)/(t_j − t_i) over valid pairs i < j; intercept as in the docstring."""
    ok = np.flatnonzero(~np.isnan(series))
    slopes = [(series[j] - series[i]) / (years[j] - years[i]) for a, i in enumerate(ok) for j in ok[a + 1 :]]
    slope = np.median(slopes)
    intercept = np.median(series[ok]) - np.median(years[ok] - years[0]) * slope
    return slope, intercept


@pytest.mark.parametrize("label, series", MK_CASES, ids=[c[0] for c in MK_CASES])
def test_sens_slope_consecutive_years_matches_pymannkendall(label, series):
    years = 1987 + np.arange(series.size)
    ref = pymannkendall.sens_slope(series)  # index as time, NaN left in place
    slope, intercept = sens_slope(series, years)
    assert close(slope[0], ref.slope), (label, slope[0], ref.slope)
    assert close(intercept[0], ref.intercept), (label, intercept[0], ref.intercept)


def irregular_cases(seed=7):
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(12):
        n = YEARS_NO_2012.size
        cases.append((f"no 2012 #{k}", YEARS_NO_2012, rng.normal(size=n) + 0.05 * k * np.arange(n)))
        cases.append((f"no 2012 holes #{k}", YEARS_NO_2012, with_holes(rng, rng.normal(size=n), 1 + k % 6)))
        cases.append((f"no 2012 tied #{k}", YEARS_NO_2012, with_holes(rng, np.round(rng.normal(size=n)), k % 4)))
        steps = int(rng.integers(5, 30))
        years = 1980 + np.cumsum(rng.integers(1, 5, size=steps)).astype(float)
        cases.append((f"random years n={steps} #{k}", years, rng.normal(size=steps)))
        cases.append((f"random years holes n={steps} #{k}", years, with_holes(rng, rng.normal(size=steps), steps // 3)))
    cases.append(
        ("fractional years", np.array([2000.0, 2000.5, 2001.25, 2003.0, 2007.75]), np.array([1.0, 2.0, 1.5, 4.0, 3.0]))
    )
    return cases


IRREGULAR = irregular_cases()


@pytest.mark.parametrize("label, years, series", IRREGULAR, ids=[c[0] for c in IRREGULAR])
def test_sens_slope_irregular_years_matches_brute_force(label, years, series):
    slope, intercept = sens_slope(series, years)
    ref_slope, ref_intercept = sen_brute_force(series, years)
    assert close(slope[0], ref_slope), (label, slope[0], ref_slope)
    assert close(intercept[0], ref_intercept), (label, intercept[0], ref_intercept)


def test_sens_slope_block_matches_row_by_row_with_irregular_years():
    rng = np.random.default_rng(11)
    block = rng.normal(size=(200, YEARS_NO_2012.size)) + rng.normal(size=(200, 1)) * np.arange(19)
    block[rng.random(block.shape) < 0.2] = np.nan
    block[5] = 3.0  # constant: slope 0
    slope, intercept = sens_slope(block, YEARS_NO_2012, min_valid=4)
    for i, row in enumerate(block):
        if np.count_nonzero(~np.isnan(row)) < 4:
            assert np.isnan(slope[i]) and np.isnan(intercept[i])
            continue
        ref_slope, ref_intercept = sen_brute_force(row, YEARS_NO_2012)
        assert close(slope[i], ref_slope) and close(intercept[i], ref_intercept), i
    assert slope[5] == 0 and intercept[5] == 3.0


def test_sens_slope_hand_values_and_min_valid():
    # years 2000, 2001, 2003 (2002 missing); x = 1, 3, 4:
    # pair slopes (3−1)/1 = 2, (4−1)/3 = 1, (4−3)/2 = 0.5 → median 1;
    # intercept = median(x) − median(t − 2000) · slope = 3 − 1 · 1 = 2
    slope, intercept = sens_slope([[1.0, 3.0, 4.0], [1.0, np.nan, np.nan]], [2000, 2001, 2003])
    assert slope[0] == 1.0 and intercept[0] == 2.0
    assert np.isnan(slope[1]) and np.isnan(intercept[1])
    slope, _ = sens_slope([[1.0, 3.0, 4.0]], [2000, 2001, 2003], min_valid=4)
    assert np.isnan(slope[0])
    with pytest.raises(ValueError):
        sens_slope([[1.0, 2.0, 3.0]], [2000, 2000, 2001])
    with pytest.raises(ValueError):
        sens_slope([[1.0, 2.0, 3.0]], [2000, 2001])


def brute_force_signs_and_slopes(series, years):
    """S and the pairwise slopes of one series by a plain double loop (missing values skipped)."""
    s, slopes = 0, []
    for j in range(len(series)):
        for i in range(j):
            if not (np.isnan(series[i]) or np.isnan(series[j])):
                s += int(np.sign(series[j] - series[i]))
                slopes.append((series[j] - series[i]) / (years[j] - years[i]))
    return s, np.array(slopes)


def float32_edge_series(rng, kind, steps=20):
    """Series whose slopes float32 cannot tell apart (or cannot hold): the kernel must decide in float64."""
    t = np.arange(steps, dtype=float)
    if kind == "near one":  # every slope rounds to float32 1.0
        return t + rng.integers(-5, 6, steps) * 1e-12
    if kind == "below float32":  # slopes round to ±0 in float32, nonzero in float64
        return rng.integers(-3, 4, steps) * 1e-300
    if kind == "float32 denormals":
        return rng.integers(-3, 4, steps) * 1e-42
    if kind == "above float32":  # slopes round to ±inf in float32
        return rng.integers(-3, 4, steps) * 1e39 + t * 1e38
    if kind == "mixed":  # a few distinct tiny slopes among ordinary ones
        out = np.round(rng.normal(size=steps), 1)
        out[::3] += 1e-13
        return out
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["near one", "below float32", "float32 denormals", "above float32", "mixed"])
def test_float32_sort_keys_never_decide_the_result(kind):
    """S, Sen's slope (exact median of the float64 slopes) and Var(S) as a double loop computes them,
    for slopes float32 rounds together, to zero or to infinity."""
    rng = np.random.default_rng(sum(map(ord, kind)))
    years = np.arange(2000.0, 2020.0)
    block = np.array([float32_edge_series(rng, kind) for _ in range(40)])
    block[5, [2, 7]] = np.nan  # gaps: odd and even numbers of pairs
    block[6, [1]] = np.nan
    mk = mann_kendall(block, 4)
    slope, _ = sens_slope(block, years, 4)
    for row, series in enumerate(block):
        s, slopes = brute_force_signs_and_slopes(series, years)
        assert mk.s[row] == s, (kind, row)
        assert slope[row] == np.median(slopes), (kind, row, slope[row], np.median(slopes))
        valid = series[~np.isnan(series)]
        assert close(mk.var_s[row], pymannkendall.original_test(valid).var_s), (kind, row)


def check_against_double_loop(block, years):
    mk = mann_kendall(block, 2)
    slope, intercept = sens_slope(block, years, 2)
    for row, series in enumerate(block):
        s, slopes = brute_force_signs_and_slopes(series, years)
        valid = series[~np.isnan(series)]
        assert mk.s[row] == s, row
        assert slope[row] == np.median(slopes), (row, slope[row], np.median(slopes))
        assert intercept[row] == np.median(valid) - np.median(years[~np.isnan(series)] - years[0]) * slope[row], row
        assert close(mk.var_s[row], pymannkendall.original_test(valid).var_s), row


def test_signed_zeros_are_ties():
    """−0.0 equals 0.0: their pairs are ties, and their slope is 0 (not a tiny negative key)."""
    years = np.arange(2000.0, 2012.0)
    block = np.array(
        [
            [0.0, -0.0, 1.0, -0.0, 0.0, 2.0, -0.0, -1.0, 0.0, 3.0, -0.0, 0.0],
            [-0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0],
            [-0.0, 0.5, 0.0, -0.5, -0.0, np.nan, 0.0, 1e-300, -1e-300, 0.0, -0.0, 2.0],
        ]
    )
    check_against_double_loop(block, years)
    assert mann_kendall(block[1:2], 2).s[0] == 0 and sens_slope(block[1:2], years)[0][0] == 0


@pytest.mark.parametrize("steps", [46, 47, 64, 91])
def test_long_series_keys_with_more_index_bits(steps):
    """Past 45 steps a pair index takes 11 bits or more of the float32 keys (coarser buckets, more shared)."""
    rng = np.random.default_rng(steps)
    years = 1950.0 + np.arange(steps)
    block = np.round(rng.normal(size=(30, steps)) + 0.02 * np.arange(steps), 2)  # ties among the slopes
    block[rng.random(block.shape) < 0.1] = np.nan
    block[3] = 1.0 + rng.integers(-5, 6, steps) * 1e-12  # distinct slopes in one bucket
    check_against_double_loop(block, years)


def test_infinite_values_count_as_missing():
    """±inf is missing, as in the raster stacks (stack_block): every statistic equals the NaN series'."""
    rng = np.random.default_rng(5)
    years = np.arange(2000.0, 2015.0)
    block = rng.normal(size=(20, 15))
    with_inf = block.copy()
    with_inf[::2, 3] = np.inf
    with_inf[1::2, 7] = -np.inf
    with_inf[4, [2, 9]] = np.inf  # inf − inf would be a NaN slope counted as a pair
    as_nan = np.where(np.isinf(with_inf), np.nan, with_inf)
    ours, expected = trend_statistics(with_inf, years, 4), trend_statistics(as_nan, years, 4)
    for name in trend.TREND_BANDS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(expected, name), err_msg=name)
    np.testing.assert_array_equal(hurst_rs(with_inf), hurst_rs(as_nan))


def test_series_without_time_steps_is_refused():
    with pytest.raises(ValueError, match="at least one time step"):
        trend_statistics(np.ones((5, 0)), np.zeros(0), 2)


def test_series_too_long_for_tagged_keys_is_refused_before_allocating():
    with pytest.raises(ValueError, match="2\\^23"):
        mann_kendall(np.zeros((1, 4097)))


@pytest.mark.parametrize("width", [1, 2, 5, 6, 19, 190, 600, 601, 703, 1000])
def test_row_nanmedian_matches_numpy(width):
    rng = np.random.default_rng(width)
    values = rng.normal(size=(300, width))
    fraction = rng.random((300, 1))  # rows from no NaN to (almost) all NaN: odd and even counts
    values[rng.random(values.shape) < fraction] = np.nan
    values[0] = np.nan  # all-NaN row
    values[1] = rng.normal(size=width)  # no NaN
    if width > 1:
        values[2, :-1] = np.nan  # one value
        values[2, -1] = 0.5
    if width > 3:
        values[3] = np.round(values[3])  # ties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # All-NaN slice
        expected = np.nanmedian(values, axis=1)
    counts = np.count_nonzero(~np.isnan(values), axis=1)
    assert {0, 1} <= set(counts.tolist()) or width == 1
    if width > 3:
        assert np.any(counts % 2 == 0) and np.any(counts % 2 == 1)
    np.testing.assert_array_equal(row_nanmedian(values), expected)
    np.testing.assert_array_equal(row_nanmedian(values, counts), expected)
    assert np.isnan(row_nanmedian(values)[0])


@pytest.mark.parametrize("kind", ["one negative bucket", "around zero", "beyond float32", "denormals"])
def test_row_nanmedian_exact_where_float32_keys_share_buckets(kind):
    """Values whose float32 keys share buckets (negative, signed zeros, clipped at float32's largest,
    denormals) are ranked in float64: the median equals numpy's at every row."""
    rng = np.random.default_rng(len(kind))
    shape = (400, 9)
    if kind == "one negative bucket":
        values = -1.0 - rng.integers(0, 5, shape) * 1e-12
    elif kind == "around zero":
        values = rng.choice([-1e-300, -0.0, 0.0, 1e-300, 5e-324, -5e-324], size=shape)
    elif kind == "beyond float32":
        values = rng.integers(-3, 4, shape) * 1e39 + rng.integers(0, 3, shape) * 1e25
    else:
        values = rng.integers(-3, 4, shape) * 1e-42
    values[rng.random(shape) < 0.2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # All-NaN slice
        expected = np.nanmedian(values, axis=1)
    np.testing.assert_array_equal(row_nanmedian(values), expected)


def test_row_nanmedian_all_rows_same_count_and_all_nan():
    values = np.array([[3.0, 1.0, 2.0, 4.0], [np.nan, 9.0, 8.0, np.nan]])
    np.testing.assert_array_equal(row_nanmedian(values[:1]), [2.5])
    np.testing.assert_array_equal(row_nanmedian(values), [2.5, 8.5])
    assert np.isnan(row_nanmedian(np.full((3, 5), np.nan))).all()


# ------------------------------------------------------------------ Hurst


def hurst_reference(series):
    """R/S Hurst, expanding windows, as METHODS.md §3 words it, one series at a time.

    For τ = 2 … n: the first τ valid values, m = their mean, X = cumsum(x − m),
    R = max X − min X, S = np.std (population); windows with S = 0 (a constant
    window: tested as min = max, since np.std of a constant window of e.g. 0.1
    can round to 1e-17 instead of 0) are skipped; H = np.polyfit slope of
    ln(R/S) on ln τ; NaN with fewer than 2 usable windows.
    """
    x = series[~np.isnan(series)]
    log_tau, log_rs = [], []
    for tau in range(2, x.size + 1):
        window = x[:tau]
        if window.min() == window.max():
            continue
        deviations = np.cumsum(window - window.mean())
        spread = deviations.max() - deviations.min()
        log_tau.append(np.log(tau))
        log_rs.append(np.log(spread / np.std(window)))
    if len(log_tau) < 2:
        return np.nan
    return np.polyfit(log_tau, log_rs, 1)[0]


def hurst_cases(seed=3):
    rng = np.random.default_rng(seed)
    cases = []
    for n in (3, 4, 5, 10, 20, 38):
        for k in range(4):
            cases.append((f"normal n={n} #{k}", rng.normal(size=n)))
            cases.append((f"random walk n={n} #{k}", np.cumsum(rng.normal(size=n))))
            if n >= 10:
                cases.append((f"holes n={n} #{k}", with_holes(rng, rng.normal(size=n), n // 3)))
                cases.append((f"trend n={n} #{k}", 0.3 * np.arange(n) + rng.normal(size=n)))
                cases.append((f"tied n={n} #{k}", np.round(rng.normal(size=n))))
                cases.append((f"LST-like n={n} #{k}", 300 + rng.normal(scale=2.0, size=n)))
                cases.append((f"MLRI-like n={n} #{k}", 1 + np.abs(rng.normal(scale=0.2, size=n))))
    cases.append(("constant prefix then varying", np.array([3.0, 3.0, 3.0, 5.0, 1.0, 4.0, 2.0, 6.0, 0.0])))
    cases.append(("constant prefix of 0.1", np.array([0.1, 0.1, 0.1, 0.1, 0.7, 0.2, 0.5, 0.3])))
    cases.append(("missing first years", np.array([np.nan, np.nan, 1.0, 4.0, 2.0, 8.0, 3.0, np.nan, 5.0])))
    return cases


HURST = hurst_cases()


@pytest.mark.parametrize("label, series", HURST, ids=[c[0] for c in HURST])
def test_hurst_matches_per_series_reference(label, series):
    expected = hurst_reference(series)
    actual = hurst_rs(series)[0]
    assert np.isfinite(expected), label
    assert abs(actual - expected) <= 1e-9, (label, actual, expected)


def test_hurst_block_matches_row_by_row():
    rng = np.random.default_rng(99)
    block = np.cumsum(rng.normal(size=(150, 20)), axis=1)
    block[rng.random(block.shape) < 0.25] = np.nan
    block[7] = 1.5
    actual = hurst_rs(block)
    expected = np.array([hurst_reference(row) for row in block])
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "series",
    [np.full(20, 2.5), np.full(20, 0.1), np.full(12, -1e6), np.array([4.0, np.nan, 4.0, 4.0, np.nan, 4.0])],
    ids=["constant 2.5", "constant 0.1", "constant -1e6", "constant with holes"],
)
def test_hurst_constant_series_is_nan(series):
    assert np.isnan(hurst_rs(series)[0])
    assert np.isnan(hurst_reference(series))


@pytest.mark.parametrize(
    "series",
    [
        np.array([1.0] * 19 + [2.0]),
        np.array([0.1] * 9 + [0.3]),
        np.array([5.0, 5.0, np.nan, 5.0, 6.0, np.nan]),
        np.array([1.0, 2.0]),
        np.array([np.nan, 3.0]),
        np.array([1.0]),
    ],
    ids=["constant but last", "0.1 but last", "holes, constant but last", "two values", "one value", "single step"],
)
def test_hurst_fewer_than_two_windows_is_nan(series):
    assert np.isnan(hurst_reference(series))
    assert np.isnan(hurst_rs(series)[0])


def hurst_exact(series):
    """The same R/S definition in exact rational arithmetic (logs and roots to 60 digits)."""
    context = decimal.Context(prec=60)
    x = [Fraction(float(v)) for v in series if not np.isnan(v)]
    log_tau, log_rs = [], []
    for tau in range(2, len(x) + 1):
        window = x[:tau]
        if min(window) == max(window):
            continue
        mean = sum(window) / tau
        running, deviations = Fraction(0), []
        for value in window:
            running += value - mean
            deviations.append(running)
        spread = max(deviations) - min(deviations)
        variance = sum((v - mean) ** 2 for v in window) / tau
        as_decimal = [
            context.divide(decimal.Decimal(f.numerator), decimal.Decimal(f.denominator)) for f in (spread, variance)
        ]
        log_rs.append(context.ln(context.divide(as_decimal[0], context.sqrt(as_decimal[1]))))
        log_tau.append(context.ln(decimal.Decimal(tau)))
    if len(log_tau) < 2:
        return np.nan
    mean_x, mean_y = sum(log_tau) / len(log_tau), sum(log_rs) / len(log_rs)
    return float(
        sum((a - mean_x) * (b - mean_y) for a, b in zip(log_tau, log_rs)) / sum((a - mean_x) ** 2 for a in log_tau)
    )


@pytest.mark.parametrize(
    "offset, scale", [(0.0, 1.0), (8000.0, 1e-6), (-9000.0, 2e-6), (300.0, 1e-9), (1e6, 1e-3), (0.0, 1e-12), (0.0, 1e9)]
)
def test_hurst_exact_under_large_offsets(offset, scale):
    """Small variations on a large level (e.g. LST in K): prefix sums centred on x₁ stay exact.

    (np.std and np.cumsum on the raw values, as hurst_reference does, lose up to
    ~1e-5 in H on such series; ours stays within 1e-12 of exact arithmetic.)
    """
    rng = np.random.default_rng(int(abs(offset)) + 17)
    for k in range(5):
        series = offset + scale * np.cumsum(rng.normal(size=int(rng.integers(6, 39))))
        if k % 2:
            series[rng.random(series.size) < 0.25] = np.nan
        expected = hurst_exact(series)
        assert np.isfinite(expected)
        assert abs(hurst_rs(series)[0] - expected) <= 1e-12, (offset, scale, k)


def test_hurst_min_windows():
    series = np.array([[2.0, 1.0, 4.0, 3.0, 5.0]])  # 4 usable windows
    assert np.isfinite(hurst_rs(series, min_windows=4)[0])
    assert np.isnan(hurst_rs(series, min_windows=5)[0])


# ------------------------------------------------------------------ trend_statistics


def statistics_block(seed=5, pixels=500, steps=19):
    rng = np.random.default_rng(seed)
    block = rng.normal(size=(pixels, steps)) + rng.normal(size=(pixels, 1)) * np.arange(steps) * 0.2
    holes = rng.random((pixels, 1)) * 0.8
    block[rng.random(block.shape) < holes] = np.nan  # from 0 to ~80 % missing per pixel
    block[3] = 2.0
    block[4] = np.round(block[4])
    block[5] = np.nan
    block[6, :-7] = np.nan  # exactly 7 values
    block[6, -7:] = rng.normal(size=7)
    block[7, :-8] = np.nan  # exactly 8 values
    block[7, -8:] = rng.normal(size=8)
    return block


def test_trend_statistics_blank_below_min_valid_and_counts():
    block = statistics_block()
    result = trend_statistics(block, YEARS_NO_2012, min_valid=8)
    counts = np.count_nonzero(~np.isnan(block), axis=1)
    np.testing.assert_array_equal(result.n_valid, counts)
    few = counts < 8
    assert few.any() and (~few).any() and few[6] and not few[7]
    for name in trend.TREND_BANDS:
        values = getattr(result, name)
        assert values.shape == (block.shape[0],)
        if name == "n_valid":
            assert not np.isnan(values).any()
        else:
            assert np.isnan(values[few]).all(), name
    for name in ("sen_slope", "z", "p", "s", "var_s", "tau", "intercept"):
        assert not np.isnan(getattr(result, name)[~few]).any(), name
    assert np.isnan(result.hurst[3])  # constant: no Hurst
    assert result.z[3] == 0 and result.p[3] == 1


def test_trend_statistics_equals_the_separate_kernels():
    """The pair differences are shared (MK reads their signs, Sen divides them in place)."""
    block = statistics_block(seed=8)
    result = trend_statistics(block, YEARS_NO_2012, min_valid=6)
    mk = mann_kendall(block, 6)
    slope, intercept = sens_slope(block, YEARS_NO_2012, 6)
    hurst = hurst_rs(block)
    hurst[mk.n < 6] = np.nan
    for name, expected in (
        ("z", mk.z),
        ("p", mk.p),
        ("s", mk.s),
        ("var_s", mk.var_s),
        ("tau", mk.tau),
        ("n_valid", mk.n),
        ("sen_slope", slope),
        ("intercept", intercept),
        ("hurst", hurst),
    ):
        np.testing.assert_array_equal(getattr(result, name), expected, err_msg=name)


def test_trend_statistics_pixels_match_pymannkendall():
    block = statistics_block(seed=9, pixels=80)
    years = 2001 + np.arange(block.shape[1])
    result = trend_statistics(block, years, min_valid=4)
    for i, row in enumerate(block):
        if result.n_valid[i] < 4:
            continue
        ref = pymannkendall.original_test(row)
        assert close(result.z[i], ref.z) and abs(result.p[i] - ref.p) <= 1e-9, i
        assert close(result.sen_slope[i], ref.slope) and close(result.intercept[i], ref.intercept), i


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 333, 499, 500, 4096])
def test_trend_statistics_chunk_invariance(chunk):
    block = statistics_block(seed=12)
    whole = trend_statistics(block, YEARS_NO_2012, min_valid=5)
    parts = [
        trend_statistics(block[start : start + chunk], YEARS_NO_2012, 5) for start in range(0, block.shape[0], chunk)
    ]
    for name in trend.TREND_BANDS:
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, name) for p in parts]), getattr(whole, name), err_msg=name
        )


# ------------------------------------------------------------------ restoration classes


def test_restoration_classes_all_five_and_boundaries():
    nan = np.nan
    z = np.array(
        [
            -3.0,
            -1.0,
            1.0,
            2.5,
            2.5,  # SD, ND, NI, SAI, SCI
            CRITICAL_05,
            -CRITICAL_05,  # |Z| at the critical value: not significant
            np.nextafter(CRITICAL_05, 3),
            np.nextafter(-CRITICAL_05, -3),  # just beyond: significant
            1.96,
            -1.96,  # 1.96 > 1.95996...: significant (p = 0.049996 < 0.05)
            3.0,
            1.0,
            3.0,
            0.0,  # slope 0: decrease classes; Z = 0 (constant) → ND
            3.0,
            1.0,
            -3.0,  # NaN hurst: SI → nodata; NI, SD need no H
            nan,
            3.0,
            2.5,
        ]
    )  # NaN z → nodata; NaN slope → nodata; H = 0.5 → SAI
    slope = np.array(
        [-0.1, -0.2, 0.3, 0.4, 0.4, 0.2, -0.2, 0.2, -0.2, 0.1, -0.1, 0.0, 0.0, -0.0, 0.0, 0.5, 0.5, -0.5, 0.3, nan, 0.2]
    )
    hurst = np.array(
        [0.7, 0.3, 0.9, 0.4, 0.6, 0.9, 0.9, 0.9, 0.9, 0.2, 0.2, 0.8, 0.8, 0.8, nan, nan, nan, nan, 0.9, 0.9, 0.5]
    )
    expected = [1, 2, 3, 4, 5, 3, 2, 5, 1, 4, 1, 1, 2, 1, 2, 0, 3, 1, 0, 0, 4]
    out = restoration_classes(z, slope, hurst)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)
    assert set(out.tolist()) >= set(trend.RESTORATION_CODES)


def test_restoration_classes_shape_alpha_and_nodata():
    z = np.array([[2.0, 2.0], [-2.0, np.nan]])
    slope = np.array([[1.0, 1.0], [-1.0, 1.0]])
    hurst = np.array([[0.8, 0.2], [0.8, 0.8]])
    np.testing.assert_array_equal(restoration_classes(z, slope, hurst), [[5, 4], [1, 0]])
    # α = 0.01: |Z| = 2 is no longer significant
    np.testing.assert_array_equal(restoration_classes(z, slope, hurst, alpha=0.01), [[3, 3], [2, 0]])
    np.testing.assert_array_equal(restoration_classes(z, slope, hurst, nodata=9), [[5, 4], [1, 9]])


def test_restoration_significance_agrees_with_p_below_alpha():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=2.5, size=5000)
    z = z[np.abs(np.abs(z) - CRITICAL_05) > 1e-9]
    slope = rng.normal(size=z.size)
    classes = restoration_classes(z, slope, np.full(z.size, 0.7))
    p = 2 * (1 - ndtr(np.abs(z)))
    np.testing.assert_array_equal(np.isin(classes, (1, 4, 5)), p < 0.05)


def test_critical_z():
    assert abs(critical_z(0.05) - CRITICAL_05) <= 1e-12
    assert abs(critical_z(0.01) - 2.5758293035489004) <= 1e-12
    for alpha in (0, 1, -0.05, 1.5, 0.0, 1.0):
        with pytest.raises(ValueError, match="alpha"):
            critical_z(alpha)
    with pytest.raises(ValueError):
        restoration_classes(np.zeros(1), np.zeros(1), np.zeros(1), alpha=1.0)


# ------------------------------------------------------------------ MLRI


def test_mlri_hand_computed():
    # LST (K) 300, 290, 310, 305; EVI 0.5, 0.6, 0.4, 0.8.
    # year 1: LST_max 300, EVI_min 0.5 → (300/0.5)/(300/0.5) = 1
    # year 2: LST_max 300, EVI_min 0.5 → (300/0.5)/(290/0.6) = 600/483.33 = 360/290 = 36/29 ≈ 1.24138
    # year 3: LST_max 310, EVI_min 0.4 → (310/0.4)/(310/0.4) = 1
    # year 4: LST_max 310, EVI_min 0.4 → (310/0.4)/(305/0.8) = 775/381.25 = 248/122 = 124/61 ≈ 2.03279
    out = mlri([[300.0, 290.0, 310.0, 305.0]], [[0.5, 0.6, 0.4, 0.8]])
    np.testing.assert_allclose(out, [[1.0, 36 / 29, 1.0, 124 / 61]], rtol=1e-14)
    assert out[0, 0] == 1.0


def test_mlri_first_year_is_one_and_never_below_one():
    rng = np.random.default_rng(2)
    lst = rng.uniform(270.0, 330.0, size=(2000, 20))
    evi = rng.uniform(0.01, 0.9, size=(2000, 20))
    out = mlri(lst, evi)
    np.testing.assert_array_equal(out[:, 0], 1.0)
    assert np.all(out >= 1.0)
    # brute force of eq. 1 over the years up to i
    for j in range(0, 2000, 97):
        for i in range(20):
            expected = (lst[j, : i + 1].max() / evi[j, : i + 1].min()) / (lst[j, i] / evi[j, i])
            assert abs(out[j, i] - expected) <= 1e-12 * expected


def test_mlri_missing_years_stay_out_of_the_running_extremes():
    nan = np.nan
    lst = np.array(
        [
            [300.0, nan, 290.0, 305.0],  # LST missing in year 2 (its EVI 0.1 must not count)
            [300.0, 400.0, 290.0, 305.0],  # EVI ≤ 0 in year 2 (its LST 400 must not count)
            [300.0, 400.0, 290.0, 305.0],  # EVI = 0 in year 2
            [300.0, 400.0, 290.0, 305.0],  # EVI missing in year 2
            [nan, 300.0, 290.0, 305.0],
        ]
    )  # first year missing: the series starts in year 2
    evi = np.array(
        [[0.5, 0.1, 0.6, 0.8], [0.5, -0.2, 0.6, 0.8], [0.5, 0.0, 0.6, 0.8], [0.5, nan, 0.6, 0.8], [0.05, 0.5, 0.6, 0.8]]
    )
    out = mlri(lst, evi)
    # year 3: LST_max 300 (year 1), EVI_min 0.5 (year 1) → (300/0.5)/(290/0.6) = 36/29
    # year 4: LST_max 305, EVI_min 0.5 → (305/0.5)/(305/0.8) = 0.8/0.5 = 1.6
    for row in range(4):
        assert out[row, 0] == 1.0
        assert np.isnan(out[row, 1]), row
        assert abs(out[row, 2] - 36 / 29) <= 1e-14, row
        assert abs(out[row, 3] - 1.6) <= 1e-14, row
    # row 4: year 1 missing (its EVI 0.05 does not count); year 2 = 1, year 3 = 36/29, year 4 = 1.6
    assert np.isnan(out[4, 0]) and out[4, 1] == 1.0
    assert abs(out[4, 2] - 36 / 29) <= 1e-14 and abs(out[4, 3] - 1.6) <= 1e-14


def test_mlri_rejects_celsius_and_shape_mismatch():
    with pytest.raises(ValueError, match="150 K"):
        mlri([[25.0, 27.0, 30.0]], [[0.3, 0.4, 0.5]])
    with pytest.raises(ValueError, match="150 K"):
        mlri([[300.0, 27.0, 301.0]], [[0.3, 0.4, 0.5]])
    # a low LST in a year that is not valid anyway (EVI ≤ 0 or missing) is not data: no error
    out = mlri([[300.0, 20.0, 305.0, -5.0]], [[0.3, -0.1, 0.5, np.nan]])
    assert np.isnan(out[0, 1]) and np.isnan(out[0, 3])
    assert mlri_module.MIN_PLAUSIBLE_KELVIN == 150.0
    with pytest.raises(ValueError, match="shape|differ"):
        mlri(np.full((2, 3), 300.0), np.full((2, 4), 0.5))
    with pytest.raises(ValueError):
        mlri(np.full((3, 3), 300.0), np.full((3,), 0.5))


# ------------------------------------------------------------------ core/stack.py


def test_stack_block_nodata_and_non_finite_become_nan():
    ints = np.array([[1, -1], [3, 4]], dtype=np.int16)  # nodata −1
    floats = np.array([[np.nan, 2.5], [np.inf, -9999.0]], dtype=np.float32)  # nodata −9999, NaN, +inf
    no_nodata = np.array([[-np.inf, 0.0], [1.0, 2.0]], dtype=np.float64)  # no nodata: −inf
    nan_nodata = np.array([[1.0, np.nan], [2.0, 3.0]], dtype=np.float32)  # nodata NaN
    plain_ints = np.array([[0, 5], [6, 7]], dtype=np.uint8)  # no nodata: 0 is data
    tenth = np.array([[0.1, 0.2], [0.1, 0.3]], dtype=np.float32)  # nodata 0.1 as GDAL returns it (a double)
    out = stack.stack_block(
        [ints, floats, no_nodata, nan_nodata, plain_ints, tenth], [-1, -9999.0, None, float("nan"), None, 0.1]
    )
    assert out.dtype == np.float64 and out.shape == (4, 6)
    nan = np.nan
    expected = np.array(
        [
            [1.0, nan, nan, 1.0, 0.0, nan],
            [nan, 2.5, 0.0, nan, 5.0, np.float32(0.2)],
            [3.0, nan, 1.0, 2.0, 6.0, nan],
            [4.0, nan, 2.0, 3.0, 7.0, np.float32(0.3)],
        ]
    )
    np.testing.assert_array_equal(out, expected)


STACK_NODATA = -9999.0
STACK_ROWS, STACK_COLS = 65, 70  # 4550 px: one default block; five kernel chunks with chunk = 1000


def series_cube(seed=21, steps=YEARS_NO_2012.size):
    rng = np.random.default_rng(seed)
    cube = (
        rng.normal(size=(steps, STACK_ROWS, STACK_COLS))
        + np.linspace(-0.3, 0.3, STACK_COLS) * np.arange(steps)[:, None, None]
    )
    cube[rng.random(cube.shape) < 0.1] = STACK_NODATA
    cube[:, 0, :5] = 1.25  # constant pixels
    cube[:, 1, :] = np.round(cube[:, 1, :])  # ties
    cube[:12, 2, 3] = STACK_NODATA  # 7 valid years: below MIN_VALID 8
    cube[:, 3, 3] = STACK_NODATA  # all missing
    cube[4, 4, :] = np.nan  # NaN in a float raster
    cube[5, 5, :] = np.inf
    return cube.astype(np.float32)


def as_nan(cube):
    values = cube.reshape(cube.shape[0], -1).T.astype(np.float64)
    values[(values == STACK_NODATA) | ~np.isfinite(values)] = np.nan
    return values


def expected_band(values):
    return stack.float_band(values, (STACK_ROWS, STACK_COLS))


@pytest.fixture(scope="module")
def trend_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trend_stack")
    cube = series_cube()
    paths = [write_raster(folder / f"y{int(y)}.tif", band, nodata=STACK_NODATA) for y, band in zip(YEARS_NO_2012, cube)]
    multiband = write_raster(folder / "stack.tif", cube, nodata=STACK_NODATA, block=32)
    return cube, paths, multiband


def stack_inputs(paths):
    """The engine's inputs of a stack: its Sources (one per time step), their nodata values and the grid."""
    sources = scaleout.sources_of(paths)
    datasets = {s.path: raster_io.open_raster(s.path) for s in sources}  # kept while their bands are read
    nodatas = [raster_io.band_nodata(datasets[s.path].GetRasterBand(s.band)) for s in sources]
    return sources, nodatas, raster_io.grid_of(datasets[sources[0].path])


@pytest.mark.parametrize("layout", ["one file per year", "multiband"])
@pytest.mark.parametrize("block_pixels", [7, 150, None])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("chunk", [None, 1000])
def test_write_trend_rasters_equals_whole_stack(
    tmp_path, monkeypatch, trend_stack, layout, block_pixels, workers, chunk
):
    if chunk:  # several kernel calls per block, each thread reusing its pair buffers for calls of other sizes
        monkeypatch.setattr(stack, "chunk_pixels", lambda steps: chunk)
    cube, paths, multiband = trend_stack
    sources, nodatas, grid = stack_inputs(paths if layout == "one file per year" else [multiband])
    out, out_class = tmp_path / "trend.tif", tmp_path / "class.tif"
    with (
        raster_io.BlockWriter(out, grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(trend.TREND_BANDS)) as writer,
        raster_io.BlockWriter(out_class, grid, raster_io.BYTE, 0) as class_writer,
    ):
        too_few = scaleout.write_trend_rasters(
            runner.LocalExecutor(workers),
            sources,
            nodatas,
            grid,
            [int(y) for y in YEARS_NO_2012],
            8,
            writer,
            class_writer,
            0.05,
            block_pixels=block_pixels,
        )
    values = as_nan(cube)
    expected = trend_statistics(values, YEARS_NO_2012, 8)
    assert too_few == int(np.count_nonzero(expected.n_valid < 8)) >= 2
    written = gdal.Open(str(out))
    assert written.RasterCount == len(trend.TREND_BANDS)
    for index, name in enumerate(trend.TREND_BANDS, start=1):
        band = written.GetRasterBand(index)
        np.testing.assert_array_equal(band.ReadAsArray(), expected_band(getattr(expected, name)), err_msg=name)
        assert band.GetNoDataValue() == stack.FLOAT_NODATA
    n_valid = written.GetRasterBand(len(trend.TREND_BANDS)).ReadAsArray()
    assert n_valid[3, 3] == 0 and n_valid[2, 3] == 7  # counts are written, never nodata
    class_ds = gdal.Open(str(out_class))
    classes = class_ds.GetRasterBand(1).ReadAsArray()
    np.testing.assert_array_equal(
        classes, restoration_classes(expected.z, expected.sen_slope, expected.hurst).reshape(STACK_ROWS, STACK_COLS)
    )
    assert classes[2, 3] == 0 and classes[0, 0] == 2  # too few years; constant (Z = 0, slope 0) → ND


def mlri_cubes(seed=31, steps=9):
    rng = np.random.default_rng(seed)
    lst_c = rng.uniform(15.0, 45.0, size=(steps, STACK_ROWS, STACK_COLS)).astype(np.float32)
    evi = rng.uniform(-0.05, 0.8, size=(steps, STACK_ROWS, STACK_COLS)).astype(np.float32)  # some EVI ≤ 0
    lst_c[rng.random(lst_c.shape) < 0.05] = STACK_NODATA
    evi[rng.random(evi.shape) < 0.05] = STACK_NODATA
    evi[-1, 7, :] = np.nan
    return lst_c, evi


@pytest.mark.parametrize("block_pixels", [7, 150, None])
def test_write_mlri_raster_equals_whole_stack(tmp_path, block_pixels):
    lst_c, evi = mlri_cubes()
    lst_sources, _, grid = stack_inputs(
        [write_raster(tmp_path / f"lst{i}.tif", b, nodata=STACK_NODATA) for i, b in enumerate(lst_c)]
    )
    evi_sources, evi_nodatas, _ = stack_inputs([write_raster(tmp_path / "evi.tif", evi, nodata=STACK_NODATA)])
    out = tmp_path / "mlri.tif"
    with raster_io.BlockWriter(out, grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(lst_c)) as writer:
        missing = scaleout.write_mlri_raster(
            runner.LocalExecutor(),
            lst_sources,
            [STACK_NODATA] * len(lst_c),
            evi_sources,
            evi_nodatas,
            grid,
            273.15,
            writer,
            block_pixels=block_pixels,
        )
    expected = mlri(as_nan(lst_c) + 273.15, as_nan(evi))
    assert missing == int(np.isnan(expected).sum()) > 0
    written = gdal.Open(str(out))
    for step in range(len(lst_c)):
        np.testing.assert_array_equal(
            written.GetRasterBand(step + 1).ReadAsArray(), expected_band(expected[:, step]), err_msg=f"year {step + 1}"
        )
    first = written.GetRasterBand(1).ReadAsArray()
    assert np.all((first == 1) | (first == stack.FLOAT_NODATA))


def test_write_mlri_raster_celsius_without_offset_fails(tmp_path):
    lst_c, evi = mlri_cubes(steps=3)
    lst_sources, _, grid = stack_inputs([write_raster(tmp_path / "lst.tif", lst_c, nodata=STACK_NODATA)])
    evi_sources, _, _ = stack_inputs([write_raster(tmp_path / "evi.tif", evi, nodata=STACK_NODATA)])
    with pytest.raises(ValueError, match="150 K"):
        with raster_io.BlockWriter(tmp_path / "m.tif", grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=3) as w:
            scaleout.write_mlri_raster(
                runner.LocalExecutor(), lst_sources, [STACK_NODATA] * 3, evi_sources, [STACK_NODATA] * 3, grid, 0.0, w
            )
    assert not (tmp_path / "m.tif").exists()
