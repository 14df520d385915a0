"""Block-wise raster I/O: the one place where MineLand touches GDAL.

Every raster algorithm reads its inputs through :func:`iter_blocks` and writes
through :class:`BlockWriter`. Blocks are strips of whole rows whose height is a
multiple of the inputs' natural block height, so peak memory is set by
``block_pixels`` (default 4 Mpx per input), never by the raster size.

Outputs are tiled, DEFLATE-compressed GeoTIFFs (or Erdas Imagine .img files,
by extension: :func:`output_driver`) written in a temporary folder beside them
and moved into place at the end, so a cancelled or failed run never leaves a
file that looks complete.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, gdal_array, osr

gdal.UseExceptions()

#: Pixels per input read at once (4 Mpx: ~16 MB per int32 input block).
DEFAULT_BLOCK_PIXELS = 1 << 22

FLOAT32 = gdal.GDT_Float32
BYTE = gdal.GDT_Byte
UINT16 = gdal.GDT_UInt16
INT16 = gdal.GDT_Int16

INTEGER_TYPES = {
    gdal.GDT_Byte,
    gdal.GDT_UInt16,
    gdal.GDT_Int16,
    gdal.GDT_UInt32,
    gdal.GDT_Int32,
}

#: Smallest GDAL integer types first, with the numpy type and value range of each.
_INTEGER_OUTPUT_TYPES = [
    (gdal.GDT_Byte, np.uint8),
    (gdal.GDT_UInt16, np.uint16),
    (gdal.GDT_Int16, np.int16),
    (gdal.GDT_UInt32, np.uint32),
    (gdal.GDT_Int32, np.int32),
]


class Cancelled(Exception):
    """Raised inside a block loop when the user cancels."""


class Monitor:
    """Progress and cancel hooks for block loops.

    Parameters
    ----------
    progress : callable(float) or None
        Receives the fraction done, 0..1.
    is_cancelled : callable() -> bool or None
        Checked before every block; True stops the loop with :class:`Cancelled`.
    """

    def __init__(
        self, progress: Callable[[float], object] | None = None, is_cancelled: Callable[[], bool] | None = None
    ) -> None:
        self._progress = progress
        self._is_cancelled = is_cancelled

    def check(self) -> None:
        if self._is_cancelled is not None and self._is_cancelled():
            raise Cancelled("cancelled by the user")

    def report(self, fraction: float) -> None:
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, fraction)))


@dataclass(frozen=True)
class Grid:
    """The pixel grid of a raster: size, geotransform and CRS (WKT)."""

    xsize: int
    ysize: int
    geotransform: tuple
    crs_wkt: str


def open_raster(path: str | os.PathLike) -> gdal.Dataset:
    """Open a raster read-only; ValueError with the path when GDAL cannot."""
    try:
        ds = gdal.Open(str(path), gdal.GA_ReadOnly)
    except RuntimeError as err:
        raise ValueError(f"cannot open raster '{path}': {err}") from None
    if ds is None:
        raise ValueError(f"cannot open raster '{path}'")
    return ds


def grid_of(ds: gdal.Dataset) -> Grid:
    return Grid(ds.RasterXSize, ds.RasterYSize, tuple(ds.GetGeoTransform()), ds.GetProjection() or "")


def check_same_grid(named_grids: Sequence[tuple[str, Grid]]) -> Grid:
    """Check that rasters share one grid; return that grid.

    Parameters
    ----------
    named_grids : sequence of (name, Grid)
        The first entry is the reference.

    Raises
    ------
    ValueError
        Naming the first raster that differs and how (CRS, size, pixel size or
        origin), with the values of both.
    """
    ref_name, ref = named_grids[0]
    ref_srs = _srs(ref.crs_wkt)
    for name, grid in named_grids[1:]:
        srs = _srs(grid.crs_wkt)
        if (ref_srs is None) != (srs is None) or (srs is not None and not srs.IsSame(ref_srs)):
            raise ValueError(
                f"{name} has a different CRS from {ref_name} "
                f"({_crs_label(srs)} vs {_crs_label(ref_srs)}); warp it onto the grid of {ref_name} first"
            )
        if (grid.xsize, grid.ysize) != (ref.xsize, ref.ysize):
            raise ValueError(
                f"{name} is {grid.xsize}×{grid.ysize} pixels but {ref_name} is {ref.xsize}×{ref.ysize}; "
                f"clip or warp it onto the grid of {ref_name} first"
            )
        gt, rgt = grid.geotransform, ref.geotransform
        tol = 1e-6 * max(abs(rgt[1]), abs(rgt[5]))
        if any(abs(gt[i] - rgt[i]) > tol for i in (1, 2, 4, 5)):
            raise ValueError(
                f"{name} has pixel size {gt[1]:g}×{abs(gt[5]):g} but {ref_name} has "
                f"{rgt[1]:g}×{abs(rgt[5]):g}; resample it onto the grid of {ref_name} first"
            )
        if abs(gt[0] - rgt[0]) > tol or abs(gt[3] - rgt[3]) > tol:
            raise ValueError(
                f"{name} is shifted from {ref_name}: origin ({gt[0]:.6f}, {gt[3]:.6f}) vs "
                f"({rgt[0]:.6f}, {rgt[3]:.6f}); align it onto the grid of {ref_name} first"
            )
    return ref


def _srs(wkt):
    if not wkt:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    return srs


def _crs_label(srs):
    if srs is None:
        return "no CRS"
    code = srs.GetAuthorityCode(None)
    name = srs.GetName()
    return f"EPSG:{code} {name}" if code else name


def type_name(band: gdal.Band) -> str:
    return gdal.GetDataTypeName(band.DataType)


def is_integer_band(band: gdal.Band) -> bool:
    return band.DataType in INTEGER_TYPES


def numpy_dtype(band: gdal.Band) -> np.dtype:
    return np.dtype(gdal_array.GDALTypeCodeToNumericTypeCode(band.DataType))


def band_nodata(band: gdal.Band) -> int | float | None:
    """The band's nodata value as a Python number, or None."""
    value = band.GetNoDataValue()
    if value is None:
        return None
    if is_integer_band(band):
        return int(value) if float(value).is_integer() else None
    return value


