"""Vector outputs run headless (qgis_process) open styled in QGIS; distances say their unit.

A GeoPackage output carries its legend as the default style in its
layer_styles table, any other file a .qml beside it; QGIS applies both when
the file is opened later (here: QgsVectorLayer, as the Browser or "Add
layer" does).
"""

import json
import os

import pytest

from sample.qgisprocess import QgisProcess


def _geojson(path, boxes):
    features = [
        {
            "type": "Feature",
            "properties": {"id": k},
            "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
        }
        for k, (x0, y0, x1, y1) in enumerate(boxes)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def headless(tmp_path_factory):
    """fishnet → moran → hotspots through qgis_process, to GeoPackages and shapefiles."""
    folder = tmp_path_factory.mktemp("styled")
    qp = QgisProcess()
    area = _geojson(folder / "area.geojson", [(88.0, 43.0, 89.0, 44.0)])
    mines = _geojson(
        folder / "mines.geojson",
        [(88.02 + 0.03 * i, 43.02 + 0.03 * j, 88.04 + 0.03 * i, 43.04 + 0.03 * j) for i in range(4) for j in range(4)],
    )
    out = {}
    for ext in ("shp", "gpkg"):  # moran and hotspots read the GeoPackage grid (density_pct cut to 10 in a .shp)
        grid = qp.run(
            "mineland:fishnet", STUDY_AREA=area, CELL_SIZE=10000, MINES=mines, OUTPUT=str(folder / f"grid.{ext}")
        )["OUTPUT"]
        out[f"fishnet.{ext}"] = grid
        grid = (
            str(folder / "grid.gpkg")
            if ext == "gpkg"
            else qp.run(
                "mineland:fishnet",
                STUDY_AREA=area,
                CELL_SIZE=10000,
                MINES=mines,
                OUTPUT=str(folder / "grid_for_shp.gpkg"),
            )["OUTPUT"]
        )
        out[f"moran.{ext}"] = qp.run(
            "mineland:moran",
            INPUT=grid,
            FIELD="density_pct",
            PERMUTATIONS=99,
            SEED=3,
            OUTPUT=str(folder / f"lisa.{ext}"),
        )["OUTPUT"]
        out[f"hotspots.{ext}"] = qp.run(
            "mineland:hotspots", INPUT=grid, FIELD="density_pct", OUTPUT=str(folder / f"gi.{ext}")
        )["OUTPUT"]
    return out


@pytest.mark.qgis_process
@pytest.mark.parametrize("ext", ["gpkg", "shp"])
@pytest.mark.parametrize(
    "name, renderer, field",
    [
        ("fishnet", "graduatedSymbol", "density_pct"),
        ("moran", "categorizedSymbol", "COType"),
        ("hotspots", "categorizedSymbol", "Gi_Bin"),
    ],
)
def test_file_output_of_a_headless_run_opens_styled(qgis_app, headless, name, renderer, field, ext):
    from qgis.core import QgsVectorLayer

    path = headless[f"{name}.{ext}"]
    assert os.path.isfile(path.split("|")[0])
    if ext == "shp":
        assert os.path.isfile(os.path.splitext(path.split("|")[0])[0] + ".qml")
    layer = QgsVectorLayer(path, name, "ogr")
    assert layer.isValid()
    assert layer.renderer().type() == renderer
    assert layer.renderer().classAttribute() == (field[:10] if ext == "shp" else field)
    if renderer == "categorizedSymbol":
        labels = [category.label() for category in layer.renderer().categories()]
        assert ("High-high cluster" if name == "moran" else "Hot spot, 99 % confidence") in labels
    else:
        ranges = layer.renderer().ranges()
        assert len(ranges) >= 2 and ranges[-1].upperValue() == pytest.approx(
            max(f[layer.renderer().classAttribute()] for f in layer.getFeatures())
        )


@pytest.mark.qgis_process
def test_the_geopackage_holds_one_data_layer_and_its_style(qgis_app, headless):
    from osgeo import ogr

    source = ogr.Open(headless["moran.gpkg"].split("|")[0])
    names = [source.GetLayer(i).GetName() for i in range(source.GetLayerCount())]
    assert names[0] != "layer_styles" and "layer_styles" in names  # GetLayer(0) is still the cells


@pytest.mark.parametrize(
    "algorithm_id, key",
    [
        ("mineland:moran", "DISTANCE"),
        ("mineland:hotspots", "DISTANCE"),
        ("mineland:fishnet", "CELL_SIZE"),
        ("mineland:refineboundaries", "SIMPLIFY_DISTANCE"),
        ("mineland:integrity", "CONNECT_DISTANCE"),
        ("mineland:mining_hotspots", "DISTANCE"),
        ("mineland:mining_hotspots", "CELL_SIZE"),
    ],
)
def test_distances_show_metres_on_the_ground(provider, algorithm_id, key):
    """Metres whatever the layer's CRS (the algorithms project geographic layers to metres), so a number
    labelled "(m)" rather than QgsProcessingParameterDistance, whose unit would follow a layer in degrees."""
    from qgis.core import QgsApplication

    definition = QgsApplication.processingRegistry().algorithmById(algorithm_id).parameterDefinition(key)
    assert definition.type() == "number"
    assert definition.description().endswith("(m)")
