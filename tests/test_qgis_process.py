"""The land-cover workflow through qgis_process.bin in a subprocess, as a user runs it headless."""

import csv
import json

import numpy as np
import pytest

from rasters import geodesic_pixel_areas, read_raster
from sample.make_sample import YEARS, write_series
from sample.qgisprocess import QgisProcess

pytestmark = pytest.mark.qgis_process


@pytest.fixture(scope="module")
def qgis_process():
    return QgisProcess()


@pytest.fixture(scope="module")
def classes(qgis_process, tmp_path_factory):
    """The sample series reclassified to seed 000's 7 classes by qgis_process."""
    folder = tmp_path_factory.mktemp("chain")
    outputs = []
    for year, source in zip(YEARS, write_series(str(folder / "sample"))):
        result = qgis_process.run("mineland:reclassify", INPUT=source, PRESET=1, OUTPUT=str(folder / f"c{year}.tif"))
        outputs.append(result["OUTPUT"])
    return folder, outputs


def test_plugin_is_listed(qgis_process):
    listing = qgis_process.call(["list"]).stdout
    for algorithm in ("reclassify", "transfermatrix", "landusedynamics", "carbonstock", "landcover_carbon"):
        assert f"mineland:{algorithm}" in listing


def test_transfer_matrix_matches_a_direct_count(qgis_process, classes):
    folder, rasters = classes
    result = qgis_process.run(
        "mineland:transfermatrix",
        INPUT_START=rasters[0],
        INPUT_END=rasters[-1],
        OUTPUT=str(folder / "pairs.csv"),
        OUTPUT_MATRIX=str(folder / "matrix.csv"),
    )
    start, end = read_raster(rasters[0]), read_raster(rasters[-1])
    valid = (start != 0) & (end != 0)
    assert result["NODATA_PIXELS"] == int((~valid).sum()) == 900  # the fill strip
    pixel_m2 = geodesic_pixel_areas(rasters[0])  # 30 m UTM pixels 130 km west of the central meridian
    assert result["TOTAL_KM2"] == pytest.approx(pixel_m2[valid].sum() / 1e6, rel=1e-5)
    assert result["CHANGED_KM2"] == pytest.approx(pixel_m2[valid & (start != end)].sum() / 1e6, rel=1e-5)
    with open(result["OUTPUT"], newline="", encoding="utf-8") as handle:
        pairs = {(int(r["from_class"]), int(r["to_class"])): int(r["pixels"]) for r in csv.DictReader(handle)}
    assert pairs[(1, 7)] == int((valid & (start == 1) & (end == 7)).sum()) > 0  # town grew over fields
    assert sum(pairs.values()) == int(valid.sum())


def test_dynamics_and_carbon(qgis_process, classes):
    folder, rasters = classes
    years = ",".join(map(str, YEARS))
    qgis_process.run(
        "mineland:landusedynamics",
        INPUTS=rasters,
        YEARS=years,
        OUTPUT=str(folder / "k.csv"),
        OUTPUT_SUMMARY=str(folder / "s.csv"),
    )
    with open(folder / "s.csv", newline="", encoding="utf-8") as handle:
        periods = [(r["year_start"], r["year_end"]) for r in csv.DictReader(handle)]
    assert periods == [("1985", "2000"), ("2000", "2020"), ("1985", "2020")]

    result = qgis_process.run("mineland:carbonstock", INPUTS=rasters, YEARS=years, OUTPUT=str(folder / "c.csv"))
    first = read_raster(rasters[0])
    density = np.zeros(8)
    density[[1, 2, 3]] = [100.0, 275.0, 137.0]  # seed 000 Table 2, Mg/ha
    expected_mt = (density[first] * geodesic_pixel_areas(rasters[0])).sum() / 1e4 / 1e6
    assert result["CARBON_FIRST_MT"] == pytest.approx(expected_mt, rel=1e-5)
    assert result["CARBON_CHANGE_MT"] < 0  # the pit and the town replace vegetation


