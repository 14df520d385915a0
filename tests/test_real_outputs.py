"""Outputs never destroy inputs or each other (issue 19, deliverable 4), through processing.run and qgis_process.

Each refusal names the output parameter and the input parameter (or the other output), and every input file
(a VRT's sources included) has the same hash after the run; a run that fails or is cancelled leaves no output;
a run killed mid-way leaves only a folder named <name>.partial-<pid>.tmp; raster outputs take the format of
their extension (.img is read back by GDAL as HFA with the right values).
"""

import hashlib
import os
import re
import signal
import subprocess
import time

import numpy as np
import pytest
from osgeo import gdal

from rasters import write_raster
from sample.qgisprocess import QGIS_PROCESS, QgisProcess

gdal.UseExceptions()

YEARS = [2000, 2001, 2002, 2003, 2005]
START = np.array([[1, 1, 2, 2], [1, 3, 3, 2], [7, 7, 3, 0]], dtype=np.uint8)
END = np.array([[1, 7, 2, 2], [3, 3, 3, 7], [7, 7, 1, 0]], dtype=np.uint8)


def digests(folder):
    """sha256 of every file under ``folder`` (rasters, VRTs and their sources, sidecars), by relative path.

    A VRT is hashed without the band statistics and histograms in it: QGIS (3.22, GDAL 3.6) writes them
    into every VRT it loads as a layer (QgsRasterLayer's default renderer computes them, and GDAL saves
    them in the VRT even when opened read-only, dropping the SourceProperties size hints as it rewrites
    it), whichever algorithm or provider reads it. Its sources, bands and every other element are compared.
    """
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                data = handle.read()
            if name.endswith(".vrt"):
                data = without_statistics(data.decode("utf-8")).encode("utf-8")
            found[os.path.relpath(path, folder)] = hashlib.sha256(data).hexdigest()
    return found


def without_statistics(xml):
    xml = re.sub(r"<Histograms>.*?</Histograms>", "", xml, flags=re.DOTALL)
    xml = re.sub(r'<MDI key="STATISTICS_[A-Z_]+">[^<]*</MDI>', "", xml)
    xml = re.sub(r"<SourceProperties [^>]*/>", "", xml)
    xml = re.sub(r"<Metadata>\s*</Metadata>", "", xml)
    return re.sub(r"\s+", " ", xml)


def assert_unchanged(folder, before):
    """Every file that was under ``folder`` is still there with the same bytes.

    (QGIS may add a .aux.xml of statistics beside a raster it loads: a new file, not a changed input.)
    """
    after = digests(folder)
    assert {name: after.get(name) for name in before} == before


def linear_series(folder, slope, shape=(6, 7), nested=False):
    """One GeoTIFF per year with values intercept + slope × (year − 2000), and a VRT stacking them.

    ``nested``: a VRT of per-year VRTs (each pointing to its GeoTIFF). Returns (VRT path, GeoTIFF paths).
    """
    os.makedirs(folder, exist_ok=True)
    intercept = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    tifs = [
        write_raster(
            os.path.join(folder, f"y{year}.tif"), intercept + np.float32(slope * (year - 2000)), nodata=-9999.0
        )
        for year in YEARS
    ]
    layers = tifs
    if nested:
        layers = [os.path.join(folder, f"y{year}.vrt") for year in YEARS]
        for vrt, tif in zip(layers, tifs):
            gdal.BuildVRT(vrt, [tif]).FlushCache()
    stack = os.path.join(folder, "stack.vrt")
    gdal.BuildVRT(stack, layers, separate=True).FlushCache()
    return stack, tifs


def refusal(run, algorithm, parameters):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as caught:
        run(algorithm, parameters)
    return str(caught.value)


