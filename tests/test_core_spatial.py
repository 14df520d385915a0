"""core.spatial_weights and core.autocorrelation against PySAL (libpysal weights,
esda Moran, Moran_Local, G, G_Local) and by hand. No QGIS here.

esda and libpysal are test-only dependencies (requirements-test.txt). Analytical
values must agree to 1e-9 (relative). Permutation p-values cannot equal esda's
(different random streams), so they are checked three ways: our vectorised
conditional-permutation kernel fed esda's own draws gives esda's p_sim exactly;
our permutation means and variances match the exact moments under
randomisation; and on the same fields our p_sim and esda's agree within Monte
Carlo error.
"""

import warnings

import numpy as np
import pytest
from scipy.special import ndtr

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pyproj's data-directory warning when geopandas loads
    import esda
    import libpysal
    from esda.crand import vec_permutations

from mineland.core.spatial import autocorrelation
from mineland.core.spatial.autocorrelation import general_g, gi_bin, global_moran, local_g_star, local_moran
from mineland.core.spatial.spatial_weights import (
    MAX_DENSE_PAIRS,
    Weights,
    distance_band,
    from_sparse,
    grid_contiguity,
    inverse_distance,
    knn,
    pairs_contiguity,
    row_standardise,
    subset,
)

# libpysal's and esda's own chatter, about the reference objects only
pytestmark = [
    pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected"),
    pytest.mark.filterwarnings("ignore:Gi\\* requested"),
    pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning"),  # DistanceBand's 0 ** −α, dropped after
]

RTOL = 1e-9
MORAN_FIELDS = ("I", "EI", "VI_norm", "VI_rand", "z_norm", "z_rand", "p_norm", "p_rand")


def assert_close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-300)


def as_libpysal(w):
    """A libpysal W with the same neighbours and weights as ours (islands kept)."""
    return libpysal.weights.WSP(w.matrix.copy()).to_W(silence_warnings=True)


def lat2w(rows, cols, kind):
    return libpysal.weights.lat2W(rows, cols, rook=(kind == "rook"))


def same_matrix(ours, theirs):
    """Same shape, same stored neighbours, same weights, exactly."""
    theirs = theirs.tocsr()
    return ours.shape == theirs.shape and (ours != theirs).nnz == 0


