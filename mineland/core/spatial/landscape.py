"""Landscape-level metrics of a class raster, as FRAGSTATS defines them (McGarigal 2015), for
seed 003's structural integrity SC (METHODS.md §5): SHEI, mean patch fractal dimension,
contagion and connectance.

The landscape is the set of ``valid`` cells of a small array (one zone's window);
cells outside it (nodata, other zones, the array's edge) are not part of any patch
and are not neighbours. Distances and areas are in metres, from the cell sides.

SHEI    = −Σ P_i ln P_i / ln m                                  (0 when m = 1)
FRAC    = 2 ln(0.25 p) / ln a per patch (p perimeter in m, a area in m²; 1 for a single cell)
MPFD    = mean FRAC over every patch of every class
CONTAG  = [1 + Σ_i Σ_k (P_i g_ik / Σ_k g_ik) ln(P_i g_ik / Σ_k g_ik) / (2 ln m)] · 100 (%; 100 when m = 1)
CONNECT = Σ_i joined_i / Σ_i n_i (n_i − 1)/2 · 100 (%; 100 when no class has two patches)

P_i: share of the landscape's cells in class i; m: classes present; g_ik: cell
adjacencies (4-neighbour, each counted from both cells) between classes i and k;
n_i: patches of class i; joined_i: pairs of them whose nearest cells are at most the
threshold distance apart (cell centre to cell centre).
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

EIGHT = np.ones((3, 3), dtype=bool)
FOUR = ndimage.generate_binary_structure(2, 1)


@dataclass
class LandscapeMetrics:
    """FRAGSTATS landscape metrics of one landscape (see the module's formulas)."""

    shei: float
    mpfd: float
    contag_pct: float
    connect_pct: float
    patches: int
    codes: np.ndarray  # classes present, increasing
    shares: np.ndarray  # P_i of those classes


def landscape_metrics(classes, valid, cell_m=(1.0, 1.0), connect_distance_m=100.0, neighbours=8):
    """SHEI, MPFD, CONTAG and CONNECT of the ``valid`` cells of ``classes``.

    Parameters
    ----------
    classes : 2-D integer array of class codes
    valid : 2-D bool array, the cells of the landscape
    cell_m : (width, height) of a cell in metres
    connect_distance_m : threshold distance of CONNECT (m, ≥ 0)
    neighbours : 8 or 4, the patch rule (FRAGSTATS's default is 8)

    Returns
    -------
    LandscapeMetrics, or None when the landscape has no cell.
    """
    if neighbours not in (4, 8):
        raise ValueError(f"patches are 4- or 8-connected, not {neighbours}")
    if connect_distance_m < 0:
        raise ValueError("the connectance distance must be ≥ 0 m")
    classes = np.asarray(classes)
    valid = np.asarray(valid, dtype=bool)
    if not valid.any():
        return None
    codes, counts = np.unique(classes[valid], return_counts=True)
    shares = counts / counts.sum()
    structure = EIGHT if neighbours == 8 else FOUR
    fractals, joined, pairs = [], 0, 0
    for code in codes:
        labels, count = ndimage.label(valid & (classes == code), structure=structure)
        fractals.append(patch_fractal_dimensions(labels, count, cell_m))
        joined += joined_patch_pairs(labels, count, cell_m, connect_distance_m)
        pairs += count * (count - 1) // 2
    fractals = np.concatenate(fractals)
    return LandscapeMetrics(
        shei=shannon_evenness(shares),
        mpfd=float(fractals.mean()),
        contag_pct=contagion(classes, valid, codes, shares),
        connect_pct=100.0 * joined / pairs if pairs else 100.0,
        patches=int(fractals.size),
        codes=codes,
        shares=shares,
    )


def shannon_evenness(shares):
    """SHEI = −Σ P_i ln P_i / ln m over the m classes with P_i > 0; 0 for a single class."""
    p = np.asarray(shares, dtype=np.float64)
    p = p[p > 0]
    if p.size < 2:
        return 0.0
    return float(-(p * np.log(p)).sum() / np.log(p.size))


def patch_fractal_dimensions(labels, count, cell_m):
    """FRAC = 2 ln(0.25 p) / ln a of patches 1..count of a label array (p in m, a in m²).

    A patch's perimeter is every cell side it shares with a cell outside it
    (another class, outside the landscape or the array's edge). A one-cell
    patch has FRAC = 1 (the formula's value for any cell side but 1 m, where it is 0/0).
    """
    width, height = cell_m
    inside = labels > 0
    padded = np.pad(inside, 1)
    open_left_right = (~padded[1:-1, :-2]).astype(np.int64) + ~padded[1:-1, 2:]
    open_top_bottom = (~padded[:-2, 1:-1]).astype(np.int64) + ~padded[2:, 1:-1]
    cell_perimeter = open_left_right * height + open_top_bottom * width
    perimeter = np.bincount(labels[inside], cell_perimeter[inside], minlength=count + 1)[1:]
    area = np.bincount(labels[inside], minlength=count + 1)[1:] * (width * height)
    single = area == width * height
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = 2.0 * np.log(0.25 * perimeter) / np.log(area)
    return np.where(single, 1.0, frac)


def contagion(classes, valid, codes, shares):
    """FRAGSTATS CONTAG (%) from 4-neighbour adjacencies inside the landscape; 100 for one class."""
    m = len(codes)
    if m < 2:
        return 100.0
    index = np.where(valid, np.searchsorted(codes, np.where(valid, classes, codes[0])), -1)
    pairs = [(index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])]
    g = np.zeros((m, m))
    for a, b in pairs:
        both = (a >= 0) & (b >= 0)
        counted = np.bincount(a[both] * m + b[both], minlength=m * m).reshape(m, m)
        g += counted + counted.T  # every adjacency seen from both cells
    row_totals = g.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(row_totals > 0, np.asarray(shares)[:, None] * g / row_totals, 0.0)
        terms = np.where(q > 0, q * np.log(q), 0.0)
    return float((1.0 + terms.sum() / (2.0 * np.log(m))) * 100.0)


def joined_patch_pairs(labels, count, cell_m, distance_m):
    """Pairs of distinct patches (labels 1..count) with cells at most ``distance_m`` apart, centre to centre.

    The nearest cells of two patches lie on their edges (a cell with a
    4-neighbour outside its patch), so only those are searched.
    """
    if count < 2:
        return 0
    inside = labels > 0
    interior = ndimage.binary_erosion(inside, structure=FOUR, border_value=0)  # 4-neighbours are one patch
    rows, cols = np.nonzero(inside & ~interior)
    owner = labels[rows, cols]
    points = np.column_stack([cols * cell_m[0], rows * cell_m[1]])
    near = cKDTree(points).query_pairs(distance_m * (1 + 1e-9), output_type="ndarray")
    a, b = owner[near[:, 0]], owner[near[:, 1]]
    different = a != b
    keys = np.minimum(a, b)[different].astype(np.int64) * (count + 1) + np.maximum(a, b)[different]
    return int(np.unique(keys).size)
