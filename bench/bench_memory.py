"""Benchmark: peak resident memory of each of ours, each run alone in a fresh process.

Every figure comes from bench/memprobe.py: a new Python process starts QGIS,
Processing and our provider, reads its peak RSS (VmHWM of /proc/self/status)
as the baseline, runs one processing.run and reads the peak again. VmHWM, not
ru_maxrss: on Linux a child's ru_maxrss (and the parent's RUSAGE_CHILDREN)
starts from the parent's peak at fork, so a child of this grown bench process
would report the bench's peak, not its own.

1. baseline  a process that only starts QGIS, Processing and the provider.
2. ours on the bench inputs, GDAL's default block cache (5 % of RAM), as a
   user runs them; the seconds of that single run are printed too:
   transfermatrix and reclassify on the 22 Mpx rasters of bench_transfer_matrix
   and bench_reclassify; trend on the 1 Mpx stacks of bench_trend (n = 20, 38);
   moran (global + local, 999 permutations) and hotspots (Gi*) end to end on
   polygon grids of the bench_spatial fields (10⁴ and 10⁵ square cells in a
   GeoPackage, rook weights).
3. the memory-bound cases of tests/test_memory_bound.py on the same rasters
   (a 12000² uint8 pair, a 2400 × 1500 × 10 float32 stack, under
   bench/data/memory_bound/): with GDAL's cache pinned to 64 MB, against the
   test's bound; then with GDAL's default cache, to show what it adds.

Run: make bench (or QT_QPA_PLATFORM=offscreen PYTHONPATH=.
.venv/bin/python bench/bench_memory.py)
"""

import os
import re
import time

from osgeo import gdal, ogr, osr

import benchlib
import memprobe

gdal.UseExceptions()
ogr.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
BOUND_DIR = os.path.join(DATA, "memory_bound")
BOUND_VERSION = "1"  # bump when memprobe's generators or sizes change
GRID_VERSION = "1"


# ---------------------------------------------------------------- inputs


def grid_layer(rows, cols):
    """A GeoPackage of rows × cols 1 km squares with the bench_spatial field as 'value' (made once)."""
    import bench_spatial

    path = os.path.join(DATA, f"grid_{rows}x{cols}.gpkg")
    stamp = path + ".version"
    if os.path.exists(path) and os.path.exists(stamp) and open(stamp, encoding="ascii").read() == GRID_VERSION:
        return path
    values = bench_spatial.make_field(rows, cols)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32637)
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer("cells", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("value", ogr.OFTReal))
    definition = layer.GetLayerDefn()
    layer.StartTransaction()
    for k, value in enumerate(values):
        r, c = divmod(k, cols)
        x0, y0 = 400000.0 + 1000.0 * c, 5000000.0 - 1000.0 * r
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in ((x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 - 1000), (x0, y0 - 1000), (x0, y0)):
            ring.AddPoint_2D(x, y)
        polygon = ogr.Geometry(ogr.wkbPolygon)
        polygon.AddGeometry(ring)
        feature = ogr.Feature(definition)
        feature.SetField(0, float(value))
        feature.SetGeometry(polygon)
        layer.CreateFeature(feature)
    layer.CommitTransaction()
    ds = None
    with open(stamp, "w", encoding="ascii") as handle:
        handle.write(GRID_VERSION)
    return path


def bound_data():
    """The memory-bound rasters under bench/data/memory_bound/, made when missing or outdated."""
    stamp = os.path.join(BOUND_DIR, "version")
    if os.path.exists(stamp) and open(stamp, encoding="ascii").read() == BOUND_VERSION:
        return False
    memprobe.probe("make-case-data", BOUND_DIR)  # in a child: its own memory does not matter here
    with open(stamp, "w", encoding="ascii") as handle:
        handle.write(BOUND_VERSION)
    return True


