"""Real products with GDAL scale/offset metadata (issue 19, deliverable 3).

MODIS LST (Int16 × 0.02 → K), Landsat Collection 2 surface temperature (UInt16 × 0.00341802 + 149 → K),
a stack mixing one scaled Int16 year with Float32 years, NDVI × 0.0001: every continuous value is
raw × scale + offset per band, nodata is tested on the raw value, the log says so, the Dask path
gives the same numbers, and class rasters keep their codes. The expected numbers are computed here
in numpy (and pymannkendall) from the scaled values, never taken from MineLand's own output.
"""

import numpy as np
import pymannkendall
import pytest
from osgeo import gdal

from mineland.core.engine import scaleout
from mineland.core.io import raster_io
from mineland.core.timeseries import inspect
from rasters import file_digest, read_raster, write_raster

YEARS = [2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2011, 2012, 2013]  # no 2010
MODIS_SCALE = 0.02
LANDSAT_SCALE, LANDSAT_OFFSET = 0.00341802, 149.0
FLOAT_NODATA = float(np.finfo(np.float32).min)


def write_scaled(path, raw, scale, offset=0.0, nodata=None, gdal_type=None):
    """A GeoTIFF of the stored values ``raw`` whose bands carry GDAL scale/offset metadata."""
    write_raster(path, raw, nodata=nodata, gdal_type=gdal_type)
    dataset = gdal.Open(str(path), gdal.GA_Update)
    for index in range(1, dataset.RasterCount + 1):
        dataset.GetRasterBand(index).SetScale(scale)
        dataset.GetRasterBand(index).SetOffset(offset)
    dataset = None
    return str(path)


def band(path, name):
    dataset = gdal.Open(str(path))
    names = [dataset.GetRasterBand(i).GetDescription() for i in range(1, dataset.RasterCount + 1)]
    return dataset.GetRasterBand(names.index(name) + 1).ReadAsArray()


def sen_slope(series, years):
    """Sen's slope over the pairs of valid years, brute force."""
    years = np.asarray(years, dtype=np.float64)
    ok = ~np.isnan(series)
    i, j = np.triu_indices(len(series), 1)
    keep = ok[i] & ok[j]
    return float(np.median((series[j] - series[i])[keep] / (years[j] - years[i])[keep]))


def modis_lst(rows=5, cols=6, seed=11):
    """Stored MODIS LST digital numbers (Int16, 0 = nodata), warming ~0.3 K/yr, and their kelvin values."""
    rng = np.random.default_rng(seed)
    kelvin = 290 + rng.normal(0, 1.5, (len(YEARS), rows, cols)) + 0.3 * np.arange(len(YEARS))[:, None, None]
    raw = np.round(kelvin / MODIS_SCALE).astype(np.int16)
    raw[[1, 4], 2, 3] = 0  # two missing years
    physical = np.where(raw == 0, np.nan, raw * MODIS_SCALE)
    return raw, physical


# ------------------------------------------------------------------ trend


def test_modis_lst_trend_is_in_kelvin_per_year_and_the_log_says_so(run, tmp_path, recording_feedback):
    raw, physical = modis_lst()
    paths = [write_scaled(tmp_path / f"MOD11A2_{y}.tif", r, MODIS_SCALE, nodata=0) for y, r in zip(YEARS, raw)]
    before = [file_digest(p) for p in paths]
    feedback = recording_feedback()
    result = run(
        "mineland:trend",
        {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8, "OUTPUT": str(tmp_path / "trend.tif")},
        feedback,
    )
    slope, z, n_valid = (band(result["OUTPUT"], name) for name in ("sen_slope", "z", "n_valid"))
    for row, col in [(0, 0), (2, 3), (4, 5), (1, 2)]:
        series = physical[:, row, col]
        assert slope[row, col] == pytest.approx(sen_slope(series, YEARS), rel=1e-5)  # K/yr, not DN/yr
        assert z[row, col] == pytest.approx(pymannkendall.original_test(series).z, abs=1e-6)
        assert n_valid[row, col] == np.count_nonzero(~np.isnan(series))
    assert 0.1 < np.median(slope) < 0.5  # about 0.3 K per year (50 times that in digital numbers)
    scaled_lines = [line for line in feedback.infos if "scale 0.02" in line]
    assert len(scaled_lines) == len(YEARS)
    assert "MOD11A2_2001.tif" in scaled_lines[0] and "band 1" in scaled_lines[0] and "offset 0" in scaled_lines[0]
    assert [file_digest(p) for p in paths] == before


