"""HTML reports: self-contained pages whose charts carry the numbers of the tables."""

import csv
import itertools
import os
import re

import numpy as np
import pytest

import svg_check as sc
from mineland.core.render import report, styles
from mineland.core.timeseries import trend
from rasters import write_raster

START = np.array([[1, 1, 2, 2], [3, 3, 2, 1]], dtype=np.uint8)
END = np.array([[1, 7, 2, 2], [2, 7, 2, 1]], dtype=np.uint8)


def page(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    return text


def test_sankey_bands_are_proportional_to_the_flows():
    svg = report.sankey_svg(["a", "b"], ["a", "b"], [(0, 0, 3.0), (0, 1, 1.0), (1, 1, 4.0)], ["#f00", "#0f0"])
    heights = sorted(float(h) for h in re.findall(r'<rect class="node" [^>]*height="([0-9.]+)"', svg))
    # right a 3, left a 4 / b 4, right b 5: one px-per-unit scale
    assert np.array(heights) / np.array([3.0, 4.0, 4.0, 5.0]) == pytest.approx(np.full(4, heights[0] / 3.0), rel=0.01)
    assert svg.count("<path") == 3 and "a → b: 1 km²" in svg


def test_transfer_matrix_report(run, tmp_path):
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": write_raster(tmp_path / "a.tif", START, nodata=0),
            "INPUT_END": write_raster(tmp_path / "b.tif", END, nodata=0),
            "OUTPUT": str(tmp_path / "p.csv"),
            "OUTPUT_HTML": str(tmp_path / "t.html"),
        },
    )
    text = page(result["OUTPUT_HTML"])
    assert text.count("<path") == 5  # 1→1, 1→7, 2→2, 3→2, 3→7
    assert "3 class 3 → 2 class 2: 0.0009" in text  # one 30 m pixel = 0.0009 km²


def test_dynamics_and_carbon_reports(run, tmp_path):
    inputs = [write_raster(tmp_path / "a.tif", START, nodata=0), write_raster(tmp_path / "b.tif", END, nodata=0)]
    dynamics = run(
        "mineland:landusedynamics",
        {
            "INPUTS": inputs,
            "YEARS": "2000,2010",
            "GROUPS": "Green=1,2,3",
            "OUTPUT": str(tmp_path / "k.csv"),
            "OUTPUT_HTML": str(tmp_path / "d.html"),
        },
    )
    text = page(dynamics["OUTPUT_HTML"])
    # classes 1, 2, 3, 7 in one chart, the group in another (one titled line each, beside its casing)
    assert text.count("</polyline>") == 4 + 1
    assert "Green 2010: 75" in text  # 6 of 8 pixels
    carbon = run(
        "mineland:carbonstock",
        {
            "INPUTS": inputs,
            "YEARS": "2000,2010",
            "OUTPUT": str(tmp_path / "c.csv"),
            "MISSING_AS_ZERO": True,
            "OUTPUT_HTML": str(tmp_path / "c.html"),
        },
    )
    text = page(carbon["OUTPUT_HTML"])
    # seed 000 Table 2: cropland 100 Mg/ha; 3 pixels of 0.09 ha in 2000 → 27 Mg = 0.000027 Mt on the map, and
    # 1/0.9996² more on the ellipsoid (the grid is on UTM 33N's central meridian): 27.02 Mg
    assert "1 Cropland 2000: 0.00002702" in text and "Total" in text


# ------------------------------------------------------------------ reports read back as an analyst would

PIXEL_KM2 = 0.0009  # 30 m × 30 m pixels in UTM 33N
# rel. tolerance of the reports' 4 significant digits (5e-4) plus the pixel area's departure from 900 m²
# should the area be taken on the ellipsoid (UTM scale factor 0.9996² at the central meridian: 8e-4)
REL = 2e-3


def blocks():
    """20 × 20 classes: start 1 (top half), 2 and 3 (bottom left / right); at the end half of class 1 has
    become 2 and a quarter of class 2 has become 3 — five transitions, none too thin to be labelled."""
    start = np.ones((20, 20), dtype=np.uint8)
    start[10:, :10], start[10:, 10:] = 2, 3
    end = start.copy()
    end[:5] = 2
    end[10:15, :5] = 3
    return start, end


def styled_raster(path, array, colours):
    """A class raster with a colour table that is NOT what the map shows, and the paletted .qml that is."""
    from osgeo import gdal

    write_raster(path, array, nodata=0)
    dataset = gdal.Open(str(path), gdal.GA_Update)
    table = gdal.ColorTable()
    for code in colours:
        table.SetColorEntry(code, (128, 128, 128, 255))
    dataset.GetRasterBand(1).SetRasterColorTable(table)
    dataset = None
    entries = "".join(
        f'<paletteEntry value="{c}" color="{v}" label="class {c}" alpha="255"/>' for c, v in colours.items()
    )
    qml = os.path.splitext(str(path))[0] + ".qml"
    with open(qml, "w", encoding="utf-8") as handle:
        handle.write(
            f'<!DOCTYPE qgis><qgis><pipe><rasterrenderer type="paletted" band="1"><colorPalette>{entries}'
            "</colorPalette></rasterrenderer></pipe></qgis>"
        )
    return str(path), qml


