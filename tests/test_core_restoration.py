"""core.restoration: class shares, Spearman, Kruskal-Wallis and k-means, against hand values and scipy."""

import math

import numpy as np
import pytest
from scipy import stats

from mineland.core.timeseries import restoration

PIXEL_M2 = 900.0  # one 30 m pixel


def test_class_codes_are_those_of_seed004_table2():
    assert restoration.CLASS_CODES == (1, 2, 3, 4, 5)
    assert [restoration.RESTORATION_CLASSES[c] for c in restoration.SI_CODES] == ["SAI", "SCI"]


def test_site_class_shares_hand_computed():
    # pixels of SD, ND, NI, SAI, SCI: site 0 has 20 pixels, site 1 has 8, site 2 none
    pixels = np.array([[1, 2, 3, 4, 10], [0, 0, 4, 0, 4], [0, 0, 0, 0, 0]])
    shares = restoration.site_class_shares(pixels * PIXEL_M2)
    np.testing.assert_allclose(shares.class_km2[0], [0.0009, 0.0018, 0.0027, 0.0036, 0.009])
    np.testing.assert_allclose(shares.total_km2, [0.018, 0.0072, 0.0])
    np.testing.assert_allclose(shares.class_pct[0], [5, 10, 15, 20, 50])
    np.testing.assert_allclose(shares.class_pct[1], [0, 0, 50, 0, 50])
    np.testing.assert_allclose(shares.si_pct[:2], [70, 50])
    np.testing.assert_allclose(shares.si_km2[:2], [0.0126, 0.0036])
    np.testing.assert_allclose(shares.pct(4)[:2], [20, 0])
    # all nodata: no share at all rather than 0 %
    assert np.all(np.isnan(shares.class_pct[2])) and math.isnan(shares.si_pct[2])
    assert shares.valid.tolist() == [True, True, False]


@pytest.mark.parametrize("bad", [np.ones((2, 4)), np.ones(5), -np.ones((1, 5)), np.full((1, 5), np.nan)])
def test_site_class_shares_rejects_bad_tables(bad):
    with pytest.raises(ValueError):
        restoration.site_class_shares(bad)


def test_spearman_perfectly_monotone_and_against_scipy():
    duration = [4, 11, 19, 29]
    # exact for a few sites: of the 4! pairings only this one and its reverse reach |rho| = 1 → p = 2/24
    assert restoration.spearman(duration, [0.0, 12.5, 42.9, 75.0]) == (1.0, pytest.approx(2 / 24), 4)
    assert restoration.spearman(duration, [9.0, 3.0, 2.0, 1.0]).rho == pytest.approx(-1.0)
    x = [1, 2, 3, 4, 5, 6, 7]
    y = [2, 1, 4, 3, 7, 5, 6]
    ref = stats.spearmanr(x, y)
    exact = stats.permutation_test(
        (y,), lambda v: stats.spearmanr(x, v)[0], permutation_type="pairings", n_resamples=np.inf
    )
    result = restoration.spearman(x, y)
    assert result.rho == pytest.approx(ref[0]) and result.p == pytest.approx(exact.pvalue) and result.n == 7
    assert result.p != pytest.approx(ref[1])  # the t approximation (0.023) is not what seven sites give
    # by hand: d = 1, -1, 1, -1, 2, -1, -1 → Σd² = 10; rho = 1 − 6·10 / (7·48) = 0.8214…
    assert result.rho == pytest.approx(1 - 6 * 10 / (7 * 48))


def test_spearman_above_the_exact_limit_is_scipys_t_approximation():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=12), rng.normal(size=12)
    ref = stats.spearmanr(x, y)
    result = restoration.spearman(x, y)
    assert result.n == 12 > restoration.EXACT_SPEARMAN_MAX_N
    assert result.rho == pytest.approx(ref[0]) and result.p == pytest.approx(ref[1])


def test_spearman_ignores_missing_and_refuses_too_little():
    x = [1, 2, None, 4, 5, np.nan]
    y = [1, 3, 2, np.nan, 4, 5]
    result = restoration.spearman(x, y)
    assert result.n == 3 and result.rho == pytest.approx(1.0)
    too_few = restoration.spearman([1, 2], [3, 4])
    assert too_few.n == 2 and math.isnan(too_few.rho) and math.isnan(too_few.p)
    constant = restoration.spearman([1, 2, 3, 4], [5, 5, 5, 5])
    assert math.isnan(constant.rho) and constant.n == 4


