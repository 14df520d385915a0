"""The pixel time-series inspector: a dock that shows one pixel's series, trend and restoration class.

Widgets only: the series and its statistics come from :mod:`mineland.core.inspect`
(the kernels of mineland:trend), and every bad input ends as a message in the
QGIS message bar.
"""

import math
import re

from qgis.core import Qgis, QgsCsException, QgsMapLayerType, QgsPointXY, QgsProject
from qgis.gui import QgsVertexMarker
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core import dynamics, inspect
from .chart import SeriesChart
from .map_tool import PixelPickTool

TITLE = "MineLand pixel inspector"
NONE = "—"


def _natural_key(text):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _fmt(value, pattern):
    return NONE if value is None or not math.isfinite(value) else format(value, pattern)


def raster_file_problem(layer):
    """Why ``layer`` cannot be part of a stack (a sentence), or None."""
    if layer is None or layer.type() != QgsMapLayerType.RasterLayer:
        name = layer.name() if layer is not None else "The layer"
        return (f"'{name}' is not a raster layer; choose one multiband raster, or one single-band raster per year")
    if layer.providerType() != "gdal":
        return (f"'{layer.name()}' is not a raster file (its data come from '{layer.providerType()}'); "
                "save it as a GeoTIFF first")
    return None


class PixelInspectorDock(QDockWidget):
    """Choose the rasters of a time series, click the map, see the pixel's series and statistics.

    Parameters
    ----------
    iface : QgisInterface (or an object with mapCanvas(), messageBar() and layerTreeView())
    """

    def __init__(self, iface, parent=None):
        super().__init__(TITLE, parent)
        self.setObjectName("MineLandPixelInspector")
        self.iface = iface
        self.canvas = iface.mapCanvas()
        self.stack = None
        self._stack_ids = []
        self.series = None
        self.marker = None
        self.tool = PixelPickTool(self.canvas)
        self.tool.picked.connect(self.inspect_at)
        self.tool.failed.connect(self.warn)
        self.tool.deactivated.connect(lambda: self.pick_button.setChecked(False))
        self._build()
        project = QgsProject.instance()
        project.layersAdded.connect(self.refresh_layers)
        project.layersRemoved.connect(self.refresh_layers)
        self.refresh_layers()
        self._set_stack_text()

    # ------------------------------------------------------------ widgets

    def _build(self):
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)

        self.layer_list = QListWidget()
        self.layer_list.setObjectName("layers")
        self.layer_list.setToolTip("Check one multiband raster (one band per year), or one single-band raster "
                                   "per year; single-band rasters are taken in name order.")
        self.layer_list.setMaximumHeight(110)
        self.layer_list.itemChanged.connect(lambda _item: self._load_stack())
        layout.addWidget(QLabel("Time series rasters"))
        layout.addWidget(self.layer_list)
        self.use_selected = QPushButton("Use selected layers")
        self.use_selected.setToolTip("Take the layers selected in the Layers panel as the series")
        self.use_selected.clicked.connect(self.use_selected_layers)
        layout.addWidget(self.use_selected)

        form = QFormLayout()
        self.years_edit = QLineEdit()
        self.years_edit.setObjectName("years")
        self.years_edit.setPlaceholderText("one year per raster or band, e.g. 2001,2002,2004")
        form.addRow("Years", self.years_edit)
        options = QHBoxLayout()
        self.min_valid = QSpinBox()
        self.min_valid.setRange(inspect.SMALLEST_MIN_VALID, 10000)
        self.min_valid.setValue(inspect.DEFAULT_MIN_VALID)
        self.min_valid.setToolTip("Fewer valid years than this give no statistics (MIN_VALID of mineland:trend)")
        self.alpha = QDoubleSpinBox()
        self.alpha.setDecimals(4)
        self.alpha.setRange(0.0001, 0.5)
        self.alpha.setSingleStep(0.01)
        self.alpha.setValue(inspect.DEFAULT_ALPHA)
        self.alpha.setToolTip("Two-sided significance level of the classes (ALPHA of mineland:trend)")
        options.addWidget(QLabel("Min. valid"))
        options.addWidget(self.min_valid)
        options.addWidget(QLabel("α"))
        options.addWidget(self.alpha)
        form.addRow(options)
        layout.addLayout(form)
        self.stack_label = QLabel()
        self.stack_label.setObjectName("stack")
        self.stack_label.setWordWrap(True)
        layout.addWidget(self.stack_label)

        self.pick_button = QPushButton("Pick a pixel on the map")
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self._toggle_tool)
        layout.addWidget(self.pick_button)

        self.chart = SeriesChart()
        layout.addWidget(self.chart, 1)

        results = QFormLayout()
        self.labels = {}
        for key, caption in (("pixel", "Pixel"), ("z", "Mann-Kendall Z"), ("p", "p (two-sided)"),
                             ("slope", "Sen's slope"), ("hurst", "Hurst H"), ("class", "Restoration class")):
            label = QLabel(NONE)
            label.setObjectName(f"label_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            results.addRow(caption, label)
            self.labels[key] = label
        layout.addLayout(results)
        self.setWidget(body)

    def _toggle_tool(self, on):
        if on:
            self.canvas.setMapTool(self.tool)
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    # ------------------------------------------------------------ layers

    def refresh_layers(self, *_args):
        """List the project's raster layers, keeping the checks; reload the stack when its layers changed."""
        checked = {self.layer_list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.layer_list.count())
                   if self.layer_list.item(row).checkState() == Qt.CheckState.Checked}
        layers = [layer for layer in QgsProject.instance().mapLayers().values()
                  if layer.type() == QgsMapLayerType.RasterLayer]
        layers.sort(key=lambda layer: _natural_key(layer.name()))
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in layers:
            bands = layer.bandCount()
            item = QListWidgetItem(f"{layer.name()} ({bands} band{'s' if bands > 1 else ''})")
            item.setData(Qt.ItemDataRole.UserRole, layer.id())
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.id() in checked else Qt.CheckState.Unchecked)
            self.layer_list.addItem(item)
        self.layer_list.blockSignals(False)
        if [layer.id() for layer in self.checked_layers()] != self._stack_ids:
            self._load_stack(quiet=True)

    def checked_layers(self):
        project = QgsProject.instance()
        layers = []
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            layer = project.mapLayer(item.data(Qt.ItemDataRole.UserRole))
            if item.checkState() == Qt.CheckState.Checked and layer is not None:
                layers.append(layer)
        return layers

    def use_selected_layers(self):
        view = self.iface.layerTreeView()
        self.set_layers(view.selectedLayers() if view is not None else [])

    def set_layers(self, layers):
        """Make ``layers`` the stack (one multiband, or single-band ones); False with a message when they cannot be."""
        if not layers:
            self.warn("Select the rasters of the series in the Layers panel first")
            return False
        for layer in layers:
            problem = raster_file_problem(layer)
            if problem:
                self.warn(problem)
                return False
        if any(self._item_of(layer) is None for layer in layers):
            self.refresh_layers()
        wanted = {layer.id() for layer in layers}
        self.layer_list.blockSignals(True)
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            wanted_here = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if wanted_here else Qt.CheckState.Unchecked)
        self.layer_list.blockSignals(False)
        return self._load_stack()

    def _item_of(self, layer):
        for row in range(self.layer_list.count()):
            if self.layer_list.item(row).data(Qt.ItemDataRole.UserRole) == layer.id():
                return self.layer_list.item(row)
        return None

    def _load_stack(self, quiet=False):
        """Open the checked layers as a stack; False (and a message unless ``quiet``) when they cannot be."""
        self._close_stack()
        self._clear_results()
        layers = self.checked_layers()
        self._stack_ids = [layer.id() for layer in layers]
        problem = None
        if layers:
            problem = next((p for p in map(raster_file_problem, layers) if p), None)
        if layers and problem is None:
            try:
                self.stack = inspect.open_stack([layer.source().split("|")[0] for layer in layers],
                                                [layer.name() for layer in layers])
            except ValueError as err:
                problem = str(err)
        if problem:
            if not quiet:
                self.warn(problem)
            self._set_stack_text(problem)
            return False
        if self.stack is None:
            self._set_stack_text()
            return False
        self.tool.set_target_crs(layers[0].crs())
        self.years_edit.setText(",".join(str(y) for y in self.stack.default_years()))
        self.years_edit.setCursorPosition(0)
        self._set_stack_text()
        return True

    def _set_stack_text(self, problem=None):
        if problem:
            self.stack_label.setText(f"<span style='color:#b00'>{problem}</span>")
        elif self.stack is None:
            self.stack_label.setText("Check the rasters of a time series above.")
        else:
            grid = self.stack.grid
            text = f"{self.stack.count} time steps, {grid.xsize} × {grid.ysize} pixels"
            scaled = self.stack.scaling_notes()
            if scaled:  # the chart and statistics are in physical units: say how they were obtained
                more = ", …" if len(scaled) > 1 else ""
                text += f"; {len(scaled)} read with their GDAL scale/offset ({scaled[0]}{more})"
            self.stack_label.setText(text)

    def _close_stack(self):
        if self.stack is not None:
            self.stack.close()
        self.stack = None

    # ------------------------------------------------------------ picking

    def inspect_at(self, point):
        """Show the pixel at ``point`` (QgsPointXY in the stack's CRS) and mark its centre on the map;
        the PixelSeries, or None with a message."""
        if self.stack is None:
            self.warn("Check the rasters of a time series in the inspector first")
            return None
        try:
            years = dynamics.parse_years(self.years_edit.text(), self.stack.count)
        except ValueError as err:
            self.warn(f"Years: {err}")
            return None
        try:
            series = self.stack.series(point.x(), point.y(), years, self.min_valid.value(), self.alpha.value())
        except ValueError as err:
            self.warn(str(err))
            return None
        self.series = series
        self._show(series)
        self._mark(QgsPointXY(series.x, series.y))
        return series

    def _show(self, series):
        self.chart.set_series(series.years, series.values, series.sen_line())
        self.labels["pixel"].setText(f"row {series.row}, column {series.col}; "
                                     f"{series.n_valid} of {series.years.size} years valid")
        self.labels["z"].setText(_fmt(series.z, ".3f"))
        p = series.p
        self.labels["p"].setText(_fmt(p, ".2e" if math.isfinite(p) and 0 < p < 1e-4 else ".4f"))
        slope = _fmt(series.sen_slope, ".4g")
        self.labels["slope"].setText(slope if slope == NONE else f"{slope} per year")
        hurst = _fmt(series.hurst, ".3f")
        if hurst != NONE:
            hurst += " (persistent)" if series.hurst > 0.5 else " (anti-persistent)"
        self.labels["hurst"].setText(hurst)
        self.labels["class"].setText(series.restoration_name)

    def _clear_results(self):
        self.series = None
        self.chart.clear()
        for label in self.labels.values():
            label.setText(NONE)
        self._remove_marker()

    def _mark(self, point):
        try:
            map_point = self.tool.to_canvas(point)
        except QgsCsException:
            self._remove_marker()
            return
        if self.marker is None:
            self.marker = QgsVertexMarker(self.canvas)
            self.marker.setIconType(QgsVertexMarker.ICON_CROSS)
            self.marker.setColor(QColor(255, 0, 255))
            self.marker.setIconSize(16)
            self.marker.setPenWidth(3)
        self.marker.setCenter(map_point)

    def _remove_marker(self):
        if self.marker is not None:
            self.canvas.scene().removeItem(self.marker)
            self.marker = None

    def warn(self, text):
        self.iface.messageBar().pushMessage(TITLE, text, Qgis.Warning, 8)

    # ------------------------------------------------------------ life cycle

    def closeEvent(self, event):  # noqa: N802 (Qt's name)
        self.pick_button.setChecked(False)
        self._remove_marker()
        super().closeEvent(event)

    def unload(self):
        """Leave nothing behind: map tool, marker, project connections, open rasters."""
        self.pick_button.setChecked(False)
        if self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)
        self._remove_marker()
        project = QgsProject.instance()
        for signal in (project.layersAdded, project.layersRemoved):
            try:
                signal.disconnect(self.refresh_layers)
            except TypeError:
                pass
        self._close_stack()
