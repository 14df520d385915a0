"""The pixel inspector dock, its map tool and chart, and the plugin's desktop entries, without a real window.

QGIS runs headless (QT_QPA_PLATFORM=offscreen, the session fixture qgis_app);
the QGIS interface is a small stand-in with a real map canvas and message bar.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from osgeo import gdal

from mineland.core.timeseries import inspect, trend
from rasters import write_raster

NODATA = -9999.0
YEARS = list(range(2001, 2011))
ORIGIN = (500000.0, 6000000.0)
PIXEL = 30.0


def centre(row, col):
    return ORIGIN[0] + PIXEL * (col + 0.5), ORIGIN[1] - PIXEL * (row + 0.5)


def cube():
    """10 years × 3 × 4: (0, 0) rises by 1 a year, (0, 1) falls by 2, (1, 1) noise, (2, 3) two missing years."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=(10, 3, 4)).astype(np.float32)
    values[:, 0, 0] = np.arange(10)
    values[:, 0, 1] = 50 - 2.0 * np.arange(10)
    values[:, 2, 3] = 0.5 * np.arange(10)
    values[[1, 4], 2, 3] = NODATA
    return values


class FakeIface:
    """What the plugin and the dock use of QgisInterface, with a real canvas and message bar."""

    def __init__(self):
        from qgis.gui import QgsMapCanvas, QgsMessageBar
        from qgis.PyQt.QtWidgets import QMainWindow

        self.window = QMainWindow()
        self.canvas = QgsMapCanvas(self.window)
        self.window.setCentralWidget(self.canvas)
        self.bar = QgsMessageBar(self.window)
        self.selected = []
        self.toolbar, self.menu, self.docks = [], [], []

    def mainWindow(self):  # noqa: N802 (QGIS's names)
        return self.window

    def mapCanvas(self):  # noqa: N802
        return self.canvas

    def messageBar(self):  # noqa: N802
        return self.bar

    def layerTreeView(self):  # noqa: N802
        return SimpleNamespace(selectedLayers=lambda: list(self.selected))

    def addToolBarIcon(self, action):  # noqa: N802
        self.toolbar.append(action)

    def removeToolBarIcon(self, action):  # noqa: N802
        self.toolbar.remove(action)

    def addPluginToMenu(self, menu, action):  # noqa: N802
        self.menu.append((menu, action))

    def removePluginMenu(self, menu, action):  # noqa: N802
        self.menu.remove((menu, action))

    def addDockWidget(self, area, dock):  # noqa: N802
        self.window.addDockWidget(area, dock)
        self.docks.append(dock)

    def removeDockWidget(self, dock):  # noqa: N802
        self.window.removeDockWidget(dock)
        self.docks.remove(dock)

    def messages(self):
        """Texts of the message bar, oldest first."""
        return [item.text() for item in reversed(self.bar.items())]


@pytest.fixture
def iface(qgis_app):
    fake = FakeIface()
    fake.window.resize(800, 600)
    fake.window.show()
    yield fake
    fake.window.close()


@pytest.fixture
def project(qgis_app):
    """QgsProject.instance(), with every layer a test adds removed afterwards."""
    from qgis.core import QgsProject

    instance = QgsProject.instance()
    before = set(instance.mapLayers())
    yield instance
    instance.removeMapLayers([i for i in instance.mapLayers() if i not in before])


@pytest.fixture
def dock(iface, project):
    from mineland.ui.inspector import PixelInspectorDock

    widget = PixelInspectorDock(iface, iface.window)
    iface.addDockWidget(2, widget)  # Qt.RightDockWidgetArea
    widget.show()
    yield widget
    widget.unload()
    iface.removeDockWidget(widget)
    widget.deleteLater()


def add_raster(project, path, name):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(str(path), name, "gdal")
    assert layer.isValid(), path
    project.addMapLayer(layer)
    return layer


