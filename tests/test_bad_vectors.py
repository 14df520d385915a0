"""The bad-input corpus over the vector and table inputs (the raster half is test_bad_inputs.py).

Every algorithm with a vector or table input meets an empty layer, NULL attributes in the fields it uses,
invalid (bow-tie) and multi-part geometries, the layer in another projected CRS and in a geographic CRS than
the rasters, CSVs with a byte-order mark, semicolons or a missing column, a file removed from disk and an
output over an input. Each case asserts its outcome: a QgsProcessingException naming one of the algorithm's
parameters (``outcome`` of test_bad_inputs.py), or a valid result checked against a known answer — the base
case's numbers (reprojected layers, BOM, semicolons, multi-part polygons that cover the same pixels), the
result of the equivalent valid input (a bow-tie and its makeValid() repair, a NULL row and no row), or a
number by hand. No case may change an input file, and no output may hold NaN where NULL is meant.
"""

import csv
import math
import os
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from rasters import UTM_CENTRAL_MERIDIAN_AREA_SCALE, file_digest, write_raster
from test_bad_inputs import outcome
from test_core_disturbance import Y1990, Y1995, Y1996

UTM = 32633
OTHER_UTM = 32634
GEOGRAPHIC = 4326
ORIGIN = (500000.0, 6000000.0)  # top-left of the test rasters, 30 m pixels
PIXEL = 30.0


# ------------------------------------------------------------------------------------------- inputs


@dataclass
class Spec:
    """A vector layer or table as written to disk: rows of attributes and a WKT geometry in ``epsg``."""

    kind: str  # "Polygon", "Point" or "csv"
    fields: list  # [(name, "string" | "integer" | "double")]
    rows: list  # [(attributes tuple, WKT or None)]
    epsg: int = UTM
    bom: bool = False  # csv only
    delimiter: str = ","  # csv only


def px_rect(c0, r0, c1, r1, origin=ORIGIN):
    """WKT of the rectangle over pixel columns c0…c1−1 and rows r0…r1−1 of a 30 m grid."""
    x0, x1 = origin[0] + c0 * PIXEL, origin[0] + c1 * PIXEL
    y0, y1 = origin[1] - r1 * PIXEL, origin[1] - r0 * PIXEL
    return rect(x0, y0, x1, y1)


def rect(x0, y0, x1, y1):
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def bounds(wkt):
    from qgis.core import QgsGeometry

    box = QgsGeometry.fromWkt(wkt).boundingBox()
    return box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()


def bow_tie(wkt):
    """A self-intersecting polygon over the bounding box of ``wkt``: two triangles, half its area."""
    x0, y0, x1, y1 = bounds(wkt)
    return f"POLYGON(({x0} {y1}, {x1} {y0}, {x1} {y1}, {x0} {y0}, {x0} {y1}))"


def make_valid(wkt):
    from qgis.core import QgsGeometry

    return QgsGeometry.fromWkt(wkt).makeValid().asWkt()


def split_at_pixel_edge(wkt, column, origin=ORIGIN):
    """The rectangle ``wkt`` as a two-part polygon cut at a pixel edge with a 2 m gap: the same pixel centres."""
    x0, y0, x1, y1 = bounds(wkt)
    edge = origin[0] + column * PIXEL
    assert x0 < edge < x1
    return (
        f"MULTIPOLYGON((({x0} {y0}, {edge - 1} {y0}, {edge - 1} {y1}, {x0} {y1}, {x0} {y0})),"
        f"(({edge + 1} {y0}, {x1} {y0}, {x1} {y1}, {edge + 1} {y1}, {edge + 1} {y0})))"
    )


def merged(spec, i, j):
    """Rows i and j as one multi-part feature with the attributes of row i."""
    from qgis.core import QgsGeometry

    parts = [QgsGeometry.fromWkt(spec.rows[k][1]) for k in (i, j)]
    multi = QgsGeometry.collectGeometry(parts).asWkt()
    rows = [row for k, row in enumerate(spec.rows) if k != j]
    rows[i if i < j else i - 1] = (spec.rows[i][0], multi)
    return replace(spec, rows=rows)


def with_geometry(spec, i, wkt):
    rows = list(spec.rows)
    rows[i] = (rows[i][0], wkt)
    return replace(spec, rows=rows)


def with_value(spec, i, name, value):
    names = [n for n, _ in spec.fields]
    rows = list(spec.rows)
    attributes = list(rows[i][0])
    attributes[names.index(name)] = value
    rows[i] = (tuple(attributes), rows[i][1])
    return replace(spec, rows=rows)


def without_row(spec, i):
    return replace(spec, rows=[row for k, row in enumerate(spec.rows) if k != i])


def without_column(spec, name):
    names = [n for n, _ in spec.fields]
    k = names.index(name)
    return replace(
        spec,
        fields=[f for f in spec.fields if f[0] != name],
        rows=[(tuple(a for m, a in enumerate(attrs) if m != k), wkt) for attrs, wkt in spec.rows],
    )


def write_spec(spec, folder, name, epsg=None):
    """Write ``spec`` (reprojected to ``epsg``) as a GeoPackage, or as a CSV; return the path."""
    if spec.kind == "csv":
        path = folder / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8-sig" if spec.bom else "utf-8") as handle:
            writer = csv.writer(handle, delimiter=spec.delimiter)
            writer.writerow([n for n, _ in spec.fields])
            writer.writerows([["" if v is None else v for v in attrs] for attrs, _ in spec.rows])
        return str(path)
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsGeometry,
        QgsProject,
        QgsVectorFileWriter,
        QgsVectorLayer,
    )

    epsg = epsg or spec.epsg
    multi = any(wkt and wkt.upper().startswith("MULTI") for _, wkt in spec.rows)
    kind = ("Multi" if multi else "") + spec.kind
    uri = f"{kind}?crs=EPSG:{epsg}&" + "&".join(f"field={n}:{t}" for n, t in spec.fields)
    layer = QgsVectorLayer(uri, name, "memory")
    transform = QgsCoordinateTransform(
        QgsCoordinateReferenceSystem(f"EPSG:{spec.epsg}"), layer.crs(), QgsProject.instance()
    )
    features = []
    for attributes, wkt in spec.rows:
        feature = QgsFeature(layer.fields())
        feature.setAttributes(list(attributes))
        if wkt:
            geometry = QgsGeometry.fromWkt(wkt)
            geometry.transform(transform)
            feature.setGeometry(geometry)
        features.append(feature)
    assert layer.dataProvider().addFeatures(features)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    path = folder / f"{name}.gpkg"
    error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
        layer, str(path), QgsProject.instance().transformContext(), options
    )
    assert error == QgsVectorFileWriter.NoError, message
    return str(path)


# ------------------------------------------------------------------------------------------ outcomes


@dataclass
class Error:
    """A QgsProcessingException naming ``parameter`` (the scenario's output when None) and saying ``says``."""

    parameter: str
    says: str = ""


MISSING = "does not exist (was it moved or deleted?)"
OVER_INPUT = "is one of the inputs; choose another file name"
NO_ID = "fill them in, or choose a field that identifies every feature"
NO_FIELD = "choose one of them"


