"""mineland.core.timeseries.inspect: one pixel's series from a raster stack, its statistics and class.

Known answers by hand and by calling the kernels of mineland.core.timeseries.trend
directly; the whole-raster engine of mineland:trend (scaleout.write_trend_rasters on a
runner.LocalExecutor) must give the same numbers for every pixel. No QGIS here.
"""

import math

import numpy as np
import pytest
from osgeo import gdal
from scipy.special import ndtr

from mineland.core.engine import runner, scaleout, stack
from mineland.core.io import raster_io
from mineland.core.timeseries import inspect, trend
from rasters import write_raster

NODATA = -9999.0
ORIGIN = (500000.0, 6000000.0)
PIXEL = 30.0


def _centre(row, col):
    return ORIGIN[0] + PIXEL * (col + 0.5), ORIGIN[1] - PIXEL * (row + 0.5)


def _cube(steps=10, seed=8):
    """(steps, 3, 4) float32: pixel (0, 0) rises strictly by 1 a year, (0, 1) falls by 2, (1, 1) is noise,
    (1, 2) is constant, (2, 3) has two missing years."""
    rng = np.random.default_rng(seed)
    cube = rng.normal(size=(steps, 3, 4)).astype(np.float32)
    cube[:, 0, 0] = np.arange(steps)
    cube[:, 0, 1] = 50 - 2.0 * np.arange(steps)
    cube[:, 1, 2] = 7.0
    cube[:, 2, 3] = 0.5 * np.arange(steps) + rng.normal(scale=0.1, size=steps)
    cube[[1, 4], 2, 3] = NODATA
    return cube


@pytest.fixture
def singles(tmp_path):
    cube = _cube()
    years = list(range(2001, 2011))
    paths = [write_raster(tmp_path / f"ndvi_{year}.tif", band, nodata=NODATA) for year, band in zip(years, cube)]
    return cube, years, paths


@pytest.fixture
def multiband(tmp_path):
    cube = _cube()
    path = write_raster(tmp_path / "ndvi_stack.tif", cube, nodata=NODATA)
    ds = gdal.Open(path, gdal.GA_Update)
    for k in range(cube.shape[0]):
        ds.GetRasterBand(k + 1).SetDescription(str(2001 + k))
    ds = None
    return cube, path


# ------------------------------------------------------------------ known answers


def test_strictly_increasing_ten_years_by_hand(singles):
    _, years, paths = singles
    series = inspect.inspect_pixel(paths, *_centre(0, 0))
    assert (series.row, series.col) == (0, 0)
    assert series.values.tolist() == list(range(10))
    assert series.years.tolist() == years
    assert series.n_valid == 10
    assert series.s == 45  # every one of the 45 pairs rises
    assert series.var_s == pytest.approx(10 * 9 * 25 / 18)  # n(n−1)(2n+5)/18, no ties
    assert series.z == pytest.approx(44 / math.sqrt(125))  # (S − 1)/√Var(S)
    assert series.p == pytest.approx(2 * (1 - ndtr(44 / math.sqrt(125))))
    assert series.tau == 1.0
    assert series.sen_slope == pytest.approx(1.0)  # one unit a year
    assert series.intercept == pytest.approx(4.5 - 4.5)  # median(x) − slope × median(t − t0)
    np.testing.assert_allclose(series.sen_line(), np.arange(10.0))
    assert series.hurst == pytest.approx(float(trend.hurst_rs(np.arange(10.0))[0]))
    assert series.hurst > 0.5
    assert (series.restoration_class, series.restoration_code) == (5, "SCI")
    assert series.restoration_name == trend.RESTORATION_NAMES[5]


def test_strictly_decreasing_is_a_significant_decrease(singles):
    _, _, paths = singles
    series = inspect.inspect_pixel(paths, *_centre(0, 1))
    assert series.s == -45 and series.z == pytest.approx(-44 / math.sqrt(125))
    assert series.sen_slope == pytest.approx(-2.0)
    assert (series.restoration_class, series.restoration_code) == (1, "SD")