@pytest.mark.slow  # 9,999 permutations per test: ~3 s
def test_kruskal_wallis_hand_and_scipy():
    # ranks: 0 → 1, 12.5 → 2, 42.9 → 3, 75 → 4; R = 7 and 3; H = 12/20 · (49/2 + 9/2) − 15 = 2.4
    result = restoration.kruskal_wallis({"north": [75.0, 42.9], "south": [12.5, 0.0]})
    assert result.h == pytest.approx(2.4)
    # groups of two: p by permutation; exactly, 2 of the 6 splits of four values reach H = 2.4 → 1/3
    # (the χ² approximation would say 0.12)
    assert result.method == "permutation" and result.p == pytest.approx(1 / 3, abs=0.015)
    assert (result.df, result.n_groups, result.n) == (1, 2, 4)
    groups = [[1.0, 2.0, 2.0, 5.0], [3.0, 4.0, 6.0], [7.0, 8.0, 2.0, 9.0, 10.0]]
    ref = stats.kruskal(*groups)
    by_scipy = stats.permutation_test(
        groups,
        lambda *g: stats.kruskal(*g)[0],
        permutation_type="independent",
        n_resamples=9999,
        alternative="greater",
        random_state=1,
    )
    got = restoration.kruskal_wallis(groups)
    assert got.h == pytest.approx(ref[0]) and got.method == "permutation"
    assert got.p == pytest.approx(by_scipy.pvalue, abs=0.015)  # two Monte Carlo estimates of one p


def test_kruskal_wallis_with_groups_of_five_or_more_is_chi2():
    rng = np.random.default_rng(3)
    groups = [rng.normal(size=6), rng.normal(0.5, size=5), rng.normal(1.0, size=7)]
    ref = stats.kruskal(*groups)
    got = restoration.kruskal_wallis(groups)
    assert got.method == "chi2" and got.h == pytest.approx(ref[0]) and got.p == pytest.approx(ref[1])


def test_kruskal_wallis_drops_missing_and_empty_groups():
    got = restoration.kruskal_wallis({"a": [1.0, np.nan, 2.0], "b": [3.0, 4.0], "c": [np.nan], "d": []})
    ref = stats.kruskal([1.0, 2.0], [3.0, 4.0])
    assert got.n_groups == 2 and got.h == pytest.approx(ref[0])
    with pytest.raises(ValueError, match="at least 2 non-empty groups; got 1"):
        restoration.kruskal_wallis({"a": [1.0, 2.0], "b": [np.nan]})
    with pytest.raises(ValueError, match="identical"):
        restoration.kruskal_wallis([[3.0, 3.0], [3.0]])


# sites as (SAI %, SCI %): three clear groups, mixed order, one site without data
SEPARATED = np.array(
    [[30, 50], [2, 3], [15, 12], [31, 48], [1, 2], [np.nan, np.nan], [16, 14], [29, 52], [0, 4]], dtype=float
)
EXPECTED = ["high", "low", "medium", "high", "low", None, "medium", "high", "low"]


def test_cluster_sites_separated_groups_are_high_medium_low():
    result = restoration.cluster_sites(SEPARATED, k=3, seed=0)
    assert result.labels == EXPECTED
    assert result.names == ["high", "medium", "low"]
    assert result.index.tolist() == [0, 2, 1, 0, 2, -1, 1, 0, 2]
    np.testing.assert_allclose(result.centroids[0], [30, 50])
    np.testing.assert_allclose(result.centroids[1], [15.5, 13])


def test_cluster_sites_is_deterministic():
    rng = np.random.default_rng(7)
    features = rng.uniform(0, 60, size=(40, 2))
    first = restoration.cluster_sites(features, k=3, seed=0)
    for _ in range(3):
        again = restoration.cluster_sites(features, k=3, seed=0)
        assert again.labels == first.labels
        np.testing.assert_array_equal(again.centroids, first.centroids)
    assert set(first.labels) == {"high", "medium", "low"}
    # the names follow the mean SI share (row sum): high > medium > low
    si = features.sum(axis=1)
    means = [si[first.index == c].mean() for c in range(3)]
    assert means[0] > means[1] > means[2]


def test_cluster_sites_rank_by_orders_the_names():
    # rank by something else than the row sum: the order follows rank_by
    features = np.array([[0.0], [1.0], [10.0], [11.0]])
    result = restoration.cluster_sites(features, k=2, rank_by=[5.0, 5.0, 1.0, 1.0])
    assert result.labels == ["high", "high", "low", "low"]


