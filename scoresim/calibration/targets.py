"""Published figures the model is compared to: a library of targets, and what runs give for them.

The society is synthetic and smaller than China's, so a target is never a raw count: each
says what the model must compute to compare with it (a share, a ratio against the unscored
control, a growth ratio between two months, or the ratio of two flows over a window), with
its source, its uncertainty and the months it refers to. ``targets.toml`` beside this file is
the shipped library; a user may write their own in the same form.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, ValidationError, model_validator

from scoresim.analysis.compare import RunSet
from scoresim.analysis.stats import Interval, mean_ci
from scoresim.calibration.plan import CalibrationPlan
from scoresim.core.errors import InputError
from scoresim.core.specs import StrictModel
from scoresim.results import RunResult
from scoresim.scenario import format_errors

__all__ = [
    "DEFAULT_TARGETS",
    "Target",
    "TargetCheck",
    "TargetLibrary",
    "check",
    "load_targets",
    "read_library",
    "target_value",
    "value_at",
]

#: The shipped library.
DEFAULT_TARGETS = Path(__file__).with_name("targets.toml")

Kind = Literal["value", "ratio_to_control", "growth", "flow_ratio"]
Library = TypeVar("Library", bound=StrictModel)


class Target(StrictModel):
    """One published figure and the model quantity that answers it."""

    name: str = Field(min_length=1, max_length=80, description="short id")
    description: str = Field(min_length=1, description="what the figure is")
    source: str = Field(min_length=1, description="citation")
    url: str = Field("", description="where to read it")
    refers_to: str = Field("", description="the dates the figure refers to")
    value: float = Field(description="the figure, as the model quantity below")
    uncertainty: float = Field(gt=0, description="its standard deviation, same unit")
    use: Literal["calibration", "validation"] = Field(
        "validation", description="fitted to (calibration) or held back (validation)"
    )
    kind: Kind = Field(description="how the model's value is computed")
    measure: str = Field(min_length=1, description="the measure (numerator of a ratio)")
    denominator: str = Field("", description="flow_ratio: the measure it is divided by")
    scenario: str = Field("social-credit", description="the scenario computed")
    control: str = Field("no-score", description="ratio_to_control: the scenario divided by")
    month: int = Field(-1, description="month read (negative: from the end; -1 the last)")
    window: int = Field(1, ge=1, le=1200, description="months averaged (flows: summed) to it")
    from_month: int = Field(0, description="growth: the month divided by")

    @model_validator(mode="after")
    def _parts(self) -> Target:
        if self.kind == "flow_ratio" and not self.denominator:
            raise ValueError("flow_ratio needs a denominator measure")
        return self


class TargetLibrary(StrictModel):
    """A list of targets (``[[target]]`` tables in TOML)."""

    target: list[Target] = Field(min_length=1, description="the targets")
    calibration: CalibrationPlan | None = Field(
        None, description="what `scoresim calibrate` fits to this library's targets"
    )

    @model_validator(mode="after")
    def _unique(self) -> TargetLibrary:
        names = [t.name for t in self.target]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"target names must be unique; repeated: {twice}")
        unknown = sorted(set(self.calibration.targets) - set(names)) if self.calibration else []
        if unknown:
            raise ValueError(f"calibration.targets names no target of the library: {unknown}")
        return self


def read_library(source: Path, model: type[Library]) -> Library:
    """Read a TOML file into a pydantic model (a target or claim library).

    Raises:
        InputError: If the file is missing, not TOML, or does not validate (one line per
            problem, naming the key).
    """
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_errors(exc, str(source), model)) from None


def load_targets(path: str | Path | None = None) -> TargetLibrary:
    """Read a target library (the shipped one by default).

    Raises:
        InputError: If the file is missing, not TOML, or not a valid library (one line per
            problem, naming the key).
    """
    return read_library(Path(path) if path is not None else DEFAULT_TARGETS, TargetLibrary)


@dataclass(frozen=True)
class TargetCheck:
    """A target against what the runs give for it.

    Attributes:
        target: The target.
        model: The model's value: mean over replicates with its 95% interval.
        met: Whether the two agree within two standard deviations of their difference
            (the target's uncertainty and the replicates' standard error combined).
    """

    target: Target
    model: Interval
    met: bool


def value_at(series: NDArray[np.float64], month: int, window: int, total: bool) -> float:
    """The mean (or sum) of the ``window`` months ending at ``month``, NaN months skipped.

    A month the series does not reach (``month`` >= its length, or further back than its
    start) gives NaN: a short run never answers with another month.
    """
    if not -series.size <= month < series.size:
        return math.nan
    end = month % series.size + 1
    part = series[max(0, end - window) : end]
    part = part[~np.isnan(part)]
    if part.size == 0:
        return math.nan
    return float(part.sum() if total else part.mean())


def target_value(t: Target, run: RunResult, control: RunResult | None) -> float:
    """The target's model quantity in one replicate (NaN when the run lacks it)."""
    series = run.measures.get(t.measure)
    if series is None or series.size == 0:
        return math.nan
    if t.kind == "value":
        return value_at(series, t.month, t.window, total=False)
    if t.kind == "growth":
        first = value_at(series, t.from_month, t.window, total=False)
        return value_at(series, t.month, t.window, total=False) / first if first else math.nan
    if t.kind == "flow_ratio":
        below = run.measures.get(t.denominator)
        if below is None:
            return math.nan
        flow = value_at(below, t.month, t.window, total=True)
        return value_at(series, t.month, t.window, total=True) / flow if flow else math.nan
    other = None if control is None else control.measures.get(t.measure)
    if other is None:
        return math.nan
    base = value_at(other, t.month, t.window, total=False)
    return value_at(series, t.month, t.window, total=False) / base if base else math.nan


def check(library: TargetLibrary, runs: RunSet) -> list[TargetCheck]:
    """Compute every target the runs can answer (paired replicate by replicate).

    Raises:
        InputError: If no target's scenario (and control, where needed) is in the runs.
    """
    out = []
    for t in library.target:
        if t.scenario not in runs.scenarios:
            continue
        if t.kind == "ratio_to_control" and t.control not in runs.scenarios:
            continue
        mine = runs.scenarios[t.scenario].runs
        theirs = runs.scenarios[t.control].runs if t.control in runs.scenarios else []
        values = [
            target_value(t, run, theirs[k] if k < len(theirs) else None)
            for k, run in enumerate(mine)
        ]
        finite = np.array([v for v in values if not math.isnan(v)])
        model = mean_ci(finite if finite.size else [math.nan])
        # The standard error of the mean over replicates (none with one replicate).
        se = float(finite.std(ddof=1) / math.sqrt(finite.size)) if finite.size > 1 else 0.0
        met = not math.isnan(model.mean) and abs(model.mean - t.value) <= 2 * math.hypot(
            t.uncertainty, se
        )
        out.append(TargetCheck(t, model, met))
    if not out:
        scenarios = sorted({t.scenario for t in library.target})
        raise InputError(
            f"none of the targets' scenarios ({', '.join(scenarios)}) is in these runs; "
            f"they hold {', '.join(runs.names)}"
        )
    return out
