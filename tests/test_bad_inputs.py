"""The bad-input corpus over the raster algorithms: every case ends in a QgsProcessingException that names a
parameter, or in a valid result — never a traceback, never NaN in an output raster, never a changed input."""

import os
import re

import numpy as np
import pytest

from rasters import file_digest, write_raster
from test_reliability import YEARS

UTM = dict(epsg=32633, origin=(500000.0, 6000000.0), pixel=(30.0, 30.0))
GEOGRAPHIC = dict(epsg=4326, origin=(10.0, 50.0), pixel=(0.0003, 0.0003))


def arrays(rows=20, cols=30):
    rng = np.random.default_rng(9)
    stack = np.arange(5, dtype=np.float32)[:, None, None] + rng.random((5, rows, cols), dtype=np.float32)
    return {
        "a": rng.integers(1, 4, (rows, cols)).astype(np.uint8),
        "b": rng.integers(1, 4, (rows, cols)).astype(np.uint8),
        "stack": stack,
        "lst": 290 + stack,
        "evi": 0.1 + stack / 10,
        "ndvi": (stack[0] / 10).astype(np.float32),
    }


def write_inputs(folder, variant):
    """The input rasters of one variant; 'second' inputs (b, evi, ndvi) are the ones put off the grid."""
    folder.mkdir(exist_ok=True)
    data = arrays(1, 1) if variant == "one_pixel" else arrays()
    paths = {}
    for name, values in data.items():
        where = dict(GEOGRAPHIC if variant == "geographic" else UTM)
        second = name in ("b", "evi", "ndvi")
        if second and variant == "shifted":
            where["origin"] = (where["origin"][0] + 15.0, where["origin"][1])
        if second and variant == "other_crs":
            where["epsg"] = 32634
        if second and variant == "other_size":
            values = values[..., :-1]
        nodata = 0 if values.dtype == np.uint8 else -9999.0
        if variant == "all_nodata":
            values = np.full_like(values, nodata)
        if variant == "nan_inf" and values.dtype == np.float32:
            values = values.copy()
            values[..., 0, 0], values[..., 1, 1] = np.nan, np.inf
            nodata = None
        paths[name] = write_raster(folder / f"{name}.tif", values, nodata=nodata, **where)
    return paths


#: algorithm, parameters(inputs, output folder), raster outputs, several inputs on one grid?
ALGORITHMS = [
    (
        "mineland:reclassify",
        lambda r, o: {"INPUT": r["a"], "PRESET": 0, "TABLE": [1, 2, 1, 3, 3, 2], "OUTPUT": str(o / "rc.tif")},
        ["OUTPUT"],
        False,
    ),
    (
        "mineland:transfermatrix",
        lambda r, o: {
            "INPUT_START": r["a"],
            "INPUT_END": r["b"],
            "OUTPUT": str(o / "t.csv"),
            "OUTPUT_CHANGE": str(o / "change.tif"),
        },
        ["OUTPUT_CHANGE"],
        True,
    ),
    (
        "mineland:landusedynamics",
        lambda r, o: {"INPUTS": [r["a"], r["b"]], "YEARS": "2000,2010", "OUTPUT": str(o / "k.csv")},
        [],
        True,
    ),
    (
        "mineland:carbonstock",
        lambda r, o: {
            "INPUTS": [r["a"], r["b"]],
            "YEARS": "2000,2010",
            "OUTPUT": str(o / "c.csv"),
            "OUTPUT_DENSITY": str(o / "density.tif"),
        },
        ["OUTPUT_DENSITY"],
        True,
    ),
    (
        "mineland:trend",
        lambda r, o: {
            "INPUTS": [r["stack"]],
            "YEARS": YEARS,
            "MIN_VALID": 4,
            "OUTPUT": str(o / "trend.tif"),
            "OUTPUT_CLASS": str(o / "class.tif"),
        },
        ["OUTPUT", "OUTPUT_CLASS"],
        False,
    ),
    (
        "mineland:mlri",
        lambda r, o: {
            "LST_INPUTS": [r["lst"]],
            "EVI_INPUTS": [r["evi"]],
            "YEARS": YEARS,
            "OUTPUT": str(o / "mlri.tif"),
        },
        ["OUTPUT"],
        True,
    ),
    (
        "mineland:resilience",
        lambda r, o: {
            "LANDCOVER": r["a"],
            "NDVI": r["ndvi"],
            "SCORES": "1=0.5,2=0.7,3=0.9",
            "WINDOW": 3,
            "OUTPUT_RASTER": str(o / "window.tif"),
        },
        ["OUTPUT_RASTER"],
        True,
    ),
    (
        "mineland:desertification",
        lambda r, o: {
            "NDVI_MEAN": r["stack"],
            "SAND": r["ndvi"],
            "OUTPUT_SCORE": str(o / "score.tif"),
            "OUTPUT_CLASS": str(o / "sens.tif"),
        },
        ["OUTPUT_SCORE", "OUTPUT_CLASS"],
        True,
    ),
]
VARIANTS = [
    "ok",
    "shifted",
    "other_size",
    "other_crs",
    "geographic",
    "all_nodata",
    "nan_inf",
    "one_pixel",
    "missing",
    "output_is_input",
    "unwritable",
]
MUST_FAIL = {"missing", "output_is_input", "unwritable"}
GRID_VARIANTS = {"shifted", "other_size", "other_crs"}


