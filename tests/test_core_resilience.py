"""mineland.core.resilience.resilience against hand computations (seed 003 eq. 1–5)."""

import numpy as np
import pytest

from mineland.core.resilience import resilience


def test_shannon_in_bits():
    h = resilience.shannon_log2([[0.5, 0.5, 0, 0], [0.25] * 4, [1.0, 0, 0, 0]])
    np.testing.assert_allclose(h, [1.0, 2.0, 0.0])


def test_resilience_by_hand():
    shares = np.array([[0.5, 0.5], [1.0, 0.0]])
    scores = [0.4, 0.8]
    result = resilience.resilience(shares, scores, ndvi=[0.6, 0.3], c1=2.0, c2=0.5, mu=0.08)
    # zone 1: H = 1 bit; ECO_res = 1 · (0.5·0.4 + 0.5·0.8) = 0.6; σ = 1 · 0.6 / (2 · 0.5) = 0.6; E = 0.6·0.08·0.6
    assert result.h[0] == 1.0 and result.eco_res[0] == pytest.approx(0.6)
    assert result.sigma[0] == pytest.approx(0.6) and result.e[0] == pytest.approx(0.6 * 0.08 * 0.6)
    # zone 2: a single class: H = 0, so everything is 0 (documented, not NaN)
    assert (result.h[1], result.eco_res[1], result.sigma[1], result.e[1]) == (0.0, 0.0, 0.0, 0.0)


def test_zero_change_rate_is_refused():
    with pytest.raises(ValueError, match="C1 and C2 must not be 0"):
        resilience.resilience([[0.5, 0.5]], [1, 1], [0.5], c1=0.0, c2=1.0)


def test_scores_and_ndvi_helpers():
    assert resilience.parse_scores("1=0.5; 2 = 0.9") == {1: 0.5, 2: 0.9}
    with pytest.raises(ValueError, match="not code=score"):
        resilience.parse_scores("1:0.5")
    np.testing.assert_allclose(resilience.ndvi_from_bands([0.1, 0.0], [0.3, 0.0]), [0.5, np.nan])
    np.testing.assert_allclose(resilience.class_shares([[1.0, 3.0], [0.0, 0.0]]), [[0.25, 0.75], [np.nan, np.nan]])


def _brute_force(classes, ndvi, codes, scores, size):
    """The window statistics pixel by pixel, as the docstring states them (reference for the test only)."""
    half = size // 2
    rows, cols = classes.shape
    e = np.full(classes.shape, np.nan)
    for r in range(rows):
        for c in range(cols):
            window = classes[max(0, r - half) : r + half + 1, max(0, c - half) : c + half + 1]
            values = ndvi[max(0, r - half) : r + half + 1, max(0, c - half) : c + half + 1]
            shares = np.array([[np.mean(window == k) for k in codes]])
            e[r, c] = resilience.resilience(shares, scores, [values.mean()], 2.0, 0.5, 0.08).e[0]
    return e


