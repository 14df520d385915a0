"""Size statistics of mining patches (seed 002 §3: 12,680 patches, geometric mean 0.024 km²,
47.9 % of patches under 0.024 km²; METHODS.md §2 "Patch statistics").

Patch areas are log-normal, so the geometric mean exp(mean(ln A)) is the
typical patch; the arithmetic mean is dominated by a few huge pits.
"""

from dataclasses import dataclass

import numpy as np

from ..io.tables import parse_list

#: Seed 002's size classes (km²).
DEFAULT_THRESHOLDS_KM2 = (0.024, 0.1, 0.2, 1.0, 10.0, 50.0, 100.0, 1000.0)

#: Below this isoperimetric ratio 4πA/P² a polygon has zero area (see :func:`zero_area`).
ZERO_AREA_RATIO = 1e-6


def zero_area(areas, perimeters):
    """True where a polygon of area A and perimeter P (any consistent units) has no area: 4πA/P² < 10⁻⁶.

    The ratio is 1 for a circle and about π·w/L for a strip w wide and L long,
    so 10⁻⁶ is a strip under 0.3 mm wide over 1 km. A polygon whose vertices
    are collinear has A = 0 in its own CRS, but reprojected (or measured on
    the ellipsoid) it gets a rounding-noise area (4πA/P² ≈ 10⁻⁹ … 10⁻¹¹), which
    would otherwise count as a patch of a few cm² and drag the geometric
    mean down by orders of magnitude depending on the layer's CRS.
    A perimeter of 0 (a point) is zero area too.
    """
    areas = np.asarray(areas, dtype=np.float64)
    perimeters = np.asarray(perimeters, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = 4.0 * np.pi * areas / (perimeters * perimeters)
    return (areas <= 0) | ~(ratio >= ZERO_AREA_RATIO)


@dataclass
class PatchSummary:
    """Statistics of one group of patches (areas in km², perimeters in km).

    ``std_area_km2`` is the sample standard deviation (n − 1; NaN for one
    patch); ``geomean_area_km2`` = exp(mean(ln A)) over patches with A > 0.
    ``patches_below_pct[t]`` and ``area_below_pct[t]`` are the shares (%) of
    the patches, and of the total area, in patches smaller than threshold t.
    """

    group: object
    patches: int
    area_km2: float
    mean_area_km2: float
    geomean_area_km2: float
    std_area_km2: float
    min_area_km2: float
    max_area_km2: float
    perimeter_km: float
    mean_perimeter_km: float
    patches_below_pct: dict
    area_below_pct: dict


def parse_thresholds(text):
    """Thresholds (km²) from a comma/semicolon separated text: positive, returned sorted and unique."""
    values = sorted(
        set(parse_list(text, float, f"thresholds must be numbers in km² separated by commas, got '{text}'"))
    )
    if any(v <= 0 for v in values):
        raise ValueError("thresholds must be positive areas in km²")
    return values


def summarise(areas_km2, perimeters_km, thresholds_km2=DEFAULT_THRESHOLDS_KM2, group=None):
    """A :class:`PatchSummary` of one group; ValueError for an empty group or negative areas."""
    areas = np.asarray(areas_km2, dtype=np.float64)
    perimeters = np.asarray(perimeters_km, dtype=np.float64)
    if areas.size == 0:
        raise ValueError("no patches to summarise")
    if np.any(areas < 0) or not np.all(np.isfinite(areas)):
        raise ValueError("patch areas must be finite and ≥ 0")
    positive = areas[areas > 0]
    total = float(areas.sum())
    below = {t: areas < t for t in thresholds_km2}
    return PatchSummary(
        group=group,
        patches=int(areas.size),
        area_km2=total,
        mean_area_km2=float(areas.mean()),
        geomean_area_km2=float(np.exp(np.log(positive).mean())) if positive.size else float("nan"),
        std_area_km2=float(areas.std(ddof=1)) if areas.size > 1 else float("nan"),
        min_area_km2=float(areas.min()),
        max_area_km2=float(areas.max()),
        perimeter_km=float(perimeters.sum()),
        mean_perimeter_km=float(perimeters.mean()),
        patches_below_pct={t: float(mask.mean() * 100.0) for t, mask in below.items()},
        area_below_pct={
            t: float(areas[mask].sum() / total * 100.0) if total > 0 else float("nan") for t, mask in below.items()
        },
    )


def summarise_groups(areas_km2, perimeters_km, groups=None, thresholds_km2=DEFAULT_THRESHOLDS_KM2):
    """One summary per group (sorted by group, None last), then the overall one (group None)."""
    areas = np.asarray(areas_km2, dtype=np.float64)
    perimeters = np.asarray(perimeters_km, dtype=np.float64)
    summaries = []
    if groups is not None:
        keys = [None if g is None else str(g) for g in groups]
        for key in sorted({k for k in keys if k is not None}) + ([None] if None in keys else []):
            members = np.array([k == key for k in keys])
            summaries.append(
                summarise(areas[members], perimeters[members], thresholds_km2, "(no group)" if key is None else key)
            )
    summaries.append(summarise(areas, perimeters, thresholds_km2, None))
    return summaries


def threshold_label(threshold):
    """Field-name friendly label of a threshold: 0.024 → '0_024'."""
    return f"{threshold:g}".replace(".", "_").replace("-", "m")
