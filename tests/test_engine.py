"""core/engine's one strip runner and its jobs; the matrix margins and transition outputs in core.

- the runner's executors (SerialExecutor, LocalExecutor) give the same results in strip order, run the
  pixel chunks of a strip on the local pool, stop on cancel and pass a task's error on;
- the jobs (trend, MLRI, transfer matrix, disturbance) write the same files on a LocalExecutor and a
  DaskExecutor (a LocalCluster of two worker processes, as tests/test_scaleout.py);
- the command line (python -m mineland.core.engine.scaleout) writes what the toolbox (processing.run)
  writes for the same inputs: raster values, band names, attribute tables, .qml styles, the matrix CSV.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from mineland.core.engine import jobs, runner, scaleout
from mineland.core.io import raster_io
from mineland.core.landcover import crosstab, reclass, transitions
from mineland.core.render import styles
from rasters import write_raster
from test_scaleout import (  # the cluster fixtures and data of the scale-out tests
    NODATA,
    YEARS,
    assert_same_raster,
    class_pair,
    client,  # noqa: F401 (a fixture)
    cluster,  # noqa: F401 (a fixture)
    mlri_inputs,
    open_stack,
    trend_stack,
    write_stack,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ margins and labels (no QGIS)


def test_matrix_margins_of_a_known_matrix():
    # rows = start, columns = end: 10 stayed class 0, 2 went 0 → 1, 3 went 1 → 0, 5 stayed 1
    margins = crosstab.matrix_margins([[10.0, 2.0], [3.0, 5.0]])
    assert margins.start_total.tolist() == [12.0, 8.0]
    assert margins.end_total.tolist() == [13.0, 7.0]
    assert margins.unchanged.tolist() == [10.0, 5.0]
    assert margins.loss.tolist() == [2.0, 3.0]
    assert margins.gain.tolist() == [3.0, 2.0]
    assert margins.net.tolist() == [1.0, -1.0]
    assert margins.total == 20.0


def pair_table(pairs):
    """PairTable of {(from, to): area_m2}, one pixel each."""
    keys = sorted(pairs)
    return crosstab.PairTable(
        np.array([f for f, _ in keys]),
        np.array([t for _, t in keys]),
        np.ones(len(keys), dtype=np.int64),
        np.array([pairs[k] for k in keys]),
        0,
        0.0,
    )


def test_matrix_csv_has_the_gains_losses_and_net_change(tmp_path):
    table = pair_table({(1, 1): 10e6, (1, 2): 2e6, (2, 1): 3e6, (2, 2): 5e6})
    path = str(tmp_path / "matrix.csv")
    transitions.write_matrix_csv(path, table, {1: "forest"})
    assert Path(path).read_text(encoding="utf-8").splitlines() == [
        '"start (rows) \\ end (columns), km2",1 forest,2 class 2,total_start_km2,loss_km2',
        "1 forest,10.000000,2.000000,12.000000,2.000000",
        "2 class 2,3.000000,5.000000,8.000000,3.000000",
        "total_end_km2,13.000000,7.000000,20.000000,",
        "gain_km2,3.000000,2.000000,,",
        "net_change_km2,1.000000,-1.000000,,",
    ]
    assert (tmp_path / "matrix.csvt").read_text(encoding="utf-8").strip() == '"String","Real","Real","Real","Real"'


def test_change_names_and_legend_name_every_pair():
    table = pair_table({(1, 1): 1.0, (1, 2): 1.0, (2, 1): 1.0})
    coding = crosstab.change_coding(table.from_class, table.to_class)
    assert transitions.change_names(coding, {1: "forest"}) == {
        101: "forest → forest",
        102: "forest → class 2",
        201: "class 2 → forest",
    }
    legend = transitions.change_legend(table, {1: "forest"}, coding)
    assert legend[101] == (transitions.UNCHANGED_COLOUR, "forest (unchanged)")
    assert legend[102][1] == "forest → class 2" and legend[201][1] == "class 2 → forest"
    assert legend[102][0] != legend[201][0]


# ------------------------------------------------------------------ the runner


def square(offset, yoff, nrows):
    return offset + yoff * yoff + nrows


WINDOWS = [(0, 3), (3, 3), (6, 3), (9, 2), (11, 4)]


@pytest.mark.parametrize(
    "executor",
    [runner.SerialExecutor(), runner.LocalExecutor(workers=3), runner.LocalExecutor(workers=1, strips_in_flight=1)],
)
def test_executors_consume_in_strip_order_and_report_progress(executor):
    seen, progress = [], []
    assert executor.run(square, WINDOWS, (100,), seen.append, raster_io.Monitor(progress.append)) == len(WINDOWS)
    assert seen == [100 + y * y + n for y, n in WINDOWS]
    assert progress == [pytest.approx((k + 1) / len(WINDOWS)) for k in range(len(WINDOWS))]


def chunked(yoff, nrows):
    """The threads the chunks of a strip ran on, and whether a chunk pool was there."""
    names = runner.chunk_map(lambda _: threading.current_thread().name, range(8))
    return runner.chunk_pool() is not None, set(names)


def test_local_executor_runs_a_strips_chunks_on_its_pool_and_serial_here():
    local = []
    runner.LocalExecutor(workers=2).run(chunked, WINDOWS, (), local.append)
    assert all(pooled for pooled, _ in local)
    assert threading.current_thread().name not in set().union(*(names for _, names in local))
    serial = []
    runner.SerialExecutor().run(chunked, WINDOWS, (), serial.append)
    assert serial == [(False, {threading.current_thread().name})] * len(WINDOWS)
    assert runner.chunk_pool() is None  # nothing left behind in this thread


def failing(yoff, nrows):
    if yoff == 6:
        raise ValueError("strip 6 failed")
    return yoff


def test_local_executor_raises_a_tasks_error_and_stops_on_cancel():
    seen = []
    with pytest.raises(ValueError, match="strip 6 failed"):
        runner.LocalExecutor(workers=2).run(failing, WINDOWS, (), seen.append)
    assert seen == [0, 3]
    seen = []
    with pytest.raises(raster_io.Cancelled):
        runner.LocalExecutor(workers=2).run(
            square, WINDOWS, (0,), seen.append, raster_io.Monitor(None, lambda: len(seen) >= 2)
        )
    assert len(seen) == 2


def test_older_client_arguments_map_to_executors():
    assert isinstance(runner.executor_of(None), runner.SerialExecutor)
    local = runner.LocalExecutor()
    assert runner.executor_of(local) is local
    assert isinstance(runner.executor_of(object()), runner.DaskExecutor)


# ------------------------------------------------------------------ the jobs, local and on Dask


def files_beside(path):
    """{sidecar suffix: bytes} of the files written beside ``path`` (.qml, .csvt, .aux.xml)."""
    stem = os.path.splitext(str(path))[0]
    folder = os.path.dirname(stem)
    return {
        name[len(os.path.basename(stem)) :]: Path(folder, name).read_bytes()
        for name in sorted(os.listdir(folder))
        if name.startswith(os.path.basename(stem) + ".") and not name.endswith((".tif", ".csv"))
    }


def names_in(path):
    """The class names of band 1 of the raster at ``path``."""
    dataset = gdal.Open(str(path))  # kept while its band is used (GDAL ≥ 3.10 bindings)
    return raster_io.read_class_names(dataset.GetRasterBand(1))


def named_classes(folder, rows, cols):
    """class_pair with class names in both rasters' attribute tables (the start names win where both name)."""
    start, end = class_pair(folder, rows, cols)
    for path, names in ((start, {1: "forest", 2: "crop", 3: "mine"}), (end, {3: "open pit", 8: "water"})):
        dataset = gdal.Open(path, gdal.GA_Update)
        raster_io.write_class_names(dataset.GetRasterBand(1), names)
        dataset = None
    return start, end


