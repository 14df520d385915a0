"""Seed 001's chain on its synthetic sample: refine → disturbance → status, step by step and as the shipped model."""

import csv

import pytest

from sample.make_seed001 import YEARS, write_all

STEPS_OUT = ["refine:Refined mines", "disturbance:DEV REC and BSP per year", "status:Mine status"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return write_all(str(tmp_path_factory.mktemp("seed001")))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_refinement_keeps_the_island_and_erases_the_edge_strip(run, tmp_path, sample):
    result = run(
        "mineland:refineboundaries",
        {
            "INPUT_A": sample["mines_a"],
            "INPUT_B": sample["mines_b"],
            "BREAKS": sample["breaks"],
            "LANDCOVER": sample["classes"][-1],
            "VEGETATED_CLASSES": "2, 3, 4",
            "SIMPLIFY_DISTANCE": 0,
            "OUTPUT": str(tmp_path / "mines.gpkg"),
            "OUTPUT_STEPS": str(tmp_path / "steps.csv"),
        },
    )
    steps = {r["step"][:1]: r for r in read_csv(result["OUTPUT_STEPS"])}
    assert steps["1"]["polygons"] == "2"  # pit (A ∪ B) and dump
    erased = float(steps["1"]["area_km2"]) - float(steps["3"]["area_km2"])
    # the 3-column woodland strip on the pit's western edge, 50 rows: 150 pixels of 900 m²
    assert erased == pytest.approx(150 * 0.0009, rel=0.02)
    from qgis.core import QgsVectorLayer

    sources = sorted(f["source"] for f in QgsVectorLayer(result["OUTPUT"], "m", "ogr").getFeatures())
    assert sources == ["A", "both"]


def test_simplified_area_within_the_geos_tolerance_of_the_pixel_area(run, tmp_path, sample):
    """Douglas-Peucker at 100 m (the default) moves the pixel-edged outlines, so the refined area depends on GEOS:
    the sample's refined mines are 3.107 km² with GEOS 3.11-3.13 (QGIS 3.22, 3.40) and 3.062 km² with GEOS 3.15
    (QGIS 3.44). The tolerance stated here: within 4 % of the exact pixel area before simplification (step 3,
    3.147 km²)."""
    result = run(
        "mineland:refineboundaries",
        {
            "INPUT_A": sample["mines_a"],
            "INPUT_B": sample["mines_b"],
            "BREAKS": sample["breaks"],
            "LANDCOVER": sample["classes"][-1],
            "VEGETATED_CLASSES": "2, 3, 4",
            "OUTPUT": str(tmp_path / "mines.gpkg"),
            "OUTPUT_STEPS": str(tmp_path / "steps.csv"),
        },
    )
    steps = {r["step"][:1]: r for r in read_csv(result["OUTPUT_STEPS"])}
    assert result["AREA_KM2"] == pytest.approx(float(steps["3"]["area_km2"]), rel=0.04)
    assert float(steps["4"]["polygons"]) == float(steps["3"]["polygons"])


def test_shipped_model_classifies_pit_active_and_dump_closed(run, tmp_path, sample):
    outputs = {name: str(tmp_path / f"out{i}.{'gpkg' if i == 0 else 'csv'}") for i, name in enumerate(STEPS_OUT)}
    result = run(
        "mineland:mine_boundaries_status",
        dict(
            outputs,
            INPUT_A=sample["mines_a"],
            INPUT_B=sample["mines_b"],
            BREAKS=sample["breaks"],
            LANDCOVER=sample["classes"][-1],
            CLASSES=sample["classes"],
            YEARS=",".join(map(str, YEARS)),
            VEGETATED_CLASSES="2, 3, 4",
        ),
    )
    status = {r["status"] for r in read_csv(result["status:Mine status"])}
    rules = sorted(r["rule"] for r in read_csv(result["status:Mine status"]))
    assert status == {"active", "closed"} and rules == ["bsp ↑", "bsp ↓"]
