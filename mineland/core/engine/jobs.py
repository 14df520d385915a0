"""Whole jobs of the engine: the trend, MLRI, transfer matrix and disturbance areas, on any executor.

Each job takes the inputs (:class:`.scaleout.Source` of the rasters, their nodata values and grid),
its options and an :class:`.runner.Executor` (:class:`.runner.LocalExecutor` in this process,
:class:`.runner.DaskExecutor` on a cluster), writes its outputs with their names, colour tables and
QGIS styles, and returns a small named result. The Processing algorithms (mineland:trend, mlri,
transfermatrix, disturbance) and the command line (``python -m mineland.core.engine.scaleout``)
call these same functions, so both write the same files for the same inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..io import raster_io
from ..landcover import crosstab, reclass, transitions
from ..mines import disturbance
from ..render import styles
from ..timeseries import trend as trend_kernel
from . import scaleout, stack
from .runner import Executor, LocalExecutor
from .scaleout import Source

#: The band name of the restoration class raster.
RESTORATION_BAND_NAME = "restoration class"


class NoPixelAtBothDates(ValueError):
    """No pixel has data at both dates of a transfer matrix."""


class NoRoomForNodata(ValueError):
    """The class values of a reclassification leave no integer value free for nodata."""


@dataclass(frozen=True)
class TrendResult:
    output: str
    class_output: str | None
    too_few_pixels: int


@dataclass(frozen=True)
class MlriResult:
    output: str
    nodata_pixel_years: int


@dataclass(frozen=True)
class ReclassifyResult:
    output: str
    unmatched_pixels: int
    #: The smallest (at most UNMATCHED_CODES_SHOWN) input codes no rule matched, increasing.
    unmatched_codes: tuple


@dataclass(frozen=True)
class TransferMatrixResult:
    table: crosstab.PairTable
    coding: crosstab.ChangeCoding
    change_output: str | None
    matrix_output: str | None


def trend(
    sources: Sequence[Source],
    nodatas: Sequence,
    grid: raster_io.Grid,
    years: Sequence[int],
    output: str,
    executor: Executor,
    *,
    class_output: str | None = None,
    min_valid: int = 8,
    alpha: float = 0.05,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int | None = None,
) -> TrendResult:
    """mineland:trend: the trend bands (Float32, one per TREND_BANDS, named) and optionally the restoration
    classes (Byte, names, colour table, .qml), both styled; the sources read in physical units (their scaling)."""
    with contextlib.ExitStack() as outputs:
        writer = outputs.enter_context(
            raster_io.BlockWriter(
                output, grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(trend_kernel.TREND_BANDS)
            )
        )
        writer.set_band_names(trend_kernel.TREND_BANDS)
        classes = (
            outputs.enter_context(raster_io.BlockWriter(class_output, grid, raster_io.BYTE, 0))
            if class_output
            else None
        )
        if classes:  # before the pixels: GTiff refuses a colour table once tiles have been flushed
            raster_io.write_class_names(classes.band(), trend_kernel.RESTORATION_NAMES)
            classes.set_band_names([RESTORATION_BAND_NAME])
            raster_io.write_colour_table(classes.band(), styles.RESTORATION_COLOURS)
        too_few = scaleout.write_trend_rasters(
            executor, sources, nodatas, grid, years, min_valid, writer, classes, alpha, monitor, block_pixels
        )
    styles.style_continuous(output, "diverging")  # band 1, Sen's slope: decrease red, increase green
    if class_output:
        styles.write_qml(
            class_output,
            {code: (styles.RESTORATION_COLOURS[code], name) for code, name in trend_kernel.RESTORATION_NAMES.items()},
        )
    return TrendResult(str(output), str(class_output) if class_output else None, too_few)


def mlri(
    lst_sources: Sequence[Source],
    lst_nodatas: Sequence,
    evi_sources: Sequence[Source],
    evi_nodatas: Sequence,
    grid: raster_io.Grid,
    years: Sequence[int],
    output: str,
    executor: Executor,
    *,
    lst_offset: float = 0.0,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int | None = None,
) -> MlriResult:
    """mineland:mlri: the MLRI series, one Float32 band per year named by it, styled.

    ``lst_offset`` is added to LST after its scale/offset (273.15 for °C). ValueError for LST below 150 K.
    """
    with raster_io.BlockWriter(output, grid, raster_io.FLOAT32, stack.FLOAT_NODATA, bands=len(years)) as writer:
        writer.set_band_names(years)
        missing = scaleout.write_mlri_raster(
            executor,
            lst_sources,
            lst_nodatas,
            evi_sources,
            evi_nodatas,
            grid,
            lst_offset,
            writer,
            monitor,
            block_pixels,
        )
    styles.style_continuous(output, "viridis")
    return MlriResult(str(output), missing)


def class_names(sources: Sequence[Source]) -> dict[int, str]:
    """Class names from the rasters' attribute tables (earlier sources win)."""
    names: dict[int, str] = {}
    for source in reversed(list(sources)):
        dataset = raster_io.open_raster(source.path)  # kept while its band is used
        names.update(raster_io.read_class_names(dataset.GetRasterBand(source.band)))
    return names


