"""mineland:integrity through processing.run: two zones, two dates, every term against hand-computed values."""

import csv
import math

import numpy as np
import pytest

from rasters import write_raster
from test_alg_resilience import zones_layer

COVER_2000 = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)  # west: two strips 1 | 2; east: all 3
COVER_2010 = np.array([[1, 1, 3, 4]] * 4, dtype=np.uint8)  # west: all 1; east: two strips 3 | 4


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {(r["zone_id"], int(r["year"])): r for r in csv.DictReader(handle)}


def number(row, field):
    return float(row[field]) if row[field] not in ("", None) else math.nan


def base_parameters(tmp_path):
    return {
        "INPUTS": [
            write_raster(tmp_path / "lc2000.tif", COVER_2000),
            write_raster(tmp_path / "lc2010.tif", COVER_2010),
        ],
        "YEARS": "2000,2010",
        "ZONES": zones_layer(),
        "ZONE_ID_FIELD": "name",
        "OUTPUT": str(tmp_path / "integrity.csv"),
    }


def constant(tmp_path, name, west, east):
    return write_raster(tmp_path / f"{name}.tif", np.array([[west, west, east, east]] * 4, dtype=np.float32))


def test_structure_only_with_ratio_normalisation(run, tmp_path, recording_feedback):
    recording_feedback = recording_feedback()
    params = dict(base_parameters(tmp_path), NORMALISATION=1)
    rows = rows_of(run("mineland:integrity", params, recording_feedback)["OUTPUT"])
    west, east = rows["west", 2000], rows["east", 2000]
    assert number(west, "shei") == pytest.approx(1.0)
    assert number(west, "contag_pct") == pytest.approx(
        # g11 = g22 = 6 (three vertical pairs, double count), g12 = g21 = 4: q = 0.5·6/10, 0.5·4/10
        (1 + (2 * 0.3 * math.log(0.3) + 2 * 0.2 * math.log(0.2)) / (2 * math.log(2))) * 100
    )
    # 4 × 1 strips of 30 m cells on the map; on UTM 33N's central meridian (k0 = 0.9996) 30/0.9996 m on the ground
    side = 30.0 / 0.9996
    assert number(west, "mpfd") == pytest.approx(2 * math.log(0.25 * 10 * side) / math.log(4 * side * side))
    assert int(west["patches"]) == 2
    assert (number(east, "shei"), number(east, "contag_pct"), int(east["patches"])) == (0.0, 100.0, 1)
    # ECI = SC = Σ 0.25 · metric / max(metric) over all zones and dates
    metrics = ("shei", "mpfd", "contag_pct", "connect_pct")
    maxima = {m: max(number(r, m) for r in rows.values()) for m in metrics}
    for row in rows.values():
        expected = sum(0.25 * number(row, m) / maxima[m] for m in metrics)
        assert number(row, "eci") == pytest.approx(expected)
        assert number(row, "sc") == pytest.approx(expected)
        assert row["fc"] == "" and row["e"] == ""
    for zone in ("west", "east"):
        assert number(rows[zone, 2000], "thv") == pytest.approx(1.0)
        assert number(rows[zone, 2010], "thv") == pytest.approx(
            number(rows[zone, 2010], "eci") / number(rows[zone, 2000], "eci")
        )
    assert rows["west", 2000]["stage_name"] == "Encryption"
    assert any("FC, E not computed" in w for w in recording_feedback.warnings)


