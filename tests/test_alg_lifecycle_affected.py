"""mineland:lifecycle and mineland:affectedarea through processing.run on small tables."""

import csv

import pytest


def table(tmp_path, name, header, rows):
    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return f"file://{path}?type=csv&detectTypes=yes&geomType=none"


def layer(uri):
    from qgis.core import QgsVectorLayer

    result = QgsVectorLayer(uri, "t", "delimitedtext")
    assert result.isValid()
    return result


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_lifecycle_stages_per_mine_and_current_stage(run, tmp_path):
    full = [1, 2, 10, 30, 60, 90, 100, 101, 101, 70, 40]
    rows = [("A", 2000 + k, v) for k, v in enumerate(full)] + [
        ("B", 2000, 50),
        ("B", 2001, 52),
        ("B", 2002, 53.5),
        ("B", 2003, None),
    ]
    result = run(
        "mineland:lifecycle",
        {
            "INPUT": layer(table(tmp_path, "series", ["mine", "year", "mt"], rows)),
            "MINE_FIELD": "mine",
            "YEAR_FIELD": "year",
            "VALUE_FIELD": "mt",
            "WINDOW": 1,
            "OUTPUT": str(tmp_path / "stages.csv"),
            "OUTPUT_SUMMARY": str(tmp_path / "summary.csv"),
        },
    )
    stages = [(r["mine_id"], int(r["stage"])) for r in read(result["OUTPUT"])]
    assert [s for m, s in stages if m == "A"] == [1, 1, 1, 2, 2, 2, 2, 4, 4, 5, 5]
    assert [s for m, s in stages if m == "B"] == [4, 3, 3]  # the NULL year is missing, not 0
    summary = {r["mine_id"]: r for r in read(result["OUTPUT_SUMMARY"])}
    assert summary["A"]["current_stage_name"] == "Decline" and summary["A"]["peak_year"] == "2007"
    assert summary["B"]["current_stage_name"] == "Stable (early)" and summary["B"]["last_year"] == "2002"
    growth = {(r["mine_id"], r["year"]): r["growth_pct_per_year"] for r in read(result["OUTPUT"])}
    assert growth["A", "2000"] == "" and float(growth["A", "2004"]) == pytest.approx(100.0)


@pytest.mark.parametrize(
    "rows, change, message",
    [
        ([("A", 2000, 5), ("A", 2001, -1)], {}, "INPUT: mine A: the series has negative values"),
        ([("A", 2000, 5), ("A", 2000, 6)], {}, "INPUT: mine A: year 2000 appears twice"),
        ([("A", 2000, "lots")], {}, "VALUE_FIELD: row .* has 'lots', not a number"),
        ([("A", 2000, 5)], {"SLOW_GROWTH": 0.5}, "INITIAL_SHARE: thresholds must satisfy"),
    ],
)
def test_lifecycle_bad_input(run, tmp_path, rows, change, message):
    from qgis.core import QgsProcessingException

    params = {
        "INPUT": layer(table(tmp_path, "bad", ["mine", "year", "mt"], rows)),
        "MINE_FIELD": "mine",
        "YEAR_FIELD": "year",
        "VALUE_FIELD": "mt",
        "OUTPUT": str(tmp_path / "s.csv"),
    }
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:lifecycle", dict(params, **change))


SEED003_MINES = [
    ("Huolinhe", 469.30),
    ("Yimin", 127.20),
    ("Yuanbaoshan", 238.80),
    ("Jungar Wusu", 326.90),
    ("Pingshuo Antaibao", 517.40),
]


