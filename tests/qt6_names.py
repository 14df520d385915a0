"""Every qgis.PyQt name the plugin uses, resolved against PyQt6 (the Qt of QGIS 4).

Run with a Python that has PyQt6 (``.build/pyqt6/bin/python tests/qt6_names.py FILE...``; no display needed):
prints, as JSON, the names that do not resolve, each with its file and line. The sources are only parsed,
never imported. Names are the imports from ``qgis.PyQt.<module>`` (``QtCore``, ``QtWidgets``...) and every
attribute chain on them (``Qt.AlignmentFlag.AlignCenter``, ``QSizePolicy.Policy.Expanding``). Imports in a
``try`` whose ``except`` catches ImportError are alternatives: one of them resolving is enough (QAction lives
in QtWidgets on Qt5 and in QtGui on Qt6). A line marked ``# qt5-only`` runs only on Qt5 builds and is skipped.
"""

import ast
import importlib
import json
import sys

PYQT_PREFIX = "qgis.PyQt"
QT5_ONLY = "# qt5-only"


def _qt6_module(module):
    """qgis.PyQt.QtCore → PyQt6.QtCore (None for modules that are not qgis.PyQt)."""
    if module == PYQT_PREFIX:
        return "PyQt6"
    if module and module.startswith(PYQT_PREFIX + "."):
        return "PyQt6" + module[len(PYQT_PREFIX) :]
    return None


def _catches_import_error(handler):
    names = {"ImportError", "ModuleNotFoundError", "Exception"}
    kind = handler.type
    if kind is None:
        return True
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any(isinstance(k, ast.Name) and k.id in names for k in kinds)


def _imports(tree):
    """(local name, PyQt6 module, attribute or None, line, group): group ties the alternatives of one try."""
    found = []
    alternatives = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for branch, body in enumerate([node.body] + [h.body for h in node.handlers]):
                for statement in body:
                    for inner in ast.walk(statement):
                        alternatives.setdefault(id(inner), (id(node), branch))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _qt6_module(node.module)
            if module is None:
                continue
            for alias in node.names:
                attribute = alias.name
                if module == "PyQt6":  # from qgis.PyQt import QtCore: a module
                    module_name, attribute = f"PyQt6.{alias.name}", None
                else:
                    module_name = module
                found.append(
                    (alias.asname or alias.name, module_name, attribute, node.lineno, alternatives.get(id(node)))
                )
    return found


def _chains(tree, local_names):
    """(dotted chain, line) for every maximal attribute chain that starts at one of ``local_names``."""
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    chains = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parent = parents.get(id(node))
        if isinstance(parent, ast.Attribute) and parent.value is node:
            continue  # not the outermost attribute of its chain
        parts, inner = [], node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in local_names:
            chains.append((".".join([inner.id] + parts[::-1]), node.lineno))
    return chains


def _resolve(module_name, attribute):
    try:
        value = importlib.import_module(module_name)
    except ImportError:
        return None, False
    if attribute is None:
        return value, True
    if not hasattr(value, attribute):
        return None, False
    return getattr(value, attribute), True


def unresolved(path):
    """The names of one source file that PyQt6 does not have: dicts of file, line, name, why."""
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    tree = ast.parse(text, path)
    problems = []
    bound = {}
    groups = {}
    for local, module_name, attribute, line, group in _imports(tree):
        value, ok = _resolve(module_name, attribute)
        name = f"{module_name}.{attribute}" if attribute else module_name
        if group is None:
            if not ok and QT5_ONLY not in lines[line - 1]:
                problems.append({"file": path, "line": line, "name": name, "why": "import"})
        else:
            groups.setdefault(group[0], {}).setdefault(group[1], []).append((ok, name, line))
        if ok:
            bound.setdefault(local, value)
        else:
            bound.setdefault(local, None)
    for branches in groups.values():
        if not any(all(ok for ok, _, _ in imports) for imports in branches.values()):
            for imports in branches.values():
                problems.extend(
                    {"file": path, "line": line, "name": name, "why": "import (no alternative)"}
                    for ok, name, line in imports
                    if not ok
                )
    for chain, line in _chains(tree, set(bound)):
        if QT5_ONLY in lines[line - 1]:
            continue
        head, *rest = chain.split(".")
        value = bound[head]
        if value is None:
            continue  # the import itself is reported (or an unresolved alternative)
        for part in rest:
            if not hasattr(value, part):
                problems.append({"file": path, "line": line, "name": chain, "why": f"no attribute {part}"})
                break
            value = getattr(value, part)
    return problems


def main(paths):
    problems = [problem for path in paths for problem in unresolved(path)]
    json.dump(problems, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
