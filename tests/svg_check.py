"""Reading the reports' inline SVG and HTML tables back, for tests: text boxes, tick values, colours, cells."""

import math
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

SVG = "{http://www.w3.org/2000/svg}"
#: Width of one character as a share of the font size: conservative (sans-serif digits are ~0.55 em wide).
CHAR_WIDTH = 0.6


def svgs(html_text):
    """The <svg> elements of a page, parsed."""
    return [ElementTree.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html_text, flags=re.DOTALL)]


def parse(svg_text):
    return ElementTree.fromstring(svg_text)


def view_box(root):
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    assert (x, y) == (0.0, 0.0)
    assert float(root.get("width")) == w and float(root.get("height")) == h
    return w, h


def texts(root, cls=None):
    """(text, element) of every <text> (its tspans joined), optionally of one class attribute."""
    out = []
    for element in root.iter(f"{SVG}text"):
        if cls is None or element.get("class") == cls:
            out.append(("".join(element.itertext()), element))
    return out


def font_size(element, root):
    return float(element.get("font-size") or root.get("font-size"))


def text_corners(text, element, root):
    """The four corners of a text's box (baseline anchor, ascent 1 em, descent 0.3 em), after its rotation."""
    size = font_size(element, root)
    width = CHAR_WIDTH * size * len(text)
    x, y = float(element.get("x")), float(element.get("y"))
    shift = {"start": 0.0, "middle": 0.5, "end": 1.0}[element.get("text-anchor", "start")]
    corners = [(x - shift * width + dx, y + dy) for dx in (0.0, width) for dy in (-size, 0.3 * size)]
    rotation = re.match(r"rotate\(([-0-9.]+) ([-0-9.]+) ([-0-9.]+)\)", element.get("transform", ""))
    if rotation:
        angle, cx, cy = (float(v) for v in rotation.groups())
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        corners = [(cx + (px - cx) * c - (py - cy) * s, cy + (px - cx) * s + (py - cy) * c) for px, py in corners]
    return corners


def outside(root):
    """Texts whose box is not inside the viewBox: [(text, corners)]."""
    w, h = view_box(root)
    bad = []
    for text, element in texts(root):
        corners = text_corners(text, element, root)
        if not all(-0.5 <= px <= w + 0.5 and -0.5 <= py <= h + 0.5 for px, py in corners):
            bad.append((text, corners))
    return bad


def tick_values(root, axis):
    """Values of the tick labels of the 'x' or 'y' axis (y labels are right-anchored, x centred)."""
    anchor = "end" if axis == "y" else "middle"
    return [float(text.replace("−", "-")) for text, e in texts(root, "tick") if e.get("text-anchor") == anchor]


def luminance(colour):
    """WCAG relative luminance of '#rrggbb'."""

    def channel(v):
        v /= 255.0
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b):
    """WCAG contrast ratio of two colours (1 … 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def tables(html_text):
    """Every <table> of a page as a list of rows of cell texts (header row first)."""
    parser = _Tables()
    parser.feed(html_text)
    return parser.tables


def table_with(html_text, first_header):
    """The table whose first header cell starts with ``first_header``."""
    for rows in tables(html_text):
        if rows and rows[0] and rows[0][0].startswith(first_header):
            return rows
    raise AssertionError(f"no table headed {first_header!r}")


def qml_palette(path):
    """{value: colour} of a paletted QML, read with ElementTree (independently of the plugin's reader)."""
    root = ElementTree.parse(path).getroot()
    return {int(e.get("value")): e.get("color").lower() for e in root.iter("paletteEntry")}


def line_strokes(svg):
    """{title: (stroke, stroke-dasharray)} of the titled polylines of an SVG element (the chart's series)."""
    strokes = {}
    for line in svg.iter(f"{SVG}polyline"):
        title = line.find(f"{SVG}title")
        if title is not None:
            strokes[title.text] = (line.get("stroke"), line.get("stroke-dasharray"))
    return strokes
