"""The pixel time-series inspector: a dock that shows one pixel's series, trend and restoration class.

Widgets only: the series and its statistics come from :mod:`mineland.core.timeseries.inspect`
(the kernels of mineland:trend), and every bad input ends as a message in the
QGIS message bar.
"""

import csv
import math
import os
import re

from qgis.core import Qgis, QgsCsException, QgsMapLayerType, QgsPointXY, QgsProject
from qgis.gui import QgsVertexMarker
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.landcover import dynamics
from ..core.timeseries import inspect
from . import tr
from .chart import SeriesChart, format_value
from .map_tool import PixelPickTool

TITLE = "MineLand pixel inspector"
NONE = "—"
#: Size in pixels and scale (fonts, lines) of the exported chart image: a figure for a report.
PNG_SIZE = (1200, 720)
PNG_SCALE = 1.6

CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked
ID_ROLE = Qt.ItemDataRole.UserRole
# a year or a range of years in a layer or band name ("NDVI 2009-2020", "ndvi_2001"): not part of the quantity
_YEARS_IN_NAME = re.compile(r"(?<!\d)(?:1[89]\d\d|2[01]\d\d)(?:\s*[-–]\s*(?:1[89]\d\d|2[01]\d\d))?(?!\d)")


def _natural_key(text):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _fmt(value, pattern):
    return NONE if value is None or not math.isfinite(value) else format(value, pattern)


def quantity_of(names):
    """What the names of the time steps have in common once their years are taken out, or "".

    "ndvi_2001", "ndvi_2002" give "ndvi"; "NDVI 2009-2020" gives "NDVI"; "2009", "2010" give "".
    """
    found = set()
    for name in names:
        text = _YEARS_IN_NAME.sub(" ", str(name)).replace("()", " ")
        text = re.sub(r"\s+", " ", re.sub(r"[_]+", " ", text)).strip(" -–_.,;:")
        found.add(text)
    return found.pop() if len(found) == 1 else ""


def series_unit(pixel_stack, names=()):
    """(quantity, unit) of a stack: the GDAL unit type common to every band ("" when unset or mixed), and
    the name the band descriptions, else the layer ``names``, share without their years ("value" if none)."""
    units = {band.GetUnitType() or "" for band in pixel_stack.bands}
    unit = units.pop() if len(units) == 1 else ""
    quantity = quantity_of(pixel_stack.labels) or quantity_of(names) or tr("value")
    return quantity, unit


def _csv_number(value):
    """Full precision, "" when missing: the CSV holds what the statistics were computed from."""
    if isinstance(value, (int, str)):
        return str(value)
    return repr(float(value)) if math.isfinite(value) else ""


def statistics_rows(series):
    """(key, value) of the statistics of a PixelSeries, as the CSV export writes them."""
    return [
        ("sen_slope_per_year", series.sen_slope),
        ("intercept", series.intercept),
        ("intercept_year", int(series.years[0]) if series.years.size else ""),
        ("mann_kendall_z", series.z),
        ("p_two_sided", series.p),
        ("kendall_tau", series.tau),
        ("mann_kendall_s", series.s),
        ("var_s", series.var_s),
        ("hurst", series.hurst),
        ("class_code", series.restoration_code),
        ("class", series.restoration_name),
        ("n_valid", series.n_valid),
        ("n_years", int(series.years.size)),
        ("min_valid", series.min_valid),
        ("alpha", series.alpha),
    ]


def raster_file_problem(layer):
    """Why ``layer`` cannot be part of a stack (a sentence), or None."""
    if layer is None or layer.type() != QgsMapLayerType.RasterLayer:
        name = layer.name() if layer is not None else tr("The layer")
        return tr("'{}' is not a raster layer; choose one multiband raster, or one single-band raster per year").format(
            name
        )
    if layer.providerType() != "gdal":
        return tr("'{name}' is not a raster file (its data come from '{provider}'); save it as a GeoTIFF first").format(
            name=layer.name(), provider=layer.providerType()
        )
    return None


