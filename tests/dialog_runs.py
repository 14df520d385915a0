"""Runs algorithms the way the QGIS window does; tests/test_dialogs.py starts it in a process of its own.

A QgsApplication with its GUI (offscreen) is needed for the dialogs' widgets,
and a process has only one QgsApplication, hence the separate process. For
each case the script builds the real dialog (AlgorithmDialog, a batch row of
BatchAlgorithmDialog, or the Model Designer's ModelerParametersDialog), sets
only the required inputs through the widgets, takes the parameters the dialog
would run with, runs them with a context tied to the project as the dialog's
is, loads the results with Processing's own handleAlgorithmResults (which is
what reports "The following layers were not correctly generated") and writes
what happened to a JSON file: python dialog_runs.py OUT_FOLDER.
"""

import inspect
import json
import os
import sys
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402 (after the platform is chosen)
    QgsApplication,
    QgsLayerTreeModel,
    QgsMapLayerType,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelParameter,
    QgsProcessingParameterRasterLayer,
    QgsProject,
)

QgsApplication.setPrefixPath("/usr", True)
APP = QgsApplication([], True)
APP.initQgis()
sys.path.append("/usr/share/qgis/python/plugins")

import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402
from processing.gui.AlgorithmDialog import AlgorithmDialog  # noqa: E402
from processing.gui.BatchAlgorithmDialog import BatchAlgorithmDialog  # noqa: E402
from processing.gui.Postprocessing import handleAlgorithmResults  # noqa: E402
from processing.modeler.ModelerParametersDialog import ModelerParametersDialog  # noqa: E402

Processing.initialize()

from mineland.processing_provider.provider import MineLandProvider  # noqa: E402
from sample import make_sample, make_seed001, make_seed002, make_seed004, sample_io  # noqa: E402

PROVIDER = MineLandProvider()
QgsApplication.processingRegistry().addProvider(PROVIDER)


class Recorder(QgsProcessingFeedback):
    """Keeps the errors reported to it (handleAlgorithmResults reports phantom layers as an error)."""

    def __init__(self):
        super().__init__()
        self.errors = []

    def reportError(self, error, fatalError=False):  # noqa: N802 (QGIS's name)
        self.errors.append(error)
        super().reportError(error, fatalError)


def ndvi_like(path, out):
    """A float NDVI raster on the grid of ``path`` (values 0.2–0.8)."""
    import numpy as np
    from osgeo import gdal

    source = gdal.Open(path)
    target = gdal.GetDriverByName("GTiff").Create(out, source.RasterXSize, source.RasterYSize, 1, gdal.GDT_Float32)
    target.SetGeoTransform(source.GetGeoTransform())
    target.SetProjection(source.GetProjection())
    yy, xx = np.mgrid[0 : source.RasterYSize, 0 : source.RasterXSize]
    target.GetRasterBand(1).WriteArray((0.5 + 0.3 * np.sin(xx / 20.0) * np.cos(yy / 15.0)).astype(np.float32))
    target = None
    return out


def samples(folder):
    glc = make_sample.write_series(os.path.join(folder, "glc"))
    seed002 = make_seed002.write_all(os.path.join(folder, "seed002"))
    seed004 = make_seed004.write_all(os.path.join(folder, "seed004"))
    return glc, seed002, seed004


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        for row in rows:
            handle.write(",".join(str(cell) for cell in row) + "\n")
    return path


def glc_zones(folder):
    """Two zones (west, east halves) over the GLC sample grid, as GeoJSON."""

    def corner(col, row):
        return sample_io.lonlat(col, row, make_sample.ORIGIN, make_sample.PIXEL, make_sample.EPSG, 7)

    half = make_sample.WIDTH // 2
    return sample_io.write_features(
        os.path.join(folder, "zones.geojson"),
        [
            {
                "type": "Feature",
                "properties": {"zone": name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [sample_io.box_ring(corner, c0, 0, c1, make_sample.HEIGHT)],
                },
            }
            for name, c0, c1 in (("west", 0, half), ("east", half, make_sample.WIDTH))
        ],
    )