@dataclass
class Like:
    """A valid result equal to the one of the input made by ``transform`` (the base input when None)."""

    transform: object = None
    warning: str = ""  # a warning that must have been given, if any


SAME = Like()


@dataclass
class Check:
    """A valid result passing ``check(result, summary, base summary, warnings)``."""

    check: object
    warning: str = ""


@dataclass
class Scenario:
    name: str
    algorithm: str
    subject: str  # the parameter whose input is varied
    spec: object  # () -> Spec of the subject
    rasters: object  # (folder) -> {name: path} of the other inputs
    parameters: object  # (inputs, subject path, output folder) -> parameters
    summary: object  # (result) -> {key: number or text}
    output: str  # the output set to the subject's file in output_is_input
    expect: dict = field(default_factory=dict)
    other_inputs: object = None  # (folder) -> {name: path} of inputs the test writes beside the subject
    rel: float = 1e-6
    multipart: object = None  # (Spec) -> Spec with a multi-part feature; default: row 0 split at a pixel edge
    bow_tie_index: int = 0  # the row made a bow tie
    other_epsg: int = OTHER_UTM  # the projected CRS of other_crs


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_layer(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, "out", "ogr")
    assert layer.isValid(), path
    return list(layer.getFeatures())


def value(text):
    """A CSV cell as a number when it is one (None when empty)."""
    if text in ("", None):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def numbers(result, *keys):
    return {key: result.get(key) for key in keys}


def approx_equal(actual, expected, rel):
    assert set(actual) == set(expected), (sorted(actual), sorted(expected))
    for key, wanted in expected.items():
        got = actual[key]
        if isinstance(wanted, float) and isinstance(got, (int, float)):
            assert got == pytest.approx(wanted, rel=rel, abs=1e-9), key
        else:
            assert got == wanted, key


# --------------------------------------------------------------------------------- the scenarios


def polygons(rows, fields=(("name", "string"),), epsg=UTM):
    return Spec("Polygon", list(fields), [(tuple(attrs), wkt) for attrs, wkt in rows], epsg)


def table(header, rows):
    return Spec("csv", [(name, "string") for name in header], [(tuple(r), None) for r in rows])


def repaired(subject, index=0):
    """The result of the bow tie's makeValid() repair, with the warning that it was repaired."""
    return Like(
        lambda s: with_geometry(s, index, make_valid(bow_tie(s.rows[index][1]))),
        f"{subject}: 1 invalid polygon(s) repaired",
    )


def vector_cases(subject, null_fields=()):
    """The expectations of a polygon input burnt into a raster grid: a multi-part polygon covering the same
    pixel centres and a reprojected layer give the base result."""
    expect = {
        "empty": Error(subject),
        "bow_tie": repaired(subject),
        "multipart": SAME,
        "other_crs": SAME,
        "geographic": SAME,
        "missing": Error(subject, MISSING),
        "output_is_input": Error(None, OVER_INPUT),
    }
    for name, outcome_ in null_fields:
        expect[f"null:{name}"] = outcome_
    return expect


# fishnet: a 20 km × 10 km study area (two 10 km cells), mines of 1, 1 and 2 km² (the last across the border)
FISHNET_AREA = [((), rect(500000, 6000000, 520000, 6010000))]
FISHNET_MINES = [
    (("m0",), rect(501000, 6001000, 502000, 6002000)),
    (("m1",), rect(503000, 6001000, 504000, 6002000)),
    (("m2",), rect(509000, 6005000, 511000, 6006000)),
]


def fishnet_summary(result):
    cells = {(f["row"], f["col"]): f["mine_area_km2"] for f in read_layer(result["OUTPUT"])}
    return {
        "cells": result["CELLS"],
        "mine_km2": result["MINE_AREA_KM2"],
        **{f"cell {key}": area for key, area in cells.items()},
    }


def fishnet_parameters(inputs, subject, out):
    return {
        "STUDY_AREA": inputs["STUDY_AREA"],
        "MINES": inputs["MINES"],
        "CELL_SIZE": 10000,
        "OUTPUT": str(out / "grid.gpkg"),
    }


def _fishnet_bow_tie(result, summary, base, warnings):
    assert summary["mine_km2"] == pytest.approx(base["mine_km2"] - 1.0, rel=3e-3)  # 2 km² → 1 km²


def _fishnet_empty_mines(result, summary, base, warnings):
    assert summary["cells"] == 2 and summary["mine_km2"] == 0.0


# moran and hotspots: a 5 × 5 grid of 1 km cells with a hot corner
GRID = 5


def grid_values():
    rng = np.random.default_rng(2)
    values = rng.random((GRID, GRID))
    values[:2, :2] += 3.0
    return values.round(3).ravel()  # exact in the layer


def grid_cells():
    values = grid_values()
    rows = []
    for k in range(GRID * GRID):
        r, c = divmod(k, GRID)
        x0, y1 = 500000 + 1000 * c, 6000000 - 1000 * r
        rows.append(((k, float(values[k])), rect(x0, y1 - 1000, x0 + 1000, y1)))
    return polygons(rows, fields=(("cell", "integer"), ("value", "double")))


def queen_weights(merge=None):
    """Queen contiguity of the grid with cell j merged into cell i (merge = (i, j))."""
    from mineland.core.spatial import spatial_weights

    label = list(range(GRID * GRID))
    if merge:
        label[merge[1]] = merge[0]
    kept = sorted(set(label))
    index = {cell: n for n, cell in enumerate(kept)}
    pairs = set()
    for a in range(GRID * GRID):
        for b in range(GRID * GRID):
            (ra, ca), (rb, cb) = divmod(a, GRID), divmod(b, GRID)
            if a != b and abs(ra - rb) <= 1 and abs(ca - cb) <= 1 and label[a] != label[b]:
                pairs.add((index[label[a]], index[label[b]]))
    return spatial_weights.pairs_contiguity(np.array(sorted(pairs)), len(kept)), kept


def _moran_merged(result, summary, base, warnings):
    from mineland.core.spatial import autocorrelation, spatial_weights

    weights, kept = queen_weights((0, 2))
    expected = autocorrelation.global_moran(grid_values()[kept], spatial_weights.row_standardise(weights), 99, 1)
    assert result["MORANS_I"] == pytest.approx(expected.I, abs=1e-12)
    assert result["Z_RAND"] == pytest.approx(expected.z_rand, abs=1e-12)


def _hotspots_merged(result, summary, base, warnings):
    from mineland.core.spatial import autocorrelation

    weights, kept = queen_weights((0, 2))
    expected = autocorrelation.general_g(grid_values()[kept], weights)
    assert result["G"] == pytest.approx(expected.G, abs=1e-12) and result["Z"] == pytest.approx(expected.z, abs=1e-12)


SPATIAL_EXPECT = {
    "empty": Error("INPUT"),
    "null:value": Like(lambda s: without_row(s, 0), "1 feature(s) with a NULL value"),
    "bow_tie": Like(None, "invalid polygon(s) repaired"),  # the centre cell still meets its 8 neighbours
    "other_crs": SAME,
    "geographic": SAME,
    "missing": Error("INPUT", MISSING),
    "output_is_input": Error("OUTPUT", OVER_INPUT),
}

