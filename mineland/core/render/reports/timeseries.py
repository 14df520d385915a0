"""Report of mineland:restorationsummary: restoration class shares per site, the clusters and the tests."""

import numpy as np

from ...timeseries import restoration, trend
from .. import report


def restoration_page(classes_file, reference_year, start_label, site_ids, shares, statistics, columns, rows, colours):
    """Per-site class shares (stacked bars and table), the k-means clusters and the tests (MLRI study §3.1).

    Parameters
    ----------
    classes_file : name of the class raster, for the note
    reference_year : int, duration = reference_year − start year
    start_label : name of the start-year field (or a phrase when it was not given)
    site_ids : list of str
    shares : restoration.SiteShares of the sites
    statistics : restoration.SiteStatistics (:func:`restoration.site_statistics`)
    columns, rows : header (column names with unit suffixes, e.g. area_km2) and rows of the per-site table
    colours : {class code 1–5: colour} of the class raster's legend
    """
    short = {code: name.lower() for code, name in restoration.RESTORATION_CLASSES.items()}
    bars = {
        trend.RESTORATION_NAMES.get(code, short[code].upper()): (colours[code], shares.class_pct[:, c])
        for c, code in enumerate(restoration.CLASS_CODES)
    }
    return report.page(
        "Restoration summary per mine site",
        [
            report.note(
                f"Classes: {classes_file} (MLRI study codes 1 SD, 2 ND, 3 NI, 4 SAI, 5 SCI); "
                f"shares in % of each site's classified area; duration = {reference_year} − {start_label}."
            ),
            report.heading("Restoration classes per site (% of its classified area)"),
            report.stacked_bars_svg(
                [str(site) for site in site_ids], bars, "share of the site's classified area (%)", "site"
            ),
            report.heading("Sites"),
            report.table([report.unit_header(name) for name in columns], rows),
            report.heading("Clusters (k-means on sai_pct, sci_pct)"),
            report.table(
                ["cluster", "sites", "mean SAI (%)", "mean SCI (%)", "mean SI (%)"],
                cluster_rows(statistics.clusters, shares),
                kinds=["num", "int", "pct", "pct", "pct"],
            ),
            report.heading("Tests"),
            report.table(["test", "of", "statistic", "value", "p", "n"], statistics_rows(statistics)),
            report.note("Empty cells: not computable (too few sites or groups, or constant values)."),
        ],
    )


def cluster_rows(clusters, shares):
    """(name, sites, centroid SAI %, centroid SCI %, mean SI %) per cluster, high first."""
    for c, name in enumerate(clusters.names):
        members = clusters.index == c
        yield (
            name,
            int(members.sum()),
            clusters.centroids[c, 0],
            clusters.centroids[c, 1],
            float(np.mean(shares.si_pct[members])),
        )


def statistics_rows(statistics):
    """(test, of, statistic, value, p, n) of the three Spearman and the two Kruskal-Wallis tests."""
    for label, result in statistics.spearman.items():
        method = "exact" if result.n <= restoration.EXACT_SPEARMAN_MAX_N else "t approximation"
        yield f"Spearman (p {method})", f"{label.lower()}_pct vs duration_yr", "rho", result.rho, result.p, result.n
    for what, result in (
        (statistics.kruskal_what, statistics.kruskal),
        ("si_pct across the clusters (circular, as in the MLRI study §3.1.3)", statistics.kruskal_clusters),
    ):
        h, p, n = (result.h, result.p, result.n) if result else (None, None, None)
        method = {"chi2": " (p from χ²)", "permutation": " (p by permutation)"}.get(result.method, "") if result else ""
        yield f"Kruskal-Wallis{method}", what, "H", h, p, n
