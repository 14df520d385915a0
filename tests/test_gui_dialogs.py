"""Algorithm dialogs in a real QGIS window, as an analyst uses them: fill, click Run, read the log.

A real `qgis` starts under Xvfb on a throw-away profile with the plugin
enabled (as tests/test_gui.py does) and runs GUI_SCRIPT (--code). The script
loads the sample data into the project, opens the dialogs of reclassify (two
dates), transfermatrix, trend, moran and the shipped model landcover_carbon
with iface's main window as their parent, fills the required inputs through
the widgets with the project's layers, clicks Run, waits until the run has
ended, and keeps each dialog's log and the layers it loaded (names,
renderers). Screenshots of three filled dialogs are saved; with
MINELAND_SCREENSHOTS=<folder> they are kept (docs/dialog_*.png come from such
a run).
"""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]  # QGIS desktop under Xvfb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 90
SHOTS = ("dialog_reclassify.png", "dialog_transfermatrix.png", "dialog_landcover_carbon.png")

GUI_SCRIPT = r'''
import json, os, time, traceback

from qgis.core import QgsApplication, QgsMapLayerType, QgsProcessingContext, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication, QMessageBox, QTextEdit
from qgis.utils import iface

OUT = os.environ["MINELAND_GUI_OUT"]
SHOTS = ("dialog_reclassify.png", "dialog_transfermatrix.png", "dialog_landcover_carbon.png")
facts = {"errors": [], "runs": {}, "boxes": []}


def settle(seconds=0.2):
    end = time.time() + seconds
    while time.time() < end:
        QApplication.processEvents()
        time.sleep(0.02)


def close_message_boxes():
    """A modal question (e.g. unmatching CRS) would block the run: note its text and answer it."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            facts["boxes"].append(widget.text())
            widget.accept()


def layer_facts(layers):
    found = []
    for layer in layers:
        entry = {"name": layer.name(), "type": int(layer.type())}
        if layer.type() == QgsMapLayerType.RasterLayer:
            entry["renderer"] = layer.renderer().type()
        elif layer.type() == QgsMapLayerType.VectorLayer:
            entry["renderer"] = layer.renderer().type() if layer.isSpatial() else None
        found.append(entry)
    return found


def run_dialog(algorithm_id, values, shot=None):
    """Open the algorithm's dialog, set ``values`` through its widgets, click Run, wait, read the log."""
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    dialog = AlgorithmDialog(algorithm, False, iface.mainWindow())
    dialog.resize(900, 640)
    dialog.show()
    settle(0.3)
    wrappers = dialog.mainWidget().wrappers
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    for key, value in values.items():
        wrappers[key].setParameterValue(value, context)
    settle(0.3)
    if shot:
        dialog.grab().save(os.path.join(OUT, shot))
    before = set(QgsProject.instance().mapLayers())
    finished = []
    dialog.algorithmFinished.connect(lambda ok, results: finished.append(ok))
    started = time.time()
    dialog.runButton().click()
    log = dialog.findChild(QTextEdit, "txtLog")
    while time.time() - started < 40:
        settle(0.1)
        close_message_boxes()
        text = log.toPlainText()
        if finished or "Execution failed" in text or "not correctly generated" in text:
            if QgsApplication.taskManager().countActiveTasks() == 0:
                break
    settle(0.3)
    new = [layer for key, layer in QgsProject.instance().mapLayers().items() if key not in before]
    facts["runs"][algorithm_id + ("#2" if algorithm_id in facts["runs"] else "")] = {
        "finished": finished, "seconds": time.time() - started, "log": log.toPlainText(),
        "message_bar": [item.text() for item in dialog.messageBar().items()], "layers": layer_facts(new)}
    dialog.close()
    settle(0.1)
    return new


def main():
    import processing
    from sample import make_sample, make_seed002, make_seed004

    window = iface.mainWindow()
    window.resize(1280, 800)
    window.showNormal()
    settle(0.5)
    data = os.path.join(OUT, "data")
    glc = make_sample.write_series(os.path.join(data, "glc"))
    seed002 = make_seed002.write_all(os.path.join(data, "seed002"))
    seed004 = make_seed004.write_all(os.path.join(data, "seed004"))
    grid = processing.run("mineland:fishnet", {"STUDY_AREA": seed002["study_area"], "MINES": seed002["mines"],
                                               "CELL_SIZE": 5000, "OUTPUT": os.path.join(data, "grid.gpkg")})
    project = QgsProject.instance()
    start = project.addMapLayer(QgsRasterLayer(glc[0], "glc_1985"))
    end = project.addMapLayer(QgsRasterLayer(glc[-1], "glc_2020"))
    evi = project.addMapLayer(QgsRasterLayer(seed004["evi_stack"], "EVI 2008-2019"))
    cells = project.addMapLayer(QgsVectorLayer(grid["OUTPUT"], "Fishnet 5 km", "ogr"))
    settle(0.5)

    [classes_start] = run_dialog("mineland:reclassify", {"INPUT": start}, SHOTS[0])
    [classes_end] = run_dialog("mineland:reclassify", {"INPUT": end})
    run_dialog("mineland:transfermatrix", {"INPUT_START": classes_start, "INPUT_END": classes_end,
                                           "OUTPUT_CHANGE": "TEMPORARY_OUTPUT"}, SHOTS[1])
    run_dialog("mineland:trend", {"INPUTS": [evi]})
    run_dialog("mineland:moran", {"INPUT": cells})
    run_dialog("mineland:landcover_carbon", {"START": start, "END": end}, SHOTS[2])


def run():
    try:
        main()
    except Exception:
        facts["errors"].append(traceback.format_exc())
    with open(os.path.join(OUT, "facts.json"), "w", encoding="utf-8") as handle:
        json.dump(facts, handle, indent=1)
    QTimer.singleShot(20000, lambda: os._exit(3))  # should a dialog still block the exit
    QgsProject.instance().clear()
    QgsProject.instance().setDirty(False)
    iface.actionExit().trigger()


QTimer.singleShot(500, run)
'''


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    """Run QGIS desktop once with GUI_SCRIPT; the folder with facts.json and the screenshots."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb; `make system` installs it)")
    if shutil.which("qgis") is None:
        pytest.skip("QGIS desktop (qgis) is not installed")
    out = tmp_path_factory.mktemp("gui_dialogs")
    ini = out / "profiles" / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\nmineland=true\nprocessing=true\n\n[qgis]\ncheckVersion=false\n", encoding="utf-8")
    script = out / "gui_script.py"
    script.write_text(GUI_SCRIPT, encoding="utf-8")
    env = dict(os.environ, QGIS_PLUGINPATH=ROOT, MINELAND_GUI_OUT=str(out), PYTHONPATH=ROOT, QT_QPA_PLATFORM="xcb")
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    started = time.time()
    # a session of its own: on a timeout, xvfb-run, Xvfb and QGIS are killed together
    process = subprocess.Popen(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1400x900x24",
            "qgis",
            "--nologo",
            "--noversioncheck",
            "--profiles-path",
            str(out / "profiles"),
            "--code",
            str(script),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT + 30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    seconds = time.time() - started
    log = f"exit {process.returncode} after {seconds:.0f} s\n{stdout[-3000:]}\n{stderr[-3000:]}"
    assert (out / "facts.json").exists(), log
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert facts["errors"] == [], "\n".join(facts["errors"]) + log
    keep = os.environ.get("MINELAND_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        for name in SHOTS:
            shutil.copy(out / name, os.path.join(keep, name))
    return out, facts, seconds


RUNS = (
    "mineland:reclassify",
    "mineland:reclassify#2",
    "mineland:transfermatrix",
    "mineland:trend",
    "mineland:moran",
    "mineland:landcover_carbon",
)


def test_every_dialog_ran_within_the_time(desktop):
    _, facts, seconds = desktop
    assert sorted(facts["runs"]) == sorted(RUNS)
    assert seconds < TIMEOUT
    assert facts["boxes"] == []  # no modal question or warning interrupted a run


@pytest.mark.parametrize("run_id", RUNS)
def test_run_clicked_in_the_dialog_succeeds_without_phantom_layers(desktop, run_id):
    _, facts, _ = desktop
    run = facts["runs"][run_id]
    assert run["finished"] == [True], run["log"][-2000:]
    assert "Execution completed" in run["log"]
    for bad in ("not correctly generated", "Execution failed", "Traceback", "Error"):
        assert bad not in run["log"], run["log"][-2000:]
    assert run["message_bar"] == []


def layers(facts, run_id):
    return {layer["name"]: layer["renderer"] for layer in facts["runs"][run_id]["layers"]}


def test_loaded_layers_are_named_and_styled(desktop):
    _, facts, _ = desktop
    assert layers(facts, "mineland:reclassify") == {"Reclassified (glc_1985)": "paletted"}
    assert layers(facts, "mineland:reclassify#2") == {"Reclassified (glc_2020)": "paletted"}
    matrix = layers(facts, "mineland:transfermatrix")
    [change] = [name for name in matrix if name.startswith("Change codes")]
    assert matrix[change] == "paletted" and "glc_1985" in change and "glc_2020" in change
    assert matrix["Transitions"] is None  # a table
    assert layers(facts, "mineland:trend") == {"Trend statistics": "singlebandpseudocolor"}
    assert layers(facts, "mineland:moran") == {"Local Moran (LISA)": "categorizedSymbol"}  # FIELD: density_pct
    model = layers(facts, "mineland:landcover_carbon")
    assert model["Classes, start date"] == model["Classes, end date"] == "paletted"
    assert {"Transitions", "Carbon stock", "Carbon change"} <= set(model)


@pytest.mark.parametrize("name", SHOTS)
def test_dialog_screenshots(desktop, name):
    from qgis.PyQt.QtGui import QImage

    out, _, _ = desktop
    image = QImage(str(out / name))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600
    colours = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(colours) > 20, (name, len(colours))
