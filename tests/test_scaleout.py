"""core/scaleout on a real dask.distributed cluster: a LocalCluster of two worker processes.

Every result is compared bit for bit with the in-process run (scaleout.write_trend_rasters and
write_mlri_raster on a runner.LocalExecutor, crosstab.tabulate and the algorithms without DASK_SCHEDULER);
the cluster's failures (no answer, no dask, workers dying) are checked to stop
cleanly with a message and no output file.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster, WorkerPlugin
from osgeo import gdal

from mineland.core.engine import jobs, scaleout, stack
from mineland.core.engine.runner import LocalExecutor
from mineland.core.io import raster_io
from mineland.core.landcover import crosstab
from mineland.core.mines import disturbance
from mineland.core.timeseries import trend
from rasters import WGS84, write_raster

pytestmark = pytest.mark.dask  # a LocalCluster of worker processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = ROOT  # the folder that holds the package mineland/
NODATA = -9999.0
YEARS = [2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009, 2010, 2011, 2012, 2013]  # no 2007


# ------------------------------------------------------------------ the cluster


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread; a task that kills its worker twice fails (allowed-failures = 1)."""
    # the workers are new processes: they import mineland through PYTHONPATH, as workers of a real cluster do
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [PLUGINS] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker plugins below travel by value
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="2GiB"
        )
    client = Client(local)
    yield client
    client.close()
    local.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def client(cluster):
    cluster.wait_for_workers(2, timeout=120)  # a test that killed workers leaves the nanny restarting them
    return cluster


class KillWorker(WorkerPlugin):
    """Kill the worker process (os._exit) when it starts a task whose key matches ``pattern``.

    With ``once`` the first worker to rename the flag file dies and the others go on; without it,
    every attempt at the task kills its worker while the flag file exists.
    """

    def __init__(self, pattern, flag, once=True):
        self.pattern, self.flag, self.once = pattern, flag, once

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not re.search(self.pattern, str(key)) or not os.path.exists(self.flag):
            return
        if self.once:
            try:
                os.rename(self.flag, self.flag + ".taken")
            except FileNotFoundError:
                return
        os._exit(1)


# ------------------------------------------------------------------ data


def trend_stack(rows, cols, seed=9):
    """Float32 (years, rows, cols): trends from west to east, noise, holes, ties, a constant pixel."""
    rng = np.random.default_rng(seed)
    steps = len(YEARS)
    values = rng.normal(size=(steps, rows, cols)) + np.arange(steps)[:, None, None] * np.linspace(-0.3, 0.3, cols)
    values[rng.random(values.shape) < 0.04] = NODATA
    values[:, 0, 0] = 1.5
    values[:, 1, :] = np.round(values[:, 1, :])
    values[:7, 2, :5] = NODATA  # five valid years: below MIN_VALID
    return values.astype(np.float32)


def write_stack(folder, name, values, **kwargs):
    return [
        write_raster(folder / f"{name}{year}.tif", band, nodata=NODATA, **kwargs) for year, band in zip(YEARS, values)
    ]


def mlri_inputs(folder, rows, cols, seed=5):
    rng = np.random.default_rng(seed)
    lst = (300 + 8 * rng.random((len(YEARS), rows, cols))).astype(np.float32)
    evi = (rng.random((len(YEARS), rows, cols)) - 0.05).astype(np.float32)  # some EVI ≤ 0
    lst[rng.random(lst.shape) < 0.03] = NODATA
    return write_stack(folder, "lst", lst), write_stack(folder, "evi", evi)


def class_pair(folder, rows, cols, epsg=32633, seed=3, origin=(500000.0, 6000000.0), pixel=(30.0, 30.0)):
    rng = np.random.default_rng(seed)
    start = rng.integers(1, 8, size=(rows, cols)).astype(np.uint8)
    end = np.where(rng.random((rows, cols)) < 0.3, rng.integers(1, 9, size=(rows, cols)), start).astype(np.uint8)
    start[:3, :4] = 255
    end[-2:, -5:] = 255
    return (
        write_raster(folder / "start.tif", start, epsg=epsg, nodata=255, origin=origin, pixel=pixel),
        write_raster(folder / "end.tif", end, epsg=epsg, nodata=255, origin=origin, pixel=pixel),
    )


