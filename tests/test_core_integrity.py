"""Landscape metrics (SHEI, MPFD, CONTAG, CONNECT) and seed 003's ECI/ThV/stages, against hand-computed values."""

import math

import numpy as np
import pytest

from mineland.core.resilience import integrity
from mineland.core.spatial import landscape

FRAC_2X1_30M = 2 * math.log(0.25 * 180) / math.log(1800)  # two 30 m cells side by side: p = 180 m, a = 1800 m²


def metrics(classes, valid=None, cell=(30.0, 30.0), distance=100.0, neighbours=8):
    classes = np.asarray(classes)
    valid = np.ones(classes.shape, dtype=bool) if valid is None else np.asarray(valid)
    return landscape.landscape_metrics(classes, valid, cell, distance, neighbours)


def test_two_by_two_halves():
    m = metrics([[1, 1], [2, 2]])
    assert m.shei == pytest.approx(1.0)
    assert m.mpfd == pytest.approx(FRAC_2X1_30M)
    # every class touches itself twice and the other twice (double count): q = 1/4 each, Σ q ln q = ln 1/4
    assert m.contag_pct == pytest.approx(0.0, abs=1e-12)
    assert m.connect_pct == 100.0  # one patch per class: no pair to join
    assert m.patches == 2


def test_contagion_by_hand():
    m = metrics([[1, 1, 2]])
    # g11 = 2, g12 = g21 = 1, g22 = 0; P = 2/3, 1/3
    q = [2 / 3 * 2 / 3, 2 / 3 * 1 / 3, 1 / 3 * 1]
    expected = (1 + sum(v * math.log(v) for v in q) / (2 * math.log(2))) * 100
    assert m.contag_pct == pytest.approx(expected)
    assert m.contag_pct == pytest.approx(23.4754, abs=1e-4)
    assert m.mpfd == pytest.approx((FRAC_2X1_30M + 1.0) / 2)  # a one-cell patch has FRAC 1
    assert m.shei == pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(2))


def test_contagion_matches_a_plain_double_loop():
    rng = np.random.default_rng(3)
    classes = rng.integers(1, 5, size=(12, 15))
    valid = rng.random((12, 15)) > 0.2
    codes = np.unique(classes[valid])
    g = {(i, k): 0 for i in codes for k in codes}
    for r in range(12):
        for c in range(15):
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if valid[r, c] and 0 <= rr < 12 and 0 <= cc < 15 and valid[rr, cc]:
                    g[classes[r, c], classes[rr, cc]] += 1
    shares = {i: np.mean(classes[valid] == i) for i in codes}
    total = 0.0
    for i in codes:
        row = sum(g[i, k] for k in codes)
        for k in codes:
            q = shares[i] * g[i, k] / row if row else 0.0
            total += q * math.log(q) if q > 0 else 0.0
    expected = (1 + total / (2 * math.log(len(codes)))) * 100
    assert metrics(classes, valid).contag_pct == pytest.approx(expected, rel=1e-12)


def test_single_class_documented_values():
    m = metrics([[3, 3], [3, 3]])
    assert (m.shei, m.contag_pct, m.connect_pct, m.patches) == (0.0, 100.0, 100.0, 1)
    assert m.mpfd == pytest.approx(2 * math.log(0.25 * 240) / math.log(3600))


def test_non_square_cells_use_each_side():
    m = metrics([[1, 1]], cell=(30.0, 10.0))
    # two vertical sides of 10 m, four horizontal of 30 m: p = 140 m; a = 600 m²
    assert m.mpfd == pytest.approx(2 * math.log(35) / math.log(600))


@pytest.mark.parametrize("distance, expected", [(59, 0.0), (60, 50.0), (90, 75.0), (149, 75.0), (150, 100.0)])
def test_connectance_by_threshold_distance(distance, expected):
    # class 1 patches at columns 0, 3, 5 (90, 60, 150 m apart); class 2 at 1–2 and 4 (60 m apart): 4 pairs
    assert metrics([[1, 2, 2, 1, 2, 1]], distance=distance).connect_pct == pytest.approx(expected)


