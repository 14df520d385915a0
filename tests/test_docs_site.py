"""The documentation site docs/site/ (built by `make docs` from docs/pages/) is current, its links and anchors
resolve offline, the methods page lists every reference the algorithms cite, and neither the site nor the README
points users to the developers' seed numbers or methods notes. Needs no QGIS."""

import glob
import html.parser
import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITE = os.path.join(ROOT, "docs", "site")
README = os.path.join(ROOT, "README.md")
DEVELOPER_ONLY = re.compile(r"seed 00\d|seeds 00\d|METHODS\.md", re.IGNORECASE)


def build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", os.path.join(ROOT, "tools", "build_docs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(path):
    return Path(path).read_text(encoding="utf-8")


class Links(html.parser.HTMLParser):
    """The href/src values and the id attributes of a page."""

    def __init__(self, text):
        super().__init__()
        self.links, self.ids = [], set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src"):
                self.links.append(value)
            elif name == "id":
                self.ids.add(value)


def site_pages():
    return sorted(glob.glob(os.path.join(SITE, "*.html")))


def test_the_site_is_up_to_date():
    """tools/build_docs.py --site run now gives the committed docs/site (rebuild it after changing a page)."""
    site = build_docs().render_site()
    assert sorted(site) == sorted(os.path.basename(path) for path in site_pages())
    for name, page in site.items():
        assert page == read(os.path.join(SITE, name)), f"docs/site/{name} is out of date: run make docs"


def test_every_page_has_the_navigation_and_its_title():
    module = build_docs()
    for name, title in module.PAGES:
        page = read(os.path.join(SITE, f"{name}.html"))
        assert f"<title>MineLand: {title}</title>" in page and f"<h1>{title}</h1>" in page, name
        for other, _ in module.PAGES:
            assert other == name or f'href="{other}.html"' in page, (name, other)
        assert 'href="../algorithms.html"' in page, name


def test_every_link_and_anchor_resolves_offline():
    checked = 0
    for path in site_pages() + [os.path.join(ROOT, "docs", "algorithms.html")]:
        for link in Links(read(path)).links:
            parts = urlsplit(link)
            assert not parts.scheme or parts.scheme == "https", (path, link)  # offline: no http:// nor files
            if parts.scheme:
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(path), parts.path)) if parts.path else path
            assert os.path.isfile(target), (os.path.basename(path), link)
            if parts.fragment:
                assert parts.fragment in Links(read(target)).ids, (os.path.basename(path), link)
            checked += 1
    assert checked > 100


def test_the_methods_page_lists_every_reference_the_algorithms_cite():
    references = build_docs().load_references()
    page = read(os.path.join(SITE, "methods.html"))
    ids = Links(page).ids
    for keys in references.CITED_BY.values():
        for key in keys:
            assert f"ref-{key}" in ids, key
    for key, entry in references.REFERENCES.items():
        assert f'<li id="ref-{key}">{entry.replace("&", "&amp;")}</li>' in page, key
    cited = set(re.findall(r'href="#ref-([a-z0-9]+)"', page))
    assert {"huang2024", "xu2025", "han2025", "dong2025", "mlri", "zhang2024"} <= cited  # the five studies, GLC


def test_no_page_nor_the_readme_cites_seed_numbers_or_methods_notes():
    found = []
    for path in site_pages() + glob.glob(os.path.join(ROOT, "docs", "pages", "*.html")) + [README]:
        found += [(os.path.basename(path), m.group()) for m in DEVELOPER_ONLY.finditer(read(path))]
    assert found == []


def test_the_site_is_self_contained():
    for path in site_pages():
        page = read(path)
        assert "<script" not in page and "http://" not in page, path


def test_the_readme_is_for_users_and_links_into_the_docs():
    text = read(README)
    assert len(text.splitlines()) <= 160
    for command in ("make package", "make install", "make demo", "make test"):
        assert command in text, command
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert any(link.startswith("docs/site/") for link in links)
    for link in links:
        if not urlsplit(link).scheme:
            assert os.path.exists(os.path.join(ROOT, link)), link


def test_render_site_reads_the_bodies_from_the_given_folder(tmp_path):
    module = build_docs()
    for name, _ in module.PAGES:
        (tmp_path / f"{name}.html").write_text(f"<p>body of {name}</p>\n", encoding="utf-8")
    site = module.render_site(str(tmp_path))
    assert "<p>body of testing</p>\n" in site["testing.html"]
    assert site["methods.html"].count('<h2 id="references">References</h2>') == 1  # appended to methods only
    assert "References</h2>" not in site["testing.html"]
