"""A deterministic synthetic land-cover series in GLC_FCS30 codes, for the demo and tests.

400 × 300 pixels of 30 m (12 × 9 km) in UTM 37N near the Kursk Magnetic Anomaly,
for 1985, 2000 and 2020: cropland with forest and grassland patches from
smoothed noise, a river with wetland banks, a town and an open pit that both
expand, forest regrowth on abandoned fields, and a strip of fill value (0) on
the western edge. Same seed, same rasters, on any machine.

Usage: python make_sample.py OUTPUT_FOLDER
"""

import os
import sys

import numpy as np
from osgeo import gdal
from scipy import ndimage

from sample import sample_io

gdal.UseExceptions()

WIDTH, HEIGHT, PIXEL = 400, 300, 30.0
ORIGIN = (370000.0, 5683000.0)
EPSG = 32637
YEARS = (1985, 2000, 2020)
FILL = 0


def _field(rng, sigma):
    noise = ndimage.gaussian_filter(rng.standard_normal((HEIGHT, WIDTH)), sigma)
    return (noise - noise.mean()) / noise.std()


def _disc(cy, cx, radius):
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    return (yy - cy) ** 2 + ((xx - cx) * 0.8) ** 2 <= radius**2


def land_cover_series(seed=1985):
    """{year: uint8 array of GLC_FCS30 codes}."""
    rng = np.random.RandomState(seed)
    woods, meadow, regrowth, farm = (_field(rng, s) for s in (9, 6, 12, 3))
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    river = np.abs(yy - (200 + 25 * np.sin(xx / 45.0))) < 3
    banks = (np.abs(yy - (200 + 25 * np.sin(xx / 45.0))) < 7) & ~river & (woods < 0.3)

    series = {}
    for step, year in enumerate(YEARS):
        lc = np.where(farm > 0.4, 20, 10).astype(np.uint8)  # rainfed / irrigated cropland
        lc[meadow > 0.9] = 130  # grassland
        lc[woods > 1.0 - 0.25 * step * (regrowth > 0.5)] = 62  # forest, regrowing on old fields
        lc[(woods > 1.6)] = 71  # needle-leaved core
        lc[(woods < -1.8) & (meadow > 0)] = 120  # shrubland
        lc[banks] = 180  # wetland
        lc[river] = 210  # water
        lc[_disc(90, 300, 22 + 14 * step)] = 190  # town
        pit = _disc(120, 140, 18 + 12 * step)
        lc[pit] = 200  # bare pit floor
        lc[pit & ~_disc(120, 140, 12 + 12 * step)] = 201  # benches
        if step:
            lc[_disc(120, 140, 4 + 4 * step)] = 210  # pit lake
            lc[_disc(60, 150, 8 * step) & ~pit] = 202  # tailings
        lc[:, :3] = FILL  # fill strip (nodata)
        series[year] = lc
    return series


def write_series(folder, seed=1985):
    """Write glc_<year>.tif (GLC_FCS30 codes, nodata 0) into ``folder``; return the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for year, lc in land_cover_series(seed).items():
        path = sample_io.write_geotiff(
            os.path.join(folder, f"glc_{year}.tif"),
            [lc],
            gdal.GDT_Byte,
            ORIGIN,
            PIXEL,
            EPSG,
            nodata=FILL,
            options=("TILED=YES", "COMPRESS=DEFLATE"),
        )
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_series(sys.argv[1] if len(sys.argv) > 1 else "sample_data"):
        print(p)
