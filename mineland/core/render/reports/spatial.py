"""Report of mineland:moran: global Moran's I, the local clusters and outliers, the Moran scatter plot."""

import numpy as np

from ...spatial import spatial_weights
from .. import report


def moran_page(field, values, weights, glob, local, colours):
    """Global results, COType counts and the Moran scatter plot (z-score against its spatial lag).

    Parameters
    ----------
    field : name of the variable
    values : array (n,), the variable x
    weights : spatial_weights.SpatialWeights of the n features
    glob : autocorrelation.global_moran result (I, E[I], variances, z, p)
    local : autocorrelation.local_moran result (labels HH/LL/HL/LH/NS, alpha, fdr, permutations)
    colours : {COType: colour} of the map's legend; the scatter plot's points and legend in that order
    """
    z = (values - values.mean()) / values.std()
    lag = spatial_weights.row_standardise(weights).matrix @ z
    counts = {label: int(np.sum(local.labels == label)) for label in colours}
    return report.page(
        f"Moran's I of {field}",
        [
            report.table(
                ["statistic", "value"],
                [
                    ("n", glob.n),
                    ("Moran's I", glob.I),
                    ("E[I]", glob.EI),
                    ("Var(I) normality", glob.VI_norm),
                    ("Var(I) randomisation", glob.VI_rand),
                    ("z normality", glob.z_norm),
                    ("p normality", report.number(glob.p_norm, "p")),
                    ("z randomisation", glob.z_rand),
                    ("p randomisation", report.number(glob.p_rand, "p")),
                    (f"pseudo p ({glob.permutations} permutations)", report.number(glob.p_sim, "p")),
                ],
            ),
            report.heading(
                f"Local clusters and outliers (significant at {local.alpha:g}"
                f"{' after FDR correction' if local.fdr else ''}; {local.permutations} permutations)"
            ),
            report.table(
                ["COType", "features", "share (%)"], [(k, v, 100.0 * v / len(local.labels)) for k, v in counts.items()]
            ),
            report.heading("Moran scatter plot"),
            report.scatter_svg(
                z,
                lag,
                f"{field} (z-score)",
                "spatial lag of the z-score (row-standardised W)",
                [colours.get(str(label), "#ffffff") for label in local.labels],
                legend_items=[(f"{label} ({counts[label]})", colours[label]) for label in colours],
            ),
        ],
    )
