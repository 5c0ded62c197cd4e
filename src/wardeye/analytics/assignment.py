"""Minimum-cost assignment (the Hungarian method), small and dependency-free.

Trackers match a few dozen boxes per frame, so an O(n^3) shortest-augmenting-path solver in
numpy is plenty and spares a SciPy dependency.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def linear_sum_assignment(cost: npt.ArrayLike) -> list[tuple[int, int]]:
    """Pairs (row, column) that cover min(rows, columns) with the lowest total cost."""
    matrix = np.asarray(cost, dtype=np.float64)
    if matrix.ndim != 2 or 0 in matrix.shape:
        return []
    if not np.isfinite(matrix).all():
        raise ValueError("costs must be finite; use a large number for forbidden pairs")
    transposed = matrix.shape[0] > matrix.shape[1]
    if transposed:
        matrix = matrix.T
    pairs = _solve(matrix)
    if transposed:
        pairs = [(c, r) for r, c in pairs]
    return sorted(pairs)


def _solve(a: npt.NDArray[np.float64]) -> list[tuple[int, int]]:
    """Rows <= columns. Potentials u, v keep reduced costs >= 0; each row is added by a
    Dijkstra-like search for the cheapest augmenting path (Jonker-Volgenant style)."""
    n, m = a.shape
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    owner = np.zeros(m + 1, dtype=np.int64)  # owner[j] = row (1-based) holding column j
    way = np.zeros(m + 1, dtype=np.int64)
    for row in range(1, n + 1):
        owner[0] = row
        col = 0
        best = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[col] = True
            i = owner[col]
            free = ~used[1:]
            reduced = a[i - 1] - u[i] - v[1:]
            better = free & (reduced < best[1:])
            best[1:][better] = reduced[better]
            way[1:][better] = col
            candidates = np.where(free, best[1:], np.inf)
            nxt = int(np.argmin(candidates)) + 1
            delta = candidates[nxt - 1]
            u[owner[used]] += delta
            v[used] -= delta
            best[1:][free] -= delta
            col = nxt
            if owner[col] == 0:
                break
        while col:
            prev = way[col]
            owner[col] = owner[prev]
            col = prev
    return [(int(owner[j]) - 1, j - 1) for j in range(1, m + 1) if owner[j]]