def test_all_terms_and_stages(run, tmp_path, recording_feedback):
    recording_feedback = recording_feedback()
    params = dict(
        base_parameters(tmp_path),
        NDVI=[constant(tmp_path, "ndvi00", 0.4, 0.5), constant(tmp_path, "ndvi10", 0.3, 0.2)],
        SCORES="1=0.4, 2=0.8, 3=0.5, 4=0.9",
        C1="2, 4",
        C2="0.5",
        MU=0.08,
        NPP=[constant(tmp_path, "npp00", 300, 500), constant(tmp_path, "npp10", 200, 400)],
        PRECIPITATION=[constant(tmp_path, "p00", 500, 600), constant(tmp_path, "p10", 450, 600)],
        EVAPOTRANSPIRATION=[constant(tmp_path, "et00", 300, 300), constant(tmp_path, "et10", 320, 350)],
        RUNOFF=[constant(tmp_path, "r00", 50, 60), constant(tmp_path, "r10", 60, 70)],
        W_SC=1,
        W_FC=1,
        W_E=2,
        LEVEL_A=0.95,
        LEVEL_B=0.8,
        LEVEL_C=0.6,
        OUTPUT_HTML=str(tmp_path / "integrity.html"),
    )
    result = run("mineland:integrity", params, recording_feedback)
    rows = rows_of(result["OUTPUT"])
    west = rows["west", 2000]
    # H = 1, ECO_res = 1 · (0.5·0.4 + 0.5·0.8) = 0.6, σ = 1 · 0.4 / (2 · 0.5) = 0.4, E = 0.4 · 0.08 · 0.6
    assert number(west, "h_log2") == pytest.approx(1.0)
    assert number(west, "e") == pytest.approx(0.4 * 0.08 * 0.6)
    assert number(rows["east", 2000], "e") == 0.0  # one class: H = 0
    assert number(rows["east", 2010], "e") == pytest.approx(1.0 * 0.2 / (4 * 0.5) * 0.08 * 0.7)
    assert number(west, "q_mm") == pytest.approx(150.0)
    assert number(rows["east", 2010], "q_mm") == pytest.approx(180.0)
    assert number(rows["west", 2010], "npp_mean") == pytest.approx(200.0)

    def minmax(field):
        values = [number(r, field) for r in rows.values()]
        return {k: (number(r, field) - min(values)) / (max(values) - min(values)) for k, r in rows.items()}

    npp, q, e = minmax("npp_mean"), minmax("q_mm"), minmax("e")
    for key, row in rows.items():
        assert number(row, "fc") == pytest.approx(0.5 * npp[key] + 0.5 * q[key])
        assert number(row, "e_norm") == pytest.approx(e[key])
        eci = 0.25 * number(row, "sc") + 0.25 * number(row, "fc") + 0.5 * e[key]  # weights 1, 1, 2 rescaled
        assert number(row, "eci") == pytest.approx(eci)
    assert any("W_SC: the weights sum to 4" in w for w in recording_feedback.warnings)
    for zone in ("west", "east"):
        thv = number(rows[zone, 2010], "eci") / number(rows[zone, 2000], "eci")
        assert number(rows[zone, 2010], "thv") == pytest.approx(thv)
        stage = 1 + (thv < 0.95) + (thv < 0.8) + (thv < 0.6)
        assert int(rows[zone, 2010]["stage"]) == stage
    page = open(result["OUTPUT_HTML"], encoding="utf-8").read()
    assert "<polyline" in page and "a elastic 0.95" in page and "mutation point" in page


def test_baseline_year_and_water_given_directly(run, tmp_path):
    params = dict(
        base_parameters(tmp_path),
        BASELINE_YEAR=2010,
        NORMALISATION=1,
        WATER=[constant(tmp_path, "q00", 100, 200), constant(tmp_path, "q10", 150, 100)],
    )
    rows = rows_of(run("mineland:integrity", params)["OUTPUT"])
    assert number(rows["west", 2010], "thv") == pytest.approx(1.0)
    assert number(rows["east", 2000], "q_mm") == pytest.approx(200.0)
    assert number(rows["west", 2000], "fc") == pytest.approx(0.5)  # Q only: 100 / max 200


@pytest.mark.parametrize(
    "change, message",
    [
        ({"LEVEL_A": 0.5}, "LEVEL_A: the ThV levels must decrease"),
        ({"BASELINE_YEAR": 2005}, "BASELINE_YEAR: 2005 is not one of the dates"),
        ({"C1": "0"}, "C1: must not be 0"),
        ({"C2": "1, 2, 3"}, "C2: give one number, or one per date"),
        ({"STRUCTURE_WEIGHTS": "1, 1, 1"}, "STRUCTURE_WEIGHTS: give 4 weights"),
        ({"FUNCTION_WEIGHTS": "a, b"}, "FUNCTION_WEIGHTS: 'a, b' is not"),
        ({"W_SC": 0, "W_FC": 0, "W_E": 0}, "W_SC: weights must be"),
        ({"NDVI": "one"}, "NDVI: give one raster"),
        ({"NDVI": "two", "SCORES": "1=0.4, 2=0.8"}, "SCORES: class codes 3, 4"),
        ({"NDVI": "scaled", "SCORES": "1=1,2=1,3=1,4=1"}, "NDVI: zone means outside"),
        ({"PRECIPITATION": "two"}, "PRECIPITATION: Q = P − ET − R needs all three"),
    ],
)
def test_bad_input_names_the_parameter(run, tmp_path, change, message):
    from qgis.core import QgsProcessingException

    rasters = {
        "one": [constant(tmp_path, "a", 0.2, 0.3)],
        "two": [constant(tmp_path, "a", 0.2, 0.3), constant(tmp_path, "b", 0.2, 0.3)],
        "scaled": [constant(tmp_path, "c", 2000, 3000), constant(tmp_path, "d", 2000, 3000)],
    }
    change = {
        k: rasters.get(v, v) if isinstance(v, str) and k in ("NDVI", "PRECIPITATION") else v for k, v in change.items()
    }
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:integrity", dict(base_parameters(tmp_path), **change))


def test_geographic_rasters_are_refused(run, tmp_path):
    from qgis.core import QgsProcessingException

    params = dict(
        base_parameters(tmp_path),
        INPUTS=[
            write_raster(tmp_path / f"g{y}.tif", COVER_2000, epsg=4326, origin=(10.0, 50.0), pixel=(0.001, 0.001))
            for y in (2000, 2010)
        ],
    )
    with pytest.raises(QgsProcessingException, match="INPUTS: landscape metrics: .*projected CRS"):
        run("mineland:integrity", params)
