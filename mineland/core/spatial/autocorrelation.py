"""Spatial autocorrelation: Global and Local Moran's I, Getis-Ord General G and Gi*
(seed 002 §2.3; METHODS.md §2).

numpy and scipy only. Every function takes the values x of n features (float64,
shape (n,), no NaN: drop features with missing values first, with
``spatial_weights.subset``) and a :class:`~.spatial_weights.Weights` w of the
same n. PySAL's esda (Moran, Moran_Local, G, G_Local) is the reference; the
docstrings say where we differ from it and why. Analytical p-values are
two-sided, 2 (1 − Φ(|z|)), everywhere; permutation pseudo p-values follow esda.

Permutations are vectorised: the global test shuffles a batch of copies of x
at once and applies W to them in one sparse product; the local test draws one
(permutations × max cardinality) matrix of neighbour indices, as esda's
``crand`` does, and evaluates every feature of a cardinality group against it
in array operations. Python loops run over batches and cardinality groups only.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import ndtr

from .spatial_weights import Weights

#: Permutation work is split into batches of about this many float64 values (2 MB, cache-sized).
BATCH_VALUES = 262_144

#: Quadrant codes of the Moran scatterplot, as esda (not GeoDa's order).
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

#: Gi_Bin levels: (bin, significance level) from weakest to strongest, as ArcGIS.
GI_BIN_LEVELS = ((1, 0.10), (2, 0.05), (3, 0.01))


def _check(x, w, minimum=4):
    """x as a float64 array of shape (n,); ValueError for anything the statistics cannot take."""
    if not isinstance(w, Weights):
        raise ValueError("w must be a spatial_weights.Weights")
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"x must be one value per feature (1-D), got shape {values.shape}")
    if values.size != w.n:
        raise ValueError(f"x has {values.size} values but the weights have {w.n} features")
    missing = int(np.count_nonzero(~np.isfinite(values)))
    if missing:
        raise ValueError(
            f"x has {missing} missing (NaN or infinite) values; drop those features first: "
            "keep = np.isfinite(x), then use x[keep] with spatial_weights.subset(w, keep)"
        )
    if values.size < minimum:
        raise ValueError(f"{values.size} features: at least {minimum} are needed")
    if np.all(values == values[0]):
        raise ValueError("x is constant (zero variance): spatial autocorrelation is undefined")
    return values


def _two_sided(z):
    """2 (1 − Φ(|z|)); NaN stays NaN."""
    return 2.0 * ndtr(-np.abs(z))


def _folded_p(larger, permutations):
    """esda's pseudo p: (min(larger, permutations − larger) + 1) / (permutations + 1)."""
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


def weight_sums(w):
    """S0, S1, S2 of Cliff and Ord (1981) for the matrix W = w.matrix.

    S0 = Σ_i Σ_j w_ij;  S1 = ½ Σ_i Σ_j (w_ij + w_ji)²;  S2 = Σ_i (w_i· + w_·i)²,
    w_i· the row sums and w_·i the column sums.
    """
    m = w.matrix
    both = m + m.T
    rows = np.asarray(m.sum(axis=1)).ravel()
    cols = np.asarray(m.sum(axis=0)).ravel()
    return float(m.sum()), 0.5 * float(both.multiply(both).sum()), float(((rows + cols) ** 2).sum())


@dataclass(frozen=True)
class GlobalMoran:
    """Global Moran's I and its tests (names as esda.Moran).

    Attributes
    ----------
    I : float
        Moran's I.
    EI : float
        E[I] = −1/(n − 1).
    VI_norm, VI_rand : float
        Var(I) under normality and under randomisation (Cliff and Ord 1981).
    z_norm, z_rand : float
        (I − E[I]) / √Var(I).
    p_norm, p_rand : float
        Two-sided p, 2 (1 − Φ(|z|)).
    p_sim : float
        Permutation pseudo p-value, NaN without permutations.
    z_sim : float
        (I − mean of the permuted I) / their standard deviation, NaN without permutations.
    n : int
        Number of features (islands included).
    permutations : int
    """

    I: float  # noqa: E741 -- the statistic's own name, as esda
    EI: float
    VI_norm: float
    VI_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_sim: float
    z_sim: float
    n: int
    permutations: int