def open_stack(paths):
    sources = scaleout.sources_of(paths)
    datasets = [raster_io.open_raster(s.path) for s in sources]
    bands = [d.GetRasterBand(s.band) for d, s in zip(datasets, sources)]
    return sources, datasets, bands, [raster_io.band_nodata(b) for b in bands], raster_io.grid_of(datasets[0])


def assert_same_raster(expected, actual):
    """Same grid, types, nodata, band names and the same bits in every band."""
    a, b = gdal.Open(str(expected)), gdal.Open(str(actual))
    assert (a.RasterXSize, a.RasterYSize, a.RasterCount) == (b.RasterXSize, b.RasterYSize, b.RasterCount)
    assert a.GetGeoTransform() == b.GetGeoTransform() and a.GetProjection() == b.GetProjection()
    for i in range(1, a.RasterCount + 1):
        x, y = a.GetRasterBand(i), b.GetRasterBand(i)
        assert (x.DataType, x.GetNoDataValue(), x.GetDescription()) == (
            y.DataType,
            y.GetNoDataValue(),
            y.GetDescription(),
        )
        assert x.ReadAsArray().tobytes() == y.ReadAsArray().tobytes(), f"band {i} differs"


def no_output_left(path):
    folder = os.path.dirname(str(path))
    return not [name for name in os.listdir(folder) if name.startswith(os.path.basename(str(path)))]


def local_trend(paths, output, class_output, block_pixels, min_valid=8):
    """The in-process reference: the same engine on a LocalExecutor (threads here, all cores)."""
    return cluster_trend(LocalExecutor(), paths, output, class_output, block_pixels, min_valid)


def cluster_trend(client, paths, output, class_output, block_pixels, min_valid=8, monitor=None):
    sources, _, _, nodatas, grid = open_stack(paths)
    with (
        raster_io.BlockWriter(output, grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=9) as writer,
        raster_io.BlockWriter(class_output, grid, raster_io.BYTE, 0) as classes,
    ):
        writer.set_band_names(trend.TREND_BANDS)
        classes.set_band_names([jobs.RESTORATION_BAND_NAME])  # as mineland:trend and the command line name it
        return scaleout.write_trend_rasters(
            client,
            sources,
            nodatas,
            grid,
            YEARS,
            min_valid,
            writer,
            classes,
            monitor=monitor,
            block_pixels=block_pixels,
        )


# ------------------------------------------------------------------ trend, MLRI, transfer matrix


def test_trend_on_the_cluster_is_the_local_trend_bit_for_bit(client, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(83, 61))
    block_pixels = 900  # ~15 rows: six strips spread over both workers
    too_few = local_trend(paths, tmp_path / "local.tif", tmp_path / "local_class.tif", block_pixels)
    assert too_few >= 5
    windows = scaleout.strip_windows(scaleout.sources_of(paths), open_stack(paths)[4], block_pixels)
    assert len(windows) >= 5
    for runner, name in ((client, "cluster"), (None, "inprocess")):
        assert (
            cluster_trend(runner, paths, tmp_path / f"{name}.tif", tmp_path / f"{name}_class.tif", block_pixels)
            == too_few
        )
        assert_same_raster(tmp_path / "local.tif", tmp_path / f"{name}.tif")
        assert_same_raster(tmp_path / "local_class.tif", tmp_path / f"{name}_class.tif")
    # the tasks ran on both worker processes, not in this one
    assert len(client.scheduler_info()["workers"]) == 2


def test_trend_as_a_dask_array_is_the_local_trend_bit_for_bit(client, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(83, 61, seed=4))
    block_pixels = 900
    local_trend(paths, tmp_path / "local.tif", tmp_path / "local_class.tif", block_pixels)
    expected = gdal.Open(str(tmp_path / "local.tif")).ReadAsArray()
    bands, grid = scaleout.trend_array(paths, YEARS, block_pixels=block_pixels)
    assert bands.shape == (len(trend.TREND_BANDS), 83, 61) and bands.dtype == np.float32
    assert bands.numblocks[1] >= 5 and (grid.xsize, grid.ysize) == (61, 83)  # one chunk per strip of rows
    computed = client.compute(bands).result()
    assert computed.tobytes() == expected.tobytes()
    window = client.compute(bands[:, 20:31, 7:19]).result()  # a window computes the strips it touches
    assert window.tobytes() == np.ascontiguousarray(expected[:, 20:31, 7:19]).tobytes()
    values, nodatas, _ = scaleout.stack_array(paths, block_pixels)
    assert values.shape == (len(YEARS), 83, 61) and nodatas == [NODATA] * len(YEARS)
    assert np.array_equal(client.compute(values[3]).result(), gdal.Open(paths[3]).ReadAsArray())


