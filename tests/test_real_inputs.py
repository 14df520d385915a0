"""Issue 19, real inputs: class codes of any integer type, damaged rasters, numeric ranges, polygons outside the
rasters or of zero area, and Excel's semicolon CSVs. Every case asserts a number computed independently (numpy) or
a QgsProcessingException naming the parameter, with the inputs unchanged."""

import re
from xml.etree import ElementTree

import numpy as np
import pytest
from osgeo import gdal

from mineland.core.io import raster_io
from mineland.core.render import styles
from rasters import UTM_CENTRAL_MERIDIAN_AREA_SCALE, file_digest, read_raster, write_raster


def raises(run, algorithm, parameters, pattern):
    """Run ``algorithm`` expecting a QgsProcessingException whose message matches ``pattern``; return it."""
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        run(algorithm, parameters)
    # GDAL 3.10+ adds "May be caused by: ..." lines to its messages: the pattern may span them
    assert re.search(pattern, str(err.value), re.DOTALL), str(err.value)
    return str(err.value)


def digests(paths):
    return {p: file_digest(p) for p in paths}


# ------------------------------------------------------------------ 5. class codes


def numpy_pairs(start, end, valid):
    """{(from, to): pixels} by numpy alone."""
    stacked = np.stack([start[valid], end[valid]], axis=1).astype(np.int64)
    pairs, counts = np.unique(stacked, axis=0, return_counts=True)
    return {(int(f), int(t)): int(n) for (f, t), n in zip(pairs, counts)}


def qml_labels(path):
    root = ElementTree.parse(styles.style_path(path)).getroot()
    return {int(e.get("value")): e.get("label") for e in root.iter("paletteEntry")}


CODE_CASES = {
    # dtype, nodata, classes: the codes that collided (0 → −60 and −1 → 40) or overflowed Int32
    "int16_negative": (np.int16, -9999, [0, -1, 40, -60, 5]),
    "uint16_to_65535": (np.uint16, 0, [1, 255, 65535, 40000, 7]),
    "int16_full_range": (np.int16, None, [-32768, -1, 0, 32767, 12]),
    "int32": (np.int32, -(2**31), [-(2**31) + 1, 0, 2**31 - 1, 99]),
    "byte_below_100": (np.uint8, 0, [1, 2, 3, 99]),
}


def class_pair(folder, dtype, nodata, classes):
    rng = np.random.default_rng(5)
    start = rng.choice(np.array(classes, dtype=dtype), (30, 40))
    end = rng.choice(np.array(classes, dtype=dtype), (30, 40))
    # −60 and −1 wrap around in unsigned types (numpy 2 refuses a negative Python int there: cast explicitly)
    start[:2, :2], end[:2, :2] = 0, np.int64(-60).astype(dtype)  # the pair that collided with (−1, 40)
    start[2, :2], end[2, :2] = np.int64(-1).astype(dtype), 40
    if nodata is not None:
        start[3, :5] = nodata
        end[4, 3:9] = nodata
    if np.iinfo(dtype).min == 0:  # codes that cannot be negative
        start[:3, :2], end[:3, :2] = classes[0], classes[1]
    kw = {} if nodata is None else {"nodata": nodata}
    return start, end, write_raster(folder / "start.tif", start, **kw), write_raster(folder / "end.tif", end, **kw)


