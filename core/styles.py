"""Class legends that travel with class rasters: a QGIS style sidecar (.qml).

(The GDAL colour table and attribute table are written by raster_io.) QGIS loads ``<raster name>.qml`` beside a raster as its default style, so a
class raster opens with its colours and class names in the toolbox, in models
and after qgis_process runs alike.
"""

import os
from xml.sax.saxutils import quoteattr

#: Seed 004 restoration classes: decrease in reds, increase in greens.
RESTORATION_COLOURS = {1: "#d7191c", 2: "#fdae61", 3: "#ffffbf", 4: "#a6d96a", 5: "#1a9641"}

_QML = """<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22" styleCategories="AllStyleCategories">
  <pipe>
    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rasterTransparency/>
      <colorPalette>
{entries}
      </colorPalette>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""


def paletted_qml(classes):
    """QML text of a paletted style; ``classes`` is {value: (hex colour, label)}."""
    entries = "\n".join(
        f'        <paletteEntry value="{int(value)}" color={quoteattr(colour)} label={quoteattr(label)} alpha="255"/>'
        for value, (colour, label) in sorted(classes.items()))
    return _QML.format(entries=entries)


def style_path(raster_path):
    """Where QGIS looks for a raster's default style: the same name with .qml."""
    return os.path.splitext(raster_path)[0] + ".qml"


def write_qml(raster_path, classes):
    """Write the .qml sidecar of a class raster for {value: (colour, label)}; return its path."""
    path = style_path(raster_path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(paletted_qml(classes))
    return path
