"""Scale-out: the trend, MLRI and transfer-matrix engines on a Dask cluster (dask.distributed).

The kernels are the in-process ones (:mod:`.trend`, :mod:`.mlri`, :mod:`.crosstab`);
only the loop over row strips moves to the cluster. Each task gets a strip
(first row, row count) and the raster paths, opens the rasters itself and
reads its window, so nothing big travels through the scheduler: inputs are
read by the workers from storage they share with the client (NFS, a parallel
file system, or ``/vsis3/``-style GDAL paths), results travel from the worker
straight to the client.

Results are bit for bit those of the local run: the strips are the local
run's blocks (same height, same kernel chunks of :func:`.stack.chunk_pixels`
pixels), the per-pixel kernels do not depend on their neighbours, and the
transfer-matrix counts (and, in a geographic CRS, the per-row area sums) are
added up on the client in strip order, as the local loop adds them.

Outputs are written on the client, streaming: strips are submitted in order
with a bounded number in flight (two per worker thread), and each result is
written by :class:`.raster_io.BlockWriter` as soon as every strip above it is
written, then released. So the client never holds more than the strips in
flight, writes the same file as the local run, and keeps its guarantee: the
file is in the folder ``<name>.partial-<pid>.tmp`` beside it until the last
strip is written, and is removed if the job fails or is cancelled. (Per-strip temporary files
merged at the end were the alternative; they need an output folder shared by
every worker and a second full read and write of the output, and a failed
merge leaves pieces about.)

Failures: a scheduler that does not answer within ``timeout`` seconds, or one
without workers, raises :class:`ScaleoutError`; so do workers that cannot
import ``mineland.core``. A worker that dies mid-run has its task (and the
finished results it held) recomputed on another worker by the scheduler; a
task that kills its worker more often than the scheduler allows
(``distributed.scheduler.allowed-failures``, 3 by default) stops the job with
:class:`ScaleoutError` and no output file. A task's own error (e.g. °C given
as kelvin to MLRI) is raised on the client as it would be locally.

Scale and offset: the continuous inputs of the trend and MLRI (and :func:`stack_array`) are read
in physical units, raw × scale + offset of each band's GDAL metadata, with nodata tested on the
raw value, as in the local run (each :class:`Source` carries its band's scaling to the worker);
the class rasters of the transfer matrix and disturbance keep their codes.

Dask is imported lazily: this module, and the plugin, load without it.

Python API (outside QGIS)
-------------------------
``scheduler`` is ``"tcp://host:8786"`` (or ``"host:8786"``) for a running
cluster, ``"local"`` or ``"local:N"`` for a LocalCluster of N worker
processes (one thread each) started and closed by the call, a
``distributed.Client``, or None/"" to run the same strip tasks in this
process, one after the other, without Dask.

- :func:`trend_on_cluster` (paths, years, output, scheduler=None, class_output=None, min_valid=8, alpha=0.05)
- :func:`trend_array` (paths, years, min_valid=8) → (lazy dask.array (9, ysize, xsize) float32, grid), and
  :func:`stack_array` (paths) → (lazy dask.array of the stack, nodata values, grid): the same kernel applied
  per chunk with ``map_blocks``, each chunk read from its GeoTIFF/VRT window by the worker; for notebooks and
  pipelines that reduce, subset or store the result themselves (the GeoTIFF writers above are these strips,
  streamed to the client in order)
- :func:`mlri_on_cluster` (lst_paths, evi_paths, years, output, scheduler=None, celsius=False)
- :func:`transfer_matrix_on_cluster` (start, end, scheduler=None, change_output=None, table_output=None)
- :func:`reclassify_on_cluster` (path, output, scheduler=None, preset="glc_fcs30", table=None, band=1)
- lower level, used by the Processing algorithms' DASK_SCHEDULER parameter:
  :func:`connect`, :func:`write_trend_rasters`, :func:`write_mlri_raster`,
  :func:`tabulate_pair`, :func:`write_change_codes`; and the per-polygon DEV/REC/BSP areas of
  mineland:disturbance from a burnt polygon index raster, :func:`tabulate_disturbance`.

Command line
------------
With the plugins folder on PYTHONPATH (the repository root, which holds ``mineland/``)::

    python -m mineland.core.engine.scaleout trend --scheduler tcp://host:8786 --years 2001,...,2020 \\
        --output trend.tif [--classes classes.tif] [--min-valid 8] [--alpha 0.05] y2001.tif ... y2020.tif
    python -m mineland.core.engine.scaleout mlri --scheduler local:2 --years 2001,2002,2003 --output mlri.tif \\
        --lst l1.tif l2.tif l3.tif --evi e1.tif e2.tif e3.tif [--celsius]
    python -m mineland.core.engine.scaleout transfermatrix --scheduler tcp://host:8786 start.tif end.tif \\
        [--table pairs.csv] [--matrix matrix.csv] [--change change.tif]
    python -m mineland.core.engine.scaleout reclassify --preset glc_fcs30 [--table rules.csv] [--band 1] \\
        [--keep-unmatched] --output classes.tif landcover.tif

Each writes the files of its Processing algorithm (:mod:`.jobs`): the same band and class names,
colour tables, .qml styles, and for the transfer matrix the change raster's attribute table and
legend and the km² matrix with its gains and losses (OUTPUT_MATRIX).

``--scheduler local:N`` takes ``--memory-limit`` (per worker, e.g. 1GiB).
Workers need numpy, scipy, GDAL's Python bindings and dask/distributed of the
client's versions (other numpy/scipy/GDAL versions are reported as a warning:
the bits may differ), and the plugins folder on their PYTHONPATH, e.g.
``GDAL_CACHEMAX=64 PYTHONPATH=/path/to/plugins dask worker tcp://host:8786 --nthreads 1 --memory-limit 1GiB``.
A worker reads each strip once, so a small GDAL block cache is enough (GDAL's
default, 5 % of the machine's RAM, counts against the worker's memory limit).
A task needs about 64 MB for the trend and for MLRI (half the in-process stack budget), plus the kernels' temporaries; 1 GiB per worker thread is ample.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import re
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..io import raster_io
from ..io.tables import parse_list, read_text
from ..landcover import crosstab, reclass, transitions
from ..mines import disturbance
from ..timeseries import mlri as mlri_kernel
from ..timeseries import trend
from . import runner, stack
from .runner import (  # noqa: F401 (the names this module always had)
    IN_FLIGHT_PER_THREAD,
    INSTALL_HINT,
    POLL_SECONDS,
    WORKER_MMAP_THRESHOLD,
    DaskMissing,
    ScaleoutError,
    on_worker,
    require_dask,
    tune_allocator,
)

#: Seconds to wait for a scheduler to answer, and for it to have a worker.
DEFAULT_TIMEOUT = 10
#: The change-raster labels of the Python API by default: the bare codes ("3 → 7"); the command line passes
#: names=None for the toolbox's class names.
CODE_LABELS = transitions.CodeNames()

_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|inproc|ucx)://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?/?$")


@dataclass(frozen=True)
class Source:
    """One time step of a stack: band ``band`` of the raster at ``path`` (a path every worker can open).

    ``scaling`` (a :class:`.raster_io.Scaling`, continuous inputs only) turns the values read into
    physical units, raw × scale + offset, after nodata is tested on the raw value; None: as stored.
    """

    path: str
    band: int = 1
    scaling: object = None


def scalings_of(sources):
    return [source.scaling for source in sources]


def sources_of(paths):
    """Sources of a stack given as one raster per step, or as one multiband raster (one band per step)."""
    paths = [str(p) for p in paths]
    if len(paths) == 1:
        dataset = raster_io.open_raster(paths[0])
        return [Source(paths[0], b) for b in range(1, dataset.RasterCount + 1)]
    return [Source(p, 1) for p in paths]


# ------------------------------------------------------------------ connecting


def normalise_address(text):
    """A scheduler address with its protocol ("host:8786" → "tcp://host:8786"); ValueError when it is not one."""
    text = str(text).strip()
    match = _ADDRESS.match(text)
    if not match or (match.group(1) != "inproc" and not match.group(3)):
        raise ValueError(
            f"'{text}' is not a Dask scheduler address; give it as tcp://host:8786 "
            "(protocol://host:port), or leave it empty to run locally"
        )
    return text if match.group(1) else "tcp://" + text


@contextlib.contextmanager
def connect(scheduler=None, timeout=DEFAULT_TIMEOUT, n_workers=None, memory_limit="auto", warn=None):
    """A ``distributed.Client`` for ``scheduler``, or None for the in-process path (see the module docstring).

    A Client passed in is used as it is and not closed; clients and local
    clusters made here are closed on leaving. ``warn`` (callable(str), by
    default warnings.warn) gets the workers' version differences from this client.

    Raises
    ------
    ScaleoutError
        dask missing, nothing answering at the address within ``timeout``
        seconds, no worker within ``timeout`` seconds, or workers that cannot
        import ``mineland.core``.
    ValueError
        ``scheduler`` is not an address.
    """
    if scheduler is None or (isinstance(scheduler, str) and not scheduler.strip()):
        yield None
        return
    if not isinstance(scheduler, str):  # a Client of the caller's
        yield scheduler
        return
    text = scheduler.strip()
    if text == "local" or text.startswith("local:"):
        count = text.split(":", 1)[1] if ":" in text else str(n_workers or stack.worker_count())
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"'{text}': give local or local:N with N workers, e.g. local:2")
        workers = int(count)
        distributed = require_dask()
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            _warn_all(check_workers(client, timeout), warn)
            yield client
        return
    address = normalise_address(text)
    distributed = require_dask()
    try:
        client = distributed.Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as err:
        raise ScaleoutError(
            f"no Dask scheduler answered at {address} within {timeout:g} s ({err}); start one "
            "(dask scheduler) or check the address, the port and the firewall"
        ) from None
    with client:
        _warn_all(check_workers(client, timeout), warn)
        yield client


def _warn_all(messages, warn):
    for message in messages:
        if warn is None:
            warnings.warn(message, stacklevel=4)
        else:
            warn(message)


def check_workers(client, timeout=DEFAULT_TIMEOUT):
    """Wait for a worker; check that every worker imports mineland.core. Returns warnings (version differences)."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise ScaleoutError(
            f"the scheduler at {client.scheduler.address} has no worker after {timeout:g} s "
            f"({err}); start workers with: dask worker {client.scheduler.address}"
        ) from None
    try:
        found = client.run(worker_versions)
    except (ImportError, AttributeError) as err:  # no mineland on the worker, or an older one
        raise ScaleoutError(
            f"a worker cannot import this MineLand ({err}): start the workers with the plugins "
            "folder on their PYTHONPATH (PYTHONPATH=/path/to/plugins dask worker ADDRESS)"
        ) from None
    mine = worker_versions()
    return [
        f"worker {worker} runs {key} {theirs[key]}, this client {mine[key]}: results may differ in the last "
        "bits from a local run"
        for worker, theirs in sorted(found.items())
        for key in sorted(mine)
        if theirs.get(key) != mine[key]
    ]


