"""mineland:fishnet — a square grid over a study area with the mining density of every cell (Han et al. 2025)."""

import math

from osgeo import osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsRectangle,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsWkbTypes,
)

from . import styling
from .base import MineLandAlgorithm
from .checks import fail
from .children import area_measurer, repaired_polygons, run_child
from .feature_tables import write_table
from .outputs import wants_output

MAX_CELLS = 2_000_000


class FishnetAlgorithm(MineLandAlgorithm):
    NAME = "fishnet"
    DISPLAY_NAME = "Fishnet with mining density"
    GROUP = "spatialstatistics"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource(
                "STUDY_AREA", "Study area", [QgsProcessing.TypeVectorPolygon], optional=True
            ),
            "Polygons of the study area (e.g. the provinces); cells not touching it are dropped. Give this or EXTENT.",
        )
        self.add(
            QgsProcessingParameterExtent("EXTENT", "Extent (when there is no study-area layer)", optional=True),
            "Extent to cover when STUDY_AREA is not given.",
        )
        self.add(
            QgsProcessingParameterNumber(
                "CELL_SIZE", "Cell size (m)", QgsProcessingParameterNumber.Double, 100000.0, minValue=1.0
            ),
            "Side of the square cells in metres (default 100 km, as Han et al. 2025).",
        )
        self.add(
            QgsProcessingParameterCrs("GRID_CRS", "Grid CRS (projected, metres)", optional=True),
            "CRS of the grid. Empty: the study area's CRS if projected in metres, else a Lambert azimuthal "
            "equal-area projection centred on the study area.",
            advanced=True,
        )
        self.add(
            QgsProcessingParameterBoolean("CLIP", "Clip cells to the study area", defaultValue=False),
            "Cut the edge cells to the study area's outline (their area and density then use the clipped area).",
        )
        self.add(
            QgsProcessingParameterFeatureSource(
                "MINES", "Mine polygons", [QgsProcessing.TypeVectorPolygon], optional=True
            ),
            "Mining patches whose area per cell gives the density; dissolved first so overlaps count once.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Fishnet", QgsProcessing.TypeVectorPolygon),
            "Cells with cell_id, row, col, cell_area_km2, mine_area_km2, density_pct.",
        )
        for key, label in (("CELLS", "Cells"), ("MINE_AREA_KM2", "Mine area in the cells (km2)")):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        area = (
            self.parameterAsSource(parameters, "STUDY_AREA", context)
            if wants_output(parameters, "STUDY_AREA")
            else None
        )
        extent, extent_crs = self._extent(parameters, context, area)
        size = self.parameterAsDouble(parameters, "CELL_SIZE", context)
        grid_crs = self._grid_crs(parameters, context, extent, extent_crs)
        grid_extent = aligned(
            QgsCoordinateTransform(extent_crs, grid_crs, context.transformContext()).transformBoundingBox(extent), size
        )
        count = round(grid_extent.width() / size) * round(grid_extent.height() / size)
        if count > MAX_CELLS:
            fail("CELL_SIZE", f"{size:g} m cells over this extent make {count:,} cells; choose larger cells")

        cells = run_child(
            "native:creategrid",
            {
                "TYPE": 2,
                "EXTENT": grid_extent,
                "HSPACING": size,
                "VSPACING": size,
                "HOVERLAY": 0,
                "VOVERLAY": 0,
                "CRS": grid_crs,
            },
            context,
            feedback,
        )
        if grid_crs.authid() == GLOBAL_EQUAL_AREA:
            cells = self._on_the_globe(cells, grid_crs, context, feedback)
        if area is not None:
            outline = run_child(
                "native:dissolve",
                {"INPUT": self._reprojected(parameters, "STUDY_AREA", grid_crs, context, feedback)},
                context,
                feedback,
            )
            clip = self.parameterAsBool(parameters, "CLIP", context)
            cells = (
                run_child(
                    "native:intersection",
                    {"INPUT": cells, "OVERLAY": outline, "OVERLAY_FIELDS_PREFIX": "mineland_area_"},
                    context,
                    feedback,
                )
                if clip
                else run_child(
                    "native:extractbylocation",
                    {"INPUT": cells, "PREDICATE": [0], "INTERSECT": outline},
                    context,
                    feedback,
                )
            )
        measurer = area_measurer(grid_crs, context)
        mine_km2 = self._mine_area_by_cell(parameters, cells, grid_crs, measurer, context, feedback)
        return self._write(parameters, context, cells, grid_extent, size, measurer, mine_km2)

    def _on_the_globe(self, cells, grid_crs, context, feedback):
        """Cells cut to the globe's outline in a global CRS: none outside it, edge cells their on-Earth part."""
        globe = QgsVectorLayer(f"Polygon?crs={grid_crs.authid()}", "globe", "memory")
        feature = QgsFeature()
        feature.setGeometry(world_outline(grid_crs, context))
        globe.dataProvider().addFeatures([feature])
        return run_child(
            "native:intersection",
            {"INPUT": cells, "OVERLAY": globe, "OVERLAY_FIELDS_PREFIX": "mineland_globe_"},
            context,
            feedback,
        )

    def _extent(self, parameters, context, area):
        if area is not None:
            if not area.sourceCrs().isValid():
                fail("STUDY_AREA", "the layer has no CRS; assign its CRS first")
            if area.featureCount() == 0:
                fail("STUDY_AREA", "the layer has no features; give a layer with the study-area polygons, or an EXTENT")
            return area.sourceExtent(), area.sourceCrs()
        if not wants_output(parameters, "EXTENT"):
            fail("STUDY_AREA", "give a study-area layer or an EXTENT")
        extent = self.parameterAsExtent(parameters, "EXTENT", context)
        crs = self.parameterAsExtentCrs(parameters, "EXTENT", context)
        if extent.isEmpty() or not crs.isValid():
            fail("EXTENT", "the extent is empty or has no CRS")
        return extent, crs

    def _grid_crs(self, parameters, context, extent, extent_crs):
        crs = self.parameterAsCrs(parameters, "GRID_CRS", context)
        if crs.isValid():
            if crs.isGeographic() or crs.mapUnits() != QgsUnitTypes.DistanceMeters:
                fail("GRID_CRS", f"{crs.authid() or crs.description()} is not a projected CRS in metres")
            return crs
        if (
            not extent_crs.isGeographic()
            and extent_crs.mapUnits() == QgsUnitTypes.DistanceMeters
            and area_distortion(extent_crs, extent, context) <= MAX_AREA_DISTORTION
        ):
            return extent_crs
        return equal_area_crs(extent, extent_crs, context)

    def _reprojected(self, parameters, name, crs, context, feedback):
        """The polygons of ``name`` in ``crs``, invalid ones repaired and empty ones dropped (with a warning)."""
        layer = run_child("native:reprojectlayer", {"INPUT": parameters[name], "TARGET_CRS": crs}, context, feedback)
        return repaired_polygons(layer, name, context, feedback)

    def _mine_area_by_cell(self, parameters, cells, grid_crs, measurer, context, feedback):
        """{cell id: ellipsoidal km² of the dissolved mines inside the cell}."""
        if not wants_output(parameters, "MINES"):
            return {}
        mines = self._reprojected(parameters, "MINES", grid_crs, context, feedback)
        if mines.featureCount() == 0:
            feedback.pushWarning("MINES: the layer has no polygon; every density is 0")
            return {}
        mines = run_child("native:dissolve", {"INPUT": mines}, context, feedback)
        pieces = run_child(
            "native:intersection",
            {"INPUT": mines, "OVERLAY": cells, "OVERLAY_FIELDS": ["id"], "OVERLAY_FIELDS_PREFIX": "mineland_cell_"},
            context,
            feedback,
        )
        areas = {}
        for piece in pieces.getFeatures():
            key = int(piece["mineland_cell_id"])
            areas[key] = areas.get(key, 0.0) + measured_km2(measurer, piece.geometry())
        return areas

    def _write(self, parameters, context, cells, grid_extent, size, measurer, mine_km2):
        columns = [
            ("cell_id", int),
            ("row", int),
            ("col", int),
            ("cell_area_km2", float),
            ("mine_area_km2", float),
            ("density_pct", float),
        ]
        rows, geometries = [], []
        for cell in sorted(cells.getFeatures(), key=lambda f: int(f["id"])):
            cell_id = int(cell["id"])
            row = round((grid_extent.yMaximum() - float(cell["top"])) / size)
            col = round((float(cell["left"]) - grid_extent.xMinimum()) / size)
            cell_km2 = measured_km2(measurer, cell.geometry())
            if not cell_km2 > 0:  # a cell touching the study area or the globe's edge along a line only
                continue
            mine = mine_km2.get(cell_id, 0.0)
            rows.append([cell_id, row, col, cell_km2, mine, mine / cell_km2 * 100.0 if cell_km2 else None])
            geometry = cell.geometry()
            geometry.convertToMultiType()
            geometries.append(geometry)
        dest_id = write_table(
            self, parameters, "OUTPUT", context, columns, rows, geometries, QgsWkbTypes.MultiPolygon, cells.crs()
        )
        styling.style_on_load(context, dest_id, "density_pct")
        return {"OUTPUT": dest_id, "CELLS": len(rows), "MINE_AREA_KM2": float(sum(r[4] for r in rows))}


