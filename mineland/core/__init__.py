"""Numeric kernels and the engine of MineLand: numpy, scipy and GDAL only, never QGIS.

Subpackages by domain (landcover, timeseries, spatial, mines, resilience) and by infrastructure (io, engine,
render). Until release 0.3 the modules also answer to their old flat names (``mineland.core.trend`` is
``mineland.core.timeseries.trend``), for scripts and Dask workers written against release 0.1.
"""

import importlib
import importlib.abc
import importlib.util
import sys

#: old flat module name → its subpackage (kept for one release; remove in 0.3).
MOVED_MODULES = {
    "raster_io": "io",
    "tables": "io",
    "stack": "engine",
    "scaleout": "engine",
    "report": "render",
    "styles": "render",
    "reclass": "landcover",
    "crosstab": "landcover",
    "dynamics": "landcover",
    "carbon": "landcover",
    "trend": "timeseries",
    "mlri": "timeseries",
    "restoration": "timeseries",
    "accuracy": "timeseries",
    "sampling": "timeseries",
    "inspect": "timeseries",
    "spatial_weights": "spatial",
    "autocorrelation": "spatial",
    "landscape": "spatial",
    "patches": "spatial",
    "disturbance": "mines",
    "footprint": "mines",
    "lifecycle": "mines",
    "mine_status": "mines",
    "overlap": "mines",
    "integrity": "resilience",
    "desertification": "resilience",
}


_OWN_SPECS = {}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``mineland.core.<old name>`` as the module at its new path (the same module object)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package != __name__ or name not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        name = spec.name.rpartition(".")[2]
        module = importlib.import_module(f"{__name__}.{MOVED_MODULES[name]}.{name}")
        _OWN_SPECS[spec.name] = module.__spec__  # importlib sets __spec__ to the alias's after this
        return module

    def exec_module(self, module):
        """The module already ran at its new path; only its own spec is put back."""
        module.__spec__ = _OWN_SPECS.pop(module.__spec__.name)


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
