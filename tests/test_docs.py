"""The user documentation: the methods page is current, every help cites its references, nothing a user reads
points to the developers' seed numbers or METHODS.md, helpUrl opens the algorithm's section offline, and the
Plugins menu's help shows that page."""

import ast
import glob
import importlib.util
import os
import re
from types import SimpleNamespace

from qgis.PyQt.QtCore import QUrl

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENT = os.path.join(ROOT, "docs", "algorithms.html")
#: What users do not have: the developers' seed numbers and their methods notes.
DEVELOPER_ONLY = re.compile(r"seed 00\d|seeds 00\d|METHODS\.md", re.IGNORECASE)


def build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", os.path.join(ROOT, "tools", "build_docs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_model(algorithm):
    return hasattr(algorithm, "helpContent")


def user_texts(provider):
    """(where, text) of everything the dialogs, the toolbox and the model help show."""
    for algorithm in provider.algorithms():
        where = algorithm.id()
        yield where, algorithm.displayName()
        yield where, algorithm.shortHelpString()
        yield where, algorithm.group()
        if is_model(algorithm):
            for key, value in algorithm.helpContent().items():
                yield f"{where} help {key}", value
        for definition in algorithm.parameterDefinitions():
            name = f"{where} {definition.name()}"
            yield name, definition.description()
            yield name, definition.help()
            yield name, definition.toolTip()
            if definition.type() == "enum":
                yield name, " ".join(definition.options())
        for output in algorithm.outputDefinitions():
            yield f"{where} {output.name()}", output.description()


def source_strings(path):
    """The string constants of a module that are not docstrings (messages, labels, report texts)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_the_methods_document_is_up_to_date(provider):
    """tools/build_docs.py run now gives the committed docs/algorithms.html (rebuild it after changing a help)."""
    page = build_docs().render(provider)
    with open(DOCUMENT, encoding="utf-8") as handle:
        committed = handle.read()
    assert page == committed, (
        "docs/algorithms.html is out of date: run QT_QPA_PLATFORM=offscreen "
        "PYTHONPATH=. /usr/bin/python3 tools/build_docs.py"
    )


def test_the_document_has_every_algorithm_and_model_with_its_parts(provider):
    page = open(DOCUMENT, encoding="utf-8").read()
    for algorithm in provider.algorithms():
        start = page.index(f'<h2 id="{algorithm.name()}">')
        end = page.find("<h2 ", start + 1)
        part = page[start : end if end > 0 else len(page)]
        assert f"<code>{algorithm.id()}</code>" in part, algorithm.id()
        for heading in ("Parameters", "Outputs", "References"):
            assert f"<h3>{heading}</h3>" in part, (algorithm.id(), heading)
        for definition in algorithm.parameterDefinitions():
            if not definition.isDestination():
                assert f"<code>{definition.name()}</code>" in part, (algorithm.id(), definition.name())
        for output in algorithm.outputDefinitions():
            assert f"<code>{output.name()}</code>" in part, (algorithm.id(), output.name())
        assert re.search(r'<ul class="references"><li>[^<]+</li>', part), algorithm.id()
    for words in ("Install", "Where outputs go", "How to cite", "Algorithms by group"):
        assert words in page
    assert "<script" not in page and "http://" not in page  # self-contained, offline


def test_no_user_facing_text_cites_seed_numbers_or_methods_notes(provider):
    found = [
        (where, DEVELOPER_ONLY.search(text).group())
        for where, text in user_texts(provider)
        if text and DEVELOPER_ONLY.search(text)
    ]
    files = [DOCUMENT, os.path.join(ROOT, "mineland", "metadata.txt")]
    files += glob.glob(os.path.join(ROOT, "mineland", "models", "*.model3"))
    for path in files:
        text = open(path, encoding="utf-8").read()
        found += [(os.path.basename(path), m.group()) for m in DEVELOPER_ONLY.finditer(text)]
    # messages, labels and report texts written in the code (comments and docstrings are for developers)
    modules = glob.glob(os.path.join(ROOT, "mineland", "**", "*.py"), recursive=True)
    for path in modules:
        found += [
            (f"{os.path.basename(path)}:{line}", DEVELOPER_ONLY.search(text).group())
            for line, text in source_strings(path)
            if DEVELOPER_ONLY.search(text)
        ]
    assert found == []


def test_the_readme_user_sections_cite_papers():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    user = readme[readme.index("## Algorithms") : readme.index("## Layout")]
    assert DEVELOPER_ONLY.findall(user) == []


def test_every_help_ends_with_its_references(provider):
    from mineland.algorithms.references import CITED_BY, HEADING, REFERENCES

    assert all(key in REFERENCES for keys in CITED_BY.values() for key in keys)
    for algorithm in provider.algorithms():
        keys = CITED_BY.get(algorithm.name())
        assert keys, f"{algorithm.id()} cites nothing in algorithms/references.py"
        text = algorithm.helpContent()["ALG_DESC"] if is_model(algorithm) else algorithm.shortHelpString()
        paragraph = text[text.index(f"<b>{HEADING}</b>") :]
        assert text.rstrip().endswith(paragraph.rstrip()), algorithm.id()  # the last paragraph
        for key in keys:  # each entry as written once, in references.py (escaped as rich text)
            assert REFERENCES[key].replace("&", "&amp;") in paragraph, (algorithm.id(), key)


def test_help_url_opens_the_section_of_the_algorithm(provider):
    page = open(DOCUMENT, encoding="utf-8").read()
    for algorithm in provider.algorithms():
        url = QUrl(algorithm.helpUrl())
        assert url.isLocalFile(), (algorithm.id(), algorithm.helpUrl())
        assert os.path.samefile(url.toLocalFile(), DOCUMENT), algorithm.id()
        assert url.fragment() == algorithm.name()
        assert f'id="{url.fragment()}"' in page, algorithm.id()


def test_plugin_help_opens_the_user_documentation(qgis_app):
    from mineland.plugin import MineLandPlugin

    plugin = MineLandPlugin(SimpleNamespace(mainWindow=lambda: None))
    dialog = plugin.show_help()
    try:
        shown = dialog.browser.toPlainText()
        assert dialog.isVisible() and dialog.windowTitle() == "MineLand help"
        assert os.path.samefile(dialog.browser.source().toLocalFile(), DOCUMENT)
        for words in ("MineLand adds a Processing provider", "How to cite", "mineland:trend", "Huang, L. (2024)"):
            assert words in shown
        assert "## Tests" not in shown and "make test" not in shown  # not the developers' README
        dialog.browser.scrollToAnchor("moran")  # the sections' anchors work in the window too
        assert dialog.open_button.text() == "Open in web browser"
    finally:
        dialog.close()
