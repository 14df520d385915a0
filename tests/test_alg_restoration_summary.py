"""mineland:restorationsummary through processing.run, with hand-counted pixels.

The class raster is 8 × 16 pixels of 30 m (900 m² = 0.0009 km²) in EPSG:32637.
Sites A, B, C, D are the 4 × 4 blocks of rows 0–3; site E covers rows 4–7,
which are all nodata.
"""

import numpy as np
import pytest
from scipy import stats

from rasters import UTM_CENTRAL_MERIDIAN_AREA_SCALE, file_digest, write_raster

PIXEL_KM2 = 0.0009 * UTM_CENTRAL_MERIDIAN_AREA_SCALE  # the grid is on UTM 37N's central meridian
UTM37N = 32637
ORIGIN = (500000.0, 1000000.0)

# pixels of SD, ND, NI, SAI, SCI and nodata (0) in each 4 × 4 block
COUNTS = {
    "A": {1: 1, 2: 1, 3: 2, 4: 4, 5: 8},
    "B": {1: 1, 2: 3, 3: 4, 4: 2, 5: 4, 0: 2},
    "C": {1: 6, 2: 6, 3: 2, 4: 1, 5: 1},
    "D": {1: 4, 2: 6, 3: 4, 0: 2},
}
START = {"A": 1990, "B": 2000, "C": 2008, "D": 2015, "E": 2001}  # SI share falls as the start year rises
REGION = {"A": "north", "B": "north", "C": "south", "D": "south", "E": "north"}


def class_raster():
    blocks = []
    for name in "ABCD":
        codes = np.concatenate([np.full(n, code, dtype=np.uint8) for code, n in sorted(COUNTS[name].items())])
        blocks.append(codes.reshape(4, 4))
    top = np.hstack(blocks)
    return np.vstack([top, np.zeros_like(top)])


def site_rect(column, row=0, inset=0.0):
    """Extent of the 4 × 4 block at block column ``column`` and block row ``row``."""
    from qgis.core import QgsRectangle

    x0 = ORIGIN[0] + column * 120.0
    y1 = ORIGIN[1] - row * 120.0
    return QgsRectangle(x0 + inset, y1 - 120.0 + inset, x0 + 120.0 - inset, y1 - inset)


