"""Time-series stacks: blocks of every time step as (pixels, time) arrays, kernels
run over pixel chunks in a thread pool, and the trend and MLRI rasters.

A block is a strip of rows of all time steps at once, so peak memory is set by
the block size; within a block the kernels run on chunks of a few thousand
pixels, which keeps their pair arrays in cache, on all cores (numpy releases
the GIL in the heavy calls).

The Processing algorithms and the command line run the same kernels through
:mod:`.jobs` on an executor of :mod:`.runner` (its LocalExecutor keeps this
module's block budget: two blocks of half of it in memory); the
``write_*`` functions here take open GDAL bands instead of paths, for callers
that hold bands (in-memory datasets among them).
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..io import raster_io
from ..timeseries import mlri as mlri_kernel
from ..timeseries import trend

#: Float32 nodata of continuous outputs: the lowest float32, as ArcGIS and GDAL tools use.
FLOAT_NODATA = float(np.finfo(np.float32).min)

#: Pixels per kernel call, at least and at most (see :func:`chunk_pixels`).
MIN_CHUNK_PIXELS = 512
MAX_CHUNK_PIXELS = 8192
#: Target size of one pair array (n(n−1)/2 float32 keys per pixel) in a kernel call.
PAIR_ARRAY_BYTES = 24 << 20


def chunk_pixels(steps):
    """Pixels per kernel call for a series of ``steps`` values: about PAIR_ARRAY_BYTES per pair array.

    Larger calls spend less in numpy's per-call overhead (the kernels make several hundred calls per
    chunk, holding the GIL); smaller ones bound the threads' buffers at long series (two float32
    pair arrays per thread; n ≤ 39: 8,192 px, at n = 38 12 % faster than 4,474 and 25 % faster than
    2,237 here; up to n ≈ 157 each array stays near 24 MB, longer series take 512 px per call).
    """
    pairs = max(1, steps * (steps - 1) // 2)
    return int(min(MAX_CHUNK_PIXELS, max(MIN_CHUNK_PIXELS, PAIR_ARRAY_BYTES // (4 * pairs))))


#: Each pool thread's trend.KernelBuffers, freed when the thread ends with its pool.
_THREAD_BUFFERS = threading.local()


def thread_buffers():
    """This pool thread's trend.KernelBuffers, made on its first chunk and reused from chunk to chunk."""
    if not hasattr(_THREAD_BUFFERS, "buffers"):
        _THREAD_BUFFERS.buffers = trend.KernelBuffers()
    return _THREAD_BUFFERS.buffers


def trend_chunks(pool, values, years, min_valid):
    """Futures of :func:`trend.trend_statistics` over chunks of :func:`chunk_pixels` rows of ``values``.

    Each pool thread reuses its own pair buffers from chunk to chunk.
    """

    def kernel(chunk):
        return trend.trend_statistics(chunk, years, min_valid, thread_buffers())

    step = chunk_pixels(values.shape[1])
    return [pool.submit(kernel, values[start : start + step]) for start in range(0, values.shape[0], step)]


def joined_statistics(parts):
    """The :class:`trend.Trend` results of successive chunks joined: {band name: array over all their pixels}."""
    return {name: np.concatenate([getattr(part, name) for part in parts]) for name in trend.TREND_BANDS}


def trend_band_stack(stats, shape):
    """The trend raster's bands, (len(TREND_BANDS), *shape) float32: NaN as FLOAT_NODATA, n_valid (never nodata) as is."""
    bands = np.empty((len(trend.TREND_BANDS),) + tuple(shape), dtype=np.float32)
    for index, name in enumerate(trend.TREND_BANDS):
        if name == "n_valid":
            bands[index] = stats[name].reshape(shape)
        else:
            bands[index] = float_band(stats[name], shape)
    return bands


def stack_block(arrays, nodatas, scalings=None):
    """(pixels, time) float64 of one block, NaN where a time step is nodata or not finite.

    ``scalings`` (one :class:`.raster_io.Scaling` or None per step, default all None) turns each
    step into physical units, raw × scale + offset, after nodata was tested on the raw value;
    a step without one costs no extra pass.

    Built time-major (each step a contiguous row) and transposed in one copy:
    writing each step straight into its strided column was 2–3× slower.
    """
    by_time = np.empty((len(arrays), arrays[0].size))
    for step, (values, nodata) in enumerate(zip(arrays, nodatas)):
        flat = values.ravel()
        row = by_time[step]
        row[:] = flat
        scaling = scalings[step] if scalings is not None else None
        if scaling is not None:  # in place on the float64 row; NaN set below stays NaN
            row *= scaling.scale
            row += scaling.offset
        row[~raster_io.valid_mask(flat, nodata)] = np.nan
    return np.ascontiguousarray(by_time.T)


