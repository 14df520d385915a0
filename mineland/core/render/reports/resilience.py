"""Report of mineland:integrity: ThV over time with the stage levels, threshold crossings, the table."""

from ...resilience import integrity
from .. import report

#: Zones drawn in the ThV chart (more lines would not be told apart).
CHART_ZONES = 12


def integrity_page(zone_ids, years, thv, levels, baseline, columns, rows):
    """ThV per zone over the dates with the a, b, c lines (Dong et al. 2025, Fig. 8 shape), the (fractional)
    years each level is first crossed, and the table of every zone and date.

    Parameters
    ----------
    zone_ids : list of str
    years : list of int, the dates
    thv : array (zones, dates), ThV = ECI / ECI_baseline (ratio), NaN where undefined
    levels : (a, b, c) ThV levels of the elastic, yield and mutation points
    baseline : int, index of the baseline date in ``years``
    columns, rows : header and rows of the per-zone-and-date table (as the algorithm's OUTPUT)
    """
    a, b, c = levels
    chart = report.lines_svg(
        years,
        {z: thv[k] for k, z in enumerate(zone_ids[:CHART_ZONES])},
        "ThV = ECI / ECI baseline (ratio)",
        levels=(("a elastic", a), ("b yield", b), ("c mutation", c)),
    )
    points = [(z, *(integrity.crossing_year(years, thv[k], level) for level in levels)) for k, z in enumerate(zone_ids)]
    return report.page(
        "Ecosystem integrity and threshold stages (Dong et al. 2025)",
        [
            report.heading("ThV over time"),
            chart,
            report.note(
                f"Baseline {years[baseline]}; levels a = {a:g}, b = {b:g}, c = {c:g}."
                + (f" Only the first {CHART_ZONES} zones are drawn." if len(zone_ids) > CHART_ZONES else "")
            ),
            report.heading("Years each threshold is first crossed (linear between dates; empty: not crossed)"),
            report.table(
                ["zone"] + [f"{name} (year)" for name in integrity.POINT_NAMES],
                points,
                kinds=["num"] + ["year"] * len(integrity.POINT_NAMES),
            ),
            report.heading("Integrity per zone and date"),
            report.table(list(columns), rows),
        ],
    )
