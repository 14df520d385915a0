"""Ecosystem comprehensive integrity and ecological-threshold stages of seed 003 (eq. 6–8; METHODS.md §5).

SC  = Σ w_k · norm(metric_k)   over SHEI, MPFD, CONTAG, CONNECT (structural integrity)
FC  = w_npp · norm(NPP) + w_q · norm(Q),  Q = P − ET − R (functional integrity; eq. 6, mm)
ECI = w_sc · SC + w_fc · FC + w_e · norm(E)                   (eq. 7)
ThV = ECI_j / ECI_baseline                                    (eq. 8)

Stages by the ThV levels a > b > c of the elastic, yield and mutation points:
ThV ≥ a encryption, b ≤ ThV < a resilience, c ≤ ThV < b yield, ThV < c mutation.
The paper gives neither weights nor a, b, c ("closely related to the scale of
mining operations … verification requires multiple case studies"): they are
the analyst's parameters.
"""

import numpy as np

STAGE_NAMES = {0: "Undefined", 1: "Encryption", 2: "Resilience", 3: "Yield", 4: "Mutation"}
POINT_NAMES = ("elastic point", "yield point", "mutation point")
NORMALISATIONS = ("minmax", "max")


def normalise(values, method="minmax"):
    """Scale values to [0, 1] over all their finite entries (every zone and date together).

    ``minmax``: (x − min)/(max − min); ``max``: x / max (for positive terms; keeps
    ratios, so ThV is not pulled to 0 by the smallest value). A term with no
    spread (max = min) is 1 everywhere: it does not separate zones or dates.
    NaN stays NaN.
    """
    if method not in NORMALISATIONS:
        raise ValueError(f"normalisation is one of {', '.join(NORMALISATIONS)}, not {method!r}")
    x = np.asarray(values, dtype=np.float64)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return x.copy()
    low, high = float(finite.min()), float(finite.max())
    if method == "max":
        if low < 0 or high <= 0:
            raise ValueError("x / max normalisation needs values ≥ 0 with a positive maximum; use min-max")
        return x / high
    if high == low:
        return np.where(np.isfinite(x), 1.0, np.nan)
    return (x - low) / (high - low)


def normalised_weights(weights):
    """Weights divided by their sum, and whether that changed them (weights ≥ 0, sum > 0)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0 or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be numbers ≥ 0 with a positive sum")
    total = w.sum()
    return w / total, not np.isclose(total, 1.0, rtol=0, atol=1e-9)


def weighted_sum(terms, weights):
    """Σ w_k · terms[k] over the terms (arrays of one shape) with weights already summing to 1."""
    return np.tensordot(np.asarray(weights, dtype=np.float64), np.asarray(terms, dtype=np.float64), axes=1)


def threshold_ratio(eci, baseline):
    """ThV = ECI_j / ECI_baseline along the last axis (dates); NaN where ECI_baseline ≤ 0 or missing."""
    eci = np.asarray(eci, dtype=np.float64)
    base = eci[..., baseline:baseline + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base > 0, eci / base, np.nan)


def check_levels(a, b, c):
    """The ThV levels of the elastic, yield and mutation points must decrease: a > b > c."""
    if not a > b > c:
        raise ValueError(f"the ThV levels must decrease: elastic a > yield b > mutation c, got {a:g}, {b:g}, {c:g}")


def stages(thv, a, b, c):
    """Stage codes 1 encryption, 2 resilience, 3 yield, 4 mutation (0 where ThV is NaN).

    ThV is rounded to 9 decimals first, so that a ratio such as 0.72 / 0.8 that
    floating point makes 0.8999999999999999 counts as 0.9.
    """
    check_levels(a, b, c)
    thv = np.round(np.asarray(thv, dtype=np.float64), 9)
    code = 1 + (thv < a).astype(np.int64) + (thv < b) + (thv < c)
    return np.where(np.isfinite(thv), code, 0)


def crossing_year(years, thv, level):
    """First time ThV falls below ``level``, linearly interpolated between the two dates around it.

    None when it never does; the first date when ThV is already below the level
    there. Dates with NaN ThV are skipped.
    """
    years = np.asarray(years, dtype=np.float64)
    thv = np.asarray(thv, dtype=np.float64)
    keep = np.isfinite(thv)
    years, thv = years[keep], thv[keep]
    below = np.nonzero(thv < level)[0]
    if below.size == 0:
        return None
    j = int(below[0])
    if j == 0:
        return float(years[0])
    fraction = (thv[j - 1] - level) / (thv[j - 1] - thv[j])
    return float(years[j - 1] + fraction * (years[j] - years[j - 1]))
