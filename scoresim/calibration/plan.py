"""What a calibration fits: the ``[calibration]`` table of a target library."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from scoresim.core.specs import StrictModel

__all__ = ["CalibrationPlan"]


class CalibrationPlan(StrictModel):
    """Which parameters are fitted to which targets, on what society, with how many runs.

    The prior of each parameter is uniform over its documented plausible range (or over
    ``ranges``); targets default to those marked ``use = "calibration"``, and every other
    target of the library is held back to validate the fit.
    """

    parameters: list[str] = Field(
        min_length=1, max_length=8, description="dotted keys modules.MODULE.PARAM to fit"
    )
    ranges: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="prior ranges replacing the documented ones"
    )
    targets: list[str] = Field(
        default_factory=list, description="targets fitted (default: use = calibration)"
    )
    agents: int = Field(10_000, ge=100, le=10_000_000, description="citizens per run")
    years: int = Field(10, ge=1, le=200, description="years per run")
    fixed: dict[str, Any] = Field(
        default_factory=dict, description="scenario keys set in every run (dotted)"
    )
    waves: int = Field(3, ge=1, le=20, description="rounds of history matching")
    points: int = Field(30, ge=4, le=10_000, description="parameter points run per wave")
    # Every point runs on the same seeds (common random numbers), which keeps the emulated
    # surface smooth but hides run-to-run noise from it: at least two seeds measure that.
    replicates: int = Field(2, ge=2, le=100, description="seeds per point (at least 2)")
    candidates: int = Field(
        20_000, ge=100, le=2_000_000, description="points the emulators judge per wave"
    )
    cutoff: float = Field(
        3.0, gt=0, le=10, description="implausibility beyond which a point is ruled out"
    )
    predictive: int = Field(
        10, ge=0, le=1000, description="posterior draws run for the predictive checks"
    )
    seed: int = Field(0, ge=0, le=2**63 - 1, description="seeds the design and the runs")

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationPlan:
        if len(set(self.parameters)) != len(self.parameters):
            raise ValueError(f"parameters must differ: {self.parameters}")
        stray = sorted(set(self.ranges) - set(self.parameters))
        if stray:
            raise ValueError(f"ranges for parameters not fitted: {stray}")
        for key, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"ranges.{key} = [{low}, {high}]: low must be below high")
        return self
