"""The robustness study: in what share of the plausible space each headline claim holds.

Each headline conclusion is stated as a claim (``claims.toml`` beside this file): a measure
compared between two scenarios, paired replicate by replicate, against a threshold. The study
draws every assumption over its documented range (a Latin hypercube over
:func:`~scoresim.experiments.space.plausible_space`), runs each claim's scenarios at every
point on the same seeds (common random numbers), and reports per claim the share of the space
in which it holds with its Wilson interval, which assumptions decide it (first-order
Sobol-type and moment-independent delta indices, with bootstrap intervals) and where it fails
(a PRIM box: "the claim fails when fear < 0.8 and cut_rate < 0.004").

A point sets a parameter only in the scenarios that run its module, and never one that a
scenario fixes as part of its policy: a value its file sets away from the module's default
(the no-network safeguard's zero spillover, ability-to-pay's weights) or one outside the
documented range (a listing's term of 0, never, in the score as described). Such parameters
are *held* in that scenario; varying them would switch a mechanism on or off.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from scoresim.calibration.claims import (
    DEFAULT_CLAIMS,
    Claim,
    ClaimLibrary,
    Study,
    claim_holds,
    load_claims,
    margin,
    point_value,
)
from scoresim.calibration.indices import index_warnings, sensitivity_indices
from scoresim.calibration.prim import prim_box
from scoresim.core.errors import InputError, RunFailedError, ScenarioError
from scoresim.core.registry import known
from scoresim.experiments.batch import BatchProgress, write_experiment
from scoresim.experiments.executors import Executor, InProcessExecutor
from scoresim.experiments.points import point_specs, run_points
from scoresim.experiments.runner import is_input_error
from scoresim.experiments.space import Range, plausible_range, plausible_space
from scoresim.experiments.spec import RunSpec
from scoresim.results import atomic_write
from scoresim.scenario import Scenario, format_errors, load_scenario

__all__ = [
    "RESULT_FILE",
    "TABLE_FILE",
    "held_parameters",
    "robustness",
    "wilson",
]

#: The study's summary, in its results directory.
RESULT_FILE = "robustness.json"
#: One row per point: its parameter values and each claim's value and verdict.
TABLE_FILE = "robustness.parquet"
#: A PRIM box needs this many points of the outcome it describes.
MIN_BOX_POINTS = 5
#: Parameters named as deciding a claim.
TOP = 3
#: PRIM searches the assumptions ranked first by their indices, this many.
BOX_CANDIDATES = 8
#: A box is reported only where the outcome is this many times as frequent as overall.
BOX_LIFT = 1.5
#: Runs record measures only: no snapshots or ego networks.
_RECORD = {"snapshot_every": 0, "snapshot_steps": [], "ego_networks": 0}


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95% interval of a share ``k / n`` (NaN bounds when ``n`` is 0)."""
    if n == 0:
        return math.nan, math.nan
    from scipy.stats import binomtest  # imported here: scipy.stats is slow to import

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return max(0.0, float(ci.low)), min(1.0, float(ci.high))


def held_parameters(scenario: Scenario, space: Mapping[str, Range]) -> list[str]:
    """The keys of ``space`` that ``scenario`` fixes as part of its policy.

    A parameter is held when the scenario sets it away from its module's default, or to a
    value outside its documented range (varying it would switch a mechanism on or off).
    Keys of modules the scenario does not run are not listed: they never apply to it.
    """
    out = []
    for key, rng in space.items():
        _, module, name = key.split(".")
        if module not in scenario.modules or module not in known():
            continue
        value = scenario.modules[module].get(name)
        default = getattr(known()[module].Params(), name, None)
        if not isinstance(value, int | float):
            continue
        if value != default or not rng.low <= value <= rng.high:
            out.append(key)
    return out


def _pct(share: float) -> str:
    return f"{100 * share:.0f}%"


def _condition(restrictions: Mapping[str, tuple[float | None, float | None]]) -> str:
    parts = []
    for name, (lo, hi) in restrictions.items():
        if lo is None:
            parts.append(f"{name} < {hi:.3g}")
        elif hi is None:
            parts.append(f"{name} > {lo:.3g}")
        else:
            parts.append(f"{lo:.3g} < {name} < {hi:.3g}")
    return " and ".join(parts)


