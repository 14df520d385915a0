"""mineland.core.landcover.crosstab: pair and class counting, areas, change codes."""

import numpy as np
import pytest
from osgeo import gdal

from mineland.core.io import raster_io
from mineland.core.landcover import crosstab
from rasters import WGS84, write_raster

# Start (nodata 0) and end (nodata 255). Class 4 exists only at the end date; the
# start is nodata at (2,2),(2,3) and the end at (3,3): nodata at one date only.
START = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 3, 3]], dtype=np.uint8)
END = np.array([[1, 2, 2, 2], [1, 1, 4, 4], [3, 4, 1, 2], [3, 3, 3, 255]], dtype=np.uint8)

# Pairs of the 13 valid pixels, counted by hand:
# row 0: (1,1) (1,2) (2,2) (2,2); row 1: (1,1) (1,1) (2,4) (2,4); row 2: (3,3) (3,4); row 3: (3,3)×3
PAIRS = {(1, 1): 3, (1, 2): 1, (2, 2): 2, (2, 4): 2, (3, 3): 4, (3, 4): 1}
MATRIX = np.array(
    [
        [3, 1, 0, 0],  # rows = start class 1..4, columns = end class 1..4
        [0, 2, 0, 2],
        [0, 0, 4, 1],
        [0, 0, 0, 0],
    ],
    dtype=float,
)


def as_dict(table):
    return dict(zip(zip(table.from_class.tolist(), table.to_class.tolist()), table.pixels.tolist()))


def assert_same_table(a, b):
    for field in ("from_class", "to_class", "pixels", "area_m2"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.nodata_pixels, a.nodata_area_m2) == (b.nodata_pixels, b.nodata_area_m2)


@pytest.mark.parametrize("row_splits", [[4], [1, 1, 1, 1], [3, 1], [1, 3]])
def test_pair_counter_hand_example(row_splits):
    counter = crosstab.PairCounter(np.full(4, 900.0), nodata_start=0, nodata_end=255)
    yoff = 0
    for rows in row_splits:
        counter.add(yoff, START[yoff : yoff + rows], END[yoff : yoff + rows])
        yoff += rows
    table = counter.result()
    assert as_dict(table) == PAIRS
    assert table.nodata_pixels == 3 and table.nodata_area_m2 == 3 * 900.0
    np.testing.assert_array_equal(table.classes, [1, 2, 3, 4])
    np.testing.assert_array_equal(table.matrix(values="pixels"), MATRIX)
    np.testing.assert_array_equal(table.matrix(), MATRIX * 900.0)
    assert table.total_area_m2 == 13 * 900.0
    assert table.changed_area_m2 == (1 + 2 + 1) * 900.0  # (1,2), (2,4)×2, (3,4)
    start_area, end_area = table.matrix().sum(axis=1), table.matrix().sum(axis=0)
    np.testing.assert_array_equal(start_area, np.array([4, 4, 5, 0]) * 900.0)  # row sums
    np.testing.assert_array_equal(end_area, np.array([3, 3, 4, 3]) * 900.0)  # column sums


def test_matrix_over_a_wider_class_list():
    counter = crosstab.PairCounter(np.full(4, 900.0), 0, 255)
    counter.add(0, START, END)
    wide = counter.result().matrix(classes=[1, 2, 3, 4, 5], values="pixels")
    assert wide.shape == (5, 5)
    np.testing.assert_array_equal(wide[:4, :4], MATRIX)
    assert wide[4].sum() == 0 and wide[:, 4].sum() == 0


def open_bands(tmp_path):
    ds_a = gdal.Open(write_raster(tmp_path / "start.tif", START, nodata=0))
    ds_b = gdal.Open(write_raster(tmp_path / "end.tif", END, nodata=255))
    return (ds_a, ds_b), raster_io.grid_of(ds_a)