def sites_layer(epsg=UTM37N, names="ABCD"):
    """Square sites in a memory layer; in another CRS they are the same squares reprojected."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsProject,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer(
        f"Polygon?crs=EPSG:{epsg}&field=name:string&field=start:integer&field=region:string", "sites", "memory"
    )
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(f"EPSG:{UTM37N}"),
        QgsCoordinateReferenceSystem(f"EPSG:{epsg}"),
        QgsProject.instance(),
    )
    features = []
    for name in names:
        position = ("ABCD".index(name), 0) if name != "E" else (0, 1)
        # 1 m inset: pixel centres are 15 m inside, so reprojection cannot move a centre across an edge
        geometry = QgsGeometry.fromRect(site_rect(*position, inset=1.0))
        geometry.transform(transform)
        feature = QgsFeature(layer.fields())
        feature.setAttributes([name, START[name], REGION[name]])
        feature.setGeometry(geometry)
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def expected_shares(name):
    counts = COUNTS[name]
    valid = sum(n for code, n in counts.items() if code)
    return valid, {code: 100.0 * counts.get(code, 0) / valid for code in range(1, 6)}


def read_output(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, "out", "ogr")
    assert layer.isValid(), path
    return layer, {f["site_id"]: f for f in layer.getFeatures()}


def is_null(value):
    return value is None or (hasattr(value, "isNull") and value.isNull())


@pytest.fixture
def raster(tmp_path):
    return write_raster(tmp_path / "classes.tif", class_raster(), epsg=UTM37N, origin=ORIGIN, nodata=0)


@pytest.mark.slow  # zonal histograms in two CRSs: ~8 s
@pytest.mark.parametrize("epsg", [UTM37N, 4326])
def test_restoration_summary_hand_counted(run, tmp_path, raster, epsg):
    out, report = str(tmp_path / "sites.gpkg"), tmp_path / "report.html"
    result = run(
        "mineland:restorationsummary",
        {
            "INPUT": raster,
            "SITES": sites_layer(epsg),
            "SITE_ID_FIELD": "name",
            "START_YEAR_FIELD": "start",
            "REFERENCE_YEAR": 2019,
            "CLUSTERS": 3,
            "OUTPUT": out,
            "OUTPUT_HTML": str(report),
        },
    )
    layer, rows = read_output(result["OUTPUT"])
    assert layer.crs().authid() == f"EPSG:{epsg}"  # the polygons keep the CRS of SITES
    assert set(rows) == set("ABCD")
    for name, row in rows.items():
        valid, pct = expected_shares(name)
        assert row["area_km2"] == pytest.approx(valid * PIXEL_KM2)
        for code, short in enumerate(["sd", "nd", "ni", "sai", "sci"], start=1):
            assert row[f"{short}_km2"] == pytest.approx(COUNTS[name].get(code, 0) * PIXEL_KM2)
            assert row[f"{short}_pct"] == pytest.approx(pct[code])
        assert row["si_pct"] == pytest.approx(pct[4] + pct[5])
        assert row["duration_yr"] == 2019 - START[name]
    assert rows["A"]["si_pct"] == pytest.approx(75.0)
    assert rows["B"]["si_pct"] == pytest.approx(600 / 14)
    # SI share rises strictly with the duration: rho = 1
    assert result["SPEARMAN_RHO"] == pytest.approx(1.0)
    # exact for four sites: only this pairing and its reverse of the 4! reach |rho| = 1
    assert result["SPEARMAN_P"] == pytest.approx(2 / 24)
    assert result["N_SITES"] == 4
    # (SAI %, SCI %): A (25, 50), B (14.3, 28.6), C (6.25, 6.25), D (0, 0)
    assert [rows[n]["cluster"] for n in "ABCD"] == ["high", "medium", "low", "low"]
    # no GROUP_FIELD: the five class shares compared across the sites
    groups = [[expected_shares(n)[1][code] for n in "ABCD"] for code in range(1, 6)]
    ref = stats.kruskal(*groups)
    # groups of four sites: p by permutation, checked against scipy's own permutation test (two Monte Carlo runs)
    by_scipy = stats.permutation_test(
        groups,
        lambda *g: stats.kruskal(*g)[0],
        permutation_type="independent",
        n_resamples=9999,
        alternative="greater",
        random_state=1,
    )
    assert result["KW_H"] == pytest.approx(ref[0]) and result["KW_P"] == pytest.approx(by_scipy.pvalue, abs=0.02)
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    # the class shares of the four sites, stacked: one titled bar each (the legend's keys have no title)
    assert page.count("</rect>") == 4 * 5
    for name in "ABCD":
        assert f">{name}<" in page


def test_restoration_summary_groups_and_empty_site(run, tmp_path, raster, recording_feedback):
    feedback = recording_feedback()
    result = run(
        "mineland:restorationsummary",
        {
            "INPUT": raster,
            "SITES": sites_layer(names="ABCDE"),
            "SITE_ID_FIELD": "name",
            "START_YEAR_FIELD": "start",
            "GROUP_FIELD": "region",
            "CLUSTERS": 2,
            "OUTPUT": str(tmp_path / "sites.gpkg"),
        },
        feedback=feedback,
    )
    _, rows = read_output(result["OUTPUT"])
    empty = rows["E"]
    assert empty["area_km2"] == 0 and empty["sd_km2"] == 0
    assert all(is_null(empty[name]) for name in ("sd_pct", "sci_pct", "si_pct", "cluster"))
    assert result["N_SITES"] == 4
    assert any("no classified pixel" in w and "E" in w for w in feedback.warnings)
    assert any("nodata or not a class code" in w for w in feedback.warnings)
    # si_pct north (A 75, B 42.9) vs south (C 12.5, D 0); E is left out: H = 2.4 by hand
    assert result["KW_H"] == pytest.approx(2.4)
    assert result["KW_P"] == pytest.approx(1 / 3, abs=0.015)  # by permutation; exactly 2 of the 6 splits
    assert [rows[n]["cluster"] for n in "ABCD"] == ["high", "high", "low", "low"]
    assert "OUTPUT_HTML" not in result


def test_restoration_summary_without_start_year_has_no_spearman(run, tmp_path, raster):
    result = run(
        "mineland:restorationsummary",
        {"INPUT": raster, "SITES": sites_layer(), "SITE_ID_FIELD": "name", "OUTPUT": str(tmp_path / "s.gpkg")},
    )
    assert "SPEARMAN_RHO" not in result and "SPEARMAN_P" not in result
    _, rows = read_output(result["OUTPUT"])
    assert is_null(rows["A"]["duration_yr"])


def test_restoration_summary_geographic_raster_uses_the_centroid_row(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    from mineland.core.io.raster_io import Grid, row_pixel_areas_m2

    classes = np.array([[5, 5], [4, 1]], dtype=np.uint8)
    args = dict(epsg=4326, origin=(30.0, 61.0), pixel=(0.01, 0.01), nodata=0)
    path = write_raster(tmp_path / "geo.tif", classes, **args)
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "sites", "memory")
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["top"])
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(30.0, 60.992, 30.02, 61.0)))  # centroid in row 0
    layer.dataProvider().addFeatures([feature])
    result = run(
        "mineland:restorationsummary",
        {"INPUT": path, "SITES": layer, "SITE_ID_FIELD": "name", "OUTPUT": str(tmp_path / "s.gpkg")},
    )
    _, rows = read_output(result["OUTPUT"])
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    row_areas = row_pixel_areas_m2(Grid(2, 2, (30.0, 0.01, 0.0, 61.0, 0.0, -0.01), srs.ExportToWkt()))
    assert rows["top"]["sci_km2"] == pytest.approx(2 * row_areas[0] / 1e6, rel=1e-12)
    assert rows["top"]["sci_pct"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({}, "SITE_ID_FIELD"),
        ({"SITE_ID_FIELD": "nope"}, "SITE_ID_FIELD.*'nope' is not in SITES"),
        ({"SITE_ID_FIELD": "name", "GROUP_FIELD": "missing"}, "GROUP_FIELD"),
    ],
)
def test_restoration_summary_bad_fields(run, tmp_path, raster, parameters, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=message):
        run(
            "mineland:restorationsummary",
            dict(parameters, INPUT=raster, SITES=sites_layer(), OUTPUT=str(tmp_path / "s.gpkg")),
        )


def test_restoration_summary_rejects_a_float_raster(run, tmp_path):
    from qgis.core import QgsProcessingException

    floats = write_raster(tmp_path / "f.tif", class_raster().astype(np.float32), epsg=UTM37N, origin=ORIGIN)
    with pytest.raises(QgsProcessingException, match="INPUT.*integer"):
        run(
            "mineland:restorationsummary",
            {"INPUT": floats, "SITES": sites_layer(), "SITE_ID_FIELD": "name", "OUTPUT": str(tmp_path / "s.gpkg")},
        )


def test_restoration_summary_refuses_to_overwrite_its_input(run, tmp_path, raster):
    from qgis.core import QgsProcessingException

    before = file_digest(raster)
    with pytest.raises(QgsProcessingException, match="OUTPUT_HTML"):
        run(
            "mineland:restorationsummary",
            {
                "INPUT": raster,
                "SITES": sites_layer(),
                "SITE_ID_FIELD": "name",
                "OUTPUT": str(tmp_path / "s.gpkg"),
                "OUTPUT_HTML": raster,
            },
        )
    assert file_digest(raster) == before
