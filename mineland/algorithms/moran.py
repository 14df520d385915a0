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
from ..core.render.reports import spatial as reports
from ..core.spatial import autocorrelation
from . import neighbours, styling
from .base import MineLandAlgorithm
from .checks import fail, parameter_errors
from .outputs import wants_output
from .spatial_output import write_features


class MoranAlgorithm(MineLandAlgorithm):
    NAME = "moran"
    DISPLAY_NAME = "Global and Local Moran's I"
    GROUP = "spatialstatistics"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        neighbours.add_parameters(self, row_standardize_default=True)
        self.add(
            QgsProcessingParameterNumber(
                "PERMUTATIONS",
                "Permutations (0 = analytical test only)",
                QgsProcessingParameterNumber.Integer,
                999,
                minValue=0,
                maxValue=99999,
            ),
            "Random permutations for the pseudo p-values (default 999; 9 or more). 0: the analytical z and p "
            "(randomisation) instead, as ArcGIS and as mineland:hotspots with 0.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=2**31 - 1
            ),
            "Seed of the permutations: the same seed gives the same pseudo p-values.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "ALPHA", "Significance level", QgsProcessingParameterNumber.Double, 0.05, minValue=0.0001, maxValue=0.5
            ),
            "COType is HH/LL/HL/LH where the local pseudo p-value is below ALPHA, NS otherwise.",
        )
        self.add(
            QgsProcessingParameterBoolean("FDR", "False discovery rate correction", defaultValue=False),
            "Decide COType's significance with the Benjamini-Hochberg FDR correction at ALPHA.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Local Moran (LISA)", QgsProcessing.TypeVectorAnyGeometry),
            "Input features with LMiIndex, LMiZScore, LMiPValue, COType.",
        )
        self.add_report("Global results and the Moran scatter plot, one self-contained file.")
        for key, label in (
            ("MORANS_I", "Moran's I"),
            ("EXPECTED_I", "E[I]"),
            ("VARIANCE", "Var(I), randomisation"),
            ("Z_NORM", "z (normality)"),
            ("P_NORM", "p (normality)"),
            ("Z_RAND", "z (randomisation)"),
            ("P_RAND", "p (randomisation)"),
            ("P_SIM", "Permutation pseudo p"),
        ):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        data = neighbours.observations(self, parameters, context, feedback)
        permutations = self.parameterAsInt(parameters, "PERMUTATIONS", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        fdr = self.parameterAsBool(parameters, "FDR", context)
        if 0 < permutations < 9:  # the same rule and message as mineland:hotspots
            fail(
                "PERMUTATIONS",
                f"{permutations} permutations cannot give a pseudo p below 0.1: "
                "use 0 (analytical test only) or at least 9 (999 is usual)",
            )
        with parameter_errors("FIELD"):
            glob = autocorrelation.global_moran(data.values, data.weights, permutations, seed)
            local = autocorrelation.local_moran(data.values, data.weights, permutations, seed, alpha, fdr)
        columns = [("LMiIndex", float), ("LMiZScore", float), ("LMiPValue", float), ("COType", str)]
        labels = [None if np.isnan(z) else str(label) for z, label in zip(local.Is, local.labels)]
        dest_id = write_features(
            self, parameters, context, data, columns, list(zip(local.Is, local.z_sim, local.p_sim, labels))
        )
        styling.style_on_load(context, dest_id, "COType", styling.COTYPE_CATEGORIES)
        results = {"OUTPUT": dest_id}
        results.update(
            {
                "MORANS_I": glob.I,
                "EXPECTED_I": glob.EI,
                "VARIANCE": glob.VI_rand,
                "Z_NORM": glob.z_norm,
                "P_NORM": glob.p_norm,
                "Z_RAND": glob.z_rand,
                "P_RAND": glob.p_rand,
                "P_SIM": glob.p_sim,
            }
        )
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
    report.save(path, reports.moran_page(field, data.values, data.weights, glob, local, COLOURS))
