"""Cancellation, parallel runs and qgis_process exit codes over the raster algorithms.

Every case runs on small rasters written here; inputs are hashed before and after.
"""

import threading

import numpy as np
import pytest

from rasters import file_digest, read_raster, write_raster

YEARS = "2001,2002,2003,2004,2005"


def rasters(folder):
    """A class pair, a five-year float stack, and an NDVI raster."""
    rng = np.random.default_rng(5)
    classes = [rng.integers(1, 4, (20, 30)).astype(np.uint8) for _ in range(2)]
    stack = np.arange(5, dtype=np.float32)[:, None, None] * rng.random((20, 30), dtype=np.float32) + rng.random(
        (5, 20, 30), dtype=np.float32
    )
    return {
        "a": write_raster(folder / "a.tif", classes[0], nodata=0),
        "b": write_raster(folder / "b.tif", classes[1], nodata=0),
        "stack": write_raster(folder / "stack.tif", stack),
        "lst": write_raster(folder / "lst.tif", 290 + stack),
        "evi": write_raster(folder / "evi.tif", 0.1 + stack / 10),
        "ndvi": write_raster(folder / "ndvi.tif", (stack[0] / 10).astype(np.float32)),
    }


#: (algorithm, parameters from the rasters and an output folder, the raster outputs)
CASES = [
    (
        "mineland:reclassify",
        lambda r, o: {"INPUT": r["a"], "PRESET": 0, "TABLE": [1, 2, 1, 3, 3, 2], "OUTPUT": str(o / "rc.tif")},
        ["OUTPUT"],
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
    ),
    (
        "mineland:resilience",
        lambda r, o: {
            "LANDCOVER": r["a"],
            "NDVI": r["ndvi"],
            "SCORES": "1=0.5,2=0.7,3=0.9",
            "WINDOW": 5,
            "OUTPUT_RASTER": str(o / "window.tif"),
        },
        ["OUTPUT_RASTER"],
    ),
    (
        "mineland:desertification",
        lambda r, o: {
            "NDVI_MEAN": r["ndvi"],
            "OUTPUT_SCORE": str(o / "score.tif"),
            "OUTPUT_CLASS": str(o / "sens.tif"),
        },
        ["OUTPUT_SCORE", "OUTPUT_CLASS"],
    ),
]
IDS = [case[0].split(":")[1] for case in CASES]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return rasters(tmp_path_factory.mktemp("inputs"))


@pytest.mark.parametrize("algorithm, parameters, outputs", CASES, ids=IDS)
def test_cancel_stops_and_leaves_no_output(run, tmp_path, inputs, algorithm, parameters, outputs):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    before = {p: file_digest(p) for p in inputs.values()}
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(algorithm, parameters(inputs, tmp_path), feedback=feedback)
    assert [p.name for p in tmp_path.glob("*.tif*")] == []  # neither outputs nor their .part files
    assert {p: file_digest(p) for p in inputs.values()} == before


def test_cancel_mid_way_stops_within_a_block(run, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class CancelAfterFirstBlock(QgsProcessingFeedback):
        blocks = 0

        def setProgress(self, progress):  # noqa: N802 (QGIS's name)
            if progress > 0:
                self.blocks += 1
                self.cancel()
            super().setProgress(progress)

    big = np.tile(np.array([[1, 2], [3, 1]], dtype=np.uint8), (1500, 1500))  # 9 Mpx: three 4 Mpx blocks
    start = write_raster(tmp_path / "start.tif", big, nodata=0)
    feedback = CancelAfterFirstBlock()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run(
            "mineland:reclassify",
            {"INPUT": start, "PRESET": 0, "TABLE": [1, 3, 1], "OUTPUT": str(tmp_path / "out.tif")},
            feedback=feedback,
        )
    assert feedback.blocks == 1
    assert not list(tmp_path.glob("out*"))


@pytest.mark.parametrize("algorithm, parameters, outputs", CASES, ids=IDS)
def test_parallel_runs_equal_sequential_runs(run, tmp_path, inputs, algorithm, parameters, outputs):
    """QGIS runs algorithms as background tasks: two at once must not share state."""
    (tmp_path / "seq").mkdir()
    sequential = run(algorithm, parameters(inputs, tmp_path / "seq"))
    results, errors = {}, []

    def one(k):
        try:
            folder = tmp_path / f"thread{k}"
            folder.mkdir()
            results[k] = run(algorithm, parameters(inputs, folder))
        except Exception as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    for key in outputs:
        expected = read_raster(sequential[key])
        for k in range(2):
            np.testing.assert_array_equal(read_raster(results[k][key]), expected)


@pytest.mark.qgis_process
@pytest.mark.parametrize(
    "arguments, message",
    [
        (["mineland:reclassify", "--", "INPUT=/no/such.tif", "PRESET=1", "OUTPUT=/tmp/x.tif"], "INPUT"),
        (["mineland:landusedynamics", "--", "YEARS=2000", "OUTPUT=/tmp/k.csv"], "INPUTS"),
        (["mineland:affectedarea", "--", "INPUT=/no/such.csv", "AREA_FIELD=a", "PRODUCTION_FIELD=b"], "INPUT"),
    ],
)
def test_qgis_process_exits_non_zero_with_the_message(arguments, message):
    from sample.qgisprocess import QgisProcess

    done = QgisProcess().call(["run"] + arguments)
    assert done.returncode != 0
    assert message in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout
