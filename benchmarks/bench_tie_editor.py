"""Benchmark: sequential tie edits within one step, a TieEditor against a commit per edit.

An event-by-event model rewires one tie, then the next event must see it. Without the
editor, each edit is a batched commit of the whole network (O(ties)); with it, the cost is
proportional to the edits and the network is committed once. Both do the same rewires on
copies of one network, side by side in one run, and must end with the same ties.

Run: ``.venv/bin/python benchmarks/bench_tie_editor.py [--agents N] [--edits K]``.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from scoresim import parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import Network, build_society
from scoresim.society.editor import TieEditor


def rewires(net: Network, k: int, seed: int) -> list[tuple[int, int, int]]:
    """``k`` moves (i, old friend, new friend), each valid on the network the last left."""
    draws = Streams(seed).stream("bench", "rewire").uniform(0, 3 * k)
    out = []
    with TieEditor(net.__class__(net.indptr.copy(), net.indices.copy())) as ed:
        for e in range(k):
            i = int(draws[3 * e] * net.n)
            friends = ed.neighbours(i)
            new = int(draws[3 * e + 2] * net.n)
            if friends.size == 0 or new == i or ed.has(i, new):
                continue
            old = int(friends[int(draws[3 * e + 1] * friends.size)])
            ed.cut(i, old)
            ed.add(i, new)
            out.append((i, old, new))
    return out


def with_editor(net: Network, moves: list[tuple[int, int, int]]) -> float:
    t0 = time.perf_counter()
    with TieEditor(net) as ed:
        for i, old, new in moves:
            ed.cut(i, old)
            ed.add(i, new)
    return time.perf_counter() - t0


def commit_each(net: Network, moves: list[tuple[int, int, int]]) -> float:
    t0 = time.perf_counter()
    for i, old, new in moves:
        net.cut(np.array([i]), np.array([old]))
        net.commit()
        net.add(np.array([i]), np.array([new]))
        net.commit()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--edits", type=int, default=500)
    args = ap.parse_args()
    sc = parse_scenario({"society": {"agents": args.agents}})
    base = build_society(sc.society, Streams(1)).network
    moves = rewires(base, args.edits, 2)
    a = Network(base.indptr.copy(), base.indices.copy())
    b = Network(base.indptr.copy(), base.indices.copy())
    t_editor = with_editor(a, moves)
    t_commit = commit_each(b, moves)
    same = np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    print(
        f"{platform.processor() or platform.machine()}, {args.agents:,} citizens, "
        f"{base.n_ties:,} ties, {len(moves)} sequential rewires (cut + add each)"
    )
    print(
        f"  TieEditor, one commit:   {t_editor * 1e3:9.1f} ms "
        f"({t_editor / len(moves) * 1e6:.1f} us a rewire, commit included)"
    )
    print(
        f"  a commit per edit:       {t_commit * 1e3:9.1f} ms "
        f"({t_commit / len(moves) * 1e6:.1f} us a rewire)"
    )
    print(f"  ratio: {t_commit / t_editor:.0f}x; same ties at the end: {same}")


if __name__ == "__main__":
    main()