class PixelInspectorDock(QDockWidget):
    """Choose the rasters of a time series, click the map, see the pixel's series and statistics.

    Parameters
    ----------
    iface : QgisInterface (or an object with mapCanvas(), messageBar() and layerTreeView())
    """

    def __init__(self, iface, parent=None):
        super().__init__(tr(TITLE), parent)
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
        self.layer_list.setToolTip(
            tr(
                "Check one multiband raster (one band per year), or one single-band raster "
                "per year; single-band rasters are taken in name order."
            )
        )
        self.layer_list.setMaximumHeight(110)
        self.layer_list.itemChanged.connect(lambda _item: self._load_stack())
        layout.addWidget(QLabel(tr("Time series rasters")))
        layout.addWidget(self.layer_list)
        self.use_selected = QPushButton(tr("Use selected layers"))
        self.use_selected.setToolTip(tr("Take the layers selected in the Layers panel as the series"))
        self.use_selected.clicked.connect(self.use_selected_layers)
        layout.addWidget(self.use_selected)

        form = QFormLayout()
        self.years_edit = QLineEdit()
        self.years_edit.setObjectName("years")
        self.years_edit.setPlaceholderText(tr("one year per raster or band, e.g. 2001,2002,2004"))
        form.addRow(tr("Years"), self.years_edit)
        options = QHBoxLayout()
        self.min_valid = QSpinBox()
        self.min_valid.setRange(inspect.SMALLEST_MIN_VALID, 10000)
        self.min_valid.setValue(inspect.DEFAULT_MIN_VALID)
        self.min_valid.setToolTip(tr("Fewer valid years than this give no statistics (MIN_VALID of mineland:trend)"))
        self.alpha = QDoubleSpinBox()
        self.alpha.setDecimals(4)
        self.alpha.setRange(0.0001, 0.5)
        self.alpha.setSingleStep(0.01)
        self.alpha.setValue(inspect.DEFAULT_ALPHA)
        self.alpha.setToolTip(tr("Two-sided significance level of the classes (ALPHA of mineland:trend)"))
        options.addWidget(QLabel(tr("Min. valid")))
        options.addWidget(self.min_valid)
        options.addWidget(QLabel("α"))
        options.addWidget(self.alpha)
        form.addRow(options)
        layout.addLayout(form)
        self.stack_label = QLabel()
        self.stack_label.setObjectName("stack")
        self.stack_label.setWordWrap(True)
        layout.addWidget(self.stack_label)

        self.pick_button = QPushButton(tr("Pick a pixel on the map"))
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self._toggle_tool)
        layout.addWidget(self.pick_button)

        self.chart = SeriesChart()
        layout.addWidget(self.chart, 1)
        self.value_table = self._value_table()
        layout.addWidget(self.value_table)

        results = QFormLayout()
        self.labels = {}
        for key, caption in (
            ("pixel", tr("Pixel")),
            ("z", tr("Mann-Kendall Z")),
            ("p", tr("p (two-sided)")),
            ("slope", tr("Sen's slope")),
            ("hurst", tr("Hurst H")),
            ("class", tr("Restoration class")),
        ):
            label = QLabel(NONE)
            label.setObjectName(f"label_{key}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            results.addRow(caption, label)
            self.labels[key] = label
        layout.addLayout(results)

        exports = QHBoxLayout()
        self.csv_button = QPushButton(tr("Export CSV…"))
        self.csv_button.setObjectName("export_csv")
        self.csv_button.setToolTip(tr("Save the pixel's years, values and statistics as a CSV table"))
        self.csv_button.clicked.connect(self.choose_csv)
        self.png_button = QPushButton(tr("Export PNG…"))
        self.png_button.setObjectName("export_png")
        self.png_button.setToolTip(tr("Save the chart as a PNG image ({} × {} pixels)").format(*PNG_SIZE))
        self.png_button.clicked.connect(self.choose_png)
        for button in (self.csv_button, self.png_button):
            button.setEnabled(False)
            exports.addWidget(button)
        layout.addLayout(exports)
        self.setWidget(body)

    def _value_table(self):
        """One row of values under the chart, one column per year: the point values, readable and selectable."""
        table = QTableWidget(1, 0)
        table.setObjectName("values")
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setToolTip(tr("The pixel's value in each year (— = missing)"))
        table.horizontalHeader().setDefaultSectionSize(58)
        table.verticalHeader().setDefaultSectionSize(24)
        table.setVerticalHeaderLabels([tr("value")])
        table.setVisible(False)
        return table

    def _toggle_tool(self, on):
        if on:
            self.canvas.setMapTool(self.tool)
        elif self.canvas.mapTool() is self.tool:
            self.canvas.unsetMapTool(self.tool)

    # ------------------------------------------------------------ layers

    def refresh_layers(self, *_args):
        """List the project's raster layers, keeping the checks; reload the stack when its layers changed."""
        checked = {
            self.layer_list.item(row).data(ID_ROLE)
            for row in range(self.layer_list.count())
            if self.layer_list.item(row).checkState() == CHECKED
        }
        layers = [
            layer for layer in QgsProject.instance().mapLayers().values() if layer.type() == QgsMapLayerType.RasterLayer
        ]
        layers.sort(key=lambda layer: _natural_key(layer.name()))
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for layer in layers:
            bands = layer.bandCount()
            text = tr("{name} ({count} bands)") if bands > 1 else tr("{name} ({count} band)")
            item = QListWidgetItem(text.format(name=layer.name(), count=bands))
            item.setData(ID_ROLE, layer.id())
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(CHECKED if layer.id() in checked else UNCHECKED)
            self.layer_list.addItem(item)
        self.layer_list.blockSignals(False)
        if [layer.id() for layer in self.checked_layers()] != self._stack_ids:
            self._load_stack(quiet=True)

    def checked_layers(self):
        project = QgsProject.instance()
        layers = []
        for row in range(self.layer_list.count()):
            item = self.layer_list.item(row)
            layer = project.mapLayer(item.data(ID_ROLE))
            if item.checkState() == CHECKED and layer is not None:
                layers.append(layer)
        return layers

    def use_selected_layers(self):
        view = self.iface.layerTreeView()
        self.set_layers(view.selectedLayers() if view is not None else [])

    def set_layers(self, layers):
        """Make ``layers`` the stack (one multiband, or single-band ones); False with a message when they cannot be."""
        if not layers:
            self.warn(tr("Select the rasters of the series in the Layers panel first"))
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
            item.setCheckState(CHECKED if item.data(ID_ROLE) in wanted else UNCHECKED)
        self.layer_list.blockSignals(False)
        return self._load_stack()

    def _item_of(self, layer):
        for row in range(self.layer_list.count()):
            if self.layer_list.item(row).data(ID_ROLE) == layer.id():
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
                self.stack = inspect.open_stack(
                    [layer.source().split("|")[0] for layer in layers], [layer.name() for layer in layers]
                )
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
            self.stack_label.setText(tr("Check the rasters of a time series above."))
        else:
            grid = self.stack.grid
            text = tr("{count} time steps, {width} × {height} pixels").format(
                count=self.stack.count, width=grid.xsize, height=grid.ysize
            )
            scaled = self.stack.scaling_notes()
            if scaled:  # the chart and statistics are in physical units: say how they were obtained
                more = ", …" if len(scaled) > 1 else ""
                text += tr("; {count} read with their GDAL scale/offset ({first}{more})").format(
                    count=len(scaled), first=scaled[0], more=more
                )
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
            self.warn(tr("Check the rasters of a time series in the inspector first"))
            return None
        try:
            years = dynamics.parse_years(self.years_edit.text(), self.stack.count)
        except ValueError as err:
            self.warn(tr("Years: {}").format(err))
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

    def quantity(self):
        """(quantity, unit) of the stack's values (:func:`series_unit`)."""
        if self.stack is None:
            return tr("value"), ""
        return series_unit(self.stack, self.stack.names)

    def _axis_texts(self, series):
        """The y axis title, the Sen line's legend and the chart's title for ``series``."""
        quantity, unit = self.quantity()
        axis = f"{quantity} ({unit})" if unit else quantity
        per_year = unit or quantity
        if math.isfinite(series.sen_slope):
            legend = tr("Sen's slope {slope} {unit} per year").format(slope=f"{series.sen_slope:+.4g}", unit=per_year)
        else:
            legend = tr("Sen's slope: none ({} valid years)").format(series.n_valid)
        names = self.stack.names
        layers = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
        title = tr("{layers}: pixel row {row}, column {col}").format(layers=layers, row=series.row, col=series.col)
        return axis, legend, title

    def _show(self, series):
        axis, legend, title = self._axis_texts(series)
        self.chart.set_series(series.years, series.values, series.sen_line(), axis, legend, title)
        self._fill_values(series, axis)
        for button in (self.csv_button, self.png_button):
            button.setEnabled(True)
        self.labels["pixel"].setText(
            tr("row {row}, column {col}; {valid} of {count} years valid").format(
                row=series.row, col=series.col, valid=series.n_valid, count=series.years.size
            )
        )
        self.labels["z"].setText(_fmt(series.z, ".3f"))
        p = series.p
        self.labels["p"].setText(_fmt(p, ".2e" if math.isfinite(p) and 0 < p < 1e-4 else ".4f"))
        slope = _fmt(series.sen_slope, ".4g")
        self.labels["slope"].setText(slope if slope == NONE else tr("{} per year").format(slope))
        hurst = _fmt(series.hurst, ".3f")
        if hurst != NONE:
            hurst += tr(" (persistent)") if series.hurst > 0.5 else tr(" (anti-persistent)")
        self.labels["hurst"].setText(hurst)
        self.labels["class"].setText(series.restoration_name)

    def _fill_values(self, series, axis):
        table = self.value_table
        table.setColumnCount(series.years.size)
        table.setHorizontalHeaderLabels([f"{year:g}" for year in series.years])
        table.setVerticalHeaderLabels([axis])
        for column, value in enumerate(series.values):
            item = QTableWidgetItem(format_value(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if not math.isfinite(value):
                item.setForeground(QColor(150, 150, 150))
                item.setToolTip(tr("missing: nodata or not a number in this year"))
            table.setItem(0, column, item)
        table.resizeColumnsToContents()
        table.setVisible(True)
        # exactly one row high: header, the row and the horizontal scroll bar
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height()
            + table.rowHeight(0)
            + table.horizontalScrollBar().sizeHint().height()
            + 2 * table.frameWidth()
        )

    def _clear_results(self):
        self.series = None
        self.chart.clear()
        self.value_table.setColumnCount(0)
        self.value_table.setVisible(False)
        for button in (self.csv_button, self.png_button):
            button.setEnabled(False)
        for label in self.labels.values():
            label.setText(NONE)
        self._remove_marker()

    # ------------------------------------------------------------ export

    def export_csv(self, path):
        """Write the shown pixel's series to ``path``: "# key: value" header lines (where the pixel is, its
        unit and statistics), then the columns year, value, valid (1/0). ValueError without a pixel."""
        series = self._shown()
        quantity, unit = self.quantity()
        header = [
            ("source", TITLE),
            ("layers", "; ".join(self.stack.names)),
            ("row", series.row),
            ("column", series.col),
            ("x", series.x),
            ("y", series.y),
            ("crs", self.tool.target_crs.authid()),
            ("quantity", quantity),
            ("unit", unit),
            ("line", "value = intercept + sen_slope_per_year * (year - intercept_year)"),
        ]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            handle.writelines(f"# {key}: {_csv_number(value)}\n" for key, value in header + statistics_rows(series))
            writer = csv.writer(handle)
            writer.writerow(["year", "value", "valid"])
            for year, value in zip(series.years, series.values):
                writer.writerow([f"{year:g}", _csv_number(value), int(math.isfinite(value))])
        return path

    def export_png(self, path, width=PNG_SIZE[0], height=PNG_SIZE[1], scale=PNG_SCALE):
        """Save the chart of the shown pixel as a ``width`` × ``height`` PNG at ``path``.

        Raises
        ------
        ValueError
            Without a pixel, or when the image cannot be written.
        """
        self._shown()
        image = self.chart.render_image(width, height, scale)
        if not image.save(str(path), "PNG"):
            raise ValueError(tr("the image cannot be written to {}").format(path))
        return path

    def _shown(self):
        if self.series is None or self.stack is None:
            raise ValueError(tr("Pick a pixel on the map first"))
        return self.series

    def _default_path(self, suffix):
        folder = os.path.dirname(self.stack.paths[0]) if self.stack is not None else os.path.expanduser("~")
        return os.path.join(folder, f"pixel_row{self.series.row}_col{self.series.col}{suffix}")

    def choose_csv(self):
        self._export_with_dialog(
            tr("Export the pixel's series as CSV"), ".csv", tr("CSV files (*.csv)"), self.export_csv
        )

    def choose_png(self):
        self._export_with_dialog(tr("Export the chart as PNG"), ".png", tr("PNG images (*.png)"), self.export_png)

    def _export_with_dialog(self, caption, suffix, file_filter, export):
        if self.series is None:
            self.warn(tr("Pick a pixel on the map first"))
            return None
        path, _ = QFileDialog.getSaveFileName(self, caption, self._default_path(suffix), file_filter)
        if not path:
            return None
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            export(path)
        except (OSError, ValueError) as err:
            self.warn(tr("Export failed: {}").format(err))
            return None
        self.iface.messageBar().pushMessage(TITLE, tr("Saved {}").format(path), Qgis.MessageLevel.Success, 5)
        return path

    def _mark(self, point):
        try:
            map_point = self.tool.to_canvas(point)
        except QgsCsException:
            self._remove_marker()
            return
        if self.marker is None:
            self.marker = QgsVertexMarker(self.canvas)
            self.marker.setIconType(QgsVertexMarker.IconType.ICON_CROSS)
            self.marker.setColor(QColor(255, 0, 255))
            self.marker.setIconSize(16)
            self.marker.setPenWidth(3)
        self.marker.setCenter(map_point)

    def _remove_marker(self):
        if self.marker is not None:
            self.canvas.scene().removeItem(self.marker)
            self.marker = None

    def warn(self, text):
        self.iface.messageBar().pushMessage(tr(TITLE), text, Qgis.MessageLevel.Warning, 8)

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