def test_patch_rule_and_landscape_edge():
    diagonal = [[1, 2], [2, 1]]
    assert metrics(diagonal, neighbours=8).patches == 2
    assert metrics(diagonal, neighbours=4).patches == 4
    cut = metrics([[1, 1, 1]], valid=[[True, False, True]])  # the missing middle cell splits the patch
    assert cut.patches == 2 and cut.mpfd == 1.0
    assert metrics([[1]], valid=[[False]]) is None


def test_connectance_ignores_cells_of_one_patch_close_together():
    big = np.ones((20, 20), dtype=int)
    big[:, 10] = 2  # class 1 split into two 10- and 9-wide patches 60 m apart, class 2 one strip
    assert metrics(big, distance=59).connect_pct == 0.0
    assert metrics(big, distance=60).connect_pct == 100.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="4- or 8"):
        metrics([[1]], neighbours=6)
    with pytest.raises(ValueError, match="≥ 0"):
        metrics([[1]], distance=-1)


# ------------------------------------------------------------------ ECI, ThV, stages


def test_normalise_minmax_max_and_constant():
    np.testing.assert_allclose(integrity.normalise([2.0, 4.0, np.nan, 6.0]), [0.0, 0.5, np.nan, 1.0])
    np.testing.assert_allclose(integrity.normalise([2.0, 4.0, 8.0], "max"), [0.25, 0.5, 1.0])
    np.testing.assert_array_equal(integrity.normalise([5.0, 5.0]), [1.0, 1.0])
    with pytest.raises(ValueError, match="min-max"):
        integrity.normalise([-1.0, 2.0], "max")


def test_weights_are_rescaled_and_flagged():
    w, rescaled = integrity.normalised_weights([1, 1, 2])
    np.testing.assert_allclose(w, [0.25, 0.25, 0.5])
    assert rescaled
    assert not integrity.normalised_weights([0.34, 0.33, 0.33])[1]
    with pytest.raises(ValueError, match="≥ 0"):
        integrity.normalised_weights([1, -1])


