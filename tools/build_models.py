"""Build the shipped models (mineland/models/*.model3) with the QGIS API, so they can be reviewed and regenerated.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. /usr/bin/python3 tools/build_models.py [FOLDER]

writes every model of MODELS to FOLDER (default: this folder). Each model is
named by its id (QGIS derives ``mineland:<name>`` from it), sits in the group
"Workflows (models)", and carries a help text: a description (ALG_DESC) and
one line per input. Model outputs keep an empty description, so they are named
"<child id>:<output name>" in processing.run and qgis_process.

A model input left out of processing.run or qgis_process reaches its children
as NULL, and then each child's own default applies, not the model's. Model
inputs therefore carry the children's defaults; where a model needs another
default, the child reads it through an expression, coalesce(@INPUT, default)
(tests/test_alg_models.py checks this for every shipped model).

The provider loads only the ``*.model3`` files of this folder: this script
travels in the plugin zip with them but is never loaded as a model.
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

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mineland", "models")
GROUP = "Workflows (models)"
POLYGONS = [QgsProcessing.TypeVectorPolygon]


class Param:
    """A child parameter fed by the model input ``name``."""

    def __init__(self, name):
        self.name = name


class Expression:
    """A child parameter computed by a QGIS expression (model inputs are its @variables)."""

    def __init__(self, expression):
        self.expression = expression


class Output:
    """A child parameter fed by the output ``output`` of the child ``child``."""

    def __init__(self, child, output="OUTPUT"):
        self.child, self.output = child, output


def _source(value):
    if isinstance(value, Param):
        return QgsProcessingModelChildParameterSource.fromModelParameter(value.name)
    if isinstance(value, Output):
        return QgsProcessingModelChildParameterSource.fromChildOutput(value.child, value.output)
    if isinstance(value, Expression):
        return QgsProcessingModelChildParameterSource.fromExpression(value.expression)
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
        definition.setHelp(rich_text(help_text))
        if advanced:
            definition.setFlags(definition.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(*position))
        self.model.addModelParameter(definition, component)
        self.help[definition.name()] = help_text
        self.order.append(definition.name())

    def child(self, child_id, algorithm_id, description, position, parameters, outputs=None):
        """Add a child algorithm; ``parameters`` maps its parameter names to Param, Output, Expression,
        a static value or a list of them; ``outputs`` maps model output names to the child's output names."""
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
            output = QgsProcessingModelOutput(name, name)  # the description labels its box in the Designer
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            model_outputs[name] = output
        child.setModelOutputs(model_outputs)
        self.model.addChildAlgorithm(child)

    def build(self):
        self._outputs_read_downstream_are_mandatory()
        help_content = {key: rich_text(text) for key, text in self.help.items()}
        help_content["ALG_DESC"] += "<br><br>" + references_html(self.model.name())  # as the algorithms' help
        self.model.setHelpContent(help_content)
        self.model.setParameterOrder(self.order)  # as an analyst reads them, not by id
        return self.model

    def _outputs_read_downstream_are_mandatory(self):
        """A model output another child reads must be written even when the dialog leaves it unticked
        (an optional output's box starts unticked, and the reading child would then get no input)."""
        from mineland.algorithms.compat import model_source_type

        child_output = model_source_type("ChildOutput")
        read = {
            (source.outputChildId(), source.outputName())
            for child in self.model.childAlgorithms().values()
            for sources in child.parameterSources().values()
            for source in sources
            if source.source() == child_output
        }
        for child_id, child in self.model.childAlgorithms().items():
            outputs = child.modelOutputs()
            for output in outputs.values():
                if (child_id, output.childOutputName()) in read:
                    output.setMandatory(True)
            self.model.childAlgorithm(child_id).setModelOutputs(outputs)
        self.model.updateDestinationParameters()


def references_html(name):
    """The "References" paragraph of model ``name`` (algorithms/references.py, shared with the algorithms)."""
    from mineland.algorithms.references import references_html as plugin_references

    return plugin_references(name)


