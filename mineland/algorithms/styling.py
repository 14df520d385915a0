"""Legends for outputs loaded into QGIS, set by Processing's layer post-processor so that they work
from the toolbox and from models alike: categorized or graduated renderers for vector outputs, and
the .qml sidecar we write beside every styled raster (Processing does not load it by itself)."""

import os

from qgis.core import (
    QgsCategorizedSymbolRenderer,
    QgsClassificationJenks,
    QgsGradientColorRamp,
    QgsGraduatedSymbolRenderer,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
    QgsRendererCategory,
    QgsSymbol,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QColor

from ..core.render import styles

#: ArcGIS's hot spot colours: red hot spots, blue cold spots, pale when not significant.
GI_BIN_CATEGORIES = [
    (-3, "#4575b5", "Cold spot, 99 % confidence"),
    (-2, "#849eba", "Cold spot, 95 %"),
    (-1, "#c0ccbe", "Cold spot, 90 %"),
    (0, "#ffffbf", "Not significant"),
    (1, "#fab984", "Hot spot, 90 %"),
    (2, "#ed7551", "Hot spot, 95 %"),
    (3, "#d62f27", "Hot spot, 99 % confidence"),
]

#: Cluster and outlier types of Local Moran.
COTYPE_CATEGORIES = [
    ("HH", "#d7191c", "High-high cluster"),
    ("HL", "#fdae61", "High-low outlier"),
    ("LH", "#abd9e9", "Low-high outlier"),
    ("LL", "#2c7bb6", "Low-low cluster"),
    ("NS", "#eeeeee", "Not significant"),
]


#: QGIS holds post-processors by pointer only: keep the Python objects alive here.
_ALIVE = []


class CategorizedStyle(QgsProcessingLayerPostProcessorInterface):
    """Sets a categorized renderer on the output layer once QGIS has loaded it."""

    def __init__(self, field, categories):
        super().__init__()
        self.field = field
        self.categories = categories

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        if isinstance(layer, QgsVectorLayer):
            layer.setRenderer(categorized_renderer(layer, self.field, self.categories))
            layer.triggerRepaint()


def categorized_renderer(layer, field, categories):
    """A QgsCategorizedSymbolRenderer on ``field`` from (value, colour, label) triples."""
    items = []
    for value, colour, label in categories:
        symbol = QgsSymbol.defaultSymbol(layer.geometryType())
        symbol.setColor(QColor(colour))
        items.append(QgsRendererCategory(value, symbol, label))
    return QgsCategorizedSymbolRenderer(field, items)


class GraduatedStyle(QgsProcessingLayerPostProcessorInterface):
    """Sets a graduated renderer (natural breaks, yellow → red) on a numeric field once QGIS has loaded the layer."""

    def __init__(self, field, classes=5):
        super().__init__()
        self.field = field
        self.classes = classes

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        if isinstance(layer, QgsVectorLayer):
            layer.setRenderer(graduated_renderer(layer, self.field, self.classes))
            layer.triggerRepaint()


def graduated_renderer(layer, field, classes=5):
    """A QgsGraduatedSymbolRenderer on the numeric ``field``: natural breaks, yellow → red."""
    renderer = QgsGraduatedSymbolRenderer(field)
    renderer.setSourceSymbol(QgsSymbol.defaultSymbol(layer.geometryType()))
    renderer.setClassificationMethod(QgsClassificationJenks())
    renderer.updateClasses(layer, classes)
    renderer.updateColorRamp(QgsGradientColorRamp(QColor("#ffffb2"), QColor("#bd0026")))
    return renderer


class SidecarStyle(QgsProcessingLayerPostProcessorInterface):
    """Loads the .qml written beside a raster output: Processing loads outputs without their default style."""

    def __init__(self, qml):
        super().__init__()
        self.qml = qml

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS's name)
        if isinstance(layer, QgsRasterLayer):
            layer.loadNamedStyle(self.qml)
            layer.triggerRepaint()


def apply_sidecar_on_load(context, path):
    """When the toolbox or a model loads the raster ``path`` and we wrote its .qml, apply that style."""
    qml = styles.style_path(str(path))
    if os.path.exists(qml) and context.willLoadLayerOnCompletion(path):
        style = SidecarStyle(qml)
        _ALIVE.append(style)
        context.layerToLoadOnCompletionDetails(path).setPostProcessor(style)


def name_after_inputs(context, path, default_name, inputs):
    """A loaded output keeps the output's name and adds its inputs' ("Reclassified (glc_1985)"), so that
    runs on several rasters (a batch) give layers one can tell apart; a name a model gave is kept."""
    if inputs and context.willLoadLayerOnCompletion(path):
        details = context.layerToLoadOnCompletionDetails(path)
        if details.name == default_name:
            details.name = f"{default_name} ({' → '.join(inputs)})"


def style_on_load(context, dest_id, field, categories=None):
    """Style the output ``dest_id`` when the toolbox or a model loads it: categorized by ``categories``
    ((value, colour, label) triples), or graduated on the numeric ``field`` when there are none."""
    save_style_in_file(dest_id, field, categories)
    if context.willLoadLayerOnCompletion(dest_id):
        style = CategorizedStyle(field, categories) if categories else GraduatedStyle(field)
        _ALIVE.append(style)
        context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(style)


def save_style_in_file(dest_id, field, categories=None):
    """Store the legend with a file output, so that it opens styled in QGIS after a qgis_process run too:
    as the default style in a GeoPackage's layer_styles table, or as a .qml beside any other file (QGIS
    loads <name>.qml of a file layer by itself). A memory layer (a temporary output) is left alone.
    Returns where the style went, or None."""
    path = str(dest_id).split("|")[0]
    if not os.path.isfile(path):
        return None
    layer = QgsVectorLayer(str(dest_id), os.path.splitext(os.path.basename(path))[0], "ogr")
    if layer.isValid() and layer.fields().indexOf(field) < 0:
        field = field[:10]  # a shapefile's field names are cut to 10 characters (density_pct → density_pc)
    if not layer.isValid() or layer.fields().indexOf(field) < 0:
        return None
    layer.setRenderer(
        categorized_renderer(layer, field, categories) if categories else graduated_renderer(layer, field)
    )
    if path.lower().endswith(".gpkg"):
        error = layer.saveStyleToDatabase(layer.name(), "MineLand legend", True, "")
        return None if error else path
    qml = os.path.splitext(path)[0] + ".qml"
    _, saved = layer.saveNamedStyle(qml)
    return qml if saved else None