def valid_mask(values: np.ndarray, nodata: int | float | None) -> np.ndarray:
    """True where a value is data: not the nodata value and, for floats, finite."""
    if np.issubdtype(values.dtype, np.floating):
        mask = np.isfinite(values)
        if nodata is not None and not math.isnan(nodata):
            mask &= values != nodata
        return mask
    if nodata is None:
        return np.ones(values.shape, dtype=bool)
    return values != nodata


# -------------------------------------------------------------- scale/offset


@dataclass(frozen=True)
class Scaling:
    """The GDAL scale and offset of a band: physical value = raw × scale + offset.

    Products store physical quantities as scaled integers (MODIS LST: Int16/UInt16 × 0.02 → K;
    Landsat Collection 2 surface temperature: UInt16 × 0.00341802 + 149 → K) and say so in the
    band's scale/offset metadata (GDALRasterBand::GetScale/GetOffset).
    """

    scale: float
    offset: float

    def describe(self) -> str:
        return f"raw × {self.scale:.10g} + {self.offset:.10g}"


def band_scaling(band: gdal.Band) -> Scaling | None:
    """The band's :class:`Scaling`, or None when it has none (scale 1 and offset 0, or not set).

    None means the values are used as stored, with no extra pass over them.

    Raises
    ------
    ValueError
        When the scale is 0 or the scale or offset is not finite (the values could not be recovered).
    """
    scale, offset = band.GetScale(), band.GetOffset()
    scale = 1.0 if scale is None else float(scale)
    offset = 0.0 if offset is None else float(offset)
    if scale == 1.0 and offset == 0.0:
        return None
    if scale == 0 or not (math.isfinite(scale) and math.isfinite(offset)):
        raise ValueError(
            f"band {band.GetBand()} has scale {scale:g} and offset {offset:g} in its metadata, "
            "which do not give physical values; fix them (gdal_edit.py -scale/-offset)"
        )
    return Scaling(scale, offset)


def physical(values: np.ndarray, nodata: int | float | None, scaling: Scaling | None) -> tuple[np.ndarray, np.ndarray]:
    """(values, valid) of a block as read: ``valid`` tested on the raw values, the values in physical units.

    valid = raw is data (:func:`valid_mask` with the band's nodata, on the stored value, so a raw
    nodata that scaling maps to a plausible number is still nodata); values = raw × scale + offset,
    float64. Without a scaling (None) the block is returned as it is (no extra pass).
    """
    valid = valid_mask(values, nodata)
    if scaling is None:
        return values, valid
    return scaled(values, scaling), valid


def scaled(values: np.ndarray, scaling: Scaling | None) -> np.ndarray:
    """raw × scale + offset as float64 (a new array; ``values`` unchanged); ``values`` itself for None."""
    if scaling is None:
        return values
    out = np.multiply(values, scaling.scale, dtype=np.float64)
    if scaling.offset:
        out += scaling.offset
    return out


def physical_or_nan(values: np.ndarray, nodata: int | float | None, scaling: Scaling | None) -> np.ndarray:
    """Float64 physical values of a block (:func:`physical`) with NaN where the raw value is not data."""
    valid = valid_mask(values, nodata)
    # a new array either way: the caller's block stays as read
    out = values.astype(np.float64) if scaling is None else scaled(values, scaling)
    out[~valid] = np.nan
    return out


# --------------------------------------------------------------------- areas

#: Projections whose latitude depends on the northing alone and longitude linearly on the easting:
#: their pixel rows are zones between two parallels, so the per-row formula is exact.
_CYLINDRICAL = {
    "mercator_1sp",
    "mercator_2sp",
    "mercator_auxiliary_sphere",
    "popular_visualisation_pseudo_mercator",
    "equirectangular",
    "plate_carree",
    "cylindrical_equal_area",
    "mercator",
}

#: Area scale factors are sampled at about this many nodes along the longer side of the raster.
AREA_NODES = 128


def row_pixel_areas_m2(grid: Grid) -> np.ndarray:
    """Area of one pixel in each row, in m², as a float64 array of length ysize.

    Exact (on the ellipsoid of the CRS) where the pixel area depends on the row alone:
    geographic CRSs and cylindrical projections (Mercator, Web Mercator, equirectangular,
    cylindrical equal-area), whose pixel rows are zones between two parallels,
    A = Δλ · b² · [g(φ₂) − g(φ₁)],
    g(φ) = sin φ / (2(1 − e² sin² φ)) + ln((1 + e sin φ)/(1 − e sin φ)) / (4e),
    with a, b, e of the CRS's ellipsoid (never degrees²) and φ₁, φ₂ the latitudes of the row's
    edges. Other projected CRSs: the nominal |a·e − b·d| of the geotransform times the square of
    the linear unit in metres, which is NOT the area on the ground away from the projection's
    true scale; use :func:`pixel_areas_m2` for areas on the ellipsoid in every CRS.

    Raises
    ------
    ValueError
        When the raster has no CRS, or is geographic and rotated.
    """
    srs = _srs(grid.crs_wkt)
    if srs is None:
        raise ValueError("the raster has no CRS, so its pixel area is unknown; assign its CRS first")
    gt = grid.geotransform
    if not srs.IsGeographic():
        if _is_cylindrical(srs) and gt[2] == 0 and gt[4] == 0:
            return _cylindrical_row_areas(grid, srs)
        metres = srs.GetLinearUnits() or 1.0
        area = abs(gt[1] * gt[5] - gt[2] * gt[4]) * metres * metres
        return np.full(grid.ysize, area)
    if gt[2] != 0 or gt[4] != 0:
        raise ValueError("a rotated raster in a geographic CRS is not supported; warp it to a projected CRS")
    radians = srs.GetAngularUnits()  # radians per CRS unit
    edges = gt[3] + gt[5] * np.arange(grid.ysize + 1, dtype=np.float64)
    return _zone_areas(srs, edges * radians, abs(gt[1]) * radians)


