"""mineland:trend and mineland:mlri through processing.run, against pymannkendall and hand values."""

import numpy as np
import pymannkendall
import pytest
from osgeo import gdal

from rasters import file_digest, read_raster, write_raster

NODATA = -9999.0
YEARS = [2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010, 2011, 2013, 2014]  # no 2012


def series_stack(seed=4):
    """14 years × 6 × 7 pixels with a west-east gradient of trends, a constant pixel and holes."""
    rng = np.random.default_rng(seed)
    steps = len(YEARS)
    stack = rng.normal(size=(steps, 6, 7)) + np.arange(steps)[:, None, None] * np.linspace(-0.4, 0.4, 7)
    stack[:, 0, 0] = 2.5  # constant: S = 0, Z = 0, p = 1, Hurst nodata
    stack[[2, 5, 9], 1, 1] = NODATA  # three missing years
    stack[:10, 2, 2] = NODATA  # only 4 valid years: below MIN_VALID
    stack[:, 3, 3] = np.round(stack[:, 3, 3])  # ties
    return stack.astype(np.float32)


@pytest.fixture
def stack_paths(tmp_path):
    stack = series_stack()
    return stack, [write_raster(tmp_path / f"y{year}.tif", band, nodata=NODATA) for year, band in zip(YEARS, stack)]


def band(path, name):
    dataset = gdal.Open(path)
    names = [dataset.GetRasterBand(i).GetDescription() for i in range(1, dataset.RasterCount + 1)]
    return dataset.GetRasterBand(names.index(name) + 1).ReadAsArray()


def test_trend_matches_pymannkendall(run, tmp_path, stack_paths):
    stack, paths = stack_paths
    before = [file_digest(p) for p in paths]
    result = run(
        "mineland:trend",
        {
            "INPUTS": paths,
            "YEARS": ",".join(map(str, YEARS)),
            "MIN_VALID": 8,
            "OUTPUT": str(tmp_path / "trend.tif"),
            "OUTPUT_CLASS": str(tmp_path / "class.tif"),
        },
    )
    out = result["OUTPUT"]
    floor = np.finfo(np.float32).min
    assert result["TOO_FEW_PIXELS"] == 1
    years = np.array(YEARS, dtype=float)
    for row, col in [(1, 1), (3, 3), (4, 5), (5, 0)]:
        series = stack[:, row, col].astype(np.float64)
        series[series == NODATA] = np.nan
        ref = pymannkendall.original_test(series)
        assert band(out, "s")[row, col] == ref.s
        assert band(out, "z")[row, col] == pytest.approx(ref.z, abs=1e-6)  # float32 output
        assert band(out, "p")[row, col] == pytest.approx(ref.p, abs=1e-6)
        assert band(out, "var_s")[row, col] == pytest.approx(ref.var_s, rel=1e-6)
        assert band(out, "tau")[row, col] == pytest.approx(ref.Tau, rel=1e-6)
        # Sen with the real years (2012 missing): brute force over valid pairs
        ok = ~np.isnan(series)
        i, j = np.triu_indices(len(series), 1)
        keep = ok[i] & ok[j]
        slope = np.median((series[j] - series[i])[keep] / (years[j] - years[i])[keep])
        assert band(out, "sen_slope")[row, col] == pytest.approx(slope, rel=1e-5)
        assert band(out, "n_valid")[row, col] == ok.sum()
    assert band(out, "z")[0, 0] == 0 and band(out, "p")[0, 0] == 1 and band(out, "s")[0, 0] == 0
    assert band(out, "hurst")[0, 0] == floor  # constant: nodata, never 0
    assert band(out, "z")[2, 2] == floor and band(out, "n_valid")[2, 2] == 4
    assert [file_digest(p) for p in paths] == before