def field(rows, cols, seed, trend=0.3):
    """A random field with some large-scale structure, so that the statistics are far from 0."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols]
    return (rng.normal(size=(rows, cols)) + trend * (r + 0.5 * c)).ravel() + 10.0


def random_points(n, seed):
    return np.random.default_rng(seed).uniform(0, 100, size=(n, 2))


# Irregular structures: (label, our builder, libpysal builder)
POINTS = random_points(150, 7)
IRREGULAR = {
    "knn4": (lambda: knn(POINTS, 4), lambda: libpysal.weights.KNN(POINTS, k=4)),
    "knn7": (lambda: knn(POINTS, 7), lambda: libpysal.weights.KNN(POINTS, k=7)),
    "band15": (
        lambda: distance_band(POINTS, 15.0),
        lambda: libpysal.weights.DistanceBand(POINTS, 15.0, silence_warnings=True),
    ),
}
LATTICES = [(9, 11, "rook"), (9, 11, "queen"), (14, 7, "rook"), (5, 16, "queen")]


def structures():
    """(id, ours, make_theirs) for every weights structure the agreement tests use."""
    out = [
        (f"grid{r}x{c}-{k}", grid_contiguity(r, c, k), (lambda r=r, c=c, k=k: lat2w(r, c, k))) for r, c, k in LATTICES
    ]
    out += [(label, ours(), theirs) for label, (ours, theirs) in IRREGULAR.items()]
    return out


STRUCTURES = structures()


def values_for(w, seed):
    if w.n == POINTS.shape[0]:
        return POINTS[:, 0] * 0.05 + np.random.default_rng(seed).normal(size=w.n) + 10.0
    return np.random.default_rng(seed).normal(size=w.n) + np.linspace(0, 3, w.n) + 10.0


# ---------------------------------------------------------------- weights


@pytest.mark.parametrize("rows, cols", [(1, 6), (6, 1), (2, 2), (3, 3), (7, 10), (12, 5)])
@pytest.mark.parametrize("kind", ["rook", "queen"])
def test_grid_equals_lat2w(rows, cols, kind):
    w = grid_contiguity(rows, cols, kind)
    assert w.transform == "B" and w.n == rows * cols
    assert same_matrix(w.matrix, lat2w(rows, cols, kind).sparse)
    assert np.all(w.matrix.data == 1.0) and not w.matrix.diagonal().any()
    assert w.islands.size == 0


def test_single_cell_grid_is_one_island():
    w = grid_contiguity(1, 1, "queen")  # libpysal's lat2W(1, 1) has no feature at all
    assert w.n == 1 and w.matrix.nnz == 0 and w.islands.tolist() == [0]


def test_grid_cardinalities_by_hand():
    assert grid_contiguity(3, 3, "rook").cardinalities.reshape(3, 3).tolist() == [[2, 3, 2], [3, 4, 3], [2, 3, 2]]
    assert grid_contiguity(3, 3, "queen").cardinalities.reshape(3, 3).tolist() == [[3, 5, 3], [5, 8, 5], [3, 5, 3]]


def test_grid_missing_cells_drop_and_make_islands():
    missing = np.zeros((4, 5), dtype=bool)
    missing[0, 1] = missing[1, 0] = True  # cell (0, 0) loses both rook neighbours
    w = grid_contiguity(4, 5, "rook", missing=missing)
    kept = np.flatnonzero(~missing.ravel())
    assert w.n == kept.size
    assert same_matrix(w.matrix, lat2w(4, 5, "rook").sparse[kept][:, kept])
    assert w.islands.tolist() == [0]
    queen = grid_contiguity(4, 5, "queen", missing=missing)
    assert queen.islands.tolist() == []  # (0, 0) still touches (1, 1) at a corner


def test_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="rook"):
        grid_contiguity(3, 3, "bishop")
    with pytest.raises(ValueError, match="shape"):
        grid_contiguity(3, 3, missing=np.zeros((3, 4), dtype=bool))
    with pytest.raises(ValueError, match="at least one row"):
        grid_contiguity(0, 3)


def test_pairs_contiguity_symmetrises_and_dedups():
    w = pairs_contiguity([(0, 1), (1, 0), (0, 1), (2, 3), (3, 3), (1, 2)], n=6)
    dense = w.matrix.toarray()
    expected = np.zeros((6, 6))
    for i, j in [(0, 1), (2, 3), (1, 2)]:
        expected[i, j] = expected[j, i] = 1
    assert dense.tolist() == expected.tolist()
    assert w.islands.tolist() == [4, 5]
    assert pairs_contiguity(np.empty((0, 2), dtype=int), 3).islands.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="between 0 and n"):
        pairs_contiguity([(0, 6)], n=6)
    with pytest.raises(ValueError, match="integer"):
        pairs_contiguity([(0.0, 1.0)], n=6)


@pytest.mark.parametrize("k", [1, 3, 4, 8])
def test_knn_equals_libpysal_including_ties(k):
    for points in (POINTS, np.argwhere(np.ones((9, 12))).astype(float) * 10.0):  # the grid is all ties
        w = knn(points, k)
        assert same_matrix(w.matrix, libpysal.weights.KNN(points, k=k).sparse)
        assert np.all(w.cardinalities == k)
    with pytest.raises(ValueError, match="between 1 and n"):
        knn(POINTS[:5], 5)


def test_knn_with_coincident_points_as_libpysal():
    points = np.array([[0, 0], [0, 0], [0, 0], [1, 0], [5, 5], [5, 6]], dtype=float)
    w = knn(points, 2)
    assert same_matrix(w.matrix, libpysal.weights.KNN(points, k=2).sparse)
    assert not w.matrix.diagonal().any() and np.all(w.cardinalities == 2)


@pytest.mark.parametrize("threshold", [5.0, 10.0, 15.0])
def test_distance_band_equals_libpysal(threshold):
    for points in (POINTS, np.argwhere(np.ones((9, 12))).astype(float) * 10.0):
        w = distance_band(points, threshold)
        theirs = libpysal.weights.DistanceBand(points, threshold, silence_warnings=True)
        assert same_matrix(w.matrix, theirs.sparse)
        assert w.islands.tolist() == sorted(theirs.islands)


def test_distance_band_threshold_is_inclusive_and_coincident_points_are_neighbours():
    points = np.array([[0, 0], [3, 4], [3, 4], [20, 0]], dtype=float)
    w = distance_band(points, 5.0)
    assert w.matrix.toarray().tolist() == [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]]
    assert w.islands.tolist() == [3]
    with pytest.raises(ValueError, match="positive"):
        distance_band(points, 0)


@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.5])
def test_inverse_distance_equals_libpysal(alpha):
    w = inverse_distance(POINTS, 20.0, alpha=alpha)
    theirs = libpysal.weights.DistanceBand(POINTS, 20.0, binary=False, alpha=-alpha, silence_warnings=True).sparse
    assert_close(w.matrix.toarray(), theirs.toarray())
    everything = inverse_distance(POINTS[:40], alpha=alpha)
    d = np.sqrt(((POINTS[:40, None, :] - POINTS[None, :40, :]) ** 2).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    assert_close(everything.matrix.toarray(), d**-alpha)


def test_inverse_distance_refuses_coincident_points_and_huge_dense():
    with pytest.raises(ValueError, match="coincident"):
        inverse_distance([[0, 0], [0, 0], [1, 1]])
    with pytest.raises(ValueError, match="threshold"):
        inverse_distance(np.zeros((int(np.sqrt(2 * MAX_DENSE_PAIRS)) + 2, 2)))
    with pytest.raises(ValueError, match="finite"):
        knn([[0, 0], [np.nan, 1], [2, 2]], 1)


def test_row_standardise_and_subset():
    w = grid_contiguity(4, 5, "queen", missing=np.eye(4, 5, dtype=bool))
    r = row_standardise(w)
    assert r.transform == "R" and row_standardise(r) is r
    totals = np.asarray(r.matrix.sum(axis=1)).ravel()
    assert_close(totals[w.cardinalities > 0], 1.0)
    keep = np.ones(w.n, dtype=bool)
    keep[[1, 5, 6]] = False
    # subsetting row-standardised weights = standardising the subset of the binary ones
    assert_close(subset(r, keep).matrix.toarray(), row_standardise(subset(w, keep)).matrix.toarray())
    theirs = libpysal.weights.w_subset(lat2w(4, 5, "rook"), [i for i in range(20) if i not in (3, 7, 8)])
    ours = subset(grid_contiguity(4, 5, "rook"), ~np.isin(np.arange(20), [3, 7, 8]))
    assert same_matrix(ours.matrix, theirs.sparse)
    lonely = subset(pairs_contiguity([(0, 1), (1, 2)], 4), np.array([True, False, True, True]))
    assert lonely.islands.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="length n"):
        subset(w, keep[:-1])


def test_from_sparse_validates():
    with pytest.raises(ValueError, match="square"):
        from_sparse(np.ones((2, 3)))
    with pytest.raises(ValueError, match="positive"):
        from_sparse(np.array([[0, -1.0], [1, 0]]))
    with pytest.raises(ValueError, match="transform"):
        from_sparse(np.zeros((2, 2)), transform="O")
    w = from_sparse(np.array([[1.0, 0, 0], [0, 0, 1], [0, 1, 0]]))
    assert w.islands.tolist() == [0] and w.cardinalities.tolist() == [0, 1, 1]  # a self weight is no neighbour


# ---------------------------------------------------------------- by hand


def test_moran_by_hand_on_3x3():
    """x = 1…9 row by row on a 3 × 3 rook grid (binary).

    z = x − 5 = −4 … 4, Σz² = 60; the 12 rook pairs give Σ_pairs z_i z_j = 36 (rows)
    + 4 (columns) = 40, so ΣΣ w_ij z_i z_j = 80 and S0 = 24: I = 9/24 · 80/60 = 1/2.
    S1 = ½ Σ (2 w_ij)² = 48, S2 = Σ (2 k_i)² = 4·16 + 4·36 + 64 = 272:
    Var_norm = (81·48 − 9·272 + 3·576) / (8·10·576) − 1/64 = 0.06875 − 0.015625 = 0.053125.
    Local: corner 0 has lag z1 + z3 = −4, I_0 = (n − 1) z_0 lag / Σz² = 8·16/60 = 32/15, LL.
    """
    x = np.arange(1.0, 10.0)
    w = grid_contiguity(3, 3, "rook")
    result = global_moran(x, w, permutations=0)
    assert result.I == pytest.approx(0.5, rel=1e-14)
    assert result.EI == pytest.approx(-1 / 8, rel=1e-14)
    assert result.VI_norm == pytest.approx(0.053125, rel=1e-14)
    assert result.z_norm == pytest.approx((0.5 + 0.125) / np.sqrt(0.053125), rel=1e-14)
    assert np.isnan(result.p_sim) and np.isnan(result.z_sim)
    local = local_moran(x, w, permutations=0)
    assert local.Is[0] == pytest.approx(32 / 15, rel=1e-14)
    assert local.Is[4] == 0.0
    # lags −4, −6, −2 / −2, 0, 2 / 2, 6, 4; z = 0 and lag = 0 at the centre count as low, as esda
    assert local.q.tolist() == [3, 3, 3, 3, 3, 1, 1, 1, 1]
    # no permutations: the analytical test (Anselin 1995, Sokal et al. 1998). Corner 0: I = z·lag/m2 = 16/(60/9)
    # = 2.4, E = −2/8, b2 = 9·708/3600 = 1.77, Var = 2(9 − 1.77)/8 + 2(3.54 − 9)/56 − 1/16 = 1.55
    assert local.z_sim[0] == pytest.approx(2.65 / np.sqrt(1.55), rel=1e-12)
    assert local.p_sim[0] == pytest.approx(2 * ndtr(-2.65 / np.sqrt(1.55)), rel=1e-12)
    assert local.labels[0] == "LL" and local.labels[4] == "NS"


def test_getis_ord_known_answers_from_esda_docs():
    """esda's own doctest example: six points, distance band 15."""
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    y = np.array([2, 3, 3.2, 5, 8, 7])
    w = distance_band(points, 15)
    g = general_g(y, w)
    assert round(g.G, 3) == 0.557
    assert round(g.p_norm / 2, 3) == 0.173  # esda prints the one-sided value
    star = local_g_star(y, w)  # esda prints 8 decimals
    np.testing.assert_allclose(
        star.z, [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331], rtol=0, atol=5e-9
    )
    gi = local_g_star(y, w, star=False)
    np.testing.assert_allclose(
        gi.z, [-1.0136729, -0.04361589, 1.31558703, -0.31412676, 1.15373986, 1.77833941], rtol=0, atol=5e-9
    )