def worker_versions():
    """Versions that decide the bits of the results (run on every worker)."""
    import scipy
    from osgeo import gdal

    return {"numpy": np.__version__, "scipy": scipy.__version__, "gdal": gdal.__version__}


# ------------------------------------------------------------------ strips


def strip_windows(sources, grid, block_pixels):
    """(yoff, nrows) of the strips: the blocks :func:`.raster_io.iter_blocks` reads for these rasters."""
    datasets = {}
    bands = []
    for source in sources:
        if source.path not in datasets:
            datasets[source.path] = raster_io.open_raster(source.path)
        bands.append(datasets[source.path].GetRasterBand(source.band))
    rows = raster_io.block_height(grid, bands, block_pixels)
    return list(raster_io.iter_windows(grid.ysize, rows))


def read_strip(sources, xsize, yoff, nrows):
    """One (nrows, xsize) array per source, read by the task itself."""
    datasets = {}
    arrays = []
    for source in sources:
        if source.path not in datasets:
            datasets[source.path] = raster_io.open_raster(source.path)
        arrays.append(datasets[source.path].GetRasterBand(source.band).ReadAsArray(0, yoff, xsize, nrows))
    return arrays


def run_strips(client, task, windows, args, consume, monitor=None, name="strip"):
    """Run ``task(*args, yoff, nrows)`` for every window and give the results to ``consume`` in window order.

    ``client``: a ``distributed.Client`` (:class:`.runner.DaskExecutor`), None (one strip after the other
    here, :class:`.runner.SerialExecutor`) or any :class:`.runner.Executor`. Returns the number of strips.
    """
    return runner.executor_of(client).run(task, windows, args, consume, monitor, name)


