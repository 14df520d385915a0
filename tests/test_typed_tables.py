"""CSV tables reload with their field types (a .csvt beside each), as an analyst loads them in QGIS."""

import pytest

from rasters import write_raster
from test_alg_disturbance import mine_polygons
from test_core_disturbance import Y1990, Y1995, Y1996


def fields_by_name(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, "table", "ogr")
    assert layer.isValid(), path
    return {field.name(): field for field in layer.fields()}, list(layer.getFeatures())


def test_transfer_matrix_tables_reload_numeric(run, tmp_path):
    paths = [
        write_raster(tmp_path / f"lc{y}.tif", a.astype("uint8"), nodata=0) for y, a in ((1990, Y1990), (1996, Y1996))
    ]
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": paths[0],
            "INPUT_END": paths[1],
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "matrix.csv"),
        },
    )
    fields, rows = fields_by_name(result["OUTPUT"])
    assert fields["pixels"].isNumeric() and fields["area_km2"].isNumeric() and fields["from_class"].isNumeric()
    assert not fields["from_name"].isNumeric()
    assert sum(r["pixels"] for r in rows) == 25 - sum(1 for a, b in zip(Y1990.flat, Y1996.flat) if not (a and b))
    fields, rows = fields_by_name(result["OUTPUT_MATRIX"])
    names = list(fields)
    assert not fields[names[0]].isNumeric()
    assert all(fields[name].isNumeric() for name in names[1:])
    totals = {r[names[0]]: r for r in rows}["total_end_km2"]
    assert totals["total_start_km2"] == pytest.approx(result["TOTAL_KM2"], abs=1e-6)  # the CSV has 6 decimals


def test_disturbance_csv_feeds_mine_status_numeric_fields(run, tmp_path):
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
        },
    )
    fields, _ = fields_by_name(result["OUTPUT"])
    for name in ("year", "dev_km2", "rec_km2", "bsp_pct"):
        assert fields[name].isNumeric(), name
    assert not fields["polygon_id"].isNumeric()