def test_a_scaled_int16_year_among_float32_years_equals_the_all_float_stack(run, tmp_path):
    rng = np.random.default_rng(3)
    values = (
        10 + np.round(rng.normal(0, 2, (len(YEARS), 6, 7)) * 4) / 4 + 0.25 * np.arange(len(YEARS))[:, None, None]
    ).astype(np.float32)  # quarters: exact in both forms
    floats = [write_raster(tmp_path / f"f{y}.tif", v, nodata=-9999.0) for y, v in zip(YEARS, values)]
    mixed = list(floats)
    raw = ((values[5] - 10.0) / 0.25).astype(np.int16)  # stored = (value − 10) / 0.25
    mixed[5] = write_scaled(tmp_path / "scaled_2006.tif", raw, 0.25, 10.0, nodata=-32768)
    common = {"YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8}
    reference = run(
        "mineland:trend",
        dict(
            common, INPUTS=floats, OUTPUT=str(tmp_path / "floats.tif"), OUTPUT_CLASS=str(tmp_path / "floats_class.tif")
        ),
    )
    result = run(
        "mineland:trend",
        dict(common, INPUTS=mixed, OUTPUT=str(tmp_path / "mixed.tif"), OUTPUT_CLASS=str(tmp_path / "mixed_class.tif")),
    )
    assert gdal.Open(result["OUTPUT"]).ReadAsArray().tobytes() == gdal.Open(reference["OUTPUT"]).ReadAsArray().tobytes()
    assert np.array_equal(read_raster(result["OUTPUT_CLASS"]), read_raster(reference["OUTPUT_CLASS"]))
    expected = sen_slope(values[:, 2, 4].astype(np.float64), YEARS)
    assert band(result["OUTPUT"], "sen_slope")[2, 4] == pytest.approx(expected, rel=1e-6)


def test_nodata_is_tested_on_the_raw_value(run, tmp_path):
    """Scale 0.02, offset 300: raw −1000 (nodata) would scale to a plausible 280 K and is still missing; with
    raw nodata 580, the valid raw 14000 scales to 580.0 (the nodata number) and is still data."""
    scale, offset = MODIS_SCALE, 300.0
    rng = np.random.default_rng(5)
    raw = (14000 + rng.integers(-300, 300, (len(YEARS), 4, 4))).astype(np.int16)
    raw[:, 0, 0] = 14000 + 20 * np.arange(len(YEARS))
    raw[[0, 3, 6], 0, 0] = -1000
    raw[:, 1, 1] = 14000
    raw[2, 1, 1] = 14050
    paths = [write_scaled(tmp_path / f"n{y}.tif", r, scale, offset, nodata=-1000) for y, r in zip(YEARS, raw)]
    result = run(
        "mineland:trend",
        {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8, "OUTPUT": str(tmp_path / "t.tif")},
    )
    n_valid, slope = band(result["OUTPUT"], "n_valid"), band(result["OUTPUT"], "sen_slope")
    series = np.where(raw[:, 0, 0] == -1000, np.nan, raw[:, 0, 0] * scale + offset)
    assert n_valid[0, 0] == len(YEARS) - 3
    assert slope[0, 0] == pytest.approx(sen_slope(series, YEARS), rel=1e-5)  # 20 DN/yr = 0.4 K/yr

    paths = [write_scaled(tmp_path / f"m{y}.tif", r, scale, offset, nodata=580) for y, r in zip(YEARS, raw)]
    result = run(
        "mineland:trend",
        {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8, "OUTPUT": str(tmp_path / "t2.tif")},
    )
    assert band(result["OUTPUT"], "n_valid")[1, 1] == len(YEARS)  # 580.0 K every year but one: all data


def test_a_scale_of_zero_is_refused_naming_the_parameter(run, tmp_path):
    from qgis.core import QgsProcessingException

    raw, _ = modis_lst()
    paths = [write_scaled(tmp_path / f"z{y}.tif", r, 0.0, 5.0, nodata=0) for y, r in zip(YEARS, raw)]
    with pytest.raises(QgsProcessingException, match=r"INPUTS \(raster 1, z2001.tif\).*scale 0"):
        run("mineland:trend", {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "OUTPUT": str(tmp_path / "t.tif")})


# ------------------------------------------------------------------ MLRI


def landsat_st(rows=5, cols=4, seed=8):
    """Landsat C2 ST_B10 digital numbers (UInt16, 0 = fill) and EVI × 0.0001 (Int16, −32768 = fill)."""
    rng = np.random.default_rng(seed)
    kelvin = 300 + rng.normal(0, 4, (len(YEARS), rows, cols))
    st = np.round((kelvin - LANDSAT_OFFSET) / LANDSAT_SCALE).astype(np.uint16)
    st[3, 1, 1] = 0
    evi = np.round((0.1 + 0.5 * rng.random((len(YEARS), rows, cols))) / 1e-4).astype(np.int16)
    evi[7, 2, 2] = -32768
    return st, evi


def numpy_mlri(lst, evi):
    """MLRI_ij = (max LST up to i / min EVI up to i) / (LST_ij / EVI_ij), missing years skipped; (years, …)."""
    valid = np.isfinite(lst) & np.isfinite(evi) & (evi > 0)
    lst_max = np.fmax.accumulate(np.where(valid, lst, np.nan), axis=0)
    evi_min = np.fmin.accumulate(np.where(valid, evi, np.nan), axis=0)
    return np.where(valid, (lst_max / evi_min) / (lst / evi), np.nan)


def test_landsat_c2_surface_temperature_mlri_in_kelvin(run, tmp_path, recording_feedback):
    st, evi = landsat_st()
    lst_paths = [
        write_scaled(tmp_path / f"LC08_ST_B10_{y}.tif", r, LANDSAT_SCALE, LANDSAT_OFFSET, nodata=0)
        for y, r in zip(YEARS, st)
    ]
    evi_paths = [write_scaled(tmp_path / f"evi_{y}.tif", r, 1e-4, nodata=-32768) for y, r in zip(YEARS, evi)]
    feedback = recording_feedback()
    result = run(
        "mineland:mlri",
        {
            "LST_INPUTS": lst_paths,
            "EVI_INPUTS": evi_paths,
            "YEARS": ",".join(map(str, YEARS)),
            "OUTPUT": str(tmp_path / "mlri.tif"),
        },
        feedback,
    )
    kelvin = np.where(st == 0, np.nan, st * LANDSAT_SCALE + LANDSAT_OFFSET)
    ratio = np.where(evi == -32768, np.nan, evi * 1e-4)
    expected = numpy_mlri(kelvin, ratio)
    out = gdal.Open(result["OUTPUT"]).ReadAsArray().astype(np.float64)
    out[out == FLOAT_NODATA] = np.nan
    assert np.array_equal(np.isnan(out), np.isnan(expected))
    assert np.allclose(out, expected, rtol=1e-6, equal_nan=True)
    assert result["NODATA_PIXEL_YEARS"] == 2
    assert any(
        "LC08_ST_B10_2001.tif" in line and "offset 149" in line and "scale 0.00341802" in line
        for line in feedback.infos
    )
    # the bug this fixes: the stored numbers without the offset give a different index
    stored = numpy_mlri(np.where(st == 0, np.nan, st * 1.0), ratio)
    assert np.nanmax(np.abs(stored - expected)) > 0.01


# ------------------------------------------------------------------ the Dask path


@pytest.mark.dask
def test_the_dask_path_gives_the_local_numbers(run, tmp_path):
    dask = pytest.importorskip("dask")
    raw, physical = modis_lst(7, 9, seed=2)
    multiband = write_scaled(tmp_path / "lst_stack.tif", raw, MODIS_SCALE, nodata=0)
    local = run(
        "mineland:trend",
        {
            "INPUTS": [multiband],
            "YEARS": ",".join(map(str, YEARS)),
            "MIN_VALID": 8,
            "OUTPUT": str(tmp_path / "local.tif"),
        },
    )
    expected = gdal.Open(local["OUTPUT"]).ReadAsArray()
    whole = scaleout.trend_on_cluster([multiband], YEARS, tmp_path / "strips.tif", scheduler=None)
    assert gdal.Open(whole["output"]).ReadAsArray().tobytes() == expected.tobytes()
    bands, _ = scaleout.trend_array([multiband], YEARS, min_valid=8)
    assert dask.compute(bands, scheduler="synchronous")[0].tobytes() == expected.tobytes()
    values, nodatas, _ = scaleout.stack_array([multiband])
    assert nodatas == [None] * len(YEARS) and values.dtype == np.float64
    assert np.array_equal(dask.compute(values, scheduler="synchronous")[0], physical, equal_nan=True)

    st, evi = landsat_st()
    lst = write_scaled(tmp_path / "st.tif", st, LANDSAT_SCALE, LANDSAT_OFFSET, nodata=0)
    evi_path = write_scaled(tmp_path / "evi.tif", evi, 1e-4, nodata=-32768)
    local = run(
        "mineland:mlri",
        {
            "LST_INPUTS": [lst],
            "EVI_INPUTS": [evi_path],
            "YEARS": ",".join(map(str, YEARS)),
            "OUTPUT": str(tmp_path / "mlri_local.tif"),
        },
    )
    whole = scaleout.mlri_on_cluster([lst], [evi_path], YEARS, tmp_path / "mlri_strips.tif", scheduler=None)
    assert gdal.Open(whole["output"]).ReadAsArray().tobytes() == gdal.Open(local["OUTPUT"]).ReadAsArray().tobytes()


@pytest.mark.dask
def test_dask_scheduler_parameter_on_a_cluster_gives_the_local_numbers(run, tmp_path):
    distributed = pytest.importorskip("distributed")
    raw, physical = modis_lst(6, 5, seed=4)
    paths = [write_scaled(tmp_path / f"d{y}.tif", r, MODIS_SCALE, nodata=0) for y, r in zip(YEARS, raw)]
    kelvin_2004 = (raw[3] * MODIS_SCALE).astype(np.float32)  # one year given as Float32 kelvin
    paths[3] = write_raster(tmp_path / "float_2004.tif", kelvin_2004, nodata=0.0)
    physical[3] = kelvin_2004
    common = {"INPUTS": paths, "YEARS": ",".join(map(str, YEARS)), "MIN_VALID": 8}
    local = run("mineland:trend", dict(common, OUTPUT=str(tmp_path / "local.tif")))
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run(
            "mineland:trend", dict(common, OUTPUT=str(tmp_path / "dask.tif"), DASK_SCHEDULER=client.scheduler.address)
        )
    assert gdal.Open(remote["OUTPUT"]).ReadAsArray().tobytes() == gdal.Open(local["OUTPUT"]).ReadAsArray().tobytes()
    assert band(remote["OUTPUT"], "sen_slope")[4, 1] == pytest.approx(sen_slope(physical[:, 4, 1], YEARS), rel=1e-5)


# ------------------------------------------------------------------ the pixel inspector


def test_the_pixel_inspector_reads_physical_values(tmp_path):
    raw, physical = modis_lst()
    multiband = write_scaled(tmp_path / "lst.tif", raw, MODIS_SCALE, nodata=0)
    pixels = inspect.open_stack([multiband])
    try:
        values = pixels.read(2, 3)
        assert np.array_equal(values, physical[:, 2, 3], equal_nan=True)
        x, y = pixels.pixel_centre(2, 3)
        series = pixels.series(x, y, YEARS)
        assert series.sen_slope == pytest.approx(sen_slope(physical[:, 2, 3], YEARS), rel=1e-12)
        assert pixels.scaling_notes()[0] == "band 1: raw × 0.02 + 0"
    finally:
        pixels.close()


# ------------------------------------------------------------------ zonal means, resilience, desertification


def square_polygon(tmp_path, name, xmin, ymin, xmax, ymax):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorFileWriter, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=id:string", "mines", "memory")
    feature = QgsFeature(layer.fields())
    feature.setAttributes(["A"])
    feature.setGeometry(
        QgsGeometry.fromWkt(f"POLYGON(({xmin} {ymin},{xmax} {ymin},{xmax} {ymax},{xmin} {ymax},{xmin} {ymin}))")
    )
    layer.dataProvider().addFeatures([feature])
    path = str(tmp_path / f"{name}.gpkg")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, layer.transformContext(), options)
    return path