def test_trend_on_cluster_whole_job_with_a_multiband_stack(client, tmp_path):
    values = trend_stack(40, 33, seed=2)
    multiband = write_raster(tmp_path / "stack.tif", values, nodata=NODATA)
    too_few = local_trend(
        [multiband], tmp_path / "local.tif", tmp_path / "local_class.tif", raster_io.DEFAULT_BLOCK_PIXELS
    )
    result = scaleout.trend_on_cluster(
        [multiband], YEARS, tmp_path / "out.tif", scheduler=client, class_output=tmp_path / "out_class.tif"
    )
    assert result["too_few_pixels"] == too_few
    assert_same_raster(tmp_path / "local.tif", result["output"])
    assert_same_raster(tmp_path / "local_class.tif", result["class_output"])
    assert os.path.exists(tmp_path / "out_class.qml")


def test_mlri_on_the_cluster_is_the_local_mlri_bit_for_bit(client, tmp_path):
    lst, evi = mlri_inputs(tmp_path, 70, 45)
    block_pixels = 700
    lst_sources, _, _, lst_nodatas, grid = open_stack(lst)
    evi_sources, _, _, evi_nodatas, _ = open_stack(evi)
    with raster_io.BlockWriter(
        tmp_path / "local.tif", grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(YEARS)
    ) as writer:
        writer.set_band_names(YEARS)
        missing = scaleout.write_mlri_raster(
            LocalExecutor(),
            lst_sources,
            lst_nodatas,
            evi_sources,
            evi_nodatas,
            grid,
            0.0,
            writer,
            block_pixels=block_pixels,
        )
    assert missing > 0
    with raster_io.BlockWriter(
        tmp_path / "cluster.tif", grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(YEARS)
    ) as writer:
        writer.set_band_names(YEARS)
        assert (
            scaleout.write_mlri_raster(
                client,
                scaleout.sources_of(lst),
                lst_nodatas,
                scaleout.sources_of(evi),
                evi_nodatas,
                grid,
                0.0,
                writer,
                block_pixels=block_pixels,
            )
            == missing
        )
    assert_same_raster(tmp_path / "local.tif", tmp_path / "cluster.tif")
    whole = scaleout.mlri_on_cluster(lst, evi, YEARS, tmp_path / "whole.tif", scheduler=client)
    assert whole["nodata_pixel_years"] == missing


def test_an_error_inside_a_task_reaches_the_client_and_leaves_no_output(client, tmp_path):
    rng = np.random.default_rng(1)
    lst = write_stack(tmp_path, "c", (25 + rng.random((len(YEARS), 30, 20))).astype(np.float32))  # °C as kelvin
    evi = write_stack(tmp_path, "e", (0.2 + rng.random((len(YEARS), 30, 20))).astype(np.float32))
    with pytest.raises(ValueError, match="look like °C"):
        scaleout.mlri_on_cluster(lst, evi, YEARS, tmp_path / "cold.tif", scheduler=client)
    assert no_output_left(tmp_path / "cold.tif")


#: Grids where pixel areas vary per row (geographic, Web Mercator) and per pixel (Lambert conformal conic).
CLUSTER_GRIDS = {
    "utm": {},
    "geographic": {"epsg": WGS84, "origin": (10.0, 60.0), "pixel": (0.01, 0.01)},
    "mercator": {"epsg": 3857, "origin": (1.1e6, 8.4e6), "pixel": (1000.0, 1000.0)},
    "lcc": {"epsg": 2154, "origin": (2e5, 7.0e6), "pixel": (5000.0, 5000.0)},
}


