"""The reports' charts and numbers, read back as an analyst would: axes with values and units, legible
text inside the picture, series in their map colours, pale classes outlined, numbers rounded for print."""

import html

import numpy as np
import pytest

import svg_check as sc
from mineland.core.render import report, styles
from mineland.core.timeseries import trend

LONG = [
    "1 Cropland",
    "2 Forest",
    "3 Grassland",
    "4 Wetland",
    "5 Water body",
    "6 Bareland",
    "7 Construction land and other built-up surfaces",
]


def check_picture(svg, min_font=11):
    """Every text inside the viewBox (at 0.6 × font size per character) and at least ``min_font`` px."""
    root = sc.parse(svg)
    assert sc.outside(root) == []
    assert all(sc.font_size(e, root) >= min_font for _, e in sc.texts(root))
    assert sc.view_box(root)[0] >= 640  # sized for a page
    return root


def brackets(ticks, values):
    values = np.asarray(values, dtype=float)
    return len(ticks) >= 3 and min(ticks) <= values.min() and max(ticks) >= values.max()


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value, text",
    [
        (12345.67, "12346"),
        (1234.5, "1234"),
        (12.3456, "12.35"),
        (0.000027, "0.000027"),
        (0.0009, "0.0009"),
        (75.0, "75"),
        (-0.00001, "-0.00001"),
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
    ],
)
def test_areas_have_four_significant_digits(value, text):
    assert report.significant(value) == text
    assert report.cell(value) == f"<td>{text}</td>"


@pytest.mark.parametrize(
    "p, text", [(0.08333333333333333, "0.083"), (0.0004, "< 0.001"), (0.001, "0.001"), (1.0, "1.000"), (0.05, "0.050")]
)
def test_p_values_as_papers_print_them(p, text):
    assert report.p_value(p) == text
    assert report.table(["x", "p"], [("a", p)]).endswith(f"<td>{html.escape(text)}</td></tr></table>")


def test_percentages_have_two_decimals_and_units_are_spelled_out():
    html = report.table(["class", "share (%)", "area_km2"], [("a", 33.333333333333336, 1.0 / 3.0)])
    assert "<td>33.33</td>" in html and "<td>0.3333</td>" in html
    assert [report.unit_header(n) for n in ("area_km2", "sd_pct", "duration_yr", "site_id")] == [
        "area (km²)",
        "sd (%)",
        "duration (years)",
        "site_id",
    ]


@pytest.mark.parametrize(
    "value, step, text",
    [
        (0.25, 0.25, "0.25"),
        (0.5, 0.25, "0.50"),
        (5.0, 2.5, "5.0"),
        (0.06, 0.02, "0.06"),
        (2000.0, 5.0, "2000"),
        (-0.0, 0.1, "0.0"),
        (3e-6, 1e-6, "0.000003"),
    ],
)
def test_tick_labels_have_the_decimals_of_their_step(value, step, text):
    assert report.tick_text(value, step) == text


@pytest.mark.parametrize(
    "low, high", [(0.0, 0.423), (-3.2, 17.9), (1.349, 1.244), (0.0, 1e-5), (2000, 2020), (5.0, 5.0)]
)
def test_ticks_are_round_and_bracket_the_data(low, high):
    ticks, step = report.nice_ticks(min(low, high), max(low, high))
    assert ticks[0] <= min(low, high) and ticks[-1] >= max(low, high)
    assert np.allclose(np.diff(ticks), step)
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


# ---------------------------------------------------------------------------------------------- charts


def test_bar_chart_has_a_y_axis_with_values_and_unit():
    dev, rec = [0.041, 0.054, 0.335, 0.423, 0.133], [0.016, 0.016, 0.081, 0.081, 0.081]
    svg = report.bars_svg(
        [str(y) for y in range(2011, 2016)],
        {"DEV: disturbed by mining": ("#b2182b", dev), "REC: reclaimed": ("#1b7837", rec)},
        "area per year (km²)",
        "year",
    )
    root = check_picture(svg)
    assert brackets(sc.tick_values(root, "y"), dev + rec)
    titles = [t for t, _ in sc.texts(root, "axis-title")]
    assert "area per year (km²)" in titles and "year" in titles
    assert [t for t, _ in sc.texts(root, "legend")] == ["DEV: disturbed by mining", "REC: reclaimed"]


def test_many_long_category_labels_are_rotated_inside_the_picture():
    sites = [f"site with a rather long name {k}" for k in range(30)]
    svg = report.stacked_bars_svg(
        sites, {"a": ("#ff0000", np.full(30, 40.0)), "b": ("#00ff00", np.full(30, 60.0))}, "share (%)", "site"
    )
    root = check_picture(svg)
    assert brackets(sc.tick_values(root, "y"), [0, 100])


def test_line_chart_total_is_black_dashed_and_classes_keep_their_colours():
    years = [1985, 2000, 2020]
    series = {label: np.array([0.7, 0.64, 0.57]) * (k + 1) for k, label in enumerate(LONG)}
    series["Total"] = np.sum(list(series.values()), axis=0)
    colours = {label: styles.SEED000_COLOURS[k + 1] for k, label in enumerate(LONG)}
    colours["Total"] = report.TOTAL_COLOUR
    svg = report.lines_svg(years, series, "carbon stock (Mt C)", colours=colours, dashed=("Total",))
    root = check_picture(svg)
    assert brackets(sc.tick_values(root, "y"), np.concatenate(list(series.values())))
    assert sc.tick_values(root, "x") == years
    strokes = sc.line_strokes(root)
    assert strokes.pop("Total") == ("#000000", "6 3")
    assert strokes == {label: (colours[label], None) for label in LONG}
    assert report.TOTAL_COLOUR not in styles.SEED000_COLOURS.values()
    assert [t for t, _ in sc.texts(root, "legend")] == LONG + ["Total"]  # every entry, none clipped (checked above)


