"""The shipped models of seeds 002 and 004 through qgis_process.bin, as a user runs them headless.

Model outputs are named "<child id>:<output name>"; a multiple-layer input is
repeated once per raster; child algorithms' numbers stay inside the model, so
the checks read the output files (GDAL and OGR, no QGIS in this process).
"""

import csv

import numpy as np
import pytest
from osgeo import ogr

from rasters import read_raster
from sample import make_seed002, make_seed004
from sample.qgisprocess import QgisProcess

pytestmark = pytest.mark.qgis_process

ogr.UseExceptions()


@pytest.fixture(scope="module")
def qgis_process():
    return QgisProcess()


@pytest.fixture(scope="module")
def seed002(tmp_path_factory):
    return make_seed002.write_all(str(tmp_path_factory.mktemp("seed002")))


def rows(path):
    """The attribute rows of a vector file as dicts."""
    source = ogr.Open(str(path))
    layer = source.GetLayer(0)
    names = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    return [{name: feature.GetField(name) for name in names} for feature in layer]


def test_restoration_monitoring(qgis_process, tmp_path):
    sample = make_seed004.write_all(str(tmp_path / "seed004"))
    result = qgis_process.run(
        "mineland:restoration_monitoring",
        LST=sample["lst"],
        EVI=sample["evi"],
        YEARS=",".join(map(str, make_seed004.YEARS)),
        LST_UNITS=0,
        SITES=sample["sites"],
        SITE_ID_FIELD="name",
        START_YEAR_FIELD="start_year",
        **{
            "mlri:MLRI series": str(tmp_path / "mlri.tif"),
            "trend:Trend statistics": str(tmp_path / "trend.tif"),
            "trend:Restoration classes": str(tmp_path / "classes.tif"),
            "summary:Restoration per site": str(tmp_path / "sites.gpkg"),
            "summary:Restoration report": str(tmp_path / "report.html"),
        },
    )
    site = {r["site_id"]: r for r in rows(result["summary:Restoration per site"])}
    assert site["restoring"]["si_pct"] > site["degrading"]["si_pct"]
    assert site["restoring"]["cluster"] == "high" and site["degrading"]["cluster"] == "low"
    assert site["restoring"]["duration_yr"] == 18
    assert set(np.unique(read_raster(result["trend:Restoration classes"]))) <= {0, 1, 2, 3, 4, 5}
    assert (tmp_path / "classes.qml").exists() and (tmp_path / "report.html").stat().st_size > 1000


def test_mining_hotspots(qgis_process, tmp_path, seed002):
    result = qgis_process.run(
        "mineland:mining_hotspots",
        STUDY_AREA=seed002["study_area"],
        MINES=seed002["mines"],
        CELL_SIZE=5000,
        CLIP=False,
        FDR=True,
        PERMUTATIONS=99,
        SEED=1,
        **{
            "fishnet:Fishnet": str(tmp_path / "grid.gpkg"),
            "moran:Local Moran": str(tmp_path / "lisa.gpkg"),
            "moran:Moran report": str(tmp_path / "moran.html"),
            "hotspots:Hot spots": str(tmp_path / "gi.gpkg"),
        },
    )
    cells = rows(result["hotspots:Hot spots"])
    hot = [c for c in cells if c["Gi_Bin"] > 0]
    densest = max(cells, key=lambda c: c["density_pct"])
    assert hot and densest["Gi_Bin"] == 3
    assert all(c["Gi_Bin"] == 0 for c in cells if 0 < c["density_pct"] < 10)  # isolated patches: no hot spot
    lisa = {c["cell_id"]: c["COType"] for c in rows(result["moran:Local Moran"])}
    assert lisa[densest["cell_id"]] == "HH"
    assert "Moran" in (tmp_path / "moran.html").read_text(encoding="utf-8")


def test_desertification_sensitivity(qgis_process, tmp_path, seed002):
    result = qgis_process.run(
        "mineland:desertification_sensitivity",
        MINES=seed002["mines"],
        **seed002["factors"],
        **{
            "desertification:Sensitivity score": str(tmp_path / "score.tif"),
            "desertification:Sensitivity class": str(tmp_path / "class.tif"),
            "desertification:Classes in mining patches": str(tmp_path / "patches.csv"),
        },
    )
    with open(result["desertification:Classes in mining patches"], newline="", encoding="utf-8") as handle:
        shares = [float(r["share_pct"]) for r in csv.DictReader(handle)]
    assert sum(shares) == pytest.approx(100.0)
    classes = read_raster(result["desertification:Sensitivity class"])
    overall_high = np.count_nonzero(classes == 4) / np.count_nonzero(classes) * 100
    assert shares[3] > overall_high  # natural breaks (the model's default), patches worse
    assert len(np.unique(classes[classes > 0])) == 4
