"""Help texts and tooltips render in full as Qt rich text (a bare "<" would swallow the rest as a tag)."""

import html
import re

import numpy as np
import pytest

TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
BREAK = re.compile(r"<br\s*/?>|</?(p|h\d|li|ul|ol|table|tr|td|th|div)\b[^>]*>", re.IGNORECASE)


def words_as_rendered(rich):
    from qgis.PyQt.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(rich)
    return document.toPlainText().split()


def words_of_source(rich):
    return html.unescape(TAG.sub("", BREAK.sub(" ", rich))).split()


def algorithms(provider):
    return sorted(provider.algorithms(), key=lambda a: a.id())


def test_every_algorithm_help_renders_every_word(provider):
    for algorithm in algorithms(provider):
        text = algorithm.shortHelpString()
        assert words_as_rendered(text) == words_of_source(text), algorithm.id()


def test_every_parameter_help_and_tooltip_render_every_word(provider):
    for algorithm in algorithms(provider):
        for definition in algorithm.parameterDefinitions():
            if definition.help():
                assert words_as_rendered(definition.help()) == words_of_source(definition.help()), (
                    f"{algorithm.id()} {definition.name()}"
                )
                assert " ".join(words_of_source(definition.help())) in " ".join(
                    words_as_rendered(definition.toolTip())
                ), f"{algorithm.id()} {definition.name()} tooltip"


def test_model_help_renders_every_word(provider):
    models = [a for a in algorithms(provider) if hasattr(a, "helpContent")]
    assert models
    for model in models:
        for key, text in model.helpContent().items():
            assert words_as_rendered(text) == words_of_source(text), f"{model.id()} {key}"


@pytest.mark.parametrize(
    "source, shown",
    [
        ("p < 0.05 and <b>bold</b>", "p < 0.05 and bold"),
        ("x<=1, y <2<br>next", "x<=1, y <2 next"),
    ],
)
def test_bare_less_than_is_escaped_and_tags_kept(qgis_app, source, shown):
    from mineland.algorithms.base import rich_text

    assert words_as_rendered(rich_text(source)) == shown.split()


@pytest.mark.parametrize(
    "word, algorithm",
    [
        ("LISA", "moran"),
        ("cluster and outlier", "moran"),
        ("hot spot", "hotspots"),
        ("cross tabulation", "transfermatrix"),
        ("change matrix", "transfermatrix"),
        ("InVEST", "carbonstock"),
        ("carbon", "carbonstock"),
        ("Theil-Sen", "trend"),
        ("NDVI", "trend"),
        ("EVI", "mlri"),
        ("LST", "mlri"),
        ("confusion matrix", "accuracy"),
    ],
)
def test_toolbox_search_words_find_the_algorithm(provider, word, algorithm):
    """The toolbox's filter matches tags as well as names (QgsProcessingToolboxProxyModel)."""
    found = [
        a.name()
        for a in provider.algorithms()
        if word.lower() in a.displayName().lower() or any(word.lower() in t.lower() for t in a.tags())
    ]
    assert algorithm in found


def test_every_algorithm_has_tags(provider):
    for algorithm in provider.algorithms():
        if not hasattr(algorithm, "helpContent"):  # the shipped models carry none
            assert len(algorithm.tags()) >= 4, algorithm.id()


def test_messages_name_the_parameter_by_its_label_too(run, tmp_path):
    from qgis.core import QgsProcessingException

    from rasters import write_raster

    path = write_raster(tmp_path / "lc.tif", np.array([[10, 20], [30, 40]], dtype="uint8"))
    with pytest.raises(QgsProcessingException) as err:
        run("mineland:reclassify", {"INPUT": path, "PRESET": 0, "OUTPUT": str(tmp_path / "out.tif")})
    message = str(err.value)
    assert message.startswith("TABLE: ")  # the key first: scripts read it
    assert message.endswith("(TABLE is “Reclassification table (overrides the preset)” in the dialog)")
