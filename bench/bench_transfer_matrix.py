"""Benchmark: mineland:transfermatrix against GRASS r.coin and the practical limit of GDAL + numpy.

What is measured (best of 3 each, all in one run, same machine, same files):

* ours      processing.run("mineland:transfermatrix") on two ~22 Mpx uint8 class
            rasters (5000 × 4400, codes 1..7, nodata 0), QGIS started headless as in
            tests/conftest.py. Includes everything a user pays: layer loading, grid
            checks, the block pass, the OUTPUT table and the OUTPUT_MATRIX CSV.
* r.coin    GRASS GIS 8.2 r.coin (coincidence tabulation, units=c) on the same pair,
            in a throw-away GRASS location (``grass --tmp-location --exec``, see
            bench/grass_rcoin.py). Timed apart: the import (r.in.gdal of both
            rasters, once) and r.coin's own tabulation on the imported maps (best
            of 3) — the peer figure; also r.coin on r.external links of the
            GeoTIFFs, which decodes them as ours does. Not through QGIS's
            grass7:r.coin, whose wrapper would add a location, imports and exports.
* bare      the least work that gives the same answer: GDAL ReadAsArray of both
            rasters in strips of 768 rows (~4 Mpx, the strips our core reads) and
            np.bincount of a·256 + b per strip. Also timed split into the read alone
            and the bincount alone. Ratios are relative to this.
* naive     ReadAsArray of both whole rasters, then one np.bincount (fast, but its
            memory grows with the raster).

Why: the transfer matrix is I/O + one bincount per block, so the bare blocked
loop is the floor; the ratio says how much the Processing framework and our
bookkeeping add. The pair counts of ours (read back from its OUTPUT CSV) must
equal the bare counts and r.coin's (parsed from its report), else the script
exits non-zero.

Peak RSS of ours is measured by bench/bench_memory.py (a fresh process per run).

The rasters are generated deterministically (fixed seed) into bench/data/ as
tiled DEFLATE GeoTIFFs in EPSG:32637 at 30 m, strip by strip, and reused when
present with the same size and generator version.

* per CRS   ours and bare again on the same pixels georeferenced in other CRSs
            (copies of the pair with another geotransform and CRS: Web Mercator at
            ~40°N, geographic, Lambert conformal conic, polar stereographic), where
            ours weighs every pixel by its area on the ellipsoid (per row in
            geographic and Mercator CRSs, a per-pixel density elsewhere): what the
            true areas cost. Target: within 1.25× of bare in every CRS.

Run: make bench  (or QT_QPA_PLATFORM=offscreen PYTHONPATH=.
.venv/bin/python bench/bench_transfer_matrix.py); needs GRASS (grass-core), which
make bench installs when missing. ``--crs`` runs the per-CRS rows only (no GRASS).
"""

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

import benchlib

gdal.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
START_PATH = os.path.join(DATA, "bench_start.tif")
END_PATH = os.path.join(DATA, "bench_end.tif")
XSIZE, YSIZE = 5000, 4400
SEED = 20240601
VERSION = "1"  # bump when the generator changes so old files are rebuilt
GEOTRANSFORM = (400000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0)
STRIP_ROWS = 768  # 768 × 5000 ≈ 3.8 Mpx: the strip height our core picks (4 Mpx budget, 256-row tiles)
REPEATS = 3
N_CLASSES = 7


# ---------------------------------------------------------------- test data


