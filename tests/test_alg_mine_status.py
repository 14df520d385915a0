"""mineland:minestatus through processing.run on a long table."""

import csv

import pytest


def series_table(rows):
    """A geometry-less memory table (polygon, year, bsp, ndvi)."""
    from qgis.core import QgsFeature, QgsVectorLayer

    layer = QgsVectorLayer(
        "None?field=polygon:string&field=year:integer&field=bsp:double&field=ndvi:double", "series", "memory"
    )
    features = []
    for values in rows:
        feature = QgsFeature(layer.fields())
        feature.setAttributes(list(values))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_status_by_the_tree(run, tmp_path):
    years = range(2018, 2024)
    rows = [
        (
            "pit",
            y,
            10.0 + i,
            0.2,
        )
        for i, y in enumerate(years)
    ]  # BSP ↑ → active
    rows += [("dump", y, 30.0 - i, 0.3) for i, y in enumerate(years)]  # BSP ↓ → closed
    rows += [("quiet", y, 5.0, 0.1 + 0.01 * i) for i, y in enumerate(years)]  # BSP flat, NDVI ↑ → closed
    rows += [("gaps", y, None, None) for y in years]  # nothing → undefined
    result = run(
        "mineland:minestatus",
        {
            "INPUT": series_table(rows),
            "ID_FIELD": "polygon",
            "YEAR_FIELD": "year",
            "BSP_FIELD": "bsp",
            "NDVI_FIELD": "ndvi",
            "OUTPUT": str(tmp_path / "s.csv"),
        },
    )
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        table = {r["polygon_id"]: r for r in csv.DictReader(handle)}
    assert (table["pit"]["status"], table["pit"]["rule"]) == ("active", "bsp ↑")
    assert (table["dump"]["status"], table["dump"]["rule"]) == ("closed", "bsp ↓")
    assert (table["quiet"]["status"], table["quiet"]["rule"]) == ("closed", "ndvi ↑")
    assert table["gaps"]["status"] == "undefined" and table["gaps"]["bsp_years"] == "0"
    assert float(table["pit"]["bsp_slope"]) == pytest.approx(1.0)
    assert (result["ACTIVE"], result["CLOSED"], result["UNDEFINED"]) == (1, 2, 1)


def test_needs_a_series_field(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="BSP_FIELD: give at least one"):
        run(
            "mineland:minestatus",
            {
                "INPUT": series_table([("a", 2020, 1.0, 1.0)]),
                "ID_FIELD": "polygon",
                "YEAR_FIELD": "year",
                "OUTPUT": str(tmp_path / "s.csv"),
            },
        )


def test_modified_tests_without_pymannkendall_say_how_to_install(run, tmp_path, monkeypatch):
    import sys

    from qgis.core import QgsProcessingException

    monkeypatch.setitem(sys.modules, "pymannkendall", None)  # as in a QGIS installer's Python: import fails
    rows = [("pit", y, 10.0 + i, 0.2) for i, y in enumerate(range(2018, 2024))]
    params = {
        "INPUT": series_table(rows),
        "ID_FIELD": "polygon",
        "YEAR_FIELD": "year",
        "BSP_FIELD": "bsp",
        "OUTPUT": str(tmp_path / "s.csv"),
    }
    with pytest.raises(QgsProcessingException, match="TEST: the Hamed-Rao modification needs the pymannkendall"):
        run("mineland:minestatus", dict(params, TEST=1))
    assert run("mineland:minestatus", dict(params, TEST=0))["ACTIVE"] == 1  # the original test needs no package


def test_tests_needing_pymannkendall_are_marked_when_it_is_missing(monkeypatch):
    import importlib.util

    from mineland.algorithms import mine_status

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    labels = mine_status.test_labels()
    assert labels[0] == mine_status.TESTS[0]
    assert all("needs pymannkendall, not installed" in labels[i] for i in mine_status.PYMANNKENDALL_TESTS)
    monkeypatch.undo()
    assert mine_status.test_labels() == mine_status.TESTS  # the test venv has it
