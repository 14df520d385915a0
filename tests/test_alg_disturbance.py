"""mineland:disturbance through processing.run on the hand-made 5 × 5 series (30 m pixels)."""

import csv

import pytest

from rasters import UTM_CENTRAL_MERIDIAN_AREA_SCALE, write_raster
from test_core_disturbance import Y1990, Y1995, Y1996

PIXEL_KM2 = 0.0009 * UTM_CENTRAL_MERIDIAN_AREA_SCALE  # a 30 m pixel on UTM's central meridian, on the ellipsoid
ORIGIN = (500000.0, 6000000.0)


def mine_polygons(crs="EPSG:32633"):
    """Polygon A over columns 0–2 of rows 0–3, polygon B over columns 3–4 (pixel centres inside)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=name:string", "mines", "memory")
    x0, y0 = ORIGIN
    features = []
    for name, (c0, c1) in (("A", (0, 3)), ("B", (3, 5))):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0 + 30 * c0, y0 - 120, x0 + 30 * c1, y0)))
        feature.setAttributes([name])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_disturbance_by_hand(run, tmp_path):
    paths = [
        write_raster(tmp_path / f"lc{y}.tif", a.astype("uint8"), nodata=0)
        for y, a in ((1990, Y1990), (1995, Y1995), (1996, Y1996))
    ]
    result = run(
        "mineland:disturbance",
        {
            "MINES": mine_polygons(),
            "ID_FIELD": "name",
            "INPUTS": paths,
            "YEARS": "1990,1995,1996",
            "OUTPUT": str(tmp_path / "long.csv"),
            "OUTPUT_POLYGONS": str(tmp_path / "mines.gpkg"),
            "OUTPUT_HTML": str(tmp_path / "report.html"),
        },
    )
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {(r["polygon_id"], int(r["year"])): r for r in csv.DictReader(handle)}
    # A: DEV 2 pixels in 1990→1995 spread over 5 years, then 1 pixel in 1996
    assert float(rows[("A", 1993)]["dev_km2"]) == pytest.approx(2 * PIXEL_KM2 / 5)
    assert rows[("A", 1993)]["epoch"] == "1990-1995" and rows[("A", 1993)]["bsp_pct"] == ""
    assert float(rows[("A", 1996)]["dev_km2"]) == pytest.approx(PIXEL_KM2)
    assert float(rows[("B", 1996)]["rec_km2"]) == pytest.approx(PIXEL_KM2)
    assert float(rows[("B", 1995)]["bsp_pct"]) == pytest.approx(600 / 7)
    assert float(rows[("A", 1990)]["bsp_pct"]) == 0.0

    from qgis.core import QgsVectorLayer

    totals = {f["polygon_id"]: f for f in QgsVectorLayer(result["OUTPUT_POLYGONS"], "t", "ogr").getFeatures()}
    assert totals["A"]["dev_km2"] == pytest.approx(3 * PIXEL_KM2)
    assert totals["B"]["reclaimed_pct"] == pytest.approx(100 - 500 / 7)
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_polygons_in_another_crs_are_reprojected(run, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsVectorLayer

    paths = [
        write_raster(tmp_path / f"lc{y}.tif", a.astype("uint8"), nodata=0) for y, a in ((1990, Y1990), (1995, Y1995))
    ]
    utm = mine_polygons()
    wgs = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "mines", "memory")
    transform = QgsCoordinateTransform(utm.crs(), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    features = []
    for feature in utm.getFeatures():
        geometry = feature.geometry()
        geometry.transform(transform)
        feature.setGeometry(geometry)
        features.append(feature)
    wgs.dataProvider().addFeatures(features)
    result = run(
        "mineland:disturbance",
        {"MINES": wgs, "ID_FIELD": "name", "INPUTS": paths, "YEARS": "1990,1995", "OUTPUT": str(tmp_path / "long.csv")},
    )
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        dev = sum(float(r["dev_km2"] or 0) for r in csv.DictReader(handle) if r["polygon_id"] == "A")
    assert dev == pytest.approx(2 * PIXEL_KM2)


def test_overlapping_class_lists_are_refused(run, tmp_path):
    from qgis.core import QgsProcessingException

    paths = [write_raster(tmp_path / f"lc{y}.tif", Y1990.astype("uint8"), nodata=0) for y in (1990, 1995)]
    with pytest.raises(QgsProcessingException, match="VEGETATION_CLASSES"):
        run(
            "mineland:disturbance",
            {
                "MINES": mine_polygons(),
                "ID_FIELD": "name",
                "INPUTS": paths,
                "YEARS": "1990,1995",
                "VEGETATION_CLASSES": "1,2",
                "OUTPUT": str(tmp_path / "long.csv"),
            },
        )


def test_zonal_series_feeds_mine_status(run, tmp_path):
    import numpy as np

    # NDVI rising in polygon A (columns 0–2), falling in B (columns 3–4), for 6 years
    years = list(range(2018, 2024))
    paths = []
    for k, year in enumerate(years):
        ndvi = np.zeros((5, 5), dtype=np.float32)
        ndvi[:, :3] = 0.2 + 0.05 * k
        ndvi[:, 3:] = 0.6 - 0.05 * k
        ndvi[0, 0] = -9999  # nodata: left out of A's mean
        paths.append(write_raster(tmp_path / f"ndvi{year}.tif", ndvi, nodata=-9999))
    zonal = run(
        "mineland:zonalseries",
        {
            "MINES": mine_polygons(),
            "ID_FIELD": "name",
            "INPUTS": paths,
            "YEARS": ",".join(map(str, years)),
            "OUTPUT": str(tmp_path / "z.csv"),
        },
    )
    with open(zonal["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    assert float(next(r for r in rows if r["polygon_id"] == "B" and r["year"] == "2020")["mean"]) == pytest.approx(0.5)
    status = run(
        "mineland:minestatus",
        {
            "INPUT": zonal["OUTPUT"],
            "ID_FIELD": "polygon_id",
            "YEAR_FIELD": "year",
            "NDVI_FIELD": "mean",
            "OUTPUT": str(tmp_path / "s.csv"),
        },
    )
    assert (status["ACTIVE"], status["CLOSED"]) == (1, 1)  # B greening down → active; A greening → closed

    direct = run(
        "mineland:minestatus",
        {
            "MINES": mine_polygons(),
            "MINES_ID_FIELD": "name",
            "NDVI_RASTERS": paths,
            "RASTER_YEARS": ",".join(map(str, years)),
            "OUTPUT": str(tmp_path / "d.csv"),
        },
    )
    with open(direct["OUTPUT"], newline="", encoding="utf-8") as handle:
        by_polygon = {r["polygon_id"]: r["status"] for r in csv.DictReader(handle)}
    assert by_polygon == {"A": "closed", "B": "active"}  # the rasters straight into minestatus give the same


def test_invalid_and_empty_polygons_are_repaired_or_skipped(run, tmp_path, recording_feedback):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    paths = [
        write_raster(tmp_path / f"lc{y}.tif", a.astype("uint8"), nodata=0) for y, a in ((1990, Y1990), (1995, Y1995))
    ]
    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=name:string", "mines", "memory")
    bow = QgsFeature(layer.fields())  # a self-intersecting bow tie over polygon A's columns
    bow.setGeometry(
        QgsGeometry.fromWkt("POLYGON((500000 6000000, 500090 5999880, 500090 6000000, 500000 5999880, 500000 6000000))")
    )
    bow.setAttributes(["bow"])
    empty = QgsFeature(layer.fields())
    empty.setAttributes(["empty"])
    layer.dataProvider().addFeatures([bow, empty])
    feedback = recording_feedback()
    result = run(
        "mineland:disturbance",
        {
            "MINES": layer,
            "ID_FIELD": "name",
            "INPUTS": paths,
            "YEARS": "1990,1995",
            "OUTPUT": str(tmp_path / "long.csv"),
        },
        feedback=feedback,
    )
    text = "\n".join(feedback.warnings)
    assert "1 invalid polygon(s) repaired" in text and "1 feature(s) without geometry skipped" in text
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        assert {r["polygon_id"] for r in csv.DictReader(handle)} == {"bow"}
