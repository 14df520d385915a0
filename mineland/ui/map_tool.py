"""A map tool that reports the clicked point in the CRS of a raster stack."""

from qgis.core import (
    Qgis,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsPointXY,
    QgsProject,
)
from qgis.gui import QgsMapTool
from qgis.PyQt.QtCore import Qt, pyqtSignal

from . import tr


class PixelPickTool(QgsMapTool):
    """Left click on the map → :attr:`picked` with the point in the target CRS.

    The target CRS is the stack's (:meth:`set_target_crs`); without one the
    canvas CRS is used. A point that cannot be transformed emits :attr:`failed`.
    """

    picked = pyqtSignal(QgsPointXY)
    failed = pyqtSignal(str)

    def __init__(self, canvas):
        super().__init__(canvas)
        self.target_crs = QgsCoordinateReferenceSystem()
        self.setCursor(Qt.CursorShape.CrossCursor)

    def set_target_crs(self, crs):
        self.target_crs = QgsCoordinateReferenceSystem(crs)

    def canvasReleaseEvent(self, event):  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self.pick(event.mapPoint())

    def pick(self, map_point):
        """Emit :attr:`picked` for ``map_point`` given in the canvas CRS."""
        map_point = QgsPointXY(map_point)
        try:
            point = self._transform(map_point, Qgis.TransformDirection.Forward)
        except QgsCsException as err:
            self.failed.emit(
                tr("the point ({x}, {y}) of the map cannot be transformed to {crs}: {error}").format(
                    x=f"{map_point.x():.6g}",
                    y=f"{map_point.y():.6g}",
                    crs=self.target_crs.authid() or self.target_crs.description(),
                    error=err,
                )
            )
            return
        self.picked.emit(point)

    def to_canvas(self, point):
        """``point`` from the target CRS to the canvas CRS (QgsCsException when it cannot be)."""
        return self._transform(QgsPointXY(point), Qgis.TransformDirection.Reverse)

    def _transform(self, point, direction):
        canvas_crs = self.canvas().mapSettings().destinationCrs()
        if not self.target_crs.isValid() or self.target_crs == canvas_crs:
            return QgsPointXY(point)
        transform = QgsCoordinateTransform(canvas_crs, self.target_crs, QgsProject.instance())
        return QgsPointXY(transform.transform(point, direction))
