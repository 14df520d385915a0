"""The algorithms as the QGIS window runs them: dialog defaults, a batch row, children added in the Model Designer.

tests/dialog_runs.py builds each real dialog in a QGIS with its GUI
(offscreen, in a process of its own), sets only the required inputs through
the widgets and runs what the dialog would run; the results are loaded with
Processing's own handleAlgorithmResults, which is what reports "The following
layers were not correctly generated". This module checks what it found.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from rasters import read_raster

pytestmark = pytest.mark.gui  # dialogs in a QGIS with its GUI, in a subprocess (tests/dialog_runs.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "dialog_runs.py")
WITH_RASTER_OUTPUTS = (
    "mineland:reclassify",
    "mineland:transfermatrix",
    "mineland:carbonstock",
    "mineland:trend",
    "mineland:mlri",
    "mineland:resilience",
    "mineland:desertification",
    "mineland:landcover_carbon",
    "mineland:restoration_monitoring",
    "mineland:desertification_sensitivity",
)
WITHOUT_RASTER_OUTPUTS = (
    "mineland:accuracy",
    "mineland:affectedarea",
    "mineland:disturbance",
    "mineland:fishnet",
    "mineland:hotspots",
    "mineland:integrity",
    "mineland:landusedynamics",
    "mineland:lifecycle",
    "mineland:mine_boundaries_status",
    "mineland:minestatus",
    "mineland:mining_hotspots",
    "mineland:moran",
    "mineland:overlap",
    "mineland:patchstats",
    "mineland:refineboundaries",
    "mineland:restorationsummary",
    "mineland:zonalseries",
)
EVERY_ALGORITHM = WITH_RASTER_OUTPUTS + WITHOUT_RASTER_OUTPUTS


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    out = tmp_path_factory.mktemp("dialogs")
    env = dict(os.environ, PYTHONPATH=ROOT, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, SCRIPT, str(out)], env=env, capture_output=True, text=True, timeout=600)
    log = f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (out / "facts.json").exists(), log
    found = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert found["errors"] == [], "\n".join(found["errors"]) + log
    return found


def test_reclassify_runs_from_its_untouched_dialog_as_with_no_table(facts, run):
    dialog_run = facts["dialog"]["mineland:reclassify"]
    assert dialog_run["parameters"]["TABLE"] == "[NULL]"  # what the untouched table widget gives
    assert "error" not in dialog_run, dialog_run.get("error")
    source = dialog_run["parameters"]["INPUT"]
    assert os.path.isfile(source)
    explicit = run("mineland:reclassify", {"INPUT": source, "OUTPUT": "TEMPORARY_OUTPUT"})
    assert np.array_equal(read_raster(explicit["OUTPUT"]), read_raster(dialog_run["results"]["OUTPUT"]))


def test_every_algorithm_and_model_of_the_provider_is_run(facts, provider):
    listed = sorted(algorithm.id() for algorithm in provider.algorithms())
    assert facts["provider"] == listed
    assert sorted(EVERY_ALGORITHM) == listed, "add the missing ones to tests/dialog_runs.py's required inputs"
    assert sorted(facts["dialog"]) == listed and sorted(facts["batch"]) == listed


@pytest.mark.parametrize("algorithm_id", EVERY_ALGORITHM)
def test_dialog_defaults_run_and_every_registered_layer_loads(facts, algorithm_id):
    run = facts["dialog"][algorithm_id]
    assert "error" not in run, f"{run.get('error')} {run.get('errors')}"
    assert run["to_load"], "nothing registered to load"
    assert run["missing"] == [], f"registered but never written: {run['missing']}"
    assert run["loaded"] and run["errors"] == [], run["errors"]


def test_loaded_layers_are_named_after_their_inputs(facts):
    assert facts["dialog"]["mineland:reclassify"]["layer_names"] == ["Reclassified (glc_1985)"]
    change = [n for n in facts["batch"]["mineland:transfermatrix"]["layer_names"] if n.startswith("Change codes")]
    assert len(change) == 1 and change[0].endswith(" (glc_1985_7 → glc_2020_7)")
    model_names = facts["dialog"]["mineland:landcover_carbon"]["layer_names"]
    assert "Classes, start date" in model_names and "Classes, end date" in model_names  # the model's own names


@pytest.mark.parametrize("algorithm_id", EVERY_ALGORITHM)
def test_batch_row_runs_and_loads(facts, algorithm_id):
    run = facts["batch"][algorithm_id]
    assert "error" not in run, f"{run.get('error')} {run.get('errors')}"
    assert run["to_load"] and run["missing"] == [] and run["loaded"] and run["errors"] == []


def test_designer_children_run_with_their_dialog_defaults(facts):
    assert facts["designer_tables"], "the designer made no reclassify children"
    for sources in facts["designer_tables"].values():
        assert sources == ["[NULL]"]  # the untouched table widget, saved in the model
    assert facts["designer"]["ok"], facts["designer"]["errors"]
    results = facts["designer"]["results"]
    assert "mineland:transfermatrix_1" in results["CHILD_RESULTS"]


@pytest.mark.parametrize(
    "algorithm_id, key, expected",
    [
        ("mineland:moran", "FIELD", "density_pct"),
        ("mineland:hotspots", "FIELD", "density_pct"),
        ("mineland:affectedarea", "AREA_FIELD", "area_km2"),
        ("mineland:affectedarea", "PRODUCTION_FIELD", "production"),
        ("mineland:lifecycle", "YEAR_FIELD", "year"),
        ("mineland:lifecycle", "VALUE_FIELD", "production"),
        ("mineland:restorationsummary", "START_YEAR_FIELD", "start_year"),
    ],
)
def test_field_pickers_default_to_the_conventional_field_not_fid(facts, algorithm_id, key, expected):
    assert facts["dialog"][algorithm_id]["parameters"][key] == expected


def test_minestatus_takes_disturbance_fields_by_their_names(facts):
    """The untouched (optional, empty) pickers on disturbance's table: polygon_id, year and bsp_pct are used."""
    run = facts["dialog"]["mineland:minestatus"]
    assert run["parameters"]["BSP_FIELD"] == "NULL" and "error" not in run, run.get("error")
    [table] = run["layers"]
    assert "bsp_trend" in table["fields"] and table["count"] == 2, table  # pit and dump of seed 001