# ---------------------------------------------------------------- esda: analytical values


@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_global_moran_equals_esda(label, ours, theirs, transform):
    w = row_standardise(ours) if transform == "R" else ours
    for seed in (1, 2):
        x = values_for(w, seed)
        expected = esda.Moran(x, theirs(), transformation=transform, permutations=0)
        result = global_moran(x, w, permutations=0)
        for name in MORAN_FIELDS:
            assert_close(getattr(result, name), getattr(expected, name))
        assert result.n == w.n


@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_local_moran_statistic_equals_esda(label, ours, theirs, transform):
    w = row_standardise(ours) if transform == "R" else ours
    x = values_for(w, 3)
    expected = esda.Moran_Local(x, theirs(), transformation=transform, permutations=0)
    result = local_moran(x, w, permutations=0)
    assert_close(result.Is, expected.Is)
    assert result.q.tolist() == expected.q.tolist()


@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_general_g_equals_esda(label, ours, theirs):
    x = values_for(ours, 4)
    expected = esda.G(x, theirs(), permutations=0)
    for w in (ours, row_standardise(ours)):  # esda.G makes the weights binary whatever they were; so do we
        result = general_g(x, w)
        for name, theirs_name in (("G", "G"), ("EG", "EG"), ("VG", "VG"), ("z", "z_norm")):
            assert_close(getattr(result, name), getattr(expected, theirs_name))
        assert_close(result.p_norm, 2 * expected.p_norm)  # esda's p_norm is one-sided


