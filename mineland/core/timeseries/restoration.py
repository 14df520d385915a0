"""Per-site summary of the seed 004 restoration classes: shares, tests, clusters.

Seed 004 §2.6 and §3.1 (METHODS.md §3): for every mine site the area share of
each restoration class; Spearman's correlation of the shares with the mining
duration (reference year − mining start year); the Kruskal-Wallis test of the
shares across groups; k-means clustering of the sites into high / medium / low
restoration on their SAI and SCI shares. numpy and scipy only.
"""

import itertools
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.cluster.vq import ClusterError, kmeans2

from .trend import RESTORATION_CODES

#: Codes of the restoration class raster (mineland:trend OUTPUT_CLASS, seed 004 Table 2); 0 is nodata.
RESTORATION_CLASSES = RESTORATION_CODES
CLASS_CODES = tuple(sorted(RESTORATION_CLASSES))
NODATA = 0
#: SI (significant increase) = SAI + SCI.
SI_CODES = (4, 5)
_SI_COLUMNS = [CLASS_CODES.index(code) for code in SI_CODES]

SpearmanResult = namedtuple("SpearmanResult", "rho p n")
KruskalResult = namedtuple("KruskalResult", "h p df n_groups n method", defaults=("chi2",))


@dataclass
class SiteShares:
    """Class areas and shares of each site (rows) and class (columns, in CLASS_CODES order).

    Attributes
    ----------
    class_km2 : (sites, 5) area of each class, km²
    class_pct : (sites, 5) share of each class in the site's classified area, %; NaN for a site without one
    total_km2 : (sites,) classified area of the site (classes 1–5), km²
    si_km2, si_pct : (sites,) the same for SI = SAI + SCI
    """

    class_km2: np.ndarray
    class_pct: np.ndarray
    total_km2: np.ndarray
    si_km2: np.ndarray
    si_pct: np.ndarray

    @property
    def valid(self):
        """Sites with at least some classified area."""
        return self.total_km2 > 0

    def pct(self, code):
        """Share (%) of one class code over the sites."""
        return self.class_pct[:, CLASS_CODES.index(code)]


def site_class_shares(areas_by_class):
    """Area (km²) and share (%) of each restoration class and of SI per site.

    Parameters
    ----------
    areas_by_class : array-like (sites, 5), m²
        Area of classes 1 SD, 2 ND, 3 NI, 4 SAI, 5 SCI (columns, in that order)
        inside each site; nodata pixels are not in it.

    Returns
    -------
    SiteShares
        A_c (km²) = area_c / 10⁶; total = Σ_c A_c over the five classes;
        share_c (%) = 100 · A_c / total; SI = SAI + SCI. Shares are NaN for a
        site whose total is 0 (no classified pixel): it has no share, not 0 %.
    """
    areas = np.asarray(areas_by_class, dtype=np.float64)
    if areas.ndim != 2 or areas.shape[1] != len(CLASS_CODES):
        raise ValueError(f"areas_by_class must be (sites, {len(CLASS_CODES)}), got shape {areas.shape}")
    if np.any(areas < 0) or not np.all(np.isfinite(areas)):
        raise ValueError("class areas must be finite and non-negative")
    km2 = areas / 1e6
    total = km2.sum(axis=1)
    si = km2[:, _SI_COLUMNS].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(total[:, None] > 0, 100.0 * km2 / total[:, None], np.nan)
        si_pct = np.where(total > 0, 100.0 * si / total, np.nan)
    return SiteShares(km2, pct, total, si, si_pct)


