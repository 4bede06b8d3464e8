"""Step time of two source trees side by side, or of twin kernels all serial or parallel.

Runs the social-credit preset at each size in child processes, alternating between an old
tree (``--old``, e.g. a git worktree of the commit before a change) and the new one
(``--new``, this checkout), each child importing scoresim from its tree (``PYTHONPATH``).
A child builds the society, runs one step (numba's cache is warmed by a first, discarded
child per tree), then times ``--steps`` single steps, and each module's share of them and
the tie edits. Reports medians over all timed steps of all rounds and the ratio new/old.

``--compare forced`` instead runs the new tree twice, every twin kernel forced parallel and
then serial (``scoresim.core.kernels``): the whole-step crossover of ``SERIAL_BELOW``.

Run: ``.venv/bin/python benchmarks/bench_kernels.py --old /tmp/wt-fad [--new .]
[--sizes 200000,1000000] [--steps 12] [--rounds 3] [--load 0] [--compare trees|forced]
[--out FILE]``; ``--load N`` keeps N other processes spinning on the cores meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parallel_launch import load

ROOT = Path(__file__).resolve().parents[1]


def _timed(f: Callable[..., Any], name: str, into: dict[str, list[float]]) -> Callable[..., Any]:
    """``f``, adding the seconds of each call to ``into[name]``'s last entry."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        out = f(*args, **kwargs)
        into[name][-1] += time.perf_counter() - t
        return out

    return timed


def force(how: str) -> None:
    """Make every twin kernel of scoresim run ``"serial"`` or ``"parallel"`` whatever the size."""
    import gc

    import scoresim.modules
    import scoresim.society.gather
    from scoresim.core.kernels import Twin

    assert scoresim.modules and scoresim.society.gather  # every kernel module imported
    twins = [o for o in gc.get_objects() if isinstance(o, Twin)]
    if not twins:
        raise RuntimeError("this tree has no twin kernels to force")
    for t in twins:
        t.serial_below = 1 << 62 if how == "serial" else 0


def child(n: int, steps: int, how: str = "") -> dict[str, Any]:
    """Build social-credit with ``n`` citizens and time ``steps`` single steps (in this tree).

    ``how`` forces every twin ``"serial"`` or ``"parallel"`` (:func:`force`) if given.
    """
    import scoresim
    from scoresim import Simulation, load_scenario

    if how:
        force(how)

    sc = load_scenario(
        "social-credit",
        {
            "society.agents": n,
            "steps": steps + 1,
            "record.snapshot_every": 0,
            "record.ego_networks": 0,
        },
    )
    sim = Simulation(sc)
    sim.run(until=1)  # loads the kernels from numba's cache
    per: dict[str, list[float]] = {m.name: [] for m in sim.modules}
    per["tie edits"] = []
    for m in sim.modules:
        m.step = _timed(m.step, m.name, per)  # type: ignore[method-assign]
    sim.network.commit = _timed(sim.network.commit, "tie edits", per)  # type: ignore[method-assign]
    step: list[float] = []
    for _ in range(steps):
        for times in per.values():
            times.append(0.0)
        t = time.perf_counter()
        sim.step()
        step.append(time.perf_counter() - t)
    return {"tree": str(Path(scoresim.__file__).parents[1]), "step": step, "modules": per}


def run_child(tree: Path, n: int, steps: int, how: str = "") -> dict[str, Any]:
    """:func:`child` in a fresh process importing scoresim from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import json, "
        f"bench_kernels; print(json.dumps(bench_kernels.child({n}, {steps}, {how!r})))"
    )
    # In the tree's directory: ``python -c`` puts the working directory first on the path.
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(out["tree"]).resolve() != tree.resolve():
        raise RuntimeError(f"the child imported scoresim from {out['tree']}, not {tree}")
    return out


def compare(
    trees: dict[str, tuple[Path, str]], sizes: list[int], steps: int, rounds: int
) -> list[dict[str, Any]]:
    """Per size: the timed steps and module times of each variant over all rounds.

    Args:
        trees: Name of each variant: (source tree, how its twins are forced or "").
        sizes: Citizens.
        steps: Timed steps per child.
        rounds: Children per variant and size, the variants alternating.
    """
    for tree, how in trees.values():  # warm numba's cache of each tree
        run_child(tree, min(sizes), 1, how)
    rows = []
    for n in sizes:
        got: dict[str, dict[str, list[float]]] = {k: {} for k in trees}
        for r in range(rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                tree, how = trees[name]
                out = run_child(tree, n, steps, how)
                got[name].setdefault("step", []).extend(out["step"])
                for module, times in out["modules"].items():
                    got[name].setdefault(module, []).extend(times)
                print(
                    f"  {n:,} round {r + 1} {name}: median step "
                    f"{np.median(out['step']) * 1e3:,.1f} ms",
                    file=sys.stderr,
                )
        rows.append({"n": n, "times": got})
    return rows


def table(
    rows: list[dict[str, Any]], names: tuple[str, str], steps: int, rounds: int, spinning: int
) -> str:
    """Markdown: per size, median step and module times of both variants, and their ratio."""
    a, b = names
    lines = [
        f"Median of {steps} single steps x {rounds} rounds per variant (social-credit "
        f"preset), {a} and {b} alternating in child processes"
        + (f", {spinning} other processes spinning on the cores." if spinning else "."),
        "",
    ]
    for row in rows:
        old, new = row["times"][a], row["times"][b]
        lines += [
            f"### {row['n']:,} citizens",
            "",
            f"| part | {a} (ms) | {b} (ms) | {b}/{a} |",
            "|---|---:|---:|---:|",
        ]
        for part in ["step", *sorted(k for k in new if k != "step")]:
            o = float(np.median(old.get(part, [np.nan]))) * 1e3
            w = float(np.median(new[part])) * 1e3
            ratio = w / o if o > 0 else float("nan")
            lines.append(f"| {part} | {o:,.2f} | {w:,.2f} | {ratio:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--old", type=Path, help="root of the old source tree (for trees)")
    ap.add_argument("--new", type=Path, default=ROOT, help="root of the new source tree")
    ap.add_argument("--sizes", default="200000,1000000", help="citizens, comma-separated")
    ap.add_argument("--steps", type=int, default=12, help="timed steps per child")
    ap.add_argument("--rounds", type=int, default=3, help="children per tree and size")
    ap.add_argument("--load", type=int, default=0, help="processes spinning meanwhile")
    ap.add_argument(
        "--compare",
        choices=("trees", "forced"),
        default="trees",
        help="old against new tree, or the new tree's twins all parallel against all serial",
    )
    ap.add_argument("--out", help="also write the Markdown here")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.compare == "trees":
        if args.old is None:
            ap.error("--compare trees needs --old")
        variants = {"old": (args.old, ""), "new": (args.new, "")}
    else:
        variants = {"parallel": (args.new, "parallel"), "serial": (args.new, "serial")}
    with load(args.load):
        rows = compare(variants, sizes, args.steps, args.rounds)
    first, second = variants
    names = (first, second)
    text = table(rows, names, args.steps, args.rounds, args.load)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
