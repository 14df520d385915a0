"""mineland:overlap on hand-made rectangles in an equal-area CRS (EPSG:6933), where areas are exact."""

import csv

import pytest

KM2 = 1e6
MINES = [
    ("A", (0, 0, 2000, 1000)),
    ("A", (3000, 0, 4000, 1000)),
    ("B", (10000, 0, 11000, 1000)),
    ("B", (0, 5000, 1000, 6000)),
]  # 2, 1, 1, 1 km²; the third is outside every zone
ZONES = [
    ("Reserve", "reserve", (1000, -1000, 3500, 2000)),  # 7.5 km²: 1 km² of mine 1, 0.5 of mine 2
    ("KBA", "kba", (1500, 0, 5000, 1000)),  # 3.5 km²: 0.5 of mine 1, all of mine 2 (overlaps Reserve)
    ("Far", "kba", (0, 5500, 500, 7000)),
]  # 0.75 km²: 0.25 of mine 4


def polygons(rows, fields, crs="EPSG:6933"):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&" + "&".join(f"field={f}:string" for f in fields), "p", "memory")
    features = []
    for *values, (x0, y0, x1, y1) in rows:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1)))
        feature.setAttributes(list(values))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def result(run, tmp_path):
    return run(
        "mineland:overlap",
        {
            "MINES": polygons(MINES, ["province"]),
            "MINE_GROUP_FIELD": "province",
            "ZONES": polygons(ZONES, ["name", "kind"]),
            "ZONE_NAME_FIELD": "name",
            "ZONE_GROUP_FIELD": "kind",
            "OUTPUT": str(tmp_path / "zones.csv"),
            "OUTPUT_TOTALS": str(tmp_path / "totals.csv"),
        },
    )


def test_per_zone_rows(result):
    rows = {(r["mine_group"], r["zone"]): r for r in read(result["OUTPUT"])}
    expected = {  # (patches, mine km², % of the group's mines, zone km², % of the zone)
        ("All", "Reserve"): (2, 1.5, 30.0, 7.5, 20.0),
        ("All", "KBA"): (2, 1.5, 30.0, 3.5, 1.5 / 3.5 * 100),
        ("All", "Far"): (1, 0.25, 5.0, 0.75, 0.25 / 0.75 * 100),
        ("A", "Reserve"): (2, 1.5, 50.0, 7.5, 20.0),
        ("A", "KBA"): (2, 1.5, 50.0, 3.5, 1.5 / 3.5 * 100),
        ("B", "Far"): (1, 0.25, 12.5, 0.75, 0.25 / 0.75 * 100),
    }
    assert set(rows) == set(expected)
    for key, (patches, area, share, zone_area, zone_share) in expected.items():
        row = rows[key]
        assert int(row["patches"]) == patches
        assert [
            float(row[f]) for f in ("mine_area_km2", "share_of_mine_area_pct", "zone_area_km2", "share_of_zone_pct")
        ] == pytest.approx([area, share, zone_area, zone_share], rel=1e-4)
    assert rows["A", "KBA"]["zone_group"] == "kba"


def test_totals_do_not_double_count_overlapping_zones(result):
    totals = {(r["mine_group"], r["zone_group"]): r for r in read(result["OUTPUT_TOTALS"])}
    # all zones dissolved: mine 1 has 1 km² inside (Reserve ∪ KBA), mine 2 all of its 1 km², mine 4 0.25 km²
    overall = totals["All", "All zones"]
    assert int(overall["patches"]) == 3
    assert float(overall["mine_area_km2"]) == pytest.approx(2.25, rel=1e-4)  # not 1.5 + 1.5 + 0.25
    assert float(overall["share_of_mine_area_pct"]) == pytest.approx(45.0, rel=1e-4)
    assert float(totals["All", "kba"]["mine_area_km2"]) == pytest.approx(1.75, rel=1e-4)
    assert float(totals["All", "kba"]["zone_area_km2"]) == pytest.approx(4.25, rel=1e-4)
    assert int(totals["B", "All zones"]["patches"]) == 1
    assert (result["PATCHES_INSIDE"], result["MINE_AREA_INSIDE_KM2"]) == (3, pytest.approx(2.25, rel=1e-4))
    assert result["SHARE_INSIDE_PCT"] == pytest.approx(45.0, rel=1e-4)


def test_zones_in_another_crs_and_invalid_polygons(run, tmp_path, recording_feedback):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFeature, QgsGeometry, QgsProject

    zones = polygons(ZONES, ["name", "kind"])
    geographic = polygons([], ["name", "kind"], crs="EPSG:4326")
    to_wgs84 = QgsCoordinateTransform(zones.crs(), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    features = []
    for feature in zones.getFeatures():
        geometry = QgsGeometry(feature.geometry())
        geometry.transform(to_wgs84)
        copy = QgsFeature(geographic.fields())
        copy.setGeometry(geometry)
        copy.setAttributes(feature.attributes())
        features.append(copy)
    bow_tie = QgsFeature(geographic.fields())  # a self-intersecting zone far from the mines: repaired, no overlap
    bow_tie.setGeometry(QgsGeometry.fromWkt("POLYGON((1 1, 2 2, 2 1, 1 2, 1 1))"))
    bow_tie.setAttributes(["Twisted", "kba"])
    geographic.dataProvider().addFeatures(features + [bow_tie])
    feedback = recording_feedback()
    result = run(
        "mineland:overlap",
        {
            "MINES": polygons(MINES, ["province"]),
            "ZONES": geographic,
            "ZONE_NAME_FIELD": "name",
            "OUTPUT": str(tmp_path / "z.csv"),
        },
        feedback,
    )
    assert result["MINE_AREA_INSIDE_KM2"] == pytest.approx(2.25, rel=1e-4)
    assert any("ZONES: 1 invalid polygon(s) repaired" in w for w in feedback.warnings)
    assert {r["zone"] for r in read(result["OUTPUT"])} == {"Reserve", "KBA", "Far"}


def test_no_overlap_is_a_valid_zero_result(run, tmp_path):
    result = run(
        "mineland:overlap",
        {
            "MINES": polygons(MINES[2:3], ["province"]),
            "ZONES": polygons(ZONES, ["name", "kind"]),
            "OUTPUT": str(tmp_path / "z.csv"),
        },
    )
    assert (result["PATCHES_INSIDE"], result["MINE_AREA_INSIDE_KM2"], result["SHARE_INSIDE_PCT"]) == (0, 0.0, 0.0)
    assert read(result["OUTPUT"]) == []


def test_empty_zone_layer_names_the_parameter(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="ZONES: no zone polygon"):
        run(
            "mineland:overlap",
            {
                "MINES": polygons(MINES, ["province"]),
                "ZONES": polygons([], ["name"]),
                "OUTPUT": str(tmp_path / "z.csv"),
            },
        )