def rich_text(text):
    """The model's help as Qt's rich text shows it (the plugin's own rule, imported once QGIS runs)."""
    from mineland.algorithms.base import rich_text as plugin_rich_text

    return plugin_rich_text(text)


# ---------------------------------------------------------------- seed 000 and 001 (first shipped)


def landcover_carbon():
    b = ModelBuilder(
        "landcover_carbon",
        (
            "The workflow of Huang (2024) for two dates: both land-cover rasters are reclassified (default: GLC_FCS30 → 7 "
            "classes), then the transfer matrix, the dynamic degrees K and S, and the carbon stock and change are "
            "computed. Years are given as 'start,end', e.g. 1985,2020. Leave the carbon table empty to use Huang (2024) "
            "Table 2 (Mg/ha)."
        ),
    )
    b.input(
        QgsProcessingParameterRasterLayer("START", "Land cover, start date"),
        "Land-cover raster of the start date (GLC_FCS30 codes for the default preset).",
        (120, 60),
    )
    b.input(
        QgsProcessingParameterRasterLayer("END", "Land cover, end date"),
        "Land-cover raster of the end date, on the same grid as the start raster.",
        (420, 60),
    )
    b.input(
        QgsProcessingParameterEnum(
            "PRESET",
            "Reclassification preset",
            ["Custom table", "GLC_FCS30 → 7 classes (Huang 2024)", "GLC_FCS30D → 4 classes (Xu et al. 2025)"],
            defaultValue=1,
        ),
        "0 = custom table (not usable from this model), 1 = GLC_FCS30 → 7 classes (Huang 2024), "
        "2 = GLC_FCS30D → 4 classes (Xu et al. 2025).",
        (270, 20),
    )
    b.input(
        QgsProcessingParameterString("YEARS", "Years (start,end)", "1985,2020"),
        "The two years, start first, e.g. 1985,2020.",
        (720, 60),
    )
    b.input(
        QgsProcessingParameterFile("CARBON_TABLE", "Carbon density table (CSV, Mg/ha)", extension="csv", optional=True),
        "InVEST-style CSV (lucode, c_above, c_below, c_soil, c_dead in Mg/ha); empty = Huang (2024) Table 2.",
        (900, 60),
    )
    for child_id, date, x in (("reclass_start", "start", 120), ("reclass_end", "end", 420)):
        b.child(
            child_id,
            "mineland:reclassify",
            f"Reclassify {date} date",
            (x, 180),
            {"INPUT": Param(date.upper()), "PRESET": Param("PRESET"), "NODATA_FOR_MISSING": True},
            {f"Classes, {date} date": "OUTPUT"},
        )
    classes = [Output("reclass_start"), Output("reclass_end")]
    # the children have no YEARS default: an expression gives the model's when YEARS is left out (qgis_process)
    years = Expression("coalesce(@YEARS, '1985,2020')")
    b.child(
        "matrix",
        "mineland:transfermatrix",
        "Transfer matrix",
        (120, 320),
        {"INPUT_START": Output("reclass_start"), "INPUT_END": Output("reclass_end")},
        {"Transitions": "OUTPUT", "Transfer matrix (km2)": "OUTPUT_MATRIX", "Transfer matrix report": "OUTPUT_HTML"},
    )
    b.child(
        "dynamics",
        "mineland:landusedynamics",
        "Dynamic degrees K and S",
        (420, 320),
        {"INPUTS": classes, "YEARS": years},
        {
            "Dynamic degree per class": "OUTPUT",
            "Comprehensive dynamic degree": "OUTPUT_SUMMARY",
            "Dynamics report": "OUTPUT_HTML",
        },
    )
    b.child(
        "carbon",
        "mineland:carbonstock",
        "Carbon stock and change",
        (720, 320),
        {"INPUTS": classes, "YEARS": years, "CARBON_TABLE": Param("CARBON_TABLE"), "MISSING_AS_ZERO": False},
        {"Carbon stock": "OUTPUT", "Carbon change": "OUTPUT_CHANGE", "Carbon report": "OUTPUT_HTML"},
    )
    return b.build()


