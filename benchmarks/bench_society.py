"""Benchmark: building a synthetic society (issue 2's target: 1M citizens, mean degree 20).

Targets: at most 10 s to build, and at most 100 bytes per citizen plus 8 bytes per directed
edge of resident memory for the society. Also reports the peak of temporary memory during the
build (tracemalloc sees numpy's allocations).

Run: ``.venv/bin/python benchmarks/bench_society.py [--agents N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

from scoresim import parse_scenario
from scoresim.core.rng import Streams
from scoresim.society import Society, build_society


def build(agents: int, degree: float, seed: int) -> tuple[Society, float]:
    sc = parse_scenario({"society": {"agents": agents, "network": {"mean_degree": degree}}})
    t0 = time.perf_counter()
    society = build_society(sc.society, Streams(seed))
    return society, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--degree", type=float, default=20.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    build(2_000, args.degree, 0)  # compile the numba kernels (cached on disk afterwards)
    times = []
    society = None
    for r in range(args.repeats):
        society, seconds = build(args.agents, args.degree, r)
        times.append(seconds)
    assert society is not None
    tracemalloc.start()
    build(args.agents, args.degree, 99)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    n = society.n
    directed = society.network.indices.size
    budget = 100 * n + 8 * directed
    per_citizen = (society.people.nbytes + society.network.indptr.nbytes) / n
    per_edge = society.network.indices.nbytes / directed
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, python {platform.python_version()}")
    print(f"society: {n:,} citizens, {directed:,} directed edges (mean degree {directed / n:.2f})")
    print(
        f"build time: median {statistics.median(times):.2f} s over {len(times)} "
        f"(min {min(times):.2f}, max {max(times):.2f}); target <= 10 s"
    )
    print(
        f"resident memory: {society.nbytes / 1e6:.1f} MB = {per_citizen:.1f} B/citizen + "
        f"{per_edge:.1f} B/directed edge; budget {budget / 1e6:.1f} MB "
        f"({society.nbytes / budget:.0%} of it)"
    )
    print(f"peak traced memory during build: {peak / 1e6:.0f} MB ({peak / n:.0f} B/citizen)")


if __name__ == "__main__":
    main()
