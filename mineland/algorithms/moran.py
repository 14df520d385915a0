"""mineland:moran — Global Moran's I and Anselin's Local Moran (LISA) of a field (Han et al. 2025)."""

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterNumber,
)

from ..core.render import report
from ..core.spatial import autocorrelation, spatial_weights
from . import neighbours, styling
from .common import MineLandAlgorithm, fail, wants_output
from .spatial_output import write_features


class MoranAlgorithm(MineLandAlgorithm):
    NAME = "moran"
    DISPLAY_NAME = "Global and Local Moran's I"
    GROUP = "spatialstatistics"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        neighbours.add_parameters(self, row_standardize_default=True)
        self.add(QgsProcessingParameterNumber("PERMUTATIONS", "Permutations (0 = analytical test only)",
                                              QgsProcessingParameterNumber.Integer, 999, minValue=0, maxValue=99999),
                 "Random permutations for the pseudo p-values (default 999; 9 or more). 0: the analytical z and p "
                 "(randomisation) instead, as ArcGIS and as mineland:hotspots with 0.")
        self.add(QgsProcessingParameterNumber("SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0,
                                              minValue=0, maxValue=2**31 - 1),
                 "Seed of the permutations: the same seed gives the same pseudo p-values.")
        self.add(QgsProcessingParameterNumber("ALPHA", "Significance level", QgsProcessingParameterNumber.Double,
                                              0.05, minValue=0.0001, maxValue=0.5),
                 "COType is HH/LL/HL/LH where the local pseudo p-value is below ALPHA, NS otherwise.")
        self.add(QgsProcessingParameterBoolean("FDR", "False discovery rate correction", defaultValue=False),
                 "Decide COType's significance with the Benjamini-Hochberg FDR correction at ALPHA.")
        self.add(QgsProcessingParameterFeatureSink("OUTPUT", "Local Moran (LISA)", QgsProcessing.TypeVectorAnyGeometry),
                 "Input features with LMiIndex, LMiZScore, LMiPValue, COType.")
        self.add_report("Global results and the Moran scatter plot, one self-contained file.")
        for key, label in (("MORANS_I", "Moran's I"), ("EXPECTED_I", "E[I]"), ("VARIANCE", "Var(I), randomisation"),
                           ("Z_NORM", "z (normality)"), ("P_NORM", "p (normality)"), ("Z_RAND", "z (randomisation)"),
                           ("P_RAND", "p (randomisation)"), ("P_SIM", "Permutation pseudo p")):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        data = neighbours.observations(self, parameters, context, feedback)
        permutations = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        fdr = self.parameterAsBool(parameters, "FDR", context)
        if 0 < permutations < 9:  # the same rule and message as mineland:hotspots
            fail("PERMUTATIONS", f"{permutations} permutations cannot give a pseudo p below 0.1: "
                                 "use 0 (analytical test only) or at least 9 (999 is usual)")
        try:
            glob = autocorrelation.global_moran(data.values, data.weights, permutations, seed)
            local = autocorrelation.local_moran(data.values, data.weights, permutations, seed, alpha, fdr)
        except ValueError as err:
            fail("FIELD", str(err))
        columns = [("LMiIndex", float), ("LMiZScore", float), ("LMiPValue", float), ("COType", str)]
        labels = [None if np.isnan(z) else str(label) for z, label in zip(local.Is, local.labels)]
        dest_id = write_features(self, parameters, context, data, columns,
                                 list(zip(local.Is, local.z_sim, local.p_sim, labels)))
        styling.style_on_load(context, dest_id, "COType", styling.COTYPE_CATEGORIES)
        results = {"OUTPUT": dest_id}
        results.update({"MORANS_I": glob.I, "EXPECTED_I": glob.EI, "VARIANCE": glob.VI_rand, "Z_NORM": glob.z_norm,
                        "P_NORM": glob.p_norm, "Z_RAND": glob.z_rand, "P_RAND": glob.p_rand, "P_SIM": glob.p_sim})
        if not permutations:  # no permutation test: no pseudo p (as mineland:hotspots)
            del results["P_SIM"]
        results = {k: float(v) if isinstance(v, (float, np.floating)) else v for k, v in results.items()}
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            write_report(path, data, glob, local, self.parameterAsString(parameters, "FIELD", context))
            results["OUTPUT_HTML"] = path
        return results


#: COType colours of the map's legend (styling.COTYPE_CATEGORIES), so the scatter plot reads like the map.
COLOURS = {value: colour for value, colour, _ in styling.COTYPE_CATEGORIES}


def write_report(path, data, glob, local, field):
    z = (data.values - data.values.mean()) / data.values.std()
    lag = spatial_weights.row_standardise(data.weights).matrix @ z
    counts = {label: int(np.sum(local.labels == label)) for label in COLOURS}
    report.write_page(path, f"Moran's I of {field}", [
        report.table(["statistic", "value"], [
            ("n", glob.n), ("Moran's I", glob.I), ("E[I]", glob.EI), ("Var(I) normality", glob.VI_norm),
            ("Var(I) randomisation", glob.VI_rand), ("z normality", glob.z_norm),
            ("p normality", report.number(glob.p_norm, "p")), ("z randomisation", glob.z_rand),
            ("p randomisation", report.number(glob.p_rand, "p")),
            (f"pseudo p ({glob.permutations} permutations)", report.number(glob.p_sim, "p"))]),
        report.heading(f"Local clusters and outliers (significant at {local.alpha:g}"
                       f"{' after FDR correction' if local.fdr else ''}; {local.permutations} permutations)"),
        report.table(["COType", "features", "share (%)"],
                     [(k, v, 100.0 * v / len(local.labels)) for k, v in counts.items()]),
        report.heading("Moran scatter plot"),
        report.scatter_svg(z, lag, f"{field} (z-score)", "spatial lag of the z-score (row-standardised W)",
                           [COLOURS.get(str(label), "#ffffff") for label in local.labels],
                           legend_items=[(f"{label} ({counts[label]})", COLOURS[label]) for label in COLOURS]),
    ])
