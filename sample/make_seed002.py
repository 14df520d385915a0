"""Deterministic synthetic data for seed 002's workflows (mining hot spots; desertification sensitivity).

- ``study_area``: a 1° × 1° square (88–89° E, 43–44° N; GeoJSON, WGS 84).
- ``mines``: 16 mining patches of 0.02° × 0.02° clustered in the south-west
  corner (88.02–88.13° E, 43.02–43.13° N) and 3 isolated patches elsewhere
  (fields name, cluster = 1 inside the cluster, 0 outside).
- ``factors``: six factor rasters of seed 002 Table 6 on one grid of
  150 × 200 pixels of 100 m in UTM 45N covering the cluster (580–595 km E,
  4760–4780 km N): precipitation (mm/yr, drier to the east), wind speed (m/s,
  windier to the south), sand (%), slope (°), NDVI mean and soil moisture
  (m³/m³), from smoothed noise, with the mining patches bare, sandier and
  steeper (so they are more sensitive than their surroundings), and a 3 × 3
  nodata corner in the NDVI mean.

Same seed, same data, on any machine.

Usage: python make_seed002.py OUTPUT_FOLDER
"""

import os
import sys

import numpy as np
from osgeo import gdal, osr
from scipy import ndimage

from sample import sample_io

gdal.UseExceptions()

STUDY_AREA = (88.0, 43.0, 89.0, 44.0)  # lon0, lat0, lon1, lat1
CLUSTER = [(88.02 + 0.03 * i, 43.02 + 0.03 * j, 88.04 + 0.03 * i, 43.04 + 0.03 * j) for i in range(4) for j in range(4)]
CLUSTER_BOX = (88.02, 43.02, 88.13, 43.13)
ISOLATED = [(88.70, 43.80, 88.71, 43.81), (88.85, 43.25, 88.86, 43.26), (88.45, 43.60, 88.46, 43.61)]
WIDTH, HEIGHT, PIXEL = 150, 200, 100.0
ORIGIN = (580000.0, 4780000.0)
EPSG = 32645
NODATA = -9999.0
FACTORS = ("PRECIPITATION", "WIND_SPEED", "SAND", "SLOPE", "NDVI_MEAN", "SOIL_MOISTURE")


def _geojson(path, features):
    return sample_io.write_features(path, features)


def _box(lon0, lat0, lon1, lat1):
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def write_vectors(folder):
    area = _geojson(
        os.path.join(folder, "study_area.geojson"),
        [{"type": "Feature", "properties": {"name": "study area"}, "geometry": _box(*STUDY_AREA)}],
    )
    mines = [
        {"type": "Feature", "properties": {"name": f"cluster {k + 1}", "cluster": 1}, "geometry": _box(*box)}
        for k, box in enumerate(CLUSTER)
    ]
    mines += [
        {"type": "Feature", "properties": {"name": f"isolated {k + 1}", "cluster": 0}, "geometry": _box(*box)}
        for k, box in enumerate(ISOLATED)
    ]
    return area, _geojson(os.path.join(folder, "mines.geojson"), mines)


def mine_mask():
    """Pixels of the factor grid whose centre lies in a mining patch (for the bare, steep, sandy surface)."""
    source = osr.SpatialReference()
    source.ImportFromEPSG(EPSG)
    target = osr.SpatialReference()
    target.ImportFromEPSG(4326)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(source, target)
    cols, rows = np.meshgrid(np.arange(WIDTH), np.arange(HEIGHT))
    x = ORIGIN[0] + (cols.ravel() + 0.5) * PIXEL
    y = ORIGIN[1] - (rows.ravel() + 0.5) * PIXEL
    lonlat = np.array(transform.TransformPoints(np.column_stack([x, y]).tolist()))
    lon, lat = lonlat[:, 0].reshape(HEIGHT, WIDTH), lonlat[:, 1].reshape(HEIGHT, WIDTH)
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    for lon0, lat0, lon1, lat1 in CLUSTER + ISOLATED:
        mask |= (lon >= lon0) & (lon < lon1) & (lat >= lat0) & (lat < lat1)
    return mask


def factor_arrays(seed=2):
    """{factor key: float32 array (HEIGHT, WIDTH)}, in the units of seed 002 Table 6."""
    rng = np.random.RandomState(seed)

    def field(sigma):
        noise = ndimage.gaussian_filter(rng.standard_normal((HEIGHT, WIDTH)), sigma)
        return (noise - noise.mean()) / noise.std()

    cols = np.arange(WIDTH)[None, :] / (WIDTH - 1)
    rows = np.arange(HEIGHT)[:, None] / (HEIGHT - 1)
    mines = mine_mask()
    arrays = {
        "PRECIPITATION": 420.0 - 240.0 * cols + 25.0 * field(12),
        "WIND_SPEED": 2.5 + 2.4 * rows + 0.3 * field(10),
        "SAND": np.clip(40.0 + 15.0 * field(8), 2.0, 95.0),
        "SLOPE": np.abs(6.0 + 4.0 * field(5)),
        "NDVI_MEAN": 0.42 + 0.12 * field(6),
        "SOIL_MOISTURE": 0.29 + 0.05 * field(9),
    }
    arrays["SAND"][mines] += 20.0  # spoil and tailings
    arrays["SLOPE"][mines] += 8.0  # benches and dumps
    arrays["NDVI_MEAN"][mines] = 0.12  # bare
    arrays["NDVI_MEAN"][:3, :3] = NODATA  # a nodata corner: left out of the score
    return {key: np.broadcast_to(value, (HEIGHT, WIDTH)).astype(np.float32) for key, value in arrays.items()}


def _write(path, array):
    return sample_io.write_geotiff(path, [array], gdal.GDT_Float32, ORIGIN, PIXEL, EPSG, nodata=NODATA)


def write_all(folder):
    """Write the vectors and factor rasters; return {"study_area", "mines": path, "factors": {key: path}}."""
    os.makedirs(folder, exist_ok=True)
    area, mines = write_vectors(folder)
    factors = {key: _write(os.path.join(folder, f"{key.lower()}.tif"), array) for key, array in factor_arrays().items()}
    return {"study_area": area, "mines": mines, "factors": factors}


if __name__ == "__main__":
    for key, value in write_all(sys.argv[1] if len(sys.argv) > 1 else "seed002_sample").items():
        print(key, value)