@pytest.fixture
def singles(tmp_path, project):
    values = cube()
    paths = [write_raster(tmp_path / f"ndvi_{year}.tif", band, nodata=NODATA) for year, band in zip(YEARS, values)]
    # added out of order: the list (and the stack) follow the names
    return paths, [add_raster(project, path, f"ndvi_{year}") for year, path in reversed(list(zip(YEARS, paths)))]


def show_canvas_on(canvas, crs, extent):
    canvas.setDestinationCrs(crs)
    canvas.setExtent(extent)
    canvas.refresh()
    canvas.waitWhileRendering()


def click(canvas, tool, map_point):
    """A real left click (press and release on the canvas) at ``map_point`` in the canvas CRS."""
    from qgis.PyQt.QtCore import QPoint, Qt
    from qgis.PyQt.QtTest import QTest

    canvas.setMapTool(tool)
    pixel = canvas.getCoordinateTransform().transform(map_point)
    QTest.mouseClick(canvas.viewport(), Qt.LeftButton, Qt.NoModifier, QPoint(round(pixel.x()), round(pixel.y())))


def utm_canvas(iface):
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle

    show_canvas_on(
        iface.canvas,
        QgsCoordinateReferenceSystem("EPSG:32633"),
        QgsRectangle(ORIGIN[0] - 30, ORIGIN[1] - 120, ORIGIN[0] + 150, ORIGIN[1] + 30),
    )


# ------------------------------------------------------------------ picking


def test_click_shows_the_pixel_statistics(iface, dock, singles):
    from qgis.core import QgsPointXY

    paths, layers = singles
    assert dock.set_layers(layers)
    assert dock.years_edit.text() == ",".join(map(str, YEARS))  # from the layer names, in name order
    assert dock.stack.names == [f"ndvi_{y}" for y in YEARS]
    assert "10 time steps, 4 × 3 pixels" in dock.stack_label.text()
    utm_canvas(iface)
    dock.pick_button.setChecked(True)
    assert iface.canvas.mapTool() is dock.tool
    click(iface.canvas, dock.tool, QgsPointXY(*centre(0, 0)))
    series = dock.series
    assert series is not None and (series.row, series.col) == (0, 0)
    z = 44 / math.sqrt(125)  # S = 45 for 10 strictly increasing years, Var(S) = 125
    assert series.s == 45 and series.z == pytest.approx(z)
    assert dock.labels["z"].text() == f"{z:.3f}" == "3.935"
    assert dock.labels["p"].text() == f"{series.p:.2e}"
    assert dock.labels["slope"].text() == "1 per year"
    assert dock.labels["hurst"].text() == f"{series.hurst:.3f} (persistent)"
    assert dock.labels["class"].text() == trend.RESTORATION_NAMES[5]
    assert dock.labels["pixel"].text() == "row 0, column 0; 10 of 10 years valid"
    assert dock.marker is not None and dock.marker.center() == QgsPointXY(*centre(0, 0))  # the pixel's centre
    assert dock.chart.values == list(range(10)) and dock.chart.line == pytest.approx(list(range(10)))
    assert iface.messages() == []

    click(iface.canvas, dock.tool, QgsPointXY(*centre(0, 1)))
    assert dock.labels["z"].text() == f"{-z:.3f}" and dock.labels["slope"].text() == "-2 per year"
    assert dock.labels["class"].text().startswith("SD: significant decrease")


def test_labels_match_the_core_for_every_pixel(iface, dock, singles):
    from qgis.core import QgsPointXY

    paths, layers = singles
    dock.set_layers(layers)
    dock.alpha.setValue(0.1)
    dock.min_valid.setValue(8)
    for row in range(3):
        for col in range(4):
            expected = inspect.inspect_pixel(paths, *centre(row, col), years=YEARS, min_valid=8, alpha=0.1)
            shown = dock.inspect_at(QgsPointXY(*centre(row, col)))
            assert shown.restoration_class == expected.restoration_class
            assert dock.labels["z"].text() == f"{expected.z:.3f}"
            assert dock.labels["class"].text() == expected.restoration_name
    assert dock.labels["pixel"].text() == "row 2, column 3; 8 of 10 years valid"


