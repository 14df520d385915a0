"""mineland:moran and mineland:hotspots through processing.run, chained from mineland:fishnet."""

import numpy as np
import pytest

from mineland.core.spatial import autocorrelation, spatial_weights


def grid_with_values(run, tmp_path, values):
    """A fishnet of values.shape cells (10 km) with a 'value' field set from ``values`` by (row, col)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    from mineland.algorithms.compat import new_field

    rows, cols = values.shape
    area = QgsVectorLayer("Polygon?crs=EPSG:32637", "area", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(400000, 5600000, 400000 + cols * 1e4, 5600000 + rows * 1e4)))
    area.dataProvider().addFeatures([feature])
    grid = run("mineland:fishnet", {"STUDY_AREA": area, "CELL_SIZE": 10000, "OUTPUT": str(tmp_path / "grid.gpkg")})
    layer = QgsVectorLayer(grid["OUTPUT"], "grid", "ogr")
    layer.startEditing()
    layer.addAttribute(new_field("value", float))
    layer.updateFields()
    for cell in layer.getFeatures():
        value = values[cell["row"], cell["col"]]
        layer.changeAttributeValue(
            cell.id(), layer.fields().indexOf("value"), None if np.isnan(value) else float(value)
        )
    assert layer.commitChanges()
    return grid["OUTPUT"]


@pytest.fixture
def clustered():
    rng = np.random.default_rng(2)
    values = rng.random((6, 7))
    values[:3, :3] += 3.0  # a hot corner
    return values


def test_moran_and_hotspots_agree_with_the_core(run, tmp_path, clustered):
    from qgis.core import QgsVectorLayer

    path = grid_with_values(run, tmp_path, clustered)
    moran = run(
        "mineland:moran",
        {
            "INPUT": path,
            "FIELD": "value",
            "WEIGHTS": 0,
            "PERMUTATIONS": 99,
            "SEED": 1,
            "OUTPUT": str(tmp_path / "lisa.gpkg"),
            "OUTPUT_HTML": str(tmp_path / "m.html"),
        },
    )
    weights = spatial_weights.row_standardise(spatial_weights.grid_contiguity(6, 7, "queen"))
    expected = autocorrelation.global_moran(clustered.ravel(), weights, permutations=99, seed=1)
    assert moran["MORANS_I"] == pytest.approx(expected.I, abs=1e-12)
    assert moran["Z_RAND"] == pytest.approx(expected.z_rand, abs=1e-12)
    assert moran["EXPECTED_I"] == pytest.approx(-1 / 41)
    assert moran["MORANS_I"] > 0.3 and moran["P_NORM"] < 0.01
    lisa = {(f["row"], f["col"]): f for f in QgsVectorLayer(moran["OUTPUT"], "l", "ogr").getFeatures()}
    assert lisa[(0, 0)]["COType"] == "HH" and lisa[(5, 6)]["COType"] in ("LL", "NS")
    assert "<svg" in (tmp_path / "m.html").read_text(encoding="utf-8")

    hot = run("mineland:hotspots", {"INPUT": path, "FIELD": "value", "WEIGHTS": 0, "OUTPUT": str(tmp_path / "gi.gpkg")})
    binary = spatial_weights.grid_contiguity(6, 7, "queen")
    gi = autocorrelation.local_g_star(clustered.ravel(), binary, star=True)
    cells = {(f["row"], f["col"]): f for f in QgsVectorLayer(hot["OUTPUT"], "g", "ogr").getFeatures()}
    assert cells[(1, 1)]["GiZScore"] == pytest.approx(gi.z[1 * 7 + 1], abs=1e-12)
    assert cells[(1, 1)]["Gi_Bin"] == 3 and hot["HOT_SPOTS"] >= 4
    general = autocorrelation.general_g(clustered.ravel(), binary)
    assert hot["G"] == pytest.approx(general.G, abs=1e-12) and hot["Z"] == pytest.approx(general.z, abs=1e-12)


def cells_in_layer_order(path, cols=7):
    """Grid index (row × cols + col) of each feature, in the layer's order: the order permutations follow."""
    from qgis.core import QgsVectorLayer

    return np.array([f["row"] * cols + f["col"] for f in QgsVectorLayer(path, "grid", "ogr").getFeatures()])