def number(text):
    return float(text.replace("−", "-"))


def check_rounding(text):
    """Every number cell of every table: ≤ 4 significant digits (whole numbers as they are), percentages with
    2 decimals, p-values as 0.083 or < 0.001."""
    for rows in sc.tables(text):
        header = rows[0]
        for row in rows[1:]:
            for name, value in zip(header, row):
                if not value or not re.fullmatch(r"[-<0-9. ]+", value):
                    continue
                if name == "p" or name.startswith("p "):
                    assert re.fullmatch(r"< 0\.001|[01]\.\d{3}", value), (name, value)
                elif "%" in name:
                    assert re.fullmatch(r"-?\d+\.\d\d", value), (name, value)
                elif "." in value:
                    digits = value.lstrip("-").replace(".", "").lstrip("0")
                    assert len(digits) <= 4, (name, value)


def test_transfer_matrix_report_reads_like_the_rasters(run, tmp_path):
    start, end = blocks()
    start_colours = {1: "#aa0000", 2: "#00aa00", 3: "#0000aa"}
    end_colours = {1: "#aa0000", 2: "#00aa00", 3: "#3355ff"}
    a, a_qml = styled_raster(tmp_path / "a.tif", start, start_colours)
    b, b_qml = styled_raster(tmp_path / "b.tif", end, end_colours)
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": a,
            "INPUT_END": b,
            "OUTPUT": str(tmp_path / "p.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "m.csv"),
            "OUTPUT_HTML": str(tmp_path / "t.html"),
        },
    )
    text = page(result["OUTPUT_HTML"])
    check_rounding(text)
    svg = sc.svgs(text)[0]
    assert sc.outside(svg) == []

    # the km² of each band, counted independently from the two rasters
    _, counts = np.unique(np.stack([start.ravel(), end.ravel()]), axis=1, return_counts=True)
    expected = sorted(counts * PIXEL_KM2)
    assert len(expected) == 5
    labels = sorted(number(t.removesuffix(" km²")) for t, _ in sc.texts(svg, "band"))
    assert labels == pytest.approx(expected, rel=REL)
    nodes = {}
    elements = list(svg)
    for rect, label in itertools.pairwise(elements):
        if rect.get("class") == "node":
            side = "start" if float(rect.get("x")) < sc.view_box(svg)[0] / 2 else "end"
            text_label = "".join(label.itertext())
            code = int(text_label.split()[0])
            nodes[side, code] = (rect.get("fill"), number(re.search(r"\(([-0-9.]+) km²\)", text_label).group(1)))
    for code in (1, 2, 3):
        assert nodes["start", code] == (
            sc.qml_palette(a_qml)[code],
            pytest.approx(np.sum(start == code) * PIXEL_KM2, rel=REL),
        )
        assert nodes["end", code] == (
            sc.qml_palette(b_qml)[code],
            pytest.approx(np.sum(end == code) * PIXEL_KM2, rel=REL),
        )

    # the matrix: the CSV's numbers, with gains, losses and net change
    with open(result["OUTPUT_MATRIX"], newline="", encoding="utf-8") as handle:
        csv_rows = list(csv.reader(handle))
    html_rows = sc.table_with(text, "start \\ end")
    assert [r[0] for r in html_rows[1:]] == ["1 class 1", "2 class 2", "3 class 3", "total end", "gain", "net change"]
    assert html_rows[0][-2:] == ["total start", "loss"] and "km²" in html_rows[0][0]
    assert len(html_rows) == len(csv_rows)
    for html_row, csv_row in zip(html_rows[1:], csv_rows[1:]):
        for html_cell, csv_cell in zip(html_row[1:], csv_row[1:]):
            assert (html_cell == "") == (csv_cell == "")
            if csv_cell:
                assert number(html_cell) == pytest.approx(float(csv_cell), rel=REL, abs=1e-9)
    gain = dict(zip(html_rows[0][1:4], html_rows[-2][1:4]))
    assert number(gain["2 class 2"]) == pytest.approx(100 * PIXEL_KM2, rel=REL)  # 100 pixels of class 1
    assert number(html_rows[1][-1]) == pytest.approx(100 * PIXEL_KM2, rel=REL)  # class 1 lost them
    assert number(html_rows[-1][3]) == pytest.approx(25 * PIXEL_KM2, rel=REL)  # class 3 net: + 25 pixels


