"""mineland.core.io.raster_io: grid checks, pixel areas, integer types, block I/O, class names."""

import math
import os

import numpy as np
import pytest
from osgeo import gdal, osr

from mineland.core.io import raster_io
from mineland.core.io.raster_io import Grid
from rasters import read_raster, write_raster

# WGS84 ellipsoid, independent of GDAL.
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)


def wkt(epsg):
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


UTM33N, WGS84 = wkt(32633), wkt(4326)


def utm_grid(xsize=4, ysize=4, origin=(500000.0, 6000000.0), pixel=30.0, crs=UTM33N):
    return Grid(xsize, ysize, (origin[0], pixel, 0.0, origin[1], 0.0, -pixel), crs)


def geo_grid(lat_top, rows, dlat=1.0, dlon=1.0, xsize=1):
    return Grid(xsize, rows, (0.0, dlon, 0.0, lat_top, 0.0, -dlat), WGS84)


def ellipsoid_cell_m2(lat1, lat2, dlon_deg):
    """Δλ ∫ a²(1−e²)cosφ/(1−e²sin²φ)² dφ by 40-point Gauss-Legendre (exact to ~1e-15 here)."""
    x, w = np.polynomial.legendre.leggauss(40)
    p1, p2 = math.radians(lat1), math.radians(lat2)
    phi = (p2 - p1) / 2 * x + (p1 + p2) / 2
    f = WGS84_A**2 * (1 - WGS84_E2) * np.cos(phi) / (1 - WGS84_E2 * np.sin(phi) ** 2) ** 2
    return math.radians(dlon_deg) * (p2 - p1) / 2 * float(np.sum(w * f))


# ------------------------------------------------------------- check_same_grid


@pytest.mark.parametrize(
    "other, expected",
    [
        (utm_grid(crs=WGS84), ["b.tif has a different CRS from a.tif", "EPSG:4326", "EPSG:32633"]),
        (utm_grid(crs=""), ["b.tif has a different CRS from a.tif", "no CRS"]),
        (utm_grid(xsize=5), ["b.tif is 5×4 pixels but a.tif is 4×4"]),
        (utm_grid(pixel=10.0), ["b.tif has pixel size 10×10 but a.tif has 30×30"]),
        # half a pixel (15 m) east and north: same size and pixel size, shifted origin
        (
            utm_grid(origin=(500015.0, 6000015.0)),
            ["b.tif is shifted from a.tif", "(500015.000000, 6000015.000000) vs (500000.000000, 6000000.000000)"],
        ),
    ],
)
def test_check_same_grid_messages(other, expected):
    with pytest.raises(ValueError) as err:
        raster_io.check_same_grid([("a.tif", utm_grid()), ("b.tif", other)])
    for text in expected:
        assert text in str(err.value)


def test_check_same_grid_returns_reference_and_names_first_differing_layer():
    ref = utm_grid()
    assert raster_io.check_same_grid([("a", ref), ("b", utm_grid()), ("c", utm_grid())]) == ref
    with pytest.raises(ValueError, match="^c is 4×5 pixels but a is 4×4"):
        raster_io.check_same_grid([("a", ref), ("b", utm_grid()), ("c", utm_grid(ysize=5))])


# --------------------------------------------------------------------- areas


def test_projected_pixel_area_is_constant():
    # 30 m × 30 m = 900 m² in every row
    areas = raster_io.row_pixel_areas_m2(utm_grid(ysize=6))
    np.testing.assert_array_equal(areas, np.full(6, 900.0))
    assert raster_io.has_constant_pixel_area(areas)


def test_projected_pixel_area_in_us_feet():
    # EPSG:2263 is in US survey feet: 100 ft × 100 ft = (100 × 1200/3937 m)² = 929.0341 m²
    areas = raster_io.row_pixel_areas_m2(utm_grid(ysize=2, pixel=100.0, crs=wkt(2263)))
    np.testing.assert_allclose(areas, (100 * 1200 / 3937) ** 2, rtol=1e-9)