def test_restoration_classes_follow_z_slope_and_hurst(run, tmp_path, stack_paths):
    _, paths = stack_paths
    result = run(
        "mineland:trend",
        {
            "INPUTS": paths,
            "YEARS": ",".join(map(str, YEARS)),
            "OUTPUT": str(tmp_path / "t.tif"),
            "OUTPUT_CLASS": str(tmp_path / "c.tif"),
        },
    )
    classes = read_raster(result["OUTPUT_CLASS"])
    z, slope, hurst = (band(result["OUTPUT"], name) for name in ("z", "sen_slope", "hurst"))
    significant = np.abs(z) > 1.959963984540054
    valid = classes > 0
    assert np.all(classes[valid & significant & (slope <= 0)] == 1)
    assert np.all(classes[valid & ~significant & (slope <= 0)] == 2)
    assert np.all(classes[valid & ~significant & (slope > 0)] == 3)
    assert np.all(classes[valid & significant & (slope > 0) & (hurst > 0.5)] == 5)
    assert classes[2, 2] == 0  # too few valid years
    assert {1, 2, 3} <= set(np.unique(classes)) and (set(np.unique(classes)) & {4, 5})

    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(result["OUTPUT_CLASS"], "classes")  # loads the .qml sidecar as its default style
    assert layer.renderer().type() == "paletted"
    labels = [label for label, _ in layer.renderer().legendSymbologyItems()]
    assert labels[0].startswith("SD") and labels[-1].startswith("SCI")


def test_trend_accepts_one_multiband_raster(run, tmp_path, stack_paths):
    stack, paths = stack_paths
    multiband = write_raster(tmp_path / "stack.tif", stack, nodata=NODATA)
    single = run(
        "mineland:trend", {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "a.tif")}
    )
    multi = run(
        "mineland:trend", {"INPUTS": [multiband], "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "b.tif")}
    )
    np.testing.assert_array_equal(gdal.Open(single["OUTPUT"]).ReadAsArray(), gdal.Open(multi["OUTPUT"]).ReadAsArray())


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"YEARS": "2000,2001"}, "YEARS: 2 years given for 14"),
        ({"YEARS": "2001,2000," + ",".join(map(str, YEARS[2:]))}, "YEARS: years must increase"),
        ({"MIN_VALID": 20}, "MIN_VALID: the series has 14 time steps"),
    ],
)
def test_trend_bad_input(run, tmp_path, stack_paths, parameters, message):
    from qgis.core import QgsProcessingException

    _, paths = stack_paths
    base = {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "t.tif")}
    with pytest.raises(QgsProcessingException, match=message):
        run("mineland:trend", dict(base, **parameters))


def test_trend_rejects_a_multiband_raster_among_several(run, tmp_path, stack_paths):
    from qgis.core import QgsProcessingException

    stack, paths = stack_paths
    paths[1] = write_raster(tmp_path / "two.tif", stack[:2], nodata=NODATA)
    with pytest.raises(QgsProcessingException, match="INPUTS \\(raster 2, two.tif\\): has 2 bands"):
        run("mineland:trend", {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "t.tif")})


def test_trend_rejects_a_misaligned_year(run, tmp_path, stack_paths):
    from qgis.core import QgsProcessingException

    stack, paths = stack_paths
    paths[4] = write_raster(tmp_path / "shifted.tif", stack[4], nodata=NODATA, origin=(500030.0, 6000000.0))
    with pytest.raises(QgsProcessingException, match="INPUTS \\(raster 5, shifted.tif\\) is shifted"):
        run("mineland:trend", {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "t.tif")})


