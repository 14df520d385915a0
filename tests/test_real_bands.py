"""Multi-band class rasters as analysts have them: a GLC_FCS30D-like tile, one band per year 2000–2022.

The tile is built with GDAL in tmp_path: EPSG:4326, 0.05° pixels, GLC_FCS30D level-1 codes, band
descriptions "2000" … "2022" (or split into one file per year whose names hold the year). Expected
areas are computed independently: pixel counts by numpy and the exact area of an ellipsoidal
latitude-longitude quadrangle on WGS 84 (authalic latitude formula).
"""

import csv

import numpy as np
import pytest
from osgeo import gdal

from rasters import WGS84, file_digest, write_raster

YEARS = list(range(2000, 2023))
CODES = np.array([10, 20, 51, 61, 120, 130, 150, 190, 200, 210], dtype=np.uint8)  # GLC_FCS30D level-1 codes
NODATA = 0
ROWS, COLS = 30, 40
PIXEL_DEG = 0.05
ORIGIN = (110.0, 40.0)  # upper-left corner of the tile (lon, lat)
WGS84_A, WGS84_F = 6378137.0, 1 / 298.257223563


def tile_bands(seed=19):
    """(23, ROWS, COLS) uint8 classes: a random first year, then ~8 % of the pixels change class each year."""
    rng = np.random.default_rng(seed)
    bands = np.empty((len(YEARS), ROWS, COLS), dtype=np.uint8)
    bands[0] = rng.choice(CODES, size=(ROWS, COLS))
    for k in range(1, len(YEARS)):
        bands[k] = np.where(rng.random((ROWS, COLS)) < 0.08, rng.choice(CODES, size=(ROWS, COLS)), bands[k - 1])
    bands[:, 0, :3] = NODATA  # nodata at every date
    bands[5:, 7, 7] = NODATA  # nodata from 2005 on
    return bands


def write_tile(path, bands, descriptions=True):
    """A multi-band GeoTIFF of ``bands`` on the 4326 tile grid, band k described by its year."""
    write_raster(path, bands, epsg=WGS84, origin=ORIGIN, pixel=(PIXEL_DEG, PIXEL_DEG), nodata=NODATA)
    if descriptions:
        dataset = gdal.Open(str(path), gdal.GA_Update)
        for k, year in enumerate(YEARS, start=1):
            dataset.GetRasterBand(k).SetDescription(str(year))
        dataset = None
    return str(path)


def write_years(folder, bands, pattern="GLC_FCS30D_E110N40_{year}.tif"):
    """One single-band GeoTIFF per year (no band descriptions), the year in the file name."""
    return [
        write_raster(
            folder / pattern.format(year=year),
            band,
            epsg=WGS84,
            origin=ORIGIN,
            pixel=(PIXEL_DEG, PIXEL_DEG),
            nodata=NODATA,
        )
        for year, band in zip(YEARS, bands)
    ]


@pytest.fixture
def tile(tmp_path):
    bands = tile_bands()
    return bands, write_tile(tmp_path / "GLC_FCS30D_20002022_E110N40_Annual.tif", bands)


@pytest.fixture
def split(tmp_path, tile):
    folder = tmp_path / "split"
    folder.mkdir()
    return write_years(folder, tile[0])


def quadrangle_area_m2(lat_south, lat_north, dlon_deg):
    """Exact area (m²) of a latitude-longitude quadrangle on the WGS 84 ellipsoid.

    A = b² Δλ / 2 · [q(φ)]_{φ1}^{φ2}, q(φ) = sin φ / (1 − e² sin² φ) + atanh(e sin φ) / e
    (Snyder 1987, Map Projections — A Working Manual, eq. 3-12 with the authalic q).
    """
    e2 = WGS84_F * (2 - WGS84_F)
    e = np.sqrt(e2)
    b2 = WGS84_A**2 * (1 - e2)

    def q(lat):
        s = np.sin(np.radians(lat))
        return s / (1 - e2 * s * s) + np.arctanh(e * s) / e

    return b2 * np.radians(dlon_deg) / 2 * (q(lat_north) - q(lat_south))


def row_areas():
    north = ORIGIN[1] - PIXEL_DEG * np.arange(ROWS)
    return quadrangle_area_m2(north - PIXEL_DEG, north, PIXEL_DEG)