def run_trend_job(executor, paths, folder, name):
    sources, _, _, nodatas, grid = open_stack(paths)
    return jobs.trend(
        sources,
        nodatas,
        grid,
        YEARS,
        str(folder / f"{name}.tif"),
        executor,
        class_output=str(folder / f"{name}_class.tif"),
        block_pixels=900,
    )


def test_the_jobs_write_the_same_files_on_a_local_and_a_dask_executor(client, tmp_path):  # noqa: F811
    paths = write_stack(tmp_path, "y", trend_stack(83, 61, seed=6))
    local = run_trend_job(runner.LocalExecutor(), paths, tmp_path, "local")
    dask = run_trend_job(runner.DaskExecutor(client), paths, tmp_path, "dask")
    assert local.too_few_pixels == dask.too_few_pixels >= 5
    for a, b in ((local.output, dask.output), (local.class_output, dask.class_output)):
        assert_same_raster(a, b)
        assert files_beside(a) == files_beside(b) and ".qml" in files_beside(a)
    assert names_in(local.class_output)[5].startswith("SCI")

    lst, evi = mlri_inputs(tmp_path, 70, 45)
    results = {}
    for name, executor in (("local", runner.LocalExecutor()), ("dask", runner.DaskExecutor(client))):
        lst_sources, _, _, lst_nodatas, grid = open_stack(lst)
        evi_sources, _, _, evi_nodatas, _ = open_stack(evi)
        results[name] = jobs.mlri(
            lst_sources,
            lst_nodatas,
            evi_sources,
            evi_nodatas,
            grid,
            YEARS,
            str(tmp_path / f"mlri_{name}.tif"),
            executor,
            block_pixels=700,
        )
    assert results["local"].nodata_pixel_years == results["dask"].nodata_pixel_years > 0
    assert_same_raster(results["local"].output, results["dask"].output)
    assert files_beside(results["local"].output) == files_beside(results["dask"].output)

    start, end = named_classes(tmp_path, 77, 52)
    (start_source, end_source), _, _, nodatas, grid = open_stack([start, end])
    results = {}
    for name, executor in (("local", runner.LocalExecutor()), ("dask", runner.DaskExecutor(client))):
        results[name] = jobs.transfer_matrix(
            start_source,
            end_source,
            nodatas,
            grid,
            raster_io.pixel_areas_m2(grid),
            executor,
            change_output=str(tmp_path / f"change_{name}.tif"),
            matrix_output=str(tmp_path / f"matrix_{name}.csv"),
            block_pixels=520,
        )
    local, dask = results["local"], results["dask"]
    for field in ("from_class", "to_class", "pixels", "area_m2"):
        assert getattr(local.table, field).tobytes() == getattr(dask.table, field).tobytes(), field
    assert_same_raster(local.change_output, dask.change_output)
    assert files_beside(local.change_output) == files_beside(dask.change_output)
    assert Path(local.matrix_output).read_bytes() == Path(dask.matrix_output).read_bytes()
    names = names_in(local.change_output)
    assert names[103] == "forest → mine" and names[308] == "mine → water"  # the start wins on 3

    index = write_raster(tmp_path / "index.tif", np.random.default_rng(2).integers(0, 5, (64, 50)).astype(np.uint16))
    dates = [
        write_raster(
            tmp_path / f"c{k}.tif", np.random.default_rng(k).integers(1, 5, (64, 50)).astype(np.uint8), nodata=0
        )
        for k in range(3)
    ]
    sources, _, _, nodatas, grid = open_stack([index] + dates)
    areas = [
        jobs.disturbance_areas(
            sources[0],
            sources[1:],
            nodatas[1:],
            grid,
            4,
            [1],
            [2, 3, 4],
            raster_io.pixel_areas_m2(grid),
            executor,
            block_pixels=500,
        )
        for executor in (runner.LocalExecutor(), runner.DaskExecutor(client))
    ]
    for field in areas[0].__dataclass_fields__:
        assert getattr(areas[0], field).tobytes() == getattr(areas[1], field).tobytes(), field
    assert areas[0].dev_m2[1:].sum() > 0


