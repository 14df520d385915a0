"""Spatial weights for the autocorrelation statistics: contiguity on a grid or from
polygon adjacency, distance band, k nearest neighbours, inverse distance (seed 002;
METHODS.md §2).

numpy and scipy only. A :class:`Weights` holds an n × n scipy.sparse CSR matrix W
whose row i lists the neighbours j of feature i with their weights w_ij, zero on
the diagonal (Gi* adds its own self weight, see :mod:`.autocorrelation`). Every
builder is vectorised: index arithmetic for grids, KD-tree queries for points,
one sparse assembly at the end; no Python loop over features.

The builders reproduce libpysal's (``lat2W``, ``KNN``, ``DistanceBand``), which
tests/test_core_spatial.py checks; where they differ on purpose the docstring
says so.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

#: Inverse distance without a band gives every pair a weight; refuse above this many pairs.
MAX_DENSE_PAIRS = 20_000_000

#: libpysal builds its KD-trees with this leaf size; the same tree gives the same tie order.
LIBPYSAL_LEAFSIZE = 10


@dataclass(frozen=True)
class Weights:
    """Spatial weights of n features.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n, n)
        w_ij > 0 when j is a neighbour of i, stored entries only (no explicit
        zeros), indices sorted within each row, zero diagonal. Symmetric for
        contiguity and distance-based weights, not for k nearest neighbours.
    islands : ndarray of int64
        Indices of the features with no neighbour (no entry in their row
        besides a self weight). They stay in
        n, in the mean and in the variance of the statistics; their local
        statistics are NaN.
    transform : str
        'B' as built (binary for contiguity, distance band and KNN; the raw
        1/d^α for inverse distance) or 'R' row-standardised (each row that has
        neighbours sums to 1).
    """

    matrix: sparse.csr_matrix
    islands: np.ndarray
    transform: str = "B"

    @property
    def n(self):
        """Number of features."""
        return self.matrix.shape[0]

    @property
    def cardinalities(self):
        """Number of neighbours of each feature (stored entries per row, a self weight excluded), int64."""
        return (np.diff(self.matrix.indptr) - (self.matrix.diagonal() != 0)).astype(np.int64)


def from_sparse(matrix, transform="B"):
    """Weights from any n × n sparse (or dense) matrix: CSR, duplicates summed,
    zeros dropped, indices sorted, islands found.

    ValueError when the matrix is not square, holds a negative or non-finite
    weight, or ``transform`` is not 'B' or 'R'. The diagonal is kept as given
    (the builders never set it).
    """
    if transform not in ("B", "R"):
        raise ValueError(f"transform must be 'B' (as built) or 'R' (row-standardised), got {transform!r}")
    w = sparse.csr_matrix(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"a weights matrix must be square, got shape {w.shape}")
    w.sum_duplicates()
    w.eliminate_zeros()
    w.sort_indices()
    if w.data.size and not (np.all(np.isfinite(w.data)) and w.data.min() > 0):
        raise ValueError("weights must be positive and finite")
    others = np.diff(w.indptr) - (w.diagonal() != 0)  # a self weight is no neighbour
    return Weights(matrix=w, islands=np.flatnonzero(others == 0).astype(np.int64), transform=transform)


def _assemble(rows, cols, values, n):
    return from_sparse(sparse.coo_matrix((values, (rows, cols)), shape=(n, n)))


def _symmetric_binary(i, j, n):
    """Binary weights with both (i, j) and (j, i) for each pair, self pairs dropped, duplicates once."""
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    keep = i != j
    rows = np.concatenate([i[keep], j[keep]])
    cols = np.concatenate([j[keep], i[keep]])
    w = sparse.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    w.sum_duplicates()
    w.data[:] = 1.0  # a pair given twice (or as both (i, j) and (j, i)) is one neighbour
    return from_sparse(w)


def grid_contiguity(rows, cols, kind="rook", missing=None):
    """Contiguity of the cells of a regular rows × cols grid.

    Cells are numbered in row-major order (cell (r, c) is feature r·cols + c),
    as libpysal's ``lat2W`` numbers them; the result equals
    ``lat2W(rows, cols, rook=(kind == 'rook'))`` exactly.

    Parameters
    ----------
    rows, cols : int
        Grid size (≥ 1 each).
    kind : {'rook', 'queen'}
        'rook': cells sharing an edge (up to 4 neighbours); 'queen': sharing an
        edge or a corner (up to 8).
    missing : array_like of bool, shape (rows, cols), optional
        True for cells that are not features (outside the study area, no data).
        They are dropped as by :func:`subset`: the remaining cells keep their
        row-major order, so feature k is cell ``np.flatnonzero(~missing)[k]``,
        and a cell whose neighbours are all missing becomes an island.

    Returns
    -------
    Weights
        Binary ('B').
    """
    rows, cols = int(rows), int(cols)
    if rows < 1 or cols < 1:
        raise ValueError(f"a grid needs at least one row and one column, got {rows} × {cols}")
    if kind not in ("rook", "queen"):
        raise ValueError(f"kind must be 'rook' or 'queen', got {kind!r}")
    cell = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    # each neighbour relation once, from a cell to the cell right, below, below-right, below-left
    pairs = [(cell[:, :-1], cell[:, 1:]), (cell[:-1, :], cell[1:, :])]
    if kind == "queen":
        pairs += [(cell[:-1, :-1], cell[1:, 1:]), (cell[:-1, 1:], cell[1:, :-1])]
    i = np.concatenate([a.ravel() for a, _ in pairs])
    j = np.concatenate([b.ravel() for _, b in pairs])
    w = _symmetric_binary(i, j, rows * cols)
    if missing is None:
        return w
    missing = np.asarray(missing, dtype=bool)
    if missing.shape != (rows, cols):
        raise ValueError(f"missing has shape {missing.shape}, the grid is {(rows, cols)}")
    return subset(w, ~missing.ravel())


def pairs_contiguity(pairs, n):
    """Contiguity from polygon adjacency given as index pairs.

    Parameters
    ----------
    pairs : array_like of int, shape (m, 2)
        (i, j) for polygons i and j that touch (e.g. from a spatial self-join
        with ``touches`` for queen, or sharing a boundary segment for rook).
        Symmetrised ((i, j) implies (j, i)); pairs given twice count once;
        self pairs (i, i) are ignored.
    n : int
        Number of polygons; those in no pair are islands.

    Returns
    -------
    Weights
        Binary ('B').
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    p = np.asarray(pairs)
    if p.size == 0:
        p = np.empty((0, 2), dtype=np.int64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"pairs must have shape (m, 2), got {p.shape}")
    if not np.issubdtype(p.dtype, np.integer):
        raise ValueError("pairs must hold integer feature indices")
    if p.size and (p.min() < 0 or p.max() >= n):
        raise ValueError(f"pair indices must be between 0 and n − 1 = {n - 1}")
    return _symmetric_binary(p[:, 0], p[:, 1], n)