def transfer_matrix(
    start: Source,
    end: Source,
    nodatas: Sequence,
    grid: raster_io.Grid,
    row_areas_m2,
    executor: Executor,
    *,
    names: Mapping[int, str] | None = None,
    change_output: str | None = None,
    matrix_output: str | None = None,
    monitor: raster_io.Monitor | None = None,
    change_monitor: raster_io.Monitor | None = None,
    block_pixels: int = raster_io.DEFAULT_BLOCK_PIXELS,
) -> TransferMatrixResult:
    """mineland:transfermatrix: the PairTable of two class rasters, the km² matrix CSV with gains and losses
    (``matrix_output``) and the change raster (``change_output``: one code per pair, named in its attribute
    table, with its legend as a .qml).

    ``names``: class names (default: from the rasters' attribute tables). Raises :class:`NoPixelAtBothDates`
    before writing anything when no pixel has data at both dates.
    """
    names = class_names([start, end]) if names is None else names
    table = scaleout.tabulate_pair(executor, start, end, tuple(nodatas), grid, row_areas_m2, monitor, block_pixels)
    if table.pixels.size == 0:
        raise NoPixelAtBothDates("no pixel has data at both dates (all nodata, or nodata never overlaps data)")
    coding = crosstab.change_coding(table.from_class, table.to_class)
    if matrix_output:
        transitions.write_matrix_csv(matrix_output, table, names)
    if change_output:
        write_change_raster(
            change_output, start, end, nodatas, grid, table, names, coding, executor, change_monitor, block_pixels
        )
    return TransferMatrixResult(
        table, coding, str(change_output) if change_output else None, str(matrix_output) if matrix_output else None
    )


def write_change_raster(
    path: str,
    start: Source,
    end: Source,
    nodatas: Sequence,
    grid: raster_io.Grid,
    table: crosstab.PairTable,
    names: Mapping[int, str],
    coding: crosstab.ChangeCoding,
    executor: Executor,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int = raster_io.DEFAULT_BLOCK_PIXELS,
) -> None:
    """Second pass: one code per from→to pair, nodata where either date is nodata; every pair named in the
    attribute table and the legend (.qml)."""
    gdal_type, dtype, nodata = raster_io.integer_type_with_nodata(coding.codes)
    with raster_io.BlockWriter(path, grid, gdal_type, nodata) as writer:
        raster_io.write_class_names(writer.band(), transitions.change_names(coding, names))
        writer.set_band_names([transitions.CHANGE_BAND_NAME])  # the legend's title in QGIS
        raster_io.mark_as_classes(writer.band())
        scaleout.write_change_codes(
            executor, start, end, tuple(nodatas), grid, coding, nodata, dtype, writer, monitor, block_pixels
        )
    styles.write_qml(path, transitions.change_legend(table, names, coding))


def disturbance_areas(
    index: Source,
    classes: Sequence[Source],
    nodatas: Sequence,
    grid: raster_io.Grid,
    polygons: int,
    mine_codes: Sequence[int],
    green_codes: Sequence[int],
    row_areas_m2,
    executor: Executor,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int = raster_io.DEFAULT_BLOCK_PIXELS,
) -> disturbance.PolygonSeries:
    """mineland:disturbance's DEV/REC/BSP areas per polygon from the burnt polygon index raster (0 outside,
    1…polygons inside) and the class rasters in date order."""
    return scaleout.tabulate_disturbance(
        executor, index, classes, nodatas, grid, polygons, mine_codes, green_codes, row_areas_m2, monitor, block_pixels
    )


# ------------------------------------------------------------------ reclassify

#: The band name of the reclassified raster (the legend's title in QGIS, not "Band 1").
RECLASS_BAND_NAME = "land-cover class"

