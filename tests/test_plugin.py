"""The plugin as QGIS sees it: metadata, provider, the public interface of every algorithm."""

import configparser
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_metadata_declares_a_processing_provider():
    meta = configparser.ConfigParser()
    meta.read(os.path.join(ROOT, "mineland", "metadata.txt"), encoding="utf-8")
    general = meta["general"]
    assert general["hasProcessingProvider"] == "yes"  # without it qgis_process never loads the provider
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["category"] == "Analysis"
    for key in ("name", "description", "about", "version", "author", "email", "tracker", "repository", "tags"):
        assert general.get(key, "").strip(), key
    assert re.fullmatch(r"\d+\.\d+\.\d+", general["version"])


def test_metadata_version_is_the_newest_release_of_the_changelog():
    meta = configparser.ConfigParser()
    meta.read(os.path.join(ROOT, "mineland", "metadata.txt"), encoding="utf-8")
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as handle:
        changelog = handle.read()
    # Keep a Changelog: "## [x.y.z] - date" headings, newest first ("## [Unreleased]" is no release)
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.M)
    assert releases[0] == meta["general"]["version"] == "0.2.0"
    assert releases[-1] == "0.1.0"
    # the plugin manager shows metadata.txt's changelog: it covers every release of CHANGELOG.md, newest first
    entries = re.findall(r"^(\d+\.\d+\.\d+) ", meta["general"]["changelog"], re.M)
    assert entries == releases
    # the about text describes every algorithm group of the toolbox, and the shipped models
    about = meta["general"]["about"]
    for group in (
        "Land cover:",
        "Spatial statistics:",
        "Time series:",
        "Mines:",
        "Resilience, integrity and desertification:",
        "Workflows:",
    ):
        assert group in about, group


def test_core_never_imports_qgis():
    modules = glob.glob(os.path.join(ROOT, "mineland", "core", "**", "*.py"), recursive=True)
    assert len(modules) > 30
    for path in modules:
        text = open(path, encoding="utf-8").read()
        assert not re.search(r"^\s*(from|import)\s+(qgis|PyQt5|processing)\b", text, re.M), path


PLUGIN_LIFECYCLE = """
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from mineland import classFactory
registry = QgsApplication.processingRegistry()
plugin = classFactory(None)
plugin.initProcessing()
plugin.initGui()  # must not register a second provider
assert registry.providerById("mineland") is plugin.provider
assert registry.algorithmById("mineland:transfermatrix") is not None
assert registry.algorithmById("mineland:landcover_carbon") is not None
plugin.unload()
assert registry.providerById("mineland") is None
print("lifecycle ok")
"""


@pytest.mark.slow  # a QGIS of its own, in a subprocess
def test_plugin_lifecycle_in_a_fresh_qgis():
    """classFactory → initProcessing → initGui → unload, in its own process (the session
    provider of the other tests must not be touched)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", PLUGIN_LIFECYCLE],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=ROOT),
    )
    assert "lifecycle ok" in done.stdout, done.stderr


def test_every_algorithm_follows_the_house_rules(provider):
    from mineland.algorithms.base import GROUPS
    from mineland.processing_provider.provider import ALGORITHMS

    algorithms = [provider.algorithm(cls.NAME) for cls in ALGORITHMS]
    assert all(algorithms) and len({a.name() for a in algorithms}) == len(ALGORITHMS)
    assert {"reclassify", "transfermatrix", "landusedynamics", "carbonstock", "trend", "mlri"} <= {
        a.name() for a in algorithms
    }
    for algorithm in algorithms:
        assert algorithm.name() == algorithm.name().lower()
        assert algorithm.groupId() in GROUPS
        help_text = algorithm.shortHelpString()
        assert len(help_text) > 200
        assert "<b>References</b>" in help_text, f"{algorithm.id()}: the help cites no paper"
        outputs = [d.name() for d in algorithm.destinationParameterDefinitions()] + [
            o.name() for o in algorithm.outputDefinitions()
        ]
        for output in outputs:
            assert output in help_text, f"{algorithm.id()}: the help does not explain {output}"
        for parameter in algorithm.parameterDefinitions():
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", parameter.name()), parameter.name()
            assert parameter.help(), f"{algorithm.id()} {parameter.name()} has no help"


def test_model_is_loaded_with_its_children(provider):
    model = provider.algorithm("landcover_carbon")
    assert model is not None
    assert len(model.destinationParameterDefinitions()) == 11  # 8 tables and rasters, 3 optional HTML reports
