"""Peak resident memory of one MineLand run, each in a fresh process.

Used by the benches (make bench) and by tests/test_memory_bound.py, so that
both print and check the same measurement. Run as a script:

    memprobe.py baseline
        start QGIS, Processing and our provider only; print one JSON line
    memprobe.py run ALGORITHM_ID PARAMETERS_JSON
        start QGIS as above, then processing.run(ALGORITHM_ID, parameters) once;
        print one JSON line with the peak before the run (baseline_mb), the
        peak over the whole process (peak_mb), the run's seconds and results
    memprobe.py make-pair DIR SIZE
        write DIR/start.tif, DIR/end.tif: SIZE × SIZE uint8 class rasters
        (codes 1..7, nodata 0) and DIR/pair_counts.json, their expected
        from→to pixel counts
    memprobe.py make-stack DIR XSIZE YSIZE STEPS
        write DIR/stack_<year>.tif, STEPS float32 rasters (years 2001…)
    memprobe.py make-case-data DIR
        write the rasters of the memory-bound cases (pair and stack) under DIR
    memprobe.py case NAME DIR
        run one memory-bound case (case_parameters: transfermatrix, reclassify,
        reclassify-legend, trend) on the rasters of DIR, as ``run``, adding its bound_mb

The memory-bound cases and their bounds (``bound_mb``) are defined here once,
for tests/test_memory_bound.py and bench/bench_memory.py alike. The bound is
over the baseline (the process after QGIS and Processing started), for runs
with GDAL's block cache pinned to PINNED_CACHE_MB (GDAL_CACHEMAX): GDAL's cache
is process-wide, by default 5 % of RAM, and otherwise fills with the decoded
tiles of everything read and written — see the notes in bench_memory.py.

Peak memory is VmHWM of /proc/self/status read by the child itself, NOT
ru_maxrss: Linux carries the parent's peak RSS over fork + exec into the
child's ru_maxrss (and so into the parent's RUSAGE_CHILDREN), so a child
started from a grown bench process would report the bench's peak, not its own.
VmHWM belongs to the child's own address space, created at exec.

The generated rasters are deterministic (arithmetic patterns, no random
numbers), tiled 256 × 256 and DEFLATE-compressed, written strip by strip, so
a 12000 × 12000 pair takes a few seconds and little memory to make.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "MEMPROBE "
TILE = 256
CREATION = [
    "TILED=YES",
    f"BLOCKXSIZE={TILE}",
    f"BLOCKYSIZE={TILE}",
    "COMPRESS=DEFLATE",
    "ZLEVEL=1",
    "NUM_THREADS=ALL_CPUS",
    "BIGTIFF=IF_SAFER",
]
EPSG = 32637
ORIGIN = (400000.0, 5000000.0)
PIXEL = 30.0


def status_mb(key):
    """VmHWM (peak) or VmRSS (now) of this process in MB (of 2**20 bytes)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{key} not in /proc/self/status")


# ------------------------------------------------------------------ child modes


def _start():
    sys.path.insert(0, HERE)
    import benchlib

    return benchlib.start_qgis()


def baseline():
    app, provider = _start()  # noqa: F841 (kept alive)
    return {"baseline_mb": status_mb("VmHWM"), "rss_mb": status_mb("VmRSS")}


def run(algorithm, parameters):
    app, provider = _start()  # noqa: F841 (kept alive)
    import processing
    from osgeo import gdal
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    before = status_mb("VmHWM")
    t0 = time.perf_counter()
    results = processing.run(algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    seconds = time.perf_counter() - t0
    plain = {k: v for k, v in results.items() if isinstance(v, (int, float, str))}
    return {
        "algorithm": algorithm,
        "baseline_mb": before,
        "peak_mb": status_mb("VmHWM"),
        "seconds": seconds,
        "gdal_cachemax_mb": gdal.GetCacheMax() / 2**20,
        "results": plain,
    }


# ------------------------------------------------------------------ test rasters


def _create(path, xsize, ysize, gdal_type, nodata, metadata=None):
    from osgeo import gdal, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    ds = gdal.GetDriverByName("GTiff").Create(path, xsize, ysize, 1, gdal_type, CREATION)
    ds.SetGeoTransform((ORIGIN[0], PIXEL, 0.0, ORIGIN[1], 0.0, -PIXEL))
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).SetNoDataValue(nodata)
    for key, value in (metadata or {}).items():
        ds.SetMetadataItem(key, str(value))
    return ds


