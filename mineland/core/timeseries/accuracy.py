"""Accuracy of a class map against reference points: confusion matrix, producer's,
user's and overall accuracy, Cohen's kappa (seed 004 §2.5, seed 001 §2.4; METHODS.md §3).

numpy only. Rows of the matrix are the reference (true) class, columns the
mapped class, as in Congalton & Green's layout read row-wise.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConfusionMatrix:
    """A confusion matrix and the accuracies derived from it.

    Attributes
    ----------
    classes : ndarray of int64, shape (k,)
        Sorted class codes; row i and column i of ``matrix`` are ``classes[i]``.
    matrix : ndarray of int64, shape (k, k)
        ``matrix[i, j]`` = points of reference class i mapped as class j.
    producers_accuracy : ndarray of float64, shape (k,)
        PA_i = n_ii / n_i+ (diagonal / row sum): the share of the reference
        points of class i that the map got right. NaN where the row is empty.
    users_accuracy : ndarray of float64, shape (k,)
        UA_j = n_jj / n_+j (diagonal / column sum): the share of the points
        mapped as class j that really are j. NaN where the column is empty.
    overall_accuracy : float
        OA = Σ n_ii / N.
    kappa : float
        Cohen's kappa, (p_o − p_e) / (1 − p_e); NaN when p_e = 1 (see
        :func:`confusion_matrix`).
    n : int
        N, the number of points.
    """

    classes: np.ndarray
    matrix: np.ndarray
    producers_accuracy: np.ndarray
    users_accuracy: np.ndarray
    overall_accuracy: float
    kappa: float
    n: int

    @property
    def reference_totals(self):
        """n_i+, points per reference class (row sums)."""
        return self.matrix.sum(axis=1)

    @property
    def mapped_totals(self):
        """n_+j, points per mapped class (column sums)."""
        return self.matrix.sum(axis=0)


def confusion_matrix(reference, mapped, classes=None):
    """Cross-tabulate reference and mapped class codes of the same points.

    Parameters
    ----------
    reference : array_like of int, shape (N,)
        True class of each point (e.g. read from high-resolution imagery).
    mapped : array_like of int, shape (N,)
        Class of the map at the same points, in the same order.
    classes : iterable of int, optional
        Codes to include even when no point has them (a zero row and column).
        The result's classes are the sorted union of these and every code found.

    Returns
    -------
    ConfusionMatrix
        With n_ij the points of reference class i mapped as j, n_i+ the row
        sums, n_+j the column sums and N the total:

        - producer's accuracy PA_i = n_ii / n_i+ (NaN when n_i+ = 0),
        - user's accuracy UA_j = n_jj / n_+j (NaN when n_+j = 0),
        - overall accuracy OA = p_o = Σ_i n_ii / N,
        - chance agreement p_e = Σ_i n_i+ · n_+i / N²,
        - Cohen's kappa κ = (p_o − p_e) / (1 − p_e).

        p_e = 1 happens only when every point is one and the same class in both
        the reference and the map; κ is then 0/0 and is returned as NaN
        (undefined: a single class leaves no room for chance disagreement),
        while OA is 1.

    Raises
    ------
    ValueError
        When there is no point, when the lengths differ, or when a code is not
        a whole number.

    Notes
    -----
    Seed 004 §2.5 assesses its restoration map with 600 random points at
    Antaibao&Anjialing and 100 at Shenglixi III this way (tests/test_core_accuracy.py
    reproduces its counts).
    """
    ref = _codes(reference, "reference")
    got = _codes(mapped, "mapped")
    if ref.size != got.size:
        raise ValueError(f"reference has {ref.size} points but mapped has {got.size}; give one mapped class per point")
    if ref.size == 0:
        raise ValueError("no points: the confusion matrix needs at least one reference point")
    extra = _codes(classes if classes is not None else [], "classes")
    codes = np.union1d(np.union1d(ref, got), extra)
    k = codes.size
    # One bincount over the flat cell index i·k + j fills the whole matrix at once.
    cells = np.searchsorted(codes, ref) * k + np.searchsorted(codes, got)
    matrix = np.bincount(cells, minlength=k * k).astype(np.int64).reshape(k, k)
    return _accuracies(codes, matrix)


def _codes(values, name):
    array = np.asarray(values).ravel()
    if array.size and not np.issubdtype(array.dtype, np.integer):
        try:
            as_float = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} holds values that are not numbers") from None
        if not np.all(np.isfinite(as_float) & (as_float == np.round(as_float))):
            raise ValueError(f"{name} holds values that are not whole-number class codes")
        array = as_float
    return array.astype(np.int64)


def _accuracies(codes, matrix):
    n = int(matrix.sum())
    diagonal = np.diag(matrix)
    rows, columns = matrix.sum(axis=1), matrix.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        producers = np.where(rows > 0, diagonal / rows, np.nan)
        users = np.where(columns > 0, diagonal / columns, np.nan)
    # Integers until the last division: N·Σn_ii and Σ n_i+·n_+i are exact, so
    # p_e = 1 is detected exactly rather than up to rounding.
    agreed = int(diagonal.sum())
    chance = int(np.dot(rows, columns))
    if chance == n * n:
        kappa = float("nan")
    else:
        kappa = (n * agreed - chance) / (n * n - chance)
    return ConfusionMatrix(
        classes=codes,
        matrix=matrix,
        producers_accuracy=producers,
        users_accuracy=users,
        overall_accuracy=agreed / n,
        kappa=float(kappa),
        n=n,
    )
