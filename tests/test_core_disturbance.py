"""mineland.core.mines.disturbance on a hand-made 5 × 5 series."""

import numpy as np
import pytest

from mineland.core.mines import disturbance

# polygon 1 = columns 0–2 of rows 0–3, polygon 2 = columns 3–4 of rows 0–3, row 4 outside (0)
INDEX = np.array([[1, 1, 1, 2, 2]] * 4 + [[0, 0, 0, 0, 0]])
# classes: 1 mine-related, 2 cropland, 3 sparse, 4 dense vegetation; 0 nodata
Y1990 = np.array([[2, 2, 4, 1, 1], [2, 3, 4, 1, 1], [4, 4, 4, 1, 1], [4, 4, 4, 1, 0], [2, 2, 2, 2, 2]])
Y1995 = np.array(
    [
        [1, 1, 4, 1, 1],  # polygon 1: two cropland pixels mined (DEV 2)
        [2, 3, 4, 3, 1],  # polygon 2: one pixel revegetated (REC 1)
        [4, 4, 4, 1, 1],
        [4, 4, 4, 1, 0],
        [1, 1, 1, 1, 1],
    ]
)  # outside: ignored
Y1996 = np.array(
    [
        [1, 1, 1, 1, 1],  # polygon 1: one dense-vegetation pixel mined (DEV 1)
        [2, 3, 4, 4, 4],  # polygon 2: one more pixel revegetated (REC 1)
        [4, 4, 4, 1, 1],
        [4, 4, 4, 1, 0],
        [1, 1, 1, 1, 1],
    ]
)


def counted(rows_per_block=5):
    counter = disturbance.DisturbanceCounter(2, 3, [1], [2, 3, 4], np.full(5, 900.0))
    for y in range(0, 5, rows_per_block):
        part = slice(y, y + rows_per_block)
        classes = [a[part] for a in (Y1990, Y1995, Y1996)]
        counter.add(y, INDEX[part], classes, [c != 0 for c in classes])
    return counter.series


def test_dev_rec_and_bsp_by_hand():
    s = counted()
    np.testing.assert_array_equal(s.dev_m2[1:] / 900, [[2, 1], [0, 0]])
    np.testing.assert_array_equal(s.rec_m2[1:] / 900, [[0, 0], [1, 1]])
    # polygon 2 has 7 valid pixels (one nodata): mine-related 7, 6, 5 of them
    np.testing.assert_allclose(disturbance.bsp(s)[2], [100.0, 600 / 7, 500 / 7])
    np.testing.assert_allclose(disturbance.bsp(s)[1], [0.0, 200 / 12, 300 / 12])
    # DEV by the class lost: cropland (2) twice in 1990→1995, dense vegetation (4) in 1995→1996
    np.testing.assert_array_equal(s.loss_m2[1] / 900, [[2, 0, 0], [0, 0, 1]])
    # REC by the class gained: sparse (3) then dense (4)
    np.testing.assert_array_equal(s.gain_m2[2] / 900, [[0, 1, 0], [0, 0, 1]])


def test_block_size_changes_nothing():
    whole, strips = counted(5), counted(2)
    for name in ("valid_m2", "mine_m2", "dev_m2", "rec_m2", "loss_m2", "gain_m2"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(strips, name))


def test_five_year_epochs_are_spread_evenly():
    years, annual = disturbance.spread_over_years(np.array([[10.0, 3.0]]), [1990, 1995, 1996])
    assert years == [1991, 1992, 1993, 1994, 1995, 1996]
    np.testing.assert_allclose(annual, [[2, 2, 2, 2, 2, 3]])
    assert annual.sum() == pytest.approx(13.0)
