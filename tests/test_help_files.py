"""The algorithms' help lives in files, mineland/help/<name>.html, shared paragraphs in mineland/help/shared/,
read by mineland/algorithms/help.py: every algorithm has its file, every file its algorithm, every shared
paragraph is used and written once, and no placeholder reaches a dialog."""

import glob
import os
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELP_DIR = os.path.join(ROOT, "mineland", "help")


def read(path):
    return Path(path).read_text(encoding="utf-8")


def algorithm_names(provider):
    return sorted(a.name() for a in provider.algorithms() if not hasattr(a, "helpContent"))  # models: .model3


def help_files(folder=HELP_DIR):
    return {os.path.basename(path)[: -len(".html")]: path for path in glob.glob(os.path.join(folder, "*.html"))}


def test_every_algorithm_has_its_help_file_and_every_file_its_algorithm(provider):
    assert sorted(help_files()) == algorithm_names(provider)


def test_the_loader_is_the_package_folder():
    from mineland.algorithms import help as help_module

    assert os.path.samefile(help_module.HELP_DIR, HELP_DIR)


def test_every_file_ends_with_one_newline_which_is_not_part_of_the_text():
    from mineland.algorithms.help import read_text

    paths = list(help_files().values()) + list(help_files(os.path.join(HELP_DIR, "shared")).values())
    assert len(paths) > 20
    for path in paths:
        raw = read(path)
        assert raw.endswith("\n") and not raw.endswith("\n\n"), path
        assert read_text(path) == raw[:-1]


def test_read_text_drops_only_the_last_newline(tmp_path):
    from mineland.algorithms.help import read_text

    (tmp_path / "a.html").write_text("one\n\ntwo\n\n", encoding="utf-8")
    (tmp_path / "b.html").write_text("no newline", encoding="utf-8")
    assert read_text(tmp_path / "a.html") == "one\n\ntwo\n"
    assert read_text(tmp_path / "b.html") == "no newline"


def test_placeholders_are_replaced_by_the_shared_paragraph():
    from mineland.algorithms.help import SHARED_DIR, expand, read_text

    areas = read_text(os.path.join(SHARED_DIR, "areas.html"))
    assert areas.startswith("areas on the ellipsoid of the raster's CRS")
    assert expand("Areas: {{areas}}.") == f"Areas: {areas}."
    assert expand("{{areas}} and {{areas}}") == f"{areas} and {areas}"
    assert expand("no placeholder {areas} {{ areas }}") == "no placeholder {areas} {{ areas }}"  # only {{key}}
    with pytest.raises(FileNotFoundError):
        expand("{{no_such_paragraph}}")


def test_an_algorithm_help_is_its_file_expanded():
    from mineland.algorithms.help import algorithm_help, shared_help

    source = read(os.path.join(HELP_DIR, "carbonstock.html"))[:-1]
    assert "{{areas}}" in source and "{{series}}" in source
    expected = source.replace("{{areas}}", shared_help("areas")).replace("{{series}}", shared_help("series"))
    assert algorithm_help("carbonstock") == expected
    with pytest.raises(FileNotFoundError):
        algorithm_help("nosuchalgorithm")


def test_every_shared_paragraph_is_used_and_written_once():
    """Each shared file is named by an algorithm's file (raster_outputs: appended by the base class), and its
    text is not copied into any algorithm's file."""
    shared = help_files(os.path.join(HELP_DIR, "shared"))
    sources = {name: read(path) for name, path in help_files().items()}
    base = read(os.path.join(ROOT, "mineland", "algorithms", "base.py"))
    for key, path in shared.items():
        used = [name for name, text in sources.items() if "{{" + key + "}}" in text]
        assert used or f'shared_help("{key}")' in base, key
        text = read(path)[:-1]
        assert not [name for name, source in sources.items() if text in source], key


def test_no_placeholder_reaches_a_dialog(provider):
    for algorithm in provider.algorithms():
        text = algorithm.shortHelpString() if not hasattr(algorithm, "helpContent") else ""
        assert "{{" not in text and "}}" not in text, algorithm.id()


def test_raster_output_paragraph_only_for_raster_writers(provider):
    from qgis.core import QgsProcessingParameterRasterDestination

    from mineland.algorithms.help import shared_help

    paragraph = shared_help("raster_outputs")
    for algorithm in provider.algorithms():
        if hasattr(algorithm, "helpContent"):
            continue
        writes_raster = any(
            isinstance(d, QgsProcessingParameterRasterDestination) for d in algorithm.destinationParameterDefinitions()
        )
        assert (paragraph in algorithm.shortHelpString()) == writes_raster, algorithm.id()
