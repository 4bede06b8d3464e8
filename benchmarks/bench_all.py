"""`make bench`: every performance figure of issue 6, measured side by side in one run.

Writes ``benchmarks/results.md``:

1. per-step time of the Mesa reference and of scoresim (the same core model) at 10,000 and
   100,000 citizens, with the ratio;
2. a STREAM-like memory bandwidth (numba triad on both cores) and the share of it a full
   social-credit step reaches at the largest size run (compulsory bytes / time / bandwidth);
3. time per step and bytes per citizen from 100,000 citizens up to the largest size that fits
   in memory (100M is attempted only if the measured build peak says it fits);
4. start-up of ``scoresim run`` to its first step, with a cold and a warm numba cache.

Run: ``.venv/bin/python benchmarks/bench_all.py [--max-agents N] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_reference import core_scenario, time_step

from scoresim import Simulation, load_scenario

GiB = 1024**3


@njit(parallel=True, cache=True)
def _triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


def bandwidth(n: int = 100_000_000, repeats: int = 5) -> float:
    """Best of ``repeats`` STREAM triads (a = b + s c) in GB/s: 24 bytes per element."""
    a = np.zeros(n)
    b = np.ones(n)
    c = np.full(n, 2.0)
    _triad(a[:10], b[:10], c[:10], 3.0)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        _triad(a, b, c, 3.0)
        best = max(best, 24 * n / (time.perf_counter() - t) / 1e9)
    return best


def mesa_versus_scoresim(sizes: tuple[int, ...]) -> list[tuple[int, float, float]]:
    """(citizens, Mesa s/step, scoresim s/step) on the core model."""
    rows = []
    for n in sizes:
        _, mesa_step = time_step(n, 2)
        sim = Simulation(core_scenario(n, 24, 1))
        sim.run(until=2)
        t = time.perf_counter()
        sim.run(until=12)
        rows.append((n, mesa_step, (time.perf_counter() - t) / 10))
    return rows


def scale(sizes: list[int], degree: float, steps: int) -> list[dict[str, float]]:
    """Build and step social-credit at each size; per-step time, memory, compulsory bytes."""
    proc = psutil.Process()
    rows = []
    for n in sizes:
        base = proc.memory_info().rss
        sc = load_scenario(
            "social-credit",
            {
                "society.agents": n,
                "society.network.mean_degree": degree,
                "steps": steps + 1,
                "record.snapshot_every": 0,
                "record.ego_networks": 0,
            },
        )
        t = time.perf_counter()
        sim = Simulation(sc)
        build = time.perf_counter() - t
        sim.run(until=1)  # the first step compiles nothing but warms caches
        t = time.perf_counter()
        sim.run(until=steps + 1)
        per_step = (time.perf_counter() - t) / steps
        people = sim.people.nbytes
        net = sim.network.nbytes
        # Compulsory traffic of a step: read the ties once, read and write every
        # per-citizen array once.
        compulsory = net + 2 * people
        rows.append(
            {
                "n": n,
                "build_s": build,
                "step_s": per_step,
                "bytes_per_citizen": (people + net) / n,
                "rss_gib": (proc.memory_info().rss - base) / GiB,
                "compulsory": compulsory,
            }
        )
        del sim
    return rows


def startup(cold: bool) -> float:
    """Wall seconds of ``scoresim run`` on 1,000 citizens for one month."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if cold:
            env["NUMBA_CACHE_DIR"] = tmp
        cmd = [
            sys.executable,
            "-m",
            "scoresim",
            "run",
            "social-credit",
            "-n",
            "1000",
            "-t",
            "1",
            "-o",
            str(Path(tmp) / "out"),
            "--json",
        ]
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-agents", type=int, default=10_000_000)
    ap.add_argument("--degree", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results.md")
    args = ap.parse_args()

    lines = ["# Benchmark results", ""]
    mem = psutil.virtual_memory().total / GiB
    lines += [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"Python {platform.python_version()}, numpy {np.__version__}. "
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` (benchmarks/bench_all.py).",
        "",
    ]

    startup(cold=False)  # makes sure the warm cache is populated
    warm, cold = startup(cold=False), startup(cold=True)
    lines += [
        "## Start-up of `scoresim run` (1,000 citizens, one month, whole command)",
        "",
        "| numba cache | seconds | target |",
        "|---|---|---|",
        f"| cold (empty cache dir) | {cold:.2f} | |",
        f"| warm | {warm:.2f} | <= 2 s to the first step |",
        "",
    ]
    print(lines[-4:])

    rows = mesa_versus_scoresim((10_000, 100_000))
    lines += [
        "## Mesa 3 reference against scoresim (core model, s per step)",
        "",
        "| citizens | Mesa | scoresim | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for n, m, s in rows:
        lines.append(f"| {n:,} | {m:.3f} | {s:.4f} | {m / s:,.0f}x | >= 1000x at 100,000 |")
    lines.append("")
    print(lines[-4:])

    bw = bandwidth()
    sizes = [n for n in (100_000, 1_000_000, 10_000_000, 100_000_000) if n <= args.max_agents]
    res = scale(sizes, args.degree, steps=3)
    lines += [
        f"## Scaling: social-credit, mean degree {args.degree:g}",
        "",
        f"STREAM-like triad bandwidth: {bw:.1f} GB/s (both cores).",
        "",
        "| citizens | build s | s per step | bytes per citizen (state + ties) | "
        "extra RSS GiB | share of bandwidth roofline |",
        "|---|---|---|---|---|---|",
    ]
    for r in res:
        share = r["compulsory"] / r["step_s"] / (bw * 1e9)
        lines.append(
            f"| {int(r['n']):,} | {r['build_s']:.1f} | {r['step_s']:.3f} | "
            f"{r['bytes_per_citizen']:.0f} | {r['rss_gib']:.1f} | {share:.1%} |"
        )
    lines += [
        "",
        "Roofline share = (ties read once + every per-citizen array read and written "
        "once) / step time / triad bandwidth. Targets: >= 30% at 10M; 100M with mean "
        "degree 10 in 24 GiB and <= 3 s a step.",
        "",
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