# patchstats: 0.01, 0.04 and 1 km² squares in groups A, A, B
PATCHES = [
    (("A",), rect(500000, 6000000, 500100, 6000100)),
    (("A",), rect(501000, 6000000, 501200, 6000200)),
    (("B",), rect(503000, 6000000, 504000, 6001000)),
]


def patch_summary(result):
    rows = {r["group"]: r for r in read_csv(result["OUTPUT"])}
    return {
        "patches": result["PATCHES"],
        "area": result["AREA_KM2"],
        "geomean": result["GEOMEAN_AREA_KM2"],
        **{
            f"{group} {key}": value(row[key])
            for group, row in rows.items()
            for key in ("patches", "area_km2", "perimeter_km")
        },
    }


def _patch_null_group(result, summary, base, warnings):
    assert summary["(no group) patches"] == 1 and summary["(no group) area_km2"] == pytest.approx(0.01, rel=2e-3)
    assert summary["A patches"] == 1 and summary["All area_km2"] == pytest.approx(base["All area_km2"])


def _patch_bow_tie(result, summary, base, warnings):
    assert summary["area"] == pytest.approx(base["area"] - 0.5, rel=2e-3) and summary["patches"] == 3


def _patch_multipart(result, summary, base, warnings):
    assert summary["patches"] == 2 and summary["area"] == pytest.approx(base["area"], rel=1e-9)
    assert summary["A patches"] == 1 and summary["A area_km2"] == pytest.approx(base["A area_km2"], rel=1e-9)


# refineboundaries: mine A over columns 2–11, rows 2–11, B over 8–13, 4–9 of a 16 × 16 grid (its own test)
def refine_rasters(folder):
    breaks = np.ones((16, 16), dtype=np.uint8)
    cover = np.full((16, 16), 200, dtype=np.uint8)
    breaks[5:8, 5:8], cover[5:8, 5:8] = 0, 62  # enclosed stable green: kept
    breaks[2:4, 2:12], cover[2:4, 2:12] = 0, 62  # stable green along A's top edge: erased
    return {
        "BREAKS": write_raster(folder / "breaks.tif", breaks),
        "LANDCOVER": write_raster(folder / "cover.tif", cover),
    }


def refine_steps(result):
    steps = {r["step"][:1]: r for r in read_csv(result["OUTPUT_STEPS"])}
    return {
        "polygons": result["POLYGONS"],
        "area": result["AREA_KM2"],
        **{f"step {k} area": value(r["area_km2"]) for k, r in steps.items()},
        **{f"step {k} polygons": value(r["polygons"]) for k, r in steps.items()},
    }


def _refine_empty_a(result, summary, base, warnings):
    assert summary["polygons"] == 1 and summary["area"] == pytest.approx(36 * 0.0009, rel=3e-3)  # B alone


def far_part(spec):
    """Mine A with a second part of 10 × 10 pixels off the rasters (no stable green there)."""
    from qgis.core import QgsGeometry

    parts = [QgsGeometry.fromWkt(spec.rows[0][1]), QgsGeometry.fromWkt(px_rect(30, 0, 40, 10))]
    return with_geometry(spec, 0, QgsGeometry.collectGeometry(parts).asWkt())


def _refine_far_part(result, summary, base, warnings):
    assert summary["polygons"] == 2 and summary["area"] == pytest.approx(base["area"] + 0.09, rel=3e-3)


# disturbance, zonalseries, minestatus: polygons A (columns 0–2) and B (columns 3–4) of rows 0–3, 5 × 5 grid
MINES = [(("A",), px_rect(0, 0, 3, 4)), (("B",), px_rect(3, 0, 5, 4))]
NDVI_YEARS = list(range(2018, 2024))


def disturbance_rasters(folder):
    return {
        f"lc{y}": write_raster(folder / f"lc{y}.tif", a.astype("uint8"), nodata=0)
        for y, a in ((1990, Y1990), (1995, Y1995), (1996, Y1996))
    }


def ndvi_rasters(folder):
    paths = {}
    for k, year in enumerate(NDVI_YEARS):
        ndvi = np.zeros((5, 5), dtype=np.float32)
        ndvi[:, :3] = 0.2 + 0.05 * k
        ndvi[:, 3:] = 0.6 - 0.05 * k
        ndvi[0, 0] = -9999
        paths[f"ndvi{year}"] = write_raster(folder / f"ndvi{year}.tif", ndvi, nodata=-9999)
    return paths


def disturbance_summary(result):
    return {
        f"{r['polygon_id']} {r['year']} {key}": value(r[key])
        for r in read_csv(result["OUTPUT"])
        for key in ("dev_km2", "rec_km2", "bsp_pct")
    }


def zonal_summary(result):
    return {f"{r['polygon_id']} {r['year']}": value(r["mean"]) for r in read_csv(result["OUTPUT"])}


def status_summary(result):
    rows = read_csv(result["OUTPUT"])
    out = numbers(result, "ACTIVE", "CLOSED", "UNDEFINED")
    for row in rows:
        for key, text in row.items():
            if key != "polygon_id":
                out[f"{row['polygon_id']} {key}"] = value(text)
    return out


# minestatus from a table: its own test's tree
STATUS_ROWS = (
    [("pit", y, 10.0 + i, 0.2) for i, y in enumerate(NDVI_YEARS)]
    + [("dump", y, 30.0 - i, 0.3) for i, y in enumerate(NDVI_YEARS)]
    + [("quiet", y, 5.0, 0.1 + 0.01 * i) for i, y in enumerate(NDVI_YEARS)]
)


def _status_null_bsp(result, summary, base, warnings):
    assert summary["pit bsp_years"] == 5 and summary["pit status"] == "active"
    assert summary["pit ndvi_years"] == 6


# restorationsummary: its own test's 8 × 16 class raster in UTM 37N with sites A–D
def restoration_rasters(folder):
    from test_alg_restoration_summary import ORIGIN as R_ORIGIN
    from test_alg_restoration_summary import UTM37N, class_raster

    return {"INPUT": write_raster(folder / "classes.tif", class_raster(), epsg=UTM37N, origin=R_ORIGIN, nodata=0)}


def restoration_sites():
    from test_alg_restoration_summary import REGION, START, UTM37N, site_rect

    rows = []
    for k, name in enumerate("ABCD"):
        box = site_rect(k, inset=1.0)
        rows.append(
            ((name, START[name], REGION[name]), rect(box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()))
        )
    return polygons(rows, (("name", "string"), ("start", "integer"), ("region", "string")), epsg=UTM37N)


def restoration_summary_of(result):
    out = numbers(result, "N_SITES", "SPEARMAN_RHO", "SPEARMAN_P", "KW_H", "KW_P")
    for feature in read_layer(result["OUTPUT"]):
        for key in ("area_km2", "si_pct", "sci_pct", "duration_yr", "cluster"):
            out[f"{feature['site_id']} {key}"] = (
                None
                if feature[key] is None
                or feature[key] == "NULL"
                or (hasattr(feature[key], "isNull") and feature[key].isNull())
                else feature[key]
            )
    return out


def _restoration_null_start(result, summary, base, warnings):
    assert summary["A duration_yr"] is None and summary["B duration_yr"] == base["B duration_yr"]
    assert summary["SPEARMAN_RHO"] == pytest.approx(1.0)  # B, C, D: SI share still falls with the start year
    assert summary["N_SITES"] == 4