def _sentence(
    holds: int, n: int, interval: tuple[float, float], box: dict[str, Any] | None, base: float
) -> str:
    """The claim's verdict in one sentence."""
    if n == 0:
        return "could not be evaluated: no point gave its quantity (runs failed or undefined)"
    share = f"{_pct(holds / n)} [{_pct(interval[0])}, {_pct(interval[1])}]"
    if holds == n:
        return (
            f"holds in all {n} points of the plausible space ({share}); no assumption over "
            "its documented range overturns it"
        )
    if holds == 0:
        return (
            f"fails in all {n} points of the plausible space ({share} hold); no assumption "
            "over its documented range rescues it"
        )
    head = f"holds in {share} of the plausible space"
    few = min(holds, n - holds)
    if few < MIN_BOX_POINTS:
        where = "fails" if holds >= n - holds else "holds"
        return f"{head}; it {where} at too few points ({few}) to say where"
    if box is None:
        return f"{head}; no box of assumptions separates where it fails"
    cond = _condition({r["parameter"]: (r["low"], r["high"]) for r in box["restrictions"]})
    tail = (
        f"(box: {_pct(box['coverage'])} of {{}}, density {_pct(box['density'])} against "
        f"{_pct(base)} overall)"
    )
    if box["describes"] == "fails":
        return f"{head}; fails mostly when {cond} {tail.format('failures')}"
    return f"{head}; holds mostly when {cond} {tail.format('the points where it holds')}"


def _study(library: ClaimLibrary, source: str, overrides: dict[str, int | None]) -> Study:
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Study.model_validate({**library.study.model_dump(), **given})
    except ValidationError as exc:
        raise InputError(format_errors(exc, f"{source} [study]", Study)) from None