#: Longest edge measured as it is: QgsDistanceArea takes the vertices to the ellipsoid, not the edges between.
MEASURED_EDGE_M = 50000.0


def measured_km2(measurer, geometry):
    """Ellipsoidal area (km²) of a polygon whose edges are straight in the grid CRS: long edges densified first,
    so a 1,000 km cell of an equal-area grid measures CELL_SIZE² (within 0.01 %), not its corners' polygon."""
    return measurer.measureArea(geometry.densifyByDistance(MEASURED_EDGE_M)) / 1e6


def aligned(extent, size):
    """The extent grown to multiples of ``size``."""
    return QgsRectangle(
        math.floor(extent.xMinimum() / size) * size,
        math.floor(extent.yMinimum() / size) * size,
        math.ceil(extent.xMaximum() / size) * size,
        math.ceil(extent.yMaximum() / size) * size,
    )


#: Most relative area distortion over the extent for which a projected CRS is kept as it is.
MAX_AREA_DISTORTION = 0.01


def area_distortion(crs, extent, context, samples=5):
    """Largest |ellipsoidal area / planar area − 1| of small squares at ``samples`` × ``samples`` points of ``extent``.

    The area scale factor of the projection at those points (1 for an equal-area CRS,
    sec² φ for Mercator, k² for UTM), measured with :func:`common.area_measurer`;
    1.0 (100 %) where a square cannot be measured (outside the projection's domain).
    """
    measurer = area_measurer(crs, context)
    side = max(extent.width(), extent.height()) * 1e-3 or 1.0
    worst = 0.0
    for i in range(samples):
        for j in range(samples):
            x = extent.xMinimum() + extent.width() * (i + 0.5) / samples
            y = extent.yMinimum() + extent.height() * (j + 0.5) / samples
            square = QgsGeometry.fromRect(QgsRectangle(x - side / 2, y - side / 2, x + side / 2, y + side / 2))
            try:
                true_area = measurer.measureArea(square)
            except QgsCsException:
                true_area = 0.0
            ratio = true_area / (side * side) if math.isfinite(true_area) and true_area > 0 else 0.0
            worst = max(worst, abs(ratio - 1.0))
    return worst


