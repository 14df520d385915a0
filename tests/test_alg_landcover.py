"""The land-cover algorithms through processing.run, with hand-computed answers.

A 30 m pixel is 900 m² = 0.09 ha = 0.0009 km² on the map; the test grid lies on UTM 33N's central
meridian, where the map scale is k0 = 0.9996, so on the ellipsoid it is 1/k0² larger (900.72 m²).
"""

import csv

import numpy as np
import pytest
from scipy.integrate import trapezoid

from rasters import UTM_CENTRAL_MERIDIAN_AREA_SCALE, WGS84, file_digest, read_raster, write_raster

PIXEL_KM2 = 0.0009 * UTM_CENTRAL_MERIDIAN_AREA_SCALE
PIXEL_HA = 0.09 * UTM_CENTRAL_MERIDIAN_AREA_SCALE

# 7-class rasters, nodata 0. Start has classes 1, 2, 3; end adds 7 and drops 3
# (the "different class lists" case); (1, 3) is nodata at the end only.
START = np.array([[1, 1, 2, 2], [3, 3, 2, 1], [1, 1, 1, 2]], dtype=np.uint8)
END = np.array([[1, 7, 2, 2], [2, 7, 2, 0], [1, 1, 7, 2]], dtype=np.uint8)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def pair(tmp_path):
    return (write_raster(tmp_path / "start.tif", START, nodata=0), write_raster(tmp_path / "end.tif", END, nodata=0))


# ------------------------------------------------------------------ reclassify


def test_reclassify_glc_fcs30_preset(run, tmp_path):
    codes = np.array([[10, 20, 62, 120], [130, 150, 181, 190], [200, 210, 220, 0], [250, 11, 92, 153]], dtype=np.uint8)
    source = write_raster(tmp_path / "glc.tif", codes, nodata=0)
    before = file_digest(source)
    result = run("mineland:reclassify", {"INPUT": source, "PRESET": 1, "OUTPUT": str(tmp_path / "out.tif")})
    expected = [[1, 1, 2, 2], [3, 3, 4, 7], [6, 5, 5, 0], [0, 1, 2, 3]]
    np.testing.assert_array_equal(read_raster(result["OUTPUT"]), expected)
    assert result["UNMATCHED_PIXELS"] == 1  # 250 (fill) is not in the preset; 0 is input nodata
    assert file_digest(source) == before

    from osgeo import gdal

    from mineland.core.io.raster_io import read_class_names

    dataset = gdal.Open(result["OUTPUT"])  # keep the dataset alive while its band is used
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Byte and band.GetNoDataValue() == 0
    assert read_class_names(band)[7] == "Construction land"

    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(result["OUTPUT"], "classes")  # its .qml sidecar is the default style
    assert layer.renderer().type() == "paletted"
    assert [label for label, _ in layer.renderer().legendSymbologyItems()][:2] == ["1 Cropland", "2 Forest"]


def test_reclassify_table_overrides_preset_and_csv_names(run, tmp_path):
    codes = np.array([[120, 121, 10, 77]], dtype=np.uint8)
    source = write_raster(tmp_path / "glc.tif", codes)
    table_csv = tmp_path / "rules.csv"
    table_csv.write_text("\ufeffcode;value;name\n77;9;Tailings\n", encoding="utf-8")
    result = run(
        "mineland:reclassify",
        {
            "INPUT": source,
            "PRESET": 1,
            "TABLE": [120, 120, 3],
            "TABLE_CSV": str(table_csv),
            "OUTPUT": str(tmp_path / "out.tif"),
        },
    )
    # 120 → 3 by TABLE (preset says 2), 121 → 2 by the preset, 10 → 1, 77 → 9 by the CSV
    np.testing.assert_array_equal(read_raster(result["OUTPUT"]), [[3, 2, 1, 9]])
    from osgeo import gdal

    from mineland.core.io.raster_io import read_class_names

    dataset = gdal.Open(result["OUTPUT"])
    assert read_class_names(dataset.GetRasterBand(1))[9] == "Tailings"