def workloads(workdir):
    """(key, label, algorithm, parameters) of each of ours on the bench inputs."""
    import bench_reclassify
    import bench_spatial
    import bench_transfer_matrix
    import bench_trend

    bench_transfer_matrix.ensure_data()
    bench_reclassify.ensure_data()
    out = lambda name: os.path.join(workdir, name)  # noqa: E731
    mpx = bench_transfer_matrix.XSIZE * bench_transfer_matrix.YSIZE / 1e6
    items = [
        (
            "transfermatrix",
            f"transfermatrix, {mpx:.0f} Mpx pair",
            "mineland:transfermatrix",
            {
                "INPUT_START": bench_transfer_matrix.START_PATH,
                "INPUT_END": bench_transfer_matrix.END_PATH,
                "OUTPUT": out("pairs.csv"),
                "OUTPUT_MATRIX": out("matrix.csv"),
            },
        ),
        (
            "reclassify",
            f"reclassify, {mpx:.0f} Mpx, 11-row table",
            "mineland:reclassify",
            dict(bench_reclassify.ours_parameters(), OUTPUT=out("reclassified.tif")),
        ),
    ]
    for steps, years in bench_trend.SERIES.items():
        paths, _ = bench_trend.ensure_data(steps)
        items.append(
            (
                f"trend{steps}",
                f"trend, 1 Mpx × {steps} years",
                "mineland:trend",
                {
                    "INPUTS": paths,
                    "YEARS": ",".join(map(str, years)),
                    "MIN_VALID": bench_trend.MIN_VALID,
                    "OUTPUT": out(f"trend{steps}.tif"),
                },
            )
        )
    for rows, cols, _ in bench_spatial.GRIDS:
        layer = grid_layer(rows, cols)
        cells = f"{rows * cols:,} polygons"
        items.append(
            (
                f"moran{rows * cols}",
                f"moran (global + LISA, 999 perm.), {cells}",
                "mineland:moran",
                {
                    "INPUT": layer,
                    "FIELD": "value",
                    "WEIGHTS": 1,
                    "PERMUTATIONS": 999,
                    "OUTPUT": out(f"moran{rows * cols}.gpkg"),
                },
            )
        )
        items.append(
            (
                f"hotspots{rows * cols}",
                f"hotspots (Gi*), {cells}",
                "mineland:hotspots",
                {"INPUT": layer, "FIELD": "value", "WEIGHTS": 1, "OUTPUT": out(f"hot{rows * cols}.gpkg")},
            )
        )
    return items


# ---------------------------------------------------------------- main