def mine_boundaries_status():
    b = ModelBuilder(
        "mine_boundaries_status",
        (
            "The workflow of Xu et al. (2025): two mine-polygon datasets are merged and refined (stable vegetation at "
            "their edges erased, simplified), then development and reclamation and the bare surface percentage (BSP) are "
            "computed per refined polygon from a 4-class land-cover series (GLC_FCS30D preset of mineland:reclassify: "
            "1 mine-related, 2 cropland, 3 sparse, 4 dense vegetation), and every polygon is classified active, "
            "closed or undefined from the Mann-Kendall trend of its BSP."
        ),
    )
    b.input(
        QgsProcessingParameterVectorLayer("INPUT_A", "Mine polygons A", POLYGONS),
        "First mine-polygon dataset, any CRS.",
        (100, 50),
    )
    b.input(
        QgsProcessingParameterVectorLayer("INPUT_B", "Mine polygons B", POLYGONS),
        "Second mine-polygon dataset, any CRS.",
        (300, 50),
    )
    b.input(
        QgsProcessingParameterRasterLayer("BREAKS", "Change breaks per pixel"),
        "Number of change breaks per pixel over the period (0 = stable), on the land-cover grid.",
        (500, 50),
    )
    b.input(
        QgsProcessingParameterRasterLayer("LANDCOVER", "Current land cover"),
        "Current land cover (usually the last class raster).",
        (700, 50),
    )
    b.input(
        QgsProcessingParameterMultipleLayers("CLASSES", "Land-cover series (4 classes)", QgsProcessing.TypeRaster),
        "4-class land-cover rasters, one per year, in date order; the last one is the current land cover.",
        (900, 50),
    )
    b.input(
        QgsProcessingParameterString("YEARS", "Years of the series"),
        "One whole year per class raster, e.g. 2000,2005,2010,2011,2012,2013,2014,2015.",
        (1100, 50),
    )
    b.input(
        QgsProcessingParameterString("VEGETATED_CLASSES", "Vegetated class codes", "2, 3, 4"),
        "Class codes counted as vegetation when refining boundaries (default 2, 3, 4).",
        (1300, 50),
    )
    b.child(
        "refine",
        "mineland:refineboundaries",
        "Refine mine boundaries",
        (200, 200),
        {
            "INPUT_A": Param("INPUT_A"),
            "INPUT_B": Param("INPUT_B"),
            "BREAKS": Param("BREAKS"),
            "LANDCOVER": Param("LANDCOVER"),
            # refineboundaries' own default is raw GLC_FCS30D codes: the model's 4-class default when left out
            "VEGETATED_CLASSES": Expression("coalesce(@VEGETATED_CLASSES, '2, 3, 4')"),
            "SIMPLIFY_DISTANCE": 100.0,
        },
        {"Refined mines": "OUTPUT", "Refinement report": "OUTPUT_HTML"},
    )
    b.child(
        "disturbance",
        "mineland:disturbance",
        "Disturbance and reclamation",
        (500, 330),
        {
            "MINES": Output("refine"),
            "ID_FIELD": "id",
            "INPUTS": Param("CLASSES"),
            "YEARS": Param("YEARS"),
            "MINE_CLASSES": "1",
            "VEGETATION_CLASSES": "2, 3, 4",
        },
        {"DEV REC and BSP per year": "OUTPUT", "Disturbance report": "OUTPUT_HTML"},
    )
    b.child(
        "status",
        "mineland:minestatus",
        "Mine status",
        (800, 460),
        {
            "INPUT": Output("disturbance"),
            "ID_FIELD": "polygon_id",
            "YEAR_FIELD": "year",
            "BSP_FIELD": "bsp_pct",
            "TEST": 0,
            "ALPHA": 0.05,
            "MIN_YEARS": 4,
        },
        {"Mine status": "OUTPUT"},
    )
    return b.build()


