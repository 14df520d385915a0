"""The report pages of core/render/reports, built from small plain inputs and read back (no QGIS)."""

import os
import re
from collections import namedtuple

import numpy as np
import pytest

import svg_check as sc
from mineland.core.landcover import dynamics
from mineland.core.render import report, styles
from mineland.core.render.reports import landcover, mines, resilience, spatial, timeseries
from mineland.core.spatial import autocorrelation, spatial_weights
from mineland.core.timeseries import restoration, trend

REPORTS_DIR = os.path.dirname(landcover.__file__)


def number(text):
    return float(text.replace("−", "-"))


def columns(rows):
    """{first cell: the other cells} of a table's body rows."""
    return {row[0]: row[1:] for row in rows[1:]}


def is_page(text, title):
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</body></html>")
    assert f"<h1>{report.escape(title)}</h1>" in text
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # self-contained
    return text


def test_no_report_module_imports_qgis():
    for name in os.listdir(REPORTS_DIR):
        if name.endswith(".py"):
            with open(os.path.join(REPORTS_DIR, name), encoding="utf-8") as handle:
                source = handle.read()
            assert not re.search(r"^\s*(from|import)\s+qgis", source, re.MULTILINE), name


def test_page_and_save_write_what_write_page_wrote(tmp_path):
    sections = [report.heading("a"), report.note("b < c")]
    report.write_page(tmp_path / "old.html", "T", sections)
    report.save(tmp_path / "new.html", report.page("T", sections))
    assert (tmp_path / "old.html").read_bytes() == (tmp_path / "new.html").read_bytes()
    assert '<p class="note">b &lt; c</p>' in report.page("T", sections)


# ---------------------------------------------------------------------------------------- resilience


def test_integrity_page_crossings_chart_and_table():
    thv = np.array([[1.0, 0.8, 0.6], [1.0, 0.95, 0.92]])
    rows = [
        ("A", 2000, 1.0),
        ("A", 2010, 0.8),
        ("A", 2020, 0.6),
        ("B", 2000, 1.0),
        ("B", 2010, 0.95),
        ("B", 2020, 0.92),
    ]
    text = is_page(
        resilience.integrity_page(
            ["A", "B"], [2000, 2010, 2020], thv, (0.9, 0.7, 0.5), 0, ["zone_id", "year", "thv"], rows
        ),
        "Ecosystem integrity and threshold stages (Dong et al. 2025)",
    )
    crossings = sc.table_with(text, "zone")
    assert crossings[0] == ["zone", "elastic point (year)", "yield point (year)", "mutation point (year)"]
    # A: 1 → 0.8 crosses 0.9 half-way (2005), 0.8 → 0.6 crosses 0.7 half-way (2015), never 0.5; B crosses none
    assert columns(crossings) == {"A": ["2005.0", "2015.0", ""], "B": ["", "", ""]}
    table = sc.table_with(text, "zone_id")
    assert table[0] == ["zone_id", "year", "thv"] and table[3] == ["A", "2020", "0.6"]
    assert "Baseline 2000; levels a = 0.9, b = 0.7, c = 0.5." in text and "Only the first" not in text
    assert set(sc.line_strokes(sc.svgs(text)[0])) == {"A", "B"}


def test_integrity_page_draws_at_most_twelve_zones():
    zones = [f"z{k}" for k in range(13)]
    text = resilience.integrity_page(zones, [2000, 2010], np.ones((13, 2)), (0.9, 0.7, 0.5), 1, ["zone_id"], [])
    assert "Baseline 2010" in text and "Only the first 12 zones are drawn." in text
    assert len(sc.line_strokes(sc.svgs(text)[0])) == 12
    assert len(sc.table_with(text, "zone")) == 1 + 13


# ---------------------------------------------------------------------------------------- mines


def test_disturbance_page_spreads_epochs_over_their_years():
    dev = np.array([[5e6, 1e6], [0.0, 1e6]])  # m² per polygon and epoch 1990–1995, 1995–1996
    rec = np.array([[0.0, 0.5e6], [1e6, 0.0]])
    loss = np.array([[[3e6], [0.0]], [[0.0], [1e6]]])  # one vegetation class, code 4
    gain = np.array([[[0.0], [0.5e6]], [[1e6], [0.0]]])
    text = is_page(
        mines.disturbance_page([1990, 1995, 1996], dev, rec, loss, gain, [4], {4: "Forest"}),
        "Mining disturbance and reclamation",
    )
    annual = columns(sc.table_with(text, "year"))
    # 5 km² over 5 years and 1 km² in one; REC 1 km² over 5 years and 0.5 in one
    assert {year: [number(v) for v in values] for year, values in annual.items()} == {
        "1991": [1.0, 0.2],
        "1992": [1.0, 0.2],
        "1993": [1.0, 0.2],
        "1994": [1.0, 0.2],
        "1995": [1.0, 0.2],
        "1996": [2.0, 0.5],
    }
    assert columns(sc.table_with(text, "class")) == {"4 Forest": ["4", "1.5"]}
    svg = sc.svgs(text)[0]
    assert max(sc.tick_values(svg, "y")) >= 2.0 and sc.outside(svg) == []


