"""Reports of the mine algorithms: disturbance and reclamation (mineland:disturbance), boundary refinement."""

from ...landcover import reclass
from ...mines import disturbance
from .. import report

DEV_COLOUR, REC_COLOUR = "#b2182b", "#1b7837"


def disturbance_page(years, dev_m2, rec_m2, loss_m2, gain_m2, green_codes, class_names=None):
    """Annual DEV and REC of all polygons together (Xu et al. 2025, Fig. 6a shape) and, per vegetation class,
    the area lost to mining and gained by reclamation.

    Parameters
    ----------
    years : list of int, the dates of the land-cover maps
    dev_m2, rec_m2 : arrays (polygons, epochs), m² disturbed / reclaimed per polygon and epoch between maps
    loss_m2, gain_m2 : arrays (polygons, epochs, classes), m² per vegetation class of ``green_codes``
    green_codes : vegetation class codes
    class_names : {code: name}, default the land-cover classes of Xu et al. (reclass.SEED001_CLASSES)
    """
    names = reclass.SEED001_CLASSES if class_names is None else class_names
    annual_years, dev = disturbance.spread_over_years(dev_m2.sum(axis=0), years)
    _, rec = disturbance.spread_over_years(rec_m2.sum(axis=0), years)
    by_class = [
        (f"{code} {names.get(code, '')}".strip(), loss_m2[:, :, k].sum() / 1e6, gain_m2[:, :, k].sum() / 1e6)
        for k, code in enumerate(green_codes)
    ]
    return report.page(
        "Mining disturbance and reclamation",
        [
            report.note("All polygons together; epochs longer than a year are spread evenly over their years."),
            report.bars_svg(
                [str(y) for y in annual_years],
                {"DEV: disturbed by mining": (DEV_COLOUR, dev / 1e6), "REC: reclaimed": (REC_COLOUR, rec / 1e6)},
                "area per year (km²)",
                "year",
            ),
            report.table(
                ["year", "DEV (km²)", "REC (km²)"], zip(annual_years, dev / 1e6, rec / 1e6), kinds=["int", "num", "num"]
            ),
            report.heading("By land-cover class"),
            report.table(["class", "lost to mining, DEV (km²)", "gained by reclamation, REC (km²)"], by_class),
        ],
    )


def refinement_page(steps):
    """The steps of the mine boundary refinement (Xu et al. 2025, §2.1): (step, polygons, area km²) each."""
    return report.page(
        "Mine boundary refinement (Xu et al. 2025, §2.1)", [report.table(["step", "polygons", "area km²"], steps)]
    )
