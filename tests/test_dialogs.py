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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "tests", "dialog_runs.py")
WITH_RASTER_OUTPUTS = ("mineland:reclassify", "mineland:transfermatrix", "mineland:carbonstock", "mineland:trend",
                       "mineland:mlri", "mineland:resilience", "mineland:desertification",
                       "mineland:landcover_carbon", "mineland:restoration_monitoring",
                       "mineland:desertification_sensitivity")


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    out = tmp_path_factory.mktemp("dialogs")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "plugins"), QT_QPA_PLATFORM="offscreen")
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


@pytest.mark.parametrize("algorithm_id", WITH_RASTER_OUTPUTS)
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


@pytest.mark.parametrize("algorithm_id", ("mineland:reclassify", "mineland:transfermatrix"))
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