def queen_in_layer_order(cells):
    return spatial_weights.from_sparse(spatial_weights.grid_contiguity(6, 7, "queen").matrix[cells][:, cells])


def test_moran_fdr_labels_equal_the_core(run, tmp_path, clustered):
    from qgis.core import QgsVectorLayer

    path = grid_with_values(run, tmp_path, clustered)
    cells = cells_in_layer_order(path)
    weights = spatial_weights.row_standardise(queen_in_layer_order(cells))
    by_fdr = {}  # the labels of each run: the FDR run is compared with the plain one before it
    for fdr in (False, True):
        result = run(
            "mineland:moran",
            {
                "INPUT": path,
                "FIELD": "value",
                "WEIGHTS": 0,
                "PERMUTATIONS": 999,
                "SEED": 5,
                "ALPHA": 0.1,
                "FDR": fdr,
                "OUTPUT": str(tmp_path / f"l{fdr}.gpkg"),
            },
        )
        expected = autocorrelation.local_moran(clustered.ravel()[cells], weights, 999, 5, 0.1, fdr)
        labels = {
            f["row"] * 7 + f["col"]: f["COType"] for f in QgsVectorLayer(result["OUTPUT"], "l", "ogr").getFeatures()
        }
        assert [labels[cell] for cell in cells] == expected.labels.tolist()
        assert "HH" in expected.labels
        if fdr:
            assert np.count_nonzero(expected.labels != "NS") < np.count_nonzero(by_fdr[False].labels != "NS")
        by_fdr[fdr] = expected


def test_hotspots_permutations_equal_the_core(run, tmp_path, clustered):
    from qgis.core import QgsProcessingException, QgsVectorLayer

    path = grid_with_values(run, tmp_path, clustered)
    cells = cells_in_layer_order(path)
    result = run(
        "mineland:hotspots",
        {
            "INPUT": path,
            "FIELD": "value",
            "WEIGHTS": 0,
            "PERMUTATIONS": 999,
            "SEED": 3,
            "OUTPUT": str(tmp_path / "gi.gpkg"),
        },
    )
    expected = autocorrelation.local_g_star(
        clustered.ravel()[cells], queen_in_layer_order(cells), permutations=999, seed=3
    )
    features = {f["row"] * 7 + f["col"]: f for f in QgsVectorLayer(result["OUTPUT"], "g", "ogr").getFeatures()}
    rows = [features[cell] for cell in cells]
    assert [f["GiPseudoP"] for f in rows] == expected.p_sim.tolist()
    assert np.allclose([f["GiZSim"] for f in rows], expected.z_sim, rtol=1e-12)
    assert [f["GiZScore"] for f in rows] == pytest.approx(expected.z.tolist(), abs=1e-12)
    bins = autocorrelation.gi_bin(expected.z_sim, expected.p_sim)
    assert [f["Gi_Bin"] for f in rows] == bins.tolist() and 3 in bins
    hot = (expected.p_sim < 0.05) & (expected.z_sim > 0)
    assert result["HOT_SPOTS"] == np.count_nonzero(hot) > 0
    general = autocorrelation.general_g(clustered.ravel()[cells], queen_in_layer_order(cells), permutations=999, seed=3)
    assert result["P_SIM"] == general.p_sim and result["G"] == pytest.approx(general.G, abs=1e-12)
    analytical = run(
        "mineland:hotspots", {"INPUT": path, "FIELD": "value", "WEIGHTS": 0, "OUTPUT": str(tmp_path / "gi0.gpkg")}
    )
    assert "GiPseudoP" not in QgsVectorLayer(analytical["OUTPUT"], "g", "ogr").fields().names()
    assert "P_SIM" not in analytical
    with pytest.raises(QgsProcessingException, match="PERMUTATIONS"):
        run(
            "mineland:hotspots",
            {"INPUT": path, "FIELD": "value", "PERMUTATIONS": 5, "OUTPUT": str(tmp_path / "gi5.gpkg")},
        )