def test_cluster_sites_fewer_sites_than_clusters():
    two = restoration.cluster_sites([[40, 40], [1, 1]], k=3)
    assert two.labels == ["high", "low"] and two.names == ["high", "low"]
    one = restoration.cluster_sites([[5, 5], [5, 5], [np.nan, 1]], k=3)
    assert one.labels == ["single", "single", None]
    none = restoration.cluster_sites(np.full((2, 2), np.nan), k=3)
    assert none.labels == [None, None] and none.names == []
    empty = restoration.cluster_sites(np.empty((0, 2)), k=3)
    assert empty.labels == [] and empty.names == []


def test_cluster_names():
    assert restoration.cluster_names(3) == ["high", "medium", "low"]
    assert restoration.cluster_names(5) == ["high", "medium 1", "medium 2", "medium 3", "low"]
    with pytest.raises(ValueError):
        restoration.cluster_sites([[1, 2]], k=0)


# ------------------------------------------------------------------ all statistics of the sites

# 10 sites (pixels of SD, ND, NI, SAI, SCI; 20 each) with a mining duration and a region; site 9 has no pixel
SITE_PIXELS = np.array(
    [
        [10, 4, 2, 2, 2],
        [8, 4, 2, 3, 3],
        [6, 4, 2, 4, 4],
        [4, 4, 2, 5, 5],
        [2, 4, 2, 6, 6],
        [1, 1, 2, 6, 10],
        [1, 1, 1, 7, 10],
        [0, 1, 1, 8, 10],
        [0, 0, 1, 9, 10],
        [0, 0, 0, 0, 0],
    ]
)
DURATION = np.array([20.0, 18, 15, 11, 9, 8, 5, 4, 2, 1])
REGIONS = ["north"] * 5 + ["south"] * 4 + [None]


def test_site_statistics_against_scipy():
    shares = restoration.site_class_shares(SITE_PIXELS * PIXEL_M2)
    result = restoration.site_statistics(shares, DURATION, k=3, groups=REGIONS, group_name="region")
    si = shares.si_pct[:9]
    rho, _ = stats.spearmanr(DURATION[:9], si)
    assert result.spearman["SI"].rho == pytest.approx(rho) and result.spearman["SI"].n == 9
    assert result.spearman["SAI"].rho == pytest.approx(stats.spearmanr(DURATION[:9], shares.pct(4)[:9])[0])
    assert result.kruskal_what == "si_pct across the groups of region"
    assert result.kruskal.h == pytest.approx(stats.kruskal(si[:5], si[5:9]).statistic)
    assert result.kruskal.n == 9 and result.kruskal.method == "permutation"  # a group of 4: no χ²
    assert result.clusters.names == ["high", "medium", "low"] and result.clusters.labels[9] is None
    assert result.clusters.labels[0] == "low" and result.clusters.labels[8] == "high"
    assert result.warnings == []


def test_site_statistics_without_groups_compares_the_five_classes():
    shares = restoration.site_class_shares(SITE_PIXELS * PIXEL_M2)
    result = restoration.site_statistics(shares, DURATION, k=2)
    classes = [shares.pct(c)[:9] for c in restoration.CLASS_CODES]
    expected = stats.kruskal(*classes)
    assert result.kruskal.h == pytest.approx(expected.statistic)
    assert result.kruskal.p == pytest.approx(expected.pvalue)  # 9 values per class: p from χ², 4 df
    assert result.kruskal.df == 4 and "five classes" in result.kruskal_what
    assert len(result.clusters.names) == 2


def test_site_statistics_warns_what_it_cannot_do():
    # two identical sites: one (SAI %, SCI %) pair for 3 clusters, no Spearman, no Kruskal-Wallis by group
    shares = restoration.site_class_shares(np.array([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1]]) * PIXEL_M2)
    result = restoration.site_statistics(shares, [np.nan, np.nan], k=3, groups=["a", "a"], group_name="g")
    assert result.kruskal is None and math.isnan(result.spearman["SI"].rho)
    assert result.clusters.names == ["single"]
    assert len(result.warnings) == 2
    assert result.warnings[0].startswith("Kruskal-Wallis test of the si_pct across the groups of g not computed")
    assert "only 1 cluster(s) could be made" in result.warnings[1]
