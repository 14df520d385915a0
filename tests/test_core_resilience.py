"""mineland.core.resilience against hand computations (seed 003 eq. 1–5)."""

import numpy as np
import pytest

from mineland.core import resilience


def test_shannon_in_bits():
    h = resilience.shannon_log2([[0.5, 0.5, 0, 0], [0.25] * 4, [1.0, 0, 0, 0]])
    np.testing.assert_allclose(h, [1.0, 2.0, 0.0])


def test_resilience_by_hand():
    shares = np.array([[0.5, 0.5], [1.0, 0.0]])
    scores = [0.4, 0.8]
    result = resilience.resilience(shares, scores, ndvi=[0.6, 0.3], c1=2.0, c2=0.5, mu=0.08)
    # zone 1: H = 1 bit; ECO_res = 1 · (0.5·0.4 + 0.5·0.8) = 0.6; σ = 1 · 0.6 / (2 · 0.5) = 0.6; E = 0.6·0.08·0.6
    assert result.h[0] == 1.0 and result.eco_res[0] == pytest.approx(0.6)
    assert result.sigma[0] == pytest.approx(0.6) and result.e[0] == pytest.approx(0.6 * 0.08 * 0.6)
    # zone 2: a single class: H = 0, so everything is 0 (documented, not NaN)
    assert (result.h[1], result.eco_res[1], result.sigma[1], result.e[1]) == (0.0, 0.0, 0.0, 0.0)


def test_zero_change_rate_is_refused():
    with pytest.raises(ValueError, match="C1 and C2 must not be 0"):
        resilience.resilience([[0.5, 0.5]], [1, 1], [0.5], c1=0.0, c2=1.0)


def test_scores_and_ndvi_helpers():
    assert resilience.parse_scores("1=0.5; 2 = 0.9") == {1: 0.5, 2: 0.9}
    with pytest.raises(ValueError, match="not code=score"):
        resilience.parse_scores("1:0.5")
    np.testing.assert_allclose(resilience.ndvi_from_bands([0.1, 0.0], [0.3, 0.0]), [0.5, np.nan])
    np.testing.assert_allclose(resilience.class_shares([[1.0, 3.0], [0.0, 0.0]]), [[0.25, 0.75], [np.nan, np.nan]])