def test_zonal_series_means_of_modis_ndvi_are_ratios(run, tmp_path, recording_feedback):
    from qgis.core import QgsVectorLayer

    rng = np.random.default_rng(6)
    raw = rng.integers(1000, 9000, (3, 6, 6)).astype(np.int16)
    raw[1, 1, 1] = -3000  # MOD13 fill value
    path = write_scaled(tmp_path / "MOD13_NDVI.tif", raw, 1e-4, nodata=-3000)
    mines = square_polygon(tmp_path, "mines", 500000.0, 6000000.0 - 90.0, 500090.0, 6000000.0)  # rows/cols 0–2
    feedback = recording_feedback()
    result = run(
        "mineland:zonalseries",
        {"MINES": mines, "ID_FIELD": "id", "INPUTS": [path], "YEARS": "2001,2002,2003", "OUTPUT": "memory:"},
        feedback,
    )
    layer = result["OUTPUT"] if not isinstance(result["OUTPUT"], str) else QgsVectorLayer(result["OUTPUT"])
    means = {f["year"]: f["mean"] for f in layer.getFeatures()}
    for k, year in enumerate((2001, 2002, 2003)):
        block = raw[k, :3, :3]
        assert means[year] == pytest.approx(np.mean(block[block != -3000] * 1e-4), rel=1e-12)
    assert any("scale 0.0001" in line for line in feedback.infos)


