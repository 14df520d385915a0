"""The DASK_SCHEDULER parameter of mineland:trend, mineland:mlri and mineland:transfermatrix.

Empty (the default): the algorithm runs as always, in QGIS's process (a
:class:`mineland.core.engine.runner.LocalExecutor`). An address (tcp://host:8786):
the same job (:mod:`mineland.core.engine.jobs`) runs its strips on that Dask
cluster (a ``DaskExecutor``), and QGIS writes the outputs. Dask is imported only
then, so the plugin loads without it.
"""

import contextlib

from qgis.core import QgsProcessingParameterString

from ..core.engine import runner
from ..core.engine.scaleout import Source
from .checks import parameter_errors

KEY = "DASK_SCHEDULER"

HELP = (
    "Advanced, optional. Address of a Dask scheduler (tcp://host:8786) to run the computation on that cluster "
    "(dask.distributed) instead of in QGIS; empty (default) = here, as usual. The workers read the input rasters "
    "from their paths themselves, so the paths must be valid on every worker (shared storage), and need the "
    "plugins folder on their PYTHONPATH; QGIS writes the outputs. Results are identical to a local run. Needs "
    "dask and distributed in QGIS's Python (pip install dask distributed). A scheduler that does not answer "
    "within 10 s stops the run."
)


def add_parameter(algorithm):
    """Add the advanced, optional DASK_SCHEDULER string parameter."""
    algorithm.add(
        QgsProcessingParameterString(KEY, "Dask scheduler address (run on a cluster)", optional=True),
        HELP,
        advanced=True,
    )


@contextlib.contextmanager
def executor(algorithm, parameters, context, feedback):
    """The engine's executor of the run: a LocalExecutor (QGIS's process, all cores) when DASK_SCHEDULER is
    empty, else a DaskExecutor on a connected ``distributed.Client`` (closed on leaving).

    Errors of the cluster (dask missing, no answer, no worker, workers dying)
    become a QgsProcessingException starting with DASK_SCHEDULER.
    """
    address = (algorithm.parameterAsString(parameters, KEY, context) or "").strip()
    if not address:
        yield runner.LocalExecutor()
        return
    from ..core.engine import scaleout  # imports dask itself, lazily

    with parameter_errors(KEY):
        address = scaleout.normalise_address(address)
    with parameter_errors(KEY, scaleout.ScaleoutError):
        with scaleout.connect(address, warn=feedback.pushWarning) as client:
            feedback.pushInfo(
                f"Running on the Dask cluster at {address} ({len(client.scheduler_info().get('workers', {}))} workers)"
            )
            yield runner.DaskExecutor(client)


def sources(steps):
    """scaleout.Source of RasterInputs (path, band number and the scale/offset the input is read with)."""
    return [Source(step.path, step.band.GetBand(), step.scaling) for step in steps]