def _zone_areas(srs, lat_edges, dlon):
    """Areas (m²) of cells Δλ wide (radians) between consecutive latitudes (radians) on the ellipsoid of ``srs``."""
    semi_major, semi_minor = srs.GetSemiMajor(), srs.GetSemiMinor()
    ecc2 = 1.0 - (semi_minor / semi_major) ** 2
    lat = np.clip(lat_edges, -math.pi / 2, math.pi / 2)
    g = _authalic_zone(np.sin(lat), ecc2)
    return dlon * semi_minor**2 * np.abs(np.diff(g))


def _authalic_zone(sin_lat, ecc2):
    """g(φ): the ellipsoid zone area from the equator to φ is 2π b² g(φ)."""
    if ecc2 <= 0:
        return sin_lat
    e = math.sqrt(ecc2)
    es = e * sin_lat
    return sin_lat / (2 * (1 - es * es)) + np.log((1 + es) / (1 - es)) / (4 * e)


def _is_cylindrical(srs):
    return (srs.GetAttrValue("PROJECTION") or "").lower() in _CYLINDRICAL


def _to_geographic(srs):
    """Transformation from ``srs`` to its own geographic CRS, (lon, lat) in degrees."""
    geog = srs.CloneGeogCS()
    for s in (srs, geog):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(srs, geog)
    # the degrees of the target CRS, whatever its own angular unit
    return transform, geog


def _lonlat(transform, x, y):
    """(lon, lat) in radians of projected points; NaN where the projection cannot invert them."""
    points = np.column_stack([np.ravel(x), np.ravel(y)]).astype(np.float64)
    out = np.full((len(points), 2), np.nan)
    try:
        out[:] = np.array(transform.TransformPoints(points))[:, :2]
    except RuntimeError:  # some point outside the projection's domain: go one by one
        for i, (px, py) in enumerate(points):
            try:
                out[i] = transform.TransformPoint(float(px), float(py))[:2]
            except RuntimeError:
                pass
    out[~np.isfinite(out)] = np.nan
    return np.radians(out[:, 0]).reshape(np.shape(x)), np.radians(out[:, 1]).reshape(np.shape(x))


def _cylindrical_row_areas(grid, srs):
    """Exact per-row areas of a cylindrical projection: the latitudes of the row edges, Δλ of one pixel."""
    gt = grid.geotransform
    transform, geog = _to_geographic(srs)
    x_mid = gt[0] + gt[1] * grid.xsize / 2
    edges = gt[3] + gt[5] * np.arange(grid.ysize + 1, dtype=np.float64)
    lon, lat = _lonlat(transform, np.full(edges.size, x_mid), edges)
    lon2, _ = _lonlat(transform, np.array([x_mid + gt[1]]), edges[:1])
    dlon = abs(float(lon2[0] - lon[0]))
    dlon = min(dlon, 2 * math.pi - dlon)  # one pixel across the antimeridian
    return np.nan_to_num(_zone_areas(geog, lat, dlon))


#: Largest relative change of the area density within one tile of the lattice model.
AREA_TILE_TOLERANCE = 1e-4


