"""mineland:fishnet through processing.run: cells, ellipsoidal areas, density by hand."""

import pytest


def polygon_layer(crs, rects, name="layer"):
    """A memory polygon layer of rectangles (xmin, ymin, xmax, ymax)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=name:string", name, "memory")
    features = []
    for i, (x0, y0, x1, y1) in enumerate(rects):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1)))
        feature.setAttributes([f"{name}{i}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def cells_of(result):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(result["OUTPUT"], "cells", "ogr")
    return {(f["row"], f["col"]): f for f in layer.getFeatures()}


def test_fishnet_density_by_hand(run, tmp_path):
    # study area 20 km × 10 km in UTM 37N; 10 km cells → 2 columns × 1 row
    area = polygon_layer("EPSG:32637", [(400000, 5600000, 420000, 5610000)], "area")
    # two overlapping mines: 1 km × 1 km in cell 0 overlapped by another 1 km × 1 km shifted by 0.5 km
    # (union 1.5 km²), and a 2 km × 1 km mine straddling the cell border (1 km² in each cell)
    mines = polygon_layer(
        "EPSG:32637",
        [(401000, 5601000, 402000, 5602000), (401500, 5601000, 402500, 5602000), (409000, 5605000, 411000, 5606000)],
        "mine",
    )
    result = run(
        "mineland:fishnet",
        {"STUDY_AREA": area, "CELL_SIZE": 10000, "MINES": mines, "OUTPUT": str(tmp_path / "grid.gpkg")},
    )
    cells = cells_of(result)
    assert sorted(cells) == [(0, 0), (0, 1)] and result["CELLS"] == 2
    left, right = cells[(0, 0)], cells[(0, 1)]
    # ellipsoidal areas differ from planar UTM ones by the scale factor (~0.1 % here)
    assert left["cell_area_km2"] == pytest.approx(100.0, rel=3e-3)
    assert left["mine_area_km2"] == pytest.approx(2.5, rel=3e-3)  # 1.5 (dissolved) + 1.0
    assert right["mine_area_km2"] == pytest.approx(1.0, rel=3e-3)
    assert left["density_pct"] == pytest.approx(left["mine_area_km2"] / left["cell_area_km2"] * 100)
    assert result["MINE_AREA_KM2"] == pytest.approx(3.5, rel=3e-3)


def test_fishnet_geographic_study_area_uses_an_equal_area_grid(run, tmp_path):
    from qgis.core import QgsVectorLayer

    area = polygon_layer("EPSG:4326", [(88.0, 43.0, 90.0, 45.0)], "area")
    result = run(
        "mineland:fishnet",
        {"STUDY_AREA": area, "CELL_SIZE": 50000, "CLIP": True, "OUTPUT": str(tmp_path / "grid.gpkg")},
    )
    layer = QgsVectorLayer(result["OUTPUT"], "cells", "ogr")
    assert "laea" in layer.crs().toProj()
    total = sum(f["cell_area_km2"] for f in layer.getFeatures())
    # clipped cells add up to the study area's ellipsoidal area (2° × 2° at 43–45°N ≈ 35,400 km²)
    from qgis.core import QgsCoordinateReferenceSystem, QgsDistanceArea, QgsGeometry, QgsProject, QgsRectangle

    measure = QgsDistanceArea()
    measure.setSourceCrs(QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance().transformContext())
    measure.setEllipsoid("EPSG:7030")
    expected = measure.measureArea(QgsGeometry.fromRect(QgsRectangle(88, 43, 90, 45))) / 1e6
    assert total == pytest.approx(expected, rel=5e-3)  # the reprojected outline's edges are not densified


def test_fishnet_needs_an_area_or_extent(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="STUDY_AREA: give a study-area layer or an EXTENT"):
        run("mineland:fishnet", {"CELL_SIZE": 1000, "OUTPUT": str(tmp_path / "g.gpkg")})
    area = polygon_layer("EPSG:32637", [(400000, 5600000, 900000, 6100000)], "area")
    with pytest.raises(QgsProcessingException, match="CELL_SIZE"):
        run("mineland:fishnet", {"STUDY_AREA": area, "CELL_SIZE": 10, "OUTPUT": str(tmp_path / "g.gpkg")})
