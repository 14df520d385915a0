"""Per-pixel trend statistics over a block of time series: Mann-Kendall, Sen's slope, Hurst.

Every function takes ``values`` of shape (pixels, time) as float64 with NaN for
missing observations (±inf counts as missing too), and ``years`` (time stamps,
strictly increasing, need not be evenly spaced). Loops run over time lags or
window lengths, never over pixels. Seed 004 §2.4; METHODS.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
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


def as_series(values: ArrayLike) -> np.ndarray:
    """Values as a float64 (pixels, time) array; ±inf becomes NaN (missing), as the raster stacks read it."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError("values must have shape (pixels, time), with at least one time step")
    infinite = np.isinf(values)
    if infinite.any():
        values = np.where(infinite, np.nan, values)
    return values


def mann_kendall(values: ArrayLike, min_valid: int = 4) -> MannKendall:
    """Mann-Kendall original test with tie correction, over the valid values of each pixel.

    Parameters
    ----------
    values : array (pixels, time), NaN = missing
    min_valid : int
        Pixels with fewer valid values get NaN in every statistic.

    Returns
    -------
    MannKendall
        A constant series gives S = 0, Var(S) = 0, Z = 0, p = 1 (as pymannkendall).
    """
    x = as_series(values)
    return _mann_kendall(x, SortedPairs(x), min_valid)


def _mann_kendall(x, pairs, min_valid):
    n = pairs.valid
    rising, falling, ties = pairs.sign_counts(x)
    s = (rising - falling).astype(np.float64)
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


