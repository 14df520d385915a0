"""mineland:resilience through processing.run on a 4 × 4 raster with two zones."""

import csv

import numpy as np
import pytest
from rasters import write_raster

ORIGIN = (500000.0, 6000000.0)


def zones_layer():
    """West zone over columns 0–1, east zone over columns 2–3 (30 m pixels, EPSG:32633)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=name:string", "zones", "memory")
    features = []
    for name, (c0, c1) in (("west", (0, 2)), ("east", (2, 4))):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(ORIGIN[0] + 30 * c0, ORIGIN[1] - 120,
                                                              ORIGIN[0] + 30 * c1, ORIGIN[1])))
        feature.setAttributes([name])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_resilience_per_zone_by_hand(run, tmp_path):
    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)      # west half 1 / half 2; east all 3
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    result = run("mineland:resilience", {
        "LANDCOVER": write_raster(tmp_path / "lc.tif", cover), "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
        "SCORES": "1=0.4, 2=0.8, 3=0.5", "C1": 2.0, "C2": 0.5, "MU": 0.08, "ZONES": zones_layer(),
        "ZONE_ID_FIELD": "name", "OUTPUT": str(tmp_path / "r.csv")})
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {r["zone_id"]: r for r in csv.DictReader(handle)}
    # west: H = 1, ECO_res = 0.6, NDVI mean 0.4, σ = 1·0.4/1 = 0.4, E = 0.4·0.08·0.6
    assert float(rows["west"]["h_log2"]) == pytest.approx(1.0)
    assert float(rows["west"]["eco_res"]) == pytest.approx(0.6)
    assert float(rows["west"]["ndvi_mean"]) == pytest.approx(0.4)
    assert float(rows["west"]["e"]) == pytest.approx(0.4 * 0.08 * 0.6)
    assert float(rows["east"]["e"]) == 0.0  # a single class: H = 0


@pytest.mark.parametrize("change, message", [
    ({"SCORES": "1=0.4, 2=0.8"}, "SCORES: class codes 3"),
    ({"C2": 0.0}, "C2: must not be 0"),
    ({"NDVI_SCALE": 10000}, "NDVI.*outside"),
])
def test_resilience_bad_input(run, tmp_path, change, message):
    from qgis.core import QgsProcessingException

    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.full((4, 4), 0.5, dtype=np.float32) * change.pop("NDVI_SCALE", 1)
    params = {"LANDCOVER": write_raster(tmp_path / "lc.tif", cover), "NDVI": write_raster(tmp_path / "n.tif", ndvi),
              "SCORES": "1=0.4, 2=0.8, 3=0.5", "ZONES": zones_layer(), "OUTPUT": str(tmp_path / "r.csv")}
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:resilience", dict(params, **change))


def test_resilience_window_raster(run, tmp_path):
    from osgeo import gdal

    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    result = run("mineland:resilience", {
        "LANDCOVER": write_raster(tmp_path / "lc.tif", cover), "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
        "SCORES": "1=0.4, 2=0.8, 3=0.5", "C1": 2.0, "C2": 0.5, "WINDOW": 3,
        "OUTPUT_RASTER": str(tmp_path / "window.tif")})
    dataset = gdal.Open(result["OUTPUT_RASTER"])
    assert [dataset.GetRasterBand(i).GetDescription() for i in range(1, 5)] == ["h_log2", "eco_res", "sigma", "e"]
    h = dataset.GetRasterBand(1).ReadAsArray()
    # pixel (1, 3): its window (columns 2–3) holds class 3 only → H = 0; pixel (1, 1) sees 1, 2, 3 in 1:1:1 → log2 3
    assert h[1, 3] == 0.0 and h[1, 1] == pytest.approx(np.log2(3), rel=1e-6)
    with pytest.raises(Exception, match="WINDOW: the window must have an odd side"):
        run("mineland:resilience", {"LANDCOVER": write_raster(tmp_path / "lc2.tif", cover),
                                    "NDVI": write_raster(tmp_path / "ndvi2.tif", ndvi), "SCORES": "1=0.4, 2=0.8, 3=0.5",
                                    "WINDOW": 4, "OUTPUT_RASTER": str(tmp_path / "w2.tif")})


def test_change_rates_as_rasters(run, tmp_path):
    cover = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    c1 = np.array([[1.0, 3.0, 5.0, 5.0]] * 4, dtype=np.float32)  # west mean 2, as the number in the first test
    result = run("mineland:resilience", {
        "LANDCOVER": write_raster(tmp_path / "lc.tif", cover), "NDVI": write_raster(tmp_path / "ndvi.tif", ndvi),
        "SCORES": "1=0.4, 2=0.8, 3=0.5", "C1_RASTER": write_raster(tmp_path / "c1.tif", c1), "C2": 0.5,
        "ZONES": zones_layer(), "ZONE_ID_FIELD": "name", "OUTPUT": str(tmp_path / "r.csv")})
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {r["zone_id"]: r for r in csv.DictReader(handle)}
    assert float(rows["west"]["sigma"]) == pytest.approx(1.0 * 0.4 / (2.0 * 0.5))