def test_reclassify_keep_unmatched(run, tmp_path):
    source = write_raster(tmp_path / "in.tif", np.array([[5, 6, 7]], dtype=np.uint8))
    result = run(
        "mineland:reclassify",
        {
            "INPUT": source,
            "PRESET": 0,
            "TABLE": [6, 6, 1],
            "NODATA_FOR_MISSING": False,
            "OUTPUT": str(tmp_path / "out.tif"),
        },
    )
    np.testing.assert_array_equal(read_raster(result["OUTPUT"]), [[5, 1, 7]])


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"PRESET": 0}, "TABLE"),
        ({"PRESET": 0, "TABLE": [1, 2]}, "TABLE"),
        ({"PRESET": 0, "TABLE": [3, 1, 1]}, "min 3 is greater than max 1"),
    ],
)
def test_reclassify_bad_tables(run, tmp_path, parameters, message):
    from qgis.core import QgsProcessingException

    source = write_raster(tmp_path / "in.tif", np.array([[1, 2]], dtype=np.uint8))
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:reclassify", dict(parameters, INPUT=source, OUTPUT=str(tmp_path / "out.tif")))


def test_reclassify_refuses_to_overwrite_its_input(run, tmp_path):
    from qgis.core import QgsProcessingException

    source = write_raster(tmp_path / "in.tif", np.array([[10, 20]], dtype=np.uint8))
    before = file_digest(source)
    with pytest.raises(QgsProcessingException, match="OUTPUT"):
        run("mineland:reclassify", {"INPUT": source, "PRESET": 1, "OUTPUT": source})
    assert file_digest(source) == before


# ------------------------------------------------------------- transfer matrix


def test_transfer_matrix_hand_computed(run, tmp_path, pair):
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": pair[0],
            "INPUT_END": pair[1],
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "matrix.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
        },
    )
    rows = {(int(r["from_class"]), int(r["to_class"])): r for r in read_csv(result["OUTPUT"])}
    # pixel by pixel over START/END above; (1, 3) is nodata at the end
    expected = {(1, 1): 3, (1, 7): 2, (2, 2): 4, (3, 2): 1, (3, 7): 1}
    assert {k: int(r["pixels"]) for k, r in rows.items()} == expected
    assert rows[(1, 7)]["to_name"] == "class 7"
    assert float(rows[(1, 7)]["area_km2"]) == pytest.approx(2 * PIXEL_KM2)
    assert float(rows[(1, 7)]["area_ha"]) == pytest.approx(2 * PIXEL_HA)
    assert float(rows[(1, 7)]["share_pct"]) == pytest.approx(2 / 11 * 100)
    assert result["NODATA_PIXELS"] == 1
    assert result["TOTAL_KM2"] == pytest.approx(11 * PIXEL_KM2)
    assert result["CHANGED_KM2"] == pytest.approx(4 * PIXEL_KM2)
    assert result["CHANGED_PCT"] == pytest.approx(4 / 11 * 100)

    matrix = list(csv.reader(open(result["OUTPUT_MATRIX"], encoding="utf-8")))
    assert matrix[0][0].startswith("start (rows)")
    header = matrix[0]
    assert header[1:5] == ["1 class 1", "2 class 2", "3 class 3", "7 class 7"]
    by_label = {r[0]: r[1:] for r in matrix[1:]}
    # the matrix CSV has 6 decimals of km²
    assert [float(v) for v in by_label["3 class 3"][:4]] == pytest.approx([0, PIXEL_KM2, 0, PIXEL_KM2], abs=5e-7)
    assert float(by_label["gain_km2"][3]) == pytest.approx(3 * PIXEL_KM2, abs=5e-7)  # class 7 gained 3 pixels
    assert float(by_label["1 class 1"][5]) == pytest.approx(2 * PIXEL_KM2, abs=5e-7)  # class 1 lost 2 pixels

    change = read_raster(result["OUTPUT_CHANGE"])
    assert change[0, 1] == 107 and change[1, 0] == 302 and change[1, 3] == 0  # nodata 0
    from osgeo import gdal

    from mineland.core.io.raster_io import read_class_names

    dataset = gdal.Open(result["OUTPUT_CHANGE"])
    assert read_class_names(dataset.GetRasterBand(1))[302] == "class 3 → class 2"


