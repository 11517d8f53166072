"""Johnson's relative weights against known answers (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from closeloop.analytics.drivers.stats import ols_r_squared, relative_weights


def _known_case(n: int = 4000, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """y = 2*x1 + 1*x2 + noise, with independent x1, x2 and an irrelevant x3."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = 2 * x[:, 0] + 1 * x[:, 1] + rng.normal(size=n)
    return x, y


def test_independent_drivers_get_weights_in_proportion_to_their_squared_effects() -> None:
    x, y = _known_case()

    result = relative_weights(x, y)

    w1, w2, w3 = result.weights
    assert w1 > w2 > w3 >= 0
    # With independent predictors each weight is its squared standardized effect: 4 : 1.
    assert w1 / w2 == pytest.approx(4.0, rel=0.15)
    assert w3 < 0.005
    # Population R² is (4 + 1) / (4 + 1 + 1) = 5/6.
    assert result.r_squared == pytest.approx(5 / 6, abs=0.02)


def test_weights_add_up_to_the_r_squared_of_least_squares() -> None:
    x, y = _known_case(n=500, seed=3)

    result = relative_weights(x, y)

    assert result.weights.sum() == pytest.approx(result.r_squared, abs=1e-9)
    assert result.r_squared == pytest.approx(ols_r_squared(x, y), abs=1e-9)
    assert result.shares.sum() == pytest.approx(1.0)


def test_correlated_drivers_share_what_they_explain_together() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    common = rng.normal(size=n)
    x1 = common + 0.5 * rng.normal(size=n)
    x2 = common + 0.5 * rng.normal(size=n)  # strongly correlated with x1
    x3 = rng.normal(size=n)
    x = np.column_stack([x1, x2, x3])
    y = x1 + 0.5 * x3 + rng.normal(size=n)

    result = relative_weights(x, y)

    assert result.weights.sum() == pytest.approx(ols_r_squared(x, y), abs=1e-9)
    assert (result.weights >= 0).all()
    # x2 has no effect of its own but is credited through its correlation with x1.
    assert result.weights[0] > result.weights[1] > 0


def test_an_exact_duplicate_column_splits_the_weight_and_keeps_the_sum() -> None:
    x, y = _known_case(n=800, seed=9)
    doubled = np.column_stack([x, x[:, 0]])

    result = relative_weights(doubled, y)

    assert result.weights[0] == pytest.approx(result.weights[3], rel=1e-6)
    assert result.weights.sum() == pytest.approx(ols_r_squared(doubled, y), abs=1e-8)


def test_a_constant_column_is_refused() -> None:
    x, y = _known_case(n=50)
    x[:, 2] = 1.0

    with pytest.raises(ValueError, match="constant"):
        relative_weights(x, y)
