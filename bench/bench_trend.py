"""Benchmark: per-pixel trend statistics (mineland:trend) against a pymannkendall loop.

What is measured, for a 20-step and a 38-step stack of 1000 × 1000 float32 pixels
(µs per pixel; all in one run, same machine, same files):

* (a) ours, kernel  core.trend.trend_statistics (Mann-Kendall + Sen's slope +
                    Hurst, everything the trend raster holds) over chunks of
                    core.stack.chunk_pixels pixels in the thread pool core.stack uses
                    (ThreadPoolExecutor(worker_count()) + trend_chunks), on the
                    stack already in memory as float64 (pixels, time). Best of
                    KERNEL_REPEATS.
* (a1) the same kernel on one thread (workers=1), best of SINGLE_REPEATS: the
                    per-core speed, as pymannkendall runs, and less sensitive to other
                    load on the machine than (a).
* (a2) the kernel (a) without Hurst: Mann-Kendall and Sen's slope only, what (c)
                    computes (like for like; not a target row).
* (b) ours, end to end  processing.run("mineland:trend") on the GeoTIFF stack (one
                    single-band file per year, YEARS, MIN_VALID 8, OUTPUT only),
                    QGIS started headless as in tests/conftest.py. Includes
                    layer loading, grid checks, block reads, the kernels and the
                    9-band DEFLATE output. Best of E2E_REPEATS.
* (c) pymannkendall  a Python loop of pymannkendall.original_test (which also
                    computes Sen's slope, but not Hurst) over SAMPLE random pixels
                    of the same stack, NaN left in the series (pymannkendall
                    skips them). Best of 2 over the same sample.

and the ratios (c)/(a), (c)/(a1), (c)/(a2), (c)/(b). (c) does less work per pixel than ours (no Hurst);
(a2) does the same work as (c).

Check: on the sample, ours' (a) S, Z, p and Sen's slope must equal
pymannkendall's (S exactly, Z and slope to 1e-12 relative, p to 1e-9), and the
end-to-end Float32 bands of (b) must equal (a) cast to float32 at every pixel
of the sample; otherwise the script exits non-zero. Years are consecutive
(2001–2020 and 1985–2022) because pymannkendall's Sen's slope uses the index as
time.

The stacks are deterministic (fixed seed): a per-pixel linear trend plus noise,
rounded to 1e-4 (as scaled EVI/MLRI products are, which gives some ties), and
about 3 % missing pixel-years (nodata −9999). They are written to bench/data/
(gitignored) as tiled DEFLATE GeoTIFFs, one per year, and reused when present
with the same size and generator version.

Run: cd /work/main && QT_QPA_PLATFORM=offscreen
PYTHONPATH=. .venv/bin/python bench/bench_trend.py
"""

import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from osgeo import gdal, osr

import benchlib

gdal.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
XSIZE, YSIZE = 1000, 1000
SEED = 20240604
VERSION = "1"  # bump when the generator changes so old files are rebuilt
NODATA = -9999.0
MISSING = 0.03
GEOTRANSFORM = (400000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0)
SERIES = {20: list(range(2001, 2021)), 38: list(range(1985, 2023))}
MIN_VALID = 8
SAMPLE = 2000
KERNEL_REPEATS = 3
SINGLE_REPEATS = 2
E2E_REPEATS = 2


# ---------------------------------------------------------------- test data


def year_path(steps, year):
    return os.path.join(DATA, f"trend{steps}_{year}.tif")


def _is_current(path):
    if not os.path.exists(path):
        return False
    ds = gdal.Open(path)
    return (ds.RasterXSize, ds.RasterYSize) == (XSIZE, YSIZE) and ds.GetMetadataItem("BENCH_VERSION") == VERSION