def test_transfer_matrix_geographic_crs_uses_ellipsoidal_areas(run, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsDistanceArea, QgsGeometry, QgsProject, QgsRectangle

    start = np.array([[1, 2], [1, 2]], dtype=np.uint8)
    args = dict(epsg=WGS84, origin=(30.0, 61.0), pixel=(0.5, 0.5))
    a = write_raster(tmp_path / "a.tif", start, **args)
    b = write_raster(tmp_path / "b.tif", start, **args)
    result = run("mineland:transfermatrix", {"INPUT_START": a, "INPUT_END": b, "OUTPUT": str(tmp_path / "p.csv")})

    # Exact: ∫∫ a²(1−e²) cos φ / (1 − e² sin² φ)² dφ dλ over 60–61°N × 1° on WGS84
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = np.linspace(np.radians(60), np.radians(61), 200001)
    # scipy's trapezoid: numpy 2.4 removed np.trapz, and numpy 1.24 has no np.trapezoid
    exact = trapezoid(a * a * (1 - e2) * np.cos(phi) / (1 - e2 * np.sin(phi) ** 2) ** 2, phi) * np.radians(1)
    assert result["TOTAL_KM2"] * 1e6 == pytest.approx(exact, rel=1e-9)
    rows = read_csv(result["OUTPUT"])
    assert float(rows[0]["area_m2"]) == pytest.approx(exact / 2, rel=1e-9)
    # QGIS 3.22's own ellipsoidal measure of the cell agrees to its approximation (~3e-5)
    measure = QgsDistanceArea()
    measure.setSourceCrs(QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance().transformContext())
    measure.setEllipsoid("EPSG:7030")
    qgis_area = measure.measureArea(QgsGeometry.fromRect(QgsRectangle(30.0, 60.0, 31.0, 61.0)))
    assert result["TOTAL_KM2"] * 1e6 == pytest.approx(qgis_area, rel=1e-4)


@pytest.mark.parametrize(
    "end_args, message",
    [
        ({"epsg": 32634}, "different CRS"),
        ({"origin": (500015.0, 6000000.0)}, "shifted"),
        ({"pixel": (20.0, 20.0)}, "pixel size"),
        ({"shape": (4, 5)}, "pixels but"),
    ],
)
def test_transfer_matrix_rejects_other_grids(run, tmp_path, end_args, message):
    from qgis.core import QgsProcessingException

    shape = end_args.pop("shape", START.shape)
    start = write_raster(tmp_path / "s.tif", START)
    end = write_raster(tmp_path / "e.tif", np.ones(shape, dtype=np.uint8), **end_args)
    with pytest.raises(QgsProcessingException, match=f"INPUT_END.*{message}"):
        run("mineland:transfermatrix", {"INPUT_START": start, "INPUT_END": end, "OUTPUT": str(tmp_path / "p.csv")})


def test_transfer_matrix_rejects_float_and_all_nodata(run, tmp_path, pair):
    from qgis.core import QgsProcessingException

    floats = write_raster(tmp_path / "f.tif", START.astype(np.float32))
    with pytest.raises(QgsProcessingException, match="INPUT_END.*Float32.*integer"):
        run("mineland:transfermatrix", {"INPUT_START": pair[0], "INPUT_END": floats, "OUTPUT": str(tmp_path / "p.csv")})
    empty = write_raster(tmp_path / "n.tif", np.zeros_like(START), nodata=0)
    with pytest.raises(QgsProcessingException, match="no pixel has data"):
        run("mineland:transfermatrix", {"INPUT_START": pair[0], "INPUT_END": empty, "OUTPUT": str(tmp_path / "p.csv")})


# ------------------------------------------------------------------- dynamics


def test_landuse_dynamics_hand_computed(run, tmp_path, pair):
    middle = write_raster(tmp_path / "mid.tif", START, nodata=0)  # no change 1990 → 2000
    result = run(
        "mineland:landusedynamics",
        {
            "INPUTS": [pair[0], middle, pair[1]],
            "YEARS": "1990, 2000, 2010",
            "OUTPUT": str(tmp_path / "k.csv"),
            "OUTPUT_SUMMARY": str(tmp_path / "s.csv"),
        },
    )
    k = {(r["year_start"], r["year_end"], int(r["class"])): r for r in read_csv(result["OUTPUT"])}
    # 2000 → 2010 over the 11 pixels valid at both dates: class 1 has 5 pixels at the
    # start and 3 at the end: K = (3 − 5)/5 / 10 × 100 = −4 %/yr; class 7 is new: NULL.
    assert float(k[("2000", "2010", 1)]["k_pct_per_year"]) == pytest.approx(-4.0)
    assert float(k[("2000", "2010", 1)]["area_start_km2"]) == pytest.approx(5 * PIXEL_KM2)
    assert k[("2000", "2010", 7)]["k_pct_per_year"] == ""
    assert float(k[("1990", "2000", 2)]["k_pct_per_year"]) == 0.0
    summary = {(r["year_start"], r["year_end"]): r for r in read_csv(result["OUTPUT_SUMMARY"])}
    assert list(summary) == [("1990", "2000"), ("2000", "2010"), ("1990", "2010")]
    # S = (2/5 [class 1 lost 2 of 5] + 0/4 [class 2] + 2/2 [class 3]) / 10 per year = 0.14;
    # LC = 4 changed / (2 · 11) / 10 × 100
    assert float(summary[("2000", "2010")]["s_index"]) == pytest.approx((2 / 5 + 0 / 4 + 2 / 2) / 10)
    assert float(summary[("1990", "2010")]["s_index"]) == pytest.approx((2 / 5 + 0 / 4 + 2 / 2) / 20)
    assert float(summary[("2000", "2010")]["lc_pct_per_year"]) == pytest.approx(4 / 22 / 10 * 100)
    assert float(summary[("2000", "2010")]["changed_pct"]) == pytest.approx(4 / 11 * 100)
    assert float(summary[("1990", "2000")]["s_index"]) == 0.0


def test_landuse_dynamics_group_shares(run, tmp_path, pair):
    result = run(
        "mineland:landusedynamics",
        {
            "INPUTS": list(pair),
            "YEARS": "2000,2010",
            "GROUPS": "Farm=1,2; Built=7",
            "OUTPUT": str(tmp_path / "k.csv"),
            "OUTPUT_GROUPS": str(tmp_path / "g.csv"),
        },
    )
    shares = {
        (r["year"], r["group_name"]): (float(r["area_km2"]), float(r["share_pct"]))
        for r in read_csv(result["OUTPUT_GROUPS"])
    }
    # each date over its own valid pixels: START 12 pixels (1: 6, 2: 4, 3: 2); END 11 (1: 3, 2: 5, 7: 3)
    assert shares["2000", "Farm"] == pytest.approx((10 * PIXEL_KM2, 10 / 12 * 100))
    assert shares["2000", "Built"] == (0.0, 0.0)
    assert shares["2010", "Farm"] == pytest.approx((8 * PIXEL_KM2, 8 / 11 * 100))
    assert shares["2010", "Built"] == pytest.approx((3 * PIXEL_KM2, 3 / 11 * 100))


@pytest.mark.parametrize(
    "groups, message",
    [
        ("Farm=1,2; Built=2,7", "GROUPS: class 2 is in group 'Farm' and in 'Built'"),
        ("Farm=1,2,5", "GROUPS: class code\\(s\\) 5 occur in none of the rasters"),
    ],
)
def test_landuse_dynamics_bad_groups(run, tmp_path, pair, groups, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=message):
        run(
            "mineland:landusedynamics",
            {
                "INPUTS": list(pair),
                "YEARS": "2000,2010",
                "GROUPS": groups,
                "OUTPUT": str(tmp_path / "k.csv"),
                "OUTPUT_GROUPS": str(tmp_path / "g.csv"),
            },
        )


@pytest.mark.parametrize(
    "years, message",
    [
        ("1985", "1 years given for 2 rasters"),
        ("2020,1985", "increase"),
        ("1985,20x0", "whole numbers"),
    ],
)
def test_landuse_dynamics_bad_years(run, tmp_path, pair, years, message):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=f"YEARS.*{message}"):
        run("mineland:landusedynamics", {"INPUTS": list(pair), "YEARS": years, "OUTPUT": str(tmp_path / "k.csv")})