@pytest.mark.parametrize("crs", sorted(CLUSTER_GRIDS))
def test_transfer_matrix_on_the_cluster_is_the_local_one_bit_for_bit(client, tmp_path, crs):
    start, end = class_pair(tmp_path, 77, 52, **CLUSTER_GRIDS[crs])
    block_pixels = 520  # ten rows a strip: in a geographic CRS every row has its own pixel area
    sources, datasets, bands, nodatas, grid = open_stack([start, end])
    row_areas = raster_io.pixel_areas_m2(grid)  # areas on the ellipsoid, as transfer_matrix_on_cluster uses
    _, pairs = crosstab.tabulate(bands, nodatas, grid, row_areas, periods=[(0, 1)], block_pixels=block_pixels)
    local = pairs[(0, 1)]
    ours = scaleout.tabulate_pair(client, *sources, nodatas, grid, row_areas, block_pixels=block_pixels)
    for field in ("from_class", "to_class", "pixels", "area_m2"):
        assert getattr(local, field).dtype == getattr(ours, field).dtype
        assert getattr(local, field).tobytes() == getattr(ours, field).tobytes(), field
    assert (local.nodata_pixels, local.nodata_area_m2) == (ours.nodata_pixels, ours.nodata_area_m2)
    assert local.nodata_pixels > 0
    # the change raster, written from the cluster's strips, is the local loop's
    factor = crosstab.change_code_factor(local.classes)
    gdal_type, dtype, nodata = raster_io.integer_type_with_nodata(
        [int(f) * factor + int(t) for f in local.classes for t in local.classes]
    )
    with raster_io.BlockWriter(tmp_path / "local_change.tif", grid, gdal_type, nodata) as writer:
        for yoff, _, (a, b) in raster_io.iter_blocks(bands, grid, block_pixels=block_pixels):
            valid = raster_io.valid_mask(a, nodatas[0]) & raster_io.valid_mask(b, nodatas[1])
            writer.write(yoff, crosstab.change_codes(a, b, valid, factor, nodata, dtype))
    with raster_io.BlockWriter(tmp_path / "change.tif", grid, gdal_type, nodata) as writer:
        scaleout.write_change_codes(
            client, *sources, nodatas, grid, factor, nodata, dtype, writer, block_pixels=block_pixels
        )
    assert_same_raster(tmp_path / "local_change.tif", tmp_path / "change.tif")
    whole = scaleout.transfer_matrix_on_cluster(start, end, scheduler=client, table_output=tmp_path / "pairs.csv")
    assert whole.pixels.tobytes() == local.pixels.tobytes()
    # the same areas on the ellipsoid (other strips: sums in another order)
    np.testing.assert_allclose(whole.area_m2, local.area_m2, rtol=1e-12)
    assert (tmp_path / "pairs.csv").read_text(encoding="utf-8").splitlines()[0] == "from_class,to_class,pixels,area_m2"


def test_disturbance_areas_on_the_cluster_are_the_local_ones_bit_for_bit(client, tmp_path):
    rng = np.random.default_rng(8)
    rows, cols, polygons = 64, 50, 6
    geographic = {"epsg": WGS84, "origin": (110.0, 40.0), "pixel": (0.001, 0.001)}
    index = write_raster(
        tmp_path / "index.tif", rng.integers(0, polygons + 1, size=(rows, cols)).astype(np.uint16), **geographic
    )
    dates = [
        write_raster(
            tmp_path / f"c{k}.tif", rng.integers(1, 5, size=(rows, cols)).astype(np.uint8), nodata=0, **geographic
        )
        for k in range(4)
    ]
    sources, datasets, bands, nodatas, grid = open_stack([index] + dates)  # noqa: F841 (datasets kept alive)
    row_areas = raster_io.row_pixel_areas_m2(grid)
    local = disturbance.DisturbanceCounter(polygons, len(dates), [1], [2, 3, 4], row_areas)
    for yoff, _, arrays in raster_io.iter_blocks(bands, grid, block_pixels=500):
        local.add(yoff, arrays[0], arrays[1:], [raster_io.valid_mask(a, n) for a, n in zip(arrays[1:], nodatas[1:])])
    ours = scaleout.tabulate_disturbance(
        client, sources[0], sources[1:], nodatas[1:], grid, polygons, [1], [2, 3, 4], row_areas, block_pixels=500
    )
    for field in local.series.__dataclass_fields__:
        assert getattr(local.series, field).tobytes() == getattr(ours, field).tobytes(), field
    assert ours.dev_m2[1:].sum() > 0