@pytest.mark.parametrize(
    "lat_top, approx_km2",
    [
        (1.0, 12308.46),  # 1°×1° cell from the equator to 1°N
        (61.0, 6123.14),  # 1°×1° cell from 60°N to 61°N, about cos(60.5°) of the equatorial one
    ],
)
def test_geographic_cell_area_matches_ellipsoid_integral(lat_top, approx_km2):
    area = raster_io.row_pixel_areas_m2(geo_grid(lat_top, 1))[0]
    assert area == pytest.approx(ellipsoid_cell_m2(lat_top - 1, lat_top, 1.0), rel=1e-6)
    assert area / 1e6 == pytest.approx(approx_km2, abs=0.01)


def test_geographic_row_areas_shrink_poleward_and_add_up():
    # 80 rows of 1° from 80°N down to the equator: row 0 is northmost, so areas increase with the row index
    areas = raster_io.row_pixel_areas_m2(geo_grid(80.0, 80))
    assert np.all(np.diff(areas) > 0)
    assert not raster_io.has_constant_pixel_area(areas)
    # ten 0.1° rows between 40°N and 41°N add up to the single 1° row of that band
    fine = raster_io.row_pixel_areas_m2(geo_grid(41.0, 10, dlat=0.1))
    coarse = raster_io.row_pixel_areas_m2(geo_grid(41.0, 1))
    assert fine.sum() == pytest.approx(coarse[0], rel=1e-12)
    assert coarse[0] == pytest.approx(ellipsoid_cell_m2(40.0, 41.0, 1.0), rel=1e-6)


def test_geographic_area_scales_with_longitude_width():
    # half a degree of longitude is half the area
    half = raster_io.row_pixel_areas_m2(geo_grid(1.0, 1, dlon=0.5))[0]
    full = raster_io.row_pixel_areas_m2(geo_grid(1.0, 1))[0]
    assert half == pytest.approx(full / 2, rel=1e-12)


@pytest.mark.parametrize(
    "grid, message",
    [
        (utm_grid(crs=""), "no CRS"),
        (Grid(2, 2, (0.0, 1.0, 0.1, 1.0, 0.0, -1.0), WGS84), "rotated"),
    ],
)
def test_row_pixel_areas_refuses(grid, message):
    with pytest.raises(ValueError, match=message):
        raster_io.row_pixel_areas_m2(grid)


# ------------------------------------------------------------- integer types


@pytest.mark.parametrize(
    "values, expected",
    [
        (range(1, 8), (gdal.GDT_Byte, np.uint8, 0)),  # 0 is free: nodata 0
        (range(0, 8), (gdal.GDT_Byte, np.uint8, 255)),  # 0 taken: type maximum
        (range(0, 256), (gdal.GDT_UInt16, np.uint16, 65535)),  # every byte value taken: widen
        ([0, 65535], (gdal.GDT_UInt32, np.uint32, 4294967295)),  # both uint16 ends taken; int16 too small
        ([-1, 1, 2], (gdal.GDT_Int16, np.int16, 32767)),  # negative: first signed type
        ([], (gdal.GDT_Byte, np.uint8, 0)),
    ],
)
def test_integer_type_with_nodata(values, expected):
    assert raster_io.integer_type_with_nodata(values) == expected


def test_smallest_integer_type_refuses_too_wide():
    with pytest.raises(ValueError, match="32-bit"):
        raster_io.smallest_integer_type([0, 2**32])


# ---------------------------------------------------------------- valid_mask


@pytest.mark.parametrize(
    "values, nodata, expected",
    [
        (np.array([1.0, np.nan, np.inf, -np.inf, -9999.0, 0.0]), -9999.0, [1, 0, 0, 0, 0, 1]),
        (np.array([1.0, np.nan, -9999.0], dtype=np.float32), None, [1, 0, 1]),
        (np.array([1.0, np.nan, 2.0]), float("nan"), [1, 0, 1]),
        (np.array([0, 1, 255], dtype=np.uint8), 0, [0, 1, 1]),
        (np.array([0, 1, 255], dtype=np.uint8), None, [1, 1, 1]),
    ],
)
def test_valid_mask(values, nodata, expected):
    np.testing.assert_array_equal(raster_io.valid_mask(values, nodata), np.array(expected, dtype=bool))


# ------------------------------------------------------------------ blocks


