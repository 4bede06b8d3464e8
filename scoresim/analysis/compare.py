"""Finished runs of several scenarios, compared: finals, intervals and effects against one control.

The one implementation of these numbers: the command line, the report and the explorer all
read them from a :class:`RunSet`, so they cannot disagree on a mean, an interval, the control
or the sign of an effect (always scenario minus control).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoresim.analysis.stats import Interval, mean_ci, paired_effect, within
from scoresim.core.errors import InputError
from scoresim.results import RunResult

__all__ = ["CONTROL", "RunSet", "ScenarioRuns"]

#: The scenario effects are measured against whenever a comparison holds it.
CONTROL = "no-score"


@dataclass
class ScenarioRuns:
    """The replicates of one scenario.

    Attributes:
        name: The scenario's name.
        runs: Its runs, by replicate.
        dirs: Where each run is stored (empty for runs held only in memory).
        replicates: The runs' replicate numbers.
    """

    name: str
    runs: list[RunResult]
    dirs: list[Path] = field(default_factory=list)
    replicates: list[int] = field(default_factory=list)

    @property
    def steps(self) -> NDArray[np.int32]:
        """Steps of the first replicate."""
        return self.runs[0].steps

    def has_column(self, measure: str) -> bool:
        """Whether the scenario's runs have a column for ``measure`` (reported or not)."""
        return measure in self.runs[0].measures

    def has(self, measure: str) -> bool:
        """Whether the scenario reports ``measure`` at all."""
        col = self.runs[0].measures.get(measure)
        return col is not None and bool(np.isfinite(col).any())

    def numbers(self) -> list[int]:
        """The runs' replicate numbers (their positions, where none were given)."""
        return (
            self.replicates
            if len(self.replicates) == len(self.runs)
            else list(range(len(self.runs)))
        )

    def finals(self, measure: str) -> list[float]:
        """Final value per replicate (NaN where absent)."""
        return [r.final().get(measure, math.nan) for r in self.runs]

    def series(self, measure: str) -> tuple[NDArray[np.float64], ...]:
        """(steps, mean, ci_low, ci_high) of ``measure`` per step over replicates."""
        width = int(self.steps.size)
        stack = np.full((len(self.runs), width), np.nan)
        for k, r in enumerate(self.runs):  # replicates of another length are cut or padded
            col = r.measures.get(measure, np.full(width, np.nan))[:width]
            stack[k, : col.size] = col
        with warnings.catch_warnings():  # steps nobody reported (yearly measures) stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(stack, axis=0) if np.isfinite(stack).any() else stack[0]
        if len(self.runs) < 2:
            return self.steps.astype(np.float64), mean, mean.copy(), mean.copy()
        ivs = [mean_ci(stack[:, j]) for j in range(stack.shape[1])]
        lo = np.array([iv.ci_low for iv in ivs])
        hi = np.array([iv.ci_high for iv in ivs])
        return self.steps.astype(np.float64), mean, lo, hi


