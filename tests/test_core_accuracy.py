"""core.accuracy: confusion matrix, producer's / user's / overall accuracy and kappa,
by hand and from the reference-point counts of seed 004 §2.5."""

import math

import numpy as np
import pytest

from mineland.core.timeseries.accuracy import confusion_matrix
from mineland.core.timeseries.sampling import pixel_indices

RESTORED, OTHER = 1, 2


def points_from_counts(counts):
    """Reference and mapped codes reproducing a {(reference, mapped): points} table."""
    reference = np.concatenate([np.full(n, r) for (r, _), n in counts.items()])
    mapped = np.concatenate([np.full(n, m) for (_, m), n in counts.items()])
    return reference, mapped


def test_hand_computed_three_classes():
    reference = [1, 1, 1, 2, 2, 3, 3, 3, 3, 1]
    mapped = [1, 1, 2, 2, 3, 3, 3, 1, 3, 1]
    result = confusion_matrix(reference, mapped)
    assert result.classes.tolist() == [1, 2, 3]
    # rows = reference, columns = mapped
    assert result.matrix.tolist() == [[3, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert result.reference_totals.tolist() == [4, 2, 4]
    assert result.mapped_totals.tolist() == [4, 2, 4]
    np.testing.assert_allclose(result.producers_accuracy, [3 / 4, 1 / 2, 3 / 4])
    np.testing.assert_allclose(result.users_accuracy, [3 / 4, 1 / 2, 3 / 4])
    assert result.n == 10
    assert result.overall_accuracy == pytest.approx(0.7)
    # p_e = (4·4 + 2·2 + 4·4) / 100 = 0.36; κ = (0.7 − 0.36) / 0.64
    assert result.kappa == pytest.approx(0.34 / 0.64)
    assert isinstance(result.kappa, float) and isinstance(result.overall_accuracy, float)


def test_classes_absent_from_one_side_and_extra_classes():
    # class 5 is only mapped, class 9 only asked for: empty rows give NaN PA, empty columns NaN UA
    result = confusion_matrix([1, 1, 2], [1, 5, 2], classes=[9])
    assert result.classes.tolist() == [1, 2, 5, 9]
    assert result.matrix.tolist() == [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    np.testing.assert_allclose(result.producers_accuracy, [0.5, 1.0, np.nan, np.nan])
    np.testing.assert_allclose(result.users_accuracy, [1.0, 1.0, 0.0, np.nan])
    # p_o = 2/3, p_e = (2·1 + 1·1) / 9 = 1/3, κ = (1/3) / (2/3)
    assert result.kappa == pytest.approx(0.5)


def test_whole_float_codes_are_accepted():
    result = confusion_matrix(np.array([1.0, 2.0]), np.array([1, 2], dtype=np.uint8))
    assert result.classes.dtype == np.int64 and result.overall_accuracy == 1.0 and result.kappa == 1.0


def test_single_class_everywhere_has_undefined_kappa():
    # p_e = 1: every point is class 4 in both; OA is 1, κ = 0/0 → NaN
    result = confusion_matrix([4, 4, 4], [4, 4, 4])
    assert result.overall_accuracy == 1.0 and math.isnan(result.kappa)


def test_total_disagreement_gives_negative_kappa():
    result = confusion_matrix([1, 2], [2, 1])
    assert result.overall_accuracy == 0.0
    assert result.kappa == pytest.approx(-1.0)  # p_e = 0.5


@pytest.mark.parametrize(
    "reference, mapped, message",
    [
        ([], [], "no points"),
        ([1, 2], [1], "reference has 2 points but mapped has 1"),
        ([1.5], [1], "whole-number"),
        (["a"], [1], "not numbers"),
    ],
)
def test_bad_input(reference, mapped, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(reference, mapped)


# Seed 004 §2.5, from its text (the counts are the ground truth):
# Antaibao&Anjialing, 600 points: 377 of the 383 truly restored identified as restored,
# 189 of the 217 not restored identified as not restored.
# Shenglixi III, 100 points: 13 of the 15 restored, 82 of the 85 not restored.
ANTAIBAO = {(RESTORED, RESTORED): 377, (RESTORED, OTHER): 6, (OTHER, RESTORED): 28, (OTHER, OTHER): 189}
SHENGLIXI = {(RESTORED, RESTORED): 13, (RESTORED, OTHER): 2, (OTHER, RESTORED): 3, (OTHER, OTHER): 82}


def test_seed_004_antaibao_anjialing():
    result = confusion_matrix(*points_from_counts(ANTAIBAO))
    assert result.n == 600
    assert result.matrix.tolist() == [[377, 6], [28, 189]]
    np.testing.assert_allclose(result.producers_accuracy, [377 / 383, 189 / 217])  # 0.98, 0.87 as printed
    np.testing.assert_allclose(result.users_accuracy, [377 / 405, 189 / 195])  # 0.93, 0.97 as printed
    assert result.overall_accuracy == pytest.approx(566 / 600)  # 0.943 → 0.94 as printed
    # p_e = (383·405 + 217·195) / 600² = 197430 / 360000 = 0.548417,
    # κ = (600·566 − 197430) / (600² − 197430) = 142170 / 162570 = 0.8745.
    # Table 3 prints 0.88; the counts give 0.87 at two decimals.
    assert result.kappa == pytest.approx(142170 / 162570)
    assert result.kappa == pytest.approx(0.8745, abs=1e-4)
    assert round(result.kappa, 2) == 0.87


def test_seed_004_shenglixi_iii():
    result = confusion_matrix(*points_from_counts(SHENGLIXI))
    assert result.n == 100
    assert result.matrix.tolist() == [[13, 2], [3, 82]]
    # Table 3 prints PA 0.81 / UA 0.86 for significant increase and PA 0.98 / UA 0.96 for
    # other trends: producer's and user's are swapped there. From the counts:
    np.testing.assert_allclose(result.producers_accuracy, [13 / 15, 82 / 85])  # 0.867, 0.965
    np.testing.assert_allclose(result.users_accuracy, [13 / 16, 82 / 84])  # 0.8125, 0.976
    assert result.overall_accuracy == pytest.approx(0.95)
    # p_e = (15·16 + 85·84) / 100² = 0.738, κ = 0.212 / 0.262 = 0.809 (0.81 as printed)
    assert result.kappa == pytest.approx(0.212 / 0.262)
    assert round(result.kappa, 2) == 0.81


# ------------------------------------------------------------------ sampling


def test_pixel_indices_north_up_and_edges():
    gt = (100.0, 10.0, 0.0, 50.0, 0.0, -10.0)  # 3 × 2 pixels of 10 units
    x = [100.0, 105.0, 129.9, 130.0, 99.9, 115.0, 115.0, np.nan]
    y = [50.0, 45.0, 30.1, 45.0, 45.0, 40.0, 30.0, 40.0]
    rows, cols, inside = pixel_indices(gt, x, y, 3, 2)
    assert inside.tolist() == [True, True, True, False, False, True, False, False]
    assert rows[inside].tolist() == [0, 0, 1, 1]  # (115, 40) is on a pixel edge: the one below
    assert cols[inside].tolist() == [0, 0, 2, 1]


def test_pixel_indices_rotated_geotransform():
    # 90° rotation: X = 10·row, Y = 10·col
    rows, cols, inside = pixel_indices((0.0, 0.0, 10.0, 0.0, 10.0, 0.0), [25.0], [5.0], 4, 4)
    assert inside.tolist() == [True] and rows.tolist() == [2] and cols.tolist() == [0]


@pytest.mark.parametrize("block", [None, 16])  # striped (blocks are whole rows) and tiled
def test_sample_pixels_matches_the_array(tmp_path, block):
    from osgeo import gdal

    from mineland.core.timeseries.sampling import sample_pixels
    from rasters import write_raster

    values = (np.arange(70)[:, None] * 1000 + np.arange(100)[None, :]).astype(np.int32)
    dataset = gdal.Open(write_raster(tmp_path / "v.tif", values, block=block))
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 70, 500), rng.integers(0, 100, 500)
    sampled = sample_pixels(dataset.GetRasterBand(1), rows, cols)
    assert sampled.dtype == np.int32
    np.testing.assert_array_equal(sampled, values[rows, cols])
    assert sample_pixels(dataset.GetRasterBand(1), [], []).size == 0