def test_real_years_with_gaps_set_the_slope():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    years = [2000, 2001, 2002, 2004, 2006, 2008, 2010, 2012]  # steps of 1 then 2 years
    series = inspect.pixel_statistics(values, years, min_valid=4)
    pairs = [(values[j] - values[i]) / (years[j] - years[i]) for i in range(8) for j in range(i + 1, 8)]
    assert series.sen_slope == pytest.approx(float(np.median(pairs)))
    assert series.s == 28


def test_constant_series_has_no_trend_and_no_hurst(singles):
    _, _, paths = singles
    series = inspect.inspect_pixel(paths, *_centre(1, 2))
    assert (series.s, series.var_s, series.z, series.p) == (0, 0, 0, 1)  # one tie group of 10: Var(S) = 0
    assert series.sen_slope == 0 and math.isnan(series.hurst)
    assert (series.restoration_class, series.restoration_code) == (2, "ND")  # not significant, slope ≤ 0


def test_nodata_years_are_nan_and_skipped(singles):
    cube, years, paths = singles
    series = inspect.inspect_pixel(paths, *_centre(2, 3))
    assert np.isnan(series.values[[1, 4]]).all() and series.n_valid == 8
    expected = trend.trend_statistics(series.values[None], years, 8)
    for name in ("s", "var_s", "z", "p", "tau", "sen_slope", "intercept", "hurst"):
        assert getattr(series, name) == pytest.approx(float(getattr(expected, name)[0]), rel=1e-12), name
    kept = [k for k in range(10) if k not in (1, 4)]
    mk = trend.mann_kendall(cube[kept, 2, 3].astype(float))
    assert series.s == mk.s[0] and series.z == pytest.approx(mk.z[0])


def test_too_few_valid_years_give_no_statistics(singles):
    _, _, paths = singles
    series = inspect.inspect_pixel(paths, *_centre(2, 3), min_valid=9)  # 8 valid
    assert not series.enough
    assert all(math.isnan(getattr(series, n)) for n in ("s", "z", "p", "sen_slope", "hurst"))
    assert series.restoration_class == 0 and series.restoration_code == ""
    assert "8 valid years, fewer than 9" in series.restoration_name
    assert np.isnan(series.sen_line()).all()


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1e-4])
def test_class_follows_alpha_like_the_kernel(singles, alpha):
    _, _, paths = singles
    for row in range(3):
        for col in range(4):
            series = inspect.inspect_pixel(paths, *_centre(row, col), alpha=alpha)
            kernel = trend.restoration_classes([series.z], [series.sen_slope], [series.hurst], alpha)[0]
            assert series.restoration_class == kernel


def test_every_pixel_equals_the_trend_raster(tmp_path, singles):
    """The inspector shows what mineland:trend's engine writes for that pixel."""
    cube, years, paths = singles
    pixel_stack = inspect.open_stack(paths)
    out, classes = str(tmp_path / "trend.tif"), str(tmp_path / "classes.tif")
    with (
        raster_io.BlockWriter(
            out, pixel_stack.grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(trend.TREND_BANDS)
        ) as writer,
        raster_io.BlockWriter(classes, pixel_stack.grid, raster_io.BYTE, 0) as class_writer,
    ):
        scaleout.write_trend_rasters(
            runner.LocalExecutor(),
            scaleout.sources_of(paths),
            pixel_stack.nodatas,
            pixel_stack.grid,
            years,
            8,
            writer,
            class_writer,
            0.05,
        )
    written = gdal.Open(out).ReadAsArray()
    written_classes = gdal.Open(classes).ReadAsArray()
    for row in range(3):
        for col in range(4):
            series = pixel_stack.series(*_centre(row, col), years=years)
            for index, name in enumerate(trend.TREND_BANDS):
                value = written[index, row, col]
                mine = float(series.n_valid if name == "n_valid" else getattr(series, name))
                if value == stack.FLOAT_NODATA:
                    assert math.isnan(mine), (row, col, name)
                else:
                    assert mine == pytest.approx(float(value), rel=1e-6, abs=1e-6), (row, col, name)
            assert series.restoration_class == written_classes[row, col]