def pair_strip(y0, nrows, size):
    """Rows y0 … y0+nrows of the start and end class rasters (uint8, codes 1..7, nodata 0).

    Start: 64-pixel blocks in a diagonal pattern of the 7 classes, with 1-pixel
    speckle; end: the same with every third block column changed; nodata in the
    first 100 columns at the start and the last 50 rows at the end.
    """
    import numpy as np

    rows = np.arange(y0, y0 + nrows)
    block_cols = np.arange(size) // 64
    # (r // 64 · 3 + c // 64) mod 7, built per 64-row band and repeated: no per-pixel arithmetic
    bands = np.unique(rows // 64)
    pattern = (1 + (bands[:, None] * 3 + block_cols[None, :]) % 7).astype(np.uint8)
    start = pattern[np.searchsorted(bands, rows // 64)]
    # speckle where (r·31 + c·17) mod 97 = 0, i.e. c ≡ −31·40·r (mod 97) since 17·40 ≡ 1
    first = (-31 * 40 * rows) % 97
    per_row = [np.arange(f, size, 97) for f in first]
    rr = np.repeat(np.arange(nrows), [p.size for p in per_row])
    cc = np.concatenate(per_row)
    start[rr, cc] = 1 + start[rr, cc] % 7
    shift = np.array([0] + [1 + (v + 2) % 7 for v in range(1, 8)], dtype=np.uint8)  # class v → 1 + (v + 2) mod 7
    changed = block_cols % 3 == 0
    end = start.copy()
    end[:, changed] = shift[start[:, changed]]
    start[:, :100] = 0
    end[rows >= size - 50] = 0
    return start, end


def make_pair(directory, size):
    """Write start.tif, end.tif and pair_counts.json ({"a,b": pixels}, nodata excluded) under ``directory``."""
    import numpy as np
    from osgeo import gdal

    gdal.UseExceptions()
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, name) for name in ("start.tif", "end.tif")]
    datasets = [_create(p + ".part.tif", size, size, gdal.GDT_Byte, 0) for p in paths]
    counts = np.zeros(1 << 16, dtype=np.int64)
    for y0 in range(0, size, 1024):
        start, end = pair_strip(y0, min(1024, size - y0), size)
        datasets[0].GetRasterBand(1).WriteArray(start, 0, y0)
        datasets[1].GetRasterBand(1).WriteArray(end, 0, y0)
        for ds in datasets:
            ds.FlushCache()  # complete tile rows: write them now rather than hold them in GDAL's cache
        counts += np.bincount((start.astype(np.uint16) << 8 | end).ravel(), minlength=1 << 16)
    datasets.clear()
    for path in paths:
        os.replace(path + ".part.tif", path)
    expected = {
        f"{code >> 8},{code & 255}": int(counts[code]) for code in np.flatnonzero(counts) if code >> 8 and code & 255
    }
    with open(os.path.join(directory, "pair_counts.json"), "w", encoding="utf-8") as handle:
        json.dump(expected, handle)
    return paths


STACK_NODATA = -9999.0


def stack_strip(y0, nrows, xsize, step):
    """float32 rows of one year: a per-pixel level and slope from the position, plus a small
    deterministic wiggle; one pixel-year in 37 missing (nodata)."""
    import numpy as np

    r = np.arange(y0, y0 + nrows, dtype=np.int32)[:, None]
    c = np.arange(xsize, dtype=np.int32)[None, :]
    level = 0.2 + 0.4 * ((r * 7 + c * 3) % 101) / 100.0
    slope = 0.004 * (((r // 16 + c // 16) % 9) - 4) / 4.0
    wiggle = (((r * 13 + c * 29 + step * 41) % 23) - 11) / 1000.0
    values = np.round(level + slope * step + wiggle, 4).astype(np.float32)
    values[(r * 5 + c * 11 + step * 3) % 37 == 0] = STACK_NODATA
    return values


def make_stack(directory, xsize, ysize, steps):
    """Write stack_<year>.tif for years 2001 … 2000+steps; return the paths."""
    from osgeo import gdal

    gdal.UseExceptions()
    os.makedirs(directory, exist_ok=True)
    paths = []
    for step in range(steps):
        path = os.path.join(directory, f"stack_{2001 + step}.tif")
        ds = _create(path + ".part.tif", xsize, ysize, gdal.GDT_Float32, STACK_NODATA)
        band = ds.GetRasterBand(1)
        for y0 in range(0, ysize, 1024):
            band.WriteArray(stack_strip(y0, min(1024, ysize - y0), xsize, step), 0, y0)
            ds.FlushCache()
        ds = None
        os.replace(path + ".part.tif", path)
        paths.append(path)
    return paths


# ------------------------------------------------------------------ memory-bound cases

#: GDAL block cache (MB) of the memory-bound runs: GDAL_CACHEMAX in the child's environment.
PINNED_CACHE_MB = 64
#: Sizes of the memory-bound rasters: a 12000 × 12000 uint8 pair (144 Mpx each, 36 × the 4 Mpx block
#: budget) and a 2400 × 1500 float32 stack of 10 years (36 M values; 275 MB as the kernels' float64).
PAIR_SIZE = 12000
STACK_SHAPE = (2400, 1500, 10)
RECLASS_TABLE = [1, 2, 10, 3, 4, 20, 5, 5, 30, 6, 7, 40]


def block_mb():
    """One input block of the core (raster_io.DEFAULT_BLOCK_PIXELS, 4 Mpx) as 8-byte values, in MB."""
    from mineland.core.io import raster_io

    return raster_io.DEFAULT_BLOCK_PIXELS * 8 / 2**20


def stack_budget_mb():
    from mineland.core.engine import stack

    return stack.STACK_BUDGET_BYTES / 2**20


def bound_mb(name):
    """Peak RSS allowed over the QGIS baseline for a case, GDAL cache pinned (see the module docstring).

    Raster cases: the GDAL cache + 4 blocks of 8-byte values (two inputs as read, the int64
    codes or the lookup's output, slack). Trend: the GDAL cache + the stack budget (two blocks
    in flight of half of it each) + 4 blocks for the kernels' per-thread temporaries, the
    concatenated statistics of a block, their float32 copies and the next block's read arrays,
    which overlap depending on thread timing (measured +222 … +267 MB on the case's stack).
    """
    if name == "trend":
        return PINNED_CACHE_MB + stack_budget_mb() + 4 * block_mb()
    return PINNED_CACHE_MB + 4 * block_mb()


def stack_years():
    return list(range(2001, 2001 + STACK_SHAPE[2]))


def case_parameters(name, directory):
    """processing.run parameters of a memory-bound case on the rasters of ``directory``."""
    join = lambda *parts: os.path.join(directory, *parts)  # noqa: E731
    if name == "transfermatrix":
        return "mineland:transfermatrix", {
            "INPUT_START": join("start.tif"),
            "INPUT_END": join("end.tif"),
            "OUTPUT": join("pairs.csv"),
            "OUTPUT_MATRIX": join("matrix.csv"),
        }
    if name in ("reclassify", "reclassify-legend"):
        # "reclassify" keeps unmatched codes (NODATA_FOR_MISSING off): no colour table is written, which
        # avoids the failure "reclassify-legend" shows when the output does not fit GDAL's cache
        return "mineland:reclassify", {
            "INPUT": join("start.tif"),
            "PRESET": 0,
            "TABLE": RECLASS_TABLE,
            "NODATA_FOR_MISSING": name == "reclassify-legend",
            "OUTPUT": join(f"{name}.tif"),
        }
    if name == "trend":
        years = stack_years()
        return "mineland:trend", {
            "INPUTS": [join(f"stack_{y}.tif") for y in years],
            "YEARS": ",".join(map(str, years)),
            "MIN_VALID": 8,
            "OUTPUT": join("trend.tif"),
        }
    raise ValueError(f"unknown case {name!r}")


def make_case_data(directory):
    """The pair and the stack of the memory-bound cases under ``directory`` (in this process)."""
    make_pair(directory, PAIR_SIZE)
    make_stack(directory, *STACK_SHAPE)


# ------------------------------------------------------------------ parent side


def child_env():
    """Environment for a child: headless Qt and the plugin on PYTHONPATH (as make bench/test set them)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    plugins = os.path.dirname(HERE)  # the repository holds the package mineland/
    env["PYTHONPATH"] = os.pathsep.join(p for p in (plugins, env.get("PYTHONPATH")) if p)
    return env


def probe(*args, timeout=600, env=None):
    """Run ``memprobe.py *args`` in a fresh process (``env`` added to its environment); return its JSON
    result (RuntimeError on failure)."""
    child = subprocess.run(
        [sys.executable, os.path.abspath(__file__), *map(str, args)],
        capture_output=True,
        text=True,
        env={**child_env(), **(env or {})},
        timeout=timeout,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith(MARK)]
    if child.returncode != 0 or not lines:
        raise RuntimeError(
            f"memprobe {' '.join(map(str, args[:2]))} failed (exit {child.returncode}):\n"
            f"{child.stdout[-2000:]}\n{child.stderr[-4000:]}"
        )
    return json.loads(lines[-1][len(MARK) :])


def probe_run(algorithm, parameters, timeout=600, env=None):
    return probe("run", algorithm, json.dumps(parameters), timeout=timeout, env=env)


def probe_case(name, directory, pinned=True, timeout=600):
    """A memory-bound case in a fresh process, GDAL's cache pinned to PINNED_CACHE_MB unless ``pinned`` is off."""
    return probe(
        "case", name, directory, timeout=timeout, env={"GDAL_CACHEMAX": str(PINNED_CACHE_MB)} if pinned else None
    )


def main(argv):
    mode, args = argv[0], argv[1:]
    if mode == "baseline":
        out = baseline()
    elif mode == "run":
        out = run(args[0], json.loads(args[1]))
    elif mode == "make-pair":
        out = {"paths": make_pair(args[0], int(args[1]))}
    elif mode == "make-stack":
        out = {"paths": make_stack(args[0], int(args[1]), int(args[2]), int(args[3]))}
    elif mode == "make-case-data":
        make_case_data(args[0])
        out = {}
    elif mode == "case":
        out = run(*case_parameters(args[0], args[1]))
        out.update(case=args[0], bound_mb=bound_mb(args[0]))
    else:
        raise SystemExit(__doc__)
    out["process_peak_mb"] = status_mb("VmHWM")
    print(MARK + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
