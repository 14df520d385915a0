"""Raster inputs opened with GDAL: single rasters, class rasters, stacks of dates and their years, grids and areas."""

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
)

from ..core.io import raster_io
from ..core.io.tables import parse_list
from ..core.landcover import dynamics
from .checks import fail, info, is_null, parameter_errors, warn


class RasterInput:
    """A raster parameter opened with GDAL: path, dataset, band, nodata, grid.

    ``scaling`` is None (values used as stored: class codes) until :func:`physical_units` marks the
    input as continuous; then it is the band's GDAL scale/offset (None when it has none).
    """

    def __init__(self, parameter, path, band_number=1, allow_rotated=False):
        self.parameter = parameter
        self.path = path
        try:
            self.dataset = raster_io.open_raster(path)
        except ValueError as err:
            fail(parameter, f"{err}. Give a raster file GDAL can read.")
        if not 1 <= band_number <= self.dataset.RasterCount:
            fail(parameter, f"band {band_number} does not exist; the raster has {self.dataset.RasterCount} band(s)")
        self.band = self.dataset.GetRasterBand(band_number)
        self.nodata = raster_io.band_nodata(self.band)
        self.grid = raster_io.grid_of(self.dataset)
        self.scaling = None
        self.continuous = False  # set by physical_units: values, not class codes
        gt = self.grid.geotransform
        if (gt[2] or gt[4]) and not allow_rotated:
            fail(
                parameter,
                f"{os.path.basename(path)} is rotated or sheared (geotransform row/column rotation "
                f"{gt[2]:g}, {gt[4]:g}); rotated grids are not supported: warp it north-up first, e.g. "
                "gdalwarp -r near (classes) or -r bilinear (values) in.tif out.tif",
            )
        self._probe_read(path)

    def _probe_read(self, path):
        """Read the first and the last pixel: a truncated file fails here, before any output is started."""
        width, height = self.dataset.RasterXSize, self.dataset.RasterYSize
        try:
            for x, y in ((0, 0), (width - 1, height - 1)):
                self.band.ReadRaster(x, y, 1, 1)
        except RuntimeError as err:
            fail(
                self.parameter,
                f"{os.path.basename(path)} cannot be read ({err}); it is damaged or truncated "
                "(an interrupted download or copy?): check it with gdalinfo -checksum, and copy or export it again",
            )

    def require_integer(self):
        if not raster_io.is_integer_band(self.band):
            fail(
                self.parameter,
                f"{os.path.basename(self.path)} is of type "
                f"{raster_io.type_name(self.band)}, but class rasters must be integer; "
                "reclassify it to integer class codes first (mineland:reclassify)",
            )
        return self

    def class_names(self):
        return raster_io.read_class_names(self.band)


def physical_units(inputs, feedback):
    """Mark continuous inputs to be read in physical units; return them.

    Each input's ``scaling`` becomes its band's GDAL scale/offset, which the readers
    (:func:`.raster_io.physical`, :func:`.stack.stack_block`) apply as raw × scale + offset
    after testing nodata on the raw value; the log names every input that has one (once per input).
    Never for class rasters: their codes are used as stored.
    """
    for item in inputs:
        if item.continuous:
            continue
        item.continuous = True
        with parameter_errors(item.parameter):
            item.scaling = raster_io.band_scaling(item.band)
        if item.scaling is not None:
            feedback.pushInfo(
                f"{item.parameter}: band {item.band.GetBand()} of {os.path.basename(item.path)} "
                f"has GDAL scale {item.scaling.scale:.10g} and offset {item.scaling.offset:.10g}; "
                f"its values are read as {item.scaling.describe()} (nodata tested on the raw value)"
            )
    return inputs


def raster_path(algorithm, parameters, name, context, layer=None):
    """File path of a raster parameter; the raster must be a GDAL file."""
    layer = layer or algorithm.parameterAsRasterLayer(parameters, name, context)
    if layer is None:
        fail(name, "no raster layer was given, or it could not be loaded")
    if layer.providerType() != "gdal":
        fail(name, f"layer '{layer.name()}' is not a GDAL raster file; save it as GeoTIFF first")
    path = layer.source().split("|")[0]
    if not os.path.exists(path):
        fail(name, f"the raster file '{path}' does not exist (was it moved or deleted?)")
    return path