def test_a_transfer_matrix_without_common_pixels_writes_nothing(tmp_path):
    start = write_raster(tmp_path / "a.tif", np.full((4, 5), 255, dtype=np.uint8), nodata=255)
    end = write_raster(tmp_path / "b.tif", np.ones((4, 5), dtype=np.uint8), nodata=255)
    (a, b), _, _, nodatas, grid = open_stack([start, end])
    with pytest.raises(jobs.NoPixelAtBothDates, match="no pixel has data at both dates"):
        jobs.transfer_matrix(
            a,
            b,
            nodatas,
            grid,
            raster_io.pixel_areas_m2(grid),
            runner.LocalExecutor(),
            change_output=str(tmp_path / "c.tif"),
            matrix_output=str(tmp_path / "m.csv"),
        )
    assert not (tmp_path / "c.tif").exists() and not (tmp_path / "m.csv").exists()


# ------------------------------------------------------------------ the command line writes what the toolbox writes


def command_line(*arguments):
    done = subprocess.run(
        [sys.executable, "-m", "mineland.core.engine.scaleout", *map(str, arguments), "--quiet"],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_same_files(toolbox, cli):
    """Same raster bits, band names, nodata and attribute table, and the same sidecar files (.qml …)."""
    assert_same_raster(toolbox, cli)
    a, b = gdal.Open(str(toolbox)), gdal.Open(str(cli))
    for band in range(1, a.RasterCount + 1):
        assert raster_io.read_class_names(a.GetRasterBand(band)) == raster_io.read_class_names(b.GetRasterBand(band))
        colours, theirs = a.GetRasterBand(band).GetColorTable(), b.GetRasterBand(band).GetColorTable()
        assert (colours is None) == (theirs is None)
        if colours is not None:
            assert [colours.GetColorEntry(i) for i in range(colours.GetCount())] == [
                theirs.GetColorEntry(i) for i in range(theirs.GetCount())
            ]
    assert files_beside(toolbox).keys() >= {".qml"}
    assert files_beside(toolbox) == files_beside(cli)


def test_command_line_trend_and_mlri_write_what_the_toolbox_writes(run, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(40, 30, seed=12))
    years = ",".join(map(str, YEARS))
    (tmp_path / "qgis").mkdir()
    toolbox = run(
        "mineland:trend",
        {
            "INPUTS": paths,
            "YEARS": years,
            "MIN_VALID": 8,
            "ALPHA": 0.05,
            "OUTPUT": str(tmp_path / "qgis" / "trend.tif"),
            "OUTPUT_CLASS": str(tmp_path / "qgis" / "classes.tif"),
        },
    )
    (tmp_path / "cli").mkdir()
    out = command_line(
        "trend",
        "--years",
        years,
        "--output",
        tmp_path / "cli" / "trend.tif",
        "--classes",
        tmp_path / "cli" / "classes.tif",
        *paths,
    )
    assert f"too_few_pixels: {toolbox['TOO_FEW_PIXELS']}" in out
    assert_same_files(toolbox["OUTPUT"], tmp_path / "cli" / "trend.tif")
    assert_same_files(toolbox["OUTPUT_CLASS"], tmp_path / "cli" / "classes.tif")

    lst, evi = mlri_inputs(tmp_path, 30, 20)
    toolbox = run(
        "mineland:mlri",
        {"LST_INPUTS": lst, "EVI_INPUTS": evi, "YEARS": years, "OUTPUT": str(tmp_path / "qgis" / "mlri.tif")},
    )
    out = command_line(
        "mlri", "--years", years, "--output", tmp_path / "cli" / "mlri.tif", "--lst", *lst, "--evi", *evi
    )
    assert f"nodata_pixel_years: {toolbox['NODATA_PIXEL_YEARS']}" in out
    assert_same_files(toolbox["OUTPUT"], tmp_path / "cli" / "mlri.tif")


def test_command_line_transfer_matrix_writes_what_the_toolbox_writes(run, tmp_path):
    start, end = named_classes(tmp_path, 40, 35)
    (tmp_path / "qgis").mkdir()
    (tmp_path / "cli").mkdir()
    toolbox = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": start,
            "INPUT_END": end,
            "OUTPUT": str(tmp_path / "qgis" / "pairs.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "qgis" / "matrix.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "qgis" / "change.tif"),
        },
    )
    out = command_line(
        "transfermatrix",
        start,
        end,
        "--matrix",
        tmp_path / "cli" / "matrix.csv",
        "--change",
        tmp_path / "cli" / "change.tif",
        "--table",
        tmp_path / "cli" / "pairs.csv",
    )
    assert f"nodata_pixels: {toolbox['NODATA_PIXELS']}" in out
    assert_same_files(toolbox["OUTPUT_CHANGE"], tmp_path / "cli" / "change.tif")
    names = names_in(tmp_path / "cli" / "change.tif")
    assert names[101] == "forest → forest" and names[208] == "crop → water"
    change = gdal.Open(str(tmp_path / "cli" / "change.tif"))  # kept while its band is used
    assert change.GetRasterBand(1).GetDescription() == transitions.CHANGE_BAND_NAME
    # the gains and losses: the same matrix CSV (and .csvt) as OUTPUT_MATRIX
    assert Path(toolbox["OUTPUT_MATRIX"]).read_bytes() == (tmp_path / "cli" / "matrix.csv").read_bytes()
    assert (tmp_path / "qgis" / "matrix.csvt").read_bytes() == (tmp_path / "cli" / "matrix.csvt").read_bytes()
    assert "gain_km2" in (tmp_path / "cli" / "matrix.csv").read_text(encoding="utf-8")