@dataclass
class RunSet:
    """Runs of several scenarios, replicate ``r`` of each on the same seed.

    Attributes:
        scenarios: Each scenario's runs, in the experiment's order.
        root: The results directory they were read from, if any.
        kind: What made them: ``run``, ``compare`` or ``sweep``.
        experiment: The experiment's description (``experiment.json``), if any.
    """

    scenarios: dict[str, ScenarioRuns]
    root: Path | None = None
    kind: str = "run"
    experiment: dict[str, Any] = field(default_factory=dict)
    control: str | None = None

    def __post_init__(self) -> None:
        if self.control is not None and self.control not in self.scenarios:
            raise InputError(
                f"--control = {self.control!r}: not among the scenarios "
                f"({', '.join(self.scenarios)})"
            )

    @classmethod
    def of(cls, runs: dict[str, list[RunResult]], **kwargs: Any) -> RunSet:
        """Group runs given per scenario name (replicates in order)."""
        return cls(
            {n: ScenarioRuns(n, rs, [], list(range(len(rs)))) for n, rs in runs.items()}, **kwargs
        )

    @property
    def names(self) -> list[str]:
        """Scenario names in the experiment's order."""
        return list(self.scenarios)

    @property
    def replicates(self) -> int:
        """Replicates of the first scenario."""
        return len(next(iter(self.scenarios.values())).runs)

    @property
    def baseline(self) -> str:
        """The control every effect is against.

        The one named, else no-score when the runs hold it, else the first scenario.
        """
        if self.control is not None:
            return self.control
        return CONTROL if CONTROL in self.scenarios else self.names[0]

    def with_control(self, control: str | None) -> RunSet:
        """The same runs, effects against ``control`` (None: the default choice).

        Raises:
            InputError: If ``control`` names no scenario of the runs.
        """
        return replace(self, control=control)

    @property
    def first(self) -> RunResult:
        """The first run of the first scenario (for what all runs share: society, length)."""
        return next(iter(self.scenarios.values())).runs[0]

    def scored(self) -> list[str]:
        """Scenarios that compute a score."""
        return [n for n, s in self.scenarios.items() if s.has("mean_score")]

    # -- what the modules declared ---------------------------------------------------------

    def measure_names(self) -> list[str]:
        """Every measure any scenario reports, in first-seen order."""
        names: dict[str, None] = {}
        for s in self.scenarios.values():
            names.update(dict.fromkeys(s.runs[0].measures))
        return list(names)

    def measure_info(self, name: str) -> dict[str, Any]:
        """The declaration of measure ``name``, as the runs recorded it.

        Where scenarios label it differently (a label naming a parameter they set apart, e.g.
        the perk thresholds), the label is the declared description, which names no value.
        """
        infos = [
            s.runs[0].measure_info(name) for s in self.scenarios.values() if s.has_column(name)
        ]
        if not infos:
            return self.first.measure_info(name)
        info = dict(infos[0])
        if len({i["label"] for i in infos}) > 1:
            info["label"] = info.get("description") or name
        return info

    def label(self, name: str) -> str:
        """Measure ``name``'s label with its unit, as every face shows it.

        Shares and their differences need none: the faces print them as percentages and
        percentage points.
        """
        info = self.measure_info(name)
        unit = info.get("unit", "")
        shown = unit and unit not in ("share", "share difference")
        return str(info["label"]) + (f" ({unit})" if shown else "")

    def headline(self) -> list[str]:
        """The measures declared as headline that some scenario reports, in declared order."""
        return [m for m in self.measure_names() if self.measure_info(m).get("headline")]

    def marks(
        self, on: str, kind: str | None = None, scenario: str | None = None
    ) -> list[dict[str, Any]]:
        """Marks on ``on``'s scale (e.g. perk thresholds on the score), ascending by value.

        Those of ``scenario`` when given (each scenario records its own), else those of the
        first scenario declaring any.
        """
        names = [scenario] if scenario is not None else self.names
        for name in names:
            found = [
                k
                for k in self.scenarios[name].runs[0].metadata.get("marks", [])
                if k["on"] == on and (kind is None or k["kind"] == kind)
            ]
            if found:
                return sorted(found, key=lambda k: float(k["value"]))
        return []

    # -- numbers -----------------------------------------------------------------------------

    def finals(self, name: str, measure: str) -> list[float]:
        """``measure``'s final value in each replicate of scenario ``name`` (NaN if absent)."""
        return self.scenarios[name].finals(measure)

    def summary(
        self, measures: Iterable[str] | None = None, level: float = 0.95
    ) -> dict[str, dict[str, Interval]]:
        """Mean and interval of each measure's final value, by scenario then measure."""
        chosen = list(self.measure_names() if measures is None else measures)
        ranges = {m: self.value_range(m) for m in chosen}
        return {
            n: {m: within(mean_ci(s.finals(m), level), *ranges[m]) for m in chosen}
            for n, s in self.scenarios.items()
        }

    def effects(
        self, measures: Iterable[str] | None = None, level: float = 0.95
    ) -> dict[str, dict[str, Interval]]:
        """Each other scenario minus the baseline, paired by replicate, by scenario then measure."""
        chosen = list(self.measure_names() if measures is None else measures)
        base = self.scenarios[self.baseline]
        spans = {m: self.value_range(m) for m in chosen}
        out: dict[str, dict[str, Interval]] = {}
        for n, s in self.scenarios.items():
            if n == self.baseline:
                continue
            # Paired by replicate number (the seed), not by position: a replicate that one
            # scenario lacks (a failed run) drops out of the pairs instead of shifting them.
            mine, theirs = base.numbers(), s.numbers()
            common = sorted(set(mine) & set(theirs))
            ib = [mine.index(r) for r in common]
            js = [theirs.index(r) for r in common]
            out[n] = {}
            for m in chosen:
                a, b = base.finals(m), s.finals(m)
                low, high = spans[m]
                out[n][m] = within(
                    paired_effect([a[i] for i in ib], [b[j] for j in js], level),
                    low - high,
                    high - low,
                )
        return out

    def value_range(self, measure: str) -> tuple[float, float]:
        """The range a measure's values cannot leave: declared, or from its kind.

        A measure may declare its ``bounds`` (an index from 0 to 1); otherwise shares lie in
        [0, 1], and counts, score points and ratios are not negative (a difference of two may
        be: :meth:`effects` widens the range to the differences'). Money (assets may be
        debts) and other numbers are unbounded.
        """
        info = self.measure_info(measure)
        bounds = info.get("bounds")
        if isinstance(bounds, list | tuple) and len(bounds) == 2:
            low, high = bounds
            return (
                -math.inf if low is None else float(low),
                math.inf if high is None else float(high),
            )
        kind = info.get("kind")
        if kind == "share":
            return 0.0, 1.0
        if kind in ("count", "points", "ratio"):
            return 0.0, math.inf
        return -math.inf, math.inf
