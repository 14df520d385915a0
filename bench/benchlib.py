"""What the benches share: headless QGIS with our provider, and the machine facts they print."""

import datetime
import os
import sys
import tempfile

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
    return [f"date      {datetime.datetime.now().isoformat(timespec='seconds')}",
            f"nproc     {len(os.sched_getaffinity(0))} (os.cpu_count {os.cpu_count()}{cores_note})",
            f"cpu       {cpu_model()}",
            f"versions  QGIS {Qgis.QGIS_VERSION}, GDAL {gdal.__version__}, numpy {np.__version__}{extra}, "
            f"Python {sys.version.split()[0]}"]


def finish(problems, ok_message=None):
    """End a bench: exit non-zero listing the problems, else print ``ok_message``."""
    sys.stdout.flush()
    if problems:
        print("FAIL: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    if ok_message:
        print(ok_message)