#: Largest lattice (cells, occupied or not) :func:`lattice_contiguity` lays out, per rectangle (plus 2^20).
LATTICE_CELLS_PER_FEATURE = 64


def lattice_contiguity(boxes, kind="queen"):
    """Contiguity of rectangles that are the cells of one rectilinear lattice, or None when they are not.

    A fast path for fishnets: the polygons' own adjacency (what a geometry
    engine finds by testing them pairwise) read from their places in the
    lattice instead.

    Parameters
    ----------
    boxes : array_like, shape (n, 4)
        xmin, ymin, xmax, ymax of polygons that are exactly these rectangles
        (see :func:`rectangles_from_wkb`).
    kind : {'rook', 'queen'}

    Returns
    -------
    Weights or None
        The weights of :func:`pairs_contiguity` on the touching pairs, when
        every rectangle spans exactly one interval between consecutive
        distinct x edges and one between consecutive distinct y edges (edges
        compared exactly, as a geometry engine compares shared vertices) and
        no two rectangles are the same cell. Then two rectangles touch in a
        point or a side exactly when their cells are lattice neighbours (queen:
        row and column each within one; rook: sharing a side), and any two
        others are apart by a whole interval of positive width. None otherwise,
        or when the lattice would hold more than LATTICE_CELLS_PER_FEATURE cells
        per rectangle, plus 2^20 (rectangles scattered over many edges).
    """
    if kind not in ("rook", "queen"):
        raise ValueError(f"kind must be 'rook' or 'queen', got {kind!r}")
    boxes = np.asarray(boxes, dtype=np.float64)
    n = boxes.shape[0]
    if n == 0 or not np.isfinite(boxes).all():
        return None
    place = []
    for low, high in ((boxes[:, 0], boxes[:, 2]), (boxes[:, 1], boxes[:, 3])):
        edges = np.unique(np.concatenate([low, high]))
        index = np.searchsorted(edges, low)
        if np.any(index + 1 >= edges.size) or np.any(edges[np.minimum(index + 1, edges.size - 1)] != high):
            return None  # a rectangle spanning several intervals, or none
        place.append((index, edges.size - 1))
    (col, cols), (row, rows) = place
    if rows * cols > LATTICE_CELLS_PER_FEATURE * n + (1 << 20):
        return None
    cell = np.full((rows + 2, cols + 2), -1, dtype=np.int64)  # a border of empty cells: no bounds checks
    cell[row + 1, col + 1] = np.arange(n)
    if np.count_nonzero(cell >= 0) != n:
        return None  # two rectangles in one cell: they overlap
    # each neighbour relation once, to the cell right, below, below-right and below-left
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if kind == "queen" else [])
    j = np.concatenate([cell[row + 1 + down, col + 1 + right] for down, right in steps])
    i = np.tile(np.arange(n), len(steps))
    return pairs_contiguity(np.column_stack([i[j >= 0], j[j >= 0]]), n)


