"""Per-pixel trend statistics over a block of time series: Mann-Kendall, Sen's slope, Hurst.

Every function takes ``values`` of shape (pixels, time) as float64 with NaN for
missing observations, and ``years`` (time stamps, strictly increasing, need not
be evenly spaced). Loops run over time lags or window lengths, never over
pixels. Seed 004 §2.4; METHODS.md §3.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri


@dataclass
class MannKendall:
    """Mann-Kendall original test per pixel (as ``pymannkendall.original_test``).

    Attributes (arrays of length pixels; NaN where the pixel has too few values)
    ----------
    s : S = Σ_{i<j} sign(x_j − x_i)
    var_s : Var(S) = [n(n−1)(2n+5) − Σ_p t_p(t_p−1)(2t_p+5)] / 18, t_p the tie group sizes
    z : (S − 1)/√Var(S) for S > 0, (S + 1)/√Var(S) for S < 0, 0 for S = 0
    p : two-sided p = 2 (1 − Φ(|Z|))
    tau : Kendall's tau = S / (n(n−1)/2)
    n : number of valid observations
    """

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    tau: np.ndarray
    n: np.ndarray


def as_series(values):
    """Values as a float64 (pixels, time) array."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError("values must have shape (pixels, time)")
    return values


def mann_kendall(values, min_valid=4, differences=None):
    """Mann-Kendall original test with tie correction, over the valid values of each pixel.

    Parameters
    ----------
    values : array (pixels, time), NaN = missing
    min_valid : int
        Pixels with fewer valid values get NaN in every statistic.
    differences : array, optional
        :func:`pair_differences` of ``values``, when the caller already has it.

    Returns
    -------
    MannKendall
        A constant series gives S = 0, Var(S) = 0, Z = 0, p = 1 (as pymannkendall).
    """
    x = as_series(values)
    d = pair_differences(x) if differences is None else differences
    n = (~np.isnan(x)).sum(axis=1)
    # comparisons with NaN are False: pairs with a missing value contribute nothing
    rising, falling = np.count_nonzero(d > 0, axis=1), np.count_nonzero(d < 0, axis=1)
    s = (rising - falling).astype(np.float64)
    ties = np.zeros_like(s)
    tied = rising + falling < n * (n - 1) // 2  # some valid pair is equal; most float series have none
    if tied.any():
        ties[tied] = _tie_term(x[tied])
    var_s = (n * (n - 1.0) * (2 * n + 5.0) - ties) / 18.0
    z = np.zeros_like(s)
    pos, neg = s > 0, s < 0
    z[pos] = (s[pos] - 1) / np.sqrt(var_s[pos])
    z[neg] = (s[neg] + 1) / np.sqrt(var_s[neg])
    p = 2 * (1 - ndtr(np.abs(z)))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / (0.5 * n * (n - 1.0))
    result = MannKendall(s, var_s, z, p, tau, n.astype(np.float64))
    _blank(result, n < max(min_valid, 2))
    return result


