"""A QPainter chart of one pixel's time series with its Sen's slope line, axes with values and units.

The tick positions and labels come from the pure functions :func:`nice_ticks`,
:func:`year_ticks` and :func:`tick_labels` (no Qt), so they are tested apart
from the drawing. The same :meth:`SeriesChart.paint` draws the widget and the
exported image (:meth:`SeriesChart.render_image`).
"""

import math

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from qgis.PyQt.QtWidgets import QSizePolicy, QToolTip, QWidget

from . import tr

SERIES_COLOUR = QColor(31, 119, 180)
LINE_COLOUR = QColor(214, 39, 40)
AXIS_COLOUR = QColor(90, 90, 90)
GRID_COLOUR = QColor(228, 228, 228)
MISSING_COLOUR = QColor(150, 150, 150)
TEXT_COLOUR = QColor(30, 30, 30)

#: Smallest font of the chart, in points: the tick labels stay readable in a narrow dock.
MIN_POINT_SIZE = 9
#: Pixels of the mouse pointer around a point that show its value as a tooltip.
HOVER_RADIUS = 10


# ------------------------------------------------------------------ ticks (pure functions)


def nice_step(span, target=5):
    """The 1, 2 or 5 × 10^k step that cuts ``span`` into about ``target`` intervals (at most ``target``)."""
    if not (math.isfinite(span) and span > 0):
        raise ValueError(f"the span of the axis must be a positive number, got {span}")
    raw = span / max(int(target), 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * magnitude >= raw * (1 - 1e-9):
            return factor * magnitude
    return 10.0 * magnitude  # pragma: no cover (the loop ends at 10)


def _decimals(step):
    return max(0, -math.floor(math.log10(step) + 1e-9))


def nice_ticks(low, high, target=5):
    """Ticks at multiples of a :func:`nice_step` that bracket [low, high]: ticks[0] ≤ low, ticks[-1] ≥ high.

    A constant series (low = high) gets an interval of ±10 % (±1 around 0) around its value.
    """
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"the axis limits must be finite numbers, got {low} and {high}")
    if high < low:
        low, high = high, low
    if high == low:
        half = abs(low) * 0.1 or 1.0
        low, high = low - half, high + half
    step = nice_step(high - low, target)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    decimals = _decimals(step) + 1
    return [round(k * step, decimals) for k in range(first, last + 1)]