def _restoration_null_region(result, summary, base, warnings):
    from scipy import stats

    # A has no group: north = B, south = C and D
    values = [base["B si_pct"], base["C si_pct"], base["D si_pct"]]
    expected = stats.kruskal(values[:1], values[1:])
    # groups of 1 and 2: p by permutation; exactly, the share of the 3 ways to pick the lone value with H ≥ H
    splits = [stats.kruskal([values[k]], [v for j, v in enumerate(values) if j != k])[0] for k in range(3)]
    exact = sum(h >= expected[0] - 1e-12 for h in splits) / 3
    assert summary["KW_H"] == pytest.approx(expected[0]) and summary["KW_P"] == pytest.approx(exact, abs=0.02)


# accuracy: its own test's class raster and points
def accuracy_points():
    from test_alg_accuracy import USED, centre

    return Spec(
        "Point",
        [("truth", "integer"), ("name", "string")],
        [((truth, f"p{i}"), "POINT({} {})".format(*centre(r, c))) for i, (r, c, truth) in enumerate(USED)],
    )


def accuracy_rasters(folder):
    from test_alg_accuracy import CLASSES

    return {"INPUT": write_raster(folder / "classes.tif", CLASSES, nodata=0)}


def _accuracy_one_less(result, summary, base, warnings):
    assert summary["N_POINTS"] == base["N_POINTS"] - 1 and summary["N_SKIPPED"] == base["N_SKIPPED"] + 1


def two_points(spec):
    """Point 0 as a multi-point of two points: which would be the sample? Skipped (documented)."""
    x0, y0, _, _ = bounds(spec.rows[0][1])
    return with_geometry(spec, 0, f"MULTIPOINT(({x0} {y0}), ({x0 + 30} {y0}))")


# resilience and integrity: west zone (columns 0–1) and east zone (columns 2–3) of a 4 × 4 grid
ZONES = [(("west",), px_rect(0, 0, 2, 4)), (("east",), px_rect(2, 0, 4, 4))]
COVER = np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8)


def resilience_rasters(folder):
    ndvi = np.array([[0.2, 0.6, 0.5, 0.5]] * 4, dtype=np.float32)
    return {"LANDCOVER": write_raster(folder / "lc.tif", COVER), "NDVI": write_raster(folder / "ndvi.tif", ndvi)}


def integrity_rasters(folder):
    from test_alg_integrity import COVER_2000, COVER_2010

    return {
        "lc2000": write_raster(folder / "lc2000.tif", COVER_2000),
        "lc2010": write_raster(folder / "lc2010.tif", COVER_2010),
    }


def per_row(path, keys, *fields):
    return {" ".join(r[k] for k in keys) + f" {f}": value(r[f]) for r in read_csv(path) for f in fields}


# desertification: sand, wind and erosion of its own test; mines over columns 2–3 of row 0
def desertification_rasters(folder):
    sand = np.array([[10, 30, 50, 80]] * 2, dtype=np.float32)
    wind = np.array([[2.0, 3.0, 4.0, 5.0]] * 2, dtype=np.float32)
    erosion = np.array([[1, 2, 3, 4], [4, 4, 4, 0]], dtype=np.uint8)
    return {
        "SAND": write_raster(folder / "sand.tif", sand),
        "WIND_SPEED": write_raster(folder / "w.tif", wind),
        "EROSION": write_raster(folder / "e.tif", erosion, nodata=0),
    }


DESERT_MINES = [((), px_rect(2, 0, 4, 1))]


def desert_summary(result):
    return {
        f"class {r['class']} {key}": value(r[key])
        for r in read_csv(result["OUTPUT_MINES"])
        for key in ("area_km2", "share_pct")
    }


# overlap: its own test's rectangles in EPSG:6933 (equal-area), where areas are exact
def overlap_mines():
    from test_alg_overlap import MINES as O_MINES

    return polygons([((group,), rect(*box)) for group, box in O_MINES], (("province", "string"),), epsg=6933)


def overlap_zones():
    from test_alg_overlap import ZONES as O_ZONES

    return polygons(
        [((name, kind), rect(*box)) for name, kind, box in O_ZONES], (("name", "string"), ("kind", "string")), epsg=6933
    )


def overlap_summary(result):
    out = numbers(result, "PATCHES_INSIDE", "MINE_AREA_INSIDE_KM2", "SHARE_INSIDE_PCT")
    for row in read_csv(result["OUTPUT"]):
        for key in ("patches", "mine_area_km2", "zone_area_km2"):
            out[f"{row['mine_group']} {row['zone_group']} {row['zone']} {key}"] = value(row[key])
    return out


def _overlap_null_province(result, summary, base, warnings):
    # mine 0 (2 km², 1 km² in Reserve, 0.5 km² in KBA) loses its province: "(no group)"
    assert summary["(no group) reserve Reserve mine_area_km2"] == pytest.approx(1.0, rel=1e-4)
    assert summary["(no group) kba KBA mine_area_km2"] == pytest.approx(0.5, rel=1e-4)
    assert summary["MINE_AREA_INSIDE_KM2"] == pytest.approx(base["MINE_AREA_INSIDE_KM2"], rel=1e-9)


def _overlap_merged_mines(result, summary, base, warnings):
    # mines 0 and 1 (both in Reserve and KBA) as one multi-part mine: one patch per zone, the same area
    assert summary["All reserve Reserve patches"] == 1 and summary["All kba KBA patches"] == 1
    assert summary["PATCHES_INSIDE"] == 2
    assert summary["MINE_AREA_INSIDE_KM2"] == pytest.approx(base["MINE_AREA_INSIDE_KM2"], rel=1e-9)


def _overlap_null_zone_name(result, summary, base, warnings):
    # Reserve (zone 1) has no name: it is named by its number, as without ZONE_NAME_FIELD
    assert summary["All reserve 1 mine_area_km2"] == pytest.approx(base["All reserve Reserve mine_area_km2"])


def _overlap_null_zone_kind(result, summary, base, warnings):
    assert summary["All (no group) Reserve mine_area_km2"] == pytest.approx(1.5, rel=1e-4)


def _overlap_merged_zones(result, summary, base, warnings):
    # Reserve and Far as one two-part zone: its patches and area are theirs together
    assert summary["All reserve Reserve patches"] == 3
    assert summary["All reserve Reserve mine_area_km2"] == pytest.approx(1.75, rel=1e-4)
    assert summary["MINE_AREA_INSIDE_KM2"] == pytest.approx(base["MINE_AREA_INSIDE_KM2"], rel=1e-9)


# lifecycle and affectedarea: tables
LIFE_ROWS = [("A", 2000 + k, v) for k, v in enumerate([1, 2, 10, 30, 60, 90, 100, 101, 101, 70, 40])] + [
    ("B", 2000, 50),
    ("B", 2001, 52),
    ("B", 2002, 53.5),
]


def life_summary(result):
    out = {f"{r['mine_id']} {r['year']} stage": value(r["stage"]) for r in read_csv(result["OUTPUT"])}
    out.update({f"{r['mine_id']} current": r["current_stage_name"] for r in read_csv(result["OUTPUT_SUMMARY"])})
    return out


