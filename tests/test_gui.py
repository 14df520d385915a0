"""QGIS desktop with the plugin, under Xvfb: toolbox, the shipped model, the pixel inspector, screenshots.

A real `qgis` starts on a throw-away profile (--profiles-path) in which the
plugin is enabled, with the repository on QGIS_PLUGINPATH, and runs GUI_SCRIPT
(--code). The script writes the sample data, shows the Processing toolbox
filtered to MineLand through the plugin's menu entry, runs the shipped model
landcover_carbon and mineland:trend on a synthetic NDVI series with
processing.runAndLoadResults (so the styled outputs load), opens the inspector
from the plugin's toolbar button, clicks a pixel on the map, takes
screenshots, writes what it found to facts.json and quits QGIS. This test
then checks those facts and the screenshots.

Set MINELAND_SCREENSHOTS=<folder> to keep the screenshots (docs/*.png come from
such a run; docs/inspector_chart.png is its inspector_dock.png).
"""

import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.gui, pytest.mark.slow]  # QGIS desktop under Xvfb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 120

GUI_SCRIPT = r'''
import json, os, sys, time, traceback

import numpy as np
from osgeo import gdal, osr
from qgis.core import QgsApplication, QgsMapLayerType, QgsPointXY, QgsProject, QgsRectangle
from qgis.gui import QgsFilterLineEdit
from qgis.PyQt.QtCore import QPoint, Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication, QDockWidget
from qgis.utils import iface, plugins

OUT = os.environ["MINELAND_GUI_OUT"]
facts = {"errors": [], "steps": []}


def settle(seconds=0.5):
    end = time.time() + seconds
    while time.time() < end:
        QApplication.processEvents()
        time.sleep(0.02)
    iface.mapCanvas().waitWhileRendering()
    QApplication.processEvents()


def ndvi_series(folder, years):
    """A synthetic NDVI series on the sample grid: loss in the pit, recovery on a ring of reclaimed land."""
    from sample import make_sample as sample

    rng = np.random.RandomState(2024)
    yy, xx = np.mgrid[0:sample.HEIGHT, 0:sample.WIDTH]
    r = np.hypot(yy - 120, (xx - 140) * 0.8)
    base = 0.55 + 0.1 * np.sin(xx / 37.0) * np.cos(yy / 29.0)
    slope = np.where(r < 45, -0.02, 0.015 * np.exp(-((r - 70) / 20) ** 2))
    steps = np.arange(len(years))[:, None, None]
    from scipy import ndimage

    noise = ndimage.gaussian_filter(rng.normal(size=(len(years),) + base.shape), (0, 2, 2))
    cube = base + slope * steps + 0.03 * noise / noise.std()
    path = os.path.join(folder, "ndvi_series.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, sample.WIDTH, sample.HEIGHT, len(years), gdal.GDT_Float32)
    ds.SetGeoTransform((sample.ORIGIN[0], sample.PIXEL, 0.0, sample.ORIGIN[1], 0.0, -sample.PIXEL))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(sample.EPSG)
    ds.SetProjection(srs.ExportToWkt())
    for k, year in enumerate(years):
        band = ds.GetRasterBand(k + 1)
        band.SetDescription(str(year))
        band.SetNoDataValue(-9999)
        band.WriteArray(cube[k].astype(np.float32))
    ds = None
    return path


def grab(name):
    path = os.path.join(OUT, name)
    iface.mainWindow().grab().save(path)
    return path


def main():
    import processing
    from sample.make_sample import write_series

    window = iface.mainWindow()
    window.resize(1280, 800)
    window.showNormal()
    settle(1.0)
    plugin = plugins["mineland"]
    facts["plugin_loaded"] = True
    menus = [a for a in iface.pluginMenu().actions() if a.menu() is not None and "MineLand" in a.text()]
    facts["menu"] = [a.text() for a in menus[0].menu().actions()] if menus else []
    facts["toolbar"] = [a.text() for a in iface.pluginToolBar().actions()]

    # the Processing toolbox filtered to the provider, through the plugin's menu entry
    [toolbox_action] = [a for a in menus[0].menu().actions() if "toolbox" in a.text().lower()]
    toolbox_action.trigger()
    settle(0.5)
    toolbox = window.findChild(QDockWidget, "ProcessingToolbox")
    tree = toolbox.algorithmTree
    ids = []

    def walk(parent):
        for row in range(tree.model().rowCount(parent)):
            index = tree.model().index(row, 0, parent)
            algorithm = tree.algorithmForIndex(index)
            if algorithm is not None:
                ids.append(algorithm.id())
            walk(index)
    tree.expandAll()
    walk(tree.rootIndex())
    facts["toolbox"] = {"visible": toolbox.isVisible(),
                        "filter": toolbox.findChild(QgsFilterLineEdit, "searchBox").text(),
                        "algorithms": ids}
    settle(0.5)
    toolbox.grab().save(os.path.join(OUT, "toolbox.png"))
    facts["steps"].append("toolbox")

    # the shipped model on the sample data, outputs loaded with their styles
    data = os.path.join(OUT, "data")
    sources = write_series(data)
    model_outputs = {
        "reclass_start:Classes, start date": os.path.join(data, "classes_1985.tif"),
        "reclass_end:Classes, end date": os.path.join(data, "classes_2020.tif"),
        "matrix:Transitions": os.path.join(data, "transitions.csv"),
        "matrix:Transfer matrix (km2)": os.path.join(data, "matrix.csv"),
        "dynamics:Dynamic degree per class": os.path.join(data, "k.csv"),
        "dynamics:Comprehensive dynamic degree": os.path.join(data, "s.csv"),
        "carbon:Carbon stock": os.path.join(data, "carbon.csv"),
        "carbon:Carbon change": os.path.join(data, "carbon_change.csv"),
    }
    processing.runAndLoadResults("mineland:landcover_carbon", dict(model_outputs, START=sources[0],
                                 END=sources[-1], YEARS="1985,2020", PRESET=1))
    facts["steps"].append("model")

    # a restoration class raster from an NDVI series
    years = list(range(2009, 2021))
    ndvi = ndvi_series(data, years)
    iface.addRasterLayer(ndvi, "NDVI 2009-2020")
    processing.runAndLoadResults("mineland:trend", {
        "INPUTS": [ndvi], "YEARS": ",".join(map(str, years)), "OUTPUT": os.path.join(data, "trend.tif"),
        "OUTPUT_CLASS": os.path.join(data, "restoration_classes.tif")})
    facts["steps"].append("trend")
    settle(0.5)

    # the inspector from the plugin's toolbar button; the stack checked in its list; a click on the map
    toolbox.hide()
    root = QgsProject.instance().layerTreeRoot()
    for layer in QgsProject.instance().mapLayers().values():  # show the restoration classes only
        root.findLayer(layer.id()).setItemVisibilityChecked(layer.name().startswith("Restoration classes"))
    [button] = [a for a in iface.pluginToolBar().actions() if a.text() == "MineLand pixel inspector"]
    button.trigger()
    dock = plugin.inspector
    window.resizeDocks([dock], [430], Qt.Horizontal)
    [ndvi_layer] = QgsProject.instance().mapLayersByName("NDVI 2009-2020")
    item = dock._item_of(ndvi_layer)
    item.setCheckState(Qt.Checked)
    canvas = iface.mapCanvas()
    canvas.setExtent(ndvi_layer.extent())
    canvas.refresh()
    settle(1.0)
    dock.pick_button.setChecked(True)
    target = QgsPointXY(370000.0 + 30 * (140 + 70 / 0.8) + 15, 5683000.0 - 30 * 120 - 15)  # on the reclaimed ring
    pixel = canvas.getCoordinateTransform().transform(target)
    QTest.mouseClick(canvas.viewport(), Qt.LeftButton, Qt.NoModifier, QPoint(round(pixel.x()), round(pixel.y())))
    settle(1.0)
    facts["pick"] = {"x": target.x(), "y": target.y(), "ndvi": ndvi}
    facts["inspector"] = {
        "visible": dock.isVisible(), "object_name": dock.objectName(),
        "chart_points": len(dock.chart.values), "years": dock.years_edit.text(),
        "stack": dock.stack_label.text(), "labels": {key: label.text() for key, label in dock.labels.items()},
        "map_tool_active": canvas.mapTool() is dock.tool, "marker": dock.marker is not None,
        "axis": dock.chart.quantity, "sen_legend": dock.chart.slope_text, "axes": dock.chart.axes(),
        "table": [dock.value_table.item(0, c).text() for c in range(dock.value_table.columnCount())],
        "exports_enabled": dock.csv_button.isEnabled() and dock.png_button.isEnabled(),
        "csv": dock.export_csv(os.path.join(OUT, "pixel.csv")),
        "png": dock.export_png(os.path.join(OUT, "inspector_export.png")),
    }
    facts["messages"] = [item.text() for item in iface.messageBar().items()]
    grab("inspector.png")
    dock.grab().save(os.path.join(OUT, "inspector_dock.png"))
    facts["steps"].append("inspector")

    layers = []
    for layer in QgsProject.instance().mapLayers().values():
        entry = {"name": layer.name(), "source": layer.source(), "type": int(layer.type())}
        if layer.type() == QgsMapLayerType.RasterLayer:
            entry["renderer"] = layer.renderer().type()
            entry["bands"] = layer.bandCount()
            if entry["renderer"] == "paletted":
                entry["classes"] = [[c.value, c.label] for c in layer.renderer().classes()]
        layers.append(entry)
    facts["layers"] = layers


def run():
    try:
        main()
    except Exception:
        facts["errors"].append(traceback.format_exc())
    with open(os.path.join(OUT, "facts.json"), "w", encoding="utf-8") as handle:
        json.dump(facts, handle, indent=1)
    QTimer.singleShot(20000, lambda: os._exit(3))  # should a dialog still block the exit
    QgsProject.instance().clear()  # no "temporary layers will be lost" question
    QgsProject.instance().setDirty(False)
    iface.actionExit().trigger()


QTimer.singleShot(500, run)
'''