def is_global(extent, crs, context):
    """True when the extent spans at least half the globe's longitudes or latitudes (no azimuthal CRS fits it)."""
    try:
        box = QgsCoordinateTransform(
            crs, QgsCoordinateReferenceSystem("EPSG:4326"), context.transformContext()
        ).transformBoundingBox(extent)
    except QgsCsException:
        return True
    return box.width() >= 180.0 or box.height() >= 90.0


def equal_area_crs(extent, crs, context):
    """An equal-area CRS for ``extent``: Lambert azimuthal equal-area on WGS 84 centred on it, named, or
    for a global extent Equal Earth (EPSG:8857)."""
    if is_global(extent, crs, context):
        return QgsCoordinateReferenceSystem(GLOBAL_EQUAL_AREA)
    to_wgs84 = QgsCoordinateTransform(crs, QgsCoordinateReferenceSystem("EPSG:4326"), context.transformContext())
    centre = to_wgs84.transform(QgsPointXY(extent.center()))
    lat, lon = round(centre.y(), 6), round(centre.x(), 6)
    srs = osr.SpatialReference()
    srs.SetProjCS(
        f"Lambert azimuthal equal-area {abs(lat):g}{'N' if lat >= 0 else 'S'} "
        f"{abs(lon):g}{'E' if lon >= 0 else 'W'} (WGS 84)"
    )
    srs.SetWellKnownGeogCS("WGS84")
    srs.SetLAEA(lat, lon, 0.0, 0.0)
    return QgsCoordinateReferenceSystem.fromWkt(srs.ExportToWkt())


#: The grid CRS of a global extent: Equal Earth, equal-area on WGS 84 over the whole globe.
GLOBAL_EQUAL_AREA = "EPSG:8857"


def world_outline(crs, context, step=1.0):
    """The globe's outline (longitude ±180°, latitude ±90°, every ``step`` degrees) as a polygon in ``crs``."""
    lons = [-180.0 + step * i for i in range(int(360 / step) + 1)]
    lats = [-90.0 + step * i for i in range(int(180 / step) + 1)]
    ring = (
        [QgsPointXY(lon, -90.0) for lon in lons]
        + [QgsPointXY(180.0, lat) for lat in lats[1:]]
        + [QgsPointXY(lon, 90.0) for lon in reversed(lons[:-1])]
        + [QgsPointXY(-180.0, lat) for lat in reversed(lats[:-1])]
    )
    outline = QgsGeometry.fromPolygonXY([ring])
    outline.transform(
        QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), crs, context.transformContext())
    )
    return outline