# ------------------------------------------------------------------ stacks


def test_multiband_equals_single_bands_and_years_come_from_band_names(singles, multiband):
    _, years, paths = singles
    _, path = multiband
    many, one = inspect.open_stack(paths), inspect.open_stack([path])
    assert one.count == many.count == 10
    assert one.labels == [str(y) for y in years] and one.default_years() == years
    assert many.labels == [f"ndvi_{y}" for y in years] and many.default_years() == years
    for row, col in ((0, 0), (1, 1), (2, 3)):
        a, b = one.series(*_centre(row, col)), many.series(*_centre(row, col))
        np.testing.assert_array_equal(a.values, b.values)
        assert (a.z, a.sen_slope, a.restoration_class) == (b.z, b.sen_slope, b.restoration_class)


def test_years_default_to_one_to_n_without_year_names(tmp_path):
    path = write_raster(tmp_path / "s.tif", np.arange(24, dtype=np.float32).reshape(6, 2, 2))
    pixel_stack = inspect.open_stack([path])
    assert pixel_stack.labels == [f"band {k}" for k in range(1, 7)]
    assert pixel_stack.default_years() == [1, 2, 3, 4, 5, 6]
    series = pixel_stack.series(*_centre(1, 0), min_valid=4)
    assert series.values.tolist() == [2, 6, 10, 14, 18, 22] and series.sen_slope == pytest.approx(4.0)


@pytest.mark.parametrize(
    "names, years",
    [
        (["ndvi_2001", "ndvi_2002", "ndvi_2005"], [2001, 2002, 2005]),
        (["2001", "NDVI 2002 (Landsat)", "x-2003.tif"], [2001, 2002, 2003]),
        (["ndvi_2002", "ndvi_2001"], None),  # not increasing
        (["ndvi_2001_2002", "ndvi_2003"], None),  # ambiguous
        (["a", "b"], None),
        (["20011", "20012"], None),  # not a year standing alone
        (["1750", "1751"], None),  # out of range
    ],
)
def test_years_from_names(names, years):
    assert inspect.years_from_names(names) == years
    assert inspect.default_years(names) == (years or list(range(1, len(names) + 1)))


def test_point_to_pixel_at_the_edges(singles):
    _, _, paths = singles
    pixel_stack = inspect.open_stack(paths)
    assert pixel_stack.locate(ORIGIN[0], ORIGIN[1]) == (0, 0)  # top-left corner
    assert pixel_stack.locate(ORIGIN[0] + 4 * PIXEL - 1e-6, ORIGIN[1] - 3 * PIXEL + 1e-6) == (2, 3)
    assert pixel_stack.locate(ORIGIN[0] + 30.0, ORIGIN[1] - 29.9) == (0, 1)
    assert pixel_stack.extent() == (ORIGIN[0], ORIGIN[1] - 90, ORIGIN[0] + 120, ORIGIN[1])
    series = pixel_stack.series(ORIGIN[0] + 31.0, ORIGIN[1] - 59.0)
    assert (series.row, series.col, series.x, series.y) == (1, 1, *_centre(1, 1))


@pytest.mark.parametrize(
    "x, y",
    [
        (ORIGIN[0] - 0.01, ORIGIN[1] - 10),  # west
        (ORIGIN[0] + 120.0, ORIGIN[1] - 10),  # the east edge belongs to no pixel
        (ORIGIN[0] + 10, ORIGIN[1] + 0.5),  # north
        (ORIGIN[0] + 10, ORIGIN[1] - 90.0),  # south edge
        (37.6, 55.7),  # degrees given to a UTM stack
    ],
)
def test_point_outside_the_rasters(singles, x, y):
    _, _, paths = singles
    with pytest.raises(ValueError, match=r"outside the rasters, which cover x 500000 … 500120 and y 5\.99991e\+06"):
        inspect.inspect_pixel(paths, x, y)


