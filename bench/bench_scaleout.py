"""Measurements behind the README's Scaling section: the trend on a Dask LocalCluster of 1 and 2 workers vs in process,
and the largest stack run under a memory budget.

    PYTHONPATH=. .venv/bin/python bench/bench_scaleout.py speedup --size 2000 --years 20
    PYTHONPATH=. .venv/bin/python bench/bench_scaleout.py big --size 10000 --years 20 \\
        --memory-limit 1GiB

Stacks are built strip by strip under ``--folder`` (default /tmp/mineland-scaleout), deterministic
(seeded per strip): a trend gradient plus noise, ~3 % missing pixel-years, some ties.
"""

import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal

from mineland.core.engine import jobs, runner, scaleout

NODATA = -9999.0

#: Workers read strips once: a small GDAL block cache (GDAL's default, 5 % of the RAM, is more than a worker's limit).
WORKER_ENV = {"GDAL_CACHEMAX": "64"}


def build_stack(folder, size, years, rows_per_strip=256):
    """One float32 GeoTIFF per year of size × size pixels; returns the paths (reused when present)."""
    os.makedirs(folder, exist_ok=True)
    paths = [os.path.join(folder, f"s{size}_{year}.tif") for year in years]
    if all(os.path.exists(p) for p in paths):
        return paths
    driver = gdal.GetDriverByName("GTiff")
    datasets = []
    for path in paths:
        ds = driver.Create(path + ".part.tif", size, size, 1, gdal.GDT_Float32, ["BIGTIFF=IF_SAFER"])  # row strips
        ds.SetGeoTransform((500000.0, 30.0, 0.0, 6000000.0, 0.0, -30.0))
        ds.SetProjection(_utm33n())
        ds.GetRasterBand(1).SetNoDataValue(NODATA)
        datasets.append(ds)
    ramp = np.linspace(-0.3, 0.3, size, dtype=np.float32)
    for strip, yoff in enumerate(range(0, size, rows_per_strip)):
        rows = min(rows_per_strip, size - yoff)
        rng = np.random.default_rng(strip)
        for k, ds in enumerate(datasets):
            values = rng.standard_normal((rows, size), dtype=np.float32) + k * ramp
            values[rng.random((rows, size), dtype=np.float32) < 0.03] = NODATA
            values[:, ::97] = np.round(values[:, ::97])  # ties
            ds.GetRasterBand(1).WriteArray(values, 0, yoff)
    datasets.clear()
    for path in paths:
        os.replace(path + ".part.tif", path)
    return paths


def _utm33n():
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    return srs.ExportToWkt()


def serial_trend(paths, years, output):
    """jobs.trend strip after strip in this thread (runner.SerialExecutor), as ``scheduler=None`` ran before."""
    sources, nodatas, grid = scaleout._stack_inputs(paths, "input", scaled=True)
    return jobs.trend(sources, nodatas, grid, years, output, runner.SerialExecutor()).too_few_pixels


def same_bits(a, b):
    da, db = gdal.Open(a), gdal.Open(b)
    return all(
        da.GetRasterBand(i).ReadAsArray().tobytes() == db.GetRasterBand(i).ReadAsArray().tobytes()
        for i in range(1, da.RasterCount + 1)
    )


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average():
    return os.getloadavg()[0]


