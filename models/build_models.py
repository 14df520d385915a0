"""Build the shipped models (models/*.model3) with the QGIS API, so they can be reviewed and regenerated.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=.build/plugins /usr/bin/python3 models/build_models.py [FOLDER]

writes every model of MODELS to FOLDER (default: this folder). Each model is
named by its id (QGIS derives ``mineland:<name>`` from it), sits in the group
"Workflows (models)", and carries a help text: a description (ALG_DESC) and
one line per input. Model outputs keep an empty description, so they are named
"<child id>:<output name>" in processing.run and qgis_process.

The provider loads only ``*.model3`` files from this folder; this script is not
a model and is not shipped in the plugin zip's algorithm list.
"""

import os
import sys
import tempfile

# QDom writes XML attributes in hash order: a fixed seed gives the same file on every run.
os.environ.setdefault("QT_HASH_SEED", "1")

from qgis.core import (  # noqa: E402 (after the hash seed)
    QgsApplication,
    QgsProcessing,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QPointF  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GROUP = "Workflows (models)"
POLYGONS = [QgsProcessing.TypeVectorPolygon]


class Param:
    """A child parameter fed by the model input ``name``."""

    def __init__(self, name):
        self.name = name


class Output:
    """A child parameter fed by the output ``output`` of the child ``child``."""

    def __init__(self, child, output="OUTPUT"):
        self.child, self.output = child, output


def _source(value):
    if isinstance(value, Param):
        return QgsProcessingModelChildParameterSource.fromModelParameter(value.name)
    if isinstance(value, Output):
        return QgsProcessingModelChildParameterSource.fromChildOutput(value.child, value.output)
    return QgsProcessingModelChildParameterSource.fromStaticValue(value)


class ModelBuilder:
    """A QgsProcessingModelAlgorithm put together input by input and child by child."""

    def __init__(self, name, description):
        self.model = QgsProcessingModelAlgorithm()
        self.model.setName(name)
        self.model.setGroup(GROUP)
        self.help = {"ALG_CREATOR": "MineLand", "ALG_DESC": description}
        self.order = []

    def input(self, definition, help_text, position, advanced=False):
        """Add a model input at ``position`` (x, y) with its help text."""
        definition.setHelp(help_text)
        if advanced:
            definition.setFlags(definition.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(*position))
        self.model.addModelParameter(definition, component)
        self.help[definition.name()] = help_text
        self.order.append(definition.name())

    def child(self, child_id, algorithm_id, description, position, parameters, outputs=None):
        """Add a child algorithm; ``parameters`` maps its parameter names to Param, Output, a static
        value or a list of them; ``outputs`` maps model output names to the child's output names."""
        child = QgsProcessingModelChildAlgorithm(algorithm_id)
        if child.algorithm() is None:
            raise RuntimeError(f"{algorithm_id} is not registered: is the MineLand provider loaded?")
        child.setChildId(child_id)
        child.setDescription(description)
        child.setPosition(QPointF(*position))
        for name, value in parameters.items():
            values = value if isinstance(value, list) else [value]
            child.addParameterSources(name, [_source(v) for v in values])
        model_outputs = {}
        for name, child_output in (outputs or {}).items():
            output = QgsProcessingModelOutput(name)
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            model_outputs[name] = output
        child.setModelOutputs(model_outputs)
        self.model.addChildAlgorithm(child)

    def build(self, ordered=True):
        self.model.setHelpContent(self.help)
        if ordered:
            self.model.setParameterOrder(self.order)
        return self.model


# ---------------------------------------------------------------- seed 000 and 001 (first shipped)

def landcover_carbon():
    b = ModelBuilder("landcover_carbon", (
        "Seed 000's workflow for two dates: both land-cover rasters are reclassified (default: GLC_FCS30 → 7 "
        "classes), then the transfer matrix, the dynamic degrees K and S, and the carbon stock and change are "
        "computed. Years are given as 'start,end', e.g. 1985,2020. Leave the carbon table empty to use seed 000 "
        "Table 2 (Mg/ha)."))
    b.input(QgsProcessingParameterRasterLayer("START", "Land cover, start date"),
            "Land-cover raster of the start date (GLC_FCS30 codes for the default preset).", (120, 60))
    b.input(QgsProcessingParameterRasterLayer("END", "Land cover, end date"),
            "Land-cover raster of the end date, on the same grid as the start raster.", (420, 60))
    b.input(QgsProcessingParameterEnum("PRESET", "Reclassification preset",
                                       ["Custom table", "GLC_FCS30 → 7 classes (seed 000)",
                                        "GLC_FCS30D → 4 classes (seed 001)"], defaultValue=1),
            "0 = custom table (not usable from this model), 1 = GLC_FCS30 → 7 classes (seed 000), "
            "2 = GLC_FCS30D → 4 classes (seed 001).", (270, 20))
    b.input(QgsProcessingParameterString("YEARS", "Years (start,end)", "1985,2020"),
            "The two years, start first, e.g. 1985,2020.", (720, 60))
    b.input(QgsProcessingParameterFile("CARBON_TABLE", "Carbon density table (CSV, Mg/ha)", extension="csv",
                                       optional=True),
            "InVEST-style CSV (lucode, c_above, c_below, c_soil, c_dead in Mg/ha); empty = seed 000 Table 2.",
            (900, 60))
    for child_id, date, x in (("reclass_start", "start", 120), ("reclass_end", "end", 420)):
        b.child(child_id, "mineland:reclassify", f"Reclassify {date} date", (x, 180),
                {"INPUT": Param(date.upper()), "PRESET": Param("PRESET"), "NODATA_FOR_MISSING": True},
                {f"Classes, {date} date": "OUTPUT"})
    classes = [Output("reclass_start"), Output("reclass_end")]
    b.child("matrix", "mineland:transfermatrix", "Transfer matrix", (120, 320),
            {"INPUT_START": Output("reclass_start"), "INPUT_END": Output("reclass_end")},
            {"Transitions": "OUTPUT", "Transfer matrix (km2)": "OUTPUT_MATRIX"})
    b.child("dynamics", "mineland:landusedynamics", "Dynamic degrees K and S", (420, 320),
            {"INPUTS": classes, "YEARS": Param("YEARS")},
            {"Dynamic degree per class": "OUTPUT", "Comprehensive dynamic degree": "OUTPUT_SUMMARY"})
    b.child("carbon", "mineland:carbonstock", "Carbon stock and change", (720, 320),
            {"INPUTS": classes, "YEARS": Param("YEARS"), "CARBON_TABLE": Param("CARBON_TABLE"),
             "MISSING_AS_ZERO": False},
            {"Carbon stock": "OUTPUT", "Carbon change": "OUTPUT_CHANGE"})
    return b.build(ordered=False)


def mine_boundaries_status():
    b = ModelBuilder("mine_boundaries_status", (
        "Seed 001's workflow: two mine-polygon datasets are merged and refined (stable vegetation at their edges "
        "erased, simplified), then development and reclamation and the bare surface percentage (BSP) are "
        "computed per refined polygon from a 4-class land-cover series (GLC_FCS30D preset of mineland:reclassify: "
        "1 mine-related, 2 cropland, 3 sparse, 4 dense vegetation), and every polygon is classified active, "
        "closed or undefined from the Mann-Kendall trend of its BSP."))
    b.input(QgsProcessingParameterVectorLayer("INPUT_A", "Mine polygons A", POLYGONS),
            "First mine-polygon dataset, any CRS.", (100, 50))
    b.input(QgsProcessingParameterVectorLayer("INPUT_B", "Mine polygons B", POLYGONS),
            "Second mine-polygon dataset, any CRS.", (300, 50))
    b.input(QgsProcessingParameterRasterLayer("BREAKS", "Change breaks per pixel"),
            "Number of change breaks per pixel over the period (0 = stable), on the land-cover grid.", (500, 50))
    b.input(QgsProcessingParameterRasterLayer("LANDCOVER", "Current land cover"),
            "Current land cover (usually the last class raster).", (700, 50))
    b.input(QgsProcessingParameterMultipleLayers("CLASSES", "Land-cover series (4 classes)",
                                                 QgsProcessing.TypeRaster),
            "4-class land-cover rasters, one per year, in date order; the last one is the current land cover.",
            (900, 50))
    b.input(QgsProcessingParameterString("YEARS", "Years of the series"),
            "One whole year per class raster, e.g. 2000,2005,2010,2011,2012,2013,2014,2015.", (1100, 50))
    b.input(QgsProcessingParameterString("VEGETATED_CLASSES", "Vegetated class codes", "2, 3, 4"),
            "Class codes counted as vegetation when refining boundaries (default 2, 3, 4).", (1300, 50))
    b.child("refine", "mineland:refineboundaries", "Refine mine boundaries", (200, 200),
            {"INPUT_A": Param("INPUT_A"), "INPUT_B": Param("INPUT_B"), "BREAKS": Param("BREAKS"),
             "LANDCOVER": Param("LANDCOVER"), "VEGETATED_CLASSES": Param("VEGETATED_CLASSES"),
             "SIMPLIFY_DISTANCE": 100.0},
            {"Refined mines": "OUTPUT"})
    b.child("disturbance", "mineland:disturbance", "Disturbance and reclamation", (500, 330),
            {"MINES": Output("refine"), "ID_FIELD": "id", "INPUTS": Param("CLASSES"), "YEARS": Param("YEARS"),
             "MINE_CLASSES": "1", "VEGETATION_CLASSES": "2, 3, 4"},
            {"DEV REC and BSP per year": "OUTPUT"})
    b.child("status", "mineland:minestatus", "Mine status", (800, 460),
            {"INPUT": Output("disturbance"), "ID_FIELD": "polygon_id", "YEAR_FIELD": "year",
             "BSP_FIELD": "bsp_pct", "TEST": 0, "ALPHA": 0.05, "MIN_YEARS": 4},
            {"Mine status": "OUTPUT"})
    return b.build(ordered=False)


MODELS = [landcover_carbon, mine_boundaries_status]


def start_qgis():
    """A headless QgsApplication with Processing and the MineLand provider (unless already running)."""
    if QgsApplication.instance() is None:
        os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="mineland-build-models-"))
        QgsApplication.setPrefixPath("/usr", True)
        start_qgis.app = QgsApplication([], False)
        start_qgis.app.initQgis()
    registry = QgsApplication.processingRegistry()
    if registry.providerById("mineland") is None:
        from mineland.processing_provider.provider import MineLandProvider

        start_qgis.provider = MineLandProvider()
        registry.addProvider(start_qgis.provider)


def build_all():
    """{model name: QgsProcessingModelAlgorithm} of every shipped model (QGIS and the provider running)."""
    models = {}
    for build in MODELS:
        model = build()
        models[model.name()] = model
    return models


def main(folder=HERE):
    start_qgis()
    os.makedirs(folder, exist_ok=True)
    for name, model in build_all().items():
        path = os.path.join(folder, f"{name}.model3")
        if not model.toFile(path):
            raise RuntimeError(f"could not write {path}")
        print(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else HERE)