def test_desertification_grades_physical_values_and_keeps_categorical_codes(run, tmp_path):
    slope_deg = np.array([[2.0, 7.5], [12.0, 30.0]])  # grades 1, 2, 3, 4 (bounds 5, 10, 25)
    slope = write_scaled(tmp_path / "slope.tif", np.round(slope_deg / 0.1).astype(np.int16), 0.1, nodata=-1)
    erosion = write_scaled(tmp_path / "erosion.tif", np.array([[1, 2], [3, 4]], dtype=np.uint8), 0.5, 1.0)
    result = run(
        "mineland:desertification",
        {
            "SLOPE": slope,
            "EROSION": erosion,
            "METHOD": 0,
            "BREAKS": "3,5,7",
            "OUTPUT_SCORE": str(tmp_path / "score.tif"),
            "OUTPUT_CLASS": str(tmp_path / "class.tif"),
        },
    )
    # slope grades 1 2 3 4 plus erosion codes as their own grades 1 2 3 4 (not 1.5, 2, 2.5, 3)
    assert read_raster(result["OUTPUT_SCORE"]).tolist() == [[2, 4], [6, 8]]


def test_resilience_reads_scaled_ndvi(run, tmp_path):
    cover = np.array([[1, 1, 2, 2], [1, 2, 2, 1], [2, 2, 1, 1], [1, 1, 1, 2]], dtype=np.uint8)
    ndvi = np.round(np.linspace(0.2, 0.8, 16).reshape(4, 4) / 1e-4).astype(np.int16)
    cover_path = write_raster(tmp_path / "cover.tif", cover, nodata=0)
    ndvi_path = write_scaled(tmp_path / "ndvi.tif", ndvi, 1e-4, nodata=-3000)
    zones = square_polygon(tmp_path, "zones", 500000.0, 6000000.0 - 120.0, 500120.0, 6000000.0)
    result = run(
        "mineland:resilience",
        {
            "LANDCOVER": cover_path,
            "NDVI": ndvi_path,
            "ZONES": zones,
            "SCORES": "1=0.5,2=0.9",
            "C1": 1.0,
            "C2": 1.0,
            "OUTPUT": "memory:",
        },
    )
    row = next(result["OUTPUT"].getFeatures()) if not isinstance(result["OUTPUT"], str) else None
    if row is None:
        from qgis.core import QgsVectorLayer

        row = next(QgsVectorLayer(result["OUTPUT"]).getFeatures())
    assert row["ndvi_mean"] == pytest.approx(np.mean(ndvi * 1e-4), rel=1e-12)