def class_raster_inputs(algorithm, parameters, name, context, feedback=None):
    """Several integer class rasters of a multiple-layer parameter, on one grid: one per date, or the bands of
    one multi-band raster (see :func:`raster_stack`)."""
    series = raster_stack(algorithm, parameters, name, context, feedback, first_band_of_many=True, distinct=True)
    if len(series.steps) < 2:
        fail(
            name,
            f"give at least two class rasters (one per date), or one multi-band raster with one band per "
            f"date; got {len(series.steps)} single-band raster",
        )
    return [step.require_integer() for step in series.steps]


def class_raster_band(algorithm, parameters, context, name, band_name, feedback=None):
    """The class raster of parameter ``name`` at the band of parameter ``band_name`` (band 1 when not set).

    A multi-band raster read at band 1 because ``band_name`` was not set gets a
    warning with its band count: a GLC_FCS30D tile holds one year per band.
    """
    path = raster_path(algorithm, parameters, name, context)
    chosen = not is_null(parameters.get(band_name))
    band = algorithm.parameterAsInt(parameters, band_name, context) if chosen else 1
    item = RasterInput(name, path)
    count = item.dataset.RasterCount
    if not 1 <= band <= count:
        fail(
            band_name,
            f"band {band} does not exist; {os.path.basename(path)} has {count} band(s), choose one of 1 to {count}",
        )
    if band != 1:
        item = RasterInput(name, path, band)
    elif count > 1 and not chosen:
        warn(
            feedback,
            f"{name}: {os.path.basename(path)} has {count} bands and was read at band 1 because "
            f"{band_name} was not set; set {band_name} to the band of the date you mean",
        )
    return item.require_integer()


def check_distinct_dates(inputs, what="raster and band"):
    """Refuse one raster and band given for two dates: the change between them would be 0 by construction."""
    seen = {}
    for item in inputs:
        key = (os.path.realpath(item.path), item.band.GetBand())
        if key in seen:
            fail(item.parameter, f"the same {what} as {seen[key]}; choose the later date's raster or band")
        seen[key] = item.parameter


def check_grids(inputs):
    """All inputs on the first one's grid; the message says which differs and how."""
    try:
        return raster_io.check_same_grid([(i.parameter, i.grid) for i in inputs])
    except ValueError as err:
        raise QgsProcessingException(str(err)) from None


def pixel_areas(inputs):
    """Pixel areas (m²) on the ellipsoid of the inputs' grid, a raster_io.PixelAreas (see its ``flat``)."""
    with parameter_errors(inputs[0].parameter):
        return raster_io.pixel_areas_m2(inputs[0].grid)


def merged_class_names(inputs, extra=None):
    """Class names from the inputs' attribute tables (earlier inputs win), then ``extra``."""
    names = dict(extra or {})
    for item in reversed(inputs):
        names.update(item.class_names())
    return names


def class_codes(algorithm, parameters, name, context):
    """Whole class codes of a comma-separated string parameter; at least one."""
    text = algorithm.parameterAsString(parameters, name, context)
    with parameter_errors(name):
        values = parse_list(text, int, f"class codes must be whole numbers separated by commas, got '{text}'")
    if not values:
        fail(name, "give at least one class code")
    return values


def class_label(names, code):
    return names.get(int(code), f"class {int(code)}")


def dated_class_rasters(algorithm, parameters, context, feedback=None):
    """INPUTS (class rasters on one grid: one per date, or one multi-band raster) and YEARS (one per date,
    increasing; read from the band descriptions or file names when YEARS is empty)."""
    inputs = class_raster_inputs(algorithm, parameters, "INPUTS", context, feedback)
    years = stack_years(algorithm, parameters, context, Stack("INPUTS", inputs), feedback=feedback)
    return inputs, years


def add_dated_inputs(algorithm):
    """The INPUTS and YEARS parameters shared by the multi-date algorithms."""
    algorithm.add(
        QgsProcessingParameterMultipleLayers(
            "INPUTS", "Class rasters, one per date (or one multi-band)", QgsProcessing.TypeRaster
        ),
        "Integer class rasters on one grid (same CRS, pixel size, origin and size), in date order; or one "
        "multi-band raster with one band per date (e.g. a GLC_FCS30D tile).",
    )
    algorithm.add(
        QgsProcessingParameterString("YEARS", "Years of the rasters (comma-separated)", optional=True),
        "One whole year per raster (or band), in the same order as INPUTS and increasing, e.g. "
        "1985,2000,2020. Empty: read from the band descriptions or file names when each holds one year.",
    )


