"""The `mineland` Processing provider: an explicit list of algorithms plus the shipped models."""

import os

from qgis.core import QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtCore import QCoreApplication, QUrl
from qgis.PyQt.QtGui import QIcon

from ..algorithms.accuracy import AccuracyAlgorithm
from ..algorithms.affected_area import AffectedAreaAlgorithm
from ..algorithms.base import DOCUMENT
from ..algorithms.carbon_stock import CarbonStockAlgorithm
from ..algorithms.desertification import DesertificationAlgorithm
from ..algorithms.disturbance import DisturbanceAlgorithm
from ..algorithms.fishnet import FishnetAlgorithm
from ..algorithms.hotspots import HotspotsAlgorithm
from ..algorithms.integrity import IntegrityAlgorithm
from ..algorithms.landuse_dynamics import LandUseDynamicsAlgorithm
from ..algorithms.lifecycle import LifeCycleAlgorithm
from ..algorithms.mine_status import MineStatusAlgorithm
from ..algorithms.mlri import MlriAlgorithm
from ..algorithms.moran import MoranAlgorithm
from ..algorithms.overlap import OverlapAlgorithm
from ..algorithms.patch_stats import PatchStatsAlgorithm
from ..algorithms.reclassify import ReclassifyAlgorithm
from ..algorithms.refine_boundaries import RefineBoundariesAlgorithm
from ..algorithms.resilience import ResilienceAlgorithm
from ..algorithms.restoration_summary import RestorationSummaryAlgorithm
from ..algorithms.transfer_matrix import TransferMatrixAlgorithm
from ..algorithms.trend import TrendAlgorithm
from ..algorithms.zonal_series import ZonalSeriesAlgorithm
from ..core.io import raster_io

PLUGIN_DIR = os.path.dirname(os.path.dirname(__file__))
MODELS_DIR = os.path.join(PLUGIN_DIR, "models")

ALGORITHMS = [
    ReclassifyAlgorithm,
    TransferMatrixAlgorithm,
    LandUseDynamicsAlgorithm,
    CarbonStockAlgorithm,
    TrendAlgorithm,
    MlriAlgorithm,
    RestorationSummaryAlgorithm,
    AccuracyAlgorithm,
    PatchStatsAlgorithm,
    FishnetAlgorithm,
    MoranAlgorithm,
    HotspotsAlgorithm,
    MineStatusAlgorithm,
    DisturbanceAlgorithm,
    RefineBoundariesAlgorithm,
    ZonalSeriesAlgorithm,
    LifeCycleAlgorithm,
    AffectedAreaAlgorithm,
    OverlapAlgorithm,
    ResilienceAlgorithm,
    DesertificationAlgorithm,
    IntegrityAlgorithm,
]


class MineLandProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        # A model's child algorithms resolve through the registry, which holds this
        # provider only after loadAlgorithms() has run: load once more when it does.
        QgsApplication.processingRegistry().providerAdded.connect(self._reload_when_registered)

    def _reload_when_registered(self, provider_id):
        if provider_id == self.id():
            QgsApplication.processingRegistry().providerAdded.disconnect(self._reload_when_registered)
            self.refreshAlgorithms()

    def id(self):
        return "mineland"

    def name(self):
        return "MineLand"

    def longName(self):  # noqa: N802 (QGIS's name)
        return "MineLand — land change, carbon and restoration around mines"

    def icon(self):
        return QIcon(os.path.join(PLUGIN_DIR, "icon.svg"))

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802 (QGIS's name)
        """The extensions our raster writer writes (the dialogs offer only these): .tif, .tiff, .img."""
        return raster_io.supported_output_extensions()

    def defaultRasterFileExtension(self):  # noqa: N802 (QGIS's name)
        return "tif"

    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        for algorithm in ALGORITHMS:
            self.addAlgorithm(algorithm())
        if QgsApplication.processingRegistry().providerById(self.id()) is self:
            for model in shipped_models():
                self.addAlgorithm(model)


#: Readable names of the shipped models in the toolbox and dialogs; their ids (file names) stay as they are.
MODEL_DISPLAY_NAMES = {
    "landcover_carbon": "Land-cover change and carbon (workflow)",
    "mine_boundaries_status": "Mine boundaries, disturbance and status (workflow)",
    "restoration_monitoring": "Restoration monitoring with MLRI (workflow)",
    "mining_hotspots": "Mining density hot spots (workflow)",
    "desertification_sensitivity": "Desertification sensitivity of mining areas (workflow)",
}


class ShippedModel(QgsProcessingModelAlgorithm):
    """A shipped model shown under a readable name; id, name and file stay the model's own."""

    def displayName(self):  # noqa: N802 (QGIS's name)
        name = self.name()
        return (
            QCoreApplication.translate("MineLand", MODEL_DISPLAY_NAMES[name])
            if name in MODEL_DISPLAY_NAMES
            else super().displayName()
        )

    def createInstance(self):  # noqa: N802 (QGIS's name)
        instance = ShippedModel()
        instance.loadVariant(self.toVariant())
        instance.setProvider(self.provider())
        instance.setSourceFilePath(self.sourceFilePath())
        return instance


def shipped_models():
    """The models in models/*.model3, loaded as algorithms of this provider."""
    models = []
    for name in sorted(os.listdir(MODELS_DIR)) if os.path.isdir(MODELS_DIR) else []:
        if name.endswith(".model3"):
            model = ShippedModel()
            if model.fromFile(os.path.join(MODELS_DIR, name)):
                help_content = model.helpContent()
                # the model's section of the methods document: an absolute path, so set here, not in the file
                help_content["HELP_URL"] = QUrl.fromLocalFile(DOCUMENT).toString() + "#" + model.name()
                model.setHelpContent(help_content)
                models.append(model)
    return models