class PixelAreas:
    """Area on the ellipsoid of every pixel of a grid (m²), handed out block by block.

    Either exact per-row areas (geographic and cylindrical CRSs: :func:`row_pixel_areas_m2`),
    or, in other projections, the local area density sampled at a coarse lattice of nodes
    (about :data:`AREA_NODES` along the longer side). At a node the density is the area on the
    ellipsoid per pixel,
    A = M(φ) · N(φ) · cos φ · |∂(λ, φ)/∂(col, row)|,
    with M = a(1 − e²)/(1 − e² sin² φ)^{3/2} and N = a/(1 − e² sin² φ)^{1/2} the meridian and
    prime-vertical radii of curvature of the CRS's ellipsoid and the Jacobian of the inverse
    projection taken by central differences (osr, PROJ). The raster is cut into tiles (powers of
    two of pixels, at most 256 rows) small enough that the density changes by at most
    :data:`AREA_TILE_TOLERANCE` (relative) across one, and every pixel of a tile has the density
    at the tile's centre, interpolated bilinearly between the nodes. So counts can be weighted
    per tile (:meth:`tiles`) rather than per pixel. Nodes where the projection cannot be
    inverted (outside its domain) weigh 0. Memory: the node lattice plus one block.

    Attributes
    ----------
    xsize, ysize : int
    constant : float or None
        The one pixel area when every pixel has it (to 1e-9 relative), else None.
    rows : ndarray or None
        The per-row areas when the area depends on the row alone, else None.

    References
    ----------
    Snyder, J. P. (1987). Map Projections — A Working Manual, USGS PP 1395, eqs. 4-18, 4-20.
    """

    def __init__(
        self,
        xsize: int,
        ysize: int,
        rows: np.ndarray | Sequence[float] | None = None,
        nodes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.xsize, self.ysize = xsize, ysize
        self.rows = None if rows is None else np.asarray(rows, dtype=np.float64)
        self.constant = None
        if self.rows is not None:
            if self.rows.size and np.all(self.rows == self.rows[0]):
                self.constant = float(self.rows[0])
            return
        self._node_x, self._node_y, self._density = nodes
        spread = np.ptp(self._density) if self._density.size else 0.0
        if spread <= 1e-9 * abs(self._density.mean()):
            self.constant = float(self._density.mean())
            return
        self.tile_width = _tile_size(self._density, self._node_x, axis=1, cap=4096)
        self.tile_height = _tile_size(self._density, self._node_y, axis=0, cap=256)
        edges = np.append(np.arange(0, xsize, self.tile_width), xsize)
        self._band_of_col = np.arange(xsize) // self.tile_width
        self._band_centres = (edges[:-1] + edges[1:]) / 2.0

    @classmethod
    def of_rows(cls, row_areas_m2: np.ndarray | Sequence[float], xsize: int) -> PixelAreas:
        """Per-row areas (one per raster row) as a :class:`PixelAreas`."""
        row_areas_m2 = np.asarray(row_areas_m2, dtype=np.float64)
        return cls(xsize, row_areas_m2.size, rows=row_areas_m2)

    def block(self, yoff: int, nrows: int) -> np.ndarray:
        """Pixel areas of rows ``yoff`` .. ``yoff + nrows`` as an array broadcastable to (nrows, xsize)."""
        if self.constant is not None:
            return np.full((nrows, 1), self.constant)
        if self.rows is not None:
            return self.rows[yoff : yoff + nrows, None]
        groups, areas = self._tile_areas(yoff, nrows)
        return areas[groups - groups[0]][:, self._band_of_col]

    def flat(self, yoff: int, nrows: int, xsize: int | None = None) -> np.ndarray:
        """Pixel areas of a block of rows, raveled like ``block_array.ravel()`` (float64)."""
        xsize = self.xsize if xsize is None else xsize
        if self.rows is not None:
            return np.repeat(self.rows[yoff : yoff + nrows], xsize)
        return np.broadcast_to(self.block(yoff, nrows), (nrows, xsize)).ravel()

    def tiles(self, yoff: int, nrows: int) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """Tiles of a block of rows of the lattice model, for weighting counts per tile rather than per pixel.

        Returns (row_groups, band_of_col, areas): ``row_groups`` the (start, stop) rows of each tile
        row within the block, ``band_of_col`` (xsize,) the tile column of each pixel column and
        ``areas`` (tile rows, tile columns) the pixel area of each tile.
        """
        groups, areas = self._tile_areas(yoff, nrows)
        starts = np.flatnonzero(np.diff(groups, prepend=groups[0] - 1))
        stops = np.append(starts[1:], nrows)
        return list(zip(starts.tolist(), stops.tolist())), self._band_of_col, areas

    def smallest(self) -> float:
        """The smallest pixel area of the grid (m²; pixels outside the projection's domain left out)."""
        if self.constant is not None:
            return self.constant
        values = self.rows if self.rows is not None else self._density
        values = values[values > 0]
        return float(values.min()) if values.size else 0.0

    def tile_count(self, nrows: int) -> int:
        """Most tiles a block of ``nrows`` rows can cross (lattice model)."""
        return (nrows // self.tile_height + 2) * self._band_centres.size

    def at(self, rows: np.ndarray | Sequence[int], cols: np.ndarray | Sequence[int]) -> np.ndarray:
        """Areas of the pixels at integer ``rows``, ``cols`` (clipped into the grid)."""
        rows = np.clip(np.asarray(rows, dtype=np.intp), 0, self.ysize - 1)
        cols = np.clip(np.asarray(cols, dtype=np.intp), 0, self.xsize - 1)
        if self.constant is not None:
            return np.full(rows.shape, self.constant)
        if self.rows is not None:
            return self.rows[rows]
        out = np.empty(rows.shape)
        for i in range(rows.size):  # one per requested pixel, never per raster pixel
            _, areas = self._tile_areas(int(rows.flat[i]), 1)
            out.flat[i] = areas[0, self._band_of_col[cols.flat[i]]]
        return out

    def _tile_areas(self, yoff, nrows):
        """(tile row of every row of the block, densities at the centres of the block's tiles (rows × bands))."""
        groups = np.arange(yoff, yoff + nrows) // self.tile_height
        first, last = int(groups[0]), int(groups[-1])
        tops = np.arange(first, last + 1) * self.tile_height
        centres_y = (tops + np.minimum(tops + self.tile_height, self.ysize)) / 2.0
        along_x = np.array([np.interp(self._band_centres, self._node_x, d) for d in self._density])
        areas = np.empty((centres_y.size, self._band_centres.size))
        for j in range(self._band_centres.size):
            areas[:, j] = np.interp(centres_y, self._node_y, along_x[:, j])
        return groups, areas


def _tile_size(density, positions, axis, cap):
    """Largest power of two of pixels along ``axis`` across which ``density`` changes by ≤ the tolerance."""
    if positions.size < 2:
        return cap
    change = np.abs(np.diff(density, axis=axis))
    level = np.minimum(np.delete(density, -1, axis=axis), np.delete(density, 0, axis=axis))
    step = np.diff(positions).reshape((1, -1) if axis == 1 else (-1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        per_pixel = np.where(level > 0, change / (level * step), 0.0)
    worst = float(per_pixel.max()) if per_pixel.size else 0.0
    if worst <= 0:
        return cap
    size = AREA_TILE_TOLERANCE / worst
    return min(cap, 2 ** max(0, math.floor(math.log2(size)))) if size >= 1 else 1


def pixel_areas_m2(grid: Grid, nodes: int | None = None) -> PixelAreas:
    """The area on the ellipsoid of the raster's CRS of every pixel, as a :class:`PixelAreas`.

    Geographic and cylindrical CRSs (Mercator, Web Mercator …): the exact per-row zone areas of
    :func:`row_pixel_areas_m2`. Every other projection (UTM, Lambert conformal conic, polar
    stereographic, equal-area …): the local area density of :class:`PixelAreas` at a coarse
    lattice of nodes, interpolated; within 0.1 % of the geodesic area of each pixel's quad
    unless single pixels span hundreds of kilometres.

    Parameters
    ----------
    grid : Grid
    nodes : int or None
        Nodes along the longer side of the raster (default :data:`AREA_NODES`).

    Raises
    ------
    ValueError
        When the raster has no CRS, or is geographic and rotated.

    Notes
    -----
    Cached per grid (a few recent ones): multi-pass algorithms build the node lattice once.
    """
    if isinstance(grid.geotransform, tuple):
        return _cached_pixel_areas(grid, nodes)
    return _pixel_areas(grid, nodes)


@functools.lru_cache(maxsize=8)
def _cached_pixel_areas(grid, nodes):
    return _pixel_areas(grid, nodes)


def _pixel_areas(grid, nodes):
    srs = _srs(grid.crs_wkt)
    if (
        srs is None
        or srs.IsGeographic()
        or (_is_cylindrical(srs) and not (grid.geotransform[2] or grid.geotransform[4]))
    ):
        return PixelAreas.of_rows(row_pixel_areas_m2(grid), grid.xsize)
    if srs.IsLocal() or not srs.IsProjected():
        return PixelAreas.of_rows(row_pixel_areas_m2(grid), grid.xsize)
    lattice = _density_nodes(grid, srs, nodes or AREA_NODES)
    if not np.any(lattice[2] > 0):
        raise ValueError(
            f"the pixel areas are unknown: no pixel of the raster can be taken from its CRS "
            f"({_crs_label(srs)}) to longitude/latitude; check the raster's CRS and geotransform"
        )
    return PixelAreas(grid.xsize, grid.ysize, nodes=lattice)


def _node_positions(size, count):
    """Pixel-centre positions of the nodes along one axis: both edges and about ``count`` between."""
    step = max(1, math.ceil(size / max(1, count)))
    index = np.unique(np.append(np.arange(0, size, step), size - 1))
    return index.astype(np.float64) + 0.5


def _density_nodes(grid, srs, count):
    """(node columns, node rows, area per pixel in m² at every node) of a projected grid."""
    node_x = _node_positions(grid.xsize, count)
    node_y = _node_positions(grid.ysize, count)
    col, row = np.meshgrid(node_x, node_y)
    gt = grid.geotransform
    transform, geog = _to_geographic(srs)
    h = 0.25  # pixel: central differences over half a pixel
    lon_e, lat_e = _lonlat(transform, *_apply_gt(gt, col + h, row))
    lon_w, lat_w = _lonlat(transform, *_apply_gt(gt, col - h, row))
    lon_s, lat_s = _lonlat(transform, *_apply_gt(gt, col, row + h))
    lon_n, lat_n = _lonlat(transform, *_apply_gt(gt, col, row - h))
    dlon_dc, dlat_dc = _wrap(lon_e - lon_w) / (2 * h), (lat_e - lat_w) / (2 * h)
    dlon_dr, dlat_dr = _wrap(lon_s - lon_n) / (2 * h), (lat_s - lat_n) / (2 * h)
    lat = (lat_e + lat_w + lat_s + lat_n) / 4
    a, b = geog.GetSemiMajor(), geog.GetSemiMinor()
    ecc2 = 1.0 - (b / a) ** 2
    w = 1.0 - ecc2 * np.sin(lat) ** 2
    radii = a * (1.0 - ecc2) / w**1.5 * a / np.sqrt(w)  # M · N
    density = radii * np.cos(lat) * np.abs(dlon_dc * dlat_dr - dlon_dr * dlat_dc)
    return node_x, node_y, np.nan_to_num(density, nan=0.0)


def _apply_gt(gt, col, row):
    return gt[0] + gt[1] * col + gt[2] * row, gt[3] + gt[4] * col + gt[5] * row


def _wrap(dlon):
    """Longitude differences into (−π, π]: a node astride the antimeridian."""
    return (dlon + math.pi) % (2 * math.pi) - math.pi


def as_pixel_areas(areas: PixelAreas | np.ndarray, xsize: int) -> PixelAreas:
    """A :class:`PixelAreas` from one, or from per-row areas (ndarray, one per row)."""
    if isinstance(areas, PixelAreas):
        return areas
    return PixelAreas.of_rows(areas, xsize)


def has_constant_pixel_area(row_areas: PixelAreas | np.ndarray) -> bool:
    if isinstance(row_areas, PixelAreas):
        return row_areas.constant is not None
    return bool(np.all(row_areas == row_areas[0]))


# -------------------------------------------------------------------- blocks


def natural_height(bands: Sequence[gdal.Band]) -> int:
    """The tallest block (tile or strip) height of the bands: strips aligned on it decode each block once."""
    return max(b.GetBlockSize()[1] for b in bands) if bands else 1


def block_height(grid: Grid, bands: Sequence[gdal.Band], block_pixels: int = DEFAULT_BLOCK_PIXELS) -> int:
    """Rows per block within the budget: a multiple of the inputs' natural block height, or, when the
    budget holds less than one block row, the largest power-of-two share of it that fits."""
    natural = natural_height(bands)
    rows = max(1, block_pixels // max(1, grid.xsize))
    if rows >= natural:
        rows -= rows % natural
    else:
        share = natural
        while share > rows and share % 2 == 0:
            share //= 2
        rows = share if share <= rows else rows
    return max(1, min(rows, grid.ysize))


def iter_windows(ysize: int, rows: int) -> Iterator[tuple[int, int]]:
    """(row offset, row count) of consecutive strips covering ``ysize`` rows."""
    for yoff in range(0, ysize, rows):
        yield yoff, min(rows, ysize - yoff)


def iter_blocks(
    bands: Sequence[gdal.Band],
    grid: Grid,
    monitor: Monitor | None = None,
    block_pixels: int = DEFAULT_BLOCK_PIXELS,
    progress_span: tuple[float, float] = (0.0, 1.0),
) -> Iterator[tuple[int, int, list[np.ndarray]]]:
    """Read aligned strips of several bands.

    Parameters
    ----------
    bands : list of gdal.Band
        Bands on the same grid (check with :func:`check_same_grid` first).
    grid : Grid
    monitor : Monitor or None
        Cancel is checked before every block, progress reported after it.
    block_pixels : int
        Budget of pixels per band per block.
    progress_span : (float, float)
        The part of the whole run this loop covers, for multi-pass algorithms.

    Yields
    ------
    (yoff, nrows, arrays)
        ``arrays`` holds one (nrows, xsize) array per band, in the band's type.
    """
    monitor = monitor or Monitor()
    rows = block_height(grid, bands, block_pixels)
    start, end = progress_span
    for yoff, nrows in iter_windows(grid.ysize, rows):
        monitor.check()
        arrays = [b.ReadAsArray(0, yoff, grid.xsize, nrows) for b in bands]
        yield yoff, nrows, arrays
        _drop_cached_tiles(bands, yoff + nrows, grid.ysize)
        monitor.report(start + (end - start) * (yoff + nrows) / grid.ysize)


def iter_blocks_with_halo(
    bands: Sequence[gdal.Band],
    grid: Grid,
    halo: int,
    monitor: Monitor | None = None,
    block_pixels: int = DEFAULT_BLOCK_PIXELS,
) -> Iterator[tuple[int, int, list[np.ndarray], int]]:
    """Like :func:`iter_blocks`, with ``halo`` extra rows above and below each strip (fewer at the edges).

    Yields (yoff, nrows, arrays, top): the strip's own rows are ``arrays[k][top:top + nrows]``.
    For moving windows, which need their neighbours' rows.
    """
    monitor = monitor or Monitor()
    rows = block_height(grid, bands, block_pixels)
    for yoff, nrows in iter_windows(grid.ysize, rows):
        monitor.check()
        start, end = max(0, yoff - halo), min(grid.ysize, yoff + nrows + halo)
        yield yoff, nrows, [b.ReadAsArray(0, start, grid.xsize, end - start) for b in bands], yoff - start
        _drop_cached_tiles(bands, end, grid.ysize)
        monitor.report((yoff + nrows) / grid.ysize)


#: Above this much in GDAL's block cache, a finished strip's tiles are dropped from it.
CACHE_KEEP_BYTES = 64 << 20


def _drop_cached_tiles(bands, read_to, ysize):
    """Free the decoded tiles read so far from GDAL's block cache once it holds more than CACHE_KEEP_BYTES.

    Strips are read once, in order; with GDAL's default cache (5 % of RAM) every tile read would
    otherwise stay until the cache is full, so memory would grow with the raster. Only when the
    reading has reached the end of a block row (``read_to``), so that no tile the next strip needs
    is decoded twice. Below the threshold the cache recycles its own blocks, which fragments the
    heap less than freeing them.
    """
    if read_to % natural_height(bands) and read_to < ysize:
        return
    if gdal.GetCacheUsed() > CACHE_KEEP_BYTES:
        for band in bands:
            band.FlushCache()


def band_range(path: str | os.PathLike, band: int = 1) -> tuple[float, float] | None:
    """(min, max) of a written raster band, approximate (GDAL may sample it); None when it has no valid pixel."""
    dataset = open_raster(path)
    try:
        return tuple(float(v) for v in dataset.GetRasterBand(band).ComputeRasterMinMax(True))
    except RuntimeError:  # GDAL: every pixel is nodata
        return None
    finally:
        dataset = None


def pixel_window(grid: Grid, xmin: float, ymin: float, xmax: float, ymax: float) -> tuple[int, int, int, int] | None:
    """(xoff, yoff, xsize, ysize) of the pixels of a north-up ``grid`` that a map rectangle touches,
    clipped to the raster; None when it misses the raster."""
    gt = grid.geotransform
    if gt[2] != 0 or gt[4] != 0:
        raise ValueError("a rotated raster is not supported here; warp it north-up first")
    cols = sorted(((xmin - gt[0]) / gt[1], (xmax - gt[0]) / gt[1]))
    rows = sorted(((ymin - gt[3]) / gt[5], (ymax - gt[3]) / gt[5]))
    x0, y0 = max(0, math.floor(cols[0])), max(0, math.floor(rows[0]))
    x1, y1 = min(grid.xsize, math.ceil(cols[1])), min(grid.ysize, math.ceil(rows[1]))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def read_window(bands: Sequence[gdal.Band], window: tuple[int, int, int, int]) -> list[np.ndarray]:
    """One array per band of the pixel ``window`` (xoff, yoff, xsize, ysize)."""
    return [b.ReadAsArray(*window) for b in bands]


def cell_size_m(grid: Grid) -> tuple[float, float]:
    """(width, height) of a pixel in metres; ValueError for a geographic CRS (cells are not squares in metres)."""
    srs = _srs(grid.crs_wkt)
    if srs is None or srs.IsGeographic():
        raise ValueError(
            "cell sizes in metres need a projected CRS; warp the rasters to a projected CRS "
            "(e.g. the local UTM zone) first"
        )
    metres = srs.GetLinearUnits() or 1.0
    gt = grid.geotransform
    return math.hypot(gt[1], gt[4]) * metres, math.hypot(gt[2], gt[5]) * metres


# -------------------------------------------------------------------- output


def smallest_integer_type(values: Sequence[int]) -> tuple[int, type[np.integer]]:
    """(gdal type, numpy dtype) of the smallest integer type holding ``values``."""
    lo, hi = (min(values), max(values)) if values else (0, 0)
    for gdal_type, dtype in _INTEGER_OUTPUT_TYPES:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return gdal_type, dtype
    raise ValueError(f"values {lo}..{hi} do not fit a 32-bit integer raster")


def integer_type_with_nodata(values: Iterable[int]) -> tuple[int, type[np.integer], int]:
    """Smallest integer type holding ``values`` plus a nodata value not among them.

    The nodata value is 0 when 0 is not a value and all values are positive,
    else the type's maximum (or minimum), widening the type when needed.
    Returns (gdal type, numpy dtype, nodata).
    """
    values = sorted(set(int(v) for v in values))
    if not values or values[0] > 0:
        gdal_type, dtype = smallest_integer_type(values + [0])
        return gdal_type, dtype, 0
    for gdal_type, dtype in _INTEGER_OUTPUT_TYPES:
        info = np.iinfo(dtype)
        if values[0] < info.min or values[-1] > info.max:
            continue
        for candidate in (int(info.max), int(info.min)):
            if candidate not in values:
                return gdal_type, dtype, candidate
    raise ValueError("class values leave no room for a nodata value in a 32-bit integer raster")


#: Raster output formats MineLand writes, by extension: (GDAL driver, name shown to users).
#: Only drivers that write strip by strip into a tiled file with one band per statistic and
#: any of our pixel types (Byte to Int32, Float32), nodata, band names, colour table and RAT.
OUTPUT_FORMATS = {".tif": ("GTiff", "GeoTIFF"), ".tiff": ("GTiff", "GeoTIFF"), ".img": ("HFA", "Erdas Imagine")}

#: Why some extensions GDAL knows are not written (else the generic message).
_REFUSED_FORMATS = {
    ".vrt": "a VRT only points to other files, it holds no pixels",
    ".gpkg": "GeoPackage rasters hold one band of Byte, Int16, UInt16 or Float32 tiles, not our multi-band "
    "and Int32 outputs",
}

#: Creation options per driver. GTiff: DEFLATE at level 1: every reader knows it, and on measured outputs
#: it was 3× faster than level 6 for a few % more bytes; the horizontal predictor helps integer classes
#: (added for them), on noisy float statistics the floating-point predictor made files larger. HFA:
#: 256-pixel tiles like the GeoTIFFs, uncompressed (its RLE compression cannot rewrite a tile that GDAL's
#: cache flushed half-written); above 2 GiB GDAL puts the pixels in a spill file (<name>.ige) beside it.
_CREATION_OPTIONS = {
    "GTiff": [
        "TILED=YES",
        "BLOCKXSIZE=256",
        "BLOCKYSIZE=256",
        "COMPRESS=DEFLATE",
        "ZLEVEL=1",
        "BIGTIFF=IF_SAFER",
        "NUM_THREADS=ALL_CPUS",
    ],
    "HFA": ["BLOCKSIZE=256"],
}


def supported_output_extensions() -> list[str]:
    """The raster output extensions, without dots, e.g. for the provider's file dialogs."""
    return [ext[1:] for ext in OUTPUT_FORMATS]


def output_driver(path: str | os.PathLike) -> str:
    """The GDAL driver writing a raster output, chosen by the extension of ``path`` (as QGIS's algorithms do).

    Raises
    ------
    ValueError
        For an extension MineLand does not write (none, .vrt, .gpkg, …), listing those it does.
    """
    extension = os.path.splitext(str(path))[1].lower()
    if extension in OUTPUT_FORMATS:
        return OUTPUT_FORMATS[extension][0]
    supported = ", ".join(f"{ext} ({name})" for ext, (_, name) in OUTPUT_FORMATS.items())
    what = f"'{extension}'" if extension else "a file name without extension"
    reason = f" ({_REFUSED_FORMATS[extension]})" if extension in _REFUSED_FORMATS else ""
    raise ValueError(f"{what} is not a raster format MineLand writes{reason}; name the output with one of {supported}")


def partial_folder(path: str | os.PathLike) -> str:
    """The folder beside ``path`` that holds it while it is written: ``<name>.partial-<pid>.tmp``.

    Named so that nobody takes what an interrupted run leaves for a result (it
    is no raster extension); per process, so that two runs never share one.
    """
    return f"{path}.partial-{os.getpid()}.tmp"


def dataset_files(path: str | os.PathLike) -> list[str]:
    """Every file GDAL reads for the dataset at ``path``, ``path`` first.

    Its sidecars (.aux.xml, .ovr, a shapefile's .dbf, …) as GDAL lists them
    (GetFileList), and for a VRT the files of its sources, recursively (VRTs of
    VRTs). A file GDAL cannot open is listed alone.
    """
    files, pending, seen = [], [str(path)], set()
    while pending:
        current = pending.pop(0)
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        files.append(current)
        if current != str(path) and not _is_vrt(current):
            continue  # a VRT's source: its own sidecars come with its list only if it is a VRT itself
        try:
            dataset = gdal.OpenEx(current, gdal.OF_RASTER | gdal.OF_VECTOR | gdal.OF_READONLY)
        except RuntimeError:
            continue
        if dataset is not None:
            pending.extend(str(f) for f in dataset.GetFileList() or [])
        dataset = None
    return files


def _is_vrt(path):
    try:
        driver = gdal.IdentifyDriver(path)
    except RuntimeError:
        return False
    return driver is not None and driver.ShortName == "VRT"


class BlockWriter:
    """Write a raster strip by strip into a tiled file whose format follows the extension (:func:`output_driver`).

    The file is written in :func:`partial_folder` under its own name (so that
    every file a driver makes, e.g. an Erdas spill file, keeps its name) and
    moved to ``path`` by :meth:`close`; :meth:`abort` removes the folder. Use
    as a context manager: leaving the block with an exception aborts.
    """

    TILE = 256

    def __init__(
        self, path: str | os.PathLike, grid: Grid, gdal_type: int, nodata: int | float | None = None, bands: int = 1
    ) -> None:
        self.path = str(path)
        self.driver = output_driver(self.path)
        self.tmp_dir = partial_folder(self.path)
        self.tmp_path = os.path.join(self.tmp_dir, os.path.basename(self.path))
        options = list(_CREATION_OPTIONS[self.driver])
        if gdal_type in INTEGER_TYPES and self.driver == "GTiff":
            options.append("PREDICTOR=2")
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        os.mkdir(self.tmp_dir)
        try:
            self.ds = gdal.GetDriverByName(self.driver).Create(
                self.tmp_path, grid.xsize, grid.ysize, bands, gdal_type, options
            )
        except RuntimeError:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            raise
        self.ds.SetGeoTransform(grid.geotransform)
        if grid.crs_wkt:
            self.ds.SetProjection(grid.crs_wkt)
        for i in range(1, bands + 1):
            if nodata is not None:
                self.ds.GetRasterBand(i).SetNoDataValue(nodata)
        self.rows_written = [0] * bands  # rows of each band written so far (strips come top-down)

    def band(self, index: int = 1) -> gdal.Band:
        return self.ds.GetRasterBand(index)

    def write(self, yoff: int, array: np.ndarray, band: int = 1) -> None:
        self.ds.GetRasterBand(band).WriteArray(array, 0, yoff)
        # Hand finished tiles to the file when GDAL's cache grows (else they stay cached up to 5 % of
        # RAM): once every band has reached the same whole tile row, as strips written band after
        # band do. A partial tile flushed and rewritten later would waste file space.
        self.rows_written[band - 1] = yoff + array.shape[0]
        done = self.rows_written[0]
        if (
            done % self.TILE == 0
            and all(rows == done for rows in self.rows_written)
            and gdal.GetCacheUsed() > CACHE_KEEP_BYTES
        ):
            self.ds.FlushCache()

    def set_band_names(self, names: Iterable[object]) -> None:
        for index, name in enumerate(names, start=1):
            self.ds.GetRasterBand(index).SetDescription(str(name))

    def close(self) -> str:
        """Finish the file and move it (with the files its driver made beside it) to its final name.

        The files of an earlier raster of that name (its .aux.xml, .ovr, spill
        file, and the style sidecar .qml) are removed first: they described the
        old raster. Returns the path.
        """
        self.ds.FlushCache()
        self.ds = None
        folder = os.path.dirname(self.path)
        for old in _raster_files(self.path) + [os.path.splitext(self.path)[0] + ".qml"]:
            _remove_quietly(old)
        for name in os.listdir(self.tmp_dir):
            os.replace(os.path.join(self.tmp_dir, name), os.path.join(folder, name))
        os.rmdir(self.tmp_dir)
        return self.path

    def abort(self) -> None:
        self.ds = None
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def _raster_files(path):
    """The files of the raster at ``path`` (itself and its sidecars); [path] when it is no raster GDAL opens."""
    files = [path, path + ".aux.xml", path + ".ovr"]
    if path.lower().endswith(".img"):  # Erdas spill file and overviews
        files += [os.path.splitext(path)[0] + ext for ext in (".ige", ".rrd")]
    if not os.path.exists(path):
        return files
    try:
        listed = gdal.Open(path).GetFileList() or []
    except RuntimeError:
        return files
    # Only its own sidecars (x.tif.ovr, x.ige): never the sources of a VRT someone named x.tif.
    stem = os.path.splitext(os.path.basename(path))[0] + "."
    return files + [
        f
        for f in listed
        if os.path.dirname(os.path.abspath(f)) == os.path.dirname(os.path.abspath(path))
        and os.path.basename(f).startswith(stem)
    ]


def _remove_quietly(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# --------------------------------------------------------------- class names


def write_class_names(band: gdal.Band, names: Mapping[int, str]) -> None:
    """Store {code: name} as a raster attribute table (Value, Class_Name)."""
    if not names:
        return
    rat = gdal.RasterAttributeTable()
    rat.CreateColumn("Value", gdal.GFT_Integer, gdal.GFU_MinMax)
    rat.CreateColumn("Class_Name", gdal.GFT_String, gdal.GFU_Name)
    for row, code in enumerate(sorted(names)):
        rat.SetValueAsInt(row, 0, int(code))
        rat.SetValueAsString(row, 1, str(names[code]))
    band.SetDefaultRAT(rat)


def write_colour_table(band: gdal.Band, colours: Mapping[int, str]) -> None:
    """Set a colour table from {value: '#rrggbb'} (Byte and UInt16 bands)."""
    table = gdal.ColorTable()
    for value, colour in colours.items():
        table.SetColorEntry(int(value), tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) + (255,))
    band.SetRasterColorTable(table)


def mark_as_classes(band: gdal.Band) -> None:
    """Declare the band's values class codes (colour interpretation palette index), so that QGIS titles its
    legend "(Palette)" rather than "(Gray)" when the band has class names but no colour table (Int32)."""
    band.SetColorInterpretation(gdal.GCI_PaletteIndex)


def read_colour_table(band: gdal.Band, codes: Iterable[int]) -> dict[int, str]:
    """{code: '#rrggbb'} of the band's colour table for ``codes`` it covers (empty without a table)."""
    table = band.GetRasterColorTable()
    if table is None:
        return {}
    return {
        int(c): "#{:02x}{:02x}{:02x}".format(*table.GetColorEntry(int(c))[:3])
        for c in codes
        if 0 <= int(c) < table.GetCount()
    }


def read_class_names(band: gdal.Band) -> dict[int, str]:
    """{code: name} from the band's attribute table or category names; {} if none."""
    names = {}
    rat = band.GetDefaultRAT()
    if rat is not None and rat.GetRowCount() > 0:
        value_col = name_col = None
        for col in range(rat.GetColumnCount()):
            usage = rat.GetUsageOfCol(col)
            if usage in (gdal.GFU_MinMax, gdal.GFU_Min) and value_col is None:
                value_col = col
            elif usage == gdal.GFU_Name and name_col is None:
                name_col = col
        if value_col is not None and name_col is not None:
            for row in range(rat.GetRowCount()):
                names[int(rat.GetValueAsInt(row, value_col))] = rat.GetValueAsString(row, name_col)
            return names
    for code, name in enumerate(band.GetCategoryNames() or []):
        if name:
            names[code] = name
    return names