def test_the_algorithms_call_no_client_branches():
    folder = Path(ROOT, "mineland", "algorithms")
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "client is None" not in text and "client is not None" not in text, path.name


def test_scaleout_keeps_its_names():
    for name in (
        "run_strips",
        "on_worker",
        "tune_allocator",
        "require_dask",
        "ScaleoutError",
        "DaskMissing",
        "IN_FLIGHT_PER_THREAD",
        "POLL_SECONDS",
        "write_trend_rasters",
        "write_mlri_raster",
        "tabulate_pair",
        "write_change_codes",
        "tabulate_disturbance",
        "trend_on_cluster",
        "mlri_on_cluster",
        "transfer_matrix_on_cluster",
        "main",
    ):
        assert hasattr(scaleout, name), name
    assert scaleout.ScaleoutError is runner.ScaleoutError
    assert NODATA == -9999.0


def test_code_names_label_a_class_by_its_code():
    names = transitions.CodeNames()
    assert transitions.class_label(names, 7) == "7" and transitions.class_label({}, 7) == "class 7"
    coding = crosstab.change_coding([3, 3], [3, 12])
    assert transitions.change_names(coding, names) == {303: "3 → 3", 312: "3 → 12"}


# ------------------------------------------------------------------ reclassify: the job and its command line


