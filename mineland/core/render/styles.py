"""Class legends that travel with class rasters: a QGIS style sidecar (.qml).

(The GDAL colour table and attribute table are written by raster_io.) QGIS loads ``<raster name>.qml`` beside a raster as its default style, so a
class raster opens with its colours and class names in the toolbox, in models
and after qgis_process runs alike.
"""

import os
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from ..io import raster_io

#: Seed 004 restoration classes: decrease in reds, increase in greens.
RESTORATION_COLOURS = {1: "#d7191c", 2: "#fdae61", 3: "#ffffbf", 4: "#a6d96a", 5: "#1a9641"}

#: Desertification sensitivity 1 low … 4 high: greens to red.
SENSITIVITY_COLOURS = {1: "#1a9641", 2: "#a6d96a", 3: "#fdae61", 4: "#d7191c"}

#: Seed 000's 7 classes in the colours of the GLC_FCS30 legend they come from.
SEED000_COLOURS = {1: "#ffff64", 2: "#00a000", 3: "#ffb432", 4: "#00dc82", 5: "#0046c8", 6: "#fff5d7", 7: "#c31400"}

#: Seed 001's 4 classes: mine-related brown, cropland yellow, sparse and dense vegetation greens.
SEED001_COLOURS = {1: "#8c4a1c", 2: "#ffff64", 3: "#b4dc78", 4: "#1e7d1e"}

#: Colours for classes without a scheme, repeated as needed (ColorBrewer Set3).
FALLBACK_COLOURS = [
    "#8dd3c7",
    "#ffffb3",
    "#bebada",
    "#fb8072",
    "#80b1d3",
    "#fdb462",
    "#b3de69",
    "#fccde5",
    "#d9d9d9",
    "#bc80bd",
    "#ccebc5",
    "#ffed6f",
]


def class_colours(codes, scheme=None):
    """{code: colour}: the scheme's colour where it has one, else the fallback palette in code order."""
    scheme = scheme or {}
    spare = iter(FALLBACK_COLOURS * (len(codes) // len(FALLBACK_COLOURS) + 1))
    return {code: scheme[code] if code in scheme else next(spare) for code in sorted(codes)}


def qml_colours(raster_path):
    """{value: '#rrggbb'} of the paletted style (.qml) beside a raster; {} without one or when it is not paletted."""
    path = style_path(raster_path)
    if not os.path.exists(path):
        return {}
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        return {}
    colours = {}
    for entry in root.iter("paletteEntry"):
        try:
            colours[int(entry.get("value"))] = entry.get("color", "").lower()
        except (TypeError, ValueError):
            continue
    return colours


def map_colours(raster_path, band, codes):
    """{code: colour} as a class raster shows on the map, for charts that must match its legend.

    QGIS opens a raster with its .qml sidecar when there is one (ours always have one), else with
    its colour table; classes neither gives a colour get the fallback palette (class_colours).
    """
    codes = [int(c) for c in codes]
    own = dict(raster_io.read_colour_table(band, codes)) if band is not None else {}
    own.update({c: colour for c, colour in qml_colours(raster_path).items() if c in codes})
    return class_colours(codes, own)


def dated_map_colours(rasters, codes):
    """{code: colour} over several dates' class rasters, (path, band) pairs: a class takes its map colour from
    the first raster whose legend has it (the fallback palette when none has)."""
    codes = [int(c) for c in codes]
    own = {}
    for path, band in reversed(list(rasters)):
        own.update({c: colour for c, colour in raster_io.read_colour_table(band, codes).items()})
        own.update({c: colour for c, colour in qml_colours(path).items() if c in codes})
    return class_colours(codes, own)


_QML = """<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22" styleCategories="AllStyleCategories">
  <pipe>
{renderer}
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""

_PALETTED = """    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rasterTransparency/>
      <colorPalette>
{entries}
      </colorPalette>
    </rasterrenderer>"""


def paletted_qml(classes):
    """QML text of a paletted style; ``classes`` is {value: (hex colour, label)}."""
    entries = "\n".join(
        f'        <paletteEntry value="{int(value)}" color={quoteattr(colour)} label={quoteattr(label)} alpha="255"/>'
        for value, (colour, label) in sorted(classes.items())
    )
    return _QML.format(renderer=_PALETTED.format(entries=entries))


def style_path(raster_path):
    """Where QGIS looks for a raster's default style: the same name with .qml."""
    return os.path.splitext(raster_path)[0] + ".qml"


def write_qml(raster_path, classes):
    """Write the .qml sidecar of a class raster for {value: (colour, label)}; return its path."""
    path = style_path(raster_path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(paletted_qml(classes))
    return path


#: Colour ramps of continuous outputs (ColorBrewer / viridis stops, low → high).
RAMPS = {
    "viridis": ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
    "greens": ["#f7fcf5", "#c7e9c0", "#74c476", "#238b45", "#00441b"],
    "heat": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    # diverging, centred on 0: decreases red, increases green (trend slopes, Z, changes)
    "diverging": ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"],
}

_PSEUDOCOLOUR = """    <rasterrenderer type="singlebandpseudocolor" band="{band}" opacity="1" alphaBand="-1" classificationMin="{low}" classificationMax="{high}" nodataColor="">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" minimumValue="{low}" maximumValue="{high}" clip="0" labelPrecision="4">
{items}
        </colorrampshader>
      </rastershader>
    </rasterrenderer>"""


def ramp_stops(low, high, ramp="viridis"):
    """(value, colour) stops spread evenly from ``low`` to ``high``; the diverging ramp is made symmetric about 0."""
    colours = RAMPS[ramp]
    if ramp == "diverging":
        reach = max(abs(low), abs(high)) or 1.0
        low, high = -reach, reach
    if high <= low:
        high = low + 1.0
    step = (high - low) / (len(colours) - 1)
    return [(low + k * step, colour) for k, colour in enumerate(colours)]


def ramp_qml(low, high, ramp="viridis", band=1, unit=""):
    """QML text of a single-band pseudocolour style from ``low`` to ``high`` on ``band``."""
    stops = ramp_stops(low, high, ramp)
    suffix = f" {unit}" if unit else ""
    items = "\n".join(
        f'          <item value="{value!r}" color={quoteattr(colour)} label={quoteattr(f"{value:.4g}{suffix}")} '
        'alpha="255"/>'
        for value, colour in stops
    )
    return _QML.format(
        renderer=_PSEUDOCOLOUR.format(band=band, low=repr(stops[0][0]), high=repr(stops[-1][0]), items=items)
    )


def write_ramp_qml(raster_path, low, high, ramp="viridis", band=1, unit=""):
    """Write the .qml sidecar of a continuous raster; return its path."""
    path = style_path(raster_path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(ramp_qml(low, high, ramp, band, unit))
    return path


def style_continuous(raster_path, ramp="viridis", band=1, unit=""):
    """Give a written continuous raster a colour-ramp sidecar over its value range; None when it is all nodata."""
    value_range = raster_io.band_range(raster_path, band)
    if value_range is None:
        return None
    return write_ramp_qml(raster_path, *value_range, ramp=ramp, band=band, unit=unit)
