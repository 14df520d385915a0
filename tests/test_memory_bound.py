"""Memory bound: rasters many times the block budget run in bounded memory.

Each case runs once in a fresh process (bench/memprobe.py, the same measurement
``make bench`` prints): QGIS, Processing and the provider start, the process's
peak resident memory (VmHWM) is read as the baseline, one processing.run
follows, and the peak is read again. The assertion is on peak − baseline.

The rasters (made once per module, deterministic, tiled, DEFLATE):

* a 12000 × 12000 uint8 class pair: 144 Mpx each, 36 × the 4 Mpx block budget
  (core/raster_io.py DEFAULT_BLOCK_PIXELS); 288 MB decoded, 1.15 GB as the
  8-byte pair codes a whole-raster bincount would build;
* a 2400 × 1500 float32 stack of 10 years: 137 MB decoded, 275 MB as the float64
  stack the kernels use, 247 MB more for the nine float64 statistics.

The bound over the baseline (``bound_mb``), with GDAL's block cache pinned to
64 MB (GDAL_CACHEMAX=64 in the child):

* transfer matrix and reclassify: 64 MB (GDAL cache) + 4 × 32 MB (4 blocks of
  4 Mpx of 8-byte values) = 192 MB;
* trend: 64 MB + the stack budget (core/stack.py STACK_BUDGET_BYTES, 128 MB:
  two blocks in flight, each half of it) + 4 × 32 MB = 320 MB (measured 222 to
  267 MB: how far reading the next block overlaps the kernels varies run to run).

Why the cache is pinned: GDAL's block cache is process-wide and by default 5 %
of RAM (1.2 GB on a 24 GB machine); nothing in MineLand empties it, so with the
default it keeps every decoded tile read or written until it is full, and the
peak grew with the raster up to that size: core/raster_io.py now drops each
strip's input tiles after use, and the algorithms write colour tables before
the first block (GTiff refuses them once tiles have been flushed to disk). The
last two cases check both with GDAL's default cache and an output larger than it.
"""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from osgeo import gdal

from mineland.core.engine import stack
from mineland.core.io import raster_io
from mineland.core.timeseries import trend

pytestmark = pytest.mark.slow  # 144 Mpx rasters, each run in a fresh process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMPROBE = os.path.join(ROOT, "bench", "memprobe.py")
MARK = "MEMPROBE "

PINNED_CACHE_MB = 64
BLOCK_MB = raster_io.DEFAULT_BLOCK_PIXELS * 8 / 2**20  # 32 MB
BOUND_MB = {
    "transfermatrix": PINNED_CACHE_MB + 4 * BLOCK_MB,
    "reclassify": PINNED_CACHE_MB + 4 * BLOCK_MB,
    "trend": PINNED_CACHE_MB + stack.STACK_BUDGET_BYTES / 2**20 + 4 * BLOCK_MB,
}
PAIR_SIZE = 12000
STACK_SHAPE = (2400, 1500)  # memprobe.STACK_SHAPE
STACK_YEARS = list(range(2001, 2011))
RECLASS = {1: 10, 2: 10, 3: 20, 4: 20, 5: 30, 6: 40, 7: 40}  # memprobe.RECLASS_TABLE as a lookup


class ChildFailed(Exception):
    """The probe process exited non-zero or printed no result."""


def memprobe(*args, cache_mb=PINNED_CACHE_MB, timeout=300):
    """Run bench/memprobe.py in a fresh process; its JSON result."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    if cache_mb is None:
        env.pop("GDAL_CACHEMAX", None)
    else:
        env["GDAL_CACHEMAX"] = str(cache_mb)
    child = subprocess.run(
        [sys.executable, MEMPROBE, *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith(MARK)]
    if child.returncode != 0 or not lines:
        raise ChildFailed(
            f"memprobe {' '.join(map(str, args))} exited {child.returncode}:\n"
            f"{child.stdout[-1500:]}\n{child.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len(MARK) :])


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Directory with the 12000² pair (start.tif, end.tif, pair_counts.json) and the stack."""
    directory = tmp_path_factory.mktemp("memory_bound")
    memprobe("make-case-data", directory)
    return str(directory)


def over_baseline(result):
    return result["peak_mb"] - result["baseline_mb"]


def check_bound(result, name):
    assert result["bound_mb"] == pytest.approx(BOUND_MB[name]), "bench/memprobe.py and this test disagree"
    assert result["gdal_cachemax_mb"] == pytest.approx(PINNED_CACHE_MB)
    grown = over_baseline(result)
    assert grown <= BOUND_MB[name], (
        f"{name}: peak {result['peak_mb']:.0f} MB is {grown:.0f} MB over the QGIS baseline "
        f"{result['baseline_mb']:.0f} MB; the bound is {BOUND_MB[name]:.0f} MB"
    )