def test_cancel_on_the_cluster_stops_and_leaves_no_output(client, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(60, 40))
    reports = []
    monitor = raster_io.Monitor(reports.append, lambda: len(reports) >= 2)
    with pytest.raises(raster_io.Cancelled):
        cluster_trend(client, paths, tmp_path / "out.tif", tmp_path / "out_class.tif", 400, monitor=monitor)
    assert no_output_left(tmp_path / "out.tif") and no_output_left(tmp_path / "out_class.tif")


# ------------------------------------------------------------------ failures


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_that_does_not_answer_fails_within_the_timeout(tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(10, 10))
    started = time.monotonic()
    with pytest.raises(
        scaleout.ScaleoutError, match=r"no Dask scheduler answered at tcp://127\.0\.0\.1:\d+ within 2 s"
    ):
        scaleout.trend_on_cluster(paths, YEARS, tmp_path / "out.tif", scheduler=f"127.0.0.1:{closed_port()}", timeout=2)
    assert time.monotonic() - started < 10
    assert no_output_left(tmp_path / "out.tif")


@pytest.mark.parametrize("text", ["not an address", "tcp://", "http//host:8786", "host"])
def test_what_is_not_an_address_is_refused(text):
    with pytest.raises(ValueError, match="not a Dask scheduler address"):
        scaleout.normalise_address(text)


def test_addresses_get_their_protocol():
    assert scaleout.normalise_address(" 10.1.2.3:8786 ") == "tcp://10.1.2.3:8786"
    assert scaleout.normalise_address("tls://sched.example:8786") == "tls://sched.example:8786"
    assert scaleout.normalise_address("[::1]:8786") == "tcp://[::1]:8786"


def test_a_worker_that_dies_mid_run_is_replaced_and_the_result_is_complete(client, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(83, 61, seed=4))
    local_trend(paths, tmp_path / "local.tif", tmp_path / "local_class.tif", 900)
    flag = tmp_path / "kill-once"
    flag.touch()
    client.register_plugin(KillWorker(r"^mineland-trend-\w+-3$", str(flag)), name="kill-once")
    try:
        cluster_trend(client, paths, tmp_path / "out.tif", tmp_path / "out_class.tif", 900)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert os.path.exists(str(flag) + ".taken")  # a worker did die on strip 3
    assert_same_raster(tmp_path / "local.tif", tmp_path / "out.tif")
    assert_same_raster(tmp_path / "local_class.tif", tmp_path / "out_class.tif")


def test_a_strip_that_keeps_killing_workers_fails_cleanly_without_output(client, tmp_path):
    # the message names the strip the scheduler gave up on: strip 2, or another one that was on the dying workers
    paths = write_stack(tmp_path, "y", trend_stack(83, 61, seed=4))
    flag = tmp_path / "kill-always"
    flag.touch()
    client.register_plugin(KillWorker(r"^mineland-trend-\w+-2$", str(flag), once=False), name="kill-always")
    try:
        with pytest.raises(scaleout.ScaleoutError, match=r"workers died while computing rows \d+–\d+ .*no output"):
            cluster_trend(client, paths, tmp_path / "out.tif", tmp_path / "out_class.tif", 900)
    finally:
        os.remove(flag)
        client.unregister_worker_plugin("kill-always")
    assert no_output_left(tmp_path / "out.tif") and no_output_left(tmp_path / "out_class.tif")


# ------------------------------------------------------------------ the algorithms' DASK_SCHEDULER


