"""The one list parser (core.io.tables.parse_list) and the one parameter-error helper (algorithms.checks.
parameter_errors) every algorithm uses, with the messages users see."""

import argparse

import pytest

from mineland.core.io.tables import list_items, parse_list
from mineland.core.landcover import dynamics
from mineland.core.resilience import resilience
from mineland.core.spatial import patches
from rasters import write_raster
from test_alg_disturbance import mine_polygons
from test_core_disturbance import Y1990

# ----------------------------------------------------------------- list parser


@pytest.mark.parametrize(
    "text, items",
    [
        ("1985,2000,2020", ["1985", "2000", "2020"]),
        (" 1985 , 2000; 2020 ;", ["1985", "2000", "2020"]),  # either separator, spaces and a trailing one dropped
        ("", []),
        (None, []),
        (" ,; ,", []),
        ("Bare land, built", ["Bare land", "built"]),  # a space inside an item is kept
    ],
)
def test_list_items(text, items):
    assert list_items(text) == items


def test_list_items_with_spaces_as_separators():
    assert list_items("1985 2000,2020", separators=",; ") == ["1985", "2000", "2020"]
    assert list_items("1;2,3", separators=",") == ["1;2", "3"]


def test_parse_list_casts_every_item():
    assert parse_list("1, 2;3", int) == [1, 2, 3]
    assert parse_list("0.5, -2e3", float) == [0.5, -2000.0]
    assert parse_list("", int) == []


def test_parse_list_message_replaces_the_casts_error():
    with pytest.raises(ValueError, match="^codes must be whole numbers, got '1, x'$") as caught:
        parse_list("1, x", int, "codes must be whole numbers, got '1, x'")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_parse_list_without_message_raises_the_casts_error():
    with pytest.raises(ValueError, match="could not convert string to float: 'x'"):
        parse_list("1, x", float)
    with pytest.raises(ValueError, match="invalid literal for int"):
        parse_list("1.5", int)


def test_core_lists():
    assert dynamics.parse_years("1985 2000;2020", 3) == [1985, 2000, 2020]
    assert dynamics.parse_groups("Farm=1, 2; Built=7") == [("Farm", [1, 2]), ("Built", [7])]
    assert patches.parse_thresholds("10; 1, 10") == [1.0, 10.0]
    assert resilience.parse_scores("1=0.5; 2 = 0.9,") == {1: 0.5, 2: 0.9}


@pytest.mark.parametrize(
    "parse, text, message",
    [
        (
            lambda text: dynamics.parse_years(text, 2),
            "1985,20x0",
            "years must be whole numbers separated by commas, e.g. 1985,2000,2020; got '1985,20x0'",
        ),
        (dynamics.parse_groups, "Farm=1,a", "the codes of group 'Farm' must be whole numbers separated by commas"),
        (patches.parse_thresholds, "1, big", "thresholds must be numbers in km² separated by commas, got '1, big'"),
        (resilience.parse_scores, "1=0.5, 2", "'2' is not code=score (e.g. 2=0.9)"),
    ],
)
def test_core_list_messages(parse, text, message):
    with pytest.raises(ValueError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_scaleout_years_argument():
    from mineland.core.engine import scaleout

    assert scaleout._years("2000, 2005;2010") == [2000, 2005, 2010]
    with pytest.raises(
        argparse.ArgumentTypeError, match="^years must be whole numbers separated by commas, got '2000,x'$"
    ):
        scaleout._years("2000,x")


# --------------------------------------------------------- parameter errors


def test_parameter_errors_names_the_parameter(qgis_app):
    from qgis.core import QgsProcessingException

    from mineland.algorithms.checks import parameter_errors

    with pytest.raises(QgsProcessingException) as caught:
        with parameter_errors("TABLE"):
            raise ValueError("row 2 has no class")
    assert str(caught.value) == "TABLE: row 2 has no class"


def test_parameter_errors_prefix_and_kinds(qgis_app):
    from qgis.core import QgsProcessingException

    from mineland.algorithms.checks import parameter_errors

    with pytest.raises(QgsProcessingException) as caught:
        with parameter_errors("INPUT", prefix="mine 7: "):
            raise ValueError("too few years")
    assert str(caught.value) == "INPUT: mine 7: too few years"
    with pytest.raises(QgsProcessingException) as caught:
        with parameter_errors("TABLE_CSV", (OSError, ValueError)):
            raise OSError("the file 'x.csv' does not exist")
    assert str(caught.value) == "TABLE_CSV: the file 'x.csv' does not exist"


def test_parameter_errors_lets_other_exceptions_and_results_through(qgis_app):
    from mineland.algorithms.checks import parameter_errors

    with pytest.raises(OSError):  # not one of the errors asked for: a bug, not a bad value; it stays as it is
        with parameter_errors("TABLE"):
            raise OSError("disk")
    with parameter_errors("TABLE"):
        value = int("5")
    assert value == 5

    def first(text):
        with parameter_errors("YEARS"):
            return parse_list(text, int)

    assert first("1,2") == [1, 2]


# ---------------------------------------------------- through an algorithm


@pytest.mark.parametrize(
    "codes, message",
    [
        ("1, x", "MINE_CLASSES: class codes must be whole numbers separated by commas, got '1, x'"),
        (" ; ", "MINE_CLASSES: give at least one class code"),
    ],
)
def test_class_code_lists_through_disturbance(run, tmp_path, codes, message):
    from qgis.core import QgsProcessingException

    paths = [write_raster(tmp_path / f"lc{y}.tif", Y1990.astype("uint8"), nodata=0) for y in (1990, 1995)]
    with pytest.raises(QgsProcessingException) as caught:
        run(
            "mineland:disturbance",
            {
                "MINES": mine_polygons(),
                "ID_FIELD": "name",
                "INPUTS": paths,
                "YEARS": "1990,1995",
                "MINE_CLASSES": codes,
                "OUTPUT": str(tmp_path / "long.csv"),
            },
        )
    assert str(caught.value).startswith(message + " (MINE_CLASSES is “")