class Stack:
    """A time series of rasters: one band per time step, all on one grid."""

    def __init__(self, parameter, steps):
        self.parameter = parameter
        self.steps = steps  # RasterInput per time step (a multiband raster gives one per band)
        self.grid = check_grids(steps)

    @property
    def bands(self):
        return [s.band for s in self.steps]

    @property
    def nodatas(self):
        return [s.nodata for s in self.steps]

    @property
    def scalings(self):
        """Scale/offset per step (None: as stored); set by :func:`physical_units`."""
        return [s.scaling for s in self.steps]

    @property
    def paths(self):
        return sorted({s.path for s in self.steps})


def raster_stack(algorithm, parameters, name, context, feedback=None, first_band_of_many=False, distinct=False):
    """A multiple-layer parameter as a Stack: several single-band rasters, or one multiband raster.

    Several rasters with a multi-band one among them are refused, or, with
    ``first_band_of_many`` (class rasters, which always read band 1 of each),
    read at band 1 with a warning naming the band count. With ``distinct`` the
    same raster given twice is refused (a series of dates; a static raster
    repeated for every date, as integrity's climate inputs may be, is allowed
    without it).
    """
    layers = algorithm.parameterAsLayerList(parameters, name, context)
    if not layers:
        fail(name, "no raster given")
    paths = [raster_path(algorithm, parameters, name, context, layer=layer) for layer in layers]
    if len(paths) == 1:
        count = RasterInput(name, paths[0]).dataset.RasterCount
        steps = [RasterInput(f"{name} (band {b})", paths[0], b) for b in range(1, count + 1)]
    else:
        steps = [RasterInput(f"{name} (raster {i}, {os.path.basename(p)})", p) for i, p in enumerate(paths, start=1)]
        for step in steps:
            count = step.dataset.RasterCount
            if count > 1 and not first_band_of_many:
                fail(
                    step.parameter,
                    f"has {count} bands; give one single-band raster per "
                    "time step, or a single multiband raster with one band per time step",
                )
            if count > 1:
                warn(
                    feedback,
                    f"{step.parameter}: has {count} bands and was read at band 1 (no band can be chosen "
                    "in a list); to use every band, give this raster alone, one band per date",
                )
        if distinct:
            check_distinct_dates(steps, "raster")
    return Stack(name, steps)


def stack_years(algorithm, parameters, context, stack, name="YEARS", feedback=None):
    """YEARS of a stack: one whole year per time step, increasing.

    Left empty, the years are read from the steps' band descriptions, or else
    their file names (:func:`dynamics.years_in_labels`), and the log says so.
    """
    if is_null(parameters.get(name)):
        return inferred_years(stack, name, feedback)
    try:
        return dynamics.parse_years(algorithm.parameterAsString(parameters, name, context), len(stack.steps))
    except ValueError as err:
        fail(name, f"{err} (time steps: {len(stack.steps)})")


def inferred_years(stack, name="YEARS", feedback=None):
    """Years read from the band descriptions, else the file names (when each step is its own file)."""
    steps = stack.steps
    files = list(dict.fromkeys(os.path.basename(s.path) for s in steps))
    sources = [("band descriptions", [s.band.GetDescription() for s in steps])]
    if len({s.path for s in steps}) == len(steps):  # one file per step: its name may hold the year
        sources.append(("file names", [os.path.splitext(os.path.basename(s.path))[0] for s in steps]))
    reasons = []
    for where, labels in sources:
        try:
            years = dynamics.years_in_labels(labels)
        except ValueError as err:
            reasons.append(f"{where}: {err}")
            continue
        shown = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
        info(
            feedback,
            f"{name} left empty: {len(years)} years read from the {where} of {shown}: {', '.join(map(str, years))}",
        )
        return years
    fail(
        name,
        f"left empty, and the years cannot be read from the rasters ({'; '.join(reasons)}); fill {name} "
        f"with one year per time step ({len(steps)}), in order, e.g. 2000,2005,2010",
    )
