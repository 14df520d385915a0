"""The outputs of a transfer matrix that the toolbox and the command line share: class labels, the km²
matrix CSV with its gains and losses, and the change raster's pair names and legend."""

from __future__ import annotations

import csv
from collections.abc import Mapping

from ..io import tables
from ..render import styles
from . import crosstab

#: The change raster's band name: the legend's title in QGIS.
CHANGE_BAND_NAME = "change (start class → end class)"

#: Colour of unchanged pixels in the change raster's legend.
UNCHANGED_COLOUR = "#d9d9d9"


class CodeNames(Mapping):
    """Names that are the class codes themselves ("7"), for change rasters named by code alone."""

    def __getitem__(self, code):
        return str(int(code))

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


def class_label(names: Mapping[int, str], code: int) -> str:
    """A class's name, or "class <code>" when it has none."""
    return names.get(int(code), f"class {int(code)}")


def change_names(coding: crosstab.ChangeCoding, names: Mapping[int, str]) -> dict[int, str]:
    """{code: "from → to"} of the change raster's attribute table."""
    return coding.names(lambda c: class_label(names, c))


def change_legend(
    table: crosstab.PairTable, names: Mapping[int, str], coding: crosstab.ChangeCoding | int
) -> dict[int, tuple[str, str]]:
    """{code: (colour, "from → to")} of the transitions present: unchanged pixels grey, changes in palette colours.

    ``coding`` is the change raster's crosstab.ChangeCoding (an int is taken as the from × factor + to multiplier).
    """
    if not isinstance(coding, crosstab.ChangeCoding):
        coding = crosstab.ChangeCoding(int(coding), (), tuple(zip(table.from_class.tolist(), table.to_class.tolist())))
    colours = styles.class_colours(range(len(coding.pairs)))
    return {
        code: (UNCHANGED_COLOUR, f"{class_label(names, f)} (unchanged)")
        if f == t
        else (colours[k], f"{class_label(names, f)} → {class_label(names, t)}")
        for k, (code, (f, t)) in enumerate(zip(coding.codes, coding.pairs))
    }


def write_matrix_csv(path: str, table: crosstab.PairTable, names: Mapping[int, str]) -> None:
    """km² matrix, rows = start, columns = end, with totals, gains, losses and net change (and its .csvt)."""
    classes = table.classes
    km2 = table.matrix(classes) / 1e6
    margins = crosstab.matrix_margins(km2)
    labels = [f"{int(c)} {class_label(names, c)}" for c in classes]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["start (rows) \\ end (columns), km2"] + labels + ["total_start_km2", "loss_km2"])
        for i, label in enumerate(labels):
            out.writerow([label] + _fmt(km2[i]) + _fmt([margins.start_total[i], margins.loss[i]]))
        out.writerow(["total_end_km2"] + _fmt(margins.end_total) + _fmt([km2.sum(), ""]))
        out.writerow(["gain_km2"] + _fmt(margins.gain) + ["", ""])
        out.writerow(["net_change_km2"] + _fmt(margins.net) + ["", ""])
    tables.write_csvt(path, ["String"] + ["Real"] * (len(labels) + 2))


def _fmt(values):
    return [v if v == "" else f"{v:.6f}" for v in values]