def rectangle_boxes(x_edges, y_edges, present):
    """(n, 4) boxes of the present cells of a rectilinear lattice, row-major from the top row."""
    rows, cols = present.shape
    r, c = np.nonzero(present)
    return np.column_stack([x_edges[c], y_edges[rows - 1 - r], x_edges[c + 1], y_edges[rows - r]])


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_lattice_contiguity_equals_grid_contiguity(kind):
    from mineland.core.spatial.spatial_weights import lattice_contiguity

    rng = np.random.default_rng(4)
    present = rng.random((9, 13)) > 0.25
    for x_edges, y_edges in (
        (400000.0 + 1000.0 * np.arange(14), 5e6 + 1000.0 * np.arange(10)),
        (np.cumsum(rng.uniform(1, 50, 14)), np.cumsum(rng.uniform(1, 50, 10))),
    ):
        boxes = rectangle_boxes(x_edges, y_edges, present)
        result = lattice_contiguity(boxes, kind)
        expected = grid_contiguity(9, 13, kind, missing=~present)
        assert (result.matrix != expected.matrix).nnz == 0
        assert result.islands.tolist() == expected.islands.tolist()
        order = rng.permutation(len(boxes))  # any feature order
        shuffled = lattice_contiguity(boxes[order], kind)
        assert (shuffled.matrix != expected.matrix[order][:, order]).nnz == 0


def test_lattice_contiguity_declines_what_is_not_one_lattice():
    from mineland.core.spatial.spatial_weights import lattice_contiguity

    edges = 1000.0 * np.arange(4)
    boxes = rectangle_boxes(edges, edges, np.ones((3, 3), dtype=bool))
    assert lattice_contiguity(boxes) is not None
    merged = np.vstack([boxes[1:], [0.0, 2000.0, 2000.0, 3000.0]])  # a cell two columns wide
    assert lattice_contiguity(merged) is None
    assert lattice_contiguity(np.vstack([boxes, boxes[:1]])) is None  # two polygons in one cell
    short = boxes.copy()
    short[0, 2] -= 1e-7  # one cell stops short of the column edge: its column no longer fits one lattice
    assert lattice_contiguity(short) is None
    apart = boxes.copy()
    apart[apart[:, 0] >= 1000.0, 0::2] += 1e-7  # columns 1 and 2 moved off column 0
    w = lattice_contiguity(apart, "queen")
    # column 0 (features 0, 3, 6) now touches only itself, as GEOS would find: no pair across the gap
    assert w.cardinalities.tolist() == [1, 3, 3, 2, 5, 5, 1, 3, 3]
    diagonal = np.arange(1000.0)
    scattered = np.column_stack([diagonal, diagonal, diagonal + 0.5, diagonal + 0.5])
    assert lattice_contiguity(scattered) is None  # 2,000 × 2,000 edges for 1,000 rectangles: not a fishnet
    with pytest.raises(ValueError, match="kind"):
        lattice_contiguity(boxes, "bishop")


def polygon_wkb(points, multi=False, order="<"):
    import struct

    code = "<" if order == "<" else ">"
    body = struct.pack(code + "BIII", 1 if order == "<" else 0, 3, 1, len(points)) + b"".join(
        struct.pack(code + "dd", *p) for p in points
    )
    return struct.pack("<BII", 1, 6, 1) + body if multi else body


def test_rectangles_from_wkb():
    from mineland.core.spatial.spatial_weights import rectangles_from_wkb

    square = [(0, 10), (5, 10), (5, 8), (0, 8), (0, 10)]
    other = [(5, 8), (5, 10), (9, 10), (9, 8), (5, 8)]
    assert rectangles_from_wkb([polygon_wkb(square), polygon_wkb(other)]).tolist() == [[0, 8, 5, 10], [5, 8, 9, 10]]
    assert rectangles_from_wkb([polygon_wkb(square, multi=True)]).tolist() == [[0, 8, 5, 10]]
    for refused in (
        [polygon_wkb([(0, 0), (1, 0), (0, 1), (0, 0)])],  # a triangle
        [polygon_wkb([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])],  # a bow-tie of the corners
        [polygon_wkb([(0, 0), (1, 0), (1, 0), (0, 1), (0, 0)])],  # a repeated corner
        [polygon_wkb([(0, 0), (2, 0), (2, 1), (0, 1), (0, 0.5)])],  # not closed
        [polygon_wkb(square, order=">")],  # big-endian
        [polygon_wkb(square), polygon_wkb(square, multi=True)],  # layouts mixed
        [],
    ):
        assert rectangles_from_wkb(refused) is None


def test_general_g_permutations_have_the_analytical_moments():
    """Shuffling x over the features: the permuted G have mean E[G] and variance Var(G) (Getis and Ord's
    moments are those of this randomisation), within 5 Monte Carlo standard errors; p_sim as esda's."""
    w = grid_contiguity(12, 12, "queen")
    x = field(12, 12, 10)
    permutations = 20_000
    result = general_g(x, w, permutations=permutations, seed=3)
    sims = autocorrelation._permuted_quadratic(
        x, w.matrix, 1 / (x.sum() ** 2 - (x**2).sum()), permutations, np.random.default_rng(3)
    )
    assert abs(sims.mean() - result.EG) < 5 * np.sqrt(result.VG / permutations)
    assert abs(sims.var() / result.VG - 1) < 5 * np.sqrt(2 / permutations)
    larger = np.count_nonzero(sims >= result.G)
    assert result.p_sim == (min(larger, permutations - larger) + 1) / (permutations + 1)
    assert result.z_sim == pytest.approx((result.G - sims.mean()) / sims.std(), rel=1e-12)
    assert result.permutations == permutations and result.p_sim < 0.01  # the field has a trend: clustered
    none = general_g(x, w)
    assert np.isnan(none.p_sim) and np.isnan(none.z_sim) and none.permutations == 0
    assert none.G == result.G and none.z == result.z


