"""Benchmark: mineland:reclassify against QGIS's own native:reclassifybytable.

What is measured (seconds, best of REPEATS each, same process, same file, same table):

* ours    processing.run("mineland:reclassify") with PRESET 0 (custom) and TABLE =
          the 11 rows of the GLC_FCS30 → 7 classes rules of seed 000 (min, max,
          value; both bounds included), NODATA_FOR_MISSING on (the default).
* native  processing.run("native:reclassifybytable") with the same TABLE,
          RANGE_BOUNDARIES 2 (min <= value <= max), NODATA_FOR_MISSING on,
          NO_DATA 0 and DATA_TYPE Byte, i.e. asked for the same raster ours writes.

Runs alternate (ours, native, ours, native, …) so that neither gets a warmer
file cache. The input is a deterministic 5000 × 4400 (22 Mpx) uint8 raster of
GLC_FCS30 codes (patches of 25 legend codes, speckle, fill value 250 that no
rule matches, a nodata 0 border), tiled 256 × 256, DEFLATE, in bench/data/.

Check: the two outputs must be equal pixel for pixel (values and nodata mask),
else the script exits non-zero. What differs by design: ours writes a tiled,
DEFLATE-compressed GeoTIFF with class names, a colour table and a .qml;
native writes QGIS's default GeoTIFF (uncompressed strips). Both sizes are printed.

Run: make bench (or QT_QPA_PLATFORM=offscreen PYTHONPATH=.
.venv/bin/python bench/bench_reclassify.py)
"""

import os
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

import benchlib

gdal.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
INPUT_PATH = os.path.join(DATA, "bench_glc.tif")
XSIZE, YSIZE = 5000, 4400
SEED = 20240620
VERSION = "1"  # bump when the generator changes so old files are rebuilt
GEOTRANSFORM = (400000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0)
REPEATS = 3

#: GLC_FCS30 legend codes drawn for the patches; 250 (fill) matches no rule.
CODES = np.array(
    [
        10,
        11,
        12,
        20,
        51,
        52,
        61,
        62,
        71,
        72,
        81,
        82,
        91,
        92,
        120,
        121,
        122,
        130,
        140,
        150,
        152,
        153,
        180,
        190,
        200,
        201,
        202,
        210,
        220,
        250,
    ],
    dtype=np.uint8,
)

#: seed 000's GLC_FCS30 → 7 classes as TABLE rows (min, max, value): core.reclass.GLC_FCS30_TO_SEED000.
TABLE = [
    10,
    20,
    1,
    51,
    92,
    2,
    120,
    122,
    2,
    130,
    130,
    3,
    140,
    140,
    3,
    150,
    153,
    3,
    180,
    187,
    4,
    190,
    190,
    7,
    200,
    202,
    6,
    210,
    210,
    5,
    220,
    220,
    5,
]


# ---------------------------------------------------------------- test data


def _is_current(path):
    return benchlib.is_current(path, (XSIZE, YSIZE), VERSION)


