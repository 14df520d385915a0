"""mineland:hotspots — Getis-Ord Gi* hot and cold spots and General G of a field (Han et al. 2025)."""

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..core.spatial import autocorrelation
from . import neighbours, styling
from .base import MineLandAlgorithm
from .checks import fail, parameter_errors
from .spatial_output import write_features

HELP = """Getis-Ord Gi* hot and cold spots and the General G of a numeric field, as ArcGIS's Hot Spot Analysis and High/Low Clustering, and as Han et al. (2025) §2.3 map mining density. Agrees with PySAL esda (G, G_Local star=True) — esda is not needed.

<b>Gi*</b> (each feature counted among its own neighbours): z_i = (Σ_j w_ij x_j − x̄ Σ_j w_ij) / (S √((n Σ_j w_ij² − (Σ_j w_ij)²)/(n − 1))), x̄ and S the mean and population standard deviation of all n values, two-sided p. Gi_Bin: ±3, ±2, ±1 for hot (+) or cold (−) spots significant at 99, 95, 90 % confidence, 0 otherwise; with FDR the Benjamini-Hochberg false discovery rate correction decides significance at each level, as ArcGIS's FDR option. Islands get NULL z and p and bin 0. HOT_SPOTS and COLD_SPOTS count the features significant at ALPHA (with FDR if asked) with z > 0 and z &lt; 0.
<b>Permutations</b> (PERMUTATIONS > 0; 0, the default, is the analytical test only, as ArcGIS): conditional permutation as esda.G_Local and GeoDa — feature i keeps its value, its neighbours' values are drawn at random from the other features, PERMUTATIONS times with the random SEED. The output then also has GiPseudoP, the pseudo p-value (number of permuted Gi* at least as extreme as the observed one, in the tail it falls in, + 1)/(PERMUTATIONS + 1), and GiZSim, the z of Gi* against the permuted values; Gi_Bin, HOT_SPOTS and COLD_SPOTS are then decided by GiPseudoP (hot or cold by the sign of GiZSim), as GeoDa's significance map. Being one-tailed, the pseudo p is about half the analytical two-sided p, so more features pass the same level.
<b>General G</b> = Σ_i Σ_j≠i w_ij x_i x_j / Σ_i Σ_j≠i x_i x_j with binary weights (as esda.G), E[G] = S0/(n(n − 1)), analytical variance, z and p: outputs G, EXPECTED_G, Z, P; with PERMUTATIONS also P_SIM, the pseudo p of G against the values shuffled over all features (as esda.G). It needs values ≥ 0.

""" + neighbours.WEIGHTS_HELP + """ ROW_STANDARDIZE is off by default here: binary weights, as ArcGIS (Gi*'s z does not change when a row is scaled).

<b>OUTPUT</b> the input features with GiZScore, GiPValue and Gi_Bin (ArcGIS's field names); loaded into QGIS it is styled by Gi_Bin, hot spots red and cold spots blue."""


class HotspotsAlgorithm(MineLandAlgorithm):
    NAME = "hotspots"
    DISPLAY_NAME = "Hot spots (Getis-Ord Gi*) and General G"
    GROUP = "spatialstatistics"
    HELP = HELP

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        neighbours.add_parameters(self, row_standardize_default=False)
        self.add(QgsProcessingParameterBoolean("FDR", "False discovery rate correction", defaultValue=False),
                 "Apply the Benjamini-Hochberg FDR correction to the Gi_Bin significance levels.")
        self.add(QgsProcessingParameterNumber("ALPHA", "Significance level", QgsProcessingParameterNumber.Double,
                                              0.05, minValue=0.0001, maxValue=0.5),
                 "Level at which HOT_SPOTS and COLD_SPOTS count a feature (p < ALPHA, or FDR at ALPHA). "
                 "Gi_Bin always shows the 90/95/99 % levels.")
        self.add(QgsProcessingParameterNumber("PERMUTATIONS", "Permutations (0 = analytical test only)",
                                              QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=99999),
                 "0: analytical z and p only (as ArcGIS). 9 or more: conditional-permutation pseudo p-values "
                 "(GiPseudoP, GiZSim), which then decide Gi_Bin and the counts.")
        self.add(QgsProcessingParameterNumber("SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0,
                                              minValue=0, maxValue=2**31 - 1),
                 "Seed of the permutations: the same seed gives the same pseudo p-values.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Hot spots", QgsProcessing.TypeVectorAnyGeometry),
                 "Input features with GiZScore, GiPValue, Gi_Bin (and GiPseudoP, GiZSim with permutations).")
        for key, label in (("G", "General G"), ("EXPECTED_G", "E[G]"), ("Z", "z of G"), ("P", "p of G"),
                           ("P_SIM", "Permutation pseudo p of G (with PERMUTATIONS)"),
                           ("HOT_SPOTS", "Hot spots significant at ALPHA"),
                           ("COLD_SPOTS", "Cold spots significant at ALPHA")):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        data = neighbours.observations(self, parameters, context, feedback)
        fdr = self.parameterAsBool(parameters, "FDR", context)
        permutations = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        if 0 < permutations < 9:
            fail("PERMUTATIONS", f"{permutations} permutations cannot give a pseudo p below 0.1: "
                                 "use 0 (analytical test only) or at least 9 (999 is usual)")
        with parameter_errors("FIELD"):
            local = autocorrelation.local_g_star(data.values, data.weights, star=True, permutations=permutations,
                                                 seed=seed)
        # the test that decides significance: the analytical one, or the permutations when asked for
        z, p = (local.z_sim, local.p_sim) if permutations else (local.z, local.p)
        bins = autocorrelation.gi_bin(z, p, fdr)
        columns = [("GiZScore", float), ("GiPValue", float), ("Gi_Bin", int)]
        rows = zip(local.z, local.p, bins)
        if permutations:
            columns += [("GiPseudoP", float), ("GiZSim", float)]
            rows = zip(local.z, local.p, bins, local.p_sim, local.z_sim)
        dest_id = write_features(self, parameters, context, data, columns, list(rows))
        styling.style_on_load(context, dest_id, "Gi_Bin", styling.GI_BIN_CATEGORIES)
        significant = autocorrelation.significant_at(p, self.parameterAsDouble(parameters, "ALPHA", context), fdr)
        results = {"OUTPUT": dest_id, "HOT_SPOTS": int(np.sum(significant & (z > 0))),
                   "COLD_SPOTS": int(np.sum(significant & (z < 0)))}
        try:
            general = autocorrelation.general_g(data.values, data.weights, permutations=permutations, seed=seed)
            results.update({"G": float(general.G), "EXPECTED_G": float(general.EG), "Z": float(general.z),
                            "P": float(general.p_norm)})
            if permutations:
                results["P_SIM"] = general.p_sim
        except ValueError as err:  # e.g. negative values: Gi* is still meaningful
            feedback.pushWarning(f"General G not computed: {err}")
        return results
