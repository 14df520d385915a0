"""What the benches share: headless QGIS with our provider, the machine facts they print,
best-of-N timing, and the result records bench/summary.py turns into one table."""

import datetime
import json
import os
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal


def start_qgis():
    """Headless QGIS + Processing + our provider, as tests/conftest.py does; keep the result alive."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="mineland-bench-profile-"))
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from mineland.processing_provider.provider import MineLandProvider

    provider = MineLandProvider()
    assert QgsApplication.processingRegistry().addProvider(provider)
    return app, provider


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def machine_facts(cores_note="", versions=""):
    """Lines: date, cores, CPU, versions (QGIS, GDAL, numpy, Python, plus ``versions``)."""
    from qgis.core import Qgis

    extra = f", {versions}" if versions else ""
    return [
        f"date      {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"nproc     {len(os.sched_getaffinity(0))} (os.cpu_count {os.cpu_count()}{cores_note})",
        f"cpu       {cpu_model()}",
        f"memory    {memory_gb():.0f} GB; load average {load_average()} (other work on the machine skews timings)",
        f"versions  QGIS {Qgis.QGIS_VERSION}, GDAL {gdal.__version__}, numpy {np.__version__}{extra}, "
        f"Python {sys.version.split()[0]}",
    ]


def memory_gb():
    with open("/proc/meminfo", encoding="ascii") as handle:
        return int(handle.readline().split()[1]) / 2**20


def load_average():
    """The 1, 5 and 15 minute load averages, as text."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def is_current(path, size, version):
    """True when the bench raster ``path`` exists with ``size`` (x, y) and BENCH_VERSION ``version``."""
    from osgeo import gdal

    if not os.path.exists(path):
        return False
    ds = gdal.Open(path)
    return (ds.RasterXSize, ds.RasterYSize) == tuple(size) and ds.GetMetadataItem("BENCH_VERSION") == version


def best_of(function, repeats):
    """(best seconds, last result) of ``repeats`` calls of ``function()``."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


# ------------------------------------------------------------------ records for the summary

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "results")


def workload(name, ours, peer=None, peer_name="", unit="s", target=None, note="", memory=None):
    """One row of the summary: ``ours`` and ``peer`` in ``unit`` (s, or µs/px), lower is better.

    ``target`` is the least speed-up peer ÷ ours the issue asks for (None: no target);
    ``memory`` the key of bench_memory's row with ours' peak RSS for this workload.
    """
    return {
        "name": name,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "unit": unit,
        "target": target,
        "note": note,
        "memory": memory,
    }


def record(bench, rows=(), memory=(), notes=(), facts=None):
    """Write this bench's rows to bench/data/results/<bench>.json for bench/summary.py."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, f"{bench}.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {
                "bench": bench,
                "time": time.time(),
                "rows": list(rows),
                "memory": list(memory),
                "notes": list(notes),
                "facts": facts or machine_facts(),
            },
            handle,
            indent=1,
        )


def finish(problems, ok_message=None):
    """End a bench: exit non-zero listing the problems, else print ``ok_message``."""
    sys.stdout.flush()
    if problems:
        print("FAIL: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    if ok_message:
        print(ok_message)
