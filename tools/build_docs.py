"""Build the user documentation docs/algorithms.html from the algorithms' own definitions.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. /usr/bin/python3 tools/build_docs.py [FILE]

One self-contained page (no scripts, no external files; opens offline in any
browser and in QGIS's help window): a short introduction for users (what
MineLand does, how to install it, where outputs go, how to cite), then every
algorithm and shipped model with its id, group, help (formulas and choices), a
parameter table (key, label, type, default, optional, help), its outputs and
its references. Each section's anchor is the algorithm's name, which is what
helpUrl() appends, so the dialog's Help button opens the right section.
tests/test_docs.py rebuilds the page and fails when the committed one differs.

It also builds the documentation site docs/site/*.html (``make docs``): each
page's body is written by hand in docs/pages/<page>.html (HTML fragments: the
machine has no Markdown converter), and this script wraps it in the same
header, style and navigation; the methods page gets the full reference list of
algorithms/references.py appended, so no citation is written twice. The site
is committed (it ships in the plugin zip); tests/test_docs_site.py fails when
it is out of date. The site needs no QGIS: ``build_docs.py --site`` builds only it.
"""

import html
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(ROOT, "docs", "algorithms.html")
PAGES_DIR = os.path.join(ROOT, "docs", "pages")
SITE_DIR = os.path.join(ROOT, "docs", "site")
#: (file name without .html, title), in the order of the navigation bar.
PAGES = [
    ("index", "Overview"),
    ("qgis", "In the QGIS window"),
    ("methods", "Methods"),
    ("reliability", "Reliability"),
    ("performance", "Performance"),
    ("scaling", "Scaling (Dask)"),
    ("testing", "Testing"),
    ("development", "Development"),
    ("limitations", "Limitations"),
]

STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; line-height: 1.4; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; border-top: 1px solid #bbb; padding-top: 0.6em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.45em; vertical-align: top; text-align: left; }
th { background: #eee; } code { background: #f3f3f3; padding: 0 0.2em; }
.meta { color: #555; } .references { font-size: 0.92em; }
"""

INTRODUCTION = """
<p>MineLand adds a Processing provider (<code>mineland</code>) to QGIS with the analyses used in studies of
mining landscapes: land-cover reclassification, transfer matrices and land-use dynamic degrees, carbon stock and
change, per-pixel trends (Mann-Kendall, Sen's slope, Hurst) and the Mine Landscape Restoration Index, restoration
summaries per mine site, mine disturbance and reclamation, mine status, spatial autocorrelation (Moran's I, LISA)
and hot spots (Getis-Ord Gi*), mining patch statistics, ecosystem resilience and integrity, and desertification
sensitivity. Every algorithm runs from the Processing toolbox, in batch, in the Model Designer and headless with
<code>qgis_process</code>; rasters are read block by block, so memory does not grow with the raster size.</p>

<h3>Install</h3>
<p>QGIS 3.22 or later. In QGIS: <i>Plugins → Manage and Install Plugins → Install from ZIP</i>, choose
<code>mineland-&lt;version&gt;.zip</code>, then enable MineLand. No other Python package is needed (the
optional Hamed-Rao and Yue-Wang trend tests of mine status use <code>pymannkendall</code> when it is
installed). The algorithms appear in the Processing toolbox under <i>MineLand</i>; the menu <i>Plugins →
MineLand</i> has the pixel inspector (a time series and its trend at a clicked pixel), the toolbox filtered to
MineLand and this help.</p>

<h3>Where outputs go</h3>
<p>Every output is a file you choose in the dialog (or a temporary file, when left as
<i>[Save to temporary file]</i>, which the log names). Rasters are tiled, compressed GeoTIFFs (.tif) or Erdas
Imagine (.img); class rasters carry their class names and colours and open styled. Tables are written in the
format of their extension (e.g. .csv or .gpkg). Reports (optional <i>Report (HTML)</i>
outputs) are single self-contained HTML pages with their charts, for a browser or a paper. Results loaded in the
project are named after the output and its input layers.</p>

<h3>How to cite</h3>
<p>Cite the papers and methods listed under <i>References</i> in the section of each algorithm you used (the
same list appears at the end of the algorithm's help in its dialog), and MineLand with its version (see
<i>Plugins → Manage and Install Plugins</i>).</p>

<h3>More documentation</h3>
<p>The <a href="site/index.html">MineLand documentation</a> beside this page: the methods and their references,
what is checked on input and output, performance, running on a Dask cluster, testing and development.</p>
"""


#: A choice marked as unavailable on this machine ("… (needs pymannkendall, not installed)"): the page
#: describes what MineLand offers, whatever the machine that builds it has installed.
_NOT_INSTALLED = re.compile(r" \(needs [^()]*, not installed\)")


def options_of(definition):
    return [_NOT_INSTALLED.sub("", option) for option in definition.options()]


def text(value):
    return html.escape(str(value), quote=False)


def default_text(definition):
    """A parameter's default as the dialog would show it (empty for none)."""
    value = definition.defaultValue()
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return ""
    options = options_of(definition) if definition.type() == "enum" else None
    if options and isinstance(value, int) and 0 <= value < len(options):
        return f"{value} ({options[value]})"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def type_text(definition):
    kind = definition.type()
    if kind == "enum":
        options = "; ".join(f"{i} {option}" for i, option in enumerate(options_of(definition)))
        return f"enum: {options}"
    return kind


def parameter_help(algorithm, definition):
    if definition.help():
        return definition.help()
    help_content = algorithm.helpContent() if hasattr(algorithm, "helpContent") else {}
    return help_content.get(definition.name(), "")


def help_of(algorithm):
    """The help the dialog shows: the algorithm's short help, or a model's description."""
    if hasattr(algorithm, "helpContent"):
        return algorithm.helpContent().get("ALG_DESC", "")
    return algorithm.shortHelpString()


def parameter_table(algorithm):
    from qgis.core import QgsProcessingParameterDefinition

    rows = []
    for definition in algorithm.parameterDefinitions():
        if definition.isDestination():
            continue
        flags = definition.flags()
        optional = "yes" if flags & QgsProcessingParameterDefinition.FlagOptional else "no"
        if flags & QgsProcessingParameterDefinition.FlagAdvanced:
            optional += " (advanced)"
        rows.append(
            f"<tr><td><code>{text(definition.name())}</code></td><td>{text(definition.description())}</td>"
            f"<td>{text(type_text(definition))}</td><td>{text(default_text(definition))}</td>"
            f"<td>{optional}</td><td>{parameter_help(algorithm, definition)}</td></tr>"
        )
    head = "<tr><th>Key</th><th>Label</th><th>Type</th><th>Default</th><th>Optional</th><th>Help</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def output_table(algorithm):
    rows = [
        f"<tr><td><code>{text(o.name())}</code></td><td>{text(o.description())}</td><td>{text(o.type())}</td></tr>"
        for o in algorithm.outputDefinitions()
    ]
    return f"<table><tr><th>Key</th><th>Label</th><th>Type</th></tr>{''.join(rows)}</table>"


def section(algorithm, group):
    from mineland.algorithms.references import references_html, references_of

    name = algorithm.name()
    # the help ends with the references paragraph: the page lists them under their own heading instead
    body = help_of(algorithm).replace(references_html(name), "").rstrip().replace("\n", "<br>")
    while body.endswith("<br>"):
        body = body[: -len("<br>")]
    references = "".join(f"<li>{text(entry)}</li>" for entry in references_of(name))
    return (
        f'<h2 id="{name}">{text(algorithm.displayName())}</h2>\n'
        f'<p class="meta">Id <code>{text(algorithm.id())}</code> · group {text(group)}</p>\n'
        f"<p>{body}</p>\n<h3>Parameters</h3>\n{parameter_table(algorithm)}\n"
        f"<h3>Outputs</h3>\n{output_table(algorithm)}\n"
        f'<h3>References</h3>\n<ul class="references">{references}</ul>\n'
    )


def grouped(provider):
    """[(group display name, [algorithms sorted by display name])], in the toolbox's group order, models last."""
    from mineland.algorithms.base import GROUPS

    algorithms = list(provider.algorithms())
    groups = []
    for group_id, group_name in GROUPS.items():
        members = sorted(
            (a for a in algorithms if a.groupId() == group_id and not hasattr(a, "helpContent")),
            key=lambda a: a.displayName(),
        )
        groups.append((group_name, members))
    models = sorted((a for a in algorithms if hasattr(a, "helpContent")), key=lambda a: a.displayName())
    groups.append(("Workflows (models)", models))
    return [(name, members) for name, members in groups if members]


def render(provider):
    """The whole page, from the provider's algorithms and models."""
    groups = grouped(provider)
    contents = "".join(
        f"<li>{text(group)}: "
        + ", ".join(f'<a href="#{a.name()}">{text(a.displayName())}</a>' for a in members)
        + "</li>"
        for group, members in groups
    )
    sections = "".join(
        f'<h1 id="group-{i}">{text(group)}</h1>\n' + "".join(section(a, group) for a in members)
        for i, (group, members) in enumerate(groups)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>MineLand: algorithms and models</title>"
        f"<style>{STYLE}</style></head><body>\n<h1>MineLand: algorithms and models</h1>\n{INTRODUCTION}\n"
        f"<h3>Algorithms by group</h3>\n<ul>{contents}</ul>\n{sections}</body></html>\n"
    )


def start_provider():
    """A headless QGIS with the MineLand provider registered (models included), as tools/build_models.py starts
    it; returns the provider."""
    import importlib.util

    from qgis.core import QgsApplication

    spec = importlib.util.spec_from_file_location("build_models", os.path.join(ROOT, "tools", "build_models.py"))
    build_models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_models)
    build_models.start_qgis()
    start_provider.keep = build_models  # its QgsApplication and provider live as long as this process
    return QgsApplication.processingRegistry().providerById("mineland")


def load_references():
    """algorithms/references.py, loaded from its file (it imports nothing from QGIS; the package does)."""
    import importlib.util

    path = os.path.join(ROOT, "mineland", "algorithms", "references.py")
    spec = importlib.util.spec_from_file_location("mineland_references", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference_list():
    """Every citation of algorithms/references.py, each with the anchor ``ref-<key>`` the pages link to."""
    references = load_references().REFERENCES
    items = "".join(f'<li id="ref-{key}">{text(entry)}</li>\n' for key, entry in references.items())
    return f'<h2 id="references">References</h2>\n<ul class="references">\n{items}</ul>\n'


SITE_STYLE = """
.nav { font-size: 0.92em; border-bottom: 1px solid #bbb; padding-bottom: 0.4em; }
pre { background: #f3f3f3; padding: 0.5em; overflow-x: auto; } img { max-width: 100%; }
"""


def navigation(current):
    links = [
        f"<b>{text(title)}</b>" if name == current else f'<a href="{name}.html">{text(title)}</a>'
        for name, title in PAGES
    ]
    links.append('<a href="../algorithms.html">Algorithms and models</a>')
    return '<p class="nav">' + " · ".join(links) + "</p>"


def site_page(name, title, body):
    """One page of the site: the shared head, style and navigation around the page's own body."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>MineLand: {text(title)}</title><style>{STYLE}{SITE_STYLE}</style></head><body>\n"
        f"{navigation(name)}\n<h1>{text(title)}</h1>\n{body}{navigation(name)}\n</body></html>\n"
    )


def render_site(pages_dir=PAGES_DIR):
    """{file name: page} of the whole site, from the hand-written bodies in ``pages_dir``."""
    site = {}
    for name, title in PAGES:
        with open(os.path.join(pages_dir, f"{name}.html"), encoding="utf-8") as handle:
            body = handle.read()
        if name == "methods":
            body += reference_list()
        site[f"{name}.html"] = site_page(name, title, body)
    return site


def write_site(folder=SITE_DIR):
    os.makedirs(folder, exist_ok=True)
    for file_name, page in render_site().items():
        with open(os.path.join(folder, file_name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(page)
    print(os.path.join(folder, "index.html"))


def main(path=DEFAULT_PATH):
    page = render(start_provider())
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(page)
    print(path)
    write_site()


if __name__ == "__main__":
    if sys.argv[1:] == ["--site"]:
        write_site()
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH)