def test_canvas_in_another_crs_is_transformed_to_the_stack(iface, dock, singles):
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsPointXY,
        QgsProject,
        QgsRectangle,
    )

    dock.set_layers(singles[1])
    utm, web = QgsCoordinateReferenceSystem("EPSG:32633"), QgsCoordinateReferenceSystem("EPSG:3857")
    to_web = QgsCoordinateTransform(utm, web, QgsProject.instance())
    extent = to_web.transformBoundingBox(QgsRectangle(ORIGIN[0] - 30, ORIGIN[1] - 120, ORIGIN[0] + 150, ORIGIN[1] + 30))
    show_canvas_on(iface.canvas, web, extent)
    target = to_web.transform(QgsPointXY(*centre(1, 2)))
    click(iface.canvas, dock.tool, target)
    assert (dock.series.row, dock.series.col) == (1, 2)
    assert iface.messages() == []


def test_multiband_layer_checked_in_the_list(iface, dock, tmp_path, project):
    from qgis.core import QgsPointXY
    from qgis.PyQt.QtCore import Qt

    path = write_raster(tmp_path / "stack.tif", cube(), nodata=NODATA)
    ds = gdal.Open(path, gdal.GA_Update)
    for k, year in enumerate([2000, 2002, 2004, 2006, 2008, 2010, 2012, 2014, 2016, 2018]):
        ds.GetRasterBand(k + 1).SetDescription(f"NDVI {year}")
    ds = None
    layer = add_raster(project, path, "ndvi stack")
    item = dock._item_of(layer)
    assert item is not None and item.text() == "ndvi stack (10 bands)"
    item.setCheckState(Qt.Checked)  # as a user does
    assert dock.stack is not None and dock.stack.count == 10
    assert dock.years_edit.text() == "2000,2002,2004,2006,2008,2010,2012,2014,2016,2018"
    dock.inspect_at(QgsPointXY(*centre(0, 0)))
    assert dock.labels["slope"].text() == "0.5 per year"  # one unit every two years


def test_years_typed_by_the_user(iface, dock, singles):
    from qgis.core import QgsPointXY

    dock.set_layers(singles[1])
    dock.years_edit.setText("1,2,3,4,5,6,7,8,9,10")
    dock.inspect_at(QgsPointXY(*centre(0, 0)))
    assert dock.labels["slope"].text() == "1 per year"
    dock.years_edit.setText("2001,2002")
    assert dock.inspect_at(QgsPointXY(*centre(0, 0))) is None
    assert iface.messages()[-1].startswith("Years: 2 years given for 10 rasters")


# ------------------------------------------------------------------ bad input → message bar


def test_click_outside_the_raster_is_a_message(iface, dock, singles):
    from qgis.core import QgsPointXY

    dock.set_layers(singles[1])
    utm_canvas(iface)
    click(iface.canvas, dock.tool, QgsPointXY(*centre(0, 0)))
    click(iface.canvas, dock.tool, QgsPointXY(ORIGIN[0] - 15, ORIGIN[1] + 15))
    assert len(iface.messages()) == 1
    assert "is outside the rasters, which cover x 500000 … 500120" in iface.messages()[0]
    assert iface.bar.currentItem().level() == 1  # Qgis.Warning
    assert (dock.series.row, dock.series.col) == (0, 0)  # the last good pixel stays shown


def test_mismatched_grids_are_a_message(iface, dock, singles, tmp_path, project):
    paths, layers = singles
    shifted = add_raster(
        project,
        write_raster(tmp_path / "shifted.tif", cube()[0], nodata=NODATA, origin=(500010.0, 6000000.0)),
        "ndvi_2011 shifted",
    )
    assert not dock.set_layers(layers + [shifted])
    assert dock.stack is None
    assert iface.messages() == [
        "ndvi_2011 shifted is shifted from ndvi_2001: origin (500010.000000, 6000000.000000) "
        "vs (500000.000000, 6000000.000000); align it onto the grid of ndvi_2001 first"
    ]
    assert "is shifted from ndvi_2001" in dock.stack_label.text()


