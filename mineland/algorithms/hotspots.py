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


class HotspotsAlgorithm(MineLandAlgorithm):
    NAME = "hotspots"
    DISPLAY_NAME = "Hot spots (Getis-Ord Gi*) and General G"
    GROUP = "spatialstatistics"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        neighbours.add_parameters(self, row_standardize_default=False)
        self.add(
            QgsProcessingParameterBoolean("FDR", "False discovery rate correction", defaultValue=False),
            "Apply the Benjamini-Hochberg FDR correction to the Gi_Bin significance levels.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "ALPHA", "Significance level", QgsProcessingParameterNumber.Double, 0.05, minValue=0.0001, maxValue=0.5
            ),
            "Level at which HOT_SPOTS and COLD_SPOTS count a feature (p &lt; ALPHA, or FDR at ALPHA). "
            "Gi_Bin always shows the 90/95/99 % levels.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "PERMUTATIONS",
                "Permutations (0 = analytical test only)",
                QgsProcessingParameterNumber.Integer,
                0,
                minValue=0,
                maxValue=99999,
            ),
            "0: analytical z and p only (as ArcGIS). 9 or more: conditional-permutation pseudo p-values "
            "(GiPseudoP, GiZSim), which then decide Gi_Bin and the counts.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=2**31 - 1
            ),
            "Seed of the permutations: the same seed gives the same pseudo p-values.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Hot spots", QgsProcessing.TypeVectorAnyGeometry),
            "Input features with GiZScore, GiPValue, Gi_Bin (and GiPseudoP, GiZSim with permutations).",
        )
        for key, label in (
            ("G", "General G"),
            ("EXPECTED_G", "E[G]"),
            ("Z", "z of G"),
            ("P", "p of G"),
            ("P_SIM", "Permutation pseudo p of G (with PERMUTATIONS)"),
            ("HOT_SPOTS", "Hot spots significant at ALPHA"),
            ("COLD_SPOTS", "Cold spots significant at ALPHA"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        data = neighbours.observations(self, parameters, context, feedback)
        fdr = self.parameterAsBool(parameters, "FDR", context)
        permutations = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        if 0 < permutations < 9:
            fail(
                "PERMUTATIONS",
                f"{permutations} permutations cannot give a pseudo p below 0.1: "
                "use 0 (analytical test only) or at least 9 (999 is usual)",
            )
        with parameter_errors("FIELD"):
            local = autocorrelation.local_g_star(
                data.values, data.weights, star=True, permutations=permutations, seed=seed
            )
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
        results = {
            "OUTPUT": dest_id,
            "HOT_SPOTS": int(np.sum(significant & (z > 0))),
            "COLD_SPOTS": int(np.sum(significant & (z < 0))),
        }
        try:
            general = autocorrelation.general_g(data.values, data.weights, permutations=permutations, seed=seed)
            results.update(
                {
                    "G": float(general.G),
                    "EXPECTED_G": float(general.EG),
                    "Z": float(general.z),
                    "P": float(general.p_norm),
                }
            )
            if permutations:
                results["P_SIM"] = general.p_sim
        except ValueError as err:  # e.g. negative values: Gi* is still meaningful
            feedback.pushWarning(f"General G not computed: {err}")
        return results
