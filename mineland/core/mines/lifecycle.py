"""Life-cycle stages of a mine from an annual series (production, or mined/disturbed area), after seed 003
(§ "Life cycle stage of coal mine", Table 2), which describes the stages in words only:

initial      planning and construction: the scale is still small;
accelerated  put into production and reaching it: output grows fast;
stable       output at its peak and stable — early (still rising slowly, e.g. Yuanbaoshan, Jungar in
             2022) or late (at the peak and flat, e.g. Huolinhe, Yimin, Pingshuo);
decline      output falls towards closure.

We turn these words into rules on the smoothed series s (centred moving average of
``window`` years; the series may have gaps):

g_t = (s_t − s_prev) / (s_prev · Δyears)  annual growth rate (+inf from 0 to > 0; NaN for the first year)
P_t = max(s_1 … s_t)                      the running peak;  M = max over the whole series
1 initial       s_t < initial_share · M, before s first reaches initial_share · M
5 decline       s_t < decline_share · P_t (fallen below a share of the running peak)
2 accelerated   g_t ≥ fast_growth
3 stable, early slow_growth < g_t < fast_growth
4 stable, late  otherwise (g_t ≤ slow_growth, or unknown for the first year)
checked in this order.
"""

from dataclasses import dataclass

import numpy as np

STAGE_NAMES = {1: "Initial", 2: "Accelerated", 3: "Stable (early)", 4: "Stable (late)", 5: "Decline"}


@dataclass
class LifeCycle:
    """Per year (arrays in year order): smoothed value, growth rate (fraction per year),
    share of the running peak, and stage code (STAGE_NAMES)."""

    years: np.ndarray
    values: np.ndarray
    smoothed: np.ndarray
    growth: np.ndarray
    peak_share: np.ndarray
    stages: np.ndarray

    @property
    def current_stage(self):
        return int(self.stages[-1])


def life_cycle(years, values, window=3, initial_share=0.2, decline_share=0.8, fast_growth=0.10, slow_growth=0.02):
    """Stage of every year of one mine's series (see the module's rules).

    Raises
    ------
    ValueError
        No value, a negative value, repeated years, or inconsistent thresholds.
    """
    years = np.asarray(years, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(values)
    years, values = years[keep], values[keep]
    order = np.argsort(years, kind="stable")
    years, values = years[order], values[order]
    check_settings(window, initial_share, decline_share, fast_growth, slow_growth)
    if values.size == 0:
        raise ValueError("the series has no value")
    if np.any(values < 0):
        raise ValueError("the series has negative values; give production or area (≥ 0)")
    if np.any(np.diff(years) == 0):
        raise ValueError(f"year {int(years[np.nonzero(np.diff(years) == 0)[0][0]])} appears twice in the series")
    smoothed = moving_average(years, values, window)
    growth = growth_rates(years, smoothed)
    peak = np.maximum.accumulate(smoothed)
    with np.errstate(invalid="ignore", divide="ignore"):
        peak_share = np.where(peak > 0, smoothed / peak, np.nan)
    reached = np.cumsum(smoothed >= initial_share * smoothed.max()) > 0
    stage = np.full(values.size, 4)
    stage[growth > slow_growth] = 3
    stage[growth >= fast_growth] = 2
    stage[smoothed < decline_share * peak] = 5
    stage[~reached] = 1
    return LifeCycle(years, values, smoothed, growth, peak_share, stage)


def check_settings(window, initial_share, decline_share, fast_growth, slow_growth):
    """ValueError unless window ≥ 1, 0 ≤ initial share < 1, 0 < decline share ≤ 1 and slow < fast growth."""
    if window < 1:
        raise ValueError("the smoothing window is at least 1 year")
    if not (0 <= initial_share < 1 and 0 < decline_share <= 1 and slow_growth < fast_growth):
        raise ValueError(
            "thresholds must satisfy 0 ≤ INITIAL_SHARE < 1, 0 < DECLINE_SHARE ≤ 1 and SLOW_GROWTH < FAST_GROWTH"
        )


def moving_average(years, values, window):
    """Centred moving average over the values whose years lie within ±(window − 1)/2 of each year."""
    half = (window - 1) / 2.0
    near = np.abs(years[:, None] - years[None, :]) <= half
    return (near * values[None, :]).sum(axis=1) / near.sum(axis=1)


def growth_rates(years, smoothed):
    """(s_t − s_prev) / (s_prev · Δyears); +inf from 0 to a positive value, 0 from 0 to 0, NaN for the first."""
    growth = np.full(smoothed.size, np.nan)
    previous, change = smoothed[:-1], np.diff(smoothed) / np.diff(years)
    with np.errstate(invalid="ignore", divide="ignore"):
        growth[1:] = np.where(previous > 0, change / previous, np.where(change > 0, np.inf, 0.0))
    return growth


SUCCESSION_NAMES = {1: "terrestrial → terrestrial", 2: "terrestrial → aquatic", 3: "amphibious"}


def succession_type(water_start_pct, water_end_pct, gain_pct=10.0, aquatic_pct=50.0):
    """Seed 003's ecosystem succession type of a mine from its water share (%) at two dates.

    The paper names three types (terrestrial → new terrestrial, terrestrial → aquatic, amphibious
    symbiotic) without numbers; our rule: a water gain below ``gain_pct`` percentage points is
    terrestrial → terrestrial (1); otherwise a water share of at least ``aquatic_pct`` at the end is
    terrestrial → aquatic (2), and less is amphibious (3).
    """
    if gain_pct < 0 or not 0 < aquatic_pct <= 100:
        raise ValueError("the water gain must be ≥ 0 points and the aquatic share in (0, 100] %")
    if water_end_pct - water_start_pct < gain_pct:
        return 1
    return 2 if water_end_pct >= aquatic_pct else 3
