"""Areas on the ellipsoid in every CRS (issue 19): pixel, class and cell areas against geodesic polygon areas.

The reference is GeographicLib's geodesic polygon area (Karney 2013) on the CRS's own ellipsoid, of
the region's outline densified in pixel coordinates and taken to longitude/latitude by GDAL/PROJ:
independent of MineLand's per-row zone formula and its area-density lattice. Every area must be
within 0.1 % of it, in a geographic CRS, Web Mercator, UTM at the zone edge, a Lambert conformal
conic and the Antarctic polar stereographic.
"""

import csv

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from osgeo import osr

from mineland.core.io import raster_io
from mineland.core.landcover import crosstab
from rasters import write_raster

TOLERANCE = 1e-3  # the 0.1 %

#: (EPSG, top-left origin, pixel size): small grids somewhere the CRS distorts areas.
GRIDS = {
    "geographic": (4326, (30.0, 61.0), (0.05, 0.05)),
    "web mercator 40N": (3857, (2.0e6, 4.93e6), (1000.0, 1000.0)),
    "utm zone edge": (32637, (160000.0, 7.0e6), (1000.0, 1000.0)),  # 3.5° west of 39°E at ~63°N
    "lambert conformal conic": (2154, (700000.0, 7.05e6), (1000.0, 1000.0)),  # RGF93 / Lambert-93, GRS 80
    "polar stereographic": (3031, (-1.5e6, 1.0e6), (5000.0, 5000.0)),
}
ROWS, COLS = 30, 40