def pair_differences(x):
    """x_j − x_i for every pair i < j, ordered by lag then i: shape (pixels, n(n−1)/2).

    Works for a 1-D array of time stamps too (shape (n(n−1)/2,)).
    """
    x = np.asarray(x, dtype=np.float64)
    steps = x.shape[-1]
    out = np.empty(x.shape[:-1] + (steps * (steps - 1) // 2,))
    start = 0
    for lag in range(1, steps):
        width = steps - lag
        np.subtract(x[..., lag:], x[..., :-lag], out=out[..., start:start + width])
        start += width
    return out


def _tie_term(x):
    """Σ_p t_p(t_p − 1)(2t_p + 5) over the groups of equal valid values of each row."""
    pixels, steps = x.shape
    ordered = np.sort(x, axis=1)  # NaN sort last
    valid = ~np.isnan(ordered)
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts, axis=1) - 1 + (np.arange(pixels) * steps)[:, None]
    sizes = np.bincount(group[valid], minlength=pixels * steps).reshape(pixels, steps).astype(np.float64)
    return (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)


def _blank(result, mask):
    for name in result.__dataclass_fields__:
        if name != "n":
            getattr(result, name)[mask] = np.nan


def check_years(years, steps):
    """Years as float64; ValueError unless one per time step and strictly increasing."""
    t = np.asarray(years, dtype=np.float64)
    if t.shape != (steps,):
        raise ValueError(f"{t.size} years for {steps} time steps")
    if np.any(np.diff(t) <= 0):
        raise ValueError("years must increase strictly")
    return t


def sens_slope(values, years, min_valid=2, differences=None):
    """Sen's slope (units per year) and intercept per pixel, using the real time stamps.

    slope = median over i < j of (x_j − x_i) / (t_j − t_i), pairs of valid values only;
    intercept = median(x) − slope × median(t − t₀), t₀ the first year, so the
    line is x ≈ intercept + slope (t − t₀). With consecutive years this is
    ``pymannkendall.sens_slope`` (which uses the index as time).

    ``differences`` (:func:`pair_differences` of ``values``) is divided in
    place when given, to save a copy.

    Returns
    -------
    (slope, intercept) arrays; NaN where fewer than ``min_valid`` values.
    """
    x = as_series(values)
    t = check_years(years, x.shape[1])
    slopes = pair_differences(x) if differences is None else differences
    slopes /= pair_differences(t)
    valid = ~np.isnan(x)
    n = valid.sum(axis=1)
    slope = row_nanmedian(slopes, n * (n - 1) // 2)
    t_median = np.full(x.shape[0], np.median(t - t[0]))  # rows with every year valid
    gaps = n < x.shape[1]
    if gaps.any():
        t_median[gaps] = row_nanmedian(np.where(valid[gaps], t - t[0], np.nan), n[gaps])
    intercept = row_nanmedian(x, n) - t_median * slope
    few = n < max(min_valid, 2)
    slope[few] = np.nan
    intercept[few] = np.nan
    return slope, intercept


def row_nanmedian(values, count=None):
    """Median of the non-NaN values of each row (NaN for an all-NaN row), exact in float64.

    ``count``, the number of non-NaN values per row, may be given when known.

    Fast path: numpy sorts float32 rows several times faster than it selects
    in float64, and rounding to float32 never reverses an order, so the sorted
    float32 row holds the rounded middle value(s) at the middle position(s).
    Where such a rounded value occurs once in its row, or only as ties of one
    float64 value, that value is the exact middle value. Rows where rounding
    merges distinct values at the middle fall back to an exact np.partition.
    (numpy.nanmedian would loop over rows in Python for rows of 600 values or more.)
    """
    values = np.asarray(values, dtype=np.float64)
    if count is None:
        count = values.shape[1] - np.isnan(values).sum(axis=1)
    rounded = values.astype(np.float32)
    ordered = np.sort(rounded, axis=1)
    low, low_exact = _middle_value(values, rounded, ordered, np.maximum((count - 1) // 2, 0), count)
    high, high_exact = _middle_value(values, rounded, ordered, np.maximum(count // 2, 0), count)
    median = 0.5 * (low + high)
    unresolved = ~(low_exact & high_exact) & (count > 0)
    if unresolved.any():
        median[unresolved] = _partition_median(values[unresolved], count[unresolved])
    median[count == 0] = np.nan
    return median


def _middle_value(values, rounded, ordered, k, count):
    """The float64 value at float32-sorted position k of each row, and whether it is exact (unique rounding)."""
    rows = np.arange(values.shape[0])
    last = values.shape[1] - 1
    middle = ordered[rows, k]
    alone = ((k == 0) | (ordered[rows, np.maximum(k - 1, 0)] < middle)) & \
            ((k + 1 >= count) | (ordered[rows, np.minimum(k + 1, last)] > middle))
    position = (rounded == middle[:, None]).argmax(axis=1)
    value = values[rows, position]
    # a rounded value met more than once is still exact when every value rounding to it is equal (true ties)
    shared = np.flatnonzero(~alone)
    if shared.size:
        candidates = rounded[shared] == middle[shared, None]
        low = np.where(candidates, values[shared], np.inf).min(axis=1)
        high = np.where(candidates, values[shared], -np.inf).max(axis=1)
        alone[shared] = low == high
    return value, alone


def _partition_median(values, count):
    """Exact row medians by np.partition (NaN goes last), once per distinct count."""
    median = np.full(values.shape[0], np.nan)
    for c in np.unique(count):
        if c == 0:
            continue
        rows = count == c
        k = c // 2
        part = np.partition(values[rows], k, axis=1)
        if c % 2:
            median[rows] = part[:, k]
        else:  # the lower middle value is the largest of those partitioned before k
            median[rows] = 0.5 * (part[:, :k].max(axis=1) + part[:, k])
    return median


def hurst_rs(values, min_windows=2):
    """Hurst exponent by rescaled-range (R/S) analysis, expanding-window variant.

    For each window length τ = 2 … n (n valid values of the pixel), take the
    first τ valid values x₁ … x_τ (missing years skipped), their mean m_τ, the
    cumulative deviations X(t) = Σ_{u ≤ t} (x_u − m_τ) for t = 1 … τ,
    R(τ) = max X − min X and S(τ) = population standard deviation of x₁ … x_τ.
    Windows with S(τ) = 0 (constant so far) are skipped. H is the
    least-squares slope of ln(R/S) on ln τ over the remaining windows
    (METHODS.md §3, the variant common in vegetation-trend studies).
    H > 0.5: persistent; ≤ 0.5: anti-persistent.

    Computed from prefix sums of the values centred on x₁: X(t) = C(t) − t·m_τ
    and S(τ)² = Q(τ)/τ − m_τ², C and Q the running sums of values and squares.

    Returns
    -------
    ndarray
        H per pixel; NaN with fewer than ``min_windows`` usable windows (e.g. a
        constant series).
    """
    # time-major (time, pixels): reductions over time then run across pixels, vectorised
    x = np.ascontiguousarray(_valid_first(as_series(values)).T)
    count = (~np.isnan(x)).sum(axis=0)
    centred = x - x[:1]  # shifting leaves R and S unchanged and avoids cancellation
    prefix = np.cumsum(centred, axis=0)
    squares = np.cumsum(centred * centred, axis=0)
    running_max = np.maximum.accumulate(x, axis=0)
    running_min = np.minimum.accumulate(x, axis=0)
    steps = np.arange(1, x.shape[0] + 1, dtype=np.float64)[:, None]
    total, sum_x, sum_xx, sum_y, sum_xy = np.zeros((5, x.shape[1]))  # Σw, Σw·lnτ, Σw·lnτ², Σw·y, Σw·y·lnτ
    deviations = np.empty_like(x)
    for tau in range(2, x.shape[0] + 1):
        mean = prefix[tau - 1] / tau
        window = deviations[:tau]
        np.multiply(steps[:tau], mean, out=window)
        np.subtract(prefix[:tau], window, out=window)
        spread = window.max(axis=0) - window.min(axis=0)
        variance = squares[tau - 1] / tau - mean * mean
        usable = (count >= tau) & (running_max[tau - 1] > running_min[tau - 1]) & (variance > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(usable, np.log(spread / np.sqrt(variance)), 0.0)
        ln_tau = np.log(tau)
        total += usable
        sum_x += usable * ln_tau
        sum_xx += usable * ln_tau ** 2
        sum_y += y
        sum_xy += y * ln_tau
    denominator = total * sum_xx - sum_x * sum_x
    with np.errstate(invalid="ignore", divide="ignore"):
        h = (total * sum_xy - sum_x * sum_y) / denominator
    h[(total < max(min_windows, 2)) | ~(denominator > 1e-12)] = np.nan
    return h


def _valid_first(x):
    """Each row's valid values moved to the front in time order, NaN after them."""
    order = np.argsort(np.isnan(x), axis=1, kind="stable")
    return np.take_along_axis(x, order, axis=1)


@dataclass
class Trend:
    """Everything :func:`trend_statistics` computes, one array per statistic."""

    sen_slope: np.ndarray
    z: np.ndarray
    p: np.ndarray
    s: np.ndarray
    var_s: np.ndarray
    tau: np.ndarray
    hurst: np.ndarray
    intercept: np.ndarray
    n_valid: np.ndarray


#: Band order of the trend raster: ArcGIS Generate Trend Raster's set, then Hurst, intercept, n_valid.
TREND_BANDS = ("sen_slope", "z", "p", "s", "var_s", "tau", "hurst", "intercept", "n_valid")


def trend_statistics(values, years, min_valid):
    """MK, Sen and Hurst for a block; every statistic NaN where fewer than ``min_valid`` values."""
    x = as_series(values)
    differences = pair_differences(x)  # shared: MK uses their signs, Sen divides them in place
    mk = mann_kendall(x, min_valid, differences)
    slope, intercept = sens_slope(x, years, min_valid, differences)
    hurst = hurst_rs(x)
    few = mk.n < min_valid
    hurst[few] = np.nan
    return Trend(slope, mk.z, mk.p, mk.s, mk.var_s, mk.tau, hurst, intercept, mk.n)


#: Restoration classes of seed 004 Table 2 (codes of the class raster).
RESTORATION_CODES = {1: "SD", 2: "ND", 3: "NI", 4: "SAI", 5: "SCI"}
RESTORATION_NAMES = {
    1: "SD: significant decrease",
    2: "ND: non-significant decrease",
    3: "NI: non-significant increase",
    4: "SAI: significant anti-consistent increase (H ≤ 0.5)",
    5: "SCI: significant consistent increase (H > 0.5)",
}


def restoration_classes(z, slope, hurst, alpha=0.05, nodata=0):
    """Seed 004 Table 2 classes from MK Z, Sen's slope and H.

    significant = |Z| > z_{1−α/2} (1.96 for α = 0.05). SD: significant,
    slope ≤ 0; ND: not significant, slope ≤ 0; NI: not significant, slope > 0;
    significant with slope > 0 (SI) splits into SCI (H > 0.5) and SAI (H ≤ 0.5).
    Pixels with Z or slope missing, and SI pixels whose H is missing, get ``nodata``.
    """
    z, slope, hurst = (np.asarray(a, dtype=np.float64) for a in (z, slope, hurst))
    critical = critical_z(alpha)
    significant = np.abs(z) > critical
    rising = slope > 0
    out = np.full(np.shape(z), nodata, dtype=np.uint8)
    out[~significant & ~rising] = 2
    out[~significant & rising] = 3
    out[significant & ~rising] = 1
    out[significant & rising & (hurst <= 0.5)] = 4
    out[significant & rising & (hurst > 0.5)] = 5
    out[np.isnan(z) | np.isnan(slope)] = nodata
    return out


def critical_z(alpha):
    """z_{1−α/2} of the standard normal distribution."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return float(ndtri(1 - alpha / 2))
