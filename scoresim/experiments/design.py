"""Sweep designs: a TOML file naming a base scenario, parameters and a sampling method."""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from scoresim.core.errors import InputError, ScenarioError
from scoresim.core.specs import StrictModel
from scoresim.experiments.spec import RunSpec, derive_seed
from scoresim.scenario import format_errors, load_scenario, resolve_scenario_path

__all__ = ["RangeParam", "SweepDesign", "ValuesParam", "design_specs", "load_design"]

DEFAULT_OUTPUTS = [
    "expression_rate",
    "dissenter_degree_ratio",
    "spillover_loss",
    "perk_gap_700",
    "blacklist_size",
]


class RangeParam(StrictModel):
    """A numeric parameter swept over [low, high]."""

    low: float
    high: float
    integer: bool = Field(False, description="round sampled values to whole numbers")

    @field_validator("high")
    @classmethod
    def _ordered(cls, v: float, info: Any) -> float:
        low = info.data.get("low")
        if low is not None and v <= low:
            raise ValueError(f"must be greater than low ({low})")
        return v


class ValuesParam(StrictModel):
    """A parameter taking each of a list of values (factorial and Latin hypercube only)."""

    values: list[float | int | str | bool] = Field(min_length=1)


class SweepDesign(StrictModel):
    """A sweep: which scenario, which parameters over which ranges, which method."""

    name: str = Field(min_length=1, max_length=100, description="names the runs")
    scenario: str = Field(description="preset name or scenario file (relative to the design)")
    method: Literal["factorial", "lhs", "sobol", "morris"] = "lhs"
    samples: int = Field(
        16,
        ge=1,
        le=100_000,
        description="lhs: points; sobol: base samples N (N x (D + 2) runs); morris: trajectories",
    )
    levels: int = Field(3, ge=2, le=100, description="factorial: points per range; morris: grid")
    replicates: int = Field(1, ge=1, le=1000, description="seeds per design point")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seed of the design and of the runs")
    overrides: dict[str, Any] = Field(default_factory=dict, description="fixed scenario keys")
    parameters: dict[str, RangeParam | ValuesParam] = Field(min_length=1)
    outputs: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OUTPUTS),
        min_length=1,
        description="measures the sensitivity analysis explains (final values)",
    )

    @model_validator(mode="after")
    def _ranges_for_salib(self) -> SweepDesign:
        if self.method in ("sobol", "morris"):
            listed = [k for k, v in self.parameters.items() if isinstance(v, ValuesParam)]
            if listed:
                raise ValueError(
                    f"method {self.method} needs low/high ranges; {', '.join(listed)} "
                    "give values (use factorial or lhs for those)"
                )
        return self

    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and bounds of the range parameters."""
        names = [k for k, v in self.parameters.items() if isinstance(v, RangeParam)]
        bounds = [[p.low, p.high] for p in self.parameters.values() if isinstance(p, RangeParam)]
        return {"num_vars": len(names), "names": names, "bounds": bounds}

    def digest(self) -> str:
        """Hash of the design's canonical JSON."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_design(path: Path) -> tuple[SweepDesign, Path]:
    """Read and validate a design file; returns it and the base scenario's file.

    Raises:
        InputError: Missing or malformed file, or a key that does not validate.
    """
    if not path.is_file():
        raise InputError(f"{path}: design file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: malformed TOML: nested too deeply") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    try:
        design = SweepDesign.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_errors(exc, str(path), SweepDesign)) from None
    local = path.parent / design.scenario
    try:
        base = local if local.is_file() else resolve_scenario_path(design.scenario)
    except ScenarioError as exc:
        raise InputError(f"{path}: scenario = {design.scenario!r}: {exc}") from None
    return design, base


def _scale(design: SweepDesign, unit: np.ndarray) -> list[dict[str, Any]]:
    """Map points of the unit cube (one column per parameter) to parameter values."""
    rows = []
    for point in unit:
        row: dict[str, Any] = {}
        for (key, spec), u in zip(design.parameters.items(), point, strict=True):
            if isinstance(spec, RangeParam):
                value: Any = spec.low + float(u) * (spec.high - spec.low)
                row[key] = round(value) if spec.integer else value
            else:
                row[key] = spec.values[min(int(u * len(spec.values)), len(spec.values) - 1)]
        rows.append(row)
    return rows


def sample_points(design: SweepDesign) -> list[dict[str, Any]]:
    """The design's points, in a fixed order (the order SALib's analysis expects)."""
    d = len(design.parameters)
    if design.method == "factorial":
        axes = []
        for spec in design.parameters.values():
            if isinstance(spec, RangeParam):
                pts = np.linspace(spec.low, spec.high, design.levels)
                axes.append(sorted({round(x) for x in pts}) if spec.integer else list(pts))
            else:
                axes.append(list(spec.values))
        return [
            dict(zip(design.parameters, combo, strict=True)) for combo in itertools.product(*axes)
        ]
    if design.method == "lhs":
        from scipy.stats import qmc  # imported here: scipy.stats is slow to import

        unit = qmc.LatinHypercube(d=d, seed=design.seed).random(design.samples)
        return _scale(design, unit)
    problem = design.problem()
    if design.method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, design.samples, calc_second_order=False, seed=design.seed)
    else:
        from SALib.sample import morris

        x = morris.sample(problem, design.samples, num_levels=design.levels, seed=design.seed)
    ints = [k for k, v in design.parameters.items() if isinstance(v, RangeParam) and v.integer]
    return [
        {
            k: (round(float(v)) if k in ints else float(v))
            for k, v in zip(problem["names"], row, strict=True)
        }
        for row in x
    ]


def design_specs(design: SweepDesign, base: Path) -> tuple[list[RunSpec], list[dict[str, Any]]]:
    """Every run of the sweep, validated up front, and the design points.

    Raises:
        InputError: A point whose scenario does not validate (names the point and the key).
    """
    points = sample_points(design)
    specs = []
    for i, point in enumerate(points):
        for r in range(design.replicates):
            values = {**design.overrides, **point, "seed": derive_seed(design.seed, r)}
            try:
                scenario = load_scenario(base, values)
            except ScenarioError as exc:
                raise InputError(f"design point {i} {point}: {exc}") from None
            label = f"{design.name[:48]}-{i:05d}"  # the index must survive truncation
            specs.append(RunSpec.of(scenario, design.name, r, label=label, params=point))
    return specs, points