def global_moran(x, w, permutations=999, seed=None):
    """Global Moran's I with normality, randomisation and permutation inference.

    With z_i = x_i − x̄ and S0, S1, S2 as in :func:`weight_sums`:

    I = n / S0 · Σ_i Σ_j w_ij z_i z_j / Σ_i z_i²,  E[I] = −1/(n − 1),

    Var_norm(I) = (n² S1 − n S2 + 3 S0²) / ((n − 1)(n + 1) S0²) − E[I]²,

    Var_rand(I) = [n((n² − 3n + 3) S1 − n S2 + 3 S0²) − b2((n² − n) S1 − 2n S2 + 6 S0²)]
                  / ((n − 1)(n − 2)(n − 3) S0²) − E[I]²,  b2 = n Σ z⁴ / (Σ z²)² (kurtosis),

    z = (I − E[I]) / √Var, p = 2 (1 − Φ(|z|)). These are esda.Moran's formulas
    (seed 002 §2.3, METHODS.md §2); islands count in n, x̄ and Σ z² but add no pair.

    Permutation test: x is shuffled ``permutations`` times (rng =
    ``numpy.random.default_rng(seed)``), I recomputed for each; with
    ``larger`` = number of permuted I ≥ the observed I, folded to
    min(larger, permutations − larger),

    p_sim = (larger + 1) / (permutations + 1)

    as esda: a one-sided pseudo p in the direction of the observed extreme, so
    its smallest value is 1/(permutations + 1). z_sim = (I − mean) / sd of the
    permuted I (population sd). Shuffles run in batches: a (n, batch) matrix
    of permuted z, one sparse product W · Z per batch.

    Parameters
    ----------
    x : array_like, shape (n,)
    w : Weights
        Binary or row-standardised ('R' is the usual choice, as esda's default).
    permutations : int
        0 skips the permutation test (p_sim, z_sim NaN).
    seed : int, numpy Generator or None

    Raises
    ------
    ValueError
        NaN in x, constant x, fewer than 4 features, or no feature with a neighbour.
    """
    values = _check(x, w)
    permutations = _permutation_count(permutations)
    n = values.size
    s0, s1, s2 = weight_sums(w)
    if s0 == 0:
        raise ValueError("no feature has a neighbour: every feature is an island")
    z = values - values.mean()
    z2ss = float(z @ z)
    scale = n / s0 / z2ss
    moran_i = scale * float(z @ (w.matrix @ z))
    ei = -1.0 / (n - 1)
    s02 = s0 * s0
    vi_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - ei * ei
    kurtosis = (np.sum(z**4) / n) / (z2ss / n) ** 2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    b = kurtosis * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
    vi_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - ei * ei
    with np.errstate(invalid="ignore"):
        z_norm = (moran_i - ei) / np.sqrt(vi_norm)
        z_rand = (moran_i - ei) / np.sqrt(vi_rand)
    p_sim = z_sim = float("nan")
    if permutations:
        sims = _permuted_quadratic(z, w.matrix, scale, permutations, np.random.default_rng(seed))
        p_sim = float(_folded_p(np.count_nonzero(sims >= moran_i), permutations))
        z_sim = float((moran_i - sims.mean()) / sims.std())
    return GlobalMoran(
        I=moran_i,
        EI=ei,
        VI_norm=float(vi_norm),
        VI_rand=float(vi_rand),
        z_norm=float(z_norm),
        z_rand=float(z_rand),
        p_norm=float(_two_sided(z_norm)),
        p_rand=float(_two_sided(z_rand)),
        p_sim=p_sim,
        z_sim=z_sim,
        n=n,
        permutations=permutations,
    )


def _permutation_count(permutations):
    count = int(permutations)
    if count != permutations or count < 0:
        raise ValueError(f"permutations must be a whole number ≥ 0, got {permutations}")
    return count


