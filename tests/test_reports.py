"""HTML reports: self-contained pages whose charts carry the numbers of the tables."""

import re

import numpy as np
import pytest
from rasters import write_raster

from mineland.core import report

START = np.array([[1, 1, 2, 2], [3, 3, 2, 1]], dtype=np.uint8)
END = np.array([[1, 7, 2, 2], [2, 7, 2, 1]], dtype=np.uint8)


def page(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    return text


def test_sankey_bands_are_proportional_to_the_flows():
    svg = report.sankey_svg(["a", "b"], ["a", "b"], [(0, 0, 3.0), (0, 1, 1.0), (1, 1, 4.0)], ["#f00", "#0f0"],
                            height=10 + 24 + 2 * 6 + 80)  # margins, 2 gaps, then 80 px for 8 units
    heights = sorted(float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg))
    assert heights == pytest.approx([30.0, 40.0, 40.0, 50.0])  # right a 3, left a 4 / b 4, right b 5
    assert svg.count("<path") == 3 and "a → b: 1" in svg


def test_transfer_matrix_report(run, tmp_path):
    result = run("mineland:transfermatrix", {"INPUT_START": write_raster(tmp_path / "a.tif", START, nodata=0),
                                             "INPUT_END": write_raster(tmp_path / "b.tif", END, nodata=0),
                                             "OUTPUT": str(tmp_path / "p.csv"),
                                             "OUTPUT_HTML": str(tmp_path / "t.html")})
    text = page(result["OUTPUT_HTML"])
    assert text.count("<path") == 5  # 1→1, 1→7, 2→2, 3→2, 3→7
    assert "3 class 3 → 2 class 2: 0.0009" in text  # one 30 m pixel = 0.0009 km²


def test_dynamics_and_carbon_reports(run, tmp_path):
    inputs = [write_raster(tmp_path / "a.tif", START, nodata=0), write_raster(tmp_path / "b.tif", END, nodata=0)]
    dynamics = run("mineland:landusedynamics", {"INPUTS": inputs, "YEARS": "2000,2010", "GROUPS": "Green=1,2,3",
                                                "OUTPUT": str(tmp_path / "k.csv"),
                                                "OUTPUT_HTML": str(tmp_path / "d.html")})
    text = page(dynamics["OUTPUT_HTML"])
    assert text.count("<polyline") == 4 + 1  # classes 1, 2, 3, 7 in one chart, the group in another
    assert "Green 2010: 75" in text  # 6 of 8 pixels
    carbon = run("mineland:carbonstock", {"INPUTS": inputs, "YEARS": "2000,2010", "OUTPUT": str(tmp_path / "c.csv"),
                                          "MISSING_AS_ZERO": True, "OUTPUT_HTML": str(tmp_path / "c.html")})
    text = page(carbon["OUTPUT_HTML"])
    # seed 000 Table 2: cropland 100 Mg/ha; 3 pixels of 0.09 ha in 2000 → 27 Mg = 2.7e-05 Mt on the map, and
    # 1/0.9996² more on the ellipsoid (the grid is on UTM 33N's central meridian): 27.02 Mg
    assert "1 Cropland 2000: 2.702e-05" in text and "Total" in text
