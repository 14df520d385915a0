"""Self-contained HTML reports: headings, notes, tables and inline SVG charts; inline CSS, nothing fetched.

Charts are drawn for a printed page: at least 640 px wide, labels of at least 11 px, both axes with
tick values and their unit, legends laid out from the width of their labels (wrapped below the
chart, never clipped), and every series in the colour of its map legend, outlined so that light
colours stay visible on white. Numbers are rounded for reading (:func:`number`).
"""

import html
import math

import numpy as np

STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:3px 7px;text-align:right}th{background:#eee}td.t,th.t{text-align:left}
p.note{color:#555;max-width:60em}svg{display:block;margin:0.5em 0 1em}svg text{fill:#222}"""

#: Font sizes (px) of tick labels, of axis titles and legends.
TICK_FONT = 12
LABEL_FONT = 13
#: Width of one character as a share of the font size: generous (sans-serif digits are ~0.55), so that
#: text laid out from it is never clipped.
CHAR_WIDTH = 0.6
#: Colour of "Total" lines: black and dashed, a colour no class palette uses.
TOTAL_COLOUR = "#000000"
#: Outline of boxes, bars and markers, so that pale classes (NI #ffffbf, bare land #fff5d7) show on white.
OUTLINE = "#555555"


def escape(text):
    return html.escape(str(text))


# ---------------------------------------------------------------------------------------------- numbers


class Formatted(str):
    """A number already formatted as text (by :func:`number`): right-aligned in a table as it is."""


def significant(value, digits=4):
    """``value`` to ``digits`` significant digits in positional notation, never fewer than its whole digits.

    12345.67 → '12346', 12.3456 → '12.35', 0.000027 → '0.000027', 75.0 → '75'; no exponent, no
    trailing zeros, no '-0'.
    """
    value = float(value)
    if not math.isfinite(value):
        return "" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if abs(value) >= 10 ** (digits - 1):
        text = f"{value:.0f}"
    else:
        text = np.format_float_positional(value, precision=digits, unique=False, fractional=False, trim="-")
    return "0" if text in ("-0", "0.", "-0.") else text.rstrip(".")


def p_value(p):
    """A p-value as papers print it: '0.083', '< 0.001'."""
    p = float(p)
    if math.isnan(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def number(value, kind="num"):
    """``value`` formatted by kind: 'num' 4 significant digits, 'pct' 2 decimals, 'p' a p-value, 'int', 'year'
    (a fractional year, 1 decimal: 2001.3)."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return Formatted("")
    if isinstance(value, (bool, np.bool_)):
        return Formatted(str(bool(value)))
    if kind == "p":
        return Formatted(p_value(value))
    if isinstance(value, (int, np.integer)) or kind == "int":
        return Formatted(str(round(value)))
    if kind in ("pct", "year"):
        text = f"{float(value):.{2 if kind == 'pct' else 1}f}"
        return Formatted(text.lstrip("-") if float(text) == 0 else text)
    return Formatted(significant(value))


def column_kind(name):
    """How a column's numbers are rounded, from its header: p-values, percentages, else significant digits."""
    low = str(name).lower().strip()
    if (
        low in ("p", "p-value", "p value")
        or low.startswith(("p ", "p-value", "pseudo p"))
        or low.endswith(("_p", " p"))
    ):
        return "p"
    if "%" in low or "pct" in low:
        return "pct"
    return "num"


#: Column-name suffixes of our tables and the unit shown in a report's header.
UNITS = {"_km2": "km²", "_ha": "ha", "_pct": "%", "_yr": "years", "_mt": "Mt", "_mg": "Mg", "_m2": "m²"}


def unit_header(name):
    """A table column name with its unit spelled out: 'area_km2' → 'area (km²)', 'sd_pct' → 'sd (%)'."""
    for suffix, unit in UNITS.items():
        if name.endswith(suffix):
            return f"{name[: -len(suffix)]} ({unit})"
    return name


def cell(value, kind="num"):
    """A table cell: numbers right-aligned and rounded (:func:`number`), text left, None/NaN empty."""
    if isinstance(value, Formatted):
        return f"<td>{escape(value)}</td>"
    if value is None or isinstance(value, (int, float, np.integer, np.floating, bool, np.bool_)):
        return f"<td>{escape(number(value, kind))}</td>"
    return f'<td class="t">{escape(value)}</td>'


def table(header, rows, kinds=None):
    """An HTML table; ``kinds`` (one per column, see :func:`number`) default to :func:`column_kind` of the header."""
    kinds = list(kinds) if kinds is not None else [column_kind(name) for name in header]
    rows = [list(row) for row in rows]
    text_columns = {k for row in rows for k, v in enumerate(row) if isinstance(v, str) and not isinstance(v, Formatted)}
    head = "".join(
        ('<th class="t">' if k in text_columns else "<th>") + f"{escape(name)}</th>" for k, name in enumerate(header)
    )
    body = "".join(
        "<tr>" + "".join(cell(v, kinds[k] if k < len(kinds) else "num") for k, v in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def heading(text, level=2):
    return f"<h{level}>{escape(text)}</h{level}>"


def note(text):
    return f'<p class="note">{escape(text)}</p>'


def page(title, sections):
    """One HTML page as text: ``title`` as heading, then the ``sections`` (HTML strings) in order."""
    parts = (
        [
            '<!DOCTYPE html><html><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
            heading(title, 1),
        ]
        + list(sections)
        + ["</body></html>"]
    )
    return "\n".join(parts)


def save(path, text):
    """Write a page made by :func:`page` (UTF-8)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def write_page(path, title, sections):
    """Write one HTML page: ``title`` as heading, then the ``sections`` (HTML strings) in order."""
    save(path, page(title, sections))


# ---------------------------------------------------------------------------------------------- chart parts


def text_width(text, size=LABEL_FONT):
    """Conservative width (px) of ``text`` at font ``size``: CHAR_WIDTH × size per character."""
    return CHAR_WIDTH * size * len(str(text))


def nice_ticks(low, high, count=5):
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10^k) from ≤ ``low`` to ≥ ``high``, about ``count`` of them."""
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    # k × step in 12 significant digits: 3 × 1e-6 is 3e-06, not 2.9999999999999997e-06 below the data
    return [float(f"{k * step:.12g}") for k in range(first, last + 1)], step


def tick_text(value, step):
    """A tick label with as many decimals as the step needs (2.5 → '2.5', 0.25 → '0.25', 0.02 → '0.02')."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    while decimals < 12 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


class Axis:
    """A linear scale from data values to pixels over the ticks that bracket the data."""

    def __init__(self, low, high, start_px, end_px, count=5, include_zero=False):
        if include_zero:
            low, high = min(low, 0.0), max(high, 0.0)
        self.ticks, self.step = nice_ticks(low, high, count)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.start_px, self.end_px = start_px, end_px

    def __call__(self, value):
        return self.start_px + (value - self.low) / (self.high - self.low) * (self.end_px - self.start_px)

    def labels(self):
        return [(v, tick_text(v, self.step)) for v in self.ticks]

    def widest(self, size=TICK_FONT):
        return max(text_width(label, size) for _, label in self.labels())


def y_axis_width(low, high):
    """Left margin (px) that holds the tick labels of a y axis over [low, high] and its rotated title."""
    return 10 + LABEL_FONT + 10 + Axis(low, high, 0, 1, include_zero=False).widest() + 8


def draw_y_axis(axis, left, right, title):
    """Tick labels, light grid lines, the axis line and the rotated title (with its unit)."""
    top, bottom = axis.end_px, axis.start_px
    parts = [f'<line x1="{left}" y1="{top:.1f}" x2="{left}" y2="{bottom:.1f}" stroke="#333"/>']
    for value, label in axis.labels():
        y = axis(value)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e3e3e3"/>'
            f'<line x1="{left - 5}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#333"/>'
            f'<text class="tick" x="{left - 8}" y="{y + TICK_FONT * 0.35:.1f}" text-anchor="end" '
            f'font-size="{TICK_FONT}">{escape(label)}</text>'
        )
    middle = (top + bottom) / 2
    parts.append(
        f'<text class="axis-title" x="{10 + LABEL_FONT}" y="{middle:.1f}" text-anchor="middle" '
        f'font-size="{LABEL_FONT}" transform="rotate(-90 {10 + LABEL_FONT} {middle:.1f})">'
        f"{escape(title)}</text>"
    )
    return parts


def draw_x_axis(axis, bottom, title, labels=None):
    """A numeric x axis: tick labels below the line, the title (with its unit) under them."""
    parts = [f'<line x1="{axis.start_px:.1f}" y1="{bottom}" x2="{axis.end_px:.1f}" y2="{bottom}" stroke="#333"/>']
    for value, label in labels if labels is not None else axis.labels():
        x = axis(value)
        parts.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" stroke="#333"/>'
            f'<text class="tick" x="{x:.1f}" y="{bottom + 8 + TICK_FONT}" text-anchor="middle" '
            f'font-size="{TICK_FONT}">{escape(label)}</text>'
        )
    if title:
        parts.append(
            f'<text class="axis-title" x="{(axis.start_px + axis.end_px) / 2:.1f}" '
            f'y="{bottom + 14 + TICK_FONT + LABEL_FONT}" text-anchor="middle" font-size="{LABEL_FONT}">'
            f"{escape(title)}</text>"
        )
    return parts


def swatch(x, y, colour, kind="box"):
    """A legend key at (x, y top-left), 16 × LABEL_FONT px: an outlined box, a line or a dashed line."""
    middle = y + LABEL_FONT / 2
    if kind == "box":
        return (
            f'<rect class="swatch" x="{x:.1f}" y="{y + 1:.1f}" width="14" height="{LABEL_FONT - 2}" '
            f'fill="{colour}" stroke="{OUTLINE}" stroke-width="1"/>'
        )
    dash = ' stroke-dasharray="6 3"' if kind == "dash" else ""
    casing = (
        ""
        if kind == "dash"
        else (
            f'<line x1="{x:.1f}" y1="{middle:.1f}" x2="{x + 16:.1f}" y2="{middle:.1f}" '
            f'stroke="{OUTLINE}" stroke-width="4.5"/>'
        )
    )
    return (
        f'{casing}<line class="swatch" x1="{x:.1f}" y1="{middle:.1f}" x2="{x + 16:.1f}" y2="{middle:.1f}" '
        f'stroke="{colour}" stroke-width="2.5"{dash}/>'
    )


def legend(items, x, y, width):
    """Legend entries (name, colour, kind) in a grid from (x, y): columns as wide as the widest entry, as many as
    fit before ``width`` (one per row when the names are long); (svg parts, height)."""
    if not items:
        return [], 0
    row = LABEL_FONT + 8
    column = max(16 + 6 + text_width(name) + 18 for name, _, _ in items)
    columns = max(1, int((width - x) // column))
    parts = []
    for k, (name, colour, kind) in enumerate(items):
        cx, cy = x + (k % columns) * column, y + (k // columns) * row
        parts.append(
            swatch(cx, cy, colour, kind) + f'<text class="legend" x="{cx + 22:.1f}" '
            f'y="{cy + LABEL_FONT * 0.85:.1f}" font-size="{LABEL_FONT}">{escape(name)}</text>'
        )
    return parts, math.ceil(len(items) / columns) * row


def svg_open(width, height):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="{LABEL_FONT}">'
    )


def rotated_overhang(labels, spacing):
    """How far (px) labels rotated 45° under the first bar reach left of the plot's edge."""
    longest = max((text_width(label, TICK_FONT) for label in labels), default=0.0)
    if longest + 4 <= spacing:
        return 0.0
    return max(0.0, (longest + TICK_FONT) * 0.71 - spacing / 2)


def category_labels(labels, x_of, spacing, bottom):
    """Category labels under bars: horizontal when they fit, else rotated 45° (every k-th when crowded)."""
    longest = max((text_width(label, TICK_FONT) for label in labels), default=0.0)
    every = max(1, math.ceil((TICK_FONT * 1.3) / max(spacing, 1e-9)))
    parts = []
    if longest + 4 <= spacing * every and every == 1:
        for i, label in enumerate(labels):
            parts.append(
                f'<text class="category" x="{x_of(i):.1f}" y="{bottom + 8 + TICK_FONT}" text-anchor="middle" '
                f'font-size="{TICK_FONT}">{escape(label)}</text>'
            )
        return parts, 8 + TICK_FONT + 4
    for i, label in enumerate(labels):
        if i % every:
            continue
        x, y = x_of(i), bottom + 8
        parts.append(
            f'<text class="category" x="{x:.1f}" y="{y + TICK_FONT * 0.7:.1f}" text-anchor="end" '
            f'font-size="{TICK_FONT}" transform="rotate(-45 {x:.1f} {y:.1f})">{escape(label)}</text>'
        )
    return parts, 8 + longest * 0.71 + TICK_FONT + 4


def layout_height(legend_items, width, left):
    """Height of the legend rows when laid out from ``left`` within ``width``."""
    return legend(legend_items, left, 0, width - 10)[1]


# ---------------------------------------------------------------------------------------------- charts


def scatter_svg(x, y, x_label, y_label, colours=None, size=600, legend_items=()):
    """An inline SVG scatter plot with axes through 0 and the line through the origin (Moran scatter plot).

    Both axes carry tick values; ``legend_items`` are (name, colour) pairs of the point colours.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    colours = np.asarray(colours if colours is not None else ["#3b6ea5"] * keep.size, dtype=object)[keep]
    x, y = x[keep], y[keep]
    (x_low, x_high), (y_low, y_high) = (_padded(x), _padded(y))
    width = max(size, 640)
    left = y_axis_width(y_low, y_high)
    items = [(name, colour, "box") for name, colour in legend_items]
    legend_h = layout_height(items, width, left)
    plot = min(width - left - 20, size - 60)
    top, bottom = 12, 12 + plot
    ax = Axis(x_low, x_high, left, left + plot, include_zero=True)
    ay = Axis(y_low, y_high, bottom, top, include_zero=True)
    height = bottom + 14 + TICK_FONT + LABEL_FONT + 14 + legend_h
    parts = [svg_open(width, height)] + draw_y_axis(ay, left, left + plot, y_label)
    parts += draw_x_axis(ax, bottom, x_label)
    parts += [
        f'<line x1="{ax(0):.1f}" y1="{top}" x2="{ax(0):.1f}" y2="{bottom}" stroke="#999"/>',
        f'<line x1="{left}" y1="{ay(0):.1f}" x2="{left + plot}" y2="{ay(0):.1f}" stroke="#999"/>',
    ]
    parts += [
        f'<circle cx="{ax(a):.1f}" cy="{ay(b):.1f}" r="3.5" fill="{c}" fill-opacity="0.9" stroke="{OUTLINE}" '
        'stroke-width="0.6"/>'
        for a, b, c in zip(x, y, colours)
    ]
    if x.size > 1 and np.var(x) > 0:
        # through the origin: the slope is Moran's I for row-standardised W
        slope = float(np.sum(x * y) / np.sum(x * x))
        # the line within the plot: x where it leaves the y range, clipped to the x range
        ends = [ax.low, ax.high]
        if slope:
            x_at = sorted((ay.low / slope, ay.high / slope))
            ends = [max(ax.low, x_at[0]), min(ax.high, x_at[1])]
        parts.append(
            f'<line x1="{ax(ends[0]):.1f}" y1="{ay(ends[0] * slope):.1f}" x2="{ax(ends[1]):.1f}" '
            f'y2="{ay(ends[1] * slope):.1f}" stroke="#000" stroke-width="1.5"/>'
        )
    legend_parts, _ = legend(items, left, height - legend_h, width - 10)
    return "".join(parts + legend_parts + ["</svg>"])


def _padded(values):
    """(low, high) of finite values widened by 5 % (a unit range when there are none)."""
    if values.size == 0:
        return -1.0, 1.0
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _series(series):
    """{name: (colour, values)} → names, colours, values (series × labels)."""
    names = list(series)
    colours = [series[n][0] for n in names]
    return names, colours, [series[n][1] for n in names]


def bar_chart_foot(zero, left, width, bottom, tick_h, tick_parts, x_label, items, legend_top):
    """What closes a bar chart: the zero line, the category ticks, the x-axis title, the legend and </svg>."""
    parts = [f'<line x1="{left}" y1="{zero:.1f}" x2="{width - 10}" y2="{zero:.1f}" stroke="#333"/>'] + tick_parts
    if x_label:
        parts.append(
            f'<text class="axis-title" x="{(left + width - 10) / 2:.1f}" y="{bottom + tick_h + LABEL_FONT}" '
            f'text-anchor="middle" font-size="{LABEL_FONT}">{escape(x_label)}</text>'
        )
    legend_parts, _ = legend(items, left, legend_top, width - 10)
    return parts + legend_parts + ["</svg>"]


def bars_svg(labels, series, y_label, x_label="", width=720, height=320):
    """An inline SVG grouped bar chart: ``series`` is {name: (colour, values over labels)}.

    ``y_label`` is the y axis title with its unit (e.g. 'area, km² per year'); the y axis has tick values
    from 0 (or the lowest value) to above the highest bar.
    """
    names, colours, rows = _series(series)
    values = np.nan_to_num(np.array(rows, dtype=np.float64).reshape(len(names), len(labels)))
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    left = y_axis_width(min(low, 0.0), high)
    width = max(width, 640)
    items = [(n, c, "box") for n, c in zip(names, colours)]
    left = max(left, 6 + rotated_overhang(labels, (width - left - 20) / max(len(labels), 1)))
    spacing = (width - left - 20) / max(len(labels), 1)
    top, bottom = 12, 12 + height
    axis = Axis(low, high, bottom, top, include_zero=True)
    bar = max(min(spacing * 0.8 / max(len(names), 1), 40.0), 1.0)

    def x_of(i):  # the centre of group i
        return left + (i + 0.5) * spacing

    tick_parts, tick_h = category_labels(labels, x_of, spacing, bottom)
    title_h = LABEL_FONT + 6 if x_label else 0
    legend_h = layout_height(items, width, left)
    total = bottom + tick_h + title_h + 8 + legend_h
    parts = [svg_open(width, total)] + draw_y_axis(axis, left, width - 10, y_label)
    zero = axis(0.0)
    for i, label in enumerate(labels):
        x0 = x_of(i) - bar * len(names) / 2
        for k, name in enumerate(names):
            v = values[k, i]
            y0, y1 = sorted((axis(v), zero))
            parts.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{y0:.1f}" width="{bar * 0.9:.1f}" height="{y1 - y0:.1f}" '
                f'fill="{colours[k]}" stroke="{OUTLINE}" stroke-width="0.5"><title>{escape(name)} '
                f"{escape(label)}: {significant(v)}</title></rect>"
            )
    return "".join(
        parts + bar_chart_foot(zero, left, width, bottom, tick_h, tick_parts, x_label, items, total - legend_h)
    )


#: Colours of series that have no map colour (zones, groups): no black, which is the Total's.
PALETTE = (
    "#3b6ea5",
    "#c0392b",
    "#27ae60",
    "#8e44ad",
    "#e67e22",
    "#16a085",
    "#7f8c8d",
    "#d35400",
    "#2c3e50",
    "#b7950b",
    "#1abc9c",
    "#6c3483",
)


def lines_svg(x, series, y_label, levels=(), width=720, height=320, colours=None, dashed=(), x_label="year"):
    """An inline SVG line chart: ``series`` is {name: values over x}; ``levels`` are (label, y) dashed lines.

    ``colours`` {name: colour} draws named series in their map colours (the others in PALETTE); names in
    ``dashed`` (a total) are drawn as dashed lines. Each line has a dark casing, so pale class colours
    show on white. Seed 003 Fig. 8's shape: ThV over time with the elastic, yield and mutation levels.
    """
    x = np.asarray(x, dtype=np.float64)
    values = np.array([series[name] for name in series], dtype=np.float64).reshape(len(series), x.size)
    finite = values[np.isfinite(values)]
    ys = np.concatenate([finite, [y for _, y in levels]]) if finite.size or levels else np.array([0.0, 1.0])
    low, high = float(ys.min()), float(ys.max())
    include_zero = low >= 0 and (high - low) > 0.2 * high  # areas and stocks from 0 unless they barely change
    width = max(width, 640)
    left = y_axis_width(min(low, 0.0) if include_zero else low, high)
    level_w = max((text_width(f"{label} {significant(v)}", TICK_FONT) for label, v in levels), default=0.0)
    right = width - 16 - (level_w + 6 if levels else 0)
    top, bottom = 12, 12 + height
    ay = Axis(low, high, bottom, top, include_zero=include_zero)
    x_low, x_high = float(x.min()), float(x.max())
    pad = (x_high - x_low) * 0.03 or 0.5
    ax = Axis(x_low - pad, x_high + pad, left, right)
    ax.low, ax.high = x_low - pad, x_high + pad  # the dates themselves are the ticks, no rounding out
    x_labels = [(v, f"{v:g}") for v in x]
    if len(x) > (right - left) / (text_width("0000", TICK_FONT) + 8):
        x_labels = None  # too many dates to label each: round ticks
        ax = Axis(x_low, x_high, left, right)
    colours = colours or {}
    styles = {}
    spare = iter(PALETTE * (len(series) // len(PALETTE) + 1))
    for name in series:
        styles[name] = (colours[name] if name in colours else next(spare), "dash" if name in dashed else "line")
    items = [(name, *styles[name]) for name in series]
    legend_h = layout_height(items, width, left)
    total = bottom + 14 + TICK_FONT + LABEL_FONT + 14 + legend_h
    parts = [svg_open(width, total)] + draw_y_axis(ay, left, right, y_label)
    parts += draw_x_axis(ax, bottom, x_label, x_labels)
    for label, level in levels:
        parts.append(
            f'<line x1="{left}" y1="{ay(level):.1f}" x2="{right}" y2="{ay(level):.1f}" stroke="#555" '
            f'stroke-dasharray="4 3"/><text x="{right + 4}" y="{ay(level) + 4:.1f}" font-size="{TICK_FONT}">'
            f"{escape(label)} {significant(level)}</text>"
        )
    for name, row in zip(series, values):
        colour, kind = styles[name]
        keep = np.isfinite(row)
        points = " ".join(f"{ax(a):.1f},{ay(b):.1f}" for a, b in zip(x[keep], row[keep]))
        if kind == "dash":
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" '
                f'stroke-dasharray="6 3"><title>{escape(name)}</title></polyline>'
            )
        else:
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{OUTLINE}" stroke-width="4"/>'
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5">'
                f"<title>{escape(name)}</title></polyline>"
            )
        parts += [
            f'<circle cx="{ax(a):.1f}" cy="{ay(b):.1f}" r="3.5" fill="{colour}" stroke="{OUTLINE}">'
            f"<title>{escape(name)} {a:g}: {significant(b)}</title></circle>"
            for a, b in zip(x[keep], row[keep])
        ]
    legend_parts, _ = legend(items, left, total - legend_h, width - 10)
    return "".join(parts + legend_parts + ["</svg>"])


def _spread(centres, low, high, step):
    """Label positions near ``centres`` (sorted) at least ``step`` apart, within [low, high] where possible."""
    out = []
    for c in centres:
        out.append(max(c, out[-1] + step) if out else max(c, low))
    overflow = out[-1] - high if out else 0
    if overflow > 0:  # pushed past the bottom: shift back up as far as the top allows
        shift = min(overflow, out[0] - low) if out else 0
        out = [v - shift for v in out]
    return out


def sankey_svg(
    left,
    right,
    flows,
    colours,
    left_title="",
    right_title="",
    width=900,
    height=560,
    unit="km²",
    right_colours=None,
    min_label_px=None,
):
    """An inline SVG Sankey (alluvial) diagram of class transitions (seed 000 Fig. 5/7 shape).

    ``left`` / ``right``: node labels of the start and end classes; ``flows``: (left index,
    right index, value) with value > 0; ``colours``: one colour per left node (the flow's colour),
    ``right_colours`` per right node (default: the left colours, as both dates share the classes).
    Node heights and band widths are proportional to the values; each node is labelled with its
    total and ``unit``, each band at least ``min_label_px`` thick (default: the font size) with its value.
    """
    flows = [(i, j, float(v)) for i, j, v in flows if v > 0]
    right_colours = list(right_colours) if right_colours is not None else list(colours)
    total = sum(v for _, _, v in flows) or 1.0
    min_label_px = LABEL_FONT if min_label_px is None else min_label_px
    left_totals = [sum(f[2] for f in flows if f[0] == n) for n in range(len(left))]
    right_totals = [sum(f[2] for f in flows if f[1] == n) for n in range(len(right))]
    left_text = [f"{label} ({significant(t)} {unit})" for label, t in zip(left, left_totals)]
    right_text = [f"{label} ({significant(t)} {unit})" for label, t in zip(right, right_totals)]
    gap, top, node_w = 8.0, LABEL_FONT + 16.0, 16.0
    shown = max(sum(t > 0 for t in left_totals), sum(t > 0 for t in right_totals), 1)
    height = max(height, top + 10 + shown * (LABEL_FONT + 6) * 1.5)
    usable = height - top - 10 - gap * max(shown - 1, 0)
    scale = usable / total
    x_left = 10 + max((text_width(t) for t, v in zip(left_text, left_totals) if v > 0), default=0) + 8
    right_w = max((text_width(t) for t, v in zip(right_text, right_totals) if v > 0), default=0)
    x_right = width - 10 - right_w - 8 - node_w
    if x_right - x_left < 240:  # long labels: widen the page rather than squeeze the bands
        width += 240 - (x_right - x_left)
        x_right = x_left + 240

    def positions(sizes):
        starts, y = [], top
        for size in sizes:
            starts.append(y)
            y += size * scale + (gap if size > 0 else 0)
        return starts

    left_y, right_y = positions(left_totals), positions(right_totals)
    parts = [
        svg_open(width, height),
        (
            f'<text x="{x_left + node_w}" y="{LABEL_FONT + 2}" text-anchor="end" font-weight="bold">'
            f"{escape(left_title)}</text>"
        ),
        f'<text x="{x_right}" y="{LABEL_FONT + 2}" font-weight="bold">{escape(right_title)}</text>',
    ]
    out_offset, in_offset = list(left_y), list(right_y)
    labels = []
    mid = (x_left + node_w + x_right) / 2
    for i, j, v in sorted(flows, key=lambda f: (f[0], f[1])):
        h = v * scale
        y0, y1 = out_offset[i], in_offset[j]
        out_offset[i] += h
        in_offset[j] += h
        path = (
            f"M{x_left + node_w},{y0:.1f} C{mid},{y0:.1f} {mid},{y1:.1f} {x_right},{y1:.1f} "
            f"L{x_right},{y1 + h:.1f} C{mid},{y1 + h:.1f} {mid},{y0 + h:.1f} {x_left + node_w},{y0 + h:.1f} Z"
        )
        parts.append(
            f'<path d="{path}" fill="{colours[i]}" fill-opacity="0.6" stroke="#888" stroke-width="0.5">'
            f"<title>{escape(left[i])} → {escape(right[j])}: {significant(v)} {unit}</title></path>"
        )
        if h >= min_label_px:  # at the start of the band, where the bands of one class lie side by side
            labels.append(
                f'<text class="band" x="{x_left + node_w + 5:.1f}" y="{y0 + h / 2 + TICK_FONT * 0.35:.1f}" '
                f'font-size="{TICK_FONT}">{escape(significant(v))} {escape(unit)}</text>'
            )
    for texts, ys, totals, node_colours, x, anchor, dx in (
        (left_text, left_y, left_totals, colours, x_left, "end", -6),
        (right_text, right_y, right_totals, right_colours, x_right, "start", node_w + 6),
    ):
        visible = [k for k, t in enumerate(totals) if t > 0]
        centres = [ys[k] + totals[k] * scale / 2 for k in visible]
        label_ys = _spread(centres, top + LABEL_FONT / 2, height - 4, LABEL_FONT + 3)
        for k, label_y in zip(visible, label_ys):
            h = totals[k] * scale
            parts.append(
                f'<rect class="node" x="{x}" y="{ys[k]:.1f}" width="{node_w}" height="{max(h, 0.5):.1f}" '
                f'fill="{node_colours[k]}" stroke="{OUTLINE}"/>'
                f'<text class="node-label" x="{x + dx}" y="{label_y + LABEL_FONT * 0.35:.1f}" '
                f'text-anchor="{anchor}">{escape(texts[k])}</text>'
            )
    parts += labels + ["</svg>"]
    return "".join(parts)


def stacked_bars_svg(labels, parts, y_label, x_label="", width=720, height=320):
    """An inline SVG stacked bar chart: ``parts`` is {name: (colour, values over labels)}, e.g. class shares (%).

    The y axis has tick values up to the tallest stack (100 for shares); the legend lists every part,
    pale ones outlined.
    """
    names, colours, rows = _series(parts)
    values = np.nan_to_num(np.array(rows, dtype=np.float64).reshape(len(names), len(labels)))
    high = float(values.sum(axis=0).max()) if values.size else 1.0
    width = max(width, 640)
    left = y_axis_width(0.0, high)
    left = max(left, 6 + rotated_overhang(labels, (width - left - 20) / max(len(labels), 1)))
    spacing = (width - left - 20) / max(len(labels), 1)
    top, bottom = 12, 12 + height
    axis = Axis(0.0, high, bottom, top, include_zero=True)
    bar = max(min(spacing * 0.7, 48.0), 1.0)

    def x_of(i):  # the centre of bar i
        return left + (i + 0.5) * spacing

    tick_parts, tick_h = category_labels(labels, x_of, spacing, bottom)
    title_h = LABEL_FONT + 6 if x_label else 0
    items = [(n, c, "box") for n, c in zip(names, colours)]
    legend_h = layout_height(items, width, left)
    total = bottom + tick_h + title_h + 8 + legend_h
    svg = [svg_open(width, total)] + draw_y_axis(axis, left, width - 10, y_label)
    for i, label in enumerate(labels):
        y = axis(0.0)
        for k, name in enumerate(names):
            h = axis(0.0) - axis(values[k, i])
            y -= h
            svg.append(
                f'<rect x="{x_of(i) - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[k]}" stroke="{OUTLINE}" stroke-width="0.5"><title>{escape(label)} '
                f"{escape(name)}: {significant(values[k, i])}</title></rect>"
            )
    return "".join(
        svg + bar_chart_foot(axis(0.0), left, width, bottom, tick_h, tick_parts, x_label, items, total - legend_h)
    )
