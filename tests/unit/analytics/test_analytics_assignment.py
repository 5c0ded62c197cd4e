"""The Hungarian solver against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from wardeye.analytics.assignment import linear_sum_assignment


def brute_force(cost: np.ndarray) -> float:
    rows, cols = cost.shape
    if rows <= cols:
        return min(
            sum(cost[i, p[i]] for i in range(rows))
            for p in itertools.permutations(range(cols), rows)
        )
    return min(
        sum(cost[p[j], j] for j in range(cols)) for p in itertools.permutations(range(rows), cols)
    )


@settings(max_examples=150, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.floats(0, 100, allow_nan=False),
    )
)
def test_optimal_and_one_to_one(cost: np.ndarray) -> None:
    pairs = linear_sum_assignment(cost)
    assert len(pairs) == min(cost.shape)
    assert len({r for r, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
    assert sum(cost[r, c] for r, c in pairs) == pytest.approx(brute_force(cost), abs=1e-6)


def test_greedy_would_be_wrong_here() -> None:
    # Greedy takes (0, 0) = 1 and is left with (1, 1) = 100; the optimum is 2 + 3.
    assert linear_sum_assignment([[1, 2], [3, 100]]) == [(0, 1), (1, 0)]


def test_empty_and_invalid_inputs() -> None:
    assert linear_sum_assignment(np.zeros((0, 3))) == []
    with pytest.raises(ValueError):
        linear_sum_assignment([[np.inf, 1.0]])