def test_general_g_with_own_weights_differs_from_binary():
    w = inverse_distance(POINTS, 20.0)
    x = values_for(w, 5)
    assert general_g(x, w, binary=False).G != pytest.approx(general_g(x, w).G)
    # with binary weights binary=False changes nothing
    b = distance_band(POINTS, 20.0)
    assert general_g(x, b, binary=False).z == general_g(x, b).z


@pytest.mark.parametrize("star", [True, False])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_local_g_equals_esda(label, ours, theirs, star):
    x = values_for(ours, 6)
    expected = esda.G_Local(x, theirs(), transform="B", star=star, permutations=0)
    result = local_g_star(x, ours, star=star)
    assert result.star is star
    assert_close(result.z, expected.Zs)
    assert_close(result.p, 2 * expected.p_norm)  # esda's p_norm is one-sided
    assert_close(result.G, expected.Gs)


@pytest.mark.parametrize("star", [True, False])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_local_g_row_standardised(label, ours, theirs, star):
    """Row-standardised: G_i as esda; z is the general Ord-Getis z, which equals the binary z.

    esda's Zs for transform='R' divides by the binary-weights variance W_i(N − W_i)/(N − 1)
    with W_i = 1 instead of (N S1_i − W_i²)/(N − 1), N = n (Gi*) or n − 1 (Gi), so
    esda's Zs = our z · √((N S1_i − 1)/(N − 1)) exactly.
    """
    x = values_for(ours, 6)
    r = row_standardise(ours)
    expected = esda.G_Local(x, theirs(), transform="R", star=star, permutations=0)
    result = local_g_star(x, r, star=star)
    assert_close(result.G, expected.Gs)
    assert_close(result.z, local_g_star(x, ours, star=star).z)
    matrix = expected.w.sparse
    squares = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    big_n = x.size if star else x.size - 1
    assert_close(result.z * np.sqrt((big_n * squares - 1) / (big_n - 1)), expected.Zs)


# ---------------------------------------------------------------- permutations


def same_p_values(ours, esdas):
    """Equal pseudo p-values (k + 1) / (permutations + 1), in esda's dtype: esda >= 2.10 returns float32 ones
    for some statistics (ours are float64), so ours are rounded the same way before the exact comparison."""
    return np.array_equal(np.asarray(ours).astype(np.asarray(esdas).dtype), esdas)


def esda_draws(monkeypatch, seed):
    """Make local_moran draw esda's permutation matrix for ``seed`` (numba or not: esda's own function)."""
    monkeypatch.setattr(
        autocorrelation,
        "_permutation_ids",
        lambda rng, population, size, permutations: np.asarray(
            vec_permutations(size, population + 1, permutations, seed)
        ),
    )


@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_local_moran_with_esdas_draws_equals_esda(monkeypatch, label, ours, theirs, transform):
    w = row_standardise(ours) if transform == "R" else ours
    x = values_for(w, 8)
    esda_draws(monkeypatch, 4321)
    result = local_moran(x, w, permutations=199, alpha=0.05)
    expected = esda.Moran_Local(x, theirs(), transformation=transform, permutations=199, seed=4321)
    assert same_p_values(result.p_sim, expected.p_sim)
    assert_close(result.z_sim, expected.z_sim, rtol=1e-8)
    names = {"High-High": "HH", "Low-High": "LH", "Low-Low": "LL", "High-Low": "HL", "Insignificant": "NS"}
    assert result.labels.tolist() == [names[v] for v in expected.get_cluster_labels(0.05)]


@pytest.mark.slow  # esda's conditional permutations on every structure
@pytest.mark.parametrize("star", [True, False])
@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("label, ours, theirs", STRUCTURES, ids=[s[0] for s in STRUCTURES])
def test_local_g_permutations_with_esdas_draws_equal_esda(monkeypatch, label, ours, theirs, transform, star):
    w = row_standardise(ours) if transform == "R" else ours
    x = values_for(w, 9)
    esda_draws(monkeypatch, 1234)
    result = local_g_star(x, w, star=star, permutations=199)
    expected = esda.G_Local(x, theirs(), transform=transform, star=star, permutations=199, seed=1234)
    assert result.permutations == 199
    assert same_p_values(result.p_sim, expected.p_sim)
    assert_close(result.z_sim, expected.z_sim, rtol=1e-8)


def test_local_g_permutations_seeded_islands_and_none():
    missing = np.zeros((8, 8), dtype=bool)
    missing[0, 1] = missing[1, 0] = missing[1, 1] = True  # cell (0, 0), feature 0, has no neighbour left
    w = grid_contiguity(8, 8, "queen", missing=missing)
    assert w.islands.tolist() == [0]
    x = field(8, 8, 12)[~missing.ravel()]
    first = local_g_star(x, w, permutations=99, seed=7)
    assert np.array_equal(first.p_sim, local_g_star(x, w, permutations=99, seed=7).p_sim, equal_nan=True)
    assert not np.array_equal(first.p_sim, local_g_star(x, w, permutations=99, seed=8).p_sim, equal_nan=True)
    assert np.isnan(first.p_sim[0]) and np.isnan(first.z_sim[0])
    others = np.arange(1, 61)
    assert np.all((first.p_sim[others] >= 1 / 100) & (first.p_sim[others] <= 0.5))
    none = local_g_star(x, w)
    assert none.permutations == 0 and np.isnan(none.p_sim).all() and np.isnan(none.z_sim).all()
    # the pseudo p follows the analytical one: the strongest analytical hot and cold spots are at the floor
    strongest = np.argsort(np.nan_to_num(np.abs(none.z)))[-4:]
    assert np.all(first.p_sim[strongest] == 1 / 100)
    with pytest.raises(ValueError, match="permutations"):
        local_g_star(x, w, permutations=-1)