def _space(
    library: ClaimLibrary, source: str, plain: Mapping[str, Scenario]
) -> tuple[dict[str, Range], dict[str, list[str]], list[str]]:
    """The parameters varied, each scenario's held ones, and warnings."""
    modules = sorted({m for sc in plain.values() for m in sc.modules})
    every = plausible_space(modules)
    warns: list[str] = []
    if library.study.parameters:
        space = {}
        for i, key in enumerate(library.study.parameters):
            try:
                space[key] = plausible_range(key)
            except InputError as exc:
                raise InputError(f"{source}: study.parameters.{i}: {exc}") from None
            module = key.split(".")[1]
            if module not in modules:
                raise InputError(
                    f"{source}: study.parameters.{i} = {key!r}: no claim's scenario runs "
                    f"module {module}; they run {', '.join(modules)}"
                )
    else:
        space = every
    held = {name: held_parameters(sc, space) for name, sc in plain.items()}
    varied = {
        k
        for k in space
        for name, sc in plain.items()
        if k.split(".")[1] in sc.modules and k not in held[name]
    }
    idle = [k for k in space if k not in varied]
    if library.study.parameters and idle:
        warns.append(
            f"{', '.join(idle)}: held in every scenario that runs its module (their policies "
            "fix it), so varied nowhere"
        )
    space = {k: r for k, r in space.items() if k in varied}
    return space, held, warns


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def robustness(
    path: Path | None,
    out: Path,
    executor: Executor | None = None,
    *,
    points: int | None = None,
    replicates: int | None = None,
    agents: int | None = None,
    years: int | None = None,
    seed: int | None = None,
    resume: bool = False,
    progress: BatchProgress | None = None,
) -> dict[str, Any]:
    """Run the robustness study of a claims file into ``out`` and summarise it.

    Draws the study's points (a Latin hypercube over every varied parameter's documented
    range), runs every claim's scenarios at each point on the same seeds, and evaluates each
    claim at each point: its quantity per replicate, averaged over replicates. Writes
    ``robustness.json`` (the returned summary, less ``batch``) and ``robustness.parquet``
    (one row per point) into ``out``, beside the runs and ``experiment.json``.

    Args:
        path: Claims file (default: the shipped ``claims.toml``).
        out: Results directory.
        executor: Where runs execute (default: in this process).
        points: Latin hypercube points (default: the file's ``[study]``).
        replicates: Seeds per point.
        agents: Citizens per run.
        years: Years each run lasts.
        seed: Seed of the sample and of the runs.
        resume: Continue the same study in ``out``: only runs not complete there run.
        progress: Told after each run.

    Returns:
        The summary: ``study`` (its ``parameters`` the keys varied), ``scenarios``,
        ``ranges`` (each varied key's), ``held`` (per scenario, the keys its policy fixes),
        ``points`` (drawn, dropped, used), ``dropped``, ``claims`` (by name: the claim's
        fields, ``n``, ``holds``, ``share`` with ``share_low`` and ``share_high``,
        ``excluded``, ``value`` quantiles, ``indices``, ``s1_noise``, ``top``, ``decisive``,
        ``box`` and ``sentence``), ``warnings``, and ``batch`` (what this call ran).

    Raises:
        InputError: A bad claims file or option, a claim's window longer than the runs, no
            point whose scenarios validate, ``out`` holding another experiment, or every run
            failing on its input.
        RunFailedError: Every run failing in the code.
    """
    source = str(path) if path is not None else str(DEFAULT_CLAIMS)
    library = load_claims(path)
    study = _study(
        library,
        source,
        {
            "points": points,
            "replicates": replicates,
            "agents": agents,
            "years": years,
            "seed": seed,
        },
    )
    steps = study.years * 12
    for i, claim in enumerate(library.claim):
        if claim.window > steps:
            raise InputError(
                f"{source}: claim.{i}.window = {claim.window}: longer than the study's "
                f"{steps} months (years = {study.years})"
            )
    claims = library.claim
    scenarios = list(dict.fromkeys(s for c in claims for s in c.scenarios))
    fixed: dict[str, Any] = {"society.agents": study.agents, "steps": steps, "record": _RECORD}
    try:
        plain = {name: load_scenario(name, fixed) for name in scenarios}
    except ScenarioError as exc:
        raise InputError(f"{source}: {exc}") from None
    space, held, warns = _space(library, source, plain)
    names = list(space)
    if not names:
        raise InputError(f"{source}: no parameter to vary: every one is held by the policies")
    from scipy.stats import qmc  # imported here: scipy.stats is slow to import

    unit = qmc.LatinHypercube(d=len(names), seed=study.seed).random(study.points)
    drawn = [
        {k: space[k].at(float(unit[i, j])) for j, k in enumerate(names)}
        for i in range(study.points)
    ]
    specs: list[dict[str, list[RunSpec]]] = []
    kept: list[int] = []
    dropped: list[dict[str, Any]] = []
    for i, point in enumerate(drawn):
        per: dict[str, list[RunSpec]] = {}
        try:
            for name in scenarios:
                mine = {k: v for k, v in point.items() if k not in held[name]}
                per.update(
                    point_specs([name], fixed, mine, study.replicates, study.seed, "robustness")
                )
        except InputError as exc:
            dropped.append({"point": i, "reason": str(exc).splitlines()[0]})
            continue
        specs.append(per)
        kept.append(i)
    if not specs:
        raise InputError(f"{source}: no point's scenarios validate; first: {dropped[0]['reason']}")
    if dropped:
        warns.append(
            f"{len(dropped)} of {study.points} points dropped: their scenarios do not "
            f"validate (first, point {dropped[0]['point']}: {dropped[0]['reason']})"
        )
    meta = {
        "kind": "robustness",
        "name": "robustness",
        "claims": [c.model_dump() for c in claims],
        "study": study.model_dump(),
        "fixed": fixed,
        "parameters": names,
        "held": held,
        "points": drawn,
        "dropped": dropped,
        "runs": [{n: [s.run_id for s in rs] for n, rs in per.items()} for per in specs],
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_experiment(out, _json_ready(meta), resume)
    result = run_points(specs, out, executor or InProcessExecutor(), progress)
    report = result.report
    if report.failed and report.failed == report.ran + report.skipped:
        first = next(iter(report.failures.items()))
        message = f"robustness: every run failed; {first[0]}: {first[1]}"
        if all(is_input_error(e) for e in report.failures.values()):
            raise InputError(message)
        raise RunFailedError(message)
    if report.failed:
        first = next(iter(report.failures.items()))
        warns.append(
            f"{report.failed} run(s) failed; their points are left out of the claims that "
            f"need them (first: {first[0]}: {first[1]})"
        )
    values = np.full((len(specs), len(claims)), np.nan)
    failed = np.zeros((len(specs), len(claims)), dtype=bool)
    for i, runs in enumerate(result.runs):
        for j, claim in enumerate(claims):
            values[i, j] = point_value(claim, runs)
            failed[i, j] = all(
                any(runs[s][r] is None for s in claim.scenarios) for r in range(study.replicates)
            )
    x = np.array([[drawn[i][k] for k in names] for i in kept], dtype=np.float64)
    bounds = [(space[k].low, space[k].high) for k in names]
    summaries = []
    for j, claim in enumerate(claims):
        summary, more = _summarise(
            claim,
            x,
            values[:, j],
            failed[:, j],
            names,
            bounds,
            study.seed + zlib.crc32(claim.name.encode()),
        )
        summaries.append(summary)
        warns += more
    summary_all: dict[str, Any] = {
        "kind": "robustness",
        "study": {**study.model_dump(), "parameters": names},
        "scenarios": scenarios,
        "ranges": {
            k: {"low": r.low, "high": r.high, "integer": r.integer} for k, r in space.items()
        },
        "held": held,
        "points": {"drawn": study.points, "dropped": len(dropped), "used": len(kept)},
        "dropped": dropped,
        "claims": {c["name"]: c for c in summaries},
        "warnings": warns,
    }
    summary_all = _json_ready(summary_all)
    text = json.dumps(summary_all, indent=2, allow_nan=False)
    atomic_write(out / RESULT_FILE, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    _write_table(out / TABLE_FILE, kept, names, x, claims, values)
    return {
        **summary_all,
        "batch": {"ran": report.ran, "skipped": report.skipped, "failed": report.failed},
    }


def _summarise(
    claim: Claim,
    x: NDArray[np.float64],
    values: NDArray[np.float64],
    failed: NDArray[np.bool_],
    names: list[str],
    bounds: list[tuple[float, float]],
    seed: int,
) -> tuple[dict[str, Any], list[str]]:
    """One claim's verdict over the points, and warnings about its sample."""
    ok = np.isfinite(values)
    n = int(ok.sum())
    v = values[ok]
    holds = np.array([claim_holds(claim, float(a)) for a in v], dtype=bool)
    k = int(holds.sum())
    interval = wilson(k, n)
    warns: list[str] = []
    indices: list[dict[str, Any]] = []
    floor: float | None = None
    box: dict[str, Any] | None = None
    if n >= 3 and np.ptp(v) > 0:
        from scipy.stats import rankdata  # imported here: scipy.stats is slow to import

        # Ranks: a ratio whose denominator nears zero at one point (a policy without effect)
        # would otherwise own the variance; ranks keep which points hold and by how much.
        y = rankdata([margin(claim, float(a)) for a in v]) / n
        indices, floor = sensitivity_indices(x[ok], y, names, bounds, seed)
        warns += index_warnings(claim.name, indices, n)
    describes = "fails" if k >= n - k else "holds"
    few = min(k, n - k)
    if 0 < few < MIN_BOX_POINTS:
        warns.append(
            f"{claim.name}: {describes} at only {few} of {n} points, too few to say where: "
            "no box (raise the points)"
        )
    if few >= MIN_BOX_POINTS:
        target = ~holds if describes == "fails" else holds
        # PRIM over dozens of assumptions and a few dozen points finds a box in the noise;
        # it searches only the assumptions the indices rank first.
        ranked = [e["parameter"] for e in indices if e["S1"] is not None][:BOX_CANDIDATES]
        cols = [names.index(p) for p in ranked] if ranked else list(range(len(names)))
        found = prim_box(x[ok][:, cols], target, [names[c] for c in cols])
        if found is not None and found.density < BOX_LIFT * float(target.mean()):
            warns.append(
                f"{claim.name}: the best box's density ({found.density:.0%}) is under "
                f"{BOX_LIFT:g} times the share overall ({float(target.mean()):.0%}): no box"
            )
            found = None
        if found is not None:
            box = {
                "describes": describes,
                "restrictions": [
                    {"parameter": p, "low": lo, "high": hi}
                    for p, (lo, hi) in found.restrictions.items()
                ],
                "coverage": found.coverage,
                "density": found.density,
                "support": found.support,
            }
    q = np.quantile(v, [0.05, 0.5, 0.95]) if n else np.full(3, np.nan)
    summary = {
        **claim.model_dump(),
        "n": n,
        "holds": k,
        "share": k / n if n else None,
        "share_low": interval[0],
        "share_high": interval[1],
        "excluded": {
            "failed_runs": int((~ok & failed).sum()),
            "undefined": int((~ok & ~failed).sum()),
        },
        "value": {"median": float(q[1]), "p5": float(q[0]), "p95": float(q[2])},
        "indices_of": "the rank of the margin (value - threshold, > 0 where the claim holds)",
        "s1_noise": floor,
        "indices": indices,
        "top": [e["parameter"] for e in indices[:TOP] if e["S1"] is not None],
        "decisive": [
            e["parameter"]
            for e in indices
            if e["S1"] is not None and floor is not None and e["S1"] - (e["S1_conf"] or 0.0) > floor
        ],
        "box": box,
        "sentence": _sentence(
            k,
            n,
            interval,
            box,
            float(np.mean(~holds if describes == "fails" else holds)) if n else 0.0,
        ),
    }
    return summary, warns


def _write_table(
    path: Path,
    kept: list[int],
    names: list[str],
    x: NDArray[np.float64],
    claims: Sequence[Claim],
    values: NDArray[np.float64],
) -> None:
    """One row per point: its index in the sample, parameters, each claim's value and verdict."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {"point": pa.array(kept, type=pa.int64())}
    for j, name in enumerate(names):
        columns[name] = pa.array(x[:, j], type=pa.float64())
    for j, claim in enumerate(claims):
        col = values[:, j]
        columns[f"{claim.name}.value"] = pa.array(col, type=pa.float64())
        columns[f"{claim.name}.holds"] = pa.array(
            [claim_holds(claim, float(v)) if math.isfinite(v) else None for v in col],
            type=pa.bool_(),
        )
    table = pa.table(columns)
    atomic_write(path, lambda p: pq.write_table(table, p))