# ------------------------------------------------------------------ class rasters keep their codes


def test_class_rasters_with_scale_metadata_keep_their_codes(run, tmp_path):
    from test_alg_landcover import read_csv

    start = write_scaled(tmp_path / "start.tif", np.array([[10, 10], [20, 30]], dtype=np.int16), 0.5, 3.0)
    end = write_scaled(tmp_path / "end.tif", np.array([[10, 20], [20, 20]], dtype=np.int16), 0.5, 3.0)
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": start,
            "INPUT_END": end,
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "matrix.csv"),
        },
    )
    rows = read_csv(result["OUTPUT"])
    pairs = {(int(float(r["from_class"])), int(float(r["to_class"]))) for r in rows}
    assert pairs == {(10, 10), (10, 20), (20, 20), (30, 20)}
    table = str(tmp_path / "table.csv")
    with open(table, "w", encoding="utf-8") as handle:
        handle.write("min,max,value\n10,10,1\n20,20,2\n30,30,3\n")
    out = run("mineland:reclassify", {"INPUT": start, "TABLE_CSV": table, "OUTPUT": str(tmp_path / "re.tif")})
    assert read_raster(out["OUTPUT"]).tolist() == [[1, 1], [2, 3]]


def test_band_scaling_of_unscaled_bands_is_none(tmp_path):
    path = write_raster(tmp_path / "plain.tif", np.ones((2, 2), dtype=np.float32))
    dataset = raster_io.open_raster(path)
    assert raster_io.band_scaling(dataset.GetRasterBand(1)) is None
    values = np.array([[1, 2], [3, 4]], dtype=np.int16)
    same, valid = raster_io.physical(values, 4, None)
    assert same is values and valid.tolist() == [[True, True], [True, False]]