AFFECTED_ROWS = [
    ("Huolinhe", 469.30, 40.0),
    ("Yimin", 127.20, 20.0),
    ("Yuanbaoshan", 238.80, 22.0),
    ("Jungar Wusu", 326.90, 30.0),
    ("Pingshuo Antaibao", 517.40, 30.0),
]


def affected_summary(result):
    out = numbers(
        result, "KM2_PER_UNIT", "ESTIMATE_KM2", "MIN_KM2", "MAX_KM2", "BOOTSTRAP_LOW_KM2", "BOOTSTRAP_HIGH_KM2"
    )
    out.update({f"{r['mine']} scaled": value(r["scaled_km2"]) for r in read_csv(result["OUTPUT"])})
    return out


def _affected_null_name(result, summary, base, warnings):
    names = [r["mine"] for r in read_csv(result["OUTPUT"])]
    assert names[0] == "1" and names[1:] == [r[0] for r in AFFECTED_ROWS[1:]]  # the row number, as without a field
    assert summary["ESTIMATE_KM2"] == pytest.approx(base["ESTIMATE_KM2"])


# carbonstock, reclassify, desertification: CSV tables given as files
def class_rasters(folder):
    a = np.array([[1, 1, 2, 2], [2, 3, 3, 3]], dtype=np.uint8)
    b = np.array([[1, 2, 2, 2], [2, 3, 3, 0]], dtype=np.uint8)
    return {"a": write_raster(folder / "a.tif", a, nodata=0), "b": write_raster(folder / "b.tif", b, nodata=0)}


CARBON = table(
    ["lucode", "c_above", "c_below", "c_soil", "c_dead", "lulc_name"],
    [(1, 5, 0, 95, 0, "Cropland"), (2, 86, 0, 189, 0, "Forest"), (3, 21, 0, 116, 0, "Grassland")],
)


def _carbon_without_soil(result, summary, base, warnings):
    # a missing pool column counts as 0: 2000 has 2, 3, 3 pixels (0.09 ha) of classes 1, 2, 3 at 5, 86, 21 Mg/ha
    # (0.09 ha on the map; the grid is on UTM 33N's central meridian, 1/0.9996² larger on the ellipsoid)
    assert result["CARBON_FIRST_MT"] == pytest.approx(
        0.09 * UTM_CENTRAL_MERIDIAN_AREA_SCALE * (2 * 5 + 3 * 86 + 3 * 21) / 1e6
    )


def carbon_summary(result):
    out = numbers(result, "CARBON_FIRST_MT", "CARBON_LAST_MT", "CARBON_CHANGE_MT")
    out.update({f"{r['year']} {r['class_name']}": value(r["carbon_mg"]) for r in read_csv(result["OUTPUT"])})
    return out


RECLASS = table(["min", "max", "value", "name"], [(1, 1, 10, "one"), (2, 3, 20, "two and three")])


def raster_summary(key):
    """Pixel counts per value of the raster output ``key`` (and UNMATCHED_PIXELS when there)."""
    from rasters import read_raster

    def _summary(result):
        values, counts = np.unique(read_raster(result[key]), return_counts=True)
        out = {f"{key} {int(v)}": int(n) for v, n in zip(values, counts)}
        if "UNMATCHED_PIXELS" in result:
            out["unmatched"] = result["UNMATCHED_PIXELS"]
        return out

    return _summary


THRESHOLDS = table(["factor", "b1", "b2", "b3", "worse"], [("SLOPE", 1, 2, 3, "high")])


def slope_raster(folder):
    slope = np.array([[0.5, 1.5, 2.5, 30]], dtype=np.float32)
    return {"SLOPE": write_raster(folder / "slope.tif", slope)}


def _table6(result, summary, base, warnings):
    from rasters import read_raster

    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[1, 1, 1, 4]]  # Table 6's 5, 10, 25 for the slope


def csv_cases(parameter, output, null_fields=(), missing_column=(), empty=None):
    expect = {
        "empty": empty or Error(parameter),
        "bom": SAME,
        "semicolon": SAME,
        "missing": Error(parameter, MISSING),
        "output_is_input": Error(output, OVER_INPUT),
    }
    for name, outcome_ in null_fields:
        expect[f"null:{name}"] = outcome_
    for name, outcome_ in missing_column:
        expect[f"missing_column:{name}"] = outcome_
    return expect


def skipped(count, what):
    return f"{count} row(s) {what}"


