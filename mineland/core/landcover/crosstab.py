"""Class areas and transfer (cross-tabulation) matrices, accumulated block by block.

Counting is a ``numpy.bincount`` over compact codes ``(a − a_min)·n_b + (b − b_min)``
per block, nodata included, with the bins of nodata values dropped at the end:
no per-pixel mask or Python loop. Areas come from the pixel areas on the ellipsoid
(:func:`mineland.core.io.raster_io.pixel_areas_m2`: exact per row in geographic and
Mercator CRSs, a per-pixel density elsewhere), so every CRS gets ellipsoidal areas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..io import raster_io

#: Largest number of bins counted densely per block; beyond it np.unique is used.
_MAX_DENSE_BINS = 1 << 24


@dataclass
class PairTable:
    """Pixel counts and areas of every (from, to) class pair found.

    Attributes
    ----------
    from_class, to_class : ndarray of int64
        Class codes at the start and end date, sorted by (from, to).
    pixels : ndarray of int64
    area_m2 : ndarray of float64
    nodata_pixels : int
        Pixels that are nodata at either date (excluded from everything else).
    nodata_area_m2 : float
    """

    from_class: np.ndarray
    to_class: np.ndarray
    pixels: np.ndarray
    area_m2: np.ndarray
    nodata_pixels: int
    nodata_area_m2: float

    @property
    def classes(self) -> np.ndarray:
        """Sorted union of the classes of both dates."""
        return np.union1d(self.from_class, self.to_class)

    def matrix(self, classes: Sequence[int] | np.ndarray | None = None, values: str = "area_m2") -> np.ndarray:
        """Dense matrix, rows = start class, columns = end class, over ``classes``."""
        classes = self.classes if classes is None else np.asarray(classes)
        out = np.zeros((len(classes), len(classes)), dtype=np.float64)
        rows = np.searchsorted(classes, self.from_class)
        cols = np.searchsorted(classes, self.to_class)
        np.add.at(out, (rows, cols), getattr(self, values))
        return out

    @property
    def total_area_m2(self) -> float:
        return float(self.area_m2.sum())

    @property
    def changed_area_m2(self) -> float:
        return float(self.area_m2[self.from_class != self.to_class].sum())


#: Most (pair, row) or (pair, tile) bins counted at once when weighting counts per row or per tile.
_MAX_WEIGHTED_BINS = 1 << 20


def _ranges(a, b):
    """(a_min, n_a, b_min, n_b) of one block; b None counts as a single value 0."""
    a_min, a_max = int(a.min()), int(a.max())
    b_min, b_max = (0, 0) if b is None else (int(b.min()), int(b.max()))
    return a_min, a_max - a_min + 1, b_min, b_max - b_min + 1


def _dense_codes(a, b, ranges=None, column_tile=None):
    """(codes, n_a, n_b, a_min, b_min): codes (a − a_min)·n_b + (b − b_min) of one block, or None if too many.

    With ``column_tile`` (one tile number t per column), codes + t·n_a·n_b: the tile is added in
    the same pass as the cast of ``a``, so no extra pass over the block.
    """
    a_min, n_a, b_min, n_b = ranges or _ranges(a, b)
    if n_a * n_b > _MAX_DENSE_BINS:
        return None
    if column_tile is None:
        codes = a.astype(np.intp)
        if a_min:
            codes -= a_min
    else:
        codes = np.add(a, column_tile * n_a - a_min, dtype=np.intp)
    codes *= n_b
    if b is not None:
        codes += b
        if b_min:
            codes -= b_min
    return codes, n_a, n_b, a_min, b_min


def _pair_bincount(a, b, weights):
    """(from, to, pixels, weighted sums) of the pairs in one block; b None counts a alone."""
    dense = _dense_codes(a, b)
    if dense is not None:
        codes, n_a, n_b, a_min, b_min = dense
        codes = codes.ravel()
        counts = np.bincount(codes, minlength=n_a * n_b)
        found = np.flatnonzero(counts)
        sums = None if weights is None else np.bincount(codes, weights, minlength=n_a * n_b)[found]
        return found // n_b + a_min, found % n_b + b_min, counts[found], sums
    a = a.ravel()
    a_min = int(a.min())
    b_min, n_b = (0, 1) if b is None else (int(b.min()), int(b.max()) - int(b.min()) + 1)
    codes = (a.astype(np.int64) - a_min).astype(np.uint64) * np.uint64(n_b)
    if b is not None:
        codes += (b.ravel().astype(np.int64) - b_min).astype(np.uint64)
    found, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse)
    sums = None if weights is None else np.bincount(inverse, weights)
    # decoded in uint64: the codes of two full Int32 ranges reach 2⁶⁴ − 1, past int64
    n_b = np.uint64(n_b)
    return ((found // n_b).astype(np.int64) + a_min, (found % n_b).astype(np.int64) + b_min, counts, sums)


def _pair_bincount_by_area(a, b, yoff, areas):
    """Like :func:`_pair_bincount` with area sums, counting per row or per area tile and weighting the counts.

    Equal to a per-pixel weighted bincount of :meth:`PixelAreas.flat` but without a weight per
    pixel: per-row areas bincount each row (a view), tile areas add the tile to the codes as
    they are made.
    None when the bins would be too many (the caller then weights per pixel).
    """
    ranges = _ranges(a, b)
    bins = ranges[1] * ranges[3]
    nrows = a.shape[0]
    if (
        bins > _MAX_DENSE_BINS
        or bins * (nrows if areas.rows is not None else areas.tile_count(nrows)) > _MAX_WEIGHTED_BINS
    ):
        return None
    if areas.rows is not None:
        codes, _, n_b, a_min, b_min = _dense_codes(a, b, ranges)
        counts = np.stack([np.bincount(row, minlength=bins) for row in codes])
        tile_areas = areas.rows[yoff : yoff + nrows]
    else:
        row_groups, band_of_col, tile_areas = areas.tiles(yoff, nrows)
        codes, _, n_b, a_min, b_min = _dense_codes(a, b, ranges, band_of_col)
        size = bins * tile_areas.shape[1]
        counts = np.concatenate(
            [np.bincount(codes[r0:r1].ravel(), minlength=size).reshape(-1, bins) for r0, r1 in row_groups]
        )
        tile_areas = tile_areas.ravel()
    pixels = counts.sum(axis=0)
    found = np.flatnonzero(pixels)
    sums = tile_areas @ counts[:, found]
    return found // n_b + a_min, found % n_b + b_min, pixels[found], sums


class PairCounter:
    """Accumulate a transfer matrix over blocks of two class rasters.

    Parameters
    ----------
    row_areas_m2 : raster_io.PixelAreas or ndarray
        Pixel areas (m²) on the ellipsoid, or the pixel area of every raster row.
    nodata_start, nodata_end : int or None
        Nodata values of the two rasters; pixels with either are excluded.
    """

    def __init__(
        self,
        row_areas_m2: raster_io.PixelAreas | np.ndarray,
        nodata_start: int | None = None,
        nodata_end: int | None = None,
    ) -> None:
        self.areas = raster_io.as_pixel_areas(row_areas_m2, None)
        self.constant_area = self.areas.constant is not None
        self.nodata = (nodata_start, nodata_end)
        self._pixels = {}
        self._area = {}

    def add(self, yoff: int, start: np.ndarray, end: np.ndarray | None) -> None:
        """Count one block; ``yoff`` is the block's first row; ``end`` None counts ``start`` alone."""
        found = None if self.constant_area else _pair_bincount_by_area(start, end, yoff, self.areas)
        if found is None:
            weights = None if self.constant_area else self.areas.flat(yoff, start.shape[0], start.shape[1])
            found = _pair_bincount(start, end, weights)
        froms, tos, counts, sums = found
        for i, key in enumerate(zip(froms.tolist(), tos.tolist())):
            self._pixels[key] = self._pixels.get(key, 0) + int(counts[i])
            if sums is not None:
                self._area[key] = self._area.get(key, 0.0) + float(sums[i])

    def result(self) -> PairTable:
        """The :class:`PairTable` of everything counted so far."""
        keys = sorted(self._pixels)
        pixels = np.array([self._pixels[k] for k in keys], dtype=np.int64)
        if self.constant_area:
            area = pixels * self.areas.constant
        else:
            area = np.array([self._area[k] for k in keys], dtype=np.float64)
        froms = np.array([k[0] for k in keys], dtype=np.int64)
        tos = np.array([k[1] for k in keys], dtype=np.int64)
        invalid = np.zeros(len(keys), dtype=bool)
        for codes, nodata in zip((froms, tos), self.nodata):
            if nodata is not None:
                invalid |= codes == nodata
        keep = ~invalid
        return PairTable(
            froms[keep], tos[keep], pixels[keep], area[keep], int(pixels[invalid].sum()), float(area[invalid].sum())
        )