def test_carbon_report_lines_in_map_colours_and_total_black(run, tmp_path):
    start, end = blocks()
    colours = {1: "#ffff64", 2: "#00a000", 3: "#ffb432"}
    inputs = [styled_raster(tmp_path / "a.tif", start, colours)[0], styled_raster(tmp_path / "b.tif", end, colours)[0]]
    result = run(
        "mineland:carbonstock",
        {
            "INPUTS": inputs,
            "YEARS": "2000,2010",
            "OUTPUT": str(tmp_path / "c.csv"),
            "MISSING_AS_ZERO": True,
            "OUTPUT_HTML": str(tmp_path / "c.html"),
        },
    )
    text = page(result["OUTPUT_HTML"])
    check_rounding(text)
    svg = sc.svgs(text)[0]
    assert sc.outside(svg) == []
    strokes = sc.line_strokes(svg)
    assert strokes.pop("Total") == ("#000000", "6 3")
    assert {int(name.split()[0]): stroke for name, (stroke, _) in strokes.items()} == colours
    # seed 000 Table 2: cropland 100, forest 275, grassland 137 Mg/ha; a pixel is 0.09 ha
    mt = [sum(np.sum(a == c) * 0.09 * d for c, d in ((1, 100.0), (2, 275.0), (3, 137.0))) / 1e6 for a in (start, end)]
    ticks = sc.tick_values(svg, "y")
    assert min(ticks) <= 0 and max(ticks) >= max(mt)
    assert any("Mt" in t for t, _ in sc.texts(svg, "axis-title"))
    assert sc.tick_values(svg, "x") == [2000, 2010]


def test_restoration_report_legend_and_p_values(run, tmp_path):
    from test_alg_restoration_summary import ORIGIN, UTM37N, class_raster, sites_layer

    classes = tmp_path / "classes.tif"
    write_raster(classes, class_raster(), epsg=UTM37N, origin=ORIGIN, nodata=0)
    map_colours = {**styles.RESTORATION_COLOURS, 3: "#eeee99"}  # a map restyled by the analyst
    styles.write_qml(str(classes), {c: (v, trend.RESTORATION_NAMES[c]) for c, v in map_colours.items()})
    run(
        "mineland:restorationsummary",
        {
            "INPUT": str(classes),
            "SITES": sites_layer(),
            "SITE_ID_FIELD": "name",
            "START_YEAR_FIELD": "start",
            "REFERENCE_YEAR": 2019,
            "CLUSTERS": 3,
            "OUTPUT": str(tmp_path / "s.gpkg"),
            "OUTPUT_HTML": str(tmp_path / "r.html"),
        },
    )
    text = page(tmp_path / "r.html")
    check_rounding(text)
    svg = sc.svgs(text)[0]
    assert sc.outside(svg) == []
    swatches = [e for e in svg.iter(f"{sc.SVG}rect") if e.get("class") == "swatch"]
    legend = [t for t, _ in sc.texts(svg, "legend")]
    assert legend == [trend.RESTORATION_NAMES[c] for c in sorted(map_colours)]  # NI included
    qml = sc.qml_palette(tmp_path / "classes.qml")
    assert [s.get("fill") for s in swatches] == [qml[c] for c in sorted(map_colours)]
    assert all(sc.contrast(s.get("stroke"), "#ffffff") >= 3.0 for s in swatches)
    assert max(sc.tick_values(svg, "y")) >= 100 and "%" in "".join(t for t, _ in sc.texts(svg, "axis-title"))
    sites = sc.table_with(text, "site_id")
    assert "area (km²)" in sites[0] and "sd (%)" in sites[0] and "duration (years)" in sites[0]


def test_disturbance_report_has_a_y_axis_in_km2(run, tmp_path):
    from test_alg_disturbance import mine_polygons
    from test_core_disturbance import Y1990, Y1995, Y1996

    paths = [
        write_raster(tmp_path / f"lc{y}.tif", a.astype("uint8"), nodata=0)
        for y, a in ((1990, Y1990), (1995, Y1995), (1996, Y1996))
    ]
    run(
        "mineland:disturbance",
        {
            "MINES": mine_polygons(),
            "ID_FIELD": "name",
            "INPUTS": paths,
            "YEARS": "1990,1995,1996",
            "OUTPUT": str(tmp_path / "long.csv"),
            "OUTPUT_HTML": str(tmp_path / "report.html"),
        },
    )
    text = page(tmp_path / "report.html")
    check_rounding(text)
    svg = sc.svgs(text)[0]
    assert sc.outside(svg) == []
    with open(tmp_path / "long.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["dev_km2"]]
    per_year = {}
    for r in rows:
        dev, rec = per_year.get(r["year"], (0.0, 0.0))
        per_year[r["year"]] = (dev + float(r["dev_km2"]), rec + float(r["rec_km2"]))
    ticks = sc.tick_values(svg, "y")
    assert len(ticks) >= 3 and min(ticks) <= 0 and max(ticks) >= max(max(v) for v in per_year.values())
    assert "area per year (km²)" in [t for t, _ in sc.texts(svg, "axis-title")]
    assert [t for t, _ in sc.texts(svg, "category")] == [str(y) for y in range(1991, 1997)]
