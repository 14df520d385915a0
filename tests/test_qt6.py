"""Qt6 readiness (QGIS 4): every qgis.PyQt name the plugin uses resolves in PyQt6, and metadata.txt says so.

PyQt6 comes from PyPI in a venv of its own (.build/pyqt6, made by `make pyqt6`, which `make test` runs);
tests/qt6_names.py only parses the sources and imports PyQt6's modules, so no display is needed.
"""

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNER = ROOT / "tests" / "qt6_names.py"
PYQT6_PYTHON = Path(os.environ.get("MINELAND_PYQT6_PYTHON", ROOT / ".build" / "pyqt6" / "bin" / "python"))
#: What `make package` ships: the package folder mineland/.
SHIPPED = ("mineland",)


def plugin_sources():
    files = []
    for entry in SHIPPED:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [str(f) for f in files]


def scan(paths):
    if not PYQT6_PYTHON.exists():
        pytest.skip(f"no PyQt6 venv at {PYQT6_PYTHON}; run `make pyqt6`")
    done = subprocess.run(
        [str(PYQT6_PYTHON), str(SCANNER), *map(str, paths)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_qt_name_of_the_plugin_resolves_in_pyqt6():
    problems = scan(plugin_sources())
    assert problems == [], "\n".join(f"{p['file']}:{p['line']}: {p['name']} ({p['why']})" for p in problems)


def test_the_scanner_finds_what_breaks_under_pyqt6(tmp_path):
    """The check itself: unscoped enums, QAction from QtWidgets and a missing module are reported; scoped
    enums, a try/except ImportError pair and lines marked qt5-only are not."""
    source = tmp_path / "sample.py"
    source.write_text(
        "from qgis.PyQt.QtCore import Qt, QVariant\n"
        "from qgis.PyQt.QtWidgets import QSizePolicy, QAction\n"
        "from qgis.PyQt.QtNoSuchModule import Thing\n"
        "try:\n"
        "    from qgis.PyQt.QtGui import QAction as Action\n"
        "except ImportError:\n"
        "    from qgis.PyQt.QtWidgets import QAction as Action\n"
        "a = Qt.AlignCenter\n"
        "b = Qt.AlignmentFlag.AlignCenter | Qt.ItemDataRole.UserRole\n"
        "c = QSizePolicy.Expanding\n"
        "d = QSizePolicy.Policy.Expanding\n"
        "e = QVariant.Int  # qt5-only\n"
        "f = Action\n"
    )
    found = {(p["line"], p["name"]) for p in scan([source])}
    assert found == {
        (2, "PyQt6.QtWidgets.QAction"),
        (3, "PyQt6.QtNoSuchModule.Thing"),
        (8, "Qt.AlignCenter"),
        (10, "QSizePolicy.Expanding"),
    }


def test_scanner_sees_the_plugins_qt_names():
    """The plugin's sources are scanned at all (a scanner that finds nothing would pass the test above)."""
    sys.path.insert(0, str(SCANNER.parent))
    try:
        import qt6_names
    finally:
        sys.path.pop(0)
    import ast

    tree = ast.parse((ROOT / "mineland" / "ui" / "inspector.py").read_text(encoding="utf-8"))
    names = {local for local, *_ in qt6_names._imports(tree)}
    chains = {chain for chain, _ in qt6_names._chains(tree, names)}
    assert "Qt.ItemDataRole.UserRole" in chains


def test_metadata_declares_qt6_and_admits_qgis_4():
    metadata = configparser.ConfigParser()
    metadata.read(ROOT / "mineland" / "metadata.txt", encoding="utf-8")
    general = metadata["general"]
    assert general.getboolean("supportsQt6")
    maximum = [int(part) for part in general["qgisMaximumVersion"].split(".")]
    assert maximum[0] == 4 and maximum >= [4, 0]
    minimum = [int(part) for part in general["qgisMinimumVersion"].split(".")]
    assert minimum == [3, 22]