def numpy_crosstab(a, b):
    """{(from, to): (pixels, area_m2)} over the pixels with data at both dates."""
    valid = (a != NODATA) & (b != NODATA)
    areas = np.broadcast_to(row_areas()[:, None], a.shape)
    out = {}
    for f, t in sorted(set(zip(a[valid].tolist(), b[valid].tolist()))):
        cell = valid & (a == f) & (b == t)
        out[(f, t)] = (int(cell.sum()), float(areas[cell].sum()))
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pairs_of(path):
    return {(int(r["from_class"]), int(r["to_class"])): (int(r["pixels"]), float(r["area_m2"])) for r in read_csv(path)}


@pytest.fixture
def log(recording_feedback):
    """A feedback that keeps its warnings and info lines."""
    return recording_feedback()


def years_text(years=YEARS):
    return ",".join(map(str, years))


# ------------------------------------------------------------------ transfermatrix BAND_START / BAND_END


@pytest.mark.parametrize("band_start, band_end", [(1, 23), (6, 11), (23, 1)])
def test_transfermatrix_bands_match_a_numpy_crosstab(run, tmp_path, tile, log, band_start, band_end):
    bands, path = tile
    before = file_digest(path)
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": path,
            "BAND_START": band_start,
            "INPUT_END": path,
            "BAND_END": band_end,
            "OUTPUT": str(tmp_path / "pairs.csv"),
            "OUTPUT_MATRIX": str(tmp_path / "matrix.csv"),
        },
        log,
    )
    expected = numpy_crosstab(bands[band_start - 1], bands[band_end - 1])
    got = pairs_of(result["OUTPUT"])
    assert got.keys() == expected.keys()
    for pair, (pixels, area) in expected.items():
        assert got[pair][0] == pixels, pair
        assert got[pair][1] == pytest.approx(area, rel=1e-9), pair
    total = sum(a for _, a in expected.values())
    changed = sum(a for (f, t), (_, a) in expected.items() if f != t)
    assert result["TOTAL_KM2"] == pytest.approx(total / 1e6, rel=1e-9)
    assert result["CHANGED_KM2"] == pytest.approx(changed / 1e6, rel=1e-9)
    assert result["CHANGED_PCT"] > 10  # the bug: band 1 at both dates gave 0 %
    assert not log.warnings
    assert file_digest(path) == before


def test_transfermatrix_without_a_band_reads_band_1_with_a_warning(run, tmp_path, tile, split, log):
    bands, path = tile
    result = run(
        "mineland:transfermatrix",
        {"INPUT_START": path, "INPUT_END": split[-1], "OUTPUT": str(tmp_path / "pairs.csv")},
        log,
    )
    assert pairs_of(result["OUTPUT"]).keys() == numpy_crosstab(bands[0], bands[-1]).keys()
    assert any(
        w.startswith("INPUT_START:") and "has 23 bands" in w and "band 1" in w and "BAND_START" in w
        for w in log.warnings
    ), log.warnings
    assert not any("INPUT_END" in w for w in log.warnings)  # a single-band raster needs no band


@pytest.mark.dask
def test_transfermatrix_on_dask_reads_the_chosen_bands(run, tmp_path, tile):
    distributed = pytest.importorskip("distributed")
    bands, path = tile
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        results = {}
        for name, extra in (("local", {}), ("dask", {"DASK_SCHEDULER": client.scheduler.address})):
            results[name] = run(
                "mineland:transfermatrix",
                dict(
                    extra,
                    INPUT_START=path,
                    BAND_START=3,
                    INPUT_END=path,
                    BAND_END=20,
                    OUTPUT=str(tmp_path / f"pairs_{name}.csv"),
                    OUTPUT_CHANGE=str(tmp_path / f"change_{name}.tif"),
                ),
            )
    assert read_csv(results["local"]["OUTPUT"]) == read_csv(results["dask"]["OUTPUT"])
    expected = numpy_crosstab(bands[2], bands[19])
    assert {k: v[0] for k, v in pairs_of(results["dask"]["OUTPUT"]).items()} == {k: v[0] for k, v in expected.items()}
    change = [gdal.Open(results[n]["OUTPUT_CHANGE"]).ReadAsArray() for n in ("local", "dask")]
    np.testing.assert_array_equal(change[0], change[1])