def _permuted_quadratic(values, matrix, scale, permutations, rng):
    """scale · vᵀ W v for ``permutations`` random shuffles v of ``values``, in batches of columns
    (global Moran's I with v = z; General G with v = x)."""
    n = values.size
    batch = max(1, min(permutations, BATCH_VALUES // n))
    sims = np.empty(permutations)
    for start in range(0, permutations, batch):
        stop = min(start + batch, permutations)
        columns = np.repeat(values[:, None], stop - start, axis=1)
        rng.permuted(columns, axis=0, out=columns)  # each column its own shuffle
        lag = matrix @ columns
        sims[start:stop] = scale * np.einsum("ij,ij->j", columns, lag)
    return sims


@dataclass(frozen=True)
class LocalMoran:
    """Local Moran's I (LISA) per feature (names as esda.Moran_Local).

    Attributes
    ----------
    Is : ndarray
        I_i; NaN for islands.
    q : ndarray of int8
        Quadrant of the Moran scatterplot as esda: 1 HH (z_i > 0, lag_i > 0),
        2 LH (z_i ≤ 0, lag_i > 0), 3 LL (z_i ≤ 0, lag_i ≤ 0), 4 HL (z_i > 0,
        lag_i ≤ 0); 0 for islands.
    p_sim : ndarray
        Conditional-permutation pseudo p-value; NaN for islands and without permutations.
    z_sim : ndarray
        (I_i − mean) / sd of the permuted I_i; NaN for islands and without permutations.
    labels : ndarray of str
        'HH', 'LH', 'LL' or 'HL' (the quadrant) where p_sim is significant at
        alpha (p_sim < alpha, or with ``fdr`` by Benjamini-Hochberg), else 'NS'
        (not significant, island, or no permutations).
    alpha : float
    permutations : int
    fdr : bool
        Whether the labels used the false discovery rate correction.
    """

    Is: np.ndarray
    q: np.ndarray
    p_sim: np.ndarray
    z_sim: np.ndarray
    labels: np.ndarray
    alpha: float
    permutations: int
    fdr: bool


def local_moran(x, w, permutations=999, seed=None, alpha=0.05, fdr=False):
    """Local Moran's I (Anselin 1995) with conditional-permutation inference, as esda.Moran_Local.

    With z_i = (x_i − x̄) / s (s the population sd) and lag_i = Σ_j w_ij z_j:

    I_i = (n − 1) z_i lag_i / Σ_k z_k²

    (seed 002 §2.3, METHODS.md §2). The quadrant q and the label are defined in
    :class:`LocalMoran`: label = quadrant name where p_sim < alpha (strictly,
    as esda's cluster labels), else 'NS'. With ``fdr`` the significance is
    decided by the Benjamini-Hochberg procedure over the pseudo p-values of
    all non-island features (:func:`significant_at`), as ArcGIS's FDR option
    of Cluster and Outlier Analysis; a pseudo p-value is at least
    1/(permutations + 1), so on many features FDR needs many permutations.

    Conditional permutation (esda's ``crand``): x_i stays at feature i while
    its k_i neighbours are replaced by k_i values drawn without replacement
    from the other n − 1 features. One (permutations × max k_i) matrix of
    draws is made (rng = ``numpy.random.default_rng(seed)``; each row a
    uniformly random ordered sample of max k_i of the indices 0 … n − 2) and
    shared by all features, as esda shares it: feature i uses the first k_i
    columns, index d standing for feature d when d < i and d + 1 otherwise.
    With ``larger_i`` = number of permuted I_i ≥ the observed I_i, folded to
    min(larger_i, permutations − larger_i),

    p_sim_i = (larger_i + 1) / (permutations + 1),

    z_sim_i = (I_i − mean) / sd of the permuted I_i. Features are evaluated in
    groups of equal cardinality, in chunks, as (chunk × permutations × k)
    arrays. esda's random streams are not reproduced (its draws depend on
    numba being present or not); the same seed gives the same result here.
    Because the draws are shared, the p-values of different features are
    correlated, and the number of features significant at alpha varies more
    from seed to seed than independent draws would make it (by about ±4 % on
    a 100 × 100 grid, for esda and for us alike).

    Islands get NaN (esda gives them I_i = 0 and p_sim = 1/(permutations + 1)).

    With ``permutations`` = 0 the test is analytical instead, under total
    randomisation (Anselin 1995 eq. 13-14, with the variance as corrected by
    Sokal, Oden and Thomson 1998), and z_sim, p_sim hold its z and two-sided p
    (:func:`local_moran_moments`); it decides the labels as p_sim does.

    Raises
    ------
    ValueError
        NaN in x, constant x, fewer than 4 features, alpha outside (0, 1).
    """
    values = _check(x, w)
    permutations = _permutation_count(permutations)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    n = values.size
    z = values - values.mean()
    z /= z.std()
    scaling = (n - 1) / float(z @ z)
    lag = w.matrix @ z
    is_ = scaling * z * lag
    island = w.cardinalities == 0
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)).astype(np.int8)
    q[island] = 0
    is_[island] = np.nan
    p_sim = np.full(n, np.nan)
    z_sim = np.full(n, np.nan)
    if permutations and not island.all():
        off, self_weights = _split_diagonal(w.matrix)
        max_k = int(np.diff(off.indptr).max())
        ids = _permutation_ids(np.random.default_rng(seed), n - 1, max_k, permutations)
        larger, mean, sd = _conditional_permutations(
            z, off, self_weights, lambda sites, lag: (scaling * z[sites])[:, None] * lag, is_, ids
        )
        p_sim = _folded_p(larger, permutations)
        with np.errstate(invalid="ignore", divide="ignore"):
            z_sim = (is_ - mean) / sd
        p_sim[island] = z_sim[island] = np.nan
    elif not island.all():
        expected, variance = local_moran_moments(z, w.matrix)
        with np.errstate(invalid="ignore", divide="ignore"):
            z_sim = (is_ * n / (n - 1) - expected) / np.sqrt(variance)
        z_sim[island] = np.nan
        p_sim = _two_sided(z_sim)
    names = np.array(["NS", "HH", "LH", "LL", "HL"])
    labels = np.where(significant_at(p_sim, alpha, fdr), names[q], "NS")
    return LocalMoran(
        Is=is_,
        q=q,
        p_sim=p_sim,
        z_sim=z_sim,
        labels=labels,
        alpha=float(alpha),
        permutations=permutations,
        fdr=bool(fdr),
    )


