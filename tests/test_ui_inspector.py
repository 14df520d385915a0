"""The pixel inspector dock, its map tool and chart, and the plugin's desktop entries, without a real window.

QGIS runs headless (QT_QPA_PLATFORM=offscreen, the session fixture qgis_app);
the QGIS interface is a small stand-in with a real map canvas and message bar.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from osgeo import gdal
from rasters import write_raster

from mineland.core import inspect, trend

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

    show_canvas_on(iface.canvas, QgsCoordinateReferenceSystem("EPSG:32633"),
                   QgsRectangle(ORIGIN[0] - 30, ORIGIN[1] - 120, ORIGIN[0] + 150, ORIGIN[1] + 30))


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
    shifted = add_raster(project, write_raster(tmp_path / "shifted.tif", cube()[0], nodata=NODATA,
                                               origin=(500010.0, 6000000.0)), "ndvi_2011 shifted")
    assert not dock.set_layers(layers + [shifted])
    assert dock.stack is None
    assert iface.messages() == ["ndvi_2011 shifted is shifted from ndvi_2001: origin (500010.000000, 6000000.000000) "
                                "vs (500000.000000, 6000000.000000); align it onto the grid of ndvi_2001 first"]
    assert "is shifted from ndvi_2001" in dock.stack_label.text()


def test_non_raster_layers_are_a_message(iface, dock, singles, project):
    from qgis.core import QgsPointXY, QgsVectorLayer

    points = QgsVectorLayer("Point?crs=EPSG:32633", "mine sites", "memory")
    project.addMapLayer(points)
    iface.selected = [singles[1][0], points]
    dock.use_selected_layers()
    assert iface.messages() == ["'mine sites' is not a raster layer; choose one multiband raster, or one single-band "
                                "raster per year"]
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
    reds = sum(QColor(image.pixel(x, y)).red() > 180 and QColor(image.pixel(x, y)).green() < 90
               for x in range(image.width()) for y in range(image.height()))
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

    web = SimpleNamespace(type=lambda: QgsMapLayerType.RasterLayer, providerType=lambda: "wms",
                          name=lambda: "OpenStreetMap")
    assert raster_file_problem(web) == ("'OpenStreetMap' is not a raster file (its data come from 'wms'); "
                                        "save it as a GeoTIFF first")
    assert "is not a raster layer" in raster_file_problem(None)