def test_eci_threshold_ratio_and_stages_at_the_boundaries():
    eci = np.array([[0.8, 0.72, 0.56, 0.4, 0.39], [0.0, 0.5, 0.5, 0.5, 0.5]])
    thv = integrity.threshold_ratio(eci, 0)
    np.testing.assert_allclose(thv[0], [1.0, 0.9, 0.7, 0.5, 0.4875])
    assert np.isnan(thv[1]).all()  # baseline ECI 0
    np.testing.assert_array_equal(integrity.stages(thv, 0.9, 0.7, 0.5), [[1, 1, 2, 3, 4], [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(integrity.stages([0.8999], 0.9, 0.7, 0.5), [2])
    np.testing.assert_allclose(integrity.weighted_sum([np.ones(2), np.zeros(2)], [0.3, 0.7]), [0.3, 0.3])
    with pytest.raises(ValueError, match="must decrease"):
        integrity.stages(thv, 0.5, 0.7, 0.9)


def test_crossing_year_interpolates_between_dates():
    years = [2000, 2010, 2020]
    assert integrity.crossing_year(years, [1.0, 0.8, 0.6], 0.9) == pytest.approx(2005.0)
    assert integrity.crossing_year(years, [1.0, 0.8, 0.6], 0.65) == pytest.approx(2017.5)
    assert integrity.crossing_year(years, [1.0, 0.95, 0.92], 0.9) is None
    assert integrity.crossing_year(years, [0.8, np.nan, 0.6], 0.9) == 2000.0


# ------------------------------------------------------------------ the whole index, without QGIS

# 2 zones × 2 dates. Min-max over all four cells: SHEI as is, MPFD (x − 1)/0.5, CONTAG constant → 1,
# CONNECT / 100; SC = their mean: [[0.25, 1], [0.75, 0.375]]. NPP (100 … 500) → [[0, 0.25], [0.5, 1]].
SHEI = np.array([[0.0, 1.0], [0.5, 0.5]])
MPFD = np.array([[1.0, 1.5], [1.25, 1.0]])
CONTAG = np.full((2, 2), 50.0)
CONNECT = np.array([[0.0, 100.0], [100.0, 0.0]])
NPP = np.array([[100.0, 200.0], [300.0, 500.0]])


def test_integrity_index_by_hand():
    result = integrity.integrity_index(
        [SHEI, MPFD, CONTAG, CONNECT], [NPP, None], None, (0.95, 0.7, 0.5), weights=(0.5, 0.3, 0.2)
    )
    np.testing.assert_allclose(result.sc, [[0.25, 1.0], [0.75, 0.375]])
    np.testing.assert_allclose(result.fc, [[0.0, 0.25], [0.5, 1.0]])  # Q absent: FC is norm(NPP) alone
    assert result.e_norm is None and result.absent == ("E",)
    # E absent: w_sc, w_fc = 0.5/0.8, 0.3/0.8 = 0.625, 0.375
    eci = np.array([[0.625 * 0.25, 0.625 + 0.375 * 0.25], [0.625 * 0.75 + 0.375 * 0.5, 0.625 * 0.375 + 0.375]])
    np.testing.assert_allclose(result.eci, eci)
    np.testing.assert_allclose(result.thv, [[1.0, 0.71875 / 0.15625], [1.0, 0.609375 / 0.65625]])
    np.testing.assert_array_equal(result.stage, [[1, 1], [1, 2]])  # 0.9286 < a = 0.95: resilience
    assert result.rescaled == {} and not result.undefined_thv  # partial parts are rescaled without a warning


def test_integrity_index_reports_weights_that_do_not_sum_to_one():
    e = np.array([[0.1, 0.2], [0.3, 0.5]])
    result = integrity.integrity_index(
        [SHEI, MPFD, CONTAG, CONNECT],
        [NPP, NPP],
        e,
        (0.9, 0.7, 0.5),
        baseline=1,
        weights=(1, 1, 1),
        structure_weights=(1, 1, 1, 1),
        method="max",
    )
    assert result.rescaled == {"SC": 4.0, "ECI": 3.0} and result.absent == ()
    np.testing.assert_allclose(result.e_norm, e / 0.5)
    # x / max: SHEI /1, MPFD /1.5, CONTAG /50, CONNECT /100
    sc = (SHEI + MPFD / 1.5 + 1.0 + CONNECT / 100) / 4
    np.testing.assert_allclose(result.sc, sc)
    np.testing.assert_allclose(result.fc, NPP / 500)
    eci = (sc + NPP / 500 + e / 0.5) / 3
    np.testing.assert_allclose(result.eci, eci)
    np.testing.assert_allclose(result.thv, eci / eci[:, 1:])  # baseline the second date


def test_integrity_index_undefined_thv_and_errors():
    # min-max maps the lowest value to 0: zone 0's baseline ECI is 0, its ThV undefined (stage 0)
    result = integrity.integrity_index(
        [SHEI, MPFD, CONTAG, CONNECT * 0],
        [NPP, None],
        None,
        (0.9, 0.7, 0.5),
        structure_weights=(1, 1, 0, 0),
        weights=(0.5, 0.5, 0),
    )
    assert result.eci[0, 0] == 0.0 and result.undefined_thv
    assert np.isnan(result.thv[0]).all() and result.stage[0].tolist() == [0, 0]
    with pytest.raises(integrity.WeightsError) as err:
        integrity.integrity_index(
            [SHEI], [NPP, NPP], None, (0.9, 0.7, 0.5), structure_weights=(1,), function_weights=(-1, 1)
        )
    assert err.value.part == "FC"
    with pytest.raises(integrity.NormalisationError):
        integrity.integrity_index([SHEI - 1], None, None, (0.9, 0.7, 0.5), structure_weights=(1,), method="max")
    with pytest.raises(ValueError, match="must decrease"):
        integrity.integrity_index([SHEI], None, None, (0.5, 0.7, 0.9), structure_weights=(1,))


def test_water_conservation_is_p_minus_et_minus_r():
    p, et, r = np.array([[500.0]]), np.array([[300.0]]), np.array([[50.0]])
    np.testing.assert_allclose(integrity.water_conservation(None, p, et, r), [[150.0]])
    assert integrity.water_conservation(np.array([[7.0]]), p, et, r)[0, 0] == 7.0  # Q given: taken as is
    assert integrity.water_conservation() is None
    with pytest.raises(ValueError, match="all three"):
        integrity.water_conservation(None, p, et, None)