#: Legend colours of the presets' classes (reclass.PRESETS index → {class: colour}).
RECLASS_PRESET_COLOURS = {1: styles.SEED000_COLOURS, 2: styles.SEED001_COLOURS}

#: How many of the unmatched codes a reclassification reports.
UNMATCHED_CODES_SHOWN = 50


def reclass_strip(source, nodata, xsize, rules, nodata_out, out_dtype, keep_unmatched, yoff, nrows):
    """(yoff, classes, unmatched pixels, smallest unmatched codes) of one strip (runs on a worker).

    The smallest codes of every strip are enough: the smallest codes overall are among them."""
    (values,) = scaleout.read_strip([source], xsize, yoff, nrows)
    valid = raster_io.valid_mask(values, nodata)
    out = reclass.reclassify(values, rules, valid, nodata_out, out_dtype, keep_unmatched)
    if keep_unmatched:
        return yoff, out, 0, []
    missed = valid & (out == nodata_out)
    count = int(np.count_nonzero(missed))
    codes = np.unique(values[missed]).tolist()[:UNMATCHED_CODES_SHOWN] if count else []
    return yoff, out, count, codes


def reclassify(
    source: Source,
    nodata,
    grid: raster_io.Grid,
    rules: Sequence[reclass.Rule],
    output: str,
    executor: Executor | None = None,
    *,
    names: Mapping[int, str] | None = None,
    keep_unmatched: bool = False,
    colour_scheme: Mapping[int, str] | None = None,
    monitor: raster_io.Monitor | None = None,
    block_pixels: int = raster_io.DEFAULT_BLOCK_PIXELS,
) -> ReclassifyResult:
    """mineland:reclassify: the class raster of ``rules`` (:mod:`.reclass`, first match wins) applied to the
    codes of ``source`` (read as stored), in the smallest integer type with a free nodata value; the classes
    named in its attribute table (``names``, "class N" where they name none) and, unless unmatched codes are
    kept, coloured (``colour_scheme`` first, e.g. RECLASS_PRESET_COLOURS[preset], then the fallback palette)
    in its colour table (Byte/UInt16) and its .qml legend.

    ``executor``: a :class:`.runner.LocalExecutor` by default. Raises ValueError when unmatched codes are to be
    kept of a non-integer raster, :class:`NoRoomForNodata` when the classes fill the integer range; both
    before anything is written.
    """
    executor = executor or LocalExecutor()
    names = names or {}
    dataset = raster_io.open_raster(source.path)  # kept while its band is used
    band = dataset.GetRasterBand(source.band)
    if keep_unmatched and not raster_io.is_integer_band(band):
        raise ValueError(
            f"keeping unmatched values needs an integer raster; {source.path} is of type {raster_io.type_name(band)}"
        )
    try:
        gdal_type, out_dtype, nodata_out = raster_io.integer_type_with_nodata(
            reclass.output_class_values(rules, keep_unmatched, raster_io.numpy_dtype(band))
        )
    except ValueError as err:
        raise NoRoomForNodata(str(err)) from None
    classes = {v: names.get(v, f"class {v}") for v in reclass.output_values(rules)}
    colours = styles.class_colours(classes, colour_scheme)
    legend = not keep_unmatched  # kept unmatched codes would be invisible in a paletted style
    unmatched = {"pixels": 0, "codes": set()}
    with raster_io.BlockWriter(output, grid, gdal_type, nodata_out) as writer:
        # before the pixels: GTiff refuses a colour table once tiles have been flushed
        raster_io.write_class_names(writer.band(), classes)
        writer.set_band_names([RECLASS_BAND_NAME])
        if legend and gdal_type in (raster_io.BYTE, raster_io.UINT16):
            raster_io.write_colour_table(writer.band(), colours)

        def consume(strip):
            yoff, out, count, codes = strip
            writer.write(yoff, out)
            unmatched["pixels"] += count
            unmatched["codes"].update(codes)

        executor.run(
            reclass_strip,
            scaleout.strip_windows([source], grid, block_pixels),
            (source, nodata, grid.xsize, list(rules), nodata_out, out_dtype, keep_unmatched),
            consume,
            monitor,
            "reclassify",
        )
    if legend:
        styles.write_qml(output, {v: (colours[v], f"{v} {name}") for v, name in classes.items()})
    codes = tuple(sorted(unmatched["codes"])[:UNMATCHED_CODES_SHOWN])
    return ReclassifyResult(str(output), unmatched["pixels"], codes)
