"""`make bench`: every performance figure of issue 6, measured side by side in one run.

Writes ``benchmarks/results.md``:

1. per-step time (median of single steps) of the Mesa reference and of scoresim (the same
   core model) at 10,000 and 100,000 citizens, with the ratio;
2. a STREAM-like memory bandwidth (numba triad on both cores) and the share of it a full
   social-credit step reaches at the largest size run (compulsory bytes / time / bandwidth);
3. time per step, bytes per citizen and peak memory from 100,000 to 100,000,000 citizens,
   each size in a fresh process (a size is skipped, and the table says why, when the peak
   predicted from the size before exceeds the memory available), and the seconds each
   module takes at the largest size;
4. start-up of ``scoresim run`` to its first step, with a cold and a warm numba cache.

Run: ``.venv/bin/python benchmarks/bench_all.py [--max-agents N] [--parts startup,mesa,scale]
[--out FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mesa_reference import CoreModel, core_scenario

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
    """(citizens, Mesa s/step, scoresim s/step) on the core model: medians of single steps.

    Medians, because single steps vary run to run (a year-end step measures more; the
    machine is shared): Mesa over 3 steps, scoresim over 24.
    """
    rows = []
    for n in sizes:
        model = CoreModel(core_scenario(n, 3, 1), seed=1)
        mesa = _median_step(model.step, 3)
        sim = Simulation(core_scenario(n, 26, 1))
        sim.run(until=2)
        rows.append((n, mesa, _median_step(sim.step, 24)))
    return rows


def _median_step(step: Callable[[], None], steps: int) -> float:
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def measure_size(n: int, degree: float, steps: int) -> dict[str, Any]:
    """Build and step social-credit with ``n`` citizens in this process (run in a child).

    Returns timings, the bytes of state and ties, the process's resident memory after the
    imports and its peak, and the seconds each module took per step.
    """
    base = psutil.Process().memory_info().rss
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
    per_module: dict[str, float] = {}
    for m in sim.modules:
        m.step = _timed(m.step, m.name, per_module)  # type: ignore[method-assign]
    sim.network.commit = _timed(sim.network.commit, "tie edits", per_module)  # type: ignore[method-assign]
    t = time.perf_counter()
    sim.run(until=steps + 1)
    per_step = (time.perf_counter() - t) / steps
    return {
        "n": n,
        "build_s": build,
        "step_s": per_step,
        "state_bytes": sim.people.nbytes,
        "ties_bytes": sim.network.nbytes,
        "base_rss": base,
        "peak_rss": _peak_rss(),
        "modules_s": {k: v / steps for k, v in per_module.items()},
    }


def _peak_rss() -> int:
    """Peak resident bytes of this process image (VmHWM; ``ru_maxrss`` would carry the
    parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _timed(f: Callable[..., Any], name: str, into: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any) -> Any:
        t = time.perf_counter()
        out = f(*args)
        into[name] = into.get(name, 0.0) + time.perf_counter() - t
        return out

    return timed


def scale(sizes: list[int], degree: float, steps: int) -> list[dict[str, Any]]:
    """Each size in a fresh child process, so that memory is measured alone.

    A size is skipped (and said so) when the peak memory predicted from the previous size
    (the per-citizen part scaled up) exceeds the memory available now. The prediction is
    high by the smaller size's heap fragmentation (at 10M citizens about 1 GiB for 100M).
    """
    rows: list[dict[str, Any]] = []
    for n in sizes:
        if rows:
            last = rows[-1]
            if "skipped" not in last:
                per_citizen = (last["peak_rss"] - last["base_rss"]) / last["n"]
                predicted = last["base_rss"] + per_citizen * n
                available = psutil.virtual_memory().available
                if predicted > available:
                    rows.append(
                        {
                            "n": n,
                            "skipped": f"predicted peak {predicted / GiB:.1f} GiB > "
                            f"the {available / GiB:.1f} GiB available",
                        }
                    )
                    continue
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--degree",
            str(degree),
            "--steps",
            str(steps),
        ]
        print(f"scaling: {n:,} citizens ...", flush=True)
        done = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            rows.append({"n": n, "skipped": f"failed ({done.returncode}): {done.stderr[-300:]}"})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
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