def test_algorithms_with_dask_scheduler_give_the_local_outputs(run, client, tmp_path):
    from test_alg_landcover import read_csv

    address = client.scheduler.address
    paths = write_stack(tmp_path, "y", trend_stack(600, 640, seed=7))  # two strips of the default budget
    common = {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8}
    local = run(
        "mineland:trend", dict(common, OUTPUT=str(tmp_path / "t_local.tif"), OUTPUT_CLASS=str(tmp_path / "c_local.tif"))
    )
    remote = run(
        "mineland:trend",
        dict(
            common,
            OUTPUT=str(tmp_path / "t_dask.tif"),
            OUTPUT_CLASS=str(tmp_path / "c_dask.tif"),
            DASK_SCHEDULER=address,
        ),
    )
    assert remote["TOO_FEW_PIXELS"] == local["TOO_FEW_PIXELS"] >= 5
    assert_same_raster(local["OUTPUT"], remote["OUTPUT"])
    assert_same_raster(local["OUTPUT_CLASS"], remote["OUTPUT_CLASS"])

    lst, evi = mlri_inputs(tmp_path, 600, 640)
    common = {"LST_INPUTS": lst, "EVI_INPUTS": evi, "YEARS": ",".join(map(str, YEARS))}
    local = run("mineland:mlri", dict(common, OUTPUT=str(tmp_path / "m_local.tif")))
    remote = run("mineland:mlri", dict(common, OUTPUT=str(tmp_path / "m_dask.tif"), DASK_SCHEDULER=address))
    assert remote["NODATA_PIXEL_YEARS"] == local["NODATA_PIXEL_YEARS"]
    assert_same_raster(local["OUTPUT"], remote["OUTPUT"])

    start, end = class_pair(tmp_path, 2100, 2010)  # 4.2 Mpx: two strips of the default 4 Mpx budget
    results = {}
    for name, extra in (("local", {}), ("dask", {"DASK_SCHEDULER": address})):
        results[name] = run(
            "mineland:transfermatrix",
            dict(
                extra,
                INPUT_START=start,
                INPUT_END=end,
                OUTPUT=str(tmp_path / f"pairs_{name}.csv"),
                OUTPUT_MATRIX=str(tmp_path / f"matrix_{name}.csv"),
                OUTPUT_CHANGE=str(tmp_path / f"change_{name}.tif"),
            ),
        )
    local, remote = results["local"], results["dask"]
    for key in ("CHANGED_KM2", "CHANGED_PCT", "TOTAL_KM2", "NODATA_PIXELS"):
        assert local[key] == remote[key], key
    assert read_csv(local["OUTPUT"]) == read_csv(remote["OUTPUT"])
    assert Path(local["OUTPUT_MATRIX"]).read_bytes() == Path(remote["OUTPUT_MATRIX"]).read_bytes()
    assert_same_raster(local["OUTPUT_CHANGE"], remote["OUTPUT_CHANGE"])


def test_dask_scheduler_that_does_not_answer_names_the_parameter(run, tmp_path):
    from qgis.core import QgsProcessingException

    paths = write_stack(tmp_path, "y", trend_stack(10, 10))
    started = time.monotonic()
    with pytest.raises(QgsProcessingException, match=r"^DASK_SCHEDULER: no Dask scheduler answered .* within 10 s"):
        run(
            "mineland:trend",
            {
                "INPUTS": paths,
                "YEARS": ",".join(map(str, YEARS)),
                "OUTPUT": str(tmp_path / "out.tif"),
                "DASK_SCHEDULER": f"tcp://127.0.0.1:{closed_port()}",
            },
        )
    assert time.monotonic() - started < 20
    assert no_output_left(tmp_path / "out.tif")


def test_dask_scheduler_that_is_not_an_address_names_the_parameter(run, tmp_path):
    from qgis.core import QgsProcessingException

    start, end = class_pair(tmp_path, 5, 5)
    with pytest.raises(QgsProcessingException, match="^DASK_SCHEDULER: 'my cluster' is not a Dask scheduler"):
        run(
            "mineland:transfermatrix",
            {"INPUT_START": start, "INPUT_END": end, "OUTPUT": str(tmp_path / "p.csv"), "DASK_SCHEDULER": "my cluster"},
        )


def test_dask_scheduler_is_an_advanced_optional_string(provider):
    from qgis.core import QgsProcessingParameterDefinition, QgsProcessingParameterString

    for name in ("trend", "mlri", "transfermatrix"):
        parameter = provider.algorithm(name).parameterDefinition("DASK_SCHEDULER")
        assert isinstance(parameter, QgsProcessingParameterString)
        assert parameter.flags() & QgsProcessingParameterDefinition.FlagOptional
        assert parameter.flags() & QgsProcessingParameterDefinition.FlagAdvanced
        assert "pip install dask distributed" in parameter.help()


WITHOUT_DASK = """
import sys

class NoDask:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named '{name}'")

sys.meta_path.insert(0, NoDask())
from qgis.core import QgsApplication, QgsProcessingException
app = QgsApplication([], False)
app.initQgis()
sys.path.append("/usr/share/qgis/python/plugins")
from processing.core.Processing import Processing
Processing.initialize()
import processing
from mineland import classFactory
plugin = classFactory(None)
plugin.initProcessing()
paths, years, out = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
result = processing.run("mineland:trend", {"INPUTS": paths, "YEARS": years, "OUTPUT": out, "DASK_SCHEDULER": ""})
print("local run ok", result["TOO_FEW_PIXELS"])
try:
    processing.run("mineland:trend", {"INPUTS": paths, "YEARS": years, "OUTPUT": out + "2.tif",
                                      "DASK_SCHEDULER": "tcp://127.0.0.1:8786"})
except QgsProcessingException as err:
    print("error:", err)
assert not [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]
"""