def test_moran_refuses_the_feature_id(run, facts):
    from qgis.core import QgsProcessingException

    grid = facts["dialog"]["mineland:moran"]["parameters"]["INPUT"]
    with pytest.raises(QgsProcessingException, match="FIELD.*feature id"):
        run("mineland:moran", {"INPUT": grid, "FIELD": "fid", "OUTPUT": "TEMPORARY_OUTPUT"})


def loaded(facts, kind, algorithm_id, prefix):
    [layer] = [layer for layer in facts[kind][algorithm_id]["layers"] if layer["name"].startswith(prefix)]
    return layer


@pytest.mark.parametrize(
    "kind, algorithm_id, prefix, title",
    [
        ("batch", "mineland:transfermatrix", "Change codes", "Band 1: change (start class → end class) (Palette)"),
        ("dialog", "mineland:reclassify", "Reclassified", "Band 1: land-cover class (Palette)"),
        ("dialog", "mineland:desertification", "Sensitivity class", "Band 1: sensitivity class (Palette)"),
        ("dialog", "mineland:desertification", "Sensitivity score", "Band 1: sensitivity score (sum of grades) (Gray)"),
        ("dialog", "mineland:restoration_monitoring", "Restoration classes", "Band 1: restoration class (Palette)"),
    ],
)
def test_raster_legends_have_a_title_naming_the_values(facts, kind, algorithm_id, prefix, title):
    layer = loaded(facts, kind, algorithm_id, prefix)
    assert layer["legend_nodes"][0] == title


def test_change_raster_loads_paletted_with_the_pair_names(facts):
    layer = loaded(facts, "batch", "mineland:transfermatrix", "Change codes")
    assert layer["renderer"] == "paletted"
    classes = {int(value): label for value, label in layer["classes"]}
    assert classes[101] == "Cropland (unchanged)" and classes[102] == "Cropland → Forest"
    assert layer["legend_nodes"][1:3] == [classes[101], classes[102]]