def test_resilience_window_raster_of_scaled_ndvi_and_rates_equals_the_float_one(run, tmp_path):
    rng = np.random.default_rng(12)
    cover = write_raster(tmp_path / "cover.tif", rng.integers(1, 3, (9, 8)).astype(np.uint8), nodata=0)
    quarters = rng.integers(0, 5, (9, 8)).astype(np.int16)  # NDVI 0, 0.25 … 1: exact as Float32 and as scaled
    rate = rng.integers(1, 9, (9, 8)).astype(np.int16)
    outputs = {}
    for name, ndvi, c1 in (
        (
            "float",
            write_raster(tmp_path / "ndvi.tif", (quarters * 0.25).astype(np.float32), nodata=-9.0),
            write_raster(tmp_path / "c1.tif", (rate * 0.5 + 1).astype(np.float32), nodata=-9.0),
        ),
        (
            "scaled",
            write_scaled(tmp_path / "ndvi_s.tif", quarters, 0.25, nodata=-32768),
            write_scaled(tmp_path / "c1_s.tif", rate, 0.5, 1.0, nodata=-32768),
        ),
    ):
        outputs[name] = run(
            "mineland:resilience",
            {
                "LANDCOVER": cover,
                "NDVI": ndvi,
                "C1_RASTER": c1,
                "C2": 0.5,
                "SCORES": "1=0.4, 2=0.8",
                "WINDOW": 3,
                "OUTPUT_RASTER": str(tmp_path / f"{name}.tif"),
            },
        )["OUTPUT_RASTER"]
    assert gdal.Open(outputs["scaled"]).ReadAsArray().tobytes() == gdal.Open(outputs["float"]).ReadAsArray().tobytes()
