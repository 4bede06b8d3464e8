"""Benchmark: sweep throughput on the local process pool, 1 worker against 2.

Issue 4's target: a sweep of 40 small runs on 2 workers has at least 1.8 times the throughput
of 1 worker. Both sweeps run here, one after the other, on the same design; each wall time
includes creating the pool. The forkserver the pools fork from is started once beforehand, as
it is once per ``scoresim`` command whatever the number of workers.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--runs 40] [--agents 3000] [--steps 24]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from scoresim.experiments.executors import PoolExecutor
from scoresim.experiments.sweep import sweep

DESIGN = """
name = "bench"
scenario = "social-credit"
method = "lhs"
samples = {runs}
seed = 1
[overrides]
"society.agents" = {agents}
steps = {steps}
[parameters]
"modules.expression.fear" = {{ low = 0.5, high = 4.0 }}
"modules.scoring.violation_penalty" = {{ low = 5, high = 40 }}
"""


def timed_sweep(design: Path, out: Path, workers: int) -> float:
    t0 = time.perf_counter()
    ex = PoolExecutor(workers)
    try:
        report = sweep(design, out, ex)
    finally:
        ex.close()
    assert report.failed == 0 and report.ran > 0
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--agents", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=36)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        design = root / "design.toml"
        design.write_text(DESIGN.format(runs=args.runs, agents=args.agents, steps=args.steps))
        warm = PoolExecutor(1)  # starts the forkserver (a once-per-process cost)
        list(warm._pool.map(abs, [0]))
        warm.close()
        one = timed_sweep(design, root / "w1", 1)
        two = timed_sweep(design, root / "w2", 2)
    print(f"sweep of {args.runs} runs ({args.agents} citizens, {args.steps} months each)")
    print(f"1 worker:  {one:6.2f} s  ({args.runs / one:.2f} runs/s)")
    print(f"2 workers: {two:6.2f} s  ({args.runs / two:.2f} runs/s)")
    print(f"throughput ratio 2/1: {one / two:.2f} (target >= 1.8)")


if __name__ == "__main__":
    main()