def main():
    import tempfile

    t_all = time.perf_counter()
    t0 = time.perf_counter()
    made = bound_data()
    print(
        f"memory-bound data: {memprobe.PAIR_SIZE}² uint8 pair + {'×'.join(map(str, memprobe.STACK_SHAPE))} "
        f"float32 stack, {'generated' if made else 'reused'} in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    baseline = memprobe.probe("baseline")
    rows, problems = [], []
    with tempfile.TemporaryDirectory(prefix="mineland-bench-memory-") as workdir:
        for key, label, algorithm, parameters in workloads(workdir):
            result = memprobe.probe_run(algorithm, parameters)
            rows.append(
                {
                    "key": key,
                    "name": label,
                    "baseline_mb": result["baseline_mb"],
                    "peak_mb": result["peak_mb"],
                    "seconds": result["seconds"],
                    "cache": "default",
                    "bound_mb": None,
                    "status": "",
                }
            )
            print(f"  {label}: {result['peak_mb']:.0f} MB ({time.perf_counter() - t_all:.0f} s so far)", flush=True)
    cache_default = result["gdal_cachemax_mb"]
    sizes = {
        "transfermatrix": f"{memprobe.PAIR_SIZE}² = {memprobe.PAIR_SIZE**2 / 1e6:.0f} Mpx pair",
        "reclassify": f"{memprobe.PAIR_SIZE**2 / 1e6:.0f} Mpx, NODATA_FOR_MISSING off",
        "reclassify-legend": f"{memprobe.PAIR_SIZE**2 / 1e6:.0f} Mpx, defaults (colour table)",
        "trend": f"{memprobe.STACK_SHAPE[0]}×{memprobe.STACK_SHAPE[1]} × {memprobe.STACK_SHAPE[2]} years",
    }
    for pinned in (True, False):
        for name in ("transfermatrix", "reclassify", "reclassify-legend", "trend"):
            if name == "reclassify-legend" and not pinned:
                continue  # with the default cache it is the "reclassify" case plus a colour table
            label = f"bound: {name}, {sizes[name]}"
            try:
                result = memprobe.probe_case(name, BOUND_DIR, pinned=pinned)
            except RuntimeError as err:
                failure = re.sub(r"\S*/(\S+)", r"\1", str(err).strip().splitlines()[-1])[:120]
                rows.append(
                    {
                        "key": f"bound-{name}",
                        "name": label,
                        "baseline_mb": None,
                        "peak_mb": None,
                        "seconds": None,
                        "cache": f"{memprobe.PINNED_CACHE_MB} MB" if pinned else "default",
                        "bound_mb": memprobe.bound_mb(name),
                        "status": f"FAILS: {failure}",
                    }
                )
                print(f"  {label}: FAILS ({failure})", flush=True)
                continue
            grown = result["peak_mb"] - result["baseline_mb"]
            bound = result["bound_mb"] if pinned else None
            status = "" if bound is None else ("within bound" if grown <= bound else "OVER BOUND")
            if status == "OVER BOUND":
                problems.append(f"{name}: {grown:.0f} MB over the baseline, bound {bound:.0f} MB")
            rows.append(
                {
                    "key": f"bound-{name}" + ("" if pinned else "-default"),
                    "name": label,
                    "baseline_mb": result["baseline_mb"],
                    "peak_mb": result["peak_mb"],
                    "seconds": result["seconds"],
                    "cache": f"{memprobe.PINNED_CACHE_MB} MB" if pinned else "default",
                    "bound_mb": bound,
                    "status": status,
                }
            )
            print(
                f"  {label}, GDAL cache {'pinned' if pinned else 'default'}: +{grown:.0f} MB "
                f"({time.perf_counter() - t_all:.0f} s so far)",
                flush=True,
            )

    print()
    facts = benchlib.machine_facts()
    for fact in facts:
        print(fact)
    print()
    print(
        f"peak RSS (VmHWM) of one run in a fresh process; baseline = QGIS + Processing + provider started, "
        f"nothing run: {baseline['baseline_mb']:.0f} MB. GDAL block cache: default {cache_default:.0f} MB "
        f"(5 % of RAM), or pinned by GDAL_CACHEMAX"
    )
    print(f"{'run':<66}{'GDAL cache':>11}{'peak MB':>9}{'+ MB':>7}{'bound':>7}{'run s':>8}  status")
    for row in rows:
        if row["peak_mb"] is None:
            print(f"{row['name']:<66}{row['cache']:>11}{'—':>9}{'—':>7}{row['bound_mb']:7.0f}{'—':>8}  {row['status']}")
            continue
        bound = f"{row['bound_mb']:7.0f}" if row["bound_mb"] is not None else f"{'':>7}"
        print(
            f"{row['name']:<66}{row['cache']:>11}{row['peak_mb']:9.0f}{row['peak_mb'] - row['baseline_mb']:7.0f}"
            f"{bound}{row['seconds']:8.2f}  {row['status']}"
        )
    print(
        "+ MB = peak − the run's own baseline (its process before processing.run); bound: "
        "tests/test_memory_bound.py's, which pins the cache"
    )
    print(f"total bench time {time.perf_counter() - t_all:.1f} s")
    benchlib.record(
        "memory",
        memory=[dict(baseline_qgis_mb=baseline["baseline_mb"], **row) for row in rows],
        notes=[
            f"baseline (QGIS + Processing + provider, nothing run): {baseline['baseline_mb']:.0f} MB",
            f"GDAL block cache default {cache_default:.0f} MB",
        ],
        facts=facts,
    )
    benchlib.finish(problems, "OK: every memory-bound case within its bound (GDAL cache pinned)")


if __name__ == "__main__":
    main()