@pytest.mark.parametrize("bands_given", [{}, {"BAND_START": 5, "BAND_END": 5}])
def test_the_same_raster_and_band_at_both_dates_is_refused(run, tmp_path, tile, bands_given):
    from qgis.core import QgsProcessingException

    _, path = tile
    before = file_digest(path)
    out = tmp_path / "pairs.csv"
    with pytest.raises(
        QgsProcessingException,
        match="^INPUT_END: the same raster and band as INPUT_START; choose the later date's raster or band",
    ):
        run("mineland:transfermatrix", dict(bands_given, INPUT_START=path, INPUT_END=path, OUTPUT=str(out)))
    assert file_digest(path) == before
    assert not out.exists()


def test_a_band_beyond_the_raster_is_refused_naming_the_band_parameter(run, tmp_path, tile):
    from qgis.core import QgsProcessingException

    _, path = tile
    with pytest.raises(QgsProcessingException, match="BAND_END: band 24 does not exist; .* has 23 band"):
        run(
            "mineland:transfermatrix",
            {
                "INPUT_START": path,
                "BAND_START": 1,
                "INPUT_END": path,
                "BAND_END": 24,
                "OUTPUT": str(tmp_path / "pairs.csv"),
            },
        )


@pytest.mark.parametrize("algorithm, output", [("landusedynamics", "k.csv"), ("trend", "trend.tif")])
def test_the_same_file_twice_in_a_series_is_refused(run, tmp_path, split, algorithm, output):
    from qgis.core import QgsProcessingException

    inputs = [split[0], split[1], split[2], split[1]]
    before = [file_digest(p) for p in inputs]
    with pytest.raises(
        QgsProcessingException,
        match=r"^INPUTS \(raster 4, .*2001.tif\): the same raster as "
        r"INPUTS \(raster 2, .*2001.tif\); choose",
    ):
        run(
            f"mineland:{algorithm}",
            {"INPUTS": inputs, "YEARS": "2000,2001,2002,2003", "MIN_VALID": 4, "OUTPUT": str(tmp_path / output)},
        )
    assert [file_digest(p) for p in inputs] == before
    assert not (tmp_path / output).exists()


# ------------------------------------------------------------------ one multi-band raster as the series