def year_ticks(first, last, target=6):
    """Whole-year ticks that bracket [first, last], a whole number of years (1, 2, 5, 10, …) apart."""
    first, last = float(first), float(last)
    if not (math.isfinite(first) and math.isfinite(last)) or last < first:
        raise ValueError(f"the years must be finite and increasing, got {first} and {last}")
    start, end = math.floor(first), math.ceil(last)
    if end == start:
        return [start - 1, start, start + 1]
    step = max(1, round(nice_step(end - start, target)))
    return list(range(start // step * step, -(-end // step) * step + 1, step))


def tick_labels(ticks):
    """Labels of evenly spaced ``ticks``: as many decimals as the step needs, powers of ten when huge or tiny."""
    if len(ticks) < 2:
        return [f"{t:g}" for t in ticks]
    step = abs(ticks[1] - ticks[0])
    largest = max(abs(t) for t in ticks)
    if largest >= 1e6 or step < 1e-4:
        return [f"{t:.3g}" for t in ticks]
    decimals = _decimals(step)
    return [f"{t:.{decimals}f}" for t in ticks]


def format_value(value):
    """A value as shown in tooltips and the value table: 4 significant digits, "—" when missing."""
    return f"{value:.4g}" if math.isfinite(value) else "—"


# ------------------------------------------------------------------ the widget


class SeriesChart(QWidget):
    """Values per year as dots joined by a line, broken at missing years (marked × on the axis), and a
    dashed red Sen's slope line; axes with tick values, the year below and the value's unit on the left.
    Hovering a dot shows its year and value."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("MineLandSeriesChart")
        self.setMinimumSize(260, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), MIN_POINT_SIZE))
        self.setFont(font)
        self.years, self.values, self.line = [], [], []
        self.quantity, self.slope_text, self.title = tr("value"), "", ""
        self.message = tr("Pick a pixel on the map")
        self._plot = QRectF()
        self._standalone = False
        self._ticks = ([], [])
        self._x_range = self._y_range = (0.0, 1.0)

    def set_series(self, years, values, line=None, quantity=None, slope_text="", title=""):
        """Show ``values`` (NaN = missing) at ``years``.

        ``line``: the Sen's slope line at the same years; ``quantity``: the y axis title (with its unit);
        ``slope_text``: the line's legend (its slope and unit per year); ``title``: above the plot.
        """
        self.years = [float(y) for y in years]
        self.values = [float(v) for v in values]
        self.line = [float(v) for v in line] if line is not None else []
        self.quantity = quantity or tr("value")
        self.slope_text = slope_text or tr("Sen's slope")
        self.title = title
        self.update()

    def clear(self, message=None):
        self.years, self.values, self.line = [], [], []
        self.message = message or tr("Pick a pixel on the map")
        self.title, self.slope_text = "", ""
        self.update()

    # -------------------------------------------------------------- geometry

    def _valid(self):
        return [(t, v) for t, v in zip(self.years, self.values) if math.isfinite(v)]

    def axes(self, x_target=6, y_target=5):
        """(x ticks, y ticks) of the current series, about ``x_target`` and ``y_target`` intervals; None without
        a valid value."""
        valid = self._valid()
        if not valid:
            return None
        ys = [v for _, v in valid] + [v for v in self.line if math.isfinite(v)]
        return year_ticks(self.years[0], self.years[-1], x_target), nice_ticks(min(ys), max(ys), y_target)

    def _to_pixel(self, t, v):
        (x0, x1), (y0, y1), plot = self._x_range, self._y_range, self._plot
        return QPointF(
            plot.left() + (t - x0) / (x1 - x0) * plot.width(), plot.bottom() - (v - y0) / (y1 - y0) * plot.height()
        )

    def point_near(self, pos, radius=HOVER_RADIUS):
        """Index of the valid point drawn within ``radius`` pixels of widget position ``pos``, or None."""
        if self._plot.isEmpty():
            return None
        best, best_distance = None, radius
        for k, (t, v) in enumerate(zip(self.years, self.values)):
            if math.isfinite(v):
                at = self._to_pixel(t, v)
                distance = math.hypot(at.x() - pos.x(), at.y() - pos.y())
                if distance <= best_distance:
                    best, best_distance = k, distance
        return best

    def tooltip_text(self, index):
        """The hover text of point ``index``: its year and value."""
        return f"{self.years[index]:g}: {format_value(self.values[index])} {self.quantity}"

    def mouseMoveEvent(self, event):  # noqa: N802 (Qt's name)
        # Qt 6 names the positions position()/globalPosition(); Qt 5 (QGIS 3.22) pos()/globalPos()
        qt6 = hasattr(event, "position")
        index = self.point_near(event.position() if qt6 else event.pos())
        if index is None:
            QToolTip.hideText()
        else:
            where = event.globalPosition().toPoint() if qt6 else event.globalPos()
            QToolTip.showText(where, self.tooltip_text(index), self)
        super().mouseMoveEvent(event)

    # -------------------------------------------------------------- drawing

    def paintEvent(self, event):  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        self.paint(painter, QRectF(self.rect()), self.font())  # no title nor series key: the dock says both
        painter.end()

    def render_image(self, width, height, scale=1.0):
        """The chart drawn on a ``width`` × ``height`` white QImage; ``scale`` enlarges fonts and lines."""
        width, height = int(width), int(height)
        if width < 100 or height < 80:
            raise ValueError(tr("the image must be at least 100 × 80 pixels, got {} × {}").format(width, height))
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor(Qt.GlobalColor.white))
        font = QFont(self.font())
        # point sizes on a QImage follow its dots per inch: set pixels so the export looks like the dock
        font.setPixelSize(max(1, round(QFontMetricsF(self.font()).height() * 0.8 * scale)))
        painter = QPainter(image)
        self.paint(painter, QRectF(0, 0, width, height), font, scale, standalone=True)
        painter.end()
        return image

    def paint(self, painter, rect, font, scale=1.0, standalone=False):
        """Draw the chart in ``rect`` with ``font``; lines and dots ``scale`` times their widget size.

        ``standalone`` (an exported image) adds the title and the series to the legend.
        """
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(rect, QColor(Qt.GlobalColor.white))
        painter.setFont(font)
        axes = self.axes()
        if axes is None:
            self._plot = QRectF()
            painter.setPen(AXIS_COLOUR)
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignCenter,
                self.message if not self.years else tr("No valid value at this pixel"),
            )
            return
        metrics = QFontMetricsF(font)
        line_height = metrics.height()
        title = self.title if standalone else ""
        self._standalone = standalone
        top = rect.top() + 4 * scale
        if title:
            top += line_height + 2 * scale
        legend_left = rect.left() + line_height + 4 * scale
        legend_top, legend_width = top, rect.right() - legend_left
        top += self._legend_height(metrics, legend_width, scale) + 4 * scale
        bottom = rect.bottom() - 2 * line_height - 8 * scale
        # as many ticks as fit: y labels 1.6 lines apart, years 1.6 times their width apart, so none overlap
        y_ticks = self.axes(y_target=max(2, int((bottom - top) / (1.6 * line_height))))[1]
        y_labels = tick_labels(y_ticks)
        label_width = max(metrics.horizontalAdvance(label) for label in y_labels)
        left = legend_left + label_width + 6 * scale
        year_width = metrics.horizontalAdvance(str(axes[0][-1]))
        right = rect.right() - max(year_width / 2, 8 * scale)
        x_ticks = self.axes(x_target=max(1, int((right - left) / (1.6 * year_width))))[0]
        self._plot = QRectF(QPointF(left, top), QPointF(right, bottom))
        self._ticks = (x_ticks, y_ticks)
        if self._plot.width() < 20 or self._plot.height() < 20:
            painter.setPen(AXIS_COLOUR)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, tr("Enlarge the panel to see the chart"))
            return
        pad = 0.5 if x_ticks[0] == self.years[0] or x_ticks[-1] == self.years[-1] else 0.0
        self._x_range = (x_ticks[0] - pad, x_ticks[-1] + pad)
        # a little room below and above the outer ticks: no dot sits on the axis, the missing-year marks stay clear
        margin = (y_ticks[-1] - y_ticks[0]) * 0.06
        self._y_range = (y_ticks[0] - margin, y_ticks[-1] + margin)
        if title:
            painter.setPen(TEXT_COLOUR)
            painter.drawText(
                QRectF(rect.left(), rect.top() + 2 * scale, rect.width(), line_height),
                Qt.AlignmentFlag.AlignCenter,
                title,
            )
        self._draw_axes(painter, metrics, x_ticks, y_ticks, y_labels, rect, scale)
        self._draw_series(painter, scale)
        self._draw_legend(painter, metrics, QPointF(legend_left, legend_top), legend_width, scale)

    def _draw_axes(self, painter, metrics, x_ticks, y_ticks, y_labels, rect, scale):
        plot, height = self._plot, metrics.height()
        painter.setPen(QPen(GRID_COLOUR, 1 * scale))
        for v in y_ticks:
            y = self._to_pixel(0, v).y()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        for t in x_ticks:
            x = self._to_pixel(t, 0).x()
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        painter.setPen(QPen(AXIS_COLOUR, 1 * scale))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        for v, label in zip(y_ticks, y_labels):
            y = self._to_pixel(0, v).y()
            painter.drawLine(QPointF(plot.left() - 4 * scale, y), QPointF(plot.left(), y))
            painter.drawText(
                QRectF(rect.left(), y - height / 2, plot.left() - rect.left() - 6 * scale, height),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        for t in x_ticks:
            x = self._to_pixel(t, 0).x()
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4 * scale))
            width = metrics.horizontalAdvance(str(t)) + 4
            painter.drawText(
                QRectF(x - width / 2, plot.bottom() + 5 * scale, width, height), Qt.AlignmentFlag.AlignCenter, str(t)
            )
        painter.setPen(TEXT_COLOUR)
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + 5 * scale + height, plot.width(), height),
            Qt.AlignmentFlag.AlignCenter,
            tr("Year"),
        )
        painter.save()  # the y axis title, turned a quarter anticlockwise, centred on the plot's height
        painter.translate(rect.left() + 2 * scale, plot.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-plot.height() / 2 - 40, 0, plot.height() + 80, height), Qt.AlignmentFlag.AlignCenter, self.quantity
        )
        painter.restore()

    def _draw_series(self, painter, scale):
        plot = self._plot
        painter.setPen(QPen(MISSING_COLOUR, 1.5 * scale))
        size = 4 * scale
        for t, v in zip(self.years, self.values):
            if not math.isfinite(v):  # a grey × on the axis: the year exists but has no value
                x = self._to_pixel(t, 0).x()
                y = plot.bottom() - size - 1 * scale
                painter.drawLine(QPointF(x - size, y - size), QPointF(x + size, y + size))
                painter.drawLine(QPointF(x - size, y + size), QPointF(x + size, y - size))
        path, drawing = QPainterPath(), False
        for t, v in zip(self.years, self.values):
            if not math.isfinite(v):
                drawing = False  # the line breaks at a missing year
            elif drawing:
                path.lineTo(self._to_pixel(t, v))
            else:
                path.moveTo(self._to_pixel(t, v))
                drawing = True
        painter.setPen(QPen(SERIES_COLOUR, 1.6 * scale))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(SERIES_COLOUR)
        for t, v in self._valid():
            painter.drawEllipse(self._to_pixel(t, v), 3 * scale, 3 * scale)
        line = [(t, v) for t, v in zip(self.years, self.line) if math.isfinite(v)]
        if len(line) >= 2:
            painter.setPen(QPen(LINE_COLOUR, 1.8 * scale, Qt.PenStyle.DashLine))
            painter.drawLine(self._to_pixel(*line[0]), self._to_pixel(*line[-1]))

    def _legend_entries(self):
        entries = [("dot", self.quantity)] if self._standalone else []
        if sum(math.isfinite(v) for v in self.line) >= 2:
            entries.append(("line", self.slope_text))
        missing = sum(not math.isfinite(v) for v in self.values)
        if missing:
            entries.append(("missing", tr("missing year") if missing == 1 else tr("{} missing years").format(missing)))
        return entries

    def _legend_rows(self, metrics, width, scale):
        """The legend entries flowed into rows that fit ``width``."""
        rows, row, used = [], [], 0.0
        for kind, text in self._legend_entries():
            size = 22 * scale + metrics.horizontalAdvance(text) + 12 * scale
            if row and used + size > width:
                rows.append(row)
                row, used = [], 0.0
            row.append((kind, text, size))
            used += size
        return rows + [row] if row else rows

    def _legend_height(self, metrics, width, scale):
        return len(self._legend_rows(metrics, width, scale)) * metrics.height()

    def _draw_legend(self, painter, metrics, origin, width, scale):
        height = metrics.height()
        for r, row in enumerate(self._legend_rows(metrics, width, scale)):
            x, y = origin.x(), origin.y() + r * height + height / 2
            for kind, text, size in row:
                if kind == "dot":
                    painter.setPen(QPen(SERIES_COLOUR, 1.6 * scale))
                    painter.drawLine(QPointF(x, y), QPointF(x + 18 * scale, y))
                    painter.setBrush(SERIES_COLOUR)
                    painter.drawEllipse(QPointF(x + 9 * scale, y), 3 * scale, 3 * scale)
                elif kind == "line":
                    painter.setPen(QPen(LINE_COLOUR, 1.8 * scale, Qt.PenStyle.DashLine))
                    painter.drawLine(QPointF(x, y), QPointF(x + 18 * scale, y))
                else:
                    painter.setPen(QPen(MISSING_COLOUR, 1.5 * scale))
                    s = 4 * scale
                    painter.drawLine(QPointF(x + 9 * scale - s, y - s), QPointF(x + 9 * scale + s, y + s))
                    painter.drawLine(QPointF(x + 9 * scale - s, y + s), QPointF(x + 9 * scale + s, y - s))
                painter.setPen(LINE_COLOUR if kind == "line" else TEXT_COLOUR)
                painter.drawText(
                    QRectF(x + 22 * scale, y - height / 2, size, height),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
                x += size
