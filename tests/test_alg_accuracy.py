"""mineland:accuracy through processing.run: points in another CRS, skipped points, the table layout."""

import csv

import numpy as np
import pytest

from rasters import UTM33N, write_raster

# Class raster in UTM 33N, 30 m pixels from (500000, 6000000), nodata 0 at row 1, column 3.
CLASSES = np.array([[1, 1, 2, 2], [1, 3, 2, 0], [3, 3, 3, 2]], dtype=np.uint8)

# (row, column, reference class) of the usable points. Mapped = CLASSES[row, column]:
# rows = reference, columns = mapped → [[2, 1, 0], [0, 2, 1], [0, 0, 2]]
USED = [(0, 0, 1), (0, 1, 1), (0, 2, 1), (1, 1, 3), (1, 2, 2), (2, 0, 2), (2, 3, 2), (2, 2, 3)]
# OA = 6/8; p_e = (3·2 + 3·3 + 2·3) / 8² = 21/64; κ = (48/64 − 21/64) / (43/64) = 27/43
OA, KAPPA = 6 / 8, 27 / 43


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def centre(row, col):
    """UTM 33N coordinates of a pixel centre."""
    return 500000.0 + 30.0 * col + 15.0, 6000000.0 - 30.0 * row - 15.0


def point_layer(rows, crs="EPSG:4326", fields="field=truth:integer&field=name:string"):
    """A memory point layer from (x, y in UTM 33N or None for no geometry, truth, name) rows, in ``crs``."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsPointXY,
        QgsProject,
        QgsVectorLayer,
    )

    layer = QgsVectorLayer(f"Point?crs={crs}&{fields}", "reference", "memory")
    to_layer = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(f"EPSG:{UTM33N}"), layer.crs(), QgsProject.instance().transformContext()
    )
    features = []
    for x, y, truth, name in rows:
        feature = QgsFeature(layer.fields())
        if x is not None:
            feature.setGeometry(QgsGeometry.fromPointXY(to_layer.transform(QgsPointXY(x, y))))
        feature.setAttributes([truth, name])
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)
    return layer


def save_gpkg(layer, path):
    from qgis.core import QgsProject, QgsVectorFileWriter

    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), options
    )
    assert error == QgsVectorFileWriter.NoError, message
    return str(path)


@pytest.fixture
def raster(tmp_path):
    return write_raster(tmp_path / "classes.tif", CLASSES, nodata=0)


@pytest.fixture
def reference(tmp_path):
    """The USED points plus one on nodata, one outside, one NULL reference and one without geometry,
    stored in WGS 84 (the raster is in UTM 33N)."""
    rows = [(*centre(r, c), truth, f"p{i}") for i, (r, c, truth) in enumerate(USED)]
    rows += [
        (*centre(1, 3), 2, "on nodata"),
        (499900.0, 5999985.0, 1, "outside"),
        (*centre(0, 0), None, "null reference"),
        (None, None, 1, "no geometry"),
    ]
    return save_gpkg(point_layer(rows), tmp_path / "reference.gpkg")


def test_accuracy_hand_computed_with_reprojected_points(run, tmp_path, raster, reference):
    result = run(
        "mineland:accuracy",
        {
            "INPUT": raster,
            "REFERENCE": reference,
            "REFERENCE_FIELD": "truth",
            "OUTPUT": str(tmp_path / "matrix.csv"),
            "OUTPUT_POINTS": str(tmp_path / "points.gpkg"),
        },
    )
    assert result["N_POINTS"] == 8 and result["N_SKIPPED"] == 4
    assert type(result["N_POINTS"]) is int and type(result["N_SKIPPED"]) is int
    assert result["OVERALL_ACCURACY"] == pytest.approx(OA)
    assert result["KAPPA"] == pytest.approx(KAPPA)
    assert type(result["KAPPA"]) is float and type(result["OVERALL_ACCURACY"]) is float

    table = read_csv(result["OUTPUT"])
    assert list(table[0]) == [
        "class",
        "label",
        "mapped_1",
        "mapped_2",
        "mapped_3",
        "total_reference",
        "producers_accuracy",
    ]
    by_label = {row["label"]: row for row in table}
    assert [row["class"] for row in table] == ["1", "2", "3", "", ""]
    counts = [[float(by_label[f"class {c}"][f"mapped_{m}"]) for m in (1, 2, 3)] for c in (1, 2, 3)]
    assert counts == [[2, 1, 0], [0, 2, 1], [0, 0, 2]]
    assert [int(by_label[f"class {c}"]["total_reference"]) for c in (1, 2, 3)] == [3, 3, 2]
    assert [float(by_label[f"class {c}"]["producers_accuracy"]) for c in (1, 2, 3)] == pytest.approx([2 / 3, 2 / 3, 1])
    total = by_label["total_mapped"]
    assert [float(total[f"mapped_{m}"]) for m in (1, 2, 3)] == [2, 3, 3]
    assert int(total["total_reference"]) == 8 and total["producers_accuracy"] == ""
    users = by_label["users_accuracy"]
    assert [float(users[f"mapped_{m}"]) for m in (1, 2, 3)] == pytest.approx([1, 2 / 3, 2 / 3])
    assert users["total_reference"] == "" and float(users["producers_accuracy"]) == pytest.approx(OA)

    from qgis.core import NULL, QgsVectorLayer

    points = QgsVectorLayer(result["OUTPUT_POINTS"], "points", "ogr")
    assert points.crs().authid() == "EPSG:4326" and points.featureCount() == 12
    by_name = {f["name"]: f for f in points.getFeatures()}
    assert (by_name["p2"]["reference"], by_name["p2"]["mapped"], by_name["p2"]["agree"]) == (1, 2, 0)
    assert (by_name["p0"]["mapped"], by_name["p0"]["agree"], by_name["p0"]["skipped"]) == (1, 1, None)
    assert by_name["on nodata"]["skipped"] == "on raster nodata" and by_name["on nodata"]["mapped"] == 0
    assert by_name["outside"]["skipped"] == "outside the raster" and by_name["outside"]["mapped"] == NULL
    assert by_name["null reference"]["skipped"] == "NULL reference class"
    assert by_name["no geometry"]["skipped"].startswith("empty geometry")


def test_accuracy_warns_about_every_skip_reason(run, tmp_path, raster, reference, recording_feedback):
    feedback = recording_feedback()
    run(
        "mineland:accuracy",
        {"INPUT": raster, "REFERENCE": reference, "REFERENCE_FIELD": "truth", "OUTPUT": str(tmp_path / "matrix.csv")},
        feedback=feedback,
    )
    text = "\n".join(feedback.warnings)
    for reason in ("outside the raster", "on raster nodata", "NULL reference class", "empty geometry"):
        assert f"1 reference point(s) skipped, {reason}" in text


def test_accuracy_same_crs_memory_layer_and_single_class(run, tmp_path, raster):
    # Same CRS as the raster, given as a layer object; every point class 1 in both → kappa undefined, left out.
    layer = point_layer([(*centre(0, 0), 1, "a"), (*centre(1, 0), 1, "b")], crs=f"EPSG:{UTM33N}")
    result = run(
        "mineland:accuracy",
        {
            "INPUT": raster,
            "BAND": 1,
            "REFERENCE": layer,
            "REFERENCE_FIELD": "truth",
            "OUTPUT": str(tmp_path / "matrix.csv"),
        },
    )
    assert result["OVERALL_ACCURACY"] == 1.0 and result["N_POINTS"] == 2 and result["N_SKIPPED"] == 0
    assert "KAPPA" not in result


def test_accuracy_text_codes_are_accepted(run, tmp_path, raster):
    layer = point_layer(
        [(*centre(0, 0), "1", "a"), (*centre(0, 2), " 2 ", "b")],
        crs=f"EPSG:{UTM33N}",
        fields="field=truth:string&field=name:string",
    )
    result = run(
        "mineland:accuracy",
        {"INPUT": raster, "REFERENCE": layer, "REFERENCE_FIELD": "truth", "OUTPUT": str(tmp_path / "matrix.csv")},
    )
    assert result["OVERALL_ACCURACY"] == 1.0 and result["KAPPA"] == 1.0


def test_accuracy_rejects_a_non_numeric_reference_field(run, tmp_path, raster, reference):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="REFERENCE_FIELD.*'p0'.*not a whole-number class code"):
        run(
            "mineland:accuracy",
            {
                "INPUT": raster,
                "REFERENCE": reference,
                "REFERENCE_FIELD": "name",
                "OUTPUT": str(tmp_path / "matrix.csv"),
            },
        )


def test_accuracy_fails_when_no_point_is_usable(run, tmp_path, raster):
    from qgis.core import QgsProcessingException

    layer = point_layer([(499900.0, 5999985.0, 1, "outside"), (*centre(1, 3), 2, "on nodata")])
    with pytest.raises(QgsProcessingException, match="REFERENCE: none of the 2 point"):
        run(
            "mineland:accuracy",
            {"INPUT": raster, "REFERENCE": layer, "REFERENCE_FIELD": "truth", "OUTPUT": str(tmp_path / "matrix.csv")},
        )


def test_accuracy_rejects_a_float_raster(run, tmp_path, reference):
    from qgis.core import QgsProcessingException

    floats = write_raster(tmp_path / "f.tif", CLASSES.astype(np.float32))
    with pytest.raises(QgsProcessingException, match="INPUT.*Float32.*integer"):
        run(
            "mineland:accuracy",
            {
                "INPUT": floats,
                "REFERENCE": reference,
                "REFERENCE_FIELD": "truth",
                "OUTPUT": str(tmp_path / "matrix.csv"),
            },
        )
