"""`make demo`: every shipped model, and the seed 000 chain over three dates, headless through qgis_process.

1. The seed 000 chain on the GLC_FCS30 sample (1985, 2000, 2020): reclassify to
   7 classes → transfer matrix 1985 → 2020 → dynamic degrees K and S → carbon
   stock and change; the tables are printed (outputs in landcover_series/).
2. Each shipped model (models/*.model3) on its synthetic sample, its outputs
   and HTML reports in <folder>/<model id>/: landcover_carbon (GLC_FCS30 1985
   and 2020), mine_boundaries_status (make_seed001), restoration_monitoring
   (make_seed004), mining_hotspots and desertification_sensitivity
   (make_seed002).
3. <folder>/index.html links every output and report, with each model's key
   figures.

Usage: python demo.py [FOLDER] (default demo_output); needs the plugin on
PYTHONPATH as `mineland` (the Makefile does it).
"""

import csv
import os
import sys
import time

from osgeo import ogr

from mineland.core.render import report
from sample import make_seed001, make_seed002, make_seed004
from sample.make_sample import YEARS, write_series
from sample.qgisprocess import QgisProcess

ogr.UseExceptions()


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


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_vector(path):
    """Attribute rows of a vector file (OGR), as dicts."""
    source = ogr.Open(path)  # keep the dataset alive while its layer is read
    layer = source.GetLayer(0)
    definition = layer.GetLayerDefn()
    names = [definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())]
    return [{name: feature.GetField(name) for name in names} for feature in layer]


# ------------------------------------------------------------------------ 1. the seed 000 chain


def landcover_series(qp, sources, folder):
    """The three-date chain of seed 000, step by step; prints its tables; returns the outputs {label: path}."""
    os.makedirs(folder, exist_ok=True)
    years = ",".join(map(str, YEARS))
    classes = []
    for year, source in zip(YEARS, sources):
        out = os.path.join(folder, f"classes_{year}.tif")
        qp.run("mineland:reclassify", INPUT=source, PRESET=1, OUTPUT=out)
        classes.append(out)
    print(f"Reclassified {len(classes)} GLC_FCS30 rasters to the 7 classes of seed 000 in {folder}")

    out = {f"Classes {year}": path for year, path in zip(YEARS, classes)}
    out.update(
        {
            "Transitions": os.path.join(folder, "transitions.csv"),
            "Transfer matrix (km²)": os.path.join(folder, "matrix.csv"),
            "Change codes (from × 100 + to)": os.path.join(folder, "change.tif"),
            "Transfer matrix report": os.path.join(folder, "matrix.html"),
            "Dynamic degree K per class": os.path.join(folder, "dynamics.csv"),
            "Comprehensive S and LC": os.path.join(folder, "dynamics_summary.csv"),
            "Dynamics report": os.path.join(folder, "dynamics.html"),
            "Carbon stock": os.path.join(folder, "carbon.csv"),
            "Carbon change": os.path.join(folder, "carbon_change.csv"),
            "Carbon density (Mg/ha)": os.path.join(folder, "carbon_density.tif"),
            "Carbon report": os.path.join(folder, "carbon.html"),
        }
    )
    matrix = qp.run(
        "mineland:transfermatrix",
        INPUT_START=classes[0],
        INPUT_END=classes[-1],
        OUTPUT=out["Transitions"],
        OUTPUT_MATRIX=out["Transfer matrix (km²)"],
        OUTPUT_CHANGE=out["Change codes (from × 100 + to)"],
        OUTPUT_HTML=out["Transfer matrix report"],
    )
    qp.run(
        "mineland:landusedynamics",
        INPUTS=classes,
        YEARS=years,
        OUTPUT=out["Dynamic degree K per class"],
        OUTPUT_SUMMARY=out["Comprehensive S and LC"],
        OUTPUT_HTML=out["Dynamics report"],
    )
    stock = qp.run(
        "mineland:carbonstock",
        INPUTS=classes,
        YEARS=years,
        OUTPUT=out["Carbon stock"],
        OUTPUT_CHANGE=out["Carbon change"],
        OUTPUT_DENSITY=out["Carbon density (Mg/ha)"],
        OUTPUT_HTML=out["Carbon report"],
    )

    show(
        f"Transfer matrix {YEARS[0]} → {YEARS[-1]}, km² (rows = {YEARS[0]}, columns = {YEARS[-1]})",
        matrix["OUTPUT_MATRIX"],
    )
    print(
        f"changed {matrix['CHANGED_KM2']:.3f} km² of {matrix['TOTAL_KM2']:.3f} km² "
        f"({matrix['CHANGED_PCT']:.2f} %), {matrix['NODATA_PIXELS']} nodata pixels"
    )
    show("Single dynamic degree K (% per year)", out["Dynamic degree K per class"])
    show("Comprehensive dynamic degree S (per year) and LC (% per year)", out["Comprehensive S and LC"])
    show("Carbon stock (Mg, Mt)", out["Carbon stock"])
    print(
        f"\nCarbon {YEARS[0]}: {stock['CARBON_FIRST_MT']:.4f} Mt, {YEARS[-1]}: {stock['CARBON_LAST_MT']:.4f} Mt, "
        f"change {stock['CARBON_CHANGE_MT']:+.4f} Mt"
    )
    figures = [
        report.table(
            ["", "value"],
            [
                ("changed area (km²)", float(matrix["CHANGED_KM2"])),
                ("changed share (%)", float(matrix["CHANGED_PCT"])),
                (f"carbon {YEARS[0]} (Mt)", float(stock["CARBON_FIRST_MT"])),
                (f"carbon {YEARS[-1]} (Mt)", float(stock["CARBON_LAST_MT"])),
                ("carbon change (Mt)", float(stock["CARBON_CHANGE_MT"])),
            ],
        )
    ]
    return out, figures


