"""mineland:desertification through processing.run: grading, summing, classes, area in mining patches."""

import csv

import numpy as np
import pytest
from rasters import read_raster, write_raster


def test_score_classes_and_mine_shares(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    sand = np.array([[10, 30, 50, 80]] * 2, dtype=np.float32)        # grades 1 2 3 4
    wind = np.array([[2.0, 3.0, 4.0, 5.0]] * 2, dtype=np.float32)     # grades 1 2 3 4
    erosion = np.array([[1, 2, 3, 4], [4, 4, 4, 0]], dtype=np.uint8)  # 0 = nodata
    paths = {"SAND": write_raster(tmp_path / "sand.tif", sand), "WIND_SPEED": write_raster(tmp_path / "w.tif", wind),
             "EROSION": write_raster(tmp_path / "e.tif", erosion, nodata=0)}
    mines = QgsVectorLayer("Polygon?crs=EPSG:32633", "mines", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(500060, 5999970, 500120, 6000000)))  # columns 2–3, row 0
    mines.dataProvider().addFeatures([feature])
    result = run("mineland:desertification", dict(paths, BREAKS="4, 7, 10", MINES=mines,
                                                  OUTPUT_SCORE=str(tmp_path / "score.tif"),
                                                  OUTPUT_CLASS=str(tmp_path / "class.tif"),
                                                  OUTPUT_MINES=str(tmp_path / "mines.csv")))
    score = read_raster(result["OUTPUT_SCORE"])
    np.testing.assert_array_equal(score, [[3, 6, 9, 12], [6, 8, 10, -1]])
    np.testing.assert_array_equal(read_raster(result["OUTPUT_CLASS"]), [[1, 2, 3, 4], [2, 3, 3, 0]])
    with open(result["OUTPUT_MINES"], newline="", encoding="utf-8") as handle:
        shares = {int(r["class"]): float(r["share_pct"]) for r in csv.DictReader(handle)}
    assert shares == {1: 0.0, 2: 0.0, 3: 50.0, 4: 50.0}  # the two pixels of row 0, columns 2–3


def test_needs_a_factor_and_one_grid(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="at least one factor"):
        run("mineland:desertification", {"OUTPUT_SCORE": str(tmp_path / "s.tif"), "OUTPUT_CLASS": str(tmp_path / "c.tif")})
    a = write_raster(tmp_path / "a.tif", np.ones((2, 2), np.float32))
    b = write_raster(tmp_path / "b.tif", np.ones((3, 2), np.float32))
    with pytest.raises(QgsProcessingException, match="SLOPE is 2×3 pixels"):
        run("mineland:desertification", {"SAND": a, "SLOPE": b, "OUTPUT_SCORE": str(tmp_path / "s.tif"),
                                         "OUTPUT_CLASS": str(tmp_path / "c.tif")})


def test_natural_breaks(run, tmp_path):
    # sand 0…99 % and slope 0…49 ° give scores from 2 to 8 in four natural groups
    sand = np.repeat(np.array([[5, 25, 45, 75]], np.float32), 6, axis=0)
    slope = np.repeat(np.array([[1, 7, 15, 30]], np.float32), 6, axis=0)
    result = run("mineland:desertification", {"SAND": write_raster(tmp_path / "s.tif", sand),
                                              "SLOPE": write_raster(tmp_path / "sl.tif", slope), "METHOD": 1,
                                              "OUTPUT_SCORE": str(tmp_path / "score.tif"),
                                              "OUTPUT_CLASS": str(tmp_path / "class.tif")})
    np.testing.assert_array_equal(read_raster(result["OUTPUT_SCORE"])[0], [2, 4, 6, 8])
    np.testing.assert_array_equal(read_raster(result["OUTPUT_CLASS"])[0], [1, 2, 3, 4])