def test_local_moran_fdr_labels_are_benjamini_hochberg_of_the_pseudo_p():
    w = row_standardise(grid_contiguity(15, 15, "queen"))
    x = field(15, 15, 11)
    plain = local_moran(x, w, permutations=999, seed=3, alpha=0.047)
    corrected = local_moran(x, w, permutations=999, seed=3, alpha=0.047, fdr=True)
    assert corrected.fdr and not plain.fdr
    assert np.array_equal(corrected.p_sim, plain.p_sim) and np.array_equal(corrected.q, plain.q)
    p, m = plain.p_sim, plain.p_sim.size
    ordered = np.sort(p)
    thresholds = np.arange(1, m + 1) * 0.047 / m
    assert not np.isclose(ordered, thresholds).any()  # no p_(r) on its threshold: esda's < and BH's ≤ agree
    r = np.flatnonzero(ordered <= thresholds).max() + 1  # the largest rank within its threshold
    names = np.array(["NS", "HH", "LH", "LL", "HL"])
    assert corrected.labels.tolist() == np.where(p <= ordered[r - 1], names[plain.q], "NS").tolist()
    assert np.array_equal(corrected.labels != "NS", p < esda.fdr(p, 0.047))
    significant, significant_plain = np.count_nonzero(corrected.labels != "NS"), np.count_nonzero(plain.labels != "NS")
    assert 0 < significant < significant_plain
    assert all(a in (b, "NS") for a, b in zip(corrected.labels, plain.labels))


def test_permutation_moments_match_randomisation_moments():
    """Permuted I have the exact moments of the randomisation null, within 5 Monte Carlo sd.

    Global: E[I] and Var_rand(I). Local (conditional permutation): Sokal et al.'s
    EIc and VIc (esda computes them), which are for z_i lag_i / m2 with
    m2 = Σz²/n; esda's and our I_i use (n − 1)/Σz² instead, a factor (n − 1)/n.
    """
    w = row_standardise(grid_contiguity(12, 12, "queen"))
    x = field(12, 12, 9)
    n = w.n
    permutations = 20_000
    result = global_moran(x, w, permutations=0)
    z = x - x.mean()
    sims = autocorrelation._permuted_quadratic(
        z, w.matrix, n / w.matrix.sum() / (z @ z), permutations, np.random.default_rng(1)
    )
    assert abs(sims.mean() - result.EI) < 5 * np.sqrt(result.VI_rand / permutations)
    assert abs(sims.var() / result.VI_rand - 1) < 5 * np.sqrt(2 / permutations)
    expected = esda.Moran_Local(x, libpysal.weights.lat2W(12, 12, rook=False), permutations=0)
    zs = z / z.std()
    ids = autocorrelation._permutation_ids(np.random.default_rng(2), n - 1, 8, permutations)
    off, diagonal = autocorrelation._split_diagonal(w.matrix)
    scaling = (n - 1) / (zs @ zs)
    _, mean, sd = autocorrelation._conditional_permutations(
        zs, off, diagonal, lambda sites, lag: (scaling * zs[sites])[:, None] * lag, expected.Is, ids
    )
    scale = (n - 1) / n
    assert np.all(np.abs(mean - scale * expected.EIc) < 5 * np.sqrt(scale**2 * expected.VIc / permutations))
    # the draws are shared by all features, as esda's, so their errors are correlated: check the median
    assert abs(np.median(sd**2 / (scale**2 * expected.VIc)) - 1) < 0.03


def test_permutation_ids_are_uniform_ordered_samples():
    """Both ways of drawing: uniform keys (size² > population) and rejection (size² ≤ population)."""
    ids = autocorrelation._permutation_ids(np.random.default_rng(3), 5, 3, 60_000)  # keys
    assert ids.min() >= 0 and ids.max() <= 4
    assert np.all((ids[:, 0] != ids[:, 1]) & (ids[:, 0] != ids[:, 2]) & (ids[:, 1] != ids[:, 2]))
    counts = np.unique(ids @ [25, 5, 1], return_counts=True)[1]
    assert counts.size == 60 and abs(counts / 1000.0 - 1).max() < 0.2  # 60 ordered triples, 1000 expected each
    for population, size, permutations in ((300, 20, 2000), (40, 6, 50_000)):  # keys over batches; rejection
        ids = autocorrelation._permutation_ids(np.random.default_rng(4), population, size, permutations)
        ordered = np.sort(ids, axis=1)
        assert ids.shape == (permutations, size) and ids.min() >= 0 and ids.max() < population
        assert np.all(ordered[:, 1:] != ordered[:, :-1])
        expected = permutations / population  # each value equally often at each position
        for position in range(size):
            counts = np.bincount(ids[:, position], minlength=population)
            assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


def test_seeded_permutations_are_reproducible():
    w = row_standardise(grid_contiguity(10, 10, "rook"))
    x = field(10, 10, 10, trend=0.05)
    assert global_moran(x, w, 199, seed=5) == global_moran(x, w, 199, seed=5)
    first, again = local_moran(x, w, 199, seed=5), local_moran(x, w, 199, seed=5)
    assert np.array_equal(first.p_sim, again.p_sim) and np.array_equal(first.z_sim, again.z_sim)
    other = local_moran(x, w, 199, seed=6)
    assert not np.array_equal(first.p_sim, other.p_sim)