def test_shipped_model(qgis_process, tmp_path):
    sources = write_series(str(tmp_path / "sample"))
    outputs = {
        "reclass_start:Classes, start date": "s.tif",
        "reclass_end:Classes, end date": "e.tif",
        "matrix:Transitions": "t.csv",
        "matrix:Transfer matrix (km2)": "m.csv",
        "dynamics:Dynamic degree per class": "k.csv",
        "dynamics:Comprehensive dynamic degree": "ks.csv",
        "carbon:Carbon stock": "c.csv",
        "carbon:Carbon change": "cc.csv",
    }
    result = qgis_process.run(
        "mineland:landcover_carbon",
        START=sources[0],
        END=sources[-1],
        YEARS="1985,2020",
        PRESET=1,
        **{k: str(tmp_path / v) for k, v in outputs.items()},
    )
    with open(result["carbon:Carbon change"], newline="", encoding="utf-8") as handle:
        totals = [float(r["change_mt"]) for r in csv.DictReader(handle) if r["class_name"] == "Total"]
    assert len(totals) == 1 and totals[0] < 0


def test_bad_input_is_a_message_not_a_traceback(qgis_process, classes):
    folder, rasters = classes
    done = qgis_process.call(
        [
            "run",
            "mineland:landusedynamics",
            "--",
            f"INPUTS={rasters[0]}",
            f"INPUTS={rasters[1]}",
            "YEARS=1985",
            f"OUTPUT={folder / 'bad.csv'}",
        ]
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "YEARS: 1 years given for 2 rasters" in output
    assert "Traceback" not in output


def test_trend_and_mlri(qgis_process, tmp_path):
    from rasters import write_raster

    rng = np.random.default_rng(7)
    years = list(range(2000, 2012))
    lst = 300 + rng.normal(size=(len(years), 5, 6)) - 0.3 * np.arange(len(years))[:, None, None]
    evi = 0.2 + 0.02 * np.arange(len(years))[:, None, None] + 0.01 * rng.random((len(years), 5, 6))
    lst_paths = [write_raster(tmp_path / f"lst{y}.tif", a.astype(np.float32)) for y, a in zip(years, lst)]
    evi_paths = [write_raster(tmp_path / f"evi{y}.tif", a.astype(np.float32)) for y, a in zip(years, evi)]
    index = qgis_process.run(
        "mineland:mlri",
        LST_INPUTS=lst_paths,
        EVI_INPUTS=evi_paths,
        YEARS=",".join(map(str, years)),
        LST_UNITS=0,
        OUTPUT=str(tmp_path / "mlri.tif"),
    )
    assert index["NODATA_PIXEL_YEARS"] == 0
    result = qgis_process.run(
        "mineland:trend",
        INPUTS=index["OUTPUT"],
        YEARS=",".join(map(str, years)),
        MIN_VALID=8,
        ALPHA=0.05,
        OUTPUT=str(tmp_path / "trend.tif"),
        OUTPUT_CLASS=str(tmp_path / "classes.tif"),
    )
    assert result["TOO_FEW_PIXELS"] == 0
    classes = read_raster(result["OUTPUT_CLASS"])
    assert np.all(np.isin(classes, [4, 5]))  # cooling and greening everywhere: significant increase
    assert (tmp_path / "classes.qml").exists()


def _geojson(path, rings):
    """Write lon/lat rectangles (x0, y0, x1, y1) as a GeoJSON polygon layer."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"p{i}"},
            "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
        }
        for i, (x0, y0, x1, y1) in enumerate(rings)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return str(path)


def test_fishnet_and_patch_statistics(qgis_process, tmp_path):
    area = _geojson(tmp_path / "area.geojson", [(88.0, 43.0, 89.0, 44.0)])
    mines = _geojson(tmp_path / "mines.geojson", [(88.1, 43.1, 88.12, 43.12), (88.5, 43.5, 88.51, 43.51)])
    grid = qgis_process.run(
        "mineland:fishnet",
        STUDY_AREA=area,
        CELL_SIZE=20000,
        CLIP="true",
        MINES=mines,
        OUTPUT=str(tmp_path / "grid.gpkg"),
    )
    stats = qgis_process.run("mineland:patchstats", INPUT=mines, THRESHOLDS="0.5, 5", OUTPUT=str(tmp_path / "p.csv"))
    assert stats["PATCHES"] == 2
    assert grid["CELLS"] > 20 and grid["MINE_AREA_KM2"] == pytest.approx(stats["AREA_KM2"], rel=1e-6)


def test_mining_hot_spots_chain(qgis_process, tmp_path):
    """Seed 002's chain headless: fishnet with mine density → Moran's I → Gi* hot spots."""
    area = _geojson(tmp_path / "area.geojson", [(88.0, 43.0, 89.0, 44.0)])
    mines = _geojson(
        tmp_path / "mines.geojson",
        [(88.02 + 0.03 * i, 43.02 + 0.03 * j, 88.04 + 0.03 * i, 43.04 + 0.03 * j) for i in range(4) for j in range(4)],
    )
    grid = qgis_process.run(
        "mineland:fishnet", STUDY_AREA=area, CELL_SIZE=10000, MINES=mines, OUTPUT=str(tmp_path / "grid.gpkg")
    )
    moran = qgis_process.run(
        "mineland:moran",
        INPUT=grid["OUTPUT"],
        FIELD="density_pct",
        WEIGHTS=0,
        PERMUTATIONS=99,
        SEED=3,
        OUTPUT=str(tmp_path / "lisa.gpkg"),
    )
    hot = qgis_process.run(
        "mineland:hotspots",
        INPUT=grid["OUTPUT"],
        FIELD="density_pct",
        WEIGHTS=0,
        FDR="true",
        OUTPUT=str(tmp_path / "gi.gpkg"),
    )
    assert isinstance(moran["MORANS_I"], float) and moran["MORANS_I"] > 0  # the mines sit in one corner
    assert moran["P_SIM"] <= 0.05
    assert hot["HOT_SPOTS"] >= 1 and isinstance(hot["G"], float)


def test_mine_boundaries_status_model(qgis_process, tmp_path):
    """Seed 001's chain headless: refine → disturbance → status, as the shipped model."""
    from sample.make_seed001 import YEARS, write_all

    sample = write_all(str(tmp_path / "seed001"))
    result = qgis_process.run(
        "mineland:mine_boundaries_status",
        INPUT_A=sample["mines_a"],
        INPUT_B=sample["mines_b"],
        BREAKS=sample["breaks"],
        LANDCOVER=sample["classes"][-1],
        CLASSES=sample["classes"],
        YEARS=",".join(map(str, YEARS)),
        VEGETATED_CLASSES="2,3,4",
        **{
            "refine:Refined mines": str(tmp_path / "m.gpkg"),
            "disturbance:DEV REC and BSP per year": str(tmp_path / "d.csv"),
            "status:Mine status": str(tmp_path / "s.csv"),
        },
    )
    with open(result["status:Mine status"], newline="", encoding="utf-8") as handle:
        assert sorted(r["status"] for r in csv.DictReader(handle)) == ["active", "closed"]


def test_resilience_and_integrity(qgis_process, tmp_path):
    """Seed 003's measurement headless: resilience per zone, then integrity stages over two dates."""
    from rasters import write_raster

    cover = [np.array([[1, 2, 3, 3]] * 4, dtype=np.uint8), np.array([[1, 1, 3, 4]] * 4, dtype=np.uint8)]
    covers = [write_raster(tmp_path / f"lc{k}.tif", c) for k, c in enumerate(cover)]
    ndvi = [
        write_raster(tmp_path / f"ndvi{k}.tif", np.full((4, 4), v, dtype=np.float32)) for k, v in enumerate((0.5, 0.3))
    ]
    zones = tmp_path / "zones.geojson"  # west and east halves of the rasters, in UTM 33N
    zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": name},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[x0, 5999880.0], [x1, 5999880.0], [x1, 6000000.0], [x0, 6000000.0], [x0, 5999880.0]]
                            ],
                        },
                    }
                    for name, x0, x1 in (("west", 500000.0, 500060.0), ("east", 500060.0, 500120.0))
                ],
            }
        ),
        encoding="utf-8",
    )
    scores = "1=0.4, 2=0.8, 3=0.5, 4=0.9"
    qgis_process.run(
        "mineland:resilience",
        LANDCOVER=covers[0],
        NDVI=ndvi[0],
        SCORES=scores,
        C1=2,
        C2=0.5,
        ZONES=str(zones),
        ZONE_ID_FIELD="name",
        OUTPUT=str(tmp_path / "res.csv"),
    )
    with open(tmp_path / "res.csv", newline="", encoding="utf-8") as handle:
        e = {r["zone_id"]: float(r["e"]) for r in csv.DictReader(handle)}
    assert e == pytest.approx({"west": 0.5 * 0.08 * 0.6, "east": 0.0})  # H = 1, ECO_res = 0.6; east one class
    qgis_process.run(
        "mineland:integrity",
        INPUTS=covers,
        YEARS="2000,2010",
        ZONES=str(zones),
        ZONE_ID_FIELD="name",
        NDVI=ndvi,
        SCORES=scores,
        NORMALISATION=1,
        OUTPUT=str(tmp_path / "eci.csv"),
    )
    with open(tmp_path / "eci.csv", newline="", encoding="utf-8") as handle:
        rows = {(r["zone_id"], r["year"]): r for r in csv.DictReader(handle)}
    assert float(rows["west", "2000"]["e"]) == pytest.approx(e["west"])
    assert float(rows["west", "2000"]["thv"]) == pytest.approx(1.0)
    assert rows["west", "2010"]["stage_name"] in ("Encryption", "Resilience", "Yield", "Mutation")