def test_tabulate_is_independent_of_block_size(tmp_path):
    datasets, grid = open_bands(tmp_path)
    bands = [ds.GetRasterBand(1) for ds in datasets]
    nodatas = [raster_io.band_nodata(b) for b in bands]
    assert nodatas == [0, 255]
    areas = raster_io.row_pixel_areas_m2(grid)
    runs = [
        crosstab.tabulate(bands, nodatas, grid, areas, periods=[(0, 1)], per_date=True, block_pixels=bp)
        for bp in (4, raster_io.DEFAULT_BLOCK_PIXELS)
    ]  # 4 px = one row per block, vs one block
    (singles_small, pairs_small), (singles_big, pairs_big) = runs
    assert as_dict(pairs_small[(0, 1)]) == PAIRS
    assert_same_table(pairs_small[(0, 1)], pairs_big[(0, 1)])
    for small, big in zip(singles_small, singles_big):
        for x, y in zip(small, big):
            np.testing.assert_array_equal(x, y)
    # per date, each with its own nodata only: start 1:4, 2:4, 3:6 (+2 nodata); end 1:4, 2:4, 3:4, 4:3 (+1)
    classes, pixels, area, nodata = singles_small[0]
    assert (classes.tolist(), pixels.tolist(), nodata) == ([1, 2, 3], [4, 4, 6], 2)
    np.testing.assert_array_equal(area, np.array([4, 4, 6]) * 900.0)
    classes, pixels, _, nodata = singles_small[1]
    assert (classes.tolist(), pixels.tolist(), nodata) == ([1, 2, 3, 4], [4, 4, 4, 3], 1)


def test_tabulate_calls_on_block_for_every_row(tmp_path):
    datasets, grid = open_bands(tmp_path)
    bands = [ds.GetRasterBand(1) for ds in datasets]
    seen = []
    crosstab.tabulate(
        bands,
        [0, 255],
        grid,
        np.full(4, 900.0),
        block_pixels=8,
        on_block=lambda yoff, arrays: seen.append((yoff, arrays[0].shape)),
    )
    assert seen == [(0, (2, 4)), (2, (2, 4))]  # 8 px // 4 columns = 2 rows per block


def test_geographic_weights_sum_row_areas(tmp_path):
    # 2×3 raster of 1° cells, rows 2–3°N, 1–2°N, 0–1°N: three different row areas r0 < r1 < r2
    start = np.array([[1, 2], [1, 0], [2, 2]], dtype=np.uint8)
    end = np.ones((3, 2), dtype=np.uint8)
    ds = gdal.Open(write_raster(tmp_path / "geo.tif", start, epsg=WGS84, origin=(0.0, 3.0), pixel=(1.0, 1.0)))
    r = raster_io.row_pixel_areas_m2(raster_io.grid_of(ds))
    assert r[0] < r[1] < r[2]
    for splits in ([3], [1, 1, 1]):
        counter = crosstab.PairCounter(r, nodata_start=0)
        yoff = 0
        for rows in splits:
            counter.add(yoff, start[yoff : yoff + rows], end[yoff : yoff + rows])
            yoff += rows
        table = counter.result()
        assert as_dict(table) == {(1, 1): 2, (2, 1): 3}
        # (1,1): pixels (0,0), (1,0) → r0 + r1; (2,1): (0,1), (2,0), (2,1) → r0 + 2 r2; nodata (1,1) → r1
        np.testing.assert_allclose(table.area_m2, [r[0] + r[1], r[0] + 2 * r[2]], rtol=1e-12)
        assert table.nodata_pixels == 1
        assert table.nodata_area_m2 == pytest.approx(r[1], rel=1e-12)


