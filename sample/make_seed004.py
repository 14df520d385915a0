"""Deterministic synthetic data for seed 004's workflow (LST + EVI → MLRI → trend → restoration per site).

60 × 50 pixels of 30 m in UTM 49N, eleven years 2008–2019 without 2012 (seed
004's series has no 2012 either). Annual land surface temperature (kelvin) and
EVI, each as one raster per year and as one multiband stack, with four mine
sites (GeoJSON polygons in WGS 84, fields name, start_year, region):

- ``restoring``: bare in 2008, EVI rises and LST falls every year (reclaimed);
- ``partial``: a slower, noisier version of the same;
- ``degrading``: recovered by 2009, then losing vegetation and warming every year;
- ``stable``: untouched background, with a 5 × 5 pixel cloud (EVI nodata) in 2015.

Same seed, same rasters, on any machine.

Usage: python make_seed004.py OUTPUT_FOLDER
"""

import os
import sys

import numpy as np
from osgeo import gdal

from sample import sample_io

gdal.UseExceptions()

WIDTH, HEIGHT, PIXEL = 60, 50, 30.0
ORIGIN = (400000.0, 4200000.0)
EPSG = 32649
YEARS = (2008, 2009, 2010, 2011, 2013, 2014, 2015, 2016, 2017, 2018, 2019)
NODATA = -9999.0
CLOUD = (2015, (36, 30, 41, 35))  # year, (col0, row0, col1, row1) of the EVI gap
#: site name: ((col0, row0, col1, row1), start year, region); pixels col0 ≤ c < col1, row0 ≤ r < row1
SITES = {
    "restoring": ((5, 5, 25, 20), 2001, "north"),
    "partial": ((35, 5, 55, 20), 2006, "north"),
    "degrading": ((5, 28, 25, 45), 2012, "south"),
    "stable": ((35, 28, 55, 45), 2009, "south"),
}


def _window(name):
    c0, r0, c1, r1 = SITES[name][0]
    return slice(r0, r1), slice(c0, c1)


def series(seed=4):
    """(lst, evi): float32 arrays of shape (years, HEIGHT, WIDTH); LST in kelvin, EVI nodata = NODATA."""
    rng = np.random.RandomState(seed)
    n = len(YEARS)
    t = np.linspace(0.0, 1.0, n)[:, None, None]
    lst = 303.0 + rng.normal(0.0, 0.4, (n, HEIGHT, WIDTH))
    evi = 0.30 + rng.normal(0.0, 0.01, (n, HEIGHT, WIDTH))

    rows, cols = _window("restoring")  # bare → vegetated, steadily
    evi[:, rows, cols] += -0.22 + 0.27 * t
    lst[:, rows, cols] += 10.0 - 12.0 * t
    rows, cols = _window("partial")  # slower and noisier
    evi[:, rows, cols] += -0.15 + 0.08 * t + rng.normal(0.0, 0.02, evi[:, rows, cols].shape)
    lst[:, rows, cols] += 6.0 - 3.0 * t
    rows, cols = _window("degrading")  # good in 2009, then worse every year
    decline = np.concatenate([[1.0], np.linspace(0.0, 1.0, n - 1)])[:, None, None]
    evi[:, rows, cols] += 0.05 - 0.25 * decline
    lst[:, rows, cols] += -2.0 + 10.0 * decline

    evi = np.clip(evi, 0.02, None)
    year, (c0, r0, c1, r1) = CLOUD
    evi[YEARS.index(year), r0:r1, c0:c1] = NODATA
    return lst.astype(np.float32), evi.astype(np.float32)


def _write(path, bands, names=None):
    return sample_io.write_geotiff(path, bands, gdal.GDT_Float32, ORIGIN, PIXEL, EPSG, nodata=NODATA, names=names)


def _lonlat(col, row):
    return sample_io.lonlat(col, row, ORIGIN, PIXEL, EPSG, 9)


def write_sites(path):
    return sample_io.write_features(
        path,
        [
            {
                "type": "Feature",
                "properties": {"name": name, "start_year": start, "region": region},
                "geometry": {"type": "Polygon", "coordinates": [sample_io.box_ring(_lonlat, *box)]},
            }
            for name, (box, start, region) in SITES.items()
        ],
    )


def write_all(folder):
    """Write the series and the sites; return {name: path or list of paths}."""
    os.makedirs(folder, exist_ok=True)
    lst, evi = series()
    return {
        "lst": [_write(os.path.join(folder, f"lst_{y}.tif"), [a]) for y, a in zip(YEARS, lst)],
        "evi": [_write(os.path.join(folder, f"evi_{y}.tif"), [a]) for y, a in zip(YEARS, evi)],
        "lst_stack": _write(os.path.join(folder, "lst_stack.tif"), list(lst), YEARS),
        "evi_stack": _write(os.path.join(folder, "evi_stack.tif"), list(evi), YEARS),
        "sites": write_sites(os.path.join(folder, "sites.geojson")),
    }


if __name__ == "__main__":
    for key, value in write_all(sys.argv[1] if len(sys.argv) > 1 else "seed004_sample").items():
        print(key, value)
