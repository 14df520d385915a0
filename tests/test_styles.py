"""Every class or continuous raster output opens in QGIS with its legend or colour ramp; vector outputs get
their renderer through Processing's post-processor."""

import numpy as np
import pytest

from mineland.core.render import styles
from rasters import write_raster


def test_diverging_ramp_is_symmetric_about_zero():
    stops = styles.ramp_stops(-0.5, 2.0, "diverging")
    assert [v for v, _ in stops] == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert stops[2][1] == "#ffffbf"  # no change is the neutral colour
    assert [v for v, _ in styles.ramp_stops(3.0, 3.0)] == pytest.approx([3.0, 3.25, 3.5, 3.75, 4.0])


def loaded(path):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(str(path), "out", "gdal")
    assert layer.isValid()
    return layer


def test_change_codes_open_with_transition_labels(run, tmp_path):
    start = np.array([[1, 1, 2, 2]], dtype=np.uint8)
    end = np.array([[1, 7, 2, 7]], dtype=np.uint8)
    result = run(
        "mineland:transfermatrix",
        {
            "INPUT_START": write_raster(tmp_path / "a.tif", start, nodata=0),
            "INPUT_END": write_raster(tmp_path / "b.tif", end, nodata=0),
            "OUTPUT": str(tmp_path / "p.csv"),
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
        },
    )
    layer = loaded(result["OUTPUT_CHANGE"])
    assert layer.renderer().type() == "paletted"
    labels = sorted(label for label, _ in layer.renderer().legendSymbologyItems())
    assert labels == ["class 1 (unchanged)", "class 1 → class 7", "class 2 (unchanged)", "class 2 → class 7"]


def test_continuous_outputs_open_with_a_colour_ramp(run, tmp_path):
    classes = [
        write_raster(tmp_path / f"c{y}.tif", np.array([[1, 2], [3, 1]], dtype=np.uint8), nodata=0) for y in (2000, 2010)
    ]
    carbon = run(
        "mineland:carbonstock",
        {
            "INPUTS": classes,
            "YEARS": "2000,2010",
            "OUTPUT": str(tmp_path / "c.csv"),
            "OUTPUT_DENSITY": str(tmp_path / "density.tif"),
        },
    )
    series = np.arange(5, dtype=np.float32)[:, None, None] * np.array([[1, -1], [0.5, 2]], dtype=np.float32)
    stack = write_raster(tmp_path / "stack.tif", series)
    trend = run(
        "mineland:trend",
        {"INPUTS": [stack], "YEARS": "2001,2002,2003,2004,2005", "MIN_VALID": 4, "OUTPUT": str(tmp_path / "trend.tif")},
    )
    for path, low, high in ((carbon["OUTPUT_DENSITY"], None, None), (trend["OUTPUT"], -2.0, 2.0)):
        layer = loaded(path)  # keep the layer alive while its renderer is used
        renderer = layer.renderer()
        assert renderer.type() == "singlebandpseudocolor"
        if low is not None:  # Sen's slopes −1 … 2 → a ramp symmetric about 0
            shader = renderer.shader().rasterShaderFunction()
            assert (shader.minimumValue(), shader.maximumValue()) == pytest.approx((low, high))


def test_all_nodata_output_gets_no_ramp(tmp_path):
    path = write_raster(tmp_path / "empty.tif", np.full((2, 2), -9999, dtype=np.float32), nodata=-9999)
    assert styles.style_continuous(path) is None


def test_fishnet_density_is_graduated_when_loaded(run, tmp_path):
    import processing
    from qgis.core import (
        QgsFeature,
        QgsGeometry,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingOutputLayerDefinition,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
    )

    def rectangles(rects):
        layer = QgsVectorLayer("Polygon?crs=EPSG:32637", "r", "memory")
        for rect in rects:
            feature = QgsFeature()
            feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(*rect)))
            layer.dataProvider().addFeature(feature)
        return layer

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    output = QgsProcessingOutputLayerDefinition(str(tmp_path / "grid.gpkg"), QgsProject.instance())
    result = processing.run(
        "mineland:fishnet",
        {
            "STUDY_AREA": rectangles([(400000, 5600000, 440000, 5610000)]),
            "CELL_SIZE": 10000,
            "MINES": rectangles([(401000, 5601000, 403000, 5603000), (411000, 5601000, 412000, 5602000)]),
            "OUTPUT": output,
        },
        context=context,
        feedback=QgsProcessingFeedback(),
    )
    post_processor = context.layerToLoadOnCompletionDetails(result["OUTPUT"]).postProcessor()
    layer = QgsVectorLayer(result["OUTPUT"], "grid", "ogr")
    post_processor.postProcessLayer(layer, context, None)
    assert layer.renderer().type() == "graduatedSymbol" and layer.renderer().classAttribute() == "density_pct"
    assert len(layer.renderer().ranges()) >= 2


def test_raster_outputs_get_their_sidecar_style_when_processing_loads_them(run, tmp_path):
    """Processing loads outputs without their default style: the post-processor applies our .qml."""
    import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingOutputLayerDefinition,
        QgsProject,
        QgsRasterLayer,
    )

    series = np.arange(6, dtype=np.float32)[:, None, None] * np.array([[1, -1], [0.5, 2]], dtype=np.float32)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    result = processing.run(
        "mineland:trend",
        {
            "INPUTS": [write_raster(tmp_path / "s.tif", series)],
            "YEARS": "2001,2002,2003,2004,2005,2006",
            "MIN_VALID": 4,
            "OUTPUT": QgsProcessingOutputLayerDefinition(str(tmp_path / "t.tif"), QgsProject.instance()),
            "OUTPUT_CLASS": QgsProcessingOutputLayerDefinition(str(tmp_path / "c.tif"), QgsProject.instance()),
        },
        context=context,
        feedback=QgsProcessingFeedback(),
    )
    for key, renderer_type in (("OUTPUT_CLASS", "paletted"), ("OUTPUT", "singlebandpseudocolor")):
        layer = QgsRasterLayer(result[key], key, "gdal", QgsRasterLayer.LayerOptions(False))  # no default style
        context.layerToLoadOnCompletionDetails(result[key]).postProcessor().postProcessLayer(layer, context, None)
        assert layer.renderer().type() == renderer_type
        if key == "OUTPUT_CLASS":  # the five class names, not the colour table's 256 numbered entries
            labels = [label for label, _ in layer.renderer().legendSymbologyItems()]
            assert len(labels) == 5 and all(not label.isdigit() for label in labels)