def test_affected_area_seed003(run, tmp_path, recording_feedback):
    # the paper gives the five mines' areas and their total production (142 Mt) only: one pooled row
    pooled = layer(table(tmp_path, "pooled", ["name", "km2", "mt"], [("five mines", 1679.60, 142.4)]))
    result = run(
        "mineland:affectedarea",
        {
            "INPUT": pooled,
            "NAME_FIELD": "name",
            "AREA_FIELD": "km2",
            "PRODUCTION_FIELD": "mt",
            "TOTAL_PRODUCTION": 1060,
            "OUTPUT": str(tmp_path / "a.csv"),
        },
    )
    assert result["ESTIMATE_KM2"] == pytest.approx(12502.37, abs=0.3)
    assert result["BOOTSTRAP_LOW_KM2"] is None
    # per-mine productions (made up, summing to 142): the pooled estimate is unchanged, the spread appears
    rows = [(n, a, q) for (n, a), q in zip(SEED003_MINES, (40.0, 20.0, 22.0, 30.0, 30.0))] + [("no data", None, 5)]
    feedback = recording_feedback()
    result = run(
        "mineland:affectedarea",
        {
            "INPUT": layer(table(tmp_path, "mines", ["name", "km2", "mt"], rows)),
            "NAME_FIELD": "name",
            "AREA_FIELD": "km2",
            "PRODUCTION_FIELD": "mt",
            "TOTAL_PRODUCTION": 1060,
            "SEED": 7,
            "OUTPUT": str(tmp_path / "b.csv"),
        },
        feedback,
    )
    assert result["ESTIMATE_KM2"] == pytest.approx(1679.60 / 142 * 1060)
    ratios = [a / q for (_, a), q in zip(SEED003_MINES, (40.0, 20.0, 22.0, 30.0, 30.0))]
    assert (result["MIN_KM2"], result["MAX_KM2"]) == pytest.approx((min(ratios) * 1060, max(ratios) * 1060))
    assert result["MIN_KM2"] < result["BOOTSTRAP_LOW_KM2"] < result["ESTIMATE_KM2"] < result["BOOTSTRAP_HIGH_KM2"]
    assert len(read(result["OUTPUT"])) == 5 and any("1 row(s)" in w for w in feedback.warnings)


@pytest.mark.parametrize(
    "rows, total, message",
    [
        ([("a", 10, 0)], 100, "PRODUCTION_FIELD: mine\\(s\\) a have a production ≤ 0"),
        ([("a", -10, 1)], 100, "AREA_FIELD: mine\\(s\\) a have a negative area"),
        ([("a", 10, 1)], 0, "TOTAL_PRODUCTION: must be > 0"),
        ([("a", None, 1)], 100, "INPUT: no surveyed mine"),
    ],
)
def test_affected_area_bad_input(run, tmp_path, rows, total, message):
    from qgis.core import QgsProcessingException

    params = {
        "INPUT": layer(table(tmp_path, "bad", ["name", "km2", "mt"], rows)),
        "NAME_FIELD": "name",
        "AREA_FIELD": "km2",
        "PRODUCTION_FIELD": "mt",
        "TOTAL_PRODUCTION": total,
    }
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:affectedarea", params)


def test_lifecycle_succession_type_from_two_land_covers(run, tmp_path):
    import numpy as np

    from rasters import write_raster
    from test_alg_resilience import zones_layer

    start = np.ones((4, 4), dtype=np.uint8)  # all land at the first date
    end = np.array([[5, 5, 5, 1], [5, 5, 1, 1], [5, 5, 1, 1], [5, 5, 1, 1]], dtype=np.uint8)
    rows = [(m, 2000 + k, v) for m in ("west", "east", "far") for k, v in enumerate((1, 5, 10))]
    result = run(
        "mineland:lifecycle",
        {
            "INPUT": layer(table(tmp_path, "series", ["mine", "year", "mt"], rows)),
            "MINE_FIELD": "mine",
            "YEAR_FIELD": "year",
            "VALUE_FIELD": "mt",
            "MINES": zones_layer(),
            "MINES_ID_FIELD": "name",
            "LANDCOVER_START": write_raster(tmp_path / "s.tif", start, nodata=0),
            "LANDCOVER_END": write_raster(tmp_path / "e.tif", end, nodata=0),
            "WATER_CLASSES": "5",
            "OUTPUT": str(tmp_path / "stages.csv"),
            "OUTPUT_SUMMARY": str(tmp_path / "summary.csv"),
        },
    )
    summary = {r["mine_id"]: r for r in read(result["OUTPUT_SUMMARY"])}
    # west (columns 0–1): all water at the end; east (columns 2–3): 1 of 8 pixels
    assert float(summary["west"]["water_end_pct"]) == pytest.approx(100.0)
    assert summary["west"]["succession"] == "terrestrial → aquatic"
    assert float(summary["east"]["water_end_pct"]) == pytest.approx(12.5)
    assert summary["east"]["succession"] == "amphibious"
    assert summary["far"]["succession"] == ""  # no polygon: NULL


def test_lifecycle_succession_needs_both_dates(run, tmp_path):
    from qgis.core import QgsProcessingException

    from test_alg_resilience import zones_layer

    with pytest.raises(QgsProcessingException, match="LANDCOVER_START: the succession type needs"):
        run(
            "mineland:lifecycle",
            {
                "INPUT": layer(table(tmp_path, "series", ["mine", "year", "mt"], [("west", 2000, 1)])),
                "MINE_FIELD": "mine",
                "YEAR_FIELD": "year",
                "VALUE_FIELD": "mt",
                "MINES": zones_layer(),
                "MINES_ID_FIELD": "name",
                "OUTPUT": str(tmp_path / "s.csv"),
            },
        )
