"""mineland:resilience through processing.run on a 4 × 4 raster with two zones."""

import csv

import numpy as np
import pytest

from rasters import read_raster, write_raster

ORIGIN = (500000.0, 6000000.0)


def zones_layer():
    """West zone over columns 0–1, east zone over columns 2–3 (30 m pixels, EPSG:32633)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=name:string", "zones", "memory")
    features = []
    for name, (c0, c1) in (("west", (0, 2)), ("east", (2, 4))):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(
            QgsGeometry.fromRect(QgsRectangle(ORIGIN[0] + 30 * c0, ORIGIN[1] - 120, ORIGIN[0] + 30 * c1, ORIGIN[1]))
        )
        feature.setAttributes([name])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_resilience_per_zone_by_hand(run, tmp_path):
    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)  # west half 1 / half 2; east all 3
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    result = run(
        "mineland:resilience",
        {
            "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
            "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
            "SCORES": "1=0.4, 2=0.8, 3=0.5",
            "C1": 2.0,
            "C2": 0.5,
            "MU": 0.08,
            "ZONES": zones_layer(),
            "ZONE_ID_FIELD": "name",
            "OUTPUT": str(tmp_path / "r.csv"),
        },
    )
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {r["zone_id"]: r for r in csv.DictReader(handle)}
    # west: H = 1, ECO_res = 0.6, NDVI mean 0.4, σ = 1·0.4/1 = 0.4, E = 0.4·0.08·0.6
    assert float(rows["west"]["h_log2"]) == pytest.approx(1.0)
    assert float(rows["west"]["eco_res"]) == pytest.approx(0.6)
    assert float(rows["west"]["ndvi_mean"]) == pytest.approx(0.4)
    assert float(rows["west"]["e"]) == pytest.approx(0.4 * 0.08 * 0.6)
    assert float(rows["east"]["e"]) == 0.0  # a single class: H = 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"SCORES": "1=0.4, 2=0.8"}, "SCORES: class codes 3"),
        ({"C2": 0.0}, "C2: must not be 0"),
        ({"NDVI_SCALE": 10000}, "NDVI.*outside"),
    ],
)
def test_resilience_bad_input(run, tmp_path, change, message):
    from qgis.core import QgsProcessingException

    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.full((4, 4), 0.5, dtype=np.float32) * change.pop("NDVI_SCALE", 1)
    params = {
        "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
        "NDVI": write_raster(tmp_path / "n.tif", ndvi),
        "SCORES": "1=0.4, 2=0.8, 3=0.5",
        "ZONES": zones_layer(),
        "OUTPUT": str(tmp_path / "r.csv"),
    }
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:resilience", dict(params, **change))


def test_resilience_window_raster(run, tmp_path):
    from osgeo import gdal

    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    result = run(
        "mineland:resilience",
        {
            "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
            "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
            "SCORES": "1=0.4, 2=0.8, 3=0.5",
            "C1": 2.0,
            "C2": 0.5,
            "WINDOW": 3,
            "OUTPUT_RASTER": str(tmp_path / "window.tif"),
        },
    )
    dataset = gdal.Open(result["OUTPUT_RASTER"])
    assert [dataset.GetRasterBand(i).GetDescription() for i in range(1, 5)] == ["h_log2", "eco_res", "sigma", "e"]
    h = dataset.GetRasterBand(1).ReadAsArray()
    # pixel (1, 3): its window (columns 2–3) holds class 3 only → H = 0; pixel (1, 1) sees 1, 2, 3 in 1:1:1 → log2 3
    assert h[1, 3] == 0.0 and h[1, 1] == pytest.approx(np.log2(3), rel=1e-6)
    with pytest.raises(Exception, match="WINDOW: the window must have an odd side"):
        run(
            "mineland:resilience",
            {
                "LANDCOVER": write_raster(tmp_path / "lc2.tif", cover),
                "NDVI": write_raster(tmp_path / "ndvi2.tif", ndvi),
                "SCORES": "1=0.4, 2=0.8, 3=0.5",
                "WINDOW": 4,
                "OUTPUT_RASTER": str(tmp_path / "w2.tif"),
            },
        )


def test_change_rates_as_rasters(run, tmp_path):
    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    c1 = np.array([[1.0, 3.0, 5.0, 5.0]] * 4, dtype=np.float32)  # west mean 2, as the number in the first test
    result = run(
        "mineland:resilience",
        {
            "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
            "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
            "SCORES": "1=0.4, 2=0.8, 3=0.5",
            "C1_RASTER": write_raster(tmp_path / "c1.tif", c1),
            "C2": 0.5,
            "ZONES": zones_layer(),
            "ZONE_ID_FIELD": "name",
            "OUTPUT": str(tmp_path / "r.csv"),
        },
    )
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {r["zone_id"]: r for r in csv.DictReader(handle)}
    assert float(rows["west"]["sigma"]) == pytest.approx(1.0 * 0.4 / (2.0 * 0.5))


def _window_run(run, tmp_path, c1, feedback=None):
    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    c2 = np.full((4, 4), 0.5, dtype=np.float32)
    c2[0, 0] = -9999  # nodata: left out of the window mean
    result = run(
        "mineland:resilience",
        {
            "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
            "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
            "SCORES": "1=0.4, 2=0.8, 3=0.5",
            "C1": 7.0,
            "C2": 7.0,
            "MU": 0.08,
            "WINDOW": 3,
            "C1_RASTER": write_raster(tmp_path / "c1.tif", np.array([c1] * 4, dtype=np.float32)),
            "C2_RASTER": write_raster(tmp_path / "c2.tif", c2, nodata=-9999),
            "OUTPUT_RASTER": str(tmp_path / "window.tif"),
        },
        feedback=feedback,
    )
    return [read_raster(result["OUTPUT_RASTER"], band) for band in (1, 2, 3, 4)]


def test_window_raster_with_change_rate_rasters(run, tmp_path):
    h, eco_res, sigma, e = _window_run(run, tmp_path, [1.0, 3.0, 5.0, 5.0])
    # pixel (1, 1): its window (rows 0–2, columns 0–2) holds classes 1, 2, 3 in 1:1:1 → H = log2 3,
    # ECO_res = H (0.4 + 0.8 + 0.5)/3, NDVI (0.2 + 0.6 + 0.5)/3, C1 (1 + 3 + 5)/3 = 3, C2 0.5 (nodata left out)
    expected_h = np.log2(3)
    expected_sigma = expected_h * (1.3 / 3) / (3.0 * 0.5)  # not the numbers C1 = C2 = 7
    assert sigma[1, 1] == pytest.approx(expected_sigma, rel=1e-6)
    assert e[1, 1] == pytest.approx(expected_sigma * 0.08 * expected_h * 1.7 / 3, rel=1e-6)
    # pixel (0, 0): window rows 0–1, columns 0–1: C1 = 2, C2 = 0.5 (3 valid pixels), H = 1, NDVI 0.4
    assert sigma[0, 0] == pytest.approx(1.0 * 0.4 / (2.0 * 0.5), rel=1e-6)


def test_window_raster_zero_change_rate_gives_nodata_and_one_warning(run, tmp_path, recording_feedback):
    from mineland.core.engine.stack import FLOAT_NODATA

    feedback = recording_feedback()
    h, eco_res, sigma, e = _window_run(run, tmp_path, [0.0, 0.0, 5.0, 5.0], feedback)
    # column 0's windows (columns 0–1) see only C1 = 0: σ and E nodata, H and ECO_res kept
    assert np.all(sigma[:, 0] == FLOAT_NODATA) and np.all(e[:, 0] == FLOAT_NODATA)
    assert np.all(h[:, 0] == pytest.approx(1.0)) and np.all(eco_res[:, 0] == pytest.approx(0.6))
    # column 1 sees C1 = (0 + 0 + 5)/3: σ = log2 3 · (1.3/3) / (5/3 · 0.5) on row 1
    assert sigma[1, 1] == pytest.approx(np.log2(3) * (1.3 / 3) / (5 / 3 * 0.5), rel=1e-6)
    assert np.all(np.isfinite(sigma)) and np.all(np.isfinite(e))
    assert [w for w in feedback.warnings if "C1_RASTER" in w] == [
        "C1_RASTER / C2_RASTER: 4 pixel(s) of OUTPUT_RASTER have a window whose mean C1 or C2 is 0 or has no "
        "valid pixel; their sigma and e are nodata (h_log2 and eco_res are kept)"
    ]


def test_change_rate_raster_on_another_grid_is_refused(run, tmp_path):
    from qgis.core import QgsProcessingException

    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    with pytest.raises(QgsProcessingException, match="C1_RASTER"):
        run(
            "mineland:resilience",
            {
                "LANDCOVER": write_raster(tmp_path / "lc.tif", cover),
                "NDVI": write_raster(tmp_path / "ndvi.tif", np.full((4, 4), 0.5, np.float32)),
                "SCORES": "1=0.4, 2=0.8, 3=0.5",
                "WINDOW": 3,
                "C1_RASTER": write_raster(tmp_path / "c1.tif", np.ones((3, 4), np.float32)),
                "OUTPUT_RASTER": str(tmp_path / "window.tif"),
            },
        )