def speedup(args):
    from distributed import Client, LocalCluster

    years = list(range(2001, 2001 + args.years))
    paths = build_stack(args.folder, args.size, years)
    out = os.path.join(args.folder, "out")
    os.makedirs(out, exist_ok=True)
    rows = []

    def best(label, run, client=None, repeat=args.repeat):
        """Best wall time of ``repeat`` runs, with the CPU seconds (this process + workers) of that run."""
        times = []
        for _ in range(repeat):
            cpu = cpu_seconds() + (sum(client.run(cpu_seconds).values()) if client else 0.0)
            load = load_average()
            started = time.perf_counter()
            run()
            wall = time.perf_counter() - started
            cpu = cpu_seconds() + (sum(client.run(cpu_seconds).values()) if client else 0.0) - cpu
            times.append((wall, cpu, load))
        wall, cpu, load = min(times)
        rows.append((label, wall, cpu))
        print(
            f"{label}: {wall:.2f} s, {cpu:.1f} CPU s, load before {load:.1f} "
            f"(runs {', '.join(f'{t[0]:.2f}' for t in times)})",
            flush=True,
        )

    reference = os.path.join(out, "local.tif")  # the in-process raster every other run is compared with
    best(
        "in process, jobs.trend on a LocalExecutor (scheduler None, the plugin path)",
        lambda: scaleout.trend_on_cluster(paths, years, reference),
    )
    best(
        "in process, strip by strip (SerialExecutor, 1 thread)",
        lambda: serial_trend(paths, years, os.path.join(out, "sync.tif")),
    )
    for workers in (1, 2):
        started = time.perf_counter()
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=args.memory_limit,
                env=WORKER_ENV,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            print(f"LocalCluster of {workers} started in {time.perf_counter() - started:.1f} s", flush=True)
            target = os.path.join(out, f"cluster{workers}.tif")
            best(
                f"LocalCluster {workers} worker(s) × 1 thread",
                lambda t=target, c=client: scaleout.trend_on_cluster(paths, years, t, scheduler=c),
                client,
            )
            print(f"  identical to the in-process raster: {same_bits(reference, target)}", flush=True)
    base = {label: wall for label, wall, _ in rows}["LocalCluster 1 worker(s) × 1 thread"]
    pixels = args.size * args.size
    print(
        "\n| run | seconds | µs per pixel | CPU seconds (client + workers) | speed-up vs 1 worker |\n"
        "|---|---|---|---|---|"
    )
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.2f} | {wall / pixels * 1e6:.2f} | {cpu:.1f} | {base / wall:.2f}× |")


def big(args):
    from distributed import Client, LocalCluster

    years = list(range(2001, 2001 + args.years))
    started = time.perf_counter()
    # built in a child process, so that this process's peak memory is the run's
    subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            "build",
            "--size",
            str(args.size),
            "--years",
            str(args.years),
            "--folder",
            args.folder,
        ],
        check=True,
    )
    paths = build_stack(args.folder, args.size, years)
    input_gb = sum(os.path.getsize(p) for p in paths) / 1e9
    print(
        f"stack: {len(paths)} × {args.size}² float32, {input_gb:.2f} GB on disk "
        f"(built or found in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    output = os.path.join(args.folder, f"big{args.size}.tif")
    classes = os.path.join(args.folder, f"big{args.size}_class.tif")
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=args.memory_limit,
            env=WORKER_ENV,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(args.workers)
        client_before = peak_rss_mb()
        cpu = cpu_seconds() + sum(client.run(cpu_seconds).values())
        load = load_average()
        started = time.perf_counter()
        result = scaleout.trend_on_cluster(paths, years, output, scheduler=client, class_output=classes)
        seconds = time.perf_counter() - started
        workers = client.run(peak_rss_mb)
        cpu = cpu_seconds() + sum(client.run(cpu_seconds).values()) - cpu
    output_gb = (os.path.getsize(output) + os.path.getsize(classes)) / 1e9
    print(
        f"trend of {args.size * args.size / 1e6:.0f} Mpx × {len(years)} years: {seconds:.0f} s "
        f"({seconds / args.size**2 * 1e6:.2f} µs per pixel), outputs {output_gb:.2f} GB, "
        f"too few: {result['too_few_pixels']}; {cpu:.0f} CPU s (client + workers), load average "
        f"{load:.1f} before and {load_average():.1f} after"
    )
    print(
        f"peak resident memory: client {peak_rss_mb():.0f} MB (before the run {client_before:.0f} MB), "
        f"workers {', '.join(f'{v:.0f}' for v in workers.values())} MB; memory limit per worker "
        f"{args.memory_limit}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python bench/bench_scaleout.py")
    parser.add_argument("what", choices=["build", "speedup", "big"])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="1GiB")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--folder", default="/tmp/mineland-scaleout")
    args = parser.parse_args(argv)
    if args.what == "build":
        build_stack(args.folder, args.size, list(range(2001, 2001 + args.years)))
    else:
        speedup(args) if args.what == "speedup" else big(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