def mine_polygons():
    """Two polygons over the tile (lon/lat): the west half and a block in the east."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer("Polygon?crs=EPSG:4326&field=name:string", "mines", "memory")
    x0, y0 = ORIGIN
    features = []
    for name, (c0, c1, r0, r1) in (("west", (0, 20, 0, 30)), ("east", (25, 38, 4, 22))):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(
            QgsGeometry.fromRect(
                QgsRectangle(x0 + PIXEL_DEG * c0, y0 - PIXEL_DEG * r1, x0 + PIXEL_DEG * c1, y0 - PIXEL_DEG * r0)
            )
        )
        feature.setAttributes([name])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def carbon_table(tmp_path):
    path = tmp_path / "carbon.csv"
    rows = "\n".join(f"{c},{5 + i},{2 * i},{30 + 3 * i},1" for i, c in enumerate(CODES.tolist()))
    path.write_text("lucode,c_above,c_below,c_soil,c_dead\n" + rows + "\n", encoding="utf-8")
    return str(path)


SERIES_RUNS = {
    "landusedynamics": (lambda tmp: {}, ("OUTPUT", "OUTPUT_SUMMARY")),
    "carbonstock": (lambda tmp: {"CARBON_TABLE": carbon_table(tmp)}, ("OUTPUT", "OUTPUT_CHANGE")),
    "disturbance": (
        lambda tmp: {
            "MINES": mine_polygons(),
            "ID_FIELD": "name",
            "MINE_CLASSES": "190,200",
            "VEGETATION_CLASSES": "10,20,51,61,120,130",
        },
        ("OUTPUT",),
    ),
    "zonalseries": (lambda tmp: {"MINES": mine_polygons(), "ID_FIELD": "name"}, ("OUTPUT",)),
}


@pytest.mark.slow  # six algorithms run twice on a 23-band tile: ~2 s
@pytest.mark.parametrize("algorithm", sorted(SERIES_RUNS))
def test_a_multiband_series_equals_the_split_single_band_files(run, tmp_path, tile, split, algorithm, log):
    extra, tables = SERIES_RUNS[algorithm]
    _, path = tile
    digests = [file_digest(p) for p in [path] + split]
    outputs = {}
    for name, inputs in (("multiband", [path]), ("split", split)):
        parameters = dict(extra(tmp_path), INPUTS=inputs, YEARS=years_text())
        parameters.update({key: str(tmp_path / f"{name}_{key}.csv") for key in tables})
        outputs[name] = run(f"mineland:{algorithm}", parameters, log)
    for key in tables:
        multiband, single = read_csv(outputs["multiband"][key]), read_csv(outputs["split"][key])
        assert multiband == single, key
        assert len(multiband) > 20
    for key, value in outputs["split"].items():
        if isinstance(value, float):
            assert outputs["multiband"][key] == value, key
    assert not log.warnings
    assert [file_digest(p) for p in [path] + split] == digests


def test_landusedynamics_on_the_tile_changes_as_numpy_says(run, tmp_path, tile):
    bands, path = tile
    result = run(
        "mineland:landusedynamics",
        {
            "INPUTS": [path],
            "YEARS": years_text(),
            "OUTPUT": str(tmp_path / "k.csv"),
            "OUTPUT_SUMMARY": str(tmp_path / "s.csv"),
        },
    )
    summary = {
        (int(r["year_start"]), int(r["year_end"])): float(r["changed_pct"]) for r in read_csv(result["OUTPUT_SUMMARY"])
    }
    expected = numpy_crosstab(bands[0], bands[-1])
    changed = sum(a for (f, t), (_, a) in expected.items() if f != t) / sum(a for _, a in expected.values())
    assert summary[(2000, 2022)] == pytest.approx(changed * 100, rel=1e-9)
    assert len(summary) == len(YEARS)  # 22 consecutive periods and first → last


def test_a_multiband_raster_in_a_list_is_read_at_band_1_with_a_warning(run, tmp_path, tile, split, log):
    _, path = tile
    mixed = run(
        "mineland:landusedynamics",
        {"INPUTS": [path, split[-1]], "YEARS": "2000,2022", "OUTPUT": str(tmp_path / "mixed.csv")},
        log,
    )
    single = run(
        "mineland:landusedynamics",
        {"INPUTS": [split[0], split[-1]], "YEARS": "2000,2022", "OUTPUT": str(tmp_path / "single.csv")},
    )
    assert read_csv(mixed["OUTPUT"]) == read_csv(single["OUTPUT"])
    assert len(log.warnings) == 1
    assert log.warnings[0].startswith("INPUTS (raster 1, GLC_FCS30D_20002022_E110N40_Annual.tif): has 23 bands")
    assert "band 1" in log.warnings[0]


def test_one_single_band_raster_is_not_a_series(run, tmp_path, split):
    from qgis.core import QgsProcessingException

    with pytest.raises(
        QgsProcessingException, match="^INPUTS: give at least two class rasters .* or one multi-band raster"
    ):
        run("mineland:carbonstock", {"INPUTS": [split[0]], "YEARS": "2000", "OUTPUT": str(tmp_path / "c.csv")})


# ------------------------------------------------------------------ YEARS left empty


@pytest.mark.parametrize("years", [None, ""])
def test_years_are_read_from_the_band_descriptions(run, tmp_path, tile, log, years):
    _, path = tile
    parameters = {"INPUTS": [path], "OUTPUT": str(tmp_path / "inferred.csv")}
    if years is not None:
        parameters["YEARS"] = years
    inferred = run("mineland:landusedynamics", parameters, log)
    given = run(
        "mineland:landusedynamics", {"INPUTS": [path], "YEARS": years_text(), "OUTPUT": str(tmp_path / "given.csv")}
    )
    assert read_csv(inferred["OUTPUT"]) == read_csv(given["OUTPUT"])
    lines = [i for i in log.infos if i.startswith("YEARS left empty")]
    assert len(lines) == 1
    assert "band descriptions" in lines[0] and "GLC_FCS30D_20002022_E110N40_Annual.tif" in lines[0]
    assert lines[0].endswith(", ".join(map(str, YEARS)))


def test_years_are_read_from_the_file_names(run, tmp_path, split, log):
    inferred = run(
        "mineland:carbonstock",
        {"INPUTS": split, "CARBON_TABLE": carbon_table(tmp_path), "OUTPUT": str(tmp_path / "inferred.csv")},
        log,
    )
    assert sorted({int(r["year"]) for r in read_csv(inferred["OUTPUT"])}) == YEARS
    lines = [i for i in log.infos if i.startswith("YEARS left empty")]
    assert len(lines) == 1 and "file names" in lines[0]
    assert lines[0].endswith(", ".join(map(str, YEARS)))


def test_trend_and_zonalseries_read_years_from_band_descriptions(run, tmp_path, tile, log):
    bands, _ = tile
    values = write_tile(tmp_path / "ndvi.tif", (bands.astype(np.float32) / 250.0))
    result = run(
        "mineland:zonalseries",
        {"INPUTS": [values], "MINES": mine_polygons(), "ID_FIELD": "name", "OUTPUT": str(tmp_path / "z.csv")},
        log,
    )
    assert sorted({int(r["year"]) for r in read_csv(result["OUTPUT"])}) == YEARS
    run("mineland:trend", {"INPUTS": [values], "OUTPUT": str(tmp_path / "trend.tif")}, log)
    assert sum(i.startswith("YEARS left empty") for i in log.infos) == 2


def test_years_that_cannot_be_read_ask_to_fill_years(run, tmp_path, tile):
    from qgis.core import QgsProcessingException

    bands, _ = tile
    plain = write_tile(tmp_path / "plain.tif", bands, descriptions=False)
    before = file_digest(plain)
    with pytest.raises(
        QgsProcessingException,
        match=r"^YEARS: left empty, and the years cannot be read .*band "
        r"descriptions: '' holds no year.*fill YEARS",
    ):
        run("mineland:landusedynamics", {"INPUTS": [plain], "OUTPUT": str(tmp_path / "k.csv")})
    assert file_digest(plain) == before

    folder = tmp_path / "ambiguous"
    folder.mkdir()
    two = write_years(folder, bands[:3], "lc_{year}_2030.tif")  # two years in every name
    with pytest.raises(
        QgsProcessingException,
        match=r"^YEARS: .*file names: 'lc_2000_2030' holds 2 years "
        r"\(2000, 2030\).*fill YEARS",
    ):
        run(
            "mineland:disturbance",
            {"INPUTS": two, "MINES": mine_polygons(), "ID_FIELD": "name", "OUTPUT": str(tmp_path / "d.csv")},
        )


def test_years_read_out_of_order_are_refused(run, tmp_path, split):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match=r"^YEARS: .*the years 2005, 2000 do not increase.*fill YEARS"):
        run("mineland:landusedynamics", {"INPUTS": [split[5], split[0]], "OUTPUT": str(tmp_path / "k.csv")})


def test_years_in_labels():
    from mineland.core.landcover.dynamics import years_in_labels

    assert years_in_labels(["GLC_FCS30D_E110N40_2000", "2005", "NDVI 2010 (Landsat)", "x2100"]) == [
        2000,
        2005,
        2010,
        2100,
    ]
    for labels, message in (
        (["E110N40_20002022"], "holds no year"),
        (["lc_1899"], "holds no year"),
        (["2000-2005"], "holds 2 years"),
        (["2001", "2001"], "do not increase"),
        ([], "nothing"),
    ):
        with pytest.raises(ValueError, match=message):
            years_in_labels(labels)


def test_the_help_says_how_bands_and_years_are_read(provider):
    transfer = provider.algorithm("transfermatrix").shortHelpString()
    assert "BAND_START" in transfer and "BAND_END" in transfer and "band count" in transfer
    for name in ("landusedynamics", "carbonstock", "disturbance", "integrity", "zonalseries", "trend"):
        text = provider.algorithm(name).shortHelpString()
        assert "four-digit year" in text and "1900–2100" in text and "fill YEARS" in text, name


@pytest.mark.qgis_process
def test_qgis_process_reads_bands_and_years(tmp_path, tile):
    from sample.qgisprocess import QgisProcess

    bands, path = tile
    qgis_process = QgisProcess()
    result = qgis_process.run(
        "mineland:transfermatrix",
        INPUT_START=path,
        BAND_START=1,
        INPUT_END=path,
        BAND_END=23,
        OUTPUT=str(tmp_path / "pairs.csv"),
    )
    expected = numpy_crosstab(bands[0], bands[-1])
    assert {k: v[0] for k, v in pairs_of(result["OUTPUT"]).items()} == {k: v[0] for k, v in expected.items()}
    qgis_process.run(
        "mineland:landusedynamics",
        INPUTS=[path],
        OUTPUT=str(tmp_path / "k.csv"),
        OUTPUT_SUMMARY=str(tmp_path / "s.csv"),
    )
    assert {int(r["year_end"]) for r in read_csv(tmp_path / "s.csv")} == set(YEARS[1:])