def ensure_data(steps):
    """Write one float32 GeoTIFF per year unless already there; returns (paths, generated)."""
    years = SERIES[steps]
    paths = [year_path(steps, y) for y in years]
    if all(_is_current(p) for p in paths):
        return paths, False
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng([SEED, steps])
    level = rng.uniform(0.2, 0.6, size=(YSIZE, XSIZE))
    slope = rng.normal(scale=0.004, size=(YSIZE, XSIZE)) * (rng.random((YSIZE, XSIZE)) < 0.6)  # 40 % no trend
    noise = rng.uniform(0.005, 0.05, size=(YSIZE, XSIZE))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32637)
    options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3"]
    for step, path in enumerate(paths):  # one path per year
        srng = np.random.default_rng([SEED, steps, step])
        values = np.round(level + slope * step + noise * srng.standard_normal((YSIZE, XSIZE)), 4)
        values[srng.random((YSIZE, XSIZE)) < MISSING] = NODATA
        ds = gdal.GetDriverByName("GTiff").Create(path + ".part.tif", XSIZE, YSIZE, 1, gdal.GDT_Float32, options)
        ds.SetGeoTransform(GEOTRANSFORM)
        ds.SetProjection(srs.ExportToWkt())
        ds.SetMetadataItem("BENCH_VERSION", VERSION)
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(NODATA)
        band.WriteArray(values.astype(np.float32))
        ds = None
        os.replace(path + ".part.tif", path)
    return paths, True


def read_stack(paths):
    """The whole stack as float64 (pixels, time), NaN where nodata, through core.stack.stack_block."""
    from mineland.core.engine import stack
    from mineland.core.io import raster_io

    datasets = [raster_io.open_raster(p) for p in paths]
    bands = [d.GetRasterBand(1) for d in datasets]
    arrays = [b.ReadAsArray() for b in bands]
    return stack.stack_block(arrays, [raster_io.band_nodata(b) for b in bands])


# ---------------------------------------------------------------- workloads


def kernel(values, years, workers=None):
    """trend_statistics over core.stack's chunks in its pool; the 9 statistics, whole arrays."""
    from mineland.core.engine import stack

    with ThreadPoolExecutor(workers or stack.worker_count()) as pool:
        futures = stack.trend_chunks(pool, values, years, MIN_VALID)
        return stack.joined_statistics([future.result() for future in futures])


def kernel_mk_sen(values, years):
    """MK + Sen only, what the pymannkendall loop computes: (a) without Hurst (one sort of the slopes per chunk,
    as in trend_statistics, through core.trend's internals), same chunks and pool."""
    from mineland.core.engine import stack
    from mineland.core.timeseries import trend

    local = threading.local()

    def mk_sen(chunk):
        buffers = local.__dict__.setdefault("buffers", trend.KernelBuffers())
        pairs = trend.SortedPairs(chunk, years, buffers)
        return trend._mann_kendall(chunk, pairs, MIN_VALID), trend._sens_slope(chunk, years, pairs, MIN_VALID)

    step = stack.chunk_pixels(values.shape[1])
    with ThreadPoolExecutor(stack.worker_count()) as pool:
        futures = [pool.submit(mk_sen, values[start : start + step]) for start in range(0, values.shape[0], step)]
        return [future.result() for future in futures]


def end_to_end(paths, years, output):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(
        "mineland:trend",
        {"INPUTS": paths, "YEARS": ",".join(map(str, years)), "MIN_VALID": MIN_VALID, "OUTPUT": output},
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )


def pymannkendall_loop(rows):
    import pymannkendall

    return [pymannkendall.original_test(row) for row in rows]


