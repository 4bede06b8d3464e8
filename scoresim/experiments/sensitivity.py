"""Sensitivity indices from a finished sweep: Sobol, Morris, or rank correlations."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoresim.core.errors import InputError
from scoresim.store import EXPERIMENT_FILE, connect, read_experiment
from scoresim.store.manifest import damaged

__all__ = ["final_values", "sensitivity"]


def final_values(root: Path, outputs: list[str]) -> dict[str, dict[str, float]]:
    """Final value of each output per complete run (NaN where a run lacks it)."""
    with connect(root, read_only=True) as con:
        cols = {r[0] for r in con.execute("DESCRIBE final_measures").fetchall()}
        missing = [o for o in outputs if o not in cols]
        if missing and cols - {"run_id", "step"}:
            raise InputError(
                f"{root}: outputs {missing} are not measures of these runs; "
                f"measures: {', '.join(sorted(cols))}"
            )
        present = [o for o in outputs if o in cols]
        if not present:
            return {}
        quoted = ", ".join('"' + o.replace('"', '""') + '"' for o in present)
        try:  # the files are read only now: a damaged one fails here
            rows = con.execute(f"SELECT run_id, {quoted} FROM final_measures").fetchall()
        except duckdb.Error as exc:
            raise damaged(root, exc) from None
    return {
        row[0]: {
            o: (math.nan if v is None else float(v)) for o, v in zip(present, row[1:], strict=True)
        }
        for row in rows
    }


class _Problem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    num_vars: int
    names: list[str]
    bounds: list[tuple[float, float]]


class _StoredSweep(BaseModel):
    """The parts of a sweep's ``experiment.json`` that sensitivity reads."""

    kind: Literal["sweep"]
    method: Literal["factorial", "lhs", "sobol", "morris"]
    problem: _Problem
    outputs: list[str] = Field(min_length=1)
    points: list[dict[str, float | int | str | bool | None]]
    runs: list[list[str]]

    @model_validator(mode="after")
    def _agree(self) -> _StoredSweep:
        if len(self.points) != len(self.runs):
            raise ValueError("as many points as lists of runs")
        names = self.problem.names
        if not len(names) == self.problem.num_vars == len(self.problem.bounds):
            raise ValueError("a problem with as many names as bounds")
        if self.method == "morris" and not all(
            isinstance(p.get(n), int | float) for p in self.points for n in names
        ):
            raise ValueError("every point with a number for every parameter")
        return self


def _stored_sweep(root: Path) -> dict[str, Any]:
    """A sweep's ``experiment.json``, checked to have what sensitivity reads.

    Raises:
        InputError: Not a sweep's directory, or its description is damaged.
    """
    exp = read_experiment(root)
    if not exp:
        raise InputError(f"{root}: no {EXPERIMENT_FILE}; run `scoresim sweep` into it first")
    if exp.get("kind") != "sweep":
        raise InputError(f"{root}: holds a {exp.get('kind')!r} experiment, not a sweep")
    try:
        return _StoredSweep.model_validate(exp).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise InputError(
            f"{root / EXPERIMENT_FILE}: not a sweep this version reads ({where}: {first['msg']})"
        ) from None