@pytest.mark.parametrize("case", list(CODE_CASES))
def test_change_codes_name_every_class_pair(run, tmp_path, case):
    dtype, nodata, classes = CODE_CASES[case]
    start, end, start_path, end_path = class_pair(tmp_path, dtype, nodata, classes)
    before = digests([start_path, end_path])
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": start_path,
            "INPUT_END": end_path,
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
        },
    )
    valid = np.ones(start.shape, dtype=bool) if nodata is None else (start != nodata) & (end != nodata)
    expected = numpy_pairs(start, end, valid)
    change_ds = gdal.Open(result["OUTPUT_CHANGE"])
    change = change_ds.GetRasterBand(1).ReadAsArray()
    out_nodata = change_ds.GetRasterBand(1).GetNoDataValue()
    assert (change[~valid] == out_nodata).all()
    # one code per pair: the numpy crosstab of (from, to, code) has as many rows as there are pairs
    triples = np.unique(np.stack([start[valid], end[valid], change[valid]], axis=1).astype(np.int64), axis=0)
    assert len(triples) == len(expected) == len(np.unique(triples[:, 2]))
    assert out_nodata not in triples[:, 2]
    code_of = {(int(f), int(t)): int(c) for f, t, c in triples}
    codes, pixels = np.unique(change[valid], return_counts=True)
    assert dict(zip(codes.tolist(), pixels.tolist())) == {code_of[p]: n for p, n in expected.items()}
    # the attribute table and the legend name every pair
    names = raster_io.read_class_names(change_ds.GetRasterBand(1))
    assert names == {c: f"class {f} → class {t}" for (f, t), c in code_of.items()}
    labels = qml_labels(result["OUTPUT_CHANGE"])
    assert labels == {
        c: f"class {f} (unchanged)" if f == t else f"class {f} → class {t}" for (f, t), c in code_of.items()
    }
    if case == "byte_below_100":  # from × 100 + to where it is unique and fits: older results stay valid
        assert all(c == f * 100 + t for (f, t), c in code_of.items())
    assert digests([start_path, end_path]) == before


@pytest.mark.dask
def test_change_codes_on_dask_are_the_local_ones(tmp_path):
    distributed = pytest.importorskip("distributed")
    from mineland.core.engine import scaleout

    dtype, nodata, classes = CODE_CASES["uint16_to_65535"]
    start, end, start_path, end_path = class_pair(tmp_path, dtype, nodata, classes)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
        table = scaleout.transfer_matrix_on_cluster(
            start_path, end_path, scheduler=client, change_output=str(tmp_path / "dask.tif")
        )
    valid = (start != nodata) & (end != nodata)
    expected = numpy_pairs(start, end, valid)
    assert dict(zip(zip(table.from_class.tolist(), table.to_class.tolist()), table.pixels.tolist())) == expected
    change = read_raster(tmp_path / "dask.tif")
    dataset = gdal.Open(str(tmp_path / "dask.tif"))
    names = raster_io.read_class_names(dataset.GetRasterBand(1))
    decoded = {}
    for code, name in names.items():
        f, t = name.split(" → ")
        decoded[code] = (int(f), int(t))
    # every valid pixel's code names its own pair
    inverse = {v: k for k, v in decoded.items()}
    assert len(inverse) == len(expected)
    for (f, t), n in expected.items():
        assert int(((change == inverse[(f, t)]) & (start == f) & (end == t)).sum()) == n


# ------------------------------------------------------------------ 6. damaged inputs and numeric parameters


def good_pair(folder):
    rng = np.random.default_rng(2)
    a = rng.integers(1, 5, (300, 300)).astype(np.uint8)
    return a, write_raster(folder / "good.tif", a, nodata=0, block=64)


