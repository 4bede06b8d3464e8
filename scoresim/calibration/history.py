"""``scoresim calibrate``: history matching with emulators, a posterior, predictive checks.

Why history matching and not ABC-SMC: a run of a 10,000-citizen society over ten years
takes about a second and a half here, and ABC-SMC (pyabc) needs thousands of runs per fitted
target set, where waves of history matching need a few hundred (Andrianakis et al. 2015
calibrate an agent-based HIV model with 3 waves of that size). Emulators are Gaussian
processes from scikit-learn; each wave's runs are an ordinary batch in the results store,
so they run on any executor and a calibration resumes where it stopped.

The steps:

1. Wave 1 runs a Latin hypercube over the prior (each parameter uniform over its range).
2. Each wave fits one emulator per target to every run so far, judges ``candidates`` fresh
   points, and rules out those more than ``cutoff`` standard deviations from any target.
   The next wave runs points drawn from what is left (the not-ruled-out space).
3. The posterior is the last wave's not-ruled-out candidates, each weighted by the Gaussian
   likelihood of the targets given the emulators (uniform prior, so importance weights).
4. Predictive checks run the model at draws from the posterior, and at the defaults on the
   same seeds, and compare every target, fitted or held back, with what they give.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from scoresim.calibration.emulator import Emulator, fit_emulator, implausibility
from scoresim.calibration.plan import CalibrationPlan
from scoresim.calibration.targets import Target, TargetLibrary, load_targets, target_value
from scoresim.core.errors import InputError, ScenarioError
from scoresim.experiments.batch import BatchProgress, write_experiment
from scoresim.experiments.executors import Executor
from scoresim.experiments.points import point_specs, run_points
from scoresim.experiments.space import Range, plausible_range
from scoresim.experiments.spec import RunSpec, derive_seed
from scoresim.results import RunResult, atomic_write
from scoresim.scenario import load_scenario
from scoresim.store import put_table

__all__ = ["CALIBRATION_FILE", "calibrate"]

CALIBRATION_FILE = "calibration.json"
POSTERIOR_FILE = "posterior.parquet"
PREDICTIVE_FILE = "predictive.parquet"
WAVES_FILE = "waves.parquet"

#: Told which stage the calibration is in (e.g. "wave 2 of 3"), before its runs start.
Stage = Callable[[str], None]


@dataclass
class _Setup:
    """A calibration resolved from its library: what to fit, over which prior, on what."""

    library: TargetLibrary
    plan: CalibrationPlan
    fitted: list[Target]
    held: list[Target]
    prior: dict[str, Range]
    fixed: dict[str, Any]


def _setup(path: Path | None, changes: dict[str, Any]) -> _Setup:
    library = load_targets(path)
    if library.calibration is None:
        raise InputError(
            f"{path or 'the shipped targets'}: no [calibration] table naming the parameters "
            "to fit (see docs/validation.md)"
        )
    try:
        plan = CalibrationPlan.model_validate(
            {
                **library.calibration.model_dump(),
                **{k: v for k, v in changes.items() if v is not None},
            }
        )
    except ValueError as exc:
        raise InputError(f"calibration: {exc}") from None
    names = plan.targets or [t.name for t in library.target if t.use == "calibration"]
    if not names:
        raise InputError("calibration: no target to fit (none has use = 'calibration')")
    fitted = [t for t in library.target if t.name in names]
    held = [t for t in library.target if t.name not in names]
    prior = {k: plausible_range(k, plan.ranges.get(k)) for k in plan.parameters}
    fixed = {"society.agents": plan.agents, "steps": 12 * plan.years, **plan.fixed}
    _check_targets(fitted + held, fixed)
    return _Setup(library, plan, fitted, held, prior, fixed)


def _check_targets(targets: list[Target], fixed: dict[str, Any]) -> None:
    """Refuse a target the runs cannot answer, before any run: one line per problem.

    A target whose scenario does not load, or whose months the runs do not reach.
    """
    problems = []
    months = int(fixed["steps"])
    for t in targets:
        for name in _scenarios([t]):
            try:
                load_scenario(name)
            except ScenarioError as exc:
                problems.append(f"target {t.name}: scenario {name!r}: {exc}")
        asked = [t.month] + ([t.from_month] if t.kind == "growth" else [])
        for month in asked:
            if not -months <= month < months:
                problems.append(
                    f"target {t.name}: month {month} is outside runs of {months} months "
                    "(raise years, or change the target's month)"
                )
    if problems:
        raise InputError("\n".join(problems))


def _scenarios(targets: list[Target]) -> list[str]:
    """The scenarios the targets read, in a fixed order."""
    out: list[str] = []
    for t in targets:
        for name in (t.scenario, t.control if t.kind == "ratio_to_control" else None):
            if name is not None and name not in out:
                out.append(name)
    return out


def _values(t: Target, runs: dict[str, list[RunResult | None]], r: int) -> float:
    """Target ``t`` in replicate ``r`` of one point (NaN where a run failed)."""
    mine = runs[t.scenario][r]
    control = runs[t.control][r] if t.kind == "ratio_to_control" else None
    if mine is None or (t.kind == "ratio_to_control" and control is None):
        return math.nan
    return target_value(t, mine, control)


def _point(prior: dict[str, Range], u: NDArray[np.float64]) -> dict[str, Any]:
    return {k: rng.at(float(x)) for (k, rng), x in zip(prior.items(), u, strict=True)}


def _lhs(d: int, n: int, seed: int) -> NDArray[np.float64]:
    from scipy.stats import qmc  # imported here: scipy.stats is slow to import

    return np.asarray(qmc.LatinHypercube(d=d, seed=seed).random(n), dtype=np.float64)


def _wave_specs(
    s: _Setup, units: NDArray[np.float64], scenarios: list[str], warnings: list[str]
) -> tuple[list[NDArray[np.float64]], list[dict[str, list[RunSpec]]]]:
    kept, specs = [], []
    for u in units:
        try:
            specs.append(
                point_specs(
                    scenarios,
                    s.fixed,
                    _point(s.prior, u),
                    s.plan.replicates,
                    s.plan.seed,
                    "calibrate",
                )
            )
        except InputError as exc:  # e.g. a combination of values the scenario refuses
            warnings.append(f"point dropped: {exc}")
            continue
        kept.append(u)
    return kept, specs


def _posterior(
    s: _Setup,
    emulators: list[Emulator],
    cand: NDArray[np.float64],
    keep: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The not-ruled-out candidates, their likelihood weights and their implausibility."""
    values = np.array([t.value for t in s.fitted])
    sds = np.array([t.uncertainty for t in s.fitted])
    imp, mu, var = implausibility(emulators, values, sds, cand[keep])
    loglik = -0.5 * (((mu - values) ** 2) / var + np.log(var)).sum(axis=1)
    w = np.exp(loglik - loglik.max())
    return cand[keep], w / w.sum(), imp.max(axis=1)