def test_non_raster_layers_are_a_message(iface, dock, singles, project):
    from qgis.core import QgsPointXY, QgsVectorLayer

    points = QgsVectorLayer("Point?crs=EPSG:32633", "mine sites", "memory")
    project.addMapLayer(points)
    iface.selected = [singles[1][0], points]
    dock.use_selected_layers()
    assert iface.messages() == [
        "'mine sites' is not a raster layer; choose one multiband raster, or one single-band raster per year"
    ]
    assert dock._item_of(points) is None  # only rasters are listed
    iface.selected = []
    dock.use_selected_layers()
    assert iface.messages()[-1] == "Select the rasters of the series in the Layers panel first"
    assert dock.inspect_at(QgsPointXY(*centre(0, 0))) is None
    assert iface.messages()[-1] == "Check the rasters of a time series in the inspector first"
    iface.selected = list(singles[1])
    dock.use_selected_layers()
    assert dock.stack is not None and len(iface.messages()) == 3


def test_unreadable_raster_layer_is_a_message(iface, dock, singles, tmp_path, project):
    import os

    paths, layers = singles
    os.remove(paths[3])  # the file of ndvi_2004 disappears after loading
    gdal.VSICurlClearCache()
    assert not dock.set_layers(layers)
    assert iface.messages()[-1].startswith("ndvi_2004 is not a raster GDAL can read")


def test_removing_a_layer_of_the_stack_reloads_it(iface, dock, singles, project):
    paths, layers = singles
    dock.set_layers(layers)
    project.removeMapLayer(layers[0].id())  # ndvi_2010
    assert dock.layer_list.count() == 9
    assert dock.stack is not None and dock.stack.count == 9
    assert dock.years_edit.text() == ",".join(map(str, YEARS[:-1]))
    assert iface.messages() == []


def test_chart_draws_series_and_line(qgis_app):
    from qgis.PyQt.QtGui import QColor

    from mineland.ui.chart import SeriesChart

    chart = SeriesChart()
    chart.resize(300, 160)
    empty = chart.grab().toImage()
    chart.set_series(YEARS, [1, 2, np.nan, 4, 5, 5, 7, 8, 8, 10], [1 + 1.0 * k for k in range(10)])
    image = chart.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert len(colours) > 20
    reds = sum(
        QColor(image.pixel(x, y)).red() > 180 and QColor(image.pixel(x, y)).green() < 90
        for x in range(image.width())
        for y in range(image.height())
    )
    assert reds > 30  # the Sen's slope line
    assert image != empty


# ------------------------------------------------------------------ the plugin's desktop entries


def test_plugin_adds_and_removes_its_entries(iface, project):
    from qgis.core import QgsApplication

    from mineland import classFactory
    from mineland.plugin import HELP_TEXT, INSPECTOR_TEXT, MENU, TOOLBOX_TEXT

    plugin = classFactory(iface)
    registry = QgsApplication.processingRegistry()
    had_provider = registry.providerById("mineland") is not None  # the session provider of other tests
    if had_provider:
        plugin.provider = registry.providerById("mineland")  # do not register a second one
    plugin.initGui()
    assert [a.text() for _, a in iface.menu] == [INSPECTOR_TEXT, TOOLBOX_TEXT, HELP_TEXT]
    assert {m for m, _ in iface.menu} == {MENU}
    assert [a.text() for a in iface.toolbar] == [INSPECTOR_TEXT]
    assert not iface.toolbar[0].icon().isNull()

    iface.toolbar[0].trigger()
    assert plugin.inspector is not None and plugin.inspector in iface.docks and plugin.inspector.isVisible()
    iface.toolbar[0].trigger()  # a second click shows the same dock
    assert iface.docks == [plugin.inspector]

    iface.menu[1][1].trigger()  # no Processing toolbox in this window
    assert "The Processing toolbox is not available" in iface.messages()[-1]

    readme = plugin.show_help()
    assert readme.isVisible() and "mineland:trend" in readme.browser.toPlainText()
    readme.close()

    dock = plugin.inspector
    dock.pick_button.setChecked(True)
    assert iface.canvas.mapTool() is dock.tool
    if had_provider:
        plugin.provider = None  # leave the session provider registered
    plugin.unload()
    assert iface.menu == [] and iface.toolbar == [] and iface.docks == []
    assert iface.canvas.mapTool() is None and plugin.inspector is None
    assert registry.providerById("mineland") is not None or not had_provider