def test_refinement_page_is_the_step_table():
    text = is_page(
        mines.refinement_page([("A", 2, 1.5), ("B", 1, 0.25)]), "Mine boundary refinement (Xu et al. 2025, §2.1)"
    )
    assert sc.tables(text) == [[["step", "polygons", "area km²"], ["A", "2", "1.5"], ["B", "1", "0.25"]]]


# ---------------------------------------------------------------------------------------- spatial


def test_moran_page_statistics_counts_and_scatter():
    x = np.array([9.0, 8, 7, 1, 8, 9, 2, 1, 7, 2, 1, 0, 1, 1, 0, 2])
    w = spatial_weights.grid_contiguity(4, 4, "rook")
    glob = autocorrelation.global_moran(x, w, 99, seed=1)
    local = autocorrelation.local_moran(x, w, 99, seed=1, alpha=0.05)
    colours = {"HH": "#d7191c", "HL": "#fdae61", "LH": "#abd9e9", "LL": "#2c7bb6", "NS": "#eeeeee"}
    text = is_page(spatial.moran_page("density", x, w, glob, local, colours), "Moran's I of density")
    statistics = columns(sc.table_with(text, "statistic"))
    assert statistics["n"] == ["16"]
    assert number(statistics["Moran's I"][0]) == pytest.approx(glob.I, rel=5e-4)
    assert number(statistics["E[I]"][0]) == pytest.approx(-1 / 15, rel=5e-4)
    assert statistics["pseudo p (99 permutations)"] == [report.p_value(glob.p_sim)]
    counts = columns(sc.table_with(text, "COType"))
    assert list(counts) == list(colours)
    assert sum(int(v[0]) for v in counts.values()) == 16
    for label, (features, share) in counts.items():
        assert int(features) == int(np.sum(local.labels == label))
        assert number(share) == pytest.approx(100 * int(features) / 16, abs=0.005)
    svg = sc.svgs(text)[0]
    assert [t for t, _ in sc.texts(svg, "legend")] == [f"{label} ({v[0]})" for label, v in counts.items()]


# ---------------------------------------------------------------------------------------- land cover


def test_transitions_page_matrix_flows_and_change():
    km2 = np.array([[3.0, 1.0], [0.0, 4.0]])
    matrix = (["start \\ end (km²)", "1 Forest", "2 class 2"], [["1 Forest", 3.0, 1.0], ["2 class 2", 0.0, 4.0]])
    text = is_page(
        landcover.transitions_page(
            ("a.tif", "b.tif"), [1, 2], km2, matrix, {1: "Forest"}, {1: "#00aa00", 2: "#aa0000"}, None, 1e6, 8e6
        ),
        "Land-cover transitions a.tif → b.tif",
    )
    assert "Changed 1 km² of 8 km² (12.50 %)." in text
    assert sc.table_with(text, "start \\ end")[1:] == [["1 Forest", "3", "1"], ["2 class 2", "0", "4"]]
    flows = sc.table_with(text, "from")
    assert flows[1:] == [
        ["2 class 2", "2 class 2", "4", "50.00"],
        ["1 Forest", "1 Forest", "3", "37.50"],
        ["1 Forest", "2 class 2", "1", "12.50"],
    ]
    svg = sc.svgs(text)[0]
    assert len(list(svg.iter(f"{sc.SVG}path"))) == 3  # one band per flow, none for the empty 2 → 1
    assert "1 Forest → 2 class 2: 1 km²" in text


PeriodRow = namedtuple("PeriodRow", "year_start year_end s_index lc_pct_per_year changed_pct")


def test_dynamics_page_areas_groups_and_periods():
    classes = [np.array([1, 2]), np.array([1, 2, 3])]
    areas = [np.array([6e6, 4e6]), np.array([5e6, 3e6, 2e6])]
    groups = [(2000, "Green", 6.0, 60.0), (2010, "Green", 5.0, 50.0)]
    text = is_page(
        landcover.dynamics_page(
            [2000, 2010],
            classes,
            areas,
            {1: "Forest"},
            [PeriodRow(2000, 2010, 0.02, 1.5, 30.0)],
            groups,
            {1: "#00aa00"},
        ),
        "Land-use dynamics",
    )
    by_class = columns(sc.table_with(text, "class"))
    assert by_class == {"1 Forest": ["6", "5"], "2 class 2": ["4", "3"], "3 class 3": ["0", "2"]}
    assert columns(sc.table_with(text, "group")) == {"Green": ["60.00", "50.00"]}
    assert columns(sc.table_with(text, "period")) == {"2000–2010": ["0.02", "1.50", "30.00"]}
    charts = sc.svgs(text)
    assert len(charts) == 2 and sc.line_strokes(charts[0])["1 Forest"][0] == "#00aa00"
    without_groups = landcover.dynamics_page([2000, 2010], classes, areas, {}, [])
    assert "Class groups" not in without_groups and len(sc.svgs(without_groups)) == 1


