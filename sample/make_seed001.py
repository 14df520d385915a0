"""Deterministic synthetic data for seed 001's workflow (boundaries → disturbance → status).

120 × 100 pixels of 30 m in UTM 33N: a pit that grows from 2000 to 2015 and a
waste dump that is revegetated, in the 4 classes of the GLC_FCS30D preset
(1 mine-related, 2 cropland, 3 sparse, 4 dense vegetation); a change-break
count raster (0 = stable); and two overlapping mine-polygon "datasets" as
GeoJSON in WGS 84: A maps the pit and the dump, B maps the pit slightly
shifted. Inside the pit outline there is an enclosed stable-green island, and
along its western edge a strip of stable green (to be erased).

Usage: python make_seed001.py OUTPUT_FOLDER
"""

import os
import sys

import numpy as np
from osgeo import gdal

from sample import sample_io

gdal.UseExceptions()

WIDTH, HEIGHT, PIXEL = 120, 100, 30.0
ORIGIN = (500000.0, 6000000.0)
EPSG = 32633
YEARS = (2000, 2005, 2010, 2011, 2012, 2013, 2014, 2015)
PIT = (20, 20, 70, 70)  # col0, row0, col1, row1 of the pit polygon
DUMP = (80, 30, 110, 60)  # the dump polygon


def land_cover(step):
    """Class raster of date ``step``: the pit grows, the dump greens up."""
    rng = np.random.RandomState(1)
    cover = np.where(rng.rand(HEIGHT, WIDTH) < 0.5, 2, 4).astype(np.uint8)  # fields and woods
    grow = 8 + 3 * step
    cover[45 - grow : 45 + grow, 45 - grow : 45 + grow] = 1  # pit, centred at (45, 45)
    cover[40:44, 40:44] = 4  # enclosed island of old woodland
    dump = cover[30:60, 80:110]
    dump[:] = 1
    dump[:, : 3 * step] = 3  # revegetated from the west, 3 columns a date
    cover[20:70, 20:23] = 4  # stable woodland strip on the pit's west edge
    return cover


def breaks_raster():
    """Change breaks: 0 where the land cover never changed over the series."""
    covers = np.array([land_cover(step) for step in range(len(YEARS))])
    return (covers != covers[0]).sum(axis=0).astype(np.uint8)


def _write(path, array):
    return sample_io.write_geotiff(path, [array], gdal.GDT_Byte, ORIGIN, PIXEL, EPSG)


def _lonlat(col, row):
    return sample_io.lonlat(col, row, ORIGIN, PIXEL, EPSG, 8)


def _geojson(path, boxes):
    return sample_io.write_features(
        path,
        [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [sample_io.box_ring(_lonlat, *box)]},
            }
            for name, box in boxes.items()
        ],
    )


def write_all(folder):
    """Write the rasters and polygons; return {name: path or list of paths}."""
    os.makedirs(folder, exist_ok=True)
    covers = [_write(os.path.join(folder, f"classes_{y}.tif"), land_cover(i)) for i, y in enumerate(YEARS)]
    c0, r0, c1, r1 = PIT
    return {
        "classes": covers,
        "breaks": _write(os.path.join(folder, "breaks.tif"), breaks_raster()),
        "mines_a": _geojson(os.path.join(folder, "mines_a.geojson"), {"pit": PIT, "dump": DUMP}),
        "mines_b": _geojson(os.path.join(folder, "mines_b.geojson"), {"pit": (c0 + 3, r0 - 2, c1 + 3, r1 - 2)}),
    }


if __name__ == "__main__":
    for name, value in write_all(sys.argv[1] if len(sys.argv) > 1 else "seed001_sample").items():
        print(name, value)