#: Little-endian 2-D WKB of a polygon with one ring of five points (a rectangle), and of a
#: multipolygon holding just that polygon.
_POLYGON_WKB_BYTES = 1 + 4 + 4 + 4 + 5 * 16
_MULTI_HEADER_BYTES = 1 + 4 + 4


def rectangles_from_wkb(blobs):
    """(n, 4) xmin, ymin, xmax, ymax when every WKB geometry is an axis-aligned rectangle, else None.

    Accepted: little-endian 2-D Polygon (or single-part MultiPolygon) with one
    ring of five points, closed, whose four corners are distinct, each on the
    ring once, joined by horizontal and vertical sides of positive length.
    Anything else (holes, more vertices, Z or M, big-endian) gives None, and
    the caller tests the polygons pairwise instead.
    """
    blobs = list(map(bytes, blobs))
    if not blobs or len(set(map(len, blobs))) != 1:
        return None  # none, or polygons and multipolygons mixed: not worth a second layout
    size = len(blobs[0])
    if size not in (_POLYGON_WKB_BYTES, _MULTI_HEADER_BYTES + _POLYGON_WKB_BYTES):
        return None
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), size)
    if size > _POLYGON_WKB_BYTES:
        if np.any(raw[:, :_MULTI_HEADER_BYTES] != np.frombuffer(b"\x01\x06\x00\x00\x00\x01\x00\x00\x00", np.uint8)):
            return None
        raw = raw[:, _MULTI_HEADER_BYTES:]
    header = raw[:, :13]
    if np.any(header != np.frombuffer(b"\x01\x03\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x00", np.uint8)):
        return None
    points = raw[:, 13:].copy().view("<f8").reshape(-1, 5, 2)
    if not np.isfinite(points).all() or np.any(points[:, 0] != points[:, 4]):
        return None
    corners = points[:, :4]
    low, high = corners.min(axis=1), corners.max(axis=1)
    on_sides = (corners == low[:, None]) | (corners == high[:, None])
    step = np.diff(points, axis=1)  # the four sides
    axis_aligned = np.count_nonzero(step != 0, axis=2) == 1
    kinds = (corners[..., 0] == high[:, None, 0]) * 2 + (corners[..., 1] == high[:, None, 1])
    if not (
        on_sides.all() and axis_aligned.all() and np.all(high > low) and np.all(np.sort(kinds, axis=1) == np.arange(4))
    ):
        return None
    return np.column_stack([low, high])