def glc_codes(rows, cols, seed):
    """GLC_FCS30 codes (cropland 10, forest 61, grassland 130, water 210, bare 200), a spoil-heap code 250 the
    preset does not know, codes 0 no rule matches, and nodata 255 in the first row."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(np.array([10, 61, 130, 210, 200, 250, 0], dtype=np.uint8), size=(rows, cols))
    codes[0] = 255
    return codes


def test_command_line_reclassify_writes_what_the_toolbox_writes(run, tmp_path):
    codes = glc_codes(45, 38, seed=3)
    path = write_raster(tmp_path / "glc.tif", codes, nodata=255)
    table = tmp_path / "rules.csv"
    table.write_text("code,value,name\n250,9,spoil heap\n", encoding="utf-8")
    (tmp_path / "qgis").mkdir()
    (tmp_path / "cli").mkdir()
    toolbox = run(
        "mineland:reclassify",
        {"INPUT": path, "PRESET": 1, "TABLE_CSV": str(table), "OUTPUT": str(tmp_path / "qgis" / "classes.tif")},
    )
    cli = tmp_path / "cli" / "classes.tif"
    out = command_line("reclassify", "--preset", "glc_fcs30", "--table", table, "--output", cli, path)
    unmatched = int(np.count_nonzero(codes == 0))
    assert toolbox["UNMATCHED_PIXELS"] == unmatched > 0
    assert f"unmatched_pixels: {unmatched}" in out and "unmatched_codes: 0\n" in out
    assert_same_files(toolbox["OUTPUT"], cli)
    # the known answer: the preset's classes, the table's spoil heap, nodata (0) for code 0 and the nodata row
    expected = np.select(
        [codes == 10, codes == 61, codes == 130, codes == 210, codes == 200, codes == 250], [1, 2, 3, 5, 6, 9], 0
    )
    dataset = gdal.Open(str(cli))  # kept while its band is used
    band = dataset.GetRasterBand(1)
    assert np.array_equal(band.ReadAsArray(), expected) and band.GetNoDataValue() == 0
    assert band.GetDescription() == jobs.RECLASS_BAND_NAME
    assert names_in(cli)[9] == "spoil heap" and names_in(cli)[1] == "Cropland"
    cropland = styles.SEED000_COLOURS[1]
    assert band.GetColorTable().GetColorEntry(1)[:3] == tuple(int(cropland[i : i + 2], 16) for i in (1, 3, 5))
    assert "spoil heap" in (tmp_path / "cli" / "classes.qml").read_text(encoding="utf-8")


def test_the_reclassify_job_writes_the_same_files_on_a_local_and_a_serial_executor(tmp_path):
    rng = np.random.default_rng(8)
    codes = rng.integers(1, 400, size=(60, 33)).astype(np.int16)
    codes[5, :] = -1  # nodata
    path = write_raster(tmp_path / "codes.tif", codes, nodata=-1)
    rules = [reclass.Rule(1, 99, 1), reclass.Rule(100, 199, 2), reclass.Rule(150, 250, 3)]  # first match wins
    dataset = gdal.Open(path)  # kept while its band is used
    grid = raster_io.grid_of(dataset)
    results = []
    for name, executor in (("local", runner.LocalExecutor(workers=2)), ("serial", runner.SerialExecutor())):
        (tmp_path / name).mkdir()
        results.append(
            jobs.reclassify(
                scaleout.Source(path, 1),
                -1,
                grid,
                rules,
                str(tmp_path / name / "classes.tif"),
                executor,
                names={1: "low"},
                block_pixels=33 * 4,  # several strips
            )
        )
    local, serial = results
    assert_same_files(local.output, serial.output)
    assert local.unmatched_pixels == serial.unmatched_pixels == int(np.count_nonzero(codes > 250))
    # the 50 smallest codes no rule matches, across all strips
    assert local.unmatched_codes == serial.unmatched_codes == tuple(sorted(set(codes[codes > 250].tolist()))[:50])
    expected = np.select([codes == -1, codes <= 99, codes <= 199, codes <= 250], [0, 1, 2, 3], 0)
    assert np.array_equal(gdal.Open(local.output).ReadAsArray(), expected)
    assert names_in(local.output) == {1: "low", 2: "class 2", 3: "class 3"}
