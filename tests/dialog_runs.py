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
from mineland.sample import make_sample, make_seed002, make_seed004  # noqa: E402

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
    yy, xx = np.mgrid[0:source.RasterYSize, 0:source.RasterXSize]
    target.GetRasterBand(1).WriteArray((0.5 + 0.3 * np.sin(xx / 20.0) * np.cos(yy / 15.0)).astype(np.float32))
    target = None
    return out


def samples(folder):
    glc = make_sample.write_series(os.path.join(folder, "glc"))
    seed002 = make_seed002.write_all(os.path.join(folder, "seed002"))
    seed004 = make_seed004.write_all(os.path.join(folder, "seed004"))
    return glc, seed002, seed004


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
        "mineland:resilience": {"LANDCOVER": classes[-1], "WINDOW": 5,
                                "NDVI": ndvi_like(classes[-1], classes[-1].replace(".tif", "_ndvi.tif")),
                                "SCORES": "1=0.5, 2=0.9, 3=0.7, 4=0.8, 5=0.6, 6=0.1, 7=0.2"},
        "mineland:desertification": dict(seed002["factors"]),
        "mineland:landcover_carbon": {"START": glc[0], "END": glc[-1], "YEARS": f"{make_sample.YEARS[0]},"
                                      f"{make_sample.YEARS[-1]}"},
        "mineland:restoration_monitoring": {"LST": seed004["lst"], "EVI": seed004["evi"], "YEARS": years4,
                                            "SITES": seed004["sites"], "SITE_ID_FIELD": "name"},
        "mineland:desertification_sensitivity": dict(seed002["factors"], MINES=seed002["mines"]),
    }


def set_widgets(wrappers, values, context):
    for key, value in values.items():
        wrappers[key].setParameterValue(value, context)


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
    fact["layer_names"] = sorted(layer.name() for key, layer in QgsProject.instance().mapLayers().items()
                                 if key not in before)
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
        widget.setValue(os.path.join(output_folder, f"batch_{output.name()}.{extension}"))
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
        child = designer_child(model, "mineland:reclassify",
                               {"INPUT": QgsProcessingModelChildParameterSource.fromModelParameter(name)})
        model.addChildAlgorithm(child)
        reclass_ids.append(child.childId())
    matrix = designer_child(model, "mineland:transfermatrix", {
        "INPUT_START": QgsProcessingModelChildParameterSource.fromChildOutput(reclass_ids[0], "OUTPUT"),
        "INPUT_END": QgsProcessingModelChildParameterSource.fromChildOutput(reclass_ids[1], "OUTPUT")})
    model.addChildAlgorithm(matrix)
    return model, {child_id: model.childAlgorithm(child_id).parameterSources().get("TABLE")
                   for child_id in reclass_ids}


def main(out):
    facts = {"errors": [], "dialog": {}, "batch": {}}
    glc, seed002, seed004 = samples(os.path.join(out, "data"))
    reclassified = []
    for path in glc:
        result = processing.run("mineland:reclassify", {"INPUT": path, "OUTPUT": path.replace(".tif", "_7.tif")})
        reclassified.append(result["OUTPUT"])
    inputs = required_inputs(glc, reclassified, seed002, seed004)
    for algorithm_id, values in inputs.items():
        try:
            facts["dialog"][algorithm_id] = run_and_load(algorithm_id, from_dialog(algorithm_id, values))
        except Exception:
            facts["errors"].append(f"{algorithm_id} (dialog): {traceback.format_exc()}")
    for algorithm_id in ("mineland:reclassify", "mineland:transfermatrix"):
        try:
            facts["batch"][algorithm_id] = run_and_load(
                algorithm_id, from_batch_row(algorithm_id, inputs[algorithm_id], os.path.join(out, "batch")))
        except Exception:
            facts["errors"].append(f"{algorithm_id} (batch): {traceback.format_exc()}")
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
        facts["designer"] = {"ok": results[1], "results": {k: str(v) for k, v in (results[0] or {}).items()},
                             "errors": feedback.errors}
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
