"""Ecosystem resilience of seed 003 ("elastic modulus" measurement model; METHODS.md §5).

H = −Σ P_i log₂ P_i                     landscape diversity of the class shares P_i
ECO_res = H · Σ P_i S_i                 resilience limit, S_i the resilience score of class i
σ = H · NDVI / (C1 · C2)                eq. (4), C1, C2 the annual precipitation and temperature change rates
E = σ · μ · ECO_res                     eq. (3)

The paper calls σ "the acceptable load coefficient (generally 0.08)" and μ
"the strength coefficient" but defines σ by eq. (4); we follow the equations:
σ is computed by eq. (4) and μ is the user's coefficient (default 0.08, the
paper's typical value). E only depends on the product σ·μ, so reading the
labels the other way round gives the same E.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..io.tables import list_items


@dataclass
class Resilience:
    """Per zone (arrays): diversity H (bits), ECO_res, σ and E."""

    h: np.ndarray
    eco_res: np.ndarray
    sigma: np.ndarray
    e: np.ndarray


def shannon_log2(shares):
    """H = −Σ P_i log₂ P_i over the columns of ``shares`` (rows sum to 1; zero shares add nothing)."""
    p = np.asarray(shares, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p), 0.0)
    return terms.sum(axis=-1)


def class_shares(areas):
    """Row-normalised class areas; rows without area are NaN."""
    areas = np.asarray(areas, dtype=np.float64)
    total = areas.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, areas / total, np.nan)


def resilience(shares, scores, ndvi, c1, c2, mu=0.08):
    """Seed 003's H, ECO_res, σ and E per zone.

    Parameters
    ----------
    shares : array (zones, classes) of class area shares P_i
    scores : array (classes,) of resilience scores S_i
    ndvi : array (zones,) mean NDVI of each zone
    c1, c2 : float or array (zones,), annual precipitation and temperature change rates (not 0)
    mu : float, the strength coefficient

    Raises
    ------
    ValueError
        When C1 or C2 is 0 (σ divides by them).
    """
    c1 = np.asarray(c1, dtype=np.float64)
    c2 = np.asarray(c2, dtype=np.float64)
    if np.any(c1 == 0) or np.any(c2 == 0):
        raise ValueError("C1 and C2 must not be 0: σ = H · NDVI / (C1 · C2) divides by them")
    shares = np.asarray(shares, dtype=np.float64)
    h = shannon_log2(shares)
    eco_res = h * (shares * np.asarray(scores, dtype=np.float64)).sum(axis=-1)
    sigma = h * np.asarray(ndvi, dtype=np.float64) / (c1 * c2)
    return Resilience(h, eco_res, sigma, sigma * mu * eco_res)


def parse_scores(text):
    """{class code: score} from 'code=score' pairs separated by commas or semicolons (e.g. '1=0.6, 2=0.9')."""
    scores = {}
    for part in list_items(text):
        code, _, value = part.partition("=")
        try:
            scores[int(code)] = float(value)
        except ValueError:
            raise ValueError(f"'{part.strip()}' is not code=score (e.g. 2=0.9)") from None
    if not scores:
        raise ValueError("give a resilience score per class as code=score pairs, e.g. 1=0.5, 2=0.9")
    return scores


class ZoneAccumulator:
    """Class areas and the NDVI sum per zone over blocks (zone index 0 = outside every zone)."""

    def __init__(self, zones, codes):
        self.codes = np.asarray(sorted(codes))
        self.areas = np.zeros((zones + 1, self.codes.size))
        self.ndvi_sum = np.zeros(zones + 1)
        self.ndvi_area = np.zeros(zones + 1)
        self.unknown = set()

    def add(self, ids, classes, class_valid, ndvi, ndvi_valid, pixel_area):
        """One block: zone index, class codes and NDVI per pixel (flat arrays), pixel areas (m²)."""
        ids = ids.astype(np.intp)
        inside = ids > 0
        known = np.isin(classes, self.codes)
        stray = inside & class_valid & ~known
        if stray.any():
            self.unknown.update(np.unique(classes[stray]).tolist())
        use = inside & class_valid & known
        column = np.searchsorted(self.codes, classes[use])
        size = self.areas.size
        self.areas += np.bincount(ids[use] * self.codes.size + column, pixel_area[use], minlength=size).reshape(
            self.areas.shape
        )
        if np.any(ndvi_valid & inside & ((ndvi < -1) | (ndvi > 1))):
            raise ValueError(
                "NDVI values outside [−1, 1]: give NDVI as a ratio (a scaled product must be "
                "divided by its scale factor first)"
            )
        good = inside & ndvi_valid
        self.ndvi_sum += np.bincount(ids[good], ndvi[good] * pixel_area[good], minlength=self.ndvi_sum.size)
        self.ndvi_area += np.bincount(ids[good], pixel_area[good], minlength=self.ndvi_area.size)

    def ndvi_mean(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.ndvi_area > 0, self.ndvi_sum / self.ndvi_area, np.nan)[1:]


def ndvi_from_bands(red, nir):
    """NDVI = (NIR − Red)/(NIR + Red), NaN where NIR + Red = 0."""
    red = np.asarray(red, dtype=np.float64)
    nir = np.asarray(nir, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(nir + red != 0, (nir - red) / (nir + red), np.nan)


def window_resilience(classes, class_valid, ndvi, ndvi_valid, codes, scores, c1, c2, mu, size):
    """H, ECO_res, σ and E in a size × size moving window around every pixel (arrays of the block's shape).

    Parameters
    ----------
    classes, class_valid : 2-D arrays of class codes and their validity
    ndvi, ndvi_valid : 2-D arrays of NDVI and its validity
    codes, scores : class codes and their resilience scores S_i
    c1, c2 : float (not 0), or 2-D arrays of the block's shape with NaN where a pixel has no value
    mu : float, the strength coefficient
    size : int, the window's side in pixels (odd)

    Shares P_i are over the window's valid class pixels, NDVI is the window's
    mean of valid NDVI and a C1 or C2 array is replaced by the window's mean of
    its valid pixels (windows are cut at the raster's edges). H, ECO_res, σ and
    E are NaN where the window has no valid class or NDVI pixel; σ and E alone
    are NaN where the window's mean C1 or mean C2 is 0 or has no valid pixel.
    """
    valid_count = _box_mean(class_valid, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.stack([_box_mean(class_valid & (classes == c), size) / valid_count for c in codes], axis=-1)
    shares = np.clip(np.nan_to_num(shares, nan=0.0), 0.0, 1.0)  # uniform_filter leaves ~1e-17 noise
    ndvi_mean = _window_mean(ndvi, ndvi_valid, size)
    rates = [_window_rate(c, size) for c in (c1, c2)]
    no_rate = ~(np.abs(rates[0] * rates[1]) > 0)  # 0 or NaN
    if np.ndim(no_rate):  # rasters: σ and E are left out where a window has no usable rate
        rates = [np.where(no_rate, 1.0, r) for r in rates]
    result = resilience(shares, scores, ndvi_mean, rates[0], rates[1], mu)
    empty = ~(valid_count > 1e-12) | np.isnan(ndvi_mean)
    for values in (result.h, result.eco_res, result.sigma, result.e):
        values[empty] = np.nan
    if np.ndim(no_rate):
        result.sigma[no_rate] = np.nan
        result.e[no_rate] = np.nan
    return result


def _box_mean(values, size):
    """The size × size box average of ``values`` (the outside of the raster counts as 0)."""
    return ndimage.uniform_filter(np.asarray(values, dtype=np.float64), size, mode="constant")


def _window_mean(values, valid, size):
    """The window's mean of the valid values; NaN where the window has none."""
    count = _box_mean(valid, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 1e-12, _box_mean(np.where(valid, values, 0.0), size) / count, np.nan)


def _window_rate(rate, size):
    """A number as is; an array (NaN = no value) as the window's mean of its valid pixels.

    0 where the window has no non-zero valid pixel, set explicitly: the running
    sums' rounding (~1e-17) must not turn an all-zero window into a huge σ.
    """
    if np.ndim(rate) == 0:
        return float(rate)
    valid = np.isfinite(rate)
    mean = _window_mean(rate, valid, size)
    mean[_box_mean(valid & (rate != 0), size) <= 1e-12] = 0.0
    return mean
