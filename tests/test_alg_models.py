"""The shipped models of seeds 002 and 004 through processing.run on their synthetic samples, and the model files.

restoration_monitoring: LST + EVI → mlri → trend → restorationsummary;
mining_hotspots: fishnet → moran → hotspots; desertification_sensitivity:
desertification with mining patches. tools/build_models.py must rebuild
every shipped .model3 exactly.
"""

import csv
import importlib.util
import os

import numpy as np
import pytest

from rasters import read_raster
from sample import make_seed002, make_seed004

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "mineland", "models")
NEW_MODELS = ("restoration_monitoring", "mining_hotspots", "desertification_sensitivity")
SHIPPED = ("landcover_carbon", "mine_boundaries_status") + NEW_MODELS


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def features(path):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(path, "layer", "ogr")
    assert layer.isValid(), path
    return layer, list(layer.getFeatures())


@pytest.fixture(scope="module")
def seed004(tmp_path_factory):
    return make_seed004.write_all(str(tmp_path_factory.mktemp("seed004")))


@pytest.fixture(scope="module")
def seed002(tmp_path_factory):
    return make_seed002.write_all(str(tmp_path_factory.mktemp("seed002")))


#: Keys of a model's variant map that say how it was written, not what it is.
FORMAT_KEYS = {"internal_version"}


def semantic(value):
    """A model's variant map (toVariant) without its format keys, recursively; NULL and empty text are one
    value (a NULL text a model holds reads back from its file as empty text)."""
    from qgis.core import NULL

    if isinstance(value, dict):
        return {key: semantic(item) for key, item in value.items() if key not in FORMAT_KEYS}
    if isinstance(value, (list, tuple)):
        return [semantic(item) for item in value]
    if value is None or value == NULL or (isinstance(value, str) and value == ""):
        return None
    return value


def model_content(model):
    """What a model holds: its variant map without format keys and without the destination parameters, which
    QGIS derives from the children's outputs (compared with the children) and names differently by release:
    3.44 names those of a model built in Python "carbon_stock", those of a model read from a file "carbon:Carbon
    stock" as stored."""
    content = model.toVariant()
    derived = {definition.name() for definition in model.destinationParameterDefinitions()}
    content["parameterDefinitions"] = {
        key: value for key, value in content["parameterDefinitions"].items() if key not in derived
    }
    return semantic(content)