# ------------------------------------------------------------------------ seed 004: restoration


def restoration_monitoring():
    b = ModelBuilder(
        "restoration_monitoring",
        (
            "The workflow of the MLRI study: annual land surface temperature (LST) and EVI of the same years → the Mine "
            "Landscape Restoration Index of every year (mineland:mlri) → its per-pixel Mann-Kendall trend, Sen's "
            "slope and Hurst exponent (mineland:trend), which also classes every pixel 1 SD, 2 ND, 3 NI, 4 SAI, "
            "5 SCI → the area and share of each class per mine site, the mining duration, Spearman and "
            "Kruskal-Wallis tests and k-means restoration groups (mineland:restorationsummary, with an HTML report). "
            "Each series is one raster per year or one multiband raster; the years are listed once for both."
        ),
    )
    b.input(
        QgsProcessingParameterMultipleLayers(
            "LST", "Land surface temperature, one raster per year", QgsProcessing.TypeRaster
        ),
        "Annual LST (e.g. June–September maximum composite), one raster per year or one multiband raster "
        "with one band per year.",
        (120, 60),
    )
    b.input(
        QgsProcessingParameterMultipleLayers("EVI", "EVI, one raster per year", QgsProcessing.TypeRaster),
        "Annual EVI of the same years in the same order, on the LST grid (one raster per year or one "
        "multiband raster).",
        (340, 60),
    )
    b.input(
        QgsProcessingParameterString("YEARS", "Years (comma-separated)"),
        "One whole year per raster (or band), increasing; gaps allowed, e.g. 2000,2001,2003.",
        (560, 60),
    )
    b.input(
        QgsProcessingParameterEnum("LST_UNITS", "LST units", ["kelvin", "celsius"], defaultValue=0),
        "0 = kelvin (default), 1 = degrees Celsius (converted to kelvin).",
        (780, 60),
    )
    b.input(
        QgsProcessingParameterNumber(
            "MIN_VALID", "Minimum valid years per pixel", QgsProcessingParameterNumber.Integer, 8, minValue=4
        ),
        "Pixels with fewer valid MLRI years are nodata in the trend and unclassified. Default 8.",
        (1000, 60),
    )
    b.input(
        QgsProcessingParameterNumber(
            "ALPHA", "Significance level α", QgsProcessingParameterNumber.Double, 0.05, minValue=0.0001, maxValue=0.5
        ),
        "Two-sided significance level of the restoration classes: |Z| > z(1 − α/2). Default 0.05.",
        (1220, 60),
    )
    b.input(
        QgsProcessingParameterFeatureSource("SITES", "Mine sites", POLYGONS),
        "One polygon per mine site, any CRS; a pixel belongs to a site when its centre is inside.",
        (120, 480),
    )
    b.input(
        QgsProcessingParameterField("SITE_ID_FIELD", "Site id field", parentLayerParameterName="SITES"),
        "Field identifying each site (no NULL values).",
        (340, 480),
    )
    b.input(
        QgsProcessingParameterField(
            "START_YEAR_FIELD",
            "Mining start year field",
            optional=True,
            parentLayerParameterName="SITES",
            defaultValue="start_year",
            type=QgsProcessingParameterField.Numeric,
        ),
        "Optional numeric field with the year mining started (default start_year when SITES has it): "
        "duration_yr = REFERENCE_YEAR − start year and "
        "the Spearman test of the SI share against it.",
        (560, 480),
    )
    b.input(
        QgsProcessingParameterNumber(
            "REFERENCE_YEAR",
            "Reference year of the mining duration",
            QgsProcessingParameterNumber.Integer,
            2019,
            minValue=1,
            maxValue=3000,
        ),
        "duration_yr = REFERENCE_YEAR − start year. Default 2019, the last year of the MLRI study.",
        (780, 480),
    )
    b.input(
        QgsProcessingParameterField(
            "GROUP_FIELD", "Group field (e.g. mine region)", optional=True, parentLayerParameterName="SITES"
        ),
        "Optional: Kruskal-Wallis test of the SI share across the groups of this field; without it the five "
        "class shares are compared with one another.",
        (1000, 480),
    )
    b.input(
        QgsProcessingParameterNumber(
            "CLUSTERS", "Number of k-means clusters", QgsProcessingParameterNumber.Integer, 3, minValue=1, maxValue=10
        ),
        "k of the k-means on the SAI and SCI shares (named high, medium, low for 3). Default 3, as the MLRI study.",
        (1220, 480),
    )
    b.child(
        "mlri",
        "mineland:mlri",
        "MLRI per year",
        (340, 200),
        {
            "LST_INPUTS": Param("LST"),
            "EVI_INPUTS": Param("EVI"),
            "YEARS": Param("YEARS"),
            "LST_UNITS": Param("LST_UNITS"),
        },
        {"MLRI series": "OUTPUT"},
    )
    b.child(
        "trend",
        "mineland:trend",
        "Trend and restoration classes",
        (780, 280),
        {"INPUTS": [Output("mlri")], "YEARS": Param("YEARS"), "MIN_VALID": Param("MIN_VALID"), "ALPHA": Param("ALPHA")},
        {"Trend statistics": "OUTPUT", "Restoration classes": "OUTPUT_CLASS"},
    )
    b.child(
        "summary",
        "mineland:restorationsummary",
        "Restoration summary per site",
        (560, 380),
        {
            "INPUT": Output("trend", "OUTPUT_CLASS"),
            "SITES": Param("SITES"),
            "SITE_ID_FIELD": Param("SITE_ID_FIELD"),
            "START_YEAR_FIELD": Param("START_YEAR_FIELD"),
            "REFERENCE_YEAR": Param("REFERENCE_YEAR"),
            "GROUP_FIELD": Param("GROUP_FIELD"),
            "CLUSTERS": Param("CLUSTERS"),
        },
        {"Restoration per site": "OUTPUT", "Restoration report": "OUTPUT_HTML"},
    )
    return b.build()