# ------------------------------------------------------------------------------ 2. the models


def model_runs(samples):
    """(model id, what it chains, its inputs, {model output: file name}, key-figure function) per shipped model."""
    glc, seed001, seed002, seed004 = samples["glc"], samples["seed001"], samples["seed002"], samples["seed004"]
    return [
        (
            "landcover_carbon",
            "reclassify (1985, 2020) → transfer matrix → dynamic degrees K, S → carbon stock",
            dict(START=glc[0], END=glc[-1], YEARS=f"{YEARS[0]},{YEARS[-1]}", PRESET=1),
            {
                "reclass_start:Classes, start date": f"classes_{YEARS[0]}.tif",
                "reclass_end:Classes, end date": f"classes_{YEARS[-1]}.tif",
                "matrix:Transitions": "transitions.csv",
                "matrix:Transfer matrix (km2)": "matrix.csv",
                "matrix:Transfer matrix report": "matrix.html",
                "dynamics:Dynamic degree per class": "dynamics.csv",
                "dynamics:Comprehensive dynamic degree": "dynamics_summary.csv",
                "dynamics:Dynamics report": "dynamics.html",
                "carbon:Carbon stock": "carbon.csv",
                "carbon:Carbon change": "carbon_change.csv",
                "carbon:Carbon report": "carbon.html",
            },
            lambda out: report.table(
                ["year", "carbon (Mt)"],
                [
                    (r["year"], float(r["carbon_mt"]))
                    for r in read_csv(out["carbon:Carbon stock"])
                    if r["class_name"] == "Total"
                ],
            ),
        ),
        (
            "mine_boundaries_status",
            "refine boundaries (two datasets) → disturbance and reclamation → mine status",
            dict(
                INPUT_A=seed001["mines_a"],
                INPUT_B=seed001["mines_b"],
                BREAKS=seed001["breaks"],
                LANDCOVER=seed001["classes"][-1],
                CLASSES=seed001["classes"],
                YEARS=",".join(map(str, make_seed001.YEARS)),
                VEGETATED_CLASSES="2, 3, 4",
            ),
            {
                "refine:Refined mines": "refined_mines.gpkg",
                "refine:Refinement report": "refinement.html",
                "disturbance:DEV REC and BSP per year": "disturbance.csv",
                "disturbance:Disturbance report": "disturbance.html",
                "status:Mine status": "mine_status.csv",
            },
            lambda out: report.table(
                ["polygon", "status", "rule"],
                [(r["polygon_id"], r["status"], r["rule"]) for r in read_csv(out["status:Mine status"])],
            ),
        ),
        (
            "restoration_monitoring",
            "LST + EVI → MLRI per year → Mann-Kendall, Sen, Hurst and restoration classes "
            "→ restoration summary per site",
            dict(
                LST=seed004["lst"],
                EVI=seed004["evi"],
                YEARS=",".join(map(str, make_seed004.YEARS)),
                SITES=seed004["sites"],
                SITE_ID_FIELD="name",
                START_YEAR_FIELD="start_year",
                GROUP_FIELD="region",
            ),
            {
                "mlri:MLRI series": "mlri.tif",
                "trend:Trend statistics": "trend.tif",
                "trend:Restoration classes": "restoration_classes.tif",
                "summary:Restoration per site": "restoration_sites.gpkg",
                "summary:Restoration report": "restoration.html",
            },
            lambda out: report.table(
                ["site", "SD %", "SI %", "duration (years)", "cluster"],
                [
                    (r["site_id"], r["sd_pct"], r["si_pct"], r["duration_yr"], r["cluster"])
                    for r in read_vector(out["summary:Restoration per site"])
                ],
            ),
        ),
        (
            "mining_hotspots",
            "fishnet with mining density (5 km cells) → global and local Moran's I → Gi* hot spots",
            dict(STUDY_AREA=seed002["study_area"], MINES=seed002["mines"], CELL_SIZE=5000),
            {
                "fishnet:Fishnet": "fishnet.gpkg",
                "moran:Local Moran": "local_moran.gpkg",
                "moran:Moran report": "moran.html",
                "hotspots:Hot spots": "hotspots.gpkg",
            },
            hotspot_figures,
        ),
        (
            "desertification_sensitivity",
            "six Table 6 factors graded and summed → natural-breaks classes → class shares inside the mining patches",
            dict(MINES=seed002["mines"], **seed002["factors"]),
            {
                "desertification:Sensitivity score": "score.tif",
                "desertification:Sensitivity class": "class.tif",
                "desertification:Classes in mining patches": "classes_in_patches.csv",
            },
            lambda out: report.table(
                ["class", "area (km²)", "share (%)"],
                [
                    (r["class_name"], float(r["area_km2"]), float(r["share_pct"]))
                    for r in read_csv(out["desertification:Classes in mining patches"])
                ],
            ),
        ),
    ]


