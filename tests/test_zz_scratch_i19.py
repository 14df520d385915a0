import numpy as np
from osgeo import gdal
from rasters import write_raster


def test_scratch(run, tmp_path):
    from qgis.core import QgsProcessingException
    a = np.random.default_rng(1).integers(1, 5, (300, 300)).astype(np.uint8)
    good = write_raster(tmp_path / "good.tif", a, nodata=0)
    big = write_raster(tmp_path / "big.tif", a, nodata=0, block=64)
    data = open(big, "rb").read()
    # GDAL writes tiles then the IFD at the end? check where
    trunc = tmp_path / "trunc.tif"
    trunc.write_bytes(data[: len(data) // 2])
    text = tmp_path / "text.tif"
    text.write_text("hello world\n")
    rot = tmp_path / "rot.tif"
    ds = gdal.Translate(str(rot), good)
    ds.SetGeoTransform((500000.0, 29.9, 1.5, 6000000.0, 1.5, -29.9)); ds = None
    rot2 = tmp_path / "rot2.tif"
    ds = gdal.Translate(str(rot2), good)
    ds.SetGeoTransform((500000.0, 29.9, 0, 6000000.0, 0, -29.9)); ds = None
    for name, path in (("trunc", trunc), ("text", text), ("rot", rot)):
        try:
            run("mineland:transfermatrix", {"INPUT_START": str(rot2) if name == "rot" else good, "INPUT_END": str(path), "OUTPUT": str(tmp_path / f"{name}.csv")})
            print(name, "OK")
        except Exception as err:
            print(name, type(err).__name__, err)
    for alg, params in (("mineland:fishnet", {"CELL_SIZE": float("nan")}), ("mineland:moran", {"PERMUTATIONS": 0})):
        try:
            d = run(alg, params)
        except Exception as err:
            print(alg, type(err).__name__, err)
    assert 0