def parameter_keys(algorithm_id):
    from qgis.core import QgsApplication

    return [p.name() for p in QgsApplication.processingRegistry().algorithmById(algorithm_id).parameterDefinitions()]


def outcome(run, algorithm_id, parameters):
    """('error', message) for a QgsProcessingException naming a parameter, else ('ok', results)."""
    from qgis.core import QgsProcessingException

    try:
        return "ok", run(algorithm_id, parameters)
    except QgsProcessingException as err:
        message = str(err)
        named = [key for key in parameter_keys(algorithm_id) if re.search(rf"\b{key}\b", message)]
        assert named, f"the message names no parameter: {message}"
        assert "Traceback" not in message
        return "error", message


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "algorithm_id, parameters, raster_outputs, one_grid", ALGORITHMS, ids=[a[0].split(":")[1] for a in ALGORITHMS]
)
def test_bad_raster_inputs(run, tmp_path, algorithm_id, parameters, raster_outputs, one_grid, variant):
    from osgeo import gdal

    inputs = write_inputs(tmp_path / "in", variant)
    before = {p: file_digest(p) for p in inputs.values()}
    out = tmp_path / "out"
    out.mkdir()
    params = parameters(inputs, out)
    first_input = (
        next(v for v in params.values() if isinstance(v, str) and v in inputs.values())
        if any(isinstance(v, str) and v in inputs.values() for v in params.values())
        else params[next(k for k, v in params.items() if isinstance(v, list))][0]
    )
    output_key = raster_outputs[0] if raster_outputs else "OUTPUT"
    if variant == "missing":
        os.remove(first_input)
        before.pop(first_input)
    elif variant == "output_is_input":
        params[output_key] = first_input
    elif variant == "unwritable":
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        params[output_key] = str(blocker / os.path.basename(str(params[output_key])))
    kind, result = outcome(run, algorithm_id, params)
    assert {p: file_digest(p) for p in before} == before, "an input file changed"
    if variant in MUST_FAIL or (one_grid and variant in GRID_VARIANTS):
        assert kind == "error", f"{variant} should be refused, got {result}"
    if variant == "ok":
        assert kind == "ok", result
    if kind == "ok":
        for key in raster_outputs:
            dataset = gdal.Open(result[key])
            for band in range(1, dataset.RasterCount + 1):
                values = dataset.GetRasterBand(band).ReadAsArray()
                assert not np.isnan(values).any(), f"NaN in {key} band {band}: nodata must be nodata"
