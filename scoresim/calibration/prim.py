"""Scenario discovery: the PRIM box of parameter values where an outcome concentrates.

Friedman and Fisher's patient rule induction method (1999), as used for scenario discovery
(Bryant and Lempert 2010; the EMA workbench): start from the whole sample, repeatedly peel
the thin slice of one parameter's range whose removal most raises the share of the outcome
inside the box, and stop at a minimum support. The box then says, in a few restrictions,
where a claim fails.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Box",
    "prim_box",
]


@dataclass(frozen=True)
class Box:
    """A PRIM box: where most points of one outcome lie.

    Attributes:
        restrictions: Per restricted parameter, its (low, high) bounds (``None``: open), the
            most decisive first.
        coverage: Share of the outcome's points that lie in the box.
        density: Share of the box's points that have the outcome.
        support: Share of all points that lie in the box.
    """

    restrictions: dict[str, tuple[float | None, float | None]]
    coverage: float
    density: float
    support: float


def _inside(x: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64]) -> Any:
    return np.all((x >= lo) & (x <= hi), axis=1)


def _score(y: NDArray[np.bool_], inside: NDArray[np.bool_]) -> tuple[float, float, float]:
    """(coverage x density, coverage, density) of a box."""
    n_in = int(inside.sum())
    hits = int(y[inside].sum())
    if n_in == 0:
        return 0.0, 0.0, 0.0
    coverage, density = hits / int(y.sum()), hits / n_in
    return coverage * density, coverage, density


def _peels(
    x: NDArray[np.float64], inside: NDArray[np.bool_], j: int, k: int
) -> Iterator[tuple[NDArray[np.bool_], int, float]]:
    """The two peels of dimension ``j``: the ``k`` lowest or highest points of the box removed.

    Yields (points kept, side: 0 low or 1 high, the new bound, midway between the last
    point removed and the first kept). Tied values go together.
    """
    col = x[:, j]
    values = np.sort(col[inside])
    low_cut = values[k - 1]
    kept = inside & (col > low_cut)
    if kept.any():
        yield kept, 0, (low_cut + col[kept].min()) / 2
    high_cut = values[values.size - k]
    kept = inside & (col < high_cut)
    if kept.any():
        yield kept, 1, (high_cut + col[kept].max()) / 2


def prim_box(
    x: NDArray[np.float64],
    target: NDArray[np.bool_],
    names: Sequence[str],
    alpha: float = 0.05,
    min_support: float = 0.05,
    max_restrictions: int = 3,
) -> Box | None:
    """Find the box of parameter values where the ``target`` points concentrate (PRIM).

    Peeling (Friedman and Fisher's patient rule induction): starting from the whole sample,
    repeatedly remove the ``alpha`` share of the box's points at the low or the high end of
    one dimension, the slice whose removal most raises the share of target points in the
    box, until the box would hold fewer than ``min_support`` of all points. Of the boxes on
    this trajectory the one with the highest coverage x density is kept (the first, at a
    tie); then restrictions are dropped, one at a time, while that does not lower its
    coverage x density, and the least decisive ones beyond ``max_restrictions``.

    Args:
        x: Points (rows) by parameters (columns).
        target: The outcome looked for (e.g. where a claim fails), one per point.
        names: The parameters' names, one per column.
        alpha: Share of the box peeled at each step.
        min_support: The smallest box, as a share of all points.
        max_restrictions: The most restrictions reported.

    Returns:
        The box, or ``None`` when every point or none has the outcome, or no box beats the
        whole sample.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(target, dtype=bool)
    n, d = x.shape
    if len(names) != d or y.shape != (n,):
        raise ValueError(f"x is {x.shape}, target {y.shape}, names {len(names)}: they differ")
    if n == 0 or not y.any() or y.all():
        return None
    lo, hi = np.full(d, -np.inf), np.full(d, np.inf)
    inside = np.ones(n, dtype=bool)
    min_count = max(1, math.ceil(min_support * n))
    trajectory = [(lo.copy(), hi.copy())]
    while True:
        m = int(inside.sum())
        k = max(1, int(alpha * m))
        best: tuple[float, int, int, int, float, NDArray[np.bool_]] | None = None
        for j in range(d):
            for kept, side, bound in _peels(x, inside, j, k):
                count = int(kept.sum())
                if count < min_count:
                    continue
                density = float(y[kept].mean())
                # The densest box; at a tie the larger one, then the first dimension.
                if best is None or (density, count) > (best[0], best[1]):
                    best = (density, count, j, side, bound, kept)
        if best is None:
            break
        _, _, j, side, bound, inside = best
        if side == 0:
            lo[j] = bound
        else:
            hi[j] = bound
        trajectory.append((lo.copy(), hi.copy()))
    scores = [_score(y, _inside(x, a, b))[0] for a, b in trajectory]
    lo, hi = trajectory[int(np.argmax(scores))]
    lo, hi = lo.copy(), hi.copy()
    current = _score(y, _inside(x, lo, hi))[0]
    restricted = [j for j in range(d) if np.isfinite(lo[j]) or np.isfinite(hi[j])]
    loss: dict[int, float] = {}
    while restricted:
        trials = []
        for j in restricted:
            a, b = lo.copy(), hi.copy()
            a[j], b[j] = -np.inf, np.inf
            trials.append((_score(y, _inside(x, a, b))[0], j))
        value, j = max(trials)
        if value < current and len(restricted) <= max_restrictions:
            loss = {jj: current - v for v, jj in trials}
            break
        lo[j], hi[j] = -np.inf, np.inf
        restricted.remove(j)
        current = _score(y, _inside(x, lo, hi))[0]
    if not restricted:
        return None
    _, coverage, density = _score(y, _inside(x, lo, hi))
    order = sorted(restricted, key=lambda jj: -loss.get(jj, 0.0))
    return Box(
        {
            names[j]: (
                float(lo[j]) if np.isfinite(lo[j]) else None,
                float(hi[j]) if np.isfinite(hi[j]) else None,
            )
            for j in order
        },
        coverage,
        density,
        float(_inside(x, lo, hi).mean()),
    )