def scale_table(res: list[dict[str, Any]], degree: float, bw: float) -> list[str]:
    """Markdown rows of the scaling runs, and the time each module took at the largest."""
    lines = [
        f"## Scaling: social-credit, mean degree {degree:g}",
        "",
        f"STREAM-like triad bandwidth: {bw:.1f} GB/s (both cores).",
        "",
        "| citizens | build s | s per step | bytes per citizen (state + ties) | "
        "peak memory GiB (whole process) | share of bandwidth roofline |",
        "|---|---|---|---|---|---|",
    ]
    for r in res:
        if "skipped" in r:
            lines.append(f"| {r['n']:,} | not run: {r['skipped']} | | | | |")
            continue
        # Compulsory traffic of a step: read the ties once, read and write every
        # per-citizen array once.
        compulsory = r["ties_bytes"] + 2 * r["state_bytes"]
        share = compulsory / r["step_s"] / (bw * 1e9)
        lines.append(
            f"| {r['n']:,} | {r['build_s']:.1f} | {r['step_s']:.3f} | "
            f"{(r['state_bytes'] + r['ties_bytes']) / r['n']:.0f} | "
            f"{r['peak_rss'] / GiB:.1f} | {share:.1%} |"
        )
    lines += [
        "",
        "Roofline share = (ties read once + every per-citizen array read and written "
        "once) / step time / triad bandwidth. Targets: >= 30% at 10M; 100M with mean "
        "degree 10 in 24 GiB and <= 3 s a step.",
        "",
    ]
    done = [r for r in res if "skipped" not in r]
    if done:
        big = done[-1]
        lines += [
            f"Seconds per step by module at {big['n']:,} citizens:",
            "",
            "| module | s per step |",
            "|---|---|",
        ]
        for name, sec in sorted(big["modules_s"].items(), key=lambda kv: -kv[1]):
            lines.append(f"| {name} | {sec:.3f} |")
        lines.append("")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-agents", type=int, default=100_000_000)
    ap.add_argument("--degree", type=float, default=10.0)
    ap.add_argument("--steps", type=int, default=3, help="timed steps per size")
    ap.add_argument(
        "--parts", default="startup,mesa,scale", help="comma-separated: startup, mesa, scale"
    )
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child measuring one size
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results.md")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure_size(args.one, args.degree, args.steps)))
        return
    parts = set(args.parts.split(","))

    lines = ["# Benchmark results", ""]
    mem = psutil.virtual_memory().total / GiB
    lines += [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"Python {platform.python_version()}, numpy {np.__version__}. "
        f"Measured {time.strftime('%Y-%m-%d')} by `make bench` (benchmarks/bench_all.py).",
        "",
    ]

    # Scaling first, while this process is small: the 100M child needs nearly all memory.
    sections: dict[str, list[str]] = {}
    if "scale" in parts:
        bw = bandwidth()
        sizes = [n for n in (10**5, 10**6, 10**7, 10**8) if n <= args.max_agents]
        sections["scale"] = scale_table(scale(sizes, args.degree, args.steps), args.degree, bw)
        print("\n".join(sections["scale"]), flush=True)

    if "mesa" in parts:
        rows = mesa_versus_scoresim((10_000, 100_000))
        sections["mesa"] = [
            "## Mesa 3 reference against scoresim (core model, median s per step)",
            "",
            "| citizens | Mesa | scoresim | ratio | target |",
            "|---|---|---|---|---|",
            *(
                f"| {n:,} | {m:.3f} | {sec:.4f} | {m / sec:,.0f}x | >= 1000x at 100,000 |"
                for n, m, sec in rows
            ),
            "",
        ]
        print("\n".join(sections["mesa"]), flush=True)

    if "startup" in parts:
        startup(cold=False)  # makes sure the warm cache is populated
        warm, cold = startup(cold=False), startup(cold=True)
        sections["startup"] = [
            "## Start-up of `scoresim run` (1,000 citizens, one month, whole command)",
            "",
            "| numba cache | seconds | target |",
            "|---|---|---|",
            f"| cold (empty cache dir) | {cold:.2f} | |",
            f"| warm | {warm:.2f} | <= 2 s to the first step |",
            "",
        ]
        print("\n".join(sections["startup"]), flush=True)

    for part in ("startup", "mesa", "scale"):
        lines += sections.get(part, [])
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
