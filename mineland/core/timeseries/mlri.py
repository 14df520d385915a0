"""Mine Landscape Restoration Index (seed 004 §2.3.2, eq. 1; METHODS.md §3).

MLRI_ij = (LST_max,j / EVI_min,j) / (LST_ij / EVI_ij)

LST_max,j and EVI_min,j are the largest LST and the smallest EVI of pixel j
over the years from the first year up to year i. LST must be in kelvin (a
ratio of temperatures needs an absolute scale); multiplicative scale factors
of either product cancel in the ratio. MLRI ≥ 1; higher = better restored.
"""

import numpy as np

#: LST below this (kelvin) is not a land surface temperature: the input is in °C or scaled with an offset.
MIN_PLAUSIBLE_KELVIN = 150.0


def mlri(lst_kelvin, evi):
    """MLRI series of a block.

    Parameters
    ----------
    lst_kelvin, evi : arrays (pixels, years), NaN = missing
        Annual LST (K) and EVI of the same years.

    Returns
    -------
    ndarray (pixels, years)
        NaN where LST or EVI is missing or EVI ≤ 0; such years do not enter
        the running LST maximum or EVI minimum either.

    Raises
    ------
    ValueError
        When a valid LST is below 150 K (Celsius data given as kelvin).
    """
    lst = np.asarray(lst_kelvin, dtype=np.float64)
    evi = np.asarray(evi, dtype=np.float64)
    if lst.shape != evi.shape:
        raise ValueError(f"LST {lst.shape} and EVI {evi.shape} blocks differ in shape")
    valid = np.isfinite(lst) & np.isfinite(evi) & (evi > 0)
    if np.any(lst[valid] < MIN_PLAUSIBLE_KELVIN):
        low = float(np.min(lst[valid]))
        raise ValueError(
            f"LST of {low:g} K is below {MIN_PLAUSIBLE_KELVIN:g} K: the LST rasters look like °C "
            "(or raw digital numbers with an offset); give kelvin or choose celsius"
        )
    lst = np.where(valid, lst, np.nan)
    evi = np.where(valid, evi, np.nan)
    # fmax/fmin ignore NaN, so missing years neither enter nor break the running extremes
    worst_lst = np.fmax.accumulate(lst, axis=1)
    worst_evi = np.fmin.accumulate(evi, axis=1)
    return (worst_lst / worst_evi) / (lst / evi)
