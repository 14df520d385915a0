"""Self-contained HTML reports: headings, notes and tables, inline CSS, nothing fetched."""

import html
import math

import numpy as np

STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #bbb;padding:3px 7px;text-align:right}th{background:#eee}td.t{text-align:left}
p.note{color:#555;max-width:60em}"""


def escape(text):
    return html.escape(str(text))


def cell(value):
    """A table cell: numbers right-aligned to 6 significant digits, text left, None/NaN empty."""
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "<td></td>"
    if isinstance(value, (float, np.floating)):
        return f"<td>{value:.6g}</td>"
    if isinstance(value, (int, np.integer)):
        return f"<td>{value}</td>"
    return f"<td class=\"t\">{escape(value)}</td>"


def table(header, rows):
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def heading(text, level=2):
    return f"<h{level}>{escape(text)}</h{level}>"


def note(text):
    return f"<p class=\"note\">{escape(text)}</p>"


def write_page(path, title, sections):
    """Write one HTML page: ``title`` as heading, then the ``sections`` (HTML strings) in order."""
    parts = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\">", f"<title>{escape(title)}</title>",
             f"<style>{STYLE}</style></head><body>", heading(title, 1)] + list(sections) + ["</body></html>"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(parts))


def scatter_svg(x, y, x_label, y_label, colours=None, size=360):
    """An inline SVG scatter plot with axes through 0 and the least-squares line (Moran scatter plot)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    colours = np.asarray(colours if colours is not None else ["#3b6ea5"] * keep.size, dtype=object)[keep]
    span = max(float(np.abs(np.concatenate([x, y, [1e-12]])).max()) * 1.1, 1e-12)
    pad = 30

    def sx(v):
        return pad + (v + span) / (2 * span) * (size - 2 * pad)

    def sy(v):
        return size - pad - (v + span) / (2 * span) * (size - 2 * pad)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" font-size="11">',
             f'<line x1="{sx(-span)}" y1="{sy(0)}" x2="{sx(span)}" y2="{sy(0)}" stroke="#999"/>',
             f'<line x1="{sx(0)}" y1="{sy(-span)}" x2="{sx(0)}" y2="{sy(span)}" stroke="#999"/>']
    parts += [f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.5" fill="{c}" fill-opacity="0.7"/>'
              for a, b, c in zip(x, y, colours)]
    if x.size > 1 and np.var(x) > 0:
        slope = float(np.sum(x * y) / np.sum(x * x))  # through the origin: the slope is Moran's I for row-standardised W
        parts.append(f'<line x1="{sx(-span)}" y1="{sy(-span * slope)}" x2="{sx(span)}" y2="{sy(span * slope)}" '
                     'stroke="#c0392b" stroke-width="1.5"/>')
    parts += [f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle">{escape(x_label)}</text>',
              f'<text x="12" y="{size / 2}" text-anchor="middle" transform="rotate(-90 12 {size / 2})">'
              f'{escape(y_label)}</text>', "</svg>"]
    return "".join(parts)


def bars_svg(labels, series, y_label, height=220, bar=9):
    """An inline SVG grouped bar chart: ``series`` is {name: (colour, values)} over ``labels``."""
    names = list(series)
    values = np.array([series[n][1] for n in names], dtype=np.float64)
    top = max(float(np.nanmax(values)) if values.size else 0.0, 1e-12)
    group = bar * len(names) + 4
    width = 50 + group * len(labels) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" font-size="10">',
             f'<text x="4" y="12">{escape(y_label)} (max {top:.4g})</text>',
             f'<line x1="48" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>']
    for i, label in enumerate(labels):
        x0 = 50 + i * group
        for k, name in enumerate(names):
            value = 0.0 if np.isnan(values[k, i]) else values[k, i]
            h = value / top * (height - 20)
            parts.append(f'<rect x="{x0 + k * bar}" y="{height - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                         f'fill="{series[name][0]}"><title>{escape(name)} {escape(label)}: {value:.6g}</title></rect>')
        if len(labels) <= 40 or i % 5 == 0:
            parts.append(f'<text x="{x0}" y="{height + 12}" transform="rotate(60 {x0} {height + 12})">'
                         f'{escape(label)}</text>')
    legend = "".join(f'<tspan fill="{series[n][0]}">■ {escape(n)}  </tspan>' for n in names)
    parts += [f'<text x="50" y="{height + 36}">{legend}</text>', "</svg>"]
    return "".join(parts)


PALETTE = ("#3b6ea5", "#c0392b", "#27ae60", "#8e44ad", "#e67e22", "#16a085", "#7f8c8d", "#d35400",
           "#2c3e50", "#b7950b", "#1abc9c", "#6c3483")


def lines_svg(x, series, y_label, levels=(), width=520, height=260):
    """An inline SVG line chart: ``series`` is {name: values over x}; ``levels`` are (label, y) dashed lines.

    Seed 003 Fig. 8's shape: ThV over time with the elastic, yield and mutation levels.
    """
    x = np.asarray(x, dtype=np.float64)
    values = np.array([series[name] for name in series], dtype=np.float64).reshape(len(series), x.size)
    ys = np.concatenate([values[np.isfinite(values)], [y for _, y in levels], [0.0]])
    y_low, y_high = float(ys.min()), float(ys.max()) * 1.05 or 1.0
    x_low, x_high = float(x.min()), float(x.max()) if x.max() > x.min() else float(x.min()) + 1
    left, right, top, bottom = 50, width - 110, 15, height - 30

    def sx(v):
        return left + (v - x_low) / (x_high - x_low) * (right - left)

    def sy(v):
        return bottom - (v - y_low) / ((y_high - y_low) or 1.0) * (bottom - top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="10">',
             f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#999"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#999"/>',
             f'<text x="4" y="{top - 4}">{escape(y_label)}</text>']
    for v in np.linspace(y_low, y_high, 5):
        parts.append(f'<text x="{left - 4}" y="{sy(v) + 3:.1f}" text-anchor="end">{v:.3g}</text>')
    for v in x:
        parts.append(f'<text x="{sx(v):.1f}" y="{bottom + 13}" text-anchor="middle">{v:g}</text>')
    for label, level in levels:
        parts.append(f'<line x1="{left}" y1="{sy(level):.1f}" x2="{right}" y2="{sy(level):.1f}" stroke="#555" '
                     f'stroke-dasharray="4 3"/><text x="{right + 4}" y="{sy(level) + 3:.1f}">'
                     f'{escape(label)} {level:g}</text>')
    for k, (name, row) in enumerate(zip(series, values)):
        colour = PALETTE[k % len(PALETTE)]
        keep = np.isfinite(row)
        points = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(x[keep], row[keep]))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5">'
                     f'<title>{escape(name)}</title></polyline>')
        parts += [f'<circle cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="2.5" fill="{colour}"><title>{escape(name)} '
                  f'{a:g}: {b:.4g}</title></circle>' for a, b in zip(x[keep], row[keep])]
    legend = "".join(f'<tspan fill="{PALETTE[k % len(PALETTE)]}">■ {escape(n)}  </tspan>'
                     for k, n in enumerate(series))
    parts += [f'<text x="{left}" y="{height - 3}">{legend}</text>', "</svg>"]
    return "".join(parts)


def sankey_svg(left, right, flows, colours, left_title="", right_title="", width=560, height=360):
    """An inline SVG Sankey (alluvial) diagram of class transitions (seed 000 Fig. 5/7 shape).

    ``left`` / ``right``: node labels of the start and end classes; ``flows``: (left index,
    right index, value) with value > 0; ``colours``: one colour per left node (the flow's colour).
    Node heights and band widths are proportional to the values.
    """
    flows = [(i, j, float(v)) for i, j, v in flows if v > 0]
    total = sum(v for _, _, v in flows) or 1.0
    gap, top, node_w = 6.0, 24.0, 14.0
    usable = height - top - 10 - gap * max(len(left), len(right))
    scale = usable / total
    x_left, x_right = 150.0, width - 150.0

    def positions(count, key):
        sizes = [sum(f[2] for f in flows if f[key] == n) * scale for n in range(count)]
        starts, y = [], top
        for size in sizes:
            starts.append(y)
            y += size + gap
        return starts, sizes

    left_y, left_h = positions(len(left), 0)
    right_y, right_h = positions(len(right), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="10">',
             f'<text x="{x_left}" y="12" text-anchor="end">{escape(left_title)}</text>',
             f'<text x="{x_right}" y="12">{escape(right_title)}</text>']
    out_offset, in_offset = list(left_y), list(right_y)
    for i, j, v in sorted(flows, key=lambda f: (f[0], f[1])):
        h = v * scale
        y0, y1 = out_offset[i], in_offset[j]
        out_offset[i] += h
        in_offset[j] += h
        mid = (x_left + node_w + x_right) / 2
        path = (f"M{x_left + node_w},{y0:.1f} C{mid},{y0:.1f} {mid},{y1:.1f} {x_right},{y1:.1f} "
                f"L{x_right},{y1 + h:.1f} C{mid},{y1 + h:.1f} {mid},{y0 + h:.1f} {x_left + node_w},{y0 + h:.1f} Z")
        parts.append(f'<path d="{path}" fill="{colours[i]}" fill-opacity="0.5" stroke="none">'
                     f'<title>{escape(left[i])} → {escape(right[j])}: {v:.6g}</title></path>')
    for labels, ys, hs, x, anchor, dx in ((left, left_y, left_h, x_left, "end", -4),
                                          (right, right_y, right_h, x_right, "start", node_w + 4)):
        for k, label in enumerate(labels):
            if hs[k] <= 0:
                continue
            colour = colours[k] if labels is left else "#777"
            parts.append(f'<rect x="{x}" y="{ys[k]:.1f}" width="{node_w}" height="{max(hs[k], 0.5):.1f}" '
                         f'fill="{colour}"/><text x="{x + dx}" y="{ys[k] + hs[k] / 2 + 3:.1f}" '
                         f'text-anchor="{anchor}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars_svg(labels, parts, y_label, height=220, bar=18):
    """An inline SVG stacked bar chart: ``parts`` is {name: (colour, values over labels)}, e.g. class shares (%)."""
    names = list(parts)
    values = np.nan_to_num(np.array([parts[n][1] for n in names], dtype=np.float64).reshape(len(names), len(labels)))
    top = max(float(values.sum(axis=0).max()) if values.size else 0.0, 1e-12)
    width = 50 + (bar + 6) * len(labels) + 10
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(width, 260)}" height="{height + 70}" font-size="10">',
           f'<text x="4" y="12">{escape(y_label)} (top {top:.4g})</text>',
           f'<line x1="48" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>']
    for i, label in enumerate(labels):
        x, y = 50 + i * (bar + 6), float(height)
        for k, name in enumerate(names):
            h = values[k, i] / top * (height - 20)
            y -= h
            svg.append(f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{parts[name][0]}">'
                       f'<title>{escape(label)} {escape(name)}: {values[k, i]:.4g}</title></rect>')
        svg.append(f'<text x="{x}" y="{height + 12}" transform="rotate(60 {x} {height + 12})">{escape(label)}</text>')
    legend = "".join(f'<tspan fill="{parts[n][0]}">■ {escape(n)}  </tspan>' for n in names)
    svg += [f'<text x="50" y="{height + 64}">{legend}</text>', "</svg>"]
    return "".join(svg)