def test_clustered_field_is_significant_for_both():
    rows, cols = 15, 15
    w = row_standardise(grid_contiguity(rows, cols, "rook"))
    x = field(rows, cols, 11, trend=1.0)
    ours = global_moran(x, w, permutations=999, seed=1)
    np.random.seed(1)
    theirs = esda.Moran(x, lat2w(rows, cols, "rook"), permutations=999)
    assert ours.p_sim == theirs.p_sim == 1 / 1000
    assert ours.z_sim > 10 and theirs.z_sim > 10
    assert abs(ours.z_sim / theirs.z_sim - 1) < 0.15
    local = local_moran(x, w, permutations=999, seed=2)
    esda_local = esda.Moran_Local(x, lat2w(rows, cols, "rook"), permutations=999, seed=3)
    assert {"HH", "LL"} <= set(local.labels.tolist())
    significant, esda_significant = local.p_sim < 0.05, esda_local.p_sim < 0.05
    assert np.mean(significant == esda_significant) > 0.9
    mc = 5 * np.sqrt(2 * np.maximum(local.p_sim, 1e-3) / 999) + 0.01
    assert np.all(np.abs(local.p_sim - esda_local.p_sim) < mc)


def test_noise_is_not_significant_for_both():
    rows, cols = 15, 15
    w = row_standardise(grid_contiguity(rows, cols, "queen"))
    x = np.random.default_rng(14).normal(size=rows * cols)
    ours = global_moran(x, w, permutations=999, seed=1)
    np.random.seed(1)
    theirs = esda.Moran(x, lat2w(rows, cols, "queen"), permutations=999)
    assert ours.p_rand > 0.4  # this noise field happens not to be autocorrelated (1 in 20 is, by chance)
    for p_sim in (ours.p_sim, theirs.p_sim):  # folded one-sided: about half the two-sided p_rand
        assert abs(p_sim - ours.p_rand / 2) < 0.05
    local = local_moran(x, w, permutations=999, seed=2)
    esda_local = esda.Moran_Local(x, lat2w(rows, cols, "queen"), permutations=999, seed=3)
    assert np.mean(local.p_sim < 0.05) < 0.12 and np.mean(esda_local.p_sim < 0.05) < 0.12
    mc = 5 * np.sqrt(2 * local.p_sim * (1 - local.p_sim) / 999) + 0.01
    assert np.all(np.abs(local.p_sim - esda_local.p_sim) < mc)


# ---------------------------------------------------------------- islands, errors, bins


def test_islands_are_reported_not_fatal():
    missing = np.zeros((8, 9), dtype=bool)
    missing[0, 1] = missing[1, 0] = missing[1, 1] = True  # (0, 0) becomes a queen island
    w = grid_contiguity(8, 9, "queen", missing=missing)
    assert w.islands.tolist() == [0]
    x = field(8, 9, 13)[~missing.ravel()]
    theirs = as_libpysal(w)
    assert theirs.islands == [0]
    for transform, ours in (("B", w), ("R", row_standardise(w))):
        expected = esda.Moran(x, as_libpysal(w), transformation=transform, permutations=0)
        result = global_moran(x, ours, permutations=99, seed=1)
        for name in MORAN_FIELDS:
            assert_close(getattr(result, name), getattr(expected, name))
        local = local_moran(x, ours, permutations=99, seed=1)
        assert np.isnan(local.Is[0]) and np.isnan(local.p_sim[0]) and np.isnan(local.z_sim[0])
        assert local.q[0] == 0 and local.labels[0] == "NS"
        assert np.all(np.isfinite(local.p_sim[1:]))
        esda_local = esda.Moran_Local(x, as_libpysal(w), transformation=transform, permutations=0)
        assert_close(local.Is[1:], esda_local.Is[1:])
    star = local_g_star(x, w)
    expected = esda.G_Local(x, as_libpysal(w), transform="B", star=True, permutations=0)
    assert np.isnan(star.z[0]) and np.isnan(star.p[0]) and np.isnan(star.G[0])
    assert_close(star.z[1:], expected.Zs[1:])
    assert gi_bin(star.z, star.p)[0] == 0
    assert_close(general_g(x, w).z, esda.G(x, as_libpysal(w), permutations=0).z_norm)
    alone = pairs_contiguity(np.empty((0, 2), dtype=int), 5)
    with pytest.raises(ValueError, match="island"):
        global_moran(np.arange(5.0), alone)
    assert np.all(np.isnan(local_moran(np.arange(5.0), alone).Is))


@pytest.mark.parametrize("statistic", [global_moran, local_moran, general_g, local_g_star])
def test_constant_and_missing_values_are_refused(statistic):
    w = grid_contiguity(4, 4, "rook")
    with pytest.raises(ValueError, match="constant"):
        statistic(np.full(16, 3.5), w)
    x = np.arange(16.0)
    x[[2, 7]] = np.nan
    with pytest.raises(ValueError, match=r"2 missing .*subset"):
        statistic(x, w)
    with pytest.raises(ValueError, match="15 values but the weights have 16"):
        statistic(np.arange(15.0), w)
    with pytest.raises(ValueError, match="at least 4"):
        statistic(np.arange(3.0), grid_contiguity(1, 3))