def test_dynamics_page_takes_the_period_results_of_core():
    matrix = np.array([[5.0, 1.0], [0.0, 4.0]])
    period = dynamics.period_dynamics(matrix, np.array([1, 2]), 2000, 2010)
    text = landcover.dynamics_page(
        [2000, 2010], [np.array([1, 2])] * 2, [np.array([6e6, 4e6]), np.array([5e6, 5e6])], {}, [period]
    )
    row = columns(sc.table_with(text, "period"))["2000–2010"]
    assert number(row[0]) == pytest.approx(period.s_index, rel=5e-4)
    assert number(row[2]) == pytest.approx(10.0)  # 1 of 10 km² changed


def test_carbon_page_lines_table_and_densities():
    text = is_page(
        landcover.carbon_page(
            [2000, 2010],
            [np.array([1, 2]), np.array([1])],
            [np.array([2e6, 1e6]), np.array([2.5e6])],
            {1: "Cropland"},
            {1: 100.0, 2: 275.0},
            "Huang (2024) Table 2",
            {1: "#ffff64"},
        ),
        "Carbon stock by class",
    )
    stock = columns(sc.table_with(text, "class"))  # Mt = 10⁶ Mg
    assert stock == {"1 Cropland": ["2", "2.5"], "2 class 2": ["1", "0"], "Total": ["3", "2.5"]}
    densities = sc.tables(text)[1]
    assert densities == [
        ["class", "density used, Mg/ha (Huang (2024) Table 2)"],
        ["1 Cropland", "100"],
        ["2 class 2", "275"],
    ]
    strokes = sc.line_strokes(sc.svgs(text)[0])
    assert strokes["Total"] == (report.TOTAL_COLOUR, "6 3") and strokes["1 Cropland"][0] == "#ffff64"


# ---------------------------------------------------------------------------------------- time series


def test_restoration_page_sites_clusters_and_tests():
    pixels = np.array([[10, 4, 2, 2, 2], [8, 4, 2, 3, 3], [2, 4, 2, 6, 6], [1, 1, 2, 6, 10], [0, 0, 1, 9, 10]])
    shares = restoration.site_class_shares(pixels * 900.0)
    duration = np.array([20.0, 15, 9, 5, 2])
    stats = restoration.site_statistics(shares, duration, k=2)
    ids = ["m1", "m2", "m3", "m4", "m5"]
    rows = [[site, si, d] for site, si, d in zip(ids, shares.si_pct, duration)]
    text = is_page(
        timeseries.restoration_page(
            "classes.tif",
            2019,
            "start",
            ids,
            shares,
            stats,
            ["site_id", "si_pct", "duration_yr"],
            rows,
            styles.RESTORATION_COLOURS,
        ),
        "Restoration summary per mine site",
    )
    assert "Classes: classes.tif" in text and "duration = 2019 − start." in text
    sites = sc.table_with(text, "site_id")
    assert sites[0] == ["site_id", "si (%)", "duration (years)"]
    assert [number(r[1]) for r in sites[1:]] == pytest.approx(shares.si_pct, abs=0.005)
    clusters = sc.table_with(text, "cluster")
    assert [r[0] for r in clusters[1:]] == ["high", "low"]
    assert sum(int(r[1]) for r in clusters[1:]) == 5
    for row, c in zip(clusters[1:], range(2)):
        members = stats.clusters.index == c
        assert number(row[4]) == pytest.approx(shares.si_pct[members].mean(), abs=0.005)
        assert number(row[2]) == pytest.approx(shares.pct(4)[members].mean(), abs=0.005)
    tests = sc.table_with(text, "test")
    assert tests[1][:3] == ["Spearman (p exact)", "si_pct vs duration_yr", "rho"]
    assert number(tests[1][3]) == pytest.approx(stats.spearman["SI"].rho, rel=5e-4)
    assert tests[1][4:] == [report.p_value(stats.spearman["SI"].p), "5"]
    assert tests[4][0].startswith("Kruskal-Wallis") and "five classes" in tests[4][1]
    assert number(tests[4][3]) == pytest.approx(stats.kruskal.h, rel=5e-4)
    legend = [t for t, _ in sc.texts(sc.svgs(text)[0], "legend")]
    assert legend == [trend.RESTORATION_NAMES[c] for c in restoration.CLASS_CODES]
