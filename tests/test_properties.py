"""Properties of the core kernels that must hold for any input (hypothesis), and block-size independence."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mineland.core.io import raster_io
from mineland.core.landcover import carbon, crosstab, dynamics
from mineland.core.spatial import autocorrelation, spatial_weights
from mineland.core.timeseries import trend
from rasters import write_raster

CLASS_GRIDS = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda cols: st.tuples(
            arrays(np.uint8, (rows, cols), elements=st.integers(0, 4)),
            arrays(np.uint8, (rows, cols), elements=st.integers(0, 4)),
            arrays(np.float64, (rows,), elements=st.floats(1.0, 1e4)),
        )
    )
)
# whole numbers (ties included) so that the cube below is exact and strictly increasing in floating point
SERIES = arrays(np.float64, st.integers(4, 25), elements=st.integers(-1000, 1000).map(float))


def pair_table(start, end, row_areas, nodata=0):
    counter = crosstab.PairCounter(row_areas, nodata, nodata)
    counter.add(0, start, end)
    return counter.result()


@settings(max_examples=200, deadline=None)
@given(CLASS_GRIDS)
def test_transfer_matrix_margins_are_the_areas_of_each_date(grids):
    start, end, row_areas = grids
    table = pair_table(start, end, row_areas)
    valid = (start != 0) & (end != 0)
    area = np.broadcast_to(row_areas[:, None], start.shape)
    matrix = table.matrix(table.classes)
    for k, code in enumerate(table.classes):
        assert matrix[k].sum() == pytest.approx(area[valid & (start == code)].sum())
        assert matrix[:, k].sum() == pytest.approx(area[valid & (end == code)].sum())


@settings(max_examples=100, deadline=None)
@given(CLASS_GRIDS, st.randoms(use_true_random=False))
def test_dynamic_degrees_do_not_depend_on_pixel_order(grids, random):
    start, end, _ = grids
    order = list(range(start.size))
    random.shuffle(order)
    ones = np.ones(1)
    tables = [
        pair_table(a.reshape(1, -1), b.reshape(1, -1), ones)
        for a, b in ((start.ravel(), end.ravel()), (start.ravel()[order], end.ravel()[order]))
    ]
    if tables[0].pixels.size == 0:
        return
    results = [dynamics.period_dynamics(t.matrix(t.classes), t.classes, 2000, 2010) for t in tables]
    np.testing.assert_array_equal(results[0].k_pct_per_year, results[1].k_pct_per_year)
    assert results[0].s_index == results[1].s_index and results[0].lc_pct_per_year == results[1].lc_pct_per_year


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.float64, 5, elements=st.floats(0, 1e7)),
    arrays(np.float64, 5, elements=st.floats(0, 500)),
    arrays(np.float64, 5, elements=st.floats(0, 500)),
    st.floats(0, 10),
    st.floats(0, 10),
)
def test_carbon_is_linear_in_the_densities(area, d1, d2, a, b):
    combined = carbon.carbon_mg(area, a * d1 + b * d2)
    expected = a * carbon.carbon_mg(area, d1) + b * carbon.carbon_mg(area, d2)
    np.testing.assert_allclose(combined, expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=300, deadline=None)
@given(SERIES)
def test_mann_kendall_ignores_increasing_transforms_and_flips_with_reversal(x):
    base = trend.mann_kendall(x)
    warped = trend.mann_kendall(x**3 / 8 - 5.0)  # strictly increasing in x
    reversed_ = trend.mann_kendall(x[::-1])
    assert warped.s[0] == base.s[0] and warped.z[0] == base.z[0]
    assert reversed_.s[0] == -base.s[0] and reversed_.z[0] == -base.z[0]


GRID_VALUES = arrays(np.float64, 25, elements=st.floats(-100, 100, allow_nan=False)).filter(lambda x: np.ptp(x) > 1e-3)


@settings(max_examples=100, deadline=None)
@given(GRID_VALUES, st.floats(0.01, 100), st.floats(-1e3, 1e3))
def test_morans_i_is_invariant_to_affine_rescaling(x, scale, shift):
    w = spatial_weights.grid_contiguity(5, 5, "queen")
    base = autocorrelation.global_moran(x, w, permutations=0)
    scaled = autocorrelation.global_moran(scale * x + shift, w, permutations=0)
    assert scaled.I == pytest.approx(base.I, rel=1e-6, abs=1e-9)
    assert scaled.z_norm == pytest.approx(base.z_norm, rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(GRID_VALUES, st.floats(-1e3, 1e3))
def test_gi_star_z_is_unchanged_by_a_constant_shift(x, shift):
    w = spatial_weights.grid_contiguity(5, 5, "rook")
    base = autocorrelation.local_g_star(x, w)
    shifted = autocorrelation.local_g_star(x + shift, w)
    np.testing.assert_allclose(shifted.z, base.z, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("block_pixels", [7, 64, 1 << 22])
def test_block_size_never_changes_the_counts(tmp_path, block_pixels):
    rng = np.random.default_rng(11)
    start, end = rng.integers(0, 5, (37, 23)).astype(np.uint8), rng.integers(0, 5, (37, 23)).astype(np.uint8)
    paths = [
        write_raster(tmp_path / f"{k}.tif", a, nodata=0, epsg=4326, origin=(10.0, 50.0), pixel=(0.01, 0.01))
        for k, a in enumerate((start, end))
    ]
    datasets = [raster_io.open_raster(p) for p in paths]
    grid = raster_io.grid_of(datasets[0])
    bands = [d.GetRasterBand(1) for d in datasets]
    areas = raster_io.row_pixel_areas_m2(grid)  # geographic: every row a different area
    per_date, pairs = crosstab.tabulate(
        bands, [0, 0], grid, areas, periods=[(0, 1)], per_date=True, block_pixels=block_pixels
    )
    reference = pair_table(start, end, areas)
    np.testing.assert_array_equal(pairs[(0, 1)].pixels, reference.pixels)
    np.testing.assert_allclose(pairs[(0, 1)].area_m2, reference.area_m2, rtol=1e-12)
    assert per_date[0][2].sum() == pytest.approx(np.broadcast_to(areas[:, None], start.shape)[start != 0].sum())


def _trend_and_mlri(paths, folder, block_pixels):
    """Trend (with classes) and MLRI rasters of the same stack written with ``block_pixels`` per block."""
    from mineland.core.engine import runner, scaleout, stack

    sources = [source for path in paths for source in scaleout.sources_of([path])]  # every band of each file
    grid = raster_io.grid_of(raster_io.open_raster(sources[0].path))
    years = list(range(2001, 2001 + len(sources) // 2))
    lst, evi = sources[: len(years)], sources[len(years) :]
    out = {}
    with (
        raster_io.BlockWriter(
            folder / f"t{block_pixels}.tif", grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(trend.TREND_BANDS)
        ) as writer,
        raster_io.BlockWriter(folder / f"c{block_pixels}.tif", grid, raster_io.BYTE, 0) as classes,
    ):
        scaleout.write_trend_rasters(
            runner.LocalExecutor(), lst, [None] * len(lst), grid, years, 4, writer, classes, block_pixels=block_pixels
        )
    with raster_io.BlockWriter(
        folder / f"m{block_pixels}.tif", grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(years)
    ) as writer:
        scaleout.write_mlri_raster(
            runner.LocalExecutor(),
            lst,
            [None] * len(lst),
            evi,
            [None] * len(evi),
            grid,
            0.0,
            writer,
            block_pixels=block_pixels,
        )
    for name in ("t", "c", "m"):
        dataset = raster_io.open_raster(str(folder / f"{name}{block_pixels}.tif"))
        out[name] = dataset.ReadAsArray()
    return out


def test_block_size_never_changes_the_trend_or_mlri(tmp_path):
    rng = np.random.default_rng(3)
    lst = (
        290
        + np.arange(8, dtype=np.float32)[:, None, None] * rng.random((33, 21), dtype=np.float32)
        + rng.random((8, 33, 21), dtype=np.float32)
    )
    lst[2, 5, 5] = np.nan  # a missing pixel-year
    evi = (0.1 + rng.random((8, 33, 21), dtype=np.float32)).astype(np.float32)
    paths = [write_raster(tmp_path / "lst.tif", lst), write_raster(tmp_path / "evi.tif", evi)]
    tiny, large = (_trend_and_mlri(paths, tmp_path, pixels) for pixels in (5, 1 << 22))
    for name in tiny:
        np.testing.assert_array_equal(tiny[name], large[name])