def test_class_counter_geographic():
    r = np.array([10.0, 20.0, 30.0])
    counter = crosstab.ClassCounter(r, nodata=9)
    counter.add(0, np.array([[5, 9], [5, 6]], dtype=np.int16))
    counter.add(2, np.array([[6, 6]], dtype=np.int16))
    classes, pixels, area, nodata = counter.result()
    # 5: rows 0, 1 → 10 + 20; 6: row 1 + row 2 twice → 20 + 60; nodata 9 in row 0
    assert (classes.tolist(), pixels.tolist(), area.tolist(), nodata) == ([5, 6], [2, 3], [30.0, 80.0], 1)


def test_unique_fallback_with_huge_code_range():
    # codes 0 and 2e9 in int32: (2e9 + 1)·n_b bins is far above the dense limit
    start = np.array([[0, 2_000_000_000], [2_000_000_000, -7]], dtype=np.int32)
    end = np.array([[3, 3], [5, 3]], dtype=np.int32)
    counter = crosstab.PairCounter(np.full(2, 1.0), nodata_start=-7)
    counter.add(0, start, end)
    table = counter.result()
    assert as_dict(table) == {(0, 3): 1, (2_000_000_000, 3): 1, (2_000_000_000, 5): 1}
    assert table.nodata_pixels == 1
    single = crosstab.ClassCounter(np.full(2, 1.0))
    single.add(0, start)
    classes, pixels, _, _ = single.result()
    assert (classes.tolist(), pixels.tolist()) == ([-7, 0, 2_000_000_000], [1, 1, 2])


@pytest.mark.parametrize("geographic", [False, True])
def test_unique_path_equals_dense_path(monkeypatch, geographic):
    rows = np.array([900.0, 800.0, 700.0, 600.0]) if geographic else np.full(4, 900.0)

    def count():
        counter = crosstab.PairCounter(rows, 0, 255)
        counter.add(0, START[:2], END[:2])
        counter.add(2, START[2:], END[2:])
        return counter.result()

    dense = count()
    monkeypatch.setattr(crosstab, "_MAX_DENSE_BINS", 0)  # every block takes the np.unique path
    unique = count()
    assert as_dict(unique) == PAIRS
    assert_same_table(dense, unique)


@pytest.mark.parametrize(
    "end_classes, factor",
    [
        ([1, 2, 7], 100),  # 7 < 100
        ([99], 100),
        ([100], 1000),  # 100 is not below 100
        ([255], 1000),
        ([999], 1000),
        ([1000], 10000),
        ([-150, 3], 1000),  # magnitude counts
        ([], 100),
    ],
)
def test_change_code_factor(end_classes, factor):
    assert crosstab.change_code_factor(end_classes) == factor


def test_change_codes():
    start = np.array([[1, 2], [3, 0]], dtype=np.uint8)
    end = np.array([[1, 3], [7, 5]], dtype=np.uint8)
    valid = start != 0
    out = crosstab.change_codes(start, end, valid, 100, 65535, np.uint16)
    # 1·100 + 1, 2·100 + 3, 3·100 + 7, nodata
    np.testing.assert_array_equal(out, [[101, 203], [307, 65535]])
    assert out.dtype == np.uint16
    # a factor that overflows uint8 arithmetic still works in the output type: 255·1000 + 255
    out = crosstab.change_codes(
        np.array([255], np.uint8), np.array([255], np.uint8), np.array([True]), 1000, 0, np.int32
    )
    assert out.tolist() == [255255]


def _pairs_of(start, end):
    """(from, to) pairs present, by numpy alone (unique rows)."""
    return [tuple(p) for p in np.unique(np.stack([start.ravel(), end.ravel()], axis=1).astype(np.int64), axis=0)]


