"""mineland:refineboundaries through processing.run on synthetic mines, breaks and land cover (30 m pixels)."""

import csv

import numpy as np
import pytest

from rasters import write_raster

ORIGIN = (500000.0, 6000000.0)  # UTM 33N, top-left
PIXEL = 30.0


def rect_layer(rects, crs="EPSG:32633"):
    """Polygons from pixel rectangles (col0, row0, col1, row1) of the test grid."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={crs}&field=name:string", "mines", "memory")
    features = []
    for c0, r0, c1, r1 in rects:
        feature = QgsFeature(layer.fields())
        feature.setGeometry(
            QgsGeometry.fromRect(
                QgsRectangle(
                    ORIGIN[0] + c0 * PIXEL, ORIGIN[1] - r1 * PIXEL, ORIGIN[0] + c1 * PIXEL, ORIGIN[1] - r0 * PIXEL
                )
            )
        )
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_edge_green_erased_enclosed_green_kept(run, tmp_path):
    # mine A: pixels cols 2–11, rows 2–11 (10 × 10 = 0.09 km²); B overlaps it on cols 8–13, rows 4–9
    a = rect_layer([(2, 2, 12, 12)])
    b = rect_layer([(8, 4, 14, 10)])
    breaks = np.ones((16, 16), dtype=np.uint8)
    cover = np.full((16, 16), 200, dtype=np.uint8)  # bare
    breaks[5:8, 5:8] = 0  # stable green inside A, enclosed: kept
    cover[5:8, 5:8] = 62
    breaks[2:4, 2:12] = 0  # stable green along A's top edge: erased (2 rows × 10 cols)
    cover[2:4, 2:12] = 62
    paths = [write_raster(tmp_path / "breaks.tif", breaks), write_raster(tmp_path / "cover.tif", cover)]
    result = run(
        "mineland:refineboundaries",
        {
            "INPUT_A": a,
            "INPUT_B": b,
            "BREAKS": paths[0],
            "LANDCOVER": paths[1],
            "SIMPLIFY_DISTANCE": 0,
            "OUTPUT": str(tmp_path / "mines.gpkg"),
            "OUTPUT_STEPS": str(tmp_path / "steps.csv"),
        },
    )
    with open(result["OUTPUT_STEPS"], newline="", encoding="utf-8") as handle:
        steps = {r["step"][:1]: r for r in csv.DictReader(handle)}
    pixel_km2 = 0.0009
    union = (10 * 10 + 2 * 6) * pixel_km2  # A plus B's part outside A (cols 12–13, rows 4–9)
    assert float(steps["1"]["area_km2"]) == pytest.approx(union, rel=3e-3)
    assert steps["1"]["polygons"] == "1" and steps["2"]["polygons"] == "1"
    assert float(steps["3"]["area_km2"]) == pytest.approx(union - 20 * pixel_km2, rel=3e-3)
    assert result["POLYGONS"] == 1
    from qgis.core import QgsVectorLayer

    (mine,) = list(QgsVectorLayer(result["OUTPUT"], "m", "ogr").getFeatures())
    assert mine["source"] == "both"