def worker_count():
    return max(1, os.cpu_count() or 1)


def float_band(values, shape):
    """A float32 band of ``shape`` with NaN replaced by FLOAT_NODATA."""
    out = np.asarray(values, dtype=np.float32).reshape(shape)
    out[np.isnan(out)] = FLOAT_NODATA
    return out


#: Memory for one block of a stack: the rasters as read, the float64 stack and the outputs.
STACK_BUDGET_BYTES = 128 << 20


def stack_block_pixels(steps, budget_bytes=STACK_BUDGET_BYTES):
    """Pixels per block so that a block's inputs (≤ 4 bytes), its float64 stack and outputs fit the budget.

    The kernels' own temporaries are per chunk of :func:`chunk_pixels` per thread, on top.
    """
    per_pixel = 4 * steps + 8 * steps + 8 * len(trend.TREND_BANDS) + 16
    return max(MIN_CHUNK_PIXELS, budget_bytes // per_pixel)


def write_trend_rasters(
    bands,
    nodatas,
    grid,
    years,
    min_valid,
    writer,
    class_writer=None,
    alpha=0.05,
    monitor=None,
    block_pixels=None,
    workers=None,
    scalings=None,
):
    """Trend statistics of a stack, block by block, into ``writer`` (one band per TREND_BANDS).

    ``scalings``: one :class:`.raster_io.Scaling` or None per band (see :func:`stack_block`), so
    the statistics are in physical units (Sen's slope: units per year).

    ``class_writer`` (optional) receives the seed 004 restoration classes.
    Reading and writing overlap the computation: block k+1 is read and block
    k−1 written while the pool computes block k, so two blocks are in memory
    (each half the stack budget). Returns the number of pixels with too few
    valid values (written as nodata).
    """
    years = trend.check_years(years, len(bands))
    block_pixels = block_pixels or stack_block_pixels(len(bands), STACK_BUDGET_BYTES // 2)
    too_few = 0

    def finish(yoff, nrows, futures):
        stats = joined_statistics([f.result() for f in futures])
        shape = (nrows, grid.xsize)
        for index, band in enumerate(trend_band_stack(stats, shape), start=1):
            writer.write(yoff, band, index)
        if class_writer is not None:
            classes = trend.restoration_classes(stats["z"], stats["sen_slope"], stats["hurst"], alpha)
            class_writer.write(yoff, classes.reshape(shape))
        return int(np.count_nonzero(stats["n_valid"] < min_valid))

    pending = None
    with ThreadPoolExecutor(workers or worker_count()) as pool:
        for yoff, nrows, arrays in raster_io.iter_blocks(bands, grid, monitor, block_pixels):
            futures = trend_chunks(pool, stack_block(arrays, nodatas, scalings), years, min_valid)
            if pending is not None:
                too_few += finish(*pending)
            pending = (yoff, nrows, futures)
        if pending is not None:
            too_few += finish(*pending)
    return too_few


def write_mlri_raster(
    lst_bands,
    lst_nodatas,
    evi_bands,
    evi_nodatas,
    grid,
    lst_offset,
    writer,
    monitor=None,
    block_pixels=None,
    lst_scalings=None,
    evi_scalings=None,
):
    """MLRI of every year, block by block, into ``writer`` (one band per year).

    ``lst_offset`` is added to LST (273.15 for °C input), after the bands' own
    scale/offset (``lst_scalings``, ``evi_scalings``: see :func:`stack_block`).
    Returns the number of pixel-years left nodata (missing LST or EVI, or EVI ≤ 0).
    """
    steps = len(lst_bands)
    block_pixels = block_pixels or stack_block_pixels(3 * steps)
    missing = 0
    for yoff, nrows, arrays in raster_io.iter_blocks(list(lst_bands) + list(evi_bands), grid, monitor, block_pixels):
        lst = stack_block(arrays[:steps], lst_nodatas, lst_scalings) + lst_offset
        evi = stack_block(arrays[steps:], evi_nodatas, evi_scalings)
        index = mlri_kernel.mlri(lst, evi)
        missing += int(np.isnan(index).sum())
        for step in range(steps):
            writer.write(yoff, float_band(index[:, step], (nrows, grid.xsize)), step + 1)
    return missing
