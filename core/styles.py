"""Class legends that travel with class rasters: a QGIS style sidecar (.qml).

(The GDAL colour table and attribute table are written by raster_io.) QGIS loads ``<raster name>.qml`` beside a raster as its default style, so a
class raster opens with its colours and class names in the toolbox, in models
and after qgis_process runs alike.
"""

import os
from xml.sax.saxutils import quoteattr

#: Seed 004 restoration classes: decrease in reds, increase in greens.
RESTORATION_COLOURS = {1: "#d7191c", 2: "#fdae61", 3: "#ffffbf", 4: "#a6d96a", 5: "#1a9641"}

#: Desertification sensitivity 1 low … 4 high: greens to red.
SENSITIVITY_COLOURS = {1: "#1a9641", 2: "#a6d96a", 3: "#fdae61", 4: "#d7191c"}

#: Seed 000's 7 classes in the colours of the GLC_FCS30 legend they come from.
SEED000_COLOURS = {1: "#ffff64", 2: "#00a000", 3: "#ffb432", 4: "#00dc82", 5: "#0046c8", 6: "#fff5d7",
                   7: "#c31400"}

#: Seed 001's 4 classes: mine-related brown, cropland yellow, sparse and dense vegetation greens.
SEED001_COLOURS = {1: "#8c4a1c", 2: "#ffff64", 3: "#b4dc78", 4: "#1e7d1e"}

#: Colours for classes without a scheme, repeated as needed (ColorBrewer Set3).
FALLBACK_COLOURS = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
                    "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f"]


def class_colours(codes, scheme=None):
    """{code: colour}: the scheme's colour where it has one, else the fallback palette in code order."""
    scheme = scheme or {}
    spare = iter(FALLBACK_COLOURS * (len(codes) // len(FALLBACK_COLOURS) + 1))
    return {code: scheme[code] if code in scheme else next(spare) for code in sorted(codes)}

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
