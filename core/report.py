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