def trend_parameters(stack, output, **more):
    return dict({"INPUTS": [stack], "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 4, "OUTPUT": output}, **more)


# ------------------------------------------------------------------ an output over an input


@pytest.mark.parametrize("nested", [False, True], ids=["vrt", "vrt_of_vrts"])
def test_trend_output_on_a_vrt_source_is_refused(run, tmp_path, nested):
    stack, tifs = linear_series(tmp_path / "in", 0.5, nested=nested)
    before = digests(tmp_path / "in")
    message = refusal(run, "mineland:trend", trend_parameters(stack, tifs[2]))
    assert message.startswith("OUTPUT: ") and "is one of the inputs" in message
    assert "INPUTS reads" in message and os.path.basename(tifs[2]) in message and "stack.vrt" in message
    assert_unchanged(tmp_path / "in", before)


def test_output_on_a_vrt_itself_is_refused(run, tmp_path):
    stack, _ = linear_series(tmp_path / "in", 0.5)
    before = digests(tmp_path / "in")
    message = refusal(run, "mineland:trend", trend_parameters(stack, str(tmp_path / "t.tif"), OUTPUT_CLASS=stack))
    assert message.startswith("OUTPUT_CLASS: ") and "INPUTS reads" in message and "is one of the inputs" in message
    assert_unchanged(tmp_path / "in", before)
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_table_output_on_a_shapefile_sidecar_is_refused(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorFileWriter, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=name:string", "mines", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(500000, 6000000, 500100, 6000100)))
    feature.setAttributes(["a"])
    layer.dataProvider().addFeatures([feature])
    os.makedirs(tmp_path / "in")
    shapefile = str(tmp_path / "in" / "mines.shp")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "ESRI Shapefile"
    QgsVectorFileWriter.writeAsVectorFormatV2(layer, shapefile, layer.transformContext(), options)
    before = digests(tmp_path / "in")
    assert "mines.dbf" in before
    message = refusal(run, "mineland:patchstats", {"INPUT": shapefile, "OUTPUT": str(tmp_path / "in" / "mines.dbf")})
    assert message.startswith("OUTPUT: ") and "INPUT reads" in message and "mines.dbf" in message
    assert_unchanged(tmp_path / "in", before)


# ------------------------------------------------------------------ two outputs on one file


def test_transfermatrix_table_and_matrix_on_one_path_are_refused(run, tmp_path):
    start, end = (
        write_raster(tmp_path / "start.tif", START, nodata=0),
        write_raster(tmp_path / "end.tif", END, nodata=0),
    )
    before = digests(tmp_path)
    same = str(tmp_path / "out" / "pairs.csv")
    os.makedirs(tmp_path / "out")
    message = refusal(
        run, "mineland:transfermatrix", {"INPUT_START": start, "INPUT_END": end, "OUTPUT": same, "OUTPUT_MATRIX": same}
    )
    assert message.startswith("OUTPUT_MATRIX: ") and "also the file of OUTPUT" in message
    assert os.listdir(tmp_path / "out") == []
    assert_unchanged(tmp_path, before)


def test_trend_output_and_classes_on_one_path_are_refused(run, tmp_path):
    stack, _ = linear_series(tmp_path / "in", 0.5)
    same = str(tmp_path / "t.tif")
    message = refusal(run, "mineland:trend", trend_parameters(stack, same, OUTPUT_CLASS=same))
    assert message.startswith("OUTPUT_CLASS: ") and "also the file of OUTPUT" in message
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_a_table_over_a_raster_outputs_style_is_refused(run, tmp_path):
    start, end = (
        write_raster(tmp_path / "start.tif", START, nodata=0),
        write_raster(tmp_path / "end.tif", END, nodata=0),
    )
    message = refusal(
        run,
        "mineland:transfermatrix",
        {
            "INPUT_START": start,
            "INPUT_END": end,
            "OUTPUT": str(tmp_path / "p.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "change.qml"),
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
        },
    )
    assert message.startswith("OUTPUT_CHANGE: ") and "OUTPUT_MATRIX" in message


# ------------------------------------------------------------------ failed and cancelled runs leave nothing


@pytest.fixture
def pair_in(tmp_path):
    os.makedirs(tmp_path / "in")
    os.makedirs(tmp_path / "out")
    return (
        write_raster(tmp_path / "in" / "start.tif", START, nodata=0),
        write_raster(tmp_path / "in" / "end.tif", END, nodata=0),
    )


def matrix_parameters(pair, out):
    return {
        "INPUT_START": pair[0],
        "INPUT_END": pair[1],
        "OUTPUT": str(out / "pairs.csv"),
        "OUTPUT_MATRIX": str(out / "matrix.csv"),
        "OUTPUT_CHANGE": str(out / "change.tif"),
        "OUTPUT_HTML": str(out / "report.html"),
    }


def test_transfermatrix_failing_on_its_change_raster_leaves_no_output(run, tmp_path, pair_in, monkeypatch):
    from mineland.core.landcover import crosstab

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(crosstab, "change_codes", broken)
    before = digests(tmp_path / "in")
    with pytest.raises(Exception, match="No space left"):
        run("mineland:transfermatrix", matrix_parameters(pair_in, tmp_path / "out"))
    assert os.listdir(tmp_path / "out") == []  # neither the table and matrix written before, nor a partial raster
    assert_unchanged(tmp_path / "in", before)


def test_transfermatrix_cancelled_in_its_second_pass_leaves_no_output(run, tmp_path, pair_in):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class CancelInSecondPass(QgsProcessingFeedback):
        def setProgress(self, progress):  # noqa: N802 (QGIS's name)
            if progress >= 50:  # the table and the matrix are written, the change raster is under way
                self.cancel()
            super().setProgress(progress)

    # a file left by an earlier run at OUTPUT_MATRIX is rewritten by the run, so it goes too
    (tmp_path / "out" / "matrix.csv").write_text("old\n", encoding="utf-8")
    parameters = dict(matrix_parameters(pair_in, tmp_path / "out"))
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run("mineland:transfermatrix", parameters, feedback=CancelInSecondPass())
    assert os.listdir(tmp_path / "out") == []


def test_failure_before_writing_keeps_an_earlier_result(run, tmp_path, pair_in):
    from qgis.core import QgsProcessingException

    earlier = tmp_path / "out" / "pairs.csv"
    earlier.write_text("from_class,to_class\n1,1\n", encoding="utf-8")
    empty = write_raster(tmp_path / "in" / "empty.tif", np.zeros_like(START), nodata=0)  # no pixel has data
    with pytest.raises(QgsProcessingException, match="INPUT_START"):
        run("mineland:transfermatrix", {"INPUT_START": empty, "INPUT_END": pair_in[1], "OUTPUT": str(earlier)})
    assert earlier.read_text(encoding="utf-8") == "from_class,to_class\n1,1\n"  # the run never wrote it


def test_partial_raster_is_a_folder_nobody_takes_for_a_result(run, tmp_path):
    from qgis.core import QgsProcessingFeedback

    stack, _ = linear_series(tmp_path / "in", 0.5, shape=(600, 40))
    output = tmp_path / "out" / "trend.tif"
    os.makedirs(output.parent)
    seen = []

    class LookBeforeEachBlock(QgsProcessingFeedback):
        def isCanceled(self):  # noqa: N802 (QGIS's name; asked before every block)
            seen.append(sorted(os.listdir(output.parent)))
            return super().isCanceled()

    run("mineland:trend", trend_parameters(stack, str(output)), feedback=LookBeforeEachBlock())
    partial = f"trend.tif.partial-{os.getpid()}.tmp"
    assert [partial] in seen  # while it is written: only the folder, no raster extension in the output folder
    assert all(listing in ([], [partial]) for listing in seen)
    assert sorted(os.listdir(output.parent)) == ["trend.qml", "trend.tif"]


# ------------------------------------------------------------------ formats by extension


@pytest.mark.parametrize(
    "name, says",
    [
        ("t.gpkg", "'.gpkg' is not a raster format MineLand writes (GeoPackage"),
        ("t.vrt", "'.vrt' is not a raster format MineLand writes (a VRT only"),
        ("t.nc", "'.nc' is not a raster format"),
        ("t", "a file name without extension is not a raster format"),
    ],
)
def test_unsupported_raster_extension_is_refused(run, tmp_path, name, says):
    stack, _ = linear_series(tmp_path / "in", 0.5)
    message = refusal(run, "mineland:trend", trend_parameters(stack, str(tmp_path / name)))
    assert message.startswith("OUTPUT: ") and says in message
    assert ".tif (GeoTIFF), .tiff (GeoTIFF), .img (Erdas Imagine)" in message
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_trend_img_output_is_erdas_imagine_with_the_right_values(run, tmp_path):
    stack, tifs = linear_series(tmp_path / "in", 0.25)
    intercept = gdal.Open(tifs[0]).ReadAsArray()
    result = run(
        "mineland:trend", trend_parameters(stack, str(tmp_path / "t.img"), OUTPUT_CLASS=str(tmp_path / "c.tiff"))
    )
    ds = gdal.Open(result["OUTPUT"])
    assert ds.GetDriver().ShortName == "HFA" and ds.RasterCount == 9
    assert ds.GetRasterBand(1).GetDescription() == "sen_slope"
    np.testing.assert_allclose(ds.GetRasterBand(1).ReadAsArray(), 0.25, rtol=1e-6)  # the series' own slope
    np.testing.assert_allclose(ds.GetRasterBand(8).ReadAsArray(), intercept, rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(ds.GetRasterBand(9).ReadAsArray(), len(YEARS))
    assert ds.GetRasterBand(1).GetNoDataValue() == pytest.approx(-3.4028235e38, rel=1e-7)
    assert gdal.Open(result["OUTPUT_CLASS"]).GetDriver().ShortName == "GTiff"
    # the class raster's .aux.xml (its statistics) is GDAL's choice: 3.6 and 3.10 write one here, 3.13 does not
    assert sorted(set(os.listdir(tmp_path)) - {"c.tiff.aux.xml"}) == ["c.qml", "c.tiff", "in", "t.img", "t.qml"]


def test_change_raster_img_has_codes_and_class_names(run, tmp_path, pair_in):
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": pair_in[0],
            "INPUT_END": pair_in[1],
            "OUTPUT": str(tmp_path / "out" / "p.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "out" / "change.img"),
        },
    )
    ds = gdal.Open(result["OUTPUT_CHANGE"])
    assert ds.GetDriver().ShortName == "HFA"
    band = ds.GetRasterBand(1)
    codes = band.ReadAsArray()
    valid = (START != 0) & (END != 0)
    np.testing.assert_array_equal(codes[valid], START[valid].astype(int) * 100 + END[valid])
    assert (codes[~valid] == band.GetNoDataValue()).all()
    rat = band.GetDefaultRAT()
    names = {rat.GetValueAsInt(r, 0): rat.GetValueAsString(r, 1) for r in range(rat.GetRowCount())}
    assert 107 in names and "→" in names[107]


# ------------------------------------------------------------------ through qgis_process


@pytest.fixture(scope="module")
def qgis_process():
    return QgisProcess()


def qgis_process_args(algorithm, parameters):
    args = [QGIS_PROCESS, "--json", "run", algorithm, "--"]
    for name, value in parameters.items():
        for item in value if isinstance(value, list) else [value]:
            args.append(f"{name}={item}")
    return args


@pytest.mark.qgis_process
def test_qgis_process_refuses_an_output_on_a_vrt_source(qgis_process, tmp_path):
    stack, tifs = linear_series(tmp_path / "in", 0.5, nested=True)
    before = digests(tmp_path / "in")
    done = qgis_process.call(qgis_process_args("mineland:trend", trend_parameters(stack, tifs[0]))[1:])
    assert done.returncode != 0
    text = done.stdout + done.stderr
    assert "OUTPUT: the output" in text and "INPUTS reads" in text and "y2000.tif" in text
    assert "Traceback" not in text
    assert_unchanged(tmp_path / "in", before)


@pytest.mark.qgis_process
def test_qgis_process_killed_trend_leaves_only_a_partial_folder(qgis_process, tmp_path):
    stack, _ = linear_series(tmp_path / "in", 0.5, shape=(1500, 1500))
    output = tmp_path / "out" / "trend.tif"
    os.makedirs(output.parent)
    process = subprocess.Popen(
        qgis_process_args("mineland:trend", trend_parameters(stack, str(output))),
        env=qgis_process.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    partial = output.parent / f"trend.tif.partial-{process.pid}.tmp"
    deadline = time.monotonic() + 300
    try:
        while not partial.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert partial.exists(), "the run ended (or timed out) before its partial folder was seen"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    left = sorted(os.listdir(output.parent))
    assert left == [partial.name]  # no trend.tif, nothing with a raster extension
    assert not any(name.endswith((".tif", ".tiff", ".img")) for name in left)