SCENARIOS = [
    Scenario(
        "fishnet_mines",
        "mineland:fishnet",
        "MINES",
        lambda: polygons(FISHNET_MINES),
        lambda f: {"STUDY_AREA": write_spec(polygons(FISHNET_AREA, ()), f, "area")},
        fishnet_parameters,
        fishnet_summary,
        "OUTPUT",
        {
            "empty": Check(_fishnet_empty_mines),
            "bow_tie": Check(_fishnet_bow_tie, "MINES: 1 invalid polygon(s) repaired"),
            "multipart": SAME,
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("MINES", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        rel=1e-5,
        multipart=lambda s: merged(s, 0, 1),
        bow_tie_index=2,
    ),
    Scenario(
        "fishnet_area",
        "mineland:fishnet",
        "STUDY_AREA",
        lambda: polygons(FISHNET_AREA, ()),
        lambda f: {"MINES": write_spec(polygons(FISHNET_MINES), f, "mines")},
        fishnet_parameters,
        lambda r: {"mine_km2": r["MINE_AREA_KM2"]},
        "OUTPUT",
        {
            "empty": Error("STUDY_AREA"),
            "bow_tie": Like(None, "STUDY_AREA: 1 invalid polygon(s) repaired"),
            # a grid in the layer's own CRS (projected) or an equal-area one (geographic): other cells, but
            # every mine is inside the study area, so the mine area in the cells is the same
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("STUDY_AREA", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        rel=1e-5,
    ),
    Scenario(
        "moran",
        "mineland:moran",
        "INPUT",
        grid_cells,
        lambda f: {},
        lambda i, s, o: {
            "FIELD": "value",
            "WEIGHTS": 0,
            "PERMUTATIONS": 99,
            "SEED": 1,
            "OUTPUT": str(o / "lisa.gpkg"),
            **s,
        },
        lambda r: numbers(r, "MORANS_I", "Z_RAND", "Z_NORM", "P_SIM"),
        "OUTPUT",
        dict(SPATIAL_EXPECT, multipart=Check(_moran_merged)),
        rel=1e-9,
        multipart=lambda s: merged(s, 0, 2),
        bow_tie_index=12,
    ),
    Scenario(
        "hotspots",
        "mineland:hotspots",
        "INPUT",
        grid_cells,
        lambda f: {},
        lambda i, s, o: {"FIELD": "value", "WEIGHTS": 0, "OUTPUT": str(o / "gi.gpkg"), **s},
        lambda r: numbers(r, "G", "Z", "HOT_SPOTS", "COLD_SPOTS"),
        "OUTPUT",
        dict(SPATIAL_EXPECT, multipart=Check(_hotspots_merged)),
        rel=1e-9,
        multipart=lambda s: merged(s, 0, 2),
        bow_tie_index=12,
    ),
    Scenario(
        "patchstats",
        "mineland:patchstats",
        "INPUT",
        lambda: polygons(PATCHES, (("province", "string"),)),
        lambda f: {},
        lambda i, s, o: {"GROUP_BY": "province", "OUTPUT": str(o / "p.csv"), **s},
        patch_summary,
        "OUTPUT",
        {
            "empty": Error("INPUT"),
            "null:province": Check(_patch_null_group),
            "bow_tie": Check(_patch_bow_tie, "1 invalid polygon(s) were repaired"),
            "multipart": Check(_patch_multipart),
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("INPUT", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        multipart=lambda s: merged(s, 0, 1),
        bow_tie_index=2,
    ),
    Scenario(
        "refineboundaries",
        "mineland:refineboundaries",
        "INPUT_A",
        lambda: polygons([((), px_rect(2, 2, 12, 12))], ()),
        refine_rasters,
        lambda i, s, o: {
            "INPUT_B": i["INPUT_B"],
            "BREAKS": i["BREAKS"],
            "LANDCOVER": i["LANDCOVER"],
            "SIMPLIFY_DISTANCE": 0,
            "OUTPUT": str(o / "mines.gpkg"),
            "OUTPUT_STEPS": str(o / "steps.csv"),
            **s,
        },
        refine_steps,
        "OUTPUT",
        {
            "empty": Check(_refine_empty_a),
            "bow_tie": repaired("INPUT_A"),
            "multipart": Check(_refine_far_part),
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("INPUT_A", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        other_inputs=lambda f: {"INPUT_B": write_spec(polygons([((), px_rect(8, 4, 14, 10))], ()), f, "b")},
        multipart=far_part,
    ),
    Scenario(
        "disturbance",
        "mineland:disturbance",
        "MINES",
        lambda: polygons(MINES),
        disturbance_rasters,
        lambda i, s, o: {
            "ID_FIELD": "name",
            "INPUTS": [i["lc1990"], i["lc1995"], i["lc1996"]],
            "YEARS": "1990,1995,1996",
            "OUTPUT": str(o / "long.csv"),
            "OUTPUT_POLYGONS": str(o / "mines.gpkg"),
            **s,
        },
        disturbance_summary,
        "OUTPUT_POLYGONS",
        vector_cases("MINES", [("name", Error("ID_FIELD", NO_ID))]),
    ),
    Scenario(
        "zonalseries",
        "mineland:zonalseries",
        "MINES",
        lambda: polygons(MINES),
        ndvi_rasters,
        lambda i, s, o: {
            "ID_FIELD": "name",
            "INPUTS": [i[f"ndvi{y}"] for y in NDVI_YEARS],
            "YEARS": ",".join(map(str, NDVI_YEARS)),
            "OUTPUT": str(o / "z.csv"),
            **s,
        },
        zonal_summary,
        "OUTPUT",
        vector_cases("MINES", [("name", Error("ID_FIELD", NO_ID))]),
    ),
    Scenario(
        "minestatus_mines",
        "mineland:minestatus",
        "MINES",
        lambda: polygons(MINES),
        ndvi_rasters,
        lambda i, s, o: {
            "MINES_ID_FIELD": "name",
            "NDVI_RASTERS": [i[f"ndvi{y}"] for y in NDVI_YEARS],
            "RASTER_YEARS": ",".join(map(str, NDVI_YEARS)),
            "OUTPUT": str(o / "s.csv"),
            **s,
        },
        status_summary,
        "OUTPUT",
        vector_cases("MINES", [("name", Error("MINES_ID_FIELD", NO_ID))]),
    ),
    Scenario(
        "minestatus_table",
        "mineland:minestatus",
        "INPUT",
        lambda: table(["polygon", "year", "bsp", "ndvi"], STATUS_ROWS),
        lambda f: {},
        lambda i, s, o: {
            "ID_FIELD": "polygon",
            "YEAR_FIELD": "year",
            "BSP_FIELD": "bsp",
            "NDVI_FIELD": "ndvi",
            "OUTPUT": str(o / "s.csv"),
            **s,
        },
        status_summary,
        "OUTPUT",
        csv_cases(
            "INPUT",
            "OUTPUT",
            [
                ("polygon", Like(lambda s: without_row(s, 0), skipped(1, "without a polygon id or year"))),
                ("year", Like(lambda s: without_row(s, 0), skipped(1, "without a polygon id or year"))),
                ("bsp", Check(_status_null_bsp)),
            ],
            [("bsp", Error("BSP_FIELD", NO_FIELD)), ("year", Error("YEAR_FIELD", NO_FIELD))],
        ),
    ),
    Scenario(
        "restorationsummary",
        "mineland:restorationsummary",
        "SITES",
        restoration_sites,
        restoration_rasters,
        lambda i, s, o: {
            "INPUT": i["INPUT"],
            "SITE_ID_FIELD": "name",
            "START_YEAR_FIELD": "start",
            "GROUP_FIELD": "region",
            "CLUSTERS": 2,
            "OUTPUT": str(o / "sites.gpkg"),
            **s,
        },
        restoration_summary_of,
        "OUTPUT",
        vector_cases(
            "SITES",
            [
                ("name", Error("SITE_ID_FIELD", NO_ID)),
                ("start", Check(_restoration_null_start)),
                ("region", Check(_restoration_null_region)),
            ],
        ),
        other_epsg=32636,
    ),
    Scenario(
        "accuracy",
        "mineland:accuracy",
        "REFERENCE",
        accuracy_points,
        accuracy_rasters,
        lambda i, s, o: {
            "INPUT": i["INPUT"],
            "REFERENCE_FIELD": "truth",
            "OUTPUT": str(o / "matrix.csv"),
            "OUTPUT_POINTS": str(o / "points.gpkg"),
            **s,
        },
        lambda r: numbers(r, "OVERALL_ACCURACY", "KAPPA", "N_POINTS", "N_SKIPPED"),
        "OUTPUT_POINTS",
        {
            "empty": Error("REFERENCE"),
            "null:truth": Check(_accuracy_one_less, "NULL reference class"),
            "multipart": Check(_accuracy_one_less, "multi-point"),
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("REFERENCE", MISSING),
            "output_is_input": Error("OUTPUT_POINTS", OVER_INPUT),
        },
        multipart=two_points,
    ),
    Scenario(
        "resilience",
        "mineland:resilience",
        "ZONES",
        lambda: polygons(ZONES),
        resilience_rasters,
        lambda i, s, o: {
            "LANDCOVER": i["LANDCOVER"],
            "NDVI": i["NDVI"],
            "SCORES": "1=0.4, 2=0.8, 3=0.5",
            "C1": 2.0,
            "C2": 0.5,
            "ZONE_ID_FIELD": "name",
            "OUTPUT": str(o / "r.csv"),
            **s,
        },
        lambda r: per_row(r["OUTPUT"], ["zone_id"], "h_log2", "eco_res", "ndvi_mean", "sigma", "e"),
        "OUTPUT",
        vector_cases("ZONES", [("name", Error("ZONE_ID_FIELD", NO_ID))]),
    ),
    Scenario(
        "integrity",
        "mineland:integrity",
        "ZONES",
        lambda: polygons(ZONES),
        integrity_rasters,
        lambda i, s, o: {
            "INPUTS": [i["lc2000"], i["lc2010"]],
            "YEARS": "2000,2010",
            "ZONE_ID_FIELD": "name",
            "NORMALISATION": 1,
            "OUTPUT": str(o / "integrity.csv"),
            **s,
        },
        lambda r: per_row(r["OUTPUT"], ["zone_id", "year"], "shei", "mpfd", "contag_pct", "connect_pct", "eci"),
        "OUTPUT",
        vector_cases("ZONES", [("name", Error("ZONE_ID_FIELD", NO_ID))]),
    ),
    Scenario(
        "desertification",
        "mineland:desertification",
        "MINES",
        lambda: polygons(DESERT_MINES, ()),
        desertification_rasters,
        lambda i, s, o: {
            **i,
            "BREAKS": "4, 7, 10",
            "OUTPUT_SCORE": str(o / "score.tif"),
            "OUTPUT_CLASS": str(o / "class.tif"),
            "OUTPUT_MINES": str(o / "mines.csv"),
            **s,
        },
        desert_summary,
        "OUTPUT_MINES",
        vector_cases("MINES"),
    ),
    Scenario(
        "overlap_mines",
        "mineland:overlap",
        "MINES",
        overlap_mines,
        lambda f: {},
        lambda i, s, o: {
            "ZONES": i["ZONES"],
            "MINE_GROUP_FIELD": "province",
            "ZONE_NAME_FIELD": "name",
            "ZONE_GROUP_FIELD": "kind",
            "OUTPUT": str(o / "zones.csv"),
            **s,
        },
        overlap_summary,
        "OUTPUT",
        {
            "empty": Error("MINES"),
            "null:province": Check(_overlap_null_province),
            "bow_tie": repaired("MINES"),
            "multipart": Check(_overlap_merged_mines),
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("MINES", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        other_inputs=lambda f: {"ZONES": write_spec(overlap_zones(), f, "zones")},
        rel=1e-5,
        multipart=lambda s: merged(s, 0, 1),
        other_epsg=32631,
    ),
    Scenario(
        "overlap_zones",
        "mineland:overlap",
        "ZONES",
        overlap_zones,
        lambda f: {},
        lambda i, s, o: {
            "MINES": i["MINES"],
            "MINE_GROUP_FIELD": "province",
            "ZONE_NAME_FIELD": "name",
            "ZONE_GROUP_FIELD": "kind",
            "OUTPUT": str(o / "zones.csv"),
            **s,
        },
        overlap_summary,
        "OUTPUT",
        {
            "empty": Error("ZONES"),
            "null:name": Check(_overlap_null_zone_name),
            "null:kind": Check(_overlap_null_zone_kind),
            "bow_tie": repaired("ZONES"),
            "multipart": Check(_overlap_merged_zones),
            "other_crs": SAME,
            "geographic": SAME,
            "missing": Error("ZONES", MISSING),
            "output_is_input": Error("OUTPUT", OVER_INPUT),
        },
        other_inputs=lambda f: {"MINES": write_spec(overlap_mines(), f, "mines")},
        rel=1e-5,
        multipart=lambda s: merged(s, 0, 2),
        other_epsg=32631,
    ),
    Scenario(
        "lifecycle",
        "mineland:lifecycle",
        "INPUT",
        lambda: table(["mine", "year", "mt"], LIFE_ROWS),
        lambda f: {},
        lambda i, s, o: {
            "MINE_FIELD": "mine",
            "YEAR_FIELD": "year",
            "VALUE_FIELD": "mt",
            "WINDOW": 1,
            "OUTPUT": str(o / "stages.csv"),
            "OUTPUT_SUMMARY": str(o / "summary.csv"),
            **s,
        },
        life_summary,
        "OUTPUT",
        csv_cases(
            "INPUT",
            "OUTPUT",
            [
                ("mine", Like(lambda s: without_row(s, 0), skipped(1, "without a mine id or year"))),
                ("year", Like(lambda s: without_row(s, 0), skipped(1, "without a mine id or year"))),
                ("mt", Like(lambda s: without_row(s, 0), skipped(1, "with a NULL value"))),
            ],
            [("mt", Error("VALUE_FIELD", NO_FIELD)), ("mine", Error("MINE_FIELD", NO_FIELD))],
        ),
    ),
    Scenario(
        "affectedarea",
        "mineland:affectedarea",
        "INPUT",
        lambda: table(["name", "km2", "mt"], AFFECTED_ROWS),
        lambda f: {},
        lambda i, s, o: {
            "NAME_FIELD": "name",
            "AREA_FIELD": "km2",
            "PRODUCTION_FIELD": "mt",
            "TOTAL_PRODUCTION": 1060,
            "REPLICATES": 999,
            "OUTPUT": str(o / "a.csv"),
            **s,
        },
        affected_summary,
        "OUTPUT",
        csv_cases(
            "INPUT",
            "OUTPUT",
            [
                ("name", Check(_affected_null_name)),
                ("km2", Like(lambda s: without_row(s, 0), skipped(1, "with a NULL area or production"))),
                ("mt", Like(lambda s: without_row(s, 0), skipped(1, "with a NULL area or production"))),
            ],
            [("km2", Error("AREA_FIELD", NO_FIELD)), ("name", Error("NAME_FIELD", NO_FIELD))],
        ),
    ),
    Scenario(
        "carbonstock",
        "mineland:carbonstock",
        "CARBON_TABLE",
        lambda: CARBON,
        class_rasters,
        lambda i, s, o: {"INPUTS": [i["a"], i["b"]], "YEARS": "2000,2010", "OUTPUT": str(o / "c.csv"), **s},
        carbon_summary,
        "OUTPUT",
        csv_cases(
            "CARBON_TABLE",
            "OUTPUT",
            [
                ("c_soil", Like(lambda s: with_value(s, 0, "c_soil", 0))),  # an empty density cell counts as 0
                ("lucode", Error("CARBON_TABLE")),
            ],
            [("lucode", Error("CARBON_TABLE")), ("c_soil", Check(_carbon_without_soil))],
        ),
    ),
    Scenario(
        "reclassify",
        "mineland:reclassify",
        "TABLE_CSV",
        lambda: RECLASS,
        class_rasters,
        lambda i, s, o: {"INPUT": i["a"], "PRESET": 0, "OUTPUT": str(o / "rc.tif"), **s},
        raster_summary("OUTPUT"),
        "OUTPUT",
        csv_cases(
            "TABLE_CSV",
            "OUTPUT",
            [("value", Error("TABLE_CSV")), ("min", Error("TABLE_CSV"))],
            [("value", Error("TABLE_CSV"))],
        ),
    ),
    Scenario(
        "desertification_csv",
        "mineland:desertification",
        "THRESHOLDS_CSV",
        lambda: THRESHOLDS,
        slope_raster,
        lambda i, s, o: {
            "SLOPE": i["SLOPE"],
            "OUTPUT_SCORE": str(o / "score.tif"),
            "OUTPUT_CLASS": str(o / "class.tif"),
            **s,
        },
        raster_summary("OUTPUT_SCORE"),
        "OUTPUT_SCORE",
        csv_cases(
            "THRESHOLDS_CSV",
            "OUTPUT_SCORE",
            [("b2", Error("THRESHOLDS_CSV"))],
            [("worse", Error("THRESHOLDS_CSV"))],
            empty=Check(_table6),
        ),
    ),
]


# ------------------------------------------------------------------------------------------ the runs


def default_multipart(spec):
    """Row 0 cut at the first pixel edge inside it into two parts with a 2 m gap: the same pixel centres."""
    x0 = bounds(spec.rows[0][1])[0]
    column = math.floor((x0 - ORIGIN[0]) / PIXEL + 1e-9) + 1
    return with_geometry(spec, 0, split_at_pixel_edge(spec.rows[0][1], column))


def variant_spec(scenario, variant):
    spec = scenario.spec()
    if variant == "empty":
        return replace(spec, rows=[])
    if variant.startswith("null:"):
        return with_value(spec, 0, variant.split(":")[1], None)
    if variant == "bow_tie":
        return with_geometry(spec, scenario.bow_tie_index, bow_tie(spec.rows[scenario.bow_tie_index][1]))
    if variant == "multipart":
        return (scenario.multipart or default_multipart)(spec)
    if variant == "bom":
        return replace(spec, bom=True)
    if variant == "semicolon":
        return replace(spec, delimiter=";")
    if variant.startswith("missing_column:"):
        return without_column(spec, variant.split(":")[1])
    return spec


def execute(run, scenario, folder, spec, variant="base", epsg=None, feedback=None):
    """Write the inputs, run, check that no input changed; ('ok' | 'error', result or message)."""
    inputs_folder, out = folder / "in", folder / "out"
    inputs_folder.mkdir(parents=True)
    out.mkdir()
    inputs = scenario.rasters(inputs_folder)
    if scenario.other_inputs:
        inputs.update(scenario.other_inputs(inputs_folder))
    subject = write_spec(spec, inputs_folder, "subject", epsg)
    before = {str(p): file_digest(p) for p in inputs_folder.iterdir()}
    parameters = scenario.parameters(dict(inputs, **{scenario.subject: subject}), {scenario.subject: subject}, out)
    if variant == "missing":
        os.remove(subject)
        before.pop(subject)
    elif variant == "output_is_input":
        parameters[scenario.output] = subject
    kind, result = outcome(lambda algorithm, params: run(algorithm, params, feedback), scenario.algorithm, parameters)
    assert {p: file_digest(p) for p in before} == before, "an input file changed"
    if kind == "ok":
        check_no_nan(result, out)
    else:
        assert not [p.name for p in out.iterdir()], "a refused run left output files"
    return kind, result


def check_no_nan(result, out):
    """No NaN or infinity in the numeric outputs or in the output files: missing values are NULL or nodata."""
    from qgis.core import QgsVectorLayer

    from rasters import read_raster

    for key, item in result.items():
        if isinstance(item, float):
            assert math.isfinite(item), f"{key} = {item}: a value that cannot be computed must be left out"
        if not (isinstance(item, str) and item.startswith(str(out)) and os.path.isfile(item)):
            continue
        if item.endswith(".csv"):
            with open(item, newline="", encoding="utf-8") as handle:
                cells = [cell for row in csv.reader(handle) for cell in row]
            assert not {c.strip().lower() for c in cells} & {"nan", "inf", "-inf"}, f"NaN in {key}"
        elif item.endswith(".gpkg"):
            for feature in QgsVectorLayer(item, key, "ogr").getFeatures():
                for attribute in feature.attributes():
                    assert not (isinstance(attribute, float) and not math.isfinite(attribute)), f"NaN in {key}"
        elif item.endswith(".tif"):
            assert np.isfinite(read_raster(item)).all(), f"NaN in {key}"


_BASE = {}


def base_summary(run, scenario, tmp_path, spec=None, key="base"):
    """The summary of the scenario on its base input (or on ``spec``), computed once per scenario."""
    if spec is not None or scenario.name not in _BASE:
        kind, result = execute(run, scenario, tmp_path / key, spec or scenario.spec())
        assert kind == "ok", result
        summary = scenario.summary(result)
        if spec is not None:
            return summary
        _BASE[scenario.name] = summary
    return _BASE[scenario.name]


def variants(scenario):
    """The base case, the scenario's variants, and the bow tie again under the Processing dialog's default
    invalid-geometry setting ("stop the algorithm"): the algorithm's own repair must still apply."""
    names = ["base"] + list(scenario.expect)
    return names + (["bow_tie_strict"] if "bow_tie" in names else [])


CASES = [(scenario, variant) for scenario in SCENARIOS for variant in variants(scenario)]


@pytest.fixture
def strict_run(provider):
    """processing.run with the context the Processing dialog makes by default: stop on invalid geometries."""
    import processing
    from qgis.core import QgsFeatureRequest, QgsProcessingContext, QgsProcessingFeedback

    def _run(algorithm_id, parameters, feedback=None):
        context = QgsProcessingContext()
        context.setInvalidGeometryCheck(QgsFeatureRequest.GeometryAbortOnInvalid)
        return processing.run(algorithm_id, parameters, context=context, feedback=feedback or QgsProcessingFeedback())

    return _run


@pytest.mark.slow  # the whole corpus: ~16 s
@pytest.mark.parametrize("scenario, variant", CASES, ids=[f"{s.name}-{v}" for s, v in CASES])
def test_bad_vector_and_table_inputs(run, strict_run, tmp_path, recording_feedback, scenario, variant):
    feedback = recording_feedback()
    epsg = {"other_crs": scenario.other_epsg, "geographic": GEOGRAPHIC}.get(variant)
    strict = variant == "bow_tie_strict"
    variant = "bow_tie" if strict else variant
    kind, result = execute(
        strict_run if strict else run,
        scenario,
        tmp_path / "case",
        variant_spec(scenario, variant),
        variant,
        epsg,
        feedback,
    )
    expected = scenario.expect.get(variant, SAME)
    if isinstance(expected, Error):
        assert kind == "error", f"{variant} should be refused, got {result}"
        parameter = expected.parameter or scenario.output
        assert re.search(rf"(^|\n){parameter}: ", result), f"the message must start with {parameter}: {result}"
        assert expected.says in result, result
        return
    assert kind == "ok", result
    warnings = "\n".join(feedback.warnings)
    assert expected.warning in warnings, warnings
    summary = scenario.summary(result)
    if variant == "base":
        _BASE[scenario.name] = summary
        return
    base = base_summary(run, scenario, tmp_path)
    if isinstance(expected, Like):
        wanted = (
            base
            if expected.transform is None
            else base_summary(run, scenario, tmp_path, expected.transform(scenario.spec()), "equivalent")
        )
        approx_equal(summary, wanted, scenario.rel)
    else:
        expected.check(result, summary, base, warnings)


def test_refine_boundaries_with_both_inputs_empty_names_them(run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    empty = write_spec(polygons([], ()), folder, "empty")
    parameters = dict(refine_rasters(folder), INPUT_A=empty, INPUT_B=empty, OUTPUT=str(tmp_path / "m.gpkg"))
    kind, message = outcome(run, "mineland:refineboundaries", parameters)
    assert kind == "error" and message.startswith("INPUT_A: neither INPUT_A nor INPUT_B has a polygon"), message