def hotspot_figures(out):
    cells = read_vector(out["hotspots:Hot spots"])
    lisa = read_vector(out["moran:Local Moran"])
    return report.table(
        ["", "cells"],
        [
            ("cells", len(cells)),
            ("with mines", sum(1 for c in cells if c["density_pct"] > 0)),
            ("Gi* hot spots (90–99 %)", sum(1 for c in cells if c["Gi_Bin"] > 0)),
            ("Gi* cold spots", sum(1 for c in cells if c["Gi_Bin"] < 0)),
            ("local Moran HH", sum(1 for c in lisa if c["COType"] == "HH")),
        ],
    )


def run_model(qp, model, inputs, outputs, folder):
    """Run one shipped model with every output in ``folder``; return ({output: path}, seconds)."""
    os.makedirs(folder, exist_ok=True)
    started = time.perf_counter()
    results = qp.run(
        f"mineland:{model}", **inputs, **{name: os.path.join(folder, file_name) for name, file_name in outputs.items()}
    )
    return {name: results[name] for name in outputs}, time.perf_counter() - started


# ------------------------------------------------------------------------------- 3. the index


def links(folder, outputs):
    """An HTML list of links to the outputs (relative to ``folder``), reports first."""
    items = sorted(outputs.items(), key=lambda item: not item[1].endswith(".html"))
    entries = [
        f'<li><a href="{report.escape(os.path.relpath(path, folder))}">{report.escape(label)}</a> '
        f"<code>{report.escape(os.path.relpath(path, folder))}</code></li>"
        for label, path in items
    ]
    return "<ul>" + "".join(entries) + "</ul>"


def write_index(folder, series, runs):
    sections = [
        report.note(
            "Generated by `make demo` (sample/demo.py): every shipped model of the MineLand "
            "provider run headless through qgis_process on the synthetic samples of sample/. "
            "Rasters (.tif) open in QGIS with their styles; vector outputs are GeoPackages."
        )
    ]
    sections.append(
        report.table(
            ["model", "chain", "outputs", "seconds"],
            [
                (f"mineland:{model}", chain, len(outputs), round(seconds, 1))
                for model, chain, outputs, _, seconds in runs
            ],
        )
    )
    for model, chain, outputs, figures, _ in runs:
        sections += [report.heading(f"mineland:{model}"), report.note(chain), links(folder, outputs), figures]
    series_outputs, series_figures = series
    sections += [
        report.heading(f"Seed 000 chain over {', '.join(map(str, YEARS))} (algorithm by algorithm)"),
        report.note("reclassify → transfer matrix → dynamic degrees → carbon stock; the tables printed by make demo"),
        links(folder, series_outputs),
    ] + series_figures
    path = os.path.join(folder, "index.html")
    report.write_page(path, "MineLand demo: shipped models on the sample data", sections)
    return path


def main(folder):
    folder = os.path.abspath(folder)
    sample = os.path.join(folder, "sample")
    samples = {
        "glc": write_series(sample),
        "seed001": make_seed001.write_all(os.path.join(sample, "seed001")),
        "seed002": make_seed002.write_all(os.path.join(sample, "seed002")),
        "seed004": make_seed004.write_all(os.path.join(sample, "seed004")),
    }
    qp = QgisProcess()
    series = landcover_series(qp, samples["glc"], os.path.join(folder, "landcover_series"))

    print("\n== Shipped models (models/*.model3) through qgis_process")
    runs = []
    for model, chain, inputs, outputs, figures in model_runs(samples):
        produced, seconds = run_model(qp, model, inputs, outputs, os.path.join(folder, model))
        runs.append((model, chain, produced, figures(produced), seconds))
        reports = sum(1 for path in produced.values() if path.endswith(".html"))
        print(
            f"mineland:{model}: {len(produced)} outputs (HTML reports: {reports}) in "
            f"{os.path.join(folder, model)} ({seconds:.1f} s)"
        )
    index = write_index(folder, series, runs)
    print(f"\nAll outputs are in {folder}; open {index}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo_output")