class SortedPairs:
    """The pairwise slopes of each row, (x_j − x_i)/(t_j − t_i) for i < j, sorted as :class:`TaggedKeys`.

    One sort serves both Mann-Kendall (the signs: how many keys lie below and
    above zero) and Sen's slope (the middle ranks). Without ``years`` the
    slopes are the plain differences x_j − x_i, enough for the signs. The keys
    are made lag by lag in time-major order (contiguous, in cache), transposed
    and sorted in place; no float64 pair array is kept.
    """

    def __init__(self, x: np.ndarray, years: np.ndarray | None = None, buffers: KernelBuffers | None = None) -> None:
        buffers = buffers or KernelBuffers()
        pixels, steps = x.shape
        pairs = steps * (steps - 1) // 2
        tagging = _Tagging(pairs)
        self.slopes = _PairSlopes(x, years)
        by_time = buffers.get("by_time", (pairs, pixels), np.float32, odd_lines=True)
        lag_values = buffers.get("lag", (max(steps - 1, 0), pixels), np.float64)
        x_by_time = buffers.get("x_by_time", (steps, pixels), np.float64)
        np.copyto(x_by_time, x.T)
        np.add(x_by_time, 0.0, out=x_by_time)  # −0.0 → +0.0: equal values give the slope +0.0
        largest = np.fmax.reduce(np.abs(x_by_time), axis=None) if x.size else 0.0
        shortest = np.min(np.diff(years)) if years is not None and steps > 1 else 1.0
        clip = not 2 * largest / shortest < FLOAT32_MAX / 2  # slopes that may round to ±inf in float32
        pair_index = np.arange(pairs, dtype=np.int32)[:, None]  # a row of by_time per pair
        start = 0
        for lag in range(1, steps):
            width = steps - lag
            slopes = lag_values[:width]
            np.subtract(x_by_time[lag:], x_by_time[:-lag], out=slopes)
            if years is not None:
                np.divide(slopes, (years[lag:] - years[:-lag])[:, None], out=slopes)
            if clip:
                np.clip(slopes, -FLOAT32_MAX, FLOAT32_MAX, out=slopes)
            by_time[start : start + width] = slopes
            tagging.tag(by_time[start : start + width], pair_index[start : start + width])
            start += width
        ordered = buffers.get("ordered", (pixels, pairs), np.float32)
        np.copyto(ordered, by_time.T)
        ordered.sort(axis=1)  # NaN (a pair with a missing value) sorts last
        #: valid values per row (counted time-major: summing across short rows is several times slower)
        self.valid = steps - np.isnan(x_by_time).sum(axis=0)
        self.count = self.valid * (self.valid - 1) // 2  # pairs of valid values
        #: the values time-major, −0.0 made +0.0, for :func:`hurst_rs` (valid until the buffers' next use)
        self.x_by_time = x_by_time
        self.keys = TaggedKeys(ordered, tagging, self.slopes, self.count)

    def sign_counts(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: pairs rising (x_j > x_i), falling, and the tie term Σ t_p(t_p − 1)(2t_p + 5).

        Keys below zero's bucket are falling pairs, keys above it rising. The keys in zero's bucket
        (tied pairs, and slopes too small for float32) are decided by their exact differences; a value
        tied with d others is in a group of t = d + 1, which adds d(2d + 7) to Σ t(t − 1)(2t + 5).
        """
        below_zero = self.keys.count_below(0.0)
        up_to_zero = self.keys.count_below(self.keys.tagging.largest_zero_key, inclusive=True)
        rising, falling = self.count - up_to_zero, below_zero
        rows, positions = _ragged(below_zero, up_to_zero)
        pair = self.keys.column_at(rows, positions)
        first, second = self.slopes.first[pair], self.slopes.second[pair]
        difference = x[rows, second] - x[rows, first]
        pixels, steps = x.shape
        rising += np.bincount(rows[difference > 0], minlength=pixels)
        falling += np.bincount(rows[difference < 0], minlength=pixels)
        tied = difference == 0
        in_row = rows[tied] * steps
        degree = (
            np.bincount(in_row + first[tied], minlength=pixels * steps)
            + np.bincount(in_row + second[tied], minlength=pixels * steps)
        ).reshape(pixels, steps)
        return rising, falling, (degree * (2 * degree + 7)).sum(axis=1).astype(np.float64)

    def median(self) -> np.ndarray:
        """Median of each row's valid slopes, exact in float64 (NaN without a valid pair)."""
        return self.keys.median()


FLOAT32_MAX = float(np.finfo(np.float32).max)


class _Tagging:
    """How :class:`TaggedKeys` keep a column index in the low mantissa bits of float32 keys."""

    def __init__(self, columns):
        self.bits = max(1, (columns - 1).bit_length())
        if self.bits > 23:
            raise ValueError(f"{columns} values per row are more than float32 keys can index (2^23)")
        self.index_mask = np.int32((1 << self.bits) - 1)
        self.bucket_mask = np.int32(~self.index_mask)
        #: the largest key of zero's bucket: slopes 0 (and below float32's smallest denormals) have keys 0 … this
        self.largest_zero_key = float(self.index_mask.view(np.float32))

    def tag(self, keys, columns):
        """float32 ``keys`` in place: low bits ← ``columns`` (int32, broadcast against the keys)."""
        bits = keys.view(np.int32)
        np.bitwise_and(bits, self.bucket_mask, out=bits)
        np.bitwise_or(bits, columns, out=bits)


class TaggedKeys:
    """Rows of float64 values sorted as float32 keys that carry their column.

    Each key is the value rounded to float32 with its low mantissa bits
    replaced by the value's column (:class:`_Tagging`); the keys of a row are
    sorted ascending, NaN last. Clearing low bits never reverses an order, so
    the keys fall in buckets ordered as the values; within a bucket the order
    is the columns'. The value at sorted rank k is then exact: when rank k is
    alone in its bucket, its key names its column and the float64 value is
    recomputed from it; otherwise the few values of that bucket are ranked in
    float64 (:meth:`_rank_in_bucket`). numpy sorts float32 rows several times
    faster than it sorts or selects in float64, and the key at a rank names
    its column without a search through the row.

    ``values[rows, columns]`` gives the exact float64 values; ``count`` the
    non-NaN values per row.
    """

    def __init__(
        self, ordered: np.ndarray, tagging: _Tagging, values: np.ndarray | _PairSlopes, count: np.ndarray
    ) -> None:
        self.ordered, self.tagging, self.values, self.count = ordered, tagging, values, count
        self.bits = ordered.view(np.int32)

    def column_at(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The column of the value whose key sits at sorted ``positions`` of ``rows``."""
        return self.bits[rows, positions] & self.tagging.index_mask

    def count_below(self, value: float, inclusive: bool = False) -> np.ndarray:
        """Per row: how many keys are < value (≤ with ``inclusive``)."""
        if inclusive:
            return _rows_bisect(self.ordered.shape, lambda rows, at: self.ordered[rows, at] <= value)
        return _rows_bisect(self.ordered.shape, lambda rows, at: self.ordered[rows, at] < value)

    def median(self) -> np.ndarray:
        """Median of each row's values, exact in float64 (NaN for a row without values)."""
        count = self.count
        median = np.full(count.size, np.nan)
        rows = np.flatnonzero(count > 0)
        median[rows] = self.exact_rank(rows, (count[rows] - 1) // 2)
        even = rows[count[rows] % 2 == 0]
        if even.size:  # and the upper middle rank
            median[even] = 0.5 * (median[even] + self.exact_rank(even, count[even] // 2))
        return median

    def exact_rank(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The float64 value of rank k (0-based) among the values of each of ``rows``."""
        bits, bucket_of = self.bits, self.tagging.bucket_mask
        last = self.ordered.shape[1] - 1
        key = bits[rows, k]
        bucket = key & bucket_of
        alone = ((k == 0) | (bits[rows, np.maximum(k - 1, 0)] & bucket_of != bucket)) & (
            (k + 1 >= self.count[rows]) | (bits[rows, np.minimum(k + 1, last)] & bucket_of != bucket)
        )
        value = self.values[rows, key & self.tagging.index_mask]
        shared = np.flatnonzero(~alone)
        if shared.size:
            value[shared] = self._rank_in_bucket(rows[shared], bucket[shared], k[shared])
        return value

    def _rank_in_bucket(self, rows, bucket, k):
        """Rank k in each of ``rows`` where rank k's bucket holds other keys too: rank that bucket's values.

        The bucket is one run of the sorted row, found by bisection on the buckets' order."""
        bucket_of, target = self.tagging.bucket_mask, _bucket_order(bucket)
        shape = (rows.size, self.ordered.shape[1])
        first = _rows_bisect(shape, lambda i, at: _bucket_order(self.bits[rows[i], at] & bucket_of) < target)
        end = _rows_bisect(shape, lambda i, at: _bucket_order(self.bits[rows[i], at] & bucket_of) <= target)
        row, position = _ragged(first, end)
        candidates = self.values[rows[row], self.column_at(rows[row], position)]
        order = np.lexsort((candidates, row))  # by row, then by value
        row_start = np.cumsum(end - first) - (end - first)
        return candidates[order][row_start + k - first]


def _bucket_order(bucket):
    """int64 that orders float32 buckets (sign and magnitude bits) as their floats: −M … −0, +0 … +M."""
    bucket = bucket.astype(np.int64)
    return np.where(bucket >= 0, bucket, -(bucket & 0x7FFFFFFF) - 1)


def _rows_bisect(shape, below):
    """Per row of a (rows, length) array sorted so that ``below(rows, column)`` holds for a leading run
    of each row: the length of that run. A binary search in all rows at once."""
    rows = np.arange(shape[0])
    length = shape[1]
    count = np.zeros(shape[0], dtype=np.intp)
    step = 1 << (length.bit_length() - 1) if length else 0
    while step:  # grow the count by step while the entry there is still below
        probe = count + step
        inside = probe <= length
        count += step * (inside & below(rows, np.minimum(probe, length) - 1))
        step >>= 1
    return count


class _PairSlopes:
    """Float64 slopes (x_j − x_i)/(t_j − t_i) of chosen pairs, computed on demand (plain differences without years)."""

    def __init__(self, x, years):
        steps = x.shape[1]
        lags = np.repeat(np.arange(1, steps), np.arange(steps - 1, 0, -1))
        self.first = np.concatenate([np.arange(steps - lag) for lag in range(1, steps)] or [np.zeros(0, int)])
        self.second = self.first + lags
        self.x, self.years = x, years

    def __getitem__(self, index):
        rows, pairs = index
        i, j = self.first[pairs], self.second[pairs]
        difference = self.x[rows, j] - self.x[rows, i]
        return difference if self.years is None else difference / (self.years[j] - self.years[i])


class KernelBuffers:
    """Arrays reused by successive kernel calls (:class:`SortedPairs`, :func:`hurst_rs`) of one thread.

    The arrays of a kernel call are megabytes; allocated afresh at every call
    they cost page faults that took a quarter of the kernel's time.
    """

    def __init__(self) -> None:
        self._arrays = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: DTypeLike, odd_lines: bool = False) -> np.ndarray:
        """An uninitialised array of ``shape``, backed by this object's buffer ``name``.

        ``odd_lines``: the rows of a 2-D array start an odd number of 64-byte cache lines apart. A
        transposed copy reads down the columns; with rows a power of two apart (chunks of 8,192 pixels)
        all of a column maps to a few cache sets and the copy is 3–10× slower.
        """
        if odd_lines:
            rows, columns = shape
            per_line = 64 // np.dtype(dtype).itemsize
            lines = -(-columns // per_line) | 1
            return self.get(name, (rows, lines * per_line), dtype)[:, :columns]
        size = int(np.prod(shape))
        array = self._arrays.get(name)
        if array is None or array.size < size or array.dtype != dtype:
            array = self._arrays[name] = np.empty(size, dtype)
        return array[:size].reshape(shape)


def _ragged(start, stop):
    """(row, column) of every column start[row] ≤ column < stop[row], row by row."""
    lengths = stop - start
    rows = np.repeat(np.arange(lengths.size), lengths)
    columns = np.arange(rows.size) - np.repeat(np.cumsum(lengths) - lengths - start, lengths)
    return rows, columns


def _blank(result, mask):
    for name in result.__dataclass_fields__:
        if name != "n":
            getattr(result, name)[mask] = np.nan


def check_years(years: ArrayLike, steps: int) -> np.ndarray:
    """Years as float64; ValueError unless one per time step and strictly increasing."""
    t = np.asarray(years, dtype=np.float64)
    if t.shape != (steps,):
        raise ValueError(f"{t.size} years for {steps} time steps")
    if np.any(np.diff(t) <= 0):
        raise ValueError("years must increase strictly")
    return t


def sens_slope(values: ArrayLike, years: ArrayLike, min_valid: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Sen's slope (units per year) and intercept per pixel, using the real time stamps.

    slope = median over i < j of (x_j − x_i) / (t_j − t_i), pairs of valid values only;
    intercept = median(x) − slope × median(t − t₀), t₀ the first year, so the
    line is x ≈ intercept + slope (t − t₀). With consecutive years this is
    ``pymannkendall.sens_slope`` (which uses the index as time).

    Returns
    -------
    (slope, intercept) arrays; NaN where fewer than ``min_valid`` values.
    """
    x = as_series(values)
    t = check_years(years, x.shape[1])
    return _sens_slope(x, t, SortedPairs(x, t), min_valid)


def _sens_slope(x, t, pairs, min_valid):
    n = pairs.valid
    slope = pairs.median()
    t_median = np.full(x.shape[0], np.median(t - t[0]))  # rows with every year valid
    gaps = np.flatnonzero((n < x.shape[1]) & (n > 0))
    if gaps.size:  # the years are increasing: their median is the middle one (or two) of the valid years
        rank = np.cumsum(~np.isnan(x[gaps]), axis=1)  # 1-based rank of each valid year
        low = (rank == ((n[gaps] + 1) // 2)[:, None]).argmax(axis=1)
        high = (rank == (n[gaps] // 2 + 1)[:, None]).argmax(axis=1)
        t_median[gaps] = 0.5 * ((t[low] - t[0]) + (t[high] - t[0]))
    intercept = row_nanmedian(x, n) - t_median * slope
    few = n < max(min_valid, 2)
    slope[few] = np.nan
    intercept[few] = np.nan
    return slope, intercept


def row_nanmedian(values: ArrayLike, count: np.ndarray | None = None) -> np.ndarray:
    """Median of the non-NaN values of each row (NaN for an all-NaN row), exact in float64.

    ``count``, the number of non-NaN values per row, may be given when known.
    Sorted as :class:`TaggedKeys` (numpy.nanmedian would loop over rows in
    Python for rows of 600 values or more).
    """
    values = np.asarray(values, dtype=np.float64)
    if count is None:
        count = values.shape[1] - np.isnan(values).sum(axis=1)
    in_range = values.size == 0 or np.fmax.reduce(np.abs(values), axis=None) <= FLOAT32_MAX
    # clipped when needed (np.clip is slow): a tagged ±inf key would be NaN
    keys = (values if in_range else np.clip(values, -FLOAT32_MAX, FLOAT32_MAX)).astype(np.float32)
    keys += 0.0  # −0.0 → +0.0
    tagging = _Tagging(values.shape[1])
    tagging.tag(keys, np.arange(values.shape[1], dtype=np.int32))
    keys.sort(axis=1)
    return TaggedKeys(keys, tagging, values, count).median()


def hurst_rs(
    values: ArrayLike, min_windows: int = 2, buffers: KernelBuffers | None = None, by_time: np.ndarray | None = None
) -> np.ndarray:
    """Hurst exponent by rescaled-range (R/S) analysis, expanding-window variant.

    For each window length τ = 2 … n (n valid values of the pixel), take the
    first τ valid values x₁ … x_τ (missing years skipped), their mean m_τ, the
    cumulative deviations X(t) = Σ_{u ≤ t} (x_u − m_τ) for t = 1 … τ,
    R(τ) = max X − min X and S(τ) = population standard deviation of x₁ … x_τ.
    Windows with S(τ) = 0 (constant so far) are skipped. H is the
    least-squares slope of ln(R/S) on ln τ over the remaining windows
    (METHODS.md §3, the variant common in vegetation-trend studies).
    H > 0.5: persistent; ≤ 0.5: anti-persistent.

    Computed from running sums of the values centred on x₁: X(t) = C(t) − k(t)·m_τ
    and S(τ)² = Q(τ)/τ − m_τ², C and Q the running sums of values and squares and
    k(t) the number of valid values up to t. A missing year adds nothing to C, Q
    and k, so it repeats the previous X and never changes R; the window of the
    first τ valid values ends at the year where k reaches τ.

    ``buffers``: a :class:`KernelBuffers` to reuse between calls of one thread;
    ``by_time``: the same values already time-major (time, pixels), to skip a copy.

    Returns
    -------
    ndarray
        H per pixel; NaN with fewer than ``min_windows`` usable windows (e.g. a
        constant series).
    """
    # time-major (time, pixels): every step below runs across pixels, vectorised
    values = as_series(values)
    pixels, steps = values.shape
    if steps < 2:
        return np.full(pixels, np.nan)
    buffers = buffers or KernelBuffers()
    x = by_time
    if x is None:
        x = buffers.get("x", (steps, pixels), np.float64)
        np.copyto(x, values.T)
    shape = (steps, pixels)
    missing = np.isnan(x, out=buffers.get("missing", shape, bool))
    first = x[(~missing).argmax(axis=0), np.arange(pixels)]
    centred = np.subtract(x, first, out=buffers.get("centred", shape, np.float64))  # R, S unchanged; no cancellation
    np.copyto(centred, 0.0, where=missing)
    count = np.subtract(1.0, missing, out=buffers.get("count", shape, np.float64))
    _accumulate_rows(np.add, count, count)
    prefix = _accumulate_rows(np.add, centred, buffers.get("prefix", shape, np.float64))
    squares = _accumulate_rows(np.add, np.multiply(centred, centred, out=centred), centred)
    means = buffers.get("means", shape, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(prefix, count, out=means)  # m of the window ending at each year (NaN before the first value)
    highest, lowest, deviations = (buffers.get(name, shape, np.float64) for name in ("highest", "lowest", "deviations"))
    for end in range(1, steps):  # the O(n²) part, four calls per window end
        window = deviations[: end + 1]
        np.multiply(count[: end + 1], means[end], out=window)
        np.subtract(prefix[: end + 1], window, out=window)
        np.max(window, axis=0, out=highest[end])
        np.min(window, axis=0, out=lowest[end])
    # every window at once from here: row t − 1 is the window of the first k(t) valid values, t = 1 … n − 1,
    # usable where year t is valid (a missing year repeats the previous window) and S > 0
    count, means, squares, highest, lowest, missing = (a[1:] for a in (count, means, squares, highest, lowest, missing))
    variance = buffers.get("variance", count.shape, np.float64)
    unusable = buffers.get("unusable", count.shape, bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(squares, count, out=variance)
        np.subtract(variance, np.multiply(means, means, out=means), out=variance)
        np.logical_or(np.less_equal(variance, 0.0, out=unusable), missing, out=unusable)
    # least squares of y = ln(R/S) on ln τ: Σ ln τ, Σ ln² τ, Σ y, Σ y ln τ over the usable windows
    terms = buffers.get("terms", (steps - 1, 4, pixels), np.float64)
    ln_tau, ln_tau2, ln_rs, cross = (terms[:, i] for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        np.log(count, out=ln_tau)
        np.divide(np.subtract(highest, lowest, out=highest), np.sqrt(variance, out=variance), out=ln_rs)
        np.log(ln_rs, out=ln_rs)
    np.copyto(ln_tau, 0.0, where=unusable)
    np.copyto(ln_rs, 0.0, where=unusable)
    np.multiply(ln_tau, ln_tau, out=ln_tau2)
    np.multiply(ln_rs, ln_tau, out=cross)
    sum_x, sum_xx, sum_y, sum_xy = _accumulate_rows(np.add, terms, terms)[-1]
    total = (steps - 1) - np.count_nonzero(unusable, axis=0)
    denominator = total * sum_xx - sum_x * sum_x
    with np.errstate(invalid="ignore", divide="ignore"):
        h = (total * sum_xy - sum_x * sum_y) / denominator
    h[(total < max(min_windows, 2)) | ~(denominator > 1e-12)] = np.nan
    return h


def _accumulate_rows(ufunc, a, out):
    """``ufunc.accumulate(a, axis=0, out=out)`` row after row (``out`` may be ``a``): several times faster on
    (time, pixels) arrays, and sums keep one order whatever the number of pixels (sum() adds pairwise)."""
    out[0] = a[0]
    for row in range(1, a.shape[0]):
        ufunc(out[row - 1], a[row], out=out[row])
    return out


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


def trend_statistics(
    values: ArrayLike, years: ArrayLike, min_valid: int, buffers: KernelBuffers | None = None
) -> Trend:
    """MK, Sen and Hurst for a block; every statistic NaN where fewer than ``min_valid`` values.

    ``buffers``: a :class:`KernelBuffers` to reuse between calls of one thread.
    """
    x = as_series(values)
    t = check_years(years, x.shape[1])
    pairs = SortedPairs(x, t, buffers)  # one sort of the slopes: MK counts their signs, Sen takes their median
    mk = _mann_kendall(x, pairs, min_valid)
    slope, intercept = _sens_slope(x, t, pairs, min_valid)
    hurst = hurst_rs(x, buffers=buffers, by_time=pairs.x_by_time)
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


def restoration_classes(
    z: ArrayLike, slope: ArrayLike, hurst: ArrayLike, alpha: float = 0.05, nodata: int = 0
) -> np.ndarray:
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


def critical_z(alpha: float) -> float:
    """z_{1−α/2} of the standard normal distribution."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return float(ndtri(1 - alpha / 2))
