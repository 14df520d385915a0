"""`make demo`: the seed 000 chain on the sample data, headless through qgis_process.

GLC_FCS30 rasters of 1985, 2000 and 2020 → reclassify to 7 classes → transfer
matrix 1985 → 2020 → dynamic degrees K and S → carbon stock and change.
Outputs go to the folder given (default demo_output/); the tables are printed.
"""

import csv
import os
import sys

from make_sample import YEARS, write_series
from qgisprocess import QgisProcess


def show(title, path, limit=60):
    print(f"\n== {title} ({path})")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(len(rows[0]))]
    for row in rows[:limit]:
        print("  ".join(_short(cell).ljust(min(w, 14)) for cell, w in zip(row, widths)))


def _short(cell):
    try:
        value = float(cell)
    except ValueError:
        return cell
    return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))


def main(folder):
    folder = os.path.abspath(folder)
    sources = write_series(os.path.join(folder, "sample"))
    qp = QgisProcess()
    classes = []
    for year, source in zip(YEARS, sources):
        out = os.path.join(folder, f"classes_{year}.tif")
        qp.run("mineland:reclassify", INPUT=source, PRESET=1, OUTPUT=out)
        classes.append(out)
    print(f"Reclassified {len(classes)} GLC_FCS30 rasters to the 7 classes of seed 000 in {folder}")

    matrix = qp.run("mineland:transfermatrix", INPUT_START=classes[0], INPUT_END=classes[-1],
                    OUTPUT=os.path.join(folder, "transitions.csv"), OUTPUT_MATRIX=os.path.join(folder, "matrix.csv"),
                    OUTPUT_CHANGE=os.path.join(folder, "change.tif"))
    qp.run("mineland:landusedynamics", INPUTS=classes, YEARS=",".join(map(str, YEARS)),
           OUTPUT=os.path.join(folder, "dynamics.csv"), OUTPUT_SUMMARY=os.path.join(folder, "dynamics_summary.csv"))
    stock = qp.run("mineland:carbonstock", INPUTS=classes, YEARS=",".join(map(str, YEARS)),
                   OUTPUT=os.path.join(folder, "carbon.csv"), OUTPUT_CHANGE=os.path.join(folder, "carbon_change.csv"),
                   OUTPUT_DENSITY=os.path.join(folder, "carbon_density.tif"))

    show(f"Transfer matrix {YEARS[0]} → {YEARS[-1]}, km² (rows = {YEARS[0]}, columns = {YEARS[-1]})",
         matrix["OUTPUT_MATRIX"])
    print(f"changed {matrix['CHANGED_KM2']:.3f} km² of {matrix['TOTAL_KM2']:.3f} km² "
          f"({matrix['CHANGED_PCT']:.2f} %), {matrix['NODATA_PIXELS']} nodata pixels")
    show("Single dynamic degree K (% per year)", os.path.join(folder, "dynamics.csv"))
    show("Comprehensive dynamic degree S (per year) and LC (% per year)", os.path.join(folder, "dynamics_summary.csv"))
    show("Carbon stock (Mg, Mt)", os.path.join(folder, "carbon.csv"))
    print(f"\nCarbon {YEARS[0]}: {stock['CARBON_FIRST_MT']:.4f} Mt, {YEARS[-1]}: {stock['CARBON_LAST_MT']:.4f} Mt, "
          f"change {stock['CARBON_CHANGE_MT']:+.4f} Mt")
    print(f"\nAll outputs are in {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo_output")