def test_the_rasters_dwarf_the_bounds(big):
    pair_bytes = 2 * PAIR_SIZE * PAIR_SIZE / 2**20
    assert pair_bytes > BOUND_MB["transfermatrix"]
    assert 4 * pair_bytes > 5 * BOUND_MB["transfermatrix"]  # the 8-byte codes of a whole-raster bincount
    pixels = STACK_SHAPE[0] * STACK_SHAPE[1]
    whole_stack = pixels * (len(STACK_YEARS) * (4 + 8) + len(trend.TREND_BANDS) * 8) / 2**20  # read, float64, stats
    assert whole_stack > 2 * BOUND_MB["trend"]


def test_transfer_matrix_of_a_144_mpx_pair(big):
    result = memprobe("case", "transfermatrix", big)
    with open(os.path.join(big, "pair_counts.json"), encoding="utf-8") as handle:
        expected = {tuple(int(v) for v in key.split(",")): n for key, n in json.load(handle).items()}
    with open(result["results"]["OUTPUT"], newline="", encoding="utf-8") as handle:
        got = {(int(r["from_class"]), int(r["to_class"])): int(r["pixels"]) for r in csv.DictReader(handle)}
    assert got == expected
    assert result["results"]["NODATA_PIXELS"] == PAIR_SIZE * PAIR_SIZE - sum(expected.values())
    check_bound(result, "transfermatrix")


def test_reclassify_of_a_144_mpx_raster(big):
    result = memprobe("case", "reclassify", big)
    check_bound(result, "reclassify")
    source, output = gdal.Open(os.path.join(big, "start.tif")), gdal.Open(result["results"]["OUTPUT"])
    lookup = np.zeros(256, dtype=np.uint16)  # input nodata 0 → output nodata; codes 1..7 → RECLASS
    lookup[0] = output.GetRasterBand(1).GetNoDataValue()
    for code, value in RECLASS.items():
        lookup[code] = value
    for y0 in range(0, PAIR_SIZE, 2048):  # every pixel, strip by strip
        rows = min(2048, PAIR_SIZE - y0)
        codes = source.GetRasterBand(1).ReadAsArray(0, y0, PAIR_SIZE, rows)
        got = output.GetRasterBand(1).ReadAsArray(0, y0, PAIR_SIZE, rows)
        assert np.array_equal(got, lookup[codes]), f"rows {y0}…{y0 + rows}"


def test_trend_of_a_stack(big):
    result = memprobe("case", "trend", big)
    assert result["results"]["TOO_FEW_PIXELS"] == 0
    check_bound(result, "trend")
    # a window of the written bands equals the kernel on the same series
    window = (STACK_SHAPE[0] - 100, STACK_SHAPE[1] - 100, 100, 100)  # last strip, right edge
    arrays, nodatas = [], []
    for year in STACK_YEARS:
        dataset = gdal.Open(os.path.join(big, f"stack_{year}.tif"))
        band = dataset.GetRasterBand(1)
        arrays.append(band.ReadAsArray(*window))
        nodatas.append(band.GetNoDataValue())
    expected = trend.trend_statistics(stack.stack_block(arrays, nodatas), np.array(STACK_YEARS, dtype=float), 8)
    output = gdal.Open(result["results"]["OUTPUT"])
    for index, name in enumerate(trend.TREND_BANDS, start=1):
        got = output.GetRasterBand(index).ReadAsArray(*window)
        want = (
            stack.float_band(getattr(expected, name), got.shape)
            if name != "n_valid"
            else getattr(expected, name).reshape(got.shape).astype(np.float32)
        )
        assert np.array_equal(got, want), name


def test_reclassify_with_legend_when_the_output_exceeds_gdal_cache(big):
    result = memprobe("case", "reclassify-legend", big)
    check_bound(result, "reclassify")


def test_transfer_matrix_with_gdal_default_cache(big):
    result = memprobe("case", "transfermatrix", big, cache_mb=None)
    assert over_baseline(result) <= BOUND_MB["transfermatrix"], (
        f"{over_baseline(result):.0f} MB over the baseline with GDAL_CACHEMAX {result['gdal_cachemax_mb']:.0f} MB"
    )


def test_reclassify_with_gdal_default_cache(big):
    """Written tiles leave GDAL's cache too (one-band outputs, whole tile rows)."""
    result = memprobe("case", "reclassify-legend", big, cache_mb=None)
    assert over_baseline(result) <= BOUND_MB["reclassify"], (
        f"{over_baseline(result):.0f} MB over the baseline with GDAL_CACHEMAX {result['gdal_cachemax_mb']:.0f} MB"
    )