def distinct_colours(path, step=4):
    from qgis.PyQt.QtGui import QImage

    image = QImage(path)
    assert not image.isNull(), path
    return image, {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    """Run QGIS desktop once with GUI_SCRIPT; the folder with facts.json and the screenshots."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb; `make system` installs it)")
    if shutil.which("qgis") is None:
        pytest.skip("QGIS desktop (qgis) is not installed")
    out = tmp_path_factory.mktemp("gui")
    profiles = out / "profiles"
    ini = profiles / "profiles" / "default" / "QGIS" / "QGIS3.ini"
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
            str(profiles),
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
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    seconds = time.time() - started
    log = f"exit {done.returncode} after {seconds:.0f} s\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (out / "facts.json").exists(), log
    facts = json.loads((out / "facts.json").read_text(encoding="utf-8"))
    assert facts["errors"] == [], "\n".join(facts["errors"]) + log
    keep = os.environ.get("MINELAND_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        for name in ("inspector.png", "inspector_dock.png", "inspector_export.png", "toolbox.png"):
            shutil.copy(out / name, os.path.join(keep, name))
    return out, facts, done, seconds


def test_qgis_desktop_ran_the_script_and_quit(desktop):
    out, facts, done, seconds = desktop
    assert facts["steps"] == ["toolbox", "model", "trend", "inspector"]
    assert done.returncode == 0, done.stderr[-2000:]
    assert seconds < TIMEOUT


def test_plugin_entries_and_toolbox(desktop):
    _, facts, _, _ = desktop
    assert facts["menu"] == ["MineLand pixel inspector", "MineLand algorithms (Processing toolbox)", "MineLand help"]
    assert "MineLand pixel inspector" in facts["toolbar"]
    toolbox = facts["toolbox"]
    assert toolbox["visible"] and toolbox["filter"] == "mineland"
    assert {"mineland:trend", "mineland:reclassify", "mineland:landcover_carbon"} <= set(toolbox["algorithms"])
    assert all(a.startswith("mineland:") for a in toolbox["algorithms"]), toolbox["algorithms"]


def test_model_and_trend_outputs_load_styled(desktop):
    _, facts, _, _ = desktop
    rasters = {os.path.basename(layer["source"]): layer for layer in facts["layers"] if "renderer" in layer}
    for name in ("classes_1985.tif", "classes_2020.tif", "restoration_classes.tif"):
        assert rasters[name]["renderer"] == "paletted", (name, rasters[name])
    assert rasters["ndvi_series.tif"]["bands"] == 12 and rasters["trend.tif"]["bands"] == 9
    tables = {os.path.basename(layer["source"]).split("|")[0] for layer in facts["layers"] if "renderer" not in layer}
    assert {"carbon.csv", "transitions.csv"} <= tables, tables


def test_inspector_shows_the_clicked_pixel(desktop):
    from mineland.core.timeseries import inspect

    _, facts, _, _ = desktop
    shown = facts["inspector"]
    assert shown["visible"] and shown["map_tool_active"] and shown["marker"]
    assert shown["years"] == ",".join(str(y) for y in range(2009, 2021))  # from the band names
    assert shown["chart_points"] == 12
    pick = facts["pick"]
    expected = inspect.inspect_pixel([pick["ndvi"]], pick["x"], pick["y"])
    labels = shown["labels"]
    assert labels["pixel"] == f"row {expected.row}, column {expected.col}; 12 of 12 years valid"
    assert labels["z"] == f"{expected.z:.3f}"
    assert labels["slope"] == f"{expected.sen_slope:.4g} per year"
    assert labels["class"] == expected.restoration_name
    assert expected.sen_slope > 0 and expected.restoration_code in ("SAI", "SCI")  # the reclaimed ring
    assert facts["messages"] == []
    # the chart's axes, legend and values; the exports
    assert shown["axis"] == "NDVI"  # the layer's name without its years (the bands are named by year)
    assert shown["sen_legend"] == f"Sen's slope {expected.sen_slope:+.4g} NDVI per year"
    x_ticks, y_ticks = shown["axes"]
    assert x_ticks[0] <= 2009 and x_ticks[-1] >= 2020 and all(isinstance(t, int) for t in x_ticks)
    assert y_ticks[0] <= np.nanmin(expected.values) and y_ticks[-1] >= np.nanmax(expected.values)
    assert shown["table"] == [f"{v:.4g}" for v in expected.values]
    assert shown["exports_enabled"]
    with open(shown["csv"], encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert f"# mann_kendall_z: {float(expected.z)!r}" in lines and "year,value,valid" in lines
    assert lines[-1] == f"2020,{float(expected.values[-1])!r},1"


def test_inspector_exports_its_chart(desktop):
    from mineland.ui.inspector import PNG_SIZE

    _, facts, _, _ = desktop
    image, colours = distinct_colours(facts["inspector"]["png"])
    assert (image.width(), image.height()) == PNG_SIZE and len(colours) > 50


@pytest.mark.parametrize("name, minimum", [("inspector.png", 200), ("toolbox.png", 20), ("inspector_dock.png", 20)])
def test_screenshots_are_not_blank(desktop, name, minimum):
    out, _, _, _ = desktop
    image, colours = distinct_colours(str(out / name))
    assert image.width() > 200 and image.height() > 200
    assert len(colours) > minimum, (name, len(colours))