def local_moran_moments(z, matrix):
    """E and Var of Anselin's I_i = z_i Σ_j w_ij z_j / m2 under total randomisation of the values.

    With z the deviations from the mean, m2 = Σ z² / n, b2 = n Σ z⁴ / (Σ z²)²,
    w_i = Σ_j w_ij, w_i(2) = Σ_j w_ij² and w_i(kh) = Σ_k≠h w_ik w_ih = w_i² − w_i(2)
    (j, k, h ≠ i):

    E[I_i] = −w_i / (n − 1),

    Var[I_i] = w_i(2) (n − b2)/(n − 1) + w_i(kh) (2 b2 − n)/((n − 1)(n − 2)) − E[I_i]²

    (Anselin 1995, Local indicators of spatial association — LISA, Geogr. Anal.
    27, eq. 13-14; the w_i(kh) term as corrected by Sokal, Oden and Thomson 1998,
    Geogr. Anal. 30). The I_i of :func:`local_moran` is (n − 1)/n times this
    one, so its z is (I_i · n/(n − 1) − E) / √Var.

    Raises
    ------
    ValueError
        When a feature is its own neighbour (w_ii ≠ 0): the moments are for j ≠ i.
    """
    if np.any(matrix.diagonal() != 0):
        raise ValueError("the analytical local test needs weights without self-neighbours; use permutations")
    n = z.size
    z2 = float(z @ z)
    b2 = n * float(np.sum(z**4)) / (z2 * z2)
    w_i = np.asarray(matrix.sum(axis=1)).ravel()
    w_i2 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    expected = -w_i / (n - 1)
    variance = w_i2 * (n - b2) / (n - 1) + (w_i * w_i - w_i2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - expected * expected
    return expected, variance


def _split_diagonal(matrix):
    """(off-diagonal CSR with sorted indices, diagonal) of a weights matrix."""
    diagonal = matrix.diagonal()
    off = sparse.csr_matrix(matrix - sparse.diags(diagonal)) if np.any(diagonal) else matrix.copy()
    off.eliminate_zeros()
    off.sort_indices()
    return off, diagonal


def _permutation_ids(rng, population, size, permutations):
    """(permutations, size) int64: each row an ordered random sample without replacement of range(population).

    Every ordered sample is equally likely. When size² ≤ population, rows are
    drawn with replacement and the rows with a repeated index drawn again
    until none is left (at least 60 % of the rows pass each round). Otherwise
    each row takes the ``size`` smallest of ``population`` uniform keys, in
    key order.
    """
    if size * size <= population:
        ids = rng.integers(0, population, size=(permutations, size))
        while True:
            ordered = np.sort(ids, axis=1)
            repeated = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if repeated.size == 0:
                return ids
            ids[repeated] = rng.integers(0, population, size=(repeated.size, size))
    ids = np.empty((permutations, size), dtype=np.int64)
    batch = max(1, BATCH_VALUES // population)
    for start in range(0, permutations, batch):
        stop = min(start + batch, permutations)
        keys = rng.random((stop - start, population))
        chosen = np.argpartition(keys, size - 1, axis=1)[:, :size]
        order = np.argsort(np.take_along_axis(keys, chosen, axis=1), axis=1)
        ids[start:stop] = np.take_along_axis(chosen, order, axis=1)
    return ids


def _conditional_permutations(values, off, self_weights, statistic, observed, ids):
    """Count, mean and sd of a conditionally permuted local statistic of every feature (esda's ``crand``).

    ``off`` is the off-diagonal weights (CSR, sorted indices), ``ids`` the
    (permutations, max k) draws from range(n − 1). For feature i with k
    neighbours and draw row r the permuted statistic is

    lag*_i = Σ_m w_i,m values[d_rm + (d_rm ≥ i)] + w_ii values_i,  m = 0 … k − 1,

    the weights in the row's stored order, and ``statistic(sites, lags)`` maps
    the (sites, permutations) lags to the permuted statistics s*_i, in esda's
    arithmetic (so that ties with the observed statistic fall the same way).

    Returns (larger, mean, sd): larger = number of s*_i ≥ observed_i; islands get 0, NaN, NaN.
    """
    n = values.size
    permutations = ids.shape[0]
    below = values[ids]  # value drawn when the index falls before i
    above = values[np.minimum(ids + 1, n - 1)]  # ... and from i on, shifted past i
    cardinality = np.diff(off.indptr)
    larger = np.zeros(n, dtype=np.int64)
    mean = np.full(n, np.nan)
    sd = np.full(n, np.nan)
    for k in np.unique(cardinality[cardinality > 0]):
        group = np.flatnonzero(cardinality == k)
        weights = off.data[off.indptr[group][:, None] + np.arange(k)]
        chunk = max(1, BATCH_VALUES // (permutations * k))
        for start in range(0, group.size, chunk):
            sites = group[start : start + chunk]
            shifted = ids[None, :, :k] >= sites[:, None, None]
            drawn = np.where(shifted, above[None, :, :k], below[None, :, :k])
            lag = np.matmul(drawn, weights[start : start + chunk, :, None])[:, :, 0]
            lag += (self_weights[sites] * values[sites])[:, None]
            sims = statistic(sites, lag)
            larger[sites] = np.count_nonzero(sims >= observed[sites, None], axis=1)
            mean[sites] = sims.mean(axis=1)
            sd[sites] = sims.std(axis=1)
    return larger, mean, sd


@dataclass(frozen=True)
class GeneralG:
    """Getis-Ord General G (names as esda.G).

    Attributes
    ----------
    G : float
    EG : float
        E[G] = S0 / (n(n − 1)).
    VG : float
        Var(G) under normality (Getis and Ord 1992).
    z : float
        (G − E[G]) / √Var(G).
    p_norm : float
        Two-sided p, 2 (1 − Φ(|z|)) (esda's p_norm is the one-sided 1 − Φ(|z|), half of it).
    p_sim, z_sim : float
        Permutation pseudo p and z (as esda.G's); NaN without permutations.
    n, permutations : int
    """

    G: float
    EG: float
    VG: float
    z: float
    p_norm: float
    p_sim: float
    z_sim: float
    n: int
    permutations: int


def general_g(x, w, binary=True, permutations=0, seed=None):
    """Getis-Ord General G, analytical test as esda.G.

    G = Σ_i Σ_{j≠i} w_ij x_i x_j / Σ_i Σ_{j≠i} x_i x_j,  E[G] = S0 / (n(n − 1)),

    Var(G) = E[G²] − E[G]² with, for S0, S1, S2 as in :func:`weight_sums`,
    E[G²] = [B0 m2² + B1 m4 + B2 m1² m2 + B3 m1 m3 + B4 m1⁴] /
            [(m1² − m2)² n(n − 1)(n − 2)(n − 3)],
    m_r = Σ x^r, B0 = (n² − 3n + 3) S1 − n S2 + 3 S0², B1 = −[(n² − n) S1 − 2n S2 + 6 S0²],
    B2 = −[2n S1 − (n + 3) S2 + 6 S0²], B3 = 4(n − 1) S1 − 2(n + 1) S2 + 8 S0²,
    B4 = S1 − S2 + S0² (Getis and Ord 1992; seed 002, METHODS.md §2).
    z = (G − E[G]) / √Var(G), p = 2 (1 − Φ(|z|)).

    Permutation test (``permutations`` > 0), as esda.G and :func:`global_moran`:
    x shuffled over all features, G recomputed; p_sim = (min(larger,
    permutations − larger) + 1) / (permutations + 1) with larger the number
    of permuted G ≥ the observed G, z_sim = (G − mean) / sd of the permuted G.

    Parameters
    ----------
    x : array_like, shape (n,)
        Non-negative values (G is a ratio of products of x; ArcGIS's High/Low
        Clustering refuses negative values too).
    w : Weights
    binary : bool
        True (default): every neighbour weighs 1, whatever w holds, as esda.G
        (which sets the transform to 'B'). False: w's own weights (e.g.
        inverse distance); the formulas hold for any weights.
    permutations : int
        0 (default) skips the permutation test.
    seed : int, numpy Generator or None

    Raises
    ------
    ValueError
        NaN, negative or constant x, fewer than 4 features, fewer than two
        non-zero values, or no feature with a neighbour.
    """
    values = _check(x, w)
    permutations = _permutation_count(permutations)
    if values.min() < 0:
        raise ValueError("General G needs non-negative values (e.g. densities or counts)")
    if np.count_nonzero(values) < 2:
        raise ValueError("General G needs at least two non-zero values")
    if binary:
        matrix = w.matrix.copy()
        matrix.data[:] = 1.0
        w = Weights(matrix=matrix, islands=w.islands, transform="B")
    n = values.size
    s0, s1, s2 = weight_sums(w)
    if s0 == 0:
        raise ValueError("no feature has a neighbour: every feature is an island")
    m1, m2, m3, m4 = (float(np.sum(values**r)) for r in (1, 2, 3, 4))
    g = float(values @ (w.matrix @ values)) / (m1 * m1 - m2)
    eg = s0 / (n * (n - 1))
    s02 = s0 * s0
    b0 = (n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02
    b1 = -((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s02)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
    b4 = s1 - s2 + s02
    eg2 = (b0 * m2 * m2 + b1 * m4 + b2 * m1 * m1 * m2 + b3 * m1 * m3 + b4 * m1**4) / (
        (m1 * m1 - m2) ** 2 * n * (n - 1) * (n - 2) * (n - 3)
    )
    vg = eg2 - eg * eg
    with np.errstate(invalid="ignore"):
        z = (g - eg) / np.sqrt(vg)
    p_sim = z_sim = float("nan")
    if permutations:
        sims = _permuted_quadratic(values, w.matrix, 1.0 / (m1 * m1 - m2), permutations, np.random.default_rng(seed))
        p_sim = float(_folded_p(np.count_nonzero(sims >= g), permutations))
        z_sim = float((g - sims.mean()) / sims.std())
    return GeneralG(
        G=g,
        EG=eg,
        VG=float(vg),
        z=float(z),
        p_norm=float(_two_sided(z)),
        p_sim=p_sim,
        z_sim=z_sim,
        n=n,
        permutations=permutations,
    )


@dataclass(frozen=True)
class LocalG:
    """Getis-Ord Gi* (or Gi) per feature.

    Attributes
    ----------
    G : ndarray
        G_i = Σ_j w_ij x_j / Σ_j x_j (esda's Gs; NaN when Σ x = 0).
    z : ndarray
        The standardised statistic (ArcGIS's GiZScore); NaN for islands.
    p : ndarray
        Two-sided p = 2 (1 − Φ(|z|)) (ArcGIS's GiPValue; esda's p_norm is half of it).
    star : bool
        True for Gi* (feature i in its own neighbourhood).
    p_sim : ndarray
        Conditional-permutation pseudo p-value (esda's p_sim); NaN for islands and without permutations.
    z_sim : ndarray
        (G_i − mean) / sd of the permuted G_i (esda's z_sim); NaN for islands and without permutations.
    permutations : int
    """

    G: np.ndarray
    z: np.ndarray
    p: np.ndarray
    star: bool
    p_sim: np.ndarray
    z_sim: np.ndarray
    permutations: int


def local_g_star(x, w, star=True, permutations=0, seed=None):
    """Getis-Ord local statistic, Gi* by default (Ord and Getis 1995), analytical test and optional permutations.

    Gi* (star=True): feature i is its own neighbour with self weight w_ii =
    max_j w_ij (1 for binary weights), as esda.G_Local(star=True) fills the
    diagonal; for row-standardised weights the rows are standardised again
    with the self weight in (1/(k_i + 1) each for contiguity). Then, sums over
    all j including i, W_i = Σ_j w_ij, S1_i = Σ_j w_ij², x̄ and s the mean and
    population sd of x over all n:

    z_i = (Σ_j w_ij x_j − x̄ W_i) / (s √((n S1_i − W_i²) / (n − 1)))

    (METHODS.md §2, seed 002 §2.3; ArcGIS Hot Spot Analysis). Gi (star=False):
    the same with j ≠ i, x̄_(i) and s_(i) over the n − 1 others and n − 1 for n:
    z_i = (Σ_{j≠i} w_ij x_j − x̄_(i) W_i) / (s_(i) √(((n − 1) S1_i − W_i²) / (n − 2))).

    p_i = 2 (1 − Φ(|z_i|)).

    Agreement with esda: for binary weights (S1_i = W_i) this is esda's Zs
    exactly. z is unchanged when a row is scaled, so row-standardised weights
    give the binary z; esda's Zs for transform='R' instead uses the binary
    variance W_i(n − W_i) with W_i = 1, i.e. esda's Zs = our z ·
    √((n S1_i − 1)/(n − 1)), which is not a standard normal deviate; we follow
    the general formula. G_i equals esda's Gs for both.

    Islands (no neighbour besides itself) get NaN: Gi* would only restate x_i.

    With ``permutations`` > 0, conditional-permutation inference as
    esda.G_Local: x_i stays at feature i (with its self weight for Gi*), its
    k_i neighbours' values are drawn from the other n − 1 features, the draws
    shared by all features as in :func:`local_moran` (same ``seed``, same
    draws); permuted G*_i = (Σ_m w_i,m x_drawn + w_ii x_i) / Σ x, or for Gi
    Σ_m w_i,m x_drawn / (Σ x − x_i). With ``larger_i`` the number of permuted
    G_i ≥ the observed one, folded to min(larger_i, permutations − larger_i),
    p_sim_i = (larger_i + 1) / (permutations + 1): the pseudo p of the tail the
    observed G_i falls in, as esda's and GeoDa's (so about half a two-sided p);
    z_sim_i = (G_i − mean) / sd of the permuted G_i.

    Raises
    ------
    ValueError
        NaN in x, constant x or fewer than 4 features.
    """
    values = _check(x, w)
    permutations = _permutation_count(permutations)
    n = values.size
    off, _ = _split_diagonal(w.matrix)
    island = np.diff(off.indptr) == 0
    if star:
        self_weights = np.zeros(n)
        has = ~island
        self_weights[has] = np.maximum.reduceat(off.data, off.indptr[:-1][has])
        matrix = off + sparse.diags(self_weights)
        if w.transform == "R":
            totals = np.asarray(matrix.sum(axis=1)).ravel()
            matrix = sparse.diags(np.divide(1.0, totals, out=np.zeros(n), where=totals > 0)) @ matrix
        matrix = sparse.csr_matrix(matrix)
        total, count = values.sum(), n
        mean = np.full(n, values.mean())
        sd = np.full(n, values.std())
    else:
        matrix = off
        total = values.sum() - values
        count = n - 1
        mean = total / count
        sd = np.sqrt(np.maximum((np.sum(values**2) - values**2) / count - mean**2, 0.0))
    lag = matrix @ values
    weight_total = np.asarray(matrix.sum(axis=1)).ravel()
    squares = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (lag - mean * weight_total) / (sd * np.sqrt((count * squares - weight_total**2) / (count - 1)))
        g = lag / total
    p_sim = np.full(n, np.nan)
    z_sim = np.full(n, np.nan)
    if permutations and not island.all():
        others, self_weights = _split_diagonal(matrix)
        ids = _permutation_ids(np.random.default_rng(seed), n - 1, int(np.diff(others.indptr).max()), permutations)
        total_at = np.broadcast_to(total, (n,))
        with np.errstate(invalid="ignore", divide="ignore"):
            larger, permuted_mean, permuted_sd = _conditional_permutations(
                values, others, self_weights, lambda sites, lag: lag / total_at[sites, None], g, ids
            )
            z_sim = (g - permuted_mean) / permuted_sd
        p_sim = _folded_p(larger, permutations)
        p_sim[island] = z_sim[island] = np.nan
    z[island] = np.nan
    g = np.where(island, np.nan, g)
    return LocalG(G=g, z=z, p=_two_sided(z), star=bool(star), p_sim=p_sim, z_sim=z_sim, permutations=permutations)


def gi_bin(z, p, fdr=False):
    """Confidence bins −3 … +3 as ArcGIS's Gi_Bin.

    ±3: significant at 99 % (p < 0.01), ±2: 95 % (p < 0.05), ±1: 90 %
    (p < 0.10), sign of z (+ hot spot, − cold spot); 0 otherwise, and where z
    or p is NaN (islands).

    fdr=True applies the Benjamini-Hochberg false discovery rate procedure
    separately at each level α ∈ {0.10, 0.05, 0.01}, as ArcGIS's FDR option:
    with the m valid p-values sorted, p_(1) ≤ … ≤ p_(m), find the largest r
    with p_(r) ≤ r α / m; the features with p ≤ p_(r) are significant at α
    (none if there is no such r). The bin is the strongest level at which a
    feature is significant.

    Returns
    -------
    ndarray of int8
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if z.shape != p.shape:
        raise ValueError(f"z and p must have the same shape, got {z.shape} and {p.shape}")
    valid = np.isfinite(z) & np.isfinite(p)
    level = np.zeros(z.shape, dtype=np.int8)
    for code, alpha in GI_BIN_LEVELS:
        level[significant_at(p, alpha, fdr)] = code
    return (np.sign(np.where(valid, z, 0.0)) * level).astype(np.int8)


def significant_at(p, alpha, fdr=False):
    """Which p-values are significant at ``alpha``: p < alpha, or with ``fdr`` the
    Benjamini-Hochberg procedure (largest r with p_(r) ≤ r·alpha/m over the m finite
    p-values; those with p ≤ p_(r) are significant). NaN is never significant."""
    p = np.asarray(p, dtype=np.float64)
    valid = np.isfinite(p)
    if not fdr:
        return valid & (p < alpha)
    ordered = np.sort(p[valid])
    passing = ordered[ordered <= np.arange(1, ordered.size + 1) * alpha / max(ordered.size, 1)]
    return valid & (p <= passing.max()) if passing.size else np.zeros(p.shape, dtype=bool)