def test_plugin_without_a_desktop_only_registers_the_provider(qgis_app):
    from mineland import classFactory

    plugin = classFactory(None)
    plugin.provider = object()  # as if registered: initGui must not add GUI entries without an iface
    plugin.initGui()
    assert plugin.actions == []


def test_rasters_not_from_files_are_refused(qgis_app):
    from qgis.core import QgsMapLayerType

    from mineland.ui.inspector import raster_file_problem

    web = SimpleNamespace(
        type=lambda: QgsMapLayerType.RasterLayer, providerType=lambda: "wms", name=lambda: "OpenStreetMap"
    )
    assert raster_file_problem(web) == (
        "'OpenStreetMap' is not a raster file (its data come from 'wms'); save it as a GeoTIFF first"
    )
    assert "is not a raster layer" in raster_file_problem(None)


# ------------------------------------------------------------------ axes: ticks by pure functions


@pytest.mark.parametrize(
    "low, high",
    [
        (0.5281, 0.7506),
        (-3.2, 41.0),
        (0.0, 1.0),
        (1e-5, 3e-5),
        (12345.0, 12990.0),
        (-0.02, -0.001),
        (7.0, 7.0),
        (0.0, 0.0),
        (-250.0, 1e6),
    ],
)
def test_nice_ticks_bracket_the_data_at_round_steps(qgis_app, low, high):
    from mineland.ui.chart import nice_ticks, tick_labels

    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) <= 8
    steps = np.diff(ticks)
    assert steps == pytest.approx(np.full(steps.size, steps[0]), rel=1e-9)
    mantissa = steps[0] / 10.0 ** math.floor(math.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-6  # 1, 2 or 5 × 10^k
    if high > low:  # no useless tick outside the data (a constant series is widened around its value)
        assert ticks[1] > low and ticks[-2] < high
    else:
        assert ticks[0] < low < ticks[-1]
    labels = tick_labels(ticks)
    assert len(set(labels)) == len(labels)  # enough decimals to tell the ticks apart
    assert [float(label) for label in labels] == pytest.approx(ticks, rel=1e-2, abs=steps[0] * 1e-3)


def test_ticks_of_impossible_axes_are_refused(qgis_app):
    from mineland.ui.chart import nice_ticks, year_ticks

    with pytest.raises(ValueError, match="axis limits must be finite"):
        nice_ticks(0.0, math.nan)
    with pytest.raises(ValueError, match="years must be finite and increasing"):
        year_ticks(2020, 2010)


def test_hovering_a_point_shows_its_value(qgis_app, monkeypatch):
    from qgis.PyQt.QtCore import QEvent, QPointF, Qt
    from qgis.PyQt.QtGui import QMouseEvent
    from qgis.PyQt.QtWidgets import QApplication

    from mineland.ui import chart as chart_module

    shown = []  # offscreen, no tooltip window appears: record what the chart asks QToolTip to show
    monkeypatch.setattr(
        chart_module,
        "QToolTip",
        SimpleNamespace(showText=lambda where, text, widget: shown.append(text), hideText=lambda: shown.append(None)),
    )
    chart = chart_module.SeriesChart()
    chart.resize(400, 260)
    chart.set_series(YEARS, [0.5 * k for k in range(10)], quantity="NDVI")
    chart.grab()

    def hover(point):
        QApplication.sendEvent(
            chart,
            QMouseEvent(
                QEvent.Type.MouseMove,
                QPointF(point),
                Qt.MouseButton.NoButton,
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
            ),
        )

    at = chart._to_pixel(2004, 1.5)
    assert chart.point_near(at) == 3
    hover(at + QPointF(3, -2))
    hover(QPointF(2, 2))  # far from every point
    assert shown == ["2004: 1.5 NDVI", None]


def test_tick_labels_have_the_decimals_of_the_step(qgis_app):
    from mineland.ui.chart import tick_labels

    assert tick_labels([0.55, 0.6, 0.65, 0.7]) == ["0.55", "0.60", "0.65", "0.70"]
    assert tick_labels([0.0, 500.0, 1000.0]) == ["0", "500", "1000"]
    assert tick_labels([-0.02, -0.01, 0.0]) == ["-0.02", "-0.01", "0.00"]


@pytest.mark.parametrize(
    "first, last", [(2009, 2020), (1985, 2020), (2001, 2002), (2005, 2005), (1, 10), (1990, 1991.5), (2000, 2100)]
)
def test_year_ticks_are_whole_years_bracketing_the_series(qgis_app, first, last):
    from mineland.ui.chart import year_ticks

    ticks = year_ticks(first, last)
    assert all(isinstance(t, int) for t in ticks)
    assert ticks[0] <= first and ticks[-1] >= last
    assert 2 <= len(ticks) <= 8
    steps = set(np.diff(ticks).tolist())
    assert len(steps) == 1 and steps.pop() >= 1


def test_chart_axes_cover_the_values_and_the_line(qgis_app):
    from mineland.ui.chart import SeriesChart

    chart = SeriesChart()
    values = [0.61, np.nan, 0.58, 0.66, 0.70, 0.69]
    chart.set_series(range(2015, 2021), values, [0.57 + 0.03 * k for k in range(6)])
    x_ticks, y_ticks = chart.axes()
    assert x_ticks[0] <= 2015 and x_ticks[-1] >= 2020 and all(isinstance(t, int) for t in x_ticks)
    assert y_ticks[0] <= 0.57 and y_ticks[-1] >= 0.72  # the line's end is above every value


@pytest.mark.parametrize(
    "names, quantity",
    [
        (["ndvi_2001", "ndvi_2002"], "ndvi"),
        (["NDVI 2009-2020"], "NDVI"),
        (["2009", "2010"], ""),
        (["EVI 2003 (Landsat)"], "EVI (Landsat)"),
        (["ndvi_2001", "evi_2002"], ""),
    ],
)
def test_quantity_is_what_the_names_share_without_years(qgis_app, names, quantity):
    from mineland.ui.inspector import quantity_of

    assert quantity_of(names) == quantity


# ------------------------------------------------------------------ values readable, export


def read_export(path):
    """(header dict, rows) of a CSV written by export_csv."""
    header, lines = {}, []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# "):
                key, _, value = line[2:].rstrip("\n").partition(": ")
                header[key] = value
            else:
                lines.append(line)
    import csv

    return header, list(csv.DictReader(lines))


def test_csv_export_holds_the_series_and_its_statistics(iface, dock, singles, tmp_path):
    from qgis.core import QgsPointXY

    pymannkendall = pytest.importorskip("pymannkendall")
    paths, layers = singles
    dock.set_layers(layers)
    assert not dock.csv_button.isEnabled() and not dock.png_button.isEnabled()
    with pytest.raises(ValueError, match="Pick a pixel on the map first"):
        dock.export_csv(str(tmp_path / "none.csv"))
    dock.inspect_at(QgsPointXY(*centre(2, 3)))  # two missing years
    assert dock.csv_button.isEnabled() and dock.png_button.isEnabled()
    path = dock.export_csv(str(tmp_path / "pixel.csv"))
    header, rows = read_export(path)

    raw = cube()[:, 2, 3].astype(np.float64)
    valid = raw != NODATA
    assert [int(r["year"]) for r in rows] == YEARS
    assert [int(r["valid"]) for r in rows] == valid.astype(int).tolist()
    assert [float(r["value"]) for r in rows if r["value"]] == raw[valid].tolist()  # full precision
    assert [r["value"] for r in rows if r["valid"] == "0"] == ["", ""]

    # independently: pymannkendall on the valid values, Sen's slope as the median of pairwise slopes in real years
    mk = pymannkendall.original_test(raw[valid])
    assert float(header["mann_kendall_s"]) == mk.s
    assert float(header["var_s"]) == pytest.approx(mk.var_s)
    assert float(header["mann_kendall_z"]) == pytest.approx(mk.z)
    assert float(header["p_two_sided"]) == pytest.approx(mk.p)
    assert float(header["kendall_tau"]) == pytest.approx(mk.Tau)
    t, v = np.array(YEARS, float)[valid], raw[valid]
    i, j = np.triu_indices(t.size, 1)
    slope = np.median((v[j] - v[i]) / (t[j] - t[i]))
    assert float(header["sen_slope_per_year"]) == pytest.approx(slope) == pytest.approx(0.5)
    intercept = float(header["intercept"])
    assert intercept == pytest.approx(np.median(v - slope * (t - int(header["intercept_year"]))))
    expected = inspect.inspect_pixel(paths, *centre(2, 3), years=YEARS)
    assert float(header["hurst"]) == expected.hurst
    assert header["class_code"] == expected.restoration_code and header["class"] == expected.restoration_name
    assert int(header["n_valid"]) == 8 == expected.n_valid and int(header["n_years"]) == 10
    assert (int(header["row"]), int(header["column"])) == (2, 3) and header["crs"] == "EPSG:32633"
    assert header["quantity"] == "ndvi" and header["unit"] == ""
    assert (int(header["min_valid"]), float(header["alpha"])) == (8, 0.05)


def test_value_table_and_tooltips_show_each_year(iface, dock, singles):
    from qgis.core import QgsPointXY

    dock.set_layers(singles[1])
    dock.inspect_at(QgsPointXY(*centre(2, 3)))
    table = dock.value_table
    assert table.isVisible() and table.rowCount() == 1 and table.columnCount() == 10
    assert [table.horizontalHeaderItem(c).text() for c in range(10)] == [str(y) for y in YEARS]
    assert table.verticalHeaderItem(0).text() == "ndvi"
    shown = [table.item(0, c).text() for c in range(10)]
    assert shown == [f"{0.5 * k:.4g}" if k not in (1, 4) else "—" for k in range(10)]

    chart = dock.chart
    chart.resize(400, 260)
    chart.grab()  # lays the plot out
    point = chart._to_pixel(2003, 1.0)
    assert chart.point_near(point) == 2
    assert chart.point_near(chart._to_pixel(2002, 0.5)) is None  # a missing year has no point
    assert chart.tooltip_text(2) == "2003: 1 ndvi"


def test_axis_title_carries_the_gdal_unit(iface, dock, tmp_path, project):
    from qgis.core import QgsPointXY

    path = write_raster(tmp_path / "lst.tif", cube(), nodata=NODATA)
    ds = gdal.Open(path, gdal.GA_Update)
    for k in range(10):
        ds.GetRasterBand(k + 1).SetUnitType("K")
    ds = None
    dock.set_layers([add_raster(project, path, "LST 2001-2010")])
    dock.years_edit.setText(",".join(map(str, YEARS)))
    dock.inspect_at(QgsPointXY(*centre(0, 1)))
    assert dock.chart.quantity == "LST (K)"
    assert dock.chart.slope_text == "Sen's slope -2 K per year"


def test_png_export_is_the_chart_at_the_size_asked(iface, dock, singles, tmp_path):
    from qgis.core import QgsPointXY
    from qgis.PyQt.QtGui import QColor, QImage

    from mineland.ui.inspector import PNG_SIZE

    dock.set_layers(singles[1])
    with pytest.raises(ValueError, match="Pick a pixel on the map first"):
        dock.export_png(str(tmp_path / "none.png"))
    dock.inspect_at(QgsPointXY(*centre(0, 0)))
    path = dock.export_png(str(tmp_path / "chart.png"), 800, 500)
    image = QImage(path)
    assert (image.width(), image.height()) == (800, 500)
    colours = {image.pixel(x, y) for x in range(0, 800, 3) for y in range(0, 500, 3)}
    assert len(colours) > 50
    reds = sum(
        QColor(image.pixel(x, y)).red() > 180 and QColor(image.pixel(x, y)).green() < 90
        for x in range(0, 800, 2)
        for y in range(0, 500, 2)
    )
    blues = sum(
        QColor(image.pixel(x, y)).blue() > 150 and QColor(image.pixel(x, y)).red() < 80
        for x in range(0, 800, 2)
        for y in range(0, 500, 2)
    )
    assert reds > 50 and blues > 50  # the Sen's slope line and the series
    default = QImage(dock.export_png(str(tmp_path / "default.png")))
    assert (default.width(), default.height()) == PNG_SIZE
    with pytest.raises(ValueError, match="at least 100 × 80 pixels"):
        dock.export_png(str(tmp_path / "tiny.png"), 50, 40)


def test_export_buttons_ask_for_a_file(iface, dock, singles, tmp_path, monkeypatch):
    from qgis.core import QgsPointXY
    from qgis.PyQt.QtGui import QImage
    from qgis.PyQt.QtWidgets import QFileDialog

    dock.set_layers(singles[1])
    dock.inspect_at(QgsPointXY(*centre(0, 0)))
    asked = []

    def answer(parent, caption, folder, file_filter):
        asked.append((caption, folder, file_filter))
        return str(tmp_path / ("table" if "CSV" in caption else "figure")), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    dock.csv_button.click()
    dock.png_button.click()
    assert (tmp_path / "table.csv").exists() and not QImage(str(tmp_path / "figure.png")).isNull()
    assert asked[0][1] == str(tmp_path / "pixel_row0_col0.csv")  # beside the rasters
    assert iface.messages() == [f"Saved {tmp_path / 'table.csv'}", f"Saved {tmp_path / 'figure.png'}"]
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "missing" / "x.csv"), ""))
    dock.csv_button.click()
    assert iface.messages()[-1].startswith("Export failed:")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))  # cancelled
    dock.png_button.click()
    assert len(iface.messages()) == 3