@pytest.mark.parametrize(
    "block_pixels, windows",
    [
        (1, [(y, 1) for y in range(7)]),  # budget below one row: one row per block
        (10, [(0, 2), (2, 2), (4, 2), (6, 1)]),  # 10 px // 5 columns = 2 rows
        (15, [(0, 3), (3, 3), (6, 1)]),  # 15 // 5 = 3 rows
        (1 << 22, [(0, 7)]),  # the whole raster in one block
    ],
)
def test_iter_blocks_covers_every_row_once(tmp_path, block_pixels, windows):
    array = np.arange(35, dtype=np.int32).reshape(7, 5)
    ds = raster_io.open_raster(write_raster(tmp_path / "a.tif", array))
    grid = raster_io.grid_of(ds)
    band = ds.GetRasterBand(1)
    seen = [(yoff, nrows) for yoff, nrows, _ in raster_io.iter_blocks([band], grid, block_pixels=block_pixels)]
    assert seen == windows
    stacked = np.vstack([arrays[0] for _, _, arrays in raster_io.iter_blocks([band], grid, block_pixels=block_pixels)])
    np.testing.assert_array_equal(stacked, array)


def test_iter_blocks_reports_progress_within_span(tmp_path):
    ds = raster_io.open_raster(write_raster(tmp_path / "a.tif", np.zeros((4, 5), np.uint8)))
    fractions = []
    monitor = raster_io.Monitor(progress=fractions.append)
    list(
        raster_io.iter_blocks(
            [ds.GetRasterBand(1)], raster_io.grid_of(ds), monitor, block_pixels=10, progress_span=(0.5, 1.0)
        )
    )
    # 2 rows per block over 4 rows: 0.5 + 0.5·(2/4), 0.5 + 0.5·(4/4)
    assert fractions == [0.75, 1.0]


class CountingBand:
    """A band that counts its reads."""

    def __init__(self, band):
        self.band, self.reads = band, 0

    def GetBlockSize(self):
        return self.band.GetBlockSize()

    def ReadAsArray(self, *args):
        self.reads += 1
        return self.band.ReadAsArray(*args)


def test_cancel_raises_before_reading(tmp_path):
    ds = raster_io.open_raster(write_raster(tmp_path / "a.tif", np.zeros((4, 4), np.uint8)))
    band = CountingBand(ds.GetRasterBand(1))
    monitor = raster_io.Monitor(is_cancelled=lambda: True)
    with pytest.raises(raster_io.Cancelled):
        next(raster_io.iter_blocks([band], raster_io.grid_of(ds), monitor))
    assert band.reads == 0


def test_open_raster_names_the_path(tmp_path):
    missing = tmp_path / "missing.tif"
    with pytest.raises(ValueError, match="missing.tif"):
        raster_io.open_raster(missing)


# ------------------------------------------------------------------ writer


def test_block_writer_renames_on_close(tmp_path):
    path = tmp_path / "out.tif"
    grid = utm_grid(xsize=3, ysize=2)
    writer = raster_io.BlockWriter(path, grid, gdal.GDT_Byte, nodata=0)
    writer.write(0, np.array([[1, 2, 3]], np.uint8))
    writer.write(1, np.array([[4, 5, 0]], np.uint8))
    partial = f"{path}.partial-{os.getpid()}.tmp"  # a folder, no raster extension: nobody takes it for a result
    assert os.listdir(tmp_path) == [os.path.basename(partial)] and os.path.isdir(partial)
    assert writer.close() == str(path)
    assert os.listdir(tmp_path) == ["out.tif"]
    np.testing.assert_array_equal(read_raster(path), [[1, 2, 3], [4, 5, 0]])
    ds = gdal.Open(str(path))
    assert ds.GetRasterBand(1).GetNoDataValue() == 0
    assert raster_io.grid_of(ds) == grid


def test_block_writer_removes_temporary_on_exception(tmp_path):
    path = tmp_path / "out.tif"
    with pytest.raises(RuntimeError, match="boom"):
        with raster_io.BlockWriter(path, utm_grid(), gdal.GDT_Byte) as writer:
            writer.write(0, np.ones((4, 4), np.uint8))
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name, driver", [("a.tif", "GTiff"), ("a.TIFF", "GTiff"), ("a.img", "HFA")])
def test_output_driver_follows_the_extension(name, driver):
    assert raster_io.output_driver(name) == driver


@pytest.mark.parametrize(
    "name, says",
    [("a.vrt", "holds no pixels"), ("a.gpkg", "GeoPackage"), ("a.asc", "'.asc'"), ("a", "without extension")],
)
def test_output_driver_refuses_other_extensions(name, says):
    with pytest.raises(ValueError, match=says) as caught:
        raster_io.output_driver(name)
    assert ".tif (GeoTIFF), .tiff (GeoTIFF), .img (Erdas Imagine)" in str(caught.value)


