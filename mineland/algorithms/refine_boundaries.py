"""mineland:refineboundaries — merge two mine-polygon datasets and erase stable vegetation at their edges (Xu et al. 2025)."""

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
    QgsRectangle,
    QgsSpatialIndex,
    QgsUnitTypes,
)

from ..core.io import raster_io
from ..core.landcover import reclass
from ..core.render import report
from ..core.render.reports import mines as reports
from .base import MineLandAlgorithm
from .checks import fail, monitor
from .children import area_measurer, repaired_polygons, run_child
from .feature_tables import write_table
from .fishnet import equal_area_crs
from .outputs import wants_output
from .rasters import RasterInput, check_grids, class_codes, pixel_areas, raster_path

STEP_COLUMNS = [("step", str), ("polygons", int), ("area_km2", float)]


def preset_vegetation_codes():
    """GLC_FCS30D codes that the GLC_FCS30D preset maps to cropland, sparse or dense vegetation."""
    codes = []
    for rule in reclass.GLC_FCS30D_TO_SEED001:
        if rule.value in (2, 3, 4):
            codes += list(range(int(rule.low), int(rule.high) + 1))
    return sorted(set(codes))


class RefineBoundariesAlgorithm(MineLandAlgorithm):
    NAME = "refineboundaries"
    DISPLAY_NAME = "Refine mine boundaries"
    GROUP = "mines"

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        self.add(
            QgsProcessingParameterFeatureSource("INPUT_A", "Mine polygons A", [QgsProcessing.TypeVectorPolygon]),
            "First mine dataset (e.g. Maus et al. 2022), any CRS.",
        )
        self.add(
            QgsProcessingParameterFeatureSource("INPUT_B", "Mine polygons B", [QgsProcessing.TypeVectorPolygon]),
            "Second mine dataset (e.g. Tang & Werner 2023), any CRS.",
        )
        self.add(
            QgsProcessingParameterRasterLayer("BREAKS", "Change breaks per pixel"),
            "Number of change breaks over the period (e.g. from CCDC); 0 = stable.",
        )
        self.add(
            QgsProcessingParameterRasterLayer("LANDCOVER", "Current land cover"),
            "Land-cover codes of the current year, on the BREAKS grid.",
        )
        self.add(
            QgsProcessingParameterString(
                "VEGETATED_CLASSES", "Vegetated class codes", ", ".join(map(str, preset_vegetation_codes()))
            ),
            "Comma-separated LANDCOVER codes counted as vegetation (default: GLC_FCS30D cropland and vegetation).",
        )
        self.add(
            QgsProcessingParameterNumber(
                "SIMPLIFY_DISTANCE",
                "Simplification distance (m)",
                QgsProcessingParameterNumber.Double,
                100.0,
                minValue=0.0,
            ),
            "Douglas-Peucker tolerance in metres (default 100 m, as Xu et al. 2025); 0 = no simplification.",
        )
        self.add(
            QgsProcessingParameterFeatureSink("OUTPUT", "Refined mines", QgsProcessing.TypeVectorPolygon),
            "Refined mine polygons with id, area_km2 and source (A, B or both).",
        )
        self.add(
            QgsProcessingParameterFeatureSink(
                "OUTPUT_STEPS", "Step report", QgsProcessing.TypeVector, optional=True, createByDefault=True
            ),
            "Polygon count and total area (km2) after each step.",
        )
        self.add_report("The step report as a self-contained page.")
        for key, label in (("POLYGONS", "Refined polygons"), ("AREA_KM2", "Refined area (km2)")):
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def compute(self, parameters, context, feedback):
        breaks = RasterInput("BREAKS", raster_path(self, parameters, "BREAKS", context))
        cover = RasterInput("LANDCOVER", raster_path(self, parameters, "LANDCOVER", context))
        check_grids([breaks, cover])
        vegetated = class_codes(self, parameters, "VEGETATED_CLASSES", context)
        work_crs = working_crs(breaks.grid, context)
        measurer = area_measurer(work_crs, context)
        steps = []

        def record(name, layer):
            areas = [measurer.measureArea(f.geometry()) / 1e6 for f in layer.getFeatures()]
            steps.append((name, len(areas), float(np.sum(areas)) if areas else 0.0))

        sources = [
            repaired_polygons(
                run_child(
                    "native:reprojectlayer", {"INPUT": parameters[key], "TARGET_CRS": work_crs}, context, feedback
                ),
                key,
                context,
                feedback,
            )
            for key in ("INPUT_A", "INPUT_B")
        ]
        if not any(layer.featureCount() for layer in sources):
            fail(
                "INPUT_A",
                "neither INPUT_A nor INPUT_B has a polygon (empty layers?); give at least one mine dataset "
                "with polygons",
            )
        record("A", sources[0])
        record("B", sources[1])
        merged = run_child("native:mergevectorlayers", {"LAYERS": sources, "CRS": work_crs}, context, feedback)
        union = run_child(
            "native:multiparttosingleparts",
            {"INPUT": run_child("native:dissolve", {"INPUT": merged}, context, feedback)},
            context,
            feedback,
        )
        record("1 union of A and B, overlaps dissolved", union)

        green = self._stable_green(breaks, cover, vegetated, work_crs, context, feedback)
        outline = run_child("native:boundary", {"INPUT": union}, context, feedback)
        edge_green = run_child(
            "native:extractbylocation", {"INPUT": green, "PREDICATE": [0], "INTERSECT": outline}, context, feedback
        )
        record("2 stable-green polygons touching a boundary", edge_green)
        erased = run_child("native:difference", {"INPUT": union, "OVERLAY": edge_green}, context, feedback)
        erased = run_child("native:multiparttosingleparts", {"INPUT": erased}, context, feedback)
        # the polygons' edges rarely fall exactly on pixel edges: drop slivers smaller than a pixel
        pixel_m2 = sliver_area(breaks, work_crs)
        erased = run_child(
            "native:extractbyexpression",
            {"INPUT": erased, "EXPRESSION": f"area($geometry) >= {pixel_m2!r}"},
            context,
            feedback,
        )
        record("3 after erasing them", erased)
        distance = self.parameterAsDouble(parameters, "SIMPLIFY_DISTANCE", context)
        refined = (
            run_child(
                "native:simplifygeometries", {"INPUT": erased, "METHOD": 0, "TOLERANCE": distance}, context, feedback
            )
            if distance > 0
            else erased
        )
        record(f"4 simplified ({distance:g} m)", refined)

        results = {
            "OUTPUT": self._write(parameters, context, refined, sources, measurer),
            "POLYGONS": steps[-1][1],
            "AREA_KM2": steps[-1][2],
        }
        if wants_output(parameters, "OUTPUT_STEPS"):
            results["OUTPUT_STEPS"] = write_table(self, parameters, "OUTPUT_STEPS", context, STEP_COLUMNS, steps)
        if wants_output(parameters, "OUTPUT_HTML"):
            path = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
            report.save(path, reports.refinement_page(steps))
            results["OUTPUT_HTML"] = path
        return results

    def _stable_green(self, breaks, cover, vegetated, work_crs, context, feedback):
        """Polygons of BREAKS = 0 and vegetated LANDCOVER, in the working CRS."""
        mask_path = QgsProcessingUtils.generateTempFilename("stable_green.tif")
        codes = np.array(sorted(vegetated))
        with raster_io.BlockWriter(mask_path, breaks.grid, raster_io.BYTE, 0) as writer:
            for yoff, _, (count, classes) in raster_io.iter_blocks(
                [breaks.band, cover.band], breaks.grid, monitor(feedback, 0.0, 0.3)
            ):
                stable = raster_io.valid_mask(count, breaks.nodata) & (count == 0)
                green = raster_io.valid_mask(classes, cover.nodata) & np.isin(classes, codes)
                writer.write(yoff, (stable & green).astype(np.uint8))
        polygons = run_child(
            "gdal:polygonize",
            {"INPUT": mask_path, "BAND": 1, "FIELD": "DN", "EIGHT_CONNECTEDNESS": False},
            context,
            feedback,
        )
        return run_child("native:reprojectlayer", {"INPUT": polygons, "TARGET_CRS": work_crs}, context, feedback)

    def _write(self, parameters, context, refined, sources, measurer):
        indexes = [
            (QgsSpatialIndex(layer.getFeatures()), {f.id(): f.geometry() for f in layer.getFeatures()})
            for layer in sources
        ]
        rows, geometries = [], []
        for number, polygon in enumerate(refined.getFeatures(), start=1):
            geometry = polygon.geometry()
            inside = [
                any(geoms[i].intersects(geometry) for i in index.intersects(geometry.boundingBox()))
                for index, geoms in indexes
            ]
            rows.append(
                [number, measurer.measureArea(geometry) / 1e6, "both" if all(inside) else "A" if inside[0] else "B"]
            )
            geometries.append(geometry)
        return write_table(
            self,
            parameters,
            "OUTPUT",
            context,
            [("id", int), ("area_km2", float), ("source", str)],
            rows,
            geometries,
            refined.wkbType(),
            refined.crs(),
        )


def sliver_area(raster, work_crs):
    """A pixel's area in the work CRS, compared with the planar area($geometry) of the pieces there.

    In the rasters' own CRS, the planar area of a pixel, |a·e − b·d| (m²); in the equal-area
    work CRS (geographic rasters, or not in metres), the smallest pixel's area on the ellipsoid
    (m², never degrees²), so a piece the size of any one pixel is kept.
    """
    crs = QgsCoordinateReferenceSystem()
    crs.createFromWkt(raster.grid.crs_wkt)
    if crs == work_crs:
        gt = raster.grid.geotransform
        return abs(gt[1] * gt[5] - gt[2] * gt[4])
    return pixel_areas([raster]).smallest()


def working_crs(grid, context):
    """The rasters' CRS when projected in metres, else an equal-area CRS centred on them."""
    crs = QgsCoordinateReferenceSystem()
    crs.createFromWkt(grid.crs_wkt)
    if not crs.isGeographic() and crs.mapUnits() == QgsUnitTypes.DistanceMeters:
        return crs
    gt = grid.geotransform
    extent = QgsRectangle(gt[0], gt[3] + gt[5] * grid.ysize, gt[0] + gt[1] * grid.xsize, gt[3])
    return equal_area_crs(extent, crs, context)
