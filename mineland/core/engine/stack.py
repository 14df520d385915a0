"""Time-series stacks: the pieces of a block that the engine's strip tasks share.

A block is a strip of rows of all time steps at once, as a (pixels, time) array
(:func:`stack_block`), so peak memory is set by the block size
(:func:`stack_block_pixels`, :data:`STACK_BUDGET_BYTES`); within a block the
kernels run on chunks of a few thousand pixels (:func:`chunk_pixels`), which
keeps their pair arrays in cache, on all cores (numpy releases the GIL in the
heavy calls), each thread with its own pair buffers (:func:`thread_buffers`).
:func:`joined_statistics` and :func:`trend_band_stack` turn the chunks' results
into the trend raster's bands, :func:`float_band` a result into a float32 band.

The loop over blocks is not here: the trend and MLRI rasters are written by
:mod:`.jobs` (``jobs.trend``, ``jobs.mlri``; :func:`.scaleout.write_trend_rasters`,
:func:`.scaleout.write_mlri_raster` below them) on an executor of :mod:`.runner`,
whose LocalExecutor keeps this module's block budget: two blocks of half of it in memory.
"""

import os
import threading

import numpy as np

from ..io import raster_io
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
