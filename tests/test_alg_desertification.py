"""mineland:desertification through processing.run: grading, summing, classes, area in mining patches."""

import csv

import numpy as np
import pytest

from rasters import read_raster, write_raster


def test_score_classes_and_mine_shares(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    sand = np.array([[10, 30, 50, 80]] * 2, dtype=np.float32)  # grades 1 2 3 4
    wind = np.array([[2.0, 3.0, 4.0, 5.0]] * 2, dtype=np.float32)  # grades 1 2 3 4
    erosion = np.array([[1, 2, 3, 4], [4, 4, 4, 0]], dtype=np.uint8)  # 0 = nodata
    paths = {
        "SAND": write_raster(tmp_path / "sand.tif", sand),
        "WIND_SPEED": write_raster(tmp_path / "w.tif", wind),
        "EROSION": write_raster(tmp_path / "e.tif", erosion, nodata=0),
    }
    mines = QgsVectorLayer("Polygon?crs=EPSG:32633", "mines", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(500060, 5999970, 500120, 6000000)))  # columns 2–3, row 0
    mines.dataProvider().addFeatures([feature])
    result = run(
        "mineland:desertification",
        dict(
            paths,
            BREAKS="4, 7, 10",
            MINES=mines,
            OUTPUT_SCORE=str(tmp_path / "score.tif"),
            OUTPUT_CLASS=str(tmp_path / "class.tif"),
            OUTPUT_MINES=str(tmp_path / "mines.csv"),
        ),
    )
    score = read_raster(result["OUTPUT_SCORE"])
    np.testing.assert_array_equal(score, [[3, 6, 9, 12], [6, 8, 10, -1]])
    np.testing.assert_array_equal(read_raster(result["OUTPUT_CLASS"]), [[1, 2, 3, 4], [2, 3, 3, 0]])
    with open(result["OUTPUT_MINES"], newline="", encoding="utf-8") as handle:
        shares = {int(r["class"]): float(r["share_pct"]) for r in csv.DictReader(handle)}
    assert shares == {1: 0.0, 2: 0.0, 3: 50.0, 4: 50.0}  # the two pixels of row 0, columns 2–3


def test_needs_a_factor_and_one_grid(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="at least one factor"):
        run(
            "mineland:desertification",
            {"OUTPUT_SCORE": str(tmp_path / "s.tif"), "OUTPUT_CLASS": str(tmp_path / "c.tif")},
        )
    a = write_raster(tmp_path / "a.tif", np.ones((2, 2), np.float32))
    b = write_raster(tmp_path / "b.tif", np.ones((3, 2), np.float32))
    with pytest.raises(QgsProcessingException, match="SLOPE is 2×3 pixels"):
        run(
            "mineland:desertification",
            {"SAND": a, "SLOPE": b, "OUTPUT_SCORE": str(tmp_path / "s.tif"), "OUTPUT_CLASS": str(tmp_path / "c.tif")},
        )


def test_natural_breaks(run, tmp_path):
    # sand 0…99 % and slope 0…49 ° give scores from 2 to 8 in four natural groups
    sand = np.repeat(np.array([[5, 25, 45, 75]], np.float32), 6, axis=0)
    slope = np.repeat(np.array([[1, 7, 15, 30]], np.float32), 6, axis=0)
    result = run(
        "mineland:desertification",
        {
            "SAND": write_raster(tmp_path / "s.tif", sand),
            "SLOPE": write_raster(tmp_path / "sl.tif", slope),
            "METHOD": 1,
            "OUTPUT_SCORE": str(tmp_path / "score.tif"),
            "OUTPUT_CLASS": str(tmp_path / "class.tif"),
        },
    )
    np.testing.assert_array_equal(read_raster(result["OUTPUT_SCORE"])[0], [2, 4, 6, 8])
    np.testing.assert_array_equal(read_raster(result["OUTPUT_CLASS"])[0], [1, 2, 3, 4])