# ------------------------------------------------------------------ trend


@dataclass
class TrendStrip:
    yoff: int
    bands: np.ndarray  # (len(TREND_BANDS), nrows, xsize) float32, nodata = stack.FLOAT_NODATA (n_valid never)
    classes: np.ndarray  # (nrows, xsize) uint8 or None
    too_few: int


def trend_strip(sources, nodatas, xsize, years, min_valid, alpha, with_classes, yoff, nrows):
    """The trend of one strip, as the local run (LocalExecutor) computes a block (runs on a worker)."""
    shape = (nrows, xsize)
    block = stack.stack_block(read_strip(sources, xsize, yoff, nrows), nodatas, scalings_of(sources))
    bands, stats = trend_bands(block, years, min_valid, shape)
    classes = None
    if with_classes:
        classes = trend.restoration_classes(stats["z"], stats["sen_slope"], stats["hurst"], alpha).reshape(shape)
    return TrendStrip(yoff, bands, classes, int(np.count_nonzero(stats["n_valid"] < min_valid)))


def trend_bands(values, years, min_valid, shape):
    """The trend rasters' bands of a (pixels, time) block as (len(TREND_BANDS), *shape) float32, and the statistics,
    computed here chunk after chunk (one worker thread)."""
    chunk = stack.chunk_pixels(values.shape[1])
    # on a LocalExecutor's chunk pool each thread keeps its own buffers; here (a Dask worker) one set per strip
    buffers = None if runner.chunk_pool() else trend.KernelBuffers()

    def kernel(start):
        return trend.trend_statistics(
            values[start : start + chunk], years, min_valid, buffers or stack.thread_buffers()
        )

    stats = stack.joined_statistics(runner.chunk_map(kernel, range(0, values.shape[0], chunk)))
    return stack.trend_band_stack(stats, shape), stats


