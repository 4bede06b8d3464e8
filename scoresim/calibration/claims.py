"""Headline conclusions stated as claims: what each compares, and whether it holds.

A claim (``claims.toml`` beside this file) compares a measure between two scenarios, paired
replicate by replicate, against a threshold: a relative ``change``, a ``difference``, or the
share of a policy's effect a safeguard has ``removed``. The robustness study
(:mod:`scoresim.calibration.robustness`) asks where in the plausible space each holds.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from scoresim.calibration.targets import read_library, value_at
from scoresim.core.errors import InputError, ScenarioError
from scoresim.core.metadata import ENGINE_MEASURES
from scoresim.core.registry import known
from scoresim.core.specs import StrictModel
from scoresim.scenario import Scenario, load_scenario

__all__ = [
    "Claim",
    "ClaimLibrary",
    "DEFAULT_CLAIMS",
    "HasMeasures",
    "Study",
    "claim_holds",
    "load_claims",
    "margin",
    "point_value",
    "replicate_value",
]

#: The shipped claims.
DEFAULT_CLAIMS = Path(__file__).with_name("claims.toml")
Kind = Literal["change", "difference", "removed"]
Op = Literal["<", "<=", ">", ">="]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Claim(StrictModel):
    """A headline conclusion as a test on the runs of two (or three) scenarios."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=60,
        description="short id: lower-case letters, digits and _",
    )
    statement: str = Field(min_length=1, description="the conclusion, in a plain sentence")
    measure: str = Field(min_length=1, description="the measure compared")
    kind: Kind = Field(
        description="change: (s - c) / c; difference: s - c; removed: 1 - (s - c) / (policy - c)"
    )
    scenario: str = Field(
        min_length=1, description="the policy's scenario (kind removed: the safeguard's)"
    )
    control: str = Field(
        "no-score", validate_default=True, description="the scenario compared with ('': zero)"
    )
    policy: str = Field(
        "", validate_default=True, description="kind removed: the policy whose effect is removed"
    )
    op: Op = Field(description="how the quantity compares with the threshold for the claim")
    threshold: float = Field(allow_inf_nan=False, description="the claim's threshold")
    window: int = Field(12, ge=1, le=1200, description="months averaged, ending at the last")

    @field_validator("control")
    @classmethod
    def _control(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "change" and not value:
            raise PydanticCustomError(
                "claim_control",
                "kind 'change' needs a control: a change relative to zero is undefined",
            )
        return value

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind == "removed" and not value:
            raise PydanticCustomError(
                "claim_policy",
                "kind 'removed' needs policy = the scenario whose effect the safeguard removes",
            )
        if kind is not None and kind != "removed" and value:
            raise PydanticCustomError(
                "claim_policy", f"policy is only for kind 'removed', not '{kind}'"
            )
        return value

    @property
    def scenarios(self) -> list[str]:
        """The scenarios the claim reads: its own, then the control and policy it has."""
        return list(dict.fromkeys(s for s in (self.scenario, self.control, self.policy) if s))


class Study(StrictModel):
    """What the study samples and runs."""

    parameters: list[str] = Field(
        default_factory=list,
        description="modules.NAME.PARAM keys varied (empty: every one with a documented range)",
    )
    points: int = Field(48, ge=2, le=100_000, description="Latin hypercube points")
    replicates: int = Field(1, ge=1, le=10_000, description="seeds per point, the same at each")
    agents: int = Field(5000, ge=10, le=1_000_000_000, description="citizens per run")
    years: int = Field(10, ge=1, le=1000, description="years each run lasts after its burn-in")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seed of the sample and of the runs")


class ClaimLibrary(StrictModel):
    """A ``[study]`` table and a list of claims (``[[claim]]`` tables in TOML)."""

    study: Study = Field(Study(), description="what the study samples and runs")
    claim: list[Claim] = Field(min_length=1, description="the claims")

    @field_validator("claim")
    @classmethod
    def _unique(cls, value: list[Claim]) -> list[Claim]:
        names = [c.name for c in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PydanticCustomError(
                "claim_names", f"claim names must be unique; repeated: {', '.join(twice)}"
            )
        return value


def _reported(scenario: Scenario) -> set[str]:
    """The measures a run of ``scenario`` reports."""
    out = {m.name for m in ENGINE_MEASURES}
    for module in scenario.modules:
        out |= {m.name for m in known()[module].measures}
    return out


def _check_claims(library: ClaimLibrary, source: str) -> None:
    """Every claim's scenarios load and report its measure.

    Raises:
        InputError: One line per problem, naming the claim's key and value.
    """
    loaded: dict[str, Scenario | str] = {}
    every = {m.name for m in ENGINE_MEASURES}
    for cls in known().values():
        every |= {m.name for m in cls.measures}
    problems = []
    for i, claim in enumerate(library.claim):
        for role in ("scenario", "control", "policy"):
            name = getattr(claim, role)
            if not name:
                continue
            if name not in loaded:
                try:
                    loaded[name] = load_scenario(name)
                except ScenarioError as exc:
                    loaded[name] = str(exc).splitlines()[0]
            scenario = loaded[name]
            if isinstance(scenario, str):
                problems.append(f"{source}: claim.{i}.{role} = {name!r}: {scenario}")
                continue
            if claim.measure not in every:
                problems.append(
                    f"{source}: claim.{i}.measure = {claim.measure!r}: no module reports it; "
                    f"measures: {', '.join(sorted(every))}"
                )
                break
            if claim.measure not in _reported(scenario):
                problems.append(
                    f"{source}: claim.{i}.measure = {claim.measure!r}: {name} ({role}) does not "
                    "report it (its modules do not include the one that does); use "
                    f'{role} = "" to compare with zero'
                )
    if problems:
        raise InputError("\n".join(dict.fromkeys(problems)))


def load_claims(path: str | Path | None = None) -> ClaimLibrary:
    """Read a claims file (the shipped one by default) and check its claims' scenarios.

    Raises:
        InputError: If the file is missing, not TOML or not a valid library, or a claim's
            scenario is unknown or does not report its measure (one line per problem).
    """
    source = Path(path) if path is not None else DEFAULT_CLAIMS
    library = read_library(source, ClaimLibrary)
    _check_claims(library, str(source))
    return library


class HasMeasures(Protocol):
    """What a claim reads of a run: its measures by month."""

    @property
    def measures(self) -> Mapping[str, NDArray[np.float64]]:
        """Each measure's values, one per month."""
        ...


def _level(claim: Claim, run: HasMeasures | None) -> float:
    """The measure's mean over the claim's window, ending at the run's last month."""
    if run is None:
        return math.nan
    series = run.measures.get(claim.measure)
    if series is None or series.size == 0:
        return math.nan
    return value_at(np.asarray(series, dtype=np.float64), -1, claim.window, total=False)


def replicate_value(
    claim: Claim,
    run: HasMeasures | None,
    control: HasMeasures | None = None,
    policy: HasMeasures | None = None,
) -> float:
    """The claim's quantity in one replicate (NaN when a run is missing or it is undefined).

    Args:
        claim: The claim.
        run: The replicate's run of ``claim.scenario``.
        control: Its run of ``claim.control`` (ignored when the control is zero, ``""``).
        policy: Kind ``removed``: its run of ``claim.policy``.
    """
    s = _level(claim, run)
    c = _level(claim, control) if claim.control else 0.0
    if claim.kind == "change":
        return (s - c) / c if c != 0 else math.nan
    if claim.kind == "difference":
        return s - c
    effect = _level(claim, policy) - c
    return 1.0 - (s - c) / effect if effect != 0 else math.nan


def point_value(claim: Claim, runs: Mapping[str, Sequence[HasMeasures | None]]) -> float:
    """The claim's quantity at a point: mean over replicates of those that give one.

    Args:
        claim: The claim.
        runs: Each scenario's replicates (``None`` where a run failed), paired by index.
    """
    mine = runs[claim.scenario]
    values = []
    for r, run in enumerate(mine):
        control = runs[claim.control][r] if claim.control else None
        policy = runs[claim.policy][r] if claim.policy else None
        values.append(replicate_value(claim, run, control, policy))
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def claim_holds(claim: Claim, value: float) -> bool:
    """Whether ``value`` satisfies the claim (never for NaN)."""
    return math.isfinite(value) and _OPS[claim.op](value, claim.threshold)


def margin(claim: Claim, value: float) -> float:
    """How far ``value`` is on the claim's side of its threshold (negative: it fails)."""
    return value - claim.threshold if claim.op.startswith(">") else claim.threshold - value