def test_block_writer_writes_erdas_imagine_with_spill_file(tmp_path, monkeypatch):
    # force the spill file GDAL makes above 2 GiB: it must keep its name when moved into place
    monkeypatch.setitem(raster_io._CREATION_OPTIONS, "HFA", ["BLOCKSIZE=256", "USE_SPILL=YES"])
    path = tmp_path / "out.img"
    values = np.arange(12, dtype=np.int32).reshape(3, 4) - 5
    with raster_io.BlockWriter(path, utm_grid(xsize=4, ysize=3), gdal.GDT_Int32, nodata=-99, bands=2) as writer:
        writer.set_band_names(["first", "second"])
        writer.write(0, values[:2])
        writer.write(2, values[2:])
        writer.write(0, values * 2, band=2)
    assert sorted(os.listdir(tmp_path)) == ["out.ige", "out.img"]
    ds = gdal.Open(str(path))
    assert ds.GetDriver().ShortName == "HFA" and ds.GetRasterBand(2).GetDescription() == "second"
    np.testing.assert_array_equal(ds.GetRasterBand(1).ReadAsArray(), values)
    np.testing.assert_array_equal(ds.GetRasterBand(2).ReadAsArray(), values * 2)
    assert ds.GetRasterBand(1).GetNoDataValue() == -99


def test_block_writer_replaces_an_earlier_raster_and_its_sidecars(tmp_path):
    path = tmp_path / "out.tif"
    write_raster(path, np.ones((2, 2), np.float32))
    for sidecar in ("out.tif.aux.xml", "out.tif.ovr", "out.qml", "other.tif"):
        (tmp_path / sidecar).write_text("old", encoding="utf-8")
    with raster_io.BlockWriter(path, utm_grid(xsize=2, ysize=1), gdal.GDT_Byte, nodata=0) as writer:
        writer.write(0, np.array([[3, 4]], np.uint8))
    assert sorted(os.listdir(tmp_path)) == ["other.tif", "out.tif"]
    np.testing.assert_array_equal(read_raster(path), [[3, 4]])


def test_dataset_files_lists_vrt_sources_recursively(tmp_path):
    tifs = [write_raster(tmp_path / f"{i}.tif", np.full((2, 2), i, np.uint8)) for i in range(2)]
    inner = [str(tmp_path / f"{i}.vrt") for i in range(2)]
    for vrt, tif in zip(inner, tifs):
        gdal.BuildVRT(vrt, [tif]).FlushCache()
    outer = str(tmp_path / "stack.vrt")
    gdal.BuildVRT(outer, inner, separate=True).FlushCache()
    files = raster_io.dataset_files(outer)
    assert files[0] == outer
    assert sorted(os.path.basename(f) for f in files) == ["0.tif", "0.vrt", "1.tif", "1.vrt", "stack.vrt"]
    text = tmp_path / "notes.txt"
    text.write_text("not a raster", encoding="utf-8")
    assert raster_io.dataset_files(text) == [str(text)]


# ------------------------------------------------------------- class names


def test_class_names_round_trip(tmp_path):
    names = {1: "Cropland", 2: "Forest", 7: "Construction land"}
    path = tmp_path / "classes.tif"
    with raster_io.BlockWriter(path, utm_grid(xsize=2, ysize=1), gdal.GDT_Byte, nodata=0) as writer:
        writer.write(0, np.array([[1, 7]], np.uint8))
        raster_io.write_class_names(writer.band(), names)
    assert not any(".partial-" in name for name in os.listdir(tmp_path))
    ds = gdal.Open(str(path))
    assert raster_io.read_class_names(ds.GetRasterBand(1)) == names


def test_read_class_names_from_categories_and_empty(tmp_path):
    ds = gdal.Open(write_raster(tmp_path / "a.tif", np.ones((2, 2), np.uint8)), gdal.GA_Update)
    band = ds.GetRasterBand(1)
    assert raster_io.read_class_names(band) == {}
    band.SetCategoryNames(["", "Water", "", "Forest"])  # index = code; empty names are skipped
    assert raster_io.read_class_names(band) == {1: "Water", 3: "Forest"}
