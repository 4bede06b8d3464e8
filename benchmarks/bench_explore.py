"""Benchmark: the explorer's citizen lookup on a results directory of 10 million citizens.

Issue 7's target: a lookup answers in under 50 ms. The directory is made here once (a
social-credit run of one month, snapshot and ties kept) unless it exists already; then the
API is timed through FastAPI's test client (the whole request: routing, validation, DuckDB
queries over the Parquet snapshot and ties, JSON).

Run: ``.venv/bin/python benchmarks/bench_explore.py [--agents 10000000] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from scoresim.experiments.runner import execute
from scoresim.experiments.spec import RunSpec
from scoresim.explore import create_app, open_results
from scoresim.scenario import load_scenario
from scoresim.store import upsert


def make_results(root: Path, agents: int) -> None:
    sc = load_scenario(
        "social-credit",
        {
            "society.agents": agents,
            "steps": 1,
            "record.snapshot_every": 0,
            "record.snapshot_steps": [0],
            "record.ego_networks": 0,
        },
    )
    spec = RunSpec.of(sc, "bench")
    t0 = time.perf_counter()
    record = execute(spec, str(root), raise_errors=True)
    upsert(root, [record])
    print(f"made a {agents:,}-citizen results directory in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=10_000_000)
    ap.add_argument("--dir", type=Path, default=Path("results/bench-explore"))
    ap.add_argument("--lookups", type=int, default=50)
    args = ap.parse_args()
    if not (args.dir / "scoresim.duckdb").exists():
        make_results(args.dir, args.agents)
    t0 = time.perf_counter()
    client = TestClient(create_app(open_results(args.dir)))
    print(f"explorer ready in {time.perf_counter() - t0:.2f} s")
    scenario = client.get("/api/overview").json()["scenarios"][0]
    ids = np.random.default_rng(1).integers(0, args.agents, args.lookups)
    t = time.perf_counter()
    client.get(f"/api/citizen/{int(ids[0])}?scenario={scenario}")  # loads the snapshot once
    print(f"first lookup (loads the snapshot columns and ties): {time.perf_counter() - t:.1f} s")
    times = []
    for cid in ids:
        t = time.perf_counter()
        r = client.get(f"/api/citizen/{int(cid)}?scenario={scenario}")
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    t = time.perf_counter()
    page = client.get(f"/api/blacklist?scenario={scenario}&sort=score&order=asc")
    blacklist_ms = (time.perf_counter() - t) * 1000
    print(
        f"citizen lookup over {len(times)} random ids: median {statistics.median(times):.1f} ms,"
        f" 95th percentile {np.percentile(times, 95):.1f} ms, max {max(times):.1f} ms "
        "(target < 50 ms)"
    )
    print(f"blacklist page ({page.json()['total']:,} listed): {blacklist_ms:.0f} ms")


if __name__ == "__main__":
    main()