class ClassCounter:
    """Accumulate the pixel count and area of every class of one raster."""

    def __init__(self, row_areas_m2: raster_io.PixelAreas | np.ndarray, nodata: int | None = None) -> None:
        self._pairs = PairCounter(row_areas_m2, nodata, None)

    def add(self, yoff: int, values: np.ndarray) -> None:
        self._pairs.add(yoff, values, None)

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(classes, pixels, area_m2, nodata_pixels)."""
        table = self._pairs.result()
        return table.from_class, table.pixels, table.area_m2, table.nodata_pixels


def tabulate(
    bands: Sequence,
    nodatas: Sequence[int | None],
    grid: raster_io.Grid,
    row_areas_m2: raster_io.PixelAreas | np.ndarray,
    periods: Sequence[tuple[int, int]] = (),
    per_date: bool = False,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int = raster_io.DEFAULT_BLOCK_PIXELS,
    on_block: Callable[[int, list[np.ndarray]], object] | None = None,
) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] | None, dict[tuple[int, int], PairTable]]:
    """Count class rasters of several dates in one block pass.

    Parameters
    ----------
    bands : list of gdal.Band
        Class rasters on one grid, in date order.
    nodatas : list of int or None
    grid : raster_io.Grid
    row_areas_m2 : raster_io.PixelAreas or ndarray
        Pixel areas (m²), or the pixel area per row.
    periods : sequence of (i, j)
        Date index pairs to cross-tabulate.
    per_date : bool
        Also count each date's classes on its own (its own nodata only).
    on_block : callable(yoff, arrays) or None
        Called with every block, e.g. to write a derived raster in the same pass.

    Returns
    -------
    (list of (classes, pixels, area_m2, nodata_pixels) per date or None, {period: PairTable})
    """
    singles = [ClassCounter(row_areas_m2, nd) for nd in nodatas] if per_date else []
    pairs = {p: PairCounter(row_areas_m2, nodatas[p[0]], nodatas[p[1]]) for p in periods}
    for yoff, _, arrays in raster_io.iter_blocks(bands, grid, monitor, block_pixels):
        for counter, values in zip(singles, arrays):
            counter.add(yoff, values)
        for (i, j), counter in pairs.items():
            counter.add(yoff, arrays[i], arrays[j])
        if on_block is not None:
            on_block(yoff, arrays)
    return ([c.result() for c in singles] if per_date else None), {p: c.result() for p, c in pairs.items()}


def change_code_factor(end_classes: Sequence[int]) -> int:
    """Multiplier of the from class in change codes: 100, or the next power of 10 above the end classes."""
    top = max([abs(int(c)) for c in end_classes] + [1])
    factor = 100
    while factor <= top:
        factor *= 10
    return factor


@dataclass(frozen=True)
class ChangeCoding:
    """How the change raster codes each (from, to) class pair, unique per pair.

    ``from × factor + to`` (factor 100, or the next power of 10 above every class
    code) when every class code is ≥ 0 and the codes fit a 32-bit integer raster:
    then ``from = code // factor`` and ``to = code % factor`` read a code back.
    A negative code breaks that (0 → −60 and −1 → 40 are both −60), and large
    codes (UInt16 up to 65535, Int32) overflow it, so otherwise ``factor`` is 0 and
    the pairs present are numbered densely, ``code = 1 + k`` for the k-th pair in
    (from, to) order; the raster attribute table names every pair in both cases.

    Attributes
    ----------
    factor : int
        The multiplier of the from class, or 0 for the dense numbering.
    classes : tuple of int
        Sorted class codes of both dates.
    pairs : tuple of (int, int)
        The (from, to) pairs present, sorted.
    """

    factor: int
    classes: tuple
    pairs: tuple

    @property
    def codes(self) -> list[int]:
        """Code of each pair of :attr:`pairs`, in that order."""
        if self.factor:
            return [f * self.factor + t for f, t in self.pairs]
        return list(range(1, len(self.pairs) + 1))

    def names(self, label: Callable[[int], str]) -> dict[int, str]:
        """{code: "from → to"} of every pair, ``label(code)`` naming a class."""
        return {code: f"{label(f)} → {label(t)}" for code, (f, t) in zip(self.codes, self.pairs)}

    def encode(self, start: np.ndarray, end: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
        """Codes of one block of start and end classes (valid pixels hold classes of :attr:`classes`).

        Pixels whose pair is not among :attr:`pairs` (nodata at either date) get
        an arbitrary code; :func:`change_codes` overwrites them.
        """
        if self.factor:
            return start.astype(dtype) * dtype(self.factor) + end.astype(dtype)
        # class → rank, then (rank_from, rank_to) → position among the pairs present
        classes = np.asarray(self.classes, dtype=np.int64)
        n = np.int64(len(classes))
        keys = np.array(
            [np.searchsorted(classes, f) * n + np.searchsorted(classes, t) for f, t in self.pairs], dtype=np.int64
        )
        ranks = np.searchsorted(classes, start).astype(np.int64) * n + np.searchsorted(classes, end)
        position = np.minimum(np.searchsorted(keys, ranks), len(keys) - 1)
        return (position + 1).astype(dtype)


def change_coding(from_class: Sequence[int] | np.ndarray, to_class: Sequence[int] | np.ndarray) -> ChangeCoding:
    """The :class:`ChangeCoding` of the (from, to) pairs present (e.g. a :class:`PairTable`'s)."""
    pairs = tuple(sorted(set(zip((int(f) for f in from_class), (int(t) for t in to_class)))))
    classes = tuple(sorted({c for pair in pairs for c in pair}))
    if classes and classes[0] >= 0:
        factor = change_code_factor(classes)
        top = classes[-1] * factor + classes[-1]
        if top < np.iinfo(np.int32).max:  # room left for a nodata value
            return ChangeCoding(factor, classes, pairs)
    return ChangeCoding(0, classes, pairs)


def change_codes(
    start: np.ndarray,
    end: np.ndarray,
    valid: np.ndarray,
    factor: ChangeCoding | int,
    nodata_out: int,
    dtype: type[np.integer],
) -> np.ndarray:
    """Change raster block: the pair's code where both dates are valid, else nodata.

    ``factor`` is a :class:`ChangeCoding`, or an int multiplier (from × factor + to).
    """
    if isinstance(factor, ChangeCoding):
        out = factor.encode(start, end, dtype)
    else:
        out = start.astype(dtype) * dtype(factor) + end.astype(dtype)
    out[~valid] = nodata_out
    return out


@dataclass(frozen=True)
class MatrixMargins:
    """The margins of a transfer matrix (rows = start class, columns = end class), per class.

    ``start_total`` (row sums: the area at the start), ``end_total`` (column sums: at the end),
    ``unchanged`` (the diagonal), ``loss`` = start_total − unchanged (lost to other classes),
    ``gain`` = end_total − unchanged (gained from other classes), ``net`` = end_total − start_total,
    and ``total`` (the whole matrix).
    """

    start_total: np.ndarray
    end_total: np.ndarray
    unchanged: np.ndarray
    loss: np.ndarray
    gain: np.ndarray
    net: np.ndarray
    total: float


def matrix_margins(matrix: Sequence[Sequence[float]] | np.ndarray) -> MatrixMargins:
    """The :class:`MatrixMargins` of a square transfer matrix (any unit: m², km², pixels)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    start_total, end_total, unchanged = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
    return MatrixMargins(
        start_total,
        end_total,
        unchanged,
        start_total - unchanged,
        end_total - unchanged,
        end_total - start_total,
        float(matrix.sum()),
    )
