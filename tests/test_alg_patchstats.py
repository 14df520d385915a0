"""mineland:patchstats through processing.run: ellipsoidal areas in any CRS, groups, thresholds."""

import csv

import pytest


def squares_layer(crs, squares):
    """A memory polygon layer of axis-aligned squares (x, y, side, group)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=province:string", "patches", "memory")
    features = []
    for x, y, side, group in squares:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x, y, x + side, y + side)))
        feature.setAttributes([group])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {r["group"]: r for r in csv.DictReader(handle)}


def test_patchstats_projected_by_hand(run, tmp_path):
    # squares of 100 m (0.01 km²), 200 m (0.04 km²) and 1 km (1 km²) in UTM 37N (ellipsoidal ≈ planar)
    layer = squares_layer(
        "EPSG:32637", [(500000, 5600000, 100, "A"), (501000, 5600000, 200, "A"), (503000, 5600000, 1000, "B")]
    )
    result = run(
        "mineland:patchstats",
        {"INPUT": layer, "GROUP_BY": "province", "THRESHOLDS": "0.024, 0.1", "OUTPUT": str(tmp_path / "p.csv")},
    )
    table = rows(result["OUTPUT"])
    assert list(table) == ["A", "B", "All"]
    # UTM scale factor near the central meridian (0.9996) makes ellipsoidal areas ~0.08 % larger
    assert float(table["A"]["area_km2"]) == pytest.approx(0.05, rel=2e-3)
    assert float(table["All"]["geomean_area_km2"]) == pytest.approx((0.01 * 0.04 * 1.0) ** (1 / 3), rel=2e-3)
    assert float(table["All"]["n_lt_0_024_pct"]) == pytest.approx(100 / 3)
    assert float(table["All"]["area_lt_0_1_pct"]) == pytest.approx(0.05 / 1.05 * 100, rel=1e-3)
    assert float(table["B"]["perimeter_km"]) == pytest.approx(4.0, rel=2e-3)
    assert result["PATCHES"] == 3 and result["AREA_KM2"] == pytest.approx(1.05, rel=2e-3)


def test_patchstats_geographic_crs_is_ellipsoidal(run, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsDistanceArea, QgsGeometry, QgsProject, QgsRectangle

    layer = squares_layer("EPSG:4326", [(90.0, 44.0, 0.01, None)])
    result = run("mineland:patchstats", {"INPUT": layer, "OUTPUT": str(tmp_path / "p.csv")})
    measure = QgsDistanceArea()
    measure.setSourceCrs(QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance().transformContext())
    measure.setEllipsoid("EPSG:7030")
    expected = measure.measureArea(QgsGeometry.fromRect(QgsRectangle(90.0, 44.0, 90.01, 44.01))) / 1e6
    assert result["AREA_KM2"] == pytest.approx(expected, rel=1e-9)
    assert 0.8 < result["AREA_KM2"] < 0.9  # ~0.89 km², not 1e-4 "square degrees"


def test_patchstats_bad_thresholds(run, tmp_path):
    from qgis.core import QgsProcessingException

    layer = squares_layer("EPSG:32637", [(500000, 5600000, 100, "A")])
    with pytest.raises(QgsProcessingException, match="THRESHOLDS"):
        run("mineland:patchstats", {"INPUT": layer, "THRESHOLDS": "0.1, big", "OUTPUT": str(tmp_path / "p.csv")})
