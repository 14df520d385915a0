"""A map tool that reports the clicked point in the CRS of a raster stack."""

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsCsException, QgsPointXY, QgsProject
from qgis.gui import QgsMapTool
from qgis.PyQt.QtCore import Qt, pyqtSignal


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
            point = self._transform(map_point, QgsCoordinateTransform.ForwardTransform)
        except QgsCsException as err:
            self.failed.emit(f"the point ({map_point.x():.6g}, {map_point.y():.6g}) of the map cannot be "
                             f"transformed to {self.target_crs.authid() or self.target_crs.description()}: {err}")
            return
        self.picked.emit(point)

    def to_canvas(self, point):
        """``point`` from the target CRS to the canvas CRS (QgsCsException when it cannot be)."""
        return self._transform(QgsPointXY(point), QgsCoordinateTransform.ReverseTransform)

    def _transform(self, point, direction):
        canvas_crs = self.canvas().mapSettings().destinationCrs()
        if not self.target_crs.isValid() or self.target_crs == canvas_crs:
            return QgsPointXY(point)
        transform = QgsCoordinateTransform(canvas_crs, self.target_crs, QgsProject.instance())
        return QgsPointXY(transform.transform(point, direction))