def ensure_data():
    """Write the GLC code raster strip by strip unless already there; True when written."""
    if _is_current(INPUT_PATH):
        return False
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cell = 50
    patches = rng.choice(CODES, size=(-(-YSIZE // cell), -(-XSIZE // cell)))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32637)
    tmp = INPUT_PATH + ".part.tif"
    ds = gdal.GetDriverByName("GTiff").Create(
        tmp, XSIZE, YSIZE, 1, gdal.GDT_Byte, ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE"]
    )
    ds.SetGeoTransform(GEOTRANSFORM)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetMetadataItem("BENCH_VERSION", VERSION)
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(0)
    for y0 in range(0, YSIZE, 512):
        rows = np.arange(y0, min(YSIZE, y0 + 512))
        block = patches[rows // cell][:, np.arange(XSIZE) // cell]
        srng = np.random.default_rng([SEED, y0])
        speckle = srng.random(block.shape) < 0.05
        block[speckle] = srng.choice(CODES, int(speckle.sum()))
        block[:, :40] = 0
        band.WriteArray(block, 0, y0)
    ds = None
    os.replace(tmp, INPUT_PATH)
    return True


# ---------------------------------------------------------------- workloads


def _run(algorithm, parameters):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(algorithm, parameters, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())


def run_ours(output):
    return _run("mineland:reclassify", {"INPUT": INPUT_PATH, "PRESET": 0, "TABLE": TABLE, "OUTPUT": output})


def run_native(output):
    return _run(
        "native:reclassifybytable",
        {
            "INPUT_RASTER": INPUT_PATH,
            "RASTER_BAND": 1,
            "TABLE": TABLE,
            "RANGE_BOUNDARIES": 2,
            "NODATA_FOR_MISSING": True,
            "NO_DATA": 0,
            "DATA_TYPE": 0,
            "OUTPUT": output,
        },
    )


def read(path):
    dataset = gdal.Open(path)  # kept in a name: a band outliving its dataset crashes GDAL's Python bindings
    band = dataset.GetRasterBand(1)
    return band.ReadAsArray(), band.GetNoDataValue(), gdal.GetDataTypeName(band.DataType)


def ours_parameters():
    return {"INPUT": INPUT_PATH, "PRESET": 0, "TABLE": TABLE}


def main():
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    made = ensure_data()
    print(
        f"data: {XSIZE}×{YSIZE} px ({XSIZE * YSIZE / 1e6:.1f} Mpx) uint8 GLC_FCS30 codes, "
        f"{'generated' if made else 'reused'} in {time.perf_counter() - t0:.1f} s, "
        f"{os.path.getsize(INPUT_PATH) / 1e6:.1f} MB on disk",
        flush=True,
    )
    app, provider = benchlib.start_qgis()  # noqa: F841 (kept alive)
    times = {"ours": [], "native": []}
    problems = []
    with tempfile.TemporaryDirectory(prefix="mineland-bench-reclass-") as workdir:
        paths = {"ours": os.path.join(workdir, "ours.tif"), "native": os.path.join(workdir, "native.tif")}
        for _ in range(REPEATS):
            for name, function in (("ours", run_ours), ("native", run_native)):
                start = time.perf_counter()
                result = function(paths[name])
                times[name].append(time.perf_counter() - start)
                if result["OUTPUT"] != paths[name]:
                    problems.append(f"{name} wrote {result['OUTPUT']}, not {paths[name]}")
        ours, ours_nodata, ours_type = read(paths["ours"])
        native, native_nodata, native_type = read(paths["native"])
        sizes = {name: os.path.getsize(path) / 1e6 for name, path in paths.items()}
    ours_valid = ours != ours_nodata
    native_valid = native != native_nodata
    same_mask = np.array_equal(ours_valid, native_valid)
    same_values = same_mask and np.array_equal(ours[ours_valid], native[native_valid])
    differing = int(np.count_nonzero((ours != native) | (ours_valid != native_valid)))
    if not (same_mask and same_values):
        problems.append(f"outputs differ at {differing:,} pixels")

    print()
    facts = benchlib.machine_facts()
    for fact in facts:
        print(fact)
    print()
    t_ours, t_native = min(times["ours"]), min(times["native"])
    print(
        f"seconds, best of {REPEATS} (runs alternate), {XSIZE * YSIZE / 1e6:.0f} Mpx, table of {len(TABLE) // 3} rows"
    )
    print(f"{'':<52}{'seconds':>9}{'native/ours':>13}{'output MB':>11}")
    print(
        f"{'ours: processing.run mineland:reclassify':<52}{t_ours:9.3f}{t_native / t_ours:13.2f}{sizes['ours']:11.1f}"
    )
    print(f"{'native: processing.run native:reclassifybytable':<52}{t_native:9.3f}{1.0:13.2f}{sizes['native']:11.1f}")
    print(
        f"all runs: ours {', '.join(f'{t:.3f}' for t in times['ours'])}; "
        f"native {', '.join(f'{t:.3f}' for t in times['native'])}"
    )
    print(
        f"check: outputs {'IDENTICAL pixel for pixel' if not differing else f'DIFFER at {differing:,} px'} "
        f"({int(ours_valid.sum()):,} classed pixels; ours {ours_type} nodata {ours_nodata:g}, "
        f"native {native_type} nodata {native_nodata:g}); ours is tiled + DEFLATE with a legend, "
        f"native uncompressed"
    )
    print(f"total bench time {time.perf_counter() - t_all:.1f} s")
    benchlib.record(
        "reclassify",
        [
            benchlib.workload(
                f"reclassify, {XSIZE * YSIZE / 1e6:.0f} Mpx, {len(TABLE) // 3}-row table",
                t_ours,
                t_native,
                "native:reclassifybytable",
                target=1.0,
                note="outputs identical pixel for pixel" if not differing else "OUTPUTS DIFFER",
                memory="reclassify",
            ),
        ],
        facts=facts,
    )
    benchlib.finish(problems, "OK: ours equals native:reclassifybytable pixel for pixel")


if __name__ == "__main__":
    main()