def reference_points(folder, classes):
    """Points on a regular grid of the class raster, their class read from it (one in five off by one)."""
    from osgeo import gdal

    source = gdal.Open(classes)
    values = source.GetRasterBand(1).ReadAsArray()
    x0, dx, _, y0, _, dy = source.GetGeoTransform()
    features = []
    points = ((r, c) for r in range(15, values.shape[0], 30) for c in range(20, values.shape[1], 40))
    for k, (row, col) in enumerate(points):
        lon, lat = sample_io.lonlat(col, row, (x0, y0), dx, make_sample.EPSG, 7)
        truth = int(values[row, col]) if k % 5 else int(values[row, col]) % 7 + 1
        features.append(
            {
                "type": "Feature",
                "properties": {"id": k, "truth": truth},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    return sample_io.write_features(os.path.join(folder, "reference.geojson"), features)


def other_data(folder, classes, seed001, seed002, seed004):
    """Inputs the other algorithms need, made as an analyst would (some by running MineLand first)."""
    os.makedirs(folder, exist_ok=True)
    grid = processing.run(
        "mineland:fishnet",
        {
            "STUDY_AREA": seed002["study_area"],
            "MINES": seed002["mines"],
            "CELL_SIZE": 5000,
            "OUTPUT": os.path.join(folder, "grid.gpkg"),
        },
    )
    seed001_years = ",".join(map(str, make_seed001.YEARS))
    disturbance = processing.run(
        "mineland:disturbance",
        {
            "MINES": seed001["mines_a"],
            "ID_FIELD": "name",
            "INPUTS": seed001["classes"],
            "YEARS": seed001_years,
            "OUTPUT": os.path.join(folder, "disturbance.csv"),
        },
    )
    trend = processing.run(
        "mineland:trend",
        {
            "INPUTS": seed004["evi"],
            "YEARS": ",".join(map(str, make_seed004.YEARS)),
            "OUTPUT": os.path.join(folder, "trend.tif"),
            "OUTPUT_CLASS": os.path.join(folder, "restoration.tif"),
        },
    )
    production = [("A", 2000 + k, round(1 + 0.5 * k - 0.04 * k * k, 2)) for k in range(12)]
    production += [("B", 2000 + k, round(3 - 0.2 * k, 2)) for k in range(12)]
    return {
        "ndvi001": [
            ndvi_like(path, os.path.join(folder, f"ndvi_{year}.tif"))
            for path, year in zip(seed001["classes"], make_seed001.YEARS)
        ],
        "grid": grid["OUTPUT"],
        "disturbance": disturbance["OUTPUT"],
        "restoration": trend["OUTPUT_CLASS"],
        "zones": glc_zones(folder),
        "reference": reference_points(folder, classes[-1]),
        "production": write_csv(os.path.join(folder, "production.csv"), ["mine", "year", "production"], production),
        "surveyed": write_csv(
            os.path.join(folder, "surveyed.csv"),
            ["mine", "area_km2", "production"],
            [("m1", 2.1, 10), ("m2", 0.8, 3.5), ("m3", 5.3, 22), ("m4", 1.4, 6), ("m5", 3.2, 15)],
        ),
    }


def other_inputs(classes, seed001, seed002, seed004, data):
    """Per algorithm without raster outputs, the values of its required inputs (fields only without a default)."""
    seed001_years = ",".join(map(str, make_seed001.YEARS))
    return {
        "mineland:accuracy": {"INPUT": classes[-1], "REFERENCE": data["reference"], "REFERENCE_FIELD": "truth"},
        "mineland:affectedarea": {"INPUT": data["surveyed"], "AREA_FIELD": "area_km2"},
        "mineland:disturbance": {"MINES": seed001["mines_a"], "INPUTS": seed001["classes"]},
        "mineland:fishnet": {"STUDY_AREA": seed002["study_area"]},
        "mineland:hotspots": {"INPUT": data["grid"]},
        "mineland:integrity": {"INPUTS": classes, "ZONES": data["zones"]},
        "mineland:landusedynamics": {"INPUTS": classes},
        "mineland:lifecycle": {"INPUT": data["production"], "MINE_FIELD": "mine"},
        "mineland:mine_boundaries_status": {
            "INPUT_A": seed001["mines_a"],
            "INPUT_B": seed001["mines_b"],
            "BREAKS": seed001["breaks"],
            "LANDCOVER": seed001["classes"][-1],
            "CLASSES": seed001["classes"],
            "YEARS": seed001_years,
        },
        "mineland:minestatus": {"INPUT": data["disturbance"]},
        "mineland:mining_hotspots": {"STUDY_AREA": seed002["study_area"], "MINES": seed002["mines"]},
        "mineland:moran": {"INPUT": data["grid"]},
        "mineland:overlap": {"MINES": seed002["mines"], "ZONES": seed002["study_area"]},
        "mineland:patchstats": {"INPUT": seed002["mines"]},
        "mineland:refineboundaries": {
            "INPUT_A": seed001["mines_a"],
            "INPUT_B": seed001["mines_b"],
            "BREAKS": seed001["breaks"],
            "LANDCOVER": seed001["classes"][-1],
        },
        "mineland:restorationsummary": {"INPUT": data["restoration"], "SITES": seed004["sites"]},
        "mineland:zonalseries": {"MINES": seed001["mines_a"], "INPUTS": data["ndvi001"]},
    }


def required_inputs(glc, classes, seed002, seed004):
    """Per algorithm with raster outputs, the values of its required inputs an analyst would pick."""
    lc_years = ",".join(map(str, make_sample.YEARS))
    years4 = ",".join(map(str, make_seed004.YEARS))
    return {
        "mineland:reclassify": {"INPUT": glc[0]},
        "mineland:transfermatrix": {"INPUT_START": classes[0], "INPUT_END": classes[-1]},
        "mineland:carbonstock": {"INPUTS": classes, "YEARS": lc_years},
        "mineland:trend": {"INPUTS": seed004["evi"], "YEARS": years4},
        "mineland:mlri": {"LST_INPUTS": seed004["lst"], "EVI_INPUTS": seed004["evi"], "YEARS": years4},
        "mineland:resilience": {
            "LANDCOVER": classes[-1],
            "WINDOW": 5,
            "NDVI": ndvi_like(classes[-1], classes[-1].replace(".tif", "_ndvi.tif")),
            "SCORES": "1=0.5, 2=0.9, 3=0.7, 4=0.8, 5=0.6, 6=0.1, 7=0.2",
        },
        "mineland:desertification": dict(seed002["factors"]),
        "mineland:landcover_carbon": {
            "START": glc[0],
            "END": glc[-1],
            "YEARS": f"{make_sample.YEARS[0]},{make_sample.YEARS[-1]}",
        },
        "mineland:restoration_monitoring": {
            "LST": seed004["lst"],
            "EVI": seed004["evi"],
            "YEARS": years4,
            "SITES": seed004["sites"],
            "SITE_ID_FIELD": "name",
        },
        "mineland:desertification_sensitivity": dict(seed002["factors"], MINES=seed002["mines"]),
    }


def set_widgets(wrappers, values, context):
    for key, value in values.items():
        wrappers[key].setParameterValue(value, context)


def describe(layer):
    """Name, renderer and (for a vector layer) fields and feature count of a loaded layer."""
    entry = {"name": layer.name(), "source": layer.source()}
    model = QgsLayerTreeModel(QgsProject.instance().layerTreeRoot())
    node = QgsProject.instance().layerTreeRoot().findLayer(layer.id())
    entry["legend_nodes"] = [str(n.data(0)) for n in model.layerLegendNodes(node)][:6] if node else []
    if layer.type() == QgsMapLayerType.RasterLayer:
        renderer = layer.renderer()
        entry.update(
            renderer=renderer.type(),
            legend=[str(label) for label, _ in renderer.legendSymbologyItems()],
            band_names=[layer.bandName(band) for band in range(1, layer.bandCount() + 1)],
        )
        if renderer.type() == "paletted":
            entry["classes"] = [[c.value, c.label] for c in renderer.classes()]
    else:
        renderer = layer.renderer()
        entry.update(
            renderer=renderer.type() if renderer else None, fields=layer.fields().names(), count=layer.featureCount()
        )
    return entry


def run_and_load(algorithm_id, parameters):
    """Run as the dialog does and load the results as it does; what the user would see."""
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = Recorder()
    fact = {"parameters": {k: str(v) for k, v in parameters.items()}}
    # as the dialog's AlgorithmExecutor does (processing.run would take the memory layers out of the context)
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    try:
        results, ok = algorithm.run(parameters, context, feedback, {}, False)
    except Exception as err:  # the message the dialog's log would show
        fact["error"] = str(err)
        fact["errors"] = feedback.errors
        return fact
    to_load = list(context.layersToLoadOnCompletion())
    fact["to_load"] = to_load
    fact["missing"] = [path for path in to_load if os.path.isabs(path) and not os.path.exists(path.split("|")[0])]
    before = set(QgsProject.instance().mapLayers())
    # QGIS 3.22 has a showResults argument before parameters; 3.40 has none
    if "showResults" in inspect.signature(handleAlgorithmResults).parameters:
        fact["loaded"] = handleAlgorithmResults(algorithm, context, feedback, False, parameters)
    else:
        fact["loaded"] = handleAlgorithmResults(algorithm, context, feedback, parameters=parameters)
    new = [layer for key, layer in QgsProject.instance().mapLayers().items() if key not in before]
    fact["layer_names"] = sorted(layer.name() for layer in new)
    fact["layers"] = [describe(layer) for layer in new]
    fact["errors"] = feedback.errors
    fact["results"] = {k: str(v) for k, v in results.items()}
    return fact


def from_dialog(algorithm_id, values):
    """The parameters of the algorithm's dialog with only ``values`` set through its widgets."""
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    dialog = AlgorithmDialog(algorithm, False, None)
    set_widgets(dialog.mainWidget().wrappers, values, QgsProcessingContext())
    return dialog.createProcessingParameters()


def from_batch_row(algorithm_id, values, output_folder):
    """The parameters of the first row of the algorithm's batch dialog, inputs and outputs filled in."""
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    dialog = BatchAlgorithmDialog(algorithm, None)
    panel = dialog.mainWidget()
    context = QgsProcessingContext()
    for key, value in values.items():
        panel.wrappers[0][panel.parameter_to_column[key]].setParameterValue(value, context)
    for output in algorithm.destinationParameterDefinitions():
        widget = panel.tblParameters.cellWidget(1, panel.parameter_to_column[output.name()])
        extension = output.defaultFileExtension()
        file_name = f"{algorithm.name()}_{output.name().replace(':', '_')}.{extension}"
        widget.setValue(os.path.join(output_folder, file_name))
    # QGIS 3.40 takes the context before the destination project; 3.22 takes only the project
    if "context" in inspect.signature(panel.parametersForRow).parameters:
        parameters, ok = panel.parametersForRow(0, context, QgsProject.instance())
    else:
        parameters, ok = panel.parametersForRow(0, QgsProject.instance())
    assert ok, "the batch row was refused"
    return parameters


def designer_child(model, algorithm_id, sources):
    """A child added through the Model Designer's dialog, untouched but for ``sources`` (model inputs)."""
    algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
    dialog = ModelerParametersDialog(algorithm, model)
    child = dialog.createAlgorithm()
    for key, source in sources.items():
        child.addParameterSources(key, [source])
    return child


def designer_model():
    """reclassify → transfermatrix, both children as the Model Designer's dialogs make them."""
    model = QgsProcessingModelAlgorithm("designer", "designer")
    for name in ("START", "END"):
        model.addModelParameter(QgsProcessingParameterRasterLayer(name, name), QgsProcessingModelParameter(name))
    reclass_ids = []
    for name in ("START", "END"):
        child = designer_child(
            model, "mineland:reclassify", {"INPUT": QgsProcessingModelChildParameterSource.fromModelParameter(name)}
        )
        model.addChildAlgorithm(child)
        reclass_ids.append(child.childId())
    matrix = designer_child(
        model,
        "mineland:transfermatrix",
        {
            "INPUT_START": QgsProcessingModelChildParameterSource.fromChildOutput(reclass_ids[0], "OUTPUT"),
            "INPUT_END": QgsProcessingModelChildParameterSource.fromChildOutput(reclass_ids[1], "OUTPUT"),
        },
    )
    model.addChildAlgorithm(matrix)
    return model, {child_id: model.childAlgorithm(child_id).parameterSources().get("TABLE") for child_id in reclass_ids}


def main(out):
    facts = {"errors": [], "dialog": {}, "batch": {}}
    facts["provider"] = sorted(algorithm.id() for algorithm in PROVIDER.algorithms())
    glc, seed002, seed004 = samples(os.path.join(out, "data"))
    seed001 = make_seed001.write_all(os.path.join(out, "data", "seed001"))
    reclassified = []
    for path in glc:
        result = processing.run("mineland:reclassify", {"INPUT": path, "OUTPUT": path.replace(".tif", "_7.tif")})
        reclassified.append(result["OUTPUT"])
    inputs = required_inputs(glc, reclassified, seed002, seed004)
    inputs.update(
        other_inputs(
            reclassified,
            seed001,
            seed002,
            seed004,
            other_data(os.path.join(out, "data", "other"), reclassified, seed001, seed002, seed004),
        )
    )
    only = os.environ.get("MINELAND_DIALOG_ONLY")  # a comma-separated subset, when debugging
    chosen = [a for a in inputs if not only or a in only.split(",")]
    for algorithm_id in chosen:
        try:
            facts["dialog"][algorithm_id] = run_and_load(algorithm_id, from_dialog(algorithm_id, inputs[algorithm_id]))
        except Exception:
            facts["errors"].append(f"{algorithm_id} (dialog): {traceback.format_exc()}")
    for algorithm_id in chosen:
        try:
            facts["batch"][algorithm_id] = run_and_load(
                algorithm_id, from_batch_row(algorithm_id, inputs[algorithm_id], os.path.join(out, "batch"))
            )
        except Exception:
            facts["errors"].append(f"{algorithm_id} (batch): {traceback.format_exc()}")
        QgsProject.instance().removeAllMapLayers()  # the loaded results keep files open otherwise
    try:
        model, tables = designer_model()
        model_path = os.path.join(out, "designer.model3")
        model.toFile(model_path)
        facts["designer_tables"] = {k: [str(s.staticValue()) for s in v or []] for k, v in tables.items()}
        loaded = QgsProcessingModelAlgorithm()
        loaded.fromFile(model_path)
        context = QgsProcessingContext()
        feedback = Recorder()
        results = loaded.run({"START": glc[0], "END": glc[-1]}, context, feedback)
        facts["designer"] = {
            "ok": results[1],
            "results": {k: str(v) for k, v in (results[0] or {}).items()},
            "errors": feedback.errors,
        }
    except Exception:
        facts["errors"].append(f"designer: {traceback.format_exc()}")
    return facts


if __name__ == "__main__":
    out_folder = sys.argv[1]
    os.makedirs(os.path.join(out_folder, "batch"), exist_ok=True)
    try:
        result = main(out_folder)
    except Exception:
        result = {"errors": [traceback.format_exc()]}
    with open(os.path.join(out_folder, "facts.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1, default=str)
    QgsProject.instance().clear()
    os._exit(0)  # QGIS's exit path may crash after the dialogs; the facts are written
