"""The algorithms' help texts, read from files: mineland/help/<algorithm name>.html.

Each file is an HTML fragment (the subset of HTML Qt's rich text renders: <b>, <i>, <br>, lists …) as the
dialog's help panel shows it. A paragraph several algorithms share is written once, in
mineland/help/shared/<key>.html, and named in an algorithm's file by the placeholder ``{{key}}``, which
:func:`algorithm_help` replaces by that file's text. Files end with one newline, which is not part of the
text (an editor adds it). The base class (common.MineLandAlgorithm) appends the raster-output paragraph and
the references; this module imports nothing from QGIS.
"""

import functools
import os
import re

HELP_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "help")
SHARED_DIR = os.path.join(HELP_DIR, "shared")
#: ``{{areas}}``: the text of shared/areas.html.
PLACEHOLDER = re.compile(r"\{\{([a-z0-9_]+)\}\}")


def read_text(path):
    """A help file's text, without the newline that ends the file."""
    with open(path, encoding="utf-8") as handle:
        return handle.read().removesuffix("\n")


def expand(text):
    """``text`` with every ``{{key}}`` replaced by the shared paragraph of that key (which may name others)."""
    return PLACEHOLDER.sub(lambda match: shared_help(match.group(1)), text)


@functools.cache
def shared_help(key):
    """A shared paragraph, mineland/help/shared/<key>.html, its placeholders expanded."""
    return expand(read_text(os.path.join(SHARED_DIR, f"{key}.html")))


@functools.cache
def algorithm_help(name):
    """The help of the algorithm ``name`` (its NAME), mineland/help/<name>.html, its placeholders expanded.

    A missing file raises FileNotFoundError: every algorithm has one (tests/test_help_files.py)."""
    return expand(read_text(os.path.join(HELP_DIR, f"{name}.html")))