def _coarse(rng, cell, probs=None):
    """Random class grid with one value per ``cell`` × ``cell`` pixels."""
    shape = (-(-YSIZE // cell), -(-XSIZE // cell))
    return rng.choice(np.arange(1, N_CLASSES + 1, dtype=np.uint8), size=shape, p=probs)


def _upsample(grid, cell, rows):
    """Pixels of ``rows`` (a row range) from a coarse grid, as np.kron would give them."""
    r0, r1 = rows.start // cell, (rows.stop - 1) // cell + 1
    block = np.kron(grid[r0:r1], np.ones((cell, cell), dtype=grid.dtype))
    off = rows.start - r0 * cell
    return block[off : off + len(rows), :XSIZE]


def _strips():
    rng = np.random.default_rng(SEED)
    probs = np.array([0.30, 0.25, 0.15, 0.12, 0.08, 0.06, 0.04])
    landscape = _coarse(rng, 160, probs)  # large patches
    detail = _coarse(rng, 20, probs)  # small patches inside them
    detail_on = rng.random(detail.shape) < 0.35
    change_to = _coarse(rng, 40)  # new class where a change patch falls
    change_on = rng.random(change_to.shape) < 0.15
    for y0 in range(0, YSIZE, 512):
        rows = range(y0, min(YSIZE, y0 + 512))
        srng = np.random.default_rng([SEED, y0])
        start = np.where(_upsample(detail_on, 20, rows), _upsample(detail, 20, rows), _upsample(landscape, 160, rows))
        noise = srng.random(start.shape) < 0.03
        start[noise] = srng.integers(1, N_CLASSES + 1, noise.sum(), dtype=np.uint8)
        end = np.where(_upsample(change_on, 40, rows), _upsample(change_to, 40, rows), start)
        noise = srng.random(end.shape) < 0.01
        end[noise] = srng.integers(1, N_CLASSES + 1, noise.sum(), dtype=np.uint8)
        start[:, :64] = 0  # nodata: western strip at the start date
        end[max(0, YSIZE - 48 - y0) :] = 0  # nodata: southern strip at the end date
        yield y0, start, end


def _is_current(path):
    return benchlib.is_current(path, (XSIZE, YSIZE), VERSION)


def ensure_data():
    """Write the two rasters strip by strip (< 100 MB of RAM) unless already there."""
    if _is_current(START_PATH) and _is_current(END_PATH):
        return False
    os.makedirs(DATA, exist_ok=True)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32637)
    options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE"]
    datasets = []
    for path in (START_PATH, END_PATH):
        ds = gdal.GetDriverByName("GTiff").Create(path + ".part.tif", XSIZE, YSIZE, 1, gdal.GDT_Byte, options)
        ds.SetGeoTransform(GEOTRANSFORM)
        ds.SetProjection(srs.ExportToWkt())
        ds.SetMetadataItem("BENCH_VERSION", VERSION)
        ds.GetRasterBand(1).SetNoDataValue(0)
        datasets.append(ds)
    for y0, start, end in _strips():
        datasets[0].GetRasterBand(1).WriteArray(start, 0, y0)
        datasets[1].GetRasterBand(1).WriteArray(end, 0, y0)
    datasets.clear()  # closes and flushes both
    for path in (START_PATH, END_PATH):
        os.replace(path + ".part.tif", path)
    return True


# ---------------------------------------------------------------- workloads


def run_ours(workdir, tag):
    """One processing.run; returns the path of its OUTPUT table (CSV)."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    out = os.path.join(workdir, f"pairs_{tag}.csv")
    matrix = os.path.join(workdir, f"matrix_{tag}.csv")
    processing.run(
        "mineland:transfermatrix",
        {"INPUT_START": START_PATH, "INPUT_END": END_PATH, "OUTPUT": out, "OUTPUT_MATRIX": matrix},
        context=QgsProcessingContext(),
        feedback=QgsProcessingFeedback(),
    )
    return out


def read_ours(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {(int(r["from_class"]), int(r["to_class"])): int(r["pixels"]) for r in csv.DictReader(handle)}


def _bands():
    datasets = [gdal.Open(START_PATH), gdal.Open(END_PATH)]
    return datasets, [d.GetRasterBand(1) for d in datasets]


def _strip_windows():
    return [(y, min(STRIP_ROWS, YSIZE - y)) for y in range(0, YSIZE, STRIP_ROWS)]


def _count(a, b):
    """bincount of a·256 + b, built in place (one intp temporary)."""
    codes = a.astype(np.intp)
    codes <<= 8
    codes |= b
    return np.bincount(codes.ravel(), minlength=1 << 16)


def bare_blocked():
    """Read both rasters strip by strip and bincount a·256 + b per strip."""
    datasets, bands = _bands()
    counts = np.zeros(1 << 16, dtype=np.int64)
    for y, n in _strip_windows():
        counts += _count(bands[0].ReadAsArray(0, y, XSIZE, n), bands[1].ReadAsArray(0, y, XSIZE, n))
    return counts


def bare_read_only(keep=None):
    datasets, bands = _bands()
    for y, n in _strip_windows():
        pair = (bands[0].ReadAsArray(0, y, XSIZE, n), bands[1].ReadAsArray(0, y, XSIZE, n))
        if keep is not None:
            keep.append(pair)


def bincount_only(strips):
    counts = np.zeros(1 << 16, dtype=np.int64)
    for a, b in strips:
        counts += _count(a, b)
    return counts


def naive():
    """Whole rasters in memory, one bincount."""
    a = gdal.Open(START_PATH).ReadAsArray()
    b = gdal.Open(END_PATH).ReadAsArray()
    return _count(a, b)


def pairs_of(counts):
    """{(from, to): pixels} of a 65536-bin count, nodata (0 at either date) dropped."""
    found = np.flatnonzero(counts)
    return {(int(c >> 8), int(c & 255)): int(counts[c]) for c in found if c >> 8 and c & 255}


def best_of(fn, repeats=REPEATS):
    times, result = [], None
    for i in range(repeats):
        t0 = time.perf_counter()
        result = fn(i)
        times.append(time.perf_counter() - t0)
    return min(times), result


def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ---------------------------------------------------------------- GRASS


def grass_rcoin():
    """r.coin through bench/grass_rcoin.py in a throw-away GRASS location; its JSON, counts as {(a, b): n}."""
    grass = shutil.which("grass")
    if grass is None:
        sys.exit("GRASS GIS is not installed (apt-get install grass-core; make bench does it as root)")
    child = subprocess.run(
        [
            grass,
            "--tmp-location",
            "EPSG:32637",
            "--exec",
            "python3",
            os.path.join(HERE, "grass_rcoin.py"),
            START_PATH,
            END_PATH,
            str(REPEATS),
        ],
        capture_output=True,
        text=True,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith("RCOIN ")]
    if child.returncode != 0 or not lines:
        sys.exit(f"GRASS r.coin failed (exit {child.returncode}):\n{child.stdout[-2000:]}\n{child.stderr[-2000:]}")
    out = json.loads(lines[-1][len("RCOIN ") :])
    out["counts"] = {tuple(int(v) for v in k.split(",")): n for k, n in out["counts"].items()}
    return out


# ---------------------------------------------------------------- per CRS

#: (tag, EPSG code, geotransform): the bench pair's pixels placed elsewhere; UTM is the original.
CRS_VARIANTS = [
    ("EPSG:32637 UTM 37N", 32637, GEOTRANSFORM),
    ("EPSG:3857 Web Mercator ~40°N", 3857, (2000000.0, 30.0, 0.0, 4930000.0, 0.0, -30.0)),
    ("EPSG:4326 geographic ~40°N", 4326, (36.0, 0.0003, 0.0, 40.66, 0.0, -0.0003)),
    ("EPSG:2154 Lambert conformal conic", 2154, (600000.0, 30.0, 0.0, 6900000.0, 0.0, -30.0)),
    ("EPSG:3031 polar stereographic", 3031, (1000000.0, 30.0, 0.0, 1000000.0, 0.0, -30.0)),
]


def crs_copies(epsg, geotransform):
    """Copies of the pair with another CRS and geotransform (same pixels, same tiles), made once."""
    if epsg == 32637:
        return START_PATH, END_PATH
    folder = os.path.join(DATA, "crs")
    os.makedirs(folder, exist_ok=True)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    paths = []
    for path in (START_PATH, END_PATH):
        copy = os.path.join(folder, f"{epsg}_{os.path.basename(path)}")
        if not _is_current(copy) or os.path.getmtime(copy) < os.path.getmtime(path):
            shutil.copyfile(path, copy)
            ds = gdal.Open(copy, gdal.GA_Update)
            ds.SetProjection(srs.ExportToWkt())
            ds.SetGeoTransform(geotransform)
            ds = None
        paths.append(copy)
    return tuple(paths)


def crs_rows(workdir):
    """(tag, ours s, bare s, ours' total area km²) per CRS variant; ours' pixel counts must equal bare's."""
    global START_PATH, END_PATH
    original = START_PATH, END_PATH
    rows, problems = [], []
    try:
        for tag, epsg, geotransform in CRS_VARIANTS:
            START_PATH, END_PATH = crs_copies(epsg, geotransform)
            t_ours, ours_csv = best_of(lambda i, epsg=epsg: run_ours(workdir, f"{epsg}_{i}"))
            t_bare, bare_counts = best_of(lambda i: bare_blocked())
            if read_ours(ours_csv) != pairs_of(bare_counts):
                problems.append(f"{tag}: ours' pixel counts differ from bare")
            with open(ours_csv, newline="", encoding="utf-8") as handle:
                km2 = sum(float(r["area_m2"]) for r in csv.DictReader(handle)) / 1e6
            rows.append((tag, t_ours, t_bare, km2))
            print(
                f"{tag:<40} ours {t_ours:7.3f} s  bare {t_bare:7.3f} s  ours/bare {t_ours / t_bare:5.2f}  "
                f"valid area {km2:10.1f} km²",
                flush=True,
            )
    finally:
        START_PATH, END_PATH = original
    return rows, problems


def crs_workloads(rows):
    mpx = XSIZE * YSIZE / 1e6
    return [
        benchlib.workload(
            f"transfer matrix, {mpx:.0f} Mpx pair, {tag}",
            t_ours,
            t_bare,
            "bare GDAL strips + bincount",
            target=0.8,
            note=f"areas on the ellipsoid (valid {km2:.0f} km²); within 1.25× of bare",
        )
        for tag, t_ours, t_bare, km2 in rows
    ]


def main_crs():
    """--crs: only the per-CRS rows (no GRASS), printed, not recorded (make bench records them)."""
    ensure_data()
    qgis = benchlib.start_qgis()  # kept alive: the provider goes with it
    with tempfile.TemporaryDirectory(prefix="mineland-bench-") as workdir:
        _, problems = crs_rows(workdir)
    del qgis
    for fact in benchlib.machine_facts():
        print(fact)
    benchlib.finish(problems)


# ---------------------------------------------------------------- main


def main():
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    made = ensure_data()
    print(
        f"data: {XSIZE}×{YSIZE} px ({XSIZE * YSIZE / 1e6:.1f} Mpx) ×2, "
        f"{'generated' if made else 'reused'} in {time.perf_counter() - t0:.1f} s, "
        f"{(os.path.getsize(START_PATH) + os.path.getsize(END_PATH)) / 1e6:.1f} MB on disk",
        flush=True,
    )

    rcoin = grass_rcoin()
    app, provider = benchlib.start_qgis()
    with tempfile.TemporaryDirectory(prefix="mineland-bench-") as workdir:
        t_ours, ours_csv = best_of(lambda i: run_ours(workdir, i))
        ours = read_ours(ours_csv)
        crs, crs_problems = crs_rows(workdir)

    t_bare, bare_counts = best_of(lambda i: bare_blocked())
    t_read, _ = best_of(lambda i: bare_read_only())
    strips = []
    bare_read_only(strips)
    t_count, count_only = best_of(lambda i, s=strips: bincount_only(s))
    del strips
    t_naive, naive_counts = best_of(lambda i: naive())

    bare = pairs_of(bare_counts)
    problems = []
    if ours != bare:
        diff = sorted(k for k in set(ours) | set(bare) if ours.get(k) != bare.get(k))
        problems.append(
            f"ours != bare on {len(diff)} pairs, e.g. "
            + ", ".join(f"{k}: ours {ours.get(k)} bare {bare.get(k)}" for k in diff[:5])
        )
    if rcoin["counts"] != bare:
        problems.append(
            f"r.coin's counts differ from bare ({len(rcoin['counts'])} pairs, {sum(rcoin['counts'].values()):,} cells)"
        )
    if not (np.array_equal(count_only, bare_counts) and np.array_equal(naive_counts, bare_counts)):
        problems.append("bare blocked, bincount-only and naive counts differ")
    problems += crs_problems

    print()
    facts = benchlib.machine_facts(versions=rcoin["version"])
    for fact in facts:
        print(fact)
    print()
    rows = [
        ("ours: processing.run mineland:transfermatrix", t_ours),
        ("GRASS r.coin, tabulation only (imported maps)", rcoin["coin_s"]),
        ("  GRASS r.coin on r.external links (decodes GeoTIFF)", rcoin["coin_linked_s"]),
        ("  GRASS import r.in.gdal of both (once, not in r.coin)", rcoin["import_s"]),
        ("bare blocked: GDAL strips + bincount", t_bare),
        ("  bare read only (GDAL strips)", t_read),
        ("  bare bincount only (strips in RAM)", t_count),
        ("naive: whole-array ReadAsArray + 1 bincount", t_naive),
    ]
    print(f"{f'workload (best of {REPEATS}; GRASS import: 1 run)':<56}{'seconds':>9}{'× bare':>9}{'× ours':>9}")
    for name, seconds in rows:
        print(f"{name:<56}{seconds:9.3f}{seconds / t_bare:9.2f}{seconds / t_ours:9.2f}")
    print()
    print(
        f"pairs: {len(ours)} from→to pairs, {sum(ours.values()):,} valid pixels, "
        f"{'IDENTICAL' if not problems else 'MISMATCH'} pixel counts ours vs bare vs r.coin"
    )
    print(
        f"peak RSS, this process: {maxrss_mb():.0f} MB — includes QGIS, ours ×{REPEATS}, the bare steps "
        f"and the naive whole-array step, so it is NOT ours' footprint (see bench_memory.py)"
    )
    print(f"total bench time {time.perf_counter() - t_all:.1f} s")
    mpx = XSIZE * YSIZE / 1e6
    benchlib.record(
        "transfer_matrix",
        [
            benchlib.workload(
                f"transfer matrix, {mpx:.0f} Mpx pair",
                t_ours,
                t_bare,
                "bare GDAL strips + bincount",
                target=0.5,
                note="within 2× of bare",
                memory="transfermatrix",
            ),
            benchlib.workload(
                f"transfer matrix, {mpx:.0f} Mpx pair",
                t_ours,
                rcoin["coin_s"],
                "GRASS r.coin (tabulation of imported maps)",
                target=1.0,
                note=f"r.in.gdal import of both, not counted: {rcoin['import_s']:.2f} s; r.coin on "
                f"r.external links: {rcoin['coin_linked_s']:.2f} s",
                memory="transfermatrix",
            ),
        ]
        + crs_workloads(crs),
        facts=facts,
    )
    benchlib.finish(problems)


if __name__ == "__main__":
    main_crs() if "--crs" in sys.argv[1:] else main()
