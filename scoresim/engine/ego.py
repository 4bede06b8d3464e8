"""Ego networks of a few dissenters, kept at the start and the end of a run for drawings."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.core.rng import Streams
from scoresim.society import Network, People

__all__ = ["capture", "choose_egos"]

ADULT_AGE = 18


def choose_egos(people: People, net: Network, streams: Streams, k: int) -> NDArray[np.int64]:
    """Pick ``k`` living adult dissenters of typical degree (half to 1.5 times the mean).

    Typical, because a hub's hundreds of friends make an unreadable drawing. Falls back to any
    dissenter, then to anyone, when there are too few.
    """
    if k == 0 or people.n == 0:
        return np.empty(0, dtype=np.int64)
    alive = people["alive"] == 1
    deg = net.degree()
    mean = deg[alive].mean() if alive.any() else 0.0
    dissent = alive & (people["dissenter"] == 1) & (people["age"] >= ADULT_AGE)
    pool = np.flatnonzero(dissent & (deg >= 0.5 * mean) & (deg <= 1.5 * mean) & (deg > 0))
    if pool.size < k:
        pool = np.flatnonzero(dissent)
    if pool.size == 0:
        pool = np.flatnonzero(alive)
    rng = streams.stream("engine", "ego").generator(0)
    return np.sort(rng.choice(pool, size=min(k, pool.size), replace=False)).astype(np.int64)


def capture(
    net: Network,
    people: People,
    egos: NDArray[np.int64],
    step: int,
    extra: dict[int, NDArray[np.int64]] | None = None,
) -> dict[str, dict[str, NDArray[Any]]]:
    """Each ego's neighbourhood now and every tie inside it.

    The neighbourhood is the ego, its friends and ``extra[ego]`` (e.g. former friends).

    Returns:
        ``{"nodes": {ego, step, node, dissenter, alive, score}, "ties": {ego, step, u, v}}``.
    """
    nodes: dict[str, list[NDArray[Any]]] = {k: [] for k in ("ego", "node")}
    ties: dict[str, list[NDArray[Any]]] = {k: [] for k in ("ego", "u", "v")}
    for e in egos.tolist():
        members = np.union1d(
            np.append(net.neighbours(e).astype(np.int64), e),
            (extra or {}).get(e, np.empty(0, dtype=np.int64)),
        )
        nodes["ego"].append(np.full(members.size, e))
        nodes["node"].append(members)
        for a in members.tolist():
            nb = net.neighbours(a).astype(np.int64)
            inside = nb[(nb > a) & np.isin(nb, members)]
            ties["ego"].append(np.full(inside.size, e))
            ties["u"].append(np.full(inside.size, a))
            ties["v"].append(inside)

    def cat(parts: list[NDArray[Any]]) -> NDArray[np.int64]:
        return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)

    node_ids = cat(nodes["node"])
    score = people["score"][node_ids] if "score" in people else np.full(node_ids.size, np.nan)
    return {
        "nodes": {
            "ego": cat(nodes["ego"]),
            "step": np.full(node_ids.size, step, dtype=np.int32),
            "node": node_ids,
            "dissenter": people["dissenter"][node_ids].astype(np.uint8),
            "alive": people["alive"][node_ids].astype(np.uint8),
            "score": np.asarray(score, dtype=np.float32),
        },
        "ties": {
            "ego": cat(ties["ego"]),
            "step": np.full(cat(ties["u"]).size, step, dtype=np.int32),
            "u": cat(ties["u"]),
            "v": cat(ties["v"]),
        },
    }