def test_not_a_coordinate(singles):
    with pytest.raises(ValueError, match="not a valid coordinate"):
        inspect.inspect_pixel(singles[2], math.nan, 1.0)


def test_mismatched_grids_name_the_raster(tmp_path, singles):
    cube, _, paths = singles
    shifted = write_raster(tmp_path / "ndvi_2004_shifted.tif", cube[3], nodata=NODATA, origin=(500015.0, 6000000.0))
    with pytest.raises(ValueError, match="ndvi_2004_shifted is shifted from ndvi_2001"):
        inspect.open_stack(paths[:3] + [shifted] + paths[4:])
    wider = write_raster(tmp_path / "wide.tif", np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="wide is 5×3 pixels but ndvi_2001 is 4×3"):
        inspect.open_stack(paths[:2] + [wider])
    other_crs = write_raster(tmp_path / "geo.tif", cube[0], epsg=4326, origin=(10.0, 50.0), pixel=(0.001, 0.001))
    with pytest.raises(ValueError, match="Layer 3 has a different CRS from Layer 1"):
        inspect.open_stack(paths[:2] + [other_crs], names=["Layer 1", "Layer 2", "Layer 3"])


def test_non_rasters_are_refused(tmp_path, singles):
    _, _, paths = singles
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="notes is not a raster GDAL can read"):
        inspect.open_stack(paths[:2] + [str(text)])
    with pytest.raises(ValueError, match="missing is not a raster GDAL can read"):
        inspect.open_stack([str(tmp_path / "missing.tif")])
    with pytest.raises(ValueError, match="no raster given"):
        inspect.open_stack([])


def test_a_multiband_raster_among_several_is_refused(tmp_path, singles):
    cube, _, paths = singles
    two = write_raster(tmp_path / "two.tif", cube[:2], nodata=NODATA)
    with pytest.raises(ValueError, match="two has 2 bands; give one single-band raster per year"):
        inspect.open_stack(paths[:3] + [two])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"years": [2001, 2002]}, "2 years given for 10 time steps"),
        ({"years": list(range(2010, 2000, -1))}, "years must increase strictly"),
        ({"min_valid": 3}, "min_valid must be a whole number of at least 4"),
        ({"min_valid": 4.5}, "min_valid must be a whole number"),
        ({"alpha": 0.0}, "alpha must be between 0 and 1"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
    ],
)
def test_bad_parameters(singles, kwargs, message):
    with pytest.raises(ValueError, match=message):
        inspect.inspect_pixel(singles[2], *_centre(0, 0), **kwargs)


def test_integer_rasters_and_nan_in_floats(tmp_path):
    ints = [write_raster(tmp_path / f"c{k}.tif", np.full((2, 2), k, np.int16), nodata=-1) for k in range(6)]
    ints[2] = write_raster(tmp_path / "c2.tif", np.full((2, 2), -1, np.int16), nodata=-1)
    series = inspect.inspect_pixel(ints, *_centre(0, 0), years=[1, 2, 3, 4, 5, 6], min_valid=4)
    assert np.isnan(series.values[2]) and series.n_valid == 5 and series.s == 10
    floats = np.arange(12, dtype=np.float32).reshape(6, 1, 2)
    floats[1, 0, 0], floats[3, 0, 0] = np.nan, np.inf
    series = inspect.inspect_pixel([write_raster(tmp_path / "f.tif", floats)], *_centre(0, 0), min_valid=4)
    assert np.isnan(series.values[[1, 3]]).all() and series.n_valid == 4
    assert inspect.pixel_statistics([1, np.inf, 3, 4, 5], [1, 2, 3, 4, 5], 4).n_valid == 4