@pytest.mark.parametrize(
    "dtype, low, high",
    [
        (np.uint8, 0, 99),  # from × 100 + to, as before
        (np.int8, -128, 127),  # negative codes: 0 → −60 and −1 → 40 collided as −60
        (np.int16, -32768, 32767),  # Int16 full range
        (np.uint16, 0, 65535),  # UInt16 up to 65535: from × 100000 + to overflowed Int32
        (np.int32, -(2**31), 2**31 - 1),
    ],
)
def test_change_codes_are_unique_per_class_pair(dtype, low, high):
    rng = np.random.default_rng(19)
    classes = np.unique(np.concatenate([[low, high, 0, -1, 40, -60], rng.integers(low, high, 20, endpoint=True)]))
    classes = classes[(classes >= low) & (classes <= high)].astype(dtype)
    start = rng.choice(classes, (40, 30))
    end = rng.choice(classes, (40, 30))
    start[0, :2], end[0, :2] = classes[classes >= 0][:1], classes[-1]
    pairs = _pairs_of(start, end)
    coding = crosstab.change_coding(start.ravel(), end.ravel())
    _, out_type, nodata = raster_io.integer_type_with_nodata(coding.codes)
    valid = np.ones(start.shape, dtype=bool)
    valid[5] = False
    out = crosstab.change_codes(start, end, valid, coding, nodata, out_type)
    assert (out[5] == nodata).all()
    # one code per pair, and every pixel's code is its own pair's (numpy crosstab of pixels by code)
    code_of = dict(zip(coding.pairs, coding.codes))
    assert list(coding.pairs) == pairs and len(set(coding.codes)) == len(pairs) and nodata not in code_of.values()
    expected = np.array([code_of[(int(a), int(b))] for a, b in zip(start[valid], end[valid])])
    np.testing.assert_array_equal(out[valid], expected)
    names = coding.names(str)
    assert set(names) == set(coding.codes)
    assert names[code_of[pairs[0]]] == f"{pairs[0][0]} → {pairs[0][1]}"
    if low >= 0 and high < 100:  # from × 100 + to stays where it is unique and fits
        assert coding.factor == 100
        np.testing.assert_array_equal(out[valid], start[valid].astype(np.int64) * 100 + end[valid])
    else:
        assert coding.factor == 0 and sorted(coding.codes) == list(range(1, len(pairs) + 1))


def test_change_coding_keeps_a_power_of_ten_when_it_fits():
    coding = crosstab.change_coding([255, 3, 0], [0, 255, 7])
    assert coding.factor == 1000
    assert coding.codes == [0 * 1000 + 7, 3 * 1000 + 255, 255 * 1000 + 0]
    # 2·10⁹ does not leave Int32 room: numbered instead
    assert crosstab.change_coding([21474], [3]).factor == 100000
    assert crosstab.change_coding([30000], [3]).factor == 0


def test_negative_codes_that_collided_get_their_own_codes():
    start, end = np.array([0, -1], dtype=np.int8), np.array([-60, 40], dtype=np.int8)
    assert (start.astype(int) * 100 + end).tolist() == [-60, -60]  # what the raster held before
    coding = crosstab.change_coding(start, end)
    out = crosstab.change_codes(start, end, np.array([True, True]), coding, 0, np.uint8)
    assert out.tolist() == [2, 1]  # pairs in (from, to) order: (−1, 40), (0, −60)
    assert coding.names(str) == {1: "-1 → 40", 2: "0 → -60"}


def test_pairs_of_the_full_int32_range_are_counted_as_they_are():
    # the np.unique path's codes reach 2⁶⁴ − 1: decoded through int64 they came back as other classes
    start = np.array([-(2**31), 2**31 - 1, 0, 2**31 - 1], dtype=np.int32)
    end = np.array([2**31 - 1, -(2**31), 0, 2**31 - 1], dtype=np.int32)
    counter = crosstab.PairCounter(np.ones(1))
    counter.add(0, start[None], end[None])
    table = counter.result()
    found = dict(zip(zip(table.from_class.tolist(), table.to_class.tolist()), table.pixels.tolist()))
    assert found == {(-(2**31), 2**31 - 1): 1, (0, 0): 1, (2**31 - 1, -(2**31)): 1, (2**31 - 1, 2**31 - 1): 1}
