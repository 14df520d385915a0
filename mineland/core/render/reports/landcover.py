"""Reports of the land-cover algorithms: transitions (mineland:transfermatrix), land-use dynamics, carbon stock.

Classes are labelled "code name" from ``names`` {code: name}, "class N" for a code without a name (as the
algorithms' tables).
"""

from ...landcover import carbon, dynamics
from .. import report


def class_label(names, code):
    """A class's name, "class N" when ``names`` has none."""
    return names.get(int(code), f"class {int(code)}")


def coded_label(names, code):
    """ "3 Grassland": the code and the name of a class, as the reports' legends and tables show it."""
    return f"{int(code)} {class_label(names, code)}"


def transitions_page(files, classes, km2, matrix, names, colours, end_colours=None, changed_m2=0.0, total_m2=0.0):
    """Sankey diagram of the transitions (km² on bands and nodes), the matrix and the transitions largest first.

    Parameters
    ----------
    files : (start, end) names of the two dates (the rasters' file names)
    classes : class codes of the matrix's rows and columns
    km2 : array (classes, classes), area (km²) that was class i at the start and class j at the end
    matrix : (header, rows) of the km² matrix with its totals, losses, gains and net change
    names : {code: name}
    colours, end_colours : {code: colour} of the classes on the start and end maps (end default: start)
    changed_m2, total_m2 : area (m²) that changed class, and of all pixels with data at both dates
    """
    classes = [int(c) for c in classes]
    labels = [coded_label(names, c) for c in classes]
    flows = [(i, j, km2[i, j]) for i in range(len(classes)) for j in range(len(classes)) if km2[i, j] > 0]
    total_km2 = total_m2 / 1e6
    end_colours = end_colours or colours
    return report.page(
        f"Land-cover transitions {files[0]} → {files[1]}",
        [
            report.sankey_svg(
                labels,
                labels,
                flows,
                [colours[c] for c in classes],
                files[0],
                files[1],
                right_colours=[end_colours[c] for c in classes],
            ),
            report.note(
                f"Changed {report.significant(changed_m2 / 1e6)} km² of "
                f"{report.significant(total_km2)} km² "
                f"({changed_m2 / total_m2 * 100:.2f} %). "
                "Band and node widths ∝ area; bands thicker than the labels' font carry their km²."
            ),
            report.heading("Transfer matrix (km²)"),
            report.table(*matrix),
            report.note(
                "Rows: start class, columns: end class. Loss = start total − unchanged, gain = end total − "
                "unchanged, net = end total − start total (as the OUTPUT_MATRIX CSV)."
            ),
            report.heading("Transitions (largest first)"),
            report.table(
                ["from", "to", "area (km²)", "share of the area (%)"],
                [(labels[i], labels[j], v, v / total_km2 * 100.0) for i, j, v in sorted(flows, key=lambda f: -f[2])],
            ),
        ],
    )


def dynamics_page(years, classes_per_date, area_m2_per_date, names, periods, group_rows=(), colours=None):
    """Area by class over the dates (in the classes' map ``colours``), group shares and S / LC per period.

    Parameters
    ----------
    years : list of int
    classes_per_date, area_m2_per_date : per date, the class codes present and their area (m²)
    names : {code: name}
    periods : dynamics.PeriodDynamics (year_start, year_end, s_index per year, lc_pct_per_year, changed_pct)
    group_rows : (year, group, area_km2, share_pct) rows, date by date; no group section when empty
    colours : {code: colour}
    """
    classes, km2 = dynamics.class_series(classes_per_date, [a / 1e6 for a in area_m2_per_date])
    areas = {coded_label(names, c): row for c, row in zip(classes, km2)}
    colours = colours or {}
    line_colours = {coded_label(names, c): colours[int(c)] for c in classes if int(c) in colours}
    sections = [
        report.heading("Area by class"),
        report.lines_svg(years, areas, "area (km²)", colours=line_colours),
        report.table(["class"] + [f"{y} (km²)" for y in years], [[k] + list(v) for k, v in areas.items()]),
    ]
    if group_rows:
        shares = {}
        for _, name, _, share in group_rows:
            shares.setdefault(name, []).append(share)
        sections += [
            report.heading("Class groups (share of the area with data, %)"),
            report.lines_svg(years, shares, "share of the area with data (%)"),
            report.table(["group"] + [f"{y} (%)" for y in years], [[k] + v for k, v in shares.items()]),
        ]
    sections += [
        report.heading("Comprehensive dynamic degree per period"),
        report.table(
            ["period", "S (per year)", "LC (% per year)", "changed %"],
            [(f"{p.year_start}–{p.year_end}", p.s_index, p.lc_pct_per_year, p.changed_pct) for p in periods],
        ),
    ]
    return report.page("Land-use dynamics", sections)


def carbon_page(years, classes_per_date, carbon_mg_per_date, names, density, source, colours=None):
    """Carbon (Mt) by class over the dates (Huang 2024, Fig. 9/10 shape), the table behind it and the densities.

    Parameters
    ----------
    years : list of int
    classes_per_date, carbon_mg_per_date : per date, the class codes present and their carbon stock (Mg)
    names : {code: name}
    density : {code: total carbon density used, Mg/ha}
    source : where the densities come from (the carbon table's file, or the paper)
    colours : {code: colour} of the classes on the map; the total is drawn black and dashed
    """
    classes, mt = dynamics.class_series(classes_per_date, [c / carbon.MG_PER_MT for c in carbon_mg_per_date])
    labels = [coded_label(names, c) for c in classes]
    colours = colours or {}
    series = dict(zip(labels, mt))
    series["Total"] = mt.sum(axis=0)
    line_colours = {label: colours[int(c)] for label, c in zip(labels, classes) if int(c) in colours}
    line_colours["Total"] = report.TOTAL_COLOUR
    return report.page(
        "Carbon stock by class",
        [
            report.lines_svg(years, series, "carbon stock (Mt C)", colours=line_colours, dashed=("Total",)),
            report.table(
                ["class"] + [f"{y} (Mt)" for y in years], [[label] + list(row) for label, row in series.items()]
            ),
            report.note("Mt = 10⁶ Mg of carbon; areas × densities of the carbon table (Mg/ha)."),
            report.table(
                ["class", f"density used, Mg/ha ({source})"],
                [[coded_label(names, c), density[c]] for c in sorted(density)],
            ),
        ],
    )