def test_truncated_geotiff_names_the_parameter(run, tmp_path):
    _, good = good_pair(tmp_path)
    data = open(good, "rb").read()
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(data[: len(data) // 2])
    before = digests([good, str(truncated)])
    raises(
        run,
        "mineland:transfermatrix",
        {"INPUT_START": good, "INPUT_END": str(truncated), "OUTPUT": str(tmp_path / "p.csv")},
        r"^INPUT_END: truncated\.tif cannot be read .*damaged or truncated",
    )
    assert digests([good, str(truncated)]) == before


def test_tile_damaged_mid_file_is_named_when_the_block_is_read(run, tmp_path):
    _, good = good_pair(tmp_path)
    damaged = tmp_path / "damaged.tif"
    compressed = str(tmp_path / "compressed.tif")  # a deflated tile with junk in it cannot be decoded
    gdal.Translate(
        compressed, good, creationOptions=["TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=DEFLATE"]
    )
    damaged.write_bytes(open(compressed, "rb").read())
    dataset = gdal.Open(compressed)
    offset = int(dataset.GetRasterBand(1).GetMetadataItem("BLOCK_OFFSET_2_2", "TIFF"))
    size = int(dataset.GetRasterBand(1).GetMetadataItem("BLOCK_SIZE_2_2", "TIFF"))
    dataset = None
    with open(damaged, "r+b") as handle:  # the first and last tiles stay intact: only a mid-run read fails
        handle.seek(offset)
        handle.write(b"\xff" * size)
    raises(
        run,
        "mineland:transfermatrix",
        {"INPUT_START": good, "INPUT_END": str(damaged), "OUTPUT": str(tmp_path / "p.csv")},
        r"^INPUT_END: the file could not be read to the end: .*damaged\.tif.*damaged or truncated",
    )


def test_text_file_named_tif_is_not_a_raster(run, tmp_path):
    _, good = good_pair(tmp_path)
    text = tmp_path / "notes.tif"
    text.write_text("min,max,value\n1,2,3\n", encoding="utf-8")
    message = raises(
        run,
        "mineland:transfermatrix",
        {"INPUT_START": good, "INPUT_END": str(text), "OUTPUT": str(tmp_path / "p.csv")},
        r"INPUT_END: the file '.*notes\.tif' exists but is not a raster GDAL can read",
    )
    assert "not found" not in message
    raises(
        run,
        "mineland:trend",
        {"INPUTS": [str(text)], "YEARS": "2000", "OUTPUT": str(tmp_path / "t.tif")},
        r"INPUTS: the file '.*notes\.tif' exists but is not a raster",
    )


def test_rotated_raster_is_refused_as_rotated(run, tmp_path):
    a, good = good_pair(tmp_path)
    rotated = tmp_path / "rotated.tif"
    dataset = gdal.Translate(str(rotated), good)
    dataset.SetGeoTransform((500000.0, 29.9, 1.5, 6000000.0, 1.5, -29.9))
    dataset = None
    message = raises(
        run,
        "mineland:transfermatrix",
        {"INPUT_START": good, "INPUT_END": str(rotated), "OUTPUT": str(tmp_path / "p.csv")},
        r"^INPUT_END: rotated\.tif is rotated or sheared .*not supported.*gdalwarp",
    )
    assert "pixel size" not in message


@pytest.mark.parametrize(
    "algorithm, key, value, rule",
    [
        ("mineland:fishnet", "CELL_SIZE", float("nan"), r"CELL_SIZE \(Cell size \(m\)\): must be at least 1, got nan"),
        ("mineland:fishnet", "CELL_SIZE", 0.5, r"CELL_SIZE \(Cell size \(m\)\): must be at least 1, got 0.5"),
        ("mineland:trend", "ALPHA", 0.9, r"ALPHA \(Significance level α\): must be between 0.0001 and 0.5, got 0.9"),
        ("mineland:trend", "MIN_VALID", 2, r"MIN_VALID \(.*\): must be at least 4 \(a whole number\), got 2"),
        ("mineland:moran", "SEED", -1, r"SEED \(Random seed\): must be between 0 and 2.14748e\+09 \(a whole number\)"),
        ("mineland:moran", "PERMUTATIONS", 100000, r"PERMUTATIONS \(.*\): must be between 0 and 99999"),
    ],
)
def test_numbers_out_of_range_state_the_range(provider, algorithm, key, value, rule):
    from qgis.core import QgsProcessingContext

    alg = provider.algorithm(algorithm.split(":")[1])
    definition = alg.parameterDefinition(key)
    assert definition.minimum() > -1e300  # the range is in the definition: the dialog cannot take a bad value
    ok, message = alg.checkParameterValues({key: value}, QgsProcessingContext())
    assert not ok and re.search(rule, message), message


def test_cell_size_nan_through_processing_run(run, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=r"CELL_SIZE \(Cell size \(m\)\): must be at least 1, got nan"):
        run("mineland:fishnet", {"CELL_SIZE": float("nan"), "OUTPUT": str(tmp_path / "f.gpkg")})


def test_moran_and_hotspots_agree_on_zero_permutations(run, tmp_path):
    from qgis.core import QgsVectorLayer
    from scipy.special import ndtr

    from mineland.core.spatial import autocorrelation, spatial_weights
    from test_alg_spatial import grid_with_values

    rng = np.random.default_rng(2)
    values = rng.random((6, 7))
    values[:3, :3] += 3.0
    path = grid_with_values(run, tmp_path, values)
    common = {"INPUT": path, "FIELD": "value", "WEIGHTS": 0, "PERMUTATIONS": 0}
    moran = run("mineland:moran", dict(common, OUTPUT=str(tmp_path / "m.gpkg")))
    hot = run("mineland:hotspots", dict(common, OUTPUT=str(tmp_path / "h.gpkg")))
    assert "P_SIM" not in moran and "P_SIM" not in hot  # analytical only, in both
    cells = sorted(QgsVectorLayer(moran["OUTPUT"], "m", "ogr").getFeatures(), key=lambda f: (f["row"], f["col"]))
    weights = spatial_weights.row_standardise(spatial_weights.grid_contiguity(6, 7, "queen"))
    expected_i, variance = autocorrelation.local_moran_moments(values.ravel() - values.mean(), weights.matrix)
    z = values.ravel() - values.mean()
    anselin = z * (weights.matrix @ z) / (z @ z / z.size)
    z_score = (anselin - expected_i) / np.sqrt(variance)
    np.testing.assert_allclose([f["LMiZScore"] for f in cells], z_score, atol=1e-9)
    np.testing.assert_allclose([f["LMiPValue"] for f in cells], 2 * ndtr(-np.abs(z_score)), atol=1e-12)
    significant = [f["COType"] != "NS" for f in cells]
    assert significant == list(2 * ndtr(-np.abs(z_score)) < 0.05) and any(significant)
    for algorithm in ("mineland:moran", "mineland:hotspots"):
        raises(
            run,
            algorithm,
            dict(common, PERMUTATIONS=5, OUTPUT=str(tmp_path / "x.gpkg")),
            r"^PERMUTATIONS: 5 permutations cannot give a pseudo p below 0\.1: use 0 \(analytical test only\) "
            r"or at least 9",
        )


# ------------------------------------------------------------------ 7. polygons

X0, Y0 = 500000.0, 6000000.0
INSIDE = f"POLYGON(({X0} {Y0}, {X0 + 90} {Y0}, {X0 + 90} {Y0 - 120}, {X0} {Y0 - 120}, {X0} {Y0}))"  # 3 × 4 pixels
OUTSIDE = (
    f"POLYGON(({X0 + 9000} {Y0}, {X0 + 9090} {Y0}, {X0 + 9090} {Y0 - 90}, {X0 + 9000} {Y0 - 90}, {X0 + 9000} {Y0}))"
)
ZERO = f"POLYGON(({X0 + 30} {Y0 - 15}, {X0 + 60} {Y0 - 45}, {X0 + 90} {Y0 - 75}, {X0 + 30} {Y0 - 15}))"  # collinear


def write_polygons(path, rows, epsg=32633):
    """A GeoJSON of (name, WKT) polygons in ``epsg``; return its path."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = dataset.CreateLayer("mines", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    for name, wkt in rows:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature["name"] = name
        geometry = ogr.CreateGeometryFromWkt(wkt)
        if epsg != 32633:
            source = osr.SpatialReference()
            source.ImportFromEPSG(32633)
            source.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            geometry.Transform(osr.CoordinateTransformation(source, srs))
        feature.SetGeometry(geometry)
        layer.CreateFeature(feature)
    dataset = None
    return str(path)


def read_rows(path):
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def cover_series(folder):
    rng = np.random.default_rng(11)
    covers = [rng.integers(1, 5, (10, 10)).astype(np.uint8) for _ in range(2)]
    return covers, [write_raster(folder / f"lc{k}.tif", c, nodata=0) for k, c in enumerate(covers)]


def test_disturbance_polygons_outside_or_of_zero_area_get_null(run, tmp_path, recording_feedback):
    covers, paths = cover_series(tmp_path)
    mines = write_polygons(tmp_path / "mines.gpkg", [("in", INSIDE), ("out", OUTSIDE), ("zero", ZERO)])
    before = digests(paths + [mines])
    feedback = recording_feedback()
    result = run(
        "mineland:disturbance",
        {
            "MINES": mines,
            "ID_FIELD": "name",
            "INPUTS": paths,
            "YEARS": "2000,2001",
            "OUTPUT": str(tmp_path / "long.csv"),
            "OUTPUT_POLYGONS": str(tmp_path / "totals.gpkg"),
        },
        feedback,
    )
    rows = {(r["polygon_id"], r["year"]): r for r in read_rows(result["OUTPUT"])}
    a, b = covers[0][:4, :3], covers[1][:4, :3]  # polygon "in": rows 0-3, columns 0-2
    # vegetation (2, 3, 4) → mine-related (1); 30 m pixels on UTM 33N's central meridian, on the ellipsoid
    dev = np.sum((a >= 2) & (b == 1)) * 900 * UTM_CENTRAL_MERIDIAN_AREA_SCALE / 1e6
    assert float(rows[("in", "2001")]["dev_km2"]) == pytest.approx(dev)
    assert float(rows[("in", "2001")]["bsp_pct"]) == pytest.approx(np.mean(b == 1) * 100)
    for name in ("out", "zero"):  # rows kept, every figure NULL (not 0 km²)
        assert [rows[(name, y)][k] for y in ("2000", "2001") for k in ("dev_km2", "rec_km2", "bsp_pct")] == [""] * 6
    from qgis.core import QgsVectorLayer

    totals = {f["polygon_id"]: f for f in QgsVectorLayer(result["OUTPUT_POLYGONS"], "t", "ogr").getFeatures()}
    assert totals["out"]["dev_km2"] is None or str(totals["out"]["dev_km2"]) == "NULL"
    assert totals["in"]["dev_km2"] == pytest.approx(dev)
    assert any("MINES: 1 polygon(s) outside the rasters" in w for w in feedback.warnings), feedback.warnings
    assert any("MINES: 1 polygon(s) of zero area" in w for w in feedback.warnings), feedback.warnings
    assert digests(paths + [mines]) == before


def test_zonalseries_keeps_a_row_for_polygons_without_pixels(run, tmp_path, recording_feedback):
    values = np.arange(100, dtype=np.float32).reshape(10, 10)
    path = write_raster(tmp_path / "v.tif", values, nodata=-9999.0)
    mines = write_polygons(tmp_path / "mines.gpkg", [("in", INSIDE), ("out", OUTSIDE), ("zero", ZERO)])
    feedback = recording_feedback()
    result = run(
        "mineland:zonalseries",
        {"MINES": mines, "ID_FIELD": "name", "INPUTS": [path], "YEARS": "2000", "OUTPUT": str(tmp_path / "z.csv")},
        feedback,
    )
    means = {r["polygon_id"]: r["mean"] for r in read_rows(result["OUTPUT"])}
    assert float(means["in"]) == pytest.approx(values[:4, :3].mean())
    assert means["out"] == "" and means["zero"] == ""
    assert sum("polygon(s) outside the rasters" in w or "polygon(s) of zero area" in w for w in feedback.warnings) == 2


def test_patchstats_zero_area_polygons_are_no_patches_in_any_crs(run, tmp_path, recording_feedback):
    from pyproj import Geod, Transformer

    rows = [("a", INSIDE), ("b", OUTSIDE), ("zero", ZERO)]
    results = {}
    for epsg in (32633, 4326):
        layer = write_polygons(tmp_path / f"p{epsg}.gpkg", rows, epsg)
        feedback = recording_feedback()
        results[epsg] = run("mineland:patchstats", {"INPUT": layer, "OUTPUT": str(tmp_path / f"s{epsg}.csv")}, feedback)
        assert any("INPUT: 1 polygon(s) of zero area" in w for w in feedback.warnings), feedback.warnings
    # the two real patches' areas on the WGS 84 ellipsoid (pyproj / GeographicLib), independently of QGIS
    to_geographic = Transformer.from_crs(32633, 4326, always_xy=True)
    areas = []
    for x_min, x_max, y_min, y_max in ((X0, X0 + 90, Y0 - 120, Y0), (X0 + 9000, X0 + 9090, Y0 - 90, Y0)):
        lon, lat = to_geographic.transform([x_min, x_max, x_max, x_min], [y_max, y_max, y_min, y_min])
        areas.append(abs(Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)[0]) / 1e6)
    for result in results.values():
        assert result["PATCHES"] == 2
        assert result["GEOMEAN_AREA_KM2"] == pytest.approx(np.exp(np.mean(np.log(areas))), rel=1e-6)


# ------------------------------------------------------------------ 8. Excel's semicolon CSVs with decimal commas


def test_reclassify_reads_semicolons_with_decimal_commas(run, tmp_path):
    codes = np.array([[5, 6, 7, 8], [1, 2, 3, 9]], dtype=np.uint8)
    raster = write_raster(tmp_path / "v.tif", codes, nodata=0)
    table = tmp_path / "excel.csv"  # as Excel saves "CSV" in a German or French locale, BOM and CRLF included
    table.write_bytes("\ufeffmin;max;value;name\r\n5,5;7,5;1;Mine\r\n1,25;2,0;2;Ackerland 1,5\r\n".encode("utf-8"))
    before = digests([raster, str(table)])
    result = run(
        "mineland:reclassify",
        {"INPUT": raster, "PRESET": 0, "TABLE_CSV": str(table), "OUTPUT": str(tmp_path / "c.tif")},
    )
    out = read_raster(result["OUTPUT"])
    dataset = gdal.Open(result["OUTPUT"])
    nodata = dataset.GetRasterBand(1).GetNoDataValue()
    expected = np.where((codes >= 5.5) & (codes <= 7.5), 1, np.where((codes >= 1.25) & (codes <= 2.0), 2, nodata))
    np.testing.assert_array_equal(out, expected)
    assert raster_io.read_class_names(dataset.GetRasterBand(1)) == {1: "Mine", 2: "Ackerland 1,5"}
    assert digests([raster, str(table)]) == before


def test_carbon_and_thresholds_read_decimal_commas(run, tmp_path):
    classes = np.array([[1, 1, 2, 2]], dtype=np.uint8)
    paths = [write_raster(tmp_path / f"c{y}.tif", classes, nodata=0) for y in (2000, 2010)]
    table = tmp_path / "carbon.csv"
    table.write_text("lucode;c_above;c_soil\n1;12,5;0,5\n2;1.000,25;0\n", encoding="utf-8")
    result = run(
        "mineland:carbonstock",
        {"INPUTS": paths, "YEARS": "2000,2010", "CARBON_TABLE": str(table), "OUTPUT": str(tmp_path / "c.csv")},
    )
    hectares = 30 * 30 * UTM_CENTRAL_MERIDIAN_AREA_SCALE / 1e4  # ha per pixel on the ellipsoid, two of each class
    assert result["CARBON_FIRST_MT"] * 1e6 == pytest.approx(2 * hectares * (13.0 + 1000.25))

    slope = np.array([[4.0, 12.0, 20.0, 30.0]], dtype=np.float32)
    thresholds = tmp_path / "t.csv"
    thresholds.write_text("factor;b1;b2;b3;worse\nSLOPE;2,5;12,5;22,5;high\n", encoding="utf-8")
    result = run(
        "mineland:desertification",
        {
            "SLOPE": write_raster(tmp_path / "slope.tif", slope),
            "THRESHOLDS_CSV": str(thresholds),
            "OUTPUT_SCORE": str(tmp_path / "score.tif"),
            "OUTPUT_CLASS": str(tmp_path / "class.tif"),
        },
    )
    # b1 ≤ 4 < b2 → 2, b1 ≤ 12 < b2 → 2, b2 ≤ 20 < b3 → 3, 30 ≥ b3 → 4 (graded as with 2.5, 12.5, 22.5)
    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[2, 2, 3, 4]]


def test_decimal_comma_in_a_comma_separated_table_says_how_to_save_it(run, tmp_path):
    classes = np.array([[1, 2]], dtype=np.uint8)
    paths = [write_raster(tmp_path / f"c{y}.tif", classes, nodata=0) for y in (2000, 2010)]
    table = tmp_path / "carbon.csv"
    table.write_text('lucode,c_above\n1,"12,5"\n2,3\n', encoding="utf-8")
    raises(
        run,
        "mineland:carbonstock",
        {"INPUTS": paths, "YEARS": "2000,2010", "CARBON_TABLE": str(table), "OUTPUT": str(tmp_path / "c.csv")},
        r"^CARBON_TABLE: .*'12,5' has a decimal comma in a comma-separated table; save the table with semicolons",
    )