def _weighted_quantile(x: NDArray[np.float64], w: NDArray[np.float64], q: float) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return float(x[order][min(np.searchsorted(cum, q * cum[-1]), x.size - 1)])


def _summary(
    s: _Setup, units: NDArray[np.float64], w: NDArray[np.float64]
) -> dict[str, dict[str, float]]:
    out = {}
    for j, (key, rng) in enumerate(s.prior.items()):
        x = rng.low + units[:, j] * (rng.high - rng.low)
        mean = float(np.sum(w * x))
        sd = math.sqrt(float(np.sum(w * (x - mean) ** 2)))
        out[key] = {
            "prior_low": rng.low,
            "prior_high": rng.high,
            "mean": mean,
            "sd": sd,
            "q025": _weighted_quantile(x, w, 0.025),
            "median": _weighted_quantile(x, w, 0.5),
            "q975": _weighted_quantile(x, w, 0.975),
            "shrinkage": sd / ((rng.high - rng.low) / math.sqrt(12)),
        }
    return out


def _check(t: Target, values: list[float]) -> dict[str, Any]:
    """A target against a predictive sample: mean, 95% range, tail share, met."""
    x = np.array([v for v in values if not math.isnan(v)])
    if x.size == 0:
        return {"n": 0, "mean": None, "low": None, "high": None, "below": None, "met": False}
    mean = float(x.mean())
    spread = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return {
        "n": int(x.size),
        "mean": mean,
        "low": float(np.quantile(x, 0.025)),
        "high": float(np.quantile(x, 0.975)),
        "below": float(np.mean(x <= t.value)),
        "met": abs(mean - t.value) <= 2 * math.hypot(t.uncertainty, spread),
    }


