"""Issue 19, real inputs: class codes of any integer type, damaged rasters, numeric ranges, polygons outside the
rasters or of zero area, and Excel's semicolon CSVs. Every case asserts a number computed independently (numpy) or
a QgsProcessingException naming the parameter, with the inputs unchanged."""

import re
from xml.etree import ElementTree

import numpy as np
import pytest
from osgeo import gdal
from rasters import file_digest, read_raster, write_raster

from mineland.core import raster_io, styles


def raises(run, algorithm, parameters, pattern):
    """Run ``algorithm`` expecting a QgsProcessingException whose message matches ``pattern``; return it."""
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        run(algorithm, parameters)
    assert re.search(pattern, str(err.value)), str(err.value)
    return str(err.value)


def digests(paths):
    return {p: file_digest(p) for p in paths}


# ------------------------------------------------------------------ 5. class codes

def numpy_pairs(start, end, valid):
    """{(from, to): pixels} by numpy alone."""
    stacked = np.stack([start[valid], end[valid]], axis=1).astype(np.int64)
    pairs, counts = np.unique(stacked, axis=0, return_counts=True)
    return {(int(f), int(t)): int(n) for (f, t), n in zip(pairs, counts)}


def qml_labels(path):
    root = ElementTree.parse(styles.style_path(path)).getroot()
    return {int(e.get("value")): e.get("label") for e in root.iter("paletteEntry")}


CODE_CASES = {
    # dtype, nodata, classes: the codes that collided (0 → −60 and −1 → 40) or overflowed Int32
    "int16_negative": (np.int16, -9999, [0, -1, 40, -60, 5]),
    "uint16_to_65535": (np.uint16, 0, [1, 255, 65535, 40000, 7]),
    "int16_full_range": (np.int16, None, [-32768, -1, 0, 32767, 12]),
    "int32": (np.int32, -2**31, [-2**31 + 1, 0, 2**31 - 1, 99]),
    "byte_below_100": (np.uint8, 0, [1, 2, 3, 99]),
}


def class_pair(folder, dtype, nodata, classes):
    rng = np.random.default_rng(5)
    start = rng.choice(np.array(classes, dtype=dtype), (30, 40))
    end = rng.choice(np.array(classes, dtype=dtype), (30, 40))
    start[:2, :2], end[:2, :2] = 0, -60  # the pair that collided with (−1, 40)
    start[2, :2], end[2, :2] = -1, 40
    if nodata is not None:
        start[3, :5] = nodata
        end[4, 3:9] = nodata
    if np.iinfo(dtype).min == 0:  # codes that cannot be negative
        start[:3, :2], end[:3, :2] = classes[0], classes[1]
    kw = {} if nodata is None else {"nodata": nodata}
    return start, end, write_raster(folder / "start.tif", start, **kw), write_raster(folder / "end.tif", end, **kw)


@pytest.mark.parametrize("case", list(CODE_CASES))
def test_change_codes_name_every_class_pair(run, tmp_path, case):
    dtype, nodata, classes = CODE_CASES[case]
    start, end, start_path, end_path = class_pair(tmp_path, dtype, nodata, classes)
    before = digests([start_path, end_path])
    result = run("mineland:transfermatrix", {"INPUT_START": start_path, "INPUT_END": end_path,
                                             "OUTPUT": str(tmp_path / "pairs.csv"),
                                             "OUTPUT_CHANGE": str(tmp_path / "change.tif")})
    valid = np.ones(start.shape, dtype=bool) if nodata is None else (start != nodata) & (end != nodata)
    expected = numpy_pairs(start, end, valid)
    change_ds = gdal.Open(result["OUTPUT_CHANGE"])
    change = change_ds.GetRasterBand(1).ReadAsArray()
    out_nodata = change_ds.GetRasterBand(1).GetNoDataValue()
    assert (change[~valid] == out_nodata).all()
    # one code per pair: the numpy crosstab of (from, to, code) has as many rows as there are pairs
    triples = np.unique(np.stack([start[valid], end[valid], change[valid]], axis=1).astype(np.int64), axis=0)
    assert len(triples) == len(expected) == len(np.unique(triples[:, 2]))
    assert out_nodata not in triples[:, 2]
    code_of = {(int(f), int(t)): int(c) for f, t, c in triples}
    codes, pixels = np.unique(change[valid], return_counts=True)
    assert dict(zip(codes.tolist(), pixels.tolist())) == {code_of[p]: n for p, n in expected.items()}
    # the attribute table and the legend name every pair
    names = raster_io.read_class_names(change_ds.GetRasterBand(1))
    assert names == {c: f"class {f} → class {t}" for (f, t), c in code_of.items()}
    labels = qml_labels(result["OUTPUT_CHANGE"])
    assert labels == {c: f"class {f} (unchanged)" if f == t else f"class {f} → class {t}"
                      for (f, t), c in code_of.items()}
    if case == "byte_below_100":  # from × 100 + to where it is unique and fits: older results stay valid
        assert all(c == f * 100 + t for (f, t), c in code_of.items())
    assert digests([start_path, end_path]) == before


def test_change_codes_on_dask_are_the_local_ones(tmp_path):
    distributed = pytest.importorskip("distributed")
    from mineland.core import scaleout

    dtype, nodata, classes = CODE_CASES["uint16_to_65535"]
    start, end, start_path, end_path = class_pair(tmp_path, dtype, nodata, classes)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        table = scaleout.transfer_matrix_on_cluster(start_path, end_path, scheduler=client,
                                                    change_output=str(tmp_path / "dask.tif"))
    valid = (start != nodata) & (end != nodata)
    expected = numpy_pairs(start, end, valid)
    assert dict(zip(zip(table.from_class.tolist(), table.to_class.tolist()), table.pixels.tolist())) == expected
    change = read_raster(tmp_path / "dask.tif")
    dataset = gdal.Open(str(tmp_path / "dask.tif"))
    names = raster_io.read_class_names(dataset.GetRasterBand(1))
    decoded = {}
    for code, name in names.items():
        f, t = name.split(" → ")
        decoded[code] = (int(f), int(t))
    # every valid pixel's code names its own pair
    inverse = {v: k for k, v in decoded.items()}
    assert len(inverse) == len(expected)
    for (f, t), n in expected.items():
        assert int(((change == inverse[(f, t)]) & (start == f) & (end == t)).sum()) == n
