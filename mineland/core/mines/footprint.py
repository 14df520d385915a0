"""Affected area scaled by production, as seed 003 estimates China's open-pit coal footprint:
five surveyed mines affect 1,679.60 km² for 142 Mt of coal a year; scaled to the
country's 1.06 billion t that is about 12,502 km² (the printed figure implies 142.4 Mt).

ratio      = Σ A_i / Σ Q_i              area per unit production (pooled over the surveyed mines)
estimate   = ratio · Q_total
spread     = min_i and max_i of (A_i / Q_i) · Q_total, and a bootstrap percentile interval of
             the pooled ratio (mines resampled with replacement) times Q_total
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class ScaledArea:
    """Area per unit production and the scaled estimate, in the units of the inputs."""

    ratio: float  # Σ A / Σ Q (e.g. km² per Mt)
    estimate: float  # ratio · Q_total
    low: float  # min over mines of A_i / Q_i · Q_total
    high: float  # max over mines
    boot_low: float  # bootstrap percentile interval of the estimate (NaN with one mine)
    boot_high: float
    mine_ratios: np.ndarray  # A_i / Q_i


def scale_area(areas, productions, total_production, confidence=0.95, replicates=9999, seed=0):
    """Seed 003's scaling of the surveyed mines' affected area to a total production.

    Parameters
    ----------
    areas : array of affected areas A_i (e.g. km²), ≥ 0
    productions : array of productions Q_i (e.g. Mt/yr), > 0
    total_production : Q_total, > 0, in the unit of ``productions``
    confidence : width of the bootstrap interval (0 < confidence < 1)
    replicates, seed : bootstrap resamples and the seed of the generator

    Raises
    ------
    ValueError
        No mine, a negative area, a production ≤ 0, a total ≤ 0.
    """
    areas = np.asarray(areas, dtype=np.float64)
    productions = np.asarray(productions, dtype=np.float64)
    if areas.size == 0 or areas.shape != productions.shape:
        raise ValueError("give at least one surveyed mine with an area and a production")
    if not (np.all(np.isfinite(areas)) and np.all(areas >= 0)):
        raise ValueError("affected areas must be numbers ≥ 0")
    if not (np.all(np.isfinite(productions)) and np.all(productions > 0)):
        raise ValueError("productions must be > 0: a mine without production has no area per unit production")
    if not (np.isfinite(total_production) and total_production > 0):
        raise ValueError("the total production must be > 0")
    if not 0 < confidence < 1:
        raise ValueError("the confidence must lie between 0 and 1")
    ratio = areas.sum() / productions.sum()
    mine_ratios = areas / productions
    boot_low = boot_high = np.nan
    if areas.size > 1:
        picks = np.random.default_rng(seed).integers(0, areas.size, size=(replicates, areas.size))
        boot = areas[picks].sum(axis=1) / productions[picks].sum(axis=1) * total_production
        tail = (1 - confidence) / 2 * 100
        boot_low, boot_high = np.percentile(boot, [tail, 100 - tail])
    return ScaledArea(
        ratio,
        ratio * total_production,
        mine_ratios.min() * total_production,
        mine_ratios.max() * total_production,
        float(boot_low),
        float(boot_high),
        mine_ratios,
    )