def sensitivity(root: Path, outputs: list[str] | None = None) -> dict[str, Any]:
    """Compute sensitivity indices for a sweep stored in ``root``.

    Each design point's output is its final value averaged over replicates. Sobol designs
    give first-order and total indices (S1, ST) with confidence half-widths; Morris designs
    give mu* (mean absolute elementary effect), its confidence and sigma; Latin hypercube and
    factorial designs give Spearman rank correlations with p-values, over the points whose
    runs completed (failed runs are masked and counted).

    Raises:
        InputError: Not a sweep directory, or a Sobol/Morris sweep with runs missing.
    """
    exp = _stored_sweep(root)
    outputs = outputs or list(exp["outputs"])
    finals = final_values(root, outputs)
    points: list[dict[str, Any]] = exp["points"]
    runs: list[list[str]] = exp["runs"]  # run ids of each point, by replicate
    y = np.full((len(points), len(outputs)), np.nan)
    for i, ids in enumerate(runs):
        vals = [[finals.get(r, {}).get(o, math.nan) for o in outputs] for r in ids]
        arr = np.array(vals, dtype=np.float64)
        ok = ~np.isnan(arr).all(axis=1)
        if ok.any():
            y[i] = np.nanmean(arr[ok], axis=0)
    # Completeness per output: one sparse measure must not mask the points of the others.
    complete = ~np.isnan(y)
    method = exp["method"]
    problem = exp["problem"]
    if method in ("sobol", "morris"):
        short = [o for j, o in enumerate(outputs) if not complete[:, j].all()]
        if short:
            raise InputError(
                f"{root}: some design points have no complete run or no value of "
                f"{', '.join(short)}; {method} indices need every point (rerun with "
                "`scoresim sweep --resume`, or choose outputs every run reports)"
            )
    report: dict[str, Any] = {
        "method": method,
        "points": len(points),
        "points_used": int(complete.all(axis=1).sum()),
        "points_used_by_output": {o: int(complete[:, j].sum()) for j, o in enumerate(outputs)},
        "indices": {},
        "warnings": [],
    }
    for j, out in enumerate(outputs):
        try:
            report["indices"][out] = _indices(method, problem, points, y[:, j], complete[:, j])
        except (ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as exc:
            # The design's points and problem were checked for shape, not for agreeing with
            # each other as SALib's sampler made them: an edited file can still disagree.
            raise InputError(
                f"{root / EXPERIMENT_FILE}: its design does not fit its {method} method "
                f"({type(exc).__name__}: {str(exc)[:120]})"
            ) from None
        if method == "sobol":
            report["warnings"] += _sobol_warnings(out, report["indices"][out])
    return report


#: A Sobol index whose 95% confidence half-width exceeds this cannot rank the parameters.
WIDE = 0.25


def _sobol_warnings(output: str, indices: dict[str, dict[str, float | None]]) -> list[str]:
    """Say where the sample is too small for the Sobol indices printed.

    Indices are shares of variance, so one outside [0, 1] is an artefact of too few samples;
    one with a confidence half-width over ``WIDE`` cannot rank the parameters either.
    """
    out = []
    for param, vals in indices.items():
        for key in ("S1", "ST"):
            value, conf = vals.get(key), vals.get(f"{key}_conf")
            if value is None:
                continue
            if value < 0 or value > 1:
                out.append(
                    f"{output}: {key} of {param} is {value:.3f}, outside [0, 1], which a share "
                    "of variance cannot be: too few samples (raise the design's samples)"
                )
            elif conf is not None and conf > WIDE:
                out.append(
                    f"{output}: {key} of {param} is {value:.3f} +- {conf:.3f}, too wide to rank "
                    "the parameters: too few samples (raise the design's samples)"
                )
    return out


def _clean(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


def _indices(
    method: str,
    problem: dict[str, Any],
    points: list[dict[str, Any]],
    y: np.ndarray,
    ok: np.ndarray,
) -> dict[str, dict[str, float | None]]:
    names = problem["names"]
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False)
        return {
            n: {
                "S1": _clean(res["S1"][k]),
                "S1_conf": _clean(res["S1_conf"][k]),
                "ST": _clean(res["ST"][k]),
                "ST_conf": _clean(res["ST_conf"][k]),
            }
            for k, n in enumerate(names)
        }
    if method == "morris":
        from SALib.analyze import morris

        x = np.array([[p[n] for n in names] for p in points], dtype=np.float64)
        res = morris.analyze(problem, x, y, print_to_console=False)
        return {
            n: {
                "mu_star": _clean(res["mu_star"][k]),
                "mu_star_conf": _clean(res["mu_star_conf"][k]),
                "sigma": _clean(res["sigma"][k]),
            }
            for k, n in enumerate(names)
        }
    out: dict[str, dict[str, float | None]] = {}
    for n in points[0]:
        x = np.array([p[n] for p in points], dtype=object)[ok]
        try:
            xf = x.astype(np.float64)
        except (TypeError, ValueError):  # categorical values: rank by order of appearance
            cats = {v: i for i, v in enumerate(dict.fromkeys(x.tolist()))}
            xf = np.array([cats[v] for v in x], dtype=np.float64)
        if ok.sum() < 3 or np.ptp(xf) == 0 or np.ptp(y[ok]) == 0:
            out[n] = {"spearman": None, "p_value": None}
            continue
        from scipy.stats import spearmanr  # imported here: scipy.stats is slow to import

        rho, pval = spearmanr(xf, y[ok])
        out[n] = {"spearman": _clean(rho), "p_value": _clean(pval)}
    return out