def _predictive(
    s: _Setup,
    draws: list[dict[str, Any]],
    out: Path,
    executor: Executor,
    progress: BatchProgress | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run posterior draws and the defaults on the same seeds; check every target."""
    targets = s.fitted + s.held
    scenarios = _scenarios(targets)
    base = derive_seed(s.plan.seed, 1_000_003)  # seeds no wave used
    seeds = [derive_seed(base, i) for i in range(len(draws))]
    defaults: list[dict[str, Any]] = [{}] * len(draws)
    specs = [
        point_specs(scenarios, s.fixed, point, 1, seed, "calibrate-check")
        for points in (draws, defaults)
        for point, seed in zip(points, seeds, strict=True)
    ]
    done = run_points(specs, out, executor, progress).runs
    rows: list[dict[str, Any]] = []
    checks: dict[str, Any] = {}
    n = len(draws)
    for t in targets:
        if not set(_scenarios([t])) <= set(scenarios):
            continue
        post = [_values(t, done[i], 0) for i in range(n)]
        dflt = [_values(t, done[n + i], 0) for i in range(n)]
        checks[t.name] = {
            "use": "fitted" if t in s.fitted else "held back",
            "value": t.value,
            "uncertainty": t.uncertainty,
            "posterior": _check(t, post),
            "defaults": _check(t, dflt),
        }
        rows += [
            {"which": which, "draw": i, "target": t.name, "value": v}
            for which, vals in (("posterior", post), ("defaults", dflt))
            for i, v in enumerate(vals)
        ]
    return checks, rows


def _write_parquet(path: Path, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    table = pa.Table.from_pylist(rows) if isinstance(rows, list) else pa.table(rows)
    atomic_write(path, lambda p: pq.write_table(table, p))


def calibrate(
    path: Path | None,
    out: Path,
    executor: Executor,
    *,
    resume: bool = False,
    progress: BatchProgress | None = None,
    stage: Stage | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Calibrate the parameters a target library's ``[calibration]`` names to its targets.

    Writes into ``out``: the runs (an ordinary results store), ``waves.parquet`` (every
    point run, with each target's mean and variance over replicates), ``posterior.parquet``
    (samples and weights; also table ``posterior`` in the database), ``predictive.parquet``
    and ``calibration.json`` (the summary the report reads).

    Args:
        path: Target library with a ``[calibration]`` table (None: the shipped one).
        out: Results directory.
        executor: Where runs execute.
        resume: Continue a calibration stored in ``out`` (runs already complete are kept;
            the waves refit identically, so the same points are asked for again).
        progress: Told after each run of a batch.
        stage: Told each stage's name before its runs.
        changes: Plan keys replaced (e.g. ``{"points": 12}``); falsy values are ignored.

    Raises:
        InputError: A bad library or plan, or ``out`` holding another experiment.
    """
    s = _setup(path, changes or {})
    plan = s.plan
    scenarios = _scenarios(s.fitted)
    meta = {
        "kind": "calibrate",
        "name": "calibrate " + " ".join(plan.parameters),
        "plan": plan.model_dump(mode="json"),
        "targets": [t.model_dump(mode="json") for t in s.library.target],
        "fitted": [t.name for t in s.fitted],
    }
    write_experiment(out, meta, resume)
    tell = stage or (lambda _: None)
    warnings: list[str] = []
    d = len(s.prior)
    values = np.array([t.value for t in s.fitted])
    sds = np.array([t.uncertainty for t in s.fitted])
    units = _lhs(d, plan.points, plan.seed)
    train_u: list[NDArray[np.float64]] = []
    train_y: list[list[float]] = []
    train_v: list[list[float]] = []
    rows: list[dict[str, Any]] = []
    waves: list[dict[str, Any]] = []
    emulators: list[Emulator] = []
    cand = np.empty((0, d))
    keep = np.zeros(0, dtype=bool)
    for wave in range(plan.waves):
        tell(f"wave {wave + 1} of {plan.waves}")
        kept, specs = _wave_specs(s, units, scenarios, warnings)
        done = run_points(specs, out, executor, progress).runs
        used = 0
        for u, runs in zip(kept, done, strict=True):
            reps = np.array(
                [[_values(t, runs, r) for t in s.fitted] for r in range(plan.replicates)]
            )
            if np.isnan(reps).any():
                continue
            used += 1
            train_u.append(u)
            train_y.append(reps.mean(axis=0).tolist())
            train_v.append(reps.var(axis=0, ddof=1).tolist())
            rows.append(
                {
                    "wave": wave + 1,
                    **_point(s.prior, u),
                    **{
                        f"{t.name}": float(m)
                        for t, m in zip(s.fitted, reps.mean(axis=0), strict=True)
                    },
                }
            )
        if len(train_u) < 3:
            raise InputError(
                f"calibration: only {len(train_u)} point(s) ran with every target computed; "
                "check that the runs are long enough for the targets' months"
            )
        u_all, y_all = np.array(train_u), np.array(train_y)
        run_var = (
            np.array(train_v).mean(axis=0)
            if plan.replicates > 1
            else np.full(len(s.fitted), np.nan)
        )
        emulators = [
            fit_emulator(u_all, y_all[:, j], float(run_var[j]), derive_seed(plan.seed, 100 + wave))
            for j in range(len(s.fitted))
        ]
        cand = _lhs(d, plan.candidates, derive_seed(plan.seed, 200 + wave))
        imp, _, _ = implausibility(emulators, values, sds, cand)
        keep = imp.max(axis=1) < plan.cutoff
        waves.append(
            {
                "wave": wave + 1,
                "points": len(specs),
                "points_used": used,
                "not_ruled_out": float(keep.mean()),
                "run_sd": {
                    t.name: math.sqrt(e.run_variance)
                    for t, e in zip(s.fitted, emulators, strict=True)
                },
            }
        )
        if not keep.any():
            break
        if wave + 1 < plan.waves:
            rng = np.random.default_rng(derive_seed(plan.seed, 300 + wave))
            pick = rng.choice(
                np.flatnonzero(keep), size=min(plan.points, int(keep.sum())), replace=False
            )
            units = cand[np.sort(pick)]
    _write_parquet(out / WAVES_FILE, rows)
    result: dict[str, Any] = {
        "kind": "calibrate",
        "plan": plan.model_dump(mode="json"),
        "fitted": [t.name for t in s.fitted],
        "held_back": [t.name for t in s.held],
        "waves": waves,
        "warnings": warnings,
    }
    if not keep.any():
        result["status"] = "ruled out"
        result["message"] = (
            "every candidate point is ruled out: no values of "
            f"{', '.join(plan.parameters)} within their ranges give all of "
            f"{', '.join(t.name for t in s.fitted)} together"
        )
        atomic_write(out / CALIBRATION_FILE, lambda p: p.write_text(json.dumps(result, indent=2)))
        return result
    post_u, weights, imp_max = _posterior(s, emulators, cand, keep)
    post = {k: [s.prior[k].at(float(x)) for x in post_u[:, j]] for j, k in enumerate(s.prior)}
    _write_parquet(out / POSTERIOR_FILE, {**post, "weight": weights, "implausibility": imp_max})
    put_table(out, "posterior", out / POSTERIOR_FILE)
    result["status"] = "calibrated"
    result["posterior"] = {
        "samples": int(weights.size),
        "effective_samples": float(1.0 / np.sum(weights**2)),
        "parameters": _summary(s, post_u, weights),
    }
    if plan.predictive:
        tell("posterior predictive checks")
        rng = np.random.default_rng(derive_seed(plan.seed, 400))
        # Systematic resampling: draws follow the weights with the least extra noise.
        cum = np.cumsum(weights)
        at = (rng.random() + np.arange(plan.predictive)) / plan.predictive
        idx = np.minimum(np.searchsorted(cum, at * cum[-1]), weights.size - 1)
        draws = [_point(s.prior, post_u[i]) for i in idx]
        checks, pred_rows = _predictive(s, draws, out, executor, progress)
        _write_parquet(out / PREDICTIVE_FILE, pred_rows)
        result["checks"] = checks
    atomic_write(out / CALIBRATION_FILE, lambda p: p.write_text(json.dumps(result, indent=2)))
    return result