def write_trend_rasters(
    client,
    sources,
    nodatas,
    grid,
    years,
    min_valid,
    writer,
    class_writer=None,
    alpha=0.05,
    monitor=None,
    block_pixels=None,
):
    """the local run (LocalExecutor) on a cluster (``client``) or strip by strip here (None).

    ``sources`` are the :class:`Source` of the stack's time steps. Returns the
    number of pixels with fewer than ``min_valid`` valid values.
    """
    years = trend.check_years(years, len(sources))
    block_pixels = block_pixels or stack.stack_block_pixels(len(sources), stack.STACK_BUDGET_BYTES // 2)
    windows = strip_windows(sources, grid, block_pixels)
    too_few = 0

    def consume(strip):
        nonlocal too_few
        for index, band in enumerate(strip.bands, start=1):
            writer.write(strip.yoff, band, index)
        if class_writer is not None:
            class_writer.write(strip.yoff, strip.classes)
        too_few += strip.too_few

    run_strips(
        client,
        trend_strip,
        windows,
        (list(sources), list(nodatas), grid.xsize, years, min_valid, alpha, class_writer is not None),
        consume,
        monitor,
        "trend",
    )
    return too_few


# ------------------------------------------------------------------ dask.array


def stack_array(paths, block_pixels=None):
    """A stack as a lazy ``dask.array`` (steps, ysize, xsize) of its values, with its nodata values and grid.

    ``paths``: one raster per time step, or one multiband raster. Each chunk is
    one row window of one step, read with GDAL by the worker that computes it
    (the paths must be readable there); the windows are the local run's
    blocks. Nothing is read until the array is computed.

    A step whose band has GDAL scale/offset metadata is in physical units, raw × scale + offset
    (float64, NaN where the raw value is nodata, and its nodata value None); the others are the
    stored values with the band's nodata.
    """
    require_dask()
    import dask
    import dask.array as da

    sources, nodatas, grid = _stack_inputs(paths, "input", scaled=True)
    block_pixels = block_pixels or stack.stack_block_pixels(len(sources), stack.STACK_BUDGET_BYTES // 2)
    windows = strip_windows(sources, grid, block_pixels)
    read = dask.delayed(_read_window, pure=True)
    steps = []
    for source, nodata in zip(sources, nodatas):
        dataset = raster_io.open_raster(source.path)  # kept while its band is used (GDAL ≥ 3.10 bindings)
        dtype = np.dtype(np.float64) if source.scaling else raster_io.numpy_dtype(dataset.GetRasterBand(source.band))
        steps.append(
            da.concatenate(
                [
                    da.from_delayed(read(source, nodata, grid.xsize, yoff, nrows), (nrows, grid.xsize), dtype)
                    for yoff, nrows in windows
                ]
            )
        )
    return da.stack(steps), [None if s.scaling else nodata for s, nodata in zip(sources, nodatas)], grid


def _read_window(source, nodata, xsize, yoff, nrows):
    """A window of one step: as stored, or in physical units with NaN for raw nodata (scaled steps)."""
    values = read_strip([source], xsize, yoff, nrows)[0]
    return values if source.scaling is None else raster_io.physical_or_nan(values, nodata, source.scaling)


def trend_array(paths, years, min_valid=8, block_pixels=None):
    """The trend raster of mineland:trend as a lazy ``dask.array`` (9, ysize, xsize) float32, and its grid.

    Bands in :data:`.trend.TREND_BANDS` order, nodata :data:`.stack.FLOAT_NODATA`
    (n_valid never). The kernel of the local run applied per chunk
    (``map_blocks``) to the row windows of :func:`stack_array`: computed whole,
    it is the local raster bit for bit; a window (``array[:, rows, cols]``)
    computes only the strips it touches. Compute it on any Dask scheduler,
    store it (``dask.array.store``, ``to_zarr``), or reduce it (e.g. the mean
    Sen's slope of a region) without writing the raster.
    """
    values, nodatas, grid = stack_array(paths, block_pixels)
    years = trend.check_years(years, values.shape[0])
    by_strip = values.rechunk({0: -1})  # every step of a window in one chunk
    bands = by_strip.map_blocks(
        _trend_chunk,
        nodatas,
        years,
        min_valid,
        dtype=np.float32,
        chunks=((len(trend.TREND_BANDS),),) + by_strip.chunks[1:],
        meta=np.empty((0, 0, 0), dtype=np.float32),
    )
    return bands, grid


def _trend_chunk(block, nodatas, years, min_valid):
    tune_allocator()
    return trend_bands(stack.stack_block(list(block), nodatas), years, min_valid, block.shape[1:])[0]


# ------------------------------------------------------------------ MLRI


def mlri_strip(lst_sources, lst_nodatas, evi_sources, evi_nodatas, xsize, lst_offset, yoff, nrows):
    """(yoff, MLRI bands (years, nrows, xsize) float32, missing pixel-years) of one strip (runs on a worker)."""
    steps = len(lst_sources)
    arrays = read_strip(list(lst_sources) + list(evi_sources), xsize, yoff, nrows)
    lst = stack.stack_block(arrays[:steps], lst_nodatas, scalings_of(lst_sources)) + lst_offset
    evi = stack.stack_block(arrays[steps:], evi_nodatas, scalings_of(evi_sources))
    index = mlri_kernel.mlri(lst, evi)
    bands = np.empty((steps, nrows, xsize), dtype=np.float32)
    for step in range(steps):
        bands[step] = stack.float_band(index[:, step], (nrows, xsize))
    return yoff, bands, int(np.isnan(index).sum())


def write_mlri_raster(
    client,
    lst_sources,
    lst_nodatas,
    evi_sources,
    evi_nodatas,
    grid,
    lst_offset,
    writer,
    monitor=None,
    block_pixels=None,
):
    """the local run (LocalExecutor) on a cluster (``client``) or strip by strip here (None).

    Returns the pixel-years left nodata; ValueError (from a worker) for LST below 150 K.
    """
    steps = len(lst_sources)
    # half the stack budget a strip, as the trend: a LocalExecutor holds two strips at once
    block_pixels = block_pixels or stack.stack_block_pixels(3 * steps, stack.STACK_BUDGET_BYTES // 2)
    windows = strip_windows(list(lst_sources) + list(evi_sources), grid, block_pixels)
    missing = 0

    def consume(result):
        nonlocal missing
        yoff, bands, count = result
        for step, band in enumerate(bands, start=1):
            writer.write(yoff, band, step)
        missing += count

    run_strips(
        client,
        mlri_strip,
        windows,
        (list(lst_sources), list(lst_nodatas), list(evi_sources), list(evi_nodatas), grid.xsize, lst_offset),
        consume,
        monitor,
        "mlri",
    )
    return missing


# ------------------------------------------------------------------ transfer matrix


class _MergedPairCounter(crosstab.PairCounter):
    """A PairCounter that adds up the strip counters of the workers, in strip order."""

    def merge(self, part):
        for key, pixels in part._pixels.items():
            self._pixels[key] = self._pixels.get(key, 0) + pixels
            if key in part._area:
                self._area[key] = self._area.get(key, 0.0) + part._area[key]


def pair_strip(start, end, nodatas, grid, areas, yoff, nrows):
    """The PairCounter of one strip of two class rasters (runs on a worker), with the client's pixel areas."""
    a, b = read_strip([start, end], grid.xsize, yoff, nrows)
    counter = crosstab.PairCounter(areas, *nodatas)
    counter.add(yoff, a, b)
    return counter


def tabulate_pair(
    client, start, end, nodatas, grid, row_areas_m2, monitor=None, block_pixels=raster_io.DEFAULT_BLOCK_PIXELS
):
    """The :class:`.crosstab.PairTable` of two class rasters (:class:`Source`), as :func:`.crosstab.tabulate` counts it."""
    total = _MergedPairCounter(row_areas_m2, *nodatas)
    windows = strip_windows([start, end], grid, block_pixels)
    areas = raster_io.as_pixel_areas(row_areas_m2, grid.xsize)  # the workers weigh as the local loop does
    run_strips(client, pair_strip, windows, (start, end, tuple(nodatas), grid, areas), total.merge, monitor, "pairs")
    return total.result()


def change_strip(start, end, nodatas, xsize, factor, nodata_out, dtype, yoff, nrows):
    """(yoff, change codes) of one strip (runs on a worker)."""
    a, b = read_strip([start, end], xsize, yoff, nrows)
    valid = raster_io.valid_mask(a, nodatas[0]) & raster_io.valid_mask(b, nodatas[1])
    return yoff, crosstab.change_codes(a, b, valid, factor, nodata_out, dtype)


def write_change_codes(
    client,
    start,
    end,
    nodatas,
    grid,
    factor,
    nodata_out,
    dtype,
    writer,
    monitor=None,
    block_pixels=raster_io.DEFAULT_BLOCK_PIXELS,
):
    """The change raster of two class rasters into ``writer``, strip by strip.

    ``factor`` is a :class:`.crosstab.ChangeCoding` (or an int: from × factor + to), as for
    :func:`.crosstab.change_codes`.
    """
    windows = strip_windows([start, end], grid, block_pixels)
    run_strips(
        client,
        change_strip,
        windows,
        (start, end, tuple(nodatas), grid.xsize, factor, nodata_out, dtype),
        lambda result: writer.write(*result),
        monitor,
        "change",
    )


# ------------------------------------------------------------------ disturbance per polygon


def disturbance_strip(index, classes, nodatas, grid, polygons, mine_codes, green_codes, areas, yoff, nrows):
    """The DisturbanceCounter of one strip of the polygon index raster and the class rasters (runs on a worker)."""
    arrays = read_strip([index] + list(classes), grid.xsize, yoff, nrows)
    counter = disturbance.DisturbanceCounter(polygons, len(classes), mine_codes, green_codes, areas)
    valid = [raster_io.valid_mask(a, nodata) for a, nodata in zip(arrays[1:], nodatas)]
    counter.add(yoff, arrays[0], arrays[1:], valid)
    return counter.series


def tabulate_disturbance(
    client,
    index,
    classes,
    nodatas,
    grid,
    polygons,
    mine_codes,
    green_codes,
    row_areas_m2,
    monitor=None,
    block_pixels=raster_io.DEFAULT_BLOCK_PIXELS,
):
    """DEV/REC/BSP areas per polygon (:class:`.disturbance.PolygonSeries`) as mineland:disturbance counts them.

    ``index`` is the :class:`Source` of the burnt polygon index raster (0 outside, 1…polygons inside),
    ``classes`` the class rasters in date order. The strip sums are added in strip order, so the
    areas are those of the local loop to the last bit.
    """
    total = disturbance.DisturbanceCounter(polygons, len(classes), mine_codes, green_codes, row_areas_m2).series
    fields = list(total.__dataclass_fields__)

    def consume(part):
        for field in fields:
            np.add(getattr(total, field), getattr(part, field), out=getattr(total, field))

    windows = strip_windows([index] + list(classes), grid, block_pixels)
    areas = raster_io.as_pixel_areas(row_areas_m2, grid.xsize)  # the workers weigh as the local loop does
    run_strips(
        client,
        disturbance_strip,
        windows,
        (index, list(classes), list(nodatas), grid, polygons, list(mine_codes), list(green_codes), areas),
        consume,
        monitor,
        "disturbance",
    )
    return total


# ------------------------------------------------------------------ whole jobs


def _stack_inputs(paths, label, scaled=False):
    """(sources, nodata values, grid) of rasters on one grid; ``scaled``: continuous values, so each source
    carries its band's scale/offset (:func:`.raster_io.band_scaling`); never for class rasters."""
    sources = sources_of(paths)
    datasets = {s.path: raster_io.open_raster(s.path) for s in sources}
    bands = [datasets[s.path].GetRasterBand(s.band) for s in sources]
    grids = [
        (f"{label} {os.path.basename(s.path)} band {s.band}", raster_io.grid_of(datasets[s.path])) for s in sources
    ]
    if scaled:
        sources = [Source(s.path, s.band, raster_io.band_scaling(b)) for s, b in zip(sources, bands)]
    return sources, [raster_io.band_nodata(b) for b in bands], raster_io.check_same_grid(grids)


@contextlib.contextmanager
def executor(
    scheduler=None,
    timeout: float = DEFAULT_TIMEOUT,
    n_workers: int | None = None,
    memory_limit: str = "auto",
    warn=None,
) -> Iterator[runner.Executor]:
    """The :class:`.runner.Executor` of ``scheduler`` (see the module docstring): a
    :class:`.runner.DaskExecutor` on the cluster :func:`connect` opens, or for None/"" a
    :class:`.runner.LocalExecutor` (this process, all cores), as the Processing algorithms run."""
    with connect(scheduler, timeout, n_workers, memory_limit, warn) as client:
        yield runner.LocalExecutor() if client is None else runner.DaskExecutor(client)


def trend_on_cluster(
    paths,
    years,
    output,
    scheduler=None,
    class_output=None,
    min_valid=8,
    alpha=0.05,
    progress=None,
    is_cancelled=None,
    timeout=DEFAULT_TIMEOUT,
    n_workers=None,
    memory_limit="auto",
):
    """mineland:trend outside QGIS: the trend bands (and the restoration classes) of a stack as GeoTIFFs.

    Parameters
    ----------
    paths : one raster per year, or one multiband raster (one band per year), on one grid
    years : one whole year per time step, increasing
    output, class_output : GeoTIFF paths (class_output optional)
    scheduler : see the module docstring
    progress : callable(fraction) or None
    is_cancelled : callable() -> bool or None; True stops the job (:class:`.raster_io.Cancelled`), no output

    The files are those of mineland:trend (:func:`.jobs.trend`): band names, class names, colour
    table and the .qml styles.

    Returns
    -------
    dict with output, class_output, too_few_pixels
    """
    from . import jobs

    sources, nodatas, grid = _stack_inputs(paths, "input", scaled=True)
    years = trend.check_years(years, len(sources))
    with executor(scheduler, timeout, n_workers, memory_limit) as runs:
        result = jobs.trend(
            sources,
            nodatas,
            grid,
            years,
            output,
            runs,
            class_output=class_output,
            min_valid=min_valid,
            alpha=alpha,
            monitor=raster_io.Monitor(progress, is_cancelled),
        )
    return {"output": result.output, "class_output": result.class_output, "too_few_pixels": result.too_few_pixels}


def mlri_on_cluster(
    lst_paths,
    evi_paths,
    years,
    output,
    scheduler=None,
    celsius=False,
    progress=None,
    is_cancelled=None,
    timeout=DEFAULT_TIMEOUT,
    n_workers=None,
    memory_limit="auto",
):
    """mineland:mlri outside QGIS: the MLRI series (one Float32 band per year) as a GeoTIFF (:func:`.jobs.mlri`).

    Returns dict with output, nodata_pixel_years; ValueError for LST below 150 K (°C given as kelvin).
    """
    from . import jobs

    lst, lst_nodatas, grid = _stack_inputs(lst_paths, "LST", scaled=True)
    evi, evi_nodatas, evi_grid = _stack_inputs(evi_paths, "EVI", scaled=True)
    if len(lst) != len(evi):
        raise ValueError(f"{len(evi)} EVI rasters for {len(lst)} LST rasters; give one of each per year")
    raster_io.check_same_grid([("LST", grid), ("EVI", evi_grid)])
    years = [int(y) for y in trend.check_years(years, len(lst))]
    with executor(scheduler, timeout, n_workers, memory_limit) as runs:
        result = jobs.mlri(
            lst,
            lst_nodatas,
            evi,
            evi_nodatas,
            grid,
            years,
            output,
            runs,
            lst_offset=273.15 if celsius else 0.0,
            monitor=raster_io.Monitor(progress, is_cancelled),
        )
    return {"output": result.output, "nodata_pixel_years": result.nodata_pixel_years}


def transfer_matrix_on_cluster(
    start,
    end,
    scheduler=None,
    change_output=None,
    table_output=None,
    progress=None,
    is_cancelled=None,
    timeout=DEFAULT_TIMEOUT,
    n_workers=None,
    memory_limit="auto",
    matrix_output=None,
    names=CODE_LABELS,
):
    """mineland:transfermatrix outside QGIS: the PairTable of two class rasters, optionally written out.

    ``table_output`` (CSV) gets from_class, to_class, pixels, area_m2; ``matrix_output`` the km² matrix
    with totals, gains, losses and net change (mineland:transfermatrix's OUTPUT_MATRIX); ``change_output``
    the change raster (one code per class pair, :class:`.crosstab.ChangeCoding`, named in its attribute
    table, with its .qml legend, as OUTPUT_CHANGE). ``names``: {code: name} of the classes in those labels;
    by default the codes themselves ("3 → 7"); None: the rasters' attribute tables, "class 3" where they
    name none, as mineland:transfermatrix (and the command line) labels them.
    Returns the :class:`.crosstab.PairTable`; ValueError when no pixel has data at both dates.
    """
    from . import jobs

    (start_source,), (start_nodata,), grid = _stack_inputs([start], "start")
    (end_source,), (end_nodata,), end_grid = _stack_inputs([end], "end")
    raster_io.check_same_grid([("start", grid), ("end", end_grid)])
    for source in (start_source, end_source):
        dataset = raster_io.open_raster(source.path)  # kept while its band is used (GDAL ≥ 3.10 bindings)
        band = dataset.GetRasterBand(source.band)
        if not raster_io.is_integer_band(band):
            raise ValueError(f"{source.path} is of type {raster_io.type_name(band)}; class rasters must be integer")
    with executor(scheduler, timeout, n_workers, memory_limit) as runs:
        table = jobs.transfer_matrix(
            start_source,
            end_source,
            (start_nodata, end_nodata),
            grid,
            raster_io.pixel_areas_m2(grid),
            runs,
            names=names,
            change_output=change_output,
            matrix_output=matrix_output,
            monitor=raster_io.Monitor(progress, is_cancelled),
            change_monitor=raster_io.Monitor(None, is_cancelled),
        ).table
    if table_output:
        with open(table_output, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["from_class", "to_class", "pixels", "area_m2"])
            for row in zip(table.from_class, table.to_class, table.pixels, table.area_m2):
                out.writerow([int(row[0]), int(row[1]), int(row[2]), repr(float(row[3]))])
    return table


#: The presets of the command line's reclassify (--preset) → their index in reclass.PRESETS (the toolbox's PRESET).
RECLASS_PRESETS = {"custom": 0, "glc_fcs30": 1, "glc_fcs30d": 2}


def reclassify_rules(preset="glc_fcs30", table=None):
    """(rules, class names) as mineland:reclassify puts them together: the rows of the CSV ``table`` (columns
    min, max, value or code, value; optional name) before the preset's; ValueError when there is no rule."""
    _, preset_rules, preset_names = reclass.PRESETS[RECLASS_PRESETS[preset]]
    rules, names = [], dict(preset_names)
    if table:
        table_rules, table_names = reclass.rules_from_csv_text(read_text(table))
        rules += table_rules
        names.update(table_names)
    rules += preset_rules
    if not rules:
        raise ValueError("the custom preset needs a --table of rules (min, max, value)")
    return rules, names


def reclassify_on_cluster(
    path,
    output,
    scheduler=None,
    preset="glc_fcs30",
    table=None,
    band=1,
    keep_unmatched=False,
    progress=None,
    is_cancelled=None,
    timeout=DEFAULT_TIMEOUT,
    n_workers=None,
    memory_limit="auto",
):
    """mineland:reclassify outside QGIS: band ``band`` of ``path`` reclassified by the CSV ``table``'s rows and
    then the ``preset``'s (a key of RECLASS_PRESETS), written as the toolbox writes it (:func:`.jobs.reclassify`):
    class names in the attribute table, colour table, .qml legend.

    Returns dict with output, unmatched_pixels, unmatched_codes (the smallest 50, comma separated).
    """
    from . import jobs

    rules, names = reclassify_rules(preset, table)
    dataset = raster_io.open_raster(str(path))  # kept while its band is used
    if not 1 <= band <= dataset.RasterCount:
        raise ValueError(f"band {band} does not exist; {path} has {dataset.RasterCount} band(s)")
    nodata = raster_io.band_nodata(dataset.GetRasterBand(band))
    with executor(scheduler, timeout, n_workers, memory_limit) as runs:
        result = jobs.reclassify(
            Source(str(path), band),
            nodata,
            raster_io.grid_of(dataset),
            rules,
            output,
            runs,
            names=names,
            keep_unmatched=keep_unmatched,
            colour_scheme=jobs.RECLASS_PRESET_COLOURS.get(RECLASS_PRESETS[preset]),
            monitor=raster_io.Monitor(progress, is_cancelled),
        )
    return {
        "output": result.output,
        "unmatched_pixels": result.unmatched_pixels,
        "unmatched_codes": ", ".join(f"{c:g}" for c in result.unmatched_codes),
    }


# ------------------------------------------------------------------ command line


def _years(text):
    try:
        return parse_list(text, int, f"years must be whole numbers separated by commas, got '{text}'")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m mineland.core.engine.scaleout",
        description="MineLand's trend, MLRI, transfer matrix and reclassification on a Dask cluster.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--scheduler",
        default="",
        help="tcp://host:8786, local, local:N (a LocalCluster of N processes), or empty: in process",
    )
    common.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for the scheduler and a worker"
    )
    common.add_argument("--memory-limit", default="auto", help="memory per worker of a local cluster, e.g. 1GiB")
    common.add_argument("--quiet", action="store_true", help="no progress on stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    trend_cmd = commands.add_parser("trend", parents=[common], help="Mann-Kendall, Sen's slope, Hurst, classes")
    trend_cmd.add_argument("inputs", nargs="+", help="one raster per year, or one multiband raster")
    trend_cmd.add_argument("--years", type=_years, required=True)
    trend_cmd.add_argument("--output", required=True)
    trend_cmd.add_argument("--classes", help="restoration class raster (optional)")
    trend_cmd.add_argument("--min-valid", type=int, default=8)
    trend_cmd.add_argument("--alpha", type=float, default=0.05)
    mlri_cmd = commands.add_parser("mlri", parents=[common], help="Mine Landscape Restoration Index series")
    mlri_cmd.add_argument("--lst", nargs="+", required=True)
    mlri_cmd.add_argument("--evi", nargs="+", required=True)
    mlri_cmd.add_argument("--years", type=_years, required=True)
    mlri_cmd.add_argument("--output", required=True)
    mlri_cmd.add_argument("--celsius", action="store_true", help="LST in °C (default kelvin)")
    matrix_cmd = commands.add_parser("transfermatrix", parents=[common], help="transfer matrix of two class rasters")
    matrix_cmd.add_argument("start")
    matrix_cmd.add_argument("end")
    matrix_cmd.add_argument("--table", help="CSV of from_class, to_class, pixels, area_m2")
    matrix_cmd.add_argument(
        "--change", help="change raster (from × 100 + to; the pairs numbered when codes are negative or large)"
    )
    matrix_cmd.add_argument("--matrix", help="CSV of the km² matrix with totals, gains, losses and net change")
    reclass_cmd = commands.add_parser("reclassify", parents=[common], help="land-cover codes to analysis classes")
    reclass_cmd.add_argument("input", help="integer land-cover raster, e.g. GLC_FCS30")
    reclass_cmd.add_argument("--output", required=True)
    reclass_cmd.add_argument("--band", type=int, default=1)
    reclass_cmd.add_argument(
        "--preset",
        choices=sorted(RECLASS_PRESETS),
        default="glc_fcs30",
        help="glc_fcs30: 7 classes (Huang 2024), glc_fcs30d: 4 classes (Xu et al. 2025), custom: --table only",
    )
    reclass_cmd.add_argument(
        "--table", help="CSV of min, max, value (or code, value) and optional name; its rows before the preset's"
    )
    reclass_cmd.add_argument(
        "--keep-unmatched", action="store_true", help="codes no rule matches keep their value (default: nodata)"
    )
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    started = time.perf_counter()

    def progress(fraction):
        if not args.quiet:
            print(f"\r{100 * fraction:5.1f} %", end="", file=sys.stderr, flush=True)

    options = dict(scheduler=args.scheduler, progress=progress, timeout=args.timeout, memory_limit=args.memory_limit)
    try:
        if args.command == "trend":
            result = trend_on_cluster(
                args.inputs,
                args.years,
                args.output,
                class_output=args.classes,
                min_valid=args.min_valid,
                alpha=args.alpha,
                **options,
            )
        elif args.command == "mlri":
            result = mlri_on_cluster(args.lst, args.evi, args.years, args.output, celsius=args.celsius, **options)
        elif args.command == "reclassify":
            result = reclassify_on_cluster(
                args.input,
                args.output,
                preset=args.preset,
                table=args.table,
                band=args.band,
                keep_unmatched=args.keep_unmatched,
                **options,
            )
        else:
            table = transfer_matrix_on_cluster(
                args.start,
                args.end,
                change_output=args.change,
                table_output=args.table,
                matrix_output=args.matrix,
                names=None,
                **options,
            )  # the toolbox's labels
            result = {
                "pairs": int(table.pixels.size),
                "total_km2": table.total_area_m2 / 1e6,
                "changed_km2": table.changed_area_m2 / 1e6,
                "nodata_pixels": table.nodata_pixels,
            }
    except (ScaleoutError, ValueError) as err:
        print(f"\nerror: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 (a command line: any failure is a message, never a traceback)
        print(f"\nerror: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(file=sys.stderr)
    for key, value in result.items():
        print(f"{key}: {value}")
    print(f"seconds: {time.perf_counter() - started:.2f}")
    return 0


if __name__ == "__main__":
    # run main() of the module imported under its package name, so tasks pickle as mineland.core.engine.scaleout.*
    from mineland.core.engine.scaleout import main as _main

    sys.exit(_main())