def test_window_resilience_and_blocks_with_halo(tmp_path):
    from osgeo import gdal

    from mineland.core.io import raster_io
    from rasters import write_raster

    rng = np.random.default_rng(3)
    classes = rng.integers(1, 4, size=(9, 7)).astype(np.uint8)
    ndvi = rng.random((9, 7))
    codes, scores = [1, 2, 3], [0.4, 0.8, 0.5]
    whole = resilience.window_resilience(
        classes, np.ones_like(classes, bool), ndvi, np.ones_like(ndvi, bool), codes, scores, 2.0, 0.5, 0.08, 3
    )
    np.testing.assert_allclose(whole.e, _brute_force(classes, ndvi, codes, scores, 3), rtol=1e-9, atol=1e-12)

    # strips of 2 rows with a halo of 1 row give the same as the whole raster
    ds_c = gdal.Open(write_raster(tmp_path / "c.tif", classes))
    ds_n = gdal.Open(write_raster(tmp_path / "n.tif", ndvi.astype(np.float32)))
    grid = raster_io.grid_of(ds_c)
    stitched = np.full(classes.shape, np.nan)
    for yoff, nrows, (c, n), top in raster_io.iter_blocks_with_halo(
        [ds_c.GetRasterBand(1), ds_n.GetRasterBand(1)], grid, 1, block_pixels=14
    ):
        part = resilience.window_resilience(
            c, np.ones_like(c, bool), n.astype(np.float64), np.ones_like(n, bool), codes, scores, 2.0, 0.5, 0.08, 3
        )
        stitched[yoff : yoff + nrows] = part.e[top : top + nrows]
    full = resilience.window_resilience(
        classes,
        np.ones_like(classes, bool),
        ndvi.astype(np.float32).astype(np.float64),
        np.ones_like(ndvi, bool),
        codes,
        scores,
        2.0,
        0.5,
        0.08,
        3,
    )
    np.testing.assert_allclose(stitched, full.e, rtol=1e-12)


def test_window_resilience_with_change_rate_arrays():
    # one row of 3 pixels, window 3: pixel 0 sees columns 0–1, pixel 1 all three, pixel 2 columns 1–2
    classes = np.array([[1, 2, 2]])
    ndvi = np.array([[0.2, 0.6, 0.4]])
    c1 = np.array([[1.0, 3.0, np.nan]])  # NaN = no value: left out of the window mean
    c2 = np.full((1, 3), 0.5)
    ones = np.ones((1, 3), bool)
    result = resilience.window_resilience(classes, ones, ndvi, ones, [1, 2], [0.4, 0.8], c1, c2, 0.08, 3)
    # pixel 0: H = 1, ECO_res = 0.6, NDVI 0.4, C1 = (1 + 3)/2 = 2, C2 = 0.5 → σ = 0.4, E = 0.4 · 0.08 · 0.6
    assert result.sigma[0, 0] == pytest.approx(0.4) and result.e[0, 0] == pytest.approx(0.0192)
    # pixel 1: shares 1/3, 2/3 → H = log2 3 − 2/3; NDVI 0.4; C1 again 2 (the NaN is left out) → σ = 0.4 H
    h = np.log2(3) - 2 / 3
    assert result.h[0, 1] == pytest.approx(h) and result.sigma[0, 1] == pytest.approx(0.4 * h)
    assert result.e[0, 1] == pytest.approx(0.4 * h * 0.08 * h * (0.4 / 3 + 1.6 / 3))


def test_window_resilience_zero_or_missing_rates_leave_sigma_and_e_out():
    classes = np.array([[1, 2, 1, 2, 1, 2]])
    ones = np.ones((1, 6), bool)
    ndvi = np.full((1, 6), 0.5)
    c1 = np.array([[0.3, 0.7, 0.1, 0.0, 0.0, 0.0]])  # windows of pixels 4 and 5 hold only zeros
    c2 = np.array([[np.nan, np.nan, 1.0, 1.0, 1.0, 1.0]])  # pixel 0's window has no C2
    result = resilience.window_resilience(classes, ones, ndvi, ones, [1, 2], [0.4, 0.8], c1, c2, 0.08, 3)
    np.testing.assert_array_equal(np.isnan(result.sigma[0]), [True, False, False, False, True, True])
    np.testing.assert_array_equal(np.isnan(result.e[0]), np.isnan(result.sigma[0]))
    assert np.all(np.isfinite(result.h)) and np.all(np.isfinite(result.eco_res))  # H and ECO_res kept
    # pixel 3: classes 2, 1, 2 → H = log2 3 − 2/3; C1 = (0.1 + 0 + 0)/3, C2 = 1: σ = H · 0.5 / (0.1/3)
    h = np.log2(3) - 2 / 3
    assert result.sigma[0, 3] == pytest.approx(h * 0.5 / (0.1 / 3))
