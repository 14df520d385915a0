"""A small QPainter chart of one time series with its Sen's slope line."""

import math

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen
from qgis.PyQt.QtWidgets import QSizePolicy, QWidget

SERIES_COLOUR = QColor(31, 119, 180)
LINE_COLOUR = QColor(214, 39, 40)
AXIS_COLOUR = QColor(110, 110, 110)
MISSING_COLOUR = QColor(150, 150, 150)


def _number(value):
    return f"{value:.4g}"


class SeriesChart(QWidget):
    """Values per year as dots joined by a line (gaps left open), missing years as grey ticks
    on the axis, and a dashed red Sen's slope line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("MineLandSeriesChart")
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.years, self.values, self.line = [], [], []
        self.message = "Pick a pixel on the map"

    def set_series(self, years, values, line=None):
        """Show ``values`` (NaN = missing) at ``years``; ``line``: the Sen's slope line at the same years."""
        self.years = [float(y) for y in years]
        self.values = [float(v) for v in values]
        self.line = [float(v) for v in line] if line is not None else []
        self.update()

    def clear(self, message="Pick a pixel on the map"):
        self.years, self.values, self.line = [], [], []
        self.message = message
        self.update()

    def paintEvent(self, event):  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(Qt.GlobalColor.white))
        valid = [(t, v) for t, v in zip(self.years, self.values) if math.isfinite(v)]
        if not valid:
            painter.setPen(AXIS_COLOUR)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             self.message if not self.years else "No valid value")
            painter.end()
            return
        metrics = QFontMetrics(self.font())
        ys = [v for _, v in valid] + [v for v in self.line if math.isfinite(v)]
        low, high = min(ys), max(ys)
        pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
        low, high = low - pad, high + pad
        first, last = self.years[0], self.years[-1]
        if last == first:
            first, last = first - 1, last + 1
        left = max(metrics.horizontalAdvance(_number(v)) for v in (low, high)) + 8
        plot = QRectF(left, 6, self.width() - left - 10, self.height() - metrics.height() - 14)

        def at(t, v):
            return QPointF(plot.left() + (t - first) / (last - first) * plot.width(),
                           plot.bottom() - (v - low) / (high - low) * plot.height())

        painter.setPen(QPen(AXIS_COLOUR, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        for v in (low, high):
            y = at(first, v).y()
            painter.drawText(QRectF(0, y - metrics.height() / 2, left - 4, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _number(v))
        for t in sorted({first, last, self.years[len(self.years) // 2]}):
            x = at(t, low).x()
            painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            width = metrics.horizontalAdvance(f"{t:g}")
            painter.drawText(QRectF(min(max(0, x - width / 2), self.width() - width), plot.bottom() + 4, width,
                                    metrics.height()), Qt.AlignmentFlag.AlignCenter, f"{t:g}")

        painter.setPen(QPen(MISSING_COLOUR, 2))
        for t, v in zip(self.years, self.values):
            if not math.isfinite(v):
                x = at(t, low).x()
                painter.drawLine(QPointF(x, plot.bottom() - 5), QPointF(x, plot.bottom()))

        path, drawing = QPainterPath(), False
        for t, v in zip(self.years, self.values):
            if not math.isfinite(v):
                drawing = False
            elif drawing:
                path.lineTo(at(t, v))
            else:
                path.moveTo(at(t, v))
                drawing = True
        painter.setPen(QPen(SERIES_COLOUR, 1.5))
        painter.drawPath(path)
        painter.setBrush(SERIES_COLOUR)
        for t, v in valid:
            painter.drawEllipse(at(t, v), 2.5, 2.5)

        line = [(t, v) for t, v in zip(self.years, self.line) if math.isfinite(v)]
        if len(line) >= 2:
            painter.setPen(QPen(LINE_COLOUR, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(at(*line[0]), at(*line[-1]))
            key = QPointF(plot.left() + 8, plot.top() + metrics.height() / 2 + 2)
            painter.drawLine(key, key + QPointF(18, 0))
            painter.setPen(LINE_COLOUR)
            painter.drawText(key + QPointF(22, metrics.ascent() / 2 - 1), "Sen's slope")
        painter.end()