def test_dock_look(iface, dock, singles, tmp_path):
    """The dock as a user sees it, grabbed offscreen (kept in MINELAND_SCREENSHOTS when set)."""
    import os
    import shutil

    from qgis.core import QgsPointXY
    from qgis.PyQt.QtWidgets import QApplication

    dock.set_layers(singles[1])
    dock.inspect_at(QgsPointXY(*centre(2, 3)))
    iface.window.resize(1100, 820)
    iface.window.resizeDocks([dock], [430], 1)  # Qt.Orientation.Horizontal
    QApplication.processEvents()
    path = str(tmp_path / "inspector_chart.png")
    assert dock.grab().save(path)
    image = dock.grab().toImage()
    assert image.width() >= 400 and dock.chart.height() >= 200
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colours) > 50
    keep = os.environ.get("MINELAND_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, "inspector_chart.png"))


@pytest.mark.parametrize("width, height", [(260, 220), (430, 240), (1200, 720)])
def test_tick_labels_never_overlap(qgis_app, width, height):
    from qgis.PyQt.QtGui import QFontMetricsF

    from mineland.ui.chart import SeriesChart

    chart = SeriesChart()
    chart.resize(width, height)
    chart.set_series(range(1985, 2021), np.linspace(0.2, 0.8, 36), np.linspace(0.2, 0.8, 36))
    chart.grab()
    x_ticks, y_ticks = chart._ticks
    metrics = QFontMetricsF(chart.font())
    xs = [chart._to_pixel(t, 0).x() for t in x_ticks]
    ys = [chart._to_pixel(0, v).y() for v in y_ticks]
    assert min(np.diff(xs)) > metrics.horizontalAdvance("2020") + 4
    assert min(-np.diff(ys)) > metrics.height()
    assert x_ticks[0] <= 1985 and x_ticks[-1] >= 2020 and y_ticks[0] <= 0.2 and y_ticks[-1] >= 0.8