def _slope_run(run, tmp_path, **extra):
    slope = np.array([[4, 12, 20, 30]], dtype=np.float32)
    return run(
        "mineland:desertification",
        dict(
            {
                "SLOPE": write_raster(tmp_path / "slope.tif", slope),
                "OUTPUT_SCORE": str(tmp_path / "score.tif"),
                "OUTPUT_CLASS": str(tmp_path / "class.tif"),
            },
            **extra,
        ),
    )


def test_thresholds_matrix_edits_the_grading(run, tmp_path):
    from qgis.core import NULL

    from mineland.core.resilience import desertification as model

    # Table 6 (5, 10, 25): 4° → 1, 12° → 3, 20° → 3, 30° → 4
    assert read_raster(_slope_run(run, tmp_path)["OUTPUT_SCORE"]).tolist() == [[1, 3, 3, 4]]
    # the dialog sends every row; the SLOPE row edited to 5, 15, 25: 12° becomes 2
    cells = model.threshold_cells()
    row = cells.index("SLOPE")
    cells[row + 1 : row + 4] = [5.0, 15.0, 25.0]
    assert read_raster(_slope_run(run, tmp_path, THRESHOLDS=cells)["OUTPUT_SCORE"]).tolist() == [[1, 2, 3, 4]]
    # qgis_process style: one comma-separated list; "low" turns the grading round
    result = _slope_run(run, tmp_path, THRESHOLDS="SLOPE,5,15,25,low")
    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[4, 3, 2, 1]]
    # untouched widget values mean Table 6
    for untouched in ([], None, NULL, [NULL]):
        assert read_raster(_slope_run(run, tmp_path, THRESHOLDS=untouched)["OUTPUT_SCORE"]).tolist() == [[1, 3, 3, 4]]


def test_thresholds_csv_overrides_the_matrix(run, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("factor,b1,b2,b3,worse\nSLOPE,1,2,3,high\n", encoding="utf-8")
    result = _slope_run(run, tmp_path, THRESHOLDS="SLOPE,5,15,25,low", THRESHOLDS_CSV=str(table))
    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[4, 4, 4, 4]]


@pytest.mark.parametrize(
    "cells, message",
    [
        ("SLOPE,25,15,5,high", "THRESHOLDS: row 1: b1 < b2 < b3"),
        ("EROSION,1,2,3,high", "THRESHOLDS: row 1: 'EROSION' is not a continuous factor"),
        ("SLOPE,5,15,25", "THRESHOLDS: give whole rows"),
    ],
)
def test_bad_thresholds_matrix(run, tmp_path, cells, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=message):
        _slope_run(run, tmp_path, THRESHOLDS=cells)


def test_seed002_breaks_with_fewer_factors_warn(run, tmp_path, recording_feedback):
    """Two factors score 2–8: seed 002's 28, 31, 34 (for 13 factors) would put every pixel in class 1."""
    sand = np.array([[10, 30, 50, 80]] * 2, dtype=np.float32)
    wind = np.array([[2.0, 3.0, 4.0, 5.0]] * 2, dtype=np.float32)
    paths = {"SAND": write_raster(tmp_path / "sand.tif", sand), "WIND_SPEED": write_raster(tmp_path / "w.tif", wind)}
    feedback = recording_feedback()
    result = run(
        "mineland:desertification",
        dict(paths, OUTPUT_SCORE=str(tmp_path / "score.tif"), OUTPUT_CLASS=str(tmp_path / "class.tif")),
        feedback,
    )
    assert np.all(read_raster(result["OUTPUT_CLASS"]) == 1)
    [warning] = [w for w in feedback.warnings if w.startswith("BREAKS")]
    assert "2 factor(s) the scores run from 2 to 8" in warning and "natural breaks" in warning
    quiet = recording_feedback()
    run(
        "mineland:desertification",
        dict(paths, BREAKS="3, 5, 7", OUTPUT_SCORE=str(tmp_path / "s2.tif"), OUTPUT_CLASS=str(tmp_path / "c2.tif")),
        quiet,
    )
    assert not [w for w in quiet.warnings if w.startswith("BREAKS")]