def srs_of(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def grid_of(name, rows=ROWS, cols=COLS):
    epsg, (x0, y0), (dx, dy) = GRIDS[name]
    return raster_io.Grid(cols, rows, (x0, dx, 0.0, y0, 0.0, -dy), srs_of(epsg).ExportToWkt())


def geodesic_area_m2(grid, r0, r1, c0, c1, per_edge=100):
    """Geodesic area of the pixel rectangle rows r0..r1, cols c0..c1 (edges), on the grid CRS's ellipsoid."""
    srs = osr.SpatialReference(wkt=grid.crs_wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    geog = srs.CloneGeogCS()
    geog.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
    cols = np.concatenate([c0 + (c1 - c0) * t, np.full(per_edge, c1), c1 - (c1 - c0) * t, np.full(per_edge, c0)])
    rows = np.concatenate([np.full(per_edge, r0), r0 + (r1 - r0) * t, np.full(per_edge, r1), r1 - (r1 - r0) * t])
    gt = grid.geotransform
    xs, ys = gt[0] + gt[1] * cols + gt[2] * rows, gt[3] + gt[4] * cols + gt[5] * rows
    if srs.IsGeographic():
        lonlat = np.column_stack([xs, ys])
    else:
        lonlat = np.array(osr.CoordinateTransformation(srs, geog).TransformPoints(np.column_stack([xs, ys])))
    a, inv_f = geog.GetSemiMajor(), geog.GetInvFlattening()
    polygon = Geodesic(a, 1.0 / inv_f if inv_f else 0.0).Polygon()
    for lon, lat in lonlat[:, :2]:
        polygon.AddPoint(lat, lon)
    return abs(polygon.Compute(False, True)[2])


# ------------------------------------------------------------------ core: every pixel, every sum


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_pixel_areas_are_geodesic_in_every_crs(name):
    grid = grid_of(name)
    areas = raster_io.pixel_areas_m2(grid)
    per_pixel = np.vstack([np.broadcast_to(areas.block(y, 1), (1, grid.xsize)) for y in range(grid.ysize)])
    rng = np.random.default_rng(7)
    for r, c in zip(rng.integers(0, grid.ysize, 12), rng.integers(0, grid.xsize, 12)):
        assert per_pixel[r, c] == pytest.approx(geodesic_area_m2(grid, r, r + 1, c, c + 1), rel=TOLERANCE)
        assert areas.at(np.array([r]), np.array([c]))[0] == per_pixel[r, c]
    whole = (
        sum(areas.flat(y, 7).sum() for y in range(0, grid.ysize, 7) if y + 7 <= grid.ysize)
        + areas.flat(grid.ysize - grid.ysize % 7, grid.ysize % 7).sum()
    )
    assert whole == pytest.approx(per_pixel.sum(), rel=1e-12)
    assert whole == pytest.approx(geodesic_area_m2(grid, 0, grid.ysize, 0, grid.xsize), rel=TOLERANCE)


def test_web_mercator_pixels_are_not_their_map_area():
    # at 40°N a 1 km × 1 km Web Mercator pixel is ~0.59 km² on the ground (cos² φ), not 1 km²
    grid = grid_of("web mercator 40N")
    area = raster_io.pixel_areas_m2(grid).block(15, 1)[0, 0]
    assert 0.55e6 < area < 0.62e6


@pytest.mark.parametrize("name", ["lambert conformal conic", "polar stereographic", "web mercator 40N"])
def test_counts_weighted_per_row_or_tile_equal_per_pixel_weights(name):
    # the transfer matrix weighs per row / per area tile, not per pixel: same sums as per-pixel weights
    grid = grid_of(name, rows=300, cols=260)
    areas = raster_io.pixel_areas_m2(grid)
    rng = np.random.default_rng(3)
    a = rng.integers(1, 6, (grid.ysize, grid.xsize)).astype(np.uint8)
    b = rng.integers(1, 4, (grid.ysize, grid.xsize)).astype(np.uint8)
    for yoff, nrows in raster_io.iter_windows(grid.ysize, 128):
        fast = crosstab._pair_bincount_by_area(a[yoff : yoff + nrows], b[yoff : yoff + nrows], yoff, areas)
        slow = crosstab._pair_bincount(a[yoff : yoff + nrows], b[yoff : yoff + nrows], areas.flat(yoff, nrows))
        for got, want in zip(fast, slow):
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_equal_area_grid_has_one_pixel_area():
    srs = srs_of(6933)  # EASE-Grid 2.0 global, cylindrical equal-area
    grid = raster_io.Grid(50, 40, (1.0e6, 1000.0, 0.0, 5.0e6, 0.0, -1000.0), srs.ExportToWkt())
    areas = raster_io.pixel_areas_m2(grid)
    assert areas.smallest() == pytest.approx(1.0e6, rel=1e-6)
    assert geodesic_area_m2(grid, 3, 4, 5, 6) == pytest.approx(1.0e6, rel=TOLERANCE)


# ------------------------------------------------------------------ processing.run: transfer matrix, carbon


def class_pair(tmp_path, name):
    """Start: class 1 in cols < 15, 2 elsewhere; end: class 3 in rows < 10, the start class elsewhere."""
    epsg, origin, pixel = GRIDS[name]
    start = np.where(np.arange(COLS)[None, :] < 15, 1, 2).repeat(ROWS, axis=0).astype(np.uint8)
    end = np.where(np.arange(ROWS)[:, None] < 10, 3, start).astype(np.uint8)
    args = {"epsg": epsg, "origin": origin, "pixel": pixel, "nodata": 0}
    return write_raster(tmp_path / "start.tif", start, **args), write_raster(tmp_path / "end.tif", end, **args)


def expected_pairs(grid):
    return {
        (1, 3): geodesic_area_m2(grid, 0, 10, 0, 15),
        (2, 3): geodesic_area_m2(grid, 0, 10, 15, COLS),
        (1, 1): geodesic_area_m2(grid, 10, ROWS, 0, 15),
        (2, 2): geodesic_area_m2(grid, 10, ROWS, 15, COLS),
    }


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_transfermatrix_areas_are_geodesic(run, tmp_path, name):
    start, end = class_pair(tmp_path, name)
    result = run(
        "mineland:transfermatrix", {"INPUT_START": start, "INPUT_END": end, "OUTPUT": str(tmp_path / "pairs.csv")}
    )
    grid = grid_of(name)
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        rows = {(int(r["from_class"]), int(r["to_class"])): float(r["area_km2"]) for r in csv.DictReader(handle)}
    expected = expected_pairs(grid)
    assert set(rows) == set(expected)
    for pair, m2 in expected.items():
        assert rows[pair] == pytest.approx(m2 / 1e6, rel=TOLERANCE), pair
    assert result["TOTAL_KM2"] == pytest.approx(geodesic_area_m2(grid, 0, ROWS, 0, COLS) / 1e6, rel=TOLERANCE)
    assert result["CHANGED_KM2"] == pytest.approx((expected[(1, 3)] + expected[(2, 3)]) / 1e6, rel=TOLERANCE)


@pytest.mark.parametrize("name", ["geographic", "web mercator 40N", "polar stereographic"])
def test_carbonstock_uses_geodesic_areas(run, tmp_path, name):
    start, end = class_pair(tmp_path, name)
    table = tmp_path / "carbon.csv"
    table.write_text("lucode,c_above,c_below,c_soil,c_dead\n1,100,0,0,0\n2,10,0,0,0\n3,0,0,0,0\n", encoding="utf-8")
    result = run(
        "mineland:carbonstock",
        {
            "INPUTS": [start, end],
            "YEARS": "2000,2010",
            "CARBON_TABLE": str(table),
            "OUTPUT": str(tmp_path / "stock.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "change.csv"),
        },
    )
    grid = grid_of(name)
    e = expected_pairs(grid)
    class1_ha, class2_ha = (e[(1, 3)] + e[(1, 1)]) / 1e4, (e[(2, 3)] + e[(2, 2)]) / 1e4
    assert result["CARBON_FIRST_MT"] == pytest.approx((100 * class1_ha + 10 * class2_ha) / 1e6, rel=TOLERANCE)
    assert result["CARBON_LAST_MT"] == pytest.approx((100 * e[(1, 1)] + 10 * e[(2, 2)]) / 1e4 / 1e6, rel=TOLERANCE)


# ------------------------------------------------------------------ refineboundaries: sliver threshold in m²


def test_refineboundaries_sliver_threshold_is_a_pixel_in_m2_on_a_geographic_grid(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    pixel, left, top = 0.001, 30.0, 61.0  # geographic rasters: the pixel is ~54 m × 111 m, 6,000 m²

    def rect(c0, r0, c1, r1):
        return QgsGeometry.fromRect(
            QgsRectangle(left + c0 * pixel, top - r1 * pixel, left + c1 * pixel, top - r0 * pixel)
        )

    layers = []
    for c0, r0 in ((2.6, 2), (2.4, 8)):  # left pieces 0.4 and 0.6 pixel wide, 2 rows tall: 0.8 and 1.2 pixels
        layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "mines", "memory")
        feature = QgsFeature(layer.fields())
        feature.setGeometry(rect(c0, r0, 12, r0 + 2))
        layer.dataProvider().addFeatures([feature])
        layers.append(layer)
    breaks = np.ones((16, 16), dtype=np.uint8)
    cover = np.full((16, 16), 200, dtype=np.uint8)
    breaks[:, 3:5] = 0  # a stable-green strip across both mines (cols 3–4): erased, it cuts each in two
    cover[:, 3:5] = 62
    args = {"epsg": 4326, "origin": (left, top), "pixel": (pixel, pixel)}
    paths = [write_raster(tmp_path / "breaks.tif", breaks, **args), write_raster(tmp_path / "cover.tif", cover, **args)]
    result = run(
        "mineland:refineboundaries",
        {
            "INPUT_A": layers[0],
            "INPUT_B": layers[1],
            "BREAKS": paths[0],
            "LANDCOVER": paths[1],
            "SIMPLIFY_DISTANCE": 0,
            "OUTPUT": str(tmp_path / "mines.gpkg"),
            "OUTPUT_STEPS": str(tmp_path / "steps.csv"),
        },
    )
    # the 0.8-pixel piece is a sliver (dropped), the 1.2-pixel piece and both right parts stay
    assert result["POLYGONS"] == 3
    grid = raster_io.Grid(16, 16, (left, pixel, 0.0, top, 0.0, -pixel), srs_of(4326).ExportToWkt())
    kept = (
        geodesic_area_m2(grid, 8, 10, 2.4, 3)
        + geodesic_area_m2(grid, 2, 4, 5, 12)
        + geodesic_area_m2(grid, 8, 10, 5, 12)
    )
    assert result["AREA_KM2"] == pytest.approx(kept / 1e6, rel=5e-3)


# ------------------------------------------------------------------ fishnet: CELL_SIZE metres on the ground


def test_fishnet_on_a_web_mercator_extent_has_cells_of_cell_size_on_the_ground(run, tmp_path):
    from qgis.core import QgsVectorLayer

    result = run(
        "mineland:fishnet",
        {
            "EXTENT": "2000000,2300000,4800000,5100000 [EPSG:3857]",
            "CELL_SIZE": 50000,
            "OUTPUT": str(tmp_path / "net.gpkg"),
        },
    )
    layer = QgsVectorLayer(result["OUTPUT"], "net", "ogr")
    assert layer.crs().authid() != "EPSG:3857"
    assert "Lambert azimuthal equal-area" in layer.crs().description()  # named, not "Unknown CRS"
    areas = [f["cell_area_km2"] for f in layer.getFeatures()]
    assert len(areas) > 20
    assert areas == pytest.approx([2500.0] * len(areas), rel=TOLERANCE)


def test_fishnet_of_the_world_in_geographic_input_has_no_zero_area_cell(run, tmp_path):
    from qgis.core import QgsVectorLayer

    result = run(
        "mineland:fishnet",
        {"EXTENT": "-180,180,-90,90 [EPSG:4326]", "CELL_SIZE": 1000000, "OUTPUT": str(tmp_path / "world.gpkg")},
    )
    layer = QgsVectorLayer(result["OUTPUT"], "world", "ogr")
    assert layer.crs().authid() == "EPSG:8857"
    assert layer.crs().description() == "WGS 84 / Equal Earth Greenwich"
    areas = np.array([f["cell_area_km2"] for f in layer.getFeatures()])
    assert result["CELLS"] == len(areas) > 400
    assert areas.min() > 0
    assert areas.max() == pytest.approx(1.0e6, rel=TOLERANCE)  # a whole cell: 1,000 km × 1,000 km
    assert np.mean(np.isclose(areas, 1.0e6, rtol=TOLERANCE)) > 0.8
    a, f = Geodesic.WGS84.a, Geodesic.WGS84.f
    b, e = a * (1 - f), np.sqrt(f * (2 - f))
    globe_m2 = 2 * np.pi * a * a + np.pi * b * b / e * np.log((1 + e) / (1 - e))  # the ellipsoid's surface
    assert areas.sum() == pytest.approx(globe_m2 / 1e6, rel=5e-3)  # the globe, once


# ------------------------------------------------------------------ moran: DISTANCE metres on the ground


def square_cells_layer(crs_authid, values, size=10000.0, origin=(400000.0, 4430000.0)):
    """A 6 × 6 grid of size-m square cells laid out in UTM 37N (~40°N), as polygons in ``crs_authid``."""
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsField,
        QgsGeometry,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QVariant

    layer = QgsVectorLayer(f"Polygon?crs={crs_authid}", "cells", "memory")
    layer.dataProvider().addAttributes([QgsField("value", QVariant.Double)])
    layer.updateFields()
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem("EPSG:32637"), QgsCoordinateReferenceSystem(crs_authid), QgsProject.instance()
    )
    features = []
    for i, value in enumerate(values):
        r, c = divmod(i, 6)
        x0, y0 = origin[0] + c * size, origin[1] - (r + 1) * size
        geometry = QgsGeometry.fromRect(QgsRectangle(x0, y0, x0 + size, y0 + size))
        geometry.densifyByCount(20)
        geometry.transform(transform)
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        feature.setAttributes([float(value)])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_moran_distance_band_in_web_mercator_is_metres_on_the_ground(run, tmp_path):
    # 10 km cells: rook neighbours 10 km apart, diagonal ones 14.1 km; raw Web Mercator at 40°N would
    # see them 13.1 and 18.5 "m" apart, so a 15 km band would lose the diagonals
    values = np.random.default_rng(5).normal(size=36).round(3)
    results = {}
    for authid in ("EPSG:32637", "EPSG:3857"):
        results[authid] = run(
            "mineland:moran",
            {
                "INPUT": square_cells_layer(authid, values),
                "FIELD": "value",
                "WEIGHTS": 2,
                "DISTANCE": 15000,
                "PERMUTATIONS": 99,
                "SEED": 1,
                "OUTPUT": str(tmp_path / f"{authid[5:]}.gpkg"),
            },
        )
    utm, mercator = results["EPSG:32637"], results["EPSG:3857"]
    assert mercator["MORANS_I"] == pytest.approx(utm["MORANS_I"], rel=1e-9)
    assert mercator["Z_NORM"] == pytest.approx(utm["Z_NORM"], rel=1e-9)


# ------------------------------------------------------------------ patchstats: areas on the ellipsoid


def test_patchstats_areas_are_geodesic_in_web_mercator(run):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:3857", "patches", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(2.0e6, 4.9e6, 2.01e6, 4.91e6)))
    layer.dataProvider().addFeatures([feature])
    result = run("mineland:patchstats", {"INPUT": layer, "OUTPUT": "memory:"})
    grid = raster_io.Grid(1, 1, (2.0e6, 10000.0, 0.0, 4.91e6, 0.0, -10000.0), srs_of(3857).ExportToWkt())
    assert result["AREA_KM2"] == pytest.approx(geodesic_area_m2(grid, 0, 1, 0, 1) / 1e6, rel=TOLERANCE)
    assert result["AREA_KM2"] < 0.7 * 100.0  # not the 100 km² of the map


# ------------------------------------------------------------------ integrity: landscape cells on the ground


def test_integrity_cell_sides_are_metres_on_the_ground_in_web_mercator(provider, tmp_path):
    import math

    from mineland.algorithms.integrity import _cell_size
    from mineland.algorithms.rasters import RasterInput

    # 60 m Web Mercator pixels around 60°N: cos 60° = 0.5, so ~30 m on the ground (ellipsoid: a bit more)
    y60 = 6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(60.0) / 2))
    path = write_raster(
        tmp_path / "lc.tif", np.ones((5, 5), dtype=np.uint8), epsg=3857, origin=(1.0e6, y60 + 150.0), pixel=(60.0, 60.0)
    )
    width, height = _cell_size(RasterInput("INPUTS", path))
    grid = raster_io.Grid(5, 5, (1.0e6, 60.0, 0.0, y60 + 150.0, 0.0, -60.0), srs_of(3857).ExportToWkt())
    ground = math.sqrt(geodesic_area_m2(grid, 2, 3, 2, 3))
    assert width == pytest.approx(ground, rel=TOLERANCE) and height == pytest.approx(ground, rel=TOLERANCE)
    assert 29.5 < width < 30.5