def _points(coords):
    xy = np.asarray(coords, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[0] < 1 or xy.shape[1] < 1:
        raise ValueError(f"coordinates must have shape (n, 2), got {xy.shape}")
    if not np.all(np.isfinite(xy)):
        raise ValueError("coordinates must be finite (drop features without a geometry first)")
    return xy


def _band_pairs(xy, threshold):
    """Pairs i < j with Euclidean distance ≤ threshold, and those distances."""
    threshold = float(threshold)
    if not threshold > 0 or not np.isfinite(threshold):
        raise ValueError(f"the distance threshold must be a positive number, got {threshold}")
    pairs = cKDTree(xy, leafsize=LIBPYSAL_LEAFSIZE).query_pairs(threshold, output_type="ndarray")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    distance = np.sqrt(((xy[i] - xy[j]) ** 2).sum(axis=1))
    return i, j, distance


def distance_band(coords, threshold):
    """Binary distance-band weights: j is a neighbour of i when d_ij ≤ threshold.

    d is the Euclidean distance in the units of ``coords`` (project first: a
    threshold in degrees is meaningless). Symmetric. Equals libpysal's
    ``DistanceBand(coords, threshold, binary=True)`` except that coincident
    points (d = 0) are neighbours here, while libpysal drops them with the
    zeros of its distance matrix.
    """
    xy = _points(coords)
    i, j, _ = _band_pairs(xy, threshold)
    return _symmetric_binary(i, j, xy.shape[0])


def knn(coords, k):
    """k-nearest-neighbour weights (binary, not symmetric: j may be among i's k
    nearest while i is not among j's).

    Each point's k + 1 nearest points are found with a scipy cKDTree (leaf size
    10) and the point itself is removed from them; if coincident points push it
    out of its own k + 1 nearest, the (k + 1)-th is dropped instead. This is
    libpysal's ``KNN`` procedure on the same tree, so ties (equidistant
    candidates for the k-th place) are broken as libpysal breaks them: in the
    order cKDTree returns them, which depends on the tree, not on the indices.
    """
    xy = _points(coords)
    n = xy.shape[0]
    k = int(k)
    if not 1 <= k <= n - 1:
        raise ValueError(f"k must be between 1 and n − 1 = {n - 1}, got {k}")
    _, found = cKDTree(xy, leafsize=LIBPYSAL_LEAFSIZE).query(xy, k=k + 1)
    others = found != np.arange(n)[:, None]
    others[others.all(axis=1), -1] = False  # self not among the k + 1: drop the farthest
    cols = found[others].reshape(n, k)
    return _assemble(np.repeat(np.arange(n), k), cols.ravel(), np.ones(n * k), n)


def inverse_distance(coords, threshold=None, alpha=1.0):
    """Inverse-distance weights w_ij = 1 / d_ij^α, for d_ij ≤ threshold when given.

    Parameters
    ----------
    coords : array_like, shape (n, 2)
        Projected coordinates (d is Euclidean in their units).
    threshold : float, optional
        Distance band; without it every pair of points is a neighbour, which
        needs n(n − 1) weights and is refused above ``MAX_DENSE_PAIRS`` pairs.
    alpha : float
        Power (1 inverse distance, 2 inverse squared distance); > 0.

    Returns
    -------
    Weights
        'B' (as built, the raw 1/d^α; row-standardise with
        :func:`row_standardise`). Equals libpysal's
        ``DistanceBand(coords, threshold, binary=False, alpha=-alpha)``.
        Coincident points (d = 0) raise ValueError: their weight would be infinite.
    """
    xy = _points(coords)
    n = xy.shape[0]
    alpha = float(alpha)
    if not alpha > 0 or not np.isfinite(alpha):
        raise ValueError(f"alpha must be a positive number, got {alpha}")
    if threshold is None:
        if n * (n - 1) // 2 > MAX_DENSE_PAIRS:
            raise ValueError(
                f"inverse distance without a band on {n} points needs {n * (n - 1)} weights; give a distance threshold"
            )
        i, j = np.triu_indices(n, 1)
        distance = np.sqrt(((xy[i] - xy[j]) ** 2).sum(axis=1))
    else:
        i, j, distance = _band_pairs(xy, threshold)
    if np.any(distance == 0):
        raise ValueError("coincident points have an infinite inverse-distance weight; merge them first")
    weight = distance**-alpha
    return _assemble(np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([weight, weight]), n)


def row_standardise(w):
    """Row-standardised copy: w_ij / Σ_j w_ij, so each row with neighbours sums to 1.

    Islands keep an empty row. A 'R' input is returned unchanged.
    """
    if w.transform == "R":
        return w
    return _scale_rows(w.matrix)


def _scale_rows(matrix):
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return from_sparse(sparse.diags(scale) @ matrix, transform="R")


def subset(w, keep):
    """Weights among the kept features only, e.g. after dropping features with missing values.

    Parameters
    ----------
    w : Weights
    keep : array_like of bool, shape (n,)
        True for the features to keep; they keep their relative order.

    Returns
    -------
    Weights
        Links to dropped features are removed and islands re-derived (a feature
        whose neighbours were all dropped becomes an island). Row-standardised
        weights are standardised again over the remaining neighbours, which
        equals standardising the subset of the original weights.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (w.n,):
        raise ValueError(f"keep must be a boolean array of length n = {w.n}, got shape {keep.shape}")
    index = np.flatnonzero(keep)
    matrix = w.matrix[index][:, index]
    if w.transform == "R":
        return _scale_rows(matrix)
    return from_sparse(matrix, transform=w.transform)