def test_desertification_thresholds_as_a_comma_list(qgis_process, tmp_path):
    from rasters import write_raster

    slope = write_raster(tmp_path / "slope.tif", np.array([[4, 12, 20, 30]], np.float32))
    result = qgis_process.run(
        "mineland:desertification",
        SLOPE=slope,
        THRESHOLDS="SLOPE,5,15,25,high",
        OUTPUT_SCORE=str(tmp_path / "s.tif"),
        OUTPUT_CLASS=str(tmp_path / "c.tif"),
    )
    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[1, 2, 3, 4]]  # Table 6's 5, 10, 25 give 12° a 3


def test_overlap_and_affected_area(qgis_process, tmp_path):
    """Issue 11's analyses headless: mines inside zones (GeoJSON) and the production scaling (plain CSV)."""
    mines = _geojson(tmp_path / "mines.geojson", [(88.0, 43.0, 88.02, 43.01), (88.5, 43.5, 88.51, 43.51)])
    zones = _geojson(tmp_path / "zones.geojson", [(88.01, 42.9, 88.1, 43.1)])  # half of the first mine
    result = qgis_process.run("mineland:overlap", MINES=mines, ZONES=zones, OUTPUT=str(tmp_path / "o.csv"))
    assert result["PATCHES_INSIDE"] == 1
    # half of the first mine, which is twice the second's size: about 1 of 3 area units (the second lies further north)
    assert result["SHARE_INSIDE_PCT"] == pytest.approx(100 / 3, abs=0.2)
    surveyed = tmp_path / "mines.csv"
    surveyed.write_text("name,km2,mt\nfive mines,1679.60,142.4\n", encoding="utf-8")
    scaled = qgis_process.run(
        "mineland:affectedarea",
        INPUT=str(surveyed),
        NAME_FIELD="name",
        AREA_FIELD="km2",
        PRODUCTION_FIELD="mt",
        TOTAL_PRODUCTION=1060,
        OUTPUT=str(tmp_path / "a.csv"),
    )
    assert scaled["ESTIMATE_KM2"] == pytest.approx(12502.37, abs=0.3)


def test_no_deprecation_warning_from_the_plugins_own_calls(qgis_process, classes):
    """Tables (QgsField) and rasters written through qgis_process print no DeprecationWarning pointing into the
    plugin: fields are typed the way the running QGIS wants (algorithms/compat.py; QMetaType on 3.38+)."""
    folder, rasters = classes
    done = qgis_process.call(
        [
            "--json",
            "run",
            "mineland:transfermatrix",
            "--",
            f"INPUT_START={rasters[0]}",
            f"INPUT_END={rasters[-1]}",
            f"OUTPUT={folder / 'deprecation.csv'}",
            f"OUTPUT_CHANGE={folder / 'deprecation.tif'}",
        ]
    )
    assert done.returncode == 0, done.stderr
    ours = [
        line for line in (done.stdout + done.stderr).splitlines() if "DeprecationWarning" in line and "mineland" in line
    ]
    assert ours == []