def test_mlri_by_hand(run, tmp_path):
    # one pixel row, 4 years: LST (K) and EVI
    lst = np.array([300.0, 310.0, 305.0, 295.0])
    evi = np.array([0.40, 0.20, -0.10, 0.50])  # year 3 has EVI ≤ 0: nodata, and not in the running extremes
    lst_paths = [write_raster(tmp_path / f"l{i}.tif", np.array([[v]], np.float32)) for i, v in enumerate(lst)]
    evi_paths = [write_raster(tmp_path / f"e{i}.tif", np.array([[v]], np.float32)) for i, v in enumerate(evi)]
    result = run(
        "mineland:mlri",
        {
            "LST_INPUTS": lst_paths,
            "EVI_INPUTS": evi_paths,
            "YEARS": "2000,2001,2002,2003",
            "OUTPUT": str(tmp_path / "mlri.tif"),
        },
    )
    values = gdal.Open(result["OUTPUT"]).ReadAsArray()[:, 0, 0]
    # 2000: (300/0.4)/(300/0.4) = 1; 2001: (310/0.2)/(310/0.2) = 1;
    # 2003: running max LST 310, min EVI 0.2 (2002 skipped): (310/0.2)/(295/0.5) = 1550/590
    assert values[0] == pytest.approx(1.0) and values[1] == pytest.approx(1.0)
    assert values[2] == np.finfo(np.float32).min
    assert values[3] == pytest.approx(1550 / 590, rel=1e-6)
    assert result["NODATA_PIXEL_YEARS"] == 1
    dataset = gdal.Open(result["OUTPUT"])
    assert [dataset.GetRasterBand(i).GetDescription() for i in (1, 4)] == ["2000", "2003"]


def test_mlri_celsius_and_units_check(run, tmp_path):
    from qgis.core import QgsProcessingException

    celsius = [write_raster(tmp_path / f"c{i}.tif", np.array([[v]], np.float32)) for i, v in enumerate([-5.0, 20.0])]
    evi = [write_raster(tmp_path / f"e{i}.tif", np.array([[v]], np.float32)) for i, v in enumerate([0.3, 0.2])]
    result = run(
        "mineland:mlri",
        {
            "LST_INPUTS": celsius,
            "EVI_INPUTS": evi,
            "YEARS": "2000,2001",
            "LST_UNITS": 1,
            "OUTPUT": str(tmp_path / "ok.tif"),
        },
    )
    # K: 268.15 and 293.15; 2001: (293.15/0.2)/(293.15/0.2) = 1
    assert gdal.Open(result["OUTPUT"]).ReadAsArray()[1, 0, 0] == pytest.approx(1.0)
    target = tmp_path / "bad.tif"
    with pytest.raises(QgsProcessingException, match="LST_UNITS.*°C"):
        run("mineland:mlri", {"LST_INPUTS": celsius, "EVI_INPUTS": evi, "YEARS": "2000,2001", "OUTPUT": str(target)})
    assert not list(tmp_path.glob("bad.tif*"))
    with pytest.raises(QgsProcessingException, match="EVI_INPUTS: 1 EVI rasters for 2 LST"):
        run(
            "mineland:mlri",
            {"LST_INPUTS": celsius, "EVI_INPUTS": evi[:1], "YEARS": "2000,2001", "LST_UNITS": 1, "OUTPUT": str(target)},
        )


def test_trend_log_says_what_happens(run, tmp_path, recording_feedback):
    """A long run is never silent: the stages and each quarter of the progress are in the log."""
    import numpy as np

    from rasters import write_raster

    rng = np.random.default_rng(1)
    paths = [
        write_raster(tmp_path / f"v{year}.tif", rng.normal(size=(40, 30)).astype("float32"))
        for year in range(2000, 2010)
    ]
    log = recording_feedback()
    run(
        "mineland:trend",
        {"INPUTS": paths, "YEARS": ",".join(map(str, range(2000, 2010))), "OUTPUT": str(tmp_path / "t.tif")},
        log,
    )
    assert any(
        line.startswith("Mann-Kendall, Sen's slope and Hurst per pixel: 30 × 40 pixels, 10 years (2000–2009)")
        for line in log.infos
    ), log.infos
    assert [line.split(" %")[0] for line in log.infos if " % done (" in line] == ["25", "50", "75"]
    assert any(line.startswith("Statistics written to ") for line in log.infos)