# --------------------------------------------------------------------- carbon


def test_carbon_stock_default_table(run, tmp_path, pair):
    result = run(
        "mineland:carbonstock",
        {
            "INPUTS": list(pair),
            "YEARS": "2000,2010",
            "OUTPUT": str(tmp_path / "c.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "cc.csv"),
            "OUTPUT_TRANSITIONS": str(tmp_path / "ct.csv"),
            "OUTPUT_DENSITY": str(tmp_path / "d.tif"),
        },
    )
    stock = {(r["year"], r["class_name"]): r for r in read_csv(result["OUTPUT"])}
    # 2000: 6 cropland (100 Mg/ha), 4 forest (275), 2 grassland (137) pixels of 0.09 ha
    first = (6 * 100 + 4 * 275 + 2 * 137) * PIXEL_HA
    # 2010 (11 valid pixels): 3 cropland, 5 forest, 3 construction (0)
    last = (3 * 100 + 5 * 275) * PIXEL_HA
    assert float(stock[("2000", "Total")]["carbon_mg"]) == pytest.approx(first)
    assert float(stock[("2000", "Forest")]["carbon_mg"]) == pytest.approx(4 * 275 * PIXEL_HA)
    assert float(stock[("2000", "Forest")]["area_ha"]) == pytest.approx(4 * PIXEL_HA)
    assert float(stock[("2010", "Total")]["carbon_mt"]) == pytest.approx(last / 1e6)
    assert result["CARBON_CHANGE_MT"] == pytest.approx((last - first) / 1e6)
    change = {r["class_name"]: float(r["change_mg"]) for r in read_csv(result["OUTPUT_CHANGE"])}
    assert change["Grassland"] == pytest.approx(-2 * 137 * PIXEL_HA)
    assert change["Total"] == pytest.approx(last - first)
    transitions = {
        (int(r["from_class"]), int(r["to_class"])): float(r["change_mg"])
        for r in read_csv(result["OUTPUT_TRANSITIONS"])
    }
    assert transitions[(3, 2)] == pytest.approx(PIXEL_HA * (275 - 137))
    assert transitions[(1, 7)] == pytest.approx(2 * PIXEL_HA * (0 - 100))
    density = read_raster(result["OUTPUT_DENSITY"], band=2)
    assert density[0, 0] == 100 and density[0, 1] == 0 and density[1, 3] == -9999


def test_carbon_stock_custom_table_and_missing_classes(run, tmp_path, pair):
    from qgis.core import QgsProcessingException

    table = tmp_path / "carbon.csv"
    table.write_text("LUCODE;C_ABOVE;C_SOIL;lulc_name\n1;10;20;Fields\n2;50;50;Woods\n3;5;5;Meadow\n", encoding="utf-8")
    params = {"INPUTS": list(pair), "YEARS": "2000,2010", "CARBON_TABLE": str(table), "OUTPUT": str(tmp_path / "c.csv")}
    with pytest.raises(QgsProcessingException, match="CARBON_TABLE.*class codes 7"):
        run("mineland:carbonstock", params)
    result = run("mineland:carbonstock", dict(params, MISSING_AS_ZERO=True))
    assert result["CARBON_FIRST_MT"] * 1e6 == pytest.approx((6 * 30 + 4 * 100 + 2 * 10) * PIXEL_HA)
    names = {r["class_name"] for r in read_csv(result["OUTPUT"])}
    assert {"Fields", "Woods", "Meadow", "class 7", "Total"} <= names


def test_carbon_stock_all_nodata_raster(run, tmp_path, pair):
    from qgis.core import QgsProcessingException

    empty = write_raster(tmp_path / "n.tif", np.zeros_like(START), nodata=0)
    with pytest.raises(QgsProcessingException, match="INPUTS.*no valid pixel"):
        run(
            "mineland:carbonstock",
            {"INPUTS": [pair[0], empty], "YEARS": "2000,2010", "OUTPUT": str(tmp_path / "c.csv")},
        )


@pytest.mark.parametrize(
    "text, message",
    [
        ("code,c_above\n1,5\n", "no 'lucode' column"),
        ("lucode,c_above\n1,-5\n", "negative"),
        ("lucode,c_above\n1,abc\n", "not a number"),
        ("lucode,c_above\n1,5\n1,6\n", "listed twice"),
    ],
)
def test_carbon_stock_bad_tables(run, tmp_path, pair, text, message):
    from qgis.core import QgsProcessingException

    table = tmp_path / "carbon.csv"
    table.write_text(text, encoding="utf-8")
    with pytest.raises(QgsProcessingException, match=f"CARBON_TABLE.*{message}"):
        run(
            "mineland:carbonstock",
            {"INPUTS": list(pair), "YEARS": "2000,2010", "CARBON_TABLE": str(table), "OUTPUT": str(tmp_path / "c.csv")},
        )


# ---------------------------------------------------------------------- model

MODEL_OUTPUTS = [
    "reclass_start:Classes, start date",
    "reclass_end:Classes, end date",
    "matrix:Transitions",
    "matrix:Transfer matrix (km2)",
    "dynamics:Dynamic degree per class",
    "dynamics:Comprehensive dynamic degree",
    "carbon:Carbon stock",
    "carbon:Carbon change",
]


def test_landcover_carbon_model(run, tmp_path):
    from sample.make_sample import write_series

    sources = write_series(str(tmp_path / "sample"))
    outputs = {
        name: str(tmp_path / f"model_{i}{'.tif' if name.startswith('reclass') else '.csv'}")
        for i, name in enumerate(MODEL_OUTPUTS)
    }
    result = run(
        "mineland:landcover_carbon", dict(outputs, START=sources[0], END=sources[-1], YEARS="1985,2020", PRESET=1)
    )
    direct_start = run("mineland:reclassify", {"INPUT": sources[0], "OUTPUT": str(tmp_path / "a.tif")})["OUTPUT"]
    direct_end = run("mineland:reclassify", {"INPUT": sources[-1], "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"]
    direct = run(
        "mineland:carbonstock",
        {"INPUTS": [direct_start, direct_end], "YEARS": "1985,2020", "OUTPUT": str(tmp_path / "dc.csv")},
    )
    model_total = [float(r["carbon_mg"]) for r in read_csv(result["carbon:Carbon stock"]) if r["class_name"] == "Total"]
    assert model_total[0] == pytest.approx(direct["CARBON_FIRST_MT"] * 1e6)
    assert model_total[1] == pytest.approx(direct["CARBON_LAST_MT"] * 1e6)
    assert len(read_csv(result["dynamics:Comprehensive dynamic degree"])) == 1


# ------------------------------------------------- outputs: never over inputs, never half-written


def test_outputs_may_not_overwrite_inputs(run, tmp_path, pair):
    from qgis.core import QgsProcessingException

    before = [file_digest(p) for p in pair]
    with pytest.raises(QgsProcessingException, match="OUTPUT_MATRIX.*is one of the inputs"):
        run(
            "mineland:transfermatrix",
            {"INPUT_START": pair[0], "INPUT_END": pair[1], "OUTPUT": str(tmp_path / "p.csv"), "OUTPUT_MATRIX": pair[1]},
        )
    table = tmp_path / "carbon.csv"
    table.write_text("lucode,c_soil\n1,1\n2,2\n3,3\n7,0\n", encoding="utf-8")
    table_before = file_digest(table)
    with pytest.raises(QgsProcessingException, match="OUTPUT.*is one of the inputs"):
        run(
            "mineland:carbonstock",
            {"INPUTS": list(pair), "YEARS": "2000,2010", "CARBON_TABLE": str(table), "OUTPUT": str(table)},
        )
    assert [file_digest(p) for p in pair] == before and file_digest(table) == table_before


def test_cancel_leaves_no_output(run, tmp_path, pair):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.cancel()
    target = tmp_path / "classes.tif"
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(
            "mineland:reclassify",
            {"INPUT": pair[0], "PRESET": 0, "TABLE": [1, 7, 1], "OUTPUT": str(target)},
            feedback=feedback,
        )
    assert list(tmp_path.glob("classes.tif*")) == []


def test_carbon_stock_says_which_densities_it_used(run, tmp_path, pair, recording_feedback):
    log = recording_feedback()
    run(
        "mineland:carbonstock",
        {
            "INPUTS": list(pair),
            "YEARS": "2000,2010",
            "OUTPUT": str(tmp_path / "c.csv"),
            "OUTPUT_HTML": str(tmp_path / "c.html"),
        },
        log,
    )
    [line] = [t for t in log.infos if t.startswith("Carbon densities used")]
    # seed 000 Table 2: forest 86 + 189, grassland 21 + 116, cropland 5 + 95 Mg/ha
    assert "from Huang (2024) Table 2" in line and "1 Cropland 100" in line and "2 Forest 275" in line
    assert "3 Grassland 137" in line
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "density used, Mg/ha (Huang (2024) Table 2)" in page and ">275<" in page.replace(" ", "")