def test_the_plugin_loads_and_runs_without_dask(tmp_path):
    """In a QGIS whose Python cannot import dask: the plugin loads, the local path runs, DASK_SCHEDULER says what to
    install."""
    paths = write_stack(tmp_path, "y", trend_stack(12, 9))
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_DASK, ",".join(paths), ",".join(map(str, YEARS)), str(tmp_path / "out.tif")],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            PYTHONPATH=PLUGINS,
            QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
        ),
    )
    assert "local run ok" in done.stdout, done.stderr
    assert re.search(
        r"error: DASK_SCHEDULER: dask and distributed are needed .* pip install dask distributed", done.stdout
    ), done.stdout + done.stderr
    assert done.returncode == 0, done.stderr
    assert not os.path.exists(str(tmp_path / "out.tif") + "2.tif")


# ------------------------------------------------------------------ command line


def test_command_line_trend_and_transfer_matrix(client, tmp_path):
    paths = write_stack(tmp_path, "y", trend_stack(50, 30, seed=11))
    too_few = local_trend(paths, tmp_path / "local.tif", tmp_path / "local_class.tif", raster_io.DEFAULT_BLOCK_PIXELS)
    env = dict(os.environ, PYTHONPATH=PLUGINS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mineland.core.engine.scaleout",
            "trend",
            "--quiet",
            "--scheduler",
            client.scheduler.address,
            "--years",
            ",".join(map(str, YEARS)),
            "--output",
            str(tmp_path / "cli.tif"),
            "--classes",
            str(tmp_path / "cli_class.tif"),
        ]
        + paths,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert f"too_few_pixels: {too_few}" in done.stdout
    assert_same_raster(tmp_path / "local.tif", tmp_path / "cli.tif")
    assert_same_raster(tmp_path / "local_class.tif", tmp_path / "cli_class.tif")

    start, end = class_pair(tmp_path, 20, 30)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mineland.core.engine.scaleout",
            "transfermatrix",
            "--quiet",
            start,
            end,
            "--scheduler",
            "local:1",
            "--table",
            str(tmp_path / "pairs.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )  # a LocalCluster of its own
    assert done.returncode == 0, done.stderr
    assert "nodata_pixels: 22" in done.stdout

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mineland.core.engine.scaleout",
            "trend",
            "--quiet",
            "--timeout",
            "1",
            "--scheduler",
            f"tcp://127.0.0.1:{closed_port()}",
            "--years",
            ",".join(map(str, YEARS)),
            "--output",
            str(tmp_path / "never.tif"),
        ]
        + paths,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    assert "error: no Dask scheduler answered" in done.stderr
    assert no_output_left(tmp_path / "never.tif")


def test_command_line_in_process_and_its_errors_are_messages(tmp_path):
    """Without a scheduler the command line runs in process (it crashed with GDAL >= 3.10 bindings when a band
    outlived its dataset); any failure, expected or not, is one "error:" line and exit 1, never a traceback."""
    start, end = class_pair(tmp_path, 20, 30)
    env = dict(os.environ, PYTHONPATH=PLUGINS)
    command = [sys.executable, "-m", "mineland.core.engine.scaleout", "transfermatrix", "--quiet"]
    done = subprocess.run(
        command + [start, end, "--table", str(tmp_path / "pairs.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "nodata_pixels: 22" in done.stdout
    not_a_raster = tmp_path / "notes.txt"
    not_a_raster.write_text("not a raster", encoding="utf-8")
    for arguments in (
        [start, str(not_a_raster)],  # refused input
        [start, end, "--table", str(tmp_path / "no" / "such" / "folder" / "pairs.csv")],  # OSError
        [start, end, "--change", str(tmp_path / "no" / "such" / "change.tif")],
    ):
        done = subprocess.run(command + arguments, capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 1, (arguments, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "error: " in done.stderr, done.stderr