# ---------------------------------------------------------------------- seed 002: hot spots


def mining_hotspots():
    b = ModelBuilder(
        "mining_hotspots",
        (
            "The spatial pattern of mining as Han et al. (2025) map it: a fishnet of square cells over the study area "
            "with the mining density of every cell (density_pct, mine area / cell area; mineland:fishnet) → global "
            "and local Moran's I of the density (mineland:moran, with the Moran scatter plot in an HTML report) → "
            "Getis-Ord Gi* hot and cold spots of the density (mineland:hotspots). Both statistics use the same spatial "
            "weights; Moran's are row-standardised, Gi*'s binary, as in Han et al. (2025)."
        ),
    )
    b.input(
        QgsProcessingParameterFeatureSource("STUDY_AREA", "Study area", POLYGONS),
        "Polygons of the study area (e.g. provinces), any CRS; cells not touching it are dropped.",
        (120, 60),
    )
    b.input(
        QgsProcessingParameterFeatureSource("MINES", "Mine polygons", POLYGONS),
        "Mining patches, any CRS; dissolved first so overlaps count once.",
        (340, 60),
    )
    b.input(
        QgsProcessingParameterNumber(
            "CELL_SIZE", "Cell size (m)", QgsProcessingParameterNumber.Double, 100000.0, minValue=1.0
        ),
        "Side of the square cells in metres (default 100 km, as Han et al. 2025). The grid is in the study "
        "area's CRS if projected, else in an equal-area projection centred on it.",
        (560, 60),
    )
    b.input(
        QgsProcessingParameterBoolean("CLIP", "Clip cells to the study area", defaultValue=False),
        "Cut the edge cells to the study area's outline (density then over the clipped area).",
        (780, 60),
    )
    b.input(
        QgsProcessingParameterEnum(
            "WEIGHTS",
            "Spatial weights",
            ["Queen contiguity", "Rook contiguity", "Distance band", "K nearest neighbours", "Inverse distance"],
            defaultValue=0,
        ),
        "0 queen (default), 1 rook, 2 distance band (DISTANCE), 3 k nearest neighbours (K), 4 inverse "
        "distance; used by both Moran's I and Gi*.",
        (120, 200),
    )
    b.input(
        QgsProcessingParameterNumber(
            "DISTANCE", "Distance (m)", QgsProcessingParameterNumber.Double, 0.0, minValue=0.0
        ),
        "Distance band in metres between cell centroids (needed by WEIGHTS 2; optional cut-off for 4).",
        (120, 260),
        advanced=True,
    )
    b.input(
        QgsProcessingParameterNumber("K", "Neighbours (k)", QgsProcessingParameterNumber.Integer, 8, minValue=1),
        "Number of nearest neighbours for WEIGHTS 3.",
        (120, 320),
        advanced=True,
    )
    b.input(
        QgsProcessingParameterNumber(
            "PERMUTATIONS", "Permutations", QgsProcessingParameterNumber.Integer, 999, minValue=9, maxValue=99999
        ),
        "Random permutations for Moran's pseudo p-values (default 999).",
        (1000, 60),
    )
    b.input(
        QgsProcessingParameterNumber("SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0),
        "Seed of the permutations: the same seed gives the same pseudo p-values.",
        (1220, 60),
    )
    b.input(
        QgsProcessingParameterNumber(
            "ALPHA", "Significance level", QgsProcessingParameterNumber.Double, 0.05, minValue=0.0001, maxValue=0.5
        ),
        "Level of the local Moran clusters (HH, LL, HL, LH) and of the hot- and cold-spot counts. Default 0.05.",
        (1000, 200),
    )
    b.input(
        QgsProcessingParameterBoolean("FDR", "False discovery rate correction (Gi*)", defaultValue=False),
        "Apply the Benjamini-Hochberg FDR correction to the Gi* significance levels.",
        (1220, 200),
    )
    b.child(
        "fishnet",
        "mineland:fishnet",
        "Fishnet and mining density",
        (450, 200),
        {
            "STUDY_AREA": Param("STUDY_AREA"),
            "MINES": Param("MINES"),
            "CELL_SIZE": Param("CELL_SIZE"),
            "CLIP": Param("CLIP"),
        },
        {"Fishnet": "OUTPUT"},
    )
    weights = {
        "INPUT": Output("fishnet"),
        "FIELD": "density_pct",
        "WEIGHTS": Param("WEIGHTS"),
        "DISTANCE": Param("DISTANCE"),
        "K": Param("K"),
        "ALPHA": Param("ALPHA"),
    }
    b.child(
        "moran",
        "mineland:moran",
        "Global and local Moran's I",
        (340, 400),
        dict(weights, PERMUTATIONS=Param("PERMUTATIONS"), SEED=Param("SEED")),
        {"Local Moran": "OUTPUT", "Moran report": "OUTPUT_HTML"},
    )
    b.child(
        "hotspots",
        "mineland:hotspots",
        "Getis-Ord Gi* hot spots",
        (780, 400),
        dict(weights, FDR=Param("FDR")),
        {"Hot spots": "OUTPUT"},
    )
    return b.build()


# ------------------------------------------------------------- seed 002: desertification

DESERTIFICATION_FACTORS = [
    ("PRECIPITATION", "Annual precipitation (mm/year)", "<200 / 200–300 / 300–400 / ≥400 → grade 4…1"),
    ("WIND_SPEED", "Average wind speed (m/s)", "≥4.7 / 3.6–4.7 / 2.8–3.6 / <2.8 → grade 4…1"),
    ("SAND", "Soil sand content (%)", "≥70 / 40–70 / 20–40 / <20 → grade 4…1"),
    ("SLOPE", "Slope gradient (°)", "≥25 / 10–25 / 5–10 / <5 → grade 4…1"),
    ("NDVI_MEAN", "Multi-year NDVI mean", "<0.2 / 0.2–0.4 / 0.4–0.6 / ≥0.6 → grade 4…1"),
    ("SOIL_MOISTURE", "Soil moisture content (m³/m³)", "<0.2 / 0.2–0.28 / 0.28–0.35 / ≥0.35 → grade 4…1"),
]


def desertification_sensitivity():
    b = ModelBuilder(
        "desertification_sensitivity",
        (
            "Desertification sensitivity as Han et al. (2025) grade it, with the most common factors: each factor "
            "raster given is graded 1 (low) … 4 (high) at the bounds of their Table 6, the grades are summed into a "
            "score and the score is classed 1 low, 2 moderate, 3 relatively high, 4 high (mineland:desertification); the "
            "area and share of each class inside the mining patches are tabulated. All factors are optional (give at "
            "least one) and must share one grid. With a few factors the score is smaller than the 13-factor score of "
            "Han et al. (2025), so natural breaks are the default here; their fixed breaks (28, 31, 34) suit all 13 "
            "factors, which mineland:desertification takes."
        ),
    )
    for k, (key, label, grades) in enumerate(DESERTIFICATION_FACTORS):
        b.input(
            QgsProcessingParameterRasterLayer(key, label, optional=True),
            f"{label}, optional; Table 6: {grades}.",
            (120 + 220 * k, 60),
        )
    b.input(
        QgsProcessingParameterFeatureSource("MINES", "Mining patches", POLYGONS),
        "Mining patches, any CRS: the class areas and shares inside them are reported.",
        (120, 200),
    )
    b.input(
        QgsProcessingParameterEnum(
            "METHOD", "Classes of the score", ["Fixed breaks", "Natural breaks (Jenks)"], defaultValue=1
        ),
        "0 fixed breaks (BREAKS), 1 natural breaks (Jenks, default: suits any number of factors).",
        (120, 320),
    )
    b.input(
        QgsProcessingParameterString("BREAKS", "Fixed breaks (3 values)", "28, 31, 34"),
        "Upper bounds of low, moderate and relatively high when METHOD = 0 (the 28, 31, 34 of Han et al. "
        "2025 are for all 13 factors, scores 13–52: scale them to the number of factors given).",
        (340, 320),
    )
    b.input(
        QgsProcessingParameterFile("THRESHOLDS_CSV", "Thresholds from a CSV", extension="csv", optional=True),
        "Optional CSV with rows factor, b1, b2, b3, worse (high/low) replacing Table 6's bounds of those factors.",
        (560, 320),
        advanced=True,
    )
    factors = {key: Param(key) for key, _, _ in DESERTIFICATION_FACTORS}
    # A model input left out (processing.run, qgis_process) reaches the child as NULL, and the child's own
    # default applies, not the model's. METHOD's model default (natural breaks) is not the algorithm's (fixed
    # breaks), so it goes through an expression; every other model input has the child's default.
    b.child(
        "desertification",
        "mineland:desertification",
        "Desertification sensitivity",
        (560, 200),
        dict(
            factors,
            MINES=Param("MINES"),
            METHOD=Expression("coalesce(@METHOD, 1)"),
            BREAKS=Param("BREAKS"),
            THRESHOLDS_CSV=Param("THRESHOLDS_CSV"),
        ),
        {
            "Sensitivity score": "OUTPUT_SCORE",
            "Sensitivity class": "OUTPUT_CLASS",
            "Classes in mining patches": "OUTPUT_MINES",
        },
    )
    return b.build()


MODELS = [
    landcover_carbon,
    mine_boundaries_status,
    restoration_monitoring,
    mining_hotspots,
    desertification_sensitivity,
]


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


def main(folder=MODELS_DIR):
    start_qgis()
    os.makedirs(folder, exist_ok=True)
    for name, model in build_all().items():
        path = os.path.join(folder, f"{name}.model3")
        if not model.toFile(path):
            raise RuntimeError(f"could not write {path}")
        print(path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else MODELS_DIR)