def load_builder():
    spec = importlib.util.spec_from_file_location("build_models", os.path.join(ROOT, "tools", "build_models.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ the model files


def test_provider_loads_every_model_file_and_nothing_else(provider):
    from mineland.processing_provider.provider import shipped_models

    assert sorted(m.name() for m in shipped_models()) == sorted(SHIPPED)  # build_models.py is not a model
    for name in SHIPPED:
        model = provider.algorithm(name)
        assert model is not None and model.id() == f"mineland:{name}"
        assert model.group() == "Workflows (models)"
        assert all(child.algorithm() is not None for child in model.childAlgorithms().values())


def test_builder_rebuilds_the_shipped_files(provider, tmp_path):
    from qgis.core import QgsProcessingModelAlgorithm

    built = load_builder().build_all()
    assert sorted(built) == sorted(SHIPPED)
    for name, model in built.items():
        shipped = QgsProcessingModelAlgorithm()
        assert shipped.fromFile(os.path.join(MODELS_DIR, f"{name}.model3"))
        # compared as what they hold, not byte for byte: QGIS 3.40+ writes the file's format version
        # (internal_version Version2) whatever version the shipped file was written with
        assert model_content(model) == model_content(shipped), f"rebuild {name}.model3 (build_models.py)"


@pytest.mark.parametrize("name", NEW_MODELS)
def test_new_models_document_every_input(provider, name):
    model = provider.algorithm(name)
    help_content = model.helpContent()
    assert len(help_content["ALG_DESC"]) > 200
    for parameter in model.parameterDefinitions():
        if not parameter.isDestination():
            assert parameter.help() and help_content[parameter.name()] == parameter.help(), parameter.name()
    first = {
        "restoration_monitoring": "LST",
        "mining_hotspots": "STUDY_AREA",
        "desertification_sensitivity": "PRECIPITATION",
    }
    assert model.parameterDefinitions()[0].name() == first[name]  # in the dialog's order, not alphabetical


@pytest.mark.parametrize("name", SHIPPED)
def test_a_left_out_input_gets_the_model_default(provider, name):
    """An input left out of processing.run or qgis_process reaches a child as NULL, so the child's default
    applies: every model input wired straight to a child must carry that child's default."""
    from mineland.algorithms.compat import model_source_type

    model_parameter = model_source_type("ModelParameter")
    model = provider.algorithm(name)
    for child in model.childAlgorithms().values():
        for parameter, sources in child.parameterSources().items():
            for source in sources:
                if source.source() == model_parameter:
                    ours = model.parameterDefinition(source.parameterName()).defaultValue()
                    theirs = child.algorithm().parameterDefinition(parameter).defaultValue()
                    assert ours == theirs, (child.childId(), parameter, ours, theirs)


# -------------------------------------------------------------- restoration_monitoring


def restoration_outputs(folder):
    folder.mkdir(exist_ok=True)
    return {
        "mlri:MLRI series": str(folder / "mlri.tif"),
        "trend:Trend statistics": str(folder / "trend.tif"),
        "trend:Restoration classes": str(folder / "classes.tif"),
        "summary:Restoration per site": str(folder / "sites.gpkg"),
        "summary:Restoration report": str(folder / "report.html"),
    }


def test_restoration_monitoring_ranks_the_restoring_site_first(run, tmp_path, seed004):
    result = run(
        "mineland:restoration_monitoring",
        dict(
            restoration_outputs(tmp_path),
            LST=[seed004["lst_stack"]],
            EVI=[seed004["evi_stack"]],
            YEARS=",".join(map(str, make_seed004.YEARS)),
            SITES=seed004["sites"],
            SITE_ID_FIELD="name",
            START_YEAR_FIELD="start_year",
            GROUP_FIELD="region",
        ),
    )
    children = result["CHILD_RESULTS"]
    assert children["mlri"]["NODATA_PIXEL_YEARS"] == 25  # the 5 × 5 cloud of 2015
    assert children["trend"]["TOO_FEW_PIXELS"] == 0  # 10 of 11 years left under the cloud
    assert children["summary"]["N_SITES"] == 4
    _, sites = features(result["summary:Restoration per site"])
    site = {f["site_id"]: f for f in sites}
    assert (
        site["restoring"]["si_pct"] > site["partial"]["si_pct"] > site["stable"]["si_pct"] > site["degrading"]["si_pct"]
    )
    assert site["restoring"]["sci_pct"] > 90 and site["degrading"]["sd_pct"] > 90
    assert (site["restoring"]["cluster"], site["degrading"]["cluster"]) == ("high", "low")
    for row in sites:
        shares = [row[f"{c}_pct"] for c in ("sd", "nd", "ni", "sai", "sci")]
        assert sum(shares) == pytest.approx(100.0)
    assert site["restoring"]["duration_yr"] == 2019 - 2001  # REFERENCE_YEAR's model default

    classes = read_raster(result["trend:Restoration classes"])
    (c0, r0, c1, r1), _, _ = make_seed004.SITES["restoring"]
    assert np.all(classes[r0:r1, c0:c1] == 5)  # SCI: significant consistent increase
    (c0, r0, c1, r1), _, _ = make_seed004.SITES["degrading"]
    assert np.all(classes[r0:r1, c0:c1] == 1)  # SD: significant decrease
    with open(result["summary:Restoration report"], encoding="utf-8") as handle:
        page = handle.read()
    assert all(name in page for name in make_seed004.SITES)


def test_restoration_monitoring_takes_one_raster_per_year_too(run, tmp_path, seed004):
    stacks = run(
        "mineland:restoration_monitoring",
        dict(
            restoration_outputs(tmp_path / "a"),
            LST=[seed004["lst_stack"]],
            EVI=[seed004["evi_stack"]],
            YEARS=",".join(map(str, make_seed004.YEARS)),
            SITES=seed004["sites"],
            SITE_ID_FIELD="name",
        ),
    )
    years = run(
        "mineland:restoration_monitoring",
        dict(
            restoration_outputs(tmp_path / "b"),
            LST=seed004["lst"],
            EVI=seed004["evi"],
            YEARS=",".join(map(str, make_seed004.YEARS)),
            SITES=seed004["sites"],
            SITE_ID_FIELD="name",
        ),
    )
    assert np.array_equal(
        read_raster(stacks["trend:Restoration classes"]), read_raster(years["trend:Restoration classes"])
    )


# ----------------------------------------------------------------------- mining_hotspots


def hotspot_outputs(folder):
    return {
        "fishnet:Fishnet": str(folder / "grid.gpkg"),
        "moran:Local Moran": str(folder / "lisa.gpkg"),
        "moran:Moran report": str(folder / "moran.html"),
        "hotspots:Hot spots": str(folder / "gi.gpkg"),
    }


def lonlat_centroids(layer, rows):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    to_wgs84 = QgsCoordinateTransform(layer.crs(), QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
    return [to_wgs84.transform(f.geometry().centroid().asPoint()) for f in rows]


def test_mining_hotspots_sit_on_the_cluster(run, tmp_path, seed002):
    result = run(
        "mineland:mining_hotspots",
        dict(hotspot_outputs(tmp_path), STUDY_AREA=seed002["study_area"], MINES=seed002["mines"], CELL_SIZE=5000),
    )
    children = result["CHILD_RESULTS"]
    assert children["fishnet"]["CELLS"] > 100
    assert children["moran"]["MORANS_I"] > 0 and children["moran"]["P_SIM"] <= 0.05
    assert children["hotspots"]["HOT_SPOTS"] >= 1 and children["hotspots"]["COLD_SPOTS"] == 0

    layer, cells = features(result["hotspots:Hot spots"])
    hot = [f for f in cells if f["Gi_Bin"] > 0 and f["GiPValue"] < 0.05]
    assert len(hot) == children["hotspots"]["HOT_SPOTS"]
    densest = max(cells, key=lambda f: f["density_pct"])
    assert densest["Gi_Bin"] == 3  # the densest cell is a 99 % hot spot
    lon0, lat0, lon1, lat1 = make_seed002.CLUSTER_BOX
    margin_lon, margin_lat = 0.07, 0.05  # one 5 km cell at 43° N
    for point in lonlat_centroids(layer, hot):  # every hot spot is on or next to the cluster
        assert lon0 - margin_lon < point.x() < lon1 + margin_lon and lat0 - margin_lat < point.y() < lat1 + margin_lat
    isolated = [f for f in cells if 0 < f["density_pct"] < 10]  # one small patch alone in its cell
    assert len(isolated) == len(make_seed002.ISOLATED) and all(f["Gi_Bin"] == 0 for f in isolated)
    _, lisa = features(result["moran:Local Moran"])
    assert {f["cell_id"]: f["COType"] for f in lisa}[densest["cell_id"]] == "HH"
    assert os.path.getsize(result["moran:Moran report"]) > 1000


# ------------------------------------------------------------ desertification_sensitivity


def desertification_outputs(folder):
    return {
        "desertification:Sensitivity score": str(folder / "score.tif"),
        "desertification:Sensitivity class": str(folder / "class.tif"),
        "desertification:Classes in mining patches": str(folder / "patches.csv"),
    }


def test_desertification_model_scores_and_shares(run, tmp_path, seed002):
    from mineland.core.resilience import desertification as model

    result = run(
        "mineland:desertification_sensitivity",
        dict(desertification_outputs(tmp_path), MINES=seed002["mines"], **seed002["factors"]),
    )
    factors = {f.key: f for f in model.FACTORS}
    arrays = {key: read_raster(path) for key, path in seed002["factors"].items()}
    grades = [model.grade(np.where(a == make_seed002.NODATA, np.nan, a), factors[key]) for key, a in arrays.items()]
    # int16 like the score raster: numpy 2 would not promote uint8 grades summed with -1 to a signed type
    grades = np.array(grades, dtype=np.int16)
    expected = np.where(np.all(grades > 0, axis=0), np.sum(grades, axis=0, dtype=np.int16), np.int16(-1))
    assert np.array_equal(read_raster(result["desertification:Sensitivity score"]), expected)

    classes = read_raster(result["desertification:Sensitivity class"])
    overall = np.bincount(classes.ravel(), minlength=5)[1:] / np.count_nonzero(classes) * 100
    assert np.count_nonzero(classes == 0) == 9  # the nodata corner
    assert np.all(overall > 5)  # natural breaks by default: four real classes
    rows = read_csv(result["desertification:Classes in mining patches"])
    shares = [float(r["share_pct"]) for r in rows]
    assert [r["class"] for r in rows] == ["1", "2", "3", "4"]
    assert sum(shares) == pytest.approx(100.0)
    assert shares[3] > overall[3] + 20  # the bare, steep patches are more sensitive
    assert float(rows[3]["area_km2"]) + float(rows[2]["area_km2"]) > 50  # the cluster: 16 × ~3.6 km²


def test_desertification_model_fixed_breaks_when_asked(run, tmp_path, seed002):
    """METHOD 0 with seed 002's 13-factor breaks: six factors never score above 24, so everything is low."""
    result = run(
        "mineland:desertification_sensitivity",
        dict(desertification_outputs(tmp_path), MINES=seed002["mines"], METHOD=0, **seed002["factors"]),
    )
    classes = read_raster(result["desertification:Sensitivity class"])
    assert set(np.unique(classes)) == {0, 1}
    shares = [float(r["share_pct"]) for r in read_csv(result["desertification:Classes in mining patches"])]
    assert shares == [100.0, 0.0, 0.0, 0.0]


def test_mine_boundaries_status_left_out_vegetated_classes_are_the_4_class_codes(run, tmp_path):
    """refineboundaries' own default (raw GLC_FCS30D codes) would erase nothing on the model's 4-class raster."""
    from sample import make_seed001

    sample = make_seed001.write_all(str(tmp_path / "seed001"))
    common = dict(
        INPUT_A=sample["mines_a"],
        INPUT_B=sample["mines_b"],
        BREAKS=sample["breaks"],
        LANDCOVER=sample["classes"][-1],
        CLASSES=sample["classes"],
        YEARS=",".join(map(str, make_seed001.YEARS)),
    )
    areas = []
    for name, extra in (("given", {"VEGETATED_CLASSES": "2, 3, 4"}), ("left_out", {})):
        result = run(
            "mineland:mine_boundaries_status",
            dict(
                common,
                **extra,
                **{
                    "refine:Refined mines": str(tmp_path / f"{name}.gpkg"),
                    "disturbance:DEV REC and BSP per year": str(tmp_path / f"{name}_d.csv"),
                    "status:Mine status": str(tmp_path / f"{name}_s.csv"),
                },
            ),
        )
        areas.append(result["CHILD_RESULTS"]["refine"]["AREA_KM2"])
    assert areas[1] == pytest.approx(areas[0])


def test_model_inputs_in_reading_order_and_outputs_labelled(provider):
    """The dialog lists inputs as the builder adds them (START before END), and every output box has a label."""
    first = {"landcover_carbon": ["START", "END", "PRESET", "YEARS"], "mine_boundaries_status": ["INPUT_A", "INPUT_B"]}
    for name in SHIPPED:
        model = provider.algorithm(name)
        inputs = [d.name() for d in model.parameterDefinitions() if not d.isDestination()]
        assert inputs[: len(first.get(name, []))] == first.get(name, []), name
        for child in model.childAlgorithms().values():
            for output in child.modelOutputs().values():
                assert output.description(), f"{name}: {output.name()} has no label"


def test_models_show_readable_names_and_keep_their_ids(provider):
    from mineland.processing_provider.provider import MODEL_DISPLAY_NAMES

    for name in SHIPPED:
        model = provider.algorithm(name)
        assert model.id() == f"mineland:{name}" and model.name() == name
        assert model.displayName() == MODEL_DISPLAY_NAMES[name] != name
        assert model.createInstance().displayName() == model.displayName()