def test_fishnet_contiguity_from_the_lattice_equals_the_pairwise_test(run, tmp_path):
    """The fast path for fishnets gives the weights GEOS finds pairwise; clipped cells take the pairwise path."""
    from qgis.core import QgsFeature, QgsGeometry, QgsProcessingFeedback, QgsVectorLayer

    from mineland.algorithms import neighbours

    area = QgsVectorLayer("Polygon?crs=EPSG:32637", "area", "memory")
    triangle = QgsFeature()
    triangle.setGeometry(
        QgsGeometry.fromWkt("POLYGON ((400000 5600000, 480000 5600000, 400000 5660000, 400000 5600000))")
    )
    area.dataProvider().addFeatures([triangle])
    for clip in (False, True):
        grid = run(
            "mineland:fishnet",
            {"STUDY_AREA": area, "CELL_SIZE": 10000, "CLIP": clip, "OUTPUT": str(tmp_path / f"grid{clip}.gpkg")},
        )
        geometries = [f.geometry() for f in QgsVectorLayer(grid["OUTPUT"], "grid", "ogr").getFeatures()]
        geometries = [g for k, g in enumerate(geometries) if k % 7 != 3]  # holes in the net
        for rook in (False, True):
            fast = neighbours.lattice_weights(geometries, rook)
            if clip:
                assert fast is None  # the cells cut by the outline are not rectangles
                continue
            pairs = neighbours.adjacent_pairs(geometries, rook, QgsProcessingFeedback())
            slow = spatial_weights.pairs_contiguity(pairs, len(geometries))
            assert (fast.matrix != slow.matrix).nnz == 0 and fast.islands.tolist() == slow.islands.tolist()
            assert fast.matrix.nnz > 2 * len(geometries)


def test_null_values_are_left_out_not_poisoning(run, tmp_path, clustered):
    from qgis.core import QgsVectorLayer

    values = clustered.copy()
    values[2, 5] = np.nan
    path = grid_with_values(run, tmp_path, values)
    result = run(
        "mineland:hotspots",
        {"INPUT": path, "FIELD": "value", "WEIGHTS": 3, "K": 4, "OUTPUT": str(tmp_path / "gi.gpkg")},
    )
    z = {(f["row"], f["col"]): f["GiZScore"] for f in QgsVectorLayer(result["OUTPUT"], "g", "ogr").getFeatures()}
    assert len(z) == 42 and z[(2, 5)] is None or str(z[(2, 5)]) == "NULL"
    assert all(np.isfinite(v) for key, v in z.items() if key != (2, 5))


def test_constant_field_is_a_clear_error(run, tmp_path):
    from qgis.core import QgsProcessingException

    path = grid_with_values(run, tmp_path, np.full((3, 3), 2.0))
    with pytest.raises(QgsProcessingException, match="FIELD: every feature has value = 2"):
        run("mineland:moran", {"INPUT": path, "FIELD": "value", "OUTPUT": str(tmp_path / "l.gpkg")})
    with pytest.raises(QgsProcessingException, match="DISTANCE"):
        run("mineland:hotspots", {"INPUT": path, "FIELD": "row", "WEIGHTS": 2, "OUTPUT": str(tmp_path / "g.gpkg")})


def test_outputs_are_styled_when_loaded(run, tmp_path, clustered):
    import processing
    from qgis.core import (
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingOutputLayerDefinition,
        QgsProject,
        QgsVectorLayer,
    )

    path = grid_with_values(run, tmp_path, clustered)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    output = QgsProcessingOutputLayerDefinition(str(tmp_path / "gi.gpkg"), QgsProject.instance())  # "load it"
    result = processing.run(
        "mineland:hotspots",
        {"INPUT": path, "FIELD": "value", "OUTPUT": output},
        context=context,
        feedback=QgsProcessingFeedback(),
    )
    post_processor = context.layerToLoadOnCompletionDetails(result["OUTPUT"]).postProcessor()
    assert post_processor is not None
    layer = QgsVectorLayer(result["OUTPUT"], "gi", "ogr")
    post_processor.postProcessLayer(layer, context, None)
    renderer = layer.renderer()
    assert renderer.type() == "categorizedSymbol" and renderer.classAttribute() == "Gi_Bin"
    assert [c.label() for c in renderer.categories()][-1] == "Hot spot, 99 % confidence"