def spearman(x, y):
    """Spearman's rank correlation of two per-site variables (seed 004 §2.6, §3.1.2).

    rho = Pearson correlation of the ranks (average ranks for ties), via
    scipy.stats.spearmanr. p is two-sided: for n ≤ EXACT_SPEARMAN_MAX_N sites
    the exact permutation p, the share of the n! pairings of the ranks whose
    |rho| is at least the observed one (the t approximation is far off for a
    handful of sites: n = 4 perfectly monotone sites give p = 2/24 = 0.083,
    not 0); above, the t distribution with n − 2 degrees of freedom.

    Parameters
    ----------
    x, y : array-like (sites,)
        E.g. mining duration (years) and SI share (%). None or NaN = missing:
        a site missing either value is left out.

    Returns
    -------
    SpearmanResult(rho, p, n)
        n = sites used. rho and p are NaN when n < 3 or either variable is
        constant over those sites (the correlation is undefined).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.shape} vs {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(keep.sum())
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return SpearmanResult(float("nan"), float("nan"), n)
    rho, p = stats.spearmanr(x, y)
    if n <= EXACT_SPEARMAN_MAX_N:
        p = exact_spearman_p(stats.rankdata(x), stats.rankdata(y), rho)
    return SpearmanResult(float(rho), float(p), n)


#: Up to this many sites Spearman's p is exact (9! = 362,880 pairings, a few MB and milliseconds).
EXACT_SPEARMAN_MAX_N = 9


def exact_spearman_p(x_ranks, y_ranks, rho):
    """Two-sided exact p of Spearman's rho: the share of all pairings of the ranks with |rho'| ≥ |rho|.

    Every permutation of ``y_ranks`` against ``x_ranks`` is equally likely
    under independence; rho' is the Pearson correlation of the permuted ranks.
    A relative tolerance of 1e-12 keeps the observed pairing and its ties counted.
    """
    xc = np.asarray(x_ranks, dtype=np.float64) - np.mean(x_ranks)
    yc = np.asarray(y_ranks, dtype=np.float64) - np.mean(y_ranks)
    pairings = np.array(list(itertools.permutations(range(len(yc)))), dtype=np.intp)
    rhos = (yc[pairings] @ xc) / np.sqrt((xc @ xc) * (yc @ yc))
    return float(np.mean(np.abs(rhos) >= abs(rho) * (1 - 1e-12)))


def kruskal_wallis(groups):
    """Kruskal-Wallis H test that several groups come from one distribution (seed 004 §2.6).

    H = [12 / (N(N+1)) · Σ_g R_g² / n_g − 3(N+1)] / C, with R_g the rank sum of
    group g in the pooled sample of N values (average ranks for ties) and the
    tie correction C = 1 − Σ(t³ − t)/(N³ − N). p from χ² with k − 1 degrees of
    freedom (scipy.stats.kruskal) when every group has at least
    KRUSKAL_CHI2_MIN_SIZE values; with a smaller group the χ² approximation is
    poor and p is a permutation p: the share of KRUSKAL_PERMUTATIONS seeded
    reassignments of the pooled values to groups of the same sizes (plus the
    observed one) whose H is at least the observed H.

    Parameters
    ----------
    groups : mapping name → values, or sequence of value arrays
        None or NaN values are dropped; groups left empty are dropped.

    Returns
    -------
    KruskalResult(h, p, df, n_groups, n, method)
        method is "chi2" or "permutation" (how p was found).

    Raises
    ------
    ValueError
        With fewer than 2 non-empty groups, or when every value is identical
        (all ranks tie and H is undefined).
    """
    values = groups.values() if hasattr(groups, "values") else groups
    cleaned = []
    for group in values:
        group = np.asarray(group, dtype=np.float64).ravel()
        group = group[np.isfinite(group)]
        if group.size:
            cleaned.append(group)
    if len(cleaned) < 2:
        raise ValueError(f"the Kruskal-Wallis test needs at least 2 non-empty groups; got {len(cleaned)}")
    pooled = np.concatenate(cleaned)
    if np.all(pooled == pooled[0]):
        raise ValueError("every value is identical, so the Kruskal-Wallis H is undefined")
    h, p = stats.kruskal(*cleaned)
    sizes = [g.size for g in cleaned]
    if min(sizes) >= KRUSKAL_CHI2_MIN_SIZE:
        return KruskalResult(float(h), float(p), len(cleaned) - 1, len(cleaned), int(pooled.size))
    p = kruskal_permutation_p(stats.rankdata(pooled), sizes, h)
    return KruskalResult(float(h), p, len(cleaned) - 1, len(cleaned), int(pooled.size), "permutation")


#: Below this many values in a group, Kruskal-Wallis's p comes from permutations, not χ².
KRUSKAL_CHI2_MIN_SIZE = 5
KRUSKAL_PERMUTATIONS = 9999
KRUSKAL_SEED = 2019


def kruskal_permutation_p(ranks, sizes, h):
    """(1 + #{H' ≥ H}) / (1 + permutations) over seeded random reassignments of ``ranks`` to groups of ``sizes``.

    The tie correction is the same for every reassignment, so H' is compared
    with the uncorrected H scaled alike; a relative tolerance of 1e-12 keeps
    the observed arrangement and its equals counted.
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    n = ranks.size
    _, ties = np.unique(ranks, return_counts=True)
    correction = 1.0 - np.sum(ties**3 - ties) / (n**3 - n)
    rng = np.random.default_rng(KRUSKAL_SEED)
    shuffled = ranks[np.argsort(rng.random((KRUSKAL_PERMUTATIONS, n)), axis=1)]
    bounds = np.cumsum([0] + list(sizes))
    sums = np.add.reduceat(shuffled, bounds[:-1], axis=1)
    h_perm = (12.0 / (n * (n + 1)) * np.sum(sums**2 / np.asarray(sizes), axis=1) - 3 * (n + 1)) / correction
    return float((1 + np.count_nonzero(h_perm >= h * (1 - 1e-12))) / (1 + KRUSKAL_PERMUTATIONS))


ClusterResult = namedtuple("ClusterResult", "labels index centroids names")


def cluster_names(k):
    """Names of k clusters from the highest to the lowest mean SI share."""
    if k == 1:
        return ["single"]
    if k == 2:
        return ["high", "low"]
    if k == 3:
        return ["high", "medium", "low"]
    return ["high"] + [f"medium {i}" for i in range(1, k - 1)] + ["low"]


def cluster_sites(features, k=3, seed=0, rank_by=None, n_init=10, max_iter=100):
    """k-means clusters of sites, named high / medium / low by their mean SI share (seed 004 §3.1.3).

    Seed 004 clusters its 46 sites "according to the percentages of SCI and
    SAI area" into 3 clusters; pass features = [SAI %, SCI %] per site. The
    features are **not standardised**: both are percentages of the same site
    area, so Euclidean distance in percentage points is meaningful as is,
    while standardising would stretch a class with little spread to the same
    weight as one that really separates the sites.

    k-means minimises the within-cluster sum of squares Σ_i ‖x_i − c_{g(i)}‖².
    It runs scipy.cluster.vq.kmeans2 with k-means++ initial centroids
    ``n_init`` times from numpy.random.default_rng(seed) and keeps the run with
    the smallest sum (first one on ties), so the result is identical for a
    given seed and input order.

    Parameters
    ----------
    features : array-like (sites, m)
        Rows with a NaN (e.g. a site without classified pixels) get no cluster.
    k : int
        Clusters wanted. Fewer are made when there are fewer distinct rows.
    seed : int
    rank_by : array-like (sites,) or None
        Values whose cluster mean orders the clusters (first = "high");
        default the row sum of ``features`` (SI % when features are SAI % and SCI %).
        Ties are broken by the centroids, largest first.

    Returns
    -------
    ClusterResult(labels, index, centroids, names)
        labels: per site the cluster name or None; index: per site 0 (high) …
        k_used − 1 (low), −1 for no cluster; centroids (k_used, m) in that
        order; names: the k_used names (see :func:`cluster_names`).
    """
    data = np.asarray(features, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    ranking = data.sum(axis=1) if rank_by is None else np.asarray(rank_by, dtype=np.float64)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    keep = np.all(np.isfinite(data), axis=1)
    points = data[keep]
    index = np.full(len(data), -1, dtype=int)
    k_used = min(k, len(np.unique(points, axis=0))) if len(points) else 0
    if k_used == 0:
        return ClusterResult([None] * len(data), index, np.empty((0, data.shape[1])), [])
    raw = _best_kmeans(points, k_used, seed, n_init, max_iter)
    order = _rank_clusters(raw, points, ranking[keep], k_used)
    index[keep] = order[raw]
    centroids = np.array([points[index[keep] == c].mean(axis=0) for c in range(k_used)])
    names = cluster_names(k_used)
    labels = [names[i] if i >= 0 else None for i in index]
    return ClusterResult(labels, index, centroids, names)


def _best_kmeans(points, k, seed, n_init, max_iter):
    """Raw labels of the best of ``n_init`` seeded k-means++ runs (no empty cluster)."""
    if k == 1:
        return np.zeros(len(points), dtype=int)
    rng = np.random.default_rng(seed)
    best, best_sse = None, np.inf
    for _ in range(n_init):
        try:
            centroids, labels = kmeans2(points, k, iter=max_iter, minit="++", missing="raise", seed=rng)
        except ClusterError:  # an emptied cluster: this start is no good, try the next
            continue
        sse = float(((points - centroids[labels]) ** 2).sum())
        if sse < best_sse:
            best, best_sse = labels, sse
    if best is None:
        raise ValueError(f"k-means could not form {k} non-empty clusters in {n_init} starts")
    return best


def _rank_clusters(raw, points, ranking, k):
    """Map raw cluster ids to ranks: 0 = highest mean ``ranking``."""
    means = np.array([ranking[raw == c].mean() for c in range(k)])
    centres = np.array([points[raw == c].mean(axis=0) for c in range(k)])
    # lexsort: last key first; negate so that larger values come first
    keys = [-centres[:, j] for j in reversed(range(centres.shape[1]))] + [-means]
    order = np.lexsort(keys)
    ranks = np.empty(k, dtype=int)
    ranks[order] = np.arange(k)
    return ranks


# ------------------------------------------------------------------ all statistics of the sites


@dataclass
class SiteStatistics:
    """The MLRI study's statistics of the sites (§2.6, §3.1).

    Attributes
    ----------
    spearman : {"SI" | "SCI" | "SAI": SpearmanResult} of each share (%) against the mining duration (years)
    kruskal : KruskalResult of the groups (or of the five classes' shares), None when not computable
    kruskal_what : what that test compares, in words
    kruskal_clusters : KruskalResult of si_pct across the clusters (circular, as the study's §3.1.3), or None
    clusters : ClusterResult of the k-means on (SAI %, SCI %)
    warnings : what could not be done as asked, in words
    """

    spearman: dict
    kruskal: object
    kruskal_what: str
    kruskal_clusters: object
    clusters: ClusterResult
    warnings: list


def site_statistics(shares, duration, k=3, groups=None, group_name=None, seed=0):
    """Spearman, Kruskal-Wallis and k-means over the sites with classified pixels (MLRI study §2.6, §3.1).

    Parameters
    ----------
    shares : SiteShares of the sites (:func:`site_class_shares`); sites without a classified pixel are left out
    duration : array (sites,), mining duration (years), NaN when unknown
    k : clusters wanted (:func:`cluster_sites` on SAI %, SCI %, ranked by SI %)
    groups : per site its group (str) or None; with it, si_pct is compared across the groups by
        Kruskal-Wallis (sites with a None group left out); without it, the shares of the five classes with
        one another
    group_name : the groups' name in :attr:`SiteStatistics.kruskal_what`
    seed : of the k-means starts

    Returns
    -------
    SiteStatistics
    """
    valid = shares.valid
    durations = np.where(valid, np.asarray(duration, dtype=np.float64), np.nan)
    spearman_results = {
        "SI": spearman(durations, shares.si_pct),
        "SCI": spearman(durations, shares.pct(5)),
        "SAI": spearman(durations, shares.pct(4)),
    }
    warnings = []
    if groups is not None:
        by_group = {}
        for i in np.flatnonzero(valid):
            if groups[i] is not None:
                by_group.setdefault(groups[i], []).append(shares.si_pct[i])
        what = f"si_pct across the groups of {group_name}"
    else:
        by_group = {RESTORATION_CLASSES[c]: shares.pct(c)[valid] for c in CLASS_CODES}
        what = "shares of the five classes (SD, ND, NI, SAI, SCI) across the sites"
    kruskal = _kruskal_or_none(by_group, what, warnings)
    features = np.column_stack([shares.pct(4), shares.pct(5)])  # SAI %, SCI %, as the MLRI study
    clusters = cluster_sites(features, k=k, seed=seed, rank_by=shares.si_pct)
    if 0 < len(clusters.names) < k:
        warnings.append(
            f"only {len(clusters.names)} cluster(s) could be made: the sites have fewer distinct "
            f"(sai_pct, sci_pct) pairs than CLUSTERS = {k}"
        )
    by_cluster = {}
    for i in np.flatnonzero(clusters.index >= 0):
        by_cluster.setdefault(clusters.labels[i], []).append(shares.si_pct[i])
    kruskal_clusters = _kruskal_or_none(by_cluster, None, None)
    return SiteStatistics(spearman_results, kruskal, what, kruskal_clusters, clusters, warnings)


def _kruskal_or_none(groups, what, warnings):
    try:
        return kruskal_wallis(groups)
    except ValueError as err:
        if warnings is not None:
            warnings.append(f"Kruskal-Wallis test of the {what} not computed: {err}")
        return None