def test_threshold_levels_are_labelled_inside_the_picture():
    svg = report.lines_svg(
        [2000, 2005, 2010],
        {"zone 1": [1.0, 0.8, 0.5]},
        "ThV (ratio)",
        levels=(("a elastic", 0.9), ("b yield", 0.6), ("c mutation", 0.3)),
    )
    root = check_picture(svg)
    assert brackets(sc.tick_values(root, "y"), [0.3, 1.0])


def test_restoration_legend_shows_every_class_and_outlines_the_pale_ones():
    colours = styles.RESTORATION_COLOURS
    parts = {trend.RESTORATION_NAMES[c]: (colours[c], np.array([10.0, 20.0, 30.0, 20.0, 20.0])) for c in colours}
    svg = report.stacked_bars_svg(["A", "B", "C", "D", "E"], parts, "share of the site's classified area (%)", "site")
    root = check_picture(svg)
    assert [t for t, _ in sc.texts(root, "legend")] == [trend.RESTORATION_NAMES[c] for c in sorted(colours)]
    swatches = [e for e in root.iter(f"{sc.SVG}rect") if e.get("class") == "swatch"]
    assert [s.get("fill") for s in swatches] == [colours[c] for c in sorted(colours)]
    assert sc.contrast(colours[3], "#ffffff") < 1.2  # NI's pale yellow alone would vanish on white …
    for swatch in swatches:  # … so every key has an outline that stands out from the page
        assert sc.contrast(swatch.get("stroke"), "#ffffff") >= 3.0 and float(swatch.get("stroke-width")) >= 1


def test_scatter_plot_axes_bracket_the_points():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200) * 3 + 2
    y = 0.5 * x + rng.normal(size=200)
    svg = report.scatter_svg(
        x,
        y,
        "density (z-score)",
        "spatial lag of the z-score",
        ["#d7191c"] * 200,
        legend_items=[("HH (6)", "#d7191c"), ("NS (408)", "#eeeeee")],
    )
    root = check_picture(svg)
    assert brackets(sc.tick_values(root, "x"), x) and brackets(sc.tick_values(root, "y"), y)


def test_sankey_bands_are_proportional_and_labelled_with_their_values():
    flows = [(0, 0, 30.0), (0, 1, 10.0), (1, 1, 40.0), (1, 0, 0.05)]
    svg = report.sankey_svg(["a", "b"], ["a", "b"], flows, ["#ff0000", "#00ff00"], "1990", "2020")
    root = check_picture(svg)
    heights = sorted(float(e.get("height")) for e in root.iter(f"{sc.SVG}rect") if e.get("class") == "node")
    # left a 40, left b 40.05, right a 30.05, right b 50: one scale for all
    assert np.allclose(np.array(heights) / np.array([30.05, 40.0, 40.05, 50.0]), heights[-1] / 50.0, rtol=0.01)
    assert all(t.endswith(" km²") for t, _ in sc.texts(root, "band"))
    labels = sorted(float(t.removesuffix(" km²")) for t, _ in sc.texts(root, "band"))
    assert labels == [10.0, 30.0, 40.0]  # the 0.05 band is too thin for a label; it is in the tooltip
    assert "b → a: 0.05 km²" in svg
    node_labels = {t for t, _ in sc.texts(root, "node-label")}
    assert node_labels == {"a (40 km²)", "b (40.05 km²)", "a (30.05 km²)", "b (50 km²)"}


def test_map_colours_come_from_the_style_then_the_colour_table(tmp_path):
    from osgeo import gdal

    from rasters import write_raster

    path = write_raster(tmp_path / "c.tif", np.array([[1, 2, 3]], dtype=np.uint8), nodata=0)
    dataset = gdal.Open(path, gdal.GA_Update)
    table = gdal.ColorTable()
    table.SetColorEntry(1, (255, 0, 0, 255))
    table.SetColorEntry(2, (0, 0, 255, 255))
    dataset.GetRasterBand(1).SetRasterColorTable(table)
    dataset = None
    with open(tmp_path / "c.qml", "w", encoding="utf-8") as handle:  # as QGIS saves a paletted style
        handle.write(
            '<!DOCTYPE qgis><qgis><pipe><rasterrenderer type="paletted" band="1"><colorPalette>'
            '<paletteEntry value="1" color="#123456" label="one" alpha="255"/></colorPalette>'
            "</rasterrenderer></pipe></qgis>"
        )
    dataset = gdal.Open(path)  # kept open while its band is read
    colours = styles.map_colours(path, dataset.GetRasterBand(1), [1, 2, 3])
    assert colours[1] == "#123456"  # QGIS opens the raster with its .qml
    assert colours[2] == "#0000ff"  # no style entry: the colour table
    assert colours[3] not in ("#123456", "#0000ff")