def test_missing_values_dropped_with_subset_as_the_algorithm_will():
    x = field(6, 7, 14)
    x[[3, 20]] = np.nan
    keep = np.isfinite(x)
    w = subset(row_standardise(grid_contiguity(6, 7, "rook")), keep)
    theirs = libpysal.weights.w_subset(lat2w(6, 7, "rook"), list(np.flatnonzero(keep)))
    expected = esda.Moran(x[keep], theirs, permutations=0)
    assert_close(global_moran(x[keep], w, permutations=0).I, expected.I)


def test_general_g_refuses_negative_values_and_other_arguments():
    w = grid_contiguity(4, 4)
    with pytest.raises(ValueError, match="non-negative"):
        general_g(np.arange(16.0) - 3, w)
    with pytest.raises(ValueError, match="two non-zero"):
        general_g(np.eye(1, 16).ravel(), w)
    with pytest.raises(ValueError, match="alpha"):
        local_moran(np.arange(16.0), w, alpha=1.5)
    with pytest.raises(ValueError, match="permutations"):
        global_moran(np.arange(16.0), w, permutations=-1)
    with pytest.raises(ValueError, match="Weights"):
        global_moran(np.arange(16.0), w.matrix)
    assert isinstance(w, Weights)


def test_gi_bin_levels_and_sign():
    z = np.array([3.0, -2.7, 2.0, -1.97, 1.7, -1.6, 0.5, np.nan, 0.0])
    p = 2 * ndtr(-np.abs(z))
    assert gi_bin(z, p).tolist() == [3, -3, 2, -2, 1, 0, 0, 0, 0]


def test_gi_bin_fdr_benjamini_hochberg_by_hand():
    """m = 10 p-values; BH keeps p_(r) ≤ r α / m for the largest such r.

    α = 0.01: only p_(1) = 0.001 ≤ 0.001. α = 0.05: r = 2 (0.008 ≤ 0.010, 0.039 > 0.015 … all above).
    α = 0.10: r = 6 (0.06 ≤ 0.06; 0.074 > 0.07 and beyond), though p_(3), p_(4) fail their own rank.
    """
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    z = np.where(np.arange(10) % 2, -1.0, 1.0)
    assert gi_bin(np.ones(10), p).tolist() == [3, 3, 2, 2, 2, 1, 1, 0, 0, 0]
    assert gi_bin(np.ones(10), p, fdr=True).tolist() == [3, 2, 1, 1, 1, 1, 0, 0, 0, 0]
    assert gi_bin(z, p, fdr=True).tolist() == [3, -2, 1, -1, 1, -1, 0, 0, 0, 0]
    shuffled = np.random.default_rng(0).permutation(10)
    assert (
        gi_bin(np.ones(10), p[shuffled], fdr=True).tolist()
        == np.array([3, 2, 1, 1, 1, 1, 0, 0, 0, 0])[shuffled].tolist()
    )
    assert gi_bin(np.ones(10), np.full(10, 0.5), fdr=True).tolist() == [0] * 10
    with_nan = gi_bin(np.append(np.ones(10), np.nan), np.append(p, np.nan), fdr=True)
    assert with_nan.tolist() == [3, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0]  # NaN (islands) neither counts in m nor gets a bin


def test_hot_spots_of_a_clustered_field():
    rows, cols = 20, 20
    w = grid_contiguity(rows, cols, "queen")
    r, c = np.mgrid[0:rows, 0:cols]
    x = (
        5
        + 4 * np.exp(-((r - 5) ** 2 + (c - 5) ** 2) / 8.0)
        + np.random.default_rng(15).normal(scale=0.3, size=(rows, cols))
    )
    star = local_g_star(x.ravel(), w)
    bins = gi_bin(star.z, star.p, fdr=True).reshape(rows, cols)
    assert bins[5, 5] == 3 and bins[18, 18] <= 0
    assert np.all(np.abs(bins) <= 3)


def test_significant_at_plain_and_benjamini_hochberg():
    from mineland.core.spatial.autocorrelation import significant_at

    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, np.nan])
    np.testing.assert_array_equal(significant_at(p, 0.05), [1, 1, 1, 1, 1, 0, 0])
    # BH at 0.05 with m = 6 finite p: thresholds r·0.05/6 = 0.0083, 0.0167, 0.025, 0.0333, 0.0417, 0.05;
    # p_(r) ≤ threshold holds for r = 1, 2 only (0.039 > 0.025, 0.041 > 0.0333, 0.042 > 0.0417, 0.06 > 0.05)
    np.testing.assert_array_equal(significant_at(p, 0.05, fdr=True), [1, 1, 0, 0, 0, 0, 0])


def test_local_moran_analytical_moments_are_the_exact_permutation_moments():
    """E and Var of I_i over all n! arrangements of the values (exact enumeration, n = 7)."""
    import itertools

    import scipy.sparse as sp

    rng = np.random.default_rng(4)
    values = rng.normal(size=7) ** 3  # skewed: b2 matters
    dense = (rng.random((7, 7)) < 0.5).astype(float) * rng.random((7, 7))
    np.fill_diagonal(dense, 0.0)
    dense[3] = 0.0  # an island row
    matrix = sp.csr_matrix(dense)
    z = values - values.mean()
    m2 = float(z @ z) / 7
    perms = np.array(list(itertools.permutations(range(7))))
    zs = z[perms]  # (5040, 7): every arrangement of the values over the features
    anselin = zs * (zs @ dense.T) / m2  # I_i = z_i Σ_j w_ij z_j / m2
    expected, variance = autocorrelation.local_moran_moments(z, matrix)
    np.testing.assert_allclose(expected, anselin.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(variance, anselin.var(axis=0), atol=1e-12)
