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

from dataclasses import dataclass, field

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
    base = eci[..., baseline : baseline + 1]
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


# ------------------------------------------------------------------------------------ the whole index

#: The three parts of ECI in the order of their weights (w_sc, w_fc, w_e).
PARTS = ("SC", "FC", "E")


class WeightsError(ValueError):
    """Weights that cannot be rescaled (negative, or summing to 0); ``part`` is 'SC', 'FC' or 'ECI'."""

    def __init__(self, part, message):
        super().__init__(message)
        self.part = part


class NormalisationError(ValueError):
    """A term that the chosen normalisation cannot scale (x / max of negative values)."""


@dataclass
class IntegrityResult:
    """ECI and its parts per zone (rows) and date (columns); None for a part whose inputs were not given.

    Attributes
    ----------
    sc, fc, e_norm : (zones, dates) structural and functional integrity and normalised resilience, in [0, 1]
    eci : (zones, dates) comprehensive integrity, in [0, 1]
    thv : (zones, dates) ThV = ECI / ECI_baseline (ratio); NaN where the baseline ECI is 0 or missing
    stage : (zones, dates) stage codes 0–4 (:data:`STAGE_NAMES`)
    absent : parts ('SC', 'FC', 'E') dropped from ECI, their inputs not given
    rescaled : {'SC' | 'FC' | 'ECI': sum of the given weights} where all terms were present and the
        weights did not sum to 1 (they were divided by their sum)
    """

    sc: object
    fc: object
    e_norm: object
    eci: np.ndarray
    thv: np.ndarray
    stage: np.ndarray
    absent: tuple = ()
    rescaled: dict = field(default_factory=dict)

    @property
    def undefined_thv(self):
        """Whether some ECI is known but its ThV is not (the baseline ECI is 0)."""
        return bool(np.any(np.isnan(self.thv) & np.isfinite(self.eci)))


def water_conservation(water=None, precipitation=None, evapotranspiration=None, runoff=None):
    """Water conservation Q (mm): ``water`` when given, else Q = P − ET − R (Dong et al. 2025, eq. 6).

    None when neither is given; ValueError when only some of P, ET and R are.
    """
    if water is not None:
        return water
    parts = (precipitation, evapotranspiration, runoff)
    if all(part is None for part in parts):
        return None
    if any(part is None for part in parts):
        raise ValueError("Q = P − ET − R needs all three of P, ET and R")
    return np.asarray(precipitation, dtype=np.float64) - evapotranspiration - runoff


def weighted_present(terms, weights, part):
    """Σ w_k · t_k over the terms that are given (not None), their weights divided by their sum.

    Returns (sum or None when no term is given, sum of the given weights if every term is given and they
    did not sum to 1, else None). WeightsError (with ``part``) for weights that cannot be rescaled.
    """
    present = [k for k, t in enumerate(terms) if t is not None]
    if not present:
        return None, None
    try:
        w, rescaled = normalised_weights([weights[k] for k in present])
    except ValueError as err:
        raise WeightsError(part, str(err)) from None
    total = float(sum(weights)) if rescaled and len(present) == len(terms) else None
    return weighted_sum([terms[k] for k in present], w), total


def integrity_index(
    structure,
    function,
    e,
    levels,
    baseline=0,
    weights=(0.34, 0.33, 0.33),
    structure_weights=(0.25, 0.25, 0.25, 0.25),
    function_weights=(0.5, 0.5),
    method="minmax",
):
    """Comprehensive integrity ECI, ThV and stages of Dong et al. (2025), eq. 6–8 and Fig. 8.

    SC  = Σ_k w_k · norm(metric_k)   (SHEI, MPFD, CONTAG %, CONNECT %)
    FC  = w_npp · norm(NPP) + w_q · norm(Q)
    ECI = w_sc · SC + w_fc · FC + w_e · norm(E)
    ThV = ECI_j / ECI_baseline, staged by the levels a > b > c (:func:`stages`)

    Every term is normalised over all zones and dates together (:func:`normalise`). A term or part that
    is None (not given) drops out and the weights of the others are divided by their sum.

    Parameters
    ----------
    structure : sequence of 4 arrays (zones, dates) or None
        SHEI and MPFD (unitless), CONTAG and CONNECT (%).
    function : sequence of 2 arrays (zones, dates) or None
        NPP (the raster's unit, e.g. gC/m²/yr) and water conservation Q (mm, :func:`water_conservation`).
    e : array (zones, dates) or None
        Resilience E = σ · μ · ECO_res (unitless).
    levels : (a, b, c)
        ThV levels of the elastic, yield and mutation points, a > b > c.
    baseline : int
        Column (date) whose ECI is the denominator of ThV.
    weights, structure_weights, function_weights : weights ≥ 0 of (SC, FC, E), of the four metrics, of (NPP, Q)
    method : 'minmax' or 'max'

    Returns
    -------
    IntegrityResult

    Raises
    ------
    NormalisationError, WeightsError (a ValueError), ValueError for levels that do not decrease.

    References
    ----------
    Dong et al. (2025), ecosystem comprehensive integrity of mining areas, eq. 6–8, Fig. 8.
    """
    check_levels(*levels)
    rescaled = {}

    def part(terms, part_weights, name):
        if terms is None:
            return None
        normalised = [None if t is None else _normalised(t, method) for t in terms]
        total, weight_sum = weighted_present(normalised, part_weights, name)
        if weight_sum is not None:
            rescaled[name] = weight_sum
        return total

    sc = part(structure, structure_weights, "SC")
    fc = part(function, function_weights, "FC")
    e_norm = None if e is None else _normalised(e, method)
    parts = [sc, fc, e_norm]
    eci, weight_sum = weighted_present(parts, weights, "ECI")
    if weight_sum is not None:
        rescaled["ECI"] = weight_sum
    thv = threshold_ratio(eci, baseline)
    return IntegrityResult(
        sc,
        fc,
        e_norm,
        eci,
        thv,
        stages(thv, *levels),
        tuple(name for name, p in zip(PARTS, parts) if p is None),
        rescaled,
    )


def _normalised(values, method):
    try:
        return normalise(values, method)
    except ValueError as err:
        raise NormalisationError(str(err)) from None