def best_of(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def read_output(path):
    from mineland.core.timeseries import trend

    ds = gdal.Open(path)
    names = [ds.GetRasterBand(i).GetDescription() for i in range(1, ds.RasterCount + 1)]
    assert names == list(trend.TREND_BANDS), names
    return {name: ds.GetRasterBand(i).ReadAsArray().ravel() for i, name in enumerate(names, start=1)}


def compare(ours, sample, refs, written):
    """Problems (list of str) and the largest deviations of ours vs pymannkendall and vs the written raster."""
    from mineland.core.engine import stack

    ref = {
        key: np.array([getattr(r, attr) for r in refs], dtype=np.float64)
        for key, attr in (("s", "s"), ("z", "z"), ("p", "p"), ("sen_slope", "slope"))
    }
    got = {key: ours[key][sample] for key in ref}
    problems = []
    if np.isnan(np.concatenate(list(got.values()))).any():
        problems.append("ours is NaN at sampled pixels (too few valid years?)")
    deviation = {
        "s": np.max(np.abs(got["s"] - ref["s"])),
        "z": np.max(np.abs(got["z"] - ref["z"]) / np.maximum(1, np.abs(ref["z"]))),
        "p": np.max(np.abs(got["p"] - ref["p"])),
        "sen_slope": np.max(np.abs(got["sen_slope"] - ref["sen_slope"]) / np.maximum(1, np.abs(ref["sen_slope"]))),
    }
    limits = {"s": 0.0, "z": 1e-12, "p": 1e-9, "sen_slope": 1e-12}
    for key, limit in limits.items():
        if not deviation[key] <= limit:
            problems.append(f"{key}: ours vs pymannkendall differ by {deviation[key]:.3g} > {limit:g}")
    mismatched = []
    for name, band in written.items():
        expected = stack.float_band(ours[name][sample], (sample.size,))
        if not np.array_equal(band[sample], expected):
            mismatched.append(name)
    if mismatched:
        problems.append(f"end-to-end bands {mismatched} differ from the kernel at sampled pixels")
    return problems, deviation, not mismatched


def machine_facts():
    import pymannkendall
    import scipy

    from mineland.core.engine import stack

    return benchlib.machine_facts(
        f"; our thread pool: {stack.worker_count()} workers, {stack.chunk_pixels(20)} px chunks at n = 20, "
        f"{stack.chunk_pixels(38)} at n = 38",
        f"scipy {scipy.__version__}, pymannkendall {getattr(pymannkendall, '__version__', '?')}",
    )


# ---------------------------------------------------------------- main


def main():
    t_all = time.perf_counter()
    pixels = XSIZE * YSIZE
    stacks = {}
    for steps in SERIES:
        t0 = time.perf_counter()
        paths, made = ensure_data(steps)
        stacks[steps] = paths
        size = sum(os.path.getsize(p) for p in paths) / 1e6
        print(
            f"data n={steps}: {XSIZE}×{YSIZE} px float32, years {SERIES[steps][0]}–{SERIES[steps][-1]}, "
            f"{len(paths)} GeoTIFFs, {'generated' if made else 'reused'} in {time.perf_counter() - t0:.1f} s, "
            f"{size:.0f} MB on disk",
            flush=True,
        )

    app, provider = benchlib.start_qgis()
    rows, problems, singles, mk_sen = [], [], {}, {}
    for steps, paths in stacks.items():
        years = SERIES[steps]
        values = read_stack(paths)
        # best_of calls each lambda at once, in this iteration: the defaults bind this iteration's values
        t_kernel, ours = best_of(lambda v=values, y=years: kernel(v, np.array(y, dtype=float)), KERNEL_REPEATS)
        t_single, _ = best_of(lambda v=values, y=years: kernel(v, np.array(y, dtype=float), workers=1), SINGLE_REPEATS)
        t_mk_sen, _ = best_of(lambda v=values, y=years: kernel_mk_sen(v, np.array(y, dtype=float)), KERNEL_REPEATS)
        mk_sen[steps] = t_mk_sen / pixels * 1e6

        with tempfile.TemporaryDirectory(prefix="mineland-bench-trend-") as workdir:
            output = os.path.join(workdir, f"trend{steps}.tif")
            t_e2e, result = best_of(lambda p=paths, y=years, o=output: end_to_end(p, y, o), E2E_REPEATS)
            written = read_output(result["OUTPUT"])

        sample = np.sort(np.random.default_rng([SEED, steps, 1]).choice(pixels, SAMPLE, replace=False))
        series = values[sample]
        t_pmk, refs = best_of(lambda s=series: pymannkendall_loop(s), 2)
        found, deviation, same_written = compare(ours, sample, refs, written)
        deviation["holes"] = int(np.count_nonzero(np.isnan(series).any(axis=1)))
        deviation["ties"] = int(
            np.count_nonzero([np.unique(r[~np.isnan(r)]).size < np.count_nonzero(~np.isnan(r)) for r in series])
        )
        problems += [f"n={steps}: {p}" for p in found]
        singles[steps] = t_single / pixels * 1e6
        rows.append(
            (
                steps,
                t_kernel / pixels * 1e6,
                t_e2e / pixels * 1e6,
                t_pmk / SAMPLE * 1e6,
                deviation,
                same_written,
                int(np.count_nonzero(ours["n_valid"] < MIN_VALID)),
                result["TOO_FEW_PIXELS"],
            )
        )
        del values, ours, written
        print(f"n={steps} done ({time.perf_counter() - t_all:.0f} s so far)", flush=True)

    print()
    for fact in machine_facts():
        print(fact)
    print()
    print(f"µs per pixel ({XSIZE}×{YSIZE} = {pixels / 1e6:.0f} Mpx for (a) and (b); {SAMPLE} sampled px for (c))")
    header = (
        f"{'n':>3}  {'(a) ours kernel':>16}{'(a1) 1 thread':>14}{'(a2) no Hurst':>14}{'(b) ours e2e':>14}"
        f"{'(c) pymannkendall':>19}{'(c)/(a)':>10}{'(c)/(a1)':>10}{'(c)/(a2)':>10}{'(c)/(b)':>10}"
    )
    print(header)
    for steps, a, b, c, *_ in rows:
        a1, a2 = singles[steps], mk_sen[steps]
        print(
            f"{steps:>3}  {a:16.2f}{a1:14.2f}{a2:14.2f}{b:14.2f}{c:19.1f}"
            f"{c / a:10.0f}{c / a1:10.0f}{c / a2:10.0f}{c / b:10.0f}"
        )
    print(
        f"(a) best of {KERNEL_REPEATS}, {stack_workers()} threads; (a1) the same on one thread, best of "
        f"{SINGLE_REPEATS} (per core, as pymannkendall runs; robust to other load on the machine); "
        f"(a2) (a) without Hurst, best of {KERNEL_REPEATS}; (b) best of {E2E_REPEATS}, (c) best of 2; "
        "ours computes MK + Sen + Hurst, (c) MK + Sen only"
    )
    print()
    for steps, _a, _b, _c, deviation, same_written, too_few, too_few_e2e in rows:
        print(
            f"check n={steps}: ours vs pymannkendall on {SAMPLE} px ({deviation['holes']} with missing years, "
            f"{deviation['ties']} with ties): max |ΔS| {deviation['s']:.0f}, "
            f"max rel |ΔZ| {deviation['z']:.1e}, max |Δp| {deviation['p']:.1e}, "
            f"max rel |Δslope| {deviation['sen_slope']:.1e}; end-to-end Float32 bands "
            f"{'EQUAL' if same_written else 'DIFFER from'} the kernel at the sample; "
            f"pixels below MIN_VALID {MIN_VALID}: kernel {too_few}, end to end {too_few_e2e}"
        )
        if too_few != too_few_e2e:
            problems.append(f"n={steps}: TOO_FEW_PIXELS {too_few_e2e} but the kernel has {too_few}")
    print(f"total bench time {time.perf_counter() - t_all:.1f} s")
    records = []
    for steps, a, b, c, *_ in rows:
        records += [
            benchlib.workload(
                f"MK + Sen + Hurst, n = {steps}, kernel",
                a,
                c,
                "pymannkendall loop (MK + Sen)",
                unit="µs/px",
                target=200.0,
                note=f"best of {KERNEL_REPEATS}, {stack_workers()} threads",
                memory=f"trend{steps}",
            ),
            benchlib.workload(
                f"MK + Sen + Hurst, n = {steps}, kernel on 1 thread",
                singles[steps],
                c,
                "pymannkendall loop (MK + Sen)",
                unit="µs/px",
                note=f"best of {SINGLE_REPEATS}; per core, as pymannkendall",
                memory=f"trend{steps}",
            ),
            benchlib.workload(
                f"MK + Sen only (no Hurst), n = {steps}, kernel",
                mk_sen[steps],
                c,
                "pymannkendall loop (MK + Sen)",
                unit="µs/px",
                note=f"like for like with the peer; best of {KERNEL_REPEATS}, {stack_workers()} threads",
            ),
            benchlib.workload(
                f"MK + Sen + Hurst, n = {steps}, processing.run",
                b,
                c,
                "pymannkendall loop (MK + Sen)",
                unit="µs/px",
                target=200.0,
                note=f"best of {E2E_REPEATS}; reads GeoTIFFs, writes 9 bands",
                memory=f"trend{steps}",
            ),
        ]
    benchlib.record("trend", records, facts=machine_facts())
    benchlib.finish(problems, "OK: ours equals pymannkendall on the sample")


def stack_workers():
    from mineland.core.engine import stack

    return stack.worker_count()


if __name__ == "__main__":
    main()
